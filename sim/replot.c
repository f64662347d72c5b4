/*
 * replot.c - `gilsim plot RUN_DIR [--window=FROM..TO]`: draw the pictures
 * of an earlier run again from the files it left, and rewrite its
 * index.html.
 *
 * The run folder's summary.json says which models ran (report.c reads
 * it). For each, MODEL/trace.tsv is read back into a trace
 * (sim_trace_read_tsv_msg) and MODEL/timeline.png and .svg are rendered
 * with the same title a run gives them, over --window if one is given;
 * then comparison.png and .svg are rendered from the summary's numbers,
 * and index.html is rewritten (report.c). The pictures are written by
 * plots/ through temporary files and renames, so a failure leaves the old
 * ones in place.
 *
 * A folder that does not exist, or has no summary.json that reads as a
 * gilsim summary, is a usage error (exit 2, one line naming the argument).
 * A trace that cannot be read or a picture that cannot be drawn (no
 * gnuplot) is reported in one line and gives exit status 3, since drawing
 * was the whole job; the other models are still drawn. A sweep folder
 * gets its sweep plots redrawn from sweep.tsv (sim_sweep_replot).
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plot.h"
#include "report.h"
#include "run.h"

/* 1 if `m` can be used as one folder name inside the run folder. */
static int
plain_name(const char *m)
{
    return m[0] != '\0' && strchr(m, '/') == NULL && strcmp(m, ".") != 0 &&
           strcmp(m, "..") != 0;
}

int
sim_report_timeline_cut(const struct sim_trace_summary *s, struct plot_cut *cut)
{
    cut->run_end_ns = s->wall_ns;
    cut->missing_from_ns = 0;
    cut->missing_to_ns = 0;
    if (s->events_cut == 0) {
        return 0;
    }
    if (strcmp(s->trace_kept, "ring") == 0) {
        cut->missing_to_ns = s->trace_from_ns; /* before it: cut */
    } else if (s->trace_to_ns >= 0) {
        cut->missing_from_ns = s->trace_to_ns; /* after it: cut */
        cut->missing_to_ns = s->wall_ns;
    }
    return cut->missing_to_ns > cut->missing_from_ns;
}

/* The timeline's title, as run.c's plot_model() makes it. */
void
sim_report_timeline_title(const struct sim_trace_summary *s, char *title,
                          size_t len)
{
    int procs = strcmp(s->model, "processes") == 0;
    char label[40];
    char cut[120] = "";
    struct plot_cut pc;

    /* Never silently: a cut trace covers less than the run. */
    if (sim_report_timeline_cut(s, &pc) && strcmp(s->trace_kept, "ring") == 0) {
        (void)snprintf(
            cut, sizeof(cut), "; trace from %.0f ms of %.0f ms (--trace=ring)",
            (double)pc.missing_to_ns / 1e6, (double)pc.run_end_ns / 1e6);
    } else if (sim_report_timeline_cut(s, &pc)) {
        (void)snprintf(cut, sizeof(cut),
                       "; trace cut at %.0f ms of %.0f ms (--trace-events)",
                       (double)pc.missing_from_ns / 1e6,
                       (double)pc.run_end_ns / 1e6);
    } else if (s->stats.events_lost > 0) {
        (void)snprintf(cut, sizeof(cut),
                       "; %llu events did not fit in memory (--trace-events)",
                       (unsigned long long)s->stats.events_lost);
    }
    if (strcmp(s->model, "measured") == 0) {
        /* A recording of a real program (gilsim record). */
        (void)snprintf(title, len,
                       "gilsim record: %.64s, %d thread%s in %d process%s, "
                       "measured on CPython (switch interval %.6g ms), wall "
                       "%.3f s%s",
                       s->workload, s->threads, s->threads == 1 ? "" : "s",
                       s->processes, s->processes == 1 ? "" : "es",
                       (double)s->switch_interval_ns / 1e6,
                       (double)s->wall_ns / 1e9, cut);
        return;
    }
    (void)snprintf(
        title, len,
        "gilsim %s: %.64s workload, %d %s%s, policy %s, switch "
        "interval %.6g ms, wall %.3f s%s%s",
        s->model, s->workload, s->threads, procs ? "process" : "thread",
        s->threads == 1 ? "" : (procs ? "es" : "s"),
        sim_policy_label(s->policy, label, sizeof(label)),
        (double)s->switch_interval_ns / 1e6, (double)s->wall_ns / 1e9,
        s->repeat > 1 ? " (the median repetition)" : "", cut);
}

/* Redraw DIR/MODEL/timeline.*; 0, or SIM_EXIT_ERROR with a line on err.
 * *plots_off is set when gnuplot cannot draw at all. */
