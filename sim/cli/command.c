/*
 * command.c - sim_main(), the whole gilsim command: parse the command
 * line, then print help or the version, or hand the options to the run
 * driver (after loading --calibration), the sweep, the server, the
 * replotter or the calibration.
 *
 * Every option is checked before anything is created (sim_opt_parse), so a
 * bad value costs one line on stderr and exit status 2 and leaves no
 * folder behind. The command line is recorded in summary.json, quoted the
 * way a POSIX shell would need it, so a run can be repeated by pasting it.
 */
#include <stdlib.h>
#include <string.h>

#include "cli_internal.h"

/* 1 if `a` needs no quoting in a POSIX shell. */
static int
shell_safe(const char *a)
{
    if (*a == '\0') {
        return 0;
    }
    for (; *a != '\0'; a++) {
        if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                   "0123456789-_=.,/:+@%",
                   *a) == NULL) {
            return 0;
        }
    }
    return 1;
}

/* argv as one shell-quoted line; malloc'd, NULL when out of memory. */
static char *
join_command(int argc, char **argv)
{
    size_t len = 1;
    char *s;
    char *p;
    int i;

    for (i = 0; i < argc; i++) {
        len += 4 * strlen(argv[i]) + 3; /* worst case: every char is ' */
    }
    s = malloc(len);
    if (s == NULL) {
        return NULL;
    }
    p = s;
    for (i = 0; i < argc; i++) {
        const char *a = i == 0 ? "gilsim" : argv[i];

        if (i > 0) {
            *p++ = ' ';
        }
        if (shell_safe(a)) {
            size_t n = strlen(a);

            memcpy(p, a, n);
            p += n;
            continue;
        }
        *p++ = '\'';
        for (; *a != '\0'; a++) {
            if (*a == '\'') {
                memcpy(p, "'\\''", 4);
                p += 4;
            } else {
                *p++ = *a;
            }
        }
        *p++ = '\'';
    }
    *p = '\0';
    return s;
}

int
sim_main(int argc, char **argv, FILE *out, FILE *err)
{
    struct sim_options o;
    enum sim_cmd cmd, help_of;
    char msg[SIM_ERR_LEN];
    char *command;
    int status;

    status =
        sim_opt_parse_full(argc, argv, &o, &cmd, &help_of, msg, sizeof(msg));
    if (status != 0) {
        /* The message echoes the values given: a newline or an escape
         * sequence in one is shown escaped, so the error stays one line
         * and cannot drive the terminal. */
        char safe[SIM_ERR_LEN * 4];

        sim_cli_escape(msg, safe, sizeof(safe));
        fprintf(err, "gilsim: %s\n", safe);
        return status;
    }
    if (cmd == SIM_CMD_HELP) {
        sim_opt_print_help(out, help_of);
        return SIM_EXIT_OK;
    }
    if (cmd == SIM_CMD_VERSION) {
        fprintf(out, "gilsim %s\n", SIM_VERSION);
        return SIM_EXIT_OK;
    }
    if (cmd == SIM_CMD_SERVE) {
        return sim_serve_main(&o, out, err);
    }
    if (cmd == SIM_CMD_PLOT) {
        return sim_replot_main(&o, out, err);
    }
    if (cmd == SIM_CMD_CALIBRATE) {
        return sim_calibrate_main(&o, out, err);
    }
    if (cmd == SIM_CMD_RECORD) {
        command = join_command(argc, argv);
        if (command == NULL) {
            fprintf(err, "gilsim: out of memory\n");
            return SIM_EXIT_ERROR;
        }
        status = sim_record_main(&o, command, out, err);
        free(command);
        return status;
    }
    if (cmd == SIM_CMD_WORKLOAD && strcmp(o.workload_action, "new") == 0) {
        /* gilsim workload new FILE: a starter to edit. */
        if (sim_workload_file_new(o.workload_file, msg, sizeof(msg)) != 0) {
            fprintf(err, "gilsim: workload new: %s\n", msg);
            return SIM_EXIT_USAGE;
        }
        fprintf(out, "wrote %s; see its tasks with gilsim workload check %s\n",
                o.workload_file, o.workload_file);
        return SIM_EXIT_OK;
    }
    /* --calibration, with --instr-ns and --worker-start kept on top. */
    status = sim_costs_load_options(&o, err);
    if (status != SIM_EXIT_OK) {
        return status;
    }
    if (cmd == SIM_CMD_WORKLOAD) {
        /* gilsim workload check FILE: the file's tasks, described, at the
         * costs a run would take. */
        struct sim_wf_params wp;
        char path[4096];
        const char *file = o.workload_file;

        if (strchr(file, '/') == NULL &&
            (strcmp(file, "seed") == 0 || strcmp(file, "cpu") == 0 ||
             strcmp(file, "convoy") == 0)) {
            /* A built-in's name: its file. */
            if (sim_workload_builtin_path(file, path, sizeof(path), msg,
                                          sizeof(msg)) != 0) {
                fprintf(err, "gilsim: workload check: %s\n", msg);
                return SIM_EXIT_ERROR;
            }
            file = path;
        }
        sim_wf_params_of(&o, &wp);
        if (sim_workload_file_describe(file, &wp, out, msg, sizeof(msg)) != 0) {
            fprintf(err, "gilsim: workload check: %s\n", msg);
            return SIM_EXIT_USAGE;
        }
        return SIM_EXIT_OK;
    }
    command = join_command(argc, argv);
    if (command == NULL) {
        fprintf(err, "gilsim: out of memory\n");
        return SIM_EXIT_ERROR;
    }
    if (cmd == SIM_CMD_SWEEP && o.predict_dir[0] != '\0') {
        status = sim_predict_main(&o, command, out, err);
    } else if (cmd == SIM_CMD_SWEEP) {
        /* A local sweep, --plan and --collect: the flags are read here. */
        status = sim_cli_sweep(argc, argv, &o, command, out, err);
        if (status == SIM_EXIT_OK && o.collect_dir[0] != '\0') {
            status = sim_cli_collect(&o, out, err);
        }
    } else {
        status = sim_run_main(&o, command, out, err, 1, NULL);
    }
    free(command);
    return status;
}
