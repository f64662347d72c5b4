/*
 * engine.c - the virtual-time engine: an event queue, a baton passed
 * between real threads, and a model of the OS's cores (see vt.h).
 *
 * Events. Each thread has at most one pending event, and remembers its
 * sequence number; scheduling a new event replaces it, so an older event
 * (a timeout beaten by a signal, a computation cut short) is recognised as
 * stale when it comes out of the queue and skipped. The queue (evq.c) is
 * a 4-ary heap ordered by (time, sequence number): ties go to whatever
 * was scheduled first, so the order never depends on the host.
 *
 * The baton. The model's threads are fibers (fiber.c) on the OS thread
 * that calls vt_run, each with a stack of its own, so exactly one of them
 * runs at a time and a hand-off is a user-space context switch, not a
 * wake-up. A thread that must wait calls yield(): it pops events,
 * handling those that need no thread (a timer expiring, a slice ending),
 * until one names a thread to run, and switches to it. When the queue is
 * empty, the run is over (or stuck) and yield() switches back to the
 * controller, which returns from vt_run.
 *
 * Cores. `busy` counts threads holding a core. A thread holds one from
 * when it is made runnable (or gets one from the run queue) until it
 * blocks, sleeps or ends. A woken thread holds none during its wake-up
 * latency (a timer's slack, a signal's delivery): it asks for a core
 * when that has passed. Threads waiting for a core wait in two FIFOs:
 * `woken` (after a block or a sleep) is served before `ready`
 * (computations). A computing thread schedules one event at the end of
 * its computation or slice, whichever is first; at a slice's end it goes
 * to the back of `ready` if anyone waits. A thread that wakes with every
 * core busy preempts the thread that has computed longest in its slice
 * (Linux's wake-up preemption), which goes to the head of `ready`; if
 * that thread has computed less than `protect_ns`, its slice is cut to
 * end there instead, and the woken thread waits for it.
 *
 * Breakers. Before handing the baton on, yield() looks at the breaker
 * flags of every thread computing on a core (at most `cores` of them): if
 * one is set, that thread's event moves to its next quantum boundary, the
 * point where the real cpu loop would make its next check.
 */
#include "vt.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "evq.h"
#include "fiber.h"

enum vt_state {
    ST_NEW = 0,
    ST_RUN,       /* on a core, running zero-time code (or about to) */
    ST_COMPUTING, /* inside vt_compute, on a core or in the run queue */
    ST_READY,     /* runnable, in the run queue, not computing */
    ST_BLOCKED,   /* in vt_block */
    ST_SLEEPING,  /* in vt_sleep */
    ST_WAKING,    /* woken, runnable once its wake-up latency has passed */
    ST_DONE,
};

enum ev_kind {
    EV_RESUME = 0,  /* hand the baton to the thread */
    EV_TIMEOUT = 1, /* a timed block or a sleep ends */
    EV_COMPUTE = 2, /* a computation's end, slice end or check boundary */
    EV_WAKE = 3,    /* a wake-up's latency has passed: wants a core */
};

/* An event's key in the queue (evq.h): its sequence number above its
 * thread's registration index, so ties in time go to the event scheduled
 * first. */
#define EV_INDEX_BITS 24
#define EV_INDEX_MASK ((UINT64_C(1) << EV_INDEX_BITS) - 1)
#define EV_SEQ_MAX    (UINT64_MAX >> EV_INDEX_BITS)

struct vt_thread {
    struct vt_engine *e;
    struct vt_fiber fiber; /* its stack and context (fiber.c) */
    void *(*fn)(void *);   /* the thread's body (vt_thread_start) */
    void *arg;
    enum vt_state state;
    /* The sequence number of its one pending event, 0 for none: an
     * event of the queue with another is stale (cancelled, replaced). */
    uint64_t ev_seq;
    int ev_kind; /* what that event is (enum ev_kind) */
    int on_core;
    struct vt_thread *rq_next;
    /* vt_block */
    const void *key;
    struct vt_thread *wq_prev, *wq_next;
    int timed_out;
    enum vt_wake sleep_wake;
    /* vt_block_while: what to wait on again, for how long, and whether */
    const void *block_key;
    int64_t block_timeout;
    int (*again)(void *arg);
    void *again_arg;
    /* vt_compute */
    int64_t c_total, c_done; /* units */
    double c_unit_ns;
    int64_t c_quantum;
    int64_t c_t0;    /* when the current stretch on a core began */
    int64_t c_done0; /* units done at c_t0 */
    /* ns already spent, before c_t0, on unit c_done0 + 1: a stretch that
     * ends inside a unit (a slice's end, a preemption) keeps that part, so
     * a unit longer than a slice still gets done */
    double c_carry;
    int64_t c_slice_end;
    const atomic_int *c_breakers[VT_MAX_BREAKERS];
    int c_nb;
    int c_broken; /* a breaker fired; the event is at the boundary */
    int c_slot;   /* index in e->computing, -1 if not there */
    int w_slot;   /* index in e->watched, -1 if not there */
    int index;    /* registration order */
};

