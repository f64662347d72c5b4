/*
 * thread.c - what every model's threads share: the GIL hook that records
 * GIL events into the thread's own trace buffer, the wl_env callbacks
 * (the eval-breaker check and Py_BEGIN/END_ALLOW_THREADS as GIL calls),
 * the mapping of gil/ and workloads/ enums to the trace's, and the task
 * runner that brackets steps with trace events.
 *
 * gil/ calls every hook on the thread the event is about, so a buffer has
 * exactly one writer and needs no lock. A task stops at its first failed
 * step, as a Python task stops at an exception. A task marked ends_run
 * (the convoy's I/O task) sets the thread's `until` flag when it ends,
 * which ends the WL_UNTIL_DONE cpu steps of the other threads.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "backend.h"

/* ---- enum mappings (the values coincide; map them explicitly anyway) ---- */

static int
map_drop(int64_t reason)
{
    switch ((enum gil_drop_reason)reason) {
    case GIL_DROP_IO:
        return SIM_DROP_IO;
    case GIL_DROP_FORCED:
        return SIM_DROP_FORCED;
    case GIL_DROP_YIELD:
        return SIM_DROP_YIELD;
    case GIL_DROP_EXIT:
        return SIM_DROP_EXIT;
    }
    return SIM_DROP_IO;
}

int
sim_model__map_step(enum wl_step_kind k)
{
    switch (k) {
    case WL_STEP_CPU:
        return SIM_STEP_CPU;
    case WL_STEP_SLEEP:
        return SIM_STEP_SLEEP;
    case WL_STEP_FETCH:
        return SIM_STEP_FETCH;
    case WL_STEP_WRITE:
        return SIM_STEP_WRITE;
    case WL_STEP_NATIVE:
        return SIM_STEP_NATIVE;
    case WL_STEP_LOCK:
        return SIM_STEP_LOCK;
    case WL_STEP_UNLOCK:
        return SIM_STEP_UNLOCK;
    case WL_STEP_READ:
        return SIM_STEP_READ;
    }
    return SIM_STEP_CPU;
}

int
sim_model__map_outcome(enum wl_outcome o)
{
    switch (o) {
    case WL_OK:
        return SIM_OUT_OK;
    case WL_FAILED:
        return SIM_OUT_FAILED;
    case WL_REFUSED:
        return SIM_OUT_REFUSED;
    case WL_TIMEOUT:
        return SIM_OUT_TIMEOUT;
    case WL_HTTP_ERROR:
        return SIM_OUT_HTTP;
    case WL_IO_ERROR:
        return SIM_OUT_IO;
    case WL_ABORTED:
        return SIM_OUT_ABORTED;
    }
    return SIM_OUT_FAILED;
}

/* ---- the GIL hook ------------------------------------------------------ */

static void
hook_event(void *user, enum gil_event ev, int64_t arg, int64_t t_ns)
{
    struct sim_model_thread *mt = user;

    switch (ev) {
    case GIL_EV_WAIT:
        sim_trace_record(mt->buf, t_ns, SIM_EV_GIL_WAIT, 0, 0, mt->task, 0);
        break;
    case GIL_EV_TAKE:
        mt->taken_at = t_ns;
        if (mt->cold_on_take > 0 && mt->cold_instructions > 0 &&
            t_ns - mt->dropped_at >= mt->cold_after_ns) {
            /* Back from a wait that long: the next Python work runs
             * cold (env.resumed at the next step's start). */
            mt->cold_debt = mt->cold_instructions;
        }
        sim_trace_record(mt->buf, t_ns, SIM_EV_GIL_TAKE, 0, 0, mt->task, arg);
        break;
    case GIL_EV_DROP:
        mt->dropped_at = t_ns;
        if (mt->cold_on_take < 0) {
            mt->cold_on_take = 1; /* armed by the first drop */
        }
        sim_trace_record(mt->buf, t_ns, SIM_EV_GIL_DROP, map_drop(arg), 0,
                         mt->task, 0);
        break;
    case GIL_EV_DROP_REQUEST:
        /* arg: 0 timed out, GIL_REQUEST_PRIORITY (io-priority). */
        sim_trace_record(mt->buf, t_ns, SIM_EV_GIL_DROP_REQUEST, 0, 0, mt->task,
                         arg);
        break;
    }
}

struct gil_hooks
sim_model_gil_hooks(void)
{
    struct gil_hooks h;

    h.event = hook_event;
    return h;
}

/* ---- what a step may do to its thread (struct wl_env) ------------------ */

void
sim_model__env_check(void *ctx)
{
    struct sim_model_thread *mt = ctx;

    if (gil_check(mt->gt) && mt->cold_instructions > 0 &&
        mt->taken_at - mt->dropped_at >= mt->cold_after_ns) {
        /* Switched out long enough for its caches to go cold: the
         * next cold_instructions run cold (a new window, not added). */
        mt->cold_debt = mt->cold_instructions;
    }
}

int64_t
sim_model__env_resumed(void *ctx)
{
    struct sim_model_thread *mt = ctx;
    int64_t debt = mt->cold_debt;

    mt->cold_debt = 0;
    return debt;
}

void
sim_model__env_cold_left(void *ctx, int64_t instructions)
{
    struct sim_model_thread *mt = ctx;

    /* A thread whose takes make it cold keeps the rest of its window for
     * its next work; a forced switch's window ends with its step. */
    if (mt->cold_on_take != 0 && instructions > mt->cold_debt) {
        mt->cold_debt = instructions;
    }
}

