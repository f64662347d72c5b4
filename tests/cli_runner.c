/*
 * cli_runner.c - gilsim run in the test's process (cli_runner.h): the
 * arguments after "gilsim" into argv, stdout and stderr into memory
 * streams, sim_main's status kept.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "cli.h"
#include "cli_runner.h"

#define MAX_ARGS 24

void
run(struct cmd *c, ...)
{
    char *argv[MAX_ARGS + 2];
    size_t olen = 0, elen = 0;
    FILE *out, *err;
    va_list ap;
    int argc = 1;
    char *a;

    argv[0] = "gilsim";
    va_start(ap, c);
    while ((a = va_arg(ap, char *)) != NULL) {
        assert_true(argc <= MAX_ARGS);
        argv[argc++] = a;
    }
    va_end(ap);
    argv[argc] = NULL;
    c->out = NULL;
    c->err = NULL;
    out = open_memstream(&c->out, &olen);
    err = open_memstream(&c->err, &elen);
    assert_non_null(out);
    assert_non_null(err);
    c->status = sim_main(argc, argv, out, err);
    fclose(out);
    fclose(err);
}

void
cmd_clear(struct cmd *c)
{
    free(c->out);
    free(c->err);
    c->out = NULL;
    c->err = NULL;
}
