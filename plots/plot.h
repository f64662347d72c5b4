/*
 * plot.h - the public interface of plots/: turning a trace into the data
 * that the gnuplot templates (the .gp files in plots/) draw.
 *
 * plots/ links only gilsim_trace. It reads what sim/trace/ recorded and
 * never runs a workload.
 *
 * Ownership: arguments are borrowed; the FILE * is never closed.
 */
#ifndef GILSIM_PLOT_H
#define GILSIM_PLOT_H

#include <stdint.h>
#include <stdio.h>

#include "trace.h"

#define PLOT_WARN_UNUSED __attribute__((warn_unused_result))

/*
 * Writes the timeline of a trace as one line per drawn segment:
 *
 *     lane \t begin_ms \t end_ms \t state \t thread_name
 *
 * lane is the thread's index in the trace, and times are milliseconds
 * relative to the trace's origin. Only the window [from_ns, to_ns) (ns
 * relative to the origin) is written, with segments clipped to it; to_ns
 * <= 0 means up to the end of the trace. Adjacent segments of the same
 * state are merged. A segment shorter than min_ns (narrower than a pixel)
 * is not drawn on its own: it is absorbed by its neighbour, so the lane
 * shows no gap. Returns 0 or -errno (-EINVAL, -ENOMEM, -EIO).
 */
int plot_write_timeline_data(const struct sim_trace *t, int64_t from_ns,
                             int64_t to_ns, int64_t min_ns,
                             FILE *f) PLOT_WARN_UNUSED;

#endif /* GILSIM_PLOT_H */
