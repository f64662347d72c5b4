/* models.h - the models' interface to the run (sim/once.c): private to
 * sim/; the files of sim/models/ share more through models_internal.h.
 *
 * A model (serial, threads, executor, nogil, processes, loop) creates its
 * threads, gives each a GIL thread state and a trace buffer, and runs the
 * workload's tasks, in real time or on the virtual engine. What it needs
 * comes in a `struct sim_model_params`, built by the run from the
 * options: this header never sees `struct sim_options`, so a model cannot
 * depend on the command line. It also defines the models' vocabulary that
 * sim.h shares: the enum of models and the costs the simulation charges.
 *
 * Functions that can fail return 0 or -errno with one sentence in `err`.
 * Arguments are borrowed.
 */
#ifndef GILSIM_MODELS_H
#define GILSIM_MODELS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "gil.h"
#include "trace.h"
#include "vt.h"
#include "wl.h"

#define SIM_WARN_UNUSED __attribute__((warn_unused_result))

/* The execution models. */
enum sim_model {
    SIM_MODEL_SERIAL = 0,
    SIM_MODEL_THREADS = 1,
    SIM_MODEL_EXECUTOR = 2,
    SIM_MODEL_NOGIL = 3,
    SIM_MODEL_PROCESSES = 4,
    SIM_MODEL_LOOP = 5,
    SIM_MODEL_COUNT
};

/* A model's name ("serial", ...; "?" out of range), and the model of a
 * name, -1 if unknown (options.c holds the table). */
const char *sim_model_name(enum sim_model m);
int sim_model_find(const char *name);

/*
 * What the simulation charges for the interpreter's work, in one place:
 * the defaults below (sim_costs_default, sim/costs.c), or a calibration
 * file written by `gilsim calibrate` (--calibration=FILE), with
 * --instr-ns and --worker-start on the command line on top. Counts of
 * instructions are in units of instr_ns.
 */
struct sim_costs {
    double instr_ns;                      /* one interpreter instruction */
    int64_t request_instructions;         /* requests.Session.get, per call */
    int64_t request_new_instructions;     /* requests.get: a new Session */
    int64_t request_urllib_instructions;  /* urllib.request.urlopen */
    int64_t request_aiohttp_instructions; /* aiohttp ClientSession.get */
    int64_t hop_instructions; /* loop: a run_in_executor hop's return */
    /* Receiving, per byte, by offset into the body (struct wl_recv_curve):
     * the first 64 KiB, 64 KiB to 1 MiB, 1 to 4 MiB, past 4 MiB. */
    double recv_instr_per_byte; /* http.client, urllib3, the join */
    double recv_instr_per_byte_64k;
    double recv_instr_per_byte_1m;
    double recv_instr_per_byte_4m;
    int64_t cold_instructions; /* Python work after 1 ms off the GIL */
    /* The program's function once CPython quickens it (struct wl_interp):
     * from its quicken_calls-th call on an instruction of it costs
     * instr_ns / quickened_speedup. */
    double quickened_speedup;
    int64_t quicken_calls;
    int64_t chunk_instructions;      /* per 8 KiB chunk received */
    double decode_instr_per_byte;    /* r.text */
    double write_instr_per_byte;     /* str.encode before a write */
    int64_t submit_instructions;     /* ThreadPoolExecutor.submit */
    int64_t result_instructions;     /* an executor worker, per item */
    int64_t collect_instructions;    /* the main thread, per result */
    int64_t result_ipc_instructions; /* processes: send a result back */
    int64_t worker_start_ns;         /* processes: a worker's start-up CPU */
    int64_t pool_start_ns; /* processes: the parent's Pool() set-up CPU */
    int64_t pool_fork_ns;  /* and its CPU per worker it starts (fork) */
    int64_t first_fetch_instructions; /* a process's first requests.get */
    int64_t first_fetch_forked_instructions; /* a forked worker's */
    int64_t threadpool_task_instructions;    /* ThreadPool, a chunk */
    int64_t cond_wake_ns;    /* condvar signal -> waiter running, p50 (C) */
    int64_t timer_slack_ns;  /* timed wait: overshoot past deadline, p50 (C) */
    char source[4096];       /* "defaults" or the calibration file's path */
    char python_version[64]; /* "" for defaults */
    int cores;               /* cores where measured; 0 for defaults */
};

/* The default costs (costs.c): instr_ns 4.1 (CPython 3.11's countdown),
 * the I/O and executor estimates, worker_start_ns 0, source "defaults". */
