/*
 * gil_legacy.c - the tick-based GIL of Python 2 and 3.0-3.1 (policy
 * "legacy").
 *
 * The lock is an ordinary unfair lock with no queue: a flag guarded by a
 * mutex, waiters blocking on a condition variable with no timeout. There
 * is no drop request and no forced switch. Instead, every check interval
 * (sys.setcheckinterval, 100 ticks by default; here a check every
 * `check_every` instructions, default 100) the holder releases the lock,
 * signals one waiter and at once asks for the lock again. On a multicore
 * machine the releaser usually wins that race, because the waiter it woke
 * has yet to be scheduled: lots of wake-ups, few hand-offs, and CPU-bound
 * threads that run slower together than one after another (Beazley, "Inside
 * the Python GIL", 2009).
 *
 * This mirrors the `if (--_Py_Ticker < 0)` block of Python 2.7's ceval.c
 * with PyThread_release_lock / PyThread_acquire_lock(lock, 1). The lock in
 * 2.7 is a POSIX semaphore on Linux; a mutex, a flag and a condition
 * variable behave the same way for this purpose (no fairness, no queue).
 */
#include "gil_internal.h"

static void
legacy_take(struct gil *g, struct gil_thread *t)
{
    int switched = 0;

    gil__lock(&g->mutex);
    if (g->locked) {
        gil__count(&g->counters.waits);
        gil__emit(g, t, GIL_EV_WAIT, 0);
        while (g->locked) {
            gil__wait(g, &g->cond, &g->mutex);
        }
    }
    g->locked = 1;
    if (atomic_load_explicit(&g->last_holder, memory_order_relaxed) != t) {
        atomic_store_explicit(&g->last_holder, t, memory_order_relaxed);
        g->switch_number++;
        switched = 1;
    }
    t->holds = 1;
    gil__count(&g->counters.takes);
    if (switched) {
        gil__count(&g->counters.switches);
    }
    gil__emit(g, t, GIL_EV_TAKE, switched);
    gil__unlock(&g->mutex);
}

static void
legacy_drop(struct gil *g, struct gil_thread *t, enum gil_drop_reason reason)
{
    gil__lock(&g->mutex);
    if (!g->locked) {
        gil__fatal("legacy drop: GIL is not locked", 0);
    }
    gil__count(&g->counters.drops);
    gil__emit(g, t, GIL_EV_DROP, (int64_t)reason);
    g->locked = 0;
    t->holds = 0;
    gil__signal(g, &g->cond);
    gil__unlock(&g->mutex);
}

/* "Give another thread a chance": release, then block to reacquire. */
static int
legacy_check(struct gil *g, struct gil_thread *t)
{
    legacy_drop(g, t, GIL_DROP_YIELD);
    /* Other threads may run now. */
    legacy_take(g, t);
    return 1;
}

const struct gil_policy gil__policy_legacy = {
    .name = "legacy",
    .description = "Python 2: release and re-acquire every check interval "
                   "(100 ticks), no drop requests",
    .default_check_every = 100,
    .take = legacy_take,
    .drop = legacy_drop,
    .check = legacy_check,
    .breaker = 1,
};
