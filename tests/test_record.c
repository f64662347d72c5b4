/*
 * test_record.c - gilsim record's reading of the probe's files and the
 * trace it makes of them (sim/record/raw.c, measured.c, schedule.c), on
 * files written here, so no Python is needed; the workload file made of
 * them is test_synth.c's, the probe itself tests/probe/test_probe.py's,
 * and the whole command is tested by the cases at the end, which run a
 * real python3 when there is one.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <math.h>

#include "base.h"
#include "cli_runner.h"
#include "record/record.h"
#include "record/schedule.h"
#include "record_fixture.h"
#include "test_files.h"
#include "trace_check.h"

/* Main thread: 10 ms of Python (4 ms of CPU), a 20 ms sleep, 5 ms of
 * Python (5 ms of CPU), the end. */
static const char one_thread[] =
    HEAD "S\t5000000\n"
         "T\t7\t1000000000\t0\tstart\tMainThread\n"
         "C\t7\t1010000000\t1030000000\t4000000\t4000100\tsleep\t-1\t1\n"
         "T\t7\t1035000000\t9000100\tend\tMainThread\n"
         "Z\t1035000001\texit\n";

static void
reads_a_thread_and_its_calls(void **state)
{
    char *dir = raw_dir_with(one_thread);
    char err[512] = "";
    struct rec r;

    (void)state;
    assert_int_equal(rec_read_dir(dir, &r, err, sizeof(err)), 0);
    assert_int_equal(r.n_procs, 1);
    assert_int_equal(r.procs[0].pid, 100);
    assert_string_equal(r.procs[0].python, "3.11.7");
    assert_string_equal(r.procs[0].ended, "exit");
    assert_int_equal(r.n_threads, 1);
    assert_string_equal(r.threads[0].name, "MainThread");
    assert_int_equal(r.threads[0].n, 3);
    assert_int_equal(r.threads[0].items[1].kind, REC_CALL);
    assert_int_equal(r.threads[0].items[1].call, REC_CALL_SLEEP);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.partial_lines, 0);
    rec_clear(&r);
    tf_remove_tree(dir);
    free(dir);
}

/* Every line that breaks the format is refused with its file and line. */
static void
malformed_files_are_refused_with_their_line(void **state)
{
    static const struct {
        const char *text;
        const char *want;
    } cases[] = {
        {"", "no P line"},
        {"gilsim-probe\t2\n", "line 1: not a gilsim probe file"},
        {"something else\n", "line 1: not a gilsim probe file"},
        {"gilsim-probe\t1\nT\t7\t1\t1\tstart\tx\n", "line 2: expected P"},
        {HEAD "T\t7\t1\t1\tbegin\tx\n", "line 3: expected T"},
        {HEAD "T\t7\tnow\t1\tstart\tx\n", "line 3: a field that should be"},
        {HEAD "C\t7\t5\t4\t0\t0\tsleep\t-1\t1\n", "line 3: a call of an"},
        {HEAD "C\t7\t4\t5\t0\t0\tteleport\t-1\t1\n", "line 3: a call of an"},
        {HEAD "C\t7\t4\t5\t0\t0\tsleep\t-1\t2\n", "line 3: a call of an"},
        {HEAD "C\t7\t4\t5\t0\t0\tsleep\t-1\n", "line 3: expected C"},
        {HEAD "K\t7\t4\t0\tbegin\t1\n", "line 3: expected K"},
        {HEAD "X\t1\t4\tthreadpool\n", "line 3: expected X"},
        {HEAD "Z\tsoon\texit\n", "line 3: expected Z"},
        {HEAD "Q\t1\n", "line 3: a line of an unknown kind"},
        {HEAD "S\t0\n", "line 3: expected S"},
        {HEAD "T\t7\t1\t1\tstart\tx\t\t\t\t\t\t\t\t\n", "line 3: expected T"},
        {HEAD "C\t7\t4\t5\t0\t0\tsleep\t-1\t1\t9\n", "line 3: expected C"},
        {HEAD "C\t7\t4\t5\t0\t0\tsleep\t-1\t1\t9\t8\n", "line 3: a call's run"},
        {HEAD "A\t7\t4\t5\t0\t0\t1\n", "line 3: expected A"},
        {HEAD "A\t7\t5\t4\t0\t0\t1\t1\n", "line 3: a step ending"},
        {HEAD "G\t1\t-1\n", "line 3: expected G"},
        {HEAD "W\t7\t4\t5\t1\t1\tmutex\t1\t1\n", "line 3: expected W"},
        {HEAD "W\t7\t5\t4\t1\t1\tsem\t1\t1\n", "line 3: an acquire"},
        {HEAD "O\t-1\t3000\n", "line 3: expected O"},
        {HEAD "O\t5\t3000\t3001\n", "line 3: expected O"},
        {HEAD "O\t5\t3000\t1\t1\n", "line 3: expected O"},
        {HEAD "H\t7\t4\t5\t0\t0\n", "line 3: expected H"},
        {HEAD "H\t7\t5\t4\t0\t0\t1\n", "line 3: a hold ending"},
        {HEAD "H\t7\t4\t5\t0\t0\t0\n", "line 3: a hold ending"},
        {HEAD "H\t7\t4\t5\t0\t0\tlock\n", "line 3: a field that"},
    };
    char err[512];
    struct rec r;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *dir = raw_dir_with(cases[i].text);
        int rc;

        err[0] = '\0';
        rc = rec_read_dir(dir, &r, err, sizeof(err));
        if (rc == 0 || strstr(err, cases[i].want) == NULL ||
            strstr(err, "probe-100.tsv") == NULL) {
            fail_msg("case %zu: rc %d, [%s] lacks [%s]", i, rc, err,
                     cases[i].want);
        }
        tf_remove_tree(dir);
        free(dir);
    }
}

