/*
 * executor.c - the `executor` model: concurrent.futures.ThreadPoolExecutor
 * (max_workers=N) used as
 *
 *     with ThreadPoolExecutor(max_workers=N) as pool:
 *         results = list(pool.map(fn, tasks))
 *
 * It mirrors Lib/concurrent/futures/thread.py of CPython 3.9-3.12.
 *
 * Python's main thread is a model thread of its own (trace buffer "main",
 * the one extra buffer that sim_model_trace_threads() gives this model),
 * started and driven through the run's backend like the workers. It
 * records THREAD_START, takes the GIL and submits every task in order,
 * as Executor.map does before it yields anything. Each submit is CPU work
 * under the GIL (submit_instructions), then puts the task's index on the
 * work queue, then does what _adjust_thread_count does: if a worker is
 * idle (the _idle_semaphore, released by a worker each time it finishes a
 * work item, can be acquired without blocking), nothing; otherwise, if
 * fewer than N workers exist, it starts a new one ("worker-1" ..
 * "worker-N"), so threads are created on demand, not up front. Starting
 * a worker is threading.Thread.start(): the main thread releases the GIL
 * and waits until the new thread has taken the GIL and set its _started
 * event, so every thread start hands the GIL over once, as in CPython.
 *
 * The work queue is queue.SimpleQueue: a mutex and a condition variable.
 * A worker that finds it empty releases the GIL (GIL_DROP_IO) before it
 * blocks and takes it back after, as the C lock acquire in SimpleQueue.get
 * does, so an idle worker shows as io, never as running. For each item a
 * worker runs the task (sim_model__run_task: TASK and STEP events), then
 * pays result_instructions under the GIL (the rest of _WorkItem.run and
 * _worker's loop: Future.set_result with its notify_all, releasing the
 * idle semaphore, the next SimpleQueue.get), marks the future done and
 * wakes whoever waits on it.
 *
 * After submitting, the main thread collects the results in submission
 * order, as pool.map's generator does (fs.pop().result()): for each
 * future that is not done yet, it releases the GIL (GIL_DROP_IO) and waits
 * on the future's condition variable, then takes the GIL back; then it
 * pays collect_instructions. Each collection is recorded as a
 * SIM_EV_RESULT event of the main thread (task = the collected task's id),
 * so the order in which results were returned is in the trace (an
 * instant "result" on main in Perfetto); it is not a step, so steps_ok
 * still counts the workload's steps alone.
 *
 * Leaving the `with` block is shutdown(wait=True): the main thread puts
 * one None sentinel on the queue, releases the
 * GIL (GIL_DROP_IO: Thread.join blocks on a lock) and waits until every
 * worker has ended (each says so last, as a thread's tstate lock is
 * released); the calling thread joins them all after the backend's run.
 * A worker that gets the sentinel while shutting down puts it back for
 * the next worker and leaves, as _worker does since CPython 3.9. Each
 * worker, and then main, ends with GIL_DROP_EXIT and THREAD_END. The
 * run's wall time goes from the first submit (before any worker exists)
 * to the last join.
 *
 * With an I/O config, each worker gets its own struct wl_io, created with
 * the worker and freed at the end; the main thread does no I/O. A set
 * stop flag (Ctrl-C) ends submitting; workers then cancel every item they
 * get instead of running it (like shutdown(cancel_futures=True)), so the
 * main thread never waits for a result that will not come, and cancelled
 * results are not collected. If a worker cannot be created, the executor
 * aborts the same way: no more submits, no collection, queued items are
 * cancelled, the workers already started are joined, everything is freed,
 * and the call returns -errno with `err` filled.
 *
 * Differences from CPython: fn's return value and exceptions are not
 * modelled (a failed step ends its task, and the result is still
 * collected); the costs below are estimates; Executor.map's timeout and
 * chunksize are not modelled; the sentinel is an index (-1), not None.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"

/* Stack of each worker: enough for a step (as in pool.c). */
#define EXECUTOR_STACK_BYTES ((size_t)1024 * 1024)

