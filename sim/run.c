/*
 * run.c - the run driver: run each selected model --repeat times, check
 * the GIL's counters against the trace, and write the run folder.
 *
 * One repetition is sim_run_once (once.c), which also starts the embedded
 * server of an I/O workload once for the whole run; the folder and its
 * atomic writes are folder.c's.
 *
 * sim_run_main() first settles the output folder (folder.c), so a bad
 * folder fails before anything runs. It keeps every
 * repetition of a model until the last one, then keeps the median one (by
 * wall time; the lower median for an even count) and writes its
 * MODEL/trace.tsv and MODEL/trace.json. summary.json comes last. Every
 * file is written as NAME.tmp.PID, fsync'd and renamed, so a reader never
 * sees half a file. SIGINT and SIGTERM set a stop flag that the steps read
 * between chunks; the threads finish their chunk, the traces of what ran
 * are written as usual, and the exit status is 128 + the signal number.
 * The handlers use SA_RESETHAND, so a second Ctrl-C ends gilsim at once.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base.h"
#include "calibrate.h"
#include "plot.h"
#include "report.h"
#include "run.h"

struct json_ctx {
    const struct sim_trace *trace;
    const char *title;
};

static int
write_tsv_fn(const void *ctx, FILE *f)
{
    return sim_trace_write_tsv(ctx, f);
}

static int
write_json_fn(const void *ctx, FILE *f)
{
    const struct json_ctx *jc = ctx;

    return sim_trace_write_json(jc->trace, jc->title, f);
}

static int
write_json_gz_fn(const void *ctx, FILE *f)
{
    return sim_gzip_through(f, write_json_fn, ctx);
}

struct summary_ctx {
    const struct sim_trace_summary *runs;
    size_t n;
    const char *command;
    const struct sim_options *o;
};

/* summary.json's "costs": which costs the run charged, and from where;
 * and "host": the machine it ran on (a planned sweep's cells run on
 * many, and --collect says which). */
static void
write_costs_fn(const void *ctx, FILE *f)
{
    const struct sim_options *o = ctx;
    char text[256];

    fputs(",\n  \"costs\": ", f);
    sim_costs_write_json(&o->costs, o->costs_given, 2, f);
    fputs(",\n  \"host\": {\"name\": ", f);
    base_host_name(text, sizeof(text));
    sim_trace_json_string(f, text, sizeof(text));
    fprintf(f, ", \"cores\": %d, \"cpu\": ", base_host_cores());
    base_cpu_model(text, sizeof(text));
    sim_trace_json_string(f, text, sizeof(text));
    fputc('}', f);
}

static int
write_summary_fn(const void *ctx, FILE *f)
{
    const struct summary_ctx *sc = ctx;

    return sim_trace_write_summary_json_ex(
        sc->runs, sc->n, SIM_VERSION, sc->command, write_costs_fn, sc->o, f);
}

void
sim_engine_say(const struct sim_options *o, FILE *out)
{
    if (o->engine_virtual) {
        fprintf(out,
                "engine: virtual time, on %d simulated core%s (--cores; by "
                "default the cores gilsim may use here)\n",
                o->cores, o->cores == 1 ? "" : "s");
    }
}

int
sim_run_write_trace(const char *sub, const struct sim_trace *trace,
                    const char *title, int compress, char *err, size_t errlen)
{
    struct json_ctx jc;
    int rc;

    if (mkdir(sub, 0777) != 0 && errno != EEXIST) {
        rc = -errno;
        base_errf(err, errlen, -rc, "cannot create %.800s", sub);
        return rc;
    }
    rc = base_write_atomic(sub, "trace.tsv", write_tsv_fn, trace, err, errlen);
    if (rc != 0) {
        return rc;
    }
    jc.trace = trace;
    jc.title = title;
    rc = compress ? base_write_atomic(sub, "trace.json.gz", write_json_gz_fn,
                                      &jc, err, errlen)
                  : base_write_atomic(sub, "trace.json", write_json_fn, &jc,
                                      err, errlen);
    if (rc == 0) {
        base_sync_dir(sub);
    }
    return rc;
}

