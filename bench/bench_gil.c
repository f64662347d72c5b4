/*
 * bench_gil.c - figures for the GIL and the cpu step, each a ratio of two
 * things measured side by side in one run of this program:
 *
 *   (a) countdown, 2 threads vs 1 thread, under "new", "legacy", "nogil":
 *       wall-time ratios (CPython 3.2+ gives ~1.0-1.2, free threads ~0.5,
 *       the Python 2 GIL slower than new);
 *   (b) GIL hand-off latency under "new" (drop request set -> the waiter
 *       holds the GIL), p50/p99, beside a plain mutex+condvar ping-pong
 *       (two hot threads) and a cold waiter (a thread that slept in
 *       pthread_cond_timedwait while the other spun one interval);
 *   (c) trace recording cost: ns per sim_trace_record() call, and a cpu
 *       run with hooks recording into a sim_trace vs one with no hooks;
 *   (d) instruction calibration: simulated countdown ns/iteration against
 *       the target WL_COUNTDOWN_INSTRUCTIONS * instr_ns.
 *
 * The threads are driven here with pthreads, as sim/'s threads model will
 * drive them: each thread owns a gil_thread, takes the GIL, runs its task's
 * cpu step through wl_step_run() with a wl_env whose check is gil_check
 * (release/acquire are gil_drop(GIL_DROP_IO)/gil_take), and drops with
 * GIL_DROP_EXIT at the end. All runs of a figure are interleaved and each
 * is repeated --repeat times; the best (shortest) wall time of each kind is
 * kept, since noise from other processes only ever adds time.
 *
 * Links gilsim_gil, gilsim_trace and gilsim_workloads directly; not a
 * test (timing is no pass/fail matter on a shared machine).
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base.h"
#include "gil.h"
#include "trace.h"
#include "wl.h"

#define NS_PER_MS   1000000
#define MAX_THREADS 2
/* Hand-off samples kept per thread: ~200 per second at 5 ms. */
#define LAT_CAP         65536
#define PINGPONG_ROUNDS 20000
/* Cold wake-ups measured: each costs one switch interval of spinning. */
#define COLD_ROUNDS 200

/* What the command line chose. */
struct opts {
    int64_t count;         /* countdown iterations per run */
    int repeat;            /* runs of each kind; the best is kept */
    double instr_ns;       /* cost of one instruction */
    int64_t interval_ns;   /* switch interval of "new" */
    int64_t check_every;   /* 0: the policy's default */
    uint64_t trace_events; /* size of (c)'s tight loop */
    const char *only;      /* sections to run, e.g. "ab" */
};

/* What a run records from the GIL's hooks. */
enum hook_mode {
    HOOKS_NONE = 0,    /* config.hooks.event = NULL */
    HOOKS_LATENCY = 1, /* drop request and next take, per thread */
    HOOKS_TRACE = 2,   /* every event into a sim_trace */
};

/* One simulated Python thread. */
struct worker {
    pthread_t tid;
    struct gil_thread *gt;
    struct wl_env env;
    const struct wl_task *task;
    pthread_barrier_t *start;
    enum wl_outcome outcome; /* worst step's */
    int64_t instructions;    /* run, over all steps */
    /* HOOKS_LATENCY: written only by this thread, from the hook. */
    int64_t *req_ns;  /* when this thread, waiting, set a drop request */
    int64_t *take_ns; /* when it next took the GIL */
    size_t n_req;
    size_t n_take;
    int pending; /* a request of ours awaits our take */
    /* HOOKS_TRACE: this thread's buffer. */
    struct sim_trace_buf *buf;
};

/* One run's setup. */
struct run {
    const struct gil_policy *policy;
    int threads;
    int64_t count;
    enum hook_mode hooks;
    struct sim_trace *trace; /* HOOKS_TRACE */
    /* Results. */
    int64_t wall_ns;
    struct gil_stats stats;
    int64_t *lat_ns; /* HOOKS_LATENCY: request -> take, all threads */
    size_t n_lat;
};

static _Noreturn void
die(const char *what, int rc)
{
    char buf[128];

    /* The XSI strerror_r (returns 0 on success): strerror is not
     * thread-safe, and worker threads may be running. */
    if (strerror_r(rc < 0 ? -rc : rc, buf, sizeof(buf)) != 0) {
        snprintf(buf, sizeof(buf), "error %d", rc);
    }
    fprintf(stderr, "bench_gil: %s failed: %s\n", what, buf);
    exit(1);
}

/* ---- the GIL's hooks ---- */

