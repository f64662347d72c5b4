/* models_internal.h: private to sim/models/; the run includes models.h.
 *
 * What the files of sim/models/ share: the state of one model thread,
 * each model's run function (model.c dispatches), the GILs of a model
 * (gils.c), the helpers every model is built from (thread.c: attaching a
 * thread, running a task, a step), and the virtual engine's steps
 * (vsteps.c) and event loop (vmulti.c). Creating and joining threads,
 * a model's own condition variables and the loop's I/O, on either
 * engine, go through the run's backend (backend.h).
 */
#ifndef GILSIM_MODELS_INTERNAL_H
#define GILSIM_MODELS_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base.h"
#include "models.h"

/*
 * What one model thread owns (any model: pool, executor, loop, a worker
 * process's thread). The GIL hook gets it as `user`; it is written only by
 * its own thread while the model runs (the hook runs on the thread the
 * event is about), and read by others only after the join.
 */
struct sim_model_thread {
    void *model;                       /* the model's own shared state */
    const struct sim_backend *backend; /* the run's (sim_model_params) */
    struct gil_thread *gt;             /* this thread's state on its GIL */
    struct sim_trace_buf *buf;         /* this thread's trace buffer */
    int32_t task;                      /* current task id, -1 outside a task */
    struct gil_clock clock;            /* stamps of the events sim/ records */
    struct wl_env env; /* check/release/acquire on this thread */
    atomic_int *until; /* set when an ends_run task ends */
    int index;         /* 0-based position in the model */
    /* A resume after a forced switch that kept the thread off the GIL for
     * cold_after_ns or more runs with cold caches: its next
     * cold_instructions cost double (env.resumed hands the window to the
     * step that runs). The GIL hook stamps the thread's last drop and
     * take. */
    int64_t cold_instructions, cold_after_ns;
    int64_t dropped_at, taken_at;
    int64_t cold_debt;
    /* 1: any take of the GIL after cold_after_ns or more without it
     * makes the next Python work cold (sim_model_params.cold_on_take,
     * and the event loop's thread always); -1: from its first drop on
     * (a thread's start is not a resume); 0: only a forced switch and a
     * fetch's waits do (their own rules). */
    int cold_on_take;
    /* --engine=virtual only (NULL / 0 in real time): the thread in the
     * engine, the eval breaker of its GIL, the I/O costs, and the size
     * of the body its last fetch received. */
    struct vt_thread *vt;
    const atomic_int *vt_breaker;
    const struct sim_vt_io *vio;
    uint64_t vt_body;
    /* The process's threading.Locks, and which of them this thread holds
     * (bit i: lock i). */
    struct sim_model_locks *locks;
    unsigned locks_held;
};

/* ---- locks.c: a process's threading.Locks ---------------------------- */

/* A lock's holder is a thread index + 1 (0: free); a waiter blocks on
 * cv[i] through the backend of p. Guarded by mu. */
struct sim_model_locks {
    pthread_mutex_t mu;
    pthread_cond_t cv[WL_MAX_LOCKS];
    int holder[WL_MAX_LOCKS];
    const struct sim_model_params *p;
};
void sim_model__locks_init(struct sim_model_locks *l,
                           const struct sim_model_params *p);
void sim_model__locks_destroy(struct sim_model_locks *l);
/* A lock or unlock step on the calling thread (which holds its GIL);
 * *arg is the lock's index. An unlock of a lock it does not hold fails. */
enum wl_outcome sim_model__lock_step(struct sim_model_thread *mt,
                                     const struct wl_step *s, int64_t *arg);
/* Release what the thread still holds (a task that stopped inside a
 * lock), with an unlock step in the trace for each. */
void sim_model__locks_unwind(struct sim_model_thread *mt);

/* Each model (models/pool.c, executor.c, processes.c, loop.c). */
int sim_model__pool_run(const struct sim_model_params *p,
                        struct sim_model_result *res, char *err,
                        size_t errlen) SIM_WARN_UNUSED;
int sim_model__executor_run(const struct sim_model_params *p,
                            struct sim_model_result *res, char *err,
                            size_t errlen) SIM_WARN_UNUSED;
int sim_model__processes_run(const struct sim_model_params *p,
                             struct sim_model_result *res, char *err,
                             size_t errlen) SIM_WARN_UNUSED;
/* processes in virtual time: worker threads with a GIL each. */
int sim_model__vprocesses_run(const struct sim_model_params *p,
                              struct sim_model_result *res, char *err,
                              size_t errlen) SIM_WARN_UNUSED;
int sim_model__loop_run(const struct sim_model_params *p,
                        struct sim_model_result *res, char *err,
                        size_t errlen) SIM_WARN_UNUSED;

/* ---- gils.c: the GILs of a model ------------------------------------- */

/* The GIL of thread `index` of a model (index mod n_gils), and its id in
 * the trace; the counters summed over the run's GILs. */
