/*
 * synth_lock.c - the threading.Locks a recorded task held, as the
 * workload file's lock blocks (`{"lock": {"name": ..., "steps": [...]}}`,
 * docs/workloads.md), so that a replay at more threads than recorded
 * queues on them as the program would.
 *
 * The probe wrote each hold (H: acquired at t0, released at t1, the CPU
 * clock at both ends); raw.c made of it two items of the thread, in time
 * order with its calls. Walking a task's items (synth.c), an acquire opens
 * a block and its release closes it: in the task's step string a block is
 * its opening letter ('A' + the lock's index in the file), its steps, and
 * SYNTH_CLOSE. So a hold around a CPU loop is "A c )", around a socket
 * wait "A c s c )".
 *
 * A file must nest, and must not deadlock (workload files refuse a lock
 * taken inside itself, or two locks taken in both orders), while a
 * program needs neither. So:
 *   - a lock is one of the file's first WL_MAX_LOCKS locks (named
 *     "lock<N>", N the probe's number for it in its process), or its
 *     holds are left out;
 *   - a hold of lock B inside one of A is left out when B was held
 *     outside A elsewhere, directly or through other locks (the order
 *     the file met first wins);
 *   - a release of a lock that is not the innermost open ends the blocks
 *     inside it too; a release of a lock not open (its acquire was left
 *     out, or came before the task) is nothing;
 *   - a block still open at the task's end ends there;
 *   - a block with no step of a microsecond or more (a hold that cost
 *     nothing measurable) is removed: it can make no queue.
 * What was left out is counted, for the file's comment.
 *
 * Only a lock two threads of a process held is one: a lock only ever
 * held by one thread (a thread's own requests.Session and the queue of
 * its connection pool, a lock made inside a task) made no thread wait
 * and would make none at any thread count; in the file it would be
 * shared by every task of a kind, so its holds stay plain steps
 * (synth_locks_find_shared, before the tasks are walked).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synth.h"

int
synth_is_open(char c)
{
    return c >= 'A' && c < 'A' + WL_MAX_LOCKS;
}

static int
holder_cmp(const void *a, const void *b)
{
    const struct synth_holder *x = a, *y = b;

    if (x->pid != y->pid) {
        return x->pid < y->pid ? -1 : 1;
    }
    if (x->lock != y->lock) {
        return x->lock < y->lock ? -1 : 1;
    }
    return x->thread < y->thread ? -1 : x->thread > y->thread ? 1 : 0;
}

int
synth_locks_find_shared(const struct rec *r, struct synth_locks *l)
{
    struct synth_holder *h = NULL;
    size_t n = 0, cap = 0, i, m = 0;

    for (i = 0; i < r->n_threads; i++) {
        const struct rec_thread *th = &r->threads[i];
        size_t k;

        for (k = 0; k < th->n; k++) {
            if (th->items[k].kind != REC_HOLD_BEGIN) {
                continue;
            }
            if (n == cap) {
                size_t want = cap == 0 ? 64 : 2 * cap;
                struct synth_holder *g = realloc(h, want * sizeof(*g));

                if (g == NULL) {
                    free(h);
                    return -ENOMEM;
                }
                h = g;
                cap = want;
            }
            h[n].pid = th->pid;
            h[n].lock = th->items[k].lock;
            h[n].thread = i;
            n++;
        }
    }
    if (n > 0) {
        qsort(h, n, sizeof(*h), holder_cmp);
    }
    /* Keep one entry of each lock a second thread held. */
    for (i = 1; i < n; i++) {
        if (h[i].pid == h[i - 1].pid && h[i].lock == h[i - 1].lock &&
            h[i].thread != h[i - 1].thread &&
            (m == 0 || h[m - 1].pid != h[i].pid ||
             h[m - 1].lock != h[i].lock)) {
            h[m++] = h[i];
        }
    }
    l->shared = h;
    l->n_shared = m;
    return 0;
}

void
synth_locks_clear(struct synth_locks *l)
{
    free(l->shared);
    l->shared = NULL;
    l->n_shared = 0;
}

/* Whether lock `lock` of process pid was held by two threads. */
static int
is_shared(const struct synth_locks *l, int64_t pid, int64_t lock)
{
    size_t lo = 0, hi = l->n_shared;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const struct synth_holder *x = &l->shared[mid];

        if (x->pid == pid && x->lock == lock) {
            return 1;
        }
        if (x->pid < pid || (x->pid == pid && x->lock < lock)) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return 0;
}

