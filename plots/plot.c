/*
 * plot.c - the data steps of the plots: a trace's state segments, GIL
 * markers and thread names, and a run's summaries, as tab-separated lines
 * that the gnuplot templates (timeline.gp, comparison.gp) draw. gnuplot.c
 * runs gnuplot on them.
 *
 * It takes the segments from sim_trace_segments() (ordered by thread, then
 * time), clips each to the requested window, and simplifies each lane
 * before writing it. With min_ns (one pixel) above 0, the window is cut
 * into pixels of min_ns from its start: a pixel that one state fills whole
 * keeps that state, and a pixel shared by several states is drawn in the
 * one that filled most of it (on a tie, the one already being drawn).
 * Touching stretches of one state are then merged, so a lane has at most
 * one segment per pixel, no slivers and no gaps, and a thread that flips
 * state every few microseconds shows what it mostly did in each pixel
 * rather than whatever came first. Segment ends inside a pixel that one
 * state fills are kept exact. With min_ns 0 every segment is written,
 * merged only with a neighbour of the same state. Times are printed from
 * integer nanoseconds as milliseconds with six decimals.
 *
 * The step strip (plot_write_step_data) is the same for each thread's
 * step segments (sim_trace_step_segments): which kind of step it was in.
 *
 * Markers (drop requests, forced switches) come straight from the events,
 * thinned to one of each kind per lane and pixel for the same reason.
 *
 * It includes only trace.h and base.h; plots/ links nothing but
 * gilsim_trace (and the base layer beneath it).
 */
#include "plot.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
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
    int64_t min_ns;    /* one pixel; 0 = draw every segment */
    int kinds;         /* states (or step kinds): 0 .. kinds - 1 */
    const char *(*name)(int kind);
};

/* The most states or step kinds a lane is drawn in. */
#define LANE_KINDS 12
_Static_assert(SIM_STATE_COUNT <= LANE_KINDS && SIM_STEP_COUNT <= LANE_KINDS,
               "a lane's vote has a slot for every state and step kind");

static const char *
state_name(int s)
{
    return sim_trace_state_name((enum sim_state)s);
}

static const char *
step_name(int s)
{
    return sim_trace_step_name((enum sim_step)s);
}

static void
write_ms(FILE *f, int64_t ns)
{
    uint64_t mag = ns < 0 ? 0 - (uint64_t)ns : (uint64_t)ns;

    fprintf(f, "%s%llu.%06llu", ns < 0 ? "-" : "",
            (unsigned long long)(mag / 1000000),
            (unsigned long long)(mag % 1000000));
}

/* A thread name as one tab-separated field that gnuplot reads back as
 * given: no control characters (field and line breaks) and no double
 * quotes (gnuplot's quoting in data files). */
static void
write_name(FILE *f, const char *name)
{
    const char *p;

    for (p = name; *p != '\0'; p++) {
        int c = (unsigned char)*p;

        if (c < 0x20 || c == 0x7f) {
            c = ' ';
        } else if (c == '"') {
            c = '\'';
        }
        putc(c, f);
    }
}

/* Writes one drawn segment. */
static void
flush(const struct timeline *tl, uint32_t lane, const struct lane_seg *s)
{
    const struct sim_trace_buf *b = sim_trace_thread(tl->t, lane);

    fprintf(tl->f, "%u\t", (unsigned int)lane);
    write_ms(tl->f, s->begin_ns - tl->origin_ns);
    putc('\t', tl->f);
    write_ms(tl->f, s->end_ns - tl->origin_ns);
    fprintf(tl->f, "\t%s\t", tl->name(s->state));
    write_name(tl->f, b->name);
    putc('\n', tl->f);
}

/* One lane being simplified: the run of one state being built, and the
 * pixel (bucket k covers [lo + k * min_ns, lo + (k + 1) * min_ns)) being
 * filled with pieces shorter than itself. */
struct lane {
    uint32_t id;
    int have_run;
    struct lane_seg run;
    int have_bucket;
    int64_t bucket;
    int64_t b_begin, b_end; /* the part of the bucket covered so far */
    int64_t acc[LANE_KINDS];
};

/* Append [begin, end) in `state` to the lane's run, writing the run when
 * the state changes. */
static void
run_add(const struct timeline *tl, struct lane *ln, int64_t begin, int64_t end,
        int state)
{
    if (ln->have_run && ln->run.state == state && ln->run.end_ns == begin) {
        ln->run.end_ns = end;
        return;
    }
    if (ln->have_run) {
        flush(tl, ln->id, &ln->run);
    }
    ln->run.begin_ns = begin;
    ln->run.end_ns = end;
    ln->run.state = state;
    ln->have_run = 1;
}