static void
latency_hook(void *user, enum gil_event ev, int64_t arg, int64_t t_ns)
{
    struct worker *w = user;

    (void)arg;
    /* Both events are about `w` and reported on w's own thread. */
    if (ev == GIL_EV_DROP_REQUEST && !w->pending && w->n_req < LAT_CAP) {
        w->req_ns[w->n_req++] = t_ns;
        w->pending = 1;
    } else if (ev == GIL_EV_TAKE && w->pending) {
        w->take_ns[w->n_take++] = t_ns;
        w->pending = 0;
    }
}

static void
trace_hook(void *user, enum gil_event ev, int64_t arg, int64_t t_ns)
{
    struct worker *w = user;

    switch (ev) {
    case GIL_EV_WAIT:
        sim_trace_record(w->buf, t_ns, SIM_EV_GIL_WAIT, 0, 0, -1, 0);
        break;
    case GIL_EV_TAKE:
        sim_trace_record(w->buf, t_ns, SIM_EV_GIL_TAKE, 0, 0, -1, arg);
        break;
    case GIL_EV_DROP:
        sim_trace_record(w->buf, t_ns, SIM_EV_GIL_DROP, (int)arg, 0, -1, 0);
        break;
    case GIL_EV_DROP_REQUEST:
        sim_trace_record(w->buf, t_ns, SIM_EV_GIL_DROP_REQUEST, 0, 0, -1, 0);
        break;
    }
}

/* ---- the wl_env callbacks ---- */

static void
env_check(void *ctx)
{
    struct worker *w = ctx;

    (void)gil_check(w->gt);
}

static void
env_release(void *ctx)
{
    struct worker *w = ctx;

    gil_drop(w->gt, GIL_DROP_IO);
}

static void
env_acquire(void *ctx)
{
    struct worker *w = ctx;

    gil_take(w->gt);
}

static void *
worker_main(void *arg)
{
    struct worker *w = arg;
    const struct wl_step *s;
    enum wl_outcome o;
    int64_t done;
    size_t i;

    pthread_barrier_wait(w->start);
    if (w->buf != NULL) {
        sim_trace_record(w->buf, base_now_ns(), SIM_EV_THREAD_START, 0, 0, -1,
                         0);
    }
    gil_take(w->gt);
    for (i = 0; i < w->task->n_steps; i++) {
        s = &w->task->steps[i];
        if (w->buf != NULL) {
            sim_trace_record(w->buf, base_now_ns(), SIM_EV_STEP_BEGIN,
                             (int)s->kind, 0, w->task->id, 0);
        }
        done = 0;
        o = wl_step_run(s, &w->env, &done);
        if (w->buf != NULL) {
            sim_trace_record(w->buf, base_now_ns(), SIM_EV_STEP_END,
                             (int)s->kind, (int)o, w->task->id, done);
        }
        w->instructions += done;
        if (o > w->outcome) {
            w->outcome = o;
        }
    }
    gil_drop(w->gt, GIL_DROP_EXIT);
    if (w->buf != NULL) {
        sim_trace_record(w->buf, base_now_ns(), SIM_EV_THREAD_END, 0, 0, -1, 0);
    }
    return NULL;
}

/* Nearest-rank percentile of a sorted array. */
static int64_t
percentile(const int64_t *v, size_t n, int p)
{
    size_t i;

    if (n == 0) {
        return 0;
    }
    i = (n * (size_t)p + 99) / 100;
    return v[i == 0 ? 0 : i - 1];
}

/*
 * Run `r->count` countdown iterations split over r->threads threads under
 * r->policy. Fills wall_ns, stats and, for HOOKS_LATENCY, lat_ns (malloc'd,
 * sorted; the caller frees it).
 */
