/*
 * trace.h - the public interface of sim/trace/: the per-thread event
 * recorder, the derivation of state segments, the summary numbers, and the
 * writers (TSV, Chrome Trace Event JSON for Perfetto, summary.json).
 *
 * Recording: sim_trace_new() maps one region that holds a header and a
 * fixed-capacity event array for each of `max_threads` threads (anonymous
 * mmap, MAP_NORESERVE, so untouched capacity costs no memory; MAP_SHARED
 * when `shared` is set, so forked workers can record into it). Each thread
 * records only into its own buffer with sim_trace_record(), which takes no
 * lock and allocates nothing; an event that does not fit is counted in
 * `lost`, never silently dropped. Readers (segments, summary, writers) run
 * after the recording threads have been joined.
 *
 * This module is its own library because both sim/ and plots/ use it; it
 * includes no header of gil/ or workloads/. Enums that mirror theirs (drop
 * reasons, step kinds, outcomes) are mapped by sim/.
 *
 * Ownership: arguments are borrowed; what _new returns belongs to the
 * caller until _free. Writers borrow the trace and a FILE * they never
 * close.
 */
#ifndef GILSIM_TRACE_H
#define GILSIM_TRACE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SIM_TRACE_WARN_UNUSED __attribute__((warn_unused_result))

enum sim_ev {
    SIM_EV_THREAD_START = 0,
    SIM_EV_THREAD_END = 1,
    SIM_EV_TASK_BEGIN = 2,       /* task = task id */
    SIM_EV_TASK_END = 3,         /* task = task id; outcome = worst step's */
    SIM_EV_STEP_BEGIN = 4,       /* detail = enum sim_step */
    SIM_EV_STEP_END = 5,         /* detail = enum sim_step, outcome, arg =
                                    instructions run or bytes moved */
    SIM_EV_GIL_WAIT = 6,         /* found the GIL held; starts waiting */
    SIM_EV_GIL_TAKE = 7,         /* arg = 1 if the holder changed */
    SIM_EV_GIL_DROP = 8,         /* detail = enum sim_drop */
    SIM_EV_GIL_DROP_REQUEST = 9, /* this thread, waiting, asked the holder
                                    to drop */
    SIM_EV_RESULT = 10,          /* the thread collected task `task`'s result
                                    (executor's main thread); not a step */
    SIM_EV_COUNT
};

/* Mirrors enum gil_drop_reason. */
enum sim_drop {
    SIM_DROP_IO = 0,
    SIM_DROP_FORCED = 1,
    SIM_DROP_YIELD = 2,
    SIM_DROP_EXIT = 3,
    SIM_DROP_IDLE = 4, /* recordings only: a pool thread, between tasks,
                          waits for the next in its queue */
    SIM_DROP_COUNT
};

/* Mirrors enum wl_step_kind. */
enum sim_step {
    SIM_STEP_CPU = 0,
    SIM_STEP_SLEEP = 1,
    SIM_STEP_FETCH = 2,
    SIM_STEP_WRITE = 3,
    SIM_STEP_NATIVE = 4,
    SIM_STEP_LOCK = 5,   /* a threading.Lock's acquire; arg: which lock */
    SIM_STEP_UNLOCK = 6, /* its release; arg: which lock */
    SIM_STEP_READ = 7,   /* a file read; arg: bytes */
    /* Only in recordings of real programs (gilsim record): */
    SIM_STEP_NET = 8,  /* a socket call (connect, send, recv, accept) */
    SIM_STEP_WAIT = 9, /* select, a child process, a queue: waiting on
                          something else; arg: bytes, or 0 */
    SIM_STEP_COUNT
};

/* Mirrors enum wl_outcome. 0 is success; anything else is a failed step. */
enum sim_outcome {
    SIM_OUT_OK = 0,
    SIM_OUT_FAILED = 1,  /* unspecified failure */
    SIM_OUT_REFUSED = 2, /* connection refused */
    SIM_OUT_TIMEOUT = 3, /* connect or transfer timeout */
    SIM_OUT_HTTP = 4,    /* HTTP status >= 400 */
    SIM_OUT_IO = 5,      /* local I/O error (write, rename) */
    SIM_OUT_ABORTED = 6, /* stopped by Ctrl-C or a dead worker */
    SIM_OUT_COUNT
};

