/*
 * charts.c - the pictures gilsim draws: a run's timeline (one lane per
 * thread, coloured by state, with drop requests and forced switches), the
 * comparison of the models of a run, and a sweep's plots. Each fills a
 * gnuplot job with its template, variables and data files (plot.c writes
 * the data) and hands it to gnuplot.c's plot__render.
 */
#include "plot.h"
#include "plot_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
/* ---- the timeline ------------------------------------------------------- */

struct window {
    const struct sim_trace *t;
    int64_t from_ns, to_ns, min_ns;
};

static int
fill_segments(const void *ctx, FILE *f)
{
    const struct window *w = ctx;

    return plot_write_timeline_data(w->t, w->from_ns, w->to_ns, w->min_ns, f);
}

/* " cpu fetch write " : the step kinds the trace has, for the legend. */
static void
kinds_present(const struct sim_trace *t, char *buf, size_t len)
{
    int seen[SIM_STEP_COUNT] = {0};
    size_t i, used;
    uint64_t k;
    int s;

    for (i = 0; i < sim_trace_thread_count(t); i++) {
        const struct sim_trace_buf *b = sim_trace_thread(t, i);

        for (k = 0; k < b->n && k < b->cap; k++) {
            if (b->ev[k].kind == SIM_EV_STEP_BEGIN &&
                b->ev[k].detail < SIM_STEP_COUNT) {
                seen[b->ev[k].detail] = 1;
            }
        }
    }
    (void)snprintf(buf, len, " ");
    for (s = 0; s < SIM_STEP_COUNT; s++) {
        used = strlen(buf);
        if (seen[s] && used < len) {
            (void)snprintf(buf + used, len - used, "%s ",
                           sim_trace_step_name((enum sim_step)s));
        }
    }
}

static int
fill_steps(const void *ctx, FILE *f)
{
    const struct window *w = ctx;

    return plot_write_step_data(w->t, w->from_ns, w->to_ns, w->min_ns, f);
}

static int
fill_markers(const void *ctx, FILE *f)
{
    const struct window *w = ctx;

    return plot_write_marker_data(w->t, w->from_ns, w->to_ns, w->min_ns, f);
}

static int
fill_states(const void *ctx, FILE *f)
{
    const struct window *w = ctx;

    return plot_write_state_data(w->t, w->from_ns, w->to_ns, PLOT_STATE_BINS,
                                 f);
}

static int
fill_lanes(const void *ctx, FILE *f)
{
    const struct window *w = ctx;

    return plot_write_lane_data(w->t, f);
}

/* The last event's time, relative to the origin; 0 for an empty trace. */
static int64_t
trace_end_ns(const struct sim_trace *t)
{
    int64_t end = INT64_MIN;
    size_t i, n = sim_trace_thread_count(t);

    for (i = 0; i < n; i++) {
        const struct sim_trace_buf *b = sim_trace_thread(t, i);

        if (b->n > 0 && b->ev[b->n - 1].t_ns > end) {
            end = b->ev[b->n - 1].t_ns;
        }
    }
    if (end == INT64_MIN) {
        return 0;
    }
    return end - sim_trace_origin_ns(t);
}

/* ns as a millisecond number for gnuplot. */
static void
ms_text(int64_t ns, char *buf, size_t len)
{
    (void)snprintf(buf, len, "%.6f", (double)ns / 1e6);
}

int
plot_timeline(const struct sim_trace *t, const char *title, int64_t from_ns,
              int64_t to_ns, const char *out_base, const char *gp_dir,
              char *err, size_t errlen)
{
    return plot_timeline_cut(t, title, from_ns, to_ns, NULL, out_base, gp_dir,
                             err, errlen);
}