void sim_costs_default(struct sim_costs *c);
/* `c`, or the defaults when `c` is NULL (a static, never to be freed). */
const struct sim_costs *sim_costs_or_default(const struct sim_costs *c);

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
    struct wl_recv_curve recv;       /* each chunk's, per byte */
    int64_t cold_instructions;       /* Python work resumed cold */
    int64_t cold_after_ns;           /* off the GIL this long: cold */
    int64_t after_send_instructions; /* of request_instructions */
    int quick_releases;              /* GIL releases that return at once */
    int64_t wake_ns;                 /* a blocked thread's wake-up */
    double write_instr_per_byte;
};

/* The engine the models run on (models/backend.h): one table of
 * operations, picked once per run: sim_backend_real, or
 * sim_backend_virtual with the engine in sim_model_params.vt. */
struct sim_backend;
extern const struct sim_backend sim_backend_real;
extern const struct sim_backend sim_backend_virtual;

struct sim_model_locks;

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
     * `index` runs on sim_model__gil_for(p, index). n_gils <= 1: gil only. */
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
    /* The program's Python function and its quickening (struct wl_interp):
     * one for the run's threads; a worker process counts its own calls
     * in its copy. NULL: always warm. */
    struct wl_interp *interp;
    /* Python work after a forced switch kept a thread off the GIL for
     * cold_after_ns or more: cold_instructions more (cold caches). */
    int64_t cold_instructions, cold_after_ns;
    /* 1: so does every take of the GIL after cold_after_ns or more
     * without it (a sleep's, a native step's: a workload file's
     * cold_resume); the event loop's thread always. */
    int cold_on_take;
    /* Per-thread I/O config (each thread that does I/O gets its own
     * struct wl_io), or NULL for a workload that does no I/O. */
    const struct wl_io_config *io;
    /* processes: CPU work of a worker's start (interpreter start-up and
     * imports), in instructions, before it takes tasks. */
    int64_t worker_start_instructions;
    /* processes: the parent's CPU, spent before the first fork (Pool()'s
     * set-up) and before each fork (os.fork and Process.start), in ns. */
    int64_t pool_start_ns;
    int64_t pool_fork_ns;
    /* loop: most tasks under way at once (--concurrency); 0 = all of
     * them, as asyncio.gather starts every task. */
    int concurrency;
    /* How threads, waits, steps and the loop's I/O run: real or virtual
     * time (models/backend.h); never NULL. */
    const struct sim_backend *backend;
    /* --engine=virtual: the engine (the GIL and the clock above are its
     * own) and the I/O costs, for sim_backend_virtual; NULL in real time. */
    struct vt_engine *vt;
    const struct sim_vt_io *vio;
    /* The workload's threading.Locks (models/locks.c): set by
     * sim_model_run for the run's process; a worker process has its own. */
    struct sim_model_locks *locks;
};

struct sim_model_result {
    int64_t begin_ns;     /* when the model started (the clock of the run) */
    int64_t end_ns;       /* when its last thread (or process) ended */
    struct gil_stats gil; /* the GILs' own counters, summed */
    /* processes: workers killed for not ending after a stop request, and
     * their names ("proc-2, proc-5") */
    int killed;
    char killed_names[128];
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

/* The hooks that record GIL events into a model thread's trace buffer;
 * the run installs them in the gil_config of every GIL a model uses. */
struct gil_hooks sim_model_gil_hooks(void);

/* n GILs from one config, in a calloc'd array; 0 or -errno (nothing left
 * behind). sim_run_gils_free(NULL, ...) does nothing. */
int sim_run_gils_new(const struct gil_config *gc, int n,
                     struct gil ***out) SIM_WARN_UNUSED;
void sim_run_gils_free(struct gil **gils, int n);
/* Tests only (tests/test_processes.c): if `fn` is set, the parent of the
 * processes model calls it once every worker is forked, before it waits
 * for them, so a test can watch or kill a worker. The probe is valid only
 * during the call. Not thread-safe; NULL (the default) in gilsim. */
struct sim_model_processes_probe;
void sim_model_processes_set_test_hook(
    void (*fn)(const struct sim_model_processes_probe *pr, void *arg),
    void *arg);
/* Tests only: with deaf set, workers forked from now on ignore SIGINT and
 * SIGTERM, as a stuck worker would (the pool must kill them). */
void sim_model_processes_set_test_deaf(int deaf);
/* Worker `worker`'s pid (0-based index), or -1. */
long sim_model_processes_probe_pid(const struct sim_model_processes_probe *pr,
                                   int worker);
/* The index of the task the worker runs now, from the shared control
 * block; -1 when none (or a bad index). */
int sim_model_processes_probe_task(const struct sim_model_processes_probe *pr,
                                   int worker);

#endif /* GILSIM_MODELS_H */
