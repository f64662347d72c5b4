/*
 * sim.h - the public interface of sim/: run a workload under one or more
 * execution models, with the options that describe the run.
 *
 * sim/ ties gil/, workloads/ and sim/trace/ together. A model (serial,
 * threads, executor, nogil, processes, loop) creates the threads, gives
 * each a GIL thread state and a trace buffer, and runs the workload's
 * tasks; the run driver times it, repeats it, derives the
 * summary and writes the run folder. The command line (sim/cli/, cli.h)
 * parses options into a `struct sim_options`, validates all of it before
 * anything is created, and calls the driver.
 *
 * Ownership: arguments are borrowed.
 */
#ifndef GILSIM_SIM_H
#define GILSIM_SIM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "models/models.h"

#define SIM_VERSION "0.1.0"

/* Room for one error sentence (without the "gilsim: --flag=value: "). */
#define SIM_ERR_LEN 512

/* Most values in one list of gilsim sweep. */
#define SIM_SWEEP_MAX 64

/* Exit statuses of gilsim. */
enum sim_exit {
    SIM_EXIT_OK = 0,
    SIM_EXIT_FAILURES = 1, /* the run finished, but steps failed */
    SIM_EXIT_USAGE = 2,    /* bad command line: nothing was run */
    SIM_EXIT_ERROR = 3,    /* the run itself could not be carried out */
};

/* Bits of sim_options.costs_given: costs set on the command line, which
 * win over a calibration file whatever the order of the flags. */
#define SIM_COST_GIVEN_INSTR_NS     1u /* --instr-ns */
#define SIM_COST_GIVEN_WORKER_START 2u /* --worker-start */

/* The most repetitions --repeat takes. */
#define SIM_REPEAT_MAX 1000

/* --client: the Python HTTP client a model's fetches stand for, its cost
 * per request and its connections. */
enum sim_client {
    SIM_CLIENT_REQUESTS = 0, /* requests.get: a new Session and connection */
    SIM_CLIENT_SESSION = 1,  /* requests.Session.get: keep-alive */
    SIM_CLIENT_URLLIB = 2,   /* urllib.request.urlopen: a new connection */
    SIM_CLIENT_AIOHTTP = 3,  /* aiohttp ClientSession.get + text() */
    SIM_CLIENT_COUNT
};
#define SIM_CLIENT_AUTO (-1) /* each model's seed program's own */

/* --trace: which of a thread's events the trace files keep when it has
 * more than --trace-events; off writes no trace and draws no timeline. */
#define SIM_TRACE_MODE_HEAD 0
#define SIM_TRACE_MODE_RING 1
#define SIM_TRACE_MODE_OFF  2

/* What `--format` prints on stdout, one bit each, in this order. */
#define SIM_FORMAT_TEXT 1u /* the table (run) or the recommendation (sweep) */
#define SIM_FORMAT_JSON 2u /* summary.json (run) or the sweep's cells */
#define SIM_FORMAT_TSV  4u /* the table's numbers, tab-separated */
#define SIM_FORMAT_MD   8u /* the table in Markdown */

