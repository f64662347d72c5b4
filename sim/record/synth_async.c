/*
 * synth_async.c - an asyncio program's tasks as a workload file's tasks,
 * for the `loop` model (one event-loop thread runs every task's Python;
 * a task that awaits costs no thread).
 *
 * The probe wrote each step of each task (one run of its coroutine, A
 * lines, on the loop's thread), the tasks' makers (G) and their acquires
 * of an asyncio.Semaphore or Lock (W). The program's tasks are the
 * children of the task that made the most (rec_task_kept: the coroutine
 * that gathers them, whose awaits are its children's work, is left out;
 * so are the tasks they make in turn, aiohttp's for a request, whose
 * steps are the loop's own work below). They become the file's tasks, in
 * the order they were made:
 *
 *   - a step is a `cpu` step of its CPU time; a call made inside it (a
 *     blocking socket call or time.sleep in a coroutine, a hash) blocks
 *     the loop, so its wall time is cpu too;
 *   - between two steps the task was suspended. From its step's end it
 *     waited for I/O or a timer until the loop's next select returned
 *     with it ready, then in the loop's ready queue behind other tasks'
 *     steps until its own ran. The first part is a `sleep` step of that
 *     long (the end of the loop thread's last select before the next
 *     step, when that select ended after the step's end; none when no
 *     select came between: the task was ready at once, woken by another
 *     task). The queue is the model's to recreate, as the GIL's wait
 *     is for threads.
 *   - a suspension inside an acquire of an asyncio.Semaphore or Lock is
 *     no step at all: it waited for other tasks, which is the loop's
 *     concurrency (synth_async_concurrency: the semaphore every task
 *     acquired), not work of its own.
 *   - a step's cpu is its hot CPU when the recording's loop resumed
 *     cold (synth_resume.c): what the window after each wake-up added
 *     to it is taken off, since the replay's loop adds the window after
 *     its own wake-ups (the file's "cold_resume");
 *   - the loop thread's CPU outside the program's tasks' steps and the
 *     selects (the event loop's own turns, the protocols' data_received,
 *     transports' writes, the helper tasks) is spread evenly over the
 *     awaits that waited for I/O, as cpu at each resume: what the loop
 *     pays per wake-up.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "synth.h"

int
synth_step_cmp(const void *a, const void *b)
{
    const struct rec_item *x = *(const struct rec_item *const *)a;
    const struct rec_item *y = *(const struct rec_item *const *)b;

    if (x->pool != y->pool) {
        return x->pool < y->pool ? -1 : 1;
    }
    if (x->task != y->task) {
        return x->task < y->task ? -1 : 1;
    }
    return x->t0 < y->t0 ? -1 : x->t0 > y->t0 ? 1 : 0;
}

/* The end of the loop's last select that ended at or before t (sel:
 * the ends, in order), or INT64_MIN. */
static int64_t
last_select_end(const int64_t *sel, size_t n, int64_t t)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;

        if (sel[mid] <= t) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo == 0 ? INT64_MIN : sel[lo - 1];
}

/* The first of r's acquires (sorted by pool, task, start) of task
 * (pool, task), or r->n_syncs. */
