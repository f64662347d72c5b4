/*
 * record_fixture.c - probe files for the tests of gilsim record
 * (record_fixture.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "record/record.h"
#include "record_fixture.h"
#include "test_files.h"
#include "trace.h"

char *
raw_dir_with(const char *text)
{
    char *dir = tf_make_dir("gilsim-record");
    char path[4200];

    (void)snprintf(path, sizeof(path), "%s/probe-100.tsv", dir);
    tf_write(path, text);
    return dir;
}

/* rec_write_measured of r into out, for `python3 app` run by `command`,
 * without plots; it must succeed. */
void
write_measured(const char *out, struct rec *r, const char *app,
               const char *command, struct sim_trace_summary *s)
{
    char *argv[] = {"python3", (char *)app, NULL};
    char err[512] = "";
    struct sim_options o;

    sim_options_default(&o);
    o.record_argc = 2;
    o.record_argv = argv;
    o.no_plots = 1;
    if (rec_write_measured(out, r, command, &o, s, stderr, err, sizeof(err)) !=
        0) {
        fail_msg("rec_write_measured: %s", err);
    }
}

struct sim_trace *
measured_trace(const char *folder)
{
    char path[4200];
    struct sim_trace *t = NULL;
    FILE *f;

    (void)snprintf(path, sizeof(path), "%s/measured/trace.tsv", folder);
    f = fopen(path, "r");
    assert_non_null(f);
    assert_int_equal(sim_trace_read_tsv(f, &t), 0);
    fclose(f);
    return t;
}
