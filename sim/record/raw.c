/*
 * raw.c - reads what the probe wrote: one file per process,
 * RAW_DIR/probe-PID.tsv, tab-separated lines (the format is
 * probe/gilsim_probe.py's and docs/recording.md's):
 *
 *   gilsim-probe 1                              the format line
 *   P pid ppid t_ns python executable           the process
 *   S switch_interval_ns                        its switch interval
 *   T tid t_ns cpu_ns start|end name            a thread begins or ends
 *   C tid t0 t1 cpu0 cpu1 call bytes ok [rq0 rq1]
 *                                               a blocking call (rq: the
 *                                               thread's run-queue delay
 *                                               at both ends, schedstat)
 *   K tid t_ns cpu_ns begin|end pool task       a pool task on the thread
 *   X pool t_ns kind workers                    a pool was made (kind
 *                                               asyncio: an event loop)
 *   A tid t0 t1 cpu0 cpu1 pool task             one step of an asyncio
 *                                               task on the loop's thread
 *   G pool parent task                          an asyncio task made while
 *                                               task `parent` ran (or -1)
 *   W tid t0 t1 pool task sem|lock prim value   an asyncio task's acquire
 *                                               of a Semaphore or Lock
 *   H tid t0 t1 cpu0 cpu1 lock                  a threading.Lock held
 *                                               (lock: its number)
 *   O events ns_per_event [ns_between]          the probe's own cost;
 *                                               of it, what falls between
 *                                               two calls
 *   Z t_ns how                                  the probe's last line
 *
 * A thread the probe never saw start (_thread.start_new_thread) starts
 * at its first line; one it never saw end (a daemon thread, a process
 * ended by SIGTERM, whose probe writes Z and no T end) ends at its
 * process's last stamp.
 *
 * Every field is checked (counts, whole numbers, known names); a line
 * that breaks the format is an error naming the file and line, except a
 * last line without its newline, which a process killed while writing
 * leaves: it is dropped and counted. Files are read whole (each capped at
 * BASE_MAX_LARGE), threads are found by (pid, tid), and each thread's
 * items are sorted by time at the end (a thread's lines are in order
 * already, unless a fork's flush interleaved them). The processes are put
 * in the order their probes started, whatever order the folder lists
 * their files in: the program's own process first, which the rest of
 * gilsim record takes as procs[0] (its main thread, its pools).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "record.h"

#define MAX_FIELDS 12

static const char *const call_names[REC_CALL_COUNT] = {
    "sleep", "connect", "accept", "send",  "recv",   "select",
    "read",  "write",   "wait",   "queue", "native", "lock"};

const char *
rec_call_name(enum rec_call c)
{
    return (unsigned)c < REC_CALL_COUNT ? call_names[c] : "?";
}

/* Where the reader is, for errors. */
struct cursor {
    const char *file;
    size_t line;
    char *err;
    size_t errlen;
};

static int
bad(const struct cursor *c, const char *what)
{
    (void)snprintf(c->err, c->errlen, "%.900s: line %zu: %s", c->file, c->line,
                   what);
    return -EBADMSG;
}

static int
whole(const char *s, int64_t *v)
{
    char *end;
    long long x;

    if (s[0] == '\0' || (s[0] != '-' && (s[0] < '0' || s[0] > '9'))) {
        return -1;
    }
    errno = 0;
    x = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0') {
        return -1;
    }
    *v = (int64_t)x;
    return 0;
}

/* Fields f[first..first+n) as whole numbers into v. */
static int
numbers(const struct cursor *c, char **f, int first, int n, int64_t *v)
{
    int i;

    for (i = 0; i < n; i++) {
        if (whole(f[first + i], &v[i]) != 0) {
            return bad(c, "a field that should be a whole number is not");
        }
    }
    return 0;
}

static int
grow(void **p, size_t *cap, size_t n, size_t size)
{
    size_t want = *cap == 0 ? 16 : *cap * 2;
    void *q;

    if (n < *cap) {
        return 0;
    }
    q = realloc(*p, want * size);
    if (q == NULL) {
        return -ENOMEM;
    }
    *p = q;
    *cap = want;
    return 0;
}

