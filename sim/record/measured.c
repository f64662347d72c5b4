/*
 * measured.c - a recording as a gilsim trace: the run "measured" of a
 * run folder, drawn and summed up like any model's.
 *
 * The probe saw each thread's blocking calls, with the wall clock and the
 * thread's CPU clock at both ends. A call is a step with the GIL released
 * (a drop for I/O at its start, the step's end at its end): `sleep`, `net`
 * (connect, accept, send, recv), `wait` (select, a child, a queue,
 * another thread), `read`, `write`, or `native` (hashlib, zlib).
 *
 * Between two calls the thread ran Python: a window, whose CPU time (c)
 * it held the GIL for, and whose other wall time (w - c) it wanted the
 * GIL, or a core, and had neither. The recording knows how long, not
 * when: schedule.c places each window's CPU as late as it can go (a
 * thread back from I/O waits first, then runs up to its next call) with
 * no two threads of a process holding the GIL at once; pieces of a window
 * split by another thread's are joined by forced drops. The end of a call
 * may be a wait too (the call returns only with the GIL back, and only
 * once its thread has a core): estimate_waits says how long (the kernel's
 * run-queue delay when the probe read it, plus the GIL's), and that end
 * is drawn as waiting. A pool
 * thread between two tasks waits in its pool's queue (a C call the probe
 * cannot see): it is drawn idle (a drop `idle`), from a task's end to the
 * next's beginning.
 *
 * Two walks over each thread's items do it (walk, lane_item): the first
 * collects the windows, which are then scheduled and the waits estimated;
 * the second records the events.
 *
 * Threads are lanes in the order the processes started, and in each by
 * start; each process is its own GIL (gil = process index). Times are
 * relative to the first process's start.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base.h"
#include "record.h"
#include "report.h"
#include "schedule.h"

/* Waits shorter than this are none (a timer's slack, a context switch). */
#define MIN_WAIT_NS INT64_C(100000)
/* Two pieces of GIL held this close count as one stretch. */
#define HELD_GAP_NS INT64_C(20000)
/* CPython's switch interval, when the recording has none. */
#define DEFAULT_INTERVAL_NS INT64_C(5000000)

static enum sim_step
step_of(enum rec_call c)
{
    switch (c) {
    case REC_CALL_SLEEP:
        return SIM_STEP_SLEEP;
    case REC_CALL_CONNECT:
    case REC_CALL_ACCEPT:
    case REC_CALL_SEND:
    case REC_CALL_RECV:
        return SIM_STEP_NET;
    case REC_CALL_READ:
        return SIM_STEP_READ;
    case REC_CALL_WRITE:
        return SIM_STEP_WRITE;
    case REC_CALL_NATIVE:
        return SIM_STEP_NATIVE;
    case REC_CALL_LOCK:
        return SIM_STEP_LOCK;
    default:
        return SIM_STEP_WAIT;
    }
}

/* What one lane's walk carries from item to item. The walk is made
 * twice: first without a buffer (b NULL) to collect the thread's windows
 * of Python into its process's list, then, once they are scheduled, to
 * record the events. */
struct lane {
    struct sim_trace_buf *b;
    struct rec_window *windows; /* the process's */
    size_t *n_windows;          /* collecting: its count so far */
    size_t next;                /* recording: the next window of this lane */
    const struct rec_pieces *pieces;
    uint32_t thread; /* its index in the recording */
    int64_t t, cpu;  /* where the last item left the thread */
    int holds;       /* it holds the GIL */
    int waiting;     /* it waits for the GIL (from a call's end) */
    int idle;        /* a pool thread between tasks */
    int32_t task;    /* the task under way, -1 */
    int64_t cpu_sum; /* CPU seen on the lane */
};

static void
ev(struct lane *l, int64_t t, enum sim_ev kind, int detail, int outcome,
   int32_t task, int64_t arg)
{
    if (l->b != NULL) {
        sim_trace_record(l->b, t, kind, detail, outcome, task, arg);
    }
}

