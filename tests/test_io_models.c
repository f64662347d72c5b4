/*
 * test_io_models.c - the I/O workloads run by the models: seed (fetch,
 * decode, write) and convoy, against the embedded loopback server, through
 * run.h.
 *
 * Assertions come from the trace, the files on disk and the server's own
 * counters, never from timing. The one time bound used is a lower bound
 * that cannot fail on a slow machine: a reply never comes before the
 * server's latency, so a fetch spends at least that long with the GIL
 * released.
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

#include "io_fixture.h"
#include "run.h"

/* Every page that did not fail is on disk, complete and byte-identical to
 * the server's; every page that failed is absent; the failed steps are
 * exactly the failures the server injected. */
static void
seed_run_keeps_every_page_that_succeeded(void **state)
{
    const uint64_t seed = 7;
    const double rate = 0.3;
    const int64_t pages = 20;
    struct fixture f;
    struct sim_run_result r;
    char err[SIM_ERR_LEN];
    char path[4300];
    char *want = malloc(BODY);
    uint64_t expect_failed = 0;
    uint64_t injected;
    int64_t p;
    DIR *d;
    struct dirent *de;

    (void)state;
    assert_non_null(want);
    fixture_start(&f, 2000000, BODY, rate, seed);
    options(&f.o, "seed");
    f.o.pages = pages;
    assert_int_equal(sim_run_once(&f.o, SIM_MODEL_THREADS, &f.io, NULL, &r, err,
                                  sizeof(err)),
                     0);
    for (p = 0; p < pages; p++) {
        int kind = 0;
        int fails = wl_server_page_fails(seed, rate, p, &kind);
        size_t len = 0;
        char *got;

        (void)snprintf(path, sizeof(path), "%s/threads/pages/top250-%lld.html",
                       f.tmp, (long long)p);
        got = tf_slurp(path, &len);
        if (fails) {
            expect_failed++;
            assert_null(got);
        } else {
            assert_non_null(got);
            wl_server_page_body(seed, p, BODY, want);
            assert_int_equal(len, BODY);
            assert_memory_equal(got, want, BODY);
        }
        free(got);
    }
    /* The seed and the rate are fixed: some pages fail, some do not. */
    assert_true(expect_failed > 0 && expect_failed < (uint64_t)pages);
    assert_true(r.has_server);
    injected = r.server.injected_500 + r.server.injected_close +
               r.server.injected_stall;
    assert_int_equal(r.stats.steps_failed, expect_failed);
    assert_int_equal(injected, expect_failed);
    assert_int_equal(r.stats.tasks, (uint64_t)pages);
    /* No temporary file is left among the pages. */
    (void)snprintf(path, sizeof(path), "%s/threads/pages", f.tmp);
    d = opendir(path);
    assert_non_null(d);
    while ((de = readdir(d)) != NULL) { // NOLINT(concurrency-mt-unsafe)
        assert_null(strstr(de->d_name, ".tmp"));
    }
    closedir(d);
    sim_run_result_clear(&r);
    fixture_stop(&f);
    free(want);
}

/* Every model runs every task of the seed exactly once: each page is on
 * disk, byte-identical to the server's, and the server saw one request a
 * page. */
static void
every_model_writes_every_page_once(void **state)
{
    const int64_t pages = 6;
    struct fixture f;
    char *want = malloc(BODY);
    int m;

    (void)state;
    assert_non_null(want);
    fixture_start(&f, 1000000, BODY, 0.0, 3);
    for (m = 0; m < SIM_MODEL_COUNT; m++) {
        struct sim_run_result r;
        char err[SIM_ERR_LEN];
        char path[4300];
        int64_t p;

        options(&f.o, "seed");
        f.o.pages = pages;
        f.o.processes = 2;
        if (sim_run_once(&f.o, (enum sim_model)m, &f.io, NULL, &r, err,
                         sizeof(err)) != 0) {
            fail_msg("%s: %s", sim_model_name((enum sim_model)m), err);
        }
        assert_int_equal(r.stats.steps_failed, 0);
        assert_int_equal(r.stats.tasks, (uint64_t)pages);
        assert_int_equal(r.server.requests, (uint64_t)pages);
        for (p = 0; p < pages; p++) {
            size_t len = 0;
            char *got;

            (void)snprintf(path, sizeof(path), "%s/%s/pages/top250-%lld.html",
                           f.tmp, sim_model_name((enum sim_model)m),
                           (long long)p);
            got = tf_slurp(path, &len);
            assert_non_null(got);
            wl_server_page_body(3, p, BODY, want);
            assert_int_equal(len, BODY);
            assert_memory_equal(got, want, BODY);
            free(got);
        }
        sim_run_result_clear(&r);
    }
    fixture_stop(&f);
    free(want);
}

