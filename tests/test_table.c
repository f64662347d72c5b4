/*
 * test_table.c - the comparison table's statistics and its formats
 * (sim/table.c), on summaries made up here, so every number is known.
 *
 * The speed-up of repeated runs is the ratio of the means with the sd
 * propagated from both; single runs have no ±; the verdict names the
 * fastest run; a wide spread of repetitions is warned about and a narrow
 * one is not; Markdown escapes the '*' of a p99 from few samples; TSV has
 * as many fields in every line as in its header; a p99 from fewer than
 * SIM_REPORT_FEW_SAMPLES samples is marked.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "report.h"

/* A run of `model` with the given mean and sd of wall time (ns). */
static struct sim_trace_summary
run_of(const char *model, int repeat, int64_t mean, int64_t sd)
{
    struct sim_trace_summary s;

    memset(&s, 0, sizeof(s));
    (void)snprintf(s.model, sizeof(s.model), "%s", model);
    s.threads = 4;
    s.repeat = repeat;
    s.wall_ns = mean;
    s.wall_ns_mean = mean;
    s.wall_ns_sd = sd;
    s.wall_ns_min = mean - sd;
    s.wall_ns_max = mean + sd;
    s.cpu_ns = mean;
    return s;
}

/* The text that `print` writes for `runs`, in a malloc'd string. */
static char *
printed(void (*print)(const struct sim_trace_summary *, size_t, FILE *),
        const struct sim_trace_summary *runs, size_t n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    assert_non_null(f);
    print(runs, n, f);
    assert_int_equal(fclose(f), 0);
    return buf;
}

static void
speedup_of_repeated_runs_carries_both_sds(void **state)
{
    struct sim_trace_summary serial = run_of("serial", 5, 2000000000, 40000000);
    struct sim_trace_summary loop = run_of("loop", 5, 100000000, 3000000);
    double ratio, sd, want;

    (void)state;
    assert_int_equal(sim_table_speedup(&serial, &loop, &ratio, &sd), 0);
    assert_true(fabs(ratio - 20.0) < 1e-9);
    /* 20 * sqrt(0.02^2 + 0.03^2) */
    want = 20.0 * sqrt(0.02 * 0.02 + 0.03 * 0.03);
    assert_true(fabs(sd - want) < 1e-9);
    /* Against itself: exactly 1, no spread. */
    assert_int_equal(sim_table_speedup(&serial, &serial, &ratio, &sd), 0);
    assert_true(ratio == 1.0 && sd == 0.0);
    /* No serial: no speed-up. */
    assert_int_equal(sim_table_speedup(NULL, &loop, &ratio, &sd), -1);
}

static void
single_runs_have_no_plus_minus(void **state)
{
    struct sim_trace_summary runs[2];
    char verdict[256];
    double ratio, sd;
    char *text;

    (void)state;
    runs[0] = run_of("serial", 1, 3000000000, 0);
    runs[1] = run_of("threads", 1, 1000000000, 0);
    assert_int_equal(sim_table_speedup(&runs[0], &runs[1], &ratio, &sd), 0);
    assert_true(fabs(ratio - 3.0) < 1e-9 && sd == 0.0);
    sim_table_verdict(runs, 2, verdict, sizeof(verdict));
    assert_non_null(strstr(verdict, "fastest: threads, 3.00 times faster"));
    assert_null(strstr(verdict, "3.00 \xc2\xb1"));
    text = printed(sim_table_print, runs, 2);
    assert_non_null(strstr(text, "3.00x"));
    assert_null(strstr(text, "mean \xc2\xb1"));
    free(text);
}

/* Issue 20 (clang's UBSan): with --repeat and fetches the table has 17
 * columns, one more than it had room for; every header is there, the
 * last one "failed", and each row's first cell is its model's name. */
static void
repeated_runs_with_fetches_have_all_seventeen_columns(void **state)
{
    struct sim_trace_summary runs[2];
    char *text;
    size_t head; /* the header line's length */

    (void)state;
    runs[0] = run_of("serial", 3, 2000000000, 40000000);
    runs[1] = run_of("threads", 3, 500000000, 5000000);
    runs[0].stats.fetches = runs[1].stats.fetches = 25;
    text = printed(sim_table_print, runs, 2);
    head = strcspn(text, "\n");
    assert_int_equal(text[head], '\n');
    text[head] = '\0';
    assert_non_null(strstr(text, "fetch p50 (ms)"));
    assert_non_null(strstr(text, "mean \xc2\xb1 \xcf\x83 (s)"));
    assert_non_null(strstr(text, "failed"));
    assert_int_equal(strncmp(text + head + 1, "serial", 6), 0);
    assert_non_null(strstr(text + head + 1, "\nthreads"));
    free(text);
}