static int
write_model(const char *dir, const struct sim_options *o, enum sim_model m,
            const struct sim_trace *trace, char *err, size_t errlen)
{
    char sub[4200];
    char title[160];
    char label[40];

    (void)snprintf(sub, sizeof(sub), "%s/%s", dir, sim_model_name(m));
    (void)sim_policy_label(sim_opt_policy_for(o, m), label, sizeof(label));
    (void)snprintf(title, sizeof(title),
                   "gilsim %s: %d thread%s, policy %s, switch interval "
                   "%.6g ms",
                   sim_model_name(m), sim_opt_pool_size(o, m),
                   sim_opt_pool_size(o, m) == 1 ? "" : "s", label,
                   (double)o->switch_interval_ns / 1e6);
    return sim_run_write_trace(sub, trace, title, o->compress, err, errlen);
}

/* One line: how many steps failed, and how. */
static void
print_failures(const struct sim_trace_summary *runs, size_t n, const char *dir,
               FILE *err)
{
    uint64_t by[SIM_OUT_COUNT] = {0};
    const char *text[SIM_OUT_COUNT] = {NULL};
    uint64_t failed = 0, all = 0;
    char what[1024] = "";
    size_t used = 0;
    size_t i;
    int k;

    for (i = 0; i < n; i++) {
        const struct sim_trace_stats *st = &runs[i].stats;

        failed += st->steps_failed;
        all += st->steps_ok + st->steps_failed;
        for (k = 0; k < SIM_OUT_COUNT; k++) {
            by[k] += st->steps_failed_by[k];
            if (text[k] == NULL && st->steps_failed_by[k] > 0) {
                text[k] = runs[i].fail_text[k]; /* the first model's */
            }
        }
    }
    for (k = 0; k < SIM_OUT_COUNT; k++) {
        int w;

        if (by[k] == 0) {
            continue;
        }
        w = snprintf(what + used, sizeof(what) - used, "%s%s %llu: %s",
                     used > 0 ? "; " : "",
                     sim_trace_outcome_name((enum sim_outcome)k),
                     (unsigned long long)by[k], text[k]);
        if (w < 0 || (size_t)w >= sizeof(what) - used) {
            break;
        }
        used += (size_t)w;
    }
    fprintf(err,
            "gilsim: %llu of %llu steps failed (%s); see %s/summary.json\n",
            (unsigned long long)failed, (unsigned long long)all, what, dir);
}

/* ---- plots -------------------------------------------------------------- */

/* Set when a picture could not be made (no gnuplot, no template): the run
 * says so once, on one line, and makes no more. Pictures never change the
 * exit status. */
static int plots_off;

static void
plots_failed(const char *why, FILE *err)
{
    fprintf(err, "gilsim: plots skipped: %s\n", why);
    plots_off = 1;
}

/* MODEL/timeline.png and .svg: the --window of the kept repetition. */
static void
plot_model(const char *dir, const struct sim_options *o, enum sim_model m,
           const struct sim_trace_summary *s, const struct sim_trace *trace,
           FILE *err)
{
    char base[4200];
    char title[300];
    char msg[SIM_ERR_LEN * 2];
    struct plot_cut cut;

    if (o->no_plots || plots_off || o->trace_mode == SIM_TRACE_MODE_OFF) {
        return;
    }
    (void)snprintf(base, sizeof(base), "%.4000s/%s/timeline", dir,
                   sim_model_name(m));
    sim_report_timeline_title(s, title, sizeof(title));
    if (plot_timeline_cut(trace, title, o->window_from_ns, o->window_to_ns,
                          sim_report_timeline_cut(s, &cut) ? &cut : NULL, base,
                          NULL, msg, sizeof(msg)) != 0) {
        plots_failed(msg, err);
    }
}

