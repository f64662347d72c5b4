/*
 * gil.h - the public interface of gil/, a CPython-style global interpreter
 * lock built from a pthread mutex and condition variables.
 *
 * A `struct gil` is one lock with one policy: `new` (CPython 3.2-3.12,
 * time-based with drop requests and forced switching), `legacy` (Python 2,
 * tick-based) or `nogil` (no exclusion, for free threads), or one of the
 * what-if policies `fifo`, `io-priority`, `bfs` and `per-interpreter`. Each
 * thread that uses the lock owns a `struct gil_thread`, the analogue of
 * PyThreadState.
 *
 * gil/ depends on pthreads only. Time comes from the clock passed in the
 * config, and every state change is reported through `struct gil_hooks`,
 * which sim/ installs to record its trace. gil/ knows nothing of workloads.
 *
 * Ownership: arguments are borrowed; what a _new function returns belongs
 * to the caller until the matching _free.
 */
#ifndef GILSIM_GIL_H
#define GILSIM_GIL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#define GIL_WARN_UNUSED __attribute__((warn_unused_result))

/* Why a thread released the GIL (the `detail` of GIL_EV_DROP). */
enum gil_drop_reason {
    GIL_DROP_IO = 0,     /* around a blocking call: Py_BEGIN_ALLOW_THREADS */
    GIL_DROP_FORCED = 1, /* at a check, because a drop was requested */
    GIL_DROP_YIELD = 2,  /* at a check, unasked (legacy ticks) */
    GIL_DROP_EXIT = 3,   /* the thread's final release */
};

/* What the hook is told. */
enum gil_event {
    GIL_EV_WAIT = 0,         /* the thread found the GIL held and waits */
    GIL_EV_TAKE = 1,         /* the thread holds the GIL; arg = 1 if the
                                holder changed (switch_number moved) */
    GIL_EV_DROP = 2,         /* the thread released it; arg = reason */
    GIL_EV_DROP_REQUEST = 3, /* a waiter asked the holder to drop; reported
                                on the waiter; arg = 0 when it timed out,
                                GIL_REQUEST_PRIORITY for io-priority's
                                request on return from I/O */
};

/* The arg of GIL_EV_DROP_REQUEST for a priority request (io-priority). */
#define GIL_REQUEST_PRIORITY 1

/* The clock: CLOCK_MONOTONIC nanoseconds in the real engine. */
struct gil_clock {
    int64_t (*now_ns)(void *ctx);
    void *ctx;
};

/*
 * Called on every state change, with the GIL's mutex held where the policy
 * has one, so the events of one GIL are totally ordered in time. `user` is
 * the pointer given to gil_thread_new for the thread the event is about.
 * The hook must not block and must not call back into the GIL.
 */
struct gil_hooks {
    void (*event)(void *user, enum gil_event ev, int64_t arg, int64_t t_ns);
};

/*
 * How the lock waits. NULL (the default) means pthread condition variables
 * whose timed waits count CLOCK_MONOTONIC time: the real engine. A
 * virtual-time engine passes its own, together with its clock. `cond`
 * names a condition variable of the lock (its address: a key, never
 * dereferenced by the engine); `m` is the mutex the caller holds, which
 * wait and timedwait release while they block and hold again on return,
 * as pthread_cond_wait does. timedwait returns 1 if the wait timed out.
 */
struct gil_sync {
    void (*wait)(void *ctx, const void *cond, pthread_mutex_t *m);
    int (*timedwait)(void *ctx, const void *cond, pthread_mutex_t *m,
                     int64_t timeout_ns);
    void (*signal)(void *ctx, const void *cond);
    void (*broadcast)(void *ctx, const void *cond);
    /* Optional: timedwait, but a timeout after which `again(arg)` returns
     * 1 is not returned: the waiter waits again for timeout_ns, as if it
     * had woken, found nothing to do and called timedwait once more (a
     * virtual engine then need not run it). `again` may update what arg
     * points to, as the waiter would have. NULL: timedwait is used. */
    int (*timedwait_while)(void *ctx, const void *cond, pthread_mutex_t *m,
                           int64_t timeout_ns, int (*again)(void *arg),
                           void *arg);
};

