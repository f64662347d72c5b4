/*
 * synth.c - a recording written down as a workload file
 * (DIR/workload.json, docs/workloads.md), so that gilsim can run the
 * recorded program's tasks under every model, thread count and switch
 * interval.
 *
 * The tasks. With pools: each task a pool ran (K begin to K end), in
 * every process. Without: each thread but the main one, or the main
 * thread alone when there is no other.
 * A task's steps, in order: the Python between two of its calls is a
 * `cpu` step of the thread's CPU time there (in us: what the code cost,
 * warm, on this machine), less the probe's own work there (its O line's
 * ns_between after a call, half an event's cost at a lock hold's ends);
 * a `native` call (hashlib, zlib) is a `native`
 * step of its wall time; every other call (a socket, a sleep, select, a
 * wait on another thread, a read or write) is a `sleep` of its wall time:
 * the GIL released for as long as the call took, unless it spent half
 * of that or more on a core (the kernel copying a large recv): then its
 * CPU time is `native` and the rest a `sleep` (call_steps). Steps shorter than
 * a microsecond (a cpu step's CPU as recorded) are left out; two cpu steps in a
 * row are one. A task of more than 256 steps (the format's most) is cut into 85
 * blocks of its steps in order, each written as its cpu, native and sleep time
 * (its locks left out). A threading.Lock held inside a task is a lock block
 * around the steps it was held for (synth_lock.c); a wait to take one is none
 * (the replay's lock makes it). The kinds. Tasks with the same sequence of step
 * kinds are one kind, with as many tasks as there were; each of its steps draws
 * from the values its tasks had at that place ({"samples": [...]}, a constant
 * when they all agree), so the tasks' mix and spread are kept, though not the
 * pairing of one task's values. At most SYNTH_KINDS kinds: the rarest sequences
 * beyond are said in the file's comment and not written. The recorded
 * configuration (the first pool's kind and size, else the threads) goes into
 * the comment and *cfg, so a prediction can start from it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base.h"
#include "record.h"
#include "synth.h"

#define SYNTH_KINDS 64
#define MAX_STEPS   256 /* a kind's steps (the format's WF_MAX_LIST) */
#define BLOCKS      85  /* a longer task in blocks of <= 3 steps */

/* synth_step_add without its floor: a step of `us` whatever it is. */
static int
step_append(struct task *t, char kind, double us, size_t *cap)
{
    if (kind == 'c' && t->n > 0 && t->sig[t->n - 1] == 'c') {
        t->v[t->n - 1] += us;
        return 0;
    }
    if (t->n == *cap) {
        size_t want = *cap == 0 ? 16 : 2 * *cap;
        double *v = realloc(t->v, want * sizeof(*v));
        char *sig;

        if (v == NULL) {
            return -ENOMEM;
        }
        t->v = v;
        sig = realloc(t->sig, want + 1);
        if (sig == NULL) {
            return -ENOMEM;
        }
        t->sig = sig;
        *cap = want;
    }
    t->sig[t->n] = kind;
    t->v[t->n++] = us;
    t->sig[t->n] = '\0';
    return 0;
}

int
synth_step_add(struct task *t, char kind, double us, size_t *cap)
{
    if (us < 1.0 && !synth_is_open(kind) && kind != SYNTH_CLOSE) {
        return 0;
    }
    return step_append(t, kind, us, cap);
}

/* A task of more than MAX_STEPS steps, cut into BLOCKS runs of its
 * steps in order, each then its cpu, its native and its sleep time
 * summed: the totals and their rough order kept. */
