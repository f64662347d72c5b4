/*
 * synth.h - the tasks a recording's workload file is written from,
 * shared by synth.c (pool tasks and threads, and the file) and
 * synth_async.c (asyncio tasks). Private to sim/record/.
 */
#ifndef GILSIM_SYNTH_H
#define GILSIM_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "record.h"
#include "wl.h"

/* The end of a lock's block in a task's step letters; 'A' + i opens
 * one under the file's lock i (synth_lock.c). */
#define SYNTH_CLOSE ')'

/* One task's steps: kind letters ('c' cpu, 'n' native, 's' sleep, and
 * the locks' blocks: 'A' + i ... SYNTH_CLOSE), a string, and their
 * values in us (an opening letter's: the lock's index). */
struct task {
    char *sig;
    double *v;
    size_t n;
};

/* A thread's hold of a lock, or a lock two threads held. */
struct synth_holder {
    int64_t pid, lock;
    size_t thread;
};

/* The locks the file names, and what of their holds was left out. */
struct synth_locks {
    struct synth_holder *shared; /* the locks two threads held, sorted */
    size_t n_shared;
    int64_t id[WL_MAX_LOCKS]; /* the probe's numbers, by index */
    int n;
    unsigned char inside[WL_MAX_LOCKS][WL_MAX_LOCKS]; /* [a][b]: b was
                                                         taken inside a,
                                                         or inside a lock
                                                         taken inside a */
    uint64_t holds;      /* holds met inside tasks */
    uint64_t left_own;   /* of locks only one thread held */
    uint64_t left_many;  /* of locks beyond WL_MAX_LOCKS */
    uint64_t left_order; /* taken inside itself or in both orders */
    uint64_t left_empty; /* no step inside */
    uint64_t cut_at_end; /* still open at the task's end */
};

/* The blocks open in the task being written: lock indexes, innermost
 * last. */
struct synth_open {
    int idx[WL_MAX_LOCKS];
    int n;
};

/* An asyncio loop's cold resumes (synth_resume.c): after each wake-up,
 * a window of Python at double cost. */
struct synth_resume {
    uint64_t steps;    /* the kept tasks' steps */
    uint64_t cold;     /* of them, the first after a wake-up */
    uint64_t wakes;    /* selects of 1 ms or more */
    size_t places;     /* places in a task that compare */
    int64_t after_ns;  /* the wait that opens one: a select this long */
    int64_t window_ns; /* the fitted window, 0 if none */
    int64_t extra_ns;  /* the kept steps' CPU the window explains */
    int64_t cpu_ns;    /* the kept steps' CPU */
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
    int64_t probe_ns;      /* the probe's own CPU taken out of cpu steps */
    int probe_unknown;     /* a process's probe did not say what it cost */
    uint64_t async_awaits; /* awaits that waited for I/O or a timer */
    struct synth_locks locks;
    struct synth_resume resume; /* an asyncio program's */
};

/* Append a step of `us` (none under a microsecond; cpu after cpu is
 * one), or a lock block's letter; *cap is t's capacity. 0 or -ENOMEM. */
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

/* qsort's order of pointers to asyncio steps (struct rec_item *): by
 * pool, task, then time. */
int synth_step_cmp(const void *a, const void *b);

/* The window of r's loop threads that makes their steps' hot CPU the
 * same wherever a step fell after a wake-up. 0 or -ENOMEM. */
int synth_async_resume(const struct rec *r, struct synth_resume *out);

/* The CPU (ns) window_ns put on each of loop thread th's items (0 but
 * for its steps; extra has th->n), and on the loop's own work between
 * them (*own_extra). 0 or -ENOMEM. */
int synth_resume_extra(const struct rec *r, const struct rec_thread *th,
                       int64_t window_ns, int64_t *extra, int64_t *own_extra);

/* Whether step letter c opens a lock's block. */
int synth_is_open(char c);

/* Find the locks of r two threads of a process held (l->shared; free
 * with synth_locks_clear). 0 or -ENOMEM. */
int synth_locks_find_shared(const struct rec *r, struct synth_locks *l);
void synth_locks_clear(struct synth_locks *l);

/* A hold of probe lock `lock` of process pid begins, or ends, in task t
 * (its blocks open in o; *cap its capacity): synth_lock.c. 0 or
 * -ENOMEM. */
int synth_hold_begin(struct tasks *ts, struct task *t, struct synth_open *o,
                     int64_t pid, int64_t lock, size_t *cap);
int synth_hold_end(struct tasks *ts, struct task *t, struct synth_open *o,
                   int64_t lock, size_t *cap);

/* The blocks still open at task t's end, ended. 0 or -ENOMEM. */
int synth_holds_close(struct tasks *ts, struct task *t, struct synth_open *o,
                      size_t *cap);

/* The file comment's line on the locks, when there were holds. */
void synth_say_locks(json_t *comment, const struct tasks *ts);

#endif /* GILSIM_SYNTH_H */