/* A process killed while writing leaves a last line without its
 * newline: dropped and counted, the rest kept. An empty folder (the probe
 * never started) is an error saying so. */
static void
a_cut_last_line_is_dropped_and_an_empty_folder_refused(void **state)
{
    char text[sizeof(one_thread) + 64];
    char *dir;
    char err[512] = "";
    struct rec r;

    (void)state;
    (void)snprintf(text, sizeof(text), "%sC\t7\t1040000000\t10", one_thread);
    dir = raw_dir_with(text);
    assert_int_equal(rec_read_dir(dir, &r, err, sizeof(err)), 0);
    assert_int_equal(r.partial_lines, 1);
    assert_int_equal(r.calls, 1);
    rec_clear(&r);
    tf_remove_tree(dir);
    free(dir);

    dir = tf_make_dir("gilsim-record");
    assert_int_equal(rec_read_dir(dir, &r, err, sizeof(err)), -ENOENT);
    assert_non_null(strstr(err, "the probe wrote nothing"));
    tf_remove_tree(dir);
    free(dir);
}

/* The measured trace: the sleep is I/O with the GIL released; the
 * Python before it, 10 ms of wall with 4 ms of CPU, is 6 ms waiting and
 * 4 ms holding the GIL; after it, 5 ms of CPU in 5 ms: all holding. */
static void
the_measured_trace_splits_wall_into_wait_run_and_io(void **state)
{
    char *dir = raw_dir_with(one_thread);
    char *out = tf_make_dir("gilsim-record-out");
    char path[4200];
    char err[512] = "";
    struct sim_trace_summary s;
    struct trace_gil_counts counts;
    struct sim_trace *t;
    struct rec r;

    (void)state;
    assert_int_equal(rec_read_dir(dir, &r, err, sizeof(err)), 0);
    write_measured(out, &r, "app.py", "gilsim record -- python3 app.py", &s);
    assert_string_equal(s.model, "measured");
    assert_string_equal(s.workload, "app.py");
    assert_int_equal(s.switch_interval_ns, 5 * MS);
    assert_int_equal(s.wall_ns, 35 * MS + 1);
    assert_int_equal(s.stats.hold_ns, 9 * MS);
    assert_int_equal(s.stats.wait_ns, 6 * MS);
    assert_int_equal(s.stats.io_ns, 20 * MS);
    assert_int_equal(s.stats.steps_ok, 1);
    (void)snprintf(path, sizeof(path), "%s/summary.json", out);
    assert_int_equal(access(path, R_OK), 0);
    t = measured_trace(out);
    trace_check_gil(t, 1, NULL, &counts);
    assert_int_equal(counts.takes, 2);
    assert_int_equal(counts.waits, 1);
    sim_trace_free(t);
    rec_clear(&r);
    tf_remove_tree(dir);
    tf_remove_tree(out);
    free(dir);
    free(out);
}