/* A FIFO of threads waiting for a core (linked through rq_next). */
struct runq {
    struct vt_thread *head, *tail;
};

struct waitq {
    const void *key;
    struct vt_thread *head, *tail;
};

struct vt_engine {
    struct vt_config cfg;
    int64_t now;
    uint64_t seq;
    struct vt_evq evq; /* the pending events (evq.c) */
    struct vt_thread **threads;
    size_t n_threads, cap_threads, n_done;
    int busy;
    struct runq woken; /* runnable after a block or a sleep, served first */
    struct runq ready; /* computations waiting for a core */
    struct vt_thread **computing; /* on-core computing threads, <= cores */
    int n_computing;
    /* Those of them that have breakers to watch (scan_breakers reads
     * only these, so a run without a GIL scans nothing). */
    struct vt_thread **watched;
    int n_watched;
    const atomic_int *stop; /* every thread's breaker (vt_set_stop) */
    int stop_seen;          /* 1 once *stop was found set */
    struct waitq *wq;
    size_t n_wq, cap_wq;
    struct vt_fiber controller; /* the OS thread inside vt_run */
    int deadlock;
    int started;
    uint64_t rng; /* the latencies' jitter stream */
    struct vt_stats stats;
};

/* The running fiber; all of them run on one OS thread per engine, and
 * tests may run engines on several OS threads, hence thread-local. */
static _Thread_local struct vt_thread *tls_self;

_Noreturn static void
vt_fatal(const char *what)
{
    fprintf(stderr, "gilsim: fatal: virtual engine: %s\n", what);
    abort();
}

/* ---- the event heap ---------------------------------------------------- */

static void
heap_push(struct vt_engine *e, struct vt_thread *th, int64_t t, int kind)
{
    uint64_t seq = ++e->seq; /* from 1: 0 is "no event" */
    uint64_t key;

    if (seq > EV_SEQ_MAX) {
        vt_fatal("too many events for the queue's keys");
    }
    if (t < e->now) {
        t = e->now;
    }
    th->ev_seq = seq;
    th->ev_kind = kind;
    key = seq << EV_INDEX_BITS | (uint64_t)th->index;
    if (vt__evq_push(&e->evq, t, key) != 0) {
        vt_fatal("out of memory for the event queue");
    }
}

/* Forget any pending event of th. */
static void
cancel_event(struct vt_thread *th)
{
    th->ev_seq = 0;
}

/* ---- computing --------------------------------------------------------- */

/* Time at which unit `k` of th's computation is done, on this stretch. */
static int64_t
unit_time(const struct vt_thread *th, int64_t k)
{
    return th->c_t0 +
           llround((double)(k - th->c_done0) * th->c_unit_ns - th->c_carry);
}

/* Units done by time t on this stretch. */
static int64_t
units_at(const struct vt_thread *th, int64_t t)
{
    int64_t k;

    if (th->c_unit_ns <= 0) {
        return th->c_total;
    }
    if (t >= unit_time(th, th->c_total)) {
        return th->c_total;
    }
    k = th->c_done0 +
        (int64_t)floor(((double)(t - th->c_t0) + th->c_carry) / th->c_unit_ns);
    if (k < th->c_done0) {
        k = th->c_done0;
    }
    /* The largest k with unit_time(k) <= t, unit_time's rounding
     * included (a step or two from the estimate at most). */
    while (k < th->c_total && unit_time(th, k + 1) <= t) {
        k++;
    }
    while (k > th->c_done0 && unit_time(th, k) > t) {
        k--;
    }
    return k;
}

