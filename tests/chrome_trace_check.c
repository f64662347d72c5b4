/*
 * chrome_trace_check.c - the strict Chrome Trace Event checker of
 * chrome_trace_check.h. It reads the file with libjansson, checks each
 * event on its own, then the tracks: names, and the nesting of the "X"
 * spans of each (pid, tid), sorted by start (longer first on a tie) and
 * walked with a stack of open spans. Times are microseconds printed with
 * three decimals (whole nanoseconds), so ends are compared to within
 * half a nanosecond.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "chrome_trace_check.h"

#define EPS_US 0.0005

struct span {
    long long pid, tid;
    double ts, end;
};

struct track {
    long long pid, tid;
    int named;
};

static double number_at(json_t *e, const char *key, size_t i);
static long long id_at(json_t *e, const char *key, size_t i);

/* One end of a flow arrow. */
struct flow_end {
    long long id, pid, tid;
    double ts;
    int is_end; /* "f" */
    const char *cat, *name;
};

static int
by_id_then_end(const void *a, const void *b)
{
    const struct flow_end *x = a, *y = b;

    if (x->id != y->id) {
        return x->id < y->id ? -1 : 1;
    }
    return x->is_end - y->is_end;
}

/* 1 if a span of (pid, tid) holds ts (ends included); spans are sorted
 * by track, then start. */
static int
inside_a_span(const struct span *spans, size_t n, long long pid, long long tid,
              double ts)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (spans[i].pid == pid && spans[i].tid == tid &&
            spans[i].ts <= ts + EPS_US && ts <= spans[i].end + EPS_US) {
            return 1;
        }
    }
    return 0;
}

/* A counter: pid, ts >= 0, args of finite numbers, no tid. */
static void
check_counter(const char *path, json_t *e, size_t i)
{
    json_t *args = json_object_get(e, "args");
    const char *k;
    json_t *v;

    (void)id_at(e, "pid", i);
    if (json_object_get(e, "tid") != NULL) {
        fail_msg("%s: counter %zu has a \"tid\"", path, i);
    }
    if (number_at(e, "ts", i) < 0) {
        fail_msg("%s: counter %zu has ts < 0", path, i);
    }
    if (!json_is_object(args) || json_object_size(args) == 0) {
        fail_msg("%s: counter %zu has no \"args\" values", path, i);
    }
    json_object_foreach(args, k, v)
    {
        if (!json_is_number(v) || !isfinite(json_number_value(v))) {
            fail_msg("%s: counter %zu: \"%s\" is not a finite number", path, i,
                     k);
        }
    }
}

/* Each flow id: one "s" and one "f", same cat and name, f not before s,
 * each inside a span of its track. */
static size_t
check_flows(const char *path, struct flow_end *f, size_t n,
            const struct span *spans, size_t n_spans)
{
    size_t i;

    qsort(f, n, sizeof(*f), by_id_then_end);
    for (i = 0; i < n; i += 2) {
        if (i + 1 >= n || f[i].id != f[i + 1].id || f[i].is_end ||
            !f[i + 1].is_end || (i + 2 < n && f[i + 2].id == f[i].id)) {
            fail_msg("%s: flow id %lld has not exactly one start and one end",
                     path, f[i].id);
        }
        if (strcmp(f[i].cat, f[i + 1].cat) != 0 ||
            strcmp(f[i].name, f[i + 1].name) != 0) {
            fail_msg("%s: flow id %lld: start and end differ in cat or name",
                     path, f[i].id);
        }
        if (f[i + 1].ts + EPS_US < f[i].ts) {
            fail_msg("%s: flow id %lld ends (%.3f) before it starts (%.3f)",
                     path, f[i].id, f[i + 1].ts, f[i].ts);
        }
        if (!inside_a_span(spans, n_spans, f[i].pid, f[i].tid, f[i].ts) ||
            !inside_a_span(spans, n_spans, f[i + 1].pid, f[i + 1].tid,
                           f[i + 1].ts)) {
            fail_msg("%s: flow id %lld has an end outside every span of its "
                     "track",
                     path, f[i].id);
        }
    }
    return n / 2;
}

