/*
 * loop.c - the `loop` model: one event-loop thread that runs every task
 * as a coroutine, plus a pool of offload threads for file writes, like
 * asyncio with aiohttp and aiofiles running
 *
 *     await asyncio.gather(*(task(p) for p in pages))
 *
 * The event-loop thread ("loop") holds the GIL while it runs Python-side
 * work and releases it only while it waits for readiness: that wait is
 * wl_multi_run_once() (workloads/multi.c: libevent's event_base_loop
 * with libcurl's multi socket interface), which drops the GIL with
 * GIL_DROP_IO, and takes it back before the first callback of the turn.
 *
 * Each task is a state machine over its steps (struct loop_task), run on
 * the loop thread by advance():
 *   - fetch: wl_multi_fetch() pays `request_instructions` under the GIL
 *     and adds the transfer to the multi handle; the task is suspended.
 *     Each chunk received costs `chunk_instructions`, paid inside the
 *     loop's callbacks under the GIL. The fetched hook records STEP_END
 *     with the outcome (refused, timeout, HTTP error, failed: the mapping
 *     of the blocking fetch) and keeps the body in the task.
 *   - cpu: run at once on the loop thread, through wl_step_run() of a
 *     plain cpu step of `instructions + instr_per_byte * body length`
 *     (this task's own body), with checks: a coroutine that decodes
 *     holds the loop until it is done.
 *   - write: offloaded to the pool ("offload-1".., p->threads of them),
 *     as aiofiles does with run_in_executor, in three hops, as `async
 *     with aiofiles.open(...) as f: await f.write(text)` makes them:
 *     open, write, close. Each hop goes to an offload thread, which takes
 *     the GIL for the executor worker's own work (result_instructions),
 *     and for the write hop records the step's BEGIN and END in its own
 *     buffer around the encode and the system calls (wl_write_body: the
 *     write step of write.c, which releases the GIL around them); then it
 *     queues the task back and wakes the loop (wl_multi_wake, a self-pipe,
 *     like call_soon_threadsafe). The loop pays hop_instructions for each
 *     hop that comes back (the future's callbacks, the coroutine's
 *     resumption, aiofiles' wrappers) and sends the next one; the close
 *     hop is made after a failed write too, as `async with` does.
 *   - read (aiofiles too) and a write of its own size (no body to pass):
 *     offloaded in the same three hops, the read hop running the step.
 *   - native: offloaded as `await loop.run_in_executor(None, fn)` would,
 *     in one hop (HOP_WRITE's slot): the offload thread records its BEGIN
 *     and END around the step, which releases the GIL and keeps the
 *     thread's core for its time.
 *   - sleep: a libevent timer (wl_multi_sleep); no thread blocks.
 *   - lock, unlock: the workload's locks as asyncio.Locks (the lock an
 *     asyncio program would hold across its awaits): a free lock nobody
 *     queues for is taken at once; else the task awaits in the lock's
 *     queue, and a release hands the lock to the first waiter, which
 *     resumes (its lock step ends) before the loop waits again, as a
 *     future's callbacks run at the loop's next iteration. A task that
 *     ends inside a lock releases it, as `async with` does.
 * TASK_BEGIN and TASK_END are recorded by the loop thread, and mt->task
 * names the task whose code runs, so GIL events carry its id.
 *
 * At most p->concurrency tasks are under way at once (0: all, as gather
 * starts them all). Tasks are started in order by fill(), between turns
 * of the loop: every task started in one fill() runs to its first await
 * before the loop waits again, as gather's tasks all run their first
 * step in the loop's first iteration. A task stops at its first failed
 * step, as a Python task stops at an exception, and is marked aborted
 * when the stop flag is seen between its steps.
 *
 * Without I/O (the cpu workload) the tasks run one after another on the
 * loop thread: coroutines that never await.
 *
 * Refused: a workload with WL_UNTIL_DONE steps (convoy). Its CPU tasks
 * spin until the I/O task ends; on an event loop they would never yield,
 * so the I/O task would never run again and the run would never end.
 *
 * Differences from CPython: the offload threads end each job with a
 * GIL_DROP_EXIT, so they show as idle (not in I/O) while they wait for
 * the next one, and do not wait for a forced switch there as CPython's
 * queue.get() would. aiohttp's connection limit (--connections, 100) is
 * its connector's: a task whose fetch finds every connection taken waits
 * in the model's queue (conn_wait, first come first served), inside its
 * fetch step, until a fetch ends and frees one, as aiohttp's connector
 * wakes its waiters; the connection is freed when the body has been read,
 * so a task's write does not hold one. libcurl's
 * CURLMOPT_MAX_TOTAL_CONNECTIONS (see multi.c) is set to the same limit.
 * The fetch's --timeout starts when it gets its connection (aiohttp's
 * total timeout of 300 s would not expire in the connector's queue; a
 * 10 s one started at gather would).
 *
 * Wall time runs from the loop thread's start of the first task to the
 * join of the last thread.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"

/* A task's coroutine state. Written by the loop thread, except while its
 * write is offloaded: then only the offload thread touches it, until the
 * task is back on the done list (the hand-off goes through lm->mu). */
