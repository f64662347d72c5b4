/*
 * write_json.c - writes a trace in the Chrome Trace Event format, which
 * Perfetto (ui.perfetto.dev) and chrome://tracing open, and holds the JSON
 * helpers that write_summary.c shares.
 *
 * The output is one object:
 *
 *     {"traceEvents": [...], "displayTimeUnit": "ms",
 *      "otherData": {"title": ...}}
 *
 * traceEvents holds, in this order:
 * - "M" metadata: process_name for each process (0 is "gilsim", k is
 *   "worker-k"), and thread_name and thread_sort_index for each thread;
 * - one "X" (complete) event per state segment, cat "state", named after
 *   the state;
 * - one "X" event per STEP_BEGIN..STEP_END pair of a thread, cat "step",
 *   named after the step kind, with args {task, outcome};
 * - "i" (instant, thread-scoped) events: "drop request" for each
 *   GIL_DROP_REQUEST and "forced switch" for each forced GIL_DROP;
 * - flow arrows, cat "gil", name "hand-off": an "s" on the dropping
 *   thread's state track at a GIL_DROP and an "f" ("bp":"e") with the same
 *   id on the taking thread's at the GIL_TAKE it let happen (the take by
 *   a waiting thread of the same GIL, as the hand-off statistics pair
 *   them);
 * - a counter ("C") per GIL, "GIL g waiters" in its process, with args
 *   {waiters}: how many threads wait for it, at every change.
 * Each thread has two tracks: tid 2k (its states and instants) and tid
 * 2k+1 ("NAME steps", its steps), because complete events on one track
 * must nest and a step does not nest in the state segments it spans.
 * pid is the thread's process and k its index in the trace. ts and dur
 * are microseconds relative to the trace's origin, printed from integer
 * nanoseconds with three decimals, so no precision is lost to floats.
 *
 * Strings are escaped by sim_trace_json_string(), which also replaces
 * bytes that are not valid UTF-8, so any title or thread name gives valid
 * JSON.
 */
#include "trace.h"

#include <errno.h>
#include <stdlib.h>

#include "trace_internal.h"

/* Length of the valid UTF-8 character at s (n bytes available), or 0. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
    size_t len, i;
    unsigned char lo = 0x80, hi = 0xBF;

    if (s[0] >= 0xC2 && s[0] <= 0xDF) {
        len = 2;
    } else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
        len = 3;
        /* No overlong forms, no UTF-16 surrogates. */
        if (s[0] == 0xE0) {
            lo = 0xA0;
        } else if (s[0] == 0xED) {
            hi = 0x9F;
        }
    } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
        len = 4;
        /* No overlong forms, nothing above U+10FFFF. */
        if (s[0] == 0xF0) {
            lo = 0x90;
        } else if (s[0] == 0xF4) {
            hi = 0x8F;
        }
    } else {
        return 0;
    }
    if (len > n) {
        return 0;
    }
    if (s[1] < lo || s[1] > hi) {
        return 0;
    }
    for (i = 2; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            return 0;
        }
    }
    return len;
}

void
sim_trace_json_string(FILE *f, const char *s, size_t max)
{
    const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
    size_t n = 0;
    size_t i = 0;

    while (n < max && p[n] != '\0') {
        n++;
    }
    putc('"', f);
    while (i < n) {
        unsigned char c = p[i];
        size_t len;

        if (c == '"' || c == '\\') {
            putc('\\', f);
            putc(c, f);
        } else if (c == '\n') {
            fputs("\\n", f);
        } else if (c == '\t') {
            fputs("\\t", f);
        } else if (c == '\r') {
            fputs("\\r", f);
        } else if (c < 0x20) {
            fprintf(f, "\\u%04x", (unsigned int)c);
        } else if (c < 0x80) {
            putc(c, f);
        } else {
            len = utf8_len(p + i, n - i);
            if (len == 0) {
                fputs("\\ufffd", f);
            } else {
                fwrite(p + i, 1, len, f);
                i += len - 1;
            }
        }
        i++;
    }
    putc('"', f);
}

