/* calibrate.h: private to sim/: the costs the simulation charges and
 * `gilsim calibrate`, which measures them.
 *
 * The costs (costs.c): their defaults, one by one by name, calibration.json
 * written and read strictly, and --calibration applied to the options.
 * The calibration (calibrate.c, calibrate_bench.c, child.c): the Python
 * program calibrate.py run in a child process with a time limit, and two
 * C micro-benchmarks. json_flat.c reads flat JSON objects for both.
 */
#ifndef GILSIM_CALIBRATE_H
#define GILSIM_CALIBRATE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base.h"
#include "sim.h"

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
    /* Format 2: a request's cost per client (--client). */
    SIM_COST_REQUEST_NEW,
    SIM_COST_REQUEST_URLLIB,
    SIM_COST_REQUEST_AIOHTTP,
    SIM_COST_HOP,
    SIM_COST_RECV,
    SIM_COST_COLD,
    /* Format 3: the receive curve's bands past the first 64 KiB, */
    SIM_COST_RECV_64K,
    SIM_COST_RECV_1M,
    SIM_COST_RECV_4M,
    /* and the program's function before CPython quickens it. */
    SIM_COST_QUICKENED,
    SIM_COST_QUICKEN_CALLS,
    /* and the processes pool's start-up in its parent. */
    SIM_COST_POOL_START,
    SIM_COST_POOL_FORK,
    /* and a process's first request. */
    SIM_COST_FIRST_FETCH,
    SIM_COST_FIRST_FETCH_FORKED,
    /* and ThreadPool's per-task work. */
    SIM_COST_THREADPOOL_TASK,
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
    unsigned missing;       /* costs an older format lacks: defaults used */
    int format_version;     /* of the file read */
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
/* calibrate_fetch.c: this thread's CPU per fetch of `url` through gilsim's
 * own fetch, every Python cost at 0: a new connection each, or one kept
 * alive. 0 or -errno. */
int sim_calibrate_fetch_cpu(const char *url, int new_connection, int rounds,
                            int64_t *ns_per_fetch) SIM_WARN_UNUSED;
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

#endif /* GILSIM_CALIBRATE_H */