/* The thread (pid, tid), made if new. NULL when out of memory. */
static struct rec_thread *
thread_of(struct rec *r, size_t *cap, int64_t pid, int64_t tid)
{
    struct rec_thread *t;
    size_t i;

    /* A thread that ended is not found again: the system may give a
     * later thread its id. */
    for (i = r->n_threads; i > 0; i--) {
        if (r->threads[i - 1].pid == pid && r->threads[i - 1].tid == tid &&
            !r->threads[i - 1].ended) {
            return &r->threads[i - 1];
        }
    }
    if (grow((void **)&r->threads, cap, r->n_threads, sizeof(*t)) != 0) {
        return NULL;
    }
    t = &r->threads[r->n_threads++];
    memset(t, 0, sizeof(*t));
    t->pid = pid;
    t->tid = tid;
    return t;
}

static int
add_item(struct rec_thread *t, const struct rec_item *it)
{
    if (grow((void **)&t->items, &t->cap, t->n, sizeof(*it)) != 0) {
        return -ENOMEM;
    }
    t->items[t->n++] = *it;
    return 0;
}

static void
copy_name(char *dst, size_t len, const char *src)
{
    (void)snprintf(dst, len, "%s", src);
}

/* Capacities of r's arrays while reading. */
struct caps {
    size_t procs, threads, pools, spawns, syncs;
};

/* Whether pool id (made earlier in this process: its X comes first) is
 * an asyncio event loop. */
static int
pool_is_async(const struct rec *r, int64_t id)
{
    size_t i;

    for (i = r->n_pools; i > 0; i--) {
        if (r->pools[i - 1].id == id) {
            return strcmp(r->pools[i - 1].kind, "asyncio") == 0;
        }
    }
    return 0;
}

/* The asyncio lines that are not a thread's items: G and W. */
static int
parse_async(struct rec *r, struct caps *caps, char **f, int nf,
            const struct cursor *c)
{
    int64_t v[8];
    int rc;

    if (strcmp(f[0], "G") == 0) {
        struct rec_spawn *s;

        if (nf != 4) {
            return bad(c, "expected G pool parent task");
        }
        if ((rc = numbers(c, f, 1, 3, v)) != 0) {
            return rc;
        }
        if (grow((void **)&r->spawns, &caps->spawns, r->n_spawns, sizeof(*s)) !=
            0) {
            return -ENOMEM;
        }
        s = &r->spawns[r->n_spawns++];
        s->pool = v[0];
        s->parent = v[1];
        s->task = v[2];
        return 0;
    }
    if (nf != 9 || (strcmp(f[6], "sem") != 0 && strcmp(f[6], "lock") != 0)) {
        return bad(c, "expected W tid t0 t1 pool task sem|lock prim value");
    }
    if ((rc = numbers(c, f, 1, 5, v)) != 0 ||
        (rc = numbers(c, f, 7, 2, v + 5)) != 0) {
        return rc;
    }
    if (v[2] < v[1]) {
        return bad(c, "an acquire ending before it began");
    }
    if (grow((void **)&r->syncs, &caps->syncs, r->n_syncs, sizeof(*r->syncs)) !=
        0) {
        return -ENOMEM;
    }
    r->syncs[r->n_syncs].t0 = v[1];
    r->syncs[r->n_syncs].t1 = v[2];
    r->syncs[r->n_syncs].pool = v[3];
    r->syncs[r->n_syncs].task = v[4];
    r->syncs[r->n_syncs].prim = v[5];
    r->syncs[r->n_syncs].value = v[6];
    r->syncs[r->n_syncs].is_lock = strcmp(f[6], "lock") == 0;
    r->n_syncs++;
    return 0;
}

/* What a line's parser has at hand, and what it gives back: the items
 * of thread `tid` it made (none for a line about the process). */
struct line {
    struct rec *r;
    struct caps *caps;
    struct rec_process *p;
    const struct cursor *c;
    char **f;
    int nf;
    int64_t tid;
    struct rec_item it[2];
    int n_items;
};