/* A pool thread that starts while another thread runs Python: its
 * bootstrap's moment with the GIL is kept clear of the other's hold. The
 * main thread runs 9.9 ms of CPU in its first 10 ms (the schedule puts it
 * as late as it can: over 5 ms), and a pool thread starts at 5 ms, then
 * runs one task of a 1 ms sleep at 20 ms. */
static void
a_pool_thread_s_start_holds_the_gil_alone(void **state)
{
    static const char text[] =
        HEAD "S\t5000000\n"
             "X\t100001\t1000000000\tthreadpool\t1\n"
             "T\t7\t1000000000\t0\tstart\tMainThread\n"
             "T\t8\t1005000000\t0\tstart\tworker\n"
             "C\t7\t1010000000\t1020000000\t9900000\t9900000\tsleep\t-1\t1\n"
             "K\t8\t1020000000\t10000\tbegin\t100001\t0\n"
             "C\t8\t1020000000\t1021000000\t10000\t10000\tsleep\t-1\t1\n"
             "K\t8\t1021000000\t10000\tend\t100001\t0\n"
             "T\t8\t1022000000\t10000\tend\tworker\n"
             "T\t7\t1022000000\t9900000\tend\tMainThread\n"
             "Z\t1022000001\texit\n";
    char *dir = raw_dir_with(text);
    char *out = tf_make_dir("gilsim-record-out");
    char err[512] = "";
    struct sim_trace_summary s;
    struct trace_gil_counts counts;
    struct sim_trace *t;
    struct rec r;

    (void)state;
    assert_int_equal(rec_read_dir(dir, &r, err, sizeof(err)), 0);
    write_measured(out, &r, "pool.py", "gilsim record -- python3 pool.py", &s);
    t = measured_trace(out);
    trace_check_gil(t, 1, NULL, &counts); /* never two holders */
    /* The main thread's 9.9 ms split around the worker's start (1 ns),
     * and its moment at its end (1 ns: its CPU clock did not move). */
    assert_int_equal(s.stats.hold_ns, 9900000 + 1 + 1);
    sim_trace_free(t);
    rec_clear(&r);
    tf_remove_tree(dir);
    tf_remove_tree(out);
    free(dir);
    free(out);
}

/* Sum of a window's pieces, each inside it. */
static int64_t
placed(const struct rec_window *w, const struct rec_pieces *p)
{
    int64_t sum = 0;
    uint32_t i;

    for (i = 0; i < w->count; i++) {
        const struct rec_piece *x = &p->v[w->first + i];

        assert_true(x->from >= w->s && x->to <= w->e && x->from < x->to);
        sum += x->to - x->from;
    }
    return sum;
}

/* No two pieces of different windows overlap. */
static void
assert_exclusive(const struct rec_pieces *p)
{
    size_t i, j;

    for (i = 0; i < p->n; i++) {
        for (j = i + 1; j < p->n; j++) {
            assert_true(p->v[i].to <= p->v[j].from ||
                        p->v[j].to <= p->v[i].from);
        }
    }
}

/* A window with CPU holds the GIL at its end (its thread makes its call
 * from Python): its last piece ends there. */
static void
assert_held_at_end(const struct rec_window *w, const struct rec_pieces *p)
{
    if (w->c > 0) {
        assert_true(w->count > 0);
        assert_int_equal(p->v[w->first + w->count - 1].to, w->e);
    }
}

/* The schedule: CPU as late as it can go in its window, every window
 * its whole CPU and the GIL at its end, never two at once; CPU that
 * cannot fit (two windows of 8 in the same 10) was spent without the
 * GIL: it is counted, and left out of the pieces.
 * Times in microseconds, above the 1 us a window holds at its end. */