/* A mixed pixel is drawn in the state that filled most of it; on a tie,
 * in the state already being drawn, so a lane does not flicker. */
static void
bucket_close(const struct timeline *tl, struct lane *ln)
{
    int64_t most = -1;
    int best = 0;
    int k;

    if (!ln->have_bucket) {
        return;
    }
    for (k = 0; k < tl->kinds; k++) {
        if (ln->acc[k] > most) {
            most = ln->acc[k];
            best = k;
        }
    }
    if (ln->have_run && ln->run.state >= 0 && ln->run.state < tl->kinds &&
        ln->acc[ln->run.state] == most) {
        best = ln->run.state;
    }
    run_add(tl, ln, ln->b_begin, ln->b_end, best);
    ln->have_bucket = 0;
}

static void
lane_add(const struct timeline *tl, struct lane *ln, int64_t lo, int64_t begin,
         int64_t end, int state)
{
    int64_t w = tl->min_ns;

    if (w <= 0) {
        run_add(tl, ln, begin, end, state);
        return;
    }
    while (begin < end) {
        int64_t k = (begin - lo) / w;
        int64_t b_lo = lo + k * w;
        /* Saturated: a pixel that would end past INT64_MAX ends there, so
         * the loop still moves on (begin < end <= INT64_MAX). */
        int64_t b_hi = b_lo > INT64_MAX - w ? INT64_MAX : b_lo + w;
        int64_t piece_end = end < b_hi ? end : b_hi;

        if (ln->have_bucket && ln->bucket != k) {
            bucket_close(tl, ln);
        }
        if (!ln->have_bucket && begin == b_lo && end >= b_hi) {
            /* Whole pixels of one state need no vote. */
            int64_t full_end = lo + ((end - lo) / w) * w;

            run_add(tl, ln, begin, full_end, state);
            begin = full_end;
            continue;
        }
        if (!ln->have_bucket) {
            ln->have_bucket = 1;
            ln->bucket = k;
            ln->b_begin = begin;
            memset(ln->acc, 0, sizeof(ln->acc));
        }
        if (state >= 0 && state < tl->kinds) {
            ln->acc[state] += piece_end - begin;
        }
        ln->b_end = piece_end;
        begin = piece_end;
    }
}

static void
lane_end(const struct timeline *tl, struct lane *ln)
{
    bucket_close(tl, ln);
    if (ln->have_run) {
        flush(tl, ln->id, &ln->run);
    }
    ln->have_run = 0;
}

/* The lanes of `seg` (ordered by thread, then time), clipped to the
 * window and simplified to a pixel, as lines of `tl`. */
static void
write_lanes(struct timeline *tl, const struct sim_segment *seg, size_t n,
            int64_t from_ns, int64_t to_ns)
{
    struct lane ln;
    int have = 0;
    int64_t lo, hi;
    size_t i;

    lo = tl->origin_ns + (from_ns > 0 ? from_ns : 0);
    hi = to_ns > 0 ? tl->origin_ns + to_ns : INT64_MAX;
    memset(&ln, 0, sizeof(ln));
    for (i = 0; i < n; i++) {
        int64_t begin = seg[i].begin_ns > lo ? seg[i].begin_ns : lo;
        int64_t end = seg[i].end_ns < hi ? seg[i].end_ns : hi;

        if (end <= begin) {
            continue;
        }
        if (have && seg[i].thread != ln.id) {
            lane_end(tl, &ln);
            have = 0;
        }
        if (!have) {
            memset(&ln, 0, sizeof(ln));
            ln.id = seg[i].thread;
            have = 1;
        }
        lane_add(tl, &ln, lo, begin, end, seg[i].state);
    }
    if (have) {
        lane_end(tl, &ln);
    }
}

static int
write_segments(const struct sim_trace *t, int steps, int64_t from_ns,
               int64_t to_ns, int64_t min_ns, FILE *f)
{
    struct timeline tl;
    struct sim_segment *seg;
    size_t n;
    int rc;

    if (t == NULL || f == NULL) {
        return -EINVAL;
    }
    tl.f = f;
    tl.t = t;
    tl.origin_ns = sim_trace_origin_ns(t);
    tl.min_ns = min_ns;
    tl.kinds = steps ? SIM_STEP_COUNT : SIM_STATE_COUNT;
    tl.name = steps ? step_name : state_name;
    rc = steps ? sim_trace_step_segments(t, &seg, &n)
               : sim_trace_segments(t, &seg, &n);
    if (rc != 0) {
        return rc;
    }
    write_lanes(&tl, seg, n, from_ns, to_ns);
    free(seg);
    return ferror(f) ? -EIO : 0;
}

