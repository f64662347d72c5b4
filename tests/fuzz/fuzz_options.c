/*
 * fuzz_options.c - the option parser on any command line: the input is
 * split at NUL bytes into at most 24 arguments after "gilsim". A parse
 * returns 0 or exit status 2 with one line; it never crashes, and a
 * refusal's line, escaped as gilsim prints it, has no newline.
 */
#include <stdlib.h>
#include <string.h>

#include "cli_internal.h"
#include "fuzz_input.h"

#define MAX_ARGS 24

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1);
    char *argv[MAX_ARGS + 2];
    char err[SIM_ERR_LEN], safe[SIM_ERR_LEN * 4];
    struct sim_options o;
    enum sim_cmd cmd;
    size_t i, start = 0;
    int argc = 0, rc;

    if (buf == NULL) {
        return 0;
    }
    memcpy(buf, data, size);
    buf[size] = '\0';
    argv[argc++] = "gilsim";
    for (i = 0; i <= size && argc <= MAX_ARGS; i++) {
        if (i == size || buf[i] == '\0') {
            argv[argc++] = buf + start;
            start = i + 1;
        }
    }
    argv[argc] = NULL;
    err[0] = '\0';
    rc = sim_opt_parse(argc, argv, &o, &cmd, err, sizeof(err));
    if (rc != 0) {
        sim_cli_escape(err, safe, sizeof(safe));
        if (strchr(safe, '\n') != NULL) {
            abort();
        }
    }
    free(buf);
    return 0;
}
