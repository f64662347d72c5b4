/*
 * summary_read.c - reads summary.json back, for index.html and `gilsim
 * plot`, and for `gilsim sweep --collect` (a cell's numbers and the host
 * it ran on).
 *
 * libjansson parses the file; this picks out the keys of struct
 * sim_trace_summary that sim_trace_write_summary_json writes and skips any
 * other key, so a summary from a later version with more keys still
 * reads. A missing key (or null) leaves its field 0. A number that does
 * not fit its field (a real beyond int64's range, say) makes the file
 * "not a gilsim summary" rather than a wrapped or undefined value.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base.h"
#include "report.h"

/* The most runs a summary.json may list: a run folder has one per model
 * (seven); more is not a summary gilsim wrote. */
#define SUMMARY_MAX_RUNS 64

/* A number as int64 (a real is truncated) and as double; 0, or -1 if it
 * is not a number or does not fit int64. null reads as 0. */
static int
number(json_t *j, int64_t *i, double *d)
{
    *i = 0;
    *d = 0.0;
    if (json_is_null(j)) {
        return 0;
    }
    if (json_is_integer(j)) {
        *i = (int64_t)json_integer_value(j);
        *d = (double)*i;
        return 0;
    }
    if (json_is_real(j)) {
        *d = json_real_value(j);
        /* -2^63 is exact as a double; 2^63 is one past INT64_MAX. */
        if (!(*d >= -9223372036854775808.0 && *d < 9223372036854775808.0)) {
            return -1;
        }
        *i = (int64_t)*d;
        return 0;
    }
    return -1;
}

/* A string value into a fixed buffer (null gives ""); -1 otherwise. */
static int
string_into(json_t *j, char *dst, size_t len)
{
    if (json_is_null(j)) {
        dst[0] = '\0';
        return 0;
    }
    if (!json_is_string(j)) {
        return -1;
    }
    (void)snprintf(dst, len, "%s", json_string_value(j));
    return 0;
}

/* handoff_ns and fetch_ns: {"count", "p50", "p99", "max"}; anything but
 * an object is skipped. */
static int
percentiles(json_t *j, uint64_t *count, int64_t *p50, int64_t *p99,
            int64_t *max)
{
    const char *k;
    json_t *v;

    if (!json_is_object(j)) {
        return 0;
    }
    json_object_foreach(j, k, v)
    {
        int64_t i;
        double d;

        if (number(v, &i, &d) != 0) {
            return -1;
        }
        if (strcmp(k, "p50") == 0) {
            *p50 = i;
        } else if (strcmp(k, "p99") == 0) {
            *p99 = i;
        } else if (strcmp(k, "max") == 0) {
            *max = i;
        } else if (strcmp(k, "count") == 0 && count != NULL) {
            *count = i < 0 ? 0 : (uint64_t)i;
        }
    }
    return 0;
}

/* A numeric key of a run; 1 if known. */
static int
run_number(struct sim_trace_summary *r, const char *k, int64_t i, double d)
{
    struct sim_trace_stats *s = &r->stats;
    struct {
        const char *name;
        int64_t *p;
    } i64[] = {
        {"switch_interval_ns", &r->switch_interval_ns},
        {"check_every", &r->check_every},
        {"wall_ns", &r->wall_ns},
        {"wall_ns_min", &r->wall_ns_min},
        {"wall_ns_max", &r->wall_ns_max},
        {"wall_ns_mean", &r->wall_ns_mean},
        {"wall_ns_sd", &r->wall_ns_sd},
        {"trace_from_ns", &r->trace_from_ns},
        {"trace_to_ns", &r->trace_to_ns},
        {"cpu_ns", &r->cpu_ns},
        {"gil_hold_ns", &s->hold_ns},
        {"gil_wait_ns", &s->wait_ns},
        {"io_ns", &s->io_ns},
        {"idle_ns", &s->idle_ns},
    };
    struct {
        const char *name;
        uint64_t *p;
    } u64[] = {
        {"takes", &s->takes},
        {"drops", &s->drops},
        {"waits", &s->waits},
        {"switches", &s->switches},
        {"forced_switches", &s->forced_switches},
        {"drop_requests", &s->drop_requests},
        {"handoffs", &s->handoffs},
        {"tasks", &s->tasks},
        {"steps_ok", &s->steps_ok},
        {"steps_failed", &s->steps_failed},
        {"events", &s->events},
        {"events_lost", &s->events_lost},
        {"events_cut", &r->events_cut},
    };
    size_t x;

    for (x = 0; x < sizeof(i64) / sizeof(i64[0]); x++) {
        if (strcmp(k, i64[x].name) == 0) {
            *i64[x].p = i;
            return 1;
        }
    }
    for (x = 0; x < sizeof(u64) / sizeof(u64[0]); x++) {
        if (strcmp(k, u64[x].name) == 0) {
            *u64[x].p = i < 0 ? 0 : (uint64_t)i;
            return 1;
        }
    }
    if (strcmp(k, "threads") == 0) {
        r->threads = (int)i;
    } else if (strcmp(k, "processes") == 0) {
        r->processes = (int)i;
    } else if (strcmp(k, "concurrency") == 0) {
        r->concurrency = (int)i;
    } else if (strcmp(k, "repeat") == 0) {
        r->repeat = (int)i;
    } else if (strcmp(k, "instr_ns") == 0) {
        r->instr_ns = d;
    } else {
        return 0;
    }
    return 1;
}