static size_t
first_acquire(const struct rec *r, int64_t pool, int64_t task)
{
    size_t lo = 0, hi = r->n_syncs;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const struct rec_sync *w = &r->syncs[mid];

        if (w->pool < pool || (w->pool == pool && w->task < task)) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/* Whether task (pool, task) was inside an acquire across (e, s). */
static int
in_acquire(const struct rec *r, int64_t pool, int64_t task, int64_t e,
           int64_t s)
{
    size_t i;

    for (i = first_acquire(r, pool, task);
         i < r->n_syncs && r->syncs[i].pool == pool && r->syncs[i].task == task;
         i++) {
        if (r->syncs[i].t0 <= e && r->syncs[i].t1 >= s) {
            return 1;
        }
    }
    return 0;
}

/* One loop thread's view: its selects' ends and its calls. */
struct loop_view {
    const struct rec *r;
    const struct rec_thread *th;
    int64_t *sel;
    size_t n_sel;
    const struct rec_item **steps;
    size_t n_steps;
    int64_t *extra; /* each item's cold-resume CPU (synth_resume_extra) */
};

/* The index of th's first item that starts at or after t. */
static size_t
first_item_at(const struct rec_thread *th, int64_t t)
{
    size_t lo = 0, hi = th->n;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;

        if (th->items[mid].t0 < t) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/* Step x's own time on the loop (us): its CPU, with the calls inside it
 * counted at their wall. *calls_cpu gets those calls' CPU. */
static double
step_us(const struct loop_view *lv, const struct rec_item *x,
        uint64_t *inline_calls, int64_t *calls_cpu)
{
    int64_t cpu = x->cpu1 - x->cpu0, wall = 0, ccpu = 0;
    size_t k;

    for (k = first_item_at(lv->th, x->t0); k < lv->th->n; k++) {
        const struct rec_item *it = &lv->th->items[k];

        if (it->t0 >= x->t1) {
            break;
        }
        if (it->kind == REC_CALL) {
            wall += it->t1 - it->t0;
            ccpu += it->cpu1 - it->cpu0;
            (*inline_calls)++;
        }
    }
    *calls_cpu = ccpu;
    cpu -= ccpu;
    return (double)((cpu > 0 ? cpu : 0) + wall) / 1e3;
}

/* The I/O part (ns) of task x's suspension from step a to step b; -1
 * inside an acquire. */
static int64_t
await_io(const struct rec *r, const struct loop_view *lv,
         const struct rec_item *a, const struct rec_item *b)
{
    int64_t ready;

    if (in_acquire(r, a->pool, a->task, a->t1, b->t0)) {
        return -1;
    }
    ready = last_select_end(lv->sel, lv->n_sel, b->t0);
    return ready > a->t1 ? ready - a->t1 : 0;
}

/* The tasks of loop thread lv, with share_us of the loop's own CPU at
 * each resume from I/O; with count_only, only counts the awaits (and
 * calls inside steps) into ts. */
static int
loop_tasks(const struct rec *r, struct loop_view *lv, double share_us,
           struct tasks *ts, int count_only)
{
    size_t i = 0;
    int rc = 0;

    while (rc == 0 && i < lv->n_steps) {
        const struct rec_item *first = lv->steps[i];
        struct task *cur = NULL;
        size_t cap = 0, j = i;
        int keep = rec_task_kept(r, first->pool, first->task);

        if (keep && !count_only) {
            rc = synth_task_new(ts, &cur);
        }
        for (;
             rc == 0 && j < lv->n_steps && lv->steps[j]->pool == first->pool &&
             lv->steps[j]->task == first->task;
             j++) {
            const struct rec_item *x = lv->steps[j];
            uint64_t inl = 0;
            int64_t ccpu, io = 0;
            double us = step_us(lv, x, &inl, &ccpu);

            if (lv->extra != NULL) {
                /* Its hot CPU: the replay's loop adds the window. */
                us -= (double)lv->extra[x - lv->th->items] / 1e3;
                us = us > 0.0 ? us : 0.0;
            }

            if (j > i) {
                io = await_io(r, lv, lv->steps[j - 1], x);
            }
            if (!keep) {
                continue;
            }
            if (count_only) {
                ts->async_awaits += io > 0;
                ts->async_sync += io < 0;
                ts->async_inline += inl;
                continue;
            }
            if (io > 0) {
                rc = synth_step_add(cur, 's', (double)io / 1e3, &cap);
                us += share_us;
            }
            if (rc == 0) {
                rc = synth_step_add(cur, 'c', us, &cap);
            }
        }
        if (cur != NULL) {
            synth_compact(cur, &ts->compacted);
        }
        i = j;
    }
    return rc;
}

/* The loop thread's CPU outside its steps and the calls outside them,
 * from its first step to its last. */
static int64_t
loop_own_cpu(const struct loop_view *lv)
{
    const struct rec_thread *th = lv->th;
    int64_t first_cpu = 0, last_cpu = 0, t_from = INT64_MAX, t_to = INT64_MIN,
            used = 0;
    size_t k;

    for (k = 0; k < lv->n_steps; k++) {
        const struct rec_item *x = lv->steps[k];
        uint64_t inl = 0;
        int64_t ccpu;

        /* The step's CPU counts its inline calls': taken off here, as
         * every call of the span is added below. The steps of tasks
         * neither kept nor roots (made by a kept task: aiohttp's for a
         * request) are the loop's own work for the kept ones. */
        (void)step_us(lv, x, &inl, &ccpu);
        if (rec_task_kept(lv->r, x->pool, x->task) ||
            rec_task_is_root(lv->r, x->pool, x->task)) {
            used += x->cpu1 - x->cpu0 - ccpu;
        } else {
            used -= ccpu; /* its calls are the loop's too */
        }
        if (x->t0 < t_from) {
            t_from = x->t0;
            first_cpu = x->cpu0;
        }
        if (x->t1 > t_to) {
            t_to = x->t1;
            last_cpu = x->cpu1;
        }
    }
    for (k = first_item_at(th, t_from); k < th->n && th->items[k].t0 < t_to;
         k++) {
        const struct rec_item *it = &th->items[k];

        if (it->kind == REC_CALL) {
            used += it->cpu1 - it->cpu0;
        }
    }
    return t_to > t_from && last_cpu - first_cpu > used
               ? last_cpu - first_cpu - used
               : 0;
}

static int
view_of(const struct rec *r, const struct rec_thread *th, struct loop_view *lv)
{
    size_t k;

    memset(lv, 0, sizeof(*lv));
    lv->r = r;
    lv->th = th;
    lv->sel = malloc((th->n + 1) * sizeof(*lv->sel));
    lv->steps = malloc((th->n + 1) * sizeof(*lv->steps));
    if (lv->sel == NULL || lv->steps == NULL) {
        return -ENOMEM;
    }
    for (k = 0; k < th->n; k++) {
        const struct rec_item *it = &th->items[k];

        if (it->kind == REC_STEP) {
            lv->steps[lv->n_steps++] = it;
        } else if (it->kind == REC_CALL && it->call == REC_CALL_SELECT) {
            lv->sel[lv->n_sel++] = it->t1;
        }
    }
    qsort(lv->steps, lv->n_steps, sizeof(*lv->steps), synth_step_cmp);
    return 0;
}

int
synth_async_tasks(const struct rec *r, struct tasks *ts)
{
    size_t i;
    int rc = 0;

    for (i = 0; rc == 0 && i < r->n_threads; i++) {
        struct loop_view lv;
        double share_us;

        if (!r->threads[i].has_steps) {
            continue;
        }
        rc = view_of(r, &r->threads[i], &lv);
        if (rc == 0) {
            uint64_t awaits = ts->async_awaits;
            int64_t own = loop_own_cpu(&lv);

            rc = loop_tasks(r, &lv, 0, ts, 1);
            if (rc == 0 && ts->resume.window_ns > 0) {
                int64_t own_extra = 0;

                lv.extra = malloc((lv.th->n + 1) * sizeof(*lv.extra));
                rc = lv.extra == NULL
                         ? -ENOMEM
                         : synth_resume_extra(r, lv.th, ts->resume.window_ns,
                                              lv.extra, &own_extra);
                /* The loop's own work after a wake-up ran cold too. */
                own = own > own_extra ? own - own_extra : 0;
            }
            awaits = ts->async_awaits - awaits;
            share_us = awaits > 0 ? (double)own / 1e3 / (double)awaits : 0;
            ts->loop_cpu_ns += own;
            if (rc == 0) {
                rc = loop_tasks(r, &lv, share_us, ts, 0);
            }
        }
        free(lv.sel);
        free(lv.steps);
        free(lv.extra);
    }
    return rc;
}

int
synth_async_concurrency(const struct rec *r)
{
    int64_t prim = -1, pool = -1, value = 0;
    size_t i, k;

    /* Every kept task must have acquired one semaphore. */
    for (i = 0; i < r->n_threads; i++) {
        for (k = 0; k < r->threads[i].n; k++) {
            const struct rec_item *it = &r->threads[i].items[k];
            size_t w;
            int found = 0;

            if (it->kind != REC_TASK_BEGIN || !it->async ||
                !rec_task_kept(r, it->pool, it->task)) {
                continue;
            }
            for (w = first_acquire(r, it->pool, it->task);
                 w < r->n_syncs && r->syncs[w].pool == it->pool &&
                 r->syncs[w].task == it->task && !found;
                 w++) {
                const struct rec_sync *s = &r->syncs[w];

                if (s->is_lock) {
                    continue;
                }
                if (prim == -1) {
                    prim = s->prim;
                    pool = s->pool;
                    value = s->value;
                }
                found = s->prim == prim && s->pool == pool;
            }
            if (!found) {
                return 0;
            }
        }
    }
    return value > 0 && value <= 1000000 ? (int)value : 0;
}
