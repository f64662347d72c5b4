/*
 * predict.c - `gilsim predict DIR [sweep options]`: a recording replayed.
 *
 * 1. The recording's raw files say how the program ran (its first pool's
 *    kind and size, or an asyncio loop and its tasks' concurrency; its
 *    switch interval: rec_recorded_config) and how long its tasks took,
 *    first to last (rec_tasks_wall): the measurement.
 * 2. DIR/workload.json is run once in that configuration (--repeat times,
 *    the median kept), into OUT/recorded, and the two are printed side by
 *    side with their ratio, predicted / measured: how far to trust the
 *    rest.
 * 3. Then the sweep the options ask for (models, --threads, --processes,
 *    --concurrency, --switch-interval lists, the engine) runs into OUT/sweep,
 * with its table and recommendation, as `gilsim sweep --workload=DIR/
 *    workload.json` would.
 * Both run without the costs' cold-resume cost (costs.c's
 * cold_instructions): the recorded CPU times were measured with whatever
 * cold caches the program met, and charging the model's on top counted
 * them twice (bench/fidelity/record.py's cpu_batch: 4 threads 7 % slower
 * than 1 in the replay, 1 % in CPython). An asyncio recording's file
 * says its own (cold_resume, synth_resume.c: its cpu steps are hot),
 * which the runs charge instead.
 * OUT is --out (new or empty), or DIR/predict (DIR/predict-2, ... when
 * that exists: an earlier prediction is kept).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base.h"
#include "record.h"

static int
model_of(const char *name, enum sim_model *m)
{
    int i;

    for (i = 0; i < SIM_MODEL_COUNT; i++) {
        if (strcmp(sim_model_name((enum sim_model)i), name) == 0) {
            *m = (enum sim_model)i;
            return 0;
        }
    }
    return -1;
}

/* The recorded configuration as a run's options. */
static void
recorded_options(const struct sim_options *o, const struct rec_config *cfg,
                 int64_t interval_ns, enum sim_model m, const char *out_dir,
                 struct sim_options *ro)
{
    *ro = *o;
    ro->models = 1u << m;
    if (m == SIM_MODEL_PROCESSES) {
        ro->processes = cfg->workers;
    } else if (m == SIM_MODEL_LOOP) {
        ro->concurrency = cfg->workers; /* its offload threads: --threads */
    } else {
        ro->threads = cfg->workers;
    }
    if (interval_ns > 0) {
        ro->switch_interval_ns = interval_ns;
    }
    ro->n_sweep_threads = ro->n_sweep_processes = ro->n_sweep_switch = 0;
    ro->n_sweep_concurrency = 0;
    ro->formats = 0;
    ro->quiet = 1;
    (void)snprintf(ro->out_dir, sizeof(ro->out_dir), "%.4000s", out_dir);
}

/* The probe's own work between calls in all (its events, each at its
 * O line's ns_between), in ms: about what gilsim record took out of the
 * cpu steps (holds count an event each here, half at either end there). */
static double
probe_between_ms(const struct rec *r)
{
    double ns = 0;
    size_t i;

    for (i = 0; i < r->n_procs; i++) {
        ns += (double)r->procs[i].probe_events *
              (double)r->procs[i].probe_ns_between;
    }
    return ns / 1e6;
}

