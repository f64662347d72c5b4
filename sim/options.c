/*
 * options.c - the defaults of struct sim_options, what follows from the
 * options (a model's pool size, policy and GILs, the server's latency
 * and body size, the spacing of checks, a policy's label), and the names
 * of the models and workloads with their --help lines, used by the
 * command line (sim/cli/) and the run. Declared in run.h, but for the
 * defaults (sim.h) and the model names (models/models.h).
 */
#include <string.h>
#include <unistd.h>

#include "calibrate.h"
#include "run.h"

/* ---- names -------------------------------------------------------------- */

/* The models, in the order of enum sim_model: name and --help lines. */
static const struct {
    const char *name;
    const char *help;
} model_table[SIM_MODEL_COUNT] = {
    {"serial", "the tasks one after another, one thread"},
    {"threads", "a pool of --threads threads under the GIL"},
    {"executor", "ThreadPoolExecutor(--threads): main submits,\n"
                 "workers start on demand, results in order"},
    {"nogil", "the same pool without a GIL (free threads)"},
    {"processes", "a pool of --processes forked workers,\n"
                  "one GIL each (multiprocessing.Pool)"},
    {"loop", "one event-loop thread runs every task as a\n"
             "coroutine (asyncio.gather with aiohttp);\n"
             "writes go to --threads offload threads\n"
             "(aiofiles); not with convoy, whose CPU\n"
             "tasks would never yield"},
};

/* Every model of the table: --model=all and the default. */
#define ALL_MODELS ((1u << SIM_MODEL_COUNT) - 1u)

static const struct {
    const char *name;
    const char *help;
} workload_table[] = {
    {"seed", "--pages tasks: fetch a page, decode it,\n"
             "write it to MODEL/pages/top250-N.html"},
    {"cpu", "Beazley's countdown, `while n > 0: n -= 1`,\n"
            "split into one task per pool thread"},
    {"convoy", "one thread makes --ops small round trips\n"
               "while --cpu-threads threads spin (bpo-7946)"},
};

#define N_WORKLOADS (sizeof(workload_table) / sizeof(workload_table[0]))

const char *
sim_opt_workload_at(size_t i)
{
    return i < N_WORKLOADS ? workload_table[i].name : NULL;
}

const char *
sim_opt_workload_describe(size_t i)
{
    return i < N_WORKLOADS ? workload_table[i].help : NULL;
}

/* ---- defaults and what follows from the options ---------------------- */

void
sim_options_default(struct sim_options *o)
{
    /* --processes: multiprocessing.Pool()'s size, os.cpu_count(), which
     * counts the online cores (Python 3.11, 3.12); --cores: the cores this
     * process may use, the machine a virtual run stands for. */
    long cores = sysconf(_SC_NPROCESSORS_ONLN);

    memset(o, 0, sizeof(*o));
    o->models = ALL_MODELS;
    o->threads = 5;
    if (cores < 1) {
        cores = 1;
    } else if (cores > 1024) {
        cores = 1024;
    }
    o->processes = (int)cores;
    o->concurrency = 0;
    o->switch_interval_ns = 5000000;
    (void)snprintf(o->policy, sizeof(o->policy), "%s", "new");
    o->interpreters = 2;
    o->check_every = 0;
    sim_costs_default(&o->costs);
    o->costs_given = 0;
    o->calibration[0] = '\0';
    o->python[0] = '\0';
    (void)snprintf(o->workload, sizeof(o->workload), "%s", "seed");
    o->count = 50000000;
    o->pages = 25;
    o->ops = 200;
    o->cpu_threads = 1;
    o->latency_ns = -1;
    o->jitter_ns = 0;
    o->body_size = -1;
    o->fail_rate = 0.0;
    o->seed = 1;
    o->url[0] = '\0';
    o->timeout_ns = 10000000000LL;
    o->connections = 100;
    o->connect_timeout_ns = 2000000000LL;
    (void)snprintf(o->bind, sizeof(o->bind), "%s", "127.0.0.1");
    o->port = 0;
    o->repeat = 1;
    o->out_dir[0] = '\0';
    o->formats = SIM_FORMAT_TEXT;
    o->trace_events = 0; /* sized from the run */
    o->trace_mode = SIM_TRACE_MODE_HEAD;
    o->compress = 0;
    o->client = SIM_CLIENT_AUTO;
    o->quiet = 0;
    o->force_new = 0;
    o->plan_dir[0] = '\0';
    o->collect_dir[0] = '\0';
    o->partial = 0;
    o->mixed_hosts = 0;
    o->cell = 0;
    o->window_from_ns = 0;
    o->window_to_ns = 0;
    o->no_plots = 0;
    o->engine_virtual = 0;
    o->cores = base_usable_cores();
    if (o->cores > 4096) {
        o->cores = 4096; /* --cores' most */
    }
    o->bandwidth_bps = (int64_t)1024 * 1024 * 1024;
    o->write_cost_ns = 40000;
}