/* Like ThreadPool(5).map, the threads model hands 25 pages out in chunks
 * of ceil(25 / 20) = 2: a thread that starts an even page runs the next
 * one right after it. */
static void
threads_model_hands_out_pages_two_by_two(void **state)
{
    struct fixture f;
    struct sim_run_result r;
    char err[SIM_ERR_LEN];
    size_t i, k;
    int pairs = 0;

    (void)state;
    fixture_start(&f, 1000000, 1024, 0.0, 1);
    options(&f.o, "seed");
    f.o.pages = 25;
    f.o.threads = 5;
    assert_int_equal(sim_run_once(&f.o, SIM_MODEL_THREADS, &f.io, NULL, &r, err,
                                  sizeof(err)),
                     0);
    assert_int_equal(r.stats.tasks, 25);
    for (i = 0; i < sim_trace_thread_count(r.trace); i++) {
        const struct sim_trace_buf *b = sim_trace_thread(r.trace, i);
        int32_t last = -1;

        for (k = 0; k < b->n; k++) {
            if (b->ev[k].kind != SIM_EV_TASK_BEGIN) {
                continue;
            }
            if (last >= 0 && last % 2 == 0 && last < 24) {
                assert_int_equal(b->ev[k].task, last + 1);
                pairs++;
            }
            last = b->ev[k].task;
        }
        if (last >= 0 && last % 2 == 0 && last < 24) {
            fail_msg("thread %zu ended after page %d, not its pair", i,
                     (int)last);
        }
    }
    assert_int_equal(pairs, 12); /* pages 0-23 in pairs, 24 alone */
    sim_run_result_clear(&r);
    fixture_stop(&f);
}

/* During a fetch the thread does not hold the GIL: each fetch step holds a
 * GIL_DROP(io), and the time inside it off the GIL (in I/O, or waiting to
 * take it back after the send) adds up to at least the server's latency
 * (a reply never comes earlier). */
static void
fetch_releases_the_gil_for_the_transfer(void **state)
{
    const int64_t latency = 20000000; /* 20 ms */
    struct fixture f;
    struct sim_run_result r;
    struct sim_segment *seg;
    char err[SIM_ERR_LEN];
    size_t nseg, i, k;
    size_t fetches = 0;

    (void)state;
    fixture_start(&f, latency, BODY, 0.0, 1);
    options(&f.o, "seed");
    f.o.pages = 6;
    f.o.threads = 2;
    assert_int_equal(sim_run_once(&f.o, SIM_MODEL_THREADS, &f.io, NULL, &r, err,
                                  sizeof(err)),
                     0);
    assert_int_equal(r.stats.steps_failed, 0);
    assert_int_equal(sim_trace_segments(r.trace, &seg, &nseg), 0);
    for (i = 0; i < sim_trace_thread_count(r.trace); i++) {
        const struct sim_trace_buf *b = sim_trace_thread(r.trace, i);
        int64_t begin = -1;
        int io_drop = 0;

        for (k = 0; k < b->n; k++) {
            const struct sim_trace_event *e = &b->ev[k];

            if (e->kind == SIM_EV_STEP_BEGIN && e->detail == SIM_STEP_FETCH) {
                begin = e->t_ns;
                io_drop = 0;
            } else if (e->kind == SIM_EV_GIL_DROP && begin >= 0 &&
                       e->detail == SIM_DROP_IO) {
                io_drop = 1;
            } else if (e->kind == SIM_EV_STEP_END &&
                       e->detail == SIM_STEP_FETCH && begin >= 0) {
                int64_t io_ns = 0;
                size_t j;

                for (j = 0; j < nseg; j++) {
                    /* The reply's latency passes off the GIL: in I/O,
                     * or waiting to take the GIL back after the send
                     * (the reply may arrive meanwhile). */
                    if (seg[j].thread != i ||
                        (seg[j].state != SIM_STATE_IO &&
                         seg[j].state != SIM_STATE_WAITING) ||
                        seg[j].begin_ns < begin || seg[j].end_ns > e->t_ns) {
                        continue;
                    }
                    io_ns += seg[j].end_ns - seg[j].begin_ns;
                }
                assert_true(io_drop);
                assert_true(io_ns >= latency);
                fetches++;
                begin = -1;
            }
        }
    }
    assert_int_equal(fetches, 6);
    free(seg);
    sim_run_result_clear(&r);
    fixture_stop(&f);
}

/*
 * The GIL releases of a one-chunk fetch (128 B), run with `client`, as
 * (drop(io), take) letters inside each fetch step, into seqs[0..4), and
 * the connections the server accepted.
 */
