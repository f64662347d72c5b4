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

/* `gilsim plot RUN_DIR` (the folder is in o->out_dir): redraw the
 * timelines and the comparison, rewrite index.html. An exit status. */
int sim_replot_main(const struct sim_options *o, FILE *out, FILE *err);

/* ---- table.c ---------------------------------------------------------- */

/* The comparison table, with its footnotes. */
void sim_table_print(const struct sim_trace_summary *runs, size_t n, FILE *f);

/* GIL wait share of a run: wait / (hold + wait + io), 0 when all are 0. */
double sim_table_wait_share(const struct sim_trace_stats *s);

#endif /* GILSIM_REPORT_H */