struct gil *sim_model__gil_for(const struct sim_model_params *p, int index);
int sim_model__gil_id(const struct sim_model_params *p, int index);
void sim_model__gil_stats(const struct sim_model_params *p,
                          struct gil_stats *out);

/* ---- thread.c, vsteps.c, vmulti.c: shared by every model -------------- */

/* Fill mt for thread `index` of a model: clock, env (check, release and
 * acquire through mt->gt; cost, check_every and stop from p), `until`;
 * mt->gt, mt->buf and mt->env.io are left for the caller. */
void sim_model__thread_init(struct sim_model_thread *mt,
                            const struct sim_model_params *p, int index,
                            atomic_int *until, void *model);

/* Give thread `name` of the run's process what it needs before it starts:
 * its own wl_io when `with_io` and the workload does I/O, a trace buffer,
 * and a state on its GIL (sim_model__gil_for). 0, or -errno with `err` saying
 * which failed for whom; what was made stays in mt for the caller to free. */
int sim_model__thread_attach(struct sim_model_thread *mt,
                             const struct sim_model_params *p, const char *name,
                             int with_io, char *err,
                             size_t errlen) SIM_WARN_UNUSED;

/* The wl_env callbacks: gil_check, gil_drop(GIL_DROP_IO), gil_take on
 * ((struct sim_model_thread *)ctx)->gt. */
void sim_model__env_check(void *ctx);
int64_t sim_model__env_resumed(void *ctx);
void sim_model__env_cold_left(void *ctx, int64_t instructions);
void sim_model__env_release(void *ctx);
void sim_model__env_acquire(void *ctx);

int64_t sim_model__now(const struct sim_model_thread *mt);
int sim_model__map_step(enum wl_step_kind k);
int sim_model__map_outcome(enum wl_outcome o);

/* One step on the calling thread, through the run's backend (real or
 * virtual time). Threads, waits and the loop's I/O: models/backend.h. */
enum wl_outcome sim_model__step(struct sim_model_thread *mt,
                                const struct wl_step *s, int64_t *arg);
/* Python-side CPU work of a model's own (a submit, a result's pickling, a
 * worker's start) under the thread's GIL, with checks: a synthetic cpu
 * step through sim_model__step, with no STEP events of its own. */
enum wl_outcome sim_model__cpu(struct sim_model_thread *mt,
                               int64_t instructions, int64_t *arg);

/* models/vsteps.c: one step in virtual time, for sim_model__run_task. */
enum wl_outcome sim_vt__step_run(struct sim_model_thread *mt,
                                 const struct wl_step *s, int64_t *arg);
/* Pieces of it, for the virtual event loop (vmulti.c): `instructions`
 * with checks; a write of a body of `len` bytes; the time from a request
 * to its first byte (the send, the server's latency and page's jitter);
 * a transfer's time at --bandwidth. */
enum wl_outcome sim_vt__work(struct sim_model_thread *mt, int64_t instructions);
enum wl_outcome sim_vt__write_body(struct sim_model_thread *mt, uint64_t len,
                                   int64_t *arg);
int64_t sim_vt__reply_ns(const struct sim_vt_io *v, int64_t page);
/* The I/O costs of fetch step s: v, or with its own latency and body size
 * (the server's settings it asks for) in *own. */
const struct sim_vt_io *sim_vt__io_of(const struct sim_vt_io *v,
                                      const struct wl_step *s,
                                      struct sim_vt_io *own);
int64_t sim_vt__transfer_ns(const struct sim_vt_io *v, uint64_t bytes);

/* models/vmulti.c: the loop model's wl_multi in virtual time: the same
 * operations and hooks (see wl.h), with fetches, timers and wake-ups as
 * engine events and no socket. The loop thread is `loop`; sim_vmulti__wake
 * may be called by any thread of engine `e`. */
struct sim_vmulti;
int sim_vmulti__new(struct vt_engine *e, struct sim_model_thread *loop,
                    const struct wl_multi_hooks *hooks,
                    struct sim_vmulti **out) SIM_WARN_UNUSED;
void sim_vmulti__free(struct sim_vmulti *m);
enum wl_outcome sim_vmulti__fetch(struct sim_vmulti *m, const struct wl_step *s,
                                  void *user);
int sim_vmulti__sleep(struct sim_vmulti *m, int64_t ns,
                      void *user) SIM_WARN_UNUSED;
int sim_vmulti__run_once(struct sim_vmulti *m) SIM_WARN_UNUSED;
void sim_vmulti__wake(struct sim_vmulti *m);

/* Run a task's steps on the calling thread (which holds its GIL), with
 * TASK_BEGIN/END and STEP_BEGIN/END events; stops at the first failed
 * step; sets *mt->until after an ends_run task. */
void sim_model__run_task(struct sim_model_thread *mt,
                         const struct wl_task *task);

#endif /* GILSIM_MODELS_INTERNAL_H */