/* th's stretch on a core ends at t, maybe inside a unit: the units done,
 * and the time spent on the next one, kept for the next stretch. */
static void
stretch_end(struct vt_thread *th, int64_t t)
{
    th->c_done = units_at(th, t);
    th->c_carry = th->c_done < th->c_total
                      ? (double)(t - unit_time(th, th->c_done))
                      : 0.0;
    if (th->c_carry < 0.0 || th->c_carry >= th->c_unit_ns) {
        th->c_carry = 0.0; /* rounding at a boundary: nothing begun */
    }
}

static void
computing_add(struct vt_engine *e, struct vt_thread *th)
{
    th->c_slot = e->n_computing;
    e->computing[e->n_computing++] = th;
    if (th->c_nb > 0) {
        th->w_slot = e->n_watched;
        e->watched[e->n_watched++] = th;
    }
}

static void
computing_remove(struct vt_engine *e, struct vt_thread *th)
{
    int i = th->c_slot;

    if (i < 0) {
        return;
    }
    e->computing[i] = e->computing[--e->n_computing];
    e->computing[i]->c_slot = i;
    th->c_slot = -1;
    i = th->w_slot;
    if (i >= 0) {
        e->watched[i] = e->watched[--e->n_watched];
        e->watched[i]->w_slot = i;
        th->w_slot = -1;
    }
}

static int
breaker_set(const struct vt_thread *th)
{
    int i;

    if (th->e->stop_seen) {
        return 1;
    }
    for (i = 0; i < th->c_nb; i++) {
        if (th->c_breakers[i] != NULL &&
            atomic_load_explicit(th->c_breakers[i], memory_order_relaxed)) {
            return 1;
        }
    }
    return 0;
}

/* The first quantum boundary at or after time `t`, in units (may be
 * c_total). Unit 0 is not a boundary: a check comes after a quantum of
 * work, as in workloads/cpu.c, so a breaker that stays set (the legacy
 * policy's) cannot return a call with nothing done, over and over. */
static int64_t
next_boundary(const struct vt_thread *th, int64_t t)
{
    int64_t k = units_at(th, t);
    int64_t q = th->c_quantum;
    int64_t b = (k + q - 1) / q * q;

    if (b < k || b == 0 || unit_time(th, b) < t) {
        b += q;
    }
    return b > th->c_total ? th->c_total : b;
}

/* Schedule th's next compute event from a stretch starting at `start`. */
static void
schedule_compute(struct vt_engine *e, struct vt_thread *th, int64_t start)
{
    int64_t end_t;

    th->c_t0 = start;
    th->c_done0 = th->c_done;
    th->c_slice_end = start + e->cfg.slice_ns;
    th->c_broken = 0;
    if (breaker_set(th)) {
        int64_t b = next_boundary(th, start);

        th->c_broken = 1;
        end_t = unit_time(th, b);
    } else {
        end_t = unit_time(th, th->c_total);
    }
    if (end_t > th->c_slice_end) {
        end_t = th->c_slice_end;
    }
    heap_push(e, th, end_t, EV_COMPUTE);
}

/* ---- cores and the run queues ------------------------------------------ */

static void
rq_push(struct runq *q, struct vt_thread *th, int at_head)
{
    if (at_head) {
        th->rq_next = q->head;
        q->head = th;
        if (q->tail == NULL) {
            q->tail = th;
        }
        return;
    }
    th->rq_next = NULL;
    if (q->tail != NULL) {
        q->tail->rq_next = th;
    } else {
        q->head = th;
    }
    q->tail = th;
}

static struct vt_thread *
rq_pop(struct runq *q)
{
    struct vt_thread *h = q->head;

    if (h != NULL) {
        q->head = h->rq_next;
        if (q->head == NULL) {
            q->tail = NULL;
        }
        h->rq_next = NULL;
    }
    return h;
}

/* Take th out of q if it is there (O(length): for cancellations). */
static void
rq_remove(struct runq *q, struct vt_thread *th)
{
    struct vt_thread **pp = &q->head;

    while (*pp != NULL && *pp != th) {
        pp = &(*pp)->rq_next;
    }
    if (*pp == NULL) {
        return;
    }
    *pp = th->rq_next;
    th->rq_next = NULL;
    q->tail = NULL;
    for (pp = &q->head; *pp != NULL; pp = &(*pp)->rq_next) {
        q->tail = *pp;
    }
}

