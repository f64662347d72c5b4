/* sim_internal.h: private to sim/; everyone else includes sim.h.
 *
 * What the files of sim/ share with each other (and with the tests in
 * tests/, which exercise them directly): the real clock (clock.c), the
 * value parsers of the command line (parse.c), the option parser and help
 * text (options.c), the pool models (models/pool.c), the run driver
 * (run.c) and the comparison table (table.c).
 *
 * Conventions as in the public headers: functions that can fail return 0
 * or -errno; parsers also fill a caller-supplied buffer with one sentence
 * saying what would have been accepted. Arguments are borrowed.
 */
#ifndef GILSIM_SIM_INTERNAL_H
#define GILSIM_SIM_INTERNAL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gil.h"
#include "sim.h"
#include "trace.h"
#include "wl.h"

#define SIM_VERSION "0.1.0"

/* Room for one error sentence (without the "gilsim: --flag=value: "). */
#define SIM_ERR_LEN 512

/* ---- clock.c ---------------------------------------------------------- */

/* CLOCK_MONOTONIC in nanoseconds. */
int64_t sim_clock_now_ns(void);
/* The real clock as a provider for gil/ and the models. */
struct gil_clock sim_clock_real(void);

/* ---- parse.c ---------------------------------------------------------- */

/*
 * A duration with a required unit: `5ms`, `0.5ms`, `250us`, `100ns`, `1s`,
 * `1.5s`. Digits with at most one decimal point, then exactly one of ns,
 * us, ms, s. Rejects a missing unit, zero, signs, exponents, NaN/inf,
 * trailing junk and anything above about 292 years (int64 ns).
 * 0, or -EINVAL / -ERANGE with `err` saying what is accepted.
 */
int sim_parse_duration(const char *s, double *ns_out, char *err,
                       size_t errlen) SIM_WARN_UNUSED;

/* A size in bytes with a required unit: `100B`, `64KiB`, `1MiB`, `2GiB`
 * (binary multiples). Whole numbers only; 0 is accepted (`0B`). */
int sim_parse_size(const char *s, uint64_t *bytes_out, char *err,
                   size_t errlen) SIM_WARN_UNUSED;

/* A count: digits with an optional decimal suffix K (1e3), M (1e6) or G
 * (1e9): `25`, `20K`, `100M`. Rejects signs, overflow of int64, trailing
 * junk, and 0 unless `allow_zero`. */
int sim_parse_count(const char *s, int allow_zero, int64_t *out, char *err,
                    size_t errlen) SIM_WARN_UNUSED;

/* Split a comma-separated list and call `item` on each element (a
 * NUL-terminated copy of at most 255 characters). Empty elements (`a,,b`,
 * a leading or trailing comma, an empty string) are rejected. Stops at
 * the first nonzero return of `item`, which should fill `err`. */
int sim_parse_list(const char *s,
                   int (*item)(const char *elem, void *ctx, char *err,
                               size_t errlen),
                   void *ctx, char *err, size_t errlen) SIM_WARN_UNUSED;

/* ---- options.c -------------------------------------------------------- */

enum sim_cmd {
    SIM_CMD_RUN = 0,
    SIM_CMD_HELP = 1,
    SIM_CMD_VERSION = 2,
    SIM_CMD_SERVE = 3,
};

/* One entry per long option, for the parser, --help and the tests. */
struct sim_opt_desc {
    const char *name;   /* without the leading "--" */
    int takes_value;    /* 0 for --quiet, --help, --version */
    const char *expect; /* what it accepts, for errors; NULL if no value */
};

/* The long options gilsim knows, *n_out of them. */
const struct sim_opt_desc *sim_opt_table(size_t *n_out);

/*
 * Parse argv (argv[0] is the program name) into `o`, which is first set to
 * the defaults. Returns 0 with *cmd set, or SIM_EXIT_USAGE with `err`
 * holding one line (no "gilsim: " prefix, no newline) that names the flag,
 * its value and what is accepted.
 */
int sim_opt_parse(int argc, char **argv, struct sim_options *o,
                  enum sim_cmd *cmd, char *err, size_t errlen);

/* The --help text. */
void sim_opt_print_help(FILE *f);

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

/* ---- models/pool.c ---------------------------------------------------- */

struct sim_model_pool;

/*
 * What one pool thread owns. The GIL hook gets it as `user`; it is written
 * only by its own thread while the pool runs (the hook runs on the thread
 * the event is about), and read by others only after the join.
 */
struct sim_model_thread {
    struct sim_model_pool *pool; /* shared state of the pool */
    struct gil_thread *gt;       /* this thread's state on the GIL */
    struct sim_trace_buf *buf;   /* this thread's trace buffer */
    int32_t task;                /* current task id, -1 outside a task */
    struct gil_clock clock;      /* stamps of the events sim/ records */
    struct wl_env env;           /* check/release/acquire on this thread */
    int index;                   /* 0-based position in the pool */
};

/* The hooks that record GIL events into a `struct sim_model_thread`'s
 * buffer; install them in the gil_config of the GIL given to the pool. */
struct gil_hooks sim_model_gil_hooks(void);

struct sim_model_params {
    enum sim_model model; /* serial, threads or nogil */
    int threads;          /* pool size (1 for serial) */
    const struct wl_workload *workload;
    struct gil *gil;         /* created with sim_model_gil_hooks */
    struct sim_trace *trace; /* room for `threads` buffers */
    struct gil_clock clock;
    int64_t check_every; /* instructions between checks */
    struct wl_cpu_cost cost;
    const atomic_int *stop; /* may be NULL */
    /* Per-thread I/O config (each thread gets a struct wl_io), or NULL
     * for a workload that does no I/O. */
    const struct wl_io_config *io;
};

/*
 * Run every task of the workload on a pool of `threads` threads: each one
 * claims the next task with an atomic counter. The threads are created
 * first and held at a gate, so *begin_ns is when they were let go, and
 * *end_ns is when the last one was joined. Returns 0, or -errno with `err`
 * filled (e.g. a thread that could not be created; the threads already
 * started are stopped and joined, nothing leaks).
 */
int sim_model_run(const struct sim_model_params *p, int64_t *begin_ns,
                  int64_t *end_ns, char *err, size_t errlen) SIM_WARN_UNUSED;

/* ---- run.c ------------------------------------------------------------ */

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
    int64_t cpu_ns; /* user + system, whole process */
    /* What the embedded server counted during the run (has_server = 0 if
     * it did not serve this run). */
    int has_server;
    struct wl_server_stats server;
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

/* ---- serve.c ---------------------------------------------------------- */

/* `gilsim serve`: run the latency server until SIGINT or SIGTERM. */
int sim_serve_main(const struct sim_options *o, FILE *out, FILE *err);

/* ---- table.c ---------------------------------------------------------- */

/* The comparison table, with its footnotes. */
void sim_table_print(const struct sim_trace_summary *runs, size_t n, FILE *f);

/* GIL wait share of a run: wait / (hold + wait + io), 0 when all are 0. */
double sim_table_wait_share(const struct sim_trace_stats *s);

#endif /* GILSIM_SIM_INTERNAL_H */