static uint64_t
fetch_sequences(int client, char seqs[4][32])
{
    struct fixture f;
    struct sim_run_result r;
    char err[SIM_ERR_LEN];
    size_t i, k;
    size_t fetches = 0;
    uint64_t connections;

    fixture_start(&f, 0, 128, 0.0, 1);
    options(&f.o, "seed");
    f.o.pages = 4;
    f.o.threads = 1; /* no rival, so no forced drop inside a step */
    f.o.client = client;
    assert_int_equal(sim_run_once(&f.o, SIM_MODEL_THREADS, &f.io, NULL, &r, err,
                                  sizeof(err)),
                     0);
    assert_int_equal(r.stats.steps_failed, 0);
    for (i = 0; i < sim_trace_thread_count(r.trace); i++) {
        const struct sim_trace_buf *b = sim_trace_thread(r.trace, i);
        size_t n = 0;
        int in_fetch = 0;

        for (k = 0; k < b->n; k++) {
            const struct sim_trace_event *e = &b->ev[k];

            if (e->kind == SIM_EV_STEP_BEGIN && e->detail == SIM_STEP_FETCH) {
                in_fetch = 1;
                n = 0;
            } else if (in_fetch && e->kind == SIM_EV_GIL_DROP) {
                assert_int_equal(e->detail, SIM_DROP_IO);
                assert_true(n < 31);
                seqs[fetches][n++] = 'r';
            } else if (in_fetch && e->kind == SIM_EV_GIL_TAKE) {
                assert_true(n < 31);
                seqs[fetches][n++] = 'a';
            } else if (in_fetch && e->kind == SIM_EV_STEP_END &&
                       e->detail == SIM_STEP_FETCH) {
                assert_true(fetches < 4);
                seqs[fetches][n] = '\0';
                in_fetch = 0;
                fetches++;
            }
        }
    }
    assert_int_equal(fetches, 4);
    connections = r.server.connections;
    sim_run_result_clear(&r);
    fixture_stop(&f);
    return connections;
}

/*
 * A one-chunk fetch through a requests.Session releases the GIL six times,
 * as CPython's requests does (strace: 2 newfstatat, poll, sendto, ioctl,
 * recvfrom): three quick releases, the transfer, whose retake comes after
 * the send, one quick release, the release for the reply; so its trace
 * inside the step reads (drop(io), take) six times, and the completing
 * chunk keeps the GIL to the step's end. The thread keeps its connection:
 * its first fetch also releases the GIL for the connect (seven times), and
 * the server sees one connection. requests.get (the seed's default) opens
 * a connection for every request and releases the GIL nine times each
 * (six quick: 2 newfstatat, 2 ioctl, socket, close; connect, send,
 * reply): four connections for four pages.
 */
static void
fetch_releases_the_gil_as_its_client_does(void **state)
{
    char seqs[4][32];
    size_t i;

    (void)state;
    assert_int_equal(fetch_sequences(SIM_CLIENT_SESSION, seqs), 1);
    for (i = 0; i < 4; i++) {
        assert_string_equal(seqs[i],
                            i == 0 ? "rarararararara" : "rararararara");
    }
    assert_int_equal(fetch_sequences(SIM_CLIENT_AUTO, seqs), 4);
    for (i = 0; i < 4; i++) {
        assert_string_equal(seqs[i], "rarararararararara"); /* 9 */
    }
    /* urllib: socket and close quick, connect, send, reply: 5. */
    assert_int_equal(fetch_sequences(SIM_CLIENT_URLLIB, seqs), 4);
    for (i = 0; i < 4; i++) {
        assert_string_equal(seqs[i], "rarararara");
    }
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
    /* Port 1 on loopback: nobody listens there. */
    (void)snprintf(f.io.url_template, sizeof(f.io.url_template),
                   "http://127.0.0.1:1/top250?start={page}");
    options(&f.o, "seed");
    f.o.pages = 5;
    f.o.threads = 2;
    assert_int_equal(sim_run_once(&f.o, SIM_MODEL_THREADS, &f.io, NULL, &r, err,
                                  sizeof(err)),
                     0);
    assert_int_equal(r.stats.steps_failed, 5);
    assert_int_equal(r.stats.steps_failed_by[SIM_OUT_REFUSED], 5);
    assert_int_equal(r.stats.steps_ok, 0);
    assert_int_equal(r.stats.tasks, 5);
    assert_int_equal(r.server.requests, 0);
    sim_run_result_clear(&r);
    fixture_stop(&f);
}

