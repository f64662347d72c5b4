/*
 * opttable.c - the options of gilsim's command line as a table, and the
 * sentence of what each accepts.
 *
 * Every long option is one row of `opt_table`, in the manner of curl's
 * tool_getparam.c: its kind (count, duration, size, rate, number, name,
 * list, path, ...), its range, the field of struct sim_options it sets
 * (by offsetof), the cost bits it marks as given, and the commands that
 * take it. The parser (optparse.c) reads the rows; sim_opt_expect() makes
 * the "expected ..." sentence of an option's errors from its row, so what
 * an error says cannot drift from what is accepted. The names an option
 * accepts come from one table each: the models and workloads of
 * sim/options.c (with their --help lines), the GIL policies from gil/
 * (gil_policy_names).
 */
#include <string.h>

#include "cli_internal.h"

#define NS_US         1e3
#define NS_MS         1e6
#define NS_S          1e9
#define KIB           1024.0
#define MIB           (1024.0 * 1024.0)
#define GIB           (1024.0 * 1024.0 * 1024.0)
#define SIZEOF_OPT(f) sizeof(((struct sim_options *)NULL)->f)

/* ---- names -------------------------------------------------------------- */

static const char *
model_at(size_t i)
{
    return i < SIM_MODEL_COUNT ? sim_model_name((enum sim_model)i) : NULL;
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

/* --format: the bits of SIM_FORMAT_*, in order. */
static const char *
format_at(size_t i)
{
    static const char *const names[] = {"text", "json", "tsv", "md"};

    return i < sizeof(names) / sizeof(names[0]) ? names[i] : NULL;
}

/* --client: the index is enum sim_client. */
static const char *
client_at(size_t i)
{
    return i < SIM_CLIENT_COUNT ? sim_client_name((enum sim_client)i) : NULL;
}

/* --trace: the index is SIM_TRACE_MODE_*. */
static const char *
trace_mode_at(size_t i)
{
    static const char *const names[] = {"head", "ring", "off"};

    return i < sizeof(names) / sizeof(names[0]) ? names[i] : NULL;
}

/* ---- the table ---------------------------------------------------------- */

#define FIELD(f, t) .offset = offsetof(struct sim_options, f), .type = (t)
#define SWEEP(a, n)                                                            \
    .flags = SIM_OPTF_SWEEP, .sweep_offset = offsetof(struct sim_options, a),  \
    .sweep_n_offset = offsetof(struct sim_options, n)
#define CMD(c) (1u << (c))
#define RUNS   (CMD(SIM_CMD_RUN) | CMD(SIM_CMD_SWEEP))
/* The embedded server's settings, which `gilsim serve` takes too. */
#define SERVER (RUNS | CMD(SIM_CMD_SERVE))
#define ALL_CMDS                                                               \
    (SERVER | CMD(SIM_CMD_PLOT) | CMD(SIM_CMD_CALIBRATE) |                     \
     CMD(SIM_CMD_WORKLOAD) | CMD(SIM_CMD_RECORD))
/* What `gilsim workload check` reads a file with: the flags a count may
 * name, the instruction's cost and the seed. */
#define WL_CHECK      CMD(SIM_CMD_WORKLOAD)
#define APPLIES(what) .applies = sim_opt_applies_##what
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
     .cmds = RUNS | WL_CHECK, APPLIES(threads)},
    {.name = "processes", .kind = SIM_OPT_COUNT, .meta = "N", .min = 1,
     .max = 1024, SWEEP(sweep_processes, n_sweep_processes),
     FIELD(processes, SIM_OPT_INT), .cmds = RUNS, APPLIES(processes)},
    {.name = "concurrency", .kind = SIM_OPT_COUNT, .meta = "N", .min = 0,
     .max = 1e6, .head = "a whole number of tasks", .zero = "no limit",
     SWEEP(sweep_concurrency, n_sweep_concurrency),
     FIELD(concurrency, SIM_OPT_INT), .cmds = RUNS, APPLIES(loop)},
    {.name = "worker-start", .kind = SIM_OPT_DURATION, .meta = "D", .min = 0,
     .max = 60 * NS_S, .example = "50ms",
     FIELD(costs.worker_start_ns, SIM_OPT_I64),
     .given = SIM_COST_GIVEN_WORKER_START, .cmds = RUNS, APPLIES(processes)},
    {.name = "switch-interval", .kind = SIM_OPT_DURATION, .meta = "D",
     .min = NS_US, .max = 10 * NS_S, .example = "5ms",
     SWEEP(sweep_switch_ns, n_sweep_switch),
     FIELD(switch_interval_ns, SIM_OPT_I64), .cmds = RUNS},
    {.name = "policy", .kind = SIM_OPT_NAME, .meta = "NAME",
     .head = "GIL policy", .max = (double)SIZEOF_OPT(policy),
     .name_at = policy_at, FIELD(policy, SIM_OPT_STR), .cmds = RUNS},
    {.name = "interpreters", .kind = SIM_OPT_COUNT, .meta = "N", .min = 1,
     .max = 4096, FIELD(interpreters, SIM_OPT_INT), .cmds = RUNS,
     APPLIES(per_interpreter)},
    {.name = "check-every", .kind = SIM_OPT_COUNT, .meta = "N", .min = 0,
     .max = 1e9, .head = "a whole number of instructions",
     .zero = "the policy's default", FIELD(check_every, SIM_OPT_I64),
     .cmds = RUNS},
    {.name = "instr-ns", .kind = SIM_OPT_DURATION, .meta = "D", .min = 0,
     .max = NS_S, .flags = SIM_OPTF_MIN_EXCL, .example = "4.1ns",
     FIELD(costs.instr_ns, SIM_OPT_DBL), .given = SIM_COST_GIVEN_INSTR_NS,
     .cmds = RUNS | WL_CHECK},
    {.name = "calibration", .kind = SIM_OPT_PATH, .meta = "FILE",
     .head = "a calibration file written by gilsim calibrate",
     .max = (double)(SIZEOF_OPT(calibration) - PATH_ROOM),
     FIELD(calibration, SIM_OPT_STR), .cmds = RUNS | WL_CHECK},
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
     FIELD(pages, SIM_OPT_I64), .cmds = RUNS | WL_CHECK, APPLIES(seed)},
    {.name = "ops", .kind = SIM_OPT_COUNT, .meta = "N", .min = 1, .max = 1e7,
     .head = "a whole number of round trips", FIELD(ops, SIM_OPT_I64),
     .cmds = RUNS | WL_CHECK, APPLIES(ops)},
    {.name = "cpu-threads", .kind = SIM_OPT_COUNT, .meta = "N", .min = 0,
     .max = 4095, FIELD(cpu_threads, SIM_OPT_INT), .cmds = RUNS | WL_CHECK,
     APPLIES(cpu_threads)},
    {.name = "latency", .kind = SIM_OPT_DURATION, .meta = "D", .min = 0,
     .max = 60 * NS_S, .example = "150ms", FIELD(latency_ns, SIM_OPT_I64),
     .cmds = SERVER, APPLIES(server)},
    {.name = "latency-jitter", .kind = SIM_OPT_DURATION, .meta = "D",
     .min = 0, .max = 60 * NS_S, .example = "20ms",
     FIELD(jitter_ns, SIM_OPT_I64), .cmds = SERVER, APPLIES(server)},
    {.name = "body-size", .kind = SIM_OPT_SIZE, .meta = "S", .min = 0,
     .max = 64 * MIB, .example = "64KiB", FIELD(body_size, SIM_OPT_I64),
     .cmds = SERVER, APPLIES(server)},
    {.name = "fail-rate", .kind = SIM_OPT_NUMBER, .meta = "F", .min = 0,
     .max = 1, .example = "0.1", FIELD(fail_rate, SIM_OPT_DBL),
     .cmds = SERVER, APPLIES(server)},
    {.name = "seed", .kind = SIM_OPT_COUNT, .meta = "N", .min = 0,
     .max = 1e12, FIELD(seed, SIM_OPT_U64), .cmds = SERVER | WL_CHECK},
    {.name = "url", .kind = SIM_OPT_URL, .meta = "URL",
     .head = "an http:// or https:// URL with a host, where {page} stands "
             "for the page number",
     .max = (double)(SIZEOF_OPT(url) - URL_ROOM), FIELD(url, SIM_OPT_STR),
     .cmds = RUNS, APPLIES(io)},
    {.name = "client", .kind = SIM_OPT_NAME, .meta = "NAME",
     .head = "client", .name_at = client_at, FIELD(client, SIM_OPT_INT),
     .cmds = RUNS, APPLIES(client)},
    {.name = "connections", .kind = SIM_OPT_COUNT, .meta = "N", .min = 0,
     .max = 1e6, .head = "a whole number of connections", .zero = "no limit",
     FIELD(connections, SIM_OPT_INT), .cmds = RUNS, APPLIES(loop_io)},
    {.name = "timeout", .kind = SIM_OPT_DURATION, .meta = "D", .min = NS_MS,
     .max = 3600 * NS_S, .example = "10s", FIELD(timeout_ns, SIM_OPT_I64),
     .cmds = SERVER, APPLIES(io)},
    {.name = "connect-timeout", .kind = SIM_OPT_DURATION, .meta = "D",
     .min = NS_MS, .max = 3600 * NS_S, .example = "2s",
     FIELD(connect_timeout_ns, SIM_OPT_I64), .cmds = RUNS, APPLIES(io)},
    {.name = "bind", .kind = SIM_OPT_ADDR, .meta = "ADDR",
     .head = "an IPv4 address", .example = "127.0.0.1",
     .max = (double)SIZEOF_OPT(bind), FIELD(bind, SIM_OPT_STR),
     .cmds = SERVER, APPLIES(server)},
    {.name = "port", .kind = SIM_OPT_COUNT, .meta = "N", .min = 0,
     .max = 65535, .head = "a port number", .zero = "any free port",
     FIELD(port, SIM_OPT_INT), .cmds = SERVER, APPLIES(server)},
    {.name = "count", .kind = SIM_OPT_COUNT, .meta = "N", .min = 1,
     .max = 1e12, .example = "50M", FIELD(count, SIM_OPT_I64), .cmds = RUNS | WL_CHECK,
     APPLIES(cpu)},
    {.name = "repeat", .kind = SIM_OPT_COUNT, .meta = "N", .min = 1,
     .max = SIM_REPEAT_MAX, FIELD(repeat, SIM_OPT_INT), .cmds = RUNS},
    {.name = "out", .kind = SIM_OPT_PATH, .meta = "DIR",
     .head = "a directory path",
     .max = (double)(SIZEOF_OPT(out_dir) - PATH_ROOM),
     FIELD(out_dir, SIM_OPT_STR),
     .cmds = RUNS | CMD(SIM_CMD_CALIBRATE) | CMD(SIM_CMD_RECORD)},
    {.name = "format", .kind = SIM_OPT_LIST, .meta = "LIST", .head = "format",
     .example = "text,json", .name_at = format_at,
     FIELD(formats, SIM_OPT_BITS), .cmds = RUNS},
    {.name = "trace-events", .kind = SIM_OPT_COUNT, .meta = "N", .min = 16,
     .max = 1e8, .head = "a whole number of events", .example = "1M",
     FIELD(trace_events, SIM_OPT_U64), .cmds = CMD(SIM_CMD_RUN),
     APPLIES(trace)},
    {.name = "trace", .kind = SIM_OPT_NAME, .meta = "NAME",
     .head = "trace mode", .name_at = trace_mode_at,
     FIELD(trace_mode, SIM_OPT_INT), .cmds = CMD(SIM_CMD_RUN)},
    {.name = "compress", .kind = SIM_OPT_FLAG, FIELD(compress, SIM_OPT_INT),
     .cmds = CMD(SIM_CMD_RUN), APPLIES(trace)},
    {.name = "engine", .kind = SIM_OPT_NAME, .meta = "NAME", .head = "engine",
     .name_at = engine_at, FIELD(engine_virtual, SIM_OPT_INT),
     .cmds = RUNS},
    {.name = "cores", .kind = SIM_OPT_COUNT, .meta = "N", .min = 1,
     .max = 4096, .flags = SIM_OPTF_VIRTUAL,
     .head = "a whole number of simulated cores", FIELD(cores, SIM_OPT_INT),
     .cmds = RUNS},
    {.name = "bandwidth", .kind = SIM_OPT_RATE, .meta = "RATE", .min = 0,
     .max = 64 * GIB, .flags = SIM_OPTF_VIRTUAL, .zero = "instant",
     .example = "1GiB/s", FIELD(bandwidth_bps, SIM_OPT_I64), .cmds = RUNS,
     APPLIES(io)},
    {.name = "write-cost", .kind = SIM_OPT_DURATION, .meta = "D", .min = 0,
     .max = 10 * NS_S, .flags = SIM_OPTF_VIRTUAL, .example = "40us",
     FIELD(write_cost_ns, SIM_OPT_I64), .cmds = RUNS, APPLIES(writes)},
    {.name = "quiet", .kind = SIM_OPT_FLAG, FIELD(quiet, SIM_OPT_INT),
     .cmds = ALL_CMDS},
    {.name = "window", .kind = SIM_OPT_WINDOW, .meta = "FROM..TO",
     .head = "FROM..TO, two durations with a unit (ns, us, ms, s); either "
             "end may be left out",
     .max = 1e15, .example = "100ms..130ms",
     FIELD(window_from_ns, SIM_OPT_I64),
     .cmds = CMD(SIM_CMD_RUN) | CMD(SIM_CMD_PLOT)},
    {.name = "no-plots", .kind = SIM_OPT_FLAG, FIELD(no_plots, SIM_OPT_INT),
     .cmds = RUNS},
    {.name = "force-new", .kind = SIM_OPT_FLAG, FIELD(force_new, SIM_OPT_INT),
     .cmds = CMD(SIM_CMD_SWEEP)},
    {.name = "jobs", .kind = SIM_OPT_COUNT, .meta = "N", .min = 1,
     .max = 1024, FIELD(jobs, SIM_OPT_INT), .cmds = CMD(SIM_CMD_SWEEP),
     APPLIES(jobs)},
    {.name = "plan", .kind = SIM_OPT_PATH, .meta = "DIR",
     .head = "a directory path (new or empty)",
     .max = (double)(SIZEOF_OPT(plan_dir) - PATH_ROOM),
     FIELD(plan_dir, SIM_OPT_STR), .cmds = CMD(SIM_CMD_SWEEP)},
    {.name = "collect", .kind = SIM_OPT_PATH, .meta = "DIR",
     .head = "a folder written by gilsim sweep --plan",
     .max = (double)(SIZEOF_OPT(collect_dir) - PATH_ROOM),
     FIELD(collect_dir, SIM_OPT_STR), .cmds = CMD(SIM_CMD_SWEEP)},
    {.name = "partial", .kind = SIM_OPT_FLAG, FIELD(partial, SIM_OPT_INT),
     .cmds = CMD(SIM_CMD_SWEEP), APPLIES(collect)},
    {.name = "mixed-hosts", .kind = SIM_OPT_FLAG,
     FIELD(mixed_hosts, SIM_OPT_INT), .cmds = CMD(SIM_CMD_SWEEP),
     APPLIES(collect)},
    {.name = "cell", .kind = SIM_OPT_FLAG, FIELD(cell, SIM_OPT_INT),
     .cmds = CMD(SIM_CMD_RUN), APPLIES(cell)},
    {.name = "help", .kind = SIM_OPT_ACTION, .cmds = ALL_CMDS},
    {.name = "version", .kind = SIM_OPT_ACTION, .cmds = ALL_CMDS},
};
/* clang-format on */

