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
 *     outside A elsewhere (the order the file met first wins);
 *   - a release of a lock that is not the innermost open ends the blocks
 *     inside it too; a release of a lock not open (its acquire was left
 *     out, or came before the task) is nothing;
 *   - a block still open at the task's end ends there;
 *   - a block with no step of a microsecond or more (a hold that cost
 *     nothing measurable) is removed: it can make no queue.
 * What was left out is counted, for the file's comment.
 */
#include <stdio.h>
#include <string.h>

#include "synth.h"

int
synth_is_open(char c)
{
    return c >= 'A' && c < 'A' + WL_MAX_LOCKS;
}

/* The index of probe lock `lock` in the file, given one if new; -1 when
 * the file has all it may. */
static int
lock_index(struct synth_locks *l, int64_t lock)
{
    int i;

    for (i = 0; i < l->n; i++) {
        if (l->id[i] == lock) {
            return i;
        }
    }
    if (l->n == WL_MAX_LOCKS) {
        return -1;
    }
    l->id[l->n] = lock;
    return l->n++;
}

int
synth_hold_begin(struct tasks *ts, struct task *t, struct synth_open *o,
                 int64_t lock, size_t *cap)
{
    struct synth_locks *l = &ts->locks;
    int i = lock_index(l, lock), k;

    l->holds++;
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
        l->inside[o->idx[k]][i] = 1;
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
    int k, i = -1, rc = 0;

    for (k = 0; k < ts->locks.n; k++) {
        if (ts->locks.id[k] == lock) {
            i = k;
        }
    }
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
        "threading.Lock: %llu holds inside tasks of %d locks are lock blocks "
        "(named lock<N>, N the probe's number for the lock in its process), "
        "so that a replay queues on them; left out: %llu holds of locks "
        "beyond the %d a file may name, %llu that would have let the file "
        "deadlock (a lock taken in both orders), %llu with no step of a "
        "microsecond inside; %llu were still held at their task's end and "
        "end there.",
        (unsigned long long)l->holds, l->n, (unsigned long long)l->left_many,
        WL_MAX_LOCKS, (unsigned long long)l->left_order,
        (unsigned long long)l->left_empty, (unsigned long long)l->cut_at_end);
    (void)json_array_append_new(comment, json_string(line));
}