int
plot_write_timeline_data(const struct sim_trace *t, int64_t from_ns,
                         int64_t to_ns, int64_t min_ns, FILE *f)
{
    return write_segments(t, 0, from_ns, to_ns, min_ns, f);
}

int
plot_write_step_data(const struct sim_trace *t, int64_t from_ns, int64_t to_ns,
                     int64_t min_ns, FILE *f)
{
    return write_segments(t, 1, from_ns, to_ns, min_ns, f);
}

int
plot_write_lane_data(const struct sim_trace *t, FILE *f)
{
    size_t i, n;

    if (t == NULL || f == NULL) {
        return -EINVAL;
    }
    n = sim_trace_thread_count(t);
    for (i = 0; i < n; i++) {
        fprintf(f, "%u\t", (unsigned int)i);
        write_name(f, sim_trace_thread(t, i)->name);
        putc('\n', f);
    }
    return ferror(f) ? -EIO : 0;
}

int
plot_write_marker_data(const struct sim_trace *t, int64_t from_ns,
                       int64_t to_ns, int64_t min_ns, FILE *f)
{
    static const char *const kind_name[2] = {"drop_request", "forced_switch"};
    int64_t origin, lo, hi;
    size_t i, n;

    if (t == NULL || f == NULL) {
        return -EINVAL;
    }
    origin = sim_trace_origin_ns(t);
    lo = origin + from_ns;
    hi = to_ns > 0 ? origin + to_ns : INT64_MAX;
    n = sim_trace_thread_count(t);
    for (i = 0; i < n; i++) {
        const struct sim_trace_buf *b = sim_trace_thread(t, i);
        int64_t last[2] = {INT64_MIN, INT64_MIN};
        uint64_t k;

        for (k = 0; k < b->n; k++) {
            const struct sim_trace_event *e = &b->ev[k];
            int kind;

            if (e->kind == SIM_EV_GIL_DROP_REQUEST) {
                kind = 0;
            } else if (e->kind == SIM_EV_GIL_DROP &&
                       e->detail == SIM_DROP_FORCED) {
                kind = 1;
            } else {
                continue;
            }
            if (e->t_ns < lo || e->t_ns >= hi) {
                continue;
            }
            if (last[kind] != INT64_MIN && e->t_ns - last[kind] < min_ns) {
                continue;
            }
            last[kind] = e->t_ns;
            fprintf(f, "%u\t", (unsigned int)i);
            write_ms(f, e->t_ns - origin);
            fprintf(f, "\t%s\n", kind_name[kind]);
        }
    }
    return ferror(f) ? -EIO : 0;
}

/* ns as seconds with nine decimals, exactly. */
static void
write_s(FILE *f, int64_t ns)
{
    uint64_t mag = ns < 0 ? 0 - (uint64_t)ns : (uint64_t)ns;

    fprintf(f, "%s%llu.%09llu", ns < 0 ? "-" : "",
            (unsigned long long)(mag / 1000000000),
            (unsigned long long)(mag % 1000000000));
}

int
plot_write_comparison_data(const struct sim_trace_summary *runs, size_t n,
                           FILE *f)
{
    size_t i;

    if ((runs == NULL && n > 0) || f == NULL) {
        return -EINVAL;
    }
    fputs("model\twall_s\twall_min_s\twall_max_s\trepeat\trunning_pct\t"
          "waiting_pct\tio_pct\tidle_pct\n",
          f);
    for (i = 0; i < n; i++) {
        const struct sim_trace_summary *r = &runs[i];
        const struct sim_trace_stats *st = &r->stats;
        double part[4];
        double sum;
        int k;

        part[0] = (double)(st->hold_ns > 0 ? st->hold_ns : 0);
        part[1] = (double)(st->wait_ns > 0 ? st->wait_ns : 0);
        part[2] = (double)(st->io_ns > 0 ? st->io_ns : 0);
        part[3] = (double)(st->idle_ns > 0 ? st->idle_ns : 0);
        sum = part[0] + part[1] + part[2] + part[3];
        write_name(f, r->model);
        putc('\t', f);
        write_s(f, r->wall_ns);
        putc('\t', f);
        write_s(f, r->wall_ns_min);
        putc('\t', f);
        write_s(f, r->wall_ns_max);
        fprintf(f, "\t%d", r->repeat);
        for (k = 0; k < 4; k++) {
            fprintf(f, "\t%.3f", sum > 0.0 ? 100.0 * part[k] / sum : 0.0);
        }
        putc('\n', f);
    }
    return ferror(f) ? -EIO : 0;
}