#define N_OPTS (sizeof(opt_table) / sizeof(opt_table[0]))

_Static_assert(N_OPTS <= SIM_OPT_MAX_ROWS,
               "raise SIM_OPT_MAX_ROWS: the parse keeps a flag per row");

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
    if (v < 1e6) {
        put_in_units(t, v, names + 2, mult + 2, 1, 1);
    } else {
        put_in_units(t, v, names, mult, 3, 1);
    }
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

/* The sentence of each kind that has a range: noun, ends, units. */
static const struct {
    const char *noun;                   /* unless the row has a head */
    void (*num)(struct text *, double); /* writes one end */
    const char *units;                  /* after the range */
} ranged[] = {
    [SIM_OPT_COUNT] = {"a whole number", put_count, ""},
    [SIM_OPT_DURATION] = {"a duration", put_duration,
                          " with a unit (ns, us, ms, s)"},
    [SIM_OPT_SIZE] = {"a size", put_size, " with a unit (B, KiB, MiB, GiB)"},
    [SIM_OPT_RATE] = {"a rate", put_rate,
                      " with a unit (B/s, KiB/s, MiB/s, GiB/s)"},
    [SIM_OPT_NUMBER] = {"a number", put_number, ""},
};

#define N_RANGED (sizeof(ranged) / sizeof(ranged[0]))