static int
anyone_waits_for_a_core(const struct vt_engine *e)
{
    return e->woken.head != NULL || e->ready.head != NULL;
}

static void
give_core(struct vt_engine *e, struct vt_thread *th)
{
    th->on_core = 1;
    e->busy++;
    if (e->cfg.on_core != NULL) {
        e->cfg.on_core(e->cfg.on_core_ctx, th->index, 1, e->now);
    }
    if (th->state == ST_COMPUTING) {
        computing_add(e, th);
        schedule_compute(e, th, e->now);
    } else {
        th->state = ST_RUN;
        heap_push(e, th, e->now, EV_RESUME);
    }
}

static int64_t units_at(const struct vt_thread *th, int64_t t);

/* Move th's pending compute event to the end of its shortened slice, if
 * that comes before the end of its computation (or breaker boundary). */
static void
cut_slice(struct vt_engine *e, struct vt_thread *th, int64_t slice_end)
{
    int64_t end_t;

    if (slice_end >= th->c_slice_end) {
        return;
    }
    th->c_slice_end = slice_end;
    end_t = th->c_broken ? unit_time(th, next_boundary(th, e->now))
                         : unit_time(th, th->c_total);
    if (end_t > slice_end) {
        end_t = slice_end;
    }
    cancel_event(th);
    heap_push(e, th, end_t, EV_COMPUTE);
}

/*
 * Linux's wake-up preemption, simplified: a thread that wakes from a
 * block or a sleep, with every core busy, takes the core of the thread
 * that has computed longest in its current stretch, which goes to the
 * head of the queue of computations. Without it an I/O thread beside
 * busy threads would wait for a whole slice after every wake-up. But a
 * thread that has computed for less than `protect_ns` in its stretch
 * keeps its core until then (EEVDF lets the running task finish its
 * base slice, RUN_TO_PARITY): the woken thread waits at the head of the
 * run queues meanwhile, and the victim's slice is cut to end there.
 * 1 if it preempted now.
 */
static int
preempt_for(struct vt_engine *e, struct vt_thread *th)
{
    struct vt_thread *victim = NULL;
    int i;

    if (th->state == ST_COMPUTING) {
        return 0; /* a preempted computation waits its turn */
    }
    for (i = 0; i < e->n_computing; i++) {
        if (victim == NULL || e->computing[i]->c_t0 < victim->c_t0) {
            victim = e->computing[i];
        }
    }
    if (victim == NULL) {
        return 0;
    }
    if (e->now - victim->c_t0 < e->cfg.protect_ns) {
        cut_slice(e, victim, victim->c_t0 + e->cfg.protect_ns);
        return 0;
    }
    stretch_end(victim, e->now);
    cancel_event(victim);
    computing_remove(e, victim);
    victim->on_core = 0;
    e->busy--;
    if (e->cfg.on_core != NULL) {
        e->cfg.on_core(e->cfg.on_core_ctx, victim->index, 0, e->now);
    }
    rq_push(&e->ready, victim, 1);
    e->stats.preempts++;
    give_core(e, th);
    return 1;
}

static void
make_runnable(struct vt_engine *e, struct vt_thread *th)
{
    if (e->busy < e->cfg.cores) {
        give_core(e, th);
        return;
    }
    if (preempt_for(e, th)) {
        return;
    }
    if (th->state == ST_COMPUTING) {
        rq_push(&e->ready, th, 0);
    } else {
        th->state = ST_READY;
        rq_push(&e->woken, th, 0);
    }
}

/* A latency of mean `base`: base itself, or with jitter uniform in
 * [base/2, base/2 + base) from a splitmix64 stream (Steele, Lea and
 * Flood 2014). */
static int64_t
latency(struct vt_engine *e, int64_t base)
{
    uint64_t x;

    if (!e->cfg.jitter || base <= 1) {
        return base;
    }
    x = base_splitmix64(&e->rng);
    return base / 2 + (int64_t)(x % (uint64_t)base);
}

/* A thread woken (by a signal, its data or a timer) wants a core after
 * the wake-up's latency; it holds none meanwhile. */
