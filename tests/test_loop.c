/*
 * test_loop.c - the `loop` model (models/loop.c with workloads/multi.c):
 * one event-loop thread runs every task as a coroutine, writes go to the
 * offload threads; against the embedded loopback server, through
 * sim_run_once() as tests/test_io_models.c does.
 *
 * Assertions come from the trace, the files on disk and the server's own
 * counters, never from timing. Two facts make the concurrency checks
 * certain rather than likely:
 *  - The loop thread starts tasks in fill(), which starts as many as the
 *    limit allows, each up to its first await (the fetch is added to the
 *    multi handle), before the loop waits for anything. A fetch can only
 *    end inside wl_multi_run_once(), so all the fetches started by one
 *    fill() have begun before any of them ends, however slow the machine.
 *  - A task is only started while fewer than --concurrency are under way,
 *    and a task has at most one fetch under way, so no more than that many
 *    fetches are ever open.
 * The one time bound used is a lower bound: a reply never comes before
 * the server's latency.
 */
#include <dirent.h>
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

#include "cli_internal.h"
#include "io_fixture.h"
#include "trace_check.h"

/* The trace buffer of the event-loop thread. */
static const struct sim_trace_buf *
loop_buf(const struct sim_trace *t)
{
    size_t i;

    for (i = 0; i < sim_trace_thread_count(t); i++) {
        const struct sim_trace_buf *b = sim_trace_thread(t, i);

        if (strcmp(b->name, "loop") == 0) {
            return b;
        }
    }
    fail_msg("no thread named loop");
    return NULL;
}

/* The most fetches open at once in b (BEGINs not yet ENDed), and how
 * many ended. */
static int
max_fetches_in_flight(const struct sim_trace_buf *b, int *ended)
{
    int open = 0;
    int most = 0;
    uint64_t k;

    *ended = 0;
    for (k = 0; k < b->n; k++) {
        const struct sim_trace_event *e = &b->ev[k];

        if (e->detail != SIM_STEP_FETCH) {
            continue;
        }
        if (e->kind == SIM_EV_STEP_BEGIN) {
            open++;
            if (open > most) {
                most = open;
            }
        } else if (e->kind == SIM_EV_STEP_END) {
            open--;
            (*ended)++;
            assert_true(open >= 0);
        }
    }
    assert_int_equal(open, 0);
    return most;
}

/* Every page that did not fail is in DIR/loop/pages, byte-identical to
 * the server's; every page that failed is absent. The failed pages. */
static uint64_t
check_pages(const struct fixture *f, uint64_t seed, double rate, int64_t pages)
{
    char path[4300];
    char *want = malloc(BODY);
    uint64_t failed = 0;
    int64_t p;

    assert_non_null(want);
    for (p = 0; p < pages; p++) {
        int kind = 0;
        int fails = wl_server_page_fails(seed, rate, p, &kind);
        size_t len = 0;
        char *got;

        (void)snprintf(path, sizeof(path), "%s/loop/pages/top250-%lld.html",
                       f->tmp, (long long)p);
        got = tf_slurp(path, &len);
        if (fails) {
            failed++;
            assert_null(got);
        } else {
            assert_non_null(got);
            wl_server_page_body(seed, p, BODY, want);
            assert_int_equal(len, BODY);
            assert_memory_equal(got, want, BODY);
        }
        free(got);
    }
    free(want);
    return failed;
}

/* Fetches and decodes run on the loop thread, writes on the offload
 * threads in three hops a page; every page arrives intact; the GIL's counters
 * equal the trace's (sim_run_once checks it and would fail with -EPROTO). */
