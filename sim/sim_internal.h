/* sim_internal.h: private to sim/; everyone else includes sim.h.
 *
 * What the files of sim/ share with each other (and with the tests in
 * tests/, which exercise them directly): the real clock (clock.c), the
 * value parsers of the command line (parse.c), the option table
 * (options.c), its parser (optparse.c) and the help text (help.c), the models
 * (models/), one repetition and its I/O (once.c), the costs and their
 * calibration (costs.c, calibrate.c), the run folder (folder.c), the run driver
 * (run.c), sweeps (sweep.c), the report (report.c, replot.c) and the table
 * (table.c).
 *
 * Conventions as in the public headers: functions that can fail return 0
 * or -errno; parsers also fill a caller-supplied buffer with one sentence
 * saying what would have been accepted. Arguments are borrowed.
 */
#ifndef GILSIM_SIM_INTERNAL_H
#define GILSIM_SIM_INTERNAL_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base.h"
#include "gil.h"
#include "sim.h"
#include "trace.h"
#include "vt.h"
#include "wl.h"

#define SIM_VERSION "0.1.0"

/* Room for one error sentence (without the "gilsim: --flag=value: "). */
#define SIM_ERR_LEN 512

/* ---- json_flat.c ------------------------------------------------------- */

enum sim_json_type {
    SIM_JSON_NULL = 0,
    SIM_JSON_BOOL,
    SIM_JSON_NUMBER,
    SIM_JSON_STRING,
    SIM_JSON_ARRAY /* of strings only */
};

/* One member's value, valid during the callback only. */
struct sim_json_value {
    enum sim_json_type type;
    int boolean;        /* BOOL */
    double number;      /* NUMBER: always finite */
    const char *string; /* STRING: decoded; ARRAY: n strings back to back,
                           each NUL-terminated */
    size_t n;           /* ARRAY: how many strings */
};

/* Parse one flat JSON object (values: strings, numbers, booleans, null,
 * arrays of strings) and call `member` on each key in order; its nonzero
 * return stops the parse and is returned (it fills `err`). 0, -EBADMSG
 * with `err` saying what and at which line and column, or -ENOMEM. */
int sim_flatjson_parse(const char *text, size_t len,
                       int (*member)(const char *key,
                                     const struct sim_json_value *v, void *ctx,
                                     char *err, size_t errlen),
                       void *ctx, char *err, size_t errlen) SIM_WARN_UNUSED;

/* ---- costs.c ---------------------------------------------------------- */

/* The costs of today's figures: instr_ns 4.1 (CPython 3.11's countdown),
 * the I/O and executor estimates, worker_start_ns 0, source "defaults". */
void sim_costs_default(struct sim_costs *c);
/* `c`, or the defaults when `c` is NULL (a static, never to be freed). */
const struct sim_costs *sim_costs_or_default(const struct sim_costs *c);

/* The costs one by one, in the order of struct sim_costs. */
enum sim_cost_field {
    SIM_COST_INSTR_NS = 0,
    SIM_COST_REQUEST,
    SIM_COST_CHUNK,
    SIM_COST_DECODE,
    SIM_COST_WRITE,
    SIM_COST_SUBMIT,
    SIM_COST_RESULT,
    SIM_COST_COLLECT,
    SIM_COST_RESULT_IPC,
    SIM_COST_WORKER_START,
    SIM_COST_COND_WAKE,
    SIM_COST_TIMER_SLACK,
    SIM_COST_COUNT
};

/* The JSON key of a cost ("instr_ns", "request_instructions", ...). */
const char *sim_cost_name(enum sim_cost_field f);
/* A cost's value as a double, and set from one (rounded for counts). */
double sim_cost_get(const struct sim_costs *c, enum sim_cost_field f);
void sim_cost_set(struct sim_costs *c, enum sim_cost_field f, double v);
/* 1 if v is a value calibration.json may hold for cost f. */
int sim_cost_in_range(enum sim_cost_field f, double v);

/* calibration.json: the costs and where they were measured. */
struct sim_calibration {
    struct sim_costs costs; /* python_version and cores included */
    unsigned measured;      /* bit (1u << enum sim_cost_field) if measured */
    char python[4096];      /* the interpreter's path */
    char date[32];          /* UTC, ISO 8601 */
    char gilsim_version[32];
};

