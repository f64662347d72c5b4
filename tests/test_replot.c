/*
 * test_replot.c - cmocka tests of `gilsim plot RUN_DIR` and index.html:
 * reading a trace.tsv back (sim_trace_read_tsv), reading summary.json back
 * (sim_report_read_summary), and the command itself on a tiny real run.
 *
 * The round trips build their input by hand, write it with gilsim's own
 * writers into memory (open_memstream) and read it back (fmemopen), then
 * compare field by field. The command tests run the whole CLI in this
 * process through sim_main() in a fresh mkdtemp folder; those that need
 * pictures are skipped, saying so, when gnuplot is not on PATH. Nothing
 * here depends on timing.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base.h"
#include "cli.h"
#include "report.h"
#include "test_files.h"
#include "trace.h"

/* ---- helpers ------------------------------------------------------------ */

static int
gnuplot_on_path(void)
{
    const char *path = getenv("PATH");
    const char *p, *end;

    if (path == NULL) {
        return 0;
    }
    for (p = path; *p != '\0'; p = *end == '\0' ? end : end + 1) {
        char file[4200];
        size_t n;

        end = strchr(p, ':');
        if (end == NULL) {
            end = p + strlen(p);
        }
        n = (size_t)(end - p);
        if (n == 0 || n > 4000) {
            continue;
        }
        (void)snprintf(file, sizeof(file), "%.*s/gnuplot", (int)n, p);
        if (access(file, X_OK) == 0) {
            return 1;
        }
    }
    return 0;
}

#define SKIP_WITHOUT_GNUPLOT()                                                 \
    do {                                                                       \
        if (!gnuplot_on_path()) {                                              \
            print_message("gnuplot is not on PATH: skipping a test that "      \
                          "renders with it\n");                                \
            skip();                                                            \
        }                                                                      \
    } while (0)

static int
is_png(const char *path)
{
    static const unsigned char sig[8] = {0x89, 'P',  'N',  'G',
                                         '\r', '\n', 0x1a, '\n'};
    unsigned char head[8];
    FILE *f = fopen(path, "rb");
    size_t got;

    if (f == NULL) {
        return 0;
    }
    got = fread(head, 1, sizeof(head), f);
    fclose(f);
    return got == sizeof(head) && memcmp(head, sig, sizeof(sig)) == 0;
}

/* Runs the CLI in this process; stdout and stderr go to memory. */
static int
run_cli(char **out_text, char **err_text, int argc, ...)
{
    char *argv[16];
    size_t olen, elen;
    FILE *out, *err;
    va_list ap;
    int i, status;

    assert_true(argc < 16);
    va_start(ap, argc);
    for (i = 0; i < argc; i++) {
        argv[i] = va_arg(ap, char *);
    }
    va_end(ap);
    argv[argc] = NULL;
    *out_text = NULL;
    *err_text = NULL;
    out = open_memstream(out_text, &olen);
    err = open_memstream(err_text, &elen);
    assert_non_null(out);
    assert_non_null(err);
    status = sim_main(argc, argv, out, err);
    fclose(out);
    fclose(err);
    return status;
}

/* ---- trace.tsv back into a trace ---------------------------------------- */

struct ev_spec {
    int thread;
    int64_t t_ns;
    enum sim_ev kind;
    int detail;
    int outcome;
    int32_t task;
    int64_t arg;
};

