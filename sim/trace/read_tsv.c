/*
 * read_tsv.c - reads a trace.tsv (as write_tsv.c writes it) back into a
 * struct sim_trace, so `gilsim plot` can draw an earlier run again.
 *
 * The first line must be the header row that write_tsv.c writes; every
 * other line must have its ten tab-separated fields: numbers where numbers
 * belong, an event name, and the detail and outcome names that event
 * carries ("-" where it carries none). The file is read in one pass into
 * growing arrays (one record per event, one per thread index), because the
 * trace's buffers have one capacity for every thread and that capacity is
 * only known at the end; then a trace is made with one buffer per thread
 * index up to the highest seen, and each thread's events are recorded in
 * file order, which is that thread's own order (the writer's merge keeps
 * it). Times in the file are relative to the run's start, so the trace's
 * origin is 0. A thread index that has no line gets an empty buffer named
 * "thread-N". The first malformed line stops the read, and the error text
 * names its line number.
 */
#include "trace.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define TSV_FIELDS 10
/* More threads than any run can have: a guard against a wild index. */
#define TSV_MAX_THREADS 65536

#define TSV_MAX_T_NS (INT64_C(1) << 62)

static const char tsv_header[] = "t_ns\tthread\tprocess\tgil\tthread_name"
                                 "\tevent\tdetail\toutcome\ttask\targ";

struct tsv_event {
    uint32_t thread;
    struct sim_trace_event ev;
};

struct tsv_thread {
    int seen; /* 1 once a line named this thread */
    int32_t process;
    int32_t gil;
    uint64_t n; /* its events */
    char name[40];
};

struct tsv_reader {
    struct tsv_event *ev;
    size_t nev, capev;
    struct tsv_thread *th;
    size_t nth; /* highest thread index + 1 */
    char *err;
    size_t errlen;
};

static int
fail(struct tsv_reader *r, unsigned long line, const char *fmt, ...)
{
    char what[256];
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    if (r->err != NULL && r->errlen > 0) {
        (void)snprintf(r->err, r->errlen, "line %lu: %s", line, what);
    }
    return -EBADMSG;
}

/* A whole decimal integer in [lo, hi]; 0 or -1. */
static int
parse_i64(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    char *end;
    long long v;

    if (*s == '\0' || *s == ' ' || *s == '+') {
        return -1;
    }
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < lo || v > hi) {
        return -1;
    }
    *out = (int64_t)v;
    return 0;
}

/* The enum value whose name is s, among `count` names; -1 if none. */
static int
find_name(const char *s, int count, const char *(*name)(int))
{
    int i;

    for (i = 0; i < count; i++) {
        if (strcmp(s, name(i)) == 0) {
            return i;
        }
    }
    return -1;
}

static const char *
ev_name(int i)
{
    return sim_trace_ev_name((enum sim_ev)i);
}

static const char *
drop_name(int i)
{
    return sim_trace_drop_name((enum sim_drop)i);
}

static const char *
step_name(int i)
{
    return sim_trace_step_name((enum sim_step)i);
}

static const char *
outcome_name(int i)
{
    return sim_trace_outcome_name((enum sim_outcome)i);
}

/* The detail field of an event of kind k: a name, or "-". */
static int
parse_detail(int k, const char *s)
{
    switch (k) {
    case SIM_EV_GIL_DROP:
        return find_name(s, SIM_DROP_COUNT, drop_name);
    case SIM_EV_STEP_BEGIN:
    case SIM_EV_STEP_END:
        return find_name(s, SIM_STEP_COUNT, step_name);
    default:
        return strcmp(s, "-") == 0 ? 0 : -1;
    }
}

static int
parse_outcome(int k, const char *s)
{
    if (k == SIM_EV_STEP_END || k == SIM_EV_TASK_END) {
        return find_name(s, SIM_OUT_COUNT, outcome_name);
    }
    return strcmp(s, "-") == 0 ? 0 : -1;
}

/* Make room for thread index `id`. */
static int
grow_threads(struct tsv_reader *r, size_t id)
{
    struct tsv_thread *th;
    size_t n = id + 1;

    if (n <= r->nth) {
        return 0;
    }
    th = realloc(r->th, n * sizeof(*th));
    if (th == NULL) {
        return -ENOMEM;
    }
    memset(th + r->nth, 0, (n - r->nth) * sizeof(*th));
    r->th = th;
    r->nth = n;
    return 0;
}