static void
windows_get_their_cpu_late_and_never_at_once(void **state)
{
    struct rec_window one[] = {{.s = 0, .e = 10 * US, .c = 3 * US}};
    struct rec_window two[] = {{.s = 0, .e = 10 * US, .c = 6 * US},
                               {.s = 0, .e = 10 * US, .c = 4 * US}};
    struct rec_window chain[] = {{.s = 0, .e = 10 * US, .c = 5 * US},
                                 {.s = 5 * US, .e = 12 * US, .c = 5 * US},
                                 {.s = 8 * US, .e = 20 * US, .c = 6 * US},
                                 {.s = 20 * US, .e = 20 * US, .c = 0}};
    /* The later window would run all of [8, 10] by the start rule alone,
     * over the end of the earlier one (at 9). */
    struct rec_window ends[] = {{.s = 5 * US, .e = 10 * US, .c = 2 * US},
                                {.s = 0, .e = 9 * US, .c = 5 * US}};
    struct rec_window full[] = {{.s = 0, .e = 10 * US, .c = 8 * US},
                                {.s = 0, .e = 10 * US, .c = 8 * US}};
    struct rec_pieces p;
    int64_t overlap;
    size_t i;

    (void)state;
    assert_int_equal(rec_schedule(one, 1, &p, &overlap), 0);
    assert_int_equal(one[0].count, 1);
    assert_int_equal(p.v[0].from, 7 * US);
    assert_int_equal(p.v[0].to, 10 * US);
    assert_int_equal(overlap, 0);
    free(p.v);

    assert_int_equal(rec_schedule(two, 2, &p, &overlap), 0);
    assert_int_equal(placed(&two[0], &p), 6 * US);
    assert_int_equal(placed(&two[1], &p), 4 * US);
    assert_exclusive(&p);
    assert_int_equal(overlap, 0);
    free(p.v);

    assert_int_equal(rec_schedule(chain, 4, &p, &overlap), 0);
    for (i = 0; i < 4; i++) {
        assert_int_equal(placed(&chain[i], &p), chain[i].c);
        assert_held_at_end(&chain[i], &p);
    }
    assert_exclusive(&p);
    assert_int_equal(overlap, 0);
    free(p.v);

    assert_int_equal(rec_schedule(ends, 2, &p, &overlap), 0);
    for (i = 0; i < 2; i++) {
        assert_int_equal(placed(&ends[i], &p), ends[i].c);
        assert_held_at_end(&ends[i], &p);
    }
    assert_exclusive(&p);
    assert_int_equal(overlap, 0);
    free(p.v);

    assert_int_equal(rec_schedule(full, 2, &p, &overlap), 0);
    assert_int_equal(overlap, 6 * US);
    assert_int_equal(placed(&full[0], &p) + placed(&full[1], &p), 10 * US);
    assert_exclusive(&p); /* (both end at 10: one holds the end) */
    free(p.v);
}

/* A process ended by SIGTERM writes Z and no T end; a thread started
 * with _thread.start_new_thread has no T start: both are closed, at the
 * process's last stamp and at the first line. A call that begins inside
 * another of its thread is dropped and counted. */
static void
threads_without_a_start_or_an_end_are_closed(void **state)
{
    static const char text[] =
        HEAD "T\t7\t1000000000\t0\tstart\tMainThread\n"
             "C\t8\t1001000000\t1002000000\t0\t0\tsleep\t-1\t1\n"
             "C\t8\t1001500000\t1001600000\t0\t0\tselect\t-1\t1\n"
             "C\t7\t1010000000\t1030000000\t4000000\t4000100\tsleep\t-1\t1\n"
             "Z\t1040000000\tsignal-15\n";
    char *dir = raw_dir_with(text);
    char err[512] = "";
    struct rec r;
    size_t i;

    (void)state;
    assert_int_equal(rec_read_dir(dir, &r, err, sizeof(err)), 0);
    assert_string_equal(r.procs[0].ended, "signal-15");
    assert_int_equal(r.n_threads, 2);
    for (i = 0; i < 2; i++) {
        const struct rec_thread *t = &r.threads[i];

        assert_int_equal(t->items[0].kind, REC_START);
        assert_int_equal(t->items[t->n - 1].kind, REC_END);
        assert_int_equal(t->items[t->n - 1].t0, 1040000000);
    }
    assert_int_equal(r.threads[1].items[0].t0, 1001000000);
    assert_int_equal(r.calls_nested, 1); /* the select inside the sleep */
    assert_int_equal(r.threads[1].n, 3); /* start, sleep, end */
    rec_clear(&r);
    tf_remove_tree(dir);
    free(dir);
}

