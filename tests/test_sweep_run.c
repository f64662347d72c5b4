/*
 * test_sweep_run.c - cmocka tests of how a local `gilsim sweep` runs its
 * jobs (sim/sweep_run.c): through the plan's files and cells/ folders,
 * several at once under the virtual engine, resumed after a job was cut,
 * stopped by a job that fails, and refused on folders it cannot resume.
 *
 * The sweeps are small virtual ones (deterministic: their wall times are
 * simulated), run through sim_main in this process; sweep.tsv is compared
 * without its cpu_ns column, the one figure measured on the host. No test
 * asserts on timing.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli_runner.h"
#include "run.h"
#include "test_files.h"

#define N_JOBS 16 /* (3 threads + 3 nogil + 2 processes cells) x 2 */

/* gilsim sweep of the small virtual sweep into dir, with `extra` (or
 * NULL) as one more argument. */
static void
sweep(struct cmd *c, const char *dir, const char *extra)
{
    char out[4200];

    (void)snprintf(out, sizeof(out), "--out=%.4000s", dir);
    run(c, "sweep", "--engine=virtual", "--cores=4", "--pages=40",
        "--threads=1,2,4", "--processes=1,2", "--model=threads,nogil,processes",
        "--repeat=2", "--no-plots", out, extra, NULL);
}

/* dir/name's text with the 7th column (cpu_ns) of every line cut. */
static char *
without_cpu(const char *dir, const char *name)
{
    char path[4200];
    char *text, *cut, *w;
    const char *p;
    int col = 1;

    (void)snprintf(path, sizeof(path), "%s/%s", dir, name);
    text = tf_read(path, NULL);
    cut = malloc(strlen(text) + 1);
    assert_non_null(cut);
    for (p = text, w = cut; *p != '\0'; p++) {
        if (*p == '\n') {
            col = 1;
        } else if (*p == '\t') {
            col++;
        }
        if (col != 7) {
            *w++ = *p;
        }
    }
    *w = '\0';
    free(text);
    return cut;
}

static size_t
lines(const char *s)
{
    size_t n = 0;

    for (; *s != '\0'; s++) {
        n += *s == '\n';
    }
    return n;
}

/* The id of job k as jobs.txt's line k + 1 names its folder. */
static void
job_id(const char *dir, size_t k, char *id, size_t len)
{
    char path[4200];
    char *text = NULL, *line, *cells;
    size_t i;

    (void)snprintf(path, sizeof(path), "%s/jobs.txt", dir);
    text = tf_read(path, NULL);
    line = text;
    for (i = 0; i < k; i++) {
        line = strchr(line, '\n');
        assert_non_null(line);
        line++;
    }
    cells = strstr(line, "/cells/");
    assert_non_null(cells);
    cells += strlen("/cells/");
    (void)snprintf(id, len, "%.*s", (int)strcspn(cells, "\n' "), cells);
    free(text);
}

static int
exists(const char *dir, const char *name)
{
    char path[4400];
    struct stat st;

    (void)snprintf(path, sizeof(path), "%.4000s/%.300s", dir, name);
    return stat(path, &st) == 0;
}

/* Several jobs at once (each in a child process) make the same sweep as
 * one at a time, through the same plan: jobs.txt, plan.json and one
 * folder a job in cells/. */
static void
jobs_at_once_make_the_same_virtual_sweep_as_one_at_a_time(void **state)
{
    char *one = tf_make_dir("gilsim-sweep-j1");
    char *three = tf_make_dir("gilsim-sweep-j3");
    char *a, *b, path[4400];
    struct cmd c;
    size_t k;

    (void)state;
    sweep(&c, one, "-j1");
    assert_int_equal(c.status, SIM_EXIT_OK);
    assert_non_null(strstr(c.err, "8 cells, 16 jobs (1 at once): 16 run"));
    cmd_clear(&c);
    sweep(&c, three, "--jobs=3");
    assert_int_equal(c.status, SIM_EXIT_OK);
    assert_non_null(strstr(c.err, "8 cells, 16 jobs (3 at once): 16 run"));
    assert_non_null(strstr(c.out, "recommendation: "));
    cmd_clear(&c);

    a = without_cpu(one, "sweep.tsv");
    b = without_cpu(three, "sweep.tsv");
    assert_int_equal(lines(a), 1 + N_JOBS);
    assert_string_equal(a, b);
    free(a);
    free(b);
    assert_true(exists(three, "plan.json"));
    assert_true(exists(three, "run-parallel.sh"));
    (void)snprintf(path, sizeof(path), "%s/jobs.txt", three);
    a = tf_read(path, NULL);
    assert_int_equal(lines(a), N_JOBS);
    free(a);
    for (k = 0; k < N_JOBS; k++) {
        char id[200], sub[400];

        job_id(three, k, id, sizeof(id));
        (void)snprintf(sub, sizeof(sub), "cells/%s/summary.json", id);
        assert_true(exists(three, sub));
        (void)snprintf(sub, sizeof(sub), "cells/%s.part", id);
        assert_false(exists(three, sub));
    }
    tf_remove_tree(one);
    tf_remove_tree(three);
    free(one);
    free(three);
}

