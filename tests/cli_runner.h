/*
 * cli_runner.h - running gilsim in the test's own process: sim_main with
 * an argument list, its stdout and stderr caught in memory. For the
 * tests that link gilsim_cli (the test binaries list cli_runner.c).
 */
#ifndef GILSIM_CLI_RUNNER_H
#define GILSIM_CLI_RUNNER_H

/* What a run said and how it ended. */
struct cmd {
    int status;
    char *out; /* stdout, malloc'd */
    char *err; /* stderr, malloc'd */
};

/* gilsim ARGS... (at most 24, NULL-terminated) through sim_main. */
void run(struct cmd *c, ...);
/* Free what run caught. */
void cmd_clear(struct cmd *c);

#endif