/* Convoy: the CPU threads spin until the I/O task has ended, then stop. */
static void
convoy_cpu_threads_end_when_the_io_task_ends(void **state)
{
    struct fixture f;
    struct sim_run_result r;
    char err[SIM_ERR_LEN];
    int64_t io_end = -1;
    size_t i, k;
    int cpu_ends = 0;

    (void)state;
    fixture_start(&f, 0, 128, 0.0, 1);
    options(&f.o, "convoy");
    f.o.ops = 20;
    f.o.cpu_threads = 2;
    f.o.switch_interval_ns = 200000; /* 200 us keeps the test short */
    assert_int_equal(sim_opt_pool_size(&f.o, SIM_MODEL_THREADS), 3);
    assert_int_equal(sim_run_once(&f.o, SIM_MODEL_THREADS, &f.io, NULL, &r, err,
                                  sizeof(err)),
                     0);
    assert_int_equal(r.stats.steps_failed, 0);
    assert_int_equal(r.stats.fetches, 20);
    assert_int_equal(r.stats.tasks, 3);
    assert_int_equal(r.server.requests, 20);
    for (i = 0; i < sim_trace_thread_count(r.trace); i++) {
        const struct sim_trace_buf *b = sim_trace_thread(r.trace, i);

        for (k = 0; k < b->n; k++) {
            if (b->ev[k].kind == SIM_EV_TASK_END && b->ev[k].task == 0) {
                io_end = b->ev[k].t_ns;
            }
        }
    }
    assert_true(io_end > 0);
    for (i = 0; i < sim_trace_thread_count(r.trace); i++) {
        const struct sim_trace_buf *b = sim_trace_thread(r.trace, i);

        for (k = 0; k < b->n; k++) {
            if (b->ev[k].kind == SIM_EV_STEP_END &&
                b->ev[k].detail == SIM_STEP_CPU) {
                assert_true(b->ev[k].t_ns >= io_end);
                cpu_ends++;
            }
        }
    }
    assert_int_equal(cpu_ends, 2);
    sim_run_result_clear(&r);
    fixture_stop(&f);
}

static void
io_workload_without_io_setup_is_refused(void **state)
{
    struct sim_options o;
    struct sim_run_result r;
    char err[SIM_ERR_LEN];

    (void)state;
    options(&o, "seed");
    assert_int_equal(
        sim_run_once(&o, SIM_MODEL_SERIAL, NULL, NULL, &r, err, sizeof(err)),
        -EINVAL);
    assert_non_null(strstr(err, "seed"));
}

/* Each model's client and request cost: the seed's threads call
 * requests.get, the convoy keeps a Session, the loop is aiohttp's, and
 * --client changes the models with threads only. */
static void
client_picks_each_model_s_request_cost(void **state)
{
    struct sim_options o;

    (void)state;
    sim_options_default(&o);
    o.costs.request_instructions = 1;
    o.costs.request_new_instructions = 2;
    o.costs.request_urllib_instructions = 3;
    o.costs.request_aiohttp_instructions = 4;
    assert_int_equal(sim_opt_client(&o, SIM_MODEL_THREADS),
                     SIM_CLIENT_REQUESTS);
    assert_int_equal(sim_opt_request_instructions(&o, SIM_MODEL_THREADS), 2);
    assert_int_equal(sim_opt_request_instructions(&o, SIM_MODEL_SERIAL), 2);
    assert_int_equal(sim_opt_request_instructions(&o, SIM_MODEL_LOOP), 4);
    (void)snprintf(o.workload, sizeof(o.workload), "convoy");
    assert_int_equal(sim_opt_request_instructions(&o, SIM_MODEL_THREADS), 1);
    o.client = SIM_CLIENT_URLLIB;
    assert_int_equal(sim_opt_request_instructions(&o, SIM_MODEL_THREADS), 3);
    assert_int_equal(sim_opt_request_instructions(&o, SIM_MODEL_LOOP), 4);
    assert_true(sim_client_new_connection(SIM_CLIENT_URLLIB));
    assert_false(sim_client_new_connection(SIM_CLIENT_SESSION));
    assert_string_equal(sim_client_name(SIM_CLIENT_SESSION),
                        "requests-session");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(seed_run_keeps_every_page_that_succeeded),
        cmocka_unit_test(every_model_writes_every_page_once),
        cmocka_unit_test(threads_model_hands_out_pages_two_by_two),
        cmocka_unit_test(fetch_releases_the_gil_for_the_transfer),
        cmocka_unit_test(fetch_releases_the_gil_as_its_client_does),
        cmocka_unit_test(refused_fetches_are_counted_not_fatal),
        cmocka_unit_test(convoy_cpu_threads_end_when_the_io_task_ends),
        cmocka_unit_test(io_workload_without_io_setup_is_refused),
        cmocka_unit_test(client_picks_each_model_s_request_cost),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