/* The Python the thread ran from l->t to t, with its CPU clock at cpu:
 * a window. Collecting, it is added to the process's list; recording,
 * its pieces become the GIL's takes (and forced drops between them), the
 * rest waits; the thread holds the GIL at t either way. */
static void
python_until(struct lane *l, int64_t t, int64_t cpu)
{
    int64_t w = t - l->t;
    int64_t c = cpu - l->cpu;

    if (w < 0) {
        w = 0;
    }
    c = c < 0 ? 0 : c > w ? w : c;
    if (l->b == NULL) {
        struct rec_window *x = &l->windows[(*l->n_windows)++];

        x->s = l->t;
        x->e = l->t + w;
        /* It held the GIL to make its call, if for a moment (a CPU clock
         * that did not move still gets its window's end). */
        x->c = c == 0 && w > 0 ? 1 : c;
        x->thread = l->thread;
    } else if (!l->holds) {
        const struct rec_window *x = &l->windows[l->next++];
        int64_t pos = x->s;
        uint32_t i;

        l->cpu_sum += c;
        if (!l->waiting &&
            (x->count == 0 || l->pieces->v[x->first].from > x->s)) {
            if (x->e > x->s) {
                ev(l, x->s, SIM_EV_GIL_WAIT, 0, 0, l->task, 0);
            }
        }
        for (i = 0; i < x->count; i++) {
            const struct rec_piece *p = &l->pieces->v[x->first + i];
            int64_t from = p->from > pos ? p->from : pos;

            if (p->to <= from) {
                continue;
            }
            ev(l, from, SIM_EV_GIL_TAKE, 0, 0, l->task, 0);
            pos = p->to;
            if (pos < x->e) {
                /* Switched out: it waits again. */
                ev(l, pos, SIM_EV_GIL_DROP, SIM_DROP_FORCED, 0, l->task, 0);
            }
        }
        if (x->count == 0) {
            /* No piece: its CPU could not have held the GIL (counted in
             * cpu_overlap_ns), and a take here could fall inside
             * another's hold. It waits on into its call. */
            l->holds = 0;
        } else {
            if (pos < x->e) {
                ev(l, x->e, SIM_EV_GIL_TAKE, 0, 0, l->task, 0);
            }
            l->holds = 1;
            l->waiting = 0;
        }
    } else {
        l->cpu_sum += c;
    }
    if (t > l->t) {
        l->t = t;
    }
    l->cpu = cpu;
}

/* A pool thread's start at t: its bootstrap held the GIL for a moment
 * (the probe's stamp is Python), so a window of 1 ns at t that the
 * schedule keeps clear of others' holds (a thread started by a submit
 * starts inside its submitter's window). Recording, its piece is a take
 * and an idle drop; without one (no schedule placed it), nothing. */
static void
bootstrap_hold(struct lane *l, int64_t t)
{
    if (l->b == NULL) {
        struct rec_window *x = &l->windows[(*l->n_windows)++];

        x->s = t;
        x->e = t + 1;
        x->c = 1;
        x->thread = l->thread;
    } else {
        const struct rec_window *x = &l->windows[l->next++];

        if (x->count > 0) {
            const struct rec_piece *p = &l->pieces->v[x->first];

            ev(l, p->from, SIM_EV_GIL_TAKE, 0, 0, -1, 0);
            ev(l, p->to, SIM_EV_GIL_DROP, SIM_DROP_IDLE, 0, -1, 0);
        }
    }
}