static void
run_countdown(const struct opts *o, struct run *r)
{
    struct worker workers[MAX_THREADS];
    struct gil_config cfg;
    struct wl_workload *wl = NULL;
    struct gil *g = NULL;
    pthread_barrier_t start;
    int64_t t0;
    int64_t want;
    size_t i, j;
    int rc;

    memset(&cfg, 0, sizeof(cfg));
    cfg.policy = r->policy;
    cfg.switch_interval_ns = o->interval_ns;
    if (r->hooks == HOOKS_LATENCY) {
        cfg.hooks.event = latency_hook;
    } else if (r->hooks == HOOKS_TRACE) {
        cfg.hooks.event = trace_hook;
    }
    rc = gil_new(&cfg, &g);
    if (rc != 0) {
        die("gil_new", rc);
    }
    rc = wl_workload_cpu(r->count, (size_t)r->threads, &wl);
    if (rc != 0) {
        die("wl_workload_cpu", rc);
    }
    rc = pthread_barrier_init(&start, NULL, (unsigned)r->threads + 1);
    if (rc != 0) {
        die("pthread_barrier_init", rc);
    }
    memset(workers, 0, sizeof(workers));
    for (i = 0; i < (size_t)r->threads; i++) {
        struct worker *w = &workers[i];

        rc = gil_thread_new(g, w, &w->gt);
        if (rc != 0) {
            die("gil_thread_new", rc);
        }
        w->task = &wl->tasks[i];
        w->start = &start;
        w->env.check = env_check;
        w->env.release = env_release;
        w->env.acquire = env_acquire;
        w->env.ctx = w;
        w->env.check_every = o->check_every > 0
                                 ? o->check_every
                                 : gil_policy_default_check_every(r->policy);
        w->env.cost.instr_ns = o->instr_ns;
        w->env.cost.spins_per_ns = wl_cpu_calibrate();
        if (r->hooks == HOOKS_LATENCY) {
            w->req_ns = malloc(LAT_CAP * sizeof(int64_t));
            w->take_ns = malloc(LAT_CAP * sizeof(int64_t));
            if (w->req_ns == NULL || w->take_ns == NULL) {
                die("malloc", ENOMEM);
            }
        } else if (r->hooks == HOOKS_TRACE) {
            char name[32];

            snprintf(name, sizeof(name), "thread-%zu", i);
            rc = sim_trace_add_thread(r->trace, name, 0, 0, &w->buf);
            if (rc != 0) {
                die("sim_trace_add_thread", rc);
            }
        }
        rc = pthread_create(&w->tid, NULL, worker_main, w);
        if (rc != 0) {
            die("pthread_create", rc);
        }
    }
    pthread_barrier_wait(&start);
    t0 = base_now_ns();
    for (i = 0; i < (size_t)r->threads; i++) {
        pthread_join(workers[i].tid, NULL);
    }
    r->wall_ns = base_now_ns() - t0;
    gil_get_stats(g, &r->stats);

    want = r->count * WL_COUNTDOWN_INSTRUCTIONS;
    for (i = 0; i < (size_t)r->threads; i++) {
        want -= workers[i].instructions;
        if (workers[i].outcome != WL_OK) {
            die("cpu step", EIO);
        }
    }
    if (want != 0) {
        die("cpu step (instruction count)", EIO);
    }
    if (r->hooks == HOOKS_LATENCY) {
        size_t n = 0;

        for (i = 0; i < (size_t)r->threads; i++) {
            n += workers[i].n_take;
        }
        r->lat_ns = malloc((n + 1) * sizeof(int64_t));
        if (r->lat_ns == NULL) {
            die("malloc", ENOMEM);
        }
        r->n_lat = 0;
        for (i = 0; i < (size_t)r->threads; i++) {
            for (j = 0; j < workers[i].n_take; j++) {
                r->lat_ns[r->n_lat++] =
                    workers[i].take_ns[j] - workers[i].req_ns[j];
            }
        }
        base_sort_i64(r->lat_ns, r->n_lat);
    }
    for (i = 0; i < (size_t)r->threads; i++) {
        free(workers[i].req_ns);
        free(workers[i].take_ns);
        gil_thread_free(workers[i].gt);
    }
    pthread_barrier_destroy(&start);
    wl_workload_free(wl);
    gil_free(g);
}

static const struct gil_policy *
policy(const char *name)
{
    const struct gil_policy *p = gil_policy_find(name);

    if (p == NULL) {
        fprintf(stderr, "bench_gil: no GIL policy named '%s'\n", name);
        exit(1);
    }
    return p;
}

static double
ms(int64_t ns)
{
    return (double)ns / 1e6;
}

static double
us(int64_t ns)
{
    return (double)ns / 1e3;
}

static int64_t
min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

/* ---- (a) 2 threads vs 1 ---- */

/* The machine's own answer, without any GIL code: the same total of
 * spins by 1 thread, or split over 2 threads. ~0.5 on two free cores;
 * more when another process holds a core (the shared-machine caveat). */
struct bare {
    pthread_t tid;
    uint64_t spins;
};

static void *
bare_main(void *arg)
{
    struct bare *b = arg;

    wl_cpu_spin(b->spins);
    return NULL;
}

static int64_t
run_bare(int threads, uint64_t spins)
{
    struct bare b[MAX_THREADS];
    int64_t t0;
    int i;
    int rc;

    t0 = base_now_ns();
    for (i = 0; i < threads; i++) {
        b[i].spins = spins / (uint64_t)threads;
        rc = pthread_create(&b[i].tid, NULL, bare_main, &b[i]);
        if (rc != 0) {
            die("pthread_create", rc);
        }
    }
    for (i = 0; i < threads; i++) {
        pthread_join(b[i].tid, NULL);
    }
    return base_now_ns() - t0;
}