/* ---- sweeps ------------------------------------------------------------- */

/* Sort and deduplicate v[0..n); returns the new count. */
static size_t
uniq_sorted(int64_t *v, size_t n)
{
    size_t i, k = 0;

    base_sort_i64(v, n);
    for (i = 0; i < n; i++) {
        if (k == 0 || v[k - 1] != v[i]) {
            v[k++] = v[i];
        }
    }
    return k;
}

static size_t
index_of(const int64_t *v, size_t n, int64_t x)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (v[i] == x) {
            return i;
        }
    }
    return 0;
}

/* The position of cells[i].model among the distinct models, in order of
 * first appearance. */
static size_t
model_position(const struct plot_sweep_cell *cells, size_t i)
{
    size_t first = 0, m = 0, j, l;

    while (strcmp(cells[first].model, cells[i].model) != 0) {
        first++;
    }
    for (j = 0; j < first; j++) {
        for (l = 0; l < j; l++) {
            if (strcmp(cells[l].model, cells[j].model) == 0) {
                break;
            }
        }
        if (l == j) {
            m++;
        }
    }
    return m;
}

int
plot_write_sweep_data(const struct plot_sweep_cell *cells, size_t n, FILE *f)
{
    int64_t *pools = NULL, *sis = NULL;
    size_t *order = NULL;
    unsigned char *done = NULL;
    size_t npool, nsi, i, j, k, blocks = 0;
    int rc = 0;

    if ((cells == NULL && n > 0) || f == NULL) {
        return -EINVAL;
    }
    if (n == 0) {
        return 0;
    }
    pools = calloc(n, sizeof(*pools));
    sis = calloc(n, sizeof(*sis));
    order = calloc(n, sizeof(*order));
    done = calloc(n, 1);
    if (pools == NULL || sis == NULL || order == NULL || done == NULL) {
        rc = -ENOMEM;
        goto out;
    }
    for (i = 0; i < n; i++) {
        pools[i] = cells[i].pool;
        sis[i] = cells[i].switch_interval_ns;
    }
    npool = uniq_sorted(pools, n);
    nsi = uniq_sorted(sis, n);
    for (i = 0; i < n; i++) {
        size_t m, cnt = 0;
        double si_ms = (double)cells[i].switch_interval_ns / 1e6;

        if (done[i]) {
            continue;
        }
        m = model_position(cells, i);
        /* This block: every cell of the same model and interval, by pool. */
        for (j = i; j < n; j++) {
            if (!done[j] && strcmp(cells[j].model, cells[i].model) == 0 &&
                cells[j].switch_interval_ns == cells[i].switch_interval_ns) {
                for (k = cnt; k > 0 && cells[order[k - 1]].pool > cells[j].pool;
                     k--) {
                    order[k] = order[k - 1];
                }
                order[k] = j;
                cnt++;
                done[j] = 1;
            }
        }
        if (blocks > 0) {
            fputs("\n\n", f);
        }
        blocks++;
        write_name(f, cells[i].model);
        fprintf(f,
                ", %.6g ms\tpool\tsi_ms\twall_s\twall_min_s\twall_max_s\t"
                "xi\tyi\tmi\n",
                si_ms);
        for (k = 0; k < cnt; k++) {
            const struct plot_sweep_cell *c = &cells[order[k]];

            write_name(f, c->model);
            fprintf(f, ", %.6g ms\t%d\t%.6g\t", si_ms, c->pool, si_ms);
            write_s(f, c->wall_ns_median);
            putc('\t', f);
            write_s(f, c->wall_ns_min);
            putc('\t', f);
            write_s(f, c->wall_ns_max);
            fprintf(f, "\t%zu\t%zu\t%zu\n", index_of(pools, npool, c->pool),
                    index_of(sis, nsi, c->switch_interval_ns), m);
        }
    }
    rc = ferror(f) ? -EIO : 0;
out:
    free(pools);
    free(sis);
    free(order);
    free(done);
    return rc;
}
