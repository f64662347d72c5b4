/* cli.h - the public interface of sim/cli/: gilsim's command line.
 *
 * sim/cli/ parses the command line against one table of options
 * (opttable.c), checks all of it before anything is created, and hands
 * the result to the run (sim_run_main, sim_sweep_main), the report
 * (sim_replot_main), calibration or the server. It sits above every other
 * module and nothing below includes it.
 */
#ifndef GILSIM_CLI_H
#define GILSIM_CLI_H

#include <stdio.h>

/* The whole CLI: `gilsim [run] ...`, `gilsim serve`, `gilsim sweep`,
 * `gilsim plot`, `gilsim calibrate`, `--help`, `--version`. Returns the
 * exit status (enum sim_exit); `out` gets results, `err` diagnostics. */
int sim_main(int argc, char **argv, FILE *out, FILE *err);

#endif /* GILSIM_CLI_H */