const char *
sim_model_name(enum sim_model m)
{
    if ((unsigned)m >= SIM_MODEL_COUNT) {
        return "?";
    }
    return model_table[m].name;
}

const char *
sim_model_describe(enum sim_model m)
{
    if ((unsigned)m >= SIM_MODEL_COUNT) {
        return "?";
    }
    return model_table[m].help;
}

int
sim_model_find(const char *name)
{
    int i;

    for (i = 0; i < SIM_MODEL_COUNT; i++) {
        if (strcmp(name, model_table[i].name) == 0) {
            return i;
        }
    }
    return -1;
}

const char *
sim_opt_policy_for(const struct sim_options *o, enum sim_model m)
{
    return m == SIM_MODEL_NOGIL ? "nogil" : o->policy;
}

int
sim_opt_pool_size(const struct sim_options *o, enum sim_model m)
{
    if (m == SIM_MODEL_SERIAL) {
        return 1;
    }
    if (m == SIM_MODEL_PROCESSES) {
        return o->processes;
    }
    if (strcmp(o->workload, "convoy") == 0) {
        return 1 + o->cpu_threads;
    }
    return o->threads;
}

const char *
sim_opt_workload_name(const struct sim_options *o)
{
    if (strcmp(o->workload, "file") == 0 && o->workload_name[0] != '\0') {
        return o->workload_name;
    }
    return o->workload;
}

int
sim_opt_uses_io(const struct sim_options *o)
{
    if (strcmp(o->workload, "file") == 0) {
        return o->workload_file_io;
    }
    return strcmp(o->workload, "cpu") != 0;
}

int64_t
sim_opt_latency_ns(const struct sim_options *o)
{
    if (o->latency_ns >= 0) {
        return o->latency_ns;
    }
    return strcmp(o->workload, "convoy") == 0 ? 0 : 150000000;
}

int64_t
sim_opt_body_size(const struct sim_options *o)
{
    if (o->body_size >= 0) {
        return o->body_size;
    }
    return strcmp(o->workload, "convoy") == 0 ? 128 : 64 * 1024;
}

int64_t
sim_opt_check_every(const struct sim_options *o)
{
    const struct gil_policy *p;

    if (o->check_every > 0) {
        return o->check_every;
    }
    p = gil_policy_find(o->policy);
    if (p == NULL) {
        return WL_COUNTDOWN_INSTRUCTIONS;
    }
    return gil_policy_default_check_every(p);
}

int
sim_opt_gil_count(const struct sim_options *o, enum sim_model m)
{
    int most;

    if (strcmp(sim_opt_policy_for(o, m), "per-interpreter") != 0) {
        return 1;
    }
    if (m != SIM_MODEL_THREADS && m != SIM_MODEL_EXECUTOR) {
        return 1;
    }
    /* More GILs than threads would stay unused: thread i is on GIL i. */
    most = (int)sim_model_trace_threads(m, sim_opt_pool_size(o, m));
    return o->interpreters < most ? o->interpreters : most;
}

const char *
sim_policy_label(const char *policy, char *buf, size_t len)
{
    if (gil_policy_is_what_if(gil_policy_find(policy))) {
        (void)snprintf(buf, len, "%s (what-if)", policy);
    } else {
        (void)snprintf(buf, len, "%s", policy);
    }
    return buf;
}

uint64_t
sim_opt_trace_keep(const struct sim_options *o)
{
    uint64_t threads = 0, keep;
    int m;

    if (o->trace_events > 0) {
        return o->trace_events;
    }
    for (m = 0; m < SIM_MODEL_COUNT; m++) {
        if (o->models & (1u << m)) {
            threads += sim_model_trace_threads(
                (enum sim_model)m, sim_opt_pool_size(o, (enum sim_model)m));
        }
    }
    keep = SIM_TRACE_BUDGET_BYTES / SIM_TRACE_EVENT_BYTES /
           (threads > 0 ? threads : 1);
    return keep < 64 ? 64 : keep;
}