static void
fetches_run_on_the_loop_and_writes_on_offload_threads(void **state)
{
    const int64_t pages = 12;
    struct fixture f;
    struct sim_run_result r;
    char err[SIM_ERR_LEN];
    size_t i;
    uint64_t k;
    int fetches = 0, writes = 0, cpus = 0, hops = 0;

    (void)state;
    fixture_start(&f, 2000000, BODY, 0.0, 3);
    options(&f.o, "seed");
    f.o.pages = pages;
    f.o.seed = 3;
    assert_int_equal(
        sim_run_once(&f.o, SIM_MODEL_LOOP, &f.io, NULL, &r, err, sizeof(err)),
        0);
    assert_int_equal(sim_trace_thread_count(r.trace), 1 + 3);
    for (i = 0; i < sim_trace_thread_count(r.trace); i++) {
        const struct sim_trace_buf *b = sim_trace_thread(r.trace, i);
        int is_loop = strcmp(b->name, "loop") == 0;

        if (!is_loop) {
            assert_non_null(strstr(b->name, "offload-"));
        }
        for (k = 0; k < b->n; k++) {
            const struct sim_trace_event *e = &b->ev[k];

            if (e->kind == SIM_EV_TASK_BEGIN || e->kind == SIM_EV_TASK_END) {
                assert_true(is_loop);
            }
            if (!is_loop && e->kind == SIM_EV_GIL_DROP &&
                e->detail == SIM_DROP_EXIT) {
                hops++; /* an executor hop handed back */
            }
            if (e->kind != SIM_EV_STEP_END) {
                continue;
            }
            switch (e->detail) {
            case SIM_STEP_FETCH:
                assert_true(is_loop);
                assert_int_equal(e->arg, BODY);
                fetches++;
                break;
            case SIM_STEP_CPU:
                assert_true(is_loop);
                cpus++;
                break;
            case SIM_STEP_WRITE:
                assert_false(is_loop);
                writes++;
                break;
            default:
                fail_msg("unexpected step kind %d", e->detail);
            }
        }
    }
    assert_int_equal(fetches, pages);
    assert_int_equal(cpus, pages);
    assert_int_equal(writes, pages);
    /* aiofiles: open, write and close, three executor hops a page. */
    assert_int_equal(hops, 3 * pages);
    assert_int_equal(r.stats.tasks, (uint64_t)pages);
    assert_int_equal(r.stats.steps_failed, 0);
    assert_int_equal(r.server.requests, (uint64_t)pages);
    assert_int_equal(check_pages(&f, 3, 0.0, pages), 0);
    assert_int_equal(r.gil.takes, r.stats.takes);
    assert_int_equal(r.gil.drops, r.stats.drops);
    sim_run_result_clear(&r);
    fixture_stop(&f);
}

static int
cmp_seg(const void *a, const void *b)
{
    const struct sim_segment *x = a;
    const struct sim_segment *y = b;

    return (x->begin_ns > y->begin_ns) - (x->begin_ns < y->begin_ns);
}

/* One GIL: at no instant do two threads run (hold it). */
static void
running_segments_never_overlap(void **state)
{
    struct fixture f;
    struct sim_run_result r;
    struct sim_segment *seg;
    struct sim_segment *run;
    char err[SIM_ERR_LEN];
    size_t nseg, nrun = 0, i;
    int threads_running[8] = {0};

    (void)state;
    fixture_start(&f, 1000000, BODY, 0.0, 1);
    options(&f.o, "seed");
    f.o.pages = 16;
    f.o.switch_interval_ns = 100000; /* many hand-offs */
    assert_int_equal(
        sim_run_once(&f.o, SIM_MODEL_LOOP, &f.io, NULL, &r, err, sizeof(err)),
        0);
    assert_int_equal(sim_trace_segments(r.trace, &seg, &nseg), 0);
    run = calloc(nseg + 1, sizeof(*run));
    assert_non_null(run);
    for (i = 0; i < nseg; i++) {
        if (seg[i].state == SIM_STATE_RUNNING) {
            run[nrun++] = seg[i];
            threads_running[seg[i].thread < 8 ? seg[i].thread : 7] = 1;
        }
    }
    qsort(run, nrun, sizeof(*run), cmp_seg);
    for (i = 1; i < nrun; i++) {
        assert_true(run[i - 1].end_ns <= run[i].begin_ns);
    }
    /* The loop and at least one offload thread did run. */
    assert_true(threads_running[0]);
    assert_true(threads_running[1] || threads_running[2] || threads_running[3]);
    free(run);
    free(seg);
    sim_run_result_clear(&r);
    fixture_stop(&f);
}

/* --concurrency=4: never more than 4 fetches open, and 4 at the start
 * (see the file comment for why both are certain). */
static void
concurrency_bounds_the_fetches_in_flight(void **state)
{
    struct fixture f;
    struct sim_run_result r;
    char err[SIM_ERR_LEN];
    int ended = 0;

    (void)state;
    fixture_start(&f, 5000000, BODY, 0.0, 1);
    options(&f.o, "seed");
    f.o.pages = 20;
    f.o.concurrency = 4;
    assert_int_equal(
        sim_run_once(&f.o, SIM_MODEL_LOOP, &f.io, NULL, &r, err, sizeof(err)),
        0);
    assert_int_equal(max_fetches_in_flight(loop_buf(r.trace), &ended), 4);
    assert_int_equal(ended, 20);
    assert_int_equal(r.stats.steps_failed, 0);
    sim_run_result_clear(&r);
    fixture_stop(&f);
}

/* Without a limit every fetch begins before the first one ends: the 20
 * transfers are all added in the first fill(), before the loop first
 * waits, and none can end outside a wait (file comment). The server's
 * 200 ms latency is a lower bound on each fetch, so the 20 overlapped. */