/* comparison.png and .svg: every model of the run side by side. */
static void
plot_runs(const char *dir, const struct sim_options *o,
          const struct sim_trace_summary *runs, size_t n, FILE *err)
{
    char base[4200];
    char title[300];
    char label[40];
    char msg[SIM_ERR_LEN * 2];

    if (o->no_plots || plots_off || n == 0) {
        return;
    }
    (void)snprintf(base, sizeof(base), "%.4000s/comparison", dir);
    (void)snprintf(title, sizeof(title),
                   "gilsim: %.64s workload, policy %s, switch interval "
                   "%.6g ms%s",
                   sim_opt_workload_name(o),
                   sim_policy_label(o->policy, label, sizeof(label)),
                   (double)o->switch_interval_ns / 1e6,
                   o->repeat > 1 ? ", median of the repetitions" : "");
    if (plot_comparison(runs, n, title, base, NULL, msg, sizeof(msg)) != 0) {
        plots_failed(msg, err);
    }
}

/* ---- the driver --------------------------------------------------------- */

/* Cut the kept repetition's trace to what the files get (--trace,
 * --trace-events), after fill_summary took the statistics from all of
 * it, and say in *s what was cut. */
static void
keep_trace(const struct sim_options *o, struct sim_trace *trace,
           struct sim_trace_summary *s)
{
    struct sim_trace_cut cut;
    int64_t origin = sim_trace_origin_ns(trace);
    int ring = o->trace_mode == SIM_TRACE_MODE_RING;

    (void)snprintf(s->trace_kept, sizeof(s->trace_kept), "%s",
                   o->trace_mode == SIM_TRACE_MODE_OFF ? "off"
                   : ring                              ? "ring"
                                                       : "head");
    s->trace_from_ns = 0;
    s->trace_to_ns = -1;
    if (o->trace_mode == SIM_TRACE_MODE_OFF) {
        return;
    }
    sim_trace_keep(trace, ring ? SIM_TRACE_KEEP_RING : SIM_TRACE_KEEP_HEAD,
                   sim_opt_trace_keep(o), &cut);
    s->events_cut = cut.events;
    if (cut.complete_from_ns != INT64_MIN) {
        s->trace_from_ns = cut.complete_from_ns - origin;
    }
    if (cut.complete_to_ns != INT64_MAX) {
        s->trace_to_ns = cut.complete_to_ns - origin;
    }
}

/* Never silently: a line when the trace files miss part of the run, or
 * the statistics miss events that did not fit in memory. */
static void
print_trace_cut(const struct sim_options *o, enum sim_model m,
                const struct sim_trace_summary *s, FILE *err)
{
    struct plot_cut cut;

    if (s->stats.events_lost > 0) {
        fprintf(err,
                "gilsim: %s: %llu events did not fit in memory; the "
                "statistics miss them (raise --trace-events)\n",
                sim_model_name(m), (unsigned long long)s->stats.events_lost);
    }
    if (!sim_report_timeline_cut(s, &cut)) {
        return;
    }
    if (o->trace_mode == SIM_TRACE_MODE_RING) {
        fprintf(err,
                "gilsim: %s: the trace files keep the last %llu events of "
                "each thread, from %.0f ms of %.0f ms (--trace-events=N "
                "keeps more); the table counts every event\n",
                sim_model_name(m), (unsigned long long)sim_opt_trace_keep(o),
                (double)cut.missing_to_ns / 1e6, (double)cut.run_end_ns / 1e6);
    } else {
        fprintf(err,
                "gilsim: %s: the trace files keep the first %llu events of "
                "each thread, up to %.0f ms of %.0f ms (--trace-events=N "
                "keeps more, --trace=ring the last ones); the table counts "
                "every event\n",
                sim_model_name(m), (unsigned long long)sim_opt_trace_keep(o),
                (double)cut.missing_from_ns / 1e6,
                (double)cut.run_end_ns / 1e6);
    }
}

