/* run.h: private to sim/: one repetition of a model, the run driver,
 * sweeps and the embedded server's command.
 *
 * What follows from the options (options.c: pool sizes, policies, the
 * server's latency, the spacing of checks, how many GILs), the real clock
 * (clock.c), Ctrl-C (stop.c), one repetition and its I/O (once.c), the run
 * folder (folder.c), the driver (run.c), sweeps (sweep.c) and `gilsim
 * serve` (serve.c). The run builds a model's parameters from the options
 * and calls the models through models.h; nothing below it sees the
 * options.
 */
#ifndef GILSIM_RUN_H
#define GILSIM_RUN_H

#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base.h"
#include "gil.h"
#include "sim.h"
#include "trace.h"
#include "wl.h"

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
/* In a job a sweep forked: the same handler, kept after a first signal. */
void sim_stop_install_job(void);
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

/* gzip_out.c: run fn(ctx, z) with z a stream that gzips into f (at its
 * position), for trace.json.gz. fn's return, or -errno of the first
 * failed write (ENOSPC, not a bare EIO). */
int sim_gzip_through(FILE *f, int (*fn)(const void *ctx, FILE *out),
                     const void *ctx);

/* --client: a client's name ("requests", "requests-session", "urllib",
 * "aiohttp"; NULL past the last), the client model m's fetches stand
 * for (the loop's is aiohttp; the others', --client or their seed
 * program's: requests, the convoy's requests-session), its request cost,
 * whether it opens a connection a request, and its quick GIL releases. */
const char *sim_client_name(enum sim_client c);
enum sim_client sim_opt_client(const struct sim_options *o, enum sim_model m);
int64_t sim_opt_request_instructions(const struct sim_options *o,
                                     enum sim_model m);
/* The first fetch of a process, more than the others (requests' lazy
 * set-up: first_fetch_instructions; 0 for the clients not measured). */
int64_t sim_opt_first_fetch_instructions(const struct sim_options *o,
                                         enum sim_model m);
/* The same in a worker forked from the program's process. */
int64_t sim_opt_first_fetch_forked_instructions(const struct sim_options *o,
                                                enum sim_model m);
int sim_client_new_connection(enum sim_client c);
int sim_client_quick_releases(enum sim_client c);

/* Trace files: a run writes at most about SIM_TRACE_BUDGET_BYTES of
 * them by default; one event takes up to SIM_TRACE_EVENT_BYTES in
 * trace.tsv and trace.json together, hand-off arrows and waiter counts
 * included (measured: 134 for the legacy countdown's 473481 events, 200
 * for a virtual seed of 1000 threads' 446376). */
#define SIM_TRACE_BUDGET_BYTES 100000000ull
#define SIM_TRACE_EVENT_BYTES  200ull
/* The events per thread the trace files keep: --trace-events, or the
 * budget shared by every thread of every selected model (at least 64). */
uint64_t sim_opt_trace_keep(const struct sim_options *o);
/* The events per thread the recorder holds in memory for model m, for the
 * statistics: far more than the files keep (untouched capacity costs no
 * memory), and never fewer. */
uint64_t sim_opt_trace_capacity(const struct sim_options *o, enum sim_model m);

/* 1 if the workload fetches or writes (seed, convoy). */
int sim_opt_uses_io(const struct sim_options *o);
/* What titles and summary.json call the run's workload: a built-in's name
 * (seed, cpu, convoy), or a workload file's own name. */
const char *sim_opt_workload_name(const struct sim_options *o);
/* The server's latency and body size: the options, or the workload's
 * defaults (seed: 150ms, 64KiB; convoy: 0, 128B). */
int64_t sim_opt_latency_ns(const struct sim_options *o);
int64_t sim_opt_body_size(const struct sim_options *o);

/* Instructions between checks: --check-every, or the default of the policy
 * chosen with --policy (so that every model runs the same instruction
 * stream, nogil included). */
int64_t sim_opt_check_every(const struct sim_options *o);

/* GILs model m gets: --interpreters (at most one per thread) for threads
 * and executor under per-interpreter, else 1. */
int sim_opt_gil_count(const struct sim_options *o, enum sim_model m);
/* "NAME (what-if)" for a what-if policy, else "NAME", into buf. */
const char *sim_policy_label(const char *policy, char *buf, size_t len);

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
    int engine_cores;
    /* processes: workers killed for not ending after the stop request
     * (sim_model_result's), and their names */
    int killed;
    char killed_names[128];
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
/* 1 if `path` does not exist, 0 if it is an empty directory, else -errno
 * (-ENOTEMPTY, -ENOTDIR, ...). */