static char python3[4096];

/* Write `script` to dir/app.py and record it into dir/rec. */
static void
record_script(const char *dir, const char *script, struct cmd *c)
{
    char app[4200], out_arg[4300];

    (void)snprintf(app, sizeof(app), "%s/app.py", dir);
    tf_write(app, script);
    (void)snprintf(out_arg, sizeof(out_arg), "--out=%s/rec", dir);
    run(c, "record", out_arg, "--quiet", "--", python3, app, NULL);
}

/* The folder's summary.json and its measured trace, read back. */
static struct sim_trace *
recorded_trace(const char *dir, char **summary)
{
    char path[4200];

    (void)snprintf(path, sizeof(path), "%s/rec/summary.json", dir);
    *summary = tf_read(path, NULL);
    assert_non_null(*summary);
    (void)snprintf(path, sizeof(path), "%s/rec", dir);
    return measured_trace(path);
}

/* Steps of kind k in t. */
static uint64_t
steps_of(const struct sim_trace *t, enum sim_step k)
{
    uint64_t n = 0;
    size_t i, e;

    for (i = 0; i < sim_trace_thread_count(t); i++) {
        const struct sim_trace_buf *b = sim_trace_thread(t, i);

        for (e = 0; e < b->n; e++) {
            n += b->ev[e].kind == SIM_EV_STEP_END && b->ev[e].detail == k;
        }
    }
    return n;
}

/* The sleep steps of workload file `path`'s first kind, each checked to
 * be `us` (a constant or samples, within 2 %). */
static int
sleeps_near(const char *path, double us)
{
    json_error_t e;
    json_t *root = json_load_file(path, 0, &e);
    json_t *steps, *step, *v, *x;
    size_t i, j;
    int n = 0;

    assert_non_null(root);
    steps = json_object_get(json_array_get(json_object_get(root, "kinds"), 0),
                            "steps");
    json_array_foreach(steps, i, step)
    {
        json_t *sleep = json_object_get(step, "sleep");

        if (sleep == NULL) {
            continue;
        }
        n++;
        v = json_object_get(sleep, "us");
        if (json_is_number(v)) {
            assert_true(fabs(json_number_value(v) - us) < us * 0.02);
            continue;
        }
        json_array_foreach(json_object_get(v, "samples"), j, x)
        {
            assert_true(fabs(json_number_value(x) - us) < us * 0.02);
        }
    }
    json_decref(root);
    return n;
}

/* A call with the thread's run-queue delay at both ends (schedstat):
 * the delay is a wait at the call's end, not I/O, in the timeline and
 * in the workload file. Main thread: a 20 ms recv of which 6 ms it was
 * runnable without a core. */
static void
a_call_s_run_queue_delay_is_not_io(void **state)
{
    static const char text[] =
        HEAD "S\t5000000\n"
             "T\t7\t1000000000\t0\tstart\tMainThread\n"
             "C\t7\t1010000000\t1030000000\t1000000\t1000000\trecv\t100\t1\t"
             "500\t6000500\n"
             "T\t7\t1035000000\t2000000\tend\tMainThread\n"
             "Z\t1035000001\texit\n";
    char *dir = raw_dir_with(text);
    char *out = tf_make_dir("gilsim-record-out");
    char path[4200], err[512] = "";
    struct sim_trace_summary s;
    struct rec_config cfg;
    struct rec r;
    size_t n;

    (void)state;
    assert_int_equal(rec_read_dir(dir, &r, err, sizeof(err)), 0);
    assert_int_equal(r.threads[0].items[1].rq_ns, 6 * MS);
    write_measured(out, &r, "app.py", "gilsim record", &s);
    assert_int_equal(r.threads[0].items[1].wait_ns, 6 * MS);
    assert_int_equal(s.stats.io_ns, 14 * MS);
    assert_int_equal(
        rec_write_workload(dir, &r, "app.py", &cfg, &n, err, sizeof(err)), 0);
    (void)snprintf(path, sizeof(path), "%s/workload.json", dir);
    assert_int_equal(sleeps_near(path, 14000), 1);
    rec_clear(&r);
    tf_remove_tree(dir);
    tf_remove_tree(out);
    free(dir);
    free(out);
}