static void
section_threads(const struct opts *o)
{
    static const struct {
        const char *name; /* NULL: bare spin threads, no GIL code */
        const char *expect;
    } rows[] = {
        {NULL, "~0.5"},
        {"new", "1.0-1.2"},
        {"legacy", "> new"},
        {"nogil", "~0.5"},
    };
    enum { N_ROWS = sizeof(rows) / sizeof(rows[0]) };
    int64_t best1[N_ROWS], best2[N_ROWS], worst2[N_ROWS];
    uint64_t switches[N_ROWS];
    uint64_t spins = (uint64_t)((double)o->count * WL_COUNTDOWN_INSTRUCTIONS *
                                o->instr_ns * wl_cpu_calibrate());
    struct run r;
    size_t i;
    int k;

    /* Every repetition runs every row, so the rows share the machine's
     * moods: a neighbour busy on the other core hurts them all alike. */
    for (i = 0; i < N_ROWS; i++) {
        best1[i] = INT64_MAX;
        best2[i] = INT64_MAX;
        worst2[i] = 0;
        switches[i] = 0;
    }
    for (k = 0; k < o->repeat; k++) {
        for (i = 0; i < N_ROWS; i++) {
            if (rows[i].name == NULL) {
                best1[i] = min64(best1[i], run_bare(1, spins));
                r.wall_ns = run_bare(2, spins);
                best2[i] = min64(best2[i], r.wall_ns);
                worst2[i] = r.wall_ns > worst2[i] ? r.wall_ns : worst2[i];
                continue;
            }
            memset(&r, 0, sizeof(r));
            r.policy = policy(rows[i].name);
            r.threads = 1;
            r.count = o->count;
            run_countdown(o, &r);
            best1[i] = min64(best1[i], r.wall_ns);

            memset(&r, 0, sizeof(r));
            r.policy = policy(rows[i].name);
            r.threads = 2;
            r.count = o->count;
            run_countdown(o, &r);
            worst2[i] = r.wall_ns > worst2[i] ? r.wall_ns : worst2[i];
            if (r.wall_ns < best2[i]) {
                best2[i] = r.wall_ns;
                switches[i] = r.stats.switches;
            }
        }
    }

    printf("\n(a) countdown of %lld iterations, 2 threads vs 1 thread "
           "(best of %d each, interleaved)\n",
           (long long)o->count, o->repeat);
    printf("%-8s %11s %9s %9s %7s %11s %9s %8s\n", "policy", "check_every",
           "1T ms", "2T ms", "2T/1T", "worst 2T/1T", "switches", "expect");
    for (i = 0; i < N_ROWS; i++) {
        char every[24] = "-";
        char sw[24] = "-";

        if (rows[i].name != NULL) {
            const struct gil_policy *p = policy(rows[i].name);

            snprintf(every, sizeof(every), "%lld",
                     (long long)(o->check_every > 0
                                     ? o->check_every
                                     : gil_policy_default_check_every(p)));
            snprintf(sw, sizeof(sw), "%llu", (unsigned long long)switches[i]);
        }
        printf("%-8s %11s %9.1f %9.1f %7.3f %11.3f %9s %8s\n",
               rows[i].name != NULL ? rows[i].name : "(bare)", every,
               ms(best1[i]), ms(best2[i]), (double)best2[i] / (double)best1[i],
               (double)worst2[i] / (double)best1[i], sw, rows[i].expect);
    }
    printf("(2T/1T: best 2T over best 1T; worst: slowest 2T over best 1T; "
           "switches: of the best 2T run)\n");
    printf("(bare: the same spins in plain threads, no GIL code: what this "
           "machine's cores allow)\n");
}

/* ---- (b) hand-off latency vs a condvar ping-pong ---- */

/* Two threads pass a turn back and forth; each records the time from the
 * other's signal to its own return from pthread_cond_wait. */
struct pingpong {
    pthread_mutex_t mutex;
    pthread_cond_t cond;
    int turn;          /* whose turn: 0 or 1; -1 = finished */
    int64_t signal_ns; /* when the turn was handed over */
    int64_t *lat_ns;   /* one per hand-over */
    size_t n_lat;
    size_t rounds;
};

struct pingpong_arg {
    struct pingpong *pp;
    int me;
};

static void *
pingpong_main(void *arg)
{
    struct pingpong_arg *a = arg;
    struct pingpong *pp = a->pp;
    int64_t t;

    pthread_mutex_lock(&pp->mutex);
    for (;;) {
        while (pp->turn != a->me && pp->turn != -1) {
            pthread_cond_wait(&pp->cond, &pp->mutex);
        }
        if (pp->turn == -1) {
            break;
        }
        t = base_now_ns();
        if (pp->signal_ns != 0) {
            pp->lat_ns[pp->n_lat++] = t - pp->signal_ns;
        }
        if (pp->n_lat >= pp->rounds) {
            pp->turn = -1;
            pthread_cond_broadcast(&pp->cond);
            break;
        }
        pp->turn = 1 - a->me;
        pp->signal_ns = base_now_ns();
        /* A broadcast, as each thread waits for a different turn. */
        pthread_cond_broadcast(&pp->cond);
    }
    pthread_mutex_unlock(&pp->mutex);
    return NULL;
}