struct loop_task {
    const struct wl_task *task;
    size_t step;               /* index of the step under way */
    int outcome;               /* enum sim_outcome of the task so far */
    char *body;                /* the last fetch's body; owned, malloc'd */
    size_t len;                /* bytes at body */
    enum wl_outcome write_out; /* set by the offload thread */
    int hop;                   /* the write's executor hop under way */
    unsigned locks_held;       /* bit i: it holds the workload's lock i */
    /* in the job queue, the done list, the connection queue, a lock's
     * queue or the ready list */
    struct loop_task *next;
};

/* aiofiles' executor hops for one write: open, write, close. */
#define WRITE_HOPS 3
#define HOP_WRITE  1

struct loop_model {
    const struct sim_model_params *p;
    struct sim_model_thread *mts; /* [0] the loop, [1..n] offload threads */
    struct loop_task *tasks;      /* one per workload task */
    void *multi;                  /* the backend's; loop thread only */
    size_t next_task;             /* first task not started; loop thread */
    size_t running;               /* started, not ended; loop thread */
    size_t limit;                 /* most tasks under way; 0 = no limit */
    size_t conn_limit;            /* most fetches in flight; 0 = no limit */
    size_t fetching;              /* fetches in flight; loop thread */
    /* Tasks waiting for a connection, in order; loop thread. */
    struct loop_task *conn_wait, *conn_wait_tail;
    /* The workload's locks as asyncio.Locks: each one's holder and its
     * waiters in order; the waiters given theirs, to resume (the loop's
     * ready queue). Loop thread. */
    struct loop_task *lock_holder[WL_MAX_LOCKS];
    struct loop_task *lock_wait[WL_MAX_LOCKS], *lock_wait_tail[WL_MAX_LOCKS];
    struct loop_task *ready, *ready_tail;
    int failed;         /* -errno of the loop; read after join */
    int64_t begin_ns;   /* set by the loop; read after join */
    atomic_int until;   /* never set: convoy is refused */
    pthread_mutex_t mu; /* guards jobs, done and shutdown */
    pthread_cond_t cv;  /* a job was queued, or shutdown set */
    struct loop_task *jobs, *jobs_tail; /* writes for the offload pool */
    struct loop_task *done, *done_tail; /* writes back for the loop */
    int shutdown;                       /* 1: offload threads leave */
};

static void advance(struct loop_model *lm, struct loop_task *t);
static void shut_down(struct loop_model *lm);

/* The loop's I/O, through the run's backend: libevent and libcurl in
 * real time, the engine's events in virtual time (vmulti.c). */
static enum wl_outcome
io_fetch(struct loop_model *lm, const struct wl_step *s, void *user)
{
    return lm->p->backend->multi_fetch(lm->multi, s, user);
}

static int
io_sleep(struct loop_model *lm, int64_t ns, void *user)
{
    return lm->p->backend->multi_sleep(lm->multi, ns, user);
}

static int
io_run_once(struct loop_model *lm)
{
    return lm->p->backend->multi_run_once(lm->multi);
}

static void
io_wake(struct loop_model *lm)
{
    lm->p->backend->multi_wake(lm->multi);
}

static int
stopped(const struct sim_model_params *p)
{
    return p->stop != NULL &&
           atomic_load_explicit(p->stop, memory_order_relaxed) != 0;
}