int
plot_timeline_cut(const struct sim_trace *t, const char *title, int64_t from_ns,
                  int64_t to_ns, const struct plot_cut *cut,
                  const char *out_base, const char *gp_dir, char *err,
                  size_t errlen)
{
    struct gp_job job;
    struct window w;
    char lanes[32], xmin[48], xmax[48], cutfrom[48], cutto[48];
    char agg_title[512], kinds[96], namechars[24];
    size_t n, i, longest = 0;

    if (t == NULL || out_base == NULL) {
        (void)snprintf(err, errlen, "no trace or no output path");
        return -EINVAL;
    }
    n = sim_trace_thread_count(t);
    w.t = t;
    w.from_ns = from_ns > 0 ? from_ns : 0;
    w.to_ns = to_ns > 0 ? to_ns : trace_end_ns(t);
    if (to_ns <= 0 && cut != NULL && cut->run_end_ns > w.to_ns) {
        w.to_ns = cut->run_end_ns; /* the axis spans the run, cut or not */
    }
    if (w.to_ns <= w.from_ns) {
        w.to_ns = w.from_ns + 1000000; /* an empty window still plots */
    }
    /* One pixel of the picture: narrower segments are absorbed. */
    w.min_ns = (w.to_ns - w.from_ns) / PLOT_WIDTH;
    (void)snprintf(lanes, sizeof(lanes), "%zu", n > 0 ? n : 1);
    ms_text(w.from_ns, xmin, sizeof(xmin));
    ms_text(w.to_ns, xmax, sizeof(xmax));

    memset(&job, 0, sizeof(job));
    job.template_name = "timeline.gp";
    job.gp_dir = gp_dir;
    job.out_base = out_base;
    if (n > PLOT_MAX_LANES) {
        /* Never silently: the title says the lanes were summed. */
        (void)snprintf(agg_title, sizeof(agg_title),
                       "%.400s; %zu threads, counted per state",
                       title != NULL ? title : "gilsim", n);
        job.template_name = "states.gp";
        job.vars[job.nvars++] = (struct gp_var){"title", agg_title, 1};
        job.vars[job.nvars++] = (struct gp_var){"threads", lanes, 0};
    } else {
        job.vars[job.nvars++] =
            (struct gp_var){"title", title != NULL ? title : "gilsim", 1};
        job.vars[job.nvars++] = (struct gp_var){"lanes", lanes, 0};
        /* The lanes' names set the left margin (QueueFeederThread). */
        for (i = 0; i < n; i++) {
            size_t len = strlen(sim_trace_thread(t, i)->name);

            longest = len > longest ? len : longest;
        }
        (void)snprintf(namechars, sizeof(namechars), "%zu", longest);
        job.vars[job.nvars++] = (struct gp_var){"namechars", namechars, 0};
    }
    job.vars[job.nvars++] = (struct gp_var){"xmin", xmin, 0};
    job.vars[job.nvars++] = (struct gp_var){"xmax", xmax, 0};
    if (cut != NULL && cut->missing_to_ns > cut->missing_from_ns) {
        ms_text(cut->missing_from_ns, cutfrom, sizeof(cutfrom));
        ms_text(cut->missing_to_ns, cutto, sizeof(cutto));
        job.vars[job.nvars++] = (struct gp_var){"cutfrom", cutfrom, 0};
        job.vars[job.nvars++] = (struct gp_var){"cutto", cutto, 0};
    }
    if (n > PLOT_MAX_LANES) {
        job.data[job.ndata++] =
            (struct gp_data){"datafile", "states", fill_states, &w, ""};
        return plot__render(&job, err, errlen);
    }
    kinds_present(t, kinds, sizeof(kinds));
    job.vars[job.nvars++] = (struct gp_var){"stepkinds", kinds, 1};
    job.data[job.ndata++] =
        (struct gp_data){"datafile", "segments", fill_segments, &w, ""};
    job.data[job.ndata++] =
        (struct gp_data){"stepsfile", "steps", fill_steps, &w, ""};
    job.data[job.ndata++] =
        (struct gp_data){"markersfile", "markers", fill_markers, &w, ""};
    job.data[job.ndata++] =
        (struct gp_data){"lanesfile", "lanes", fill_lanes, &w, ""};
    return plot__render(&job, err, errlen);
}

/* ---- the comparison ----------------------------------------------------- */

struct runs {
    const struct sim_trace_summary *runs;
    size_t n;
};

static int
fill_comparison(const void *ctx, FILE *f)
{
    const struct runs *r = ctx;

    return plot_write_comparison_data(r->runs, r->n, f);
}

int
plot_comparison(const struct sim_trace_summary *runs, size_t n,
                const char *title, const char *out_base, const char *gp_dir,
                char *err, size_t errlen)
{
    struct gp_job job;
    struct runs r;
    char models[32];
    const char *whiskers = "0";
    size_t i;

    if (runs == NULL || n == 0 || out_base == NULL) {
        (void)snprintf(err, errlen, "no runs or no output path");
        return -EINVAL;
    }
    for (i = 0; i < n; i++) {
        if (runs[i].repeat > 1) {
            whiskers = "1";
        }
    }
    r.runs = runs;
    r.n = n;
    (void)snprintf(models, sizeof(models), "%zu", n);

    memset(&job, 0, sizeof(job));
    job.template_name = "comparison.gp";
    job.gp_dir = gp_dir;
    job.out_base = out_base;
    job.vars[job.nvars++] =
        (struct gp_var){"title", title != NULL ? title : "gilsim", 1};
    job.vars[job.nvars++] = (struct gp_var){"models", models, 0};
    job.vars[job.nvars++] = (struct gp_var){"whiskers", whiskers, 0};
    job.data[job.ndata++] =
        (struct gp_data){"datafile", "runs", fill_comparison, &r, ""};
    return plot__render(&job, err, errlen);
}