/* Write `cal` as calibration.json to `f`. 0 or -EIO. */
int sim_calibration_write(const struct sim_calibration *cal,
                          FILE *f) SIM_WARN_UNUSED;
/* Read the calibration file at `path` strictly: every cost present,
 * finite, and in range. costs.source becomes `path`. 0, or -errno /
 * -EBADMSG with `err` saying what is wrong (without the path). */
int sim_calibration_read(const char *path, struct sim_calibration *cal,
                         char *err, size_t errlen) SIM_WARN_UNUSED;
/* --calibration: load o->calibration into o->costs, keeping the costs in
 * o->costs_given; warn on `err` (one line) if it was measured on another
 * number of cores. SIM_EXIT_OK, or SIM_EXIT_USAGE with one line on `err`.
 * Nothing to do without --calibration. */
int sim_costs_load_options(struct sim_options *o, FILE *err);
/* summary.json's "costs" object (every cost, source, python_version,
 * cores, and which costs came from the command line), without a newline
 * at the end; `indent` spaces before each key. */
void sim_costs_write_json(const struct sim_costs *c, unsigned given, int indent,
                          FILE *f);
/* One line of text saying which costs were used. */
void sim_costs_print_line(const struct sim_costs *c, unsigned given, FILE *f);

/* ---- calibrate.c ------------------------------------------------------ */

/* `gilsim calibrate`: measure the costs on o->python (or python3 on PATH)
 * and this machine, write o->out_dir (the file; "" = calibration.json)
 * and print a summary on `out`. An exit status. */
int sim_calibrate_main(const struct sim_options *o, FILE *out, FILE *err);

/* C micro-benchmarks of calibrate_bench.c: the p50 of `rounds`
 * condvar hand-offs between two threads (half a round trip), and of the
 * overshoot of `rounds` 1 ms timed waits. 0 or -errno. */
int sim_calibrate_cond_wake(int rounds, int64_t *p50_ns) SIM_WARN_UNUSED;
int sim_calibrate_timer_slack(int rounds, int64_t *p50_ns) SIM_WARN_UNUSED;
/* Tests only: the time limits of the version probe and of the program,
 * in ms (10 s and 120 s in gilsim). Not thread-safe. */
void sim_calibrate_set_timeouts(int probe_ms, int program_ms);

/* ---- child.c ---------------------------------------------------------- */

#define SIM_CHILD_OUT_MAX ((size_t)1 << 20) /* bytes of stdout kept */

/* What a program run by sim_child_run printed, and how it ended. */
struct sim_child_out {
    char *out;      /* stdout, malloc'd, NUL-terminated */
    size_t out_len; /* at most SIM_CHILD_OUT_MAX */
    char err[4096]; /* the start of stderr, NUL-terminated */
    size_t err_len;
    int status;    /* exit status, or 128 + signal */
    int timed_out; /* killed at the time limit */
};

/* Run argv (argv[0] a path) with stdin from /dev/null, capturing stdout
 * and stderr, for at most timeout_ms; the child is killed at the limit.
 * 0 with *co filled (free with sim_child_out_clear), or -errno if it
 * could not be started. */
int sim_child_run(char *const argv[], int timeout_ms,
                  struct sim_child_out *co) SIM_WARN_UNUSED;
void sim_child_out_clear(struct sim_child_out *co);

/* ---- stop.c ----------------------------------------------------------- */

/* The handlers sim_stop_install replaced. */
struct sim_stop {
    struct sigaction old_int, old_term;
};

/* Clear the stop flag and the signal before a run or sweep. */
void sim_stop_reset(void);
/* The flag SIGINT/SIGTERM set; pass it as the steps' stop flag. */
atomic_int *sim_stop_flag(void);
int sim_stop_requested(void);
/* The signal that stopped the run, or 0. */
int sim_stop_signal(void);
/* Catch SIGINT and SIGTERM until sim_stop_restore. */
void sim_stop_install(struct sim_stop *s);
void sim_stop_restore(const struct sim_stop *s);

/* ---- clock.c ---------------------------------------------------------- */

/* The real clock as a provider for gil/ and the models. */
struct gil_clock sim_clock_real(void);

/* ---- options.c: defaults, names, what follows from the options ------ */

/* The model of that name, and its one-line help (lines split by '\n'). */
const char *sim_model_describe(enum sim_model m);
/* Workload names, and their help: seed, cpu, convoy. */
const char *sim_opt_workload_at(size_t i);
const char *sim_opt_workload_describe(size_t i);