void
sim_model__env_release(void *ctx)
{
    struct sim_model_thread *mt = ctx;

    gil_drop(mt->gt, GIL_DROP_IO);
}

void
sim_model__env_acquire(void *ctx)
{
    struct sim_model_thread *mt = ctx;

    gil_take(mt->gt);
}

int64_t
sim_model__now(const struct sim_model_thread *mt)
{
    return mt->clock.now_ns(mt->clock.ctx);
}

void
sim_model__run_task(struct sim_model_thread *mt, const struct wl_task *task)
{
    int task_outcome = SIM_OUT_OK;
    size_t i;

    mt->task = task->id;
    sim_trace_record(mt->buf, sim_model__now(mt), SIM_EV_TASK_BEGIN, 0, 0,
                     mt->task, 0);
    for (i = 0; i < task->n_steps; i++) {
        const struct wl_step *s = &task->steps[i];
        int kind = sim_model__map_step(s->kind);
        int64_t arg = 0;
        int outcome;

        sim_trace_record(mt->buf, sim_model__now(mt), SIM_EV_STEP_BEGIN, kind,
                         0, mt->task, 0);
        outcome = sim_model__map_outcome(sim_model__step(mt, s, &arg));
        sim_trace_record(mt->buf, sim_model__now(mt), SIM_EV_STEP_END, kind,
                         outcome, mt->task, arg);
        if (outcome != SIM_OUT_OK) {
            /* Like an exception in a Python task: the rest of the task
             * (decoding, writing a page that did not arrive) is skipped. */
            task_outcome = outcome;
            break;
        }
        if (mt->env.stop != NULL &&
            atomic_load_explicit(mt->env.stop, memory_order_relaxed) != 0) {
            /* The step ran its last chunk; the rest of the task is given
             * up, and the task is marked aborted if nothing failed first. */
            if (task_outcome == SIM_OUT_OK && i + 1 < task->n_steps) {
                task_outcome = SIM_OUT_ABORTED;
            }
            break;
        }
    }
    if (mt->locks_held != 0) {
        sim_model__locks_unwind(mt); /* `with lock:` left by an exception */
    }
    sim_trace_record(mt->buf, sim_model__now(mt), SIM_EV_TASK_END, 0,
                     task_outcome, mt->task, 0);
    mt->task = -1;
    if (task->ends_run) {
        /* Convoy: the CPU threads' WL_UNTIL_DONE steps end now. */
        atomic_store_explicit(mt->until, 1, memory_order_relaxed);
    }
}

void
sim_model__thread_init(struct sim_model_thread *mt,
                       const struct sim_model_params *p, int index,
                       atomic_int *until, void *model)
{
    mt->model = model;
    mt->backend = p->backend;
    mt->task = -1;
    mt->clock = p->clock;
    mt->index = index;
    mt->until = until;
    mt->env.check = sim_model__env_check;
    mt->env.resumed = sim_model__env_resumed;
    mt->env.cold_left = sim_model__env_cold_left;
    mt->cold_instructions = p->cold_instructions;
    mt->cold_after_ns = p->cold_after_ns;
    mt->dropped_at = mt->taken_at = 0;
    mt->cold_debt = 0;
    mt->cold_on_take = p->cold_on_take ? -1 : 0;
    mt->env.release = sim_model__env_release;
    mt->env.acquire = sim_model__env_acquire;
    mt->env.ctx = mt;
    mt->env.check_every = p->check_every;
    mt->env.cost = p->cost;
    mt->env.stop = p->stop;
    mt->env.until = until;
    mt->env.interp = p->interp;
    mt->vio = p->vio;
    mt->locks = p->locks;
    mt->locks_held = 0;
}

enum wl_outcome
sim_model__step(struct sim_model_thread *mt, const struct wl_step *s,
                int64_t *arg)
{
    if (s->kind == WL_STEP_LOCK || s->kind == WL_STEP_UNLOCK) {
        return sim_model__lock_step(mt, s, arg);
    }
    return mt->backend->step(mt, s, arg);
}

enum wl_outcome
sim_model__cpu(struct sim_model_thread *mt, int64_t instructions, int64_t *arg)
{
    struct wl_step s;

    memset(&s, 0, sizeof(s));
    s.kind = WL_STEP_CPU;
    s.instructions = instructions;
    return sim_model__step(mt, &s, arg);
}

int
sim_model__thread_attach(struct sim_model_thread *mt,
                         const struct sim_model_params *p, const char *name,
                         int with_io, char *err, size_t errlen)
{
    const char *what;
    int rc;

    if (with_io && p->io != NULL) {
        rc = wl_io_new(p->io, &mt->env.io);
        if (rc != 0) {
            what = "I/O state";
            goto fail;
        }
    }
    rc = sim_trace_add_thread(p->trace, name, 0,
                              sim_model__gil_id(p, mt->index), &mt->buf);
    if (rc != 0) {
        what = "trace buffer";
        goto fail;
    }
    rc = gil_thread_new(sim_model__gil_for(p, mt->index), mt, &mt->gt);
    if (rc != 0) {
        what = "GIL state";
        goto fail;
    }
    return 0;
fail:
    base_errf(err, errlen, -rc, "%s for %s", what, name);
    return rc;
}
