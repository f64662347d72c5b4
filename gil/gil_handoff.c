/*
 * gil_handoff.c - the pieces of a hand-off that `new` (gil_new.c) and
 * the what-if policies (gil_fifo.c, gil_iopriority.c, gil_bfs.c) share:
 * becoming the holder (last_holder, switch_number, switch_cond, clearing
 * the drop request: the `_ready:` part of CPython's take_gil), releasing
 * (drop_gil before its signal), FORCE_SWITCHING's wait, and setting the
 * drop request.
 *
 * Only the wrappers of gil.c touch pthread objects (so that a virtual-time
 * engine can replace them). Includes only gil_internal.h.
 */
#include "gil_internal.h"

void
gil__taken(struct gil *g, struct gil_thread *t)
{
    int switched = 0;

    /* switch_mutex must be held to change last_holder, or a forced
     * dropper could miss the change between its check and its wait. */
    gil__lock(&g->switch_mutex);
    g->locked = 1;
    if (atomic_load_explicit(&g->last_holder, memory_order_relaxed) != t) {
        atomic_store_explicit(&g->last_holder, t, memory_order_relaxed);
        g->switch_number++;
        /* Counted under switch_mutex, so a forced dropper that wakes on
         * switch_cond already sees the switch in the counters. */
        gil__count(&g->counters.switches);
        switched = 1;
    }
    gil__signal(g, &g->switch_cond);
    gil__unlock(&g->switch_mutex);

    /* The new holder starts with a clean request (RESET_GIL_DROP_REQUEST). */
    atomic_store_explicit(&g->drop_request, 0, memory_order_seq_cst);
    t->holds = 1;
    gil__count(&g->counters.takes);
    gil__emit(g, t, GIL_EV_TAKE, switched);
}

void
gil__released(struct gil *g, struct gil_thread *t, enum gil_drop_reason reason)
{
    if (!g->locked) {
        gil__fatal("drop_gil: GIL is not locked", 0);
    }
    gil__count(&g->counters.drops);
    if (reason == GIL_DROP_FORCED) {
        gil__count(&g->counters.forced_drops);
    }
    gil__emit(g, t, GIL_EV_DROP, (int64_t)reason);
    atomic_store_explicit(&g->last_holder, t, memory_order_relaxed);
    g->locked = 0;
    t->holds = 0;
}

void
gil__force_switch_wait(struct gil *g, struct gil_thread *t,
                       enum gil_drop_reason reason)
{
    if (reason == GIL_DROP_EXIT ||
        !atomic_load_explicit(&g->drop_request, memory_order_relaxed)) {
        return;
    }
    gil__lock(&g->switch_mutex);
    if (atomic_load_explicit(&g->last_holder, memory_order_relaxed) == t) {
        atomic_store_explicit(&g->drop_request, 0, memory_order_relaxed);
        while (atomic_load_explicit(&g->last_holder, memory_order_relaxed) ==
               t) {
            gil__wait(g, &g->switch_cond, &g->switch_mutex);
        }
    }
    gil__unlock(&g->switch_mutex);
}

int
gil__check_drop_request(struct gil *g, struct gil_thread *t)
{
    if (!atomic_load_explicit(&g->drop_request, memory_order_relaxed)) {
        return 0;
    }
    g->policy->drop(g, t, GIL_DROP_FORCED);
    /* Other threads may run now. */
    g->policy->take(g, t);
    return 1;
}

void
gil__request_drop(struct gil *g, struct gil_thread *t, int64_t arg)
{
    /* seq_cst: the holder must see the request at its very next check
     * (io-priority promises a drop within about one check). */
    if (atomic_exchange_explicit(&g->drop_request, 1, memory_order_seq_cst) ==
        0) {
        gil__count(&g->counters.drop_requests);
        gil__emit(g, t, GIL_EV_DROP_REQUEST, arg);
    }
}