static void
record(struct sim_model_thread *mt, enum sim_ev ev, int detail, int outcome,
       int64_t arg)
{
    sim_trace_record(mt->buf, sim_model__now(mt), ev, detail, outcome, mt->task,
                     arg);
}

static const struct wl_step *
cur_step(const struct loop_task *t)
{
    return &t->task->steps[t->step];
}

/* ---- the loop thread: a task's coroutine -------------------------------- */

static void
queue_push(struct loop_task **head, struct loop_task **tail,
           struct loop_task *t)
{
    t->next = NULL;
    if (*tail != NULL) {
        (*tail)->next = t;
    } else {
        *head = t;
    }
    *tail = t;
}

static struct loop_task *
queue_pop(struct loop_task **head, struct loop_task **tail)
{
    struct loop_task *t = *head;

    if (t != NULL) {
        *head = t->next;
        if (*head == NULL) {
            *tail = NULL;
        }
        t->next = NULL;
    }
    return t;
}

/* asyncio.Lock.acquire(): 1 if task t has lock `id` now (it was free and
 * nobody queued for it); 0 if t waits in its queue, to be resumed from
 * the ready queue once a release hands the lock to it. */
static int
lock(struct loop_model *lm, struct loop_task *t, int id)
{
    if (lm->lock_holder[id] == NULL && lm->lock_wait[id] == NULL) {
        lm->lock_holder[id] = t;
        t->locks_held |= 1u << id;
        return 1;
    }
    queue_push(&lm->lock_wait[id], &lm->lock_wait_tail[id], t);
    return 0;
}

/* asyncio.Lock.release(): the first waiter gets the lock and is made
 * ready (its future's result, resumed at the loop's next turn). */
static enum wl_outcome
unlock(struct loop_model *lm, struct loop_task *t, int id)
{
    struct loop_task *w;

    if ((t->locks_held & (1u << id)) == 0) {
        return WL_FAILED; /* RuntimeError: Lock is not acquired */
    }
    t->locks_held &= ~(1u << id);
    lm->lock_holder[id] = NULL;
    w = queue_pop(&lm->lock_wait[id], &lm->lock_wait_tail[id]);
    if (w != NULL) {
        lm->lock_holder[id] = w;
        w->locks_held |= 1u << id;
        queue_push(&lm->ready, &lm->ready_tail, w);
    }
    return WL_OK;
}

static void
end_task(struct loop_model *lm, struct loop_task *t)
{
    struct sim_model_thread *mt = &lm->mts[0];
    int id;

    mt->task = t->task->id;
    for (id = 0; t->locks_held != 0 && id < WL_MAX_LOCKS; id++) {
        if (t->locks_held & (1u << id)) {
            /* `async with lock:` left by an exception releases it. */
            record(mt, SIM_EV_STEP_BEGIN, SIM_STEP_UNLOCK, 0, 0);
            (void)unlock(lm, t, id);
            record(mt, SIM_EV_STEP_END, SIM_STEP_UNLOCK, SIM_OUT_OK, id);
        }
    }
    record(mt, SIM_EV_TASK_END, 0, t->outcome, 0);
    mt->task = -1;
    free(t->body);
    t->body = NULL;
    t->len = 0;
    lm->running--;
    if (t->task->ends_run) {
        atomic_store_explicit(mt->until, 1, memory_order_release);
    }
}

/* The step under way ended with `outcome` (its STEP_END is recorded).
 * 1: go on with the next step; 0: the task has ended. */
static int
step_done(struct loop_model *lm, struct loop_task *t, int outcome)
{
    if (outcome != SIM_OUT_OK) {
        /* Like an exception in the coroutine: the rest is skipped. */
        t->outcome = outcome;
        end_task(lm, t);
        return 0;
    }
    t->step++;
    if (stopped(lm->p)) {
        if (t->outcome == SIM_OUT_OK && t->step < t->task->n_steps) {
            t->outcome = SIM_OUT_ABORTED;
        }
        end_task(lm, t);
        return 0;
    }
    return 1;
}

/* A cpu step on the loop thread: its instructions plus its per-byte
 * work on this task's own body, as one plain cpu step. */
