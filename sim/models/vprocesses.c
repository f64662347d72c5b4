/*
 * vprocesses.c - the `processes` model in virtual time (--engine=virtual):
 * a pool of workers, each with its own GIL and one thread, handed tasks
 * one at a time, like multiprocessing.Pool() with chunksize=1.
 *
 * The real model (processes.c) forks; the engine runs threads, so here
 * each "process" is a thread of this process with a GIL of its own, made
 * from p->gil_config (the engine's clock and condition variables). What a
 * worker does is what the forked worker does, in the same order: it
 * records THREAD_START in its buffer ("proc-K", process K, GIL K), takes
 * its GIL, pays worker_start_instructions (interpreter start-up and
 * imports), then claims tasks until none are left, paying
 * result_ipc_instructions after each for sending the result back, drops
 * its GIL (EXIT) and records THREAD_END. Its GIL's counters are summed
 * into the result, as the real model sums the workers'.
 *
 * Each worker has its own struct wl_interp (the calls of the program's
 * function, its first fetch), as a forked worker has its copy.
 *
 * The parent's CPU for Pool()'s set-up and for each fork (pool_start_ns,
 * pool_fork_ns) delays each worker's start, as in the real model, but
 * takes no core here.
 *
 * What it leaves out: fork() itself and the parent's waiting (the real
 * model's wall clock includes them; neither costs a worker's CPU), and
 * dead workers (nothing can kill a virtual one). Workers are registered
 * with the engine in index order, so the run is deterministic.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"

#define VPROC_STACK_BYTES ((size_t)1024 * 1024)

struct vproc {
    const struct sim_model_params *p;
    atomic_long next_task;
    atomic_int until;
};

struct vproc_worker {
    struct sim_model_thread mt;
    struct wl_interp interp;      /* its interpreter's own warm-up state */
    struct sim_model_locks locks; /* its own threading.Locks */
    struct gil *gil;
    struct vproc *pool;
};

static void *
vproc_thread(void *arg)
{
    struct vproc_worker *w = arg;
    struct sim_model_thread *mt = &w->mt;
    const struct sim_model_params *p = w->pool->p;
    const struct wl_workload *wl = p->workload;

    /* The parent's Pool() set-up and the forks before this worker's: it
     * exists from then on (the parent's use of a core is left out). */
    if (p->pool_start_ns > 0 || p->pool_fork_ns > 0) {
        vt_sleep(mt->vt,
                 p->pool_start_ns + (int64_t)(mt->index + 1) * p->pool_fork_ns,
                 VT_WAKE_TIMER);
    }
    sim_trace_record(mt->buf, sim_model__now(mt), SIM_EV_THREAD_START, 0, 0, -1,
                     0);
    gil_take(mt->gt);
    (void)sim_model__cpu(mt, p->worker_start_instructions, NULL);
    while (p->stop == NULL ||
           atomic_load_explicit(p->stop, memory_order_relaxed) == 0) {
        long k = atomic_fetch_add(&w->pool->next_task, 1);

        if (k < 0 || (size_t)k >= wl->n_tasks) {
            break;
        }
        sim_model__run_task(mt, &wl->tasks[k]);
        (void)sim_model__cpu(
            mt, sim_costs_or_default(p->costs)->result_ipc_instructions, NULL);
    }
    gil_drop(mt->gt, GIL_DROP_EXIT);
    sim_trace_record(mt->buf, sim_model__now(mt), SIM_EV_THREAD_END, 0, 0, -1,
                     0);
    mt->backend->thread_end(mt);
    return NULL;
}