void
synth_compact(struct task *t, int *compacted)
{
    size_t b, i, m = 0;

    if (t->n <= MAX_STEPS) {
        return;
    }
    *compacted = 1;
    for (b = 0; b < BLOCKS; b++) {
        size_t from = t->n * b / BLOCKS, to = t->n * (b + 1) / BLOCKS;
        double sum[3] = {0, 0, 0};
        static const char kinds[3] = {'c', 'n', 's'};
        int k;

        for (i = from; i < to; i++) {
            if (synth_is_open(t->sig[i]) || t->sig[i] == SYNTH_CLOSE) {
                continue; /* a lock's block: its steps are summed */
            }
            sum[t->sig[i] == 'c' ? 0 : t->sig[i] == 'n' ? 1 : 2] += t->v[i];
        }
        for (k = 0; k < 3; k++) {
            if (sum[k] <= 0) {
                continue;
            }
            if (m > 0 && t->sig[m - 1] == kinds[k]) {
                t->v[m - 1] += sum[k];
            } else {
                t->sig[m] = kinds[k];
                t->v[m++] = sum[k];
            }
        }
    }
    t->n = m;
    t->sig[m] = '\0';
}

int
synth_task_new(struct tasks *ts, struct task **out)
{
    if (ts->n == ts->cap) {
        size_t want = ts->cap == 0 ? 64 : 2 * ts->cap;
        struct task *t = realloc(ts->t, want * sizeof(*t));

        if (t == NULL) {
            return -ENOMEM;
        }
        ts->t = t;
        ts->cap = want;
    }
    *out = &ts->t[ts->n++];
    memset(*out, 0, sizeof(**out));
    (*out)->sig = calloc(1, 1); /* "" until a step comes */
    return (*out)->sig != NULL ? 0 : -ENOMEM;
}

/* A call's steps: its wall without the wait for the GIL at its end (the
 * replay has its own). A native call's is its C code's time on a core.
 * Another call that spent at least half of that on a core (a recv or
 * send of a large buffer is the kernel copying it, a few microseconds
 * of CPU and no wait) is native work for its CPU time and a sleep for
 * the rest: in the replay it needs a core, and does not pay a timer's
 * wake-up (~90 us on the 2-core VM) for a wait it never made. Else it is
 * a sleep: the GIL released for that long. */
static int
call_steps(struct task *t, const struct rec_item *it, size_t *cap)
{
    int64_t io = it->t1 - it->t0 - it->wait_ns;
    int64_t cpu = it->cpu1 - it->cpu0;
    int rc;

    if (it->call == REC_CALL_NATIVE) {
        return synth_step_add(t, 'n', (double)io / 1e3, cap);
    }
    if (it->call == REC_CALL_SLEEP || cpu < io / 2) {
        return synth_step_add(t, 's', (double)io / 1e3, cap);
    }
    cpu = cpu < io ? cpu : io;
    rc = synth_step_add(t, 'n', (double)cpu / 1e3, cap);
    if (rc == 0) {
        rc = synth_step_add(t, 's', (double)(io - cpu) / 1e3, cap);
    }
    return rc;
}

/* What of the probe's own work the CPU between two of a thread's items
 * holds when the second is `it`, in ns: the part of a timed event's cost
 * outside its call's span for a call (its tail after the call, the next
 * one's head before it), half an event's for either end of a lock's hold
 * (its clock readings are all outside a call); none for a task's begin
 * or end. */
static int64_t
probe_share(const struct rec_process *p, const struct rec_item *it)
{
    if (p == NULL) {
        return 0;
    }
    if (it->kind == REC_CALL) {
        return p->probe_ns_between;
    }
    if (it->kind == REC_HOLD_BEGIN || it->kind == REC_HOLD_END) {
        return p->probe_ns_between > 0 ? p->probe_ns_per_event / 2 : 0;
    }
    return 0;
}

/* The cpu step of the CPU between two items, cpu_ns, less the probe's
 * share of it (never below 0; what was taken is added to ts->probe_ns).
 * Whether there is a step at all is decided on the CPU as recorded (a
 * microsecond or more), so that the tasks' sequences of steps, and so
 * their kinds, are what the program did whatever the probe cost. */
static int
cpu_step_add(struct tasks *ts, struct task *t, int64_t cpu_ns, int64_t probe_ns,
             size_t *cap)
{
    int64_t taken = probe_ns < cpu_ns ? probe_ns : cpu_ns;

    if (cpu_ns < 1000) {
        return 0;
    }
    if (taken < 0) {
        taken = 0;
    }
    ts->probe_ns += taken;
    return step_append(t, 'c', (double)(cpu_ns - taken) / 1e3, cap);
}