static int
push_event(struct tsv_reader *r, const struct tsv_event *e)
{
    if (r->nev == r->capev) {
        size_t cap = r->capev == 0 ? 1024 : r->capev * 2;
        struct tsv_event *ev = realloc(r->ev, cap * sizeof(*ev));

        if (ev == NULL) {
            return -ENOMEM;
        }
        r->ev = ev;
        r->capev = cap;
    }
    r->ev[r->nev++] = *e;
    return 0;
}

/* One event line, split in place. */
static int
parse_line(struct tsv_reader *r, unsigned long line, char *s)
{
    char *f[TSV_FIELDS];
    struct tsv_event e;
    struct tsv_thread *th;
    int64_t v[3];
    int64_t thread, task;
    size_t nf = 0;
    int kind, detail, outcome, rc;
    char *p = s;

    for (;;) {
        char *tab = strchr(p, '\t');

        if (nf == TSV_FIELDS) {
            return fail(r, line, "more than %d fields", TSV_FIELDS);
        }
        f[nf++] = p;
        if (tab == NULL) {
            break;
        }
        *tab = '\0';
        p = tab + 1;
    }
    if (nf != TSV_FIELDS) {
        return fail(r, line, "%zu fields, expected %d", nf, TSV_FIELDS);
    }
    memset(&e, 0, sizeof(e));
    /* A clock's reading: never negative, and far from INT64_MAX, so that
     * what the plots and the summary add to it cannot overflow. */
    if (parse_i64(f[0], 0, TSV_MAX_T_NS, &e.ev.t_ns) != 0) {
        return fail(r, line,
                    "t_ns '%.32s' is not a whole number from 0 to 2^62 "
                    "(146 years of a clock)",
                    f[0]);
    }
    if (parse_i64(f[1], 0, TSV_MAX_THREADS - 1, &thread) != 0) {
        return fail(r, line, "thread '%.32s' is not an index from 0 to %d",
                    f[1], TSV_MAX_THREADS - 1);
    }
    if (parse_i64(f[2], INT32_MIN, INT32_MAX, &v[0]) != 0) {
        return fail(r, line, "process '%.32s' is not a whole number", f[2]);
    }
    if (parse_i64(f[3], INT32_MIN, INT32_MAX, &v[1]) != 0) {
        return fail(r, line, "gil '%.32s' is not a whole number", f[3]);
    }
    kind = find_name(f[5], SIM_EV_COUNT, ev_name);
    if (kind < 0) {
        return fail(r, line, "unknown event '%.32s'", f[5]);
    }
    detail = parse_detail(kind, f[6]);
    if (detail < 0) {
        return fail(r, line, "detail '%.32s' does not fit event %s", f[6],
                    f[5]);
    }
    outcome = parse_outcome(kind, f[7]);
    if (outcome < 0) {
        return fail(r, line, "outcome '%.32s' does not fit event %s", f[7],
                    f[5]);
    }
    if (parse_i64(f[8], INT32_MIN, INT32_MAX, &task) != 0) {
        return fail(r, line, "task '%.32s' is not a whole number", f[8]);
    }
    if (parse_i64(f[9], INT64_MIN, INT64_MAX, &v[2]) != 0) {
        return fail(r, line, "arg '%.32s' is not a whole number", f[9]);
    }
    rc = grow_threads(r, (size_t)thread);
    if (rc != 0) {
        return rc;
    }
    th = &r->th[thread];
    if (!th->seen) {
        th->seen = 1;
        th->process = (int32_t)v[0];
        th->gil = (int32_t)v[1];
        (void)snprintf(th->name, sizeof(th->name), "%s", f[4]);
    } else if (th->process != v[0] || th->gil != v[1] ||
               strncmp(th->name, f[4], sizeof(th->name) - 1) != 0) {
        return fail(r, line, "thread %lld changes its name, process or gil",
                    (long long)thread);
    }
    th->n++;
    e.thread = (uint32_t)thread;
    e.ev.arg = v[2];
    e.ev.task = (int32_t)task;
    e.ev.kind = (uint8_t)kind;
    e.ev.detail = (uint8_t)detail;
    e.ev.outcome = (uint8_t)outcome;
    return push_event(r, &e);
}

