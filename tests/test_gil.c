/*
 * test_gil.c - behaviour of gil/: mutual exclusion, drop requests, forced
 * switching, the legacy and nogil policies, and the lock's own counters.
 *
 * Each test runs real threads against a real `struct gil` and decides from
 * what the hooks recorded, never from sleeps: every thread records its own
 * events (time, kind, argument) into a preallocated array, and the test
 * merges them by time after joining. The hooks are called with the GIL's
 * mutex held, so for `new` and `legacy` the merged order is the order in
 * which the lock changed hands. A thread that must wait for something
 * another thread does polls a test-owned atomic flag set from the hooks.
 *
 * cmocka's assertions are only used on the test's own thread; worker
 * threads count violations in atomics that the test asserts on afterwards.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "base.h"
#include "gil.h"

#define MAX_THREADS 8
#define MAX_RECS    (1u << 20)

struct rec {
    int64_t t_ns;
    int64_t arg;
    int ev;
    int thread;
};

struct harness;

struct worker {
    struct harness *h;
    int id;
    struct gil_thread *gt;
    struct rec *recs;
    size_t n;
    size_t lost;
    int64_t checks;   /* how many checks this thread makes */
    int64_t switched; /* checks that released the GIL */
    pthread_t thread;
};

struct harness {
    struct gil *g;
    struct worker w[MAX_THREADS];
    int n_workers;
    atomic_int holder;     /* id of the thread the hooks say holds it */
    atomic_int violations; /* a take while held, or a drop by a non-holder */
    atomic_int requests;   /* drop requests seen so far */
    atomic_int takes_by[MAX_THREADS];
    long shared_counter; /* plain int: only the GIL protects it */
    int exclusive;       /* 1 for policies that exclude */
};

static void
hook(void *user, enum gil_event ev, int64_t arg, int64_t t_ns)
{
    struct worker *w = user;
    struct harness *h = w->h;

    if (w->n < MAX_RECS) {
        w->recs[w->n].t_ns = t_ns;
        w->recs[w->n].arg = arg;
        w->recs[w->n].ev = (int)ev;
        w->recs[w->n].thread = w->id;
        w->n++;
    } else {
        w->lost++;
    }
    if (ev == GIL_EV_TAKE) {
        atomic_fetch_add(&h->takes_by[w->id], 1);
        if (h->exclusive && atomic_exchange(&h->holder, w->id) != -1) {
            atomic_fetch_add(&h->violations, 1);
        }
    } else if (ev == GIL_EV_DROP) {
        if (h->exclusive && atomic_exchange(&h->holder, -1) != w->id) {
            atomic_fetch_add(&h->violations, 1);
        }
    } else if (ev == GIL_EV_DROP_REQUEST) {
        atomic_fetch_add(&h->requests, 1);
    }
}

static void
spin(int n)
{
    volatile int x = 0;
    int i;

    for (i = 0; i < n; i++) {
        x = x + i;
    }
}

static void
harness_init(struct harness *h, const char *policy, int64_t interval_ns,
             int n_workers)
{
    struct gil_config cfg;
    int i;

    memset(h, 0, sizeof(*h));
    atomic_init(&h->holder, -1);
    h->n_workers = n_workers;
    h->exclusive = strcmp(policy, "nogil") != 0;
    memset(&cfg, 0, sizeof(cfg));
    cfg.policy = gil_policy_find(policy);
    assert_non_null(cfg.policy);
    cfg.switch_interval_ns = interval_ns;
    cfg.hooks.event = hook;
    assert_int_equal(gil_new(&cfg, &h->g), 0);
    for (i = 0; i < n_workers; i++) {
        h->w[i].h = h;
        h->w[i].id = i;
        h->w[i].recs = calloc(MAX_RECS, sizeof(struct rec));
        assert_non_null(h->w[i].recs);
        assert_int_equal(gil_thread_new(h->g, &h->w[i], &h->w[i].gt), 0);
    }
}

static void
harness_fini(struct harness *h)
{
    int i;

    for (i = 0; i < h->n_workers; i++) {
        gil_thread_free(h->w[i].gt);
        free(h->w[i].recs);
    }
    gil_free(h->g);
}