static int
replot_model(const char *dir, const struct sim_options *o,
             const struct sim_trace_summary *s, int *plots_off, FILE *out,
             FILE *err)
{
    struct sim_trace *t = NULL;
    char path[4200];
    char base[4200];
    char title[300];
    char msg[SIM_ERR_LEN * 2];
    struct plot_cut cut;
    FILE *f;
    int rc;

    if (!plain_name(s->model)) {
        fprintf(err, "gilsim: plot: %s/summary.json: bad model name '%.32s'\n",
                dir, s->model);
        return SIM_EXIT_ERROR;
    }
    if (strcmp(s->trace_kept, "off") == 0) {
        fprintf(out, "gilsim: plot: %s: no timeline (run with --trace=off)\n",
                s->model);
        return SIM_EXIT_OK;
    }
    (void)snprintf(path, sizeof(path), "%.4000s/%s/trace.tsv", dir, s->model);
    f = base_fopen_regular(path);
    if (f == NULL) {
        fprintf(err, "gilsim: plot: %s: %s\n", path,
                errno == ENOENT         ? "no such file"
                : errno == BASE_ENOTREG ? "not a regular file"
                                        : "cannot open it");
        return SIM_EXIT_ERROR;
    }
    rc = sim_trace_read_tsv_msg(f, &t, msg, sizeof(msg));
    (void)fclose(f);
    if (rc != 0) {
        fprintf(err, "gilsim: plot: %s: %s\n", path,
                msg[0] != '\0' ? msg : "cannot read it");
        return SIM_EXIT_ERROR;
    }
    if (*plots_off) {
        sim_trace_free(t);
        return SIM_EXIT_ERROR;
    }
    (void)snprintf(base, sizeof(base), "%.4000s/%s/timeline", dir, s->model);
    sim_report_timeline_title(s, title, sizeof(title));
    rc = plot_timeline_cut(t, title, o->window_from_ns, o->window_to_ns,
                           sim_report_timeline_cut(s, &cut) ? &cut : NULL, base,
                           NULL, msg, sizeof(msg));
    sim_trace_free(t);
    if (rc != 0) {
        fprintf(err, "gilsim: plots skipped: %s\n", msg);
        *plots_off = 1;
        return SIM_EXIT_ERROR;
    }
    if (!o->quiet) {
        fprintf(out, "redrawn: %s.png and .svg\n", base);
    }
    return SIM_EXIT_OK;
}

static int
replot_comparison(const char *dir, const struct sim_options *o,
                  const struct sim_report_summary *sum, FILE *out, FILE *err)
{
    const struct sim_trace_summary *first = &sum->runs[0];
    char base[4200];
    char title[300];
    char label[40];
    char msg[SIM_ERR_LEN * 2];
    int repeated = 0;
    size_t i;

    for (i = 0; i < sum->n; i++) {
        /* The run's --policy: nogil's own policy name is not it. */
        if (strcmp(first->model, "nogil") == 0) {
            first = &sum->runs[i];
        }
        if (sum->runs[i].repeat > 1) {
            repeated = 1;
        }
    }
    (void)snprintf(base, sizeof(base), "%.4000s/comparison", dir);
    (void)snprintf(title, sizeof(title),
                   "gilsim: %.64s workload, policy %s, switch interval "
                   "%.6g ms%s",
                   first->workload,
                   sim_policy_label(first->policy, label, sizeof(label)),
                   (double)first->switch_interval_ns / 1e6,
                   repeated ? ", median of the repetitions" : "");
    if (plot_comparison(sum->runs, sum->n, title, base, NULL, msg,
                        sizeof(msg)) != 0) {
        fprintf(err, "gilsim: plots skipped: %s\n", msg);
        return SIM_EXIT_ERROR;
    }
    if (!o->quiet) {
        fprintf(out, "redrawn: %s.png and .svg\n", base);
    }
    return SIM_EXIT_OK;
}

int
sim_replot_main(const struct sim_options *o, FILE *out, FILE *err)
{
    struct sim_report_summary sum;
    const char *dir = o->out_dir;
    char path[4200];
    char msg[SIM_ERR_LEN * 2];
    struct stat st;
    int plots_off = 0;
    int status = SIM_EXIT_OK;
    int sweep;
    size_t i;
    int rc;

    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(err,
                "gilsim: plot %s: not a folder (expected a run folder "
                "that gilsim wrote)\n",
                dir);
        return SIM_EXIT_USAGE;
    }
    (void)snprintf(path, sizeof(path), "%.4000s/sweep.tsv", dir);
    sweep = access(path, F_OK) == 0;
    (void)snprintf(path, sizeof(path), "%.4000s/summary.json", dir);
    if (sweep) {
        status = sim_sweep_replot(dir, out, err);
        if (access(path, F_OK) != 0) {
            return status; /* a sweep folder holds no summary.json */
        }
    }
    if (access(path, F_OK) != 0) {
        fprintf(err, "gilsim: plot %s: not a run folder (no summary.json)\n",
                dir);
        return SIM_EXIT_USAGE;
    }
    rc = sim_report_read_summary(path, &sum, msg, sizeof(msg));
    if (rc != 0) {
        fprintf(err, "gilsim: plot %s: not a run folder (%s)\n", dir, msg);
        return SIM_EXIT_USAGE;
    }
    for (i = 0; i < sum.n; i++) {
        if (replot_model(dir, o, &sum.runs[i], &plots_off, out, err) != 0) {
            status = SIM_EXIT_ERROR;
        }
    }
    if (sum.n > 0 && !plots_off) {
        if (replot_comparison(dir, o, &sum, out, err) != 0) {
            status = SIM_EXIT_ERROR;
        }
    }
    sim_report_summary_clear(&sum);
    rc = sim_report_write(dir, msg, sizeof(msg));
    if (rc != 0) {
        fprintf(err, "gilsim: %s\n", msg);
        return SIM_EXIT_ERROR;
    }
    if (!o->quiet) {
        fprintf(out, "report: %s/index.html\n", dir);
    }
    return status;
}