/* A new item of the line's thread, zeroed but for bytes (-1: none). */
static struct rec_item *
line_item(struct line *x, enum rec_item_kind kind)
{
    struct rec_item *it = &x->it[x->n_items++];

    memset(it, 0, sizeof(*it));
    it->kind = (uint8_t)kind;
    it->bytes = -1;
    return it;
}

/* T tid t_ns cpu_ns start|end name */
static int
parse_thread(struct line *x)
{
    struct rec_item *it;
    int64_t v[3];
    int rc;

    if (x->nf != 6 ||
        (strcmp(x->f[4], "start") != 0 && strcmp(x->f[4], "end") != 0)) {
        return bad(x->c, "expected T tid t_ns cpu_ns start|end name");
    }
    if ((rc = numbers(x->c, x->f, 1, 3, v)) != 0) {
        return rc;
    }
    x->tid = v[0];
    it = line_item(x, strcmp(x->f[4], "start") == 0 ? REC_START : REC_END);
    it->t0 = it->t1 = v[1];
    it->cpu0 = it->cpu1 = v[2];
    return 0;
}

/* C tid t0 t1 cpu0 cpu1 call bytes ok [rq0 rq1] */
static int
parse_call(struct line *x)
{
    struct rec_item *it;
    int64_t v[7], rq[2] = {0, 0};
    int rc, k;

    if (x->nf != 9 && x->nf != 11) {
        return bad(x->c, "expected C tid t0 t1 cpu0 cpu1 call bytes ok "
                         "[rq0 rq1]");
    }
    if ((rc = numbers(x->c, x->f, 1, 5, v)) != 0 ||
        (rc = numbers(x->c, x->f, 7, 2, v + 5)) != 0 ||
        (x->nf == 11 && (rc = numbers(x->c, x->f, 9, 2, rq)) != 0)) {
        return rc;
    }
    if (x->nf == 11 && rq[1] < rq[0]) {
        return bad(x->c, "a call's run-queue delay going back");
    }
    for (k = 0; k < REC_CALL_COUNT && strcmp(x->f[6], call_names[k]); k++) {
    }
    if (k == REC_CALL_COUNT || v[2] < v[1] || (v[6] != 0 && v[6] != 1)) {
        return bad(x->c, "a call of an unknown kind, ending before it "
                         "began, or with ok other than 0 or 1");
    }
    x->tid = v[0];
    it = line_item(x, REC_CALL);
    it->t0 = v[1];
    it->t1 = v[2];
    it->cpu0 = v[3];
    it->cpu1 = v[4];
    it->call = (uint8_t)k;
    it->bytes = v[5];
    it->ok = (uint8_t)v[6];
    it->rq_ns = x->nf == 11 ? rq[1] - rq[0] : 0;
    x->r->calls++;
    return 0;
}

/* H tid t0 t1 cpu0 cpu1 lock: two items, the acquire and the release. */
static int
parse_hold(struct line *x)
{
    struct rec_item *it;
    int64_t v[6];
    int rc;

    if (x->nf != 7) {
        return bad(x->c, "expected H tid t0 t1 cpu0 cpu1 lock");
    }
    if ((rc = numbers(x->c, x->f, 1, 6, v)) != 0) {
        return rc;
    }
    if (v[2] < v[1] || v[5] < 1) {
        return bad(x->c, "a hold ending before it began, or of a lock "
                         "numbered under 1");
    }
    x->tid = v[0];
    it = line_item(x, REC_HOLD_BEGIN);
    it->t0 = it->t1 = v[1];
    it->cpu0 = it->cpu1 = v[3];
    it->lock = v[5];
    it = line_item(x, REC_HOLD_END);
    it->t0 = it->t1 = v[2];
    it->cpu0 = it->cpu1 = v[4];
    it->lock = v[5];
    return 0;
}