static void
lane_item(struct lane *l, const struct rec_item *it)
{
    if (it->kind == REC_HOLD_BEGIN || it->kind == REC_HOLD_END) {
        /* A threading.Lock taken or let go: Python, inside a window (a
         * wait for it is a call); the workload file keeps where. */
        return;
    }
    if (it->async) {
        /* An asyncio task's step, begin or end: its loop's thread runs
         * many in one stretch of Python, between two of its selects;
         * the lane draws that thread's calls and windows, not its tasks
         * (the workload file has them). */
        return;
    }
    switch (it->kind) {
    case REC_START:
        ev(l, it->t0, SIM_EV_THREAD_START, 0, 0, -1, 0);
        l->t = it->t0;
        l->cpu = it->cpu0;
        if (l->idle) {
            /* A pool thread is idle until its first task: its bootstrap
             * takes the GIL, and it blocks in its pool's queue. */
            bootstrap_hold(l, it->t0);
        }
        break;
    case REC_END:
        if (!l->idle) {
            python_until(l, it->t0, it->cpu0);
        }
        if (l->holds) {
            ev(l, it->t0, SIM_EV_GIL_DROP, SIM_DROP_EXIT, 0, -1, 0);
        }
        ev(l, it->t0, SIM_EV_THREAD_END, 0, 0, -1, 0);
        l->holds = 0;
        break;
    case REC_TASK_BEGIN:
        if (l->idle) {
            /* Out of its pool's queue with a task: its Python from here
             * is a window like any. */
            l->idle = 0;
            l->t = it->t0;
            l->cpu = it->cpu0;
        }
        l->task = (int32_t)(it->pool % 100000 * 10000 + it->task % 10000);
        ev(l, it->t0, SIM_EV_TASK_BEGIN, 0, 0, l->task, 0);
        break;
    case REC_TASK_END:
        python_until(l, it->t0, it->cpu0);
        ev(l, it->t0, SIM_EV_TASK_END, 0, SIM_OUT_OK, l->task, 0);
        l->task = -1;
        if (l->holds) {
            ev(l, it->t0, SIM_EV_GIL_DROP, SIM_DROP_IDLE, 0, -1, 0);
        }
        l->holds = 0;
        l->idle = 1;
        break;
    default: { /* REC_CALL */
        enum sim_step s = step_of((enum rec_call)it->call);

        if (l->idle) {
            /* A call outside any task on a pool thread: the pool's own
             * machinery; the thread stays idle around it. */
            l->t = it->t1;
            l->cpu = it->cpu1;
            break;
        }
        python_until(l, it->t0, it->cpu0);
        ev(l, it->t0, SIM_EV_STEP_BEGIN, (int)s, 0, l->task, 0);
        if (l->holds) {
            ev(l, it->t0, SIM_EV_GIL_DROP, SIM_DROP_IO, 0, l->task, 0);
        }
        if (it->wait_ns > 0) {
            /* Back from the call, it waited to take the GIL back. */
            ev(l, it->t1 - it->wait_ns, SIM_EV_GIL_WAIT, 0, 0, l->task, 0);
            l->waiting = 1;
        }
        ev(l, it->t1, SIM_EV_STEP_END, (int)s,
           it->ok ? SIM_OUT_OK : SIM_OUT_FAILED, l->task,
           it->bytes > 0 ? it->bytes : 0);
        l->holds = 0;
        l->t = it->t1;
        l->cpu = it->cpu1;
        if (s == SIM_STEP_NATIVE && l->b != NULL) {
            l->cpu_sum += it->cpu1 - it->cpu0 > 0 ? it->cpu1 - it->cpu0 : 0;
        }
        break;
    }
    }
}

/* The process index of pid: its place in r->procs. */
static int
process_index(const struct rec *r, int64_t pid)
{
    size_t i;

    for (i = 0; i < r->n_procs; i++) {
        if (r->procs[i].pid == pid) {
            return (int)i;
        }
    }
    return 0;
}

/* Walk thread th's items on lane l from a fresh start. */
static void
walk(struct lane *l, const struct rec_thread *th)
{
    size_t k;

    l->idle = th->has_tasks;
    l->task = -1;
    l->holds = 0;
    for (k = 0; k < th->n; k++) {
        lane_item(l, &th->items[k]);
    }
}

/* One process's windows of Python, scheduled. */
struct proc_plan {
    struct rec_window *windows;
    size_t n_windows;
    struct rec_pieces pieces;
};

/* A piece of the GIL held by thread `thread`. */
struct held {
    int64_t from, to;
    uint32_t thread;
};

static int
held_cmp(const void *a, const void *b)
{
    const struct held *x = a, *y = b;

    return x->from < y->from ? -1 : x->from > y->from ? 1 : 0;
}

