/*
 * plot.h - the public interface of plots/: turning a trace into the data
 * that the gnuplot templates (the .gp files in plots/) draw, and running
 * gnuplot on them.
 *
 * The data steps (plot_write_*) are functions of (input, FILE *), so the
 * tests can read what gnuplot would be given through open_memstream. The
 * renderers (plot_timeline, plot_comparison) write those data to temporary
 * files beside the output, run gnuplot on a template with posix_spawnp (no
 * shell), and rename the pictures into place; on failure they leave
 * nothing behind and say why in one line.
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
 * state are merged. With min_ns > 0 (one pixel), the window is cut into
 * pixels of min_ns and a pixel shared by several states is drawn in the
 * one that filled most of it, so a lane has at most one segment per pixel
 * and no gaps. Returns 0 or -errno (-EINVAL, -ENOMEM, -EIO).
 */
int plot_write_timeline_data(const struct sim_trace *t, int64_t from_ns,
                             int64_t to_ns, int64_t min_ns,
                             FILE *f) PLOT_WARN_UNUSED;
/* The same for each thread's step segments (sim_trace_step_segments):
 * lane, begin_ms, end_ms, the step's kind (cpu, fetch, sleep, write,
 * native, lock, unlock), thread_name; the timeline's step strip. */
int plot_write_step_data(const struct sim_trace *t, int64_t from_ns,
                         int64_t to_ns, int64_t min_ns,
                         FILE *f) PLOT_WARN_UNUSED;

/* Timeline pictures are PLOT_WIDTH pixels wide and 140 + 28 pixels per
 * lane high (timeline.gp draws them so); comparison pictures are
 * PLOT_WIDTH x PLOT_COMPARISON_HEIGHT. */
#define PLOT_WIDTH                  1600
#define PLOT_TIMELINE_HEIGHT(lanes) (140 + 28 * (lanes))
#define PLOT_COMPARISON_HEIGHT      600
/* A model with more threads than this gets states.gp's stacked counts of
 * threads per state instead of one lane each. */
#define PLOT_MAX_LANES 64
/* Bins of such a picture: two pixels each. */
#define PLOT_STATE_BINS (PLOT_WIDTH / 2)

/*
 * The mean number of threads in each state during each of `bins` equal
 * bins of [lo_ns, hi_ns) (absolute times), from the segments:
 * out[b * SIM_STATE_COUNT + state]. A bin's values add up to the number
 * of threads whose segments cover all of it. 0, or -EINVAL for an empty
 * window or no bins.
 */
int plot_state_bins(const struct sim_segment *seg, size_t n, int64_t lo_ns,
                    int64_t hi_ns, size_t bins, double *out) PLOT_WARN_UNUSED;
/* The bins of plot_state_bins for a trace's window [from_ns, to_ns) (from
 * the origin), one a line: begin_ms, running, waiting, io, idle. */
int plot_write_state_data(const struct sim_trace *t, int64_t from_ns,
                          int64_t to_ns, size_t bins, FILE *f) PLOT_WARN_UNUSED;

/*
 * Writes the GIL markers of a trace, one a line:
 *
 *     lane \t t_ms \t kind
 *
 * kind is drop_request (on the lane of the waiter that asked) or
 * forced_switch (on the lane of the holder that dropped because it was
 * asked). Same window and time base as plot_write_timeline_data. In each
 * lane, a marker of a kind within min_ns of the last one written of that
 * kind is left out, so at most one of each is drawn per pixel. Returns 0
 * or -errno (-EINVAL, -EIO).
 */
int plot_write_marker_data(const struct sim_trace *t, int64_t from_ns,
                           int64_t to_ns, int64_t min_ns,
                           FILE *f) PLOT_WARN_UNUSED;

/* Writes every thread of the trace as `lane \t thread_name`, the names of
 * the y axis (a lane with nothing in the window still gets its name).
 * Control characters and double quotes in names become spaces and single
 * quotes. Returns 0 or -errno (-EINVAL, -EIO). */
int plot_write_lane_data(const struct sim_trace *t, FILE *f) PLOT_WARN_UNUSED;

/*
 * Writes the numbers comparison.gp draws: a header line, then one line per
 * run,
 *
 *     model wall_s wall_min_s wall_max_s repeat
 *     running_pct waiting_pct io_pct idle_pct
 *
 * tab-separated; the shares are percent of the time summed over threads
 * (the summary's gil_hold_ns, gil_wait_ns, io_ns, idle_ns), all 0 when
 * that sum is 0. Returns 0 or -errno (-EINVAL, -EIO).
 */
int plot_write_comparison_data(const struct sim_trace_summary *runs, size_t n,
                               FILE *f) PLOT_WARN_UNUSED;

/*
 * Finds the gnuplot template `name` (e.g. "timeline.gp") and writes its
 * path into path[len]. Where: gp_dir if it is neither NULL nor empty; else
 * $GILSIM_PLOTS_DIR if it is set and not empty; else, in order, the
 * directory of the running executable + "/../share/gilsim/plots" (an
 * installed gilsim) and the source tree's plots/ (a build tree). An
 * explicit directory is the only one looked in. Returns 0, or -ENOENT
 * with one line in err naming the template and where it was looked for.
 */