void
sim_trace__fixed(FILE *f, int64_t ns, int digits)
{
    uint64_t unit = 1;
    uint64_t mag;
    int i;

    for (i = 0; i < digits; i++) {
        unit *= 10;
    }
    /* The magnitude in unsigned arithmetic, so INT64_MIN works too. */
    mag = ns < 0 ? 0 - (uint64_t)ns : (uint64_t)ns;
    fprintf(f, "%s%llu.%0*llu", ns < 0 ? "-" : "",
            (unsigned long long)(mag / unit), digits,
            (unsigned long long)(mag % unit));
}

/* Puts the separator before each element of traceEvents. */
struct writer {
    FILE *f;
    int64_t origin;                   /* ns subtracted from every stamp */
    int first;                        /* no element written yet */
    sim_trace_fail_text_fn fail_text; /* or NULL */
};

static void
next_event(struct writer *w)
{
    fputs(w->first ? "\n" : ",\n", w->f);
    w->first = 0;
}

/* Opens an event: {"ph":...,"pid":...,"tid":...,"name":... on the
 * thread's state track (steps = 0) or its step track (steps = 1). */
static void
open_event_on(struct writer *w, const char *ph, const struct sim_trace_buf *b,
              int steps, const char *name)
{
    next_event(w);
    fprintf(w->f, "{\"ph\":\"%s\",\"pid\":%d,\"tid\":%d,\"name\":", ph,
            (int)b->process, 2 * (int)b->id + steps);
    sim_trace_json_string(w->f, name, sizeof(b->name));
}

static void
open_event(struct writer *w, const char *ph, const struct sim_trace_buf *b,
           const char *name)
{
    open_event_on(w, ph, b, 0, name);
}

static void
write_ts(struct writer *w, int64_t t_ns)
{
    fputs(",\"ts\":", w->f);
    sim_trace__fixed(w->f, t_ns - w->origin, 3);
}

static void
write_metadata(struct writer *w, const struct sim_trace *t)
{
    size_t n = sim_trace_thread_count(t);
    size_t i, j;

    for (i = 0; i < n; i++) {
        const struct sim_trace_buf *b = sim_trace_thread(t, i);
        char steps_name[sizeof(b->name) + 8];
        int seen = 0;

        /* One process_name per process; the scan is over threads. */
        for (j = 0; j < i && !seen; j++) {
            seen = sim_trace_thread(t, j)->process == b->process;
        }
        if (!seen) {
            next_event(w);
            fprintf(w->f,
                    "{\"ph\":\"M\",\"pid\":%d,\"tid\":0,"
                    "\"name\":\"process_name\",\"args\":{\"name\":",
                    (int)b->process);
            if (b->process == 0) {
                fputs("\"gilsim\"}}", w->f);
            } else {
                fprintf(w->f, "\"worker-%d\"}}", (int)b->process);
            }
        }
        open_event(w, "M", b, "thread_name");
        fputs(",\"args\":{\"name\":", w->f);
        sim_trace_json_string(w->f, b->name, sizeof(b->name));
        fputs("}}", w->f);
        open_event(w, "M", b, "thread_sort_index");
        fprintf(w->f, ",\"args\":{\"sort_index\":%d}}", 2 * (int)b->id);
        snprintf(steps_name, sizeof(steps_name), "%s steps", b->name);
        open_event_on(w, "M", b, 1, "thread_name");
        fputs(",\"args\":{\"name\":", w->f);
        sim_trace_json_string(w->f, steps_name, sizeof(steps_name));
        fputs("}}", w->f);
        open_event_on(w, "M", b, 1, "thread_sort_index");
        fprintf(w->f, ",\"args\":{\"sort_index\":%d}}", 2 * (int)b->id + 1);
    }
}

