/*
 * options.c - the command line of gilsim: defaults, parsing, --help.
 *
 * sim_opt_parse() walks argv once. An optional leading subcommand (`run`;
 * `serve`, `sweep`, `plot RUN_DIR`, which takes the folder (kept in
 * out_dir) and only --window; `calibrate`, which takes only --python,
 * --out (the file) and --quiet) is
 * followed by long options, `--name=value` or `--name value`. After
 * `sweep`, --threads, --processes and --switch-interval take
 * comma-separated lists (sweep_list); given to `run`, a list is refused by
 * the single value's parser. Each option
 * is looked up in `opt_table`, which also carries the sentence that says
 * what it accepts; that sentence is used for range errors and missing
 * values, while format errors use the sentence of the value parser
 * (parse.c). The first bad value stops the parse with one line in `err`
 * naming the flag, the value and what is accepted; the caller prints it
 * and exits 2 before anything is created. Options given twice: the last
 * one wins.
 *
 * This file also holds the model names; the help text is help.c's.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim_internal.h"

/* Pool sizes: real threads, and threads the virtual engine schedules. */
#define SIM_THREADS_REAL_MAX    4096
#define SIM_THREADS_VIRTUAL_MAX 100000

/* Long options, and what each accepts (for error messages). */
static const struct sim_opt_desc opt_table[] = {
    {"model", 1,
     "a comma-separated list of models: serial, threads, nogil, processes, "
     "loop or all"},
    {"threads", 1,
     "a whole number from 1 to 4096, or to 100000 with --engine=virtual"},
    {"processes", 1, "a whole number from 1 to 1024"},
    {"concurrency", 1, "a whole number of tasks from 0 (no limit) to 1M"},
    {"worker-start", 1,
     "a duration from 0 to 60s with a unit (ns, us, ms, s), e.g. 50ms"},
    {"switch-interval", 1,
     "a duration from 1us to 10s with a unit (ns, us, ms, s), e.g. 5ms"},
    {"policy", 1, "a GIL policy name, e.g. new or legacy"},
    {"interpreters", 1, "a whole number from 1 to 4096"},
    {"check-every", 1,
     "a whole number of instructions from 0 (the policy's default) to 1G"},
    {"instr-ns", 1,
     "a duration above 0 and at most 1s with a unit (ns, us, ms, s), "
     "e.g. 4.1ns"},
    {"calibration", 1, "a calibration file written by gilsim calibrate"},
    {"python", 1,
     "a Python 3 interpreter: a path, or a name looked up on PATH"},
    {"workload", 1, "a workload name: seed, cpu or convoy"},
    {"pages", 1, "a whole number of pages from 1 to 1M"},
    {"ops", 1, "a whole number of round trips from 1 to 10M"},
    {"cpu-threads", 1, "a whole number from 0 to 4095"},
    {"latency", 1,
     "a duration from 0 to 60s with a unit (ns, us, ms, s), e.g. 150ms"},
    {"latency-jitter", 1,
     "a duration from 0 to 60s with a unit (ns, us, ms, s), e.g. 20ms"},
    {"body-size", 1, "a size from 0B to 64MiB, e.g. 64KiB"},
    {"fail-rate", 1, "a number from 0 to 1, e.g. 0.1"},
    {"seed", 1, "a whole number from 0 to 1000G"},
    {"url", 1,
     "an http:// or https:// URL with a host, where {page} stands for the "
     "page number"},
    {"connections", 1, "a whole number of connections from 0 (no limit) to 1M"},
    {"timeout", 1,
     "a duration from 1ms to 1h with a unit (ns, us, ms, s), e.g. 10s"},
    {"connect-timeout", 1,
     "a duration from 1ms to 1h with a unit (ns, us, ms, s), e.g. 2s"},
    {"bind", 1, "an IPv4 address such as 127.0.0.1"},
    {"port", 1, "a port number from 0 (any free port) to 65535"},
    {"count", 1,
     "a whole number from 1 to 1000G; K, M and G multiply by 1e3, 1e6 "
     "and 1e9, e.g. 50M"},
    {"repeat", 1, "a whole number from 1 to 1000"},
    {"out", 1, "a directory path"},
    {"format", 1, "text, json or text,json"},
    {"trace-events", 1,
     "a whole number of events from 16 to 100M; K and M multiply by 1e3 "
     "and 1e6, e.g. 1M"},
    {"engine", 1, "real or virtual"},
    {"cores", 1, "a whole number of simulated cores from 1 to 4096"},
    {"bandwidth", 1,
     "a rate from 0B/s (instant) to 64GiB/s with a binary size unit, e.g. "
     "1GiB/s"},
    {"write-cost", 1,
     "a duration from 0 to 10s with a unit (ns, us, ms, s), e.g. 40us"},
    {"quiet", 0, NULL},
    {"window", 1,
     "FROM..TO, two durations with a unit (ns, us, ms, s), e.g. "
     "100ms..130ms; either end may be left out"},
    {"no-plots", 0, NULL},
    {"help", 0, NULL},
    {"version", 0, NULL},
};

