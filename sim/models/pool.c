/*
 * pool.c - the pool models: `serial` (one thread under the GIL), `threads`
 * (N threads under the GIL) and `nogil` (N free threads: the same code
 * under the GIL policy "nogil").
 *
 * The run driver creates the trace and the GIL (with the hooks from
 * sim_model_gil_hooks()), then calls sim_model_run(), which comes here
 * for these three models. For each thread it
 * claims a trace buffer and a GIL thread state whose `user` pointer is the
 * thread's `struct sim_model_thread`, so the hook can record GIL events
 * straight into that thread's buffer: gil/ calls every hook on the thread
 * the event is about, so each buffer has exactly one writer and needs no
 * lock. The threads are created first and held at a gate; when all exist,
 * the gate opens and the run's clock starts. Each thread then records
 * THREAD_START, takes the GIL and, until the tasks run out, claims the next
 * task with an atomic fetch_add and runs its steps (STEP_BEGIN,
 * wl_step_run, STEP_END), bracketed by TASK_BEGIN/TASK_END. A cpu step's
 * checks call gil_check(); I/O steps release the GIL with GIL_DROP_IO and
 * take it back, exactly as Py_BEGIN/END_ALLOW_THREADS do. At the end the
 * thread drops the GIL with GIL_DROP_EXIT and records THREAD_END.
 *
 * threads and nogil stand for multiprocessing.pool.ThreadPool.map: each
 * chunk a thread claims first costs threadpool_task_instructions (its
 * queues and its task and result handler threads; serial is a plain loop).
 *
 * A task stops at its first failed step, as a Python task stops at an
 * exception. A task marked ends_run (the convoy's I/O task) sets the
 * pool's `until` flag when it ends, which ends the WL_UNTIL_DONE cpu
 * steps of the other threads. With an I/O config, each thread gets its
 * own `struct wl_io` (a libcurl handle, like a requests.Session), created
 * before the threads start.
 *
 * If a thread cannot be created, the gate opens with the abort flag set:
 * the threads already created leave without touching the GIL, are joined,
 * and every allocation is freed.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"

/* Stack of each pool thread: enough for a step, and small enough that
 * 4096 threads do not reserve 32 GiB of address space. */
#define POOL_STACK_BYTES ((size_t)1024 * 1024)

struct sim_model_pool {
    const struct sim_model_params *p;
    atomic_size_t next_task; /* index of the next unclaimed task */
    size_t chunk;            /* tasks claimed at once (pool.map's chunksize) */
    atomic_int until;        /* set when an ends_run task has finished */
    pthread_mutex_t gate_mu; /* guards open, abort */
    pthread_cond_t gate_cv;  /* signalled when the gate opens */
    int open;                /* 1: threads may go; guarded by gate_mu */
    int abort;               /* 1: leave at once; guarded by gate_mu */
};

/* ---- a pool thread ----------------------------------------------------- */

static int
stopped(const struct sim_model_params *p)
{
    return p->stop != NULL &&
           atomic_load_explicit(p->stop, memory_order_relaxed) != 0;
}

/* Wait at the gate; 1 if the pool is being torn down instead. */
static int
wait_at_gate(struct sim_model_pool *pool)
{
    int abort_now;

    pthread_mutex_lock(&pool->gate_mu);
    while (!pool->open) {
        pthread_cond_wait(&pool->gate_cv, &pool->gate_mu);
    }
    abort_now = pool->abort;
    pthread_mutex_unlock(&pool->gate_mu);
    return abort_now;
}

static void *
pool_thread(void *arg)
{
    struct sim_model_thread *mt = arg;
    struct sim_model_pool *pool = mt->model;
    const struct sim_model_params *p = pool->p;
    const struct wl_workload *w = p->workload;

    if (wait_at_gate(pool)) {
        return NULL;
    }
    sim_trace_record(mt->buf, sim_model__now(mt), SIM_EV_THREAD_START, 0, 0, -1,
                     0);
    gil_take(mt->gt);
    while (!stopped(p)) {
        size_t k = atomic_fetch_add(&pool->next_task, pool->chunk);
        size_t end = k + pool->chunk;

        if (k >= w->n_tasks) {
            break;
        }
        if (p->model != SIM_MODEL_SERIAL && p->costs != NULL &&
            p->costs->threadpool_task_instructions > 0) {
            /* ThreadPool's queue round trip and handler threads, a chunk
             * (charged to the worker that gets it). */
            (void)sim_model__cpu(mt, p->costs->threadpool_task_instructions,
                                 NULL);
        }
        for (; k < end && k < w->n_tasks && !stopped(p); k++) {
            sim_model__run_task(mt, &w->tasks[k]);
        }
    }
    gil_drop(mt->gt, GIL_DROP_EXIT);
    sim_trace_record(mt->buf, sim_model__now(mt), SIM_EV_THREAD_END, 0, 0, -1,
                     0);
    mt->backend->thread_end(mt);
    return NULL;
}