static enum wl_outcome
run_cpu(struct sim_model_thread *mt, const struct loop_task *t,
        const struct wl_step *s, int64_t *arg)
{
    struct wl_step plain = *s;
    double extra = 0.0;

    *arg = 0;
    if (!(s->instr_per_byte >= 0.0) || s->instructions < 0) {
        return WL_FAILED;
    }
    if (s->instr_per_byte > 0.0) {
        extra = s->instr_per_byte * (double)t->len + 0.5; /* as cpu.c */
    }
    if (!(extra < 9.2e18) || (int64_t)extra > INT64_MAX - s->instructions) {
        return WL_FAILED;
    }
    plain.instructions = s->instructions + (int64_t)extra;
    plain.instr_per_byte = 0.0;
    return sim_model__step((struct sim_model_thread *)mt, &plain, arg);
}

/* Task t's fetch, which has its connection: WL_OK while it is under way,
 * or the outcome of a fetch that could not start. */
static enum wl_outcome
start_fetch(struct loop_model *lm, struct loop_task *t)
{
    enum wl_outcome o;

    if (stopped(lm->p)) {
        return WL_ABORTED;
    }
    lm->mts[0].task = t->task->id;
    lm->fetching++;
    o = io_fetch(lm, cur_step(t), t);
    if (o != WL_OK) {
        lm->fetching--;
    }
    return o;
}

static void
wait_for_connection(struct loop_model *lm, struct loop_task *t)
{
    t->next = NULL;
    if (lm->conn_wait_tail != NULL) {
        lm->conn_wait_tail->next = t;
    } else {
        lm->conn_wait = t;
    }
    lm->conn_wait_tail = t;
}

/* A fetch ended and freed its connection: the tasks waiting for one get
 * theirs, first come first served. */
static void
next_connections(struct loop_model *lm)
{
    while (lm->conn_wait != NULL &&
           (lm->conn_limit == 0 || lm->fetching < lm->conn_limit)) {
        struct loop_task *w = lm->conn_wait;
        enum wl_outcome o;

        lm->conn_wait = w->next;
        if (lm->conn_wait == NULL) {
            lm->conn_wait_tail = NULL;
        }
        w->next = NULL;
        o = start_fetch(lm, w);
        if (o != WL_OK) {
            int outcome = sim_model__map_outcome(o);

            lm->mts[0].task = w->task->id;
            record(&lm->mts[0], SIM_EV_STEP_END, SIM_STEP_FETCH, outcome, 0);
            if (step_done(lm, w, outcome)) {
                advance(lm, w);
            }
        }
    }
}

static void
offload(struct loop_model *lm, struct loop_task *t)
{
    pthread_mutex_lock(&lm->mu);
    t->next = NULL;
    if (lm->jobs_tail != NULL) {
        lm->jobs_tail->next = t;
    } else {
        lm->jobs = t;
    }
    lm->jobs_tail = t;
    lm->p->backend->cond_wake(lm->p, &lm->cv, 0);
    pthread_mutex_unlock(&lm->mu);
}

/* Run task t from its current step until it awaits or ends. */
static void
advance(struct loop_model *lm, struct loop_task *t)
{
    struct sim_model_thread *mt = &lm->mts[0];

    while (t->step < t->task->n_steps) {
        const struct wl_step *s = cur_step(t);
        int kind = sim_model__map_step(s->kind);
        enum wl_outcome o;
        int64_t arg = 0;

        mt->task = t->task->id;
        if (s->kind == WL_STEP_WRITE || s->kind == WL_STEP_READ ||
            s->kind == WL_STEP_NATIVE) {
            /* A write's or a read's three hops start with the open; a
             * native call is the one hop that does the work. */
            t->hop = s->kind == WL_STEP_NATIVE ? HOP_WRITE : 0;
            t->write_out = WL_OK;
            offload(lm, t); /* its BEGIN/END are the offload thread's */
            return;
        }
        record(mt, SIM_EV_STEP_BEGIN, kind, 0, 0);
        switch (s->kind) {
        case WL_STEP_FETCH:
            free(t->body);
            t->body = NULL;
            t->len = 0;
            if (lm->conn_limit > 0 && lm->fetching >= lm->conn_limit) {
                wait_for_connection(lm, t);
                return; /* await the connector */
            }
            o = start_fetch(lm, t);
            if (o == WL_OK) {
                return; /* await: the fetched hook goes on */
            }
            break;
        case WL_STEP_LOCK:
            arg = s->lock;
            if (s->lock < 0 || s->lock >= WL_MAX_LOCKS) {
                o = WL_FAILED;
            } else if (lock(lm, t, s->lock)) {
                o = WL_OK;
            } else {
                return; /* await the lock: resumed from the ready queue */
            }
            break;
        case WL_STEP_UNLOCK:
            arg = s->lock;
            o = s->lock < 0 || s->lock >= WL_MAX_LOCKS ? WL_FAILED
                                                       : unlock(lm, t, s->lock);
            break;
        case WL_STEP_SLEEP:
            if (stopped(lm->p)) {
                o = WL_ABORTED;
            } else if (s->duration_ns < 0) {
                o = WL_FAILED;
            } else if (io_sleep(lm, s->duration_ns, t) == 0) {
                return; /* await: the slept hook goes on */
            } else {
                o = WL_FAILED;
            }
            break;
        default:
            o = run_cpu(mt, t, s, &arg);
            break;
        }
        record(mt, SIM_EV_STEP_END, kind, sim_model__map_outcome(o), arg);
        if (!step_done(lm, t, sim_model__map_outcome(o))) {
            return;
        }
    }
    end_task(lm, t);
}