static int
cmp_wall(const void *a, const void *b)
{
    const struct sim_run_result *x = *(const struct sim_run_result *const *)a;
    const struct sim_run_result *y = *(const struct sim_run_result *const *)b;

    return (x->wall_ns > y->wall_ns) - (x->wall_ns < y->wall_ns);
}

/* *s from the repetitions, order[0..reps) sorted by wall time: the
 * median's numbers, and the walls' min, max, mean and sd. */
static void
fill_summary(struct sim_trace_summary *s, const struct sim_options *o,
             enum sim_model m, struct sim_run_result *const *order, int reps)
{
    const struct sim_run_result *median = order[(reps - 1) / 2];
    int64_t walls[SIM_REPEAT_MAX];
    double mean, sd;
    int i;

    for (i = 0; i < reps && i < SIM_REPEAT_MAX; i++) {
        walls[i] = order[i]->wall_ns;
    }
    base_mean_sd_i64(walls, (size_t)i, &mean, &sd);
    memset(s, 0, sizeof(*s));
    (void)snprintf(s->model, sizeof(s->model), "%s", sim_model_name(m));
    (void)snprintf(s->policy, sizeof(s->policy), "%s",
                   sim_opt_policy_for(o, m));
    s->policy_what_if =
        gil_policy_is_what_if(gil_policy_find(sim_opt_policy_for(o, m)));
    (void)snprintf(s->workload, sizeof(s->workload), "%s",
                   sim_opt_workload_name(o));
    if (sim_opt_uses_io(o)) {
        (void)snprintf(s->client, sizeof(s->client), "%s",
                       sim_client_name(sim_opt_client(o, m)));
    }
    s->threads = sim_opt_pool_size(o, m);
    s->processes = o->processes;
    s->concurrency = m == SIM_MODEL_LOOP ? o->concurrency : 0;
    s->switch_interval_ns = o->switch_interval_ns;
    s->check_every = sim_opt_check_every(o);
    s->instr_ns = o->costs.instr_ns;
    s->repeat = reps;
    s->wall_ns = median->wall_ns;
    s->wall_ns_min = order[0]->wall_ns;
    s->wall_ns_max = order[reps - 1]->wall_ns;
    s->wall_ns_mean = (int64_t)llround(mean);
    s->wall_ns_sd = (int64_t)llround(sd);
    s->cpu_ns = median->cpu_ns;
    s->stats = median->stats;
    s->has_server = median->has_server;
    s->server_requests = median->server.requests;
    s->server_replies_ok = median->server.replies_ok;
    s->server_injected_500 = median->server.injected_500;
    s->server_injected_close = median->server.injected_close;
    s->server_injected_stall = median->server.injected_stall;
    for (i = 0; i < SIM_OUT_COUNT; i++) {
        if (s->stats.steps_failed_by[i] > 0) {
            /* enum sim_outcome mirrors enum wl_outcome. */
            wl_failure_text((enum wl_outcome)i, s->stats.fail_code[i],
                            s->fail_text[i], sizeof(s->fail_text[i]));
        }
    }
    s->has_engine = median->has_engine;
    s->engine_events = median->engine_events;
    s->engine_handoffs = median->engine_handoffs;
    s->engine_preempts = median->engine_preempts;
    s->engine_absorbed = median->engine_absorbed;
    s->engine_cores = median->engine_cores;
}

/*
 * Run model m --repeat times, write its traces, fill *s. Returns
 * SIM_EXIT_OK or SIM_EXIT_ERROR (message printed).
 */