/* One worker's GIL, buffer, GIL state and engine thread. */
static int
setup_worker(struct vproc_worker *w, struct vproc *pool, int i, char *err,
             size_t errlen)
{
    const struct sim_model_params *p = pool->p;
    char name[40];
    int rc;

    w->pool = pool;
    sim_model__thread_init(&w->mt, p, i, &pool->until, pool);
    if (p->interp != NULL) {
        /* A process of its own: nothing of it warmed up yet. */
        w->interp.quicken_calls = p->interp->quicken_calls;
        w->interp.speedup = p->interp->speedup;
        w->interp.first_fetch_forked_instructions =
            p->interp->first_fetch_forked_instructions;
        atomic_init(&w->interp.calls, 0);
        atomic_init(&w->interp.fetched, 0);
        wl_interp_forked(&w->interp);
        w->mt.env.interp = &w->interp;
    }
    sim_model__locks_init(&w->locks, p);
    w->mt.locks = &w->locks;
    (void)snprintf(name, sizeof(name), "proc-%d", i + 1);
    rc = gil_new(&p->gil_config, &w->gil);
    if (rc == 0) {
        rc = sim_trace_add_thread(p->trace, name, i + 1, i + 1, &w->mt.buf);
    }
    if (rc == 0) {
        rc = gil_thread_new(w->gil, &w->mt, &w->mt.gt);
    }
    if (rc == 0) {
        rc = p->backend->thread_register(&w->mt, p, w->gil);
    }
    if (rc != 0) {
        base_errf(err, errlen, -rc, "cannot set up %s", name);
    }
    return rc;
}

int
sim_model__vprocesses_run(const struct sim_model_params *p,
                          struct sim_model_result *res, char *err,
                          size_t errlen)
{
    struct vproc pool;
    struct vproc_worker *w;
    pthread_t *tids;
    pthread_attr_t attr;
    int n = p->threads;
    int created = 0;
    int i;
    int rc = 0;

    if (n < 1 || p->workload == NULL || p->trace == NULL || p->vt == NULL) {
        (void)snprintf(err, errlen, "invalid processes parameters");
        return -EINVAL;
    }
    memset(&pool, 0, sizeof(pool));
    pool.p = p;
    atomic_init(&pool.next_task, 0);
    atomic_init(&pool.until, 0);
    w = calloc((size_t)n, sizeof(*w));
    tids = calloc((size_t)n, sizeof(*tids));
    if (w == NULL || tids == NULL || pthread_attr_init(&attr) != 0) {
        free(w);
        free(tids);
        (void)snprintf(err, errlen, "out of memory for %d workers", n);
        return -ENOMEM;
    }
    (void)pthread_attr_setstacksize(&attr, VPROC_STACK_BYTES);
    for (i = 0; i < n && rc == 0; i++) {
        rc = setup_worker(&w[i], &pool, i, err, errlen);
    }
    for (; rc == 0 && created < n; created++) {
        rc = p->backend->thread_create(&w[created].mt, &tids[created], &attr,
                                       vproc_thread, &w[created]);
        if (rc != 0) {
            base_errf(err, errlen, rc, "cannot create worker %d of %d",
                      created + 1, n);
            rc = -rc;
            /* The workers not created never run. */
            for (i = created; i < n; i++) {
                p->backend->thread_cancel(&w[i].mt);
            }
            break;
        }
    }
    if (created > 0) {
        res->begin_ns = p->clock.now_ns(p->clock.ctx);
        p->backend->run(p, "workers");
        res->end_ns = p->clock.now_ns(p->clock.ctx);
    }
    for (i = 0; i < created; i++) {
        p->backend->thread_join(&w[i].mt, tids[i]);
    }
    memset(&res->gil, 0, sizeof(res->gil));
    for (i = 0; i < n; i++) {
        if (w[i].gil != NULL) {
            struct gil_stats s;

            gil_get_stats(w[i].gil, &s);
            gil_stats_add(&res->gil, &s);
        }
        gil_thread_free(w[i].mt.gt);
        gil_free(w[i].gil);
        if (w[i].locks.p != NULL) { /* set up (setup_worker got to it) */
            sim_model__locks_destroy(&w[i].locks);
        }
    }
    (void)pthread_attr_destroy(&attr);
    free(tids);
    free(w);
    return rc;
}