static void
start_task(struct loop_model *lm, struct loop_task *t)
{
    struct sim_model_thread *mt = &lm->mts[0];

    lm->running++;
    mt->task = t->task->id;
    record(mt, SIM_EV_TASK_BEGIN, 0, 0, 0);
    advance(lm, t);
}

/* The tasks a release gave a lock to resume where they awaited it. */
static void
drain_ready(struct loop_model *lm)
{
    struct sim_model_thread *mt = &lm->mts[0];
    struct loop_task *t;

    while ((t = queue_pop(&lm->ready, &lm->ready_tail)) != NULL) {
        mt->task = t->task->id;
        record(mt, SIM_EV_STEP_END, SIM_STEP_LOCK, SIM_OUT_OK,
               cur_step(t)->lock);
        if (step_done(lm, t, SIM_OUT_OK)) {
            advance(lm, t);
        }
    }
}

/* Start tasks in order until the limit is reached. */
static void
fill(struct loop_model *lm)
{
    const struct wl_workload *w = lm->p->workload;

    while (lm->next_task < w->n_tasks && !stopped(lm->p) &&
           (lm->limit == 0 || lm->running < lm->limit)) {
        start_task(lm, &lm->tasks[lm->next_task++]);
    }
}

/* ---- the hooks of the multi handle (loop thread, GIL held) --------------- */

static void
hook_enter(void *ctx, void *user)
{
    struct loop_model *lm = ctx;
    const struct loop_task *t = user;

    lm->mts[0].task = t != NULL ? t->task->id : -1;
}

static void
hook_fetched(void *ctx, void *user, enum wl_outcome o, char *body, size_t len)
{
    struct loop_model *lm = ctx;
    struct loop_task *t = user;
    struct sim_model_thread *mt = &lm->mts[0];
    int outcome = sim_model__map_outcome(o);

    t->body = body;
    t->len = len;
    mt->task = t->task->id;
    record(mt, SIM_EV_STEP_END, SIM_STEP_FETCH, outcome, (int64_t)len);
    lm->fetching--;
    next_connections(lm);
    mt->task = t->task->id;
    if (step_done(lm, t, outcome)) {
        advance(lm, t);
    }
}

static void
hook_slept(void *ctx, void *user, enum wl_outcome o)
{
    struct loop_model *lm = ctx;
    struct loop_task *t = user;
    struct sim_model_thread *mt = &lm->mts[0];
    int outcome = sim_model__map_outcome(o);

    mt->task = t->task->id;
    record(mt, SIM_EV_STEP_END, SIM_STEP_SLEEP, outcome, 0);
    if (step_done(lm, t, outcome)) {
        advance(lm, t);
    }
}

