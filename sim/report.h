/* report.h: private to sim/: what a run or sweep shows its user.
 *
 * The comparison table (table.c), summary.json read back
 * (summary_read.c), index.html (report.c) and `gilsim plot` (replot.c).
 */
#ifndef GILSIM_REPORT_H
#define GILSIM_REPORT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base.h"
#include "plot.h"
#include "sim.h"
#include "trace.h"

struct sim_sweep_cell; /* run.h */

/* ---- report.c, replot.c ----------------------------------------------- */

/* What report.c reads back from a summary.json. */
struct sim_report_summary {
    char *command;                  /* "command", malloc'd; NULL if absent */
    char *version;                  /* "gilsim_version"; NULL if absent */
    struct sim_trace_summary *runs; /* "runs", malloc'd, n of them */
    size_t n;
    /* "host": where it ran; "" and 0 in a summary older than the key */
    char host_name[256];
    int host_cores;
    char host_cpu[256];
};

/* Read summary.json at `path` (the keys sim_trace_write_summary_json
 * writes; others are skipped). 0, or -errno / -EBADMSG with `err` naming
 * the file. Free with sim_report_summary_clear (also after a failure). */
int sim_report_read_summary(const char *path, struct sim_report_summary *sum,
                            char *err, size_t errlen) SIM_WARN_UNUSED;
void sim_report_summary_clear(struct sim_report_summary *sum);

/* Write dir/index.html from dir/summary.json and the SVGs beside it
 * (through a temporary file and a rename). 0, or -errno with `err`. */
int sim_report_write(const char *dir, char *err, size_t errlen) SIM_WARN_UNUSED;
/* index.html of a sweep folder: the command, the recommendation, the
 * cells and the sweep's SVGs inline. */
int sim_report_write_sweep(const char *dir, const char *command,
                           const char *recommendation,
                           const struct sim_sweep_cell *cells, size_t n,
                           char *err, size_t errlen) SIM_WARN_UNUSED;

/* Percentiles from fewer samples than this are marked in the table and
 * on the page: the p99 of 25 samples is simply the largest one. */
#define SIM_REPORT_FEW_SAMPLES 100

/* The title of a model's timeline: model, workload, pool, policy,
 * interval and wall time, and a warning when its trace was cut. */
void sim_report_timeline_title(const struct sim_trace_summary *s, char *title,
                               size_t len);

/* The part of the run a cut trace misses (--trace-events), for the
 * timeline's hatched band: 1 with *cut set, or 0 when the trace covers
 * the whole run. */
int sim_report_timeline_cut(const struct sim_trace_summary *s,
                            struct plot_cut *cut);

/* `gilsim plot RUN_DIR` (the folder is in o->out_dir): redraw the
 * timelines and the comparison, rewrite index.html. An exit status. */
int sim_replot_main(const struct sim_options *o, FILE *out, FILE *err);

/* ---- table.c ---------------------------------------------------------- */

/* The comparison table, with the verdict, spread warnings and footnotes
 * (--format=text). */
void sim_table_print(const struct sim_trace_summary *runs, size_t n, FILE *f);
/* The same table in Markdown, with the verdict and warnings (md). */
void sim_table_print_md(const struct sim_trace_summary *runs, size_t n,
                        FILE *f);
/* The table's numbers, tab-separated, in summary.json's units (tsv). */
void sim_table_print_tsv(const struct sim_trace_summary *runs, size_t n,
                         FILE *f);

/* A run's speed-up over serial and its sd: the ratio of the medians for
 * single runs, else of the means, with sd = ratio * sqrt((sd_a/a)^2 +
 * (sd_b/b)^2). 0, or -1 without serial or a wall time. */
int sim_table_speedup(const struct sim_trace_summary *serial,
                      const struct sim_trace_summary *s, double *ratio,
                      double *sd);
/* The index of the fastest run (lowest mean wall), or -1. */
int sim_table_fastest(const struct sim_trace_summary *runs, size_t n);
/* "fastest: loop, 20.93 ± 0.31 times faster than serial ..." into buf;
 * "" for fewer than two runs. */
void sim_table_verdict(const struct sim_trace_summary *runs, size_t n,
                       char *buf, size_t len);
/* A repeated run whose wall times' sd is above SIM_REPORT_SPREAD of their
 * mean: 1 with the warning line in buf, else 0 and "". */
int sim_table_spread_warning(const struct sim_trace_summary *s, char *buf,
                             size_t len);

/* The sd of a run's wall times, as a share of their mean, above which the
 * table and the page warn that the repetitions spread widely. */
#define SIM_REPORT_SPREAD 0.10

/* GIL wait share of a run: wait / (hold + wait + io), 0 when all are 0. */
double sim_table_wait_share(const struct sim_trace_stats *s);

#endif /* GILSIM_REPORT_H */
