/*
 * gil_bfs.c - what-if policy "bfs": the GIL handed over by virtual
 * deadline, after Nir Aides's BFS scheduler patch for bpo-7946 (bfs.patch,
 * msg101612, March 2010; re-posted to python-dev in May 2010 as "Fixing
 * the GIL (with a BFS scheduler)"), itself a simplified version of Con
 * Kolivas's Brain Fuck Scheduler for Linux.
 *
 * What is implemented here:
 *  - Every thread has a time slice of one switch interval and a virtual
 *    deadline. Time holding the GIL is charged to the slice at each
 *    release. When a thread asks for the GIL with its slice used up (or
 *    for the first time), it gets a fresh slice and a new deadline, now +
 *    interval; otherwise it keeps its old deadline. A thread that used the
 *    GIL a lot thus gets a later deadline, and an I/O-bound thread, which
 *    holds the GIL briefly between blocking calls, keeps an early one.
 *  - Waiters queue (`bfs_queue`), and the free GIL goes to the waiter with
 *    the earliest deadline (ties: the earlier arrival). A thread that
 *    finds the GIL held, or others queued, queues; no barging.
 *  - The holder is asked to drop when its slice is used up and someone
 *    waits: each waiter sleeps until the holder's slice ends
 *    (`bfs_slice_end_ns`, at least 1 us), and then, if the same holder
 *    still has it, sets the drop request. The holder drops at its next
 *    check, as in `new`.
 *  - Preemption, as Kolivas's BFS preempts a running task when a task with
 *    an earlier deadline wakes (try_preempt): the first waiter sets the
 *    drop request at once if its deadline is earlier than the holder's.
 *    This is what serves an I/O-bound thread quickly: its deadline is old.
 *  - No FORCE_SWITCHING wait: a thread that drops on request either used
 *    its slice (it queues again with a deadline later than every
 *    waiter's) or was preempted by a waiter with an earlier deadline, and
 *    as long as anyone is queued it must queue too, so the ordering alone
 *    hands the GIL to someone else.
 *  - A release broadcasts `cond`; every waiter but the first goes back to
 *    sleep.
 *
 * Where it may differ from the patch (which was not at hand; this is
 * reconstructed from its public descriptions):
 *  - Deadlines are in the GIL's clock (CLOCK_MONOTONIC ns), not in the
 *    patch's own units, and there are no priority levels (nice values);
 *    BFS's prio_ratio is 1 for every thread.
 *  - The patch used a timer/scheduler thread-state of its own and
 *    per-thread condition variables; here one condition variable and a
 *    broadcast stand in for them, which changes wake-up cost, not order.
 *  - Whether the patch also preempted a holder as soon as a waiter with an
 *    earlier deadline arrived is not known here; this version waits for
 *    the holder's slice to end.
 * No CPython release behaves like this; it is labelled what-if.
 *
 * Events are emitted with `mutex` held. Includes only gil_internal.h.
 */
#include "gil_internal.h"

/* The waiter with the earliest deadline (ties: the earlier arrival). */
static struct gil_thread *
first_waiter(const struct gil *g)
{
    struct gil_thread *best = g->bfs_queue;
    struct gil_thread *w;

    for (w = best != NULL ? best->bfs_next : NULL; w != NULL; w = w->bfs_next) {
        if (w->bfs_deadline_ns < best->bfs_deadline_ns ||
            (w->bfs_deadline_ns == best->bfs_deadline_ns &&
             w->bfs_seq < best->bfs_seq)) {
            best = w;
        }
    }
    return best;
}

static void
unlink_waiter(struct gil *g, struct gil_thread *t)
{
    struct gil_thread **pp = &g->bfs_queue;

    while (*pp != NULL && *pp != t) {
        pp = &(*pp)->bfs_next;
    }
    if (*pp == t) {
        *pp = t->bfs_next;
    }
    t->bfs_next = NULL;
}

static void
bfs_take(struct gil *g, struct gil_thread *t)
{
    int64_t now;

    gil__lock(&g->mutex);
    now = gil__now(g);
    if (!t->bfs_started || t->bfs_slice_left_ns <= 0) {
        /* BFS: a new slice comes with a new deadline. */
        t->bfs_started = 1;
        t->bfs_slice_left_ns = g->interval_ns;
        t->bfs_deadline_ns = now + g->interval_ns;
    }
    if (g->locked || g->bfs_queue != NULL) {
        gil__count(&g->counters.waits);
        gil__emit(g, t, GIL_EV_WAIT, 0);
        t->bfs_seq = g->bfs_seq++;
        t->bfs_next = g->bfs_queue;
        g->bfs_queue = t;
        while (g->locked || first_waiter(g) != t) {
            unsigned long saved = g->switch_number;
            int64_t wait_ns = g->interval_ns;

            if (g->locked && first_waiter(g) == t &&
                t->bfs_deadline_ns < g->bfs_holder_deadline_ns) {
                /* try_preempt: an earlier deadline need not wait. */
                gil__request_drop(g, t, 0);
            }

            if (g->locked) {
                wait_ns = g->bfs_slice_end_ns - now;
                if (wait_ns < 1000) {
                    wait_ns = 1000;
                }
            }
            (void)gil__timedwait_ns(g, &g->cond, &g->mutex, wait_ns);
            now = gil__now(g);
            /* The holder's slice is over and someone (we) waits. */
            if (g->locked && g->switch_number == saved &&
                now >= g->bfs_slice_end_ns) {
                gil__request_drop(g, t, 0);
            }
        }
        unlink_waiter(g, t);
    }
    gil__taken(g, t);
    t->bfs_run_start_ns = gil__now(g);
    g->bfs_slice_end_ns = t->bfs_run_start_ns + t->bfs_slice_left_ns;
    g->bfs_holder_deadline_ns = t->bfs_deadline_ns;
    gil__unlock(&g->mutex);
}

static void
bfs_drop(struct gil *g, struct gil_thread *t, enum gil_drop_reason reason)
{
    gil__lock(&g->mutex);
    t->bfs_slice_left_ns -= gil__now(g) - t->bfs_run_start_ns;
    gil__released(g, t, reason);
    gil__broadcast(g, &g->cond);
    gil__unlock(&g->mutex);
}

const struct gil_policy gil__policy_bfs = {
    .name = "bfs",
    .description = "what-if: Nir Aides's BFS patch, earliest deadline first",
    .default_check_every = 8,
    .what_if = 1,
    .take = bfs_take,
    .drop = bfs_drop,
    .check = gil__check_drop_request,
};
