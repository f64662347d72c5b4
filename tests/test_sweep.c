/*
 * test_sweep.c - cmocka tests of `gilsim sweep` (sim/sweep.c).
 *
 * A tiny cpu sweep (2 models x 2 thread counts x 2 switch intervals, 2
 * repetitions, no plots) runs through sim_main() into a fresh mkdtemp
 * folder: sweep.tsv must hold a header and one row per cell x repeat, and
 * running the same command again must run nothing (0 cells run, the file
 * byte-identical). The recommendation, a pure function, is checked on
 * cells built here: every cell within noise (the fewest threads win), more
 * threads clearly better, and cells without repetitions ignored. No test
 * asserts on timing.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "base.h"
#include "cli.h"
#include "run.h"
#include "test_files.h"

#define FILE_MAX (1024 * 1024)

/* Remove a sweep's folder and what is in it (only what the tests made). */
static void
remove_dir(const char *path)
{
    base_remove_tree(path);
}

/* The whole of a file, NUL-terminated; its length in *len. */
static void
slurp(const char *path, char *buf, size_t cap, size_t *len)
{
    FILE *f = fopen(path, "r");

    assert_non_null(f);
    *len = fread(buf, 1, cap - 1, f);
    buf[*len] = '\0';
    fclose(f);
}

/* Run `gilsim sweep ...` through sim_main, with one more argument
 * `extra` (or NULL); stdout goes to outbuf (if not NULL), stderr to
 * errbuf. */
static int
sweep_out(const char *dir, const char *extra, char *outbuf, size_t outcap,
          char *errbuf, size_t errcap)
{
    char out_arg[4200];
    char *argv[] = {
        "gilsim",         "sweep",
        "--workload=cpu", "--count=2000",
        "--threads=1,2",  "--switch-interval=1ms,5ms",
        "--repeat=2",     "--model=threads,nogil",
        "--no-plots",     out_arg,
        (char *)extra,
    };
    int argc = (int)(sizeof(argv) / sizeof(argv[0])) - (extra == NULL);
    FILE *out = tmpfile();
    FILE *err = tmpfile();
    size_t n;
    int status;

    assert_non_null(out);
    assert_non_null(err);
    (void)snprintf(out_arg, sizeof(out_arg), "--out=%s", dir);
    status = sim_main(argc, argv, out, err);
    rewind(err);
    n = fread(errbuf, 1, errcap - 1, err);
    errbuf[n] = '\0';
    if (outbuf != NULL) {
        rewind(out);
        n = fread(outbuf, 1, outcap - 1, out);
        outbuf[n] = '\0';
    }
    fclose(out);
    fclose(err);
    return status;
}

static int
sweep_with(const char *dir, const char *extra, char *errbuf, size_t errcap)
{
    return sweep_out(dir, extra, NULL, 0, errbuf, errcap);
}

static int
sweep(const char *dir, char *errbuf, size_t errcap)
{
    return sweep_with(dir, NULL, errbuf, errcap);
}

static size_t
count_lines(const char *s)
{
    size_t n = 0;

    for (; *s != '\0'; s++) {
        n += *s == '\n';
    }
    return n;
}