/* The tasks of thread th (of process p, NULL if unknown): between its
 * K begin and K end (with_tasks), or all of its life as one. */
static int
thread_tasks(const struct rec_thread *th, const struct rec_process *p,
             int with_tasks, struct tasks *ts)
{
    struct task *cur = NULL;
    struct synth_open open;
    size_t cap = 0;
    int64_t cpu = 0;
    size_t k;
    int rc = 0;

    for (k = 0; rc == 0 && k < th->n; k++) {
        const struct rec_item *it = &th->items[k];
        int begins, ends;

        if (it->async) {
            continue; /* an asyncio task's: synth_async.c */
        }
        begins =
            with_tasks ? it->kind == REC_TASK_BEGIN : it->kind == REC_START;
        ends = with_tasks ? it->kind == REC_TASK_END : it->kind == REC_END;

        if (begins && cur != NULL) {
            /* A task that began before the last one ended (no K end
             * was written for it): that one ends here. */
            rc = synth_holds_close(ts, cur, &open, &cap);
            synth_compact(cur, &ts->compacted);
            cur = NULL;
        }
        if (rc == 0 && begins) {
            rc = synth_task_new(ts, &cur);
            cap = 0;
            cpu = it->cpu0;
            open.n = 0;
            continue;
        }
        if (cur == NULL) {
            continue;
        }
        rc = cpu_step_add(ts, cur, it->cpu0 - cpu, probe_share(p, it), &cap);
        cpu = it->cpu1;
        if (rc == 0 && it->kind == REC_HOLD_BEGIN) {
            rc = synth_hold_begin(ts, cur, &open, th->pid, it->lock, &cap);
        } else if (rc == 0 && it->kind == REC_HOLD_END) {
            rc = synth_hold_end(ts, cur, &open, it->lock, &cap);
        } else if (rc == 0 && it->kind == REC_CALL &&
                   it->call == REC_CALL_LOCK) {
            /* Contention among the tasks, as the GIL's is: the replay's
             * locks make their own (said in the comment). */
            ts->lock_waits++;
            ts->lock_wait_ns += it->t1 - it->t0;
        } else if (rc == 0 && it->kind == REC_CALL) {
            rc = call_steps(cur, it, &cap);
        }
        if (rc == 0 && ends) {
            rc = synth_holds_close(ts, cur, &open, &cap);
            synth_compact(cur, &ts->compacted);
            cur = NULL;
        }
    }
    if (rc == 0 && cur != NULL) {
        /* Ended with its thread. */
        rc = synth_holds_close(ts, cur, &open, &cap);
        synth_compact(cur, &ts->compacted);
    }
    return rc;
}

/* What of the probe's own cost the cpu steps were spared, or why not. */
static void
say_probe(json_t *comment, const struct rec *r, const struct tasks *ts)
{
    char line[320];

    if (ts->probe_ns > 0) {
        (void)snprintf(line, sizeof(line),
                       "The probe's own work between two calls (%lld ns "
                       "after a call, measured at its start) is taken out "
                       "of the cpu steps: %.4g ms in all.",
                       (long long)r->procs[0].probe_ns_between,
                       (double)ts->probe_ns / 1e6);
    } else if (rec_has_async_tasks(r)) {
        (void)snprintf(line, sizeof(line),
                       "The cpu steps of asyncio tasks hold the probe's own "
                       "work between two awaits (a few us each).");
    } else if (ts->probe_unknown) {
        (void)snprintf(line, sizeof(line),
                       "The probe did not say what its work between two "
                       "calls cost: it stays in the cpu steps.");
    } else {
        return;
    }
    (void)json_array_append_new(comment, json_string(line));
}