static void
unbounded_concurrency_overlaps_every_fetch(void **state)
{
    const int64_t latency = 200000000;
    struct fixture f;
    struct sim_run_result r;
    char err[SIM_ERR_LEN];
    const struct sim_trace_buf *b;
    int64_t first_end, last_begin;
    int ended = 0;

    (void)state;
    fixture_start(&f, latency, BODY, 0.0, 1);
    options(&f.o, "seed");
    f.o.pages = 20;
    f.o.concurrency = 0;
    assert_int_equal(
        sim_run_once(&f.o, SIM_MODEL_LOOP, &f.io, NULL, &r, err, sizeof(err)),
        0);
    b = loop_buf(r.trace);
    assert_int_equal(max_fetches_in_flight(b, &ended), 20);
    assert_int_equal(ended, 20);
    trace_fetch_span(b, &last_begin, &first_end);
    assert_true(last_begin < first_end);
    assert_true(r.stats.fetch_p50_ns >= latency);
    sim_run_result_clear(&r);
    fixture_stop(&f);
}

/* Injected failures end their tasks and are counted, as in the seed test
 * of test_io_models.c: refused, timed out, HTTP 500, closed mid-body. */
static void
failures_are_counted_and_their_pages_absent(void **state)
{
    const uint64_t seed = 7;
    const double rate = 0.3;
    const int64_t pages = 20;
    struct fixture f;
    struct sim_run_result r;
    char err[SIM_ERR_LEN];
    uint64_t expect_failed;
    uint64_t injected;

    (void)state;
    fixture_start(&f, 2000000, BODY, rate, seed);
    options(&f.o, "seed");
    f.o.pages = pages;
    f.o.seed = seed;
    assert_int_equal(
        sim_run_once(&f.o, SIM_MODEL_LOOP, &f.io, NULL, &r, err, sizeof(err)),
        0);
    expect_failed = check_pages(&f, seed, rate, pages);
    assert_true(expect_failed > 0 && expect_failed < (uint64_t)pages);
    injected = r.server.injected_500 + r.server.injected_close +
               r.server.injected_stall;
    assert_int_equal(r.stats.steps_failed, expect_failed);
    assert_int_equal(injected, expect_failed);
    assert_int_equal(r.stats.steps_failed_by[SIM_OUT_HTTP],
                     r.server.injected_500);
    assert_int_equal(r.stats.steps_failed_by[SIM_OUT_TIMEOUT],
                     r.server.injected_stall);
    assert_int_equal(r.stats.tasks, (uint64_t)pages);
    sim_run_result_clear(&r);
    fixture_stop(&f);
}

/* Nothing listens: every fetch fails as refused, the run still ends. */
static void
refused_fetches_are_counted_not_fatal(void **state)
{
    struct fixture f;
    struct sim_run_result r;
    char err[SIM_ERR_LEN];

    (void)state;
    fixture_start(&f, 0, BODY, 0.0, 1);
    (void)snprintf(f.io.url_template, sizeof(f.io.url_template),
                   "http://127.0.0.1:1/top250?start={page}");
    options(&f.o, "seed");
    f.o.pages = 5;
    assert_int_equal(
        sim_run_once(&f.o, SIM_MODEL_LOOP, &f.io, NULL, &r, err, sizeof(err)),
        0);
    assert_int_equal(r.stats.steps_failed, 5);
    assert_int_equal(r.stats.steps_failed_by[SIM_OUT_REFUSED], 5);
    assert_int_equal(r.stats.steps_ok, 0);
    assert_int_equal(r.stats.tasks, 5);
    sim_run_result_clear(&r);
    fixture_stop(&f);
}

/* CPU-only coroutines never await: they run one after another on the
 * loop thread, and the offload threads never hold the GIL. */