/* The GIL policy a model runs under: "nogil" for the nogil model, else the
 * policy chosen with --policy. */
const char *sim_opt_policy_for(const struct sim_options *o, enum sim_model m);

/* The pool size of a model: 1 for serial, --threads otherwise. */
int sim_opt_pool_size(const struct sim_options *o, enum sim_model m);

/* 1 if the workload fetches or writes (seed, convoy). */
int sim_opt_uses_io(const struct sim_options *o);
/* The server's latency and body size: the options, or the workload's
 * defaults (seed: 150ms, 64KiB; convoy: 0, 128B). */
int64_t sim_opt_latency_ns(const struct sim_options *o);
int64_t sim_opt_body_size(const struct sim_options *o);

/* Instructions between checks: --check-every, or the default of the policy
 * chosen with --policy (so that every model runs the same instruction
 * stream, nogil included). */
int64_t sim_opt_check_every(const struct sim_options *o);

/* ---- models/ ---------------------------------------------------------- */

/*
 * What one model thread owns (any model: pool, executor, loop, a worker
 * process's thread). The GIL hook gets it as `user`; it is written only by
 * its own thread while the model runs (the hook runs on the thread the
 * event is about), and read by others only after the join.
 */
/* What a fetch and a write cost in virtual time (--engine=virtual);
 * the server's behaviour, from the options, without a server. */
struct sim_vt_io {
    int64_t latency_ns, jitter_ns, timeout_ns;
    uint64_t body_size;
    double fail_rate;
    uint64_t seed;
    int64_t bandwidth_bps; /* bytes per second of a transfer; 0 = instant */
    int64_t write_ns;      /* a write's system calls */
    int64_t request_instructions, chunk_instructions;
    int64_t after_send_instructions; /* of request_instructions */
    int quick_releases;              /* GIL releases that return at once */
    int64_t wake_ns;                 /* a blocked thread's wake-up */
    double write_instr_per_byte;
};

struct sim_model_thread {
    void *model;               /* the model's own shared state */
    struct gil_thread *gt;     /* this thread's state on its GIL */
    struct sim_trace_buf *buf; /* this thread's trace buffer */
    int32_t task;              /* current task id, -1 outside a task */
    struct gil_clock clock;    /* stamps of the events sim/ records */
    struct wl_env env;         /* check/release/acquire on this thread */
    atomic_int *until;         /* set when an ends_run task ends */
    int index;                 /* 0-based position in the model */
    /* --engine=virtual only (NULL / 0 in real time): the thread in the
     * engine, the eval breaker of its GIL, the I/O costs, and the size
     * of the body its last fetch received. */
    struct vt_thread *vt;
    const atomic_int *vt_breaker;
    const struct sim_vt_io *vio;
    uint64_t vt_body;
};

struct sim_model_params {
    enum sim_model model;
    /* Pool size: threads of threads/nogil/executor, worker processes of
     * processes, offload threads of loop; 1 for serial. */
    int threads;
    const struct wl_workload *workload;
    /* The run's GIL, created with sim_model_gil_hooks(); processes makes
     * one per worker from gil_config instead and ignores it. */
    struct gil *gil;
    /* per-interpreter: the run's n_gils GILs (gils[0] == gil); thread
     * `index` runs on sim_model_gil_for(p, index). n_gils <= 1: gil only. */
    struct gil *const *gils;
    int n_gils;
    struct gil_config gil_config;
    /* Room for sim_model_trace_threads() buffers; MAP_SHARED for
     * processes (sim_model_trace_shared()). */
    struct sim_trace *trace;
    struct gil_clock clock;
    int64_t check_every; /* instructions between checks */
    struct wl_cpu_cost cost;
    /* The Python-side costs (executor, processes); NULL = the defaults. */
    const struct sim_costs *costs;
    const atomic_int *stop; /* may be NULL */
    /* Per-thread I/O config (each thread that does I/O gets its own
     * struct wl_io), or NULL for a workload that does no I/O. */
    const struct wl_io_config *io;
    /* processes: CPU work of a worker's start (interpreter start-up and
     * imports), in instructions, before it takes tasks. */
    int64_t worker_start_instructions;
    /* loop: most tasks under way at once (--concurrency); 0 = all of
     * them, as asyncio.gather starts every task. */
    int concurrency;
    /* --engine=virtual: the engine (the GIL and the clock above are its
     * own) and the I/O costs; NULL in real time. */
    struct vt_engine *vt;
    const struct sim_vt_io *vio;
};

