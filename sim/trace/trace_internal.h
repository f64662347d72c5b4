/*
 * trace_internal.h - private to sim/trace/; everyone else includes trace.h.
 *
 * Helpers shared by the files of the trace module:
 *
 * - A k-way merge of the per-thread event streams in time order. Each
 *   thread's events are already in time order (one thread records them), so
 *   a binary heap over the head of each stream yields all events sorted by
 *   time in O(n log k) and keeps every thread's own order intact even when
 *   stamps tie. Ties between threads go to the lower thread index, or, with
 *   `drops_first`, to a GIL_DROP first (a take stamped at the same
 *   nanosecond as another thread's drop came after it).
 * - JSON string output that escapes quotes, backslashes and control
 *   characters and replaces bytes that are not valid UTF-8, so the writers
 *   always produce text that a strict JSON parser accepts.
 * - Fixed-point formatting of nanoseconds as microseconds or milliseconds.
 */
#ifndef GILSIM_TRACE_INTERNAL_H
#define GILSIM_TRACE_INTERNAL_H

#include "trace.h"

struct sim_trace__merge {
    const struct sim_trace *t;
    uint32_t kinds;  /* bit (1 << kind) set for each kind to yield */
    int drops_first; /* break time ties in favour of GIL_DROP */
    size_t *heap;    /* thread indices, ordered by their head event */
    size_t nheap;    /* threads that still have events */
    uint64_t *pos;   /* per thread: index of its head event */
};

/* Segments (segments.c, steps.c): thread_fn over every thread's buffer
 * into one array with room for as many segments as the trace has events
 * (*out NULL when it has none); 0, or -errno (-EINVAL, -ENOMEM, or
 * thread_fn's, with nothing left). And the append of [begin, end) in
 * `state`, merged into the previous segment when it is of the same thread
 * and state and ends where this one begins (nothing for an empty one). */
int sim_trace__segments_walk(
    const struct sim_trace *t,
    int (*thread_fn)(const struct sim_trace_buf *b, uint32_t thread,
                     struct sim_segment *seg, size_t *n),
    struct sim_segment **out, size_t *n) SIM_TRACE_WARN_UNUSED;
void sim_trace__segment_emit(struct sim_segment *seg, size_t *n,
                             uint32_t thread, int state, int64_t begin,
                             int64_t end);

/* Bit mask that selects every event kind. */
#define SIM_TRACE__ALL_KINDS ((uint32_t)((1u << SIM_EV_COUNT) - 1u))

int sim_trace__merge_init(struct sim_trace__merge *m, const struct sim_trace *t,
                          uint32_t kinds,
                          int drops_first) SIM_TRACE_WARN_UNUSED;
/* 1 and the next event (and its thread) in time order, or 0 at the end. */
int sim_trace__merge_next(struct sim_trace__merge *m, size_t *thread,
                          const struct sim_trace_event **ev);
void sim_trace__merge_free(struct sim_trace__merge *m);

/* Writes ns as a decimal number of units with `digits` decimals, where one
 * unit is 10^digits ns (3: microseconds, 6: milliseconds). */
void sim_trace__fixed(FILE *f, int64_t ns, int digits);

/* Thread i's buffer, to change after the recorders stopped (keep.c). */
struct sim_trace_buf *sim_trace__thread_mut(struct sim_trace *t, size_t i);

/* A printable name: copies at most dstlen - 1 bytes of src into dst,
 * replacing tabs, newlines and other control characters with spaces. */
void sim_trace__clean_name(char *dst, size_t dstlen, const char *src);

#endif /* GILSIM_TRACE_INTERNAL_H */
