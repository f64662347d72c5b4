/*
 * sync.c - the GIL's condition variables in virtual time: the
 * `struct gil_sync` that --engine=virtual gives gil/ (see gil.h).
 *
 * A wait releases the GIL's mutex, blocks the calling thread in the engine
 * on the condition variable's address, and takes the mutex back when the
 * engine resumes it. No other thread runs in between (the engine runs one
 * at a time), so no signal can be lost between the unlock and the block,
 * and the mutex is never contended. Signals wake waiters in the order
 * they began to wait. A timed wait of `new`'s take loop that would only
 * wait again is re-armed by the engine without running the waiter
 * (timedwait_while: one event instead of two switches per waiter and
 * interval).
 */
#include "vt.h"

#include <stdio.h>
#include <stdlib.h>

static struct vt_thread *
self_or_die(void)
{
    struct vt_thread *t = vt_self();

    if (t == NULL) {
        fprintf(stderr, "gilsim: fatal: a GIL wait outside the virtual "
                        "engine's threads\n");
        abort();
    }
    return t;
}

static void
vs_wait(void *ctx, const void *cond, pthread_mutex_t *m)
{
    struct vt_thread *t = self_or_die();

    (void)ctx;
    pthread_mutex_unlock(m);
    (void)vt_block(t, cond, -1);
    pthread_mutex_lock(m);
}

/* again NULL: a plain timed wait (vt_block_while then re-arms nothing). */
static int
vs_timedwait_while(void *ctx, const void *cond, pthread_mutex_t *m,
                   int64_t timeout_ns, int (*again)(void *arg), void *arg)
{
    struct vt_thread *t = self_or_die();
    int timed_out;

    (void)ctx;
    pthread_mutex_unlock(m);
    timed_out =
        vt_block_while(t, cond, timeout_ns < 0 ? 0 : timeout_ns, again, arg);
    pthread_mutex_lock(m);
    return timed_out;
}

static int
vs_timedwait(void *ctx, const void *cond, pthread_mutex_t *m,
             int64_t timeout_ns)
{
    return vs_timedwait_while(ctx, cond, m, timeout_ns, NULL, NULL);
}

static void
vs_signal(void *ctx, const void *cond)
{
    vt_wake(ctx, cond, 0);
}

static void
vs_broadcast(void *ctx, const void *cond)
{
    vt_wake(ctx, cond, 1);
}

static const struct gil_sync vt_sync = {
    .wait = vs_wait,
    .timedwait = vs_timedwait,
    .signal = vs_signal,
    .broadcast = vs_broadcast,
    .timedwait_while = vs_timedwait_while,
};

const struct gil_sync *
vt_gil_sync(void)
{
    return &vt_sync;
}