static void
wake_after(struct vt_engine *e, struct vt_thread *th, int64_t delay)
{
    if (delay <= 0) {
        make_runnable(e, th);
        return;
    }
    th->state = ST_WAKING;
    heap_push(e, th, e->now + delay, EV_WAKE);
}

static void
release_core(struct vt_engine *e, struct vt_thread *th)
{
    struct vt_thread *h;

    if (!th->on_core) {
        return;
    }
    th->on_core = 0;
    e->busy--;
    if (e->cfg.on_core != NULL) {
        e->cfg.on_core(e->cfg.on_core_ctx, th->index, 0, e->now);
    }
    computing_remove(e, th);
    if (e->busy < e->cfg.cores) {
        h = rq_pop(&e->woken);
        if (h == NULL) {
            h = rq_pop(&e->ready);
        }
        if (h != NULL) {
            give_core(e, h);
        }
    }
}

/* ---- wait queues ------------------------------------------------------- */

static struct waitq *
waitq_of(struct vt_engine *e, const void *key)
{
    size_t i;

    for (i = 0; i < e->n_wq; i++) {
        if (e->wq[i].key == key) {
            return &e->wq[i];
        }
    }
    if (e->n_wq == e->cap_wq) {
        size_t cap = e->cap_wq ? e->cap_wq * 2 : 8;
        struct waitq *q = realloc(e->wq, cap * sizeof(*q));

        if (q == NULL) {
            vt_fatal("out of memory for a wait queue");
        }
        e->wq = q;
        e->cap_wq = cap;
    }
    e->wq[e->n_wq].key = key;
    e->wq[e->n_wq].head = NULL;
    e->wq[e->n_wq].tail = NULL;
    return &e->wq[e->n_wq++];
}

static void
waitq_remove(struct vt_engine *e, struct vt_thread *th)
{
    struct waitq *q = waitq_of(e, th->key);

    if (th->wq_prev != NULL) {
        th->wq_prev->wq_next = th->wq_next;
    } else {
        q->head = th->wq_next;
    }
    if (th->wq_next != NULL) {
        th->wq_next->wq_prev = th->wq_prev;
    } else {
        q->tail = th->wq_prev;
    }
    th->wq_prev = th->wq_next = NULL;
    th->key = NULL;
}

/* Put th at the tail of key's wait queue, with a timeout if >= 0. */
static void
block_on(struct vt_engine *e, struct vt_thread *th, const void *key,
         int64_t timeout_ns)
{
    struct waitq *q = waitq_of(e, key);

    th->state = ST_BLOCKED;
    th->key = key;
    th->block_key = key;
    th->block_timeout = timeout_ns;
    th->timed_out = 0;
    th->wq_next = NULL;
    th->wq_prev = q->tail;
    if (q->tail != NULL) {
        q->tail->wq_next = th;
    } else {
        q->head = th;
    }
    q->tail = th;
    cancel_event(th);
    if (timeout_ns >= 0) {
        heap_push(e, th, e->now + timeout_ns, EV_TIMEOUT);
    }
}

/* ---- the baton ---------------------------------------------------------- */

/* Move the events of threads whose breakers fired to their boundaries. */
static void
scan_breakers(struct vt_engine *e)
{
    struct vt_thread **scan = e->watched;
    int n = e->n_watched;
    int i;

    if (!e->stop_seen && e->stop != NULL &&
        atomic_load_explicit(e->stop, memory_order_relaxed)) {
        e->stop_seen = 1; /* from now on every computation breaks */
        for (i = 0; i < e->n_computing; i++) {
            /* It returns at once (compute_event), not at a boundary. */
            cancel_event(e->computing[i]);
            e->computing[i]->c_broken = 1;
            heap_push(e, e->computing[i], e->now, EV_COMPUTE);
        }
        return;
    }
    for (i = 0; i < n; i++) {
        struct vt_thread *th = scan[i];
        int64_t b, t;

        if (th->c_broken || !breaker_set(th)) {
            continue;
        }
        th->c_broken = 1;
        b = next_boundary(th, e->now);
        t = unit_time(th, b);
        if (t <= th->c_slice_end) {
            heap_push(e, th, t, EV_COMPUTE);
        }
        /* Otherwise the slice's end comes first and handles it. */
    }
}

/* A compute event for th at e->now: 1 if th now returns from vt_compute
 * (it holds the baton next), 0 if it computes on or was preempted. */