/*
 * The Python-side costs of the executor, in instructions of --instr-ns,
 * come from p->costs (struct sim_costs; `gilsim calibrate` measures them,
 * see sim/calibrate.c). Their defaults (sim/costs.c) are estimates: the
 * lower end of
 * three timeit runs of the same Python code (thread.py's own classes, no
 * threads started) under CPython 3.11.7 on this kind of machine:
 *
 * submit_instructions (1600): ThreadPoolExecutor.submit without the thread
 * start: taking _shutdown_lock and _global_shutdown_lock, creating the Future
 * (with its Condition) and the _WorkItem, SimpleQueue.put, and
 * _adjust_thread_count's _idle_semaphore.acquire(timeout=0); ~6.5 us.
 *
 * result_instructions (1150): a worker's own work per item around fn: the
 * SimpleQueue.get that returned it, _WorkItem.run's
 * set_running_or_notify_cancel, Future.set_result (Condition, notify_all,
 * callbacks) and _idle_semaphore.release(); ~4.7 us.
 *
 * collect_instructions (260): the main thread's work per result: one step of
 * Executor.map's result_iterator (fs.pop()) and Future.result on a done
 * future, list.append included; ~1.1 us.
 */

/* The sentinel on the work queue: None in CPython. */
#define QUEUE_SENTINEL (-1)

/* One concurrent.futures.Future; guarded by the executor's mutex. */
struct executor_future {
    pthread_cond_t cv; /* Future._condition: signalled when done */
    int done;          /* 1: finished or cancelled */
    int cancelled;     /* 1: not run (stop or abort) */
};

struct sim_model_executor {
    const struct sim_model_params *p;
    atomic_int until;           /* set when an ends_run task has finished */
    pthread_mutex_t mu;         /* guards every field below */
    pthread_cond_t queue_cv;    /* SimpleQueue: signalled on put */
    pthread_cond_t start_cv;    /* Thread._started: signalled on a start */
    long *queue;                /* ring of task indexes and sentinels */
    size_t queue_cap;           /* slots in `queue` */
    size_t queue_head;          /* next slot to get */
    size_t queue_len;           /* items in the queue */
    int idle;                   /* _idle_semaphore's value */
    int started;                /* workers that have set _started */
    int ended;                  /* workers that have ended */
    pthread_cond_t end_cv;      /* signalled when a worker ends */
    int abort;                  /* 1: cancel every item (stop or failure) */
    struct executor_future *fs; /* one per task, in submission order */
};

/* ---- the work queue and the futures ------------------------------------ */

static int
stopped(const struct sim_model_params *p)
{
    return p->stop != NULL &&
           atomic_load_explicit(p->stop, memory_order_relaxed) != 0;
}

/* SimpleQueue.put: never blocks (the ring holds every item there can be). */
static void
queue_put(struct sim_model_executor *ex, long item)
{
    pthread_mutex_lock(&ex->mu);
    ex->queue[(ex->queue_head + ex->queue_len) % ex->queue_cap] = item;
    ex->queue_len++;
    ex->p->backend->cond_wake(ex->p, &ex->queue_cv, 0);
    pthread_mutex_unlock(&ex->mu);
}

/* Pop the head; the caller holds ex->mu and the queue is not empty. */
static long
queue_pop_locked(struct sim_model_executor *ex)
{
    long item = ex->queue[ex->queue_head];

    ex->queue_head = (ex->queue_head + 1) % ex->queue_cap;
    ex->queue_len--;
    return item;
}

/*
 * SimpleQueue.get(block=True) on a thread that holds the GIL: an item
 * already there is taken at once; otherwise the thread releases the GIL
 * while it blocks, as the lock acquire inside get() does, and takes it
 * back once it has an item. The GIL is never waited for with ex->mu held.
 */