int sim_run_dir_state(const char *path);
/* Create a folder that did not exist: STEM, else STEM-2, STEM-3, ... (up
 * to 1000), each by a mkdir that fails if it exists, so two processes
 * never get the same one. The name is in dir. SIM_EXIT_OK, or
 * SIM_EXIT_ERROR with one line on `err`. */
int sim_run_make_fresh_dir(const char *stem, char *dir, size_t dirlen,
                           FILE *err);
/* Take the folder's lock (a lock file in it, held by this process): the
 * first write in the folder, so a folder this run cannot write in or
 * another gilsim process is writing in is refused here. SIM_EXIT_OK with
 * *fd set, or SIM_EXIT_USAGE with one line on `err`. sim_run_unlock_dir
 * removes the lock file and lets go (fd -1: nothing to do). */
int sim_run_lock_dir(const char *dir, int *fd, FILE *err);
/* The lock file in a run or sweep folder (and a cell's OUT.part), held
 * for the run's life. */
#define SIM_LOCK_NAME ".gilsim.lock"
void sim_run_unlock_dir(const char *dir, int fd);
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

/* cell.c: gilsim run --cell. _begin: if o->out_dir holds this cell's
 * finished run (sim_cell_check), *done = 1 and nothing else; if it holds
 * another's, SIM_EXIT_USAGE. Else make OUT.part (or clear a killed run's)
 * and take its lock (*lock_fd; -1 without record locks) before it
 * returns, its path in dir; SIM_EXIT_USAGE if another run holds it.
 * SIM_EXIT_* with one line on err. _end: after the run (`measured`: it
 * wrote its summary), rename OUT.part to `out` when the status is 0 or
 * 1, still under the lock; else leave it with failed.txt; then let the
 * lock go. The exit status. */
int sim_cell_begin(const struct sim_options *o, char *dir, size_t dirlen,
                   int *done, int *lock_fd, FILE *err);
int sim_cell_end(const char *out, const char *dir, int status, int measured,
                 int lock_fd, FILE *err);
/* One cell of a local sweep, in this process: the run `gilsim run
 * --cell` makes of o (o->cell set, o->out_dir the cell's folder), with
 * the sweep's embedded server `io` (NULL: none, or one of its own). Signals
 * are the sweep's to handle. The exit status, as sim_run_main's. */
int sim_run_cell(const struct sim_options *o, const char *command,
                 struct sim_run_io *io, FILE *out, FILE *err);
struct sim_report_summary; /* report.h */
struct sim_sweep_cell;     /* below */
/* 1 if folder `out` holds cell c's finished run, as _begin judges it. */
int sim_cell_finished(const char *out, const struct sim_sweep_cell *c);
/* 1 if a gilsim is running the cell of `out` now (OUT.part is locked). */
int sim_cell_running(const char *out);
/* 0 if sum (a cell's summary.json) is one run of cell c (its model,
 * switch interval, pool: threads or processes, and the loop's
 * concurrency) by this gilsim; else
 * -1 with why. Collect and --cell judge a finished cell by it. */
int sim_cell_check(const struct sim_report_summary *sum,
                   const struct sim_sweep_cell *c, char *why, size_t len);

/* ---- workload/: workload files ------------------------------------------ */

/* What turning a workload file into tasks needs from the run: the cost of
 * an instruction (for cpu steps given as times), the client's cost of a
 * decode (a decode step), the seed of the draws, and the run flags a
 * count may name ("tasks": "--pages"). */
struct sim_wf_params {
    double instr_ns;
    double decode_instr_per_byte;
    uint64_t seed;
    int64_t pages, threads, count, ops, cpu_threads;
};
/* The params of a run's options (sim_opt_*: o->costs, o->seed, ...). */
void sim_wf_params_of(const struct sim_options *o, struct sim_wf_params *p);
/* Read the workload file at `path` (or its text, named `file` in errors)
 * and build its tasks into *out. 0, or -errno with one line in `err`
 * ("FILE:LINE:COLUMN: ..." for broken JSON, "FILE: $.path: expected ..."
 * otherwise) and nothing built. */
int sim_workload_file_load(const char *path, const struct sim_wf_params *p,
                           struct wl_workload **out, char *err,
                           size_t errlen) SIM_WARN_UNUSED;
int sim_workload_file_parse(const char *text, size_t len, const char *file,
                            const struct sim_wf_params *p,
                            struct wl_workload **out, char *err,
                            size_t errlen) SIM_WARN_UNUSED;
