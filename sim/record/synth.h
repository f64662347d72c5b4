/*
 * synth.h - the tasks a recording's workload file is written from,
 * shared by synth.c (pool tasks and threads, and the file) and
 * synth_async.c (asyncio tasks). Private to sim/record/.
 */
#ifndef GILSIM_SYNTH_H
#define GILSIM_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"

/* One task's steps: kind letters ('c' cpu, 'n' native, 's' sleep), a
 * string, and their values in us. */
struct task {
    char *sig;
    double *v;
    size_t n;
};

struct tasks {
    struct task *t;
    size_t n, cap;
    int compacted;         /* a task was cut into blocks */
    uint64_t lock_waits;   /* waits for a contended threading.Lock */
    int64_t lock_wait_ns;  /* their wall */
    uint64_t async_inline; /* calls made inside an asyncio task's step */
    uint64_t async_sync;   /* an asyncio task's waits for a Semaphore or
                              Lock (no step: the loop's concurrency) */
    int64_t loop_cpu_ns;   /* the loop's own CPU, spread over the awaits */
    uint64_t async_awaits; /* awaits that waited for I/O or a timer */
};

/* Append a step of `us` (none under a microsecond; cpu after cpu is
 * one); *cap is t's capacity. 0 or -ENOMEM. */
int synth_step_add(struct task *t, char kind, double us, size_t *cap);

/* Cut a task of more than the format's steps into blocks. */
void synth_compact(struct task *t, int *compacted);

/* A new empty task at the end of ts. 0 or -ENOMEM. */
int synth_task_new(struct tasks *ts, struct task **out);

/* The asyncio tasks that made no other task, in the order they were
 * made (synth_async.c). 0 or -ENOMEM. */
int synth_async_tasks(const struct rec *r, struct tasks *ts);

/* The concurrency the asyncio tasks ran at: the initial value of the
 * one asyncio.Semaphore every one of them acquired, else 0 (no limit,
 * as gather). */
int synth_async_concurrency(const struct rec *r);

#endif /* GILSIM_SYNTH_H */