/* ---- the sweep ---------------------------------------------------------- */

struct sweep {
    const struct plot_sweep_cell *cells;
    size_t n;
};

static int
fill_sweep(const void *ctx, FILE *f)
{
    const struct sweep *s = ctx;

    return plot_write_sweep_data(s->cells, s->n, f);
}

/*
 * The distinct values of one field as words for the template: the pools
 * ("1 2 4") or the switch intervals in ms ("0.5 5"), ascending; the
 * distinct models in order of appearance ("threads loop"). Returns the
 * number of words, 0 if they did not fit.
 */
static size_t
sweep_words(const struct plot_sweep_cell *cells, size_t n, int field, char *buf,
            size_t len)
{
    int64_t *v;
    size_t i, j, k = 0, used = 0;
    int w;

    buf[0] = '\0';
    v = calloc(n, sizeof(*v));
    if (v == NULL) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (field == 2) {
            for (j = 0; j < i && strcmp(cells[j].model, cells[i].model) != 0;
                 j++) {
            }
            if (j == i) {
                v[k++] = (int64_t)i;
            }
            continue;
        }
        v[k++] = field == 0 ? cells[i].pool : cells[i].switch_interval_ns;
    }
    if (field != 2) {
        base_sort_i64(v, k);
    }
    for (i = 0, j = 0; i < k; i++) {
        if (i > 0 && v[i] == v[i - 1] && field != 2) {
            continue;
        }
        if (field == 0) {
            w = snprintf(buf + used, len - used, "%s%lld", j ? " " : "",
                         (long long)v[i]);
        } else if (field == 1) {
            w = snprintf(buf + used, len - used, "%s%.6g", j ? " " : "",
                         (double)v[i] / 1e6);
        } else {
            w = snprintf(buf + used, len - used, "%s%s", j ? " " : "",
                         cells[v[i]].model);
        }
        if (w < 0 || (size_t)w >= len - used) {
            free(v);
            buf[0] = '\0';
            return 0;
        }
        used += (size_t)w;
        j++;
    }
    free(v);
    return j;
}

int
plot_sweep(const struct plot_sweep_cell *cells, size_t n, const char *title,
           const char *out_base, const char *gp_dir, char *err, size_t errlen)
{
    static const char *const kinds[2] = {"threads", "heatmap"};
    struct gp_job job;
    struct sweep s;
    char base[PATH_LEN];
    char pools[1024], sis[1024], models[256];
    int k, w, rc;

    if (cells == NULL || n == 0 || out_base == NULL) {
        (void)snprintf(err, errlen, "no cells or no output path");
        return -EINVAL;
    }
    if (sweep_words(cells, n, 0, pools, sizeof(pools)) == 0 ||
        sweep_words(cells, n, 1, sis, sizeof(sis)) == 0 ||
        sweep_words(cells, n, 2, models, sizeof(models)) == 0) {
        (void)snprintf(err, errlen, "too many sweep values to label");
        return -E2BIG;
    }
    s.cells = cells;
    s.n = n;
    for (k = 0; k < 2; k++) {
        w = snprintf(base, sizeof(base), "%s-%s", out_base, kinds[k]);
        if (w < 0 || (size_t)w >= sizeof(base)) {
            (void)snprintf(err, errlen, "output path too long: %.200s...",
                           out_base);
            return -ENAMETOOLONG;
        }
        memset(&job, 0, sizeof(job));
        job.template_name = "sweep.gp";
        job.gp_dir = gp_dir;
        job.out_base = base;
        job.vars[job.nvars++] =
            (struct gp_var){"title", title != NULL ? title : "gilsim", 1};
        job.vars[job.nvars++] = (struct gp_var){"kind", kinds[k], 1};
        job.vars[job.nvars++] = (struct gp_var){"pools", pools, 1};
        job.vars[job.nvars++] = (struct gp_var){"sis", sis, 1};
        job.vars[job.nvars++] = (struct gp_var){"models", models, 1};
        job.data[job.ndata++] =
            (struct gp_data){"datafile", "sweep", fill_sweep, &s, ""};
        rc = plot__render(&job, err, errlen);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}
