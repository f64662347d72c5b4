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
 *               the run "measured": trace.tsv, trace.json, summary.json.
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
    REC_CALL_COUNT
};

struct rec_item {
    int64_t t0, t1;     /* wall, CLOCK_MONOTONIC ns (t1 = t0 but calls) */
    int64_t cpu0, cpu1; /* the thread's CPU ns at t0 and t1 */
    int64_t bytes;      /* a call's bytes moved, -1 if none; a sleep's ns
                           asked for */
    int64_t wait_ns;    /* a call's end spent waiting for the GIL (an
                           estimate, rec_write_measured's) */
    int64_t pool, task; /* a task's */
    uint8_t kind;       /* enum rec_item_kind */
    uint8_t call;       /* enum rec_call */
    uint8_t ok;         /* a call that returned (1) or raised (0) */
};

struct rec_thread {
    int64_t pid, tid;
    char name[40];
    int has_tasks; /* ran pool tasks: a worker of a pool */
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
    char ended[16]; /* "exit", "signal-15", or "" if it wrote no Z */
};

struct rec_pool {
    int64_t id, pid;
    char kind[16];
    int64_t workers;
};

struct rec {
    struct rec_process *procs;
    size_t n_procs;
    struct rec_thread *threads;
    size_t n_threads;
    struct rec_pool *pools;
    size_t n_pools;
    uint64_t calls;
    uint64_t partial_lines; /* a last line cut short (a killed process) */
    uint64_t calls_nested;  /* calls inside another, dropped */
};

/* From the first pool task's beginning to the last one's end, 0 when
 * the recording has no pool task: the span a model's wall measures. */
int64_t rec_tasks_wall(const struct rec *r);

/* The probe's name for call c ("recv"). */
const char *rec_call_name(enum rec_call c);

/* Read every probe-PID.tsv of raw_dir into r (zeroed first), each
 * thread's items in time order. 0, or -errno / -EBADMSG with one line
 * naming the file and line in err. */
int rec_read_dir(const char *raw_dir, struct rec *r, char *err, size_t errlen);
void rec_clear(struct rec *r);

/* How the program ran its tasks: "executor", "threads" or "processes"
 * with its first pool's workers, else "threads" with its threads, else
 * "serial". */
struct rec_config {
    char model[16];
    int workers;
};

void rec_recorded_config(const struct rec *r, struct rec_config *cfg);

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