struct gil_policy; /* a const method table, private to gil/ */

struct gil_config {
    const struct gil_policy *policy; /* from gil_policy_find(); NULL = new */
    int64_t switch_interval_ns;      /* waiter's wait before a drop request;
                                        clamped to >= 1 us as in CPython */
    struct gil_clock clock;
    struct gil_hooks hooks;      /* event may be NULL: nothing is reported */
    const struct gil_sync *sync; /* NULL = pthreads, real time */
    void *sync_ctx;              /* passed to sync's functions */
};

/* Counters kept by the lock itself, to be checked against the trace. */
struct gil_stats {
    uint64_t takes;         /* every successful take */
    uint64_t drops;         /* every release, whatever the reason */
    uint64_t switches;      /* takes where the holder changed */
    uint64_t drop_requests; /* requests set by timed-out waiters */
    uint64_t forced_drops;  /* drops made because of a request */
    uint64_t waits;         /* takes that found the lock held */
};

struct gil;
struct gil_thread;

/* Policies by name: "new", "legacy", "nogil", and the what-if policies
 * "fifo", "io-priority", "bfs" and "per-interpreter". NULL if unknown. */
const struct gil_policy *gil_policy_find(const char *name);
const char *gil_policy_name(const struct gil_policy *p);
/* 1 for a what-if policy (no CPython release behaves like it: label it
 * so in help, summaries and plots), 0 otherwise or for NULL. */
int gil_policy_is_what_if(const struct gil_policy *p);
/* A one-line description, for --help. */
const char *gil_policy_describe(const struct gil_policy *p);
/* The check spacing, in instructions, that the policy stands for:
 * 8 for new (one check per `while n > 0: n -= 1` iteration in 3.11),
 * 100 for legacy (sys.setcheckinterval's default). */
int64_t gil_policy_default_check_every(const struct gil_policy *p);
/* The names of all policies, NULL-terminated, for help and errors. */
const char *const *gil_policy_names(void);

/* 0 or -EINVAL (bad interval) or -ENOMEM or another -errno. */
int gil_new(const struct gil_config *cfg, struct gil **out) GIL_WARN_UNUSED;
void gil_free(struct gil *g);

/* A thread's state on this GIL; `user` is passed back to the hook. */
int gil_thread_new(struct gil *g, void *user,
                   struct gil_thread **out) GIL_WARN_UNUSED;
void gil_thread_free(struct gil_thread *t);

/* Block until the calling thread holds the GIL. Saves and restores errno. */
void gil_take(struct gil_thread *t);
/* Release it. GIL_DROP_IO before blocking I/O, GIL_DROP_EXIT at the end. */
void gil_drop(struct gil_thread *t, enum gil_drop_reason reason);
/* The eval-breaker check, made by the holder every few instructions: may
 * release and retake the GIL. Returns 1 if it released, else 0. */
int gil_check(struct gil_thread *t);
/* 1 if the calling thread holds the GIL (nogil: is "attached"). */
int gil_held(const struct gil_thread *t);

/*
 * The eval breaker a holder's checks poll: nonzero when a check would
 * release the GIL. A virtual-time engine lets a cpu step run without
 * checks while it reads 0. Points at a constant 1 for a policy whose
 * checks may release unasked (legacy), and is NULL for one whose checks
 * never release (nogil).
 */
const atomic_int *gil_eval_breaker(const struct gil *g);

/* A snapshot of the counters; safe to call at any time. */
void gil_get_stats(struct gil *g, struct gil_stats *out);
/* Add s to sum, counter by counter (runs with one GIL per process or per
 * interpreter report the sum). */
void gil_stats_add(struct gil_stats *sum, const struct gil_stats *s);
int64_t gil_switch_interval_ns(const struct gil *g);

#endif /* GILSIM_GIL_H */