/* K tid t_ns cpu_ns begin|end pool task */
static int
parse_task(struct line *x)
{
    struct rec_item *it;
    int64_t v[5];
    int rc;

    if (x->nf != 7 ||
        (strcmp(x->f[4], "begin") != 0 && strcmp(x->f[4], "end") != 0)) {
        return bad(x->c, "expected K tid t_ns cpu_ns begin|end pool task");
    }
    if ((rc = numbers(x->c, x->f, 1, 3, v)) != 0 ||
        (rc = numbers(x->c, x->f, 5, 2, v + 3)) != 0) {
        return rc;
    }
    x->tid = v[0];
    it = line_item(x, strcmp(x->f[4], "begin") == 0 ? REC_TASK_BEGIN
                                                    : REC_TASK_END);
    it->t0 = it->t1 = v[1];
    it->cpu0 = it->cpu1 = v[2];
    it->pool = v[3];
    it->task = v[4];
    it->async = (uint8_t)pool_is_async(x->r, v[3]);
    return 0;
}

/* A tid t0 t1 cpu0 cpu1 pool task */
static int
parse_step(struct line *x)
{
    struct rec_item *it;
    int64_t v[7];
    int rc;

    if (x->nf != 8) {
        return bad(x->c, "expected A tid t0 t1 cpu0 cpu1 pool task");
    }
    if ((rc = numbers(x->c, x->f, 1, 7, v)) != 0) {
        return rc;
    }
    if (v[2] < v[1]) {
        return bad(x->c, "a step ending before it began");
    }
    x->tid = v[0];
    it = line_item(x, REC_STEP);
    it->t0 = v[1];
    it->t1 = v[2];
    it->cpu0 = v[3];
    it->cpu1 = v[4];
    it->pool = v[5];
    it->task = v[6];
    it->async = 1;
    return 0;
}

/* G and W */
static int
parse_async_line(struct line *x)
{
    return parse_async(x->r, x->caps, x->f, x->nf, x->c);
}

/* O events ns_per_event [ns_between] (an older probe's has no third) */
static int
parse_cost(struct line *x)
{
    int64_t v[3] = {0, 0, 0};

    if ((x->nf != 3 && x->nf != 4) ||
        numbers(x->c, x->f, 1, x->nf - 1, v) != 0 || v[0] < 0 || v[1] < 0 ||
        v[2] < 0 || v[2] > v[1]) {
        return bad(x->c, "expected O events ns_per_event [ns_between]");
    }
    x->p->probe_events = v[0];
    x->p->probe_ns_per_event = v[1];
    x->p->probe_ns_between = v[2];
    return 0;
}

/* X pool t_ns kind workers */
static int
parse_pool(struct line *x)
{
    struct rec_pool *pool;
    int64_t v[3];
    int rc;

    if (x->nf != 5) {
        return bad(x->c, "expected X pool t_ns kind workers");
    }
    if ((rc = numbers(x->c, x->f, 1, 2, v)) != 0 ||
        (rc = numbers(x->c, x->f, 4, 1, v + 2)) != 0) {
        return rc;
    }
    if (grow((void **)&x->r->pools, &x->caps->pools, x->r->n_pools,
             sizeof(*pool)) != 0) {
        return -ENOMEM;
    }
    pool = &x->r->pools[x->r->n_pools++];
    memset(pool, 0, sizeof(*pool));
    pool->id = v[0];
    pool->pid = x->p->pid;
    copy_name(pool->kind, sizeof(pool->kind), x->f[3]);
    pool->workers = v[2];
    return 0;
}

/* S switch_interval_ns */
static int
parse_interval(struct line *x)
{
    int64_t v;

    if (x->nf != 2 || numbers(x->c, x->f, 1, 1, &v) != 0 || v <= 0) {
        return bad(x->c, "expected S switch_interval_ns");
    }
    x->p->switch_interval_ns = v;
    return 0;
}

/* Z t_ns how */
static int
parse_exit(struct line *x)
{
    int64_t v;

    if (x->nf != 3 || numbers(x->c, x->f, 1, 1, &v) != 0) {
        return bad(x->c, "expected Z t_ns how");
    }
    copy_name(x->p->ended, sizeof(x->p->ended), x->f[2]);
    if (v > x->p->t_last) {
        x->p->t_last = v;
    }
    return 0;
}