static int
compute_event(struct vt_engine *e, struct vt_thread *th)
{
    stretch_end(th, e->now);
    if (th->c_done >= th->c_total || e->stop_seen) {
        /* Done; or the run is stopped: it returns now with what it did,
         * within a slice of the stop, however long its units are. */
        computing_remove(e, th);
        th->state = ST_RUN;
        return 1;
    }
    if (th->c_broken || breaker_set(th)) {
        int64_t b = next_boundary(th, e->now);

        if (unit_time(th, b) <= e->now) {
            th->c_done = b;
            computing_remove(e, th);
            th->state = ST_RUN;
            return 1;
        }
        th->c_broken = 1;
        heap_push(e, th, unit_time(th, b), EV_COMPUTE);
        return 0;
    }
    /* A slice ended. */
    if (anyone_waits_for_a_core(e)) {
        e->stats.preempts++;
        release_core(e, th);
        make_runnable(e, th);
        return 0;
    }
    schedule_compute(e, th, e->now);
    return 0;
}

/* The next thread to hold the baton, or NULL when nothing is pending. */
static struct vt_thread *
next_runner(struct vt_engine *e)
{
    struct vt_ev ev;

    scan_breakers(e);
    while (vt__evq_pop(&e->evq, &ev)) {
        struct vt_thread *th = e->threads[ev.key & EV_INDEX_MASK];

        if (ev.key >> EV_INDEX_BITS != th->ev_seq) {
            continue;
        }
        th->ev_seq = 0;
        e->stats.events++;
        if (ev.t > e->now) {
            e->now = ev.t;
        }
        switch (th->ev_kind) {
        case EV_RESUME:
            return th;
        case EV_TIMEOUT:
            /* A timed-out waiter leaves the wait queue at its deadline,
             * though it runs only a timer's slack later: a signal sent
             * meanwhile goes to another waiter, as glibc's condition
             * variable passes on a signal that a timing-out waiter took
             * (__condvar_cancel_waiting). Keeping it queued until it ran
             * took the convoy beside two CPU threads from 5.96 s to 4.18
             * s of virtual time, against 5.6-6.8 s of real time. */
            if (th->state == ST_BLOCKED) {
                waitq_remove(e, th);
                th->timed_out = 1;
                wake_after(e, th,
                           latency(e, th->sleep_wake == VT_WAKE_TIMER
                                          ? e->cfg.timer_slack_ns
                                          : e->cfg.wake_ns));
            } else if (th->state == ST_SLEEPING) {
                wake_after(e, th,
                           latency(e, th->sleep_wake == VT_WAKE_TIMER
                                          ? e->cfg.timer_slack_ns
                                          : e->cfg.wake_ns));
            }
            break;
        case EV_WAKE:
            if (th->timed_out && th->again != NULL &&
                th->again(th->again_arg)) {
                /* It would only wait again: do that here, unrun. */
                e->stats.absorbed++;
                block_on(e, th, th->block_key, th->block_timeout);
                break;
            }
            make_runnable(e, th);
            break;
        case EV_COMPUTE:
            if (compute_event(e, th)) {
                return th;
            }
            break;
        default:
            vt_fatal("unknown event");
        }
    }
    return NULL;
}

/* Switch from `from` (NULL: the controller) to `to` (NULL: the
 * controller). A thread that has ended is never switched back to. */
static void
switch_to(struct vt_engine *e, struct vt_thread *from, struct vt_thread *to)
{
    tls_self = to;
    vt_fiber_switch(from != NULL ? &from->fiber : &e->controller,
                    to != NULL ? &to->fiber : &e->controller,
                    from != NULL && from->state == ST_DONE);
}

/* Hand the baton on; return when `self` holds it again (never, for a
 * thread that has ended). self is NULL for the controller. */
static void
yield(struct vt_engine *e, struct vt_thread *self)
{
    struct vt_thread *next = next_runner(e);

    if (next == self && self != NULL) {
        return;
    }
    if (next == NULL) {
        if (e->n_done != e->n_threads) {
            e->deadlock = 1;
        }
        if (self == NULL) {
            return; /* nothing ever ran */
        }
    } else {
        e->stats.handoffs++;
        if (next->fn == NULL) {
            vt_fatal("a thread scheduled before vt_thread_start");
        }
    }
    switch_to(e, self, next);
}