static const struct rec_process *
process_of(const struct rec *r, int64_t pid)
{
    size_t i;

    for (i = 0; i < r->n_procs; i++) {
        if (r->procs[i].pid == pid) {
            return &r->procs[i];
        }
    }
    return NULL;
}

static int
collect(const struct rec *r, struct tasks *ts)
{
    int pools = 0;
    size_t i;
    int rc = 0;

    if (rec_has_async_tasks(r)) {
        /* An asyncio program: its tasks (a default executor's tasks
         * are inside their awaits). */
        rc = synth_async_resume(r, &ts->resume);
        return rc == 0 ? synth_async_tasks(r, ts) : rc;
    }
    for (i = 0; i < r->n_threads; i++) {
        pools |= r->threads[i].has_tasks;
    }
    for (i = 0; i < r->n_procs; i++) {
        if (r->procs[i].probe_ns_between <= 0) {
            ts->probe_unknown = 1;
        }
    }
    for (i = 0; rc == 0 && i < r->n_threads; i++) {
        const struct rec_thread *th = &r->threads[i];
        const struct rec_process *p = process_of(r, th->pid);
        int main_thread =
            th->pid == r->procs[0].pid && strcmp(th->name, "MainThread") == 0;

        if (pools) {
            if (th->has_tasks) {
                rc = thread_tasks(th, p, 1, ts);
            }
        } else if (!main_thread || r->n_threads == 1) {
            rc = thread_tasks(th, p, 0, ts);
        }
    }
    return rc;
}

/* A kind: the tasks (indexes into ts) with one signature. */
struct kind {
    const char *sig;
    size_t *of;
    size_t n;
};

static int
by_count_desc(const void *a, const void *b)
{
    const struct kind *x = a, *y = b;

    return x->n < y->n ? 1 : x->n > y->n ? -1 : strcmp(x->sig, y->sig);
}

static int
group(const struct tasks *ts, struct kind **out, size_t *n_out)
{
    struct kind *ks = calloc(ts->n > 0 ? ts->n : 1, sizeof(*ks));
    size_t nk = 0, i, j;

    if (ks == NULL) {
        return -ENOMEM;
    }
    for (i = 0; i < ts->n; i++) {
        for (j = 0; j < nk && strcmp(ks[j].sig, ts->t[i].sig) != 0; j++) {
        }
        if (j == nk) {
            ks[nk].sig = ts->t[i].sig;
            ks[nk].of = malloc(ts->n * sizeof(size_t));
            if (ks[nk].of == NULL) {
                break;
            }
            nk++;
        }
        ks[j].of[ks[j].n++] = i;
    }
    if (i < ts->n) {
        for (j = 0; j < nk; j++) {
            free(ks[j].of);
        }
        free(ks);
        return -ENOMEM;
    }
    qsort(ks, nk, sizeof(*ks), by_count_desc);
    *out = ks;
    *n_out = nk;
    return 0;
}

/* The value of step s over kind k's tasks: a constant, or samples. */
static json_t *
value_of(const struct tasks *ts, const struct kind *k, size_t s)
{
    double first = ts->t[k->of[0]].v[s];
    json_t *arr;
    size_t i;
    int same = 1;

    for (i = 1; i < k->n; i++) {
        same &= ts->t[k->of[i]].v[s] == first;
    }
    if (same) {
        return json_real(first);
    }
    arr = json_array();
    for (i = 0; arr != NULL && i < k->n; i++) {
        (void)json_array_append_new(arr, json_real(ts->t[k->of[i]].v[s]));
    }
    return json_pack("{s:o}", "samples", arr);
}

/* Kind k's steps from letter *s to the end of the block it is in (a
 * SYNTH_CLOSE, left at *s) or of the task. */