static long
queue_get(struct sim_model_executor *ex, struct sim_model_thread *mt)
{
    long item;

    pthread_mutex_lock(&ex->mu);
    if (ex->queue_len > 0) {
        item = queue_pop_locked(ex);
        pthread_mutex_unlock(&ex->mu);
        return item;
    }
    pthread_mutex_unlock(&ex->mu);
    gil_drop(mt->gt, GIL_DROP_IO);
    pthread_mutex_lock(&ex->mu);
    while (ex->queue_len == 0) {
        ex->p->backend->cond_wait(ex->p, &ex->queue_cv, &ex->mu);
    }
    item = queue_pop_locked(ex);
    pthread_mutex_unlock(&ex->mu);
    gil_take(mt->gt);
    return item;
}

/* Future.set_result / cancel: mark future k done and wake its waiter. */
static void
future_finish(struct sim_model_executor *ex, long k, int cancelled)
{
    pthread_mutex_lock(&ex->mu);
    ex->fs[k].done = 1;
    ex->fs[k].cancelled = cancelled;
    ex->p->backend->cond_wake(ex->p, &ex->fs[k].cv, 1);
    pthread_mutex_unlock(&ex->mu);
}

/*
 * Future.result() without a timeout, on the main thread: if the future is
 * not done, release the GIL while waiting on its condition variable, then
 * take the GIL back. Returns 1 if the future was cancelled.
 */
static int
future_wait(struct sim_model_executor *ex, struct sim_model_thread *mt,
            size_t k)
{
    int cancelled;

    pthread_mutex_lock(&ex->mu);
    if (ex->fs[k].done) {
        cancelled = ex->fs[k].cancelled;
        pthread_mutex_unlock(&ex->mu);
        return cancelled;
    }
    pthread_mutex_unlock(&ex->mu);
    gil_drop(mt->gt, GIL_DROP_IO);
    pthread_mutex_lock(&ex->mu);
    while (!ex->fs[k].done) {
        ex->p->backend->cond_wait(ex->p, &ex->fs[k].cv, &ex->mu);
    }
    cancelled = ex->fs[k].cancelled;
    pthread_mutex_unlock(&ex->mu);
    gil_take(mt->gt);
    return cancelled;
}

/* ---- a worker: concurrent.futures.thread._worker ------------------------ */

static void *
worker_thread(void *arg)
{
    struct sim_model_thread *mt = arg;
    struct sim_model_executor *ex = mt->model;
    const struct sim_model_params *p = ex->p;
    const struct sim_costs *costs = sim_costs_or_default(p->costs);

    sim_trace_record(mt->buf, sim_model__now(mt), SIM_EV_THREAD_START, 0, 0, -1,
                     0);
    gil_take(mt->gt);
    /* Thread._bootstrap_inner: self._started.set(), under the GIL. */
    pthread_mutex_lock(&ex->mu);
    ex->started++;
    p->backend->cond_wake(p, &ex->start_cv, 1);
    pthread_mutex_unlock(&ex->mu);
    for (;;) {
        long item = queue_get(ex, mt);
        int cancel;

        if (item == QUEUE_SENTINEL) {
            /* Since 3.9 one None wakes every worker in turn: each puts it
             * back for the next one before it leaves. */
            queue_put(ex, QUEUE_SENTINEL);
            break;
        }
        pthread_mutex_lock(&ex->mu);
        cancel = ex->abort;
        pthread_mutex_unlock(&ex->mu);
        if (cancel || stopped(p)) {
            /* Like shutdown(cancel_futures=True): the item is not run. */
            future_finish(ex, item, 1);
            continue;
        }
        sim_model__run_task(mt, &p->workload->tasks[item]);
        (void)sim_model__cpu(mt, costs->result_instructions, NULL);
        future_finish(ex, item, 0);
        pthread_mutex_lock(&ex->mu);
        ex->idle++; /* executor._idle_semaphore.release() */
        pthread_mutex_unlock(&ex->mu);
    }
    gil_drop(mt->gt, GIL_DROP_EXIT);
    sim_trace_record(mt->buf, sim_model__now(mt), SIM_EV_THREAD_END, 0, 0, -1,
                     0);
    /* What the main thread's "join" waits for (see run_main). */
    pthread_mutex_lock(&ex->mu);
    ex->ended++;
    p->backend->cond_wake(p, &ex->end_cv, 1);
    pthread_mutex_unlock(&ex->mu);
    mt->backend->thread_end(mt);
    return NULL;
}

