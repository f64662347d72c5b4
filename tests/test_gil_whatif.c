/*
 * test_gil_whatif.c - the what-if policies (docs/whatif.md): fifo,
 * io-priority, bfs and per-interpreter, each checked by an invariant on
 * the order of GIL events, never by a timing.
 *
 * The GIL-level tests run real threads against real locks. The hooks are
 * called with the GIL's mutex held, so for one GIL the order in which
 * they append to the shared log (an atomic index) is the order in which
 * the lock changed hands. Threads stop after a number of their own
 * events (switches, I/O cycles), not after a time. cmocka's assertions
 * are used on the test's thread only, after the joins.
 *
 * The sim-level tests run the convoy workload through sim_run_once
 * against the embedded server (io_fixture.c) and read the trace.
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

#include <cmocka.h>

#include "gil.h"
#include "io_fixture.h"

#define MAX_WORKERS 8
#define MAX_GILS    2
#define LOG_CAP     (1u << 20)

struct logged {
    int thread;
    int ev;
    int64_t arg;
};

struct fx;

struct tw {
    struct fx *fx;
    int id;
    int gil;
    struct gil_thread *gt;
    pthread_t th;
    atomic_long checks_passed; /* gil_check calls that returned 0 */
    int cycles;                /* I/O thread: release/take cycles */
    int switches;              /* CPU thread: stop after this many drops */
    int last_drop_io;          /* hook only: the last drop was GIL_DROP_IO */
    atomic_int events;         /* GIL events reported for this thread */
};

struct fx {
    struct gil *g[MAX_GILS];
    int n_gils;
    struct tw w[MAX_WORKERS];
    int n;
    struct logged *log;
    atomic_size_t n_log;
    atomic_int stop;
    atomic_int holder[MAX_GILS];
    atomic_int holders_now;
    atomic_int holders_max;
    atomic_int violations; /* two holders of one GIL, or a stray drop */
    atomic_int ready;      /* CPU threads at the start line */
    int n_cpu;             /* CPU threads that start together */
    /* io-priority, written by hooks under the (single) GIL's mutex. */
    int io_thread;
    int pending;           /* a priority request waits for the holder */
    int pending_holder;    /* whom it waits for */
    long pending_checks;   /* the holder's checks_passed at the request */
    long max_checks_after; /* most checks a holder passed after one */
    int priority_requests; /* GIL_REQUEST_PRIORITY events */
    int priority_served;   /* holder drops that answered one */
};