/* "NOUN from MIN (ZERO) to MAX[, or to VMAX with --engine=virtual] UNITS",
 * then, for counts written with M or G, what the suffixes mean. */
static void
put_range(struct text *t, const struct sim_opt_desc *op)
{
    void (*num)(struct text *, double) = ranged[op->kind].num;
    int excl = (op->flags & SIM_OPTF_MIN_EXCL) != 0;

    put(t, op->head != NULL ? op->head : ranged[op->kind].noun);
    put(t, excl ? " above " : " from ");
    num(t, op->min);
    if (op->min == 0 && op->zero != NULL) {
        put(t, " (");
        put(t, op->zero);
        put(t, ")");
    }
    put(t, excl ? " and at most " : " to ");
    num(t, op->max);
    if (op->max_virtual > 0) {
        put(t, ", or to ");
        num(t, op->max_virtual);
        put(t, " with --engine=virtual");
    }
    put(t, ranged[op->kind].units);
    if (op->kind == SIM_OPT_COUNT && op->max >= 1e9) {
        put(t, "; K, M and G multiply by 1e3, 1e6 and 1e9");
    } else if (op->kind == SIM_OPT_COUNT && op->max >= 1e6) {
        put(t, "; K and M multiply by 1e3 and 1e6");
    }
}