static int
cmp_rec(const void *a, const void *b)
{
    const struct rec *x = a;
    const struct rec *y = b;

    if (x->t_ns != y->t_ns) {
        return x->t_ns < y->t_ns ? -1 : 1;
    }
    return 0;
}

/* All records of all workers, by time; the caller frees. */
static struct rec *
merged(const struct harness *h, size_t *n_out)
{
    size_t n = 0;
    size_t k = 0;
    struct rec *all;
    int i;

    for (i = 0; i < h->n_workers; i++) {
        n += h->w[i].n;
    }
    all = malloc((n + 1) * sizeof(*all));
    assert_non_null(all);
    for (i = 0; i < h->n_workers; i++) {
        memcpy(all + k, h->w[i].recs, h->w[i].n * sizeof(*all));
        k += h->w[i].n;
    }
    qsort(all, n, sizeof(*all), cmp_rec);
    *n_out = n;
    return all;
}

static size_t
count_ev(const struct rec *r, size_t n, int ev, int64_t arg)
{
    size_t i;
    size_t c = 0;

    for (i = 0; i < n; i++) {
        if (r[i].ev == ev && (arg < 0 || r[i].arg == arg)) {
            c++;
        }
    }
    return c;
}

/* A CPU-bound thread: take, make `checks` checks with a little work and an
 * unprotected shared increment between them, drop for good. */
static void *
cpu_worker(void *arg)
{
    struct worker *w = arg;
    int64_t i;

    gil_take(w->gt);
    for (i = 0; i < w->checks; i++) {
        spin(20);
        w->h->shared_counter++;
        w->switched += gil_check(w->gt);
    }
    gil_drop(w->gt, GIL_DROP_EXIT);
    return NULL;
}

static void
run_cpu_workers(struct harness *h, int64_t checks)
{
    int i;

    for (i = 0; i < h->n_workers; i++) {
        h->w[i].checks = checks;
        assert_int_equal(
            pthread_create(&h->w[i].thread, NULL, cpu_worker, &h->w[i]), 0);
    }
    for (i = 0; i < h->n_workers; i++) {
        assert_int_equal(pthread_join(h->w[i].thread, NULL), 0);
    }
}

/* The events of the lock, merged, must read TAKE(x) DROP(x) TAKE(y) ... */
static void
assert_takes_and_drops_alternate(const struct rec *r, size_t n)
{
    int holder = -1;
    size_t i;

    for (i = 0; i < n; i++) {
        if (r[i].ev == GIL_EV_TAKE) {
            assert_int_equal(holder, -1);
            holder = r[i].thread;
        } else if (r[i].ev == GIL_EV_DROP) {
            assert_int_equal(holder, r[i].thread);
            holder = -1;
        }
    }
    assert_int_equal(holder, -1);
}

static void
assert_counters_match_events(struct harness *h, const struct rec *r, size_t n)
{
    struct gil_stats st;
    size_t switches = 0;
    size_t i;

    gil_get_stats(h->g, &st);
    for (i = 0; i < n; i++) {
        if (r[i].ev == GIL_EV_TAKE && r[i].arg == 1) {
            switches++;
        }
    }
    assert_int_equal(st.takes, count_ev(r, n, GIL_EV_TAKE, -1));
    assert_int_equal(st.drops, count_ev(r, n, GIL_EV_DROP, -1));
    assert_int_equal(st.waits, count_ev(r, n, GIL_EV_WAIT, -1));
    assert_int_equal(st.drop_requests, count_ev(r, n, GIL_EV_DROP_REQUEST, -1));
    assert_int_equal(st.forced_drops,
                     count_ev(r, n, GIL_EV_DROP, GIL_DROP_FORCED));
    assert_int_equal(st.switches, switches);
}

/* 4 threads x 100 000 checks, 100 us interval: never two holders. */
static void
new_gil_never_has_two_holders(void **state)
{
    struct harness *h = malloc(sizeof(*h));
    struct rec *r;
    size_t n;
    int i;

    (void)state;
    assert_non_null(h);
    harness_init(h, "new", 100000, 4);
    run_cpu_workers(h, 100000);
    r = merged(h, &n);

    assert_int_equal(atomic_load(&h->violations), 0);
    /* The plain counter lost no update: every increment ran alone. */
    assert_int_equal(h->shared_counter, 4 * 100000);
    for (i = 0; i < 4; i++) {
        assert_int_equal(h->w[i].lost, 0);
    }
    assert_takes_and_drops_alternate(r, n);
    assert_counters_match_events(h, r, n);
    free(r);
    harness_fini(h);
    free(h);
}