/* How long before t other threads than `self` held the GIL without a
 * break (gaps up to HELD_GAP_NS bridged): h sorted by start. */
static int64_t
held_before(const struct held *h, size_t n, int64_t t, uint32_t self)
{
    size_t lo = 0, hi = n;
    int64_t end = t;

    /* The last piece that starts before t. */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;

        if (h[mid].from < t) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    while (lo > 0) {
        const struct held *x = &h[lo - 1];

        if (x->thread == self || x->to < end - HELD_GAP_NS) {
            break;
        }
        if (x->from < end) {
            end = x->from;
        }
        lo--;
    }
    return t - end;
}

/* Each call's end spent waiting for the GIL (item->wait_ns): a call
 * returns to Python only once its thread has the GIL back, so its wall
 * time is its I/O and then that wait. A sleep's I/O is what it asked
 * for; the rest of it is the wait. For another call, the I/O's end is
 * not seen: the wait is taken as the time other threads of the process
 * held the GIL, without a break, up to the call's end, and at most one
 * switch interval (a waiter asks the holder to drop after one). A
 * native call's C code is its CPU time; the rest is the wait (for a
 * core, or the GIL). */
static int
estimate_waits(struct rec *r, size_t p, const struct proc_plan *pl)
{
    int64_t interval = r->procs[p].switch_interval_ns > 0
                           ? r->procs[p].switch_interval_ns
                           : DEFAULT_INTERVAL_NS;
    struct held *h = malloc((pl->pieces.n > 0 ? pl->pieces.n : 1) * sizeof(*h));
    size_t i, k;

    if (h == NULL) {
        return -ENOMEM;
    }
    for (i = 0; i < pl->pieces.n; i++) {
        h[i].from = pl->pieces.v[i].from;
        h[i].to = pl->pieces.v[i].to;
        h[i].thread = pl->windows[pl->pieces.v[i].window].thread;
    }
    qsort(h, pl->pieces.n, sizeof(*h), held_cmp);
    for (i = 0; i < r->n_threads; i++) {
        struct rec_thread *th = &r->threads[i];

        if (process_index(r, th->pid) != (int)p) {
            continue;
        }
        for (k = 0; k < th->n; k++) {
            struct rec_item *it = &th->items[k];
            int64_t wall = it->t1 - it->t0, w;

            it->wait_ns = 0;
            if (it->kind != REC_CALL) {
                continue;
            }
            if (it->call == REC_CALL_NATIVE) {
                /* C code on a core: the rest of its wall it had no core,
                 * or waited for the GIL back. */
                w = wall - (it->cpu1 - it->cpu0);
            } else if (it->call == REC_CALL_SLEEP && it->bytes >= 0) {
                w = wall - it->bytes;
            } else {
                /* Others held the GIL up to its end (a waiter asks the
                 * holder to drop it after an interval), and before that
                 * it may have waited for a core (the kernel's count). */
                w = held_before(h, pl->pieces.n, it->t1, (uint32_t)i);
                w = w < interval ? w : interval;
                w = (w >= MIN_WAIT_NS ? w : 0) + it->rq_ns;
            }
            if (it->call != REC_CALL_NATIVE && it->call != REC_CALL_SLEEP) {
                it->wait_ns = w < wall ? w : wall;
                continue;
            }
            it->wait_ns = w >= MIN_WAIT_NS ? (w < wall ? w : wall) : 0;
        }
    }
    free(h);
    return 0;
}

/* Collect and schedule process p's windows; *overlap_ns grows by the CPU
 * no schedule could place. */