struct sim_model_result {
    int64_t begin_ns;     /* when the model started (the clock of the run) */
    int64_t end_ns;       /* when its last thread (or process) ended */
    struct gil_stats gil; /* the GILs' own counters, summed */
};

/* Run the model p->model; 0, or -errno with `err` filled. Nothing leaks
 * on failure, and threads already started are stopped and joined. */
int sim_model_run(const struct sim_model_params *p,
                  struct sim_model_result *res, char *err,
                  size_t errlen) SIM_WARN_UNUSED;

/* Trace buffers model m needs for a pool of `pool` (the executor's main
 * thread and the loop's event thread come on top). */
uint32_t sim_model_trace_threads(enum sim_model m, int pool);
/* 1 if the model's trace must be MAP_SHARED (processes). */
int sim_model_trace_shared(enum sim_model m);

/* Each model (models/pool.c, executor.c, processes.c, loop.c). */
int sim_model_pool_run(const struct sim_model_params *p,
                       struct sim_model_result *res, char *err,
                       size_t errlen) SIM_WARN_UNUSED;
int sim_model_executor_run(const struct sim_model_params *p,
                           struct sim_model_result *res, char *err,
                           size_t errlen) SIM_WARN_UNUSED;
int sim_model_processes_run(const struct sim_model_params *p,
                            struct sim_model_result *res, char *err,
                            size_t errlen) SIM_WARN_UNUSED;
/* processes in virtual time: worker threads with a GIL each. */
int sim_model_vprocesses_run(const struct sim_model_params *p,
                             struct sim_model_result *res, char *err,
                             size_t errlen) SIM_WARN_UNUSED;
int sim_model_loop_run(const struct sim_model_params *p,
                       struct sim_model_result *res, char *err,
                       size_t errlen) SIM_WARN_UNUSED;

/* Tests only (tests/test_processes.c): if `fn` is set, the parent of the
 * processes model calls it once every worker is forked, before it waits
 * for them, so a test can watch or kill a worker. The probe is valid only
 * during the call. Not thread-safe; NULL (the default) in gilsim. */
struct sim_model_processes_probe;
void sim_model_processes_set_test_hook(
    void (*fn)(const struct sim_model_processes_probe *pr, void *arg),
    void *arg);
/* Worker `worker`'s pid (0-based index), or -1. */
long sim_model_processes_probe_pid(const struct sim_model_processes_probe *pr,
                                   int worker);
/* The index of the task the worker runs now, from the shared control
 * block; -1 when none (or a bad index). */
int sim_model_processes_probe_task(const struct sim_model_processes_probe *pr,
                                   int worker);

/* ---- models/gils.c: per-interpreter's GILs, what-if labels ----------- */

/* GILs model m gets: --interpreters (at most one per thread) for threads
 * and executor under per-interpreter, else 1. */
int sim_opt_gil_count(const struct sim_options *o, enum sim_model m);
/* "NAME (what-if)" for a what-if policy, else "NAME", into buf. */
const char *sim_policy_label(const char *policy, char *buf, size_t len);
/* n GILs from one config, in a calloc'd array; 0 or -errno (nothing left
 * behind). sim_run_gils_free(NULL, ...) does nothing. */
int sim_run_gils_new(const struct gil_config *gc, int n,
                     struct gil ***out) SIM_WARN_UNUSED;
void sim_run_gils_free(struct gil **gils, int n);
/* The GIL of thread `index` of a model (index mod n_gils), and its id in
 * the trace; the counters summed over the run's GILs. */
struct gil *sim_model_gil_for(const struct sim_model_params *p, int index);
int sim_model_gil_id(const struct sim_model_params *p, int index);
void sim_model_gil_stats(const struct sim_model_params *p,
                         struct gil_stats *out);

/* ---- models/thread.c: shared by every model --------------------------- */

/* The hooks that record GIL events into a `struct sim_model_thread`'s
 * buffer; install them in the gil_config of every GIL a model uses. */
struct gil_hooks sim_model_gil_hooks(void);