static void
tsv_round_trip_keeps_threads_and_events(void **state)
{
    static const struct ev_spec spec[] = {
        {0, 1000, SIM_EV_THREAD_START, 0, 0, -1, 0},
        {1, 1000, SIM_EV_THREAD_START, 0, 0, -1, 0},
        {2, 1005, SIM_EV_THREAD_START, 0, 0, -1, 0},
        {0, 1010, SIM_EV_GIL_TAKE, 0, 0, -1, 1},
        {0, 1020, SIM_EV_TASK_BEGIN, 0, 0, 7, 0},
        {0, 1030, SIM_EV_STEP_BEGIN, SIM_STEP_FETCH, 0, 7, 0},
        {1, 1040, SIM_EV_GIL_WAIT, 0, 0, -1, 0},
        {0, 1050, SIM_EV_GIL_DROP, SIM_DROP_IO, 0, 7, 0},
        {1, 1060, SIM_EV_GIL_TAKE, 0, 0, -1, 1},
        {2, 1070, SIM_EV_GIL_WAIT, 0, 0, -1, 0},
        {2, 6070, SIM_EV_GIL_DROP_REQUEST, 0, 0, -1, 0},
        {1, 6080, SIM_EV_GIL_DROP, SIM_DROP_FORCED, 0, -1, 0},
        {2, 6090, SIM_EV_GIL_TAKE, 0, 0, -1, 1},
        {0, 9000, SIM_EV_STEP_END, SIM_STEP_FETCH, SIM_OUT_TIMEOUT, 7,
         INT64_C(123456789012)},
        {0, 9000, SIM_EV_TASK_END, 0, SIM_OUT_TIMEOUT, 7, 0},
        {2, 9100, SIM_EV_STEP_END, SIM_STEP_WRITE, SIM_OUT_OK, 3, 65536},
        {2, 9200, SIM_EV_RESULT, 0, 0, 3, 2},
        {2, 9300, SIM_EV_GIL_DROP, SIM_DROP_EXIT, 0, -1, 0},
        {1, 9400, SIM_EV_GIL_DROP, SIM_DROP_YIELD, 0, -1, 0},
        {0, 9500, SIM_EV_THREAD_END, 0, 0, -1, 0},
        {1, 9500, SIM_EV_THREAD_END, 0, 0, -1, 0},
        {2, 9600, SIM_EV_THREAD_END, 0, 0, -1, 0},
    };
    static const char *const names[] = {"main", "thread-1", "worker 2"};
    struct sim_trace_config cfg = {4, 64, 0, 1000};
    struct sim_trace *t, *back = NULL;
    struct sim_trace_buf *b[3];
    char *text = NULL;
    size_t len = 0;
    char err[256];
    FILE *f;
    size_t i, k;

    (void)state;
    assert_int_equal(sim_trace_new(&cfg, &t), 0);
    for (i = 0; i < 3; i++) {
        assert_int_equal(
            sim_trace_add_thread(t, names[i], (int)i, (int)i * 2, &b[i]), 0);
    }
    for (i = 0; i < sizeof(spec) / sizeof(spec[0]); i++) {
        const struct ev_spec *s = &spec[i];

        sim_trace_record(b[s->thread], s->t_ns, s->kind, s->detail, s->outcome,
                         s->task, s->arg);
    }
    f = open_memstream(&text, &len);
    assert_non_null(f);
    assert_int_equal(sim_trace_write_tsv(t, f), 0);
    fclose(f);

    f = fmemopen(text, len, "r");
    assert_non_null(f);
    assert_int_equal(sim_trace_read_tsv_msg(f, &back, err, sizeof(err)), 0);
    fclose(f);

    assert_int_equal(sim_trace_origin_ns(back), 0);
    assert_int_equal(sim_trace_thread_count(back), 3);
    for (i = 0; i < 3; i++) {
        const struct sim_trace_buf *x = sim_trace_thread(t, i);
        const struct sim_trace_buf *y = sim_trace_thread(back, i);

        assert_string_equal(y->name, x->name);
        assert_int_equal(y->id, x->id);
        assert_int_equal(y->process, x->process);
        assert_int_equal(y->gil, x->gil);
        assert_int_equal(y->n, x->n);
        assert_int_equal(y->lost, 0);
        for (k = 0; k < x->n; k++) {
            const struct sim_trace_event *e = &x->ev[k];
            const struct sim_trace_event *g = &y->ev[k];

            /* The file's times count from the origin. */
            assert_int_equal(g->t_ns, e->t_ns - 1000);
            assert_int_equal(g->kind, e->kind);
            assert_int_equal(g->detail, e->detail);
            assert_int_equal(g->outcome, e->outcome);
            assert_int_equal(g->task, e->task);
            assert_int_equal(g->arg, e->arg);
        }
    }
    sim_trace_free(back);
    sim_trace_free(t);
    free(text);
}

#define TSV_HEADER                                                             \
    "t_ns\tthread\tprocess\tgil\tthread_name\tevent\tdetail\toutcome\ttask"    \
    "\targ\n"
#define TSV_GOOD "0\t0\t0\t0\tserial\tthread_start\t-\t-\t-1\t0\n"

/* Reads `text`; returns the code and leaves the message in err. */
static int
read_text(const char *text, char *err, size_t errlen)
{
    struct sim_trace *t = NULL;
    FILE *f = fmemopen((void *)text, strlen(text), "r");
    int rc;

    assert_non_null(f);
    rc = sim_trace_read_tsv_msg(f, &t, err, errlen);
    fclose(f);
    sim_trace_free(t);
    return rc;
}