static int
plan_process(struct rec *r, size_t p, struct proc_plan *pl, int64_t *overlap_ns)
{
    size_t room = 1, i;
    int64_t overlap = 0;
    int rc;

    memset(pl, 0, sizeof(*pl));
    for (i = 0; i < r->n_threads; i++) {
        if (process_index(r, r->threads[i].pid) == (int)p) {
            room += r->threads[i].n + 1; /* + its bootstrap's */
        }
    }
    pl->windows = calloc(room, sizeof(*pl->windows));
    if (pl->windows == NULL) {
        return -ENOMEM;
    }
    for (i = 0; i < r->n_threads; i++) {
        struct lane l;

        if (process_index(r, r->threads[i].pid) != (int)p) {
            continue;
        }
        memset(&l, 0, sizeof(l));
        l.windows = pl->windows;
        l.n_windows = &pl->n_windows;
        l.thread = (uint32_t)i;
        walk(&l, &r->threads[i]);
    }
    rc = rec_schedule(pl->windows, pl->n_windows, &pl->pieces, &overlap);
    *overlap_ns += overlap;
    if (rc == 0) {
        rc = estimate_waits(r, p, pl);
    }
    return rc;
}

/* The most events a lane of the plans can record: four an item, two a
 * piece of its windows (a take and a forced drop). The windows name their
 * thread. 0 when out of memory. */
static uint64_t
events_needed(const struct rec *r, const struct proc_plan *plans)
{
    uint64_t *n = calloc(r->n_threads > 0 ? r->n_threads : 1, sizeof(*n));
    uint64_t most = 16;
    size_t i, p;

    if (n == NULL) {
        return 0;
    }
    for (p = 0; p < r->n_procs; p++) {
        for (i = 0; i < plans[p].n_windows; i++) {
            n[plans[p].windows[i].thread] +=
                2 * (uint64_t)plans[p].windows[i].count;
        }
    }
    for (i = 0; i < r->n_threads; i++) {
        n[i] += 8 + 4 * (uint64_t)r->threads[i].n;
        most = n[i] > most ? n[i] : most;
    }
    free(n);
    return most;
}

/* A lane's name: the thread's; in a process other than the program's own
 * (a pool's worker, a fork), "proc-P" before it, P the process's place in
 * start order, as the processes model names its workers (a worker's main
 * thread is "proc-P" alone). */
static void
lane_name(const struct rec_thread *th, size_t p, char *buf, size_t len)
{
    const char *name = th->name[0] ? th->name : "thread";

    if (p == 0) {
        (void)snprintf(buf, len, "%.39s", name);
    } else if (strcmp(name, "MainThread") == 0) {
        (void)snprintf(buf, len, "proc-%zu", p);
    } else {
        (void)snprintf(buf, len, "proc-%zu %.39s", p, name);
    }
}

/* Process p's lanes into t, from its plan; *cpu_ns grows by their CPU. */
static int
emit_process(const struct rec *r, size_t p, const struct proc_plan *pl,
             struct sim_trace *t, int64_t *cpu_ns)
{
    size_t next = 0, i;
    int rc = 0;

    for (i = 0; rc == 0 && i < r->n_threads; i++) {
        const struct rec_thread *th = &r->threads[i];
        char name[80];
        struct lane l;

        if (process_index(r, th->pid) != (int)p) {
            continue;
        }
        memset(&l, 0, sizeof(l));
        l.thread = (uint32_t)i;
        lane_name(th, p, name, sizeof(name));
        rc = sim_trace_add_thread(t, name, (int)p, (int)p, &l.b);
        if (rc != 0) {
            break;
        }
        l.windows = pl->windows;
        l.next = next;
        l.pieces = &pl->pieces;
        walk(&l, th);
        next = l.next;
        *cpu_ns += l.cpu_sum;
    }
    return rc;
}

/* The trace of r, lanes by process then start; *cpu_ns the CPU seen,
 * *overlap_ns the CPU no schedule could place (left out of the holds). */
