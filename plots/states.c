/*
 * states.c - a timeline for many threads: instead of one lane per thread
 * (a picture 28 px a lane would be 28 000 px tall for 1000 threads), how
 * many threads were in each state over time, as stacked areas.
 *
 * The window is cut into bins; each state segment of each thread adds to
 * every bin it overlaps the share of the bin it covers, so a bin's value
 * for a state is the mean number of threads in that state during the bin
 * (time-weighted, not a sample), and the values of a bin add up to the
 * number of threads whose trace covers the whole bin.
 */
#include "plot.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int
plot_state_bins(const struct sim_segment *seg, size_t n, int64_t lo_ns,
                int64_t hi_ns, size_t bins, double *out)
{
    double width;
    size_t i;

    if (hi_ns <= lo_ns || bins == 0) {
        return -EINVAL;
    }
    memset(out, 0, bins * SIM_STATE_COUNT * sizeof(*out));
    width = (double)(hi_ns - lo_ns) / (double)bins;
    for (i = 0; i < n; i++) {
        int64_t begin = seg[i].begin_ns > lo_ns ? seg[i].begin_ns : lo_ns;
        int64_t end = seg[i].end_ns < hi_ns ? seg[i].end_ns : hi_ns;
        size_t b, last;

        if (end <= begin || seg[i].state >= SIM_STATE_COUNT) {
            continue;
        }
        b = (size_t)((double)(begin - lo_ns) / width);
        last = (size_t)((double)(end - lo_ns) / width);
        last = last < bins ? last : bins - 1;
        for (; b <= last && b < bins; b++) {
            double b0 = (double)lo_ns + width * (double)b;
            double b1 = b0 + width;
            double s = (double)begin > b0 ? (double)begin : b0;
            double e = (double)end < b1 ? (double)end : b1;

            if (e > s) {
                out[b * SIM_STATE_COUNT + seg[i].state] += (e - s) / width;
            }
        }
    }
    return 0;
}

int
plot_write_state_data(const struct sim_trace *t, int64_t from_ns, int64_t to_ns,
                      size_t bins, FILE *f)
{
    struct sim_segment *seg;
    double *v;
    int64_t origin = sim_trace_origin_ns(t);
    int64_t lo = origin + (from_ns > 0 ? from_ns : 0);
    int64_t hi = origin + to_ns;
    size_t n, b;
    int rc;

    rc = sim_trace_segments(t, &seg, &n);
    if (rc != 0) {
        return rc;
    }
    v = calloc(bins * SIM_STATE_COUNT, sizeof(*v));
    if (v == NULL) {
        free(seg);
        return -ENOMEM;
    }
    rc = plot_state_bins(seg, n, lo, hi, bins, v);
    free(seg);
    if (rc != 0) {
        free(v);
        return rc;
    }
    /* begin_ms, then the threads running, waiting, in I/O and idle. */
    for (b = 0; b < bins; b++) {
        const double *x = &v[b * SIM_STATE_COUNT];
        double ms = ((double)(lo - origin) +
                     (double)(hi - lo) * (double)b / (double)bins) /
                    1e6;

        /* Native code runs, and a thread blocked on a lock waits, with
         * the GIL released: drawn with I/O here. */
        fprintf(f, "%.6f\t%.4f\t%.4f\t%.4f\t%.4f\n", ms, x[SIM_STATE_RUNNING],
                x[SIM_STATE_WAITING],
                x[SIM_STATE_IO] + x[SIM_STATE_NATIVE] + x[SIM_STATE_LOCK],
                x[SIM_STATE_IDLE]);
    }
    free(v);
    return ferror(f) ? -EIO : 0;
}