/* A waiter asks only after a full interval in which the GIL did not move,
 * and the holder gives way at its next check. */
struct request_case {
    struct harness h;
    atomic_int b_waiting;
    int64_t a_check_times[1 << 16];
    int a_checks;
    int64_t a_switch_check; /* index of the check that released */
};

static void *
request_holder(void *arg)
{
    struct request_case *c = arg;
    struct worker *w = &c->h.w[0];

    gil_take(w->gt);
    atomic_store(&c->b_waiting, 1);
    for (;;) {
        int64_t t = base_now_ns();
        int switched;

        switched = gil_check(w->gt);
        if (c->a_checks <
            (int)(sizeof(c->a_check_times) / sizeof(c->a_check_times[0]))) {
            c->a_check_times[c->a_checks++] = t;
        }
        if (switched) {
            break;
        }
        spin(2000);
    }
    gil_drop(w->gt, GIL_DROP_EXIT);
    return NULL;
}

static void *
request_waiter(void *arg)
{
    struct request_case *c = arg;
    struct worker *w = &c->h.w[1];

    while (!atomic_load(&c->b_waiting)) {
        sched_yield();
    }
    gil_take(w->gt);
    gil_drop(w->gt, GIL_DROP_EXIT);
    return NULL;
}

static void
waiter_sets_drop_request_after_one_interval(void **state)
{
    /* The holder's check that saw the request may have started a hair
     * before the request's stamp was read; no second one may follow. */
    const int checks_missed_tolerance = 1;
    const int64_t interval = 2000000; /* 2 ms */
    struct request_case *c = calloc(1, sizeof(*c));
    const struct worker *a;
    const struct worker *b;
    int64_t t_wait = -1, t_req = -1, t_drop = -1, t_take_b = -1;
    size_t i;
    int missed = 0;
    int k;

    (void)state;
    assert_non_null(c);
    harness_init(&c->h, "new", interval, 2);
    assert_int_equal(pthread_create(&c->h.w[0].thread, NULL, request_holder, c),
                     0);
    assert_int_equal(pthread_create(&c->h.w[1].thread, NULL, request_waiter, c),
                     0);
    assert_int_equal(pthread_join(c->h.w[0].thread, NULL), 0);
    assert_int_equal(pthread_join(c->h.w[1].thread, NULL), 0);

    a = &c->h.w[0];
    b = &c->h.w[1];
    for (i = 0; i < b->n; i++) {
        if (b->recs[i].ev == GIL_EV_WAIT && t_wait < 0) {
            t_wait = b->recs[i].t_ns;
        }
        if (b->recs[i].ev == GIL_EV_DROP_REQUEST && t_req < 0) {
            t_req = b->recs[i].t_ns;
        }
        if (b->recs[i].ev == GIL_EV_TAKE && t_take_b < 0) {
            t_take_b = b->recs[i].t_ns;
        }
    }
    for (i = 0; i < a->n; i++) {
        if (a->recs[i].ev == GIL_EV_DROP && a->recs[i].arg == GIL_DROP_FORCED) {
            t_drop = a->recs[i].t_ns;
        }
    }
    assert_true(t_wait >= 0 && t_req >= 0 && t_drop >= 0 && t_take_b >= 0);
    /* A timed wait never ends early: the request comes >= 1 interval on. */
    assert_true(t_req - t_wait >= interval);
    /* Then, in order: the holder drops (forced), the waiter takes. */
    assert_true(t_drop > t_req);
    assert_true(t_take_b > t_drop);
    /* The holder released at the first check after the request. */
    for (k = 0; k < c->a_checks - 1; k++) {
        if (c->a_check_times[k] > t_req) {
            missed++;
        }
    }
    assert_true(missed <= checks_missed_tolerance);
    assert_int_equal(count_ev(a->recs, a->n, GIL_EV_DROP, GIL_DROP_FORCED), 1);
    harness_fini(&c->h);
    free(c);
}

