/*
 * segments.c - derives each thread's state segments (idle, running,
 * waiting, io) from its events.
 *
 * Each thread is walked on its own, in the order it recorded its events
 * (which is time order). A small state machine holds the current state and
 * when it began; an event that moves the thread to another state closes the
 * current segment at the event's time and opens the next:
 *
 *     THREAD_START -> idle          GIL_DROP io            -> io
 *     GIL_WAIT     -> waiting       GIL_DROP forced/yield  -> waiting
 *     GIL_TAKE     -> running       GIL_DROP exit          -> idle
 *     THREAD_END closes the open segment.
 *
 * Inside a native step (from its STEP_BEGIN to its STEP_END) a drop for
 * I/O means the thread runs C code without the GIL: native, not io; inside
 * a lock step it means the thread is blocked on the lock: lock.
 *
 * Events of other kinds, and unknown kinds, change nothing. A drop with an
 * unknown reason counts as idle (the GIL is released, for no known
 * purpose). A thread whose events stop without THREAD_END (a full buffer, a
 * killed worker) is closed at its last event. Events before THREAD_START
 * still open segments, so a truncated trace keeps what it has. A stamp
 * earlier than the open segment's start is treated as equal to it, so no
 * segment has negative length. Zero-length segments are omitted, and a
 * segment that follows one of the same state without a gap is merged
 * into it.
 *
 * The output holds at most one segment per event, which bounds the one
 * allocation.
 */
#include "trace.h"
#include "trace_internal.h"

#include <errno.h>
#include <stdlib.h>

/* The state an event moves its thread to, or -1 for none. */
static int
next_state(const struct sim_trace_event *e)
{
    switch (e->kind) {
    case SIM_EV_THREAD_START:
        return SIM_STATE_IDLE;
    case SIM_EV_GIL_WAIT:
        return SIM_STATE_WAITING;
    case SIM_EV_GIL_TAKE:
        return SIM_STATE_RUNNING;
    case SIM_EV_GIL_DROP:
        switch (e->detail) {
        case SIM_DROP_IO:
            return SIM_STATE_IO;
        case SIM_DROP_FORCED:
        case SIM_DROP_YIELD:
            return SIM_STATE_WAITING;
        default:
            return SIM_STATE_IDLE;
        }
    default:
        return -1;
    }
}

/* Appends [begin, end) unless it is empty; merges it into the previous
 * segment when that one is of the same thread and state and ends where this
 * one begins. */
void
sim_trace__segment_emit(struct sim_segment *seg, size_t *n, uint32_t thread,
                        int state, int64_t begin, int64_t end)
{
    struct sim_segment *last = *n > 0 ? &seg[*n - 1] : NULL;

    if (end <= begin) {
        return;
    }
    if (last != NULL && last->thread == thread && last->state == state &&
        last->end_ns == begin) {
        last->end_ns = end;
        return;
    }
    seg[*n].begin_ns = begin;
    seg[*n].end_ns = end;
    seg[*n].thread = thread;
    seg[*n].state = (uint8_t)state;
    (*n)++;
}

static int
thread_segments(const struct sim_trace_buf *b, uint32_t thread,
                struct sim_segment *seg, size_t *n)
{
    uint64_t count = b->n < b->cap ? b->n : b->cap;
    int state = -1;  /* none open */
    int inside = -1; /* the step under way (enum sim_step), -1: none */
    int64_t begin = 0;
    int64_t t = 0;
    uint64_t i;

    for (i = 0; i < count; i++) {
        const struct sim_trace_event *e = &b->ev[i];
        int next;

        t = e->t_ns;
        if (state >= 0 && t < begin) {
            t = begin;
        }
        if (e->kind == SIM_EV_THREAD_END) {
            if (state >= 0) {
                sim_trace__segment_emit(seg, n, thread, state, begin, t);
            }
            state = -1;
            continue;
        }
        if (e->kind == SIM_EV_STEP_BEGIN || e->kind == SIM_EV_STEP_END) {
            inside = e->kind == SIM_EV_STEP_BEGIN ? (int)e->detail : -1;
        }
        next = next_state(e);
        if (next == SIM_STATE_IO && inside == SIM_STEP_NATIVE) {
            next = SIM_STATE_NATIVE;
        } else if (next == SIM_STATE_IO && inside == SIM_STEP_LOCK) {
            next = SIM_STATE_LOCK;
        }
        if (next < 0 || next == state) {
            continue;
        }
        if (state >= 0) {
            sim_trace__segment_emit(seg, n, thread, state, begin, t);
        }
        state = next;
        begin = t;
    }
    if (state >= 0) {
        sim_trace__segment_emit(seg, n, thread, state, begin, t);
    }
    return 0;
}

int
sim_trace__segments_walk(const struct sim_trace *t,
                         int (*thread_fn)(const struct sim_trace_buf *b,
                                          uint32_t thread,
                                          struct sim_segment *seg, size_t *n),
                         struct sim_segment **out, size_t *n)
{
    size_t threads, i;
    uint64_t total = 0;
    struct sim_segment *seg;
    int rc;

    if (t == NULL || out == NULL || n == NULL) {
        return -EINVAL;
    }
    *out = NULL;
    *n = 0;
    threads = sim_trace_thread_count(t);
    for (i = 0; i < threads; i++) {
        const struct sim_trace_buf *b = sim_trace_thread(t, i);
        total += b->n < b->cap ? b->n : b->cap;
    }
    if (total == 0) {
        return 0;
    }
    if (total > SIZE_MAX / sizeof(*seg)) {
        return -ENOMEM;
    }
    seg = malloc((size_t)total * sizeof(*seg));
    if (seg == NULL) {
        return -ENOMEM;
    }
    for (i = 0; i < threads; i++) {
        rc = thread_fn(sim_trace_thread(t, i), (uint32_t)i, seg, n);
        if (rc != 0) {
            free(seg);
            *n = 0;
            return rc;
        }
    }
    *out = seg;
    return 0;
}

int
sim_trace_segments(const struct sim_trace *t, struct sim_segment **out,
                   size_t *n)
{
    return sim_trace__segments_walk(t, thread_segments, out, n);
}