static int
run_model(const struct sim_options *o, enum sim_model m, const char *dir,
          const struct sim_run_io *io, struct sim_trace_summary *s, FILE *err)
{
    struct sim_run_result *res;
    struct sim_run_result **order;
    char msg[SIM_ERR_LEN * 2];
    int reps = 0;
    int status = SIM_EXIT_OK;
    int i;
    int rc;

    res = calloc((size_t)o->repeat, sizeof(*res));
    order = calloc((size_t)o->repeat, sizeof(struct sim_run_result *));
    if (res == NULL || order == NULL) {
        fprintf(err, "gilsim: %s: out of memory\n", sim_model_name(m));
        status = SIM_EXIT_ERROR;
        goto out;
    }
    for (i = 0; i < o->repeat; i++) {
        rc = sim_run_once(o, m, io, sim_stop_flag(), &res[i], msg, sizeof(msg));
        if (rc != 0) {
            fprintf(err, "gilsim: %s: %s\n", sim_model_name(m), msg);
            status = SIM_EXIT_ERROR;
            goto out;
        }
        order[i] = &res[i];
        reps++;
        if (res[i].killed > 0) {
            /* Never silently, even with --quiet. */
            fprintf(err,
                    "gilsim: %s: %d worker%s did not end within 2 s of the "
                    "stop and %s killed (%s)\n",
                    sim_model_name(m), res[i].killed,
                    res[i].killed == 1 ? "" : "s",
                    res[i].killed == 1 ? "was" : "were", res[i].killed_names);
        }
        if (sim_stop_requested()) {
            break;
        }
    }
    qsort(order, (size_t)reps, sizeof(struct sim_run_result *), cmp_wall);
    fill_summary(s, o, m, order, reps);
    keep_trace(o, order[(reps - 1) / 2]->trace, s);
    rc = o->trace_mode == SIM_TRACE_MODE_OFF
             ? 0
             : write_model(dir, o, m, order[(reps - 1) / 2]->trace, msg,
                           sizeof(msg));
    if (rc != 0) {
        fprintf(err, "gilsim: %s\n", msg);
        status = SIM_EXIT_ERROR;
        goto out;
    }
    if (!o->quiet) {
        int pool = sim_opt_pool_size(o, m);
        const char *unit = m == SIM_MODEL_PROCESSES ? "worker" : "thread";

        if (reps > 1) {
            fprintf(err,
                    "gilsim: %s (%d %s%s): %.2f s (median of %d, "
                    "min %.2f s, max %.2f s)\n",
                    sim_model_name(m), pool, unit, pool == 1 ? "" : "s",
                    (double)s->wall_ns / 1e9, reps,
                    (double)s->wall_ns_min / 1e9, (double)s->wall_ns_max / 1e9);
        } else {
            fprintf(err, "gilsim: %s (%d %s%s): %.2f s\n", sim_model_name(m),
                    pool, unit, pool == 1 ? "" : "s", (double)s->wall_ns / 1e9);
        }
        print_trace_cut(o, m, s, err);
    }
    plot_model(dir, o, m, s, order[(reps - 1) / 2]->trace, err);
out:
    if (res != NULL) {
        for (i = 0; i < o->repeat; i++) {
            sim_run_result_clear(&res[i]);
        }
    }
    free(order);
    free(res);
    return status;
}

static int run_locked(const struct sim_options *o, const char *command,
                      FILE *out, FILE *err, int handle_signals,
                      struct sim_run_report *report, const char *dir,
                      struct sim_run_io *io_p, int *wrote);

/*
 * A run with its embedded server: `shared` (a sweep's, started and
 * stopped by it) or, when NULL, one started here for this run and
 * stopped after it.
 */
static int
run_with_io(const struct sim_options *o, const char *command, FILE *out,
            FILE *err, int handle_signals, struct sim_run_report *report,
            struct sim_run_io *shared)
{
    struct sim_run_io own;
    struct sim_run_io *io = shared != NULL ? shared : &own;
    int own_io = shared == NULL && sim_opt_uses_io(o);
    char dir[4096];
    int created = 0;
    int lock_fd = -1;
    int wrote = 0;
    int status;