/* The index of probe lock `lock` in the file, -1 if it has none. */
static int
find_lock(const struct synth_locks *l, int64_t lock)
{
    int i;

    for (i = 0; i < l->n && l->id[i] != lock; i++) {
    }
    return i < l->n ? i : -1;
}

/* The index of probe lock `lock` in the file, given one if new; -1 when
 * the file has all it may. */
static int
lock_index(struct synth_locks *l, int64_t lock)
{
    int i = find_lock(l, lock);

    if (i >= 0 || l->n == WL_MAX_LOCKS) {
        return i;
    }
    l->id[l->n] = lock;
    return l->n++;
}

/* Lock b is taken inside lock a: so inside every lock that a is taken
 * inside (or a itself), every lock taken inside b (or b itself) is
 * (l->inside is transitive: a cycle through three locks deadlocks as
 * two taken both ways do, and the workload reader refuses either). */
static void
taken_inside(struct synth_locks *l, int a, int b)
{
    int x, y;

    for (x = 0; x < l->n; x++) {
        if (x != a && !l->inside[x][a]) {
            continue;
        }
        for (y = 0; y < l->n; y++) {
            if (y == b || l->inside[b][y]) {
                l->inside[x][y] = 1;
            }
        }
    }
}

int
synth_hold_begin(struct tasks *ts, struct task *t, struct synth_open *o,
                 int64_t pid, int64_t lock, size_t *cap)
{
    struct synth_locks *l = &ts->locks;
    int i, k;

    l->holds++;
    if (!is_shared(l, pid, lock)) {
        l->left_own++;
        return 0;
    }
    i = lock_index(l, lock);
    if (i < 0) {
        l->left_many++;
        return 0;
    }
    for (k = 0; k < o->n; k++) {
        if (o->idx[k] == i || l->inside[i][o->idx[k]]) {
            l->left_order++; /* taken inside itself, or both ways */
            return 0;
        }
    }
    for (k = 0; k < o->n; k++) {
        taken_inside(l, o->idx[k], i);
    }
    o->idx[o->n++] = i;
    return synth_step_add(t, (char)('A' + i), (double)i, cap);
}

/* Close the innermost open block of t: removed when it has no step. */
static int
close_one(struct tasks *ts, struct task *t, struct synth_open *o, size_t *cap)
{
    o->n--;
    if (t->n > 0 && synth_is_open(t->sig[t->n - 1])) {
        t->sig[--t->n] = '\0';
        ts->locks.left_empty++;
        return 0;
    }
    return synth_step_add(t, SYNTH_CLOSE, 0, cap);
}

int
synth_hold_end(struct tasks *ts, struct task *t, struct synth_open *o,
               int64_t lock, size_t *cap)
{
    int i = find_lock(&ts->locks, lock), k, rc = 0;

    for (k = o->n - 1; k >= 0 && o->idx[k] != i; k--) {
    }
    if (i < 0 || k < 0) {
        return 0; /* not open: its acquire was left out */
    }
    while (rc == 0 && o->n > k) {
        rc = close_one(ts, t, o, cap);
    }
    return rc;
}

int
synth_holds_close(struct tasks *ts, struct task *t, struct synth_open *o,
                  size_t *cap)
{
    int rc = 0;

    ts->locks.cut_at_end += (uint64_t)o->n;
    while (rc == 0 && o->n > 0) {
        rc = close_one(ts, t, o, cap);
    }
    return rc;
}

void
synth_say_locks(json_t *comment, const struct tasks *ts)
{
    const struct synth_locks *l = &ts->locks;
    char line[600];

    if (l->holds == 0) {
        return;
    }
    (void)snprintf(
        line, sizeof(line),
        "threading.Lock: of %llu holds inside tasks, those of the %d locks "
        "two threads held are lock blocks (named lock<N>, N the probe's "
        "number for the lock in its process), so that a replay queues on "
        "them; left out: %llu holds of locks only one thread held (no "
        "contention at any thread count), %llu of locks beyond the %d a "
        "file may name, %llu that would have let the file deadlock (a lock "
        "taken in both orders), %llu with no step of a microsecond inside; "
        "%llu were still held at their task's end and end there.",
        (unsigned long long)l->holds, l->n, (unsigned long long)l->left_own,
        (unsigned long long)l->left_many, WL_MAX_LOCKS,
        (unsigned long long)l->left_order, (unsigned long long)l->left_empty,
        (unsigned long long)l->cut_at_end);
    (void)json_array_append_new(comment, json_string(line));
}