/* In memory: up to 16M events a thread, 128M in all (3 GiB of address
 * space, reserved with MAP_NORESERVE: only what is written is paid). */
#define MEM_EVENTS_PER_THREAD (16ull * 1000 * 1000)
#define MEM_EVENTS_IN_ALL     (128ull * 1000 * 1000)

uint64_t
sim_opt_trace_capacity(const struct sim_options *o, enum sim_model m)
{
    uint64_t threads = sim_model_trace_threads(m, sim_opt_pool_size(o, m));
    uint64_t cap = MEM_EVENTS_IN_ALL / (threads > 0 ? threads : 1);
    uint64_t keep = sim_opt_trace_keep(o);

    cap = cap < MEM_EVENTS_PER_THREAD ? cap : MEM_EVENTS_PER_THREAD;
    return cap > keep ? cap : keep;
}

const char *
sim_client_name(enum sim_client c)
{
    static const char *const names[SIM_CLIENT_COUNT] = {
        "requests", "requests-session", "urllib", "aiohttp"};

    return (unsigned)c < SIM_CLIENT_COUNT ? names[c] : NULL;
}

enum sim_client
sim_opt_client(const struct sim_options *o, enum sim_model m)
{
    if (m == SIM_MODEL_LOOP) {
        return SIM_CLIENT_AIOHTTP; /* asyncio's client: the seed's loop */
    }
    if (o->client != SIM_CLIENT_AUTO && o->client != SIM_CLIENT_AIOHTTP) {
        return (enum sim_client)o->client;
    }
    /* The seed's programs call requests.get; the convoy's one thread
     * keeps a requests.Session (bench/fidelity/convoy.py). */
    return strcmp(o->workload, "convoy") == 0 ? SIM_CLIENT_SESSION
                                              : SIM_CLIENT_REQUESTS;
}

int64_t
sim_opt_request_instructions(const struct sim_options *o, enum sim_model m)
{
    switch (sim_opt_client(o, m)) {
    case SIM_CLIENT_REQUESTS:
        return o->costs.request_new_instructions;
    case SIM_CLIENT_URLLIB:
        return o->costs.request_urllib_instructions;
    case SIM_CLIENT_AIOHTTP:
        return o->costs.request_aiohttp_instructions;
    default:
        return o->costs.request_instructions;
    }
}

/* The first-fetch costs are measured for requests; urllib's and
 * aiohttp's are not (0). */
static int
first_fetch_measured(const struct sim_options *o, enum sim_model m)
{
    enum sim_client c = sim_opt_client(o, m);

    return c == SIM_CLIENT_REQUESTS || c == SIM_CLIENT_SESSION;
}

int64_t
sim_opt_first_fetch_instructions(const struct sim_options *o, enum sim_model m)
{
    return first_fetch_measured(o, m) ? o->costs.first_fetch_instructions : 0;
}

int64_t
sim_opt_first_fetch_forked_instructions(const struct sim_options *o,
                                        enum sim_model m)
{
    return first_fetch_measured(o, m) ? o->costs.first_fetch_forked_instructions
                                      : 0;
}

int
sim_client_new_connection(enum sim_client c)
{
    return c == SIM_CLIENT_REQUESTS || c == SIM_CLIENT_URLLIB;
}

/*
 * GIL releases a request makes around calls that return at once, besides
 * the send, the recvs and a connect (counted with strace -f on Debian 12's
 * CPython 3.11.2; a call per request over 100 requests): requests.Session
 * 4 (os.stat of ~/.netrc and ~/_netrc, urllib3's poll(0), settimeout's
 * ioctl); requests.get 6 (the two stats, two ioctls, socket() and close());
 * urllib 2 (socket() and close()). aiohttp makes none: the loop's epoll
 * is its one release.
 */
int
sim_client_quick_releases(enum sim_client c)
{
    static const int releases[SIM_CLIENT_COUNT] = {6, 4, 2, 0};

    return (unsigned)c < SIM_CLIENT_COUNT ? releases[c] : 0;
}
