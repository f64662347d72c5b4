/*
 * workload.c - building workloads: the task and step arrays, the cpu
 * countdown workload, and the names of step kinds and outcomes.
 *
 * A workload is three allocations: the struct itself, one array of
 * n_tasks tasks, and one array of steps, the sum of the tasks' rooms
 * (steps_per_task each, or rooms[i] for task i). Task i owns its slice of
 * step_storage and fills it with wl_task_add_step(), so no step is ever
 * allocated on its own. `n_steps_total` is that capacity, the length of
 * step_storage, not the number of steps added so far.
 *
 * The seed and convoy builders fill such a workload with fetch, cpu
 * (decode or WL_UNTIL_DONE) and write steps; see wl.h for their shapes.
 *
 * Includes only wl.h; knows nothing of the GIL.
 */
#include "wl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The workload with task i's room rooms[i], or every task's `each` when
 * rooms is NULL. */
static int
workload_alloc(const char *name, size_t n_tasks, const size_t *rooms,
               size_t each, struct wl_workload **out)
{
    struct wl_workload *w;
    size_t total = 0, at = 0, i;

    if (out == NULL || n_tasks == 0) {
        return -EINVAL;
    }
    for (i = 0; i < n_tasks; i++) {
        size_t r = rooms != NULL ? rooms[i] : each;

        if (r == 0) {
            return -EINVAL;
        }
        /* The sum must not wrap, nor its size in bytes. */
        if (r > SIZE_MAX / sizeof(struct wl_step) - total) {
            return -ENOMEM;
        }
        total += r;
    }
    w = calloc(1, sizeof(*w));
    if (w == NULL) {
        return -ENOMEM;
    }
    w->tasks = calloc(n_tasks, sizeof(*w->tasks));
    if (w->tasks == NULL) {
        goto fail_free;
    }
    w->step_storage = calloc(total, sizeof(struct wl_step));
    if (w->step_storage == NULL) {
        goto fail_tasks;
    }
    /* The name is copied and truncated to fit, as sim_trace names are. */
    if (name != NULL) {
        strncpy(w->name, name, sizeof(w->name) - 1);
        w->name[sizeof(w->name) - 1] = '\0';
    }
    w->n_tasks = n_tasks;
    w->n_steps_total = total;
    for (i = 0; i < n_tasks; i++) {
        w->tasks[i].id = (int32_t)i;
        w->tasks[i].n_steps = 0;
        w->tasks[i].room = rooms != NULL ? rooms[i] : each;
        w->tasks[i].steps = w->step_storage + at;
        at += w->tasks[i].room;
    }
    *out = w;
    return 0;
fail_tasks:
    free(w->tasks);
fail_free:
    free(w);
    return -ENOMEM;
}

int
wl_workload_new(const char *name, size_t n_tasks, size_t steps_per_task,
                struct wl_workload **out)
{
    if (n_tasks != 0 && steps_per_task > SIZE_MAX / n_tasks) {
        return -ENOMEM;
    }
    return workload_alloc(name, n_tasks, NULL, steps_per_task, out);
}

int
wl_workload_new_rooms(const char *name, size_t n_tasks, const size_t *rooms,
                      struct wl_workload **out)
{
    if (rooms == NULL) {
        return -EINVAL;
    }
    return workload_alloc(name, n_tasks, rooms, 0, out);
}

void
wl_workload_free(struct wl_workload *w)
{
    if (w == NULL) {
        return;
    }
    free(w->step_storage);
    free(w->tasks);
    free(w);
}

int
wl_task_add_step(struct wl_workload *w, size_t task, const struct wl_step *s)
{
    struct wl_task *t;

    if (w == NULL || s == NULL || task >= w->n_tasks) {
        return -EINVAL;
    }
    t = &w->tasks[task];
    if (t->n_steps >= t->room) {
        return -ENOSPC;
    }
    t->steps[t->n_steps] = *s;
    t->n_steps++;
    return 0;
}

int
wl_workload_cpu(int64_t count, size_t tasks, struct wl_workload **out)
{
    struct wl_workload *w;
    struct wl_step step;
    int64_t share;
    int64_t extra;
    size_t i;
    int rc;

    if (out == NULL || count < 1 || tasks < 1) {
        return -EINVAL;
    }
    if (count > INT64_MAX / WL_COUNTDOWN_INSTRUCTIONS) {
        return -EINVAL; /* the instruction count would overflow */
    }
    rc = wl_workload_new("cpu", tasks, 1, &w);
    if (rc != 0) {
        return rc;
    }
    /* Equal shares; the first `count % tasks` tasks take one more. The
     * size_t -> int64_t conversion is safe: a workload of more than
     * INT64_MAX tasks could not have been allocated. */
    share = count / (int64_t)tasks;
    extra = count % (int64_t)tasks;
    for (i = 0; i < tasks; i++) {
        memset(&step, 0, sizeof(step));
        step.kind = WL_STEP_CPU;
        step.instructions =
            (share + ((int64_t)i < extra ? 1 : 0)) * WL_COUNTDOWN_INSTRUCTIONS;
        step.code_call = 1; /* each thread calls countdown() once */
        rc = wl_task_add_step(w, i, &step);
        if (rc != 0) {
            wl_workload_free(w);
            return rc;
        }
    }
    *out = w;
    return 0;
}

