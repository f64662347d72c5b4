/*
 * optapply.c - whether an option given on the command line applies to
 * the run it was given for: its workload, its models, its GIL policy.
 *
 * A row of opttable.c may name one of these functions in `applies`. After
 * the parse, every option the user gave is checked against the options as
 * parsed: a function returns 1 when the option changes something in this
 * run, or 0 with `why`, the end of the sentence "--pages applies only to
 * ...", so `--pages` with `--workload=cpu` or `--concurrency` with
 * `--model=threads` is refused with one line rather than ignored. An
 * option whose row has no function applies to every run of its commands.
 */
#include <string.h>

#include "cli_internal.h"

#define MODEL(m) (1u << (m))

static int
workload_is(const struct sim_options *o, const char *name)
{
    return strcmp(o->workload, name) == 0;
}

static int
only_workload(const struct sim_options *o, const char *names, char *why,
              size_t len)
{
    (void)snprintf(why, len, "%s, and this run's is --workload=%.200s", names,
                   o->workload_file[0] != '\0' ? o->workload_file
                                               : o->workload);
    return 0;
}

/* 1 if the run has a model of `models`; else `why` names them. */
static int
has_model(const struct sim_options *o, unsigned models, const char *names,
          char *why, size_t len)
{
    if (o->models & models) {
        return 1;
    }
    (void)snprintf(why, len, "%s, which this run's --model leaves out", names);
    return 0;
}

/* 1 if this run's workload file names run flag f ("tasks": "--pages"). */
static int
file_names(const struct sim_options *o, enum sim_wf_flag f)
{
    return workload_is(o, "file") && (o->workload_file_flags & (1u << f));
}

int
sim_opt_applies_seed(const struct sim_options *o, char *why, size_t len)
{
    return workload_is(o, "seed") || file_names(o, SIM_WF_PAGES) ||
           only_workload(o, "--workload=seed (or a file that names it)", why,
                         len);
}

int
sim_opt_applies_cpu(const struct sim_options *o, char *why, size_t len)
{
    return workload_is(o, "cpu") || file_names(o, SIM_WF_COUNT) ||
           only_workload(o, "--workload=cpu (or a file that names it)", why,
                         len);
}

int
sim_opt_applies_convoy(const struct sim_options *o, char *why, size_t len)
{
    return workload_is(o, "convoy") ||
           only_workload(o, "--workload=convoy (or a file that names it)", why,
                         len);
}

/* --write-cost: the workloads that write (seed, a file with writes). */
int
sim_opt_applies_writes(const struct sim_options *o, char *why, size_t len)
{
    return workload_is(o, "seed") ||
           (workload_is(o, "file") && o->workload_file_io) ||
           only_workload(o,
                         "the workloads that write (seed, a file with "
                         "write steps)",
                         why, len);
}

/* --ops and --cpu-threads: the convoy's, or a file's that names them. */
int
sim_opt_applies_ops(const struct sim_options *o, char *why, size_t len)
{
    return file_names(o, SIM_WF_OPS) || sim_opt_applies_convoy(o, why, len);
}

int
sim_opt_applies_cpu_threads(const struct sim_options *o, char *why, size_t len)
{
    return file_names(o, SIM_WF_CPU_THREADS) ||
           sim_opt_applies_convoy(o, why, len);
}

/* I/O: the workloads that fetch (seed and convoy). */
int
sim_opt_applies_io(const struct sim_options *o, char *why, size_t len)
{
    return sim_opt_uses_io(o) ||
           only_workload(o,
                         "the workloads that fetch (seed, convoy, a file "
                         "with fetch or write steps)",
                         why, len);
}

/* The embedded server's settings: I/O, and no --url in its place. */
int
sim_opt_applies_server(const struct sim_options *o, char *why, size_t len)
{
    if (!sim_opt_applies_io(o, why, len)) {
        return 0;
    }
    if (o->url[0] != '\0') {
        (void)snprintf(why, len, "the embedded server, which --url replaces");
        return 0;
    }
    return 1;
}

/* The loop's own settings (--concurrency, --connections). */
int
sim_opt_applies_loop(const struct sim_options *o, char *why, size_t len)
{
    return has_model(o, MODEL(SIM_MODEL_LOOP), "the loop model", why, len);
}

