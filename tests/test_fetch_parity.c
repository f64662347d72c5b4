/*
 * test_fetch_parity.c - cmocka tests that both engines follow one fetch
 * choreography (workloads/fetch_gil.c).
 *
 * The same seed run (one thread, 128-byte pages, so every body comes in
 * one chunk) goes once through libcurl against the embedded server on
 * 127.0.0.1 and once through the virtual engine. From each trace we take,
 * for every fetch step, the sequence of GIL calls the fetching thread
 * made (drops with their reason, takes) and check that the two engines
 * made the same sequence, call for call. With requests.get (the seed's
 * client) every fetch connects, in both engines. With a requests.Session
 * only the first real fetch connects (one more release for the connect,
 * taken back before the send), which the virtual engine does not model,
 * so it is compared after removing that pair.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "io_fixture.h"
#include "run.h"

#define PAGES     6
#define PAGE_SIZE 128
#define MAX_CALLS 64

/* One fetch's GIL calls: 'D' then the drop's reason digit, or 'T'. */
struct calls {
    char s[MAX_CALLS * 2 + 1];
    size_t n;
};

/* The GIL calls of every fetch step of thread 0, in order. */
static size_t
fetch_calls(const struct sim_trace *t, struct calls *out, size_t max)
{
    const struct sim_trace_buf *b = sim_trace_thread(t, 0);
    size_t n = 0;
    int in_fetch = 0;
    uint64_t k;

    for (k = 0; k < b->n; k++) {
        const struct sim_trace_event *e = &b->ev[k];

        if (e->kind == SIM_EV_STEP_BEGIN && e->detail == SIM_STEP_FETCH) {
            assert_true(n < max);
            memset(&out[n], 0, sizeof(out[n]));
            in_fetch = 1;
        } else if (e->kind == SIM_EV_STEP_END && in_fetch) {
            in_fetch = 0;
            n++;
        } else if (in_fetch &&
                   (e->kind == SIM_EV_GIL_DROP || e->kind == SIM_EV_GIL_TAKE)) {
            struct calls *c = &out[n];

            assert_true(c->n + 2 < sizeof(c->s));
            c->s[c->n++] = e->kind == SIM_EV_GIL_DROP ? 'D' : 'T';
            c->s[c->n++] =
                e->kind == SIM_EV_GIL_DROP ? (char)('0' + e->detail) : '.';
        }
    }
    return n;
}

static void
seed_options(struct sim_options *o, int client)
{
    options(o, "seed");
    o->client = client;
    o->pages = PAGES;
    o->body_size = PAGE_SIZE;
    o->latency_ns = 1000000;
    o->trace_events = 100000;
}

/* Run the seed through both engines with `client`; compare the calls. */
static void
compare_engines(int client)
{
    struct fixture f;
    struct sim_options vo;
    struct sim_run_result real, virt;
    struct calls rc[PAGES], vc[PAGES];
    char err[SIM_ERR_LEN * 2] = "";
    const char *connect_pair = "D0T.";
    size_t nr, nv, i;

    fixture_start(&f, 1000000, PAGE_SIZE, 0.0, 1);
    seed_options(&f.o, client);
    assert_int_equal(sim_run_once(&f.o, SIM_MODEL_SERIAL, &f.io, NULL, &real,
                                  err, sizeof(err)),
                     0);
    seed_options(&vo, client);
    vo.engine_virtual = 1;
    vo.cores = 2;
    assert_int_equal(sim_run_once(&vo, SIM_MODEL_SERIAL, NULL, NULL, &virt, err,
                                  sizeof(err)),
                     0);
    assert_int_equal(real.stats.steps_failed, 0);
    assert_int_equal(virt.stats.steps_failed, 0);

    nr = fetch_calls(real.trace, rc, PAGES);
    nv = fetch_calls(virt.trace, vc, PAGES);
    assert_int_equal(nr, PAGES);
    assert_int_equal(nv, PAGES);
    if (client == SIM_CLIENT_REQUESTS) {
        /* A connection a request, in both engines: the same calls. */
        for (i = 0; i < PAGES; i++) {
            assert_true(vc[i].n >= 8);
            assert_string_equal(rc[i].s, vc[i].s);
        }
        goto out;
    }
    /* The first real fetch connects: its first release (the connect) is
     * taken back before the send's release. */
    assert_true(rc[0].n > vc[0].n);
    assert_int_equal(rc[0].n, vc[0].n + strlen(connect_pair));
    for (i = 0; i < PAGES; i++) {
        const char *r = rc[i].s;

        if (i == 0) {
            /* Drop the connect's pair where the sequences first differ. */
            size_t k = 0;

            while (k < vc[0].n && r[k] == vc[0].s[k]) {
                k++;
            }
            assert_memory_equal(r + k, connect_pair, strlen(connect_pair));
            assert_memory_equal(r, vc[0].s, k);
            assert_string_equal(r + k + strlen(connect_pair), vc[0].s + k);
            continue;
        }
        /* Several calls each: quick releases, the send, the reply. */
        assert_true(vc[i].n >= 8);
        assert_string_equal(r, vc[i].s);
    }
out:
    sim_run_result_clear(&real);
    sim_run_result_clear(&virt);
    fixture_stop(&f);
}

static void
real_and_virtual_fetches_make_the_same_gil_calls(void **state)
{
    (void)state;
    compare_engines(SIM_CLIENT_SESSION);
    compare_engines(SIM_CLIENT_REQUESTS);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(real_and_virtual_fetches_make_the_same_gil_calls),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