/* CPU-bound threads that keep going until the GIL has been forced away
 * `target` times in all, so the test does not depend on how the OS
 * schedules them: every thread stays until enough switches happened. */
static atomic_int forced_total;

#define FORCED_TARGET 50

static void *
until_forced_worker(void *arg)
{
    struct worker *w = arg;

    gil_take(w->gt);
    while (atomic_load(&forced_total) < FORCED_TARGET) {
        spin(20);
        w->h->shared_counter++;
        if (gil_check(w->gt)) {
            w->switched++;
            atomic_fetch_add(&forced_total, 1);
        }
    }
    gil_drop(w->gt, GIL_DROP_EXIT);
    return NULL;
}

/* After a forced drop, the next taker is always another thread. */
static void
forced_switch_hands_gil_to_the_waiter(void **state)
{
    struct harness *h = malloc(sizeof(*h));
    struct rec *r;
    size_t n;
    size_t i;
    size_t forced = 0;

    (void)state;
    assert_non_null(h);
    harness_init(h, "new", 50000, 3); /* 50 us: many switches */
    atomic_store(&forced_total, 0);
    for (i = 0; i < 3; i++) {
        assert_int_equal(pthread_create(&h->w[i].thread, NULL,
                                        until_forced_worker, &h->w[i]),
                         0);
    }
    for (i = 0; i < 3; i++) {
        assert_int_equal(pthread_join(h->w[i].thread, NULL), 0);
    }
    r = merged(h, &n);
    for (i = 0; i < n; i++) {
        size_t j;

        if (r[i].ev != GIL_EV_DROP || r[i].arg != GIL_DROP_FORCED) {
            continue;
        }
        forced++;
        for (j = i + 1; j < n && r[j].ev != GIL_EV_TAKE; j++) {
        }
        if (j < n) {
            assert_int_not_equal(r[j].thread, r[i].thread);
            assert_int_equal(r[j].arg, 1); /* counted as a switch */
        }
    }
    /* Every switch a worker counted is a forced drop in the trace. */
    assert_true(forced >= FORCED_TARGET);
    assert_int_equal(atomic_load(&h->violations), 0);
    assert_takes_and_drops_alternate(r, n);
    assert_counters_match_events(h, r, n);
    free(r);
    harness_fini(h);
    free(h);
}

/* A release for I/O while a request is pending blocks until another
 * thread has taken the GIL (FORCE_SWITCHING applies to every release). */
struct io_case {
    struct harness h;
    atomic_int a_holds;
    uint64_t switches_when_a_returned;
};

static void *
io_holder(void *arg)
{
    struct io_case *c = arg;
    struct worker *w = &c->h.w[0];
    struct gil_stats st;

    gil_take(w->gt);
    atomic_store(&c->a_holds, 1);
    while (atomic_load(&c->h.requests) == 0) {
        sched_yield();
    }
    gil_drop(w->gt, GIL_DROP_IO);
    gil_get_stats(c->h.g, &st);
    c->switches_when_a_returned = st.switches;
    gil_take(w->gt);
    gil_drop(w->gt, GIL_DROP_EXIT);
    return NULL;
}

static void *
io_waiter(void *arg)
{
    struct io_case *c = arg;
    struct worker *w = &c->h.w[1];

    while (!atomic_load(&c->a_holds)) {
        sched_yield();
    }
    gil_take(w->gt);
    gil_drop(w->gt, GIL_DROP_EXIT);
    return NULL;
}

static void
io_release_with_pending_request_waits_for_the_switch(void **state)
{
    struct io_case *c = calloc(1, sizeof(*c));

    (void)state;
    assert_non_null(c);
    harness_init(&c->h, "new", 1000000, 2);
    assert_int_equal(pthread_create(&c->h.w[0].thread, NULL, io_holder, c), 0);
    assert_int_equal(pthread_create(&c->h.w[1].thread, NULL, io_waiter, c), 0);
    assert_int_equal(pthread_join(c->h.w[0].thread, NULL), 0);
    assert_int_equal(pthread_join(c->h.w[1].thread, NULL), 0);
    /* Switch 1 was the holder's own first take; 2 is the waiter's. */
    assert_int_equal(c->switches_when_a_returned, 2);
    harness_fini(&c->h);
    free(c);
}