    plots_off = 0;
    if (report != NULL) {
        memset(report, 0, sizeof(*report));
    }
    memset(&own, 0, sizeof(own));
    if (own_io) {
        /* Before the run folder: a taken port leaves nothing behind. */
        status = sim_run_io_start(o, &own, err);
        if (status != SIM_EXIT_OK) {
            return status;
        }
    }
    if (o->cell) {
        int done = 0;

        status = sim_cell_begin(o, dir, sizeof(dir), &done, &lock_fd, err);
        if (status == SIM_EXIT_OK && done) {
            if (!o->quiet) {
                fprintf(err, "gilsim: --cell: %s is finished; nothing to run\n",
                        o->out_dir);
            }
            if (own_io) {
                sim_run_io_stop(&own);
            }
            return SIM_EXIT_OK;
        }
    } else {
        status = sim_run_make_dir(o, dir, sizeof(dir), &created, err);
        if (status == SIM_EXIT_OK) {
            status = sim_run_lock_dir(dir, &lock_fd, err);
        }
    }
    if (status != SIM_EXIT_OK) {
        if (created) {
            (void)rmdir(dir);
        }
        if (own_io) {
            sim_run_io_stop(&own);
        }
        return status;
    }
    status = run_locked(o, command, out, err, handle_signals, report, dir, io,
                        &wrote);
    if (own_io) {
        sim_run_io_stop(&own);
    }
    if (o->cell) {
        /* A signal's status (128 + N) is no measurement: not renamed.
         * The lock goes after the rename. */
        return sim_cell_end(o->out_dir, dir, status, wrote, lock_fd, err);
    }
    sim_run_unlock_dir(dir, lock_fd);
    if (!wrote && created) {
        /* No summary was written: what a failed model left (its pages,
         * a trace cut short) is of no use, and the folder is ours. */
        base_remove_tree(dir);
    }
    return status;
}

int
sim_run_main(const struct sim_options *o, const char *command, FILE *out,
             FILE *err, int handle_signals, struct sim_run_report *report)
{
    sim_stop_reset();
    return run_with_io(o, command, out, err, handle_signals, report, NULL);
}

int
sim_run_cell(const struct sim_options *o, const char *command,
             struct sim_run_io *io, FILE *out, FILE *err)
{
    return run_with_io(o, command, out, err, 0, NULL, io);
}

/* Each model --model asks for, in enum order, into runs (*n of them),
 * until one fails or the run is stopped; *failed when a step failed. A
 * model that fails leaves nothing: its folder is removed. */
static int
run_models(const struct sim_options *o, const char *dir,
           struct sim_run_io *io_p, struct sim_trace_summary *runs, size_t *n,
           int *failed, FILE *err)
{
    int status = SIM_EXIT_OK;
    int m;

    for (m = 0; m < SIM_MODEL_COUNT; m++) {
        if (!(o->models & (1u << m))) {
            continue;
        }
        if (sim_stop_requested()) {
            break;
        }
        status = run_model(o, (enum sim_model)m, dir, io_p, &runs[*n], err);
        if (status != SIM_EXIT_OK) {
            /* The summary will not list it: nothing of it stays. */
            char mdir[4200];

            (void)snprintf(mdir, sizeof(mdir), "%.4000s/%s", dir,
                           sim_model_name((enum sim_model)m));
            base_remove_tree(mdir);
            break;
        }
        if (runs[*n].stats.steps_failed > 0) {
            *failed = 1;
        }
        (*n)++;
    }
    return status;
}

/* What --format asks for on out, in the order of SIM_FORMAT_*, a blank
 * line between two; then where the traces are. */