/* ---- the pool ---------------------------------------------------------- */

static void
open_gate(struct sim_model_pool *pool, int abort_now)
{
    pthread_mutex_lock(&pool->gate_mu);
    pool->open = 1;
    pool->abort = abort_now;
    pthread_cond_broadcast(&pool->gate_cv);
    pthread_mutex_unlock(&pool->gate_mu);
}

/* multiprocessing.pool.Pool.map's chunksize, which ThreadPool inherits:
 * ceil(tasks / (4 x pool)). The threads model hands tasks out in chunks
 * of that size, as ThreadPool(5).map does: 25 pages go out two by two,
 * which is why its seed run takes three rounds of two fetches. */
static size_t
map_chunksize(size_t tasks, size_t pool)
{
    size_t per = pool * 4;
    size_t chunk = tasks / per + (tasks % per != 0);

    return chunk > 0 ? chunk : 1;
}

int
sim_model__pool_run(const struct sim_model_params *p,
                    struct sim_model_result *res, char *err, size_t errlen)
{
    struct sim_model_pool pool;
    struct sim_model_thread *mts = NULL;
    pthread_t *tids = NULL;
    pthread_attr_t attr;
    int n = p->threads;
    int created = 0;
    int i;
    int rc;

    if (errlen > 0) {
        err[0] = '\0';
    }
    if (n < 1 || p->workload == NULL || p->gil == NULL || p->trace == NULL ||
        p->check_every < 1) {
        (void)snprintf(err, errlen, "invalid pool parameters");
        return -EINVAL;
    }
    memset(&pool, 0, sizeof(pool));
    pool.p = p;
    atomic_init(&pool.next_task, 0);
    pool.chunk = map_chunksize(p->workload->n_tasks, (size_t)n);
    atomic_init(&pool.until, 0);
    mts = calloc((size_t)n, sizeof(*mts));
    tids = calloc((size_t)n, sizeof(*tids));
    if (mts == NULL || tids == NULL) {
        (void)snprintf(err, errlen, "out of memory for %d threads", n);
        rc = -ENOMEM;
        goto fail_alloc;
    }
    rc = pthread_mutex_init(&pool.gate_mu, NULL);
    if (rc != 0) {
        rc = -rc;
        goto fail_alloc;
    }
    rc = pthread_cond_init(&pool.gate_cv, NULL);
    if (rc != 0) {
        rc = -rc;
        goto fail_mutex;
    }
    rc = pthread_attr_init(&attr);
    if (rc != 0) {
        rc = -rc;
        goto fail_cond;
    }
    (void)pthread_attr_setstacksize(&attr, POOL_STACK_BYTES);

    /* Buffers and GIL states, before any thread exists. */
    for (i = 0; i < n; i++) {
        struct sim_model_thread *mt = &mts[i];
        char name[40];

        if (p->model == SIM_MODEL_SERIAL) {
            (void)snprintf(name, sizeof(name), "serial");
        } else {
            (void)snprintf(name, sizeof(name), "thread-%d", i + 1);
        }
        sim_model__thread_init(mt, p, i, &pool.until, &pool);
        rc = sim_model__thread_attach(mt, p, name, 1, err, errlen);
        if (rc == 0) {
            rc = p->backend->thread_register(mt, p,
                                             sim_model__gil_for(p, mt->index));
        }
        if (rc != 0) {
            goto fail_states;
        }
    }

    for (created = 0; created < n; created++) {
        rc = p->backend->thread_create(&mts[created], &tids[created], &attr,
                                       pool_thread, &mts[created]);
        if (rc != 0) {
            base_errf(err, errlen, rc, "cannot create thread %d of %d",
                      created + 1, n);
            rc = -rc;
            open_gate(&pool, 1);
            goto fail_join;
        }
    }
    res->begin_ns = p->clock.now_ns(p->clock.ctx);
    open_gate(&pool, 0);
    rc = 0;
    p->backend->run(p, "threads");

fail_join:
    for (i = 0; i < created; i++) {
        p->backend->thread_join(&mts[i], tids[i]);
    }
    if (rc == 0) {
        res->end_ns = p->clock.now_ns(p->clock.ctx);
        sim_model__gil_stats(p, &res->gil);
    }
fail_states:
    for (i = 0; i < n; i++) {
        gil_thread_free(mts[i].gt);
        wl_io_free(mts[i].env.io);
    }
    (void)pthread_attr_destroy(&attr);
fail_cond:
    (void)pthread_cond_destroy(&pool.gate_cv);
fail_mutex:
    (void)pthread_mutex_destroy(&pool.gate_mu);
fail_alloc:
    free(tids);
    free(mts);
    if (rc != 0 && err[0] == '\0') {
        base_errf(err, errlen, -rc, "cannot set up the pool");
    }
    return rc;
}
