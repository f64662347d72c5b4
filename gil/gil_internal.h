/*
 * gil_internal.h - private to gil/; everyone else includes gil.h.
 *
 * The state shared by the policies (one `struct gil`, one
 * `struct gil_thread` per thread), the policy method table, and the small
 * helpers every policy uses: locking that aborts on a corrupt pthread
 * object, event emission to the hook, and counters.
 */
#ifndef GILSIM_GIL_INTERNAL_H
#define GILSIM_GIL_INTERNAL_H

#include "gil.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

/* A const method table per policy (gil_new.c, gil_legacy.c, gil_none.c,
 * and the what-if policies gil_fifo.c, gil_iopriority.c, gil_bfs.c). */
struct gil_policy {
    const char *name;
    const char *description;     /* one line, for --help */
    int64_t default_check_every; /* instructions between checks */
    int what_if;                 /* 1 if no CPython release behaves like this */
    void (*take)(struct gil *g, struct gil_thread *t);
    void (*drop)(struct gil *g, struct gil_thread *t,
                 enum gil_drop_reason reason);
    int (*check)(struct gil *g, struct gil_thread *t);
    /* What gil_eval_breaker answers: 0 = &g->drop_request, 1 = always
     * (checks may release unasked), -1 = never (checks never release). */
    int breaker;
};

extern const struct gil_policy gil__policy_new;
extern const struct gil_policy gil__policy_legacy;
extern const struct gil_policy gil__policy_none;
extern const struct gil_policy gil__policy_fifo;
extern const struct gil_policy gil__policy_iopriority;
extern const struct gil_policy gil__policy_bfs;
extern const struct gil_policy gil__policy_per_interpreter;

/* Counters; atomics so gil_get_stats may read them from any thread. */
struct gil__counters {
    atomic_uint_fast64_t takes;
    atomic_uint_fast64_t drops;
    atomic_uint_fast64_t switches;
    atomic_uint_fast64_t drop_requests;
    atomic_uint_fast64_t forced_drops;
    atomic_uint_fast64_t waits;
};

/*
 * The lock. Field comments give the unit and the lock that guards each
 * field, as CPython's pycore_gil.h does.
 */
struct gil {
    const struct gil_policy *policy; /* immutable after gil_new */
    struct gil_clock clock;          /* immutable; stamps hook events */
    struct gil_hooks hooks;          /* immutable */
    const struct gil_sync *sync;     /* NULL = pthreads; immutable */
    void *sync_ctx;                  /* immutable */
    int64_t interval_ns; /* switch interval, >= 1000 (1 us); immutable */

    pthread_mutex_t mutex; /* guards locked and switch_number */
    pthread_cond_t cond;   /* waiters for locked == 0; CLOCK_MONOTONIC */
    int locked;            /* 1 = held; guarded by mutex */
    /* Changes of holder since creation; guarded by mutex. Only a take by a
     * thread other than last_holder moves it (CPython's switch_number). */
    unsigned long switch_number;

    /* FORCE_SWITCHING: a forced dropper waits on switch_cond until
     * last_holder is no longer itself. */
    pthread_mutex_t switch_mutex;
    pthread_cond_t switch_cond;
    /* Holds or last held the GIL. Written under mutex + switch_mutex by a
     * taker, and by a dropper before it releases; read without a lock. */
    _Atomic(struct gil_thread *) last_holder;

    /* The eval breaker: set by a timed-out waiter, polled by the holder at
     * every check, cleared by the next taker (gil_drop_request). */
    atomic_int drop_request;

    struct gil__counters counters;

    /* What-if policies only; all guarded by mutex. */
    /* fifo: the next ticket to hand out, and the ticket that may take. */
    uint64_t ticket_next;
    uint64_t ticket_head;
    /* io-priority: threads waiting with a priority request. */
    int prio_waiting;
    /* bfs: the waiters (linked through gil_thread.bfs_next), the order of
     * arrival that breaks ties, and when the holder's slice ends (ns of
     * the GIL's clock). */
    struct gil_thread *bfs_queue;
    uint64_t bfs_seq;
    int64_t bfs_slice_end_ns;
    int64_t bfs_holder_deadline_ns; /* the holder's virtual deadline */
};