static int
write_segments(struct writer *w, const struct sim_trace *t)
{
    struct sim_segment *seg;
    size_t n, i;
    int rc;

    rc = sim_trace_segments(t, &seg, &n);
    if (rc != 0) {
        return rc;
    }
    for (i = 0; i < n; i++) {
        const struct sim_trace_buf *b = sim_trace_thread(t, seg[i].thread);

        open_event(w, "X", b,
                   sim_trace_state_name((enum sim_state)seg[i].state));
        fputs(",\"cat\":\"state\"", w->f);
        write_ts(w, seg[i].begin_ns);
        fputs(",\"dur\":", w->f);
        sim_trace__fixed(w->f, seg[i].end_ns - seg[i].begin_ns, 3);
        fputs("}", w->f);
    }
    free(seg);
    return 0;
}

static void
write_instant(struct writer *w, const struct sim_trace_buf *b, const char *name,
              int64_t t_ns)
{
    open_event(w, "i", b, name);
    fputs(",\"cat\":\"gil\",\"s\":\"t\"", w->f);
    write_ts(w, t_ns);
    fputs("}", w->f);
}

/* The hand-off arrows and the waiters counters, from the GIL events of
 * every thread in time order. -ENOMEM, or 0. */
static int
write_gil_tracks(struct writer *w, const struct sim_trace *t)
{
    size_t threads = sim_trace_thread_count(t);
    struct sim_trace__merge m;
    const struct sim_trace_event *e;
    unsigned char *waiting = NULL;
    /* Per GIL, kept in the slot of its first thread (gil_of): its last
     * drop (thread, time) and its number of waiters. */
    size_t *gil_of = NULL, *drop_th = NULL, th, i;
    int64_t *drop_ns = NULL;
    uint64_t *waiters = NULL, flow = 0;
    int rc = -ENOMEM;

    if (threads == 0) {
        return 0;
    }
    waiting = calloc(threads, 1);
    gil_of = calloc(threads, sizeof(*gil_of));
    drop_th = calloc(threads, sizeof(*drop_th));
    drop_ns = calloc(threads, sizeof(*drop_ns));
    waiters = calloc(threads, sizeof(*waiters));
    if (waiting == NULL || gil_of == NULL || drop_th == NULL ||
        drop_ns == NULL || waiters == NULL) {
        goto out;
    }
    for (i = 0; i < threads; i++) {
        size_t j = 0;

        while (j < i &&
               sim_trace_thread(t, j)->gil != sim_trace_thread(t, i)->gil) {
            j++;
        }
        gil_of[i] = j;
        drop_th[i] = SIZE_MAX; /* no drop seen yet */
    }
    rc = sim_trace__merge_init(&m, t,
                               (1u << SIM_EV_GIL_WAIT) |
                                   (1u << SIM_EV_GIL_TAKE) |
                                   (1u << SIM_EV_GIL_DROP),
                               1);
    if (rc != 0) {
        goto out;
    }
    while (sim_trace__merge_next(&m, &th, &e)) {
        const struct sim_trace_buf *b = sim_trace_thread(t, th);
        size_t g = gil_of[th];
        int changed = 0;

        if (e->kind == SIM_EV_GIL_WAIT && !waiting[th]) {
            waiting[th] = 1;
            waiters[g]++;
            changed = 1;
        } else if (e->kind == SIM_EV_GIL_TAKE) {
            if (waiting[th] && drop_th[g] != SIZE_MAX && drop_th[g] != th) {
                flow++;
                open_event(w, "s", sim_trace_thread(t, drop_th[g]), "hand-off");
                fprintf(w->f, ",\"cat\":\"gil\",\"id\":%llu",
                        (unsigned long long)flow);
                write_ts(w, drop_ns[g]);
                fputs("}", w->f);
                open_event(w, "f", b, "hand-off");
                fprintf(w->f, ",\"cat\":\"gil\",\"id\":%llu,\"bp\":\"e\"",
                        (unsigned long long)flow);
                write_ts(w, e->t_ns);
                fputs("}", w->f);
            }
            if (waiting[th]) {
                waiting[th] = 0;
                waiters[g]--;
                changed = 1;
            }
        } else if (e->kind == SIM_EV_GIL_DROP) {
            if (waiting[th]) { /* a ring trace that lost the take */
                waiting[th] = 0;
                waiters[g]--;
                changed = 1;
            }
            drop_th[g] = th;
            drop_ns[g] = e->t_ns;
        }
        if (changed) {
            next_event(w);
            fprintf(w->f,
                    "{\"ph\":\"C\",\"pid\":%d,\"name\":\"GIL %d waiters\","
                    "\"cat\":\"gil\"",
                    (int)b->process, (int)b->gil);
            write_ts(w, e->t_ns);
            fprintf(w->f, ",\"args\":{\"waiters\":%llu}}",
                    (unsigned long long)waiters[g]);
        }
    }
    sim_trace__merge_free(&m);
    rc = 0;
out:
    free(waiting);
    free(gil_of);
    free(drop_th);
    free(drop_ns);
    free(waiters);
    return rc;
}