/* Writes came back from the offload pool. */
static void
hook_woken(void *ctx)
{
    struct loop_model *lm = ctx;
    struct loop_task *t;

    pthread_mutex_lock(&lm->mu);
    t = lm->done;
    lm->done = NULL;
    lm->done_tail = NULL;
    pthread_mutex_unlock(&lm->mu);
    while (t != NULL) {
        struct loop_task *next = t->next;
        const struct sim_costs *costs = sim_costs_or_default(lm->p->costs);

        lm->mts[0].task = t->task->id;
        /* The hop's return: its future's callbacks and the coroutine's
         * resumption, on the loop thread under the GIL. */
        (void)sim_model__cpu(&lm->mts[0], costs->hop_instructions, NULL);
        if (cur_step(t)->kind == WL_STEP_WRITE ||
            cur_step(t)->kind == WL_STEP_READ) {
            if (++t->hop < WRITE_HOPS && !stopped(lm->p)) {
                offload(lm, t); /* the next hop: write, then close */
                t = next;
                continue;
            }
            if (t->hop <= HOP_WRITE) {
                t->write_out = WL_ABORTED; /* stopped before its hop */
            }
        }
        if (step_done(lm, t, sim_model__map_outcome(t->write_out))) {
            advance(lm, t);
        }
        t = next;
    }
}

static void *
loop_thread(void *arg)
{
    struct sim_model_thread *mt = arg;
    struct loop_model *lm = mt->model;
    int rc;

    record(mt, SIM_EV_THREAD_START, 0, 0, 0);
    /* A wait in the select of cold_after_ns or more makes the next
     * Python work cold, as for a thread back from a long wait. */
    mt->cold_on_take = -1;
    gil_take(mt->gt);
    lm->begin_ns = sim_model__now(mt);
    fill(lm);
    while (lm->running > 0) {
        if (lm->ready != NULL) {
            /* Lock waiters to resume: before the loop waits again. */
            drain_ready(lm);
            fill(lm);
            continue;
        }
        mt->task = -1;
        rc = io_run_once(lm);
        if (rc != 0) {
            lm->failed = rc;
            break;
        }
        fill(lm);
    }
    mt->task = -1;
    gil_drop(mt->gt, GIL_DROP_EXIT);
    record(mt, SIM_EV_THREAD_END, 0, 0, 0);
    /* The offload threads are told here, by the loop thread (in virtual
     * time this must happen inside the engine, before its run ends). */
    shut_down(lm);
    mt->backend->thread_end(mt);
    return NULL;
}

/* ---- an offload thread ----------------------------------------------------
 */

/* One executor hop of task t's write or native step: the worker's own
 * work, and for the write hop the encode and the system calls, for a
 * native step the step itself. */
static void
run_hop(struct sim_model_thread *mt, struct loop_task *t)
{
    const struct loop_model *lm = mt->model;
    const struct sim_costs *costs = sim_costs_or_default(lm->p->costs);
    int64_t arg = 0;
    enum wl_outcome o;
    int kind;

    mt->task = t->task->id;
    if (t->hop != HOP_WRITE || t->write_out != WL_OK) {
        /* open, close (or a write after a failed open): the executor
         * worker's work around a call that returns at once. */
        gil_take(mt->gt);
        (void)sim_model__cpu(mt, costs->result_instructions, NULL);
        gil_drop(mt->gt, GIL_DROP_EXIT);
        mt->task = -1;
        return;
    }
    kind = sim_model__map_step(cur_step(t)->kind);
    record(mt, SIM_EV_STEP_BEGIN, kind, 0, 0);
    gil_take(mt->gt);
    (void)sim_model__cpu(mt, costs->result_instructions, NULL);
    if (cur_step(t)->kind != WL_STEP_WRITE || cur_step(t)->io_bytes > 0) {
        /* native, read, a write of its own size: the step as a thread
         * runs it (the GIL released in it). */
        o = sim_model__step(mt, cur_step(t), &arg);
    } else {
        o = mt->backend->write_body(mt, cur_step(t), t->body, t->len, &arg);
    }
    record(mt, SIM_EV_STEP_END, kind, sim_model__map_outcome(o), arg);
    /* Back to the executor's queue, wanting nothing (see the file top). */
    gil_drop(mt->gt, GIL_DROP_EXIT);
    mt->task = -1;
    t->write_out = o;
}