int plot_find_template(const char *name, const char *gp_dir, char *path,
                       size_t len, char *err, size_t errlen) PLOT_WARN_UNUSED;

/*
 * Renders the timeline of the window [from_ns, to_ns) of a trace (ns since
 * its origin; to_ns <= 0 means to the end of the trace) as out_base.png
 * (pngcairo, PLOT_WIDTH x PLOT_TIMELINE_HEIGHT(threads)) and out_base.svg.
 * title is printed at the top; control characters in it become spaces.
 * gp_dir: see plot_find_template (NULL to search).
 *
 * Segments shorter than a pixel (window / PLOT_WIDTH) are absorbed, so
 * gnuplot draws at most PLOT_WIDTH boxes per lane whatever the size of the
 * trace. Both pictures are written as NAME.tmp.PID and renamed only when
 * both were made; the data files live beside them while gnuplot runs and
 * are removed in every case. Returns 0, or -errno with one line in err
 * (no "gilsim:" prefix, no newline): -ENOENT (no template, or no gnuplot on
 * PATH), -EPROTO (gnuplot failed; its own error line is quoted), or the
 * error of a file operation.
 */
int plot_timeline(const struct sim_trace *t, const char *title, int64_t from_ns,
                  int64_t to_ns, const char *out_base, const char *gp_dir,
                  char *err, size_t errlen) PLOT_WARN_UNUSED;

/* What a cut trace (--trace-events) leaves out: the run lasted until
 * run_end_ns, and the trace misses [missing_from_ns, missing_to_ns), both
 * relative to the origin. */
struct plot_cut {
    int64_t run_end_ns;
    int64_t missing_from_ns, missing_to_ns;
};

/* plot_timeline, with the x axis to the run's end and the missing part
 * hatched and labelled (cut may be NULL: plot_timeline). */
int plot_timeline_cut(const struct sim_trace *t, const char *title,
                      int64_t from_ns, int64_t to_ns,
                      const struct plot_cut *cut, const char *out_base,
                      const char *gp_dir, char *err,
                      size_t errlen) PLOT_WARN_UNUSED;

/*
 * Renders the runs side by side as out_base.png and out_base.svg
 * (PLOT_WIDTH x PLOT_COMPARISON_HEIGHT): wall time per model, with min-max
 * whiskers when any run was repeated, and each model's share of running,
 * waiting, I/O and idle time. Same files, errors and clean-up as
 * plot_timeline; n must be at least 1.
 */
int plot_comparison(const struct sim_trace_summary *runs, size_t n,
                    const char *title, const char *out_base, const char *gp_dir,
                    char *err, size_t errlen) PLOT_WARN_UNUSED;

/*
 * One cell of a sweep as the sweep plots draw it: a model at one pool size
 * (threads, or worker processes) and switch interval, and the median, min
 * and max wall time of its repetitions.
 */
struct plot_sweep_cell {
    char model[16];             /* model name */
    int pool;                   /* threads (or processes) of the cell */
    int64_t switch_interval_ns; /* its switch interval */
    int64_t wall_ns_median, wall_ns_min, wall_ns_max;
};

/*
 * Writes the data sweep.gp draws: one block per (model, switch interval),
 * in the order the pairs first appear in `cells`, blocks separated by two
 * blank lines (gnuplot's `index`), each block a header line and then one
 * line per cell in ascending pool order:
 *
 *     series \t pool \t si_ms \t wall_s \t wall_min_s \t wall_max_s
 *     \t xi \t yi \t mi
 *
 * series is "MODEL, SI ms" (also the header's first field, the line's
 * title); xi and yi are the 0-based positions of the pool and the switch
 * interval among all distinct pools and intervals (ascending), mi the
 * model's position among the distinct models (in order of appearance):
 * the heat map's grid. Returns 0 or -errno (-EINVAL, -ENOMEM, -EIO).
 */
int plot_write_sweep_data(const struct plot_sweep_cell *cells, size_t n,
                          FILE *f) PLOT_WARN_UNUSED;

/* Sweep pictures are PLOT_WIDTH x PLOT_SWEEP_HEIGHT. */
#define PLOT_SWEEP_HEIGHT 700

/*
 * Renders a sweep as out_base-threads.png/.svg (median wall time against
 * the pool size, log x, one line per model and switch interval, min-max
 * error bars) and out_base-heatmap.png/.svg (one panel per model: pool
 * size x switch interval, coloured by median wall time, each cell
 * labelled). Same files, errors and clean-up as plot_timeline, for each
 * picture; n must be at least 1.
 */
int plot_sweep(const struct plot_sweep_cell *cells, size_t n, const char *title,
               const char *out_base, const char *gp_dir, char *err,
               size_t errlen) PLOT_WARN_UNUSED;

#endif /* GILSIM_PLOT_H */