static void
pingpong_run(struct pingpong *pp)
{
    struct pingpong_arg args[2];
    pthread_t tid[2];
    int i;
    int rc;

    pthread_mutex_init(&pp->mutex, NULL);
    pthread_cond_init(&pp->cond, NULL);
    pp->turn = 0;
    pp->signal_ns = 0;
    pp->n_lat = 0;
    for (i = 0; i < 2; i++) {
        args[i].pp = pp;
        args[i].me = i;
        rc = pthread_create(&tid[i], NULL, pingpong_main, &args[i]);
        if (rc != 0) {
            die("pthread_create", rc);
        }
    }
    for (i = 0; i < 2; i++) {
        pthread_join(tid[i], NULL);
    }
    pthread_cond_destroy(&pp->cond);
    pthread_mutex_destroy(&pp->mutex);
    base_sort_i64(pp->lat_ns, pp->n_lat);
}

/* The cold waiter: a thread blocked in pthread_cond_timedwait for about
 * one switch interval (its deadline two away), woken by another that has
 * spun on its core for that interval, as a GIL holder does before it
 * sees a drop request and hands the GIL over. The kernel waking a thread
 * that slept for a while, where the ping-pong wakes one that blocked a
 * microsecond ago: the floor of a hand-off to a waiter that slept (a GIL
 * waiter still on its way back into its wait when the holder drops can
 * come in under it). */
struct cold_waiter {
    pthread_mutex_t mutex;
    pthread_cond_t cond;
    int ready, done;
    int64_t signal_ns;
    int64_t interval_ns;
    int64_t *lat_ns;
    size_t n_lat, rounds;
};

static void *
cold_waker_main(void *arg)
{
    struct cold_waiter *cw = arg;
    size_t i;

    for (i = 0; i < cw->rounds; i++) {
        int64_t until = base_now_ns() + cw->interval_ns;
        volatile uint64_t spins = 0;

        while (base_now_ns() < until) {
            spins++; /* a holder's Python, on its core */
        }
        pthread_mutex_lock(&cw->mutex);
        cw->ready = 1;
        cw->signal_ns = base_now_ns();
        pthread_cond_signal(&cw->cond);
        pthread_mutex_unlock(&cw->mutex);
        /* The waiter's turn to record; then the next round. */
        pthread_mutex_lock(&cw->mutex);
        while (cw->ready) {
            pthread_cond_wait(&cw->cond, &cw->mutex);
        }
        pthread_mutex_unlock(&cw->mutex);
    }
    pthread_mutex_lock(&cw->mutex);
    cw->done = 1;
    pthread_cond_broadcast(&cw->cond);
    pthread_mutex_unlock(&cw->mutex);
    return NULL;
}

static void
cold_waiter_run(struct cold_waiter *cw)
{
    pthread_condattr_t attr;
    pthread_t waker;
    int rc;

    pthread_mutex_init(&cw->mutex, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&cw->cond, &attr);
    pthread_condattr_destroy(&attr);
    cw->ready = 0;
    cw->done = 0;
    cw->n_lat = 0;
    rc = pthread_create(&waker, NULL, cold_waker_main, cw);
    if (rc != 0) {
        die("pthread_create", rc);
    }
    pthread_mutex_lock(&cw->mutex);
    while (!cw->done) {
        struct timespec deadline;
        int64_t at = base_now_ns() + 2 * cw->interval_ns;

        deadline.tv_sec = (time_t)(at / 1000000000);
        deadline.tv_nsec = (long)(at % 1000000000);
        while (!cw->ready && !cw->done) {
            (void)pthread_cond_timedwait(&cw->cond, &cw->mutex, &deadline);
            if (base_now_ns() >= at) {
                break; /* timed out, as a GIL waiter would: wait again */
            }
        }
        if (cw->ready) {
            cw->lat_ns[cw->n_lat++] = base_now_ns() - cw->signal_ns;
            cw->ready = 0;
            pthread_cond_broadcast(&cw->cond);
        }
    }
    pthread_mutex_unlock(&cw->mutex);
    pthread_join(waker, NULL);
    pthread_cond_destroy(&cw->cond);
    pthread_mutex_destroy(&cw->mutex);
    base_sort_i64(cw->lat_ns, cw->n_lat);
}