static void
cpu_tasks_run_one_after_another_on_the_loop(void **state)
{
    struct sim_options o;
    struct sim_run_result r;
    char err[SIM_ERR_LEN];
    const struct sim_trace_buf *b;
    int32_t open_task = -1;
    int ended = 0;
    size_t i;
    uint64_t k;

    (void)state;
    options(&o, "cpu");
    o.count = 30000;
    o.threads = 3; /* the cpu workload: 3 tasks */
    assert_int_equal(
        sim_run_once(&o, SIM_MODEL_LOOP, NULL, NULL, &r, err, sizeof(err)), 0);
    assert_int_equal(r.stats.tasks, 3);
    assert_int_equal(r.stats.steps_ok, 3);
    b = loop_buf(r.trace);
    for (k = 0; k < b->n; k++) {
        const struct sim_trace_event *e = &b->ev[k];

        if (e->kind == SIM_EV_TASK_BEGIN) {
            assert_int_equal(open_task, -1);
            open_task = e->task;
        } else if (e->kind == SIM_EV_TASK_END) {
            assert_int_equal(e->task, open_task);
            open_task = -1;
            ended++;
        }
    }
    assert_int_equal(ended, 3);
    for (i = 0; i < sim_trace_thread_count(r.trace); i++) {
        const struct sim_trace_buf *ob = sim_trace_thread(r.trace, i);

        if (ob == b) {
            continue;
        }
        for (k = 0; k < ob->n; k++) {
            assert_true(ob->ev[k].kind == SIM_EV_THREAD_START ||
                        ob->ev[k].kind == SIM_EV_THREAD_END);
        }
    }
    sim_run_result_clear(&r);
}

/* A stop flag set before the run: no task starts, the run still ends
 * cleanly with a valid trace. */
static void
stop_before_the_start_runs_no_task(void **state)
{
    struct fixture f;
    struct sim_run_result r;
    char err[SIM_ERR_LEN];
    atomic_int stop;

    (void)state;
    atomic_init(&stop, 1);
    fixture_start(&f, 0, BODY, 0.0, 1);
    options(&f.o, "seed");
    f.o.pages = 5;
    assert_int_equal(
        sim_run_once(&f.o, SIM_MODEL_LOOP, &f.io, &stop, &r, err, sizeof(err)),
        0);
    assert_int_equal(r.stats.tasks, 0);
    assert_int_equal(r.server.requests, 0);
    sim_run_result_clear(&r);
    fixture_stop(&f);
}

/* Convoy's CPU tasks would never yield on an event loop: the model
 * refuses it, and so does the command line, naming both flags; without
 * --model, the loop is left out of convoy runs. */
static void
convoy_is_refused_by_the_loop(void **state)
{
    struct fixture f;
    struct sim_run_result r;
    struct sim_options o;
    enum sim_cmd cmd;
    char err[SIM_ERR_LEN];
    char *bad[] = {"gilsim", "--workload=convoy", "--model=serial,loop"};
    char *dflt[] = {"gilsim", "--workload=convoy"};
    char *ok[] = {"gilsim", "--workload=seed", "--model=loop",
                  "--concurrency=8"};
    char *neg[] = {"gilsim", "--concurrency=-1"};

    (void)state;
    fixture_start(&f, 0, 128, 0.0, 1);
    options(&f.o, "convoy");
    f.o.ops = 3;
    memset(&r, 0, sizeof(r));
    assert_int_equal(
        sim_run_once(&f.o, SIM_MODEL_LOOP, &f.io, NULL, &r, err, sizeof(err)),
        -ENOTSUP);
    assert_non_null(strstr(err, "convoy"));
    assert_non_null(strstr(err, "never yields"));
    assert_int_equal(r.server.requests, 0);
    fixture_stop(&f);

    assert_int_equal(sim_opt_parse(3, bad, &o, &cmd, err, sizeof(err)),
                     SIM_EXIT_USAGE);
    assert_non_null(strstr(err, "--workload=convoy"));
    assert_non_null(strstr(err, "--model=serial,loop"));
    assert_null(strchr(err, '\n'));
    assert_int_equal(sim_opt_parse(2, dflt, &o, &cmd, err, sizeof(err)), 0);
    assert_int_equal(o.models & (1u << SIM_MODEL_LOOP), 0);
    assert_true(o.models & (1u << SIM_MODEL_THREADS));
    assert_int_equal(sim_opt_parse(4, ok, &o, &cmd, err, sizeof(err)), 0);
    assert_int_equal(o.models, 1u << SIM_MODEL_LOOP);
    assert_int_equal(o.concurrency, 8);
    assert_int_equal(sim_opt_parse(2, neg, &o, &cmd, err, sizeof(err)),
                     SIM_EXIT_USAGE);
    assert_non_null(strstr(err, "--concurrency=-1"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fetches_run_on_the_loop_and_writes_on_offload_threads),
        cmocka_unit_test(running_segments_never_overlap),
        cmocka_unit_test(concurrency_bounds_the_fetches_in_flight),
        cmocka_unit_test(unbounded_concurrency_overlaps_every_fetch),
        cmocka_unit_test(failures_are_counted_and_their_pages_absent),
        cmocka_unit_test(refused_fetches_are_counted_not_fatal),
        cmocka_unit_test(cpu_tasks_run_one_after_another_on_the_loop),
        cmocka_unit_test(stop_before_the_start_runs_no_task),
        cmocka_unit_test(convoy_is_refused_by_the_loop),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
