/*
 * options.c - the command line of gilsim: the option table, defaults and
 * parsing (the help text is help.c's, the value parsers parse.c's).
 *
 * Every long option is one row of `opt_table`, in the manner of curl's
 * tool_getparam.c: its kind (count, duration, size, rate, number, name,
 * list, path, ...), its range, the field of struct sim_options it sets
 * (by offsetof), the cost bits it marks as given, and the commands that
 * take it. apply() is a switch on the kind; the only option-specific code
 * left is --format (two fields), --window (two ends) and the lists of
 * `gilsim sweep`. The "expected ..." sentence of every error is made from
 * the row by sim_opt_expect(), so what an error says is what the parser
 * accepts; the names it lists come from the tables below (models,
 * workloads) or from gil/ (gil_policy_names).
 *
 * sim_opt_parse() walks argv once. An optional leading subcommand (see
 * cmd_table) is followed by long options, `--name=value` or `--name
 * value`. After `sweep`, the rows marked SIM_OPTF_SWEEP take
 * comma-separated lists; given to `run`, a list is refused by the single
 * value's parser. Format errors use the sentence of the value parser
 * (parse.c), range errors and missing values the row's. The first bad
 * value stops the parse with one line in `err` naming the flag, the value
 * and what is accepted; the caller prints it and exits 2 before anything
 * is created. Options given twice: the last one wins. The checks across
 * options (convoy and loop, the virtual engine's options) run at the end.
 *
 * Only sim/ and its tests include this file's declarations
 * (sim_internal.h); the model names are public (sim.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim_internal.h"

#define NS_US         1e3
#define NS_MS         1e6
#define NS_S          1e9
#define KIB           1024.0
#define MIB           (1024.0 * 1024.0)
#define GIB           (1024.0 * 1024.0 * 1024.0)
#define SIZEOF_OPT(f) sizeof(((struct sim_options *)NULL)->f)

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

/* What this build can run: every model of the table. */
#define AVAILABLE_MODELS ((1u << SIM_MODEL_COUNT) - 1u)

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

static const char *
model_at(size_t i)
{
    return i < SIM_MODEL_COUNT ? model_table[i].name : NULL;
}

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

static const char *
policy_at(size_t i)
{
    const char *const *names = gil_policy_names();
    size_t k;

    for (k = 0; names != NULL && names[k] != NULL; k++) {
        if (k == i) {
            return names[k];
        }
    }
    return NULL;
}

/* --engine: the index is engine_virtual. */
static const char *
engine_at(size_t i)
{
    static const char *const names[] = {"real", "virtual"};

    return i < 2 ? names[i] : NULL;
}

/* --format: bit 0 text, bit 1 json. */
static const char *
format_at(size_t i)
{
    static const char *const names[] = {"text", "json"};

    return i < 2 ? names[i] : NULL;
}

/* ---- the table ---------------------------------------------------------- */

#define FIELD(f, t) .offset = offsetof(struct sim_options, f), .type = (t)
#define SWEEP(a, n)                                                            \
    .flags = SIM_OPTF_SWEEP, .sweep_offset = offsetof(struct sim_options, a),  \
    .sweep_n_offset = offsetof(struct sim_options, n)
#define CMD(c)   (1u << (c))
#define RUNS     (CMD(SIM_CMD_RUN) | CMD(SIM_CMD_SERVE) | CMD(SIM_CMD_SWEEP))
#define ALL_CMDS (RUNS | CMD(SIM_CMD_PLOT) | CMD(SIM_CMD_CALIBRATE))
/* Room kept after a path for what is appended to it ("/serial/..."). */
#define PATH_ROOM 64
#define URL_ROOM  32