static void
section_handoff(const struct opts *o)
{
    struct pingpong pp;
    struct cold_waiter cw;
    int64_t *all;
    size_t n_all = 0;
    int64_t gil50, gil99, pp50, pp99, cw50, cw99;
    int k;

    all = malloc((size_t)o->repeat * 2 * LAT_CAP * sizeof(int64_t));
    if (all == NULL) {
        die("malloc", ENOMEM);
    }
    for (k = 0; k < o->repeat; k++) {
        struct run r;

        memset(&r, 0, sizeof(r));
        r.policy = policy("new");
        r.threads = 2;
        r.count = o->count;
        r.hooks = HOOKS_LATENCY;
        run_countdown(o, &r);
        memcpy(all + n_all, r.lat_ns, r.n_lat * sizeof(int64_t));
        n_all += r.n_lat;
        free(r.lat_ns);
    }
    base_sort_i64(all, n_all);
    gil50 = percentile(all, n_all, 50);
    gil99 = percentile(all, n_all, 99);

    memset(&pp, 0, sizeof(pp));
    pp.rounds = PINGPONG_ROUNDS;
    pp.lat_ns = malloc(PINGPONG_ROUNDS * sizeof(int64_t));
    if (pp.lat_ns == NULL) {
        die("malloc", ENOMEM);
    }
    pingpong_run(&pp);
    pp50 = percentile(pp.lat_ns, pp.n_lat, 50);
    pp99 = percentile(pp.lat_ns, pp.n_lat, 99);

    memset(&cw, 0, sizeof(cw));
    cw.interval_ns = o->interval_ns;
    cw.rounds = COLD_ROUNDS;
    cw.lat_ns = malloc(COLD_ROUNDS * sizeof(int64_t));
    if (cw.lat_ns == NULL) {
        die("malloc", ENOMEM);
    }
    cold_waiter_run(&cw);
    cw50 = percentile(cw.lat_ns, cw.n_lat, 50);
    cw99 = percentile(cw.lat_ns, cw.n_lat, 99);

    printf("\n(b) hand-off latency, 2 CPU threads under new (%.1f ms "
           "interval): drop request set -> requester holds the GIL\n",
           ms(o->interval_ns));
    printf("%-28s %9s %10s %10s\n", "", "samples", "p50 us", "p99 us");
    printf("%-28s %9zu %10.1f %10.1f\n", "GIL drop request -> take", n_all,
           us(gil50), us(gil99));
    printf("%-28s %9zu %10.1f %10.1f\n", "mutex+condvar ping-pong", pp.n_lat,
           us(pp50), us(pp99));
    printf("%-28s %9zu %10.1f %10.1f\n", "cold waiter (timedwait)", cw.n_lat,
           us(cw50), us(cw99));
    printf("%-28s %9s %10.2f %10.2f\n", "ratio GIL / ping-pong", "",
           pp50 > 0 ? (double)gil50 / (double)pp50 : 0.0,
           pp99 > 0 ? (double)gil99 / (double)pp99 : 0.0);
    printf("%-28s %9s %10.2f %10.2f\n", "ratio GIL / cold waiter", "",
           cw50 > 0 ? (double)gil50 / (double)cw50 : 0.0,
           cw99 > 0 ? (double)gil99 / (double)cw99 : 0.0);
    printf("(cold waiter: blocked in pthread_cond_timedwait while the other "
           "thread spins one interval, then signalled: the kernel's wake-up "
           "of a thread that slept, the GIL hand-off's floor)\n");
    printf("(check latency = check_every x instr_ns = %.0f ns is part of the "
           "GIL figure)\n",
           (double)(o->check_every > 0 ? o->check_every : 8) * o->instr_ns);
    free(pp.lat_ns);
    free(cw.lat_ns);
    free(all);
}

/* ---- (c) trace recording cost ---- */