/* --connections: the loop's connection limit, when it fetches. */
int
sim_opt_applies_loop_io(const struct sim_options *o, char *why, size_t len)
{
    return sim_opt_applies_loop(o, why, len) && sim_opt_applies_io(o, why, len);
}

/* The process pool's settings (--processes, --worker-start). */
int
sim_opt_applies_processes(const struct sim_options *o, char *why, size_t len)
{
    return has_model(o, MODEL(SIM_MODEL_PROCESSES), "the processes model", why,
                     len);
}

/*
 * --threads: the countdown is split into one task per thread in every
 * model; for the seed it sizes the thread pools and the loop's offload
 * threads; the convoy's pool is 1 + --cpu-threads.
 */
int
sim_opt_applies_threads(const struct sim_options *o, char *why, size_t len)
{
    const unsigned pools = MODEL(SIM_MODEL_THREADS) |
                           MODEL(SIM_MODEL_EXECUTOR) | MODEL(SIM_MODEL_NOGIL) |
                           MODEL(SIM_MODEL_LOOP);

    if (workload_is(o, "convoy")) {
        (void)snprintf(why, len,
                       "--workload=seed and cpu (the convoy's pool is 1 + "
                       "--cpu-threads)");
        return 0;
    }
    if (workload_is(o, "cpu")) {
        return 1;
    }
    return has_model(o, pools, "the threads, executor, nogil and loop models",
                     why, len);
}

/*
 * --client: the HTTP client of the models that fetch. aiohttp is the
 * loop's (asyncio's client), the others are the thread models'; a run
 * must have a model the named client can stand for.
 */
int
sim_opt_applies_client(const struct sim_options *o, char *why, size_t len)
{
    const unsigned loop = MODEL(SIM_MODEL_LOOP);

    if (!sim_opt_applies_io(o, why, len)) {
        return 0;
    }
    if (o->client == SIM_CLIENT_AIOHTTP && (o->models & ~loop) != 0) {
        (void)snprintf(why, len,
                       "the loop model (asyncio's client), and this run has "
                       "models with threads too: they take requests, "
                       "requests-session or urllib");
        return 0;
    }
    if (o->client != SIM_CLIENT_AIOHTTP && (o->models & ~loop) == 0) {
        (void)snprintf(why, len,
                       "the models with threads (the loop's client is "
                       "aiohttp), which this run's --model leaves out");
        return 0;
    }
    return 1;
}

/* --trace-events, --compress: the trace files, which --trace=off drops. */
int
sim_opt_applies_trace(const struct sim_options *o, char *why, size_t len)
{
    if (o->trace_mode != SIM_TRACE_MODE_OFF) {
        return 1;
    }
    (void)snprintf(why, len, "the trace files, which --trace=off leaves out");
    return 0;
}

int
sim_opt_applies_per_interpreter(const struct sim_options *o, char *why,
                                size_t len)
{
    if (strcmp(o->policy, "per-interpreter") == 0) {
        return 1;
    }
    (void)snprintf(why, len,
                   "--policy=per-interpreter, and this run's is "
                   "--policy=%s",
                   o->policy);
    return 0;
}

/* --partial, --mixed-hosts: what --collect does with the cells. */
int
sim_opt_applies_collect(const struct sim_options *o, char *why, size_t len)
{
    if (o->collect_dir[0] != '\0') {
        return 1;
    }
    (void)snprintf(why, len, "gilsim sweep --collect=DIR");
    return 0;
}

/* --jobs: more than one job at once only in virtual time, where cells
 * do not disturb each other; a real-time cell's timing is the
 * measurement, and it runs alone. */
int
sim_opt_applies_jobs(const struct sim_options *o, char *why, size_t len)
{
    if (o->jobs <= 1 || o->engine_virtual) {
        return 1;
    }
    (void)snprintf(why, len,
                   "--engine=virtual (a real-time cell runs alone: its time "
                   "is the measurement; --plan spreads cells over machines)");
    return 0;
}

/* --cell: a planned sweep's cell, written to OUT.part and renamed. */
int
sim_opt_applies_cell(const struct sim_options *o, char *why, size_t len)
{
    if (o->out_dir[0] != '\0') {
        return 1;
    }
    (void)snprintf(why, len, "a run with --out=DIR (the cell's folder)");
    return 0;
}