/* One row per option; rows are kept on few lines, as a table. */
/* clang-format off */
static const struct sim_opt_desc opt_table[] = {
    {.name = "model", .kind = SIM_OPT_LIST, .meta = "LIST", .head = "model",
     .flags = SIM_OPTF_ALL, .name_at = model_at,
     FIELD(models, SIM_OPT_BITS), .cmds = RUNS},
    {.name = "threads", .kind = SIM_OPT_COUNT, .meta = "N", .min = 1,
     .max = 4096, .max_virtual = 100000,
     SWEEP(sweep_threads, n_sweep_threads), FIELD(threads, SIM_OPT_INT),
     .cmds = RUNS},
    {.name = "processes", .kind = SIM_OPT_COUNT, .meta = "N", .min = 1,
     .max = 1024, SWEEP(sweep_processes, n_sweep_processes),
     FIELD(processes, SIM_OPT_INT), .cmds = RUNS},
    {.name = "concurrency", .kind = SIM_OPT_COUNT, .meta = "N", .min = 0,
     .max = 1e6, .head = "a whole number of tasks", .zero = "no limit",
     FIELD(concurrency, SIM_OPT_INT), .cmds = RUNS},
    {.name = "worker-start", .kind = SIM_OPT_DURATION, .meta = "D", .min = 0,
     .max = 60 * NS_S, .example = "50ms",
     FIELD(costs.worker_start_ns, SIM_OPT_I64),
     .given = SIM_COST_GIVEN_WORKER_START, .cmds = RUNS},
    {.name = "switch-interval", .kind = SIM_OPT_DURATION, .meta = "D",
     .min = NS_US, .max = 10 * NS_S, .example = "5ms",
     SWEEP(sweep_switch_ns, n_sweep_switch),
     FIELD(switch_interval_ns, SIM_OPT_I64), .cmds = RUNS},
    {.name = "policy", .kind = SIM_OPT_NAME, .meta = "NAME",
     .head = "GIL policy", .max = (double)SIZEOF_OPT(policy),
     .name_at = policy_at, FIELD(policy, SIM_OPT_STR), .cmds = RUNS},
    {.name = "interpreters", .kind = SIM_OPT_COUNT, .meta = "N", .min = 1,
     .max = 4096, FIELD(interpreters, SIM_OPT_INT), .cmds = RUNS},
    {.name = "check-every", .kind = SIM_OPT_COUNT, .meta = "N", .min = 0,
     .max = 1e9, .head = "a whole number of instructions",
     .zero = "the policy's default", FIELD(check_every, SIM_OPT_I64),
     .cmds = RUNS},
    {.name = "instr-ns", .kind = SIM_OPT_DURATION, .meta = "D", .min = 0,
     .max = NS_S, .flags = SIM_OPTF_MIN_EXCL, .example = "4.1ns",
     FIELD(costs.instr_ns, SIM_OPT_DBL), .given = SIM_COST_GIVEN_INSTR_NS,
     .cmds = RUNS},
    {.name = "calibration", .kind = SIM_OPT_PATH, .meta = "FILE",
     .head = "a calibration file written by gilsim calibrate",
     .max = (double)(SIZEOF_OPT(calibration) - PATH_ROOM),
     FIELD(calibration, SIM_OPT_STR), .cmds = RUNS},
    {.name = "python", .kind = SIM_OPT_PATH, .meta = "PATH",
     .head = "a Python 3 interpreter: a path, or a name looked up on PATH",
     .max = (double)(SIZEOF_OPT(python) - PATH_ROOM),
     FIELD(python, SIM_OPT_STR), .cmds = CMD(SIM_CMD_CALIBRATE)},
    {.name = "workload", .kind = SIM_OPT_NAME, .meta = "NAME",
     .head = "workload", .max = (double)SIZEOF_OPT(workload),
     .name_at = sim_opt_workload_at, FIELD(workload, SIM_OPT_STR),
     .cmds = RUNS},
    {.name = "pages", .kind = SIM_OPT_COUNT, .meta = "N", .min = 1,
     .max = 1e6, .head = "a whole number of pages",
     FIELD(pages, SIM_OPT_I64), .cmds = RUNS},
    {.name = "ops", .kind = SIM_OPT_COUNT, .meta = "N", .min = 1, .max = 1e7,
     .head = "a whole number of round trips", FIELD(ops, SIM_OPT_I64),
     .cmds = RUNS},
    {.name = "cpu-threads", .kind = SIM_OPT_COUNT, .meta = "N", .min = 0,
     .max = 4095, FIELD(cpu_threads, SIM_OPT_INT), .cmds = RUNS},
    {.name = "latency", .kind = SIM_OPT_DURATION, .meta = "D", .min = 0,
     .max = 60 * NS_S, .example = "150ms", FIELD(latency_ns, SIM_OPT_I64),
     .cmds = RUNS},
    {.name = "latency-jitter", .kind = SIM_OPT_DURATION, .meta = "D",
     .min = 0, .max = 60 * NS_S, .example = "20ms",
     FIELD(jitter_ns, SIM_OPT_I64), .cmds = RUNS},
    {.name = "body-size", .kind = SIM_OPT_SIZE, .meta = "S", .min = 0,
     .max = 64 * MIB, .example = "64KiB", FIELD(body_size, SIM_OPT_I64),
     .cmds = RUNS},
    {.name = "fail-rate", .kind = SIM_OPT_NUMBER, .meta = "F", .min = 0,
     .max = 1, .example = "0.1", FIELD(fail_rate, SIM_OPT_DBL),
     .cmds = RUNS},
    {.name = "seed", .kind = SIM_OPT_COUNT, .meta = "N", .min = 0,
     .max = 1e12, FIELD(seed, SIM_OPT_U64), .cmds = RUNS},
    {.name = "url", .kind = SIM_OPT_URL, .meta = "URL",
     .head = "an http:// or https:// URL with a host, where {page} stands "
             "for the page number",
     .max = (double)(SIZEOF_OPT(url) - URL_ROOM), FIELD(url, SIM_OPT_STR),
     .cmds = RUNS},
    {.name = "connections", .kind = SIM_OPT_COUNT, .meta = "N", .min = 0,
     .max = 1e6, .head = "a whole number of connections", .zero = "no limit",
     FIELD(connections, SIM_OPT_INT), .cmds = RUNS},
    {.name = "timeout", .kind = SIM_OPT_DURATION, .meta = "D", .min = NS_MS,
     .max = 3600 * NS_S, .example = "10s", FIELD(timeout_ns, SIM_OPT_I64),
     .cmds = RUNS},
    {.name = "connect-timeout", .kind = SIM_OPT_DURATION, .meta = "D",
     .min = NS_MS, .max = 3600 * NS_S, .example = "2s",
     FIELD(connect_timeout_ns, SIM_OPT_I64), .cmds = RUNS},
    {.name = "bind", .kind = SIM_OPT_ADDR, .meta = "ADDR",
     .head = "an IPv4 address", .example = "127.0.0.1",
     .max = (double)SIZEOF_OPT(bind), FIELD(bind, SIM_OPT_STR),
     .cmds = RUNS},
    {.name = "port", .kind = SIM_OPT_COUNT, .meta = "N", .min = 0,
     .max = 65535, .head = "a port number", .zero = "any free port",
     FIELD(port, SIM_OPT_INT), .cmds = RUNS},
    {.name = "count", .kind = SIM_OPT_COUNT, .meta = "N", .min = 1,
     .max = 1e12, .example = "50M", FIELD(count, SIM_OPT_I64), .cmds = RUNS},
    {.name = "repeat", .kind = SIM_OPT_COUNT, .meta = "N", .min = 1,
     .max = 1000, FIELD(repeat, SIM_OPT_INT), .cmds = RUNS},
    {.name = "out", .kind = SIM_OPT_PATH, .meta = "DIR",
     .head = "a directory path",
     .max = (double)(SIZEOF_OPT(out_dir) - PATH_ROOM),
     FIELD(out_dir, SIM_OPT_STR), .cmds = RUNS | CMD(SIM_CMD_CALIBRATE)},
    {.name = "format", .kind = SIM_OPT_LIST, .meta = "LIST", .head = "format",
     .name_at = format_at, FIELD(format_text, SIM_OPT_BITS), .cmds = RUNS},
    {.name = "trace-events", .kind = SIM_OPT_COUNT, .meta = "N", .min = 16,
     .max = 1e8, .head = "a whole number of events", .example = "1M",
     FIELD(trace_events, SIM_OPT_U64), .cmds = RUNS},
    {.name = "engine", .kind = SIM_OPT_NAME, .meta = "NAME", .head = "engine",
     .name_at = engine_at, FIELD(engine_virtual, SIM_OPT_INT),
     .cmds = RUNS},
    {.name = "cores", .kind = SIM_OPT_COUNT, .meta = "N", .min = 1,
     .max = 4096, .flags = SIM_OPTF_VIRTUAL,
     .head = "a whole number of simulated cores", FIELD(cores, SIM_OPT_INT),
     .cmds = RUNS},
    {.name = "bandwidth", .kind = SIM_OPT_RATE, .meta = "RATE", .min = 0,
     .max = 64 * GIB, .flags = SIM_OPTF_VIRTUAL, .zero = "instant",
     .example = "1GiB/s", FIELD(bandwidth_bps, SIM_OPT_I64), .cmds = RUNS},
    {.name = "write-cost", .kind = SIM_OPT_DURATION, .meta = "D", .min = 0,
     .max = 10 * NS_S, .flags = SIM_OPTF_VIRTUAL, .example = "40us",
     FIELD(write_cost_ns, SIM_OPT_I64), .cmds = RUNS},
    {.name = "quiet", .kind = SIM_OPT_FLAG, FIELD(quiet, SIM_OPT_INT),
     .cmds = ALL_CMDS},
    {.name = "window", .kind = SIM_OPT_WINDOW, .meta = "FROM..TO",
     .head = "FROM..TO, two durations", .max = 1e15,
     .example = "100ms..130ms", FIELD(window_from_ns, SIM_OPT_I64),
     .cmds = RUNS | CMD(SIM_CMD_PLOT)},
    {.name = "no-plots", .kind = SIM_OPT_FLAG, FIELD(no_plots, SIM_OPT_INT),
     .cmds = RUNS},
    {.name = "help", .kind = SIM_OPT_ACTION, .cmds = ALL_CMDS},
    {.name = "version", .kind = SIM_OPT_ACTION, .cmds = ALL_CMDS},
};
/* clang-format on */