/* A pool of 2 threads runs 4 tasks that each sleep 20 ms and count:
 * the recording has the main thread and both workers, the 8 sleeps, 4
 * tasks, the pool, and never two holders of the GIL. */
static void
a_thread_pool_program_is_recorded_whole(void **state)
{
    static const char script[] =
        "import time\n"
        "from concurrent.futures import ThreadPoolExecutor\n"
        "def work(i):\n"
        "    time.sleep(0.02)\n"
        "    n = 20000\n"
        "    while n: n -= 1\n"
        "    time.sleep(0.02)\n"
        "    return i\n"
        "with ThreadPoolExecutor(max_workers=2) as ex:\n"
        "    print(sum(ex.map(work, range(4))))\n";
    char *dir = tf_make_dir("gilsim-record-run");
    struct trace_gil_counts counts;
    struct sim_trace *t;
    struct cmd c;
    char *summary;

    (void)state;
    if (python3[0] == '\0') {
        skip();
    }
    record_script(dir, script, &c);
    assert_int_equal(c.status, 0);
    t = recorded_trace(dir, &summary);
    assert_int_equal(sim_trace_thread_count(t), 3);
    assert_int_equal(steps_of(t, SIM_STEP_SLEEP), 8);
    assert_non_null(strstr(summary, "\"model\": \"measured\""));
    assert_non_null(strstr(summary, "\"kind\": \"threadpool\", "
                                    "\"workers\": 2"));
    assert_non_null(strstr(summary, "\"tasks\": 4,"));
    trace_check_gil(t, 1, NULL, &counts);
    assert_true(counts.takes >= 8);
    sim_trace_free(t);
    free(summary);
    cmd_clear(&c);

    /* Its tasks as a workload file: one kind of 4 tasks whose sleeps are
     * the 20 ms asked for (the GIL's wait after each is not I/O), which
     * gilsim reads and runs. */
    {
        char wl[4200], wl_arg[4300], out_arg[4300];
        char *text;

        (void)snprintf(wl, sizeof(wl), "%s/rec/workload.json", dir);
        text = tf_read(wl, NULL);
        assert_non_null(text);
        assert_non_null(strstr(text, "\"tasks\": 4,"));
        assert_null(strstr(text, "task-2"));
        free(text);
        assert_int_equal(sleeps_near(wl, 20000.0), 2);
        run(&c, "workload", "check", wl, NULL);
        assert_int_equal(c.status, 0);
        cmd_clear(&c);
        (void)snprintf(wl_arg, sizeof(wl_arg), "--workload=%s", wl);
        (void)snprintf(out_arg, sizeof(out_arg), "--out=%s/replay", dir);
        run(&c, "--engine=virtual", wl_arg, "--model=executor", "--threads=2",
            "--no-plots", "--quiet", out_arg, NULL);
        assert_int_equal(c.status, 0);
        cmd_clear(&c);

        /* gilsim predict: the recorded configuration first, beside the
         * measurement, then the sweep asked for. */
        (void)snprintf(wl, sizeof(wl), "%s/rec", dir);
        run(&c, "predict", wl, "--engine=virtual", "--model=executor,serial",
            "--threads=1,2", "--no-plots", "--quiet", NULL);
        assert_int_equal(c.status, 0);
        assert_non_null(strstr(c.out, "recorded configuration: executor, 2 "
                                      "threads, switch interval 5 ms"));
        assert_non_null(strstr(c.out, "predicted / measured"));
        assert_non_null(strstr(c.out, "recommendation: "));
        (void)snprintf(wl, sizeof(wl), "%s/rec/predict/sweep/sweep.tsv", dir);
        assert_int_equal(access(wl, R_OK), 0);
        cmd_clear(&c);
        /* Again: beside the first, which stays. */
        (void)snprintf(wl, sizeof(wl), "%s/rec", dir);
        run(&c, "predict", wl, "--engine=virtual", "--model=serial",
            "--no-plots", "--quiet", NULL);
        assert_int_equal(c.status, 0);
        (void)snprintf(wl, sizeof(wl), "%s/rec/predict-2/sweep/sweep.tsv", dir);
        assert_int_equal(access(wl, R_OK), 0);
        cmd_clear(&c);
    }
    tf_remove_tree(dir);
    free(dir);
}