/* If the GIL changes hands within the interval, nobody asks for it. */
struct quick_case {
    struct harness h;
    atomic_int a_holds;
};

static void *
quick_holder(void *arg)
{
    struct quick_case *c = arg;
    struct worker *w = &c->h.w[0];
    struct gil_stats st;

    gil_take(w->gt);
    atomic_store(&c->a_holds, 1);
    /* Wait until the other thread is waiting, then release for I/O. */
    do {
        sched_yield();
        gil_get_stats(c->h.g, &st);
    } while (st.waits == 0);
    gil_drop(w->gt, GIL_DROP_IO);
    gil_take(w->gt);
    gil_drop(w->gt, GIL_DROP_EXIT);
    return NULL;
}

static void *
quick_waiter(void *arg)
{
    struct quick_case *c = arg;
    struct worker *w = &c->h.w[1];

    while (!atomic_load(&c->a_holds)) {
        sched_yield();
    }
    gil_take(w->gt);
    gil_drop(w->gt, GIL_DROP_EXIT);
    return NULL;
}

static void
release_within_the_interval_sets_no_request(void **state)
{
    struct quick_case *c = calloc(1, sizeof(*c));
    struct gil_stats st;

    (void)state;
    assert_non_null(c);
    /* 10 s: far longer than the hand-off, so a request would be a bug. */
    harness_init(&c->h, "new", 10000000000, 2);
    assert_int_equal(pthread_create(&c->h.w[0].thread, NULL, quick_holder, c),
                     0);
    assert_int_equal(pthread_create(&c->h.w[1].thread, NULL, quick_waiter, c),
                     0);
    assert_int_equal(pthread_join(c->h.w[0].thread, NULL), 0);
    assert_int_equal(pthread_join(c->h.w[1].thread, NULL), 0);
    gil_get_stats(c->h.g, &st);
    assert_int_equal(st.drop_requests, 0);
    assert_int_equal(st.forced_drops, 0);
    harness_fini(&c->h);
    free(c);
}

static void
legacy_never_sets_a_drop_request(void **state)
{
    struct harness *h = malloc(sizeof(*h));
    struct gil_stats st;
    struct rec *r;
    size_t n;

    (void)state;
    assert_non_null(h);
    harness_init(h, "legacy", 5000000, 2);
    run_cpu_workers(h, 20000);
    r = merged(h, &n);
    gil_get_stats(h->g, &st);
    assert_int_equal(count_ev(r, n, GIL_EV_DROP_REQUEST, -1), 0);
    assert_int_equal(st.drop_requests, 0);
    assert_int_equal(st.forced_drops, 0);
    /* Every check released and re-took: 2 x 20 000 yields. */
    assert_int_equal(count_ev(r, n, GIL_EV_DROP, GIL_DROP_YIELD), 40000);
    assert_int_equal(h->shared_counter, 40000);
    assert_int_equal(atomic_load(&h->violations), 0);
    assert_takes_and_drops_alternate(r, n);
    assert_counters_match_events(h, r, n);
    free(r);
    harness_fini(h);
    free(h);
}

/* Free threads: no waits, no requests, takes and drops still paired. */
static void *
nogil_worker(void *arg)
{
    struct worker *w = arg;
    int64_t i;

    gil_take(w->gt);
    for (i = 0; i < w->checks; i++) {
        spin(20);
        w->switched += gil_check(w->gt);
    }
    gil_drop(w->gt, GIL_DROP_IO);
    gil_take(w->gt);
    gil_drop(w->gt, GIL_DROP_EXIT);
    return NULL;
}