static void *
offload_thread(void *arg)
{
    struct sim_model_thread *mt = arg;
    struct loop_model *lm = mt->model;
    struct loop_task *t;

    record(mt, SIM_EV_THREAD_START, 0, 0, 0);
    pthread_mutex_lock(&lm->mu);
    for (;;) {
        while (lm->jobs == NULL && !lm->shutdown) {
            lm->p->backend->cond_wait(lm->p, &lm->cv, &lm->mu);
        }
        t = lm->jobs;
        if (t == NULL) {
            break; /* shut down, and nothing left to write */
        }
        lm->jobs = t->next;
        if (lm->jobs == NULL) {
            lm->jobs_tail = NULL;
        }
        pthread_mutex_unlock(&lm->mu);

        run_hop(mt, t);

        pthread_mutex_lock(&lm->mu);
        t->next = NULL;
        if (lm->done_tail != NULL) {
            lm->done_tail->next = t;
        } else {
            lm->done = t;
        }
        lm->done_tail = t;
        pthread_mutex_unlock(&lm->mu);
        io_wake(lm);
        pthread_mutex_lock(&lm->mu);
    }
    pthread_mutex_unlock(&lm->mu);
    record(mt, SIM_EV_THREAD_END, 0, 0, 0);
    mt->backend->thread_end(mt);
    return NULL;
}

/* ---- the model ------------------------------------------------------------
 */

/* 0, or -ENOTSUP if a task needs preemption (convoy). */
static int
check_workload(const struct wl_workload *w, char *err, size_t errlen)
{
    size_t i, k;

    for (i = 0; i < w->n_tasks; i++) {
        for (k = 0; k < w->tasks[i].n_steps; k++) {
            if (w->tasks[i].steps[k].kind == WL_STEP_CPU &&
                w->tasks[i].steps[k].instructions == WL_UNTIL_DONE) {
                (void)snprintf(err, errlen,
                               "the %s workload needs preemptive threads; "
                               "on an event loop a CPU coroutine never "
                               "yields",
                               w->name);
                return -ENOTSUP;
            }
        }
    }
    return 0;
}

static void
shut_down(struct loop_model *lm)
{
    pthread_mutex_lock(&lm->mu);
    lm->shutdown = 1;
    lm->p->backend->cond_wake(lm->p, &lm->cv, 1);
    pthread_mutex_unlock(&lm->mu);
}

/* Trace buffer, GIL state (and, for offload threads, I/O state) of
 * thread i. 0 or -errno with err filled. */
static int
thread_setup(struct loop_model *lm, int i, char *err, size_t errlen)
{
    const struct sim_model_params *p = lm->p;
    struct sim_model_thread *mt = &lm->mts[i];
    char name[40];

    if (i == 0) {
        (void)snprintf(name, sizeof(name), "loop");
    } else {
        (void)snprintf(name, sizeof(name), "offload-%d", i);
    }
    sim_model__thread_init(mt, p, i, &lm->until, lm);
    /* Offload threads get a wl_io for the folder and the encode cost of
     * writes; its easy handle is not used. */
    return sim_model__thread_attach(mt, p, name, i > 0, err, errlen);
}

int
sim_model__loop_run(const struct sim_model_params *p,
                    struct sim_model_result *res, char *err, size_t errlen)
{
    struct loop_model lm;
    struct wl_multi_hooks hooks;
    pthread_t loop_tid;
    pthread_t *tids = NULL;
    int n = p->threads; /* offload threads */
    int created = 0;
    int loop_created = 0;
    size_t i;
    int rc;

    if (errlen > 0) {
        err[0] = '\0';
    }
    if (n < 1 || p->workload == NULL || p->gil == NULL || p->trace == NULL ||
        p->check_every < 1 || p->concurrency < 0) {
        (void)snprintf(err, errlen, "invalid loop parameters");
        return -EINVAL;
    }
    rc = check_workload(p->workload, err, errlen);
    if (rc != 0) {
        return rc;
    }
    memset(&lm, 0, sizeof(lm));
    lm.p = p;
    lm.limit = (size_t)p->concurrency;
    if (p->io != NULL && p->io->max_connections > 0) {
        /* Fetches beyond the connection limit wait in conn_wait, not
         * inside libcurl (see the file's top). */
        lm.conn_limit = (size_t)p->io->max_connections;
    }
    atomic_init(&lm.until, 0);
    lm.tasks = calloc(p->workload->n_tasks + 1, sizeof(*lm.tasks));
    lm.mts = calloc((size_t)n + 1, sizeof(*lm.mts));
    tids = calloc((size_t)n, sizeof(*tids));
    if (lm.tasks == NULL || lm.mts == NULL || tids == NULL) {
        (void)snprintf(err, errlen, "out of memory for %zu tasks",
                       p->workload->n_tasks);
        rc = -ENOMEM;
        goto fail_alloc;
    }
    for (i = 0; i < p->workload->n_tasks; i++) {
        lm.tasks[i].task = &p->workload->tasks[i];
    }
    rc = pthread_mutex_init(&lm.mu, NULL);
    if (rc != 0) {
        rc = -rc;
        goto fail_alloc;
    }
    rc = pthread_cond_init(&lm.cv, NULL);
    if (rc != 0) {
        rc = -rc;
        goto fail_mutex;
    }