static json_t *
steps_json(const struct tasks *ts, const struct kind *k, size_t *s)
{
    json_t *steps = json_array();

    for (; steps != NULL && k->sig[*s] != '\0' && k->sig[*s] != SYNTH_CLOSE;
         (*s)++) {
        char c = k->sig[*s];

        if (synth_is_open(c)) {
            char name[32];
            json_t *inner;

            (void)snprintf(name, sizeof(name), "lock%lld",
                           (long long)ts->locks.id[c - 'A']);
            (*s)++;
            inner = steps_json(ts, k, s);
            (void)json_array_append_new(steps, json_pack("{s:{s:s, s:o}}",
                                                         "lock", "name", name,
                                                         "steps", inner));
            if (k->sig[*s] == '\0') {
                break;
            }
            continue;
        }
        (void)json_array_append_new(steps,
                                    json_pack("{s:{s:o}}",
                                              c == 'c'   ? "cpu"
                                              : c == 'n' ? "native"
                                                         : "sleep",
                                              "us", value_of(ts, k, *s)));
    }
    return steps;
}

static json_t *
kind_json(const struct tasks *ts, const struct kind *k, size_t index)
{
    size_t s = 0;
    json_t *steps = steps_json(ts, k, &s);
    char name[32];

    if (steps != NULL && k->sig[0] == '\0') {
        /* A task that did nothing measurable still is one. */
        (void)json_array_append_new(steps,
                                    json_pack("{s:{s:i}}", "cpu", "us", 0));
    }
    (void)snprintf(name, sizeof(name), "task-%zu", index + 1);
    return json_pack("{s:s, s:I, s:o}", "name", name, "tasks", (json_int_t)k->n,
                     "steps", steps);
}

void
rec_recorded_config(const struct rec *r, struct rec_config *cfg)
{
    size_t i;

    memset(cfg, 0, sizeof(*cfg));
    if (rec_has_async_tasks(r)) {
        (void)snprintf(cfg->model, sizeof(cfg->model), "loop");
        cfg->workers = synth_async_concurrency(r);
        return;
    }
    for (i = 0; i < r->n_pools; i++) {
        const struct rec_pool *p = &r->pools[i];

        if (p->pid != r->procs[0].pid) {
            continue;
        }
        (void)snprintf(cfg->model, sizeof(cfg->model), "%s",
                       strcmp(p->kind, "processpool") == 0     ? "processes"
                       : strcmp(p->kind, "mp_threadpool") == 0 ? "threads"
                                                               : "executor");
        cfg->workers = (int)p->workers;
        return;
    }
    for (i = 0; i < r->n_threads; i++) {
        cfg->workers += r->threads[i].pid == r->procs[0].pid &&
                        strcmp(r->threads[i].name, "MainThread") != 0;
    }
    (void)snprintf(cfg->model, sizeof(cfg->model), "%s",
                   cfg->workers > 0 ? "threads" : "serial");
    if (cfg->workers == 0) {
        cfg->workers = 1;
    }
}

const char *
rec_config_unit(const struct rec_config *cfg)
{
    return strcmp(cfg->model, "processes") == 0 ? "processes"
           : strcmp(cfg->model, "loop") == 0    ? "tasks at once (0: all)"
                                                : "threads";
}

/* What an asyncio recording's file is made of, in its comment. */
static void
say_async(json_t *comment, const struct tasks *ts)
{
    char line[400];

    if (ts->async_awaits == 0 && ts->async_sync == 0 && ts->loop_cpu_ns == 0) {
        return;
    }
    (void)snprintf(line, sizeof(line),
                   "asyncio tasks: cpu is a step of a task's coroutine; "
                   "sleep an await until the loop's select returned with it "
                   "(%llu of them); %llu waits inside a Semaphore's or "
                   "Lock's acquire are left out (the loop's concurrency "
                   "makes them); the loop's own CPU (%.4g ms) is spread "
                   "over the awaits; %llu calls made inside a step blocked "
                   "the loop and count as its cpu.",
                   (unsigned long long)ts->async_awaits,
                   (unsigned long long)ts->async_sync,
                   (double)ts->loop_cpu_ns / 1e6,
                   (unsigned long long)ts->async_inline);
    (void)json_array_append_new(comment, json_string(line));
}

