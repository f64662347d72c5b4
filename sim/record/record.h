/*
 * record.h - `gilsim record`: a real Python program run unchanged with
 * the probe (probe/gilsim_probe.py), and what the probe wrote turned into
 * a run folder. Private to sim/record/.
 *
 *   record.c    the command: the interpreter checked, the folder made,
 *               the program run with the probe on its path, its status
 *               passed on.
 *   raw.c       reads the probe's files (RECORD_DIR/raw/probe-PID.tsv)
 *               into a struct rec.
 *   measured.c  turns a struct rec into a gilsim trace and writes it as
 *               the run "measured": trace.tsv, trace.json, summary.json
 *               (schedule.c places the windows of Python).
 *   synth.c     writes the tasks as DIR/workload.json (synth_async.c: an
 *               asyncio program's).
 *   predict.c   `gilsim predict DIR`.
 */
#ifndef GILSIM_RECORD_H
#define GILSIM_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "run.h"

/* One blocking call, a thread's start or end, or a task's begin or end,
 * in the order the thread did them. */
enum rec_item_kind {
    REC_START = 0,
    REC_END = 1,
    REC_CALL = 2,
    REC_TASK_BEGIN = 3,
    REC_TASK_END = 4,
    REC_STEP = 5, /* one step of an asyncio task (its coroutine run once) */
    REC_HOLD_BEGIN = 6, /* a threading.Lock acquired (after any wait) */
    REC_HOLD_END = 7,   /* and released */
};

/* What a call was (the probe's `call` field). */
enum rec_call {
    REC_CALL_SLEEP = 0,
    REC_CALL_CONNECT,
    REC_CALL_ACCEPT,
    REC_CALL_SEND,
    REC_CALL_RECV,
    REC_CALL_SELECT,
    REC_CALL_READ,
    REC_CALL_WRITE,
    REC_CALL_WAIT,
    REC_CALL_QUEUE,
    REC_CALL_NATIVE,
    REC_CALL_LOCK, /* a threading.Lock acquire that had to wait */
    REC_CALL_COUNT
};

struct rec_item {
    int64_t t0, t1;     /* wall, CLOCK_MONOTONIC ns (t1 = t0 but calls) */
    int64_t cpu0, cpu1; /* the thread's CPU ns at t0 and t1 */
    int64_t bytes;      /* a call's bytes moved, -1 if none; a sleep's ns
                           asked for */
    int64_t wait_ns;    /* a call's end spent waiting for the GIL or a
                           core (an estimate, rec_write_measured's) */
    int64_t rq_ns;      /* of a call's wall, the time its thread was
                           runnable and had no core (0: not recorded) */
    int64_t pool, task; /* a task's, a step's */
    int64_t lock;       /* a hold's lock, numbered in its process */
    uint8_t kind;       /* enum rec_item_kind */
    uint8_t async;      /* a task of an asyncio loop (the pool's kind) */
    uint8_t call;       /* enum rec_call */
    uint8_t ok;         /* a call that returned (1) or raised (0) */
};

struct rec_thread {
    int64_t pid, tid;
    char name[40];
    int has_tasks; /* ran pool tasks: a worker of a pool (not a loop) */
    int has_steps; /* ran asyncio tasks' steps: an event loop's thread */
    int ended;     /* its end was read */
    struct rec_item *items;
    size_t n, cap;
};

struct rec_process {
    int64_t pid, ppid;
    int64_t t_start; /* the probe's start in it */
    int64_t t_last;  /* its last stamp */
    char python[16];
    int64_t switch_interval_ns; /* sys.getswitchinterval(), 0 if unknown */
    char ended[16];       /* "exit", "signal-15", or "" if it wrote no Z */
    int64_t probe_events; /* the probe's timed events (its O line) */
    int64_t probe_ns_per_event; /* what each cost, measured at its start */
    /* Of that cost, what falls outside a call's own span, between two
     * calls of a thread: what the recorded CPU between two calls holds of
     * the probe's work (0 when the O line does not say) */
    int64_t probe_ns_between;
};

struct rec_pool {
    int64_t id, pid;
    char kind[16];
    int64_t workers;
    int64_t max_fanout; /* asyncio: the most tasks one task made */
};