#define N_OPTS (sizeof(opt_table) / sizeof(opt_table[0]))

static const char *const model_names[SIM_MODEL_COUNT] = {
    "serial", "threads", "executor", "nogil", "processes", "loop",
};

/* What this build can run, in the order of enum sim_model. */
#define AVAILABLE_MODELS                                                       \
    ((1u << SIM_MODEL_SERIAL) | (1u << SIM_MODEL_THREADS) |                    \
     (1u << SIM_MODEL_EXECUTOR) | (1u << SIM_MODEL_NOGIL) |                    \
     (1u << SIM_MODEL_PROCESSES) | (1u << SIM_MODEL_LOOP))
#define AVAILABLE_TEXT "serial, threads, executor, nogil, processes, loop"

const struct sim_opt_desc *
sim_opt_table(size_t *n_out)
{
    *n_out = N_OPTS;
    return opt_table;
}

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
    return model_names[m];
}

int
sim_model_find(const char *name)
{
    int i;

    for (i = 0; i < SIM_MODEL_COUNT; i++) {
        if (strcmp(name, model_names[i]) == 0) {
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

/* ---- error helpers ------------------------------------------------------ */

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

static int
bad_expect(char *err, size_t errlen, const struct sim_opt_desc *op,
           const char *value)
{
    char what[SIM_ERR_LEN];

    (void)snprintf(what, sizeof(what), "expected %s", op->expect);
    return bad_value(err, errlen, op->name, value, what);
}

/* ---- one option each ---------------------------------------------------- */

struct model_ctx {
    unsigned models;
};

static int
model_item(const char *elem, void *ctx, char *err, size_t errlen)
{
    struct model_ctx *mc = ctx;
    int m;

    if (strcmp(elem, "all") == 0) {
        mc->models |= AVAILABLE_MODELS;
        return 0;
    }
    m = sim_model_find(elem);
    if (m < 0) {
        (void)snprintf(err, errlen,
                       "unknown model '%.64s' (expected a comma-separated "
                       "list of " AVAILABLE_TEXT " or all)",
                       elem);
        return -EINVAL;
    }
    if (!sim_model_available((enum sim_model)m)) {
        (void)snprintf(err, errlen,
                       "%s is not available yet in this build "
                       "(available: " AVAILABLE_TEXT ")",
                       elem);
        return -ENOTSUP;
    }
    mc->models |= 1u << m;
    return 0;
}

struct format_ctx {
    int text, json;
};

static int
format_item(const char *elem, void *ctx, char *err, size_t errlen)
{
    struct format_ctx *fc = ctx;

    if (strcmp(elem, "text") == 0) {
        fc->text = 1;
    } else if (strcmp(elem, "json") == 0) {
        fc->json = 1;
    } else {
        (void)snprintf(err, errlen,
                       "unknown format '%.64s' (expected text, json or "
                       "text,json)",
                       elem);
        return -EINVAL;
    }
    return 0;
}

/* A count option in [lo, hi]; the parser's own sentence is not used, the
 * option's range sentence is clearer. */
static int
opt_count(const struct sim_opt_desc *op, const char *v, int64_t lo, int64_t hi,
          int64_t *out, char *err, size_t errlen)
{
    char perr[SIM_ERR_LEN];
    int64_t n;

    if (sim_parse_count(v, 1, &n, perr, sizeof(perr)) != 0 || n < lo ||
        n > hi) {
        return bad_expect(err, errlen, op, v);
    }
    *out = n;
    return 0;
}

/* A count option that is 0 or in [1, hi]: exactly "0", or what opt_count
 * accepts from 1 (so "00" stays an error, as a count of 0 is spelled
 * "0"). */
static int
opt_count0(const struct sim_opt_desc *op, const char *v, int64_t hi,
           int64_t *out, char *err, size_t errlen)
{
    if (strcmp(v, "0") == 0) {
        *out = 0;
        return 0;
    }
    return opt_count(op, v, 1, hi, out, err, errlen);
}

/* A duration option in (lo_excl ? (lo, hi] : [lo, hi]). Format errors get
 * the parser's sentence, range errors the option's. */
static int
opt_duration(const struct sim_opt_desc *op, const char *v, double lo,
             int lo_excl, double hi, double *out, char *err, size_t errlen)
{
    char perr[SIM_ERR_LEN];
    double ns;
    int rc;

    rc = sim_parse_duration(v, &ns, perr, sizeof(perr));
    if (rc == -EINVAL && strstr(perr, "greater than 0") == NULL) {
        return bad_value(err, errlen, op->name, v, perr);
    }
    if (rc != 0 || ns > hi || ns < lo || (lo_excl && ns <= lo)) {
        return bad_expect(err, errlen, op, v);
    }
    *out = ns;
    return 0;
}

/* A duration that may be 0 (`0`, `0ms`), in [0, hi]. */
static int
opt_duration0(const struct sim_opt_desc *op, const char *v, double hi,
              double *out, char *err, size_t errlen)
{
    char perr[SIM_ERR_LEN];
    double ns;
    int rc;

    if (strcmp(v, "0") == 0) {
        *out = 0.0;
        return 0;
    }
    rc = sim_parse_duration(v, &ns, perr, sizeof(perr));
    if (rc == -EINVAL && strstr(perr, "greater than 0") != NULL) {
        *out = 0.0; /* well formed, and zero */
        return 0;
    }
    if (rc == -EINVAL) {
        return bad_value(err, errlen, op->name, v, perr);
    }
    if (rc != 0 || ns > hi) {
        return bad_expect(err, errlen, op, v);
    }
    *out = ns;
    return 0;
}

static int
policy_error(const char *v, char *err, size_t errlen)
{
    char names[256] = "";
    const char *const *p;
    size_t used = 0;

    for (p = gil_policy_names(); p != NULL && *p != NULL; p++) {
        int w = snprintf(names + used, sizeof(names) - used, "%s%s",
                         used > 0 ? ", " : "", *p);

        if (w < 0 || (size_t)w >= sizeof(names) - used) {
            break;
        }
        used += (size_t)w;
    }
    (void)snprintf(err, errlen,
                   "--policy=%.64s: unknown GIL policy "
                   "(expected one of: %s)",
                   v, names);
    return SIM_EXIT_USAGE;
}

/* One end of --window: "" (the default), 0, or a duration. */
static int
window_end(const char *s, size_t len, int64_t *out)
{
    char buf[64];
    char perr[SIM_ERR_LEN];
    double ns;
    int rc;

    if (len == 0) {
        return 1;
    }
    if (len >= sizeof(buf)) {
        return -EINVAL;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (strcmp(buf, "0") == 0) {
        *out = 0;
        return 0;
    }
    rc = sim_parse_duration(buf, &ns, perr, sizeof(perr));
    if (rc == -EINVAL && strstr(perr, "greater than 0") != NULL) {
        *out = 0; /* well formed, and zero */
        return 0;
    }
    if (rc != 0 || ns > 1e15) {
        return -EINVAL;
    }
    *out = (int64_t)(ns + 0.5);
    return 0;
}

/* --window=FROM..TO: the timelines' window; an end left out is the run's
 * start or end. */
static int
opt_window(struct sim_options *o, const struct sim_opt_desc *op, const char *v,
           char *err, size_t errlen)
{
    const char *dots = strstr(v, "..");
    int64_t from = 0, to = 0;
    int rc;

    if (dots == NULL) {
        return bad_expect(err, errlen, op, v);
    }
    rc = window_end(v, (size_t)(dots - v), &from);
    if (rc < 0) {
        return bad_expect(err, errlen, op, v);
    }
    rc = window_end(dots + 2, strlen(dots + 2), &to);
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

static int
apply(struct sim_options *o, const struct sim_opt_desc *op, const char *v,
      char *err, size_t errlen)
{
    const char *name = op->name;
    char perr[SIM_ERR_LEN];
    int64_t n = 0; /* set by every opt_count* that returns 0 */
    double d = 0.0;
    int rc;

    if (strcmp(name, "model") == 0) {
        struct model_ctx mc = {0};

        if (v[0] == '\0') {
            return bad_expect(err, errlen, op, v);
        }
        if (sim_parse_list(v, model_item, &mc, perr, sizeof(perr)) != 0) {
            return bad_value(err, errlen, name, v, perr);
        }
        o->models = mc.models;
    } else if (strcmp(name, "threads") == 0) {
        rc = opt_count(op, v, 1, SIM_THREADS_VIRTUAL_MAX, &n, err, errlen);
        if (rc != 0) {
            return rc;
        }
        o->threads = (int)n;
    } else if (strcmp(name, "interpreters") == 0) {
        rc = opt_count(op, v, 1, 4096, &n, err, errlen);
        if (rc != 0) {
            return rc;
        }
        o->interpreters = (int)n;
    } else if (strcmp(name, "processes") == 0) {
        rc = opt_count(op, v, 1, 1024, &n, err, errlen);
        if (rc != 0) {
            return rc;
        }
        o->processes = (int)n;
    } else if (strcmp(name, "concurrency") == 0) {
        rc = opt_count0(op, v, 1000000, &n, err, errlen);
        if (rc != 0) {
            return rc;
        }
        o->concurrency = (int)n;
    } else if (strcmp(name, "worker-start") == 0) {
        rc = opt_duration0(op, v, 60e9, &d, err, errlen);
        if (rc != 0) {
            return rc;
        }
        o->costs.worker_start_ns = (int64_t)(d + 0.5);
        o->costs_given |= SIM_COST_GIVEN_WORKER_START;
    } else if (strcmp(name, "switch-interval") == 0) {
        rc = opt_duration(op, v, 1e3, 0, 1e10, &d, err, errlen);
        if (rc != 0) {
            return rc;
        }
        o->switch_interval_ns = (int64_t)(d + 0.5);
    } else if (strcmp(name, "policy") == 0) {
        if (strlen(v) >= sizeof(o->policy) || gil_policy_find(v) == NULL) {
            return policy_error(v, err, errlen);
        }
        (void)snprintf(o->policy, sizeof(o->policy), "%s", v);
    } else if (strcmp(name, "check-every") == 0) {
        rc = opt_count(op, v, 0, 1000000000, &n, err, errlen);
        if (rc != 0) {
            return rc;
        }
        o->check_every = n;
    } else if (strcmp(name, "instr-ns") == 0) {
        rc = opt_duration(op, v, 0.0, 1, 1e9, &d, err, errlen);
        if (rc != 0) {
            return rc;
        }
        o->costs.instr_ns = d;
        o->costs_given |= SIM_COST_GIVEN_INSTR_NS;
    } else if (strcmp(name, "calibration") == 0 ||
               strcmp(name, "python") == 0) {
        char *dst = name[0] == 'c' ? o->calibration : o->python;

        if (v[0] == '\0') {
            return bad_expect(err, errlen, op, v);
        }
        if (strlen(v) >= sizeof(o->python) - 64) {
            return bad_value(err, errlen, name, v,
                             "expected a path shorter than 4000 characters");
        }
        (void)snprintf(dst, sizeof(o->python), "%s", v);
    } else if (strcmp(name, "workload") == 0) {
        if (strcmp(v, "seed") != 0 && strcmp(v, "cpu") != 0 &&
            strcmp(v, "convoy") != 0) {
            return bad_value(err, errlen, name, v,
                             "unknown workload (expected seed, cpu or "
                             "convoy; workload files come in a later "
                             "version)");
        }
        (void)snprintf(o->workload, sizeof(o->workload), "%s", v);
    } else if (strcmp(name, "pages") == 0) {
        rc = opt_count(op, v, 1, 1000000, &n, err, errlen);
        if (rc != 0) {
            return rc;
        }
        o->pages = n;
    } else if (strcmp(name, "ops") == 0) {
        rc = opt_count(op, v, 1, 10000000, &n, err, errlen);
        if (rc != 0) {
            return rc;
        }
        o->ops = n;
    } else if (strcmp(name, "cpu-threads") == 0) {
        rc = opt_count0(op, v, 4095, &n, err, errlen);
        if (rc != 0) {
            return rc;
        }
        o->cpu_threads = (int)n;
    } else if (strcmp(name, "latency") == 0 ||
               strcmp(name, "latency-jitter") == 0) {
        rc = opt_duration0(op, v, 60e9, &d, err, errlen);
        if (rc != 0) {
            return rc;
        }
        if (name[7] == '\0') {
            o->latency_ns = (int64_t)(d + 0.5);
        } else {
            o->jitter_ns = (int64_t)(d + 0.5);
        }
    } else if (strcmp(name, "engine") == 0) {
        if (strcmp(v, "real") != 0 && strcmp(v, "virtual") != 0) {
            return bad_expect(err, errlen, op, v);
        }
        o->engine_virtual = v[0] == 'v';
    } else if (strcmp(name, "cores") == 0) {
        rc = opt_count(op, v, 1, 4096, &n, err, errlen);
        if (rc != 0) {
            return rc;
        }
        o->cores = (int)n;
    } else if (strcmp(name, "bandwidth") == 0) {
        size_t len = strlen(v);
        char size[64];
        uint64_t b;

        if (len < 3 || len - 2 >= sizeof(size) ||
            strcmp(v + len - 2, "/s") != 0) {
            return bad_expect(err, errlen, op, v);
        }
        memcpy(size, v, len - 2);
        size[len - 2] = '\0';
        if (sim_parse_size(size, &b, perr, sizeof(perr)) != 0 ||
            b > (uint64_t)64 * 1024 * 1024 * 1024) {
            return bad_expect(err, errlen, op, v);
        }
        o->bandwidth_bps = (int64_t)b;
    } else if (strcmp(name, "write-cost") == 0) {
        rc = opt_duration0(op, v, 10e9, &d, err, errlen);
        if (rc != 0) {
            return rc;
        }
        o->write_cost_ns = (int64_t)(d + 0.5);
    } else if (strcmp(name, "body-size") == 0) {
        uint64_t b;

        if (sim_parse_size(v, &b, perr, sizeof(perr)) != 0) {
            return bad_value(err, errlen, name, v, perr);
        }
        if (b > 64u * 1024 * 1024) {
            return bad_expect(err, errlen, op, v);
        }
        o->body_size = (int64_t)b;
    } else if (strcmp(name, "fail-rate") == 0) {
        char *end = NULL;

        errno = 0;
        d = strtod(v, &end);
        if (v[0] == '\0' || end == NULL || *end != '\0' || errno != 0 ||
            !(d >= 0.0 && d <= 1.0)) {
            return bad_expect(err, errlen, op, v);
        }
        o->fail_rate = d;
    } else if (strcmp(name, "seed") == 0) {
        rc = opt_count0(op, v, 1000000000000LL, &n, err, errlen);
        if (rc != 0) {
            return rc;
        }
        o->seed = (uint64_t)n;
    } else if (strcmp(name, "url") == 0) {
        if (strlen(v) >= sizeof(o->url) - 32) {
            return bad_value(err, errlen, name, v,
                             "expected a URL shorter than 2000 characters");
        }
        if (!wl_io_url_ok(v, perr, sizeof(perr))) {
            char what[SIM_ERR_LEN];

            (void)snprintf(what, sizeof(what), "%.200s (expected %s)", perr,
                           op->expect);
            return bad_value(err, errlen, name, v, what);
        }
        (void)snprintf(o->url, sizeof(o->url), "%s", v);
    } else if (strcmp(name, "connections") == 0) {
        rc = opt_count0(op, v, 1000000, &n, err, errlen);
        if (rc != 0) {
            return rc;
        }
        o->connections = (int)n;
    } else if (strcmp(name, "timeout") == 0 ||
               strcmp(name, "connect-timeout") == 0) {
        rc = opt_duration(op, v, 1e6, 0, 3600e9, &d, err, errlen);
        if (rc != 0) {
            return rc;
        }
        if (name[0] == 't') {
            o->timeout_ns = (int64_t)(d + 0.5);
        } else {
            o->connect_timeout_ns = (int64_t)(d + 0.5);
        }
    } else if (strcmp(name, "bind") == 0) {
        struct in_addr a;

        if (strlen(v) >= sizeof(o->bind) || inet_pton(AF_INET, v, &a) != 1) {
            return bad_expect(err, errlen, op, v);
        }
        (void)snprintf(o->bind, sizeof(o->bind), "%s", v);
    } else if (strcmp(name, "port") == 0) {
        rc = opt_count0(op, v, 65535, &n, err, errlen);
        if (rc != 0) {
            return rc;
        }
        o->port = (int)n;
    } else if (strcmp(name, "count") == 0) {
        rc = opt_count(op, v, 1, 1000000000000LL, &n, err, errlen);
        if (rc != 0) {
            return rc;
        }
        o->count = n;
    } else if (strcmp(name, "repeat") == 0) {
        rc = opt_count(op, v, 1, 1000, &n, err, errlen);
        if (rc != 0) {
            return rc;
        }
        o->repeat = (int)n;
    } else if (strcmp(name, "out") == 0) {
        if (v[0] == '\0') {
            return bad_expect(err, errlen, op, v);
        }
        if (strlen(v) >= sizeof(o->out_dir) - 64) {
            return bad_value(err, errlen, name, v,
                             "expected a directory path shorter than "
                             "4000 characters");
        }
        (void)snprintf(o->out_dir, sizeof(o->out_dir), "%s", v);
    } else if (strcmp(name, "format") == 0) {
        struct format_ctx fc = {0, 0};

        if (v[0] == '\0') {
            return bad_expect(err, errlen, op, v);
        }
        if (sim_parse_list(v, format_item, &fc, perr, sizeof(perr)) != 0) {
            return bad_value(err, errlen, name, v, perr);
        }
        o->format_text = fc.text;
        o->format_json = fc.json;
    } else if (strcmp(name, "trace-events") == 0) {
        rc = opt_count(op, v, 16, 100000000, &n, err, errlen);
        if (rc != 0) {
            return rc;
        }
        o->trace_events = (uint64_t)n;
    } else if (strcmp(name, "window") == 0) {
        return opt_window(o, op, v, err, errlen);
    }
    return 0;
}

static const struct sim_opt_desc *
find_opt(const char *name, size_t len)
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

/*
 * --cores, --bandwidth and --write-cost describe the virtual engine's
 * machine: refused without --engine=virtual. The virtual engine runs the
 * serial, threads, executor, nogil and processes models and needs no
 * network: naming
 * another model, or --url, is refused; the default list and `all` keep only
 * those.
 */
static int
check_engine(const struct sim_options *o, const char *virtual_only, char *err,
             size_t errlen)
{
    int m;

    if (!o->engine_virtual) {
        int most = o->threads;

        for (m = 0; m < o->n_sweep_threads; m++) {
            most = o->sweep_threads[m] > most ? o->sweep_threads[m] : most;
        }
        if (most > SIM_THREADS_REAL_MAX) {
            (void)snprintf(err, errlen,
                           "--threads=%d: expected a whole number from 1 to "
                           "4096, or to 100000 with --engine=virtual",
                           most);
            return SIM_EXIT_USAGE;
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

/* `gilsim calibrate` takes --python, --out, --quiet (and --help,
 * --version); --python belongs to it alone, and --calibration is for the
 * commands that run something. */
static int
check_calibrate_opts(enum sim_cmd cmd, const struct sim_opt_desc *op, char *err,
                     size_t errlen)
{
    const char *n = op->name;

    if (cmd == SIM_CMD_CALIBRATE && strcmp(n, "python") != 0 &&
        strcmp(n, "out") != 0 && strcmp(n, "quiet") != 0 &&
        strcmp(n, "help") != 0 && strcmp(n, "version") != 0) {
        (void)snprintf(err, errlen,
                       "--%s does not apply to gilsim calibrate (expected "
                       "gilsim calibrate [--python=PATH] [--out=FILE] "
                       "[--quiet])",
                       n);
        return SIM_EXIT_USAGE;
    }
    if (cmd != SIM_CMD_CALIBRATE && strcmp(n, "python") == 0) {
        (void)snprintf(err, errlen,
                       "--python applies only to gilsim calibrate (expected "
                       "gilsim calibrate --python=PATH)");
        return SIM_EXIT_USAGE;
    }
    return 0;
}

/* ---- gilsim sweep: lists ------------------------------------------------ */

static int
is_sweep_list(const struct sim_opt_desc *op)
{
    return strcmp(op->name, "threads") == 0 ||
           strcmp(op->name, "processes") == 0 ||
           strcmp(op->name, "switch-interval") == 0;
}

struct sweep_ctx {
    struct sim_options *o;
    const struct sim_opt_desc *op;
    int64_t v[SIM_SWEEP_MAX];
    int n;
};

/* One element: parsed by apply() as a single value, then inserted in
 * ascending order; a repeated value is dropped. */
static int
sweep_item(const char *elem, void *ctx, char *err, size_t errlen)
{
    struct sweep_ctx *sc = ctx;
    char ignored[SIM_ERR_LEN];
    int64_t v;
    int i, j;

    if (apply(sc->o, sc->op, elem, ignored, sizeof(ignored)) != 0) {
        (void)snprintf(err, errlen,
                       "'%.64s' is not accepted (expected a comma-separated "
                       "list of up to %d values, each %s)",
                       elem, SIM_SWEEP_MAX, sc->op->expect);
        return -EINVAL;
    }
    if (strcmp(sc->op->name, "threads") == 0) {
        v = sc->o->threads;
    } else if (strcmp(sc->op->name, "processes") == 0) {
        v = sc->o->processes;
    } else {
        v = sc->o->switch_interval_ns;
    }
    for (i = 0; i < sc->n && sc->v[i] < v; i++) {
    }
    if (i < sc->n && sc->v[i] == v) {
        return 0;
    }
    if (sc->n == SIM_SWEEP_MAX) {
        (void)snprintf(err, errlen,
                       "too many values (expected a comma-separated list of "
                       "up to %d values, each %s)",
                       SIM_SWEEP_MAX, sc->op->expect);
        return -E2BIG;
    }
    for (j = sc->n; j > i; j--) {
        sc->v[j] = sc->v[j - 1];
    }
    sc->v[i] = v;
    sc->n++;
    return 0;
}

/* --threads, --processes or --switch-interval after `sweep`: a list. The
 * single value is set to the first (smallest) element. */
static int
sweep_list(struct sim_options *o, const struct sim_opt_desc *op,
           const char *value, char *err, size_t errlen)
{
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
        if (strcmp(op->name, "threads") == 0) {
            o->sweep_threads[i] = (int)sc.v[i];
        } else if (strcmp(op->name, "processes") == 0) {
            o->sweep_processes[i] = (int)sc.v[i];
        } else {
            o->sweep_switch_ns[i] = sc.v[i];
        }
    }
    if (strcmp(op->name, "threads") == 0) {
        o->n_sweep_threads = sc.n;
        o->threads = (int)sc.v[0];
    } else if (strcmp(op->name, "processes") == 0) {
        o->n_sweep_processes = sc.n;
        o->processes = (int)sc.v[0];
    } else {
        o->n_sweep_switch = sc.n;
        o->switch_interval_ns = sc.v[0];
    }
    return 0;
}

int
sim_opt_parse(int argc, char **argv, struct sim_options *o, enum sim_cmd *cmd,
              char *err, size_t errlen)
{
    const char *model_value = NULL;  /* the --model list given, if any */
    const char *virtual_only = NULL; /* an option of the virtual engine */
    int i = 1;
    int rc;

    sim_options_default(o);
    *cmd = SIM_CMD_RUN;
    if (i < argc && argv[i][0] != '-') {
        const char *sub = argv[i];

        if (strcmp(sub, "serve") == 0) {
            *cmd = SIM_CMD_SERVE;
        } else if (strcmp(sub, "sweep") == 0) {
            *cmd = SIM_CMD_SWEEP;
        } else if (strcmp(sub, "plot") == 0) {
            *cmd = SIM_CMD_PLOT;
        } else if (strcmp(sub, "calibrate") == 0) {
            *cmd = SIM_CMD_CALIBRATE;
        } else if (strcmp(sub, "run") != 0) {
            (void)snprintf(err, errlen,
                           "unknown command '%.64s' (expected run, or "
                           "options; see gilsim --help)",
                           sub);
            return SIM_EXIT_USAGE;
        }
        i++;
    }
    for (; i < argc; i++) {
        const char *a = argv[i];
        const char *name;
        const char *eq;
        const char *value;
        const struct sim_opt_desc *op;
        size_t len;

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
        if (a[1] != '-' || a[2] == '\0') {
            (void)snprintf(err, errlen,
                           "unknown option %.64s (see gilsim --help)", a);
            return SIM_EXIT_USAGE;
        }
        name = a + 2;
        eq = strchr(name, '=');
        len = eq != NULL ? (size_t)(eq - name) : strlen(name);
        op = find_opt(name, len);
        if (op == NULL) {
            (void)snprintf(err, errlen,
                           "unknown option --%.*s (see gilsim --help)",
                           (int)(len > 64 ? 64 : len), name);
            return SIM_EXIT_USAGE;
        }
        if (*cmd == SIM_CMD_PLOT && strcmp(op->name, "window") != 0 &&
            strcmp(op->name, "quiet") != 0 && strcmp(op->name, "help") != 0 &&
            strcmp(op->name, "version") != 0) {
            (void)snprintf(err, errlen,
                           "--%s does not apply to gilsim plot (expected "
                           "gilsim plot RUN_DIR [--window=FROM..TO])",
                           op->name);
            return SIM_EXIT_USAGE;
        }
        rc = check_calibrate_opts(*cmd, op, err, errlen);
        if (rc != 0) {
            return rc;
        }
        if (!op->takes_value) {
            if (eq != NULL) {
                (void)snprintf(err, errlen, "--%s=%.64s: --%s takes no value",
                               op->name, eq + 1, op->name);
                return SIM_EXIT_USAGE;
            }
            if (strcmp(op->name, "help") == 0) {
                *cmd = SIM_CMD_HELP;
                return 0;
            }
            if (strcmp(op->name, "version") == 0) {
                *cmd = SIM_CMD_VERSION;
                return 0;
            }
            if (strcmp(op->name, "no-plots") == 0) {
                o->no_plots = 1;
                continue;
            }
            o->quiet = 1;
            continue;
        }
        if (eq != NULL) {
            value = eq + 1;
        } else if (i + 1 < argc &&
                   !(argv[i + 1][0] == '-' && argv[i + 1][1] == '-')) {
            value = argv[++i];
        } else {
            (void)snprintf(err, errlen, "--%s: missing value (expected %s)",
                           op->name, op->expect);
            return SIM_EXIT_USAGE;
        }
        if (*cmd == SIM_CMD_SWEEP && is_sweep_list(op)) {
            rc = sweep_list(o, op, value, err, errlen);
        } else {
            rc = apply(o, op, value, err, errlen);
        }
        if (rc != 0) {
            return rc;
        }
        if (strcmp(op->name, "model") == 0) {
            model_value = value; /* the last --model wins */
        }
        if (strcmp(op->name, "cores") == 0 ||
            strcmp(op->name, "bandwidth") == 0 ||
            strcmp(op->name, "write-cost") == 0) {
            virtual_only = op->name;
        }
    }
    if (*cmd == SIM_CMD_PLOT && o->out_dir[0] == '\0') {
        (void)snprintf(err, errlen,
                       "plot: missing RUN_DIR (expected gilsim plot RUN_DIR "
                       "[--window=FROM..TO], the folder of an earlier run)");
        return SIM_EXIT_USAGE;
    }
    rc = check_convoy_loop(o, model_value, err, errlen);
    if (rc != 0) {
        return rc;
    }
    return check_engine(o, virtual_only, err, errlen);
}