/* A parent that ignores SIGCHLD (its children then reap themselves)
 * does not make the jobs vanish: the sweep reaps its own, collects them
 * and keeps its folder. */
static void
jobs_are_reaped_when_the_parent_ignores_sigchld(void **state)
{
    char *dir = tf_make_dir("gilsim-sweep-chld");
    struct sigaction ign, old;
    struct cmd c;
    char *tsv;

    (void)state;
    memset(&ign, 0, sizeof(ign));
    ign.sa_handler = SIG_IGN;
    assert_int_equal(sigaction(SIGCHLD, &ign, &old), 0);
    sweep(&c, dir, "-j2");
    assert_int_equal(sigaction(SIGCHLD, &old, NULL), 0);
    assert_int_equal(c.status, SIM_EXIT_OK);
    assert_non_null(strstr(c.err, "16 jobs (2 at once): 16 run, 0 already"));
    cmd_clear(&c);
    tsv = without_cpu(dir, "sweep.tsv");
    assert_int_equal(lines(tsv), 1 + N_JOBS);
    free(tsv);
    tf_remove_tree(dir);
    free(dir);
}

/* What a killed job leaves (cells/ID.part) is cleared and that job alone
 * runs again; the sweep comes out as it was. */
static void
a_cut_job_runs_again_and_only_it(void **state)
{
    char *dir = tf_make_dir("gilsim-sweep-cut");
    char id[200], sub[400], path[4400];
    char *before, *after;
    struct cmd c;

    (void)state;
    sweep(&c, dir, NULL);
    assert_int_equal(c.status, SIM_EXIT_OK);
    cmd_clear(&c);
    before = without_cpu(dir, "sweep.tsv");
    job_id(dir, 5, id, sizeof(id));
    (void)snprintf(path, sizeof(path), "%s/cells/%s", dir, id);
    tf_remove_tree(path);
    (void)snprintf(path, sizeof(path), "%s/cells/%s.part", dir, id);
    assert_int_equal(mkdir(path, 0777), 0);
    (void)snprintf(path, sizeof(path), "%s/cells/%s.part/failed.txt", dir, id);
    tf_write(path, "exit status 130\n");

    sweep(&c, dir, "-j2");
    assert_int_equal(c.status, SIM_EXIT_OK);
    assert_non_null(strstr(c.err, "16 jobs (2 at once): 1 run, 15 already"));
    cmd_clear(&c);
    (void)snprintf(sub, sizeof(sub), "cells/%s.part", id);
    assert_false(exists(dir, sub));
    (void)snprintf(sub, sizeof(sub), "cells/%s/summary.json", id);
    assert_true(exists(dir, sub));
    after = without_cpu(dir, "sweep.tsv");
    assert_string_equal(before, after);
    free(before);
    free(after);
    tf_remove_tree(dir);
    free(dir);
}

/* A job that fails with an error (its folder's place taken by a file:
 * the finished run cannot be renamed there) stops new jobs from
 * starting; the sweep says which and exits with its status, and what
 * finished is still collected. */