/* Processes come in the order their probes started, the program's own
 * first, whatever order the folder lists their files in: here the
 * parent's file is written first and its children's after, with pids
 * below and above the parent's. */
static void
processes_are_in_the_order_they_started(void **state)
{
    static const int64_t pids[] = {300, 101, 999, 204, 7, 512};
    char *dir = tf_make_dir("gilsim-record-order");
    char path[4200], text[512], err[512] = "";
    struct rec r;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(pids) / sizeof(pids[0]); i++) {
        (void)snprintf(path, sizeof(path), "%s/probe-%lld.tsv", dir,
                       (long long)pids[i]);
        (void)snprintf(text, sizeof(text),
                       "gilsim-probe\t1\nP\t%lld\t%lld\t%lld\t3.11.7\t"
                       "/usr/bin/python3\nT\t%lld\t%lld\t0\tstart\tMain\n"
                       "Z\t%lld\texit\n",
                       (long long)pids[i], i == 0 ? 1LL : 300LL,
                       (long long)(1000000000 + 1000 * i), (long long)pids[i],
                       (long long)(1000000000 + 1000 * i),
                       (long long)(1000000000 + 1000 * i + 500));
        tf_write(path, text);
    }
    assert_int_equal(rec_read_dir(dir, &r, err, sizeof(err)), 0);
    assert_int_equal(r.n_procs, 6);
    for (i = 0; i < r.n_procs; i++) {
        assert_int_equal(r.procs[i].pid, pids[i]);
    }
    rec_clear(&r);
    tf_remove_tree(dir);
    free(dir);
}

/* A ProcessPoolExecutor of 3: the recording has 4 processes, whose files
 * the folder lists in any order; the program's own comes first (the others
 * are its children), its workers' lanes are proc-1 to proc-3, and its
 * pool is the recorded configuration, in the workload file and in gilsim
 * predict. */
static void
a_process_pool_is_the_recorded_configuration(void **state)
{
    static const char script[] =
        "import time\n"
        "from concurrent.futures import ProcessPoolExecutor\n"
        "def work(i):\n"
        "    time.sleep(0.01)\n"
        "    n = 20000\n"
        "    while n: n -= 1\n"
        "    return i\n"
        "if __name__ == '__main__':\n"
        "    with ProcessPoolExecutor(max_workers=3) as ex:\n"
        "        print(sum(ex.map(work, range(6))))\n";
    char *dir = tf_make_dir("gilsim-record-procs");
    char path[4200], err[512] = "";
    struct sim_trace *t;
    char *summary;
    int workers = 0;
    struct rec r;
    struct cmd c;
    char *text;
    size_t i;

    (void)state;
    if (python3[0] == '\0') {
        skip();
    }
    record_script(dir, script, &c);
    assert_int_equal(c.status, 0);
    cmd_clear(&c);
    (void)snprintf(path, sizeof(path), "%s/rec/raw", dir);
    assert_int_equal(rec_read_dir(path, &r, err, sizeof(err)), 0);
    assert_int_equal(r.n_procs, 4);
    for (i = 1; i < r.n_procs; i++) {
        assert_int_equal(r.procs[i].ppid, r.procs[0].pid);
    }
    rec_clear(&r);
    /* The workers' lanes are named as the processes model names its own:
     * proc-1 to proc-3, each worker's main thread. */
    t = recorded_trace(dir, &summary);
    for (i = 0; i < sim_trace_thread_count(t); i++) {
        const char *name = sim_trace_thread(t, i)->name;

        workers += strncmp(name, "proc-", 5) == 0 && strlen(name) == 6 &&
                   name[5] >= '1' && name[5] <= '3';
    }
    assert_int_equal(workers, 3);
    sim_trace_free(t);
    free(summary);
    (void)snprintf(path, sizeof(path), "%s/rec/workload.json", dir);
    text = tf_read(path, NULL);
    assert_non_null(strstr(text, "recorded under processes with 3 processes"));
    assert_non_null(strstr(text, "\"tasks\": 6"));
    free(text);
    (void)snprintf(path, sizeof(path), "%s/rec", dir);
    run(&c, "predict", path, "--engine=virtual", "--cores=2", "--no-plots",
        "--quiet", NULL);
    assert_int_equal(c.status, 0);
    assert_non_null(strstr(c.out, "recorded configuration: processes, 3 "
                                  "processes, switch interval 5 ms"));
    cmd_clear(&c);
    tf_remove_tree(dir);
    free(dir);
}

