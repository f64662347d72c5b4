/*
 * synth_resume.c - how much more an asyncio task's step cost when its
 * loop had just slept: said in the workload file's comment, because the
 * replay cannot yet tell a cold resume from a hot one.
 *
 * Python that runs right after its thread slept costs more CPU than the
 * same Python run hot: its caches, branch predictors and TLB were others'
 * meanwhile (bench/fidelity/cold_resume.py: http.client parsing a reply,
 * 24 us hot, 210 us after a 5 ms sleep, on the 2-core VM). An event loop
 * that waits on few tasks sleeps in select between replies, so nearly
 * every step resumes cold; one with many tasks at once rarely sleeps. The
 * workload file's cpu steps carry the CPU as recorded, so a replay at
 * another concurrency keeps the recording's mix.
 *
 * Measured here, on each loop thread: a step is cold when the loop
 * slept in a select of RESUME_COLD_NS or more since the last step of the
 * program's tasks (the loop's reads, a select that returns at once, and
 * the steps of the tasks they made, aiohttp's for a request, often come
 * between); else hot. For each place in a task
 * (its first step, its second, ...) with MIN_SAMPLES cold and hot steps
 * of kept tasks, the difference of their median CPU; the estimate is the
 * median of those differences. Steps are compared at the same place so
 * that a task's different kinds of work (connecting, parsing) do not
 * pass for coldness.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "synth.h"

#define RESUME_COLD_NS INT64_C(1000000)
#define MIN_SAMPLES    3

/* One kept task's step: its place in the task, CPU, and coldness. */
struct placed_step {
    size_t place;
    int64_t cpu;
    int cold;
};

static int
by_place_cold_cpu(const void *a, const void *b)
{
    const struct placed_step *x = a, *y = b;

    if (x->place != y->place) {
        return x->place < y->place ? -1 : 1;
    }
    if (x->cold != y->cold) {
        return x->cold < y->cold ? -1 : 1;
    }
    return x->cpu < y->cpu ? -1 : x->cpu > y->cpu ? 1 : 0;
}

static int
by_value(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return x < y ? -1 : x > y ? 1 : 0;
}

/* Loop thread th's kept steps, each with its place and coldness, added
 * to *v (room for th->n more). */
static int
thread_steps(const struct rec *r, const struct rec_thread *th,
             struct placed_step *v, size_t *n, struct synth_resume *out)
{
    const struct rec_item **steps = malloc((th->n + 1) * sizeof(*steps));
    unsigned char *cold = calloc(th->n + 1, 1);
    size_t k, m = 0, place = 0;
    int after_sleep = 0;

    if (steps == NULL || cold == NULL) {
        free(steps);
        free(cold);
        return -ENOMEM;
    }
    /* In time order: a select that slept makes the next step cold. */
    for (k = 0; k < th->n; k++) {
        const struct rec_item *it = &th->items[k];

        if (it->kind == REC_STEP) {
            cold[k] = (unsigned char)after_sleep;
            if (rec_task_kept(r, it->pool, it->task)) {
                after_sleep = 0; /* (a helper task's step runs first) */
            }
            steps[m++] = it;
        } else if (it->kind == REC_CALL && it->call == REC_CALL_SELECT &&
                   it->t1 - it->t0 >= RESUME_COLD_NS) {
            after_sleep = 1;
        }
    }
    qsort(steps, m, sizeof(*steps), synth_step_cmp);
    for (k = 0; k < m; k++) {
        const struct rec_item *x = steps[k];

        place = k > 0 && steps[k - 1]->pool == x->pool &&
                        steps[k - 1]->task == x->task
                    ? place + 1
                    : 0;
        if (!rec_task_kept(r, x->pool, x->task)) {
            continue;
        }
        v[*n].place = place;
        v[*n].cpu = x->cpu1 - x->cpu0;
        v[*n].cold = cold[x - th->items];
        out->cold += (uint64_t)v[*n].cold;
        out->steps++;
        (*n)++;
    }
    free(steps);
    free(cold);
    return 0;
}

int
synth_async_resume(const struct rec *r, struct synth_resume *out)
{
    struct placed_step *v;
    int64_t *diffs;
    size_t room = 1, n = 0, nd = 0, i, j;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    for (i = 0; i < r->n_threads; i++) {
        room += r->threads[i].has_steps ? r->threads[i].n : 0;
    }
    v = malloc(room * sizeof(*v));
    diffs = malloc(room * sizeof(*diffs));
    if (v == NULL || diffs == NULL) {
        free(v);
        free(diffs);
        return -ENOMEM;
    }
    for (i = 0; rc == 0 && i < r->n_threads; i++) {
        if (r->threads[i].has_steps) {
            rc = thread_steps(r, &r->threads[i], v, &n, out);
        }
    }
    if (rc == 0 && n > 0) {
        qsort(v, n, sizeof(*v), by_place_cold_cpu);
    }
    /* Each place: its hot steps, then its cold ones, each by CPU. */
    for (i = 0; rc == 0 && i < n; i = j) {
        size_t hot = 0, cold;

        for (j = i; j < n && v[j].place == v[i].place; j++) {
            hot += !v[j].cold;
        }
        cold = j - i - hot;
        if (hot >= MIN_SAMPLES && cold >= MIN_SAMPLES) {
            diffs[nd++] = v[i + hot + cold / 2].cpu - v[i + hot / 2].cpu;
            out->places++;
        }
    }
    if (nd > 0) {
        qsort(diffs, nd, sizeof(*diffs), by_value);
        out->extra_ns = diffs[nd / 2];
    }
    free(v);
    free(diffs);
    return rc;
}
