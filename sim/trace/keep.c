/*
 * keep.c - what part of a recorded trace the files get (--trace=head or
 * ring, --trace-events per thread).
 *
 * The recorder keeps far more events in memory than a run should write:
 * the statistics are taken from all of them first (sim_trace_stats), and
 * then sim_trace_keep() cuts each thread's buffer to the part the writers
 * and the timeline get: its first N events (head) or its last N (ring,
 * moved to the front so that every reader still sees ev[0..n) in time
 * order). What was cut is counted, and the moment the files stop (head)
 * or start (ring) being complete is returned, so the run can say so in
 * summary.json, the timeline's title and index.html.
 */
#include <string.h>

#include "trace_internal.h"

void
sim_trace_keep(struct sim_trace *t, enum sim_trace_keep mode,
               uint64_t per_thread, struct sim_trace_cut *cut)
{
    size_t i, n = sim_trace_thread_count(t);

    memset(cut, 0, sizeof(*cut));
    cut->complete_from_ns = INT64_MIN;
    cut->complete_to_ns = INT64_MAX;
    for (i = 0; i < n; i++) {
        struct sim_trace_buf *b = sim_trace__thread_mut(t, i);
        uint64_t drop;

        if (b->n <= per_thread) {
            continue;
        }
        drop = b->n - per_thread;
        if (mode == SIM_TRACE_KEEP_RING) {
            memmove(b->ev, b->ev + drop, (size_t)per_thread * sizeof(b->ev[0]));
        }
        b->n = per_thread;
        cut->events += drop;
        if (per_thread == 0) {
            continue;
        }
        /* Before its first kept event (ring) or after its last (head), this
         * thread's part of the files is missing. */
        if (mode == SIM_TRACE_KEEP_RING &&
            b->ev[0].t_ns > cut->complete_from_ns) {
            cut->complete_from_ns = b->ev[0].t_ns;
        }
        if (mode == SIM_TRACE_KEEP_HEAD &&
            b->ev[b->n - 1].t_ns < cut->complete_to_ns) {
            cut->complete_to_ns = b->ev[b->n - 1].t_ns;
        }
    }
}