void
sim_opt_range(const struct sim_opt_desc *op, char *buf, size_t len)
{
    struct text t = {buf, len, 0};
    void (*num)(struct text *, double);

    buf[0] = '\0';
    if ((size_t)op->kind >= N_RANGED || ranged[op->kind].num == NULL) {
        return;
    }
    num = ranged[op->kind].num;
    if (op->flags & SIM_OPTF_MIN_EXCL) {
        put(&t, "above ");
        num(&t, op->min);
        put(&t, " and at most ");
    } else {
        num(&t, op->min);
        put(&t, "..");
    }
    num(&t, op->max);
    if (op->max_virtual > 0) {
        put(&t, " (");
        num(&t, op->max_virtual);
        put(&t, " with --engine=virtual)");
    }
}

void
sim_opt_expect(const struct sim_opt_desc *op, char *buf, size_t len)
{
    struct text t = {buf, len, 0};

    buf[0] = '\0';
    if ((size_t)op->kind < N_RANGED && ranged[op->kind].num != NULL) {
        put_range(&t, op);
    } else if (op->kind == SIM_OPT_NAME) {
        put_names(&t, op, NULL);
        if (strcmp(op->name, "workload") == 0) {
            put(&t, ", or a workload file (a path with a / or ending in "
                    ".json)");
        }
    } else if (op->kind == SIM_OPT_LIST) {
        put(&t, "a comma-separated list of ");
        put(&t, op->head);
        put(&t, "s: ");
        put_names(&t, op, op->flags & SIM_OPTF_ALL ? "all" : NULL);
    } else {
        /* PATH, URL, ADDR, WINDOW: the row says it. */
        put(&t, op->head != NULL ? op->head : "no value");
    }
    if (op->example != NULL) {
        put(&t, ", e.g. ");
        put(&t, op->example);
    }
}