/* Per-thread states derived from the events. */
enum sim_state {
    SIM_STATE_IDLE = 0,    /* started, wants nothing */
    SIM_STATE_RUNNING = 1, /* holds the GIL (nogil: attached), CPU work */
    SIM_STATE_WAITING = 2, /* wants the GIL */
    SIM_STATE_IO = 3,      /* GIL released, blocked in I/O or sleep */
    SIM_STATE_NATIVE = 4,  /* GIL released, running C code (a native step) */
    SIM_STATE_LOCK = 5,    /* GIL released, blocked on a threading.Lock */
    SIM_STATE_COUNT
};

/* One event: 24 bytes, fixed size. */
struct sim_trace_event {
    int64_t t_ns;    /* CLOCK_MONOTONIC (or the virtual clock) */
    int64_t arg;     /* kind-specific, see enum sim_ev */
    int32_t task;    /* task id, or -1 outside a task */
    uint8_t kind;    /* enum sim_ev */
    uint8_t detail;  /* enum sim_drop or enum sim_step */
    uint8_t outcome; /* enum sim_outcome, on STEP_END and TASK_END */
    uint8_t pad;
};

/*
 * One thread's buffer. The owning thread writes `n`, `lost` and `ev[]`
 * without a lock; nobody else reads them until that thread is joined (or,
 * for a forked worker, has exited).
 */
struct sim_trace_buf {
    struct sim_trace_event *ev; /* capacity `cap`, inside the trace's map */
    uint64_t n;                 /* events recorded */
    uint64_t cap;               /* events that fit */
    uint64_t lost;              /* events that did not fit */
    int32_t id;                 /* index of this thread in the trace */
    int32_t process;            /* 0 = this process; k = worker k */
    int32_t gil;                /* which GIL the thread runs under */
    char name[40];              /* e.g. "worker-3"; NUL-terminated */
};

struct sim_trace_config {
    uint32_t max_threads;       /* buffers to reserve (>= 1) */
    uint64_t events_per_thread; /* capacity of each buffer (>= 16) */
    int shared;                 /* 1: MAP_SHARED, for fork()ed recorders */
    int64_t origin_ns;          /* t = 0 in writers (the run's start) */
};

struct sim_trace;

int sim_trace_new(const struct sim_trace_config *cfg,
                  struct sim_trace **out) SIM_TRACE_WARN_UNUSED;
void sim_trace_free(struct sim_trace *t);

/* Claim the next buffer; call before the recording thread starts. The name
 * is copied (truncated to fit). -ENOSPC when max_threads are taken. */
int sim_trace_add_thread(struct sim_trace *t, const char *name, int process,
                         int gil,
                         struct sim_trace_buf **out) SIM_TRACE_WARN_UNUSED;

size_t sim_trace_thread_count(const struct sim_trace *t);
const struct sim_trace_buf *sim_trace_thread(const struct sim_trace *t,
                                             size_t i);
int64_t sim_trace_origin_ns(const struct sim_trace *t);
void sim_trace_set_origin_ns(struct sim_trace *t, int64_t origin_ns);
/* The earliest event of any thread, INT64_MAX if there is none. */
int64_t sim_trace_first_ns(const struct sim_trace *t);

/* Which part of a thread's events the files get when it has more than
 * they should hold (--trace=head or ring). */
enum sim_trace_keep {
    SIM_TRACE_KEEP_HEAD = 0, /* the first N: how the run began */
    SIM_TRACE_KEEP_RING = 1, /* the last N: how it ended */
};

/* What sim_trace_keep cut. */
struct sim_trace_cut {
    uint64_t events; /* events no longer in the buffers */
    /* The files hold every thread's events from complete_from_ns (ring;
     * INT64_MIN when nothing was cut) up to complete_to_ns (head;
     * INT64_MAX when nothing was cut). */
    int64_t complete_from_ns, complete_to_ns;
};

/* Cut every thread's buffer to at most `per_thread` events, its first
 * (head) or its last (ring, moved to the front). Call after the
 * statistics, which want every event, and before the writers. */
void sim_trace_keep(struct sim_trace *t, enum sim_trace_keep mode,
                    uint64_t per_thread, struct sim_trace_cut *cut);

/* What a failed step's outcome and code (its STEP_END arg) mean, in
 * words, for the writers; set by whoever knows the codes (sim/ gives
 * wl_failure_text). Without one, trace.json has the code alone. */
typedef void (*sim_trace_fail_text_fn)(int outcome, int64_t code, char *buf,
                                       size_t len);