static void
section_trace(const struct opts *o)
{
    struct sim_trace_config tc;
    struct sim_trace *t = NULL;
    struct sim_trace_buf *b = NULL;
    int64_t t0, cold, warm, clocked;
    uint64_t i, n = o->trace_events;
    int64_t best_plain = INT64_MAX, best_traced = INT64_MAX;
    uint64_t events = 0;
    int k;
    int rc;

    memset(&tc, 0, sizeof(tc));
    tc.max_threads = 1;
    tc.events_per_thread = n;
    rc = sim_trace_new(&tc, &t);
    if (rc != 0) {
        die("sim_trace_new", rc);
    }
    rc = sim_trace_add_thread(t, "bench", 0, 0, &b);
    if (rc != 0) {
        die("sim_trace_add_thread", rc);
    }
    /* First pass: the pages are touched for the first time. */
    t0 = base_now_ns();
    for (i = 0; i < n; i++) {
        sim_trace_record(b, (int64_t)i, SIM_EV_GIL_TAKE, 0, 0, -1, (int64_t)i);
    }
    cold = base_now_ns() - t0;
    /* Second pass over the same, now resident, pages. */
    b->n = 0;
    t0 = base_now_ns();
    for (i = 0; i < n; i++) {
        sim_trace_record(b, (int64_t)i, SIM_EV_GIL_TAKE, 0, 0, -1, (int64_t)i);
    }
    warm = base_now_ns() - t0;
    /* Third pass with a clock_gettime per event, as the hooks pay. */
    b->n = 0;
    t0 = base_now_ns();
    for (i = 0; i < n; i++) {
        sim_trace_record(b, base_now_ns(), SIM_EV_GIL_TAKE, 0, 0, -1,
                         (int64_t)i);
    }
    clocked = base_now_ns() - t0;
    if (b->n != n || b->lost != 0) {
        die("sim_trace_record (count)", EIO);
    }
    sim_trace_free(t);

    printf("\n(c) trace recording cost\n");
    printf("sim_trace_record, %llu events, first touch: %6.2f ns/event\n",
           (unsigned long long)n, (double)cold / (double)n);
    printf("sim_trace_record, %llu events, resident:    %6.2f ns/event "
           "(goal <= 30)\n",
           (unsigned long long)n, (double)warm / (double)n);
    printf("same + clock_gettime per event:            %6.2f ns/event\n",
           (double)clocked / (double)n);

    for (k = 0; k < o->repeat; k++) {
        struct run r;

        memset(&r, 0, sizeof(r));
        r.policy = policy("new");
        r.threads = 2;
        r.count = o->count;
        run_countdown(o, &r);
        best_plain = min64(best_plain, r.wall_ns);

        memset(&tc, 0, sizeof(tc));
        tc.max_threads = 2;
        tc.events_per_thread = 1 << 20;
        t = NULL;
        rc = sim_trace_new(&tc, &t);
        if (rc != 0) {
            die("sim_trace_new", rc);
        }
        memset(&r, 0, sizeof(r));
        r.policy = policy("new");
        r.threads = 2;
        r.count = o->count;
        r.hooks = HOOKS_TRACE;
        r.trace = t;
        run_countdown(o, &r);
        best_traced = min64(best_traced, r.wall_ns);
        events = sim_trace_thread(t, 0)->n + sim_trace_thread(t, 1)->n;
        sim_trace_free(t);
    }
    printf("2 threads, new GIL: untraced %.1f ms, traced %.1f ms "
           "(%llu events): ratio %.3f (goal <= 1.03)\n",
           ms(best_plain), ms(best_traced), (unsigned long long)events,
           (double)best_traced / (double)best_plain);
}

/* ---- (d) instruction calibration ---- */

static void
nop_check(void *ctx)
{
    (void)ctx;
}

static void
section_calibration(const struct opts *o)
{
    struct wl_env env;
    struct wl_step s;
    double spins_per_ns = wl_cpu_calibrate();
    double target = WL_COUNTDOWN_INSTRUCTIONS * o->instr_ns;
    int64_t best_spin = INT64_MAX, best_step = INT64_MAX;
    int64_t best_gil = INT64_MAX;
    int64_t t0, done;
    uint64_t spins;
    int k;

    memset(&env, 0, sizeof(env));
    env.check = nop_check;
    env.check_every = o->check_every > 0 ? o->check_every : 8;
    env.cost.instr_ns = o->instr_ns;
    env.cost.spins_per_ns = spins_per_ns;
    memset(&s, 0, sizeof(s));
    s.kind = WL_STEP_CPU;
    s.instructions = o->count * WL_COUNTDOWN_INSTRUCTIONS;
    spins =
        (uint64_t)((double)s.instructions * o->instr_ns * spins_per_ns + 0.5);

    for (k = 0; k < o->repeat; k++) {
        struct run r;

        t0 = base_now_ns();
        wl_cpu_spin(spins);
        best_spin = min64(best_spin, base_now_ns() - t0);

        t0 = base_now_ns();
        if (wl_step_run(&s, &env, &done) != WL_OK) {
            die("wl_step_run", EIO);
        }
        best_step = min64(best_step, base_now_ns() - t0);

        memset(&r, 0, sizeof(r));
        r.policy = policy("new");
        r.threads = 1;
        r.count = o->count;
        run_countdown(o, &r);
        best_gil = min64(best_gil, r.wall_ns);
    }
    printf("\n(d) instruction calibration: spins_per_ns = %.4f, target "
           "%d x %.2f = %.2f ns/iteration\n",
           spins_per_ns, WL_COUNTDOWN_INSTRUCTIONS, o->instr_ns, target);
    printf("%-40s %9s %9s\n", "serial countdown", "ns/iter", "/ target");
    printf("%-40s %9.2f %9.3f\n", "bare spin loop (no chunks)",
           (double)best_spin / (double)o->count,
           (double)best_spin / (double)o->count / target);
    printf("%-40s %9.2f %9.3f\n", "cpu step, no-op check",
           (double)best_step / (double)o->count,
           (double)best_step / (double)o->count / target);
    printf("%-40s %9.2f %9.3f\n", "cpu step, 1 thread under new GIL",
           (double)best_gil / (double)o->count,
           (double)best_gil / (double)o->count / target);
}