static void
malformed_tsv_is_rejected_with_its_line_number(void **state)
{
    static const struct {
        const char *text;
        const char *want;
    } cases[] = {
        {TSV_HEADER TSV_GOOD "5\t0\t0\t0\tserial\tgil_bogus\t-\t-\t-1\t0\n",
         "line 3: unknown event 'gil_bogus'"},
        {TSV_HEADER TSV_GOOD TSV_GOOD "5\t0\t0\t0\tserial\tgil_take\t-\t-\n",
         "line 4: 8 fields, expected 10"},
        {TSV_HEADER "x\t0\t0\t0\tserial\tthread_start\t-\t-\t-1\t0\n",
         "line 2: t_ns 'x' is not a whole number"},
        /* Issue 20: times near INT64_MAX overflowed the plots. */
        {TSV_HEADER "9223372036854775797\t0\t0\t0\tserial\tthread_start\t-"
                    "\t-\t-1\t0\n",
         "line 2: t_ns '9223372036854775797' is not a whole number from 0"},
        {TSV_HEADER "-5\t0\t0\t0\tserial\tthread_start\t-\t-\t-1\t0\n",
         "line 2: t_ns '-5' is not a whole number from 0"},
        {TSV_HEADER "1\t0\t0\t0\tserial\tgil_drop\tsideways\t-\t-1\t0\n",
         "line 2: detail 'sideways' does not fit event gil_drop"},
        {TSV_HEADER "1\t0\t0\t0\tserial\tstep_end\tcpu\t-\t1\t0\n",
         "line 2: outcome '-' does not fit event step_end"},
        {TSV_HEADER TSV_GOOD "1\t0\t0\t0\tother\tthread_end\t-\t-\t-1\t0\n",
         "line 3: thread 0 changes its name"},
        {"time\tthread\n", "line 1: not a gilsim trace.tsv header"},
        {"", "line 1: empty file"},
    };
    char err[256];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        err[0] = '\0';
        assert_int_equal(read_text(cases[i].text, err, sizeof(err)), -EBADMSG);
        if (strstr(err, cases[i].want) == NULL) {
            fail_msg("case %zu: [%s] does not contain [%s]", i, err,
                     cases[i].want);
        }
    }
    /* The short form says no more than the code. */
    {
        struct sim_trace *t = NULL;
        const char *text = TSV_HEADER "oops\n";
        FILE *f = fmemopen((void *)text, strlen(text), "r");

        assert_non_null(f);
        assert_int_equal(sim_trace_read_tsv(f, &t), -EBADMSG);
        assert_null(t);
        fclose(f);
    }
}

/* ---- summary.json back into summaries ----------------------------------- */

