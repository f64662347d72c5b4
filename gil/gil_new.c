/*
 * gil_new.c - the time-based GIL of CPython 3.2-3.12 (policy "new").
 *
 * The GIL is a flag, `locked`, guarded by `mutex`; changes are signalled on
 * `cond`. A thread that finds it held sleeps on `cond` for one switch
 * interval. If the wait times out, the GIL is still held and no hand-off
 * happened meanwhile (`switch_number` did not move), the waiter sets
 * `drop_request` and waits again; every pass of the loop starts a fresh full
 * interval. The holder polls `drop_request` at each check (the eval
 * breaker); when it is set, the holder releases, signals `cond`, and, with
 * FORCE_SWITCHING, waits on `switch_cond` until `last_holder` shows that
 * another thread has taken the GIL, before it queues up again. The new
 * holder clears the request. Waiters are not queued: the OS decides which
 * waiter a signal wakes, and a thread arriving while the GIL is free takes
 * it at once.
 *
 * This mirrors take_gil()/drop_gil() in CPython's Python/ceval_gil.c
 * (ceval_gil.h before 3.12). Differences, on purpose:
 *  - The forced dropper waits on switch_cond in a loop until last_holder
 *    changes; CPython waits once, so a spurious wake-up could let it barge.
 *  - The final release of a thread (GIL_DROP_EXIT) never waits for the
 *    switch, as in 3.13's final_release; 3.11/3.12 would wait there too.
 *  - A drop-request event is reported when the flag goes from 0 to 1; a
 *    second waiter re-setting a flag already set is not counted.
 *
 * Hook events are emitted with `mutex` held, so the events of one GIL are
 * ordered in time exactly as the lock changed hands.
 */
#include "gil_internal.h"

/*
 * After a timed-out wait, 1 if the loop below would do nothing but wait
 * again: the GIL is still held, and either it changed hands meanwhile
 * (no request; the next pass saves the new switch_number, done here) or a
 * drop request is already pending. A virtual engine uses it to skip such
 * wake-ups (gil__timedwait_while); the real one runs the loop itself.
 */
static int
new_wait_again(void *arg)
{
    struct gil_thread *t = arg;
    struct gil *g = t->g;

    if (!g->locked) {
        return 0;
    }
    if (g->switch_number != t->wait_saved) {
        t->wait_saved = g->switch_number;
        return 1;
    }
    return atomic_load_explicit(&g->drop_request, memory_order_relaxed) != 0;
}

static void
new_take(struct gil *g, struct gil_thread *t)
{
    gil__lock(&g->mutex);
    if (g->locked) {
        gil__count(&g->counters.waits);
        gil__emit(g, t, GIL_EV_WAIT, 0);
        while (g->locked) {
            unsigned long saved;
            int timed_out;

            t->wait_saved = g->switch_number;
            timed_out = gil__timedwait_while(g, &g->cond, &g->mutex,
                                             g->interval_ns, new_wait_again, t);
            saved = t->wait_saved;

            /* Ask only a holder that kept the GIL for a whole interval. */
            if (timed_out && g->locked && g->switch_number == saved) {
                gil__request_drop(g, t, 0);
            }
        }
    }
    gil__taken(g, t); /* the _ready: part of take_gil */
    gil__unlock(&g->mutex);
}

static void
new_drop(struct gil *g, struct gil_thread *t, enum gil_drop_reason reason)
{
    gil__lock(&g->mutex);
    gil__released(g, t, reason);
    gil__signal(g, &g->cond);
    gil__unlock(&g->mutex);

    /* FORCE_SWITCHING: do not queue up again before someone else took it.
     * This applies to any release while a request is pending, I/O too. */
    gil__force_switch_wait(g, t, reason);
}

const struct gil_policy gil__policy_new = {
    .name = "new",
    .description = "CPython 3.2-3.12: timed waits, drop requests, forced "
                   "switching (the default)",
    .default_check_every = 8,
    .take = new_take,
    .drop = new_drop,
    .check = gil__check_drop_request,
};

/*
 * What-if policy "per-interpreter" (PEP 684, CPython 3.12's own_gil): each
 * lock behaves exactly as `new`; what differs is that sim/ gives a run one
 * such lock per subinterpreter and spreads the threads over them
 * (--interpreters). It is labelled what-if because CPython threads cannot
 * be moved to other interpreters like this: gilsim runs the same tasks as
 * if each thread's interpreter were its own.
 */
const struct gil_policy gil__policy_per_interpreter = {
    .name = "per-interpreter",
    .description = "what-if: PEP 684, one new GIL per interpreter",
    .default_check_every = 8,
    .what_if = 1,
    .take = new_take,
    .drop = new_drop,
    .check = gil__check_drop_request,
};