/* The first code of every fiber. */
static void
fiber_main(void)
{
    struct vt_thread *t = tls_self;

    vt_fiber_entered(&t->fiber);
    (void)t->fn(t->arg);
    if (t->state != ST_DONE) {
        vt_thread_end(t); /* the body returned without ending: end now */
    }
    vt_fatal("a finished thread was resumed");
}

/* ---- the interface ------------------------------------------------------ */

int
vt_engine_new(const struct vt_config *cfg, struct vt_engine **out)
{
    struct vt_engine *e;

    if (cfg == NULL || out == NULL || cfg->cores < 1 || cfg->wake_ns < 0 ||
        cfg->timer_slack_ns < 0 || cfg->slice_ns <= 0) {
        return -EINVAL;
    }
    e = calloc(1, sizeof(*e));
    if (e == NULL) {
        return -ENOMEM;
    }
    e->cfg = *cfg;
    e->rng = cfg->seed;
    e->computing = calloc((size_t)cfg->cores, sizeof(*e->computing));
    e->watched = calloc((size_t)cfg->cores, sizeof(*e->watched));
    if (e->computing == NULL || e->watched == NULL) {
        free(e->computing);
        free(e->watched);
        free(e);
        return -ENOMEM;
    }
    *out = e;
    return 0;
}

void
vt_engine_free(struct vt_engine *e)
{
    size_t i;

    if (e == NULL) {
        return;
    }
    for (i = 0; i < e->n_threads; i++) {
        struct vt_thread *t = e->threads[i];

        vt_fiber_destroy(&t->fiber);
        free(t);
    }
    free(e->threads);
    vt__evq_free(&e->evq);
    free(e->wq);
    free(e->computing);
    free(e->watched);
    free(e);
}

int
vt_thread_new(struct vt_engine *e, struct vt_thread **out)
{
    struct vt_thread *th;

    if (e == NULL || out == NULL) {
        return -EINVAL;
    }
    if (e->n_threads > EV_INDEX_MASK) {
        return -ENOMEM; /* more than the queue's keys can name */
    }
    if (e->n_threads == e->cap_threads) {
        size_t cap = e->cap_threads ? e->cap_threads * 2 : 64;
        struct vt_thread **a = realloc(e->threads, cap * sizeof(*a));

        if (a == NULL) {
            return -ENOMEM;
        }
        e->threads = a;
        e->cap_threads = cap;
    }
    th = calloc(1, sizeof(*th));
    if (th == NULL) {
        return -ENOMEM;
    }
    th->e = e;
    th->state = ST_NEW;
    th->c_slot = -1;
    th->w_slot = -1;
    th->index = (int)e->n_threads;
    e->threads[e->n_threads++] = th;
    if (e->started) {
        make_runnable(e, th); /* started by a running thread: now */
    }
    *out = th;
    return 0;
}

void
vt_thread_cancel(struct vt_thread *t)
{
    struct vt_engine *e = t->e;

    cancel_event(t);
    if (t->state == ST_READY) {
        rq_remove(&e->woken, t);
    } else if (t->state == ST_COMPUTING && !t->on_core) {
        rq_remove(&e->ready, t);
    }
    release_core(e, t);
    t->state = ST_DONE;
    e->n_done++;
}

int
vt_thread_start(struct vt_thread *t, void *(*fn)(void *), void *arg)
{
    int rc;

    if (t == NULL || fn == NULL || t->fn != NULL) {
        return -EINVAL;
    }
    rc = vt_fiber_init(&t->fiber, fiber_main);
    if (rc != 0) {
        return rc;
    }
    t->fn = fn;
    t->arg = arg;
    return 0;
}

int
vt_run(struct vt_engine *e)
{
    size_t i;

    if (e->started) {
        return -EINVAL;
    }
    e->started = 1;
    vt_fiber_init_controller(&e->controller);
    for (i = 0; i < e->n_threads; i++) {
        if (e->threads[i]->state != ST_DONE) { /* not cancelled */
            make_runnable(e, e->threads[i]);
        }
    }
    yield(e, NULL);
    tls_self = NULL;
    return e->deadlock ? -EDEADLK : 0;
}

