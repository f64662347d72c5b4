/*
 * gil_iopriority.c - what-if policy "io-priority": the `new` GIL with
 * priority requests for threads coming back from I/O, after Antoine
 * Pitrou's priority-request ("gilprio") patch for bpo-7946 (2010).
 *
 * A thread that released the GIL around blocking I/O (GIL_DROP_IO) and
 * now takes it back makes a *priority* request: if the GIL is held, it
 * sets the drop request at once, without waiting for an interval, and
 * waits untimed. The holder sees the request at its next check, releases
 * and (FORCE_SWITCHING) waits until someone else took the GIL. While any
 * priority waiter is queued (`prio_waiting`), ordinary waiters may not
 * take the GIL even when it is free, so priority waiters are served first.
 * If a second priority waiter finds the GIL taken by the first, it sets
 * the request again. Ordinary waiters (a thread retaking the GIL after a
 * forced drop, or at its start) behave exactly as in `new`: one interval
 * of timed wait, then a drop request if no hand-off happened. A release
 * broadcasts `cond`, because waiters now wait for different things.
 *
 * The request is reported as GIL_EV_DROP_REQUEST with arg
 * GIL_REQUEST_PRIORITY, a timed-out one with arg 0, and both are counted in
 * drop_requests.
 *
 * Where this may differ from Pitrou's patch (reconstructed from the
 * bpo-7946 discussion and Nick Coghlan's python-dev summary, "Fixing the
 * new GIL", March 2010; the patch text itself was not at hand):
 *  - Here the marker of an "interactive" thread is the reason of its last
 *    release (GIL_DROP_IO). The patch's heuristic flagged threads that gave
 *    the GIL back early, before being asked; a thread releasing for I/O is
 *    exactly such a thread in gilsim's workloads, but a CPU step that
 *    yields without I/O would not be flagged here.
 *  - Among several priority waiters the OS picks (as among `new`'s
 *    waiters); the patch may have ordered them.
 * No CPython release behaves like this; it is labelled what-if.
 *
 * Events are emitted with `mutex` held. Includes only gil_internal.h.
 */
#include "gil_internal.h"

static void
prio_take(struct gil *g, struct gil_thread *t)
{
    int prio = t->after_io;

    t->after_io = 0;
    gil__lock(&g->mutex);
    if (g->locked || (!prio && g->prio_waiting > 0)) {
        gil__count(&g->counters.waits);
        gil__emit(g, t, GIL_EV_WAIT, 0);
        if (prio) {
            g->prio_waiting++;
            while (g->locked) {
                /* At once, and again if another priority waiter took it
                 * meanwhile (its take cleared the request). */
                gil__request_drop(g, t, GIL_REQUEST_PRIORITY);
                gil__wait(g, &g->cond, &g->mutex);
            }
            g->prio_waiting--;
        } else {
            while (g->locked || g->prio_waiting > 0) {
                unsigned long saved = g->switch_number;
                int timed_out =
                    gil__timedwait_ns(g, &g->cond, &g->mutex, g->interval_ns);

                if (timed_out && g->locked && g->switch_number == saved) {
                    gil__request_drop(g, t, 0);
                }
            }
        }
    }
    gil__taken(g, t);
    gil__unlock(&g->mutex);
}

static void
prio_drop(struct gil *g, struct gil_thread *t, enum gil_drop_reason reason)
{
    gil__lock(&g->mutex);
    gil__released(g, t, reason);
    gil__broadcast(g, &g->cond);
    gil__unlock(&g->mutex);
    t->after_io = reason == GIL_DROP_IO;
    gil__force_switch_wait(g, t, reason);
}

const struct gil_policy gil__policy_iopriority = {
    .name = "io-priority",
    .description = "what-if: new + Pitrou's priority requests after I/O",
    .default_check_every = 8,
    .what_if = 1,
    .take = prio_take,
    .drop = prio_drop,
    .check = gil__check_drop_request,
};