int
sim_predict_main(const struct sim_options *o, const char *command, FILE *out,
                 FILE *err)
{
    struct sim_run_report report;
    struct sim_options ro, so;
    struct rec_config cfg;
    struct rec rec;
    enum sim_model m;
    char raw[4200], base[3900], sub[4000], msg[SIM_ERR_LEN * 2];
    int64_t measured, interval, window = 0, after = 0;
    double ratio, probe_ms;
    int status;

    (void)snprintf(raw, sizeof(raw), "%.4000s/raw", o->predict_dir);
    if (rec_read_dir(raw, &rec, msg, sizeof(msg)) != 0) {
        fprintf(err, "gilsim: predict %s: not a recording (%s)\n",
                o->predict_dir, msg);
        return SIM_EXIT_USAGE;
    }
    rec_recorded_config(&rec, &cfg);
    measured = rec_tasks_wall(&rec);
    interval = rec.procs[0].switch_interval_ns;
    probe_ms = probe_between_ms(&rec);
    rec_clear(&rec);
    if (model_of(cfg.model, &m) != 0) {
        fprintf(err, "gilsim: predict: unknown recorded model %s\n", cfg.model);
        return SIM_EXIT_ERROR;
    }
    if (o->out_dir[0] != '\0') {
        (void)snprintf(base, sizeof(base), "%.3800s", o->out_dir);
        if (mkdir(base, 0777) != 0 && errno != EEXIST) {
            base_errf(msg, sizeof(msg), errno, "cannot create %.900s", base);
            fprintf(err, "gilsim: predict: %s\n", msg);
            return SIM_EXIT_USAGE;
        }
    } else {
        /* DIR/predict, or DIR/predict-2, ... when it was predicted
         * before: an earlier prediction stays as it was. */
        (void)snprintf(sub, sizeof(sub), "%.3800s/predict", o->predict_dir);
        status = sim_run_make_fresh_dir(sub, base, sizeof(base), err);
        if (status != SIM_EXIT_OK) {
            return status;
        }
    }
    if (!o->quiet) {
        fprintf(err, "gilsim: predict: writing %s\n", base);
    }

    (void)snprintf(sub, sizeof(sub), "%s/recorded", base);
    recorded_options(o, &cfg, interval, m, sub, &ro);
    ro.costs.cold_instructions = 0;
    if (sim_workload_cold(&ro, &window, &after) && window > 0) {
        sim_workload_say_cold(&ro, out); /* the recording's own */
    } else {
        fprintf(out, "the cold-resume cost is off: the recorded CPU times "
                     "include the program's own cold caches\n");
    }
    memset(&report, 0, sizeof(report));
    status = sim_run_main(&ro, command, out, err, 1, &report);
    if (status != SIM_EXIT_OK || report.n != 1) {
        return status != SIM_EXIT_OK ? status : SIM_EXIT_ERROR;
    }
    ratio =
        measured > 0 ? (double)report.runs[0].wall_ns / (double)measured : 0.0;
    fprintf(out,
            "recorded configuration: %s, %d %s, switch interval %.6g ms%s\n"
            "  measured (the pool's tasks, first to last)  %.4f s\n"
            "  predicted (gilsim %s engine%s, %d repetition%s)  %.4f s\n",
            cfg.model, cfg.workers, rec_config_unit(&cfg),
            (double)ro.switch_interval_ns / 1e6,
            interval > 0 ? "" : " (not recorded: the run's)",
            (double)measured / 1e9, o->engine_virtual ? "virtual" : "real",
            o->engine_virtual ? ", simulated cores" : "", o->repeat,
            o->repeat == 1 ? "" : "s", (double)report.runs[0].wall_ns / 1e9);
    if (measured > 0) {
        if (probe_ms > 0) {
            fprintf(out,
                    "  (measured under the probe, whose own work between "
                    "calls, ~%.3g ms in all threads together, the replay "
                    "leaves out)\n",
                    probe_ms);
        }
        fprintf(out, "  predicted / measured  %.2fx\n\n", ratio);
    } else {
        fprintf(out, "  (the recording has no pool task to compare with)\n\n");
    }
    fflush(out);

    (void)snprintf(sub, sizeof(sub), "%s/sweep", base);
    so = *o;
    so.costs.cold_instructions = 0;
    (void)snprintf(so.out_dir, sizeof(so.out_dir), "%s", sub);
    so.predict_dir[0] = '\0';
    return sim_sweep_main(&so, command, NULL, out, err, 1);
}
