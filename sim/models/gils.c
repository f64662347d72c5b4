/*
 * gils.c - the GILs of one run, for the what-if policy per-interpreter
 * (PEP 684: one GIL per subinterpreter).
 *
 * Every other policy runs a model's threads on one GIL. Under
 * per-interpreter, the threads and executor models get
 * min(--interpreters, threads of the model) GILs (sim_opt_gil_count,
 * options.c), each a plain `new`
 * lock, and thread `index` of the model runs on GIL index mod K: pool
 * thread i (0-based) on i mod K; the executor's main thread (index 0) on
 * GIL 0 and worker k on k mod K. serial has one thread; processes already
 * has one GIL per worker process; the loop model keeps one GIL for its
 * event loop and offload pool (a subinterpreter per loop, as today). The
 * trace records each thread's GIL index (sim_trace_add_thread's `gil`), so
 * hand-off latency is measured per GIL, and the run's counters are the
 * sum over its GILs, which must equal the trace's counts.
 *
 * Nothing of sim/models is restructured: a model asks
 * sim_model__gil_for(p, index) instead of reading p->gil, and
 * sim_model__gil_stats(p, ...) instead of gil_get_stats(p->gil, ...).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "models_internal.h"

int
sim_run_gils_new(const struct gil_config *gc, int n, struct gil ***out)
{
    struct gil **gils;
    int i;
    int rc;

    if (n < 1) {
        return -EINVAL;
    }
    gils = calloc((size_t)n, sizeof(*gils));
    if (gils == NULL) {
        return -ENOMEM;
    }
    for (i = 0; i < n; i++) {
        rc = gil_new(gc, &gils[i]);
        if (rc != 0) {
            sim_run_gils_free(gils, i);
            return rc;
        }
    }
    *out = gils;
    return 0;
}

void
sim_run_gils_free(struct gil **gils, int n)
{
    int i;

    if (gils == NULL) {
        return;
    }
    for (i = 0; i < n; i++) {
        gil_free(gils[i]);
    }
    free(gils);
}

int
sim_model__gil_id(const struct sim_model_params *p, int index)
{
    if (p->n_gils <= 1 || p->gils == NULL || index < 0) {
        return 0;
    }
    return index % p->n_gils;
}

struct gil *
sim_model__gil_for(const struct sim_model_params *p, int index)
{
    if (p->n_gils <= 1 || p->gils == NULL) {
        return p->gil;
    }
    return p->gils[sim_model__gil_id(p, index)];
}

void
sim_model__gil_stats(const struct sim_model_params *p, struct gil_stats *out)
{
    struct gil_stats one;
    int i;

    if (p->n_gils <= 1 || p->gils == NULL) {
        gil_get_stats(p->gil, out);
        return;
    }
    memset(out, 0, sizeof(*out));
    for (i = 0; i < p->n_gils; i++) {
        gil_get_stats(p->gils[i], &one);
        gil_stats_add(out, &one);
    }
}
