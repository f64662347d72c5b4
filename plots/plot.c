/*
 * plot.c - the data step of the timeline plots: a trace's state segments
 * as tab-separated lines that a gnuplot template draws as one lane per
 * thread.
 *
 * It takes the segments from sim_trace_segments() (ordered by thread, then
 * time), clips each to the requested window, and simplifies each lane
 * before writing it: a segment that continues one of the same state is
 * merged into it, and a segment shorter than min_ns is absorbed by the
 * segment before it (or, at the start of a run of touching segments, takes
 * on the state of the segment after it), so sub-pixel slivers neither
 * clutter the plot nor leave gaps. A short segment with no neighbour
 * touching it is dropped. Times are printed from integer nanoseconds as
 * milliseconds with six decimals.
 *
 * It includes only trace.h; plots/ links nothing but gilsim_trace.
 */
#include "plot.h"

#include <errno.h>
#include <stdlib.h>

/* One segment being built for a lane. */
struct lane_seg {
    int64_t begin_ns; /* absolute */
    int64_t end_ns;
    int state; /* enum sim_state */
};

struct timeline {
    FILE *f;
    const struct sim_trace *t;
    int64_t origin_ns; /* subtracted from every time written */
    int64_t min_ns;    /* shorter segments are absorbed */
};

static void
write_ms(FILE *f, int64_t ns)
{
    uint64_t mag = ns < 0 ? 0 - (uint64_t)ns : (uint64_t)ns;

    fprintf(f, "%s%llu.%06llu", ns < 0 ? "-" : "",
            (unsigned long long)(mag / 1000000),
            (unsigned long long)(mag % 1000000));
}

/* Writes s unless it is shorter than min_ns. */
static void
flush(const struct timeline *tl, uint32_t lane, const struct lane_seg *s)
{
    const struct sim_trace_buf *b = sim_trace_thread(tl->t, lane);
    const char *p;

    if (s->end_ns - s->begin_ns < tl->min_ns) {
        return;
    }
    fprintf(tl->f, "%u\t", (unsigned int)lane);
    write_ms(tl->f, s->begin_ns - tl->origin_ns);
    putc('\t', tl->f);
    write_ms(tl->f, s->end_ns - tl->origin_ns);
    fprintf(tl->f, "\t%s\t", sim_trace_state_name((enum sim_state)s->state));
    /* Control characters would break the line into fields or lines. */
    for (p = b->name; *p != '\0'; p++) {
        putc((unsigned char)*p < 0x20 ? ' ' : *p, tl->f);
    }
    putc('\n', tl->f);
}

int
plot_write_timeline_data(const struct sim_trace *t, int64_t from_ns,
                         int64_t to_ns, int64_t min_ns, FILE *f)
{
    struct timeline tl;
    struct sim_segment *seg;
    struct lane_seg cur = {0, 0, 0};
    uint32_t lane = 0;
    int have = 0;
    int64_t lo, hi;
    size_t n, i;
    int rc;

    if (t == NULL || f == NULL) {
        return -EINVAL;
    }
    tl.f = f;
    tl.t = t;
    tl.origin_ns = sim_trace_origin_ns(t);
    tl.min_ns = min_ns;
    lo = tl.origin_ns + from_ns;
    hi = to_ns > 0 ? tl.origin_ns + to_ns : INT64_MAX;
    rc = sim_trace_segments(t, &seg, &n);
    if (rc != 0) {
        return rc;
    }
    for (i = 0; i < n; i++) {
        struct lane_seg s;

        s.begin_ns = seg[i].begin_ns > lo ? seg[i].begin_ns : lo;
        s.end_ns = seg[i].end_ns < hi ? seg[i].end_ns : hi;
        s.state = seg[i].state;
        if (s.end_ns <= s.begin_ns) {
            continue;
        }
        if (have && seg[i].thread == lane && cur.end_ns == s.begin_ns) {
            if (cur.state == s.state || s.end_ns - s.begin_ns < min_ns) {
                cur.end_ns = s.end_ns;
                continue;
            }
            if (cur.end_ns - cur.begin_ns < min_ns) {
                cur.state = s.state;
                cur.end_ns = s.end_ns;
                continue;
            }
        }
        if (have) {
            flush(&tl, lane, &cur);
        }
        cur = s;
        lane = seg[i].thread;
        have = 1;
    }
    if (have) {
        flush(&tl, lane, &cur);
    }
    free(seg);
    return ferror(f) ? -EIO : 0;
}