_Noreturn void
vt_thread_end(struct vt_thread *t)
{
    struct vt_engine *e = t->e;

    t->state = ST_DONE;
    e->n_done++;
    release_core(e, t);
    yield(e, t);
    vt_fatal("a finished thread was resumed");
}

struct vt_thread *
vt_self(void)
{
    return tls_self;
}

int64_t
vt_now(const struct vt_engine *e)
{
    return e->now;
}

static int64_t
clock_now(void *ctx)
{
    return ((const struct vt_engine *)ctx)->now;
}

struct gil_clock
vt_clock(struct vt_engine *e)
{
    struct gil_clock c;

    c.now_ns = clock_now;
    c.ctx = e;
    return c;
}

void
vt_set_stop(struct vt_engine *e, const atomic_int *stop)
{
    e->stop = stop;
}

void
vt_get_stats(const struct vt_engine *e, struct vt_stats *out)
{
    *out = e->stats;
}

int64_t
vt_compute(struct vt_thread *t, int64_t units, double unit_ns, int64_t quantum,
           const atomic_int *const *breakers, int n_breakers)
{
    struct vt_engine *e = t->e;
    int i;

    if (units <= 0) {
        return 0;
    }
    if (quantum < 1) {
        quantum = 1;
    }
    /* The options keep an instruction at most 1 s, and the dearest unit
     * is a cold one at twice that; far past it means a bug. */
    if (!(unit_ns >= 0.0) || unit_ns > VT_MAX_UNIT_NS) {
        vt_fatal("vt_compute: unit cost out of range");
    }
    /* Keep every unit_time() far from overflowing: at most 2^61 ns. */
    if (unit_ns > 0 && (double)units * unit_ns > 2.3e18) {
        units = (int64_t)(2.3e18 / unit_ns);
    }
    if (n_breakers > VT_MAX_BREAKERS) {
        n_breakers = VT_MAX_BREAKERS;
    }
    t->c_total = units;
    t->c_done = 0;
    t->c_carry = 0.0;
    t->c_unit_ns = unit_ns;
    t->c_quantum = quantum;
    t->c_nb = 0; /* only real flags: a thread with none is never scanned */
    for (i = 0; i < n_breakers; i++) {
        if (breakers[i] != NULL) {
            t->c_breakers[t->c_nb++] = breakers[i];
        }
    }
    t->state = ST_COMPUTING;
    computing_add(e, t);
    schedule_compute(e, t, e->now);
    yield(e, t);
    return t->c_done;
}

void
vt_sleep(struct vt_thread *t, int64_t ns, enum vt_wake how)
{
    struct vt_engine *e = t->e;

    t->state = ST_SLEEPING;
    t->sleep_wake = how;
    release_core(e, t);
    heap_push(e, t, e->now + (ns > 0 ? ns : 0), EV_TIMEOUT);
    yield(e, t);
}

int
vt_block(struct vt_thread *t, const void *key, int64_t timeout_ns)
{
    return vt_block_until(t, key, timeout_ns, VT_WAKE_TIMER);
}

/* Block on key (see vt.h); `again` as for vt_block_while, or NULL. */
static int
block(struct vt_thread *t, const void *key, int64_t timeout_ns,
      enum vt_wake how, int (*again)(void *arg), void *arg)
{
    struct vt_engine *e = t->e;

    t->sleep_wake = how;
    t->again = again;
    t->again_arg = arg;
    block_on(e, t, key, timeout_ns);
    release_core(e, t);
    yield(e, t);
    t->again = NULL;
    return t->timed_out;
}

int
vt_block_until(struct vt_thread *t, const void *key, int64_t timeout_ns,
               enum vt_wake how)
{
    return block(t, key, timeout_ns, how, NULL, NULL);
}

int
vt_block_while(struct vt_thread *t, const void *key, int64_t timeout_ns,
               int (*again)(void *arg), void *arg)
{
    return block(t, key, timeout_ns, VT_WAKE_TIMER, again, arg);
}

void
vt_wake(struct vt_engine *e, const void *key, int all)
{
    struct waitq *q = waitq_of(e, key);

    while (q->head != NULL) {
        struct vt_thread *th = q->head;

        waitq_remove(e, th);
        cancel_event(th);
        th->timed_out = 0;
        wake_after(e, th, latency(e, e->cfg.wake_ns));
        if (!all) {
            break;
        }
    }
}