/* Fill mt for thread `index` of a model: clock, env (check, release and
 * acquire through mt->gt; cost, check_every and stop from p), `until`;
 * mt->gt, mt->buf and mt->env.io are left for the caller. */
void sim_model_thread_init(struct sim_model_thread *mt,
                           const struct sim_model_params *p, int index,
                           atomic_int *until, void *model);

/* Give thread `name` of the run's process what it needs before it starts:
 * its own wl_io when `with_io` and the workload does I/O, a trace buffer,
 * and a state on its GIL (sim_model_gil_for). 0, or -errno with `err` saying
 * which failed for whom; what was made stays in mt for the caller to free. */
int sim_model_thread_attach(struct sim_model_thread *mt,
                            const struct sim_model_params *p, const char *name,
                            int with_io, char *err,
                            size_t errlen) SIM_WARN_UNUSED;

/* The wl_env callbacks: gil_check, gil_drop(GIL_DROP_IO), gil_take on
 * ((struct sim_model_thread *)ctx)->gt. */
void sim_model_env_check(void *ctx);
void sim_model_env_release(void *ctx);
void sim_model_env_acquire(void *ctx);

int64_t sim_model_now(const struct sim_model_thread *mt);
int sim_model_map_step(enum wl_step_kind k);
int sim_model_map_outcome(enum wl_outcome o);

/* Start a model thread running fn(arg): a pthread in real time, a fiber
 * of the engine when mt->vt is set (then tid is left alone). 0 or a
 * positive error number, as pthread_create. Join it with
 * sim_model_thread_join, which does nothing for a fiber: vt_run has
 * returned when they have all ended. */
int sim_model_thread_create(struct sim_model_thread *mt, pthread_t *tid,
                            const pthread_attr_t *attr, void *(*fn)(void *),
                            void *arg) SIM_WARN_UNUSED;
void sim_model_thread_join(const struct sim_model_thread *mt, pthread_t tid);

/* Register a model thread with the engine (p->vt); 0 in real time. */
int sim_model_thread_vt(struct sim_model_thread *mt,
                        const struct sim_model_params *p) SIM_WARN_UNUSED;

/* One step on the calling thread: in virtual time when mt->vt is set,
 * else wl_step_run. */
enum wl_outcome sim_model_step(struct sim_model_thread *mt,
                               const struct wl_step *s, int64_t *arg);
/* Python-side CPU work of a model's own (a submit, a result's pickling, a
 * worker's start) under the thread's GIL, with checks: a synthetic cpu
 * step through sim_model_step, with no STEP events of its own. */
enum wl_outcome sim_model_cpu(struct sim_model_thread *mt, int64_t instructions,
                              int64_t *arg);

/* A model's own condition variables (queues, futures): pthreads in real
 * time; blocks and wake-ups in the engine with --engine=virtual. The
 * mutex is held around both, as with pthread_cond_wait. */
void sim_model_cond_wait(const struct sim_model_params *p, pthread_cond_t *cv,
                         pthread_mutex_t *mu);
void sim_model_cond_wake(const struct sim_model_params *p, pthread_cond_t *cv,
                         int all);

/* models/vsteps.c: one step in virtual time, for sim_model_run_task. */
enum wl_outcome sim_vt_step_run(struct sim_model_thread *mt,
                                const struct wl_step *s, int64_t *arg);
/* Pieces of it, for the virtual event loop (vmulti.c): `instructions`
 * with checks; a write of a body of `len` bytes; the time from a request
 * to its first byte (the send, the server's latency and page's jitter);
 * a transfer's time at --bandwidth. */
enum wl_outcome sim_vt_work(struct sim_model_thread *mt, int64_t instructions);
enum wl_outcome sim_vt_write_body(struct sim_model_thread *mt, uint64_t len,
                                  int64_t *arg);
int64_t sim_vt_reply_ns(const struct sim_vt_io *v, int64_t page);
int64_t sim_vt_transfer_ns(const struct sim_vt_io *v, uint64_t bytes);

/* models/vmulti.c: the loop model's wl_multi in virtual time: the same
 * operations and hooks (see wl.h), with fetches, timers and wake-ups as
 * engine events and no socket. The loop thread is `loop`; sim_vmulti_wake
 * may be called by any thread of engine `e`. */
struct sim_vmulti;
int sim_vmulti_new(struct vt_engine *e, struct sim_model_thread *loop,
                   const struct wl_multi_hooks *hooks,
                   struct sim_vmulti **out) SIM_WARN_UNUSED;