static void
summary_json_round_trip_keeps_what_the_page_shows(void **state)
{
    struct sim_trace_summary runs[2];
    struct sim_report_summary sum;
    char path[] = "/tmp/gilsim-test-summary-XXXXXX";
    char err[512];
    FILE *f;
    int fd;

    (void)state;
    memset(runs, 0, sizeof(runs));
    (void)snprintf(runs[0].model, sizeof(runs[0].model), "serial");
    (void)snprintf(runs[0].policy, sizeof(runs[0].policy), "new");
    (void)snprintf(runs[0].workload, sizeof(runs[0].workload), "seed");
    runs[0].threads = 1;
    runs[0].repeat = 3;
    runs[0].wall_ns = 3000000000;
    runs[0].wall_ns_min = 2900000000;
    runs[0].wall_ns_max = 3100000000;
    runs[0].cpu_ns = 1234;
    runs[0].instr_ns = 4.5;
    runs[0].stats.hold_ns = 11;
    runs[0].stats.wait_ns = 22;
    runs[0].stats.io_ns = 33;
    runs[0].stats.idle_ns = 44;
    runs[0].stats.steps_failed = 2;
    runs[0].stats.steps_failed_by[SIM_OUT_REFUSED] = 2;
    runs[0].stats.fetches = 25;
    runs[0].stats.fetch_p50_ns = 150000000;
    runs[0].stats.fetch_p99_ns = 160000000;
    runs[1] = runs[0];
    (void)snprintf(runs[1].model, sizeof(runs[1].model), "threads");
    runs[1].threads = 5;
    runs[1].switch_interval_ns = 5000000;
    runs[1].stats.forced_switches = 17;
    runs[1].stats.handoffs = 40;
    runs[1].stats.handoff_p50_ns = 5100000;
    runs[1].stats.handoff_p99_ns = 5300000;
    runs[1].has_server = 1;
    runs[1].server_requests = 25;

    fd = mkstemp(path);
    assert_true(fd >= 0);
    f = fdopen(fd, "w");
    assert_non_null(f);
    assert_int_equal(sim_trace_write_summary_json(
                         runs, 2, "0.1.0", "gilsim --out='a \"b\"\\c'", f),
                     0);
    fclose(f);

    assert_int_equal(sim_report_read_summary(path, &sum, err, sizeof(err)), 0);
    assert_string_equal(sum.command, "gilsim --out='a \"b\"\\c'");
    assert_string_equal(sum.version, "0.1.0");
    assert_int_equal(sum.n, 2);
    assert_string_equal(sum.runs[0].model, "serial");
    assert_string_equal(sum.runs[1].model, "threads");
    assert_string_equal(sum.runs[1].policy, "new");
    assert_string_equal(sum.runs[1].workload, "seed");
    assert_int_equal(sum.runs[1].threads, 5);
    assert_int_equal(sum.runs[1].repeat, 3);
    assert_int_equal(sum.runs[1].switch_interval_ns, 5000000);
    assert_int_equal(sum.runs[0].wall_ns, 3000000000);
    assert_int_equal(sum.runs[0].wall_ns_min, 2900000000);
    assert_int_equal(sum.runs[0].wall_ns_max, 3100000000);
    assert_int_equal(sum.runs[0].cpu_ns, 1234);
    assert_true(sum.runs[0].instr_ns == 4.5);
    assert_int_equal(sum.runs[0].stats.hold_ns, 11);
    assert_int_equal(sum.runs[0].stats.wait_ns, 22);
    assert_int_equal(sum.runs[0].stats.io_ns, 33);
    assert_int_equal(sum.runs[0].stats.idle_ns, 44);
    assert_int_equal(sum.runs[0].stats.steps_failed, 2);
    assert_int_equal(sum.runs[0].stats.fetches, 25);
    assert_int_equal(sum.runs[0].stats.fetch_p50_ns, 150000000);
    assert_int_equal(sum.runs[0].stats.fetch_p99_ns, 160000000);
    assert_int_equal(sum.runs[1].stats.forced_switches, 17);
    assert_int_equal(sum.runs[1].stats.handoffs, 40);
    assert_int_equal(sum.runs[1].stats.handoff_p50_ns, 5100000);
    assert_int_equal(sum.runs[1].stats.handoff_p99_ns, 5300000);
    sim_report_summary_clear(&sum);

    /* Cut short, it is refused and says where. */
    assert_int_equal(truncate(path, 200), 0);
    assert_int_equal(sim_report_read_summary(path, &sum, err, sizeof(err)),
                     -EBADMSG);
    assert_non_null(strstr(err, "not a gilsim summary"));
    assert_non_null(strstr(err, "line"));
    sim_report_summary_clear(&sum);
    assert_int_equal(unlink(path), 0);
}

/* A cut trace is never silent: the timeline's title and the page say so
 * (and a whole trace says nothing). */
static int
write_summary_fn(const void *ctx, FILE *f)
{
    return sim_trace_write_summary_json(ctx, 1, "0.1.0", "gilsim test", f);
}