/* Drop a trailing newline (and the \r of a file that went through
 * Windows). */
static void
chomp(char *s, size_t *len)
{
    while (*len > 0 && (s[*len - 1] == '\n' || s[*len - 1] == '\r')) {
        s[--*len] = '\0';
    }
}

static int
build(const struct tsv_reader *r, struct sim_trace **out)
{
    struct sim_trace_config cfg;
    struct sim_trace *t;
    struct sim_trace_buf **bufs;
    uint64_t most = 16;
    size_t i;
    int rc;

    for (i = 0; i < r->nth; i++) {
        if (r->th[i].n > most) {
            most = r->th[i].n;
        }
    }
    memset(&cfg, 0, sizeof(cfg));
    cfg.max_threads = r->nth > 0 ? (uint32_t)r->nth : 1;
    cfg.events_per_thread = most;
    cfg.origin_ns = 0;
    rc = sim_trace_new(&cfg, &t);
    if (rc != 0) {
        return rc;
    }
    bufs = calloc(r->nth > 0 ? r->nth : 1, sizeof(*bufs));
    if (bufs == NULL) {
        sim_trace_free(t);
        return -ENOMEM;
    }
    for (i = 0; i < r->nth; i++) {
        const struct tsv_thread *th = &r->th[i];

        rc = sim_trace_add_thread(t, th->seen ? th->name : NULL,
                                  th->seen ? th->process : 0,
                                  th->seen ? th->gil : 0, &bufs[i]);
        if (rc != 0) {
            free(bufs);
            sim_trace_free(t);
            return rc;
        }
    }
    for (i = 0; i < r->nev; i++) {
        const struct sim_trace_event *e = &r->ev[i].ev;

        sim_trace_record(bufs[r->ev[i].thread], e->t_ns, (enum sim_ev)e->kind,
                         e->detail, e->outcome, e->task, e->arg);
    }
    free(bufs);
    *out = t;
    return 0;
}

int
sim_trace_read_tsv_msg(FILE *f, struct sim_trace **out, char *err,
                       size_t errlen)
{
    struct tsv_reader r;
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    unsigned long lineno = 0;
    int rc = 0;

    if (f == NULL || out == NULL) {
        return -EINVAL;
    }
    memset(&r, 0, sizeof(r));
    r.err = err;
    r.errlen = errlen;
    if (err != NULL && errlen > 0) {
        err[0] = '\0';
    }
    for (;;) {
        size_t len;

        errno = 0;
        got = getline(&line, &cap, f);
        if (got < 0) {
            if (ferror(f)) {
                rc = errno != 0 ? -errno : -EIO;
                if (err != NULL && errlen > 0) {
                    (void)snprintf(err, errlen, "read error after line %lu",
                                   lineno);
                }
            }
            break;
        }
        lineno++;
        len = (size_t)got;
        if (strlen(line) != len) {
            rc = fail(&r, lineno, "a NUL byte in the line");
            break;
        }
        chomp(line, &len);
        if (lineno == 1) {
            if (strcmp(line, tsv_header) != 0) {
                rc = fail(&r, lineno,
                          "not a gilsim trace.tsv header (expected %s)",
                          "t_ns, thread, process, gil, thread_name, event, "
                          "detail, outcome, task, arg");
                break;
            }
            continue;
        }
        if (len == 0) {
            rc = fail(&r, lineno, "empty line");
            break;
        }
        rc = parse_line(&r, lineno, line);
        if (rc != 0) {
            if (rc == -ENOMEM && err != NULL && errlen > 0) {
                (void)snprintf(err, errlen, "out of memory at line %lu",
                               lineno);
            }
            break;
        }
    }
    if (rc == 0 && lineno == 0) {
        rc = fail(&r, 1, "empty file (expected the trace.tsv header)");
    }
    if (rc == 0) {
        rc = build(&r, out);
        if (rc != 0 && err != NULL && errlen > 0) {
            (void)snprintf(err, errlen, "cannot make the trace (%d)", rc);
        }
    }
    free(line);
    free(r.ev);
    free(r.th);
    return rc;
}

int
sim_trace_read_tsv(FILE *f, struct sim_trace **out)
{
    return sim_trace_read_tsv_msg(f, out, NULL, 0);
}
