/*
 * summary_read.c - reads summary.json back, for index.html and `gilsim
 * plot`.
 *
 * A small parser of JSON (objects, arrays, strings with every escape,
 * numbers, true, false, null) picks out the keys of struct
 * sim_trace_summary that sim_trace_write_summary_json writes and skips any
 * other key, so a summary from a later version with more keys still
 * reads. A missing key leaves its field 0.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "sim_internal.h"

/* Nesting deeper than this is not a gilsim summary. */
#define JSON_MAX_DEPTH 32

/* ---- reading summary.json ----------------------------------------------- */

struct jp {
    const char *p;   /* next character */
    const char *end; /* end of the text */
    int depth;       /* containers open */
};

static void
ws(struct jp *j)
{
    while (j->p < j->end &&
           (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')) {
        j->p++;
    }
}

static int
eat(struct jp *j, char c)
{
    ws(j);
    if (j->p < j->end && *j->p == c) {
        j->p++;
        return 1;
    }
    return 0;
}

/* A string; *out (if out is not NULL) is its decoded text, malloc'd. A
 * decoded string is never longer than its JSON form. */
static int
json_string(struct jp *j, char **out)
{
    const char *s;
    char *d = NULL;
    size_t n = 0;

    if (!eat(j, '"')) {
        return -1;
    }
    s = j->p;
    if (out != NULL) {
        const char *q = s;

        while (q < j->end && *q != '"') {
            q += (*q == '\\' && q + 1 < j->end) ? 2 : 1;
        }
        d = malloc((size_t)(q - s) + 1);
        if (d == NULL) {
            return -1;
        }
    }
    while (j->p < j->end && *j->p != '"') {
        char c = *j->p++;
        unsigned cp;
        size_t used;

        if ((unsigned char)c < 0x20) {
            goto fail;
        }
        if (c != '\\') {
            if (d != NULL) {
                d[n++] = c;
            }
            continue;
        }
        if (j->p >= j->end) {
            goto fail;
        }
        c = *j->p++;
        switch (c) {
        case '"':
        case '\\':
        case '/':
            break;
        case 'b':
            c = '\b';
            break;
        case 'f':
            c = '\f';
            break;
        case 'n':
            c = '\n';
            break;
        case 'r':
            c = '\r';
            break;
        case 't':
            c = '\t';
            break;
        case 'u':
            if (sim_json_u_escape(j->p, j->end, &cp, &used) != 0) {
                goto fail;
            }
            j->p += used;
            if (d != NULL) {
                /* \uXXXX is 6 bytes; its UTF-8 is at most 4. */
                n += sim_json_put_utf8(d + n, cp);
            }
            continue;
        default:
            goto fail;
        }
        if (d != NULL) {
            d[n++] = c;
        }
    }
    if (j->p >= j->end) {
        goto fail;
    }
    j->p++;
    if (out != NULL) {
        d[n] = '\0';
        *out = d;
    }
    return 0;
fail:
    free(d);
    return -1;
}

/* A number, or null (0). */
static int
json_number(struct jp *j, int64_t *i, double *dv)
{
    char buf[64];
    const char *s;
    char *end;
    size_t n;

    ws(j);
    if (j->end - j->p >= 4 && memcmp(j->p, "null", 4) == 0) {
        j->p += 4;
        *i = 0;
        *dv = 0.0;
        return 0;
    }
    s = j->p;
    while (j->p < j->end && strchr("+-0123456789.eE", *j->p) != NULL) {
        j->p++;
    }
    n = (size_t)(j->p - s);
    if (n == 0 || n >= sizeof(buf)) {
        return -1;
    }
    memcpy(buf, s, n);
    buf[n] = '\0';
    *dv = strtod(buf, &end);
    if (*end != '\0') {
        return -1;
    }
    errno = 0;
    *i = (int64_t)strtoll(buf, &end, 10);
    if (*end != '\0' || errno != 0) {
        *i = (int64_t)*dv;
    }
    return 0;
}

static int skip_value(struct jp *j);

static int
skip_container(struct jp *j, char open, char close)
{
    if (!eat(j, open)) {
        return -1;
    }
    if (++j->depth > JSON_MAX_DEPTH) {
        return -1;
    }
    if (eat(j, close)) {
        j->depth--;
        return 0;
    }
    do {
        if (open == '{') {
            if (json_string(j, NULL) != 0 || !eat(j, ':')) {
                return -1;
            }
        }
        if (skip_value(j) != 0) {
            return -1;
        }
    } while (eat(j, ','));
    if (!eat(j, close)) {
        return -1;
    }
    j->depth--;
    return 0;
}

static int
skip_value(struct jp *j)
{
    int64_t i;
    double d;

    ws(j);
    if (j->p >= j->end) {
        return -1;
    }
    switch (*j->p) {
    case '"':
        return json_string(j, NULL);
    case '{':
        return skip_container(j, '{', '}');
    case '[':
        return skip_container(j, '[', ']');
    case 't':
        if (j->end - j->p >= 4 && memcmp(j->p, "true", 4) == 0) {
            j->p += 4;
            return 0;
        }
        return -1;
    case 'f':
        if (j->end - j->p >= 5 && memcmp(j->p, "false", 5) == 0) {
            j->p += 5;
            return 0;
        }
        return -1;
    default:
        return json_number(j, &i, &d);
    }
}

/* A string value into a fixed buffer (null gives ""). */
static int
string_into(struct jp *j, char *dst, size_t len)
{
    char *s;

    ws(j);
    if (j->end - j->p >= 4 && memcmp(j->p, "null", 4) == 0) {
        j->p += 4;
        dst[0] = '\0';
        return 0;
    }
    if (json_string(j, &s) != 0) {
        return -1;
    }
    (void)snprintf(dst, len, "%s", s);
    free(s);
    return 0;
}

/* handoff_ns and fetch_ns: {"count", "p50", "p99", "max"}. */
static int
percentiles(struct jp *j, uint64_t *count, int64_t *p50, int64_t *p99,
            int64_t *max)
{
    ws(j);
    if (j->p < j->end && *j->p != '{') {
        return skip_value(j);
    }
    if (!eat(j, '{')) {
        return -1;
    }
    if (eat(j, '}')) {
        return 0;
    }
    do {
        char *k;
        int64_t i;
        double d;

        if (json_string(j, &k) != 0) {
            return -1;
        }
        if (!eat(j, ':') || json_number(j, &i, &d) != 0) {
            free(k);
            return -1;
        }
        if (strcmp(k, "p50") == 0) {
            *p50 = i;
        } else if (strcmp(k, "p99") == 0) {
            *p99 = i;
        } else if (strcmp(k, "max") == 0) {
            *max = i;
        } else if (strcmp(k, "count") == 0 && count != NULL) {
            *count = (uint64_t)i;
        }
        free(k);
    } while (eat(j, ','));
    return eat(j, '}') ? 0 : -1;
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
json_run(struct jp *j, struct sim_trace_summary *r)
{
    memset(r, 0, sizeof(*r));
    if (!eat(j, '{')) {
        return -1;
    }
    if (eat(j, '}')) {
        return 0;
    }
    do {
        struct sim_trace_stats *s = &r->stats;
        char *k;
        int rc;

        if (json_string(j, &k) != 0) {
            return -1;
        }
        if (!eat(j, ':')) {
            free(k);
            return -1;
        }
        ws(j);
        if (strcmp(k, "model") == 0) {
            rc = string_into(j, r->model, sizeof(r->model));
        } else if (strcmp(k, "policy") == 0) {
            rc = string_into(j, r->policy, sizeof(r->policy));
        } else if (strcmp(k, "policy_what_if") == 0) {
            r->policy_what_if = j->p < j->end && *j->p == 't';
            rc = skip_value(j);
        } else if (strcmp(k, "workload") == 0) {
            rc = string_into(j, r->workload, sizeof(r->workload));
        } else if (strcmp(k, "handoff_ns") == 0) {
            rc = percentiles(j, NULL, &s->handoff_p50_ns, &s->handoff_p99_ns,
                             &s->handoff_max_ns);
        } else if (strcmp(k, "fetch_ns") == 0) {
            rc = percentiles(j, &s->fetches, &s->fetch_p50_ns, &s->fetch_p99_ns,
                             &s->fetch_max_ns);
        } else if (j->p < j->end && strchr("-0123456789n", *j->p) != NULL) {
            int64_t i;
            double d;

            rc = json_number(j, &i, &d);
            if (rc == 0) {
                (void)run_number(r, k, i, d);
            }
        } else {
            rc = skip_value(j);
        }
        free(k);
        if (rc != 0) {
            return -1;
        }
    } while (eat(j, ','));
    return eat(j, '}') ? 0 : -1;
}

static int
json_runs(struct jp *j, struct sim_report_summary *sum)
{
    if (!eat(j, '[')) {
        return -1;
    }
    if (eat(j, ']')) {
        return 0;
    }
    do {
        struct sim_trace_summary *runs;

        runs = realloc(sum->runs, (sum->n + 1) * sizeof(*runs));
        if (runs == NULL) {
            return -1;
        }
        sum->runs = runs;
        if (json_run(j, &runs[sum->n]) != 0) {
            return -1;
        }
        sum->n++;
    } while (eat(j, ','));
    return eat(j, ']') ? 0 : -1;
}

static int
json_summary(struct jp *j, struct sim_report_summary *sum)
{
    if (!eat(j, '{')) {
        return -1;
    }
    if (eat(j, '}')) {
        return 0;
    }
    do {
        char *k;
        int rc;

        if (json_string(j, &k) != 0) {
            return -1;
        }
        if (!eat(j, ':')) {
            free(k);
            return -1;
        }
        ws(j);
        if (strcmp(k, "command") == 0 && sum->command == NULL &&
            j->p < j->end && *j->p == '"') {
            rc = json_string(j, &sum->command);
        } else if (strcmp(k, "gilsim_version") == 0 && sum->version == NULL &&
                   j->p < j->end && *j->p == '"') {
            rc = json_string(j, &sum->version);
        } else if (strcmp(k, "runs") == 0) {
            rc = json_runs(j, sum);
        } else {
            rc = skip_value(j);
        }
        free(k);
        if (rc != 0) {
            return -1;
        }
    } while (eat(j, ','));
    return eat(j, '}') ? 0 : -1;
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
    struct jp j;
    char *text;
    size_t len;
    int rc;

    memset(sum, 0, sizeof(*sum));
    rc = base_read_file(path, &text, &len);
    if (rc != 0) {
        (void)snprintf(err, errlen, "cannot read %.3000s: %s", path,
                       rc == -ENOENT ? "no such file" : "read error");
        return rc;
    }
    j.p = text;
    j.end = text + len;
    j.depth = 0;
    rc = json_summary(&j, sum);
    ws(&j);
    if (rc != 0 || j.p != j.end) {
        long line = 1;
        const char *q;

        for (q = text; q < j.p && q < j.end; q++) {
            line += *q == '\n';
        }
        (void)snprintf(err, errlen,
                       "%.3000s: not a gilsim summary (bad JSON near line "
                       "%ld)",
                       path, line);
        sim_report_summary_clear(sum);
        free(text);
        return -EBADMSG;
    }
    free(text);
    return 0;
}