static void
a_cut_trace_is_marked_in_title_and_page(void **state)
{
    struct sim_trace_summary run;
    char title[300];
    char err[SIM_ERR_LEN];
    char *dir = tf_make_dir("gilsim-cut");
    char path[4200];
    char *page;

    (void)state;
    memset(&run, 0, sizeof(run));
    (void)snprintf(run.model, sizeof(run.model), "threads");
    (void)snprintf(run.policy, sizeof(run.policy), "new");
    (void)snprintf(run.workload, sizeof(run.workload), "cpu");
    run.threads = 2;
    run.repeat = 1;
    run.wall_ns = 3000000000;
    sim_report_timeline_title(&run, title, sizeof(title));
    assert_null(strstr(title, "trace cut"));
    (void)snprintf(run.trace_kept, sizeof(run.trace_kept), "head");
    run.trace_to_ns = -1;
    sim_report_timeline_title(&run, title, sizeof(title));
    assert_null(strstr(title, "trace"));
    run.events_cut = 12345;
    run.trace_to_ns = 1000000000;
    sim_report_timeline_title(&run, title, sizeof(title));
    assert_non_null(strstr(title, "trace cut at 1000 ms of 3000 ms"));
    run.stats.events_lost = 7;

    assert_int_equal(base_write_atomic(dir, "summary.json", write_summary_fn,
                                       &run, err, sizeof(err)),
                     0);
    assert_int_equal(sim_report_write(dir, err, sizeof(err)), 0);
    (void)snprintf(path, sizeof(path), "%s/index.html", dir);
    page = tf_read(path, NULL);
    assert_non_null(strstr(page, "This trace was cut:</b> 12345 events"));
    assert_non_null(strstr(page, "end at 1000 ms of the run's 3000 ms"));
    assert_non_null(strstr(page, "Events lost:</b> 7 events"));
    free(page);
    tf_remove_tree(dir);
    free(dir);
}

/* A p99 from fewer than 100 samples is marked as the largest sample, in
 * the table and on the page; one from enough samples is not. */
static void
p99_of_few_samples_is_marked(void **state)
{
    struct sim_trace_summary run;
    char err[SIM_ERR_LEN];
    char *dir = tf_make_dir("gilsim-few");
    char path[4200];
    char *buf = NULL, *page;
    size_t len = 0;
    FILE *f;

    (void)state;
    memset(&run, 0, sizeof(run));
    (void)snprintf(run.model, sizeof(run.model), "threads");
    (void)snprintf(run.policy, sizeof(run.policy), "new");
    (void)snprintf(run.workload, sizeof(run.workload), "seed");
    run.threads = 5;
    run.repeat = 1;
    run.wall_ns = 900000000;
    run.stats.fetches = 25;
    run.stats.fetch_p50_ns = 150000000;
    run.stats.fetch_p99_ns = 161230000;
    run.stats.handoffs = 500;
    run.stats.handoff_p50_ns = 4000;
    run.stats.handoff_p99_ns = 36000;
    f = open_memstream(&buf, &len);
    assert_non_null(f);
    sim_table_print(&run, 1, f);
    assert_int_equal(fclose(f), 0);
    assert_non_null(strstr(buf, "161.23*"));
    assert_null(strstr(buf, "36*"));
    assert_non_null(strstr(buf, "*: from fewer than 100 samples"));
    free(buf);

    assert_int_equal(base_write_atomic(dir, "summary.json", write_summary_fn,
                                       &run, err, sizeof(err)),
                     0);
    assert_int_equal(sim_report_write(dir, err, sizeof(err)), 0);
    (void)snprintf(path, sizeof(path), "%s/index.html", dir);
    page = tf_read(path, NULL);
    assert_non_null(strstr(page, "from 25 samples: the largest one\">161.23*"));
    assert_non_null(strstr(page, "<td>36.0</td>"));
    free(page);
    tf_remove_tree(dir);
    free(dir);
}

/* Numbers that do not fit their int64 fields are refused, not converted
 * (a real beyond int64's range would be undefined behaviour to cast);
 * numbers JSON cannot hold at all are bad JSON. */
static void
summary_numbers_out_of_range_are_refused(void **state)
{
    static const char *const bad[] = {
        "{\"runs\": [{\"model\": \"serial\", \"wall_ns\": 1e23}]}",
        "{\"runs\": [{\"wall_ns\": -1e308}]}",
        "{\"runs\": [{\"wall_ns\": 1e999}]}",
        "{\"runs\": [{\"handoff_ns\": {\"p50\": 9.3e18}}]}",
        "{\"runs\": [{\"model\": 7}]}",
        "{\"runs\": {}}",
    };
    const char *good = "{\"runs\": [{\"model\": \"serial\", \"wall_ns\": "
                       "9.2e18, \"threads\": null, \"later_key\": [1, {}]}]}";
    struct sim_report_summary sum;
    char path[] = "/tmp/gilsim-test-summary-XXXXXX";
    char err[SIM_ERR_LEN];
    size_t i;
    int fd = mkstemp(path);

    (void)state;
    assert_true(fd >= 0);
    (void)close(fd);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        tf_write(path, bad[i]);
        err[0] = '\0';
        if (sim_report_read_summary(path, &sum, err, sizeof(err)) != -EBADMSG) {
            fail_msg("accepted: %s", bad[i]);
        }
        assert_non_null(strstr(err, "not a gilsim summary"));
        sim_report_summary_clear(&sum);
    }
    tf_write(path, good);
    assert_int_equal(sim_report_read_summary(path, &sum, err, sizeof(err)), 0);
    assert_int_equal(sum.n, 1);
    assert_string_equal(sum.runs[0].model, "serial");
    assert_int_equal(sum.runs[0].wall_ns, 9200000000000000000LL);
    assert_int_equal(sum.runs[0].threads, 0);
    sim_report_summary_clear(&sum);
    assert_int_equal(unlink(path), 0);
}

