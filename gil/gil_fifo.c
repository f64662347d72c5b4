/*
 * gil_fifo.c - what-if policy "fifo": the `new` GIL with a first-come,
 * first-served hand-off.
 *
 * Everything a thread sees of `new` is kept: a waiter sleeps one switch
 * interval at a time and sets the drop request if the holder kept the GIL
 * for a whole interval with no hand-off; the holder polls the request at
 * its checks, releases, and (FORCE_SWITCHING) waits until another thread
 * has taken the GIL before it asks again. What changes is who takes it
 * next. A thread that finds the GIL held, or finds other threads already
 * queued for it, draws a ticket (`ticket_next`), and only the holder of
 * the ticket `ticket_head` may take the GIL when it is free: a ticket
 * lock, as Linux's spinlocks and Kristjan Jonsson's round-robin GIL of
 * bpo-8299 have. A release broadcasts `cond`, and every waiter but the
 * head goes back to sleep.
 *
 * Differences from `new` (and from CPython), on purpose:
 *  - No barging: a thread returning from I/O while the GIL is free but
 *    others are queued queues behind them; in `new` it takes at once.
 *  - The OS does not choose among waiters: the one that has waited
 *    longest is served, so no waiter can lose a hand-off twice.
 *  - A release wakes every waiter (broadcast), not one; only one of them
 *    proceeds, the others start a fresh interval, as `new`'s waiters do
 *    after a wake-up that someone else won.
 * No CPython release behaves like this; it is labelled what-if.
 *
 * Events are emitted with `mutex` held, so GIL_EV_WAIT comes in ticket
 * order. Includes only gil_internal.h.
 */
#include "gil_internal.h"

static void
fifo_take(struct gil *g, struct gil_thread *t)
{
    gil__lock(&g->mutex);
    if (g->locked || g->ticket_head != g->ticket_next) {
        gil__count(&g->counters.waits);
        gil__emit(g, t, GIL_EV_WAIT, 0);
        t->ticket = g->ticket_next++;
        while (g->locked || g->ticket_head != t->ticket) {
            unsigned long saved = g->switch_number;
            int timed_out =
                gil__timedwait_ns(g, &g->cond, &g->mutex, g->interval_ns);

            /* As in `new`: ask only a holder that kept the GIL for a
             * whole interval. */
            if (timed_out && g->locked && g->switch_number == saved) {
                gil__request_drop(g, t, 0);
            }
        }
        g->ticket_head++;
    }
    gil__taken(g, t);
    gil__unlock(&g->mutex);
}

static void
fifo_drop(struct gil *g, struct gil_thread *t, enum gil_drop_reason reason)
{
    gil__lock(&g->mutex);
    gil__released(g, t, reason);
    gil__broadcast(g, &g->cond);
    gil__unlock(&g->mutex);
    gil__force_switch_wait(g, t, reason);
}

const struct gil_policy gil__policy_fifo = {
    .name = "fifo",
    .description = "what-if: new, but the longest waiter takes the GIL",
    .default_check_every = 8,
    .what_if = 1,
    .take = fifo_take,
    .drop = fifo_drop,
    .check = gil__check_drop_request,
};
