/*
 * sweep_print.c - a sweep's cells on stdout as JSON, TSV or Markdown
 * (`gilsim sweep --format=json|tsv|md`); --format=text is the
 * recommendation line that sweep.c prints.
 *
 * Every format has one entry per cell: its model, pool, switch interval,
 * the repetitions found and the median, min, max, mean and sample sd of
 * their wall times; JSON adds the command, the version and the
 * recommendation (sim_sweep_recommend) as numbers, Markdown the
 * recommendation line under the table. JSON is built with libjansson and
 * dumped in one piece, so a failure leaves nothing half-printed.
 */
#include <jansson.h>
#include <string.h>

#include "run.h"

/* A cell as a JSON object; NULL when out of memory. */
static json_t *
cell_json(const struct sim_sweep_cell *c)
{
    return json_pack(
        "{s:s, s:i, s:i, s:i, s:i, s:I, s:i, s:I, s:I, s:I, s:f, s:f}", "model",
        sim_model_name(c->model), "threads", c->threads, "processes",
        c->processes, "concurrency", c->concurrency, "pool", c->pool,
        "switch_interval_ns", (json_int_t)c->switch_interval_ns, "repeats",
        c->reps, "wall_ns_median", (json_int_t)c->wall_ns_median, "wall_ns_min",
        (json_int_t)c->wall_ns_min, "wall_ns_max", (json_int_t)c->wall_ns_max,
        "wall_ns_mean", c->wall_ns_mean, "wall_ns_sd", c->wall_ns_sd);
}

static int
print_json(const struct sim_sweep_cell *cells, size_t n, const char *command,
           FILE *out)
{
    struct sim_sweep_choice ch;
    json_t *doc, *arr, *rec = NULL;
    size_t i;
    int rc = -1;

    arr = json_array();
    if (arr == NULL) {
        return -1;
    }
    for (i = 0; i < n; i++) {
        if (json_array_append_new(arr, cell_json(&cells[i])) != 0) {
            json_decref(arr);
            return -1;
        }
    }
    if (sim_sweep_recommend(cells, n, &ch) == 0) {
        rec = json_pack(
            "{s:o, s:o, s:I}", "chosen", cell_json(&cells[ch.chosen]), "best",
            cell_json(&cells[ch.best]), "noise_ns", (json_int_t)ch.noise_ns);
    } else {
        rec = json_null();
    }
    doc =
        json_pack("{s:s, s:i, s:s, s:s?, s:o, s:o*}", "format", "gilsim-sweep",
                  "format_version", 1, "gilsim_version", SIM_VERSION, "command",
                  command, "cells", arr, "recommendation", rec);
    if (doc != NULL) {
        rc = json_dumpf(doc, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fputc('\n', out);
        json_decref(doc);
    }
    return rc == 0 ? 0 : -1;
}

static void
print_tsv(const struct sim_sweep_cell *cells, size_t n, FILE *out)
{
    size_t i;

    fputs("model\tthreads\tprocesses\tconcurrency\tpool\tswitch_interval_ns"
          "\trepeats"
          "\twall_ns_median\twall_ns_min\twall_ns_max\twall_ns_mean"
          "\twall_ns_sd\n",
          out);
    for (i = 0; i < n; i++) {
        const struct sim_sweep_cell *c = &cells[i];

        fprintf(
            out, "%s\t%d\t%d\t%d\t%d\t%lld\t%d\t%lld\t%lld\t%lld\t%.0f\t%.0f\n",
            sim_model_name(c->model), c->threads, c->processes, c->concurrency,
            c->pool, (long long)c->switch_interval_ns, c->reps,
            (long long)c->wall_ns_median, (long long)c->wall_ns_min,
            (long long)c->wall_ns_max, c->wall_ns_mean, c->wall_ns_sd);
    }
}

static void
print_md(const struct sim_sweep_cell *cells, size_t n,
         const char *recommendation, FILE *out)
{
    size_t i;

    fputs("| model | pool | switch interval (ms) | repeats | median (s) | "
          "mean \xc2\xb1 \xcf\x83 (s) | min (s) | max (s) |\n"
          "|---|---:|---:|---:|---:|---:|---:|---:|\n",
          out);
    for (i = 0; i < n; i++) {
        const struct sim_sweep_cell *c = &cells[i];

        if (c->reps <= 0) {
            fprintf(out,
                    "| %s | %d | %.6g | 0 | \xe2\x80\x94 | \xe2\x80\x94 "
                    "| \xe2\x80\x94 | \xe2\x80\x94 |\n",
                    sim_model_name(c->model), c->pool,
                    (double)c->switch_interval_ns / 1e6);
            continue;
        }
        fprintf(out,
                "| %s | %d | %.6g | %d | %.3f | %.3f \xc2\xb1 %.3f | %.3f | "
                "%.3f |\n",
                sim_model_name(c->model), c->pool,
                (double)c->switch_interval_ns / 1e6, c->reps,
                (double)c->wall_ns_median / 1e9, c->wall_ns_mean / 1e9,
                c->wall_ns_sd / 1e9, (double)c->wall_ns_min / 1e9,
                (double)c->wall_ns_max / 1e9);
    }
    if (recommendation != NULL && recommendation[0] != '\0') {
        fprintf(out, "\n%s\n", recommendation);
    }
}

int
sim_sweep_print(const struct sim_sweep_cell *cells, size_t n, unsigned formats,
                const char *command, const char *recommendation, FILE *out)
{
    /* After the text (the recommendation), a blank line between two. */
    unsigned before = formats & SIM_FORMAT_TEXT;

    if (formats & SIM_FORMAT_JSON) {
        if (before) {
            fputc('\n', out);
        }
        if (print_json(cells, n, command, out) != 0) {
            return -1;
        }
        before = 1;
    }
    if (formats & SIM_FORMAT_TSV) {
        if (before) {
            fputc('\n', out);
        }
        print_tsv(cells, n, out);
        before = 1;
    }
    if (formats & SIM_FORMAT_MD) {
        if (before) {
            fputc('\n', out);
        }
        print_md(cells, n, recommendation, out);
    }
    return 0;
}