struct sim_options {
    unsigned models;            /* bit (1u << enum sim_model) per model */
    int threads;                /* pool size */
    int processes;              /* pool size of `processes` */
    int concurrency;            /* loop: tasks under way at once, 0 = all */
    int64_t switch_interval_ns; /* CPython's sys.setswitchinterval */
    char policy[16];            /* gil policy name */
    int interpreters;           /* per-interpreter: GILs [2] */
    int64_t check_every;        /* 0 = the policy's default */
    char workload[64];          /* seed, cpu, convoy, or "file" */
    /* --workload=FILE: the workload file (sim/workload_file.c), and
     * whether it has fetch or write steps; "" and 0 for the built-ins. */
    char workload_file[4096];
    int workload_file_io;
    /* the run flags it names (bits of enum sim_wf_flag), which then apply */
    unsigned workload_file_flags;
    /* its "name" (or the file's name less .json): what titles and
     * summary.json call the workload */
    char workload_name[64];
    int64_t count;   /* cpu workload: countdown iterations */
    int64_t pages;   /* seed: pages to fetch */
    int64_t ops;     /* convoy: round trips of the I/O thread */
    int cpu_threads; /* convoy: CPU threads beside it */
    /* The embedded server; -1 = the workload's default (seed: 150ms and
     * 64KiB; convoy: 0 and 128B). */
    int64_t latency_ns;
    int64_t jitter_ns;  /* uniform [0, jitter) added to each reply */
    int64_t body_size;  /* bytes per page */
    double fail_rate;   /* share of pages the server fails, 0..1 */
    uint64_t seed;      /* of the server's bodies, jitter and failures */
    char url[2048];     /* "" = the embedded server; {page} replaced */
    int64_t timeout_ns; /* per fetch, connect included */
    int connections;    /* loop: connections at once, 0 = no limit */
    int64_t connect_timeout_ns;
    char bind[64];      /* serve: address to listen on */
    int port;           /* serve: port, 0 = any free one */
    int repeat;         /* repetitions of each run */
    char out_dir[4096]; /* run folder; "" = gilsim-out/TIMESTAMP */
    unsigned formats;   /* SIM_FORMAT_*: what goes to stdout */
    /* Events per thread the trace files keep; 0 = sized from the run
     * (sim_opt_trace_keep). */
    uint64_t trace_events;
    int trace_mode; /* SIM_TRACE_MODE_*: which events the files keep */
    int compress;   /* trace.json.gz instead of trace.json */
    int client;     /* enum sim_client of the thread models, or AUTO */
    int quiet;      /* no progress lines on stderr */
    int force_new;  /* sweep: never resume; a folder beside --out's */
    /* Plots: the timeline window in ns since the run's start, [from, to);
     * to = 0 means to the end of the run. no_plots skips every picture. */
    int64_t window_from_ns, window_to_ns;
    int no_plots;
    /* gilsim sweep: the lists given to --threads, --processes,
     * --concurrency and --switch-interval, ascending without repeats (n = 0:
     * not given, the single value above is used). `run` refuses lists. */
    int sweep_threads[SIM_SWEEP_MAX];
    int sweep_processes[SIM_SWEEP_MAX];
    int64_t sweep_switch_ns[SIM_SWEEP_MAX];
    int sweep_concurrency[SIM_SWEEP_MAX];
    int n_sweep_threads, n_sweep_processes, n_sweep_switch;
    int n_sweep_concurrency;
    /* --engine=virtual: simulated cores, a transfer's bytes per second
     * (0 = instant), and the system calls of one write. */
    int engine_virtual;
    int cores;
    int64_t bandwidth_bps;
    int64_t write_cost_ns;
    /* Every cost the simulation charges (instr_ns and worker_start_ns
     * are --instr-ns and --worker-start). */
    struct sim_costs costs;
    unsigned costs_given;    /* SIM_COST_GIVEN_* */
    char calibration[4096];  /* --calibration=FILE; "" = the defaults */
    char python[4096];       /* calibrate: --python; "" = python3 on PATH */
    char workload_action[8]; /* gilsim workload ACTION: "check" */
    /* gilsim record [OPTIONS] [--] PROGRAM ARGS...: the program's
     * arguments (pointing into main's argv), PROGRAM first. */
    int record_argc;
    char *const *record_argv;
    /* gilsim predict DIR: the recording's folder (the command is parsed
     * as a sweep of DIR/workload.json); "" otherwise. */
    char predict_dir[4096];
    /* gilsim sweep --plan=DIR: write the sweep's plan there and run
     * nothing; --collect=DIR: merge the cells a plan's jobs wrote
     * (sweep_plan.c, sweep_collect.c); "" otherwise. */
    char plan_dir[4096];
    char collect_dir[4096];
    int partial;     /* --collect: missing or failed cells are no error */
    int mixed_hosts; /* --collect: recommend across hosts' core counts */
    /* gilsim run --cell: one cell of a plan; the run goes to OUT.part
     * and is renamed to --out when it ends (cell.c). */
    int cell;
    /* gilsim sweep --jobs=N: jobs run at once (0: the default, one a
     * core under --engine=virtual, else 1). */
    int jobs;
};

/* Defaults, as documented in --help and README. */
void sim_options_default(struct sim_options *o);

#endif /* GILSIM_SIM_H */
