/*
 * model.c - picks the code that runs a model, and says what each model
 * needs of the trace (how many buffers; shared or not).
 *
 * serial, threads and nogil are one pool (pool.c) with a different size
 * or policy; executor (executor.c), processes (processes.c) and loop
 * (loop.c) each have their own file. A model this build does not have
 * yet returns -ENOTSUP.
 */
#include <errno.h>

#include "backend.h"

int
sim_model_run(const struct sim_model_params *p, struct sim_model_result *res,
              char *err, size_t errlen)
{
    struct sim_model_params q = *p;
    struct sim_model_locks locks;
    int rc;

    /* The process's threading.Locks, for the run of the model. */
    sim_model__locks_init(&locks, &q);
    q.locks = &locks;
    switch (q.model) {
    case SIM_MODEL_SERIAL:
    case SIM_MODEL_THREADS:
    case SIM_MODEL_NOGIL:
        rc = sim_model__pool_run(&q, res, err, errlen);
        break;
    case SIM_MODEL_PROCESSES:
        /* Forked in real time; threads with a GIL each in virtual. */
        rc = q.backend->processes_run(&q, res, err, errlen);
        break;
    case SIM_MODEL_LOOP:
        rc = sim_model__loop_run(&q, res, err, errlen);
        break;
    case SIM_MODEL_EXECUTOR:
        rc = sim_model__executor_run(&q, res, err, errlen);
        break;
    default:
        (void)snprintf(err, errlen, "the %s model is not in this build",
                       sim_model_name(q.model));
        rc = -ENOTSUP;
        break;
    }
    sim_model__locks_destroy(&locks);
    return rc;
}

uint32_t
sim_model_trace_threads(enum sim_model m, int pool)
{
    switch (m) {
    case SIM_MODEL_EXECUTOR:
    case SIM_MODEL_LOOP:
        return (uint32_t)pool + 1; /* + the main or event-loop thread */
    default:
        return (uint32_t)pool;
    }
}

int
sim_model_trace_shared(enum sim_model m)
{
    return m == SIM_MODEL_PROCESSES;
}