/* The run flags a count of a workload file may name, as bits of
 * sim_workload_file_check: --pages, --threads, --count, --ops,
 * --cpu-threads. */
enum sim_wf_flag {
    SIM_WF_PAGES = 0,
    SIM_WF_THREADS,
    SIM_WF_COUNT,
    SIM_WF_OPS,
    SIM_WF_CPU_THREADS,
    SIM_WF_FLAGS
};
/* sim_workload_file_load, and the run flags the file names (bit f: enum
 * sim_wf_flag f) in *flags, for the options that then apply to it: the
 * file read once. */
int sim_workload_file_check(const char *path, const struct sim_wf_params *p,
                            struct wl_workload **out, unsigned *flags,
                            char *err, size_t errlen) SIM_WARN_UNUSED;
/* The cold resumes of the run's workload file: when it has a
 * "cold_resume", its window (ns of the run's cost) and wait into *window_ns
 * and *after_ns and 1; else (or a file that cannot be read: the run says
 * why) 0. */
int sim_workload_cold(const struct sim_options *o, int64_t *window_ns,
                      int64_t *after_ns);
/* The line a run or sweep prints when its workload file has its own cold
 * resumes (which replace the costs'), or nothing. */
void sim_workload_say_cold(const struct sim_options *o, FILE *out);
/* The line a run or sweep prints under --engine=virtual: the machine it
 * simulated (--cores, whose default depends on where gilsim runs); nothing
 * in real time. */
void sim_engine_say(const struct sim_options *o, FILE *out);
/* The file of built-in workload `name` (seed, cpu, convoy) in *path: 0,
 * or -ENOENT with one line in err saying where it was looked for. */
int sim_workload_builtin_path(const char *name, char *path, size_t len,
                              char *err, size_t errlen) SIM_WARN_UNUSED;
/* gilsim workload new FILE: a starter workload file, through a temporary
 * file and a rename; refuses a path that exists. 0, or -errno with one
 * line in `err`. */
int sim_workload_file_new(const char *path, char *err,
                          size_t errlen) SIM_WARN_UNUSED;
/* gilsim workload check: what a task of each kind of the file at `path`
 * looks like (its steps, each value's mean and distribution, its expected
 * time under the GIL, asleep and fetching), on `out`; 0, or -errno with
 * one line in `err` as sim_workload_file_load. */
int sim_workload_file_describe(const char *path, const struct sim_wf_params *p,
                               FILE *out, char *err,
                               size_t errlen) SIM_WARN_UNUSED;

/* ---- sweep.c ---------------------------------------------------------- */

/* One cell of a sweep: a model at one pool size and switch interval, with
 * the wall times of its repetitions. */
struct sim_sweep_cell {
    enum sim_model model;
    int threads;                /* --threads of the cell */
    int processes;              /* --processes of the cell */
    int concurrency;            /* the loop's --concurrency of the cell */
    int by_concurrency;         /* a loop cell of a --concurrency list: its
                                   pool is its concurrency */
    int pool;                   /* its pool size (sweep.c's cell_pool) */
    int64_t switch_interval_ns; /* --switch-interval of the cell */
    int reps;                   /* repetitions found; 0 = none */
    int64_t wall_ns_median;     /* the lower median for an even count */
    int64_t wall_ns_min, wall_ns_max;
    double wall_ns_mean, wall_ns_sd; /* sd: the sample's, 0 for one */
};

/* One line of sweep.tsv: one repetition of one cell. */
struct sim_sweep_row {
    char model[16];
    int threads, processes;
    int64_t switch_interval_ns;
    int repeat; /* 0-based index of the repetition */
    int64_t wall_ns, cpu_ns, gil_wait_ns;
    unsigned long long forced_switches, steps_failed;
    int concurrency; /* the loop's --concurrency (0: no limit) */
};

/* Every cell of the sweep `o` describes, in the order a sweep runs them
 * (models in enum order, then pools, then switch intervals); *n_out of
 * them, malloc'd; NULL when out of memory. */
struct sim_sweep_cell *sim_sweep_cells(const struct sim_options *o,
                                       size_t *n_out);
/* DIR/sweep.tsv of these rows, through a temporary file and a rename. 0,
 * or -errno with err. */
int sim_sweep_write_tsv(const char *dir, const struct sim_sweep_row *rows,
                        size_t n, char *err, size_t errlen) SIM_WARN_UNUSED;