#define N_OPTS (sizeof(opt_table) / sizeof(opt_table[0]))

/* The subcommands; those with a usage take only the options that name
 * them in their row's `cmds`. */
static const struct {
    const char *name;
    enum sim_cmd cmd;
    const char *usage;
} cmd_table[] = {
    {"run", SIM_CMD_RUN, NULL},
    {"serve", SIM_CMD_SERVE, NULL},
    {"sweep", SIM_CMD_SWEEP, NULL},
    {"plot", SIM_CMD_PLOT, "gilsim plot RUN_DIR [--window=FROM..TO]"},
    {"calibrate", SIM_CMD_CALIBRATE,
     "gilsim calibrate [--python=PATH] [--out=FILE] [--quiet]"},
};

#define N_CMDS (sizeof(cmd_table) / sizeof(cmd_table[0]))

const struct sim_opt_desc *
sim_opt_table(size_t *n_out)
{
    *n_out = N_OPTS;
    return opt_table;
}

const struct sim_opt_desc *
sim_opt_find(const char *name, size_t len)
{
    size_t i;

    for (i = 0; i < N_OPTS; i++) {
        if (strlen(opt_table[i].name) == len &&
            strncmp(opt_table[i].name, name, len) == 0) {
            return &opt_table[i];
        }
    }
    return NULL;
}

int
sim_opt_takes_value(const struct sim_opt_desc *op)
{
    return op->kind != SIM_OPT_FLAG && op->kind != SIM_OPT_ACTION;
}

/* ---- the sentence of what an option accepts ----------------------------- */

/* Text appended to a fixed buffer; it stops, cut short, at the end. */
struct text {
    char *buf;
    size_t len, used;
};

static void
put(struct text *t, const char *s)
{
    int w;

    if (t->used >= t->len) {
        return;
    }
    w = snprintf(t->buf + t->used, t->len - t->used, "%s", s);
    if (w > 0) {
        t->used += (size_t)w;
    }
}

/* v in the largest of `units` (descending) that divides it; "0" alone
 * when zero_bare, else 0 in the smallest unit. */
static void
put_in_units(struct text *t, double v, const char *const *names,
             const double *mult, size_t n, int zero_bare)
{
    char num[48];
    size_t i;

    if (v == 0 && zero_bare) {
        put(t, "0");
        return;
    }
    for (i = 0;
         i + 1 < n && (v < mult[i] || v / mult[i] != (int64_t)(v / mult[i]));
         i++) {
    }
    (void)snprintf(num, sizeof(num), "%lld%s", (long long)(v / mult[i]),
                   names[i]);
    put(t, num);
}

static void
put_count(struct text *t, double v)
{
    static const char *const names[] = {"G", "M", ""};
    static const double mult[] = {1e9, 1e6, 1};

    /* Below a million the number reads better whole: 4096, 100000. */
    put_in_units(t, v, v >= 1e6 ? names : names + 2, v >= 1e6 ? mult : mult + 2,
                 v >= 1e6 ? 3 : 1, 1);
}

static void
put_duration(struct text *t, double ns)
{
    static const char *const names[] = {"s", "ms", "us", "ns"};
    static const double mult[] = {NS_S, NS_MS, NS_US, 1};

    put_in_units(t, ns, names, mult, 4, 1);
}

static void
put_size(struct text *t, double bytes)
{
    static const char *const names[] = {"GiB", "MiB", "KiB", "B"};
    static const double mult[] = {GIB, MIB, KIB, 1};

    put_in_units(t, bytes, names, mult, 4, 0);
}

/* "a, b or c", with `last` (e.g. "all") as the final item if set. */
static void
put_names(struct text *t, const struct sim_opt_desc *op, const char *last)
{
    size_t i;

    for (i = 0; op->name_at(i) != NULL; i++) {
        int is_last = last == NULL && op->name_at(i + 1) == NULL;

        if (i > 0) {
            put(t, is_last ? " or " : ", ");
        }
        put(t, op->name_at(i));
    }
    if (last != NULL) {
        put(t, " or ");
        put(t, last);
    }
}

/* " from MIN (ZERO) to MAX" in the kind's unit. */
static void
put_range(struct text *t, const struct sim_opt_desc *op,
          void (*num)(struct text *, double))
{
    put(t, op->flags & SIM_OPTF_MIN_EXCL ? " above " : " from ");
    num(t, op->min);
    if (op->min == 0 && op->zero != NULL) {
        put(t, " (");
        put(t, op->zero);
        put(t, ")");
    }
    put(t, op->flags & SIM_OPTF_MIN_EXCL ? " and at most " : " to ");
    num(t, op->max);
}