static int
print_formats(const struct sim_options *o, const char *command,
              const struct sim_trace_summary *runs, size_t n, const char *dir,
              FILE *out, FILE *err)
{
    if (o->formats & SIM_FORMAT_TEXT) {
        sim_table_print(runs, n, out);
    }
    if (o->formats & SIM_FORMAT_JSON) {
        if (o->formats & (SIM_FORMAT_JSON - 1u)) {
            fputc('\n', out);
        }
        if (sim_trace_write_summary_json_ex(runs, n, SIM_VERSION, command,
                                            write_costs_fn, o, out) != 0) {
            fprintf(err, "gilsim: cannot print the summary\n");
            return SIM_EXIT_ERROR;
        }
    }
    if (o->formats & SIM_FORMAT_TSV) {
        if (o->formats & (SIM_FORMAT_TSV - 1u)) {
            fputc('\n', out);
        }
        sim_table_print_tsv(runs, n, out);
    }
    if (o->formats & SIM_FORMAT_MD) {
        if (o->formats & (SIM_FORMAT_MD - 1u)) {
            fputc('\n', out);
        }
        sim_table_print_md(runs, n, out);
    }
    if (o->formats & SIM_FORMAT_TEXT) {
        sim_costs_print_line(&o->costs, o->costs_given, out);
        sim_workload_say_cold(o, out);
        sim_engine_say(o, out);
        /* A cell's folder is renamed to --out once this returns. */
        fprintf(out, "traces and summary: %s\n", o->cell ? o->out_dir : dir);
    } else if (!o->quiet) {
        /* Keep stdout pure JSON, TSV or Markdown. */
        fprintf(err, "gilsim: traces and summary: %s\n",
                o->cell ? o->out_dir : dir);
    }
    fflush(out);
    return SIM_EXIT_OK;
}

/* The run once its folder is made and locked; *wrote is 0 if nothing
 * was written into it. */
static int
run_locked(const struct sim_options *o, const char *command, FILE *out,
           FILE *err, int handle_signals, struct sim_run_report *report,
           const char *dir, struct sim_run_io *io_p, int *wrote)
{
    struct sim_trace_summary runs[SIM_MODEL_COUNT];
    struct sim_stop stops;
    struct summary_ctx sc;
    char msg[SIM_ERR_LEN * 2];
    size_t n = 0;
    int status;
    int failed = 0;

    *wrote = 0;
    (void)snprintf(io_p->dir, sizeof(io_p->dir), "%s", dir);
    if (report != NULL) {
        (void)snprintf(report->dir, sizeof(report->dir), "%s", dir);
    }
    if (handle_signals) {
        sim_stop_install(&stops);
    }
    /* Measure the machine once, before any clock starts. */
    (void)wl_cpu_calibrate();
    status = run_models(o, dir, io_p, runs, &n, &failed, err);
    if (handle_signals) {
        sim_stop_restore(&stops);
    }
    if (status != SIM_EXIT_OK && n == 0) {
        return status;
    }
    *wrote = 1;
    if (sim_stop_signal() != 0 && !o->quiet) {
        fprintf(err, "gilsim: interrupted; the traces of what ran are in %s\n",
                dir);
    }

    sc.runs = runs;
    sc.n = n;
    sc.command = command;
    sc.o = o;
    if (base_write_atomic(dir, "summary.json", write_summary_fn, &sc, msg,
                          sizeof(msg)) != 0) {
        fprintf(err, "gilsim: %s\n", msg);
        return SIM_EXIT_ERROR;
    }
    base_sync_dir(dir);
    plot_runs(dir, o, runs, n, err);
    if (sim_report_write(dir, msg, sizeof(msg)) != 0) {
        /* Like the pictures, the page never changes the exit status. */
        fprintf(err, "gilsim: index.html skipped: %s\n", msg);
    }
    if (report != NULL) {
        memcpy(report->runs, runs, n * sizeof(runs[0]));
        report->n = n;
    }
    if (status != SIM_EXIT_OK) {
        return status;
    }
    status = print_formats(o, command, runs, n, dir, out, err);
    if (status != SIM_EXIT_OK) {
        return status;
    }
    if (failed) {
        print_failures(runs, n, dir, err);
    }
    if (sim_stop_signal() != 0) {
        return 128 + (int)sim_stop_signal();
    }
    return failed ? SIM_EXIT_FAILURES : SIM_EXIT_OK;
}