/* The cell's repetitions found in rows (0..repeat-1), their median, min,
 * max, mean and sd. */
void sim_sweep_cell_stats(struct sim_sweep_cell *c,
                          const struct sim_sweep_row *rows, size_t n,
                          int repeat);
/* What a sweep does once its rows are in: the plots (unless --no-plots),
 * the recommendation (or "none (no_rec)" when no_rec is not NULL) on out
 * and on DIR/index.html, command.txt, the cells in --format. 0, or -1
 * when the JSON could not be printed (message on err). */
int sim_sweep_finish(const struct sim_options *o, const char *dir,
                     const char *command, const struct sim_sweep_cell *cells,
                     size_t n, const char *no_rec, FILE *out, FILE *err);

/* What sim_sweep_recommend chose: indexes into the cells. */
struct sim_sweep_choice {
    size_t best;      /* the lowest median wall time */
    size_t chosen;    /* the fewest threads within noise of the best */
    int64_t noise_ns; /* the best cell's spread, max - min */
};

/* The cells on `out` in the formats of `formats` other than text
 * (SIM_FORMAT_JSON, TSV, MD; sweep_print.c), after the recommendation
 * line if text was printed. 0, or -1 when the JSON failed. */
int sim_sweep_print(const struct sim_sweep_cell *cells, size_t n,
                    unsigned formats, const char *command,
                    const char *recommendation, FILE *out);

/* `gilsim plot` on a sweep folder: redraw the sweep's plots from
 * sweep.tsv and print the recommendation again. SIM_EXIT_*. */
int sim_sweep_replot(const char *dir, FILE *out, FILE *err);

/*
 * The recommendation, a pure function: the best cell has the lowest
 * median (ties: the smaller pool, then the earlier cell); the noise is its
 * repetitions' spread (max - min); the chosen cell is the one with the
 * smallest pool whose median is at most the best's plus the noise (ties:
 * the lower median, then the earlier cell). Cells with reps == 0 are
 * ignored. Returns 0, or -ENOENT if no cell has a repetition.
 */
int sim_sweep_recommend(const struct sim_sweep_cell *cells, size_t n,
                        struct sim_sweep_choice *out) SIM_WARN_UNUSED;

/* sweep_config.c: the settings a sweep was measured under, in
 * DIR/sweep-config.json. _write: 0 or -errno with `err`. _check: 0 if
 * `o` matches what DIR recorded, 1 if not (or nothing was recorded), with
 * `why` naming each differing option, its old and its new value. */
int sim_sweep_config_write(const struct sim_options *o, const char *dir,
                           char *err, size_t errlen) SIM_WARN_UNUSED;
int sim_sweep_config_check(const struct sim_options *o, const char *dir,
                           char *why, size_t whylen) SIM_WARN_UNUSED;

/* sweep_plan.c: `gilsim sweep --plan=DIR`. The command line (sim/cli/)
 * hands over the sweep's flags and how a cell's `gilsim run` flags are
 * made, since only it knows the option table. */
struct sim_plan_args {
    /* The sweep's flags as --name=value, paths absolute, without --plan:
     * what plan.json keeps and --collect parses again. */
    const char *const *argv;
    int argc;
    /* The flags of one repetition of cell c (after `gilsim run`, before
     * --out), shell-quoted, into buf: 0, or -errno with err. */
    int (*cell_flags)(const void *ctx, const struct sim_sweep_cell *c,
                      char *buf, size_t len, char *err, size_t errlen);
    const void *ctx;
};
/* Write DIR/plan.json, DIR/jobs.txt and the launchers, run nothing. An
 * exit status, with one line on err when it is not 0. */
int sim_sweep_plan_main(const struct sim_options *o, const char *command,
                        const struct sim_plan_args *a, FILE *out, FILE *err);
/* The same files into a local sweep's folder `dir` (it exists; cells/
 * in it is kept), so that its jobs can be run elsewhere too; a folder
 * whose path the launchers cannot carry gets none, with a line on err.
 * An exit status. */
int sim_sweep_plan_write(const struct sim_options *o, const char *command,
                         const struct sim_plan_args *a, const char *dir,
                         FILE *err);
/* One job of a plan (an entry of plan.json's "jobs"): one repetition of
 * one cell, which writes DIR/cells/ID. */