void sim_vmulti_free(struct sim_vmulti *m);
enum wl_outcome sim_vmulti_fetch(struct sim_vmulti *m, int64_t page,
                                 void *user);
int sim_vmulti_sleep(struct sim_vmulti *m, int64_t ns,
                     void *user) SIM_WARN_UNUSED;
int sim_vmulti_run_once(struct sim_vmulti *m) SIM_WARN_UNUSED;
void sim_vmulti_wake(struct sim_vmulti *m);

/* Run a task's steps on the calling thread (which holds its GIL), with
 * TASK_BEGIN/END and STEP_BEGIN/END events; stops at the first failed
 * step; sets *mt->until after an ends_run task. */
void sim_model_run_task(struct sim_model_thread *mt,
                        const struct wl_task *task);

/* ---- once.c, folder.c, run.c ------------------------------------------ */

/* What the driver sets up once for every model of an I/O workload. */
struct sim_run_io {
    char url_template[2048];  /* where fetches go; {page} replaced */
    char dir[4096];           /* the run folder: pages go to DIR/MODEL/pages */
    struct wl_server *server; /* the embedded server, or NULL for --url */
};

/* One repetition of one model. */
struct sim_run_result {
    struct sim_trace *trace; /* owned; freed by sim_run_result_clear */
    struct gil_stats gil;    /* the lock's own counters */
    struct sim_trace_stats stats;
    int64_t wall_ns;
    int64_t cpu_ns; /* user + system, whole process and its workers */
    /* What the embedded server counted during the run (has_server = 0 if
     * it did not serve this run). */
    int has_server;
    struct wl_server_stats server;
    /* The virtual engine's counters (has_engine = 0 in real time). */
    int has_engine;
    uint64_t engine_events, engine_handoffs, engine_preempts, engine_absorbed;
};

/*
 * Build the workload, the trace and the GIL for model `m`, run it once and
 * fill `r`. `io` is required for I/O workloads (seed, convoy), and may be
 * NULL for cpu. The trace's counts are compared with the GIL's counters when
 * no event was lost: a mismatch returns -EPROTO with `err` filled.
 * Other failures return -errno with `err` filled.
 */
int sim_run_once(const struct sim_options *o, enum sim_model m,
                 const struct sim_run_io *io, const atomic_int *stop,
                 struct sim_run_result *r, char *err,
                 size_t errlen) SIM_WARN_UNUSED;
void sim_run_result_clear(struct sim_run_result *r);

/* What sim_run_main leaves for its caller (tests). */
struct sim_run_report {
    struct sim_trace_summary runs[SIM_MODEL_COUNT];
    size_t n;
    char dir[4096]; /* the run folder */
};

/*
 * The run driver: check the output folder, run every selected model
 * --repeat times, write the run folder, print the table and/or JSON on
 * `out` and progress on `err`. `command` is recorded in summary.json.
 * With `handle_signals`, SIGINT/SIGTERM stop the run gracefully. Returns
 * an exit status (enum sim_exit, or 128 + signal number after SIGINT or
 * SIGTERM). `report` may be NULL.
 */
int sim_run_main(const struct sim_options *o, const char *command, FILE *out,
                 FILE *err, int handle_signals, struct sim_run_report *report);

/* What sweeps and the report share with the driver: folder.c's and
 * once.c's helpers. Pick and create the run folder:
 * SIM_EXIT_* with one line on `err`; *created is 1 if it did not exist. */
int sim_run_make_dir(const struct sim_options *o, char *dir, size_t dirlen,
                     int *created, FILE *err);
/* Start libcurl and, without --url, the embedded server (io->dir is left
 * empty); SIM_EXIT_* with one line on `err`. sim_run_io_stop undoes it. */
int sim_run_io_start(const struct sim_options *o, struct sim_run_io *io,
                     FILE *err);
void sim_run_io_stop(struct sim_run_io *io);
/* Start the embedded latency server as the options say (--bind, --port,
 * --latency, --latency-jitter, --body-size, --fail-rate, --seed; stalled
 * replies are withheld past --timeout). SIM_EXIT_OK, or SIM_EXIT_USAGE
 * (port taken) / SIM_EXIT_ERROR with one line on `err`. */
