/*
 * sim.h - the public interface of sim/: run a workload under one or more
 * execution models, and the command line that drives it.
 *
 * sim/ ties gil/, workloads/ and sim/trace/ together. A model (serial,
 * threads, nogil, and with later issues executor, processes, loop) creates
 * the threads, gives each a GIL thread state and a trace buffer, and runs
 * the workload's tasks; the run driver times it, repeats it, derives the
 * summary and writes the run folder. The CLI parses options into a
 * `struct sim_options`, validates all of it before anything is created, and
 * calls the driver.
 *
 * Ownership: arguments are borrowed.
 */
#ifndef GILSIM_SIM_H
#define GILSIM_SIM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SIM_WARN_UNUSED __attribute__((warn_unused_result))

/* Most values in one list of gilsim sweep. */
#define SIM_SWEEP_MAX 64

enum sim_model {
    SIM_MODEL_SERIAL = 0,
    SIM_MODEL_THREADS = 1,
    SIM_MODEL_EXECUTOR = 2,
    SIM_MODEL_NOGIL = 3,
    SIM_MODEL_PROCESSES = 4,
    SIM_MODEL_LOOP = 5,
    SIM_MODEL_COUNT
};

/* Exit statuses of gilsim. */
enum sim_exit {
    SIM_EXIT_OK = 0,
    SIM_EXIT_FAILURES = 1, /* the run finished, but steps failed */
    SIM_EXIT_USAGE = 2,    /* bad command line: nothing was run */
    SIM_EXIT_ERROR = 3,    /* the run itself could not be carried out */
};

struct sim_options {
    unsigned models;            /* bit (1u << enum sim_model) per model */
    int threads;                /* pool size */
    int processes;              /* pool size of `processes` */
    int concurrency;            /* loop: tasks under way at once, 0 = all */
    int64_t worker_start_ns;    /* processes: CPU of a worker's start-up */
    int64_t switch_interval_ns; /* CPython's sys.setswitchinterval */
    char policy[16];            /* gil policy name */
    int interpreters;           /* per-interpreter: GILs [2] */
    int64_t check_every;        /* 0 = the policy's default */
    double instr_ns;            /* cost of one instruction */
    char workload[64];          /* seed, cpu or convoy */
    int64_t count;              /* cpu workload: countdown iterations */
    int64_t pages;              /* seed: pages to fetch */
    int64_t ops;                /* convoy: round trips of the I/O thread */
    int cpu_threads;            /* convoy: CPU threads beside it */
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
    char bind[64];                /* serve: address to listen on */
    int port;                     /* serve: port, 0 = any free one */
    int repeat;                   /* repetitions of each run */
    char out_dir[4096];           /* run folder; "" = gilsim-out/TIMESTAMP */
    int format_text, format_json; /* what goes to stdout */
    uint64_t trace_events;        /* buffer capacity per thread */
    int quiet;                    /* no progress lines on stderr */
    /* Plots: the timeline window in ns since the run's start, [from, to);
     * to = 0 means to the end of the run. no_plots skips every picture. */
    int64_t window_from_ns, window_to_ns;
    int no_plots;
    /* gilsim sweep: the lists given to --threads, --processes and
     * --switch-interval, ascending without repeats (n = 0: not given, the
     * single value above is used). `run` refuses lists. */
    int sweep_threads[SIM_SWEEP_MAX];
    int sweep_processes[SIM_SWEEP_MAX];
    int64_t sweep_switch_ns[SIM_SWEEP_MAX];
    int n_sweep_threads, n_sweep_processes, n_sweep_switch;
};

/* Defaults, as documented in --help and README. */
void sim_options_default(struct sim_options *o);

const char *sim_model_name(enum sim_model m);
/* -1 if unknown. */
int sim_model_find(const char *name);
/* 1 if this build can run the model (the rest arrive with later issues). */
int sim_model_available(enum sim_model m);

/* The whole CLI: `gilsim [run] ...`, `gilsim serve`, `--help`,
 * `--version`. Returns the
 * exit status (enum sim_exit). `out` gets results, `err` diagnostics. */
int sim_main(int argc, char **argv, FILE *out, FILE *err);

#endif /* GILSIM_SIM_H */
