/*
 * test_trace_json.c - every model's trace.json, in both engines, passes
 * the strict Chrome Trace Event checker (chrome_trace_check.c): named
 * tracks, no negative timestamp or duration, spans that nest.
 *
 * Each case is a whole `gilsim` run in-process (sim_main) into a temporary
 * folder, small enough for CI: the seed workload against the embedded
 * server (every model), the countdown (every model) and the convoy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "chrome_trace_check.h"
#include "cli.h"
#include "run.h"
#include "test_files.h"

/* Run gilsim with `args` (NULL-terminated) into a new folder, check
 * every model's trace.json, and remove the folder. The threads model's
 * counts go to *threads_out (may be NULL). */
static void
check_every_trace_of(const char *const *args,
                     struct chrome_trace_counts *threads_out)
{
    char *dir = tf_make_dir("gilsim-trace-json");
    char run_dir[4200], out_arg[4300], path[4400];
    char *argv[32];
    int argc = 0, m, checked = 0;
    FILE *out = tmpfile();
    FILE *err = tmpfile();

    assert_non_null(out);
    assert_non_null(err);
    (void)snprintf(run_dir, sizeof(run_dir), "%s/run", dir);
    (void)snprintf(out_arg, sizeof(out_arg), "--out=%s", run_dir);
    argv[argc++] = "gilsim";
    argv[argc++] = "--quiet";
    argv[argc++] = "--no-plots";
    argv[argc++] = out_arg;
    for (; *args != NULL; args++) {
        argv[argc++] = (char *)*args;
    }
    /* Exit 1 (steps failed) is expected with --fail-rate. */
    assert_in_range(sim_main(argc, argv, out, err), 0, 1);
    for (m = 0; m < SIM_MODEL_COUNT; m++) {
        struct chrome_trace_counts c;
        FILE *f;

        (void)snprintf(path, sizeof(path), "%s/%s/trace.json", run_dir,
                       sim_model_name((enum sim_model)m));
        f = fopen(path, "r");
        if (f == NULL) {
            continue; /* a model this run did not select */
        }
        (void)fclose(f);
        chrome_trace_check(path, &c);
        assert_true(c.spans > 0);
        assert_true(c.tracks > 0);
        if (m == SIM_MODEL_THREADS && threads_out != NULL) {
            *threads_out = c;
        }
        checked++;
    }
    assert_true(checked > 0);
    fclose(out);
    fclose(err);
    tf_remove_tree(dir);
    free(dir);
}

static void
check_every_trace(const char *const *args)
{
    check_every_trace_of(args, NULL);
}

static void
seed_traces_are_valid_in_real_time(void **state)
{
    const char *const args[] = {"--pages=6", "--latency=5ms",
                                "--body-size=4KiB", "--threads=3", NULL};

    (void)state;
    check_every_trace(args);
}

static void
seed_traces_are_valid_in_virtual_time(void **state)
{
    const char *const args[] = {"--engine=virtual", "--pages=12", "--threads=3",
                                "--fail-rate=0.2", NULL};

    (void)state;
    check_every_trace(args);
}

static void
countdown_traces_are_valid_in_both_engines(void **state)
{
    const char *const real[] = {"--workload=cpu", "--count=300K", "--threads=2",
                                "--switch-interval=1ms", NULL};
    const char *const virt[] = {"--engine=virtual", "--workload=cpu",
                                "--count=2M", "--threads=2", NULL};

    struct chrome_trace_counts c;

    (void)state;
    /* Two threads under one GIL: hand-offs, so arrows and a waiters
     * counter that goes up and down. */
    memset(&c, 0, sizeof(c));
    check_every_trace_of(real, &c);
    assert_true(c.flows > 0);
    assert_true(c.counters > 0);
    memset(&c, 0, sizeof(c));
    check_every_trace_of(virt, &c);
    assert_true(c.flows > 0);
    assert_true(c.counters > 0);
}

static void
convoy_traces_are_valid_in_virtual_time(void **state)
{
    const char *const args[] = {"--engine=virtual", "--workload=convoy",
                                "--ops=20", "--cpu-threads=2", NULL};

    (void)state;
    check_every_trace(args);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(seed_traces_are_valid_in_real_time),
        cmocka_unit_test(seed_traces_are_valid_in_virtual_time),
        cmocka_unit_test(countdown_traces_are_valid_in_both_engines),
        cmocka_unit_test(convoy_traces_are_valid_in_virtual_time),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