struct sim_plan_job {
    char id[160];               /* its folder's name in DIR/cells */
    struct sim_sweep_cell cell; /* its model and place on the axes */
    int repeat;                 /* the 0-based repetition */
};
/* What --collect reads of plan.json: the flags it keeps, as an argv
 * (argv[0] "gilsim", argv[1] "sweep"; each malloc'd, and the array), its
 * command (malloc'd) and its jobs (malloc'd), in the plan's order. */
struct sim_plan {
    char **argv;
    int argc;
    char *command;
    struct sim_plan_job *jobs;
    size_t n_jobs;
};
/* Read DIR/plan.json into *p. SIM_EXIT_OK, or SIM_EXIT_USAGE /
 * SIM_EXIT_ERROR with one line on err; free *p with sim_sweep_plan_clear
 * either way. */
int sim_sweep_plan_read(const char *dir, struct sim_plan *p, FILE *err);
void sim_sweep_plan_clear(struct sim_plan *p);
/* Every job of the sweep `o`: each cell of sim_sweep_cells, in order,
 * --repeat times, with its id; *n of them (malloc'd), or NULL. */
struct sim_plan_job *sim_sweep_jobs(const struct sim_options *o, size_t *n);
/* The id of a cell's repetition in a plan: MODEL-tT-pP-cC-siD-rR. */
void sim_sweep_cell_id(const struct sim_sweep_cell *c, int repeat, char *buf,
                       size_t len);

/* sweep_collect.c: `gilsim sweep --collect=DIR`, `o` the plan's sweep
 * with --collect's own flags, `jobs` the plan's (plan.json's list, not
 * the cells `o` would make on this machine): sweep.tsv, plots, index.html
 * and the recommendation from the jobs that finished. An exit status: 1
 * while a job is missing or failed (0 with --partial), or when none
 * finished (and nothing is written). */
int sim_sweep_collect_main(const struct sim_options *o, const char *command,
                           const struct sim_plan_job *jobs, size_t n_jobs,
                           FILE *out, FILE *err);
/* How sim_sweep_collect is called: by --collect (all 0), or by a local
 * sweep, which holds the folder's lock already and says itself how many
 * jobs ran (local: no count line, missing jobs not listed, the advice to
 * rerun the sweep). */
struct sim_collect_how {
    int locked;
    int local;
};
/* sim_sweep_collect_main's work on folder dir. */
int sim_sweep_collect(const struct sim_options *o, const char *dir,
                      const char *command, const struct sim_plan_job *jobs,
                      size_t n_jobs, const struct sim_collect_how *how,
                      FILE *out, FILE *err);
/* Set c->by_concurrency and c->pool from its model and place, as
 * sim_sweep_cells does for the sweep `o`. */
void sim_sweep_cell_place(const struct sim_options *o,
                          struct sim_sweep_cell *c);

/* `gilsim sweep` (sweep_run.c): plan the sweep into --out (its files
 * when `a`, the command line's, is given), run its jobs here (resuming
 * the cells a run of the same settings finished), collect them into
 * sweep.tsv, the plots and the recommendation. Returns an exit status,
 * as sim_run_main does. */
int sim_sweep_main(const struct sim_options *o, const char *command,
                   const struct sim_plan_args *a, FILE *out, FILE *err,
                   int handle_signals);
/* The options of job `c` of the sweep `o` as `gilsim run` would parse
 * its line of jobs.txt: the cell's model and place, one repetition, no
 * trace, plots or stdout, --cell into `out`. */
void sim_sweep_cell_options(const struct sim_options *o,
                            const struct sim_sweep_cell *c, const char *out,
                            struct sim_options *co);

/* ---- serve.c ---------------------------------------------------------- */

/* `gilsim serve`: run the latency server until SIGINT or SIGTERM. */
int sim_serve_main(const struct sim_options *o, FILE *out, FILE *err);
/* A trace's files in folder sub (made if new): trace.tsv, and
 * trace.json (trace.json.gz with compress) titled `title`. 0, or -errno
 * with one line in err. */
int sim_run_write_trace(const char *sub, const struct sim_trace *trace,
                        const char *title, int compress, char *err,
                        size_t errlen);
/* gilsim predict DIR (record/predict.c): the recorded configuration
 * replayed beside what was measured, then a sweep. SIM_EXIT_*. */
int sim_predict_main(const struct sim_options *o, const char *command,
                     FILE *out, FILE *err);
/* gilsim record (record/record.c): the program's exit status, or
 * SIM_EXIT_USAGE / SIM_EXIT_ERROR with one line on err. */
int sim_record_main(const struct sim_options *o, const char *command, FILE *out,
                    FILE *err);

#endif /* GILSIM_RUN_H */