static const struct {
    const char *kind;
    int (*parse)(struct line *x);
} line_kinds[] = {
    {"T", parse_thread},     {"C", parse_call}, {"H", parse_hold},
    {"K", parse_task},       {"A", parse_step}, {"G", parse_async_line},
    {"W", parse_async_line}, {"O", parse_cost}, {"X", parse_pool},
    {"S", parse_interval},   {"Z", parse_exit},
};

/* One line after the P line: parsed by its kind; a thread's items are
 * added to it. */
static int
parse_line(struct rec *r, struct caps *caps, struct rec_process *p, char **f,
           int nf, const struct cursor *c)
{
    struct line x = {r, caps, p, c, f, nf, 0, {{0}}, 0};
    struct rec_thread *t;
    size_t k;
    int i, rc;

    for (k = 0; k < sizeof(line_kinds) / sizeof(line_kinds[0]) &&
                strcmp(f[0], line_kinds[k].kind) != 0;
         k++) {
    }
    if (k == sizeof(line_kinds) / sizeof(line_kinds[0])) {
        return bad(c, "a line of an unknown kind");
    }
    if ((rc = line_kinds[k].parse(&x)) != 0 || x.n_items == 0) {
        return rc;
    }
    t = thread_of(r, &caps->threads, p->pid, x.tid);
    if (t == NULL) {
        return -ENOMEM;
    }
    for (i = 0; i < x.n_items; i++) {
        const struct rec_item *it = &x.it[i];

        if (it->kind == REC_START || it->kind == REC_END) {
            copy_name(t->name, sizeof(t->name), f[5]);
            t->ended = it->kind == REC_END;
        }
        t->has_tasks |= it->kind == REC_TASK_BEGIN && !it->async;
        t->has_steps |= it->kind == REC_STEP;
        if (it->t1 > p->t_last) {
            p->t_last = it->t1;
        }
        if ((rc = add_item(t, it)) != 0) {
            return rc;
        }
    }
    return 0;
}

/* Split line s (no newline) at tabs into f; the count. */
static int
split(char *s, char **f)
{
    int n = 0;

    f[n++] = s;
    for (; *s != '\0'; s++) {
        if (*s == '\t') {
            *s = '\0';
            if (n == MAX_FIELDS) {
                return MAX_FIELDS + 1;
            }
            f[n++] = s + 1;
        }
    }
    return n;
}

static int
read_file(struct rec *r, struct caps *caps, const char *path, char *err,
          size_t errlen)
{
    struct cursor c = {path, 0, err, errlen};
    struct rec_process *p;
    char *text = NULL;
    char *line, *next;
    size_t len;
    int rc;

    rc = base_read_file(path, BASE_MAX_LARGE, &text, &len);
    if (rc != 0) {
        base_errf(err, errlen, -rc, "cannot read %.900s", path);
        return rc;
    }
    if (grow((void **)&r->procs, &caps->procs, r->n_procs, sizeof(*p)) != 0) {
        free(text);
        return -ENOMEM;
    }
    p = &r->procs[r->n_procs];
    memset(p, 0, sizeof(*p));
    for (line = text; line < text + len; line = next) {
        char *nl = memchr(line, '\n', (size_t)(text + len - line));
        char *f[MAX_FIELDS + 1];
        int nf;

        c.line++;
        if (nl == NULL) {
            r->partial_lines++; /* cut short by a kill: dropped */
            break;
        }
        *nl = '\0';
        next = nl + 1;
        if (memchr(line, '\0', (size_t)(nl - line)) != NULL) {
            rc = bad(&c, "a NUL byte");
            break;
        }
        nf = split(line, f);
        if (c.line == 1) {
            if (nf != 2 || strcmp(f[0], "gilsim-probe") != 0 ||
                strcmp(f[1], "1") != 0) {
                rc = bad(&c, "not a gilsim probe file (expected "
                             "\"gilsim-probe<TAB>1\")");
                break;
            }
            continue;
        }
        if (c.line == 2) {
            int64_t v[3];

            if (nf != 6 || strcmp(f[0], "P") != 0 ||
                numbers(&c, f, 1, 3, v) != 0) {
                rc = bad(&c, "expected P pid ppid t_ns python executable");
                break;
            }
            p->pid = v[0];
            p->ppid = v[1];
            p->t_start = p->t_last = v[2];
            copy_name(p->python, sizeof(p->python), f[4]);
            r->n_procs++;
            continue;
        }
        rc = parse_line(r, caps, p, f, nf, &c);
        if (rc != 0) {
            if (rc == -ENOMEM) {
                (void)snprintf(err, errlen, "out of memory reading %.900s",
                               path);
            }
            break;
        }
    }
    if (rc == 0 && c.line < 2) {
        rc = bad(&c, "no P line: the probe did not start in this process");
    }
    free(text);
    return rc;
}