static void
put_count_range(struct text *t, const struct sim_opt_desc *op)
{
    put(t, op->head != NULL ? op->head : "a whole number");
    put_range(t, op, put_count);
    if (op->max_virtual > 0) {
        put(t, ", or to ");
        put_count(t, op->max_virtual);
        put(t, " with --engine=virtual");
    }
    /* The suffixes, once the range is written with them. */
    if (op->max >= 1e9) {
        put(t, "; K, M and G multiply by 1e3, 1e6 and 1e9");
    } else if (op->max >= 1e6) {
        put(t, "; K and M multiply by 1e3 and 1e6");
    }
}

static void
put_rate(struct text *t, double bps)
{
    put_size(t, bps);
    put(t, "/s");
}

static void
put_number(struct text *t, double v)
{
    char num[32];

    (void)snprintf(num, sizeof(num), "%g", v);
    put(t, num);
}

void
sim_opt_expect(const struct sim_opt_desc *op, char *buf, size_t len)
{
    struct text t = {buf, len, 0};

    buf[0] = '\0';
    switch (op->kind) {
    case SIM_OPT_COUNT:
        put_count_range(&t, op);
        break;
    case SIM_OPT_DURATION:
        put(&t, "a duration");
        put_range(&t, op, put_duration);
        put(&t, " with a unit (ns, us, ms, s)");
        break;
    case SIM_OPT_SIZE:
        put(&t, "a size");
        put_range(&t, op, put_size);
        put(&t, " with a unit (B, KiB, MiB, GiB)");
        break;
    case SIM_OPT_RATE:
        put(&t, "a rate");
        put_range(&t, op, put_rate);
        put(&t, " with a unit (B/s, KiB/s, MiB/s, GiB/s)");
        break;
    case SIM_OPT_NUMBER:
        put(&t, "a number");
        put_range(&t, op, put_number);
        break;
    case SIM_OPT_NAME:
        put_names(&t, op, NULL);
        break;
    case SIM_OPT_LIST:
        put(&t, "a comma-separated list of ");
        put(&t, op->head);
        put(&t, "s: ");
        put_names(&t, op, op->flags & SIM_OPTF_ALL ? "all" : NULL);
        break;
    case SIM_OPT_WINDOW:
        put(&t, op->head);
        put(&t, " with a unit (ns, us, ms, s)");
        break;
    default: /* PATH, URL, ADDR: the row says it */
        put(&t, op->head != NULL ? op->head : "no value");
        break;
    }
    if (op->example != NULL) {
        put(&t, ", e.g. ");
        put(&t, op->example);
    }
    if (op->kind == SIM_OPT_WINDOW) {
        put(&t, "; either end may be left out");
    }
}

/* ---- defaults and what follows from the options ---------------------- */

void
sim_options_default(struct sim_options *o)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);

    memset(o, 0, sizeof(*o));
    o->models = AVAILABLE_MODELS;
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
    o->format_text = 1;
    o->format_json = 0;
    o->trace_events = 1000000;
    o->quiet = 0;
    o->window_from_ns = 0;
    o->window_to_ns = 0;
    o->no_plots = 0;
    o->engine_virtual = 0;
    o->cores = (int)cores;
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