/* An asyncio recording's cold resumes, in its comment. */
static void
say_resume(json_t *comment, const struct tasks *ts)
{
    const struct synth_resume *c = &ts->resume;
    char line[700];

    if (c->steps == 0) {
        return;
    }
    if (c->window_ns == 0) {
        (void)snprintf(line, sizeof(line),
                       "cold resumes: the loop slept (a select of 1 ms or "
                       "more) %llu times; %s, so the cpu steps are as "
                       "recorded and the run's own cold-resume cost is off.",
                       (unsigned long long)c->wakes,
                       c->places == 0
                           ? "too few of the tasks' steps ran both right "
                             "after and long after a wake-up at one place "
                             "in a task to measure what it cost"
                           : "no window of double-cost Python after a "
                             "wake-up explains the steps' CPU");
    } else {
        (void)snprintf(
            line, sizeof(line),
            "cold resumes: the loop slept (a select of 1 ms or more) %llu "
            "times, and after each its next %.4g us of Python ran at "
            "double cost (the window that makes a step's CPU the same "
            "wherever it fell after a wake-up, over %zu places in a task): "
            "%.4g ms of the tasks' %.4g ms of CPU. The cpu steps are "
            "without it; cold_resume has the replay's loop add it after "
            "each of its own waits, as many as its concurrency makes.",
            (unsigned long long)c->wakes, (double)c->window_ns / 1e3, c->places,
            (double)c->extra_ns / 1e6, (double)c->cpu_ns / 1e6);
    }
    (void)json_array_append_new(comment, json_string(line));
}

/* The file's cold_resume: the fitted window of an asyncio loop, or none
 * on top of the recorded CPU, which holds the program's own cold caches
 * (so that gilsim run of the file charges what gilsim predict does). */
static json_t *
cold_json(const struct tasks *ts)
{
    const struct synth_resume *c = &ts->resume;
    int64_t after = c->after_ns > 0 ? c->after_ns : INT64_C(1000000);

    return json_pack(
        "{s:{s:f}, s:{s:f}, s:s}", "window", "us", (double)c->window_ns / 1e3,
        "after", "us", (double)after / 1e3, "comment",
        c->window_ns > 0
            ? "fitted from the recording: the loop's Python after each "
              "wake-up; the cpu steps are without it"
            : "none on top of the cpu steps: the recorded CPU holds the "
              "program's own cold caches (not the run's costs' either)");
}

static int
dump_fn(const void *ctx, FILE *f)
{
    return json_dumpf(ctx, f, JSON_INDENT(1) | JSON_REAL_PRECISION(9)) == 0
               ? 0
               : -EIO;
}

/* The file's comment: where it came from, what its steps stand for, and
 * what it changed or left out. */
static json_t *
file_comment(const struct rec *r, const char *name,
             const struct rec_config *cfg, const struct tasks *ts, size_t nk,
             size_t kept_tasks)
{
    json_t *comment = json_array();
    char line[300];

    (void)snprintf(line, sizeof(line),
                   "Written by gilsim record from a recording of %.100s: "
                   "%zu tasks, recorded under %.16s with %d %s.",
                   name, ts->n, cfg->model, cfg->workers, rec_config_unit(cfg));
    (void)json_array_append_new(comment, json_string(line));
    say_async(comment, ts);
    say_resume(comment, ts);
    synth_say_locks(comment, ts);
    if (ts->lock_waits > 0) {
        (void)snprintf(line, sizeof(line),
                       "%llu waits for a contended threading.Lock "
                       "(%.4g ms in all) are left out: like the GIL's, "
                       "they came from the tasks' contention, %s.",
                       (unsigned long long)ts->lock_waits,
                       (double)ts->lock_wait_ns / 1e6,
                       ts->locks.n > 0 ? "which the replay's locks make again"
                                       : "and the recording has no hold of a "
                                         "lock to replay it from");
        (void)json_array_append_new(comment, json_string(line));
    }
    (void)json_array_append_new(
        comment,
        json_string("cpu: the thread's CPU time between two calls, in "
                    "us; native: hashlib/zlib calls, and the CPU time of "
                    "a call that spent half of its time or more on a "
                    "core (a large recv: the kernel copying); sleep: "
                    "every other call that released the GIL (sockets, "
                    "sleep, select, waits), for as long as it took."));
    say_probe(comment, r, ts);
    if (ts->compacted) {
        (void)snprintf(line, sizeof(line),
                       "Tasks of more than %d steps are written as %d "
                       "blocks of their steps in order, each its cpu, "
                       "native and sleep time summed (their locks left "
                       "out).",
                       MAX_STEPS, BLOCKS);
        (void)json_array_append_new(comment, json_string(line));
    }
    if (nk > SYNTH_KINDS) {
        (void)snprintf(line, sizeof(line),
                       "%zu tasks of %zu rarer step sequences are left "
                       "out (at most %d kinds).",
                       ts->n - kept_tasks, nk - SYNTH_KINDS, SYNTH_KINDS);
        (void)json_array_append_new(comment, json_string(line));
    }
    return comment;
}