static void
a_failing_job_stops_the_sweep(void **state)
{
    static const char *const at_once[] = {"-j1", "-j2"};
    char id[200], path[4400];
    size_t i, k;

    (void)state;
    for (i = 0; i < 2; i++) {
        char *dir = tf_make_dir("gilsim-sweep-fail");
        char want[300];
        struct cmd c;

        sweep(&c, dir, NULL);
        assert_int_equal(c.status, SIM_EXIT_OK);
        cmd_clear(&c);
        /* Every job but the last to be run again; the first cannot. */
        for (k = 0; k + 1 < N_JOBS; k++) {
            job_id(dir, k, id, sizeof(id));
            (void)snprintf(path, sizeof(path), "%s/cells/%s", dir, id);
            tf_remove_tree(path);
        }
        job_id(dir, 0, id, sizeof(id));
        (void)snprintf(path, sizeof(path), "%s/cells/%s", dir, id);
        tf_write(path, "not a folder\n");

        sweep(&c, dir, at_once[i]);
        assert_int_equal(c.status, SIM_EXIT_ERROR);
        (void)snprintf(want, sizeof(want),
                       "job %s failed (exit status 3); no further job is "
                       "started",
                       id);
        assert_non_null(strstr(c.err, want));
        /* One at a time, nothing after it; at two, the jobs beside it
         * finish as they may, in any order. */
        assert_non_null(
            strstr(c.err, i == 0 ? ": 1 run, 1 already" : " run, 1 already"));
        (void)snprintf(want, sizeof(want), "failed: %s (line 1 of jobs.txt)",
                       id);
        assert_non_null(strstr(c.err, want));
        assert_non_null(strstr(c.err, "not finished; rerun the same command"));
        cmd_clear(&c);
        if (i == 0) {
            char *tsv;

            (void)snprintf(path, sizeof(path), "%s/sweep.tsv", dir);
            tsv = tf_read(path, NULL);
            assert_int_equal(lines(tsv), 2); /* the header, the last job */
            free(tsv);
        }
        tf_remove_tree(dir);
        free(dir);
    }
}

/* A sweep of an earlier gilsim (sweep.tsv, no cells/) and a --plan
 * folder are not resumed: refused with what to do, left as they were;
 * --force-new starts beside the old one. -j needs the virtual engine. */
static void
folders_it_cannot_resume_are_refused(void **state)
{
    char *dir = tf_make_dir("gilsim-sweep-old");
    char *plan = tf_make_dir("gilsim-sweep-plan");
    char path[4400], arg[4400], beside[4400];
    char *tsv;
    struct cmd c;

    (void)state;
    (void)snprintf(path, sizeof(path), "%s/sweep.tsv", dir);
    tf_write(path, "model\tthreads\n");
    sweep(&c, dir, NULL);
    assert_int_equal(c.status, SIM_EXIT_USAGE);
    assert_non_null(strstr(c.err, "a sweep of an earlier gilsim"));
    assert_int_equal(lines(c.err), 1);
    cmd_clear(&c);
    tsv = tf_read(path, NULL);
    assert_string_equal(tsv, "model\tthreads\n");
    free(tsv);
    assert_false(exists(dir, "cells"));
    sweep(&c, dir, "--force-new");
    assert_int_equal(c.status, SIM_EXIT_OK);
    (void)snprintf(beside, sizeof(beside), "%s-2", dir);
    assert_non_null(strstr(c.err, beside));
    assert_true(exists(beside, "cells"));
    cmd_clear(&c);
    /* Named with a slash at its end, the folder beside is still beside. */
    (void)snprintf(path, sizeof(path), "%s/", dir);
    sweep(&c, path, "--force-new");
    assert_int_equal(c.status, SIM_EXIT_OK);
    assert_false(exists(dir, "-3"));
    (void)snprintf(path, sizeof(path), "%s-3", dir);
    assert_true(exists(path, "cells"));
    tf_remove_tree(path);
    cmd_clear(&c);

    (void)snprintf(arg, sizeof(arg), "--plan=%s", plan);
    run(&c, "sweep", "--engine=virtual", "--threads=1,2", arg, NULL);
    assert_int_equal(c.status, SIM_EXIT_OK);
    cmd_clear(&c);
    sweep(&c, plan, NULL);
    assert_int_equal(c.status, SIM_EXIT_USAGE);
    assert_non_null(strstr(c.err, "a plan written by --plan"));
    cmd_clear(&c);

    run(&c, "sweep", "--workload=cpu", "-j", "2", NULL);
    assert_int_equal(c.status, SIM_EXIT_USAGE);
    assert_non_null(
        strstr(c.err, "--jobs=2: applies only to --engine=virtual"));
    cmd_clear(&c);
    run(&c, "sweep", "--engine=virtual", "-j", NULL);
    assert_int_equal(c.status, SIM_EXIT_USAGE);
    assert_non_null(strstr(c.err, "--jobs="));
    cmd_clear(&c);

    tf_remove_tree(beside);
    tf_remove_tree(dir);
    tf_remove_tree(plan);
    free(dir);
    free(plan);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            jobs_at_once_make_the_same_virtual_sweep_as_one_at_a_time),
        cmocka_unit_test(jobs_are_reaped_when_the_parent_ignores_sigchld),
        cmocka_unit_test(a_cut_job_runs_again_and_only_it),
        cmocka_unit_test(a_failing_job_stops_the_sweep),
        cmocka_unit_test(folders_it_cannot_resume_are_refused),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