static int
by_track_then_start(const void *a, const void *b)
{
    const struct span *x = a, *y = b;

    if (x->pid != y->pid) {
        return x->pid < y->pid ? -1 : 1;
    }
    if (x->tid != y->tid) {
        return x->tid < y->tid ? -1 : 1;
    }
    if (x->ts != y->ts) {
        return x->ts < y->ts ? -1 : 1;
    }
    return (x->end < y->end) - (x->end > y->end); /* longer first */
}

static struct track *
find_track(struct track *t, size_t n, long long pid, long long tid)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (t[i].pid == pid && t[i].tid == tid) {
            return &t[i];
        }
    }
    return NULL;
}

static double
number_at(json_t *e, const char *key, size_t i)
{
    json_t *v = json_object_get(e, key);

    if (!json_is_number(v) || !isfinite(json_number_value(v))) {
        fail_msg("event %zu: \"%s\" is not a finite number", i, key);
    }
    return json_number_value(v);
}

static long long
id_at(json_t *e, const char *key, size_t i)
{
    json_t *v = json_object_get(e, key);

    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        fail_msg("event %zu: \"%s\" is not an integer >= 0", i, key);
    }
    return (long long)json_integer_value(v);
}

/* A metadata event: a process or thread name (or sort index). */
static void
check_metadata(json_t *e, const char *name, size_t i, struct track *tracks,
               size_t *n_tracks, long long *named_pids, size_t *n_pids)
{
    json_t *arg = json_object_get(json_object_get(e, "args"), "name");
    long long pid = id_at(e, "pid", i), tid = id_at(e, "tid", i);
    struct track *t;

    if (strcmp(name, "process_sort_index") == 0 ||
        strcmp(name, "thread_sort_index") == 0) {
        return;
    }
    if (strcmp(name, "process_name") != 0 && strcmp(name, "thread_name") != 0) {
        fail_msg("event %zu: unknown metadata \"%s\"", i, name);
    }
    if (!json_is_string(arg) || json_string_length(arg) == 0) {
        fail_msg("event %zu: %s without a string args.name", i, name);
    }
    if (name[0] == 'p') {
        named_pids[(*n_pids)++] = pid;
        return;
    }
    t = find_track(tracks, *n_tracks, pid, tid);
    if (t == NULL) {
        t = &tracks[(*n_tracks)++];
        t->pid = pid;
        t->tid = tid;
    }
    t->named = 1;
}