static void
nogil_records_no_waits(void **state)
{
    struct harness *h = malloc(sizeof(*h));
    struct gil_stats st;
    int i;

    (void)state;
    assert_non_null(h);
    harness_init(h, "nogil", 5000000, 4);
    for (i = 0; i < 4; i++) {
        h->w[i].checks = 10000;
        assert_int_equal(
            pthread_create(&h->w[i].thread, NULL, nogil_worker, &h->w[i]), 0);
    }
    for (i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(h->w[i].thread, NULL), 0);
        assert_int_equal(count_ev(h->w[i].recs, h->w[i].n, GIL_EV_WAIT, -1), 0);
        assert_int_equal(h->w[i].switched, 0);
        assert_int_equal(count_ev(h->w[i].recs, h->w[i].n, GIL_EV_TAKE, -1), 2);
        assert_int_equal(count_ev(h->w[i].recs, h->w[i].n, GIL_EV_DROP, -1), 2);
    }
    gil_get_stats(h->g, &st);
    assert_int_equal(st.waits, 0);
    assert_int_equal(st.drop_requests, 0);
    assert_int_equal(st.takes, 8);
    assert_int_equal(st.drops, 8);
    harness_fini(h);
    free(h);
}

/* switch_number moves only when the holder changes. */
static void
retaking_by_the_same_thread_is_not_a_switch(void **state)
{
    struct harness h;
    struct gil_stats st;
    int i;

    (void)state;
    harness_init(&h, "new", 5000000, 1);
    for (i = 0; i < 10; i++) {
        gil_take(h.w[0].gt);
        assert_true(gil_held(h.w[0].gt));
        gil_drop(h.w[0].gt, GIL_DROP_IO);
        assert_false(gil_held(h.w[0].gt));
    }
    gil_get_stats(h.g, &st);
    assert_int_equal(st.takes, 10);
    assert_int_equal(st.drops, 10);
    assert_int_equal(st.switches, 1);
    assert_int_equal(st.waits, 0);
    harness_fini(&h);
}

static void
take_and_drop_keep_errno(void **state)
{
    struct harness h;

    (void)state;
    harness_init(&h, "new", 5000000, 1);
    errno = EAGAIN;
    gil_take(h.w[0].gt);
    assert_int_equal(errno, EAGAIN);
    errno = ECONNRESET;
    gil_drop(h.w[0].gt, GIL_DROP_EXIT);
    assert_int_equal(errno, ECONNRESET);
    harness_fini(&h);
}

static void
bad_config_is_rejected_and_interval_clamped(void **state)
{
    struct gil_config cfg;
    struct gil *g = NULL;
    const char *const *names = gil_policy_names();
    int i;

    (void)state;
    memset(&cfg, 0, sizeof(cfg));
    cfg.switch_interval_ns = 0;
    assert_int_equal(gil_new(&cfg, &g), -EINVAL);
    cfg.switch_interval_ns = -5000000;
    assert_int_equal(gil_new(&cfg, &g), -EINVAL);
    assert_int_equal(gil_new(NULL, &g), -EINVAL);
    assert_null(g);

    cfg.switch_interval_ns = 1; /* below 1 us: clamped like CPython */
    assert_int_equal(gil_new(&cfg, &g), 0);
    assert_int_equal(gil_switch_interval_ns(g), 1000);
    assert_string_equal(gil_policy_name(cfg.policy), "?");
    gil_free(g);
    gil_free(NULL);
    gil_thread_free(NULL);

    assert_null(gil_policy_find("bogus"));
    assert_null(gil_policy_find(NULL));
    for (i = 0; names[i] != NULL; i++) {
        const struct gil_policy *p = gil_policy_find(names[i]);

        assert_non_null(p);
        assert_string_equal(gil_policy_name(p), names[i]);
        assert_true(gil_policy_default_check_every(p) >= 1);
        assert_true(strlen(gil_policy_describe(p)) > 0);
    }
    assert_int_equal(i, 7);
    assert_int_equal(gil_policy_default_check_every(gil_policy_find("legacy")),
                     100);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(new_gil_never_has_two_holders),
        cmocka_unit_test(waiter_sets_drop_request_after_one_interval),
        cmocka_unit_test(forced_switch_hands_gil_to_the_waiter),
        cmocka_unit_test(io_release_with_pending_request_waits_for_the_switch),
        cmocka_unit_test(release_within_the_interval_sets_no_request),
        cmocka_unit_test(legacy_never_sets_a_drop_request),
        cmocka_unit_test(nogil_records_no_waits),
        cmocka_unit_test(retaking_by_the_same_thread_is_not_a_switch),
        cmocka_unit_test(take_and_drop_keep_errno),
        cmocka_unit_test(bad_config_is_rejected_and_interval_clamped),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