/* Where an item goes among others at its instant: a start first, then a
 * lock's release, the rest, an acquire, an end last. */
static int
instant_rank(const struct rec_item *x)
{
    switch (x->kind) {
    case REC_START:
        return -2;
    case REC_HOLD_END:
        return -1;
    case REC_HOLD_BEGIN:
        return 1;
    case REC_END:
        return 2;
    default:
        return 0;
    }
}

static int
item_cmp(const void *a, const void *b)
{
    const struct rec_item *x = a, *y = b;

    if (x->t0 != y->t0) {
        return x->t0 < y->t0 ? -1 : 1;
    }
    return instant_rank(x) - instant_rank(y);
}

/* A lock's release inside a call of its thread (Condition.wait lets its
 * lock go, then waits) happened, for the program's steps, at the call's
 * start; an acquire inside one, at its end. Thread t's items are in time
 * order, and are again after. */
static void
holds_out_of_calls(struct rec_thread *t)
{
    const struct rec_item *call = NULL;
    int moved = 0;
    size_t k;

    for (k = 0; k < t->n; k++) {
        struct rec_item *it = &t->items[k];

        if (it->kind == REC_CALL) {
            call = it;
            continue;
        }
        if (call == NULL || it->t0 <= call->t0 || it->t0 >= call->t1 ||
            (it->kind != REC_HOLD_BEGIN && it->kind != REC_HOLD_END)) {
            continue;
        }
        if (it->kind == REC_HOLD_END) {
            it->t0 = it->t1 = call->t0;
            it->cpu0 = it->cpu1 = call->cpu0;
        } else {
            it->t0 = it->t1 = call->t1;
            it->cpu0 = it->cpu1 = call->cpu1;
        }
        moved = 1;
    }
    if (moved) {
        qsort(t->items, t->n, sizeof(*t->items), item_cmp);
    }
}

/* The process of thread t. */
static const struct rec_process *
process_of(const struct rec *r, const struct rec_thread *t)
{
    size_t i;

    for (i = 0; i < r->n_procs; i++) {
        if (r->procs[i].pid == t->pid) {
            return &r->procs[i];
        }
    }
    return NULL;
}

/* Every thread from a start to an end: one the probe never saw start (a
 * _thread.start_new_thread) starts at its first item; one that did not
 * end (a daemon thread, a process ended by SIGTERM) ends at its process's
 * last stamp, with the CPU it last had. */