void sim_trace_set_fail_text(struct sim_trace *t, sim_trace_fail_text_fn fn);
sim_trace_fail_text_fn sim_trace_fail_text(const struct sim_trace *t);

/* The hot path: no lock, no allocation, no system call. */
static inline void
sim_trace_record(struct sim_trace_buf *b, int64_t t_ns, enum sim_ev kind,
                 int detail, int outcome, int32_t task, int64_t arg)
{
    if (b->n < b->cap) {
        struct sim_trace_event *e = &b->ev[b->n];
        e->t_ns = t_ns;
        e->arg = arg;
        e->task = task;
        e->kind = (uint8_t)kind;
        e->detail = (uint8_t)detail;
        e->outcome = (uint8_t)outcome;
        e->pad = 0;
        b->n++;
    } else {
        b->lost++;
    }
}

/* Names used in the TSV, the JSON and the docs. */
const char *sim_trace_ev_name(enum sim_ev k);
const char *sim_trace_drop_name(enum sim_drop d);
const char *sim_trace_step_name(enum sim_step s);
const char *sim_trace_outcome_name(enum sim_outcome o);
const char *sim_trace_state_name(enum sim_state s);

/* A stretch of time one thread spent in one state. */
struct sim_segment {
    int64_t begin_ns; /* absolute, same clock as the events */
    int64_t end_ns;
    uint32_t thread; /* index into the trace's threads */
    uint8_t state;   /* enum sim_state (enum sim_step: step segments) */
};

/*
 * Derive the state segments of every thread, ordered by thread and then by
 * time. Rules: THREAD_START -> idle; GIL_WAIT -> waiting; GIL_TAKE ->
 * running; GIL_DROP io -> io; GIL_DROP forced/yield -> waiting; GIL_DROP
 * exit -> idle; THREAD_END closes the last segment. Zero-length segments
 * are omitted. *out is malloc'd; the caller frees it.
 */
int sim_trace_segments(const struct sim_trace *t, struct sim_segment **out,
                       size_t *n) SIM_TRACE_WARN_UNUSED;
/*
 * The same for steps: each thread's stretches inside a step, `state`
 * holding the step's kind (enum sim_step). Where steps overlap on one
 * thread (the event loop's), the one begun last of those still open
 * counts. *out is malloc'd; the caller frees it.
 */
int sim_trace_step_segments(const struct sim_trace *t, struct sim_segment **out,
                            size_t *n) SIM_TRACE_WARN_UNUSED;

/* Numbers derived from the events alone. */
struct sim_trace_stats {
    uint64_t events;      /* recorded, all threads */
    uint64_t events_lost; /* did not fit in a buffer */
    uint64_t takes, drops, waits, switches;
    uint64_t drop_requests;   /* SIM_EV_GIL_DROP_REQUEST events */
    uint64_t forced_switches; /* GIL_DROP with SIM_DROP_FORCED */
    uint64_t tasks;           /* TASK_END events */
    uint64_t steps_ok, steps_failed;
    uint64_t steps_failed_by[SIM_OUT_COUNT]; /* by outcome */
    /* Per outcome, the failure code (STEP_END's arg: an HTTP status, a
     * CURLcode, an errno) of its earliest failed step, and when it ended. */
    int64_t fail_code[SIM_OUT_COUNT];
    int64_t fail_first_ns[SIM_OUT_COUNT];
    int64_t hold_ns, wait_ns, io_ns, idle_ns; /* summed over threads */
    /* Hand-off: from a GIL_DROP to the next GIL_TAKE of the same GIL by a
     * different thread that was waiting (GIL_WAIT before it). */
    uint64_t handoffs;
    int64_t handoff_p50_ns, handoff_p99_ns, handoff_max_ns;
    /* Fetch steps, STEP_BEGIN to STEP_END of SIM_STEP_FETCH, whatever the
     * outcome: what one request cost the thread that made it, GIL waits
     * included (the convoy workload's per-operation latency). */
    uint64_t fetches;
    int64_t fetch_p50_ns, fetch_p99_ns, fetch_max_ns;
};

int sim_trace_stats(const struct sim_trace *t,
                    struct sim_trace_stats *out) SIM_TRACE_WARN_UNUSED;
/* s (at most `max` bytes, stopping at a NUL) as a quoted JSON string:
 * the one string escaper of every JSON file gilsim writes. ", \ and
 * control characters are escaped; valid UTF-8 is kept as it is and each
 * invalid byte sequence becomes \ufffd, so the output is always valid. */