struct gil_thread {
    struct gil *g; /* immutable */
    void *user;    /* passed back to the hook; immutable */
    int holds;     /* 1 while this thread holds the GIL; owner-only */
    /* new: switch_number when the current wait began, or when a timed-out
     * wait saw it change (new_wait_again); guarded by mutex. Here, not on
     * the waiter's stack, so that a virtual engine re-arming 10 000 idle
     * waits does not touch 10 000 stacks. */
    unsigned long wait_saved;

    /* What-if policies only. */
    uint64_t ticket; /* fifo: this waiter's place; guarded by mutex */
    int after_io;    /* io-priority: last release was GIL_DROP_IO; owner */
    /* bfs, guarded by mutex: the virtual deadline (ns of the GIL's clock),
     * what is left of the slice, when the thread last took the GIL, its
     * place in arrival order, whether it has a deadline yet, and the next
     * waiter in g->bfs_queue. */
    int64_t bfs_deadline_ns;
    int64_t bfs_slice_left_ns;
    int64_t bfs_run_start_ns;
    uint64_t bfs_seq;
    int bfs_started;
    struct gil_thread *bfs_next;
};

/* Print "gilsim: fatal: WHAT: strerror(rc)" and abort: a pthread call
 * failing inside take/drop means the GIL is corrupt (CPython's MUTEX_LOCK
 * does the same through Py_FatalError). */
_Noreturn void gil__fatal(const char *what, int rc);

/* The lock's primitives. Mutexes are always pthread mutexes (a virtual
 * engine runs one thread at a time, so they are never contended there);
 * the condition variable operations go to g->sync when it is set. */
void gil__lock(pthread_mutex_t *m);
void gil__unlock(pthread_mutex_t *m);
void gil__signal(struct gil *g, pthread_cond_t *c);
/* Wake every waiter: for policies whose waiters wait for different
 * things (a ticket, a priority), where one signal could wake the wrong
 * one. */
void gil__broadcast(struct gil *g, pthread_cond_t *c);
void gil__wait(struct gil *g, pthread_cond_t *c, pthread_mutex_t *m);
/* 1 if the wait timed out, 0 if woken (or woken spuriously). */
int gil__timedwait_ns(struct gil *g, pthread_cond_t *c, pthread_mutex_t *m,
                      int64_t timeout_ns);
/* gil__timedwait_ns, where a timeout after which again(arg) says the
 * waiter would only wait again may be absorbed by the sync (see
 * gil_sync.timedwait_while); in real time, exactly gil__timedwait_ns. */
int gil__timedwait_while(struct gil *g, pthread_cond_t *c, pthread_mutex_t *m,
                         int64_t timeout_ns, int (*again)(void *arg),
                         void *arg);

int64_t gil__now(const struct gil *g);

/*
 * Hand-off helpers (gil_handoff.c) that `new` and the what-if policies
 * share.
 * gil__taken: with mutex held, make t the holder: locked = 1, last_holder
 * and switch_number under switch_mutex, signal switch_cond, clear the
 * drop request, count the take and emit GIL_EV_TAKE.
 * gil__released: with mutex held, count and emit the drop, set
 * last_holder, locked = 0; the caller then wakes its waiters.
 * gil__force_switch_wait: without mutex, after a release: FORCE_SWITCHING,
 * wait until another thread took the GIL if a drop request is pending
 * (not for GIL_DROP_EXIT).
 * gil__request_drop: with mutex held, set the drop request on behalf of
 * waiter t; counted and emitted (arg as GIL_EV_DROP_REQUEST's) only when
 * the flag goes from 0 to 1.
 */
void gil__taken(struct gil *g, struct gil_thread *t);
void gil__released(struct gil *g, struct gil_thread *t,
                   enum gil_drop_reason reason);
void gil__force_switch_wait(struct gil *g, struct gil_thread *t,
                            enum gil_drop_reason reason);
void gil__request_drop(struct gil *g, struct gil_thread *t, int64_t arg);
/* The eval breaker's GIL part (eval_frame_handle_pending in CPython), the
 * `check` of every policy with drop requests: if one is pending, drop the
 * GIL (forced) and take it back through the policy's own methods. 1 if it
 * did. */
int gil__check_drop_request(struct gil *g, struct gil_thread *t);

static inline void
gil__emit(struct gil *g, struct gil_thread *t, enum gil_event ev, int64_t arg)
{
    if (g->hooks.event != NULL) {
        g->hooks.event(t->user, ev, arg, gil__now(g));
    }
}

static inline void
gil__count(atomic_uint_fast64_t *c)
{
    atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

#endif /* GILSIM_GIL_INTERNAL_H */