int
wl_workload_seed(int64_t pages, double decode_instr_per_byte,
                 struct wl_workload **out)
{
    struct wl_workload *w;
    struct wl_step step;
    int64_t p;
    int rc;

    if (out == NULL || pages < 1 || !(decode_instr_per_byte >= 0.0)) {
        return -EINVAL;
    }
    if ((uint64_t)pages > SIZE_MAX) {
        return -ENOMEM;
    }
    rc = wl_workload_new("seed", (size_t)pages, 3, &w);
    if (rc != 0) {
        return rc;
    }
    for (p = 0; p < pages; p++) {
        memset(&step, 0, sizeof(step));
        step.kind = WL_STEP_FETCH;
        step.page = p;
        rc = wl_task_add_step(w, (size_t)p, &step);
        if (rc != 0) {
            goto fail;
        }
        /* The decode: no fixed work, only the per-byte part (r.text). */
        memset(&step, 0, sizeof(step));
        step.kind = WL_STEP_CPU;
        step.instr_per_byte = decode_instr_per_byte;
        rc = wl_task_add_step(w, (size_t)p, &step);
        if (rc != 0) {
            goto fail;
        }
        memset(&step, 0, sizeof(step));
        step.kind = WL_STEP_WRITE;
        step.page = p;
        rc = wl_task_add_step(w, (size_t)p, &step);
        if (rc != 0) {
            goto fail;
        }
    }
    *out = w;
    return 0;
fail:
    wl_workload_free(w);
    return rc;
}

int
wl_workload_convoy(int64_t ops, size_t cpu_threads, struct wl_workload **out)
{
    struct wl_workload *w;
    struct wl_step step;
    int64_t p;
    size_t i;
    int rc;

    if (out == NULL || ops < 1 || cpu_threads == SIZE_MAX) {
        return -EINVAL;
    }
    if ((uint64_t)ops > SIZE_MAX) {
        return -ENOMEM;
    }
    /* Every task gets room for `ops` steps; the CPU tasks use one. The
     * waste is ops x cpu_threads steps, small for the few CPU threads a
     * convoy run has. */
    rc = wl_workload_new("convoy", cpu_threads + 1, (size_t)ops, &w);
    if (rc != 0) {
        return rc;
    }
    for (p = 0; p < ops; p++) {
        memset(&step, 0, sizeof(step));
        step.kind = WL_STEP_FETCH;
        step.page = p;
        rc = wl_task_add_step(w, 0, &step);
        if (rc != 0) {
            goto fail;
        }
    }
    w->tasks[0].ends_run = 1;
    for (i = 1; i <= cpu_threads; i++) {
        memset(&step, 0, sizeof(step));
        step.kind = WL_STEP_CPU;
        step.instructions = WL_UNTIL_DONE;
        step.code_call = 1; /* each CPU thread calls its spin() once */
        rc = wl_task_add_step(w, i, &step);
        if (rc != 0) {
            goto fail;
        }
    }
    *out = w;
    return 0;
fail:
    wl_workload_free(w);
    return rc;
}

const char *
wl_step_kind_name(enum wl_step_kind k)
{
    switch (k) {
    case WL_STEP_CPU:
        return "cpu";
    case WL_STEP_SLEEP:
        return "sleep";
    case WL_STEP_FETCH:
        return "fetch";
    case WL_STEP_WRITE:
        return "write";
    case WL_STEP_NATIVE:
        return "native";
    case WL_STEP_LOCK:
        return "lock";
    case WL_STEP_UNLOCK:
        return "unlock";
    case WL_STEP_READ:
        return "read";
    }
    return "unknown";
}

const char *
wl_outcome_name(enum wl_outcome o)
{
    switch (o) {
    case WL_OK:
        return "ok";
    case WL_FAILED:
        return "failed";
    case WL_REFUSED:
        return "refused";
    case WL_TIMEOUT:
        return "timeout";
    case WL_HTTP_ERROR:
        return "http_error";
    case WL_IO_ERROR:
        return "io_error";
    case WL_ABORTED:
        return "aborted";
    }
    return "unknown";
}