static void
hook(void *user, enum gil_event ev, int64_t arg, int64_t t_ns)
{
    struct tw *w = user;
    struct fx *fx = w->fx;
    size_t k = atomic_fetch_add(&fx->n_log, 1);
    int now, max;

    (void)t_ns;
    atomic_fetch_add(&w->events, 1);
    if (k < LOG_CAP) {
        fx->log[k].thread = w->id;
        fx->log[k].ev = (int)ev;
        fx->log[k].arg = arg;
    }
    switch (ev) {
    case GIL_EV_TAKE:
        if (atomic_exchange(&fx->holder[w->gil], w->id) != -1) {
            atomic_fetch_add(&fx->violations, 1);
        }
        now = atomic_fetch_add(&fx->holders_now, 1) + 1;
        max = atomic_load(&fx->holders_max);
        while (now > max &&
               !atomic_compare_exchange_weak(&fx->holders_max, &max, now)) {
        }
        break;
    case GIL_EV_DROP:
        if (atomic_exchange(&fx->holder[w->gil], -1) != w->id) {
            atomic_fetch_add(&fx->violations, 1);
        }
        atomic_fetch_sub(&fx->holders_now, 1);
        w->last_drop_io = arg == GIL_DROP_IO;
        if (fx->pending && fx->pending_holder == w->id) {
            long c = atomic_load(&w->checks_passed) - fx->pending_checks;

            if (c > fx->max_checks_after) {
                fx->max_checks_after = c;
            }
            fx->pending = 0;
            fx->priority_served++;
        }
        break;
    case GIL_EV_WAIT:
    case GIL_EV_DROP_REQUEST:
        /* A priority request, or the wait of a thread back from I/O that
         * found the request already set: the holder should drop at its
         * next check. The later of the two stamps the count. */
        if (w->id == fx->io_thread &&
            ((ev == GIL_EV_DROP_REQUEST && arg == GIL_REQUEST_PRIORITY) ||
             (ev == GIL_EV_WAIT && w->last_drop_io))) {
            int h = atomic_load(&fx->holder[w->gil]);

            if (ev == GIL_EV_DROP_REQUEST) {
                fx->priority_requests++;
            }
            if (h >= 0) {
                fx->pending = 1;
                fx->pending_holder = h;
                fx->pending_checks = atomic_load(&fx->w[h].checks_passed);
            }
        }
        break;
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
fx_init(struct fx *fx, const char *policy, int64_t interval_ns, int n,
        int n_gils)
{
    struct gil_config cfg;
    int i;

    memset(fx, 0, sizeof(*fx));
    fx->n = n;
    fx->n_gils = n_gils;
    fx->io_thread = -1;
    fx->log = calloc(LOG_CAP, sizeof(*fx->log));
    assert_non_null(fx->log);
    atomic_init(&fx->n_log, 0);
    atomic_init(&fx->stop, 0);
    atomic_init(&fx->holders_now, 0);
    atomic_init(&fx->holders_max, 0);
    atomic_init(&fx->violations, 0);
    atomic_init(&fx->ready, 0);
    memset(&cfg, 0, sizeof(cfg));
    cfg.policy = gil_policy_find(policy);
    assert_non_null(cfg.policy);
    assert_true(gil_policy_is_what_if(cfg.policy));
    cfg.switch_interval_ns = interval_ns;
    cfg.hooks.event = hook;
    for (i = 0; i < n_gils; i++) {
        atomic_init(&fx->holder[i], -1);
        assert_int_equal(gil_new(&cfg, &fx->g[i]), 0);
    }
    for (i = 0; i < n; i++) {
        fx->w[i].fx = fx;
        fx->w[i].id = i;
        fx->w[i].gil = i % n_gils;
        atomic_init(&fx->w[i].checks_passed, 0);
        atomic_init(&fx->w[i].events, 0);
        assert_int_equal(
            gil_thread_new(fx->g[fx->w[i].gil], &fx->w[i], &fx->w[i].gt), 0);
    }
}

static void
fx_fini(struct fx *fx)
{
    int i;

    for (i = 0; i < fx->n; i++) {
        gil_thread_free(fx->w[i].gt);
    }
    for (i = 0; i < fx->n_gils; i++) {
        gil_free(fx->g[i]);
    }
    free(fx->log);
}

static size_t
fx_log_len(struct fx *fx)
{
    size_t n = atomic_load(&fx->n_log);

    assert_true(n <= LOG_CAP);
    return n;
}

/* A CPU-bound thread: checks every few hundred spins; stops when told
 * to, or after `switches` forced drops, and then tells the others to stop
 * too (a thread left alone would never be asked to drop again). */
static void *
cpu_thread(void *arg)
{
    struct tw *w = arg;
    int dropped = 0;

    /* Start together, so that all of them contend from the first take. */
    atomic_fetch_add(&w->fx->ready, 1);
    while (atomic_load(&w->fx->ready) < w->fx->n_cpu) {
        (void)sched_yield();
    }
    gil_take(w->gt);
    while (!atomic_load(&w->fx->stop) &&
           (w->switches == 0 || dropped < w->switches)) {
        spin(200);
        if (gil_check(w->gt) == 0) {
            atomic_fetch_add(&w->checks_passed, 1);
        } else {
            dropped++;
        }
    }
    atomic_store(&w->fx->stop, 1);
    gil_drop(w->gt, GIL_DROP_EXIT);
    return NULL;
}

/* An I/O-bound thread: a little CPU under the GIL, then a release around
 * "I/O" (without the GIL, until another thread holds it), `cycles` times.
 * It starts its cycles once every other thread has reported a GIL event
 * (they contend). */
static void *
io_thread(void *arg)
{
    struct tw *w = arg;
    int i, k;

    gil_take(w->gt);
    for (k = 0; k < w->fx->n; k++) {
        while (k != w->id && atomic_load(&w->fx->w[k].events) == 0) {
            (void)sched_yield();
        }
    }
    for (i = 0; i < w->cycles; i++) {
        spin(100);
        if (gil_check(w->gt) == 0) {
            atomic_fetch_add(&w->checks_passed, 1);
        }
        gil_drop(w->gt, GIL_DROP_IO);
        /* The "I/O" lasts until another thread has taken the GIL, so that
         * the take below always finds it held. */
        spin(1000);
        while (atomic_load(&w->fx->holder[w->gil]) == -1 ||
               atomic_load(&w->fx->holder[w->gil]) == w->id) {
            (void)sched_yield();
        }
        gil_take(w->gt);
    }
    gil_drop(w->gt, GIL_DROP_EXIT);
    return NULL;
}

static void
start(struct tw *w, void *(*fn)(void *))
{
    assert_int_equal(pthread_create(&w->th, NULL, fn, w), 0);
}

static void
join(struct tw *w)
{
    assert_int_equal(pthread_join(w->th, NULL), 0);
}

/* Workers 0 and 1 spin while worker 2 makes 200 I/O cycles; then all
 * stop. */
static void
run_convoy(struct fx *fx)
{
    fx->io_thread = 2;
    fx->w[2].cycles = 200;
    start(&fx->w[0], cpu_thread);
    start(&fx->w[1], cpu_thread);
    start(&fx->w[2], io_thread);
    join(&fx->w[2]);
    atomic_store(&fx->stop, 1);
    join(&fx->w[0]);
    join(&fx->w[1]);
}

/* ---- fifo --------------------------------------------------------------- */

static void
fifo_hands_the_gil_to_the_longest_waiter(void **state)
{
    struct fx fx;
    int queue[MAX_WORKERS];
    int qlen = 0;
    int busy_handoffs = 0;
    int takes = 0;
    size_t i, n;
    int k;

    (void)state;
    fx_init(&fx, "fifo", 50000, 4, 1);
    fx.n_cpu = 4;
    for (k = 0; k < 4; k++) {
        fx.w[k].switches = 15;
        start(&fx.w[k], cpu_thread);
    }
    for (k = 0; k < 4; k++) {
        join(&fx.w[k]);
    }
    n = fx_log_len(&fx);
    for (i = 0; i < n; i++) {
        const struct logged *e = &fx.log[i];
        int waited = 0;

        if (e->ev == GIL_EV_WAIT) {
            for (k = 0; k < qlen; k++) {
                assert_int_not_equal(queue[k], e->thread);
            }
            assert_true(qlen < MAX_WORKERS);
            queue[qlen++] = e->thread;
        } else if (e->ev == GIL_EV_TAKE) {
            takes++;
            for (k = 0; k < qlen; k++) {
                waited |= queue[k] == e->thread;
            }
            if (waited) {
                /* Only the head of the queue may take. */
                assert_int_equal(queue[0], e->thread);
                if (qlen >= 2) {
                    busy_handoffs++;
                }
                memmove(queue, queue + 1, (size_t)(qlen - 1) * sizeof(int));
                qlen--;
            } else {
                /* No barging: a take without a wait finds nobody queued. */
                assert_int_equal(qlen, 0);
            }
        }
    }
    assert_int_equal(qlen, 0);
    assert_int_equal(atomic_load(&fx.violations), 0);
    /* The test meant something: hand-offs with a choice among waiters. */
    assert_true(busy_handoffs >= 1);
    assert_true(takes >= 15);
    fx_fini(&fx);
}

/* ---- io-priority ------------------------------------------------------- */

static void
io_priority_holder_drops_at_its_next_check(void **state)
{
    struct fx fx;
    int io_waiting = 0; /* the I/O thread waits after an I/O release */
    int after_io = 0;
    size_t i, n;

    (void)state;
    fx_init(&fx, "io-priority", 50000000, 3, 1);
    run_convoy(&fx);

    assert_int_equal(atomic_load(&fx.violations), 0);
    /* The interval is 50 ms, so without priority requests 200 cycles
     * would be answered by timed-out requests; they are answered at the
     * holder's next check instead (a check racing the request may pass). */
    assert_true(fx.priority_requests > 0);
    assert_true(fx.priority_served > 0);
    assert_true(fx.max_checks_after <= 1);

    n = fx_log_len(&fx);
    for (i = 0; i < n; i++) {
        const struct logged *e = &fx.log[i];

        if (e->thread == fx.io_thread) {
            if (e->ev == GIL_EV_DROP) {
                after_io = e->arg == GIL_DROP_IO;
            } else if (e->ev == GIL_EV_WAIT) {
                io_waiting = after_io;
            } else if (e->ev == GIL_EV_TAKE) {
                io_waiting = 0;
            } else if (e->ev == GIL_EV_DROP_REQUEST && io_waiting) {
                /* Back from I/O, it never waits out an interval. */
                assert_int_equal(e->arg, GIL_REQUEST_PRIORITY);
            }
        } else if (e->ev == GIL_EV_TAKE) {
            /* Priority waiters are served before ordinary ones. */
            assert_false(io_waiting);
        }
    }
    fx_fini(&fx);
}

/* ---- bfs ---------------------------------------------------------------- */

static void
bfs_serves_an_io_thread_before_a_longer_cpu_waiter(void **state)
{
    struct fx fx;
    int queue[MAX_WORKERS];
    int qlen = 0;
    int overtakes = 0;
    int cpu_overtakes_io = 0;
    size_t i, n;
    int k;

    (void)state;
    fx_init(&fx, "bfs", 1000000, 3, 1);
    run_convoy(&fx);
    assert_int_equal(atomic_load(&fx.violations), 0);

    n = fx_log_len(&fx);
    for (i = 0; i < n; i++) {
        const struct logged *e = &fx.log[i];
        int pos = -1;

        if (e->ev == GIL_EV_WAIT) {
            queue[qlen++] = e->thread;
        } else if (e->ev == GIL_EV_TAKE) {
            for (k = 0; k < qlen; k++) {
                if (queue[k] == e->thread) {
                    pos = k;
                }
            }
            if (pos < 0) {
                /* No barging: a take without a wait finds nobody queued. */
                assert_int_equal(qlen, 0);
                continue;
            }
            if (pos > 0 && e->thread == fx.io_thread) {
                overtakes++; /* a CPU thread had waited longer */
            }
            if (e->thread != fx.io_thread) {
                for (k = 0; k < pos; k++) {
                    cpu_overtakes_io += queue[k] == fx.io_thread;
                }
            }
            memmove(queue + pos, queue + pos + 1,
                    (size_t)(qlen - pos - 1) * sizeof(int));
            qlen--;
        }
    }
    /* The I/O thread's deadline stays early, so it jumps the queue; a
     * CPU thread can pass it only when the I/O thread renewed its slice. */
    assert_true(overtakes > 0);
    assert_true(overtakes > cpu_overtakes_io);
    fx_fini(&fx);
}

/* ---- per-interpreter ---------------------------------------------------- */

static void
per_interpreter_excludes_per_gil_only(void **state)
{
    struct fx fx;
    struct gil_stats s[MAX_GILS];
    uint64_t takes = 0, drops = 0, waits = 0;
    size_t i, n;
    int k;

    (void)state;
    fx_init(&fx, "per-interpreter", 50000, 4, 2);
    fx.n_cpu = 4;
    for (k = 0; k < 4; k++) {
        fx.w[k].switches = 10;
        start(&fx.w[k], cpu_thread);
    }
    for (k = 0; k < 4; k++) {
        join(&fx.w[k]);
    }
    /* Never two holders of one GIL; two GILs held at once does happen. */
    assert_int_equal(atomic_load(&fx.violations), 0);
    assert_int_equal(atomic_load(&fx.holders_max), 2);
    n = fx_log_len(&fx);
    for (i = 0; i < n; i++) {
        takes += fx.log[i].ev == GIL_EV_TAKE;
        drops += fx.log[i].ev == GIL_EV_DROP;
        waits += fx.log[i].ev == GIL_EV_WAIT;
    }
    gil_get_stats(fx.g[0], &s[0]);
    gil_get_stats(fx.g[1], &s[1]);
    assert_true(s[0].takes > 0 && s[1].takes > 0);
    assert_int_equal(s[0].takes + s[1].takes, takes);
    assert_int_equal(s[0].drops + s[1].drops, drops);
    assert_int_equal(s[0].waits + s[1].waits, waits);
    fx_fini(&fx);
}

static void
only_the_four_new_policies_are_what_if(void **state)
{
    (void)state;
    assert_false(gil_policy_is_what_if(gil_policy_find("new")));
    assert_false(gil_policy_is_what_if(gil_policy_find("legacy")));
    assert_false(gil_policy_is_what_if(gil_policy_find("nogil")));
    assert_false(gil_policy_is_what_if(NULL));
    assert_true(gil_policy_is_what_if(gil_policy_find("fifo")));
    assert_true(gil_policy_is_what_if(gil_policy_find("io-priority")));
    assert_true(gil_policy_is_what_if(gil_policy_find("bfs")));
    assert_true(gil_policy_is_what_if(gil_policy_find("per-interpreter")));
}

/* ---- through the sim: the convoy workload ------------------------------ */

/* The waits of the I/O thread (the one that fetches) for the GIL after an
 * I/O release, and the requests it made in them, by arg. */
static void
convoy_requests_after_io(const char *policy, uint64_t *waits,
                         uint64_t *timed_out, uint64_t *priority)
{
    struct fixture f;
    struct sim_run_result r;
    char err[SIM_ERR_LEN];
    size_t i, k;
    int found = 0;

    *waits = 0;
    *timed_out = 0;
    *priority = 0;
    /* Each reply waits 2 ms, so the CPU thread, woken by the I/O
     * thread's release, has the time to take the GIL: the I/O thread then
     * finds it held when it comes back. */
    fixture_start(&f, 2000000, 128, 0.0, 1);
    options(&f.o, "convoy");
    (void)snprintf(f.o.policy, sizeof(f.o.policy), "%s", policy);
    f.o.ops = 50;
    f.o.cpu_threads = 1;
    f.o.switch_interval_ns = 1000000;
    /* A loaded sanitizer build must not time a fetch out. */
    f.o.timeout_ns = 30000000000;
    assert_int_equal(sim_run_once(&f.o, SIM_MODEL_THREADS, &f.io, NULL, &r, err,
                                  sizeof(err)),
                     0);
    assert_int_equal(r.stats.steps_failed, 0);
    assert_int_equal(r.stats.fetches, 50);
    for (i = 0; i < sim_trace_thread_count(r.trace); i++) {
        const struct sim_trace_buf *b = sim_trace_thread(r.trace, i);
        int fetches = 0, after_io = 0, waiting = 0;

        for (k = 0; k < b->n; k++) {
            fetches += b->ev[k].kind == SIM_EV_STEP_BEGIN &&
                       b->ev[k].detail == SIM_STEP_FETCH;
        }
        if (fetches == 0) {
            continue;
        }
        found++;
        for (k = 0; k < b->n; k++) {
            const struct sim_trace_event *e = &b->ev[k];

            if (e->kind == SIM_EV_GIL_DROP) {
                after_io = e->detail == SIM_DROP_IO;
            } else if (e->kind == SIM_EV_GIL_WAIT) {
                waiting = after_io;
                *waits += (uint64_t)after_io;
            } else if (e->kind == SIM_EV_GIL_TAKE) {
                waiting = 0;
            } else if (e->kind == SIM_EV_GIL_DROP_REQUEST && waiting) {
                if (e->arg == GIL_REQUEST_PRIORITY) {
                    (*priority)++;
                } else {
                    (*timed_out)++;
                }
            }
        }
    }
    assert_int_equal(found, 1);
    sim_run_result_clear(&r);
    fixture_stop(&f);
}

static void
io_priority_cuts_the_convoy_wait_without_a_timed_out_request(void **state)
{
    uint64_t waits, timed_out, priority;

    (void)state;
    /* Under new, the I/O thread back from I/O waits out whole intervals
     * and asks (the convoy); under io-priority it never does: it asks at
     * once, once per wait (with one CPU thread nobody else sets the
     * request while it waits), and the holder drops at its next check. */
    int attempt;

    /* A run shows something only if the CPU thread held the GIL while
     * the I/O thread was away at least once; on a loaded machine the
     * pool's second thread may start too late for that, so such a run is
     * repeated (the invariants are checked on every run). */
    for (attempt = 0; attempt < 5; attempt++) {
        convoy_requests_after_io("new", &waits, &timed_out, &priority);
        assert_int_equal(priority, 0);
        if (waits > 0) {
            break;
        }
    }
    assert_true(waits > 0);
    assert_true(timed_out > 0);
    for (attempt = 0; attempt < 5; attempt++) {
        convoy_requests_after_io("io-priority", &waits, &timed_out, &priority);
        assert_int_equal(timed_out, 0);
        assert_int_equal(priority, waits);
        if (waits > 0) {
            break;
        }
    }
    assert_true(waits > 0);
}

static void
per_interpreter_run_spreads_threads_and_sums_counters(void **state)
{
    struct sim_options o;
    struct sim_run_result r;
    char err[SIM_ERR_LEN];
    int on[2] = {0, 0};
    size_t i;

    (void)state;
    sim_options_default(&o);
    (void)snprintf(o.workload, sizeof(o.workload), "%s", "cpu");
    (void)snprintf(o.policy, sizeof(o.policy), "%s", "per-interpreter");
    o.interpreters = 2;
    o.threads = 4;
    o.count = 400000;
    o.switch_interval_ns = 100000;
    o.quiet = 1;
    o.trace_events = 100000;
    assert_int_equal(sim_opt_gil_count(&o, SIM_MODEL_THREADS), 2);
    assert_int_equal(sim_opt_gil_count(&o, SIM_MODEL_LOOP), 1);
    assert_int_equal(sim_opt_gil_count(&o, SIM_MODEL_NOGIL), 1);
    o.interpreters = 64; /* no more GILs than threads */
    assert_int_equal(sim_opt_gil_count(&o, SIM_MODEL_EXECUTOR), 5);
    o.interpreters = 2;
    /* sim_run_once checks the summed counters against the trace. */
    assert_int_equal(
        sim_run_once(&o, SIM_MODEL_THREADS, NULL, NULL, &r, err, sizeof(err)),
        0);
    for (i = 0; i < sim_trace_thread_count(r.trace); i++) {
        const struct sim_trace_buf *b = sim_trace_thread(r.trace, i);

        assert_int_equal(b->gil, (int32_t)(i % 2));
        on[b->gil]++;
    }
    assert_int_equal(on[0], 2);
    assert_int_equal(on[1], 2);
    assert_int_equal(r.gil.takes, r.stats.takes);
    sim_run_result_clear(&r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(only_the_four_new_policies_are_what_if),
        cmocka_unit_test(fifo_hands_the_gil_to_the_longest_waiter),
        cmocka_unit_test(io_priority_holder_drops_at_its_next_check),
        cmocka_unit_test(bfs_serves_an_io_thread_before_a_longer_cpu_waiter),
        cmocka_unit_test(per_interpreter_excludes_per_gil_only),
        cmocka_unit_test(
            io_priority_cuts_the_convoy_wait_without_a_timed_out_request),
        cmocka_unit_test(per_interpreter_run_spreads_threads_and_sums_counters),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