static int
read_run(json_t *j, struct sim_trace_summary *r)
{
    struct sim_trace_stats *s = &r->stats;
    const char *k;
    json_t *v;

    memset(r, 0, sizeof(*r));
    r->trace_to_ns = -1; /* a summary older than the key: to the end */
    r->concurrency = -1; /* one older than the key: unknown */
    if (!json_is_object(j)) {
        return -1;
    }
    json_object_foreach(j, k, v)
    {
        int rc = 0;

        if (strcmp(k, "model") == 0) {
            rc = string_into(v, r->model, sizeof(r->model));
        } else if (strcmp(k, "policy") == 0) {
            rc = string_into(v, r->policy, sizeof(r->policy));
        } else if (strcmp(k, "policy_what_if") == 0) {
            r->policy_what_if = json_is_true(v);
        } else if (strcmp(k, "workload") == 0) {
            rc = string_into(v, r->workload, sizeof(r->workload));
        } else if (strcmp(k, "client") == 0 && json_is_string(v)) {
            rc = string_into(v, r->client, sizeof(r->client));
        } else if (strcmp(k, "trace") == 0) {
            rc = string_into(v, r->trace_kept, sizeof(r->trace_kept));
        } else if (strcmp(k, "handoff_ns") == 0) {
            rc = percentiles(v, NULL, &s->handoff_p50_ns, &s->handoff_p99_ns,
                             &s->handoff_max_ns);
        } else if (strcmp(k, "fetch_ns") == 0) {
            rc = percentiles(v, &s->fetches, &s->fetch_p50_ns, &s->fetch_p99_ns,
                             &s->fetch_max_ns);
        } else if (json_is_number(v) || json_is_null(v)) {
            int64_t i;
            double d;

            rc = number(v, &i, &d);
            if (rc == 0) {
                (void)run_number(r, k, i, d);
            }
        }
        if (rc != 0) {
            return -1;
        }
    }
    return 0;
}

static int
read_summary(json_t *root, struct sim_report_summary *sum)
{
    json_t *runs = json_object_get(root, "runs");
    json_t *command = json_object_get(root, "command");
    json_t *version = json_object_get(root, "gilsim_version");
    json_t *host = json_object_get(root, "host");
    size_t i;

    if (json_is_string(command)) {
        sum->command = strdup(json_string_value(command));
        if (sum->command == NULL) {
            return -1;
        }
    }
    if (json_is_string(version)) {
        sum->version = strdup(json_string_value(version));
        if (sum->version == NULL) {
            return -1;
        }
    }
    if (json_is_object(host)) {
        json_t *v = json_object_get(host, "cores");
        json_t *name = json_object_get(host, "name");
        json_t *cpu = json_object_get(host, "cpu");

        if ((name != NULL &&
             string_into(name, sum->host_name, sizeof(sum->host_name)) != 0) ||
            (cpu != NULL &&
             string_into(cpu, sum->host_cpu, sizeof(sum->host_cpu)) != 0)) {
            return -1;
        }
        if (json_is_integer(v) && json_integer_value(v) > 0 &&
            json_integer_value(v) < 1000000) {
            sum->host_cores = (int)json_integer_value(v);
        }
    }
    if (runs == NULL) {
        return 0;
    }
    if (!json_is_array(runs)) {
        return -1;
    }
    if (json_array_size(runs) == 0) {
        return 0;
    }
    if (json_array_size(runs) > SUMMARY_MAX_RUNS) {
        return -1; /* a run folder has one per model */
    }
    sum->runs = calloc(json_array_size(runs), sizeof(*sum->runs));
    if (sum->runs == NULL) {
        return -1;
    }
    for (i = 0; i < json_array_size(runs); i++) {
        if (read_run(json_array_get(runs, i), &sum->runs[i]) != 0) {
            return -1;
        }
        sum->n++;
    }
    return 0;
}

void
sim_report_summary_clear(struct sim_report_summary *sum)
{
    if (sum == NULL) {
        return;
    }
    free(sum->command);
    free(sum->version);
    free(sum->runs);
    memset(sum, 0, sizeof(*sum));
}

int
sim_report_read_summary(const char *path, struct sim_report_summary *sum,
                        char *err, size_t errlen)
{
    json_error_t je;
    json_t *root;
    char *text;
    size_t len;
    int rc;

    memset(sum, 0, sizeof(*sum));
    rc = base_read_file(path, BASE_MAX_LARGE, &text, &len);
    if (rc != 0) {
        base_errf(err, errlen, rc == -ENOENT ? ENOENT : -rc,
                  "cannot read %.3000s", path);
        return rc;
    }
    root = json_loadb(text, len, 0, &je);
    free(text);
    if (root == NULL) {
        (void)snprintf(err, errlen,
                       "%.3000s: not a gilsim summary (bad JSON at line %d, "
                       "column %d: %.200s)",
                       path, je.line, je.column, je.text);
        return -EBADMSG;
    }
    if (!json_is_object(root) || read_summary(root, sum) != 0) {
        (void)snprintf(err, errlen,
                       "%.3000s: not a gilsim summary (a key holds a value "
                       "of the wrong type or out of range, or more than %d "
                       "runs)",
                       path, SUMMARY_MAX_RUNS);
        sim_report_summary_clear(sum);
        json_decref(root);
        return -EBADMSG;
    }
    json_decref(root);
    return 0;
}