static int
close_threads(struct rec *r)
{
    size_t i;

    for (i = 0; i < r->n_threads; i++) {
        struct rec_thread *t = &r->threads[i];
        const struct rec_process *p = process_of(r, t);
        struct rec_item it;

        size_t k, m = 0;
        int64_t call_end = INT64_MIN;

        if (t->n == 0) {
            continue;
        }
        /* A call that begins inside the thread's previous call is a part
         * of it (the probe records only the outer one; a probe that did
         * not would draw time going back): dropped. */
        for (k = 0; k < t->n; k++) {
            if (t->items[k].kind == REC_CALL) {
                if (t->items[k].t0 < call_end) {
                    r->calls_nested++;
                    continue;
                }
                call_end = t->items[k].t1;
            }
            t->items[m++] = t->items[k];
        }
        t->n = m;
        holds_out_of_calls(t);
        if (t->items[0].kind != REC_START) {
            memset(&it, 0, sizeof(it));
            it.kind = REC_START;
            it.t0 = it.t1 = t->items[0].t0;
            it.cpu0 = it.cpu1 = t->items[0].cpu0;
            it.bytes = -1;
            if (add_item(t, &it) != 0) {
                return -ENOMEM;
            }
            memmove(t->items + 1, t->items, (t->n - 1) * sizeof(it));
            t->items[0] = it;
        }
        if (t->items[t->n - 1].kind != REC_END) {
            const struct rec_item *last = &t->items[t->n - 1];

            memset(&it, 0, sizeof(it));
            it.kind = REC_END;
            it.t0 = it.t1 =
                p != NULL && p->t_last > last->t1 ? p->t_last : last->t1;
            it.cpu0 = it.cpu1 = last->cpu1;
            it.bytes = -1;
            if (add_item(t, &it) != 0) {
                return -ENOMEM;
            }
        }
        if (t->name[0] == '\0') {
            copy_name(t->name, sizeof(t->name), "thread");
        }
    }
    return 0;
}

/* Processes by their probe's start (a forked child starts after its
 * parent), then pid. */
static int
by_start(const void *a, const void *b)
{
    const struct rec_process *x = a, *y = b;

    if (x->t_start != y->t_start) {
        return x->t_start < y->t_start ? -1 : 1;
    }
    return x->pid < y->pid ? -1 : x->pid > y->pid;
}

int
rec_read_dir(const char *raw_dir, struct rec *r, char *err, size_t errlen)
{
    struct caps caps = {0, 0, 0, 0, 0};
    DIR *d;
    struct dirent *de;
    int rc = 0;
    size_t i;

    memset(r, 0, sizeof(*r));
    d = opendir(raw_dir);
    if (d == NULL) {
        rc = -errno;
        base_errf(err, errlen, -rc, "cannot read %.900s", raw_dir);
        return rc;
    }
    while (rc == 0 && (de = readdir(d)) != NULL) {
        char path[4200];
        size_t n = strlen(de->d_name);

        if (strncmp(de->d_name, "probe-", 6) != 0 || n < 11 ||
            strcmp(de->d_name + n - 4, ".tsv") != 0) {
            continue;
        }
        (void)snprintf(path, sizeof(path), "%.3900s/%.255s", raw_dir,
                       de->d_name);
        rc = read_file(r, &caps, path, err, errlen);
    }
    closedir(d);
    if (rc == 0 && r->n_procs > 1) {
        qsort(r->procs, r->n_procs, sizeof(*r->procs), by_start);
    }
    if (rc == 0 && r->n_procs == 0) {
        (void)snprintf(err, errlen,
                       "%.900s: the probe wrote nothing (did the program "
                       "start a Python with the probe on its path?)",
                       raw_dir);
        rc = -ENOENT;
    }
    for (i = 0; rc == 0 && i < r->n_threads; i++) {
        qsort(r->threads[i].items, r->threads[i].n, sizeof(struct rec_item),
              item_cmp);
    }
    if (rc == 0 && rec_index_tasks(r) != 0) {
        (void)snprintf(err, errlen, "out of memory reading %.900s", raw_dir);
        rc = -ENOMEM;
    }
    if (rc == 0 && close_threads(r) != 0) {
        (void)snprintf(err, errlen, "out of memory reading %.900s", raw_dir);
        rc = -ENOMEM;
    }
    if (rc != 0) {
        rec_clear(r);
    }
    return rc;
}

void
rec_clear(struct rec *r)
{
    size_t i;

    for (i = 0; i < r->n_threads; i++) {
        free(r->threads[i].items);
    }
    free(r->threads);
    free(r->procs);
    free(r->pools);
    free(r->spawns);
    free(r->spawns_by_task);
    free(r->syncs);
    memset(r, 0, sizeof(*r));
}