/* ---- the executor ------------------------------------------------------- */

/* What the main thread keeps while it runs the executor. */
struct executor_run {
    struct sim_model_executor *ex;
    struct sim_model_thread *mts; /* [0] main, [1..n] the workers */
    pthread_t *tids;              /* [0..created) the workers' threads */
    pthread_attr_t *attr;
    int n;       /* max_workers */
    int created; /* workers started so far */
};

/*
 * Claim worker k's trace buffer, GIL state and I/O state, and start it;
 * then wait, without the GIL, until it has started (Thread.start()).
 * Called by the main thread, which holds the GIL. 0 or -errno with `err`
 * filled; on failure nothing of worker k is left running.
 */
static int
start_worker(struct executor_run *r, char *err, size_t errlen)
{
    const struct sim_model_params *p = r->ex->p;
    int k = r->created + 1;
    struct sim_model_thread *mt = &r->mts[k];
    char name[40];
    int rc;

    (void)snprintf(name, sizeof(name), "worker-%d", k);
    sim_model__thread_init(mt, p, k, &r->ex->until, r->ex);
    rc = sim_model__thread_attach(mt, p, name, 1, err, errlen);
    if (rc == 0) {
        rc = p->backend->thread_register(mt, p,
                                         sim_model__gil_for(p, mt->index));
    }
    if (rc != 0) {
        return rc;
    }
    rc = p->backend->thread_create(mt, &r->tids[r->created], r->attr,
                                   worker_thread, mt);
    if (rc != 0) {
        p->backend->thread_cancel(mt);
        base_errf(err, errlen, rc, "cannot create thread %d of %d", k, r->n);
        return -rc;
    }
    r->created++;

    /* Thread.start(): self._started.wait() releases the GIL. */
    pthread_mutex_lock(&r->ex->mu);
    if (r->ex->started < r->created) {
        pthread_mutex_unlock(&r->ex->mu);
        gil_drop(r->mts[0].gt, GIL_DROP_IO);
        pthread_mutex_lock(&r->ex->mu);
        while (r->ex->started < r->created) {
            p->backend->cond_wait(p, &r->ex->start_cv, &r->ex->mu);
        }
        pthread_mutex_unlock(&r->ex->mu);
        gil_take(r->mts[0].gt);
    } else {
        pthread_mutex_unlock(&r->ex->mu);
    }
    return 0;
}

/* _adjust_thread_count: 0 or -errno with `err` filled. */
static int
adjust_thread_count(struct executor_run *r, char *err, size_t errlen)
{
    int idle;

    pthread_mutex_lock(&r->ex->mu);
    idle = r->ex->idle > 0;
    if (idle) {
        r->ex->idle--; /* _idle_semaphore.acquire(timeout=0) */
    }
    pthread_mutex_unlock(&r->ex->mu);
    if (idle || r->created >= r->n) {
        return 0;
    }
    return start_worker(r, err, errlen);
}

/*
 * The main thread from the first submit to the last join. Returns 0, or
 * -errno with `err` filled if a worker could not be started (the workers
 * already started have ended either way).
 */