/* The whole file: the SYNTH_KINDS commonest kinds (*kept_tasks: the tasks
 * they hold), the comment and the cold-resume window; NULL when out of
 * memory. */
static json_t *
file_json(const struct rec *r, const char *name, const struct rec_config *cfg,
          const struct tasks *ts, const struct kind *ks, size_t nk,
          size_t *kept_tasks)
{
    json_t *kinds = json_array();
    json_t *root;
    size_t i;

    *kept_tasks = 0;
    for (i = 0; i < nk && i < SYNTH_KINDS; i++) {
        (void)json_array_append_new(kinds, kind_json(ts, &ks[i], i));
        *kept_tasks += ks[i].n;
    }
    root = json_pack(
        "{s:s, s:i, s:s#, s:o, s:o}", "format", "gilsim-workload", "version", 1,
        "name", name, (int)(strlen(name) > 63 ? 63 : strlen(name)), "comment",
        file_comment(r, name, cfg, ts, nk, *kept_tasks), "kinds", kinds);
    if (root != NULL &&
        json_object_set_new(root, "cold_resume", cold_json(ts)) != 0) {
        json_decref(root);
        root = NULL;
    }
    return root;
}

static void
tasks_clear(struct tasks *ts, struct kind *ks, size_t nk)
{
    size_t i;

    for (i = 0; i < nk; i++) {
        free(ks[i].of);
    }
    free(ks);
    for (i = 0; i < ts->n; i++) {
        free(ts->t[i].v);
        free(ts->t[i].sig);
    }
    free(ts->t);
    synth_locks_clear(&ts->locks);
}

int
rec_write_workload(const char *dir, const struct rec *r, const char *name,
                   struct rec_config *cfg, size_t *n_tasks, char *msg,
                   size_t msglen)
{
    struct tasks ts;
    struct kind *ks = NULL;
    size_t nk = 0, kept_tasks = 0;
    json_t *root = NULL;
    int rc;

    memset(&ts, 0, sizeof(ts));
    rec_recorded_config(r, cfg);
    rc = synth_locks_find_shared(r, &ts.locks);
    if (rc == 0) {
        rc = collect(r, &ts);
    }
    if (rc == 0 && ts.n == 0) {
        (void)snprintf(msg, msglen,
                       "no task to write: the recording has "
                       "no thread that ran");
        rc = -ENOENT;
    }
    if (rc == 0) {
        rc = group(&ts, &ks, &nk);
    }
    if (rc == 0) {
        root = file_json(r, name, cfg, &ts, ks, nk, &kept_tasks);
        if (root == NULL) {
            rc = -ENOMEM;
        }
    }
    if (rc == 0) {
        rc =
            base_write_atomic(dir, "workload.json", dump_fn, root, msg, msglen);
    } else if (rc == -ENOMEM) {
        (void)snprintf(msg, msglen, "out of memory writing workload.json");
    }
    *n_tasks = kept_tasks;
    json_decref(root);
    tasks_clear(&ts, ks, nk);
    return rc;
}