/* An asyncio task made while another ran (G): parent -1 for none. */
struct rec_spawn {
    int64_t pool, parent, task;
};

/* An asyncio task's acquire of an asyncio.Semaphore or Lock (W), from
 * its call to its return. */
struct rec_sync {
    int64_t t0, t1, pool, task;
    int64_t prim;  /* which primitive, numbered in its process */
    int64_t value; /* a semaphore's initial value; 1 for a lock */
    int is_lock;
};

struct rec {
    struct rec_process *procs; /* in the order they started: the program's
                                  own process first */
    size_t n_procs;
    struct rec_thread *threads;
    size_t n_threads;
    struct rec_pool *pools;
    size_t n_pools;
    struct rec_spawn *spawns;         /* by pool and parent */
    struct rec_spawn *spawns_by_task; /* the same, by pool and task */
    size_t n_spawns;
    struct rec_sync *syncs; /* by pool, task and start */
    size_t n_syncs;
    uint64_t calls;
    uint64_t partial_lines; /* a last line cut short (a killed process) */
    uint64_t calls_nested;  /* calls inside another, dropped */
};

/* Whether the recording has asyncio tasks that are kept (rec_task_kept:
 * the tasks its workload file is made of, rather than pool tasks). */
int rec_has_async_tasks(const struct rec *r);

/* From the first task's beginning to the last one's end (the kept
 * asyncio tasks when there are such, else the pool tasks), 0
 * when the recording has none: the span a model's wall measures. */
int64_t rec_tasks_wall(const struct rec *r);

/* Whether asyncio task (pool, task) is one of the program's tasks, the
 * workload file's: a child of the task that made the most (the loop's
 * largest fan-out: the coroutine that gathers them; the tasks they make
 * in turn, aiohttp's for one request, are theirs), or, when no task made
 * two, a task that made none. */
int rec_task_kept(const struct rec *r, int64_t pool, int64_t task);

/* Whether no task made asyncio task (pool, task): asyncio.run's main
 * coroutine, a task made from a callback. */
int rec_task_is_root(const struct rec *r, int64_t pool, int64_t task);

/* Sort r's spawns and acquires for rec_task_kept and rec_task_is_root
 * (tasks.c), once raw.c has read them. 0 or -ENOMEM. */
int rec_index_tasks(struct rec *r);

/* The probe's name for call c ("recv"). */
const char *rec_call_name(enum rec_call c);

/* Read every probe-PID.tsv of raw_dir into r (zeroed first), each
 * thread's items in time order. 0, or -errno / -EBADMSG with one line
 * naming the file and line in err. */
int rec_read_dir(const char *raw_dir, struct rec *r, char *err, size_t errlen);
void rec_clear(struct rec *r);

/* How the program ran its tasks: "loop" with the asyncio tasks'
 * concurrency (0: all at once) when it has asyncio tasks, else
 * "executor", "threads" or "processes" with its first pool's workers,
 * else "threads" with its threads, else "serial". */
struct rec_config {
    char model[16];
    int workers;
};

void rec_recorded_config(const struct rec *r, struct rec_config *cfg);

/* What cfg->workers counts: "threads", "processes", "tasks at once". */
const char *rec_config_unit(const struct rec_config *cfg);

/* Write dir/workload.json: the recording's tasks as a workload file
 * (synth.c); *cfg the recorded configuration, *n_tasks the tasks
 * written. 0, or -errno with one line in msg. */
int rec_write_workload(const char *dir, const struct rec *r, const char *name,
                       struct rec_config *cfg, size_t *n_tasks, char *msg,
                       size_t msglen);

/* Write the recording as run folder dir's run "measured":
 * dir/measured/trace.tsv and trace.json, and dir/summary.json (`command`
 * its command line), then the timelines and index.html (plots never
 * change the result; their trouble goes to err). *summary gets the run's
 * summary. It also estimates each call's wait_ns (measured.c). 0, or
 * -errno with one line in msg. */
int rec_write_measured(const char *dir, struct rec *r, const char *command,
                       const struct sim_options *o,
                       struct sim_trace_summary *summary, FILE *err, char *msg,
                       size_t msglen);

#endif /* GILSIM_RECORD_H */
