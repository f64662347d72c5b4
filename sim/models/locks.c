/*
 * locks.c - a workload's named threading.Locks (lock and unlock steps)
 * for the models whose tasks run on threads: one table per process, as a
 * threading.Lock is an object of one interpreter (forked workers each get
 * their own, as Pool workers would).
 *
 * An acquire does what CPython's lock.acquire() does (Modules/
 * _threadmodule.c, acquire_timed): a try without releasing the GIL; if
 * the lock is held, the GIL is released (Py_BEGIN_ALLOW_THREADS) around
 * the blocking wait and taken back after it. A release needs no GIL
 * release; it frees the lock and wakes one waiter, which must then take
 * the lock itself: a thread that asks in between gets it first, as with
 * the POSIX semaphore behind CPython's lock on Linux. The waits go
 * through the run's backend, so the same code runs in virtual time.
 *
 * Each thread remembers the locks it holds (mt->locks_held): a task that
 * stops at a failed step inside a lock releases it on the way out, as
 * `with lock:` does when an exception leaves it.
 */
#include <string.h>

#include "backend.h"

void
sim_model__locks_init(struct sim_model_locks *l,
                      const struct sim_model_params *p)
{
    int i;

    memset(l, 0, sizeof(*l));
    pthread_mutex_init(&l->mu, NULL);
    for (i = 0; i < WL_MAX_LOCKS; i++) {
        pthread_cond_init(&l->cv[i], NULL);
    }
    l->p = p;
}

void
sim_model__locks_destroy(struct sim_model_locks *l)
{
    int i;

    for (i = 0; i < WL_MAX_LOCKS; i++) {
        pthread_cond_destroy(&l->cv[i]);
    }
    pthread_mutex_destroy(&l->mu);
}

static enum wl_outcome
lock_acquire(struct sim_model_thread *mt, int id)
{
    struct sim_model_locks *l = mt->locks;
    int got;

    pthread_mutex_lock(&l->mu);
    got = l->holder[id] == 0;
    if (got) {
        l->holder[id] = mt->index + 1;
    }
    pthread_mutex_unlock(&l->mu);
    if (!got) {
        mt->env.release(mt->env.ctx); /* Py_BEGIN_ALLOW_THREADS */
        pthread_mutex_lock(&l->mu);
        while (l->holder[id] != 0) {
            mt->backend->cond_wait(l->p, &l->cv[id], &l->mu);
        }
        l->holder[id] = mt->index + 1;
        pthread_mutex_unlock(&l->mu);
        mt->env.acquire(mt->env.ctx); /* Py_END_ALLOW_THREADS */
    }
    mt->locks_held |= 1u << id;
    return WL_OK;
}

static enum wl_outcome
lock_release(struct sim_model_thread *mt, int id)
{
    struct sim_model_locks *l = mt->locks;

    if ((mt->locks_held & (1u << id)) == 0) {
        return WL_FAILED; /* RuntimeError: release unlocked lock */
    }
    mt->locks_held &= ~(1u << id);
    pthread_mutex_lock(&l->mu);
    l->holder[id] = 0;
    mt->backend->cond_wake(l->p, &l->cv[id], 0);
    pthread_mutex_unlock(&l->mu);
    return WL_OK;
}

enum wl_outcome
sim_model__lock_step(struct sim_model_thread *mt, const struct wl_step *s,
                     int64_t *arg)
{
    *arg = s->lock;
    if (mt->locks == NULL || s->lock < 0 || s->lock >= WL_MAX_LOCKS) {
        return WL_FAILED;
    }
    return s->kind == WL_STEP_LOCK ? lock_acquire(mt, s->lock)
                                   : lock_release(mt, s->lock);
}

void
sim_model__locks_unwind(struct sim_model_thread *mt)
{
    int id;

    for (id = 0; mt->locks_held != 0 && id < WL_MAX_LOCKS; id++) {
        if (mt->locks_held & (1u << id)) {
            int64_t t = sim_model__now(mt);

            /* The release `with` makes on the way out, in the trace like
             * any other, so every acquire has its release. */
            sim_trace_record(mt->buf, t, SIM_EV_STEP_BEGIN, SIM_STEP_UNLOCK, 0,
                             mt->task, 0);
            (void)lock_release(mt, id);
            sim_trace_record(mt->buf, sim_model__now(mt), SIM_EV_STEP_END,
                             SIM_STEP_UNLOCK, SIM_OUT_OK, mt->task, id);
        }
    }
}
