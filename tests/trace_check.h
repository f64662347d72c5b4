/*
 * trace_check.h - the GIL invariants that the model tests check on a
 * trace, in one walker: every thread's buffer is complete (no lost event,
 * THREAD_START first, THREAD_END last, stamps never go back), GIL_TAKE and
 * GIL_DROP alternate, a thread never waits or asks for a drop while it
 * holds the GIL, and, with `exclusive`, no two running segments (TAKE to
 * DROP) of any threads overlap. A test adds its own checks through the
 * per-event hook; and the span of a loop's fetches. Used by test_models.c,
 * test_executor.c, test_virtual.c and test_loop.c; cmocka
 * assertions inside, so call it from the test's own thread.
 */
#ifndef GILSIM_TESTS_TRACE_CHECK_H
#define GILSIM_TESTS_TRACE_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "trace.h"

/* GIL events counted while walking, to compare with struct gil_stats. */
struct trace_gil_counts {
    uint64_t takes, drops, waits, switches, drop_requests, forced;
};

/* Called for every event, after the walker applied it; `holding` is
 * whether thread `thread` holds the GIL at that point. */
struct trace_check_hook {
    void (*on_event)(void *ctx, size_t thread, const struct sim_trace_event *e,
                     int holding);
    void *ctx;
};

void trace_check_gil(const struct sim_trace *t, int exclusive,
                     const struct trace_check_hook *hook,
                     struct trace_gil_counts *out);

/* In one thread's buffer: when its last fetch step began and when its
 * first one ended (-1 if none). An event loop that sends every request
 * before any reply comes back has last_begin < first_end. */
void trace_fetch_span(const struct sim_trace_buf *b, int64_t *last_begin,
                      int64_t *first_end);

#endif /* GILSIM_TESTS_TRACE_CHECK_H */