/* A failed step's code (an HTTP status, a CURLcode, an errno) and what
 * it means, as more args of its slice. */
static void
write_failure(struct writer *w, const struct sim_trace_event *e)
{
    char text[160];

    fprintf(w->f, ",\"code\":%lld", (long long)e->arg);
    if (w->fail_text != NULL) {
        w->fail_text(e->outcome, e->arg, text, sizeof(text));
        fputs(",\"error\":", w->f);
        sim_trace_json_string(w->f, text, sizeof(text));
    }
}

/* Steps and instants of one thread. A STEP_END without its STEP_BEGIN (the
 * begin was lost) gives no step event. */
static void
write_thread_events(struct writer *w, const struct sim_trace_buf *b)
{
    uint64_t n = b->n < b->cap ? b->n : b->cap;
    const struct sim_trace_event *begin = NULL;
    uint64_t i;

    for (i = 0; i < n; i++) {
        const struct sim_trace_event *e = &b->ev[i];

        switch (e->kind) {
        case SIM_EV_STEP_BEGIN:
            begin = e;
            break;
        case SIM_EV_STEP_END:
            if (begin == NULL) {
                break;
            }
            open_event_on(w, "X", b, 1,
                          sim_trace_step_name((enum sim_step)begin->detail));
            fputs(",\"cat\":\"step\"", w->f);
            write_ts(w, begin->t_ns);
            fputs(",\"dur\":", w->f);
            sim_trace__fixed(
                w->f, e->t_ns > begin->t_ns ? e->t_ns - begin->t_ns : 0, 3);
            fprintf(w->f, ",\"args\":{\"task\":%d,\"outcome\":\"%s\"",
                    (int)e->task,
                    sim_trace_outcome_name((enum sim_outcome)e->outcome));
            if (e->outcome != SIM_OUT_OK) {
                write_failure(w, e);
            }
            fputs("}}", w->f);
            begin = NULL;
            break;
        case SIM_EV_GIL_DROP_REQUEST:
            write_instant(w, b, "drop request", e->t_ns);
            break;
        case SIM_EV_RESULT:
            write_instant(w, b, "result", e->t_ns);
            break;
        case SIM_EV_GIL_DROP:
            if (e->detail == SIM_DROP_FORCED) {
                write_instant(w, b, "forced switch", e->t_ns);
            }
            break;
        default:
            break;
        }
    }
}

int
sim_trace_write_json(const struct sim_trace *t, const char *title, FILE *f)
{
    struct writer w;
    size_t n, i;
    int rc;

    if (t == NULL || f == NULL) {
        return -EINVAL;
    }
    w.f = f;
    w.origin = sim_trace_origin_ns(t);
    w.first = 1;
    w.fail_text = sim_trace_fail_text(t);
    fputs("{\"traceEvents\":[", f);
    write_metadata(&w, t);
    rc = write_segments(&w, t);
    if (rc != 0) {
        return rc;
    }
    n = sim_trace_thread_count(t);
    for (i = 0; i < n; i++) {
        write_thread_events(&w, sim_trace_thread(t, i));
    }
    rc = write_gil_tracks(&w, t);
    if (rc != 0) {
        return rc;
    }
    fputs("\n],\n\"displayTimeUnit\":\"ms\",\n\"otherData\":{\"title\":", f);
    sim_trace_json_string(f, title != NULL ? title : "gilsim", SIZE_MAX);
    fputs("}}\n", f);
    return ferror(f) ? -EIO : 0;
}
