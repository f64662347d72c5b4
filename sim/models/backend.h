/*
 * backend.h - the one table of operations through which every model runs
 * its threads, their waits, their steps and the event loop's I/O: real
 * time (backend_real.c: pthreads, the workloads' runners, libcurl) or
 * virtual time (backend_virtual.c: engine threads, vsteps.c, vmulti.c).
 *
 * The run picks one instance once (sim/once.c) and hands it to the model
 * in struct sim_model_params; a model thread carries it as mt->backend.
 * The models call these operations and never ask which engine runs them,
 * the way gil/ runs on pthreads or on the engine through struct gil_sync.
 *
 * Private to sim/models/ (sim/ outside it sees only the opaque type and
 * the two instances declared in models.h).
 */
#ifndef SIM_MODELS_BACKEND_H
#define SIM_MODELS_BACKEND_H

#include "models_internal.h"

struct sim_backend {
    const char *name;

    /* Threads. thread_register, after sim_model__thread_attach: make mt,
     * which runs under `gil`, a thread of the engine (0 or -errno;
     * nothing in real time).
     * thread_create starts fn(arg) as mt (0 or an errno); thread_join
     * waits for it after run; thread_end is the last call of fn;
     * thread_cancel stands for a registered thread that was never
     * created, so that run does not wait for it. */
    int (*thread_register)(struct sim_model_thread *mt,
                           const struct sim_model_params *p,
                           const struct gil *gil);
    int (*thread_create)(struct sim_model_thread *mt, pthread_t *tid,
                         const pthread_attr_t *attr, void *(*fn)(void *),
                         void *arg);
    void (*thread_join)(struct sim_model_thread *mt, pthread_t tid);
    void (*thread_end)(struct sim_model_thread *mt);
    void (*thread_cancel)(struct sim_model_thread *mt);

    /* A model's own condition variables (mu held, as pthread_cond_*). */
    void (*cond_wait)(const struct sim_model_params *p, pthread_cond_t *cv,
                      pthread_mutex_t *mu);
    void (*cond_wake)(const struct sim_model_params *p, pthread_cond_t *cv,
                      int all);

    /* One step (cpu, sleep, fetch, write) on the calling thread, and the
     * loop's offload write of a fetched body (NULL: nothing arrived). */
    enum wl_outcome (*step)(struct sim_model_thread *mt,
                            const struct wl_step *s, int64_t *arg);
    enum wl_outcome (*write_body)(struct sim_model_thread *mt,
                                  const struct wl_step *s, const char *body,
                                  size_t len, int64_t *arg);

    /* Drive the created threads to their end: the engine's run, and the
     * one report of a deadlock (which aborts: a bug, not bad input).
     * `who` names the threads in that report. Nothing in real time,
     * where the threads run by themselves. */
    void (*run)(const struct sim_model_params *p, const char *who);

    /* The event loop's I/O (the loop model): wl_multi in real time,
     * vmulti.c in virtual time, the same operations and hooks. `loop`
     * is the event-loop thread. */
    int (*multi_new)(const struct sim_model_params *p,
                     struct sim_model_thread *loop,
                     const struct wl_multi_hooks *hooks, void **out);
    void (*multi_free)(void *m);
    enum wl_outcome (*multi_fetch)(void *m, const struct wl_step *s,
                                   void *user);
    int (*multi_sleep)(void *m, int64_t ns, void *user);
    int (*multi_run_once)(void *m);
    void (*multi_wake)(void *m);

    /* The processes model: forked workers in real time; in virtual time,
     * where no process can be forked, worker threads with a GIL each
     * (vprocesses.c). */
    int (*processes_run)(const struct sim_model_params *p,
                         struct sim_model_result *res, char *err,
                         size_t errlen);
};

#endif /* SIM_MODELS_BACKEND_H */