void sim_trace_json_string(FILE *f, const char *s, size_t max);

/* One entry of summary.json's "runs": what was run and what it gave. */
struct sim_trace_summary {
    char model[16];
    char policy[16];
    int policy_what_if; /* 1 if the policy is a what-if experiment */
    char workload[64];
    char client[20]; /* the HTTP client its fetches stand for; "" if none */
    int threads;
    int processes;
    int concurrency; /* the loop's --concurrency (0: no limit, and for the
                        other models); -1 read from a summary without it */
    int64_t switch_interval_ns;
    int64_t check_every; /* instructions between checks */
    double instr_ns;     /* cost of one instruction */
    int repeat;          /* repetitions; wall_ns is their median */
    int64_t wall_ns, wall_ns_min, wall_ns_max;
    /* Mean and sample standard deviation of the repetitions' wall times
     * (sd 0 for one repetition). */
    int64_t wall_ns_mean, wall_ns_sd;
    /* Per outcome with failed steps, what its earliest failure said
     * ("HTTP 500 Internal Server Error"); "" for the others. */
    char fail_text[SIM_OUT_COUNT][96];
    /* What the trace files kept (--trace): "head", "ring" or "off"; the
     * events cut from them (the statistics count every one); and the
     * part of the run they cover for every thread, in ns from the start:
     * [trace_from_ns, trace_to_ns), trace_to_ns -1 for "to the end". */
    char trace_kept[8];
    uint64_t events_cut;
    int64_t trace_from_ns, trace_to_ns;
    int64_t cpu_ns;               /* user + system CPU of the run */
    struct sim_trace_stats stats; /* of the median repetition */
    /* The embedded server's counts during that repetition; has_server is
     * 0 when nothing was fetched from it (cpu, or --url). */
    int has_server;
    uint64_t server_requests;
    uint64_t server_replies_ok;
    uint64_t server_injected_500;
    uint64_t server_injected_close;
    uint64_t server_injected_stall;
    /* The virtual engine's counts (--engine=virtual; has_engine 0 in real
     * time): events it handled, baton passes between threads, slices
     * ended by preemption, idle GIL timeouts re-armed without a run; the
     * simulated cores (--cores). */
    int has_engine;
    int engine_cores;
    uint64_t engine_events;
    uint64_t engine_handoffs;
    uint64_t engine_preempts;
    uint64_t engine_absorbed;
};

/* Header row, then one event a line, times relative to the origin:
 * t_ns thread process gil thread_name event detail outcome task arg */
int sim_trace_write_tsv(const struct sim_trace *t,
                        FILE *f) SIM_TRACE_WARN_UNUSED;
/*
 * Reads a trace.tsv written by sim_trace_write_tsv back into a new trace
 * (one buffer per thread index, with its name, process and gil; origin 0,
 * since the file's times are relative to the run's start). *out belongs
 * to the caller until sim_trace_free. Returns 0, -EBADMSG for a malformed
 * file (the _msg form puts "line N: what is wrong" into err), -ENOMEM, or
 * the read error.
 */
int sim_trace_read_tsv(FILE *f, struct sim_trace **out) SIM_TRACE_WARN_UNUSED;
int sim_trace_read_tsv_msg(FILE *f, struct sim_trace **out, char *err,
                           size_t errlen) SIM_TRACE_WARN_UNUSED;
/* Chrome Trace Event JSON (Perfetto, chrome://tracing): metadata events
 * naming processes and threads, one complete ("X") event per state
 * segment, instant ("i") events for drop requests. */
int sim_trace_write_json(const struct sim_trace *t, const char *title,
                         FILE *f) SIM_TRACE_WARN_UNUSED;
/* {"gilsim_version": ..., "command": ..., "runs": [...]} */
int sim_trace_write_summary_json(const struct sim_trace_summary *runs, size_t n,
                                 const char *version, const char *command,
                                 FILE *f) SIM_TRACE_WARN_UNUSED;
/* The same, with `extra` (if not NULL) called after "command" to write
 * more top-level members, each as `,\n  "key": value`. */
int sim_trace_write_summary_json_ex(const struct sim_trace_summary *runs,
                                    size_t n, const char *version,
                                    const char *command,
                                    void (*extra)(const void *ctx, FILE *f),
                                    const void *ctx,
                                    FILE *f) SIM_TRACE_WARN_UNUSED;

#endif /* GILSIM_TRACE_H */
