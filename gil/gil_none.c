/*
 * gil_none.c - no GIL at all (policy "nogil"), for the free-threads model.
 *
 * Take and drop exclude nothing and never wait; they only mark the thread
 * as attached or detached (like a free-threaded CPython 3.13t thread
 * attaching its thread state) and report the change to the hook, so the
 * same trace and state segments come out as under a real GIL. A take by a
 * thread that is already attached, or a drop by one that is not, aborts:
 * unpaired calls would be bugs in the caller that the real policies would
 * turn into deadlocks (SQLite's mutex_noop.c keeps the same check).
 *
 * Differences from real free-threaded CPython: no per-object locks, no
 * stop-the-world pauses, no single-thread slowdown (see README).
 */
#include "gil_internal.h"

static void
none_take(struct gil *g, struct gil_thread *t)
{
    t->holds = 1;
    gil__count(&g->counters.takes);
    gil__emit(g, t, GIL_EV_TAKE, 0);
}

static void
none_drop(struct gil *g, struct gil_thread *t, enum gil_drop_reason reason)
{
    gil__count(&g->counters.drops);
    gil__emit(g, t, GIL_EV_DROP, (int64_t)reason);
    t->holds = 0;
}

static int
none_check(struct gil *g, struct gil_thread *t)
{
    (void)g;
    (void)t;
    return 0;
}

const struct gil_policy gil__policy_none = {
    .name = "nogil",
    .description = "no GIL: free threads (like CPython 3.13t with the GIL "
                   "disabled)",
    .default_check_every = 8,
    .take = none_take,
    .drop = none_drop,
    .check = none_check,
    .breaker = -1,
};