static void
sweep_writes_one_row_per_cell_and_repeat_and_resume_runs_nothing(void **state)
{
    static char first[FILE_MAX], second[FILE_MAX], errbuf[FILE_MAX];
    char dir[] = "/tmp/gilsim-sweep-XXXXXX";
    char path[4200];
    size_t n1, n2;
    const char *model[2] = {"threads", "nogil"};
    int m, t, s, r;

    (void)state;
    assert_non_null(mkdtemp(dir));
    assert_int_equal(sweep(dir, errbuf, sizeof(errbuf)), SIM_EXIT_OK);
    assert_non_null(
        strstr(errbuf, "8 cells, 16 jobs (1 at once): 16 run, 0 already in"));
    (void)snprintf(path, sizeof(path), "%s/sweep.tsv", dir);
    slurp(path, first, sizeof(first), &n1);

    /* A header and 2 models x 2 threads x 2 intervals x 2 repeats. */
    assert_int_equal(count_lines(first), 1 + 2 * 2 * 2 * 2);
    assert_true(strncmp(first,
                        "model\tthreads\tprocesses\tswitch_interval_ns\t"
                        "repeat\twall_ns\tcpu_ns\tgil_wait_ns\t"
                        "forced_switches\tsteps_failed\n",
                        strlen("model\tthreads")) == 0);
    for (m = 0; m < 2; m++) {
        for (t = 1; t <= 2; t++) {
            for (s = 1; s <= 5; s += 4) {
                for (r = 0; r < 2; r++) {
                    char key[128];
                    char *p;
                    int hits = 0;

                    (void)snprintf(key, sizeof(key), "\n%s\t%d\t", model[m], t);
                    for (p = strstr(first, key); p != NULL;
                         p = strstr(p + 1, key)) {
                        int th, pr, rep;
                        long long si;

                        assert_int_equal(sscanf(p + 1, "%*s\t%d\t%d\t%lld\t%d",
                                                &th, &pr, &si, &rep),
                                         4);
                        if (si == (long long)s * 1000000 && rep == r) {
                            hits++;
                        }
                    }
                    assert_int_equal(hits, 1);
                }
            }
        }
    }

    /* The same command again: nothing runs, the file is unchanged. */
    assert_int_equal(sweep(dir, errbuf, sizeof(errbuf)), SIM_EXIT_OK);
    assert_non_null(
        strstr(errbuf, "8 cells, 16 jobs (1 at once): 0 run, 16 already in"));
    slurp(path, second, sizeof(second), &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(first, second, n1);

    /* Other settings: refused with one line naming what differs, and
     * sweep.tsv is left as it was (rows never mix). */
    assert_int_equal(sweep_with(dir, "--count=3000", errbuf, sizeof(errbuf)),
                     SIM_EXIT_USAGE);
    assert_non_null(strstr(errbuf, "--count (was 2000, now 3000)"));
    assert_int_equal(count_lines(errbuf), 1);
    assert_int_equal(sweep_with(dir, "--policy=legacy", errbuf, sizeof(errbuf)),
                     SIM_EXIT_USAGE);
    assert_non_null(strstr(errbuf, "--policy (was new, now legacy)"));
    slurp(path, second, sizeof(second), &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(first, second, n1);
    remove_dir(dir);
}

/* Run sim_main on argv; stdout into outbuf (stderr is discarded). */
static int
run_main(int argc, char **argv, char *outbuf, size_t outcap)
{
    FILE *out = tmpfile();
    FILE *err = tmpfile();
    size_t n;
    int status;

    assert_non_null(out);
    assert_non_null(err);
    status = sim_main(argc, argv, out, err);
    rewind(out);
    n = fread(outbuf, 1, outcap - 1, out);
    outbuf[n] = '\0';
    fclose(out);
    fclose(err);
    return status;
}

/* `gilsim plot` on a sweep folder rebuilds the cells from sweep.tsv alone
 * and comes to the same recommendation as the sweep did. */
/* --force-new: the earlier sweep stays as it was, the new one goes to a
 * folder beside it, and stderr says where. */
static void
force_new_leaves_the_earlier_sweep_and_starts_beside_it(void **state)
{
    char tmpl[] = "/tmp/gilsim-sweep-XXXXXX";
    char *dir = mkdtemp(tmpl);
    char path[4200], path2[4200], want[4300];
    static char errbuf[8192], first[65536], second[65536];
    size_t n1, n2;

    (void)state;
    assert_non_null(dir);
    assert_int_equal(sweep(dir, errbuf, sizeof(errbuf)), SIM_EXIT_OK);
    (void)snprintf(path, sizeof(path), "%s/sweep.tsv", dir);
    slurp(path, first, sizeof(first), &n1);
    assert_int_equal(sweep_with(dir, "--force-new", errbuf, sizeof(errbuf)),
                     SIM_EXIT_OK);
    (void)snprintf(want, sizeof(want), "this one goes to %s-2", dir);
    assert_non_null(strstr(errbuf, want));
    slurp(path, second, sizeof(second), &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(first, second, n1);
    (void)snprintf(path2, sizeof(path2), "%s-2/sweep.tsv", dir);
    slurp(path2, second, sizeof(second), &n2);
    assert_int_equal(count_lines(second), count_lines(first));
    (void)snprintf(path2, sizeof(path2), "%s-2", dir);
    remove_dir(path2);
    remove_dir(dir);
}

/* --format=json,tsv: stdout holds one JSON document with a cell per
 * model x threads x interval, then the cells as TSV; nothing else. */
static void
format_json_prints_the_cells_and_the_recommendation(void **state)
{
    char tmpl[] = "/tmp/gilsim-sweep-XXXXXX";
    char *dir = mkdtemp(tmpl);
    static char outbuf[65536], errbuf[8192];
    json_error_t jerr;
    json_t *doc;
    char *tsv;

    (void)state;
    assert_non_null(dir);
    assert_int_equal(sweep_out(dir, "--format=json,tsv", outbuf, sizeof(outbuf),
                               errbuf, sizeof(errbuf)),
                     SIM_EXIT_OK);
    assert_null(strstr(outbuf, "recommendation: "));
    tsv = strstr(outbuf, "\nmodel\tthreads\t");
    assert_non_null(tsv);
    *tsv = '\0';
    doc = json_loads(outbuf, 0, &jerr);
    if (doc == NULL) {
        fail_msg("not JSON: %s (line %d): %s", jerr.text, jerr.line, outbuf);
    }
    assert_string_equal(json_string_value(json_object_get(doc, "format")),
                        "gilsim-sweep");
    assert_int_equal(json_array_size(json_object_get(doc, "cells")), 8);
    assert_true(json_is_object(json_object_get(doc, "recommendation")));
    json_decref(doc);
    /* A header and 8 cells. */
    assert_int_equal(count_lines(tsv + 1), 9);
    remove_dir(dir);
}

static void
plot_on_a_sweep_folder_repeats_its_recommendation(void **state)
{
    static char out1[FILE_MAX], out2[FILE_MAX];
    char dir[] = "/tmp/gilsim-sweep-XXXXXX";
    char out_arg[4200];
    char *argv1[] = {"gilsim",          "sweep",         "--workload=cpu",
                     "--count=2000",    "--threads=1,2", "--repeat=2",
                     "--model=threads", "--no-plots",    out_arg};
    char *argv2[] = {"gilsim", "plot", dir};
    const char *r1;
    const char *r2;

    (void)state;
    assert_non_null(mkdtemp(dir));
    (void)snprintf(out_arg, sizeof(out_arg), "--out=%s", dir);
    assert_int_equal(run_main(9, argv1, out1, sizeof(out1)), SIM_EXIT_OK);
    assert_int_equal(run_main(3, argv2, out2, sizeof(out2)), SIM_EXIT_OK);
    r1 = strstr(out1, "recommendation: ");
    r2 = strstr(out2, "recommendation: ");
    assert_non_null(r1);
    assert_non_null(r2);
    assert_int_equal(strcspn(r1, "\n"), strcspn(r2, "\n"));
    assert_memory_equal(r1, r2, strcspn(r1, "\n"));
    /* Before the recommendation, the cells: a header and a row each, with
     * its repeats (2) and its median over the best's (one is 1.00x). */
    {
        const char *head = strstr(out1, "median (s)");
        const char *t1 = strstr(out1, "threads    threads=1 ");
        const char *t2 = strstr(out1, "threads    threads=2 ");

        assert_non_null(head);
        assert_non_null(t1);
        assert_non_null(t2);
        assert_true(head < t1 && t1 < t2 && t2 < r1);
        assert_non_null(strstr(t1, "       2 "));
        assert_true(strstr(t1, "1.00x") != NULL);
    }
    /* The folder's page has the command, the recommendation and the
     * cells' table. */
    {
        static char page[FILE_MAX];
        char path[4200];
        size_t len;

        (void)snprintf(path, sizeof(path), "%s/index.html", dir);
        slurp(path, page, sizeof(page), &len);
        assert_non_null(strstr(page, "gilsim sweep --workload=cpu"));
        assert_non_null(strstr(page, "recommendation: threads="));
        assert_non_null(strstr(page, "<table>"));
        assert_non_null(strstr(page, "</html>"));
    }
    remove_dir(dir);
}

static void
sweep_refuses_a_non_empty_folder_without_sweep_tsv(void **state)
{
    static char errbuf[FILE_MAX];
    char dir[] = "/tmp/gilsim-sweep-XXXXXX";
    char path[4200];
    FILE *f;

    (void)state;
    assert_non_null(mkdtemp(dir));
    (void)snprintf(path, sizeof(path), "%s/other.txt", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("not a sweep\n", f);
    fclose(f);
    assert_int_equal(sweep(dir, errbuf, sizeof(errbuf)), SIM_EXIT_USAGE);
    assert_non_null(strstr(errbuf, "is not empty"));
    remove_dir(dir);
}

/* A cell at `pool` threads whose repetitions took median/min/max ms. */
static struct sim_sweep_cell
cell(int pool, int median_ms, int min_ms, int max_ms)
{
    struct sim_sweep_cell c;

    memset(&c, 0, sizeof(c));
    c.model = SIM_MODEL_THREADS;
    c.threads = pool;
    c.pool = pool;
    c.switch_interval_ns = 5000000;
    c.reps = 3;
    c.wall_ns_median = (int64_t)median_ms * 1000000;
    c.wall_ns_min = (int64_t)min_ms * 1000000;
    c.wall_ns_max = (int64_t)max_ms * 1000000;
    return c;
}

static void
recommend_picks_fewest_threads_when_every_cell_is_within_noise(void **state)
{
    /* Best: 32 threads at 760 ms, spread 100 ms; all within 860 ms. */
    struct sim_sweep_cell c[] = {
        cell(8, 800, 790, 810),
        cell(1, 850, 840, 870),
        cell(32, 760, 700, 800),
        cell(4, 820, 800, 830),
    };
    struct sim_sweep_choice ch;

    (void)state;
    assert_int_equal(sim_sweep_recommend(c, 4, &ch), 0);
    assert_int_equal(ch.best, 2);
    assert_int_equal(ch.chosen, 1);
    assert_true(ch.noise_ns == 100000000);
}

static void
recommend_picks_more_threads_when_they_are_clearly_better(void **state)
{
    /* Spread of the best (16 threads) is 20 ms: only 8 (775 ms) and 16
     * are within 760 + 20; 8 is the fewer. */
    struct sim_sweep_cell c[] = {
        cell(1, 4000, 3990, 4010), cell(2, 2000, 1990, 2010),
        cell(4, 1000, 990, 1010),  cell(8, 775, 770, 790),
        cell(16, 760, 750, 770),   cell(32, 790, 780, 800),
    };
    struct sim_sweep_choice ch;

    (void)state;
    assert_int_equal(sim_sweep_recommend(c, 6, &ch), 0);
    assert_int_equal(ch.best, 4);
    assert_int_equal(ch.chosen, 3);

    /* With no spread at all, only the best itself qualifies. */
    c[4] = cell(16, 760, 760, 760);
    assert_int_equal(sim_sweep_recommend(c, 6, &ch), 0);
    assert_int_equal(ch.best, 4);
    assert_int_equal(ch.chosen, 4);
    assert_true(ch.noise_ns == 0);
}

static void
recommend_ignores_cells_without_repetitions(void **state)
{
    struct sim_sweep_cell c[] = {
        cell(1, 100, 100, 100),
        cell(2, 900, 890, 910),
    };
    struct sim_sweep_choice ch;

    (void)state;
    c[0].reps = 0;
    assert_int_equal(sim_sweep_recommend(c, 2, &ch), 0);
    assert_int_equal(ch.best, 1);
    assert_int_equal(ch.chosen, 1);
    c[1].reps = 0;
    assert_int_equal(sim_sweep_recommend(c, 2, &ch), -ENOENT);
}

/* A list of several --concurrency values is the loop's axis: its cells
 * run at each (at the first --threads), sweep.tsv says which, and the
 * recommendation names it. A sweep.tsv of an earlier gilsim (no
 * concurrency column) is still read by `gilsim plot`. */
static void
concurrency_lists_are_the_loop_s_axis(void **state)
{
    char *dir = tf_make_dir("gilsim-sweep-conc");
    char out_arg[4200], path[4200], buf[8192], errbuf[8192], first[8192];
    char *argv[] = {"gilsim",
                    "sweep",
                    "--workload=cpu",
                    "--count=2000",
                    "--model=loop,threads",
                    "--threads=1,2",
                    "--concurrency=1,3",
                    "--engine=virtual",
                    "--no-plots",
                    out_arg};
    FILE *out = tmpfile(), *err = tmpfile();
    size_t len, n;

    (void)state;
    (void)snprintf(out_arg, sizeof(out_arg), "--out=%s", dir);
    assert_int_equal(sim_main(10, argv, out, err), 0);
    rewind(out);
    n = fread(first, 1, sizeof(first) - 1, out);
    first[n] = '\0';
    (void)snprintf(path, sizeof(path), "%s/sweep.tsv", dir);
    slurp(path, buf, sizeof(buf), &len);
    assert_non_null(strstr(buf, "\tconcurrency\n"));
    /* loop at concurrency 1 and 3 with one offload thread; threads at 1
     * and 2 with the concurrency option's first value */
    assert_non_null(strstr(buf, "\nloop\t1\t"));
    assert_null(strstr(buf, "\nloop\t2\t"));
    assert_non_null(strstr(buf, "\t1\n"));
    assert_non_null(strstr(buf, "\t3\n"));
    assert_non_null(strstr(buf, "\nthreads\t2\t"));
    fclose(out);
    fclose(err);
    /* gilsim plot rebuilds the same cells from sweep.tsv alone: the same
     * recommendation, naming the same cell. */
    {
        char *pargv[] = {"gilsim", "plot", dir};
        char *rec = strstr(first, "recommendation:");

        assert_non_null(rec);
        *strchr(rec, '\n') = '\0';
        out = tmpfile();
        err = tmpfile();
        assert_int_equal(sim_main(3, pargv, out, err), 0);
        rewind(out);
        n = fread(errbuf, 1, sizeof(errbuf) - 1, out);
        errbuf[n] = '\0';
        assert_non_null(strstr(errbuf, rec));
        fclose(out);
        fclose(err);
    }

    /* A sweep.tsv of an earlier gilsim: its header and rows without the
     * column (its loop had no concurrency axis). */
    {
        FILE *f = fopen(path, "w");

        assert_non_null(f);
        fputs("model\tthreads\tprocesses\tswitch_interval_ns\trepeat\twall_ns"
              "\tcpu_ns\tgil_wait_ns\tforced_switches\tsteps_failed\n"
              "threads\t1\t2\t5000000\t0\t65600\t39000\t0\t0\t0\n"
              "threads\t2\t2\t5000000\t0\t59835\t27000\t0\t0\t0\n",
              f);
        fclose(f);
    }
    {
        char *pargv[] = {"gilsim", "plot", dir};

        out = tmpfile();
        err = tmpfile();
        assert_int_equal(sim_main(3, pargv, out, err), 0);
        rewind(err);
        n = fread(errbuf, 1, sizeof(errbuf) - 1, err);
        errbuf[n] = '\0';
        rewind(out);
        n = fread(buf, 1, sizeof(buf) - 1, out);
        buf[n] = '\0';
        assert_non_null(strstr(buf, "recommendation: threads=2"));
        fclose(out);
        fclose(err);
    }
    tf_remove_tree(dir);
    free(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            sweep_writes_one_row_per_cell_and_repeat_and_resume_runs_nothing),
        cmocka_unit_test(sweep_refuses_a_non_empty_folder_without_sweep_tsv),
        cmocka_unit_test(plot_on_a_sweep_folder_repeats_its_recommendation),
        cmocka_unit_test(
            force_new_leaves_the_earlier_sweep_and_starts_beside_it),
        cmocka_unit_test(format_json_prints_the_cells_and_the_recommendation),
        cmocka_unit_test(
            recommend_picks_fewest_threads_when_every_cell_is_within_noise),
        cmocka_unit_test(
            recommend_picks_more_threads_when_they_are_clearly_better),
        cmocka_unit_test(recommend_ignores_cells_without_repetitions),
        cmocka_unit_test(concurrency_lists_are_the_loop_s_axis),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
