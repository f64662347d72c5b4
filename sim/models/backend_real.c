/*
 * backend_real.c - the real-time instance of struct sim_backend: model
 * threads are pthreads, a wait is pthread_cond_wait, a step runs the
 * workloads' runner (real CPU spins, real sockets), the event loop is
 * workloads' wl_multi (libevent + libcurl). The threads run by
 * themselves, so `run` has nothing to drive.
 *
 * Only sim/once.c (which picks it) and the tests name the instance.
 */
#include <pthread.h>

#include "backend.h"

static int
real_thread_register(struct sim_model_thread *mt,
                     const struct sim_model_params *p, const struct gil *gil)
{
    (void)mt;
    (void)p;
    (void)gil;
    return 0;
}

static int
real_thread_create(struct sim_model_thread *mt, pthread_t *tid,
                   const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
    (void)mt;
    return pthread_create(tid, attr, fn, arg);
}

static void
real_thread_join(struct sim_model_thread *mt, pthread_t tid)
{
    (void)mt;
    (void)pthread_join(tid, NULL);
}

static void
real_thread_nop(struct sim_model_thread *mt)
{
    (void)mt;
}

static void
real_cond_wait(const struct sim_model_params *p, pthread_cond_t *cv,
               pthread_mutex_t *mu)
{
    (void)p;
    pthread_cond_wait(cv, mu);
}

static void
real_cond_wake(const struct sim_model_params *p, pthread_cond_t *cv, int all)
{
    (void)p;
    if (all) {
        pthread_cond_broadcast(cv);
    } else {
        pthread_cond_signal(cv);
    }
}

static enum wl_outcome
real_step(struct sim_model_thread *mt, const struct wl_step *s, int64_t *arg)
{
    return wl_step_run(s, &mt->env, arg);
}

static enum wl_outcome
real_write_body(struct sim_model_thread *mt, const struct wl_step *s,
                const char *body, size_t len, int64_t *arg)
{
    return wl_write_body(s, &mt->env, body, len, arg);
}

static void
real_run(const struct sim_model_params *p, const char *who)
{
    (void)p;
    (void)who;
}

static int
real_multi_new(const struct sim_model_params *p, struct sim_model_thread *loop,
               const struct wl_multi_hooks *hooks, void **out)
{
    struct wl_multi *m = NULL;
    int rc;

    rc = wl_multi_new(p->io, &loop->env, hooks, &m);
    *out = m;
    return rc;
}

static void
real_multi_free(void *m)
{
    wl_multi_free(m);
}

static enum wl_outcome
real_multi_fetch(void *m, const struct wl_step *s, void *user)
{
    return wl_multi_fetch(m, s, user);
}

static int
real_multi_sleep(void *m, int64_t ns, void *user)
{
    return wl_multi_sleep(m, ns, user);
}

static int
real_multi_run_once(void *m)
{
    return wl_multi_run_once(m);
}

static void
real_multi_wake(void *m)
{
    wl_multi_wake(m);
}

const struct sim_backend sim_backend_real = {
    .name = "real",
    .thread_register = real_thread_register,
    .thread_create = real_thread_create,
    .thread_join = real_thread_join,
    .thread_end = real_thread_nop,
    .thread_cancel = real_thread_nop,
    .cond_wait = real_cond_wait,
    .cond_wake = real_cond_wake,
    .step = real_step,
    .write_body = real_write_body,
    .run = real_run,
    .multi_new = real_multi_new,
    .multi_free = real_multi_free,
    .multi_fetch = real_multi_fetch,
    .multi_sleep = real_multi_sleep,
    .multi_run_once = real_multi_run_once,
    .multi_wake = real_multi_wake,
    .processes_run = sim_model__processes_run,
};