/* ---- command line ---- */

static void
usage(FILE *f)
{
    fprintf(f, "usage: bench_gil [--count=N] [--repeat=N] [--instr-ns=X]\n"
               "                 [--interval-ms=X] [--check-every=N]\n"
               "                 [--trace-events=N] [--only=abcd]\n"
               "  --count         countdown iterations per run (20000000)\n"
               "  --repeat        runs of each kind; the best is kept (3)\n"
               "  --instr-ns      cost of one instruction in ns (4.1)\n"
               "  --interval-ms   switch interval of the new GIL (5)\n"
               "  --check-every   instructions between checks (policy's)\n"
               "  --trace-events  events in (c)'s tight loop (10000000)\n"
               "  --only          sections to run, any of a b c d (abcd)\n");
}

/* "--name=value" or "--name value"; returns the value or NULL. */
static const char *
flag_value(int argc, char **argv, int *i, const char *name)
{
    size_t len = strlen(name);
    const char *a = argv[*i];

    if (strncmp(a, name, len) != 0) {
        return NULL;
    }
    if (a[len] == '=') {
        return a + len + 1;
    }
    if (a[len] == '\0' && *i + 1 < argc) {
        (*i)++;
        return argv[*i];
    }
    return NULL;
}

static double
parse_number(const char *flag, const char *v, double min)
{
    char *end;
    double x;

    errno = 0;
    x = strtod(v, &end);
    if (errno != 0 || end == v || *end != '\0' || !(x >= min)) {
        fprintf(stderr, "bench_gil: bad %s '%s' (a number >= %g)\n", flag, v,
                min);
        exit(2);
    }
    return x;
}

static void
parse_args(int argc, char **argv, struct opts *o)
{
    const char *v;
    int i;

    o->count = 20000000;
    o->repeat = 3;
    o->instr_ns = 4.1;
    o->interval_ns = (int64_t)5 * NS_PER_MS;
    o->check_every = 0;
    o->trace_events = 10000000;
    o->only = "abcd";
    for (i = 1; i < argc; i++) {
        v = flag_value(argc, argv, &i, "--count");
        if (v != NULL) {
            o->count = (int64_t)parse_number("--count", v, 1);
            continue;
        }
        v = flag_value(argc, argv, &i, "--repeat");
        if (v != NULL) {
            o->repeat = (int)parse_number("--repeat", v, 1);
            continue;
        }
        v = flag_value(argc, argv, &i, "--instr-ns");
        if (v != NULL) {
            o->instr_ns = parse_number("--instr-ns", v, 0.001);
            continue;
        }
        v = flag_value(argc, argv, &i, "--interval-ms");
        if (v != NULL) {
            o->interval_ns =
                (int64_t)(parse_number("--interval-ms", v, 0.001) * 1e6);
            continue;
        }
        v = flag_value(argc, argv, &i, "--check-every");
        if (v != NULL) {
            o->check_every = (int64_t)parse_number("--check-every", v, 1);
            continue;
        }
        v = flag_value(argc, argv, &i, "--trace-events");
        if (v != NULL) {
            o->trace_events = (uint64_t)parse_number("--trace-events", v, 16);
            continue;
        }
        v = flag_value(argc, argv, &i, "--only");
        if (v != NULL) {
            o->only = v;
            continue;
        }
        if (strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            exit(0);
        }
        fprintf(stderr, "bench_gil: unknown argument '%s'\n", argv[i]);
        usage(stderr);
        exit(2);
    }
}

int
main(int argc, char **argv)
{
    struct opts o;
    int i;

    parse_args(argc, argv, &o);
    printf("# command:");
    for (i = 0; i < argc; i++) {
        printf(" %s", argv[i]);
    }
    printf("\n# count=%lld repeat=%d instr_ns=%.2f interval=%.3f ms "
           "spins_per_ns=%.4f\n",
           (long long)o.count, o.repeat, o.instr_ns, ms(o.interval_ns),
           wl_cpu_calibrate());
    fflush(stdout);
    if (strchr(o.only, 'a') != NULL) {
        section_threads(&o);
        fflush(stdout);
    }
    if (strchr(o.only, 'b') != NULL) {
        section_handoff(&o);
        fflush(stdout);
    }
    if (strchr(o.only, 'c') != NULL) {
        section_trace(&o);
        fflush(stdout);
    }
    if (strchr(o.only, 'd') != NULL) {
        section_calibration(&o);
    }
    return 0;
}
