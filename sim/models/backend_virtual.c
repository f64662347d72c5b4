/*
 * backend_virtual.c - the virtual-time instance of struct sim_backend
 * (--engine=virtual): a model thread is a fiber of the engine, which runs
 * them one at a time (p->vt, mt->vt), a wait blocks in the engine, a step costs
 * virtual time (vsteps.c), the event loop's I/O is engine events
 * (vmulti.c), and `run` is the engine's run, with the one report of a
 * deadlock. A fiber needs no join: vt_run has waited for it.
 *
 * Only sim/once.c (which picks it) and the tests name the instance.
 */
#include <stdio.h>
#include <stdlib.h>

#include "backend.h"

static int
virtual_thread_register(struct sim_model_thread *mt,
                        const struct sim_model_params *p, const struct gil *gil)
{
    mt->vt_breaker = gil_eval_breaker(gil);
    return vt_thread_new(p->vt, &mt->vt);
}

static int
virtual_thread_create(struct sim_model_thread *mt, pthread_t *tid,
                      const pthread_attr_t *attr, void *(*fn)(void *),
                      void *arg)
{
    (void)tid;
    (void)attr;
    return -vt_thread_start(mt->vt, fn, arg);
}

static void
virtual_thread_join(struct sim_model_thread *mt, pthread_t tid)
{
    (void)mt;
    (void)tid;
}

static void
virtual_thread_end(struct sim_model_thread *mt)
{
    vt_thread_end(mt->vt);
}

static void
virtual_thread_cancel(struct sim_model_thread *mt)
{
    vt_thread_cancel(mt->vt);
}

static void
virtual_cond_wait(const struct sim_model_params *p, pthread_cond_t *cv,
                  pthread_mutex_t *mu)
{
    (void)p;
    pthread_mutex_unlock(mu);
    (void)vt_block(vt_self(), cv, -1);
    pthread_mutex_lock(mu);
}

static void
virtual_cond_wake(const struct sim_model_params *p, pthread_cond_t *cv, int all)
{
    vt_wake(p->vt, cv, all);
}

static enum wl_outcome
virtual_write_body(struct sim_model_thread *mt, const struct wl_step *s,
                   const char *body, size_t len, int64_t *arg)
{
    (void)s;
    return body != NULL ? sim_vt__write_body(mt, len, arg) : WL_FAILED;
}

static void
virtual_run(const struct sim_model_params *p, const char *who)
{
    if (vt_run(p->vt) != 0) {
        /* Threads are left blocked for good: a bug, not bad input. */
        fprintf(stderr,
                "gilsim: fatal: the virtual engine found the %s "
                "deadlocked\n",
                who);
        abort();
    }
}

static int
virtual_multi_new(const struct sim_model_params *p,
                  struct sim_model_thread *loop,
                  const struct wl_multi_hooks *hooks, void **out)
{
    struct sim_vmulti *m = NULL;
    int rc;

    rc = sim_vmulti__new(p->vt, loop, hooks, &m);
    *out = m;
    return rc;
}

static void
virtual_multi_free(void *m)
{
    sim_vmulti__free(m);
}

static enum wl_outcome
virtual_multi_fetch(void *m, const struct wl_step *s, void *user)
{
    return sim_vmulti__fetch(m, s, user);
}

static int
virtual_multi_sleep(void *m, int64_t ns, void *user)
{
    return sim_vmulti__sleep(m, ns, user);
}

static int
virtual_multi_run_once(void *m)
{
    return sim_vmulti__run_once(m);
}

static void
virtual_multi_wake(void *m)
{
    sim_vmulti__wake(m);
}

const struct sim_backend sim_backend_virtual = {
    .name = "virtual",
    .thread_register = virtual_thread_register,
    .thread_create = virtual_thread_create,
    .thread_join = virtual_thread_join,
    .thread_end = virtual_thread_end,
    .thread_cancel = virtual_thread_cancel,
    .cond_wait = virtual_cond_wait,
    .cond_wake = virtual_cond_wake,
    .step = sim_vt__step_run,
    .write_body = virtual_write_body,
    .run = virtual_run,
    .multi_new = virtual_multi_new,
    .multi_free = virtual_multi_free,
    .multi_fetch = virtual_multi_fetch,
    .multi_sleep = virtual_multi_sleep,
    .multi_run_once = virtual_multi_run_once,
    .multi_wake = virtual_multi_wake,
    .processes_run = sim_model__vprocesses_run,
};