static int
run_main(struct executor_run *r, struct sim_model_result *res, char *err,
         size_t errlen)
{
    struct sim_model_executor *ex = r->ex;
    const struct sim_model_params *p = ex->p;
    struct sim_model_thread *main_mt = &r->mts[0];
    const struct sim_costs *costs = sim_costs_or_default(p->costs);
    size_t n_tasks = p->workload->n_tasks;
    size_t submitted = 0;
    size_t k;
    int rc = 0;

    res->begin_ns = p->clock.now_ns(p->clock.ctx);
    sim_trace_record(main_mt->buf, sim_model__now(main_mt), SIM_EV_THREAD_START,
                     0, 0, -1, 0);
    gil_take(main_mt->gt);

    /* Executor.map: fs = [self.submit(fn, *args) for args in ...]. */
    while (submitted < n_tasks && !stopped(p)) {
        (void)sim_model__cpu(main_mt, costs->submit_instructions, NULL);
        queue_put(ex, (long)submitted);
        submitted++;
        rc = adjust_thread_count(r, err, errlen);
        if (rc != 0) {
            pthread_mutex_lock(&ex->mu);
            ex->abort = 1;
            pthread_mutex_unlock(&ex->mu);
            break;
        }
    }

    /* result_iterator: yield fs.pop().result(), in submission order. */
    for (k = 0; rc == 0 && k < submitted; k++) {
        const struct wl_task *t = &p->workload->tasks[k];
        int64_t ran = 0;

        if (future_wait(ex, main_mt, k)) {
            continue; /* cancelled: CancelledError, not a result */
        }
        sim_trace_record(main_mt->buf, sim_model__now(main_mt), SIM_EV_RESULT,
                         0, 0, t->id, (int64_t)k);
        (void)sim_model__cpu(main_mt, costs->collect_instructions, &ran);
    }

    /* __exit__: shutdown(wait=True). The sentinel comes only from here,
     * so a worker that gets it needs no _shutdown flag to check. */
    queue_put(ex, QUEUE_SENTINEL);
    gil_drop(main_mt->gt, GIL_DROP_IO);
    /* The calling thread joins the threads after the backend's run. */
    pthread_mutex_lock(&ex->mu);
    while (ex->ended < r->created) {
        p->backend->cond_wait(p, &ex->end_cv, &ex->mu);
    }
    pthread_mutex_unlock(&ex->mu);
    res->end_ns = p->clock.now_ns(p->clock.ctx);
    gil_take(main_mt->gt);
    gil_drop(main_mt->gt, GIL_DROP_EXIT);
    sim_trace_record(main_mt->buf, sim_model__now(main_mt), SIM_EV_THREAD_END,
                     0, 0, -1, 0);
    return rc;
}

/* The main thread's part runs as a model thread of its own, and the
 * calling thread drives the backend and joins everything after it. */
struct executor_main {
    struct executor_run *r;
    struct sim_model_result *res;
    char *err;
    size_t errlen;
    int rc;
};

static void *
main_thread(void *arg)
{
    struct executor_main *em = arg;

    em->rc = run_main(em->r, em->res, em->err, em->errlen);
    em->r->mts[0].backend->thread_end(&em->r->mts[0]);
    return NULL;
}

static int
run_executor(struct executor_run *r, struct sim_model_result *res, char *err,
             size_t errlen)
{
    const struct sim_model_params *p = r->ex->p;
    struct executor_main em;
    pthread_t tid;
    int rc;
    int i;

    em.r = r;
    em.res = res;
    em.err = err;
    em.errlen = errlen;
    em.rc = 0;
    rc = p->backend->thread_register(&r->mts[0], p, p->gil);
    if (rc != 0) {
        return rc;
    }
    rc = p->backend->thread_create(&r->mts[0], &tid, r->attr, main_thread, &em);
    if (rc != 0) {
        base_errf(err, errlen, rc, "cannot create the main thread");
        return -rc;
    }
    p->backend->run(p, "executor's threads");
    p->backend->thread_join(&r->mts[0], tid);
    for (i = 0; i < r->created; i++) {
        p->backend->thread_join(&r->mts[i + 1], r->tids[i]);
    }
    return em.rc;
}

int
sim_model__executor_run(const struct sim_model_params *p,
                        struct sim_model_result *res, char *err, size_t errlen)
{
    struct sim_model_executor ex;
    struct executor_run r;
    struct sim_model_thread *mts = NULL;
    pthread_t *tids = NULL;
    pthread_attr_t attr;
    size_t n_tasks;
    size_t fs_ready = 0;
    size_t k;
    int n = p->threads;
    int i;
    int rc;