static int
build_trace(struct rec *r, struct sim_trace **out, int64_t *cpu_ns,
            int64_t *overlap_ns)
{
    struct sim_trace_config cfg;
    struct proc_plan *plans = calloc(r->n_procs, sizeof(*plans));
    struct sim_trace *t = NULL;
    int64_t origin = INT64_MAX;
    size_t p;
    int rc = plans == NULL ? -ENOMEM : 0;

    *cpu_ns = 0;
    *overlap_ns = 0;
    for (p = 0; rc == 0 && p < r->n_procs; p++) {
        if (r->procs[p].t_start < origin) {
            origin = r->procs[p].t_start;
        }
        rc = plan_process(r, p, &plans[p], overlap_ns);
    }
    if (rc == 0) {
        memset(&cfg, 0, sizeof(cfg));
        cfg.max_threads = (uint32_t)(r->n_threads > 0 ? r->n_threads : 1);
        cfg.events_per_thread = events_needed(r, plans);
        cfg.origin_ns = origin;
        rc = cfg.events_per_thread == 0 ? -ENOMEM : sim_trace_new(&cfg, &t);
    }
    for (p = 0; rc == 0 && p < r->n_procs; p++) {
        rc = emit_process(r, p, &plans[p], t, cpu_ns);
    }
    for (p = 0; plans != NULL && p < r->n_procs; p++) {
        free(plans[p].windows);
        free(plans[p].pieces.v);
    }
    free(plans);
    if (rc != 0) {
        sim_trace_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

struct summary_ctx {
    const struct sim_trace_summary *run;
    const struct rec *rec;
    const char *command;
    int64_t overlap_ns;
};

/* summary.json's "recording": what the probe saw, per process. */
static void
write_recording_fn(const void *ctx, FILE *f)
{
    const struct summary_ctx *sc = ctx;
    size_t i;

    fprintf(f, ",\n  \"recording\": {\"processes\": [");
    for (i = 0; i < sc->rec->n_procs; i++) {
        const struct rec_process *p = &sc->rec->procs[i];

        fprintf(f, "%s\n    {\"pid\": %lld, \"ppid\": %lld, \"python\": ",
                i > 0 ? "," : "", (long long)p->pid, (long long)p->ppid);
        sim_trace_json_string(f, p->python, sizeof(p->python));
        fprintf(f, ", \"ended\": ");
        sim_trace_json_string(f, p->ended[0] ? p->ended : "unrecorded",
                              sizeof(p->ended));
        fputc('}', f);
    }
    fprintf(f, "],\n    \"pools\": [");
    for (i = 0; i < sc->rec->n_pools; i++) {
        const struct rec_pool *pl = &sc->rec->pools[i];

        fprintf(f, "%s\n    {\"id\": %lld, \"pid\": %lld, \"kind\": ",
                i > 0 ? "," : "", (long long)pl->id, (long long)pl->pid);
        sim_trace_json_string(f, pl->kind, sizeof(pl->kind));
        fprintf(f, ", \"workers\": %lld}", (long long)pl->workers);
    }
    fprintf(f, "],\n    \"tasks_wall_ns\": %lld,",
            (long long)rec_tasks_wall(sc->rec));
    fprintf(f,
            "\n    \"calls\": %llu, \"calls_nested\": %llu, "
            "\"partial_lines\": %llu, \"cpu_overlap_ns\": %lld}",
            (unsigned long long)sc->rec->calls,
            (unsigned long long)sc->rec->calls_nested,
            (unsigned long long)sc->rec->partial_lines,
            (long long)sc->overlap_ns);
}

static int
write_summary_fn(const void *ctx, FILE *f)
{
    const struct summary_ctx *sc = ctx;

    return sim_trace_write_summary_json_ex(sc->run, 1, SIM_VERSION, sc->command,
                                           write_recording_fn, sc, f);
}

int
rec_has_async_tasks(const struct rec *r)
{
    size_t i, k;

    for (i = 0; i < r->n_threads; i++) {
        for (k = 0; k < r->threads[i].n; k++) {
            const struct rec_item *it = &r->threads[i].items[k];

            if (it->kind == REC_TASK_BEGIN && it->async &&
                rec_task_kept(r, it->pool, it->task)) {
                return 1;
            }
        }
    }
    return 0;
}

int64_t
rec_tasks_wall(const struct rec *r)
{
    int64_t from = INT64_MAX, to = INT64_MIN;
    int async = rec_has_async_tasks(r);
    size_t i, k;

    for (i = 0; i < r->n_threads; i++) {
        for (k = 0; k < r->threads[i].n; k++) {
            const struct rec_item *it = &r->threads[i].items[k];

            if ((it->kind != REC_TASK_BEGIN && it->kind != REC_TASK_END) ||
                it->async != async ||
                (async && !rec_task_kept(r, it->pool, it->task))) {
                continue;
            }
            if (it->kind == REC_TASK_BEGIN && it->t0 < from) {
                from = it->t0;
            }
            if (it->kind == REC_TASK_END && it->t0 > to) {
                to = it->t0;
            }
        }
    }
    return to > from ? to - from : 0;
}

/* The root process's wall: its start to its last stamp. */
static int64_t
wall_of(const struct rec *r)
{
    int64_t from = INT64_MAX, to = INT64_MIN;
    size_t i;

    for (i = 0; i < r->n_procs; i++) {
        if (r->procs[i].t_start < from) {
            from = r->procs[i].t_start;
        }
        if (r->procs[i].t_last > to) {
            to = r->procs[i].t_last;
        }
    }
    return to > from ? to - from : 0;
}

static void
fill_summary(const struct rec *r, int64_t cpu_ns, const char *name,
             struct sim_trace_summary *s)
{
    memset(s, 0, sizeof(*s));
    (void)snprintf(s->model, sizeof(s->model), "measured");
    (void)snprintf(s->policy, sizeof(s->policy), "cpython");
    (void)snprintf(s->workload, sizeof(s->workload), "%s", name);
    s->threads = (int)r->n_threads; /* of every process */
    s->processes = (int)r->n_procs;
    s->switch_interval_ns = r->procs[0].switch_interval_ns;
    s->repeat = 1;
    s->wall_ns = s->wall_ns_min = s->wall_ns_max = s->wall_ns_mean = wall_of(r);
    s->cpu_ns = cpu_ns;
    (void)snprintf(s->trace_kept, sizeof(s->trace_kept), "head");
    s->trace_to_ns = -1;
}

int
rec_write_measured(const char *dir, struct rec *r, const char *command,
                   const struct sim_options *o,
                   struct sim_trace_summary *summary, FILE *err, char *msg,
                   size_t msglen)
{
    struct sim_trace *t = NULL;
    struct summary_ctx sc;
    struct sim_options po;
    char sub[4200];
    char title[200];
    const char *name;
    int64_t cpu_ns, overlap_ns;
    int rc;

    rc = build_trace(r, &t, &cpu_ns, &overlap_ns);
    if (rc != 0) {
        base_errf(msg, msglen, -rc, "cannot build the measured trace");
        return rc;
    }
    name = o->record_argc > 1 ? o->record_argv[1] : o->record_argv[0];
    if (strrchr(name, '/') != NULL) {
        name = strrchr(name, '/') + 1;
    }
    fill_summary(r, cpu_ns, name, summary);
    rc = sim_trace_stats(t, &summary->stats);
    /* The GIL's hand-offs were not seen, only inferred (where a window's
     * CPU was placed): their latencies would be made up. */
    summary->stats.handoffs = 0;
    summary->stats.handoff_p50_ns = summary->stats.handoff_p99_ns =
        summary->stats.handoff_max_ns = 0;
    if (rc == 0) {
        (void)snprintf(sub, sizeof(sub), "%.4000s/measured", dir);
        (void)snprintf(title, sizeof(title),
                       "gilsim record: %s, %d thread%s in %d process%s "
                       "(measured)",
                       name, summary->threads, summary->threads == 1 ? "" : "s",
                       summary->processes, summary->processes == 1 ? "" : "es");
        rc = sim_run_write_trace(sub, t, title, 0, msg, msglen);
    }
    if (rc == 0) {
        sc.run = summary;
        sc.rec = r;
        sc.command = command;
        sc.overlap_ns = overlap_ns;
        rc = base_write_atomic(dir, "summary.json", write_summary_fn, &sc, msg,
                               msglen);
    }
    sim_trace_free(t);
    if (rc != 0) {
        return rc;
    }
    base_sync_dir(dir);
    /* The timelines and index.html, as gilsim plot draws them. */
    po = *o;
    (void)snprintf(po.out_dir, sizeof(po.out_dir), "%s", dir);
    po.quiet = 1;
    (void)sim_replot_main(&po, stdout, err);
    return 0;
}