void
chrome_trace_check(const char *path, struct chrome_trace_counts *out)
{
    json_error_t je;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    json_t *events, *e;
    struct span *spans;
    struct flow_end *flows;
    size_t n_flows = 0;
    struct track *tracks;
    long long *named_pids;
    size_t *stack; /* indexes of the open spans of one track */
    size_t n, i, k, n_spans = 0, n_tracks = 0, n_pids = 0, depth;
    struct chrome_trace_counts c;

    memset(&c, 0, sizeof(c));
    if (root == NULL) {
        fail_msg("%s: not JSON: line %d: %s", path, je.line, je.text);
    }
    events = json_object_get(root, "traceEvents");
    assert_true(json_is_object(root));
    assert_true(json_is_array(events));
    n = json_array_size(events);
    assert_true(n > 0);
    spans = calloc(n, sizeof(*spans));
    flows = calloc(n, sizeof(*flows));
    assert_non_null(flows);
    tracks = calloc(n, sizeof(*tracks));
    named_pids = calloc(n, sizeof(*named_pids));
    stack = calloc(n, sizeof(*stack));
    assert_non_null(stack);
    assert_non_null(spans);
    assert_non_null(tracks);
    assert_non_null(named_pids);

    json_array_foreach(events, i, e)
    {
        json_t *ph = json_object_get(e, "ph");
        json_t *name = json_object_get(e, "name");
        const char *p;
        long long pid, tid;

        if (!json_is_object(e) || !json_is_string(ph) ||
            json_string_length(ph) != 1) {
            fail_msg("%s: event %zu has no one-letter \"ph\"", path, i);
        }
        if (!json_is_string(name) || json_string_length(name) == 0) {
            fail_msg("%s: event %zu has no \"name\"", path, i);
        }
        p = json_string_value(ph);
        if (strchr("MXiICsf", p[0]) == NULL) {
            fail_msg("%s: event %zu: phase \"%s\" is not one gilsim writes",
                     path, i, p);
        }
        if (p[0] == 'C') {
            check_counter(path, e, i);
            c.counters++;
            continue;
        }
        pid = id_at(e, "pid", i);
        tid = id_at(e, "tid", i);
        if (p[0] == 's' || p[0] == 'f') {
            json_t *cat = json_object_get(e, "cat");
            json_t *bp = json_object_get(e, "bp");

            if (!json_is_string(cat)) {
                fail_msg("%s: flow event %zu has no \"cat\"", path, i);
            }
            if (p[0] == 'f' &&
                (!json_is_string(bp) || strcmp(json_string_value(bp), "e"))) {
                fail_msg("%s: flow end %zu is not bound to its enclosing "
                         "slice (\"bp\":\"e\")",
                         path, i);
            }
            flows[n_flows].id = id_at(e, "id", i);
            flows[n_flows].pid = pid;
            flows[n_flows].tid = tid;
            flows[n_flows].ts = number_at(e, "ts", i);
            flows[n_flows].is_end = p[0] == 'f';
            flows[n_flows].cat = json_string_value(cat);
            flows[n_flows].name = json_string_value(name);
            n_flows++;
        }
        if (p[0] == 'M') {
            check_metadata(e, json_string_value(name), i, tracks, &n_tracks,
                           named_pids, &n_pids);
            continue;
        }
        {
            double ts = number_at(e, "ts", i);
            double end = ts;

            if (ts < 0) {
                fail_msg("%s: event %zu (%s) has ts %.3f < 0", path, i,
                         json_string_value(name), ts);
            }
            if (p[0] == 'X') {
                double dur = number_at(e, "dur", i);

                if (dur < 0) {
                    fail_msg("%s: event %zu has dur %.3f < 0", path, i, dur);
                }
                end = ts + dur;
                spans[n_spans].pid = pid;
                spans[n_spans].tid = tid;
                spans[n_spans].ts = ts;
                spans[n_spans].end = end;
                n_spans++;
            }
            if (end > c.last_us) {
                c.last_us = end;
            }
        }
        if (find_track(tracks, n_tracks, pid, tid) == NULL) {
            tracks[n_tracks].pid = pid;
            tracks[n_tracks].tid = tid;
            n_tracks++;
        }
    }

    /* Every track and process is named. */
    for (k = 0; k < n_tracks; k++) {
        int pid_named = 0;

        if (!tracks[k].named) {
            fail_msg("%s: track pid %lld tid %lld has no thread_name", path,
                     tracks[k].pid, tracks[k].tid);
        }
        for (i = 0; i < n_pids; i++) {
            pid_named |= named_pids[i] == tracks[k].pid;
        }
        if (!pid_named) {
            fail_msg("%s: process %lld has no process_name", path,
                     tracks[k].pid);
        }
    }

    /* Spans nest on each track: a stack of the open ones. */
    qsort(spans, n_spans, sizeof(*spans), by_track_then_start);
    depth = 0;
    for (i = 0; i < n_spans; i++) {
        struct span *s = &spans[i];

        if (i > 0 &&
            (spans[i - 1].pid != s->pid || spans[i - 1].tid != s->tid)) {
            depth = 0;
        }
        while (depth > 0 && spans[stack[depth - 1]].end <= s->ts + EPS_US) {
            depth--;
        }
        if (depth > 0 && s->end > spans[stack[depth - 1]].end + EPS_US) {
            fail_msg("%s: on pid %lld tid %lld, the span at %.3f us "
                     "(to %.3f) overlaps the one at %.3f (to %.3f)",
                     path, s->pid, s->tid, s->ts, s->end,
                     spans[stack[depth - 1]].ts, spans[stack[depth - 1]].end);
        }
        stack[depth++] = i;
    }

    c.flows = check_flows(path, flows, n_flows, spans, n_spans);
    c.events = n;
    c.spans = n_spans;
    c.tracks = n_tracks;
    if (out != NULL) {
        *out = c;
    }
    free(spans);
    free(flows);
    free(tracks);
    free(named_pids);
    free(stack);
    json_decref(root);
}