    if (errlen > 0) {
        err[0] = '\0';
    }
    if (n < 1 || p->workload == NULL || p->gil == NULL || p->trace == NULL ||
        p->check_every < 1) {
        (void)snprintf(err, errlen, "invalid executor parameters");
        return -EINVAL;
    }
    n_tasks = p->workload->n_tasks;
    memset(&ex, 0, sizeof(ex));
    ex.p = p;
    atomic_init(&ex.until, 0);
    /* Every task, the sentinel, and a sentinel put back: n_tasks + 2. */
    ex.queue_cap = n_tasks + 2;
    ex.queue = calloc(ex.queue_cap, sizeof(*ex.queue));
    ex.fs = calloc(n_tasks + 1, sizeof(*ex.fs));
    mts = calloc((size_t)n + 1, sizeof(*mts));
    tids = calloc((size_t)n, sizeof(*tids));
    if (ex.queue == NULL || ex.fs == NULL || mts == NULL || tids == NULL) {
        (void)snprintf(err, errlen,
                       "out of memory for %d workers and %zu tasks", n,
                       n_tasks);
        rc = -ENOMEM;
        goto fail_alloc;
    }
    rc = pthread_mutex_init(&ex.mu, NULL);
    if (rc != 0) {
        rc = -rc;
        goto fail_alloc;
    }
    rc = pthread_cond_init(&ex.queue_cv, NULL);
    if (rc != 0) {
        rc = -rc;
        goto fail_mutex;
    }
    rc = pthread_cond_init(&ex.start_cv, NULL);
    if (rc != 0) {
        rc = -rc;
        goto fail_queue_cv;
    }
    rc = pthread_cond_init(&ex.end_cv, NULL);
    if (rc != 0) {
        rc = -rc;
        goto fail_start_cv;
    }
    for (fs_ready = 0; fs_ready < n_tasks; fs_ready++) {
        rc = pthread_cond_init(&ex.fs[fs_ready].cv, NULL);
        if (rc != 0) {
            rc = -rc;
            goto fail_futures;
        }
    }
    rc = pthread_attr_init(&attr);
    if (rc != 0) {
        rc = -rc;
        goto fail_futures;
    }
    (void)pthread_attr_setstacksize(&attr, EXECUTOR_STACK_BYTES);

    /* The main thread: the calling thread, buffer "main", index 0. */
    sim_model__thread_init(&mts[0], p, 0, &ex.until, &ex);
    rc = sim_trace_add_thread(p->trace, "main", 0, 0, &mts[0].buf);
    if (rc != 0) {
        base_errf(err, errlen, -rc, "trace buffer for main");
        goto fail_states;
    }
    rc = gil_thread_new(p->gil, &mts[0], &mts[0].gt);
    if (rc != 0) {
        base_errf(err, errlen, -rc, "GIL state for main");
        goto fail_states;
    }

    memset(&r, 0, sizeof(r));
    r.ex = &ex;
    r.mts = mts;
    r.tids = tids;
    r.attr = &attr;
    r.n = n;
    rc = run_executor(&r, res, err, errlen);
    if (rc == 0) {
        sim_model__gil_stats(p, &res->gil);
    }

fail_states:
    for (i = 0; i <= n; i++) {
        gil_thread_free(mts[i].gt);
        wl_io_free(mts[i].env.io);
    }
    (void)pthread_attr_destroy(&attr);
fail_futures:
    for (k = 0; k < fs_ready; k++) {
        (void)pthread_cond_destroy(&ex.fs[k].cv);
    }
    (void)pthread_cond_destroy(&ex.end_cv);
fail_start_cv:
    (void)pthread_cond_destroy(&ex.start_cv);
fail_queue_cv:
    (void)pthread_cond_destroy(&ex.queue_cv);
fail_mutex:
    (void)pthread_mutex_destroy(&ex.mu);
fail_alloc:
    free(tids);
    free(mts);
    free(ex.fs);
    free(ex.queue);
    if (rc != 0 && err[0] == '\0') {
        base_errf(err, errlen, -rc, "cannot set up the executor");
    }
    return rc;
}