    /* Buffers, GIL states and the multi handle, before any thread. */
    for (created = 0; created <= n; created++) {
        rc = thread_setup(&lm, created, err, errlen);
        if (rc != 0) {
            goto fail_states;
        }
    }
    memset(&hooks, 0, sizeof(hooks));
    hooks.enter = hook_enter;
    hooks.fetched = hook_fetched;
    hooks.slept = hook_slept;
    hooks.woken = hook_woken;
    hooks.ctx = &lm;
    rc = p->backend->multi_new(p, &lm.mts[0], &hooks, &lm.multi);
    for (i = 0; rc == 0 && i <= (size_t)n; i++) {
        /* Offload threads first, then the loop: the creation order. */
        struct sim_model_thread *mt = &lm.mts[(i + 1) % ((size_t)n + 1)];

        rc = p->backend->thread_register(mt, p,
                                         sim_model__gil_for(p, mt->index));
    }
    if (rc != 0) {
        base_errf(err, errlen, -rc, "cannot set up the event loop");
        goto fail_multi; /* a multi made before a register failed */
    }

    for (created = 0; created < n; created++) {
        rc = p->backend->thread_create(&lm.mts[created + 1], &tids[created],
                                       NULL, offload_thread,
                                       &lm.mts[created + 1]);
        if (rc != 0) {
            base_errf(err, errlen, rc, "cannot create offload thread %d of %d",
                      created + 1, n);
            rc = -rc;
            goto fail_join;
        }
    }
    rc = p->backend->thread_create(&lm.mts[0], &loop_tid, NULL, loop_thread,
                                   &lm.mts[0]);
    if (rc != 0) {
        base_errf(err, errlen, rc, "cannot create the event-loop thread");
        rc = -rc;
        goto fail_join;
    }
    loop_created = 1;

fail_join:
    if (created > 0) {
        if (!loop_created) {
            /* The offload threads that exist leave at once. */
            pthread_mutex_lock(&lm.mu);
            lm.shutdown = 1;
            pthread_mutex_unlock(&lm.mu);
            p->backend->thread_cancel(&lm.mts[0]);
            for (i = (size_t)created + 1; i <= (size_t)n; i++) {
                p->backend->thread_cancel(&lm.mts[i]);
            }
        }
        p->backend->run(p, "loop's threads");
    }
    if (loop_created) {
        p->backend->thread_join(&lm.mts[0], loop_tid);
    }
    shut_down(&lm);
    for (i = 0; i < (size_t)created; i++) {
        p->backend->thread_join(&lm.mts[i + 1], tids[i]);
    }
    if (rc == 0 && lm.failed != 0) {
        rc = lm.failed;
        base_errf(err, errlen, -rc, "the event loop failed");
    }
    if (rc == 0) {
        res->begin_ns = lm.begin_ns;
        res->end_ns = p->clock.now_ns(p->clock.ctx);
        sim_model__gil_stats(p, &res->gil);
    }
fail_multi:
    p->backend->multi_free(lm.multi);
fail_states:
    for (i = 0; i <= (size_t)n; i++) {
        gil_thread_free(lm.mts[i].gt);
        wl_io_free(lm.mts[i].env.io);
    }
    for (i = 0; i < p->workload->n_tasks; i++) {
        free(lm.tasks[i].body);
    }
    (void)pthread_cond_destroy(&lm.cv);
fail_mutex:
    (void)pthread_mutex_destroy(&lm.mu);
fail_alloc:
    free(tids);
    free(lm.mts);
    free(lm.tasks);
    if (rc != 0 && err[0] == '\0') {
        base_errf(err, errlen, -rc, "cannot set up the loop");
    }
    return rc;
}