static void
verdict_names_the_fastest_with_its_spread(void **state)
{
    struct sim_trace_summary runs[3];
    char verdict[256];
    char *text;

    (void)state;
    runs[0] = run_of("serial", 5, 2000000000, 40000000);
    runs[1] = run_of("loop", 5, 100000000, 3000000);
    runs[2] = run_of("threads", 5, 500000000, 5000000);
    assert_int_equal(sim_table_fastest(runs, 3), 1);
    sim_table_verdict(runs, 3, verdict, sizeof(verdict));
    assert_non_null(strstr(verdict, "fastest: loop, 20.00 \xc2\xb1 0.72 times "
                                    "faster than serial"));
    assert_non_null(strstr(
        verdict, "; best thread pool: threads (4 threads), 4.00x serial"));
    text = printed(sim_table_print, runs, 3);
    assert_non_null(strstr(text, verdict));
    assert_non_null(strstr(text, "20.00 \xc2\xb1 0.72x"));
    assert_non_null(strstr(text, "0.100 \xc2\xb1 0.003"));
    free(text);
    /* Without serial, the verdict says there is nothing to compare. */
    sim_table_verdict(runs + 1, 2, verdict, sizeof(verdict));
    assert_non_null(strstr(verdict, "fastest: loop (no serial run"));
    /* When serial is the fastest, it says so. */
    runs[0].wall_ns = runs[0].wall_ns_mean = 1000;
    sim_table_verdict(runs, 3, verdict, sizeof(verdict));
    assert_non_null(strstr(verdict, "fastest: serial"));
}

static void
a_wide_spread_is_warned_and_a_narrow_one_is_not(void **state)
{
    struct sim_trace_summary runs[2];
    char line[512];
    char *text;

    (void)state;
    runs[0] = run_of("serial", 5, 1000000000, 20000000);   /* 2% */
    runs[1] = run_of("threads", 5, 1000000000, 250000000); /* 25% */
    assert_int_equal(sim_table_spread_warning(&runs[0], line, sizeof(line)), 0);
    assert_string_equal(line, "");
    assert_int_equal(sim_table_spread_warning(&runs[1], line, sizeof(line)), 1);
    assert_non_null(strstr(line, "warning: threads: its 5 repetitions spread "
                                 "widely (\xcf\x83 25% of the mean"));
    text = printed(sim_table_print, runs, 2);
    assert_non_null(strstr(text, "warning: threads:"));
    assert_null(strstr(text, "warning: serial:"));
    free(text);
    /* One repetition has no spread to warn about. */
    runs[1].repeat = 1;
    assert_int_equal(sim_table_spread_warning(&runs[1], line, sizeof(line)), 0);
}

static void
markdown_escapes_the_few_samples_mark(void **state)
{
    struct sim_trace_summary runs[2];
    char *text;

    (void)state;
    runs[0] = run_of("serial", 1, 2000000, 0);
    runs[1] = run_of("threads", 1, 1000000, 0);
    runs[1].stats.handoffs = 12; /* fewer than SIM_REPORT_FEW_SAMPLES */
    runs[1].stats.handoff_p50_ns = 40000;
    runs[1].stats.handoff_p99_ns = 90000;
    text = printed(sim_table_print_md, runs, 2);
    assert_non_null(strstr(text, "| model | threads | wall (s) |"));
    assert_non_null(strstr(text, "|---|---:|"));
    assert_non_null(strstr(text, "| 90\\* |"));
    assert_null(strstr(text, "| 90* |"));
    free(text);
    text = printed(sim_table_print, runs, 2);
    assert_non_null(strstr(text, "90*"));
    assert_non_null(strstr(text, "*: from fewer than 100 samples"));
    free(text);
}

/* Fields of a TSV line: tabs + 1. */
static size_t
fields(const char *line, size_t len)
{
    size_t i, n = 1;

    for (i = 0; i < len; i++) {
        n += line[i] == '\t';
    }
    return n;
}

static void
tsv_lines_have_the_header_s_fields(void **state)
{
    struct sim_trace_summary runs[3];
    char *text, *p;
    size_t want = 0, lines = 0;

    (void)state;
    runs[0] = run_of("serial", 3, 2000000, 10000);
    runs[1] = run_of("threads", 3, 1000000, 10000);
    runs[2] = run_of("nogil", 3, 500000, 10000);
    runs[2].stats.fetches = 25;
    runs[2].stats.fetch_p50_ns = 7;
    text = printed(sim_table_print_tsv, runs, 3);
    for (p = text; *p != '\0'; lines++) {
        char *nl = strchr(p, '\n');

        assert_non_null(nl);
        if (lines == 0) {
            want = fields(p, (size_t)(nl - p));
            assert_true(want > 10);
        } else {
            assert_int_equal(fields(p, (size_t)(nl - p)), want);
        }
        p = nl + 1;
    }
    assert_int_equal(lines, 4);
    /* The numbers are raw: ns, no units, no dashes. */
    assert_non_null(strstr(text, "threads\t4\t0\t3\t1000000\t1000000\t10000"));
    assert_null(strstr(text, "\xe2\x80\x94"));
    free(text);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(speedup_of_repeated_runs_carries_both_sds),
        cmocka_unit_test(single_runs_have_no_plus_minus),
        cmocka_unit_test(verdict_names_the_fastest_with_its_spread),
        cmocka_unit_test(repeated_runs_with_fetches_have_all_seventeen_columns),
        cmocka_unit_test(a_wide_spread_is_warned_and_a_narrow_one_is_not),
        cmocka_unit_test(markdown_escapes_the_few_samples_mark),
        cmocka_unit_test(tsv_lines_have_the_header_s_fields),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