int sim_run_server_start(const struct sim_options *o, struct wl_server **out,
                         FILE *err);

/* ---- sweep.c ---------------------------------------------------------- */

/* One cell of a sweep: a model at one pool size and switch interval, with
 * the wall times of its repetitions. */
struct sim_sweep_cell {
    enum sim_model model;
    int threads;                /* --threads of the cell */
    int processes;              /* --processes of the cell */
    int pool;                   /* its pool size (sim_opt_pool_size) */
    int64_t switch_interval_ns; /* --switch-interval of the cell */
    int reps;                   /* repetitions found; 0 = none */
    int64_t wall_ns_median;     /* the lower median for an even count */
    int64_t wall_ns_min, wall_ns_max;
};

/* What sim_sweep_recommend chose: indexes into the cells. */
struct sim_sweep_choice {
    size_t best;      /* the lowest median wall time */
    size_t chosen;    /* the fewest threads within noise of the best */
    int64_t noise_ns; /* the best cell's spread, max - min */
};

/*
 * The recommendation, a pure function: the best cell has the lowest
 * median (ties: the smaller pool, then the earlier cell); the noise is its
 * repetitions' spread (max - min); the chosen cell is the one with the
 * smallest pool whose median is at most the best's plus the noise (ties:
 * the lower median, then the earlier cell). Cells with reps == 0 are
 * ignored. Returns 0, or -ENOENT if no cell has a repetition.
 */
/* `gilsim plot` on a sweep folder: redraw the sweep's plots from
 * sweep.tsv and print the recommendation again. SIM_EXIT_*. */
int sim_sweep_replot(const char *dir, FILE *out, FILE *err);

int sim_sweep_recommend(const struct sim_sweep_cell *cells, size_t n,
                        struct sim_sweep_choice *out) SIM_WARN_UNUSED;

/* `gilsim sweep`: run every cell --repeat times (resuming a sweep.tsv in
 * --out), write sweep.tsv and the sweep plots, print the recommendation.
 * Returns an exit status, as sim_run_main does. */
int sim_sweep_main(const struct sim_options *o, const char *command, FILE *out,
                   FILE *err, int handle_signals);

/* ---- report.c, replot.c ----------------------------------------------- */

/* What report.c reads back from a summary.json. */
struct sim_report_summary {
    char *command;                  /* "command", malloc'd; NULL if absent */
    char *version;                  /* "gilsim_version"; NULL if absent */
    struct sim_trace_summary *runs; /* "runs", malloc'd, n of them */
    size_t n;
};

/* Read summary.json at `path` (the keys sim_trace_write_summary_json
 * writes; others are skipped). 0, or -errno / -EBADMSG with `err` naming
 * the file. Free with sim_report_summary_clear (also after a failure). */
int sim_report_read_summary(const char *path, struct sim_report_summary *sum,
                            char *err, size_t errlen) SIM_WARN_UNUSED;
void sim_report_summary_clear(struct sim_report_summary *sum);

/* Write dir/index.html from dir/summary.json and the SVGs beside it
 * (through a temporary file and a rename). 0, or -errno with `err`. */
int sim_report_write(const char *dir, char *err, size_t errlen) SIM_WARN_UNUSED;
/* index.html of a sweep folder: the command, the recommendation, the
 * cells and the sweep's SVGs inline. */
int sim_report_write_sweep(const char *dir, const char *command,
                           const char *recommendation,
                           const struct sim_sweep_cell *cells, size_t n,
                           char *err, size_t errlen) SIM_WARN_UNUSED;

/* `gilsim plot RUN_DIR` (the folder is in o->out_dir): redraw the
 * timelines and the comparison, rewrite index.html. An exit status. */
int sim_replot_main(const struct sim_options *o, FILE *out, FILE *err);

/* ---- serve.c ---------------------------------------------------------- */

/* `gilsim serve`: run the latency server until SIGINT or SIGTERM. */
int sim_serve_main(const struct sim_options *o, FILE *out, FILE *err);

/* ---- table.c ---------------------------------------------------------- */

/* The comparison table, with its footnotes. */
void sim_table_print(const struct sim_trace_summary *runs, size_t n, FILE *f);

/* GIL wait share of a run: wait / (hold + wait + io), 0 when all are 0. */
double sim_table_wait_share(const struct sim_trace_stats *s);

#endif /* GILSIM_SIM_INTERNAL_H */