int
sim_model_available(enum sim_model m)
{
    if ((unsigned)m >= SIM_MODEL_COUNT) {
        return 0;
    }
    return (int)((AVAILABLE_MODELS >> m) & 1u);
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

int
sim_opt_uses_io(const struct sim_options *o)
{
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

/* ---- errors ------------------------------------------------------------- */

/* "--flag=value: what" into err; always returns SIM_EXIT_USAGE. The value
 * is cut short so that one line stays one readable line. */
static int
bad_value(char *err, size_t errlen, const char *flag, const char *value,
          const char *what)
{
    (void)snprintf(err, errlen, "--%s=%.200s%s: %s", flag, value,
                   strlen(value) > 200 ? "..." : "", what);
    return SIM_EXIT_USAGE;
}

/* "--flag=value: expected ..." with the row's sentence. */
static int
bad_expect(char *err, size_t errlen, const struct sim_opt_desc *op,
           const char *value)
{
    char expect[SIM_ERR_LEN];
    char what[SIM_ERR_LEN + 16];

    sim_opt_expect(op, expect, sizeof(expect));
    (void)snprintf(what, sizeof(what), "expected %s", expect);
    return bad_value(err, errlen, op->name, value, what);
}

/* ---- the fields --------------------------------------------------------- */

/* Set the row's field from a parsed value (i for whole numbers, d for
 * doubles) and mark its costs as given. */
static void
store(struct sim_options *o, const struct sim_opt_desc *op, int64_t i, double d)
{
    void *p = (char *)o + op->offset;

    switch (op->type) {
    case SIM_OPT_INT:
        *(int *)p = (int)i;
        break;
    case SIM_OPT_I64:
        *(int64_t *)p = i;
        break;
    case SIM_OPT_U64:
        *(uint64_t *)p = (uint64_t)i;
        break;
    case SIM_OPT_DBL:
        *(double *)p = d;
        break;
    case SIM_OPT_BITS:
        *(unsigned *)p = (unsigned)i;
        break;
    case SIM_OPT_STR:
        break;
    }
    o->costs_given |= op->given;
}

/* A whole-number field (INT or I64). */
static int64_t
load(const struct sim_options *o, const struct sim_opt_desc *op)
{
    const void *p = (const char *)o + op->offset;

    return op->type == SIM_OPT_INT ? *(const int *)p : *(const int64_t *)p;
}

static void
store_string(struct sim_options *o, const struct sim_opt_desc *op,
             const char *v)
{
    memcpy((char *)o + op->offset, v, strlen(v) + 1);
}

/* ---- one value per kind ------------------------------------------------- */

/* A count in the row's range (to max_virtual, checked against --engine at
 * the end). Zero is spelled "0": "00" or "0K" stay errors. */
static int
apply_count(struct sim_options *o, const struct sim_opt_desc *op, const char *v,
            char *err, size_t errlen)
{
    double hi = op->max_virtual > 0 ? op->max_virtual : op->max;
    char perr[SIM_ERR_LEN];
    int64_t n;

    if (sim_parse_count(v, 1, &n, perr, sizeof(perr)) != 0 ||
        (double)n < op->min || (double)n > hi ||
        (n == 0 && strcmp(v, "0") != 0)) {
        return bad_expect(err, errlen, op, v);
    }
    store(o, op, n, (double)n);
    return 0;
}

/* A duration that may be 0: `0`, or a well-formed zero such as `0ms`. */
static int
duration0(const char *v, double *ns, char *perr, size_t perrlen)
{
    int rc;

    if (strcmp(v, "0") == 0) {
        *ns = 0.0;
        return 0;
    }
    rc = sim_parse_duration(v, ns, perr, perrlen);
    if (rc == -EINVAL && strstr(perr, "greater than 0") != NULL) {
        *ns = 0.0; /* well formed, and zero */
        return 0;
    }
    return rc;
}

/* Format errors get the parser's sentence, range errors the row's. */
static int
apply_duration(struct sim_options *o, const struct sim_opt_desc *op,
               const char *v, char *err, size_t errlen)
{
    int excl = (op->flags & SIM_OPTF_MIN_EXCL) != 0;
    char perr[SIM_ERR_LEN];
    double ns = 0.0;
    int rc;

    if (op->min == 0 && !excl) {
        rc = duration0(v, &ns, perr, sizeof(perr));
    } else {
        rc = sim_parse_duration(v, &ns, perr, sizeof(perr));
    }
    if (rc == -EINVAL && strstr(perr, "greater than 0") == NULL) {
        return bad_value(err, errlen, op->name, v, perr);
    }
    if (rc != 0 || ns > op->max || ns < op->min || (excl && ns <= op->min)) {
        return bad_expect(err, errlen, op, v);
    }
    store(o, op, (int64_t)(ns + 0.5), ns);
    return 0;
}

static int
apply_size(struct sim_options *o, const struct sim_opt_desc *op, const char *v,
           char *err, size_t errlen)
{
    char perr[SIM_ERR_LEN];
    uint64_t b;

    if (sim_parse_size(v, &b, perr, sizeof(perr)) != 0) {
        return bad_value(err, errlen, op->name, v, perr);
    }
    if ((double)b < op->min || (double)b > op->max) {
        return bad_expect(err, errlen, op, v);
    }
    store(o, op, (int64_t)b, (double)b);
    return 0;
}

/* A size and "/s"; every error gets the row's sentence. */
static int
apply_rate(struct sim_options *o, const struct sim_opt_desc *op, const char *v,
           char *err, size_t errlen)
{
    char perr[SIM_ERR_LEN];
    size_t len = strlen(v);
    char size[64];
    uint64_t b;

    if (len < 3 || len - 2 >= sizeof(size) || strcmp(v + len - 2, "/s") != 0) {
        return bad_expect(err, errlen, op, v);
    }
    memcpy(size, v, len - 2);
    size[len - 2] = '\0';
    if (sim_parse_size(size, &b, perr, sizeof(perr)) != 0 ||
        (double)b < op->min || (double)b > op->max) {
        return bad_expect(err, errlen, op, v);
    }
    store(o, op, (int64_t)b, (double)b);
    return 0;
}

static int
apply_number(struct sim_options *o, const struct sim_opt_desc *op,
             const char *v, char *err, size_t errlen)
{
    char *end = NULL;
    double d;

    errno = 0;
    d = strtod(v, &end);
    if (v[0] == '\0' || end == NULL || *end != '\0' || errno != 0 ||
        !(d >= op->min && d <= op->max)) {
        return bad_expect(err, errlen, op, v);
    }
    store(o, op, (int64_t)d, d);
    return 0;
}

/* One of the row's names: copied (STR) or its index stored. */
static int
apply_name(struct sim_options *o, const struct sim_opt_desc *op, const char *v,
           char *err, size_t errlen)
{
    char expect[SIM_ERR_LEN];
    char what[SIM_ERR_LEN + 64];
    size_t i;

    for (i = 0; op->name_at(i) != NULL; i++) {
        if (strcmp(v, op->name_at(i)) == 0) {
            break;
        }
    }
    if (op->name_at(i) == NULL ||
        (op->type == SIM_OPT_STR && (double)strlen(v) >= op->max)) {
        sim_opt_expect(op, expect, sizeof(expect));
        (void)snprintf(what, sizeof(what), "unknown %s (expected %s)", op->head,
                       expect);
        return bad_value(err, errlen, op->name, v, what);
    }
    if (op->type == SIM_OPT_STR) {
        store_string(o, op, v);
    } else {
        store(o, op, (int64_t)i, (double)i);
    }
    return 0;
}

struct list_ctx {
    const struct sim_opt_desc *op;
    unsigned bits;
};

static int
list_item(const char *elem, void *ctx, char *err, size_t errlen)
{
    struct list_ctx *lc = ctx;
    const struct sim_opt_desc *op = lc->op;
    char expect[SIM_ERR_LEN];
    size_t i;

    for (i = 0; op->name_at(i) != NULL; i++) {
        if (strcmp(elem, op->name_at(i)) == 0) {
            lc->bits |= 1u << i;
            return 0;
        }
    }
    if ((op->flags & SIM_OPTF_ALL) && strcmp(elem, "all") == 0) {
        lc->bits |= (1u << i) - 1u;
        return 0;
    }
    sim_opt_expect(op, expect, sizeof(expect));
    (void)snprintf(err, errlen, "unknown %s '%.64s' (expected %s)", op->head,
                   elem, expect);
    return -EINVAL;
}

/* A comma-separated list of the row's names, one bit each. */
static int
apply_list(struct sim_options *o, const struct sim_opt_desc *op, const char *v,
           char *err, size_t errlen)
{
    struct list_ctx lc = {op, 0};
    char perr[SIM_ERR_LEN];

    if (v[0] == '\0') {
        return bad_expect(err, errlen, op, v);
    }
    if (sim_parse_list(v, list_item, &lc, perr, sizeof(perr)) != 0) {
        return bad_value(err, errlen, op->name, v, perr);
    }
    if (strcmp(op->name, "format") == 0) {
        /* Special: two fields, one per name. */
        o->format_text = (lc.bits & 1u) != 0;
        o->format_json = (lc.bits & 2u) != 0;
        return 0;
    }
    store(o, op, lc.bits, 0.0);
    return 0;
}

/* PATH, URL, ADDR: a string that fits the field, checked for its kind. */
static int
apply_string(struct sim_options *o, const struct sim_opt_desc *op,
             const char *v, char *err, size_t errlen)
{
    char perr[SIM_ERR_LEN];
    char what[2 * SIM_ERR_LEN];
    struct in_addr addr;

    if (op->kind == SIM_OPT_ADDR &&
        ((double)strlen(v) >= op->max || inet_pton(AF_INET, v, &addr) != 1)) {
        return bad_expect(err, errlen, op, v);
    }
    if (op->kind == SIM_OPT_PATH && v[0] == '\0') {
        return bad_expect(err, errlen, op, v);
    }
    if ((double)strlen(v) >= op->max) {
        (void)snprintf(what, sizeof(what),
                       "expected %s shorter than %.0f characters",
                       op->kind == SIM_OPT_URL ? "a URL" : "a path", op->max);
        return bad_value(err, errlen, op->name, v, what);
    }
    if (op->kind == SIM_OPT_URL && !wl_io_url_ok(v, perr, sizeof(perr))) {
        char expect[SIM_ERR_LEN];

        sim_opt_expect(op, expect, sizeof(expect));
        (void)snprintf(what, sizeof(what), "%.200s (expected %s)", perr,
                       expect);
        return bad_value(err, errlen, op->name, v, what);
    }
    store_string(o, op, v);
    return 0;
}

/* One end of --window: "" (left out: 1), or a duration up to `max`. */
static int
window_end(const char *s, size_t len, double max, int64_t *out)
{
    char perr[SIM_ERR_LEN];
    char buf[64];
    double ns;

    if (len == 0) {
        return 1;
    }
    if (len >= sizeof(buf)) {
        return -EINVAL;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (duration0(buf, &ns, perr, sizeof(perr)) != 0 || ns > max) {
        return -EINVAL;
    }
    *out = (int64_t)(ns + 0.5);
    return 0;
}

/* --window=FROM..TO: the timelines' window; an end left out is the run's
 * start or end. Special: two fields. */
static int
apply_window(struct sim_options *o, const struct sim_opt_desc *op,
             const char *v, char *err, size_t errlen)
{
    const char *dots = strstr(v, "..");
    int64_t from = 0, to = 0;
    int rc;

    if (dots == NULL) {
        return bad_expect(err, errlen, op, v);
    }
    rc = window_end(v, (size_t)(dots - v), op->max, &from);
    if (rc < 0) {
        return bad_expect(err, errlen, op, v);
    }
    rc = window_end(dots + 2, strlen(dots + 2), op->max, &to);
    if (rc < 0) {
        return bad_expect(err, errlen, op, v);
    }
    if (rc == 0 && to <= from) {
        return bad_value(err, errlen, op->name, v,
                         "the window ends before it starts (expected "
                         "FROM..TO with FROM < TO, e.g. 100ms..130ms)");
    }
    o->window_from_ns = from;
    o->window_to_ns = rc == 0 ? to : 0;
    return 0;
}

/* One option's value into `o`, or SIM_EXIT_USAGE with `err` filled. */
static int
apply(struct sim_options *o, const struct sim_opt_desc *op, const char *v,
      char *err, size_t errlen)
{
    switch (op->kind) {
    case SIM_OPT_COUNT:
        return apply_count(o, op, v, err, errlen);
    case SIM_OPT_DURATION:
        return apply_duration(o, op, v, err, errlen);
    case SIM_OPT_SIZE:
        return apply_size(o, op, v, err, errlen);
    case SIM_OPT_RATE:
        return apply_rate(o, op, v, err, errlen);
    case SIM_OPT_NUMBER:
        return apply_number(o, op, v, err, errlen);
    case SIM_OPT_NAME:
        return apply_name(o, op, v, err, errlen);
    case SIM_OPT_LIST:
        return apply_list(o, op, v, err, errlen);
    case SIM_OPT_PATH:
    case SIM_OPT_URL:
    case SIM_OPT_ADDR:
        return apply_string(o, op, v, err, errlen);
    case SIM_OPT_WINDOW:
        return apply_window(o, op, v, err, errlen);
    case SIM_OPT_FLAG:
    case SIM_OPT_ACTION:
        break;
    }
    return 0;
}

/* ---- gilsim sweep: lists ------------------------------------------------ */

struct sweep_ctx {
    struct sim_options *o;
    const struct sim_opt_desc *op;
    int64_t v[SIM_SWEEP_MAX];
    int n;
};

/* "each ..." error of a sweep list, with the row's sentence. */
static void
sweep_error(char *err, size_t errlen, const char *what,
            const struct sim_opt_desc *op)
{
    char expect[SIM_ERR_LEN];

    sim_opt_expect(op, expect, sizeof(expect));
    (void)snprintf(err, errlen,
                   "%s (expected a comma-separated list of up to %d values, "
                   "each %s)",
                   what, SIM_SWEEP_MAX, expect);
}

/* One element: parsed by apply() as a single value, then inserted in
 * ascending order; a repeated value is dropped. */
static int
sweep_item(const char *elem, void *ctx, char *err, size_t errlen)
{
    struct sweep_ctx *sc = ctx;
    char ignored[SIM_ERR_LEN];
    char what[128];
    int64_t v;
    int i, j;

    if (apply(sc->o, sc->op, elem, ignored, sizeof(ignored)) != 0) {
        (void)snprintf(what, sizeof(what), "'%.64s' is not accepted", elem);
        sweep_error(err, errlen, what, sc->op);
        return -EINVAL;
    }
    v = load(sc->o, sc->op);
    for (i = 0; i < sc->n && sc->v[i] < v; i++) {
    }
    if (i < sc->n && sc->v[i] == v) {
        return 0;
    }
    if (sc->n == SIM_SWEEP_MAX) {
        sweep_error(err, errlen, "too many values", sc->op);
        return -E2BIG;
    }
    for (j = sc->n; j > i; j--) {
        sc->v[j] = sc->v[j - 1];
    }
    sc->v[i] = v;
    sc->n++;
    return 0;
}

/* A SIM_OPTF_SWEEP option after `sweep`: a list, kept ascending in the
 * row's sweep array; the single value is set to the first (smallest). */
static int
sweep_list(struct sim_options *o, const struct sim_opt_desc *op,
           const char *value, char *err, size_t errlen)
{
    char *arr = (char *)o + op->sweep_offset;
    struct sweep_ctx sc;
    char perr[SIM_ERR_LEN];
    int i;

    memset(&sc, 0, sizeof(sc));
    sc.o = o;
    sc.op = op;
    if (sim_parse_list(value, sweep_item, &sc, perr, sizeof(perr)) != 0) {
        if (sc.n == 0 && strchr(value, ',') == NULL && value[0] != '\0') {
            /* One bad value: the same line as `run` gives. */
            return apply(o, op, value, err, errlen);
        }
        return bad_value(err, errlen, op->name, value, perr);
    }
    for (i = 0; i < sc.n; i++) {
        if (op->type == SIM_OPT_INT) {
            ((int *)(void *)arr)[i] = (int)sc.v[i];
        } else {
            ((int64_t *)(void *)arr)[i] = sc.v[i];
        }
    }
    *(int *)(void *)((char *)o + op->sweep_n_offset) = sc.n;
    store(o, op, sc.v[0], (double)sc.v[0]);
    return 0;
}

/* ---- checks across options ---------------------------------------------- */

static int
loop_item(const char *elem, void *ctx, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    if (strcmp(elem, "loop") == 0) {
        *(int *)ctx = 1;
    }
    return 0;
}

/*
 * The convoy's CPU tasks spin until its I/O task ends: on an event loop
 * they would never yield, and the run would never end. Naming loop in
 * --model with --workload=convoy is refused; the default model list and
 * `all` simply leave loop out.
 */
static int
check_convoy_loop(struct sim_options *o, const char *model_value, char *err,
                  size_t errlen)
{
    char perr[SIM_ERR_LEN];
    int named = 0;

    if (strcmp(o->workload, "convoy") != 0 ||
        !(o->models & (1u << SIM_MODEL_LOOP))) {
        return 0;
    }
    if (model_value != NULL &&
        sim_parse_list(model_value, loop_item, &named, perr, sizeof(perr)) ==
            0 &&
        named) {
        (void)snprintf(err, errlen,
                       "--workload=convoy with --model=%.200s: the convoy "
                       "workload needs preemptive threads; on an event "
                       "loop a CPU coroutine never yields (expected models "
                       "without loop)",
                       model_value);
        return SIM_EXIT_USAGE;
    }
    o->models &= ~(1u << SIM_MODEL_LOOP);
    return 0;
}

/* Without --engine=virtual, a count above its row's max (but within
 * max_virtual: --threads) is refused, in a sweep list too. */
static int
check_real_max(const struct sim_options *o, char *err, size_t errlen)
{
    char expect[SIM_ERR_LEN];
    size_t i;

    for (i = 0; i < N_OPTS; i++) {
        const struct sim_opt_desc *op = &opt_table[i];
        int64_t most;
        int k, n;

        if (op->max_virtual <= 0) {
            continue;
        }
        most = load(o, op);
        n = op->flags & SIM_OPTF_SWEEP
                ? *(const int *)(const void *)((const char *)o +
                                               op->sweep_n_offset)
                : 0;
        for (k = 0; k < n; k++) {
            const char *arr = (const char *)o + op->sweep_offset;
            int64_t v = op->type == SIM_OPT_INT
                            ? ((const int *)(const void *)arr)[k]
                            : ((const int64_t *)(const void *)arr)[k];

            most = v > most ? v : most;
        }
        if ((double)most > op->max) {
            sim_opt_expect(op, expect, sizeof(expect));
            (void)snprintf(err, errlen, "--%s=%lld: expected %s", op->name,
                           (long long)most, expect);
            return SIM_EXIT_USAGE;
        }
    }
    return 0;
}

/*
 * The rows marked SIM_OPTF_VIRTUAL (--cores, --bandwidth, --write-cost)
 * describe the virtual engine's machine: refused without --engine=virtual.
 * The virtual engine simulates the server: --url is refused with it.
 */
static int
check_engine(const struct sim_options *o, const char *virtual_only, char *err,
             size_t errlen)
{
    if (!o->engine_virtual) {
        int rc = check_real_max(o, err, errlen);

        if (rc != 0) {
            return rc;
        }
        if (virtual_only != NULL) {
            (void)snprintf(err, errlen,
                           "--%s applies only to --engine=virtual (expected "
                           "--engine=virtual beside it, or no --%s)",
                           virtual_only, virtual_only);
            return SIM_EXIT_USAGE;
        }
        return 0;
    }
    if (strcmp(o->policy, "legacy") == 0 &&
        strcmp(o->workload, "convoy") == 0) {
        /* The holder releases and retakes within one check, which takes
         * no virtual time, so a woken waiter never catches the GIL and
         * the convoy's CPU threads would spin for ever. */
        (void)snprintf(err, errlen,
                       "--policy=legacy with --workload=convoy and "
                       "--engine=virtual: the I/O thread would never get "
                       "the GIL back in virtual time (expected --engine=real "
                       "for this pair)");
        return SIM_EXIT_USAGE;
    }
    if (o->url[0] != '\0') {
        (void)snprintf(err, errlen,
                       "--url=%.200s: --engine=virtual simulates the server "
                       "and fetches nothing (expected no --url, or "
                       "--engine=real)",
                       o->url);
        return SIM_EXIT_USAGE;
    }
    return 0;
}

/* ---- the command line --------------------------------------------------- */

/* The option's row must name the command: a command with a usage line
 * (plot, calibrate) says what it takes; an option of one command (--python)
 * says which. */
static int
check_cmd(enum sim_cmd cmd, const struct sim_opt_desc *op, char *err,
          size_t errlen)
{
    size_t i;

    if (op->cmds & CMD(cmd)) {
        return 0;
    }
    for (i = 0; i < N_CMDS; i++) {
        if (cmd_table[i].cmd == cmd && cmd_table[i].usage != NULL) {
            (void)snprintf(err, errlen,
                           "--%s does not apply to gilsim %s (expected %s)",
                           op->name, cmd_table[i].name, cmd_table[i].usage);
            return SIM_EXIT_USAGE;
        }
    }
    for (i = 0; i < N_CMDS && !(op->cmds & CMD(cmd_table[i].cmd)); i++) {
    }
    (void)snprintf(err, errlen,
                   "--%s applies only to gilsim %s (expected gilsim %s "
                   "--%s=%s)",
                   op->name, cmd_table[i % N_CMDS].name,
                   cmd_table[i % N_CMDS].name, op->name, op->meta);
    return SIM_EXIT_USAGE;
}

/* The leading subcommand, or an error listing cmd_table's names. */
static int
parse_command(const char *sub, enum sim_cmd *cmd, char *err, size_t errlen)
{
    char names[128];
    struct text t = {names, sizeof(names), 0};
    size_t i;

    for (i = 0; i < N_CMDS; i++) {
        if (strcmp(sub, cmd_table[i].name) == 0) {
            *cmd = cmd_table[i].cmd;
            return 0;
        }
        if (i > 0) {
            put(&t, i + 1 == N_CMDS ? " or " : ", ");
        }
        put(&t, cmd_table[i].name);
    }
    (void)snprintf(err, errlen,
                   "unknown command '%.64s' (expected %s, or options; see "
                   "gilsim --help)",
                   sub, names);
    return SIM_EXIT_USAGE;
}

/* What the parse saw beside the values, for the checks at the end. */
struct seen {
    const char *model_value;  /* the --model list given, if any */
    const char *virtual_only; /* an option of the virtual engine */
};

/* argv[*i], a long option, and its value (which may be argv[*i + 1]). */
static int
parse_option(int argc, char **argv, int *i, struct sim_options *o,
             enum sim_cmd *cmd, struct seen *seen, char *err, size_t errlen)
{
    const char *a = argv[*i];
    const struct sim_opt_desc *op;
    const char *eq, *value;
    size_t len;
    int rc;

    if (a[1] != '-' || a[2] == '\0') {
        (void)snprintf(err, errlen, "unknown option %.64s (see gilsim --help)",
                       a);
        return SIM_EXIT_USAGE;
    }
    eq = strchr(a + 2, '=');
    len = eq != NULL ? (size_t)(eq - (a + 2)) : strlen(a + 2);
    op = sim_opt_find(a + 2, len);
    if (op == NULL) {
        (void)snprintf(err, errlen, "unknown option --%.*s (see gilsim --help)",
                       (int)(len > 64 ? 64 : len), a + 2);
        return SIM_EXIT_USAGE;
    }
    rc = check_cmd(*cmd, op, err, errlen);
    if (rc != 0) {
        return rc;
    }
    if (!sim_opt_takes_value(op)) {
        if (eq != NULL) {
            (void)snprintf(err, errlen, "--%s=%.64s: --%s takes no value",
                           op->name, eq + 1, op->name);
            return SIM_EXIT_USAGE;
        }
        if (op->kind == SIM_OPT_ACTION) {
            *cmd =
                strcmp(op->name, "help") == 0 ? SIM_CMD_HELP : SIM_CMD_VERSION;
            return 0;
        }
        store(o, op, 1, 1.0);
        return 0;
    }
    if (eq != NULL) {
        value = eq + 1;
    } else if (*i + 1 < argc &&
               !(argv[*i + 1][0] == '-' && argv[*i + 1][1] == '-')) {
        value = argv[++*i];
    } else {
        char expect[SIM_ERR_LEN];

        sim_opt_expect(op, expect, sizeof(expect));
        (void)snprintf(err, errlen, "--%s: missing value (expected %s)",
                       op->name, expect);
        return SIM_EXIT_USAGE;
    }
    if (*cmd == SIM_CMD_SWEEP && (op->flags & SIM_OPTF_SWEEP)) {
        rc = sweep_list(o, op, value, err, errlen);
    } else {
        rc = apply(o, op, value, err, errlen);
    }
    if (op->name_at == model_at) {
        seen->model_value = value; /* the last --model wins */
    }
    if (op->flags & SIM_OPTF_VIRTUAL) {
        seen->virtual_only = op->name;
    }
    return rc;
}

int
sim_opt_parse(int argc, char **argv, struct sim_options *o, enum sim_cmd *cmd,
              char *err, size_t errlen)
{
    struct seen seen = {NULL, NULL};
    int i = 1;
    int rc;

    sim_options_default(o);
    *cmd = SIM_CMD_RUN;
    if (i < argc && argv[i][0] != '-') {
        rc = parse_command(argv[i], cmd, err, errlen);
        if (rc != 0) {
            return rc;
        }
        i++;
    }
    for (; i < argc; i++) {
        const char *a = argv[i];

        if (strcmp(a, "-h") == 0) {
            *cmd = SIM_CMD_HELP;
            return 0;
        }
        if (a[0] != '-' && *cmd == SIM_CMD_PLOT && o->out_dir[0] == '\0' &&
            a[0] != '\0' && strlen(a) < sizeof(o->out_dir)) {
            /* gilsim plot RUN_DIR: the folder to draw again. */
            (void)snprintf(o->out_dir, sizeof(o->out_dir), "%s", a);
            continue;
        }
        if (a[0] != '-') {
            (void)snprintf(err, errlen,
                           "unexpected argument '%.64s' (see gilsim --help)",
                           a);
            return SIM_EXIT_USAGE;
        }
        rc = parse_option(argc, argv, &i, o, cmd, &seen, err, errlen);
        if (rc != 0 || *cmd == SIM_CMD_HELP || *cmd == SIM_CMD_VERSION) {
            return rc;
        }
    }
    if (*cmd == SIM_CMD_PLOT && o->out_dir[0] == '\0') {
        (void)snprintf(err, errlen,
                       "plot: missing RUN_DIR (expected gilsim plot RUN_DIR "
                       "[--window=FROM..TO], the folder of an earlier run)");
        return SIM_EXIT_USAGE;
    }
    rc = check_convoy_loop(o, seen.model_value, err, errlen);
    if (rc != 0) {
        return rc;
    }
    return check_engine(o, seen.virtual_only, err, errlen);
}