/* gilsim exits with the program's status, and the recording is there
 * whatever ended it: sys.exit(3), an uncaught exception (1), SIGTERM
 * (128 + 15), Ctrl-C (KeyboardInterrupt: 128 + 2), a fork whose child
 * is recorded too. */
static void
the_program_s_status_passes_and_its_recording_stays(void **state)
{
    static const struct {
        const char *script;
        int status;
        const char *in_summary;
    } cases[] = {
        {"import time, sys\ntime.sleep(0.01)\nsys.exit(3)\n", 3,
         "\"ended\": \"exit\""},
        {"import time\ntime.sleep(0.01)\nraise ValueError('on purpose')\n", 1,
         "\"ended\": \"exit\""},
        {"import os, signal, time\ntime.sleep(0.01)\n"
         "os.kill(os.getpid(), signal.SIGTERM)\ntime.sleep(5)\n",
         128 + 15, "\"ended\": \"signal-15\""},
        {"import os, signal, time\ntime.sleep(0.01)\n"
         "os.kill(os.getpid(), signal.SIGINT)\ntime.sleep(5)\n",
         128 + 2, "\"ended\": \"exit\""},
        {"import os, sys, time\npid = os.fork()\n"
         "if pid == 0:\n    time.sleep(0.01)\n    sys.exit(0)\n"
         "os.waitpid(pid, 0)\n",
         0, "\"processes\": 2,"},
    };
    size_t i;

    (void)state;
    if (python3[0] == '\0') {
        skip();
    }
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *dir = tf_make_dir("gilsim-record-run");
        struct trace_gil_counts counts;
        struct sim_trace *t;
        struct cmd c;
        char *summary;

        record_script(dir, cases[i].script, &c);
        if (c.status != cases[i].status) {
            fail_msg("case %zu: status %d, expected %d; stderr: %s", i,
                     c.status, cases[i].status, c.err);
        }
        t = recorded_trace(dir, &summary);
        if (strstr(summary, cases[i].in_summary) == NULL) {
            fail_msg("case %zu: summary lacks %s", i, cases[i].in_summary);
        }
        assert_true(steps_of(t, SIM_STEP_SLEEP) >= 1);
        trace_check_gil(t, 0, NULL, &counts);
        sim_trace_free(t);
        free(summary);
        cmd_clear(&c);
        tf_remove_tree(dir);
        free(dir);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_a_thread_and_its_calls),
        cmocka_unit_test(malformed_files_are_refused_with_their_line),
        cmocka_unit_test(
            a_cut_last_line_is_dropped_and_an_empty_folder_refused),
        cmocka_unit_test(the_measured_trace_splits_wall_into_wait_run_and_io),
        cmocka_unit_test(windows_get_their_cpu_late_and_never_at_once),
        cmocka_unit_test(threads_without_a_start_or_an_end_are_closed),
        cmocka_unit_test(a_pool_thread_s_start_holds_the_gil_alone),
        cmocka_unit_test(a_call_s_run_queue_delay_is_not_io),
        cmocka_unit_test(a_thread_pool_program_is_recorded_whole),
        cmocka_unit_test(a_process_pool_is_the_recorded_configuration),
        cmocka_unit_test(processes_are_in_the_order_they_started),
        cmocka_unit_test(the_program_s_status_passes_and_its_recording_stays),
    };

    if (base_search_path("python3", python3, sizeof(python3)) != 0) {
        python3[0] = '\0'; /* the cases that run a program skip */
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