/* ---- the command -------------------------------------------------------- */

/*
 * The elements index.html is made of must nest properly. Other tags (the
 * inlined SVGs' own) are ignored, as are comments, <!DOCTYPE>, and
 * self-closing or void tags. Returns NULL, or what went wrong.
 */
static const char *
check_balance(const char *html)
{
    static const char *const tracked[] = {
        "html",  "head",  "title", "style", "body", "h1", "h2",  "p", "code",
        "table", "thead", "tbody", "tr",    "th",   "td", "div", "a", "svg"};
    static char why[200];
    const char *stack[64];
    size_t depth = 0;
    const char *p = html;

    while ((p = strchr(p, '<')) != NULL) {
        const char *q = p + 1;
        int closing = 0;
        char name[16];
        size_t n = 0;
        size_t i;
        int known = 0;
        const char *gt;

        if (*q == '!' || *q == '?') {
            p = q;
            continue;
        }
        if (*q == '/') {
            closing = 1;
            q++;
        }
        while (n + 1 < sizeof(name) &&
               ((*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9'))) {
            name[n++] = *q++;
        }
        name[n] = '\0';
        gt = strchr(q, '>');
        if (gt == NULL) {
            return "a tag that never ends";
        }
        for (i = 0; i < sizeof(tracked) / sizeof(tracked[0]); i++) {
            if (strcmp(name, tracked[i]) == 0) {
                known = 1;
            }
        }
        if (known && gt[-1] != '/') {
            if (!closing) {
                if (depth == 64) {
                    return "nested too deep";
                }
                stack[depth++] = tracked[0]; /* placeholder, set below */
                for (i = 0; i < sizeof(tracked) / sizeof(tracked[0]); i++) {
                    if (strcmp(name, tracked[i]) == 0) {
                        stack[depth - 1] = tracked[i];
                    }
                }
            } else {
                if (depth == 0 || strcmp(stack[depth - 1], name) != 0) {
                    (void)snprintf(why, sizeof(why), "</%s> closes <%s>", name,
                                   depth == 0 ? "nothing" : stack[depth - 1]);
                    return why;
                }
                depth--;
            }
        }
        p = gt + 1;
    }
    if (depth != 0) {
        (void)snprintf(why, sizeof(why), "<%s> is never closed",
                       stack[depth - 1]);
        return why;
    }
    return NULL;
}

static void
plot_redraws_deleted_timelines_and_writes_index(void **state)
{
    static const char *const gone[] = {
        "serial/timeline.png", "serial/timeline.svg", "threads/timeline.png",
        "threads/timeline.svg", "index.html"};
    char *dir;
    char run[4200];
    char outarg[4300];
    char path[4300];
    char *out, *err, *html;
    const char *why;
    size_t i;
    int status;

    (void)state;
    SKIP_WITHOUT_GNUPLOT();
    dir = tf_make_dir("gilsim-test-replot");
    (void)snprintf(run, sizeof(run), "%s/run", dir);
    (void)snprintf(outarg, sizeof(outarg), "--out=%s", run);
    status = run_cli(&out, &err, 6, "gilsim", "--workload=cpu", "--count=2000",
                     "--model=serial,threads", "--quiet", outarg);
    if (status != 0) {
        fail_msg("run: exit %d: %s", status, err);
    }
    free(out);
    free(err);
    (void)snprintf(path, sizeof(path), "%s/index.html", run);
    assert_int_equal(access(path, F_OK), 0);
    for (i = 0; i < sizeof(gone) / sizeof(gone[0]); i++) {
        (void)snprintf(path, sizeof(path), "%s/%s", run, gone[i]);
        assert_int_equal(unlink(path), 0);
    }

    status = run_cli(&out, &err, 3, "gilsim", "plot", run);
    if (status != 0) {
        fail_msg("plot: exit %d: %s", status, err);
    }
    assert_string_equal(err, "");
    assert_non_null(strstr(out, "index.html"));
    free(out);
    free(err);
    for (i = 0; i < 4; i += 2) {
        (void)snprintf(path, sizeof(path), "%s/%s", run, gone[i]);
        assert_true(is_png(path));
        (void)snprintf(path, sizeof(path), "%s/%s", run, gone[i + 1]);
        assert_int_equal(access(path, F_OK), 0);
    }

    (void)snprintf(path, sizeof(path), "%s/index.html", run);
    html = tf_slurp(path, NULL);
    assert_non_null(html);
    assert_non_null(strstr(html, "<!DOCTYPE html>"));
    /* The command line, escaped as HTML text (it holds no & < > ' "). */
    assert_non_null(strstr(html, "gilsim --workload=cpu --count=2000 "
                                 "--model=serial,threads --quiet"));
    assert_non_null(strstr(html, outarg));
    assert_non_null(strstr(html, "<table>"));
    assert_non_null(strstr(html, "<td>serial</td>"));
    assert_non_null(strstr(html, "<td>threads</td>"));
    assert_non_null(strstr(html, "<svg"));
    assert_null(strstr(html, "<?xml"));
    assert_non_null(strstr(html, "<a href=\"serial/trace.json\">"));
    assert_non_null(strstr(html, "<a href=\"threads/trace.json\">"));
    /* A button per trace that hands it to Perfetto, the script that
     * does it, and a page that fits a phone's width. */
    assert_non_null(strstr(html, "<button type=\"button\" class=\"perfetto\" "
                                 "data-trace=\"threads/trace.json\""));
    assert_non_null(strstr(html, "win.postMessage('PING', ORIGIN)"));
    assert_non_null(strstr(html, "<meta name=\"viewport\""));
    assert_non_null(strstr(html, "<div class=\"scroll\"><table>"));
    assert_non_null(strstr(html, "<p class=\"verdict\"><b>fastest: "));
    why = check_balance(html);
    if (why != NULL) {
        fail_msg("index.html: %s", why);
    }
    free(html);

    /* Without a picture the page says so instead of inlining it. */
    (void)snprintf(path, sizeof(path), "%s/comparison.svg", run);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(sim_report_write(run, path, sizeof(path)), 0);
    (void)snprintf(path, sizeof(path), "%s/index.html", run);
    html = tf_slurp(path, NULL);
    assert_non_null(html);
    assert_non_null(strstr(html, "comparison.svg is missing"));
    assert_null(check_balance(html));
    free(html);

    tf_remove_tree(dir);
    free(dir);
}

/* Lines of a file, 0 if it cannot be read. */
static size_t
lines_of(const char *path)
{
    char *text = tf_slurp(path, NULL);
    size_t n = 0;
    const char *p;

    if (text == NULL) {
        return 0;
    }
    for (p = text; *p != '\0'; p++) {
        n += *p == '\n';
    }
    free(text);
    return n;
}

/* A run whose threads make more events than --trace-events: the files
 * keep 100 a thread (the first, or the last with ring), summary.json
 * says how many were cut and from when the trace is whole, and the
 * statistics still count every GIL take. --trace=off writes no trace. */
static void
a_cut_run_writes_its_budget_and_counts_every_event(void **state)
{
    static const char *const modes[] = {"--trace=head", "--trace=ring",
                                        "--trace=off"};
    size_t k;

    (void)state;
    for (k = 0; k < 3; k++) {
        struct sim_report_summary sum;
        char *dir = tf_make_dir("gilsim-test-cut");
        char run[4200], outarg[4300], path[4300], msg[SIM_ERR_LEN];
        const struct sim_trace_summary *r;
        char *out, *err;
        int status;

        (void)snprintf(run, sizeof(run), "%s/run", dir);
        (void)snprintf(outarg, sizeof(outarg), "--out=%s", run);
        status = run_cli(&out, &err, 11, "gilsim", "--engine=virtual",
                         "--workload=cpu", "--count=2M", "--threads=2",
                         "--switch-interval=10us", "--model=threads",
                         "--trace-events=100", modes[k], "--quiet", outarg);
        if (k == 2) {
            /* --trace-events does not apply with --trace=off. */
            assert_int_equal(status, SIM_EXIT_USAGE);
            free(out);
            free(err);
            status = run_cli(&out, &err, 10, "gilsim", "--engine=virtual",
                             "--workload=cpu", "--count=2M", "--threads=2",
                             "--switch-interval=10us", "--model=threads",
                             modes[k], "--quiet", outarg);
        }
        if (status != 0) {
            fail_msg("%s: exit %d: %s", modes[k], status, err);
        }
        free(out);
        free(err);
        (void)snprintf(path, sizeof(path), "%s/summary.json", run);
        assert_int_equal(sim_report_read_summary(path, &sum, msg, sizeof(msg)),
                         0);
        r = &sum.runs[0];
        assert_true(r->stats.takes > 200);
        (void)snprintf(path, sizeof(path), "%s/threads/trace.tsv", run);
        if (k == 2) {
            assert_string_equal(r->trace_kept, "off");
            assert_int_equal(access(path, F_OK), -1);
        } else {
            assert_string_equal(r->trace_kept, k == 0 ? "head" : "ring");
            assert_true(r->events_cut > 0);
            assert_true(r->stats.events > r->events_cut);
            /* A header and at most 100 events of each of the 2 threads. */
            assert_true(lines_of(path) <= 1 + 2 * 100);
            assert_true(lines_of(path) > 100);
            if (k == 0) {
                assert_true(r->trace_to_ns > 0 && r->trace_to_ns < r->wall_ns);
            } else {
                assert_true(r->trace_from_ns > 0);
                assert_int_equal(r->trace_to_ns, -1);
            }
        }
        sim_report_summary_clear(&sum);
        tf_remove_tree(dir);
        free(dir);
    }
}

static void
plot_refuses_what_is_not_a_run_folder(void **state)
{
    char *dir = tf_make_dir("gilsim-test-replot");
    char file[4200];
    char *out, *err;
    FILE *f;

    (void)state;
    assert_int_equal(run_cli(&out, &err, 2, "gilsim", "plot"), SIM_EXIT_USAGE);
    assert_non_null(strstr(err, "missing RUN_DIR"));
    free(out);
    free(err);

    assert_int_equal(run_cli(&out, &err, 3, "gilsim", "plot", dir),
                     SIM_EXIT_USAGE);
    assert_non_null(strstr(err, dir));
    assert_non_null(strstr(err, "not a run folder"));
    assert_non_null(strchr(err, '\n'));
    assert_string_equal(strchr(err, '\n'), "\n"); /* one line */
    free(out);
    free(err);

    (void)snprintf(file, sizeof(file), "%s/summary.json", dir);
    f = fopen(file, "w");
    assert_non_null(f);
    fputs("{\"runs\": [", f);
    fclose(f);
    assert_int_equal(run_cli(&out, &err, 3, "gilsim", "plot", dir),
                     SIM_EXIT_USAGE);
    assert_non_null(strstr(err, "not a gilsim summary"));
    free(out);
    free(err);
    assert_int_equal(unlink(file), 0);

    (void)snprintf(file, sizeof(file), "%s/none", dir);
    assert_int_equal(run_cli(&out, &err, 3, "gilsim", "plot", file),
                     SIM_EXIT_USAGE);
    assert_non_null(strstr(err, "not a folder"));
    free(out);
    free(err);

    assert_int_equal(
        run_cli(&out, &err, 4, "gilsim", "plot", dir, "--threads=2"),
        SIM_EXIT_USAGE);
    assert_non_null(strstr(err, "--threads does not apply to gilsim plot"));
    free(out);
    free(err);

    assert_int_equal(rmdir(dir), 0);
    free(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tsv_round_trip_keeps_threads_and_events),
        cmocka_unit_test(malformed_tsv_is_rejected_with_its_line_number),
        cmocka_unit_test(summary_json_round_trip_keeps_what_the_page_shows),
        cmocka_unit_test(summary_numbers_out_of_range_are_refused),
        cmocka_unit_test(a_cut_trace_is_marked_in_title_and_page),
        cmocka_unit_test(p99_of_few_samples_is_marked),
        cmocka_unit_test(plot_redraws_deleted_timelines_and_writes_index),
        cmocka_unit_test(plot_refuses_what_is_not_a_run_folder),
        cmocka_unit_test(a_cut_run_writes_its_budget_and_counts_every_event),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
