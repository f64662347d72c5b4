/*
 * report.c - index.html, the page of a run or sweep folder. The run's
 * page reads summary.json with summary_read.c.
 *
 * The page is self-contained: the title, the command line that made the
 * run (summary.json's "command"), the comparison table, comparison.svg and
 * each MODEL/timeline.svg inlined (a missing picture gets a short note
 * instead), and for each model a link to MODEL/trace.json with how to open
 * it in Perfetto. All text taken from the files is escaped; the SVGs are
 * gilsim's own (gnuplot's output) and are embedded from their <svg tag on,
 * without the XML prolog. The page is written through
 * base_write_atomic (a temporary file, fsync, rename), so a reader
 * never sees half of it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base.h"
#include "report.h"
#include "run.h"

/* sim/perfetto_open.js, built in by cmake/embed.cmake. */
extern const unsigned char sim__perfetto_open_js[];

/* ---- writing index.html ------------------------------------------------- */

/* Text with &, <, >, " and ' escaped. */
static void
esc(FILE *f, const char *s)
{
    for (; *s != '\0'; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        case '\'':
            fputs("&#39;", f);
            break;
        default:
            fputc(*s, f);
        }
    }
}

/* One table cell holding a number. */
static void
td(FILE *f, const char *fmt, double v)
{
    fputs("<td>", f);
    fprintf(f, fmt, v);
    fputs("</td>", f);
}

static void
td_dash(FILE *f)
{
    fputs("<td>&#8212;</td>", f);
}

/* A p99 cell, marked when it comes from few samples; 1 if marked. */
static int
td_p99(FILE *f, double v, const char *fmt, uint64_t samples)
{
    char text[64];

    (void)snprintf(text, sizeof(text), fmt, v);
    if (samples < SIM_REPORT_FEW_SAMPLES) {
        fprintf(f, "<td title=\"from %llu samples: the largest one\">%s*</td>",
                (unsigned long long)samples, text);
        return 1;
    }
    fprintf(f, "<td>%s</td>", text);
    return 0;
}

static void
write_table(FILE *f, const struct sim_report_summary *sum)
{
    const struct sim_trace_summary *serial = NULL;
    int few = 0, repeated = 0;
    size_t i;

    for (i = 0; i < sum->n; i++) {
        if (strcmp(sum->runs[i].model, "serial") == 0) {
            serial = &sum->runs[i];
        }
        repeated |= sum->runs[i].repeat > 1;
    }
    fputs("<div class=\"scroll\"><table>\n<thead><tr><th>model</th>"
          "<th>threads</th><th>wall (s)</th>",
          f);
    if (repeated) {
        fputs("<th>mean &#177; &#963; (s)</th>", f);
    }
    fputs("<th>CPU (s)</th><th>speed-up</th>"
          "<th>GIL wait</th><th>forced switches</th>"
          "<th>hand-off p50 (&#181;s)</th><th>hand-off p99 (&#181;s)</th>"
          "<th>fetch p50 (ms)</th><th>fetch p99 (ms)</th>"
          "<th>failed</th></tr></thead>\n<tbody>\n",
          f);
    for (i = 0; i < sum->n; i++) {
        const struct sim_trace_summary *r = &sum->runs[i];
        const struct sim_trace_stats *s = &r->stats;
        double ratio, sd;

        fputs("<tr><td>", f);
        esc(f, r->model);
        fputs("</td>", f);
        td(f, "%.0f", (double)r->threads);
        if (r->repeat > 1) {
            /* The median, and the spread of the repetitions. */
            fprintf(f, "<td>%.3f (%.3f&#8211;%.3f)</td>",
                    (double)r->wall_ns / 1e9, (double)r->wall_ns_min / 1e9,
                    (double)r->wall_ns_max / 1e9);
        } else {
            td(f, "%.3f", (double)r->wall_ns / 1e9);
        }
        if (repeated) {
            fprintf(
                f, "<td>%.3f &#177; %.3f</td>",
                (double)(r->wall_ns_mean > 0 ? r->wall_ns_mean : r->wall_ns) /
                    1e9,
                (double)r->wall_ns_sd / 1e9);
        }
        td(f, "%.3f", (double)r->cpu_ns / 1e9);
        if (sim_table_speedup(serial, r, &ratio, &sd) != 0) {
            td_dash(f);
        } else if (repeated && r != serial) {
            fprintf(f, "<td>%.2f &#177; %.2fx</td>", ratio, sd);
        } else {
            td(f, "%.2fx", ratio);
        }
        td(f, "%.1f%%", 100.0 * sim_table_wait_share(s));
        td(f, "%.0f", (double)s->forced_switches);
        if (s->handoffs > 0) {
            td(f, "%.1f", (double)s->handoff_p50_ns / 1e3);
            few |=
                td_p99(f, (double)s->handoff_p99_ns / 1e3, "%.1f", s->handoffs);
        } else {
            td_dash(f);
            td_dash(f);
        }
        if (s->fetches > 0) {
            td(f, "%.2f", (double)s->fetch_p50_ns / 1e6);
            few |= td_p99(f, (double)s->fetch_p99_ns / 1e6, "%.2f", s->fetches);
        } else {
            td_dash(f);
            td_dash(f);
        }
        td(f, "%.0f", (double)s->steps_failed);
        fputs("</tr>\n", f);
    }
    fputs("</tbody>\n</table></div>\n", f);
    fputs("<p class=\"note\">wall: pool start to the last thread's end "
          "(with --repeat: the median, then the min and max, and the mean "
          "&#177; the sample standard deviation). "
          "CPU: user + system time. speed-up: serial's wall / this wall "
          "(with --repeat: of the means, &#177; what both &#963; give it). "
          "GIL wait: time waiting for the GIL / (running + waiting + I/O), "
          "summed over threads. forced switches: drops made because a "
          "waiter asked. hand-off: from a GIL drop to the take by a waiting "
          "thread. fetch: one fetch step, GIL waits included. "
          "&#8212;: does not apply.",
          f);
    if (few) {
        fprintf(f,
                " *: from fewer than %d samples, so this p99 is the "
                "largest one.",
                SIM_REPORT_FEW_SAMPLES);
    }
    fputs("</p>\n", f);
}

/*
 * Writes an SVG with every id it defines, and every reference to one
 * (href="#..." and url(#...)), prefixed with "sN-": gnuplot gives the same
 * ids (gpPt0, gnuplot_canvas...) to every picture, and ids must be unique
 * in one page.
 */
static void
put_svg(FILE *f, const char *svg, size_t len, int n)
{
    static const char *const marks[] = {" id='",   " id=\"",   "\tid='",
                                        "\tid=\"", "\nid='",   "\nid=\"",
                                        "href='#", "href=\"#", "url(#"};
    size_t i = 0;

    while (i < len) {
        size_t m;
        size_t ml = 0;

        for (m = 0; m < sizeof(marks) / sizeof(marks[0]); m++) {
            size_t l = strlen(marks[m]);

            if (l <= len - i && memcmp(svg + i, marks[m], l) == 0) {
                ml = l;
                break;
            }
        }
        if (ml > 0) {
            fwrite(svg + i, 1, ml, f);
            fprintf(f, "s%d-", n);
            i += ml;
        } else {
            fputc(svg[i], f);
            i++;
        }
    }
}

/* Inline dir/rel (an SVG) from its <svg tag on, or a note if missing. */
static void
inline_svg(FILE *f, const char *dir, const char *rel, int n)
{
    char path[4200];
    char *text;
    const char *svg;
    size_t len;

    (void)snprintf(path, sizeof(path), "%.4000s/%s", dir, rel);
    if (base_read_file(path, BASE_MAX_LARGE, &text, &len) != 0 ||
        text == NULL) {
        fputs("<p class=\"note\">No picture: ", f);
        esc(f, rel);
        fputs(" is missing (gnuplot was not available, or --no-plots).</p>\n",
              f);
        return;
    }
    svg = strstr(text, "<svg");
    if (svg == NULL) {
        fputs("<p class=\"note\">No picture: ", f);
        esc(f, rel);
        fputs(" is not an SVG file.</p>\n", f);
    } else {
        fputs("<div class=\"plot\">\n", f);
        put_svg(f, svg, len - (size_t)(svg - text), n);
        fputs("\n</div>\n", f);
    }
    free(text);
}

static const char page_head[] =
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
    "<meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, "
    "initial-scale=1\">\n";

static const char page_style[] =
    "<style>\n"
    "body { font-family: sans-serif; margin: 2em; color: #222; }\n"
    "@media (max-width: 40em) { body { margin: 0.8em; } }\n"
    ".scroll { overflow-x: auto; max-width: 100%; }\n"
    ".verdict { font-size: 1.15em; }\n"
    "button.perfetto { margin-left: 0.5em; }\n"
    "code { background: #f3f3f3; padding: 0.2em 0.4em; "
    "word-break: break-all; }\n"
    "table { border-collapse: collapse; }\n"
    "th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; "
    "text-align: right; white-space: nowrap; }\n"
    "th:first-child, td:first-child { text-align: left; }\n"
    "th { background: #f3f3f3; }\n"
    ".note { color: #666; font-size: 0.9em; max-width: 60em; }\n"
    ".warn { background: #fff3cd; border-left: 4px solid #e0a800; "
    "padding: 0.4em 0.8em; max-width: 60em; }\n"
    ".plot svg { max-width: 100%; height: auto; }\n"
    "</style>\n";

/* The name of MODEL's Chrome trace in dir: trace.json, or trace.json.gz
 * when the run was made with --compress. */
static const char *
trace_json_name(const char *dir, const char *model)
{
    char path[4200];
    struct stat st;

    (void)snprintf(path, sizeof(path), "%.4000s/%.64s/trace.json.gz", dir,
                   model);
    return stat(path, &st) == 0 ? "trace.json.gz" : "trace.json";
}

/* Never silently: what the trace files and the timeline miss, and what
 * the statistics miss (events that did not fit in memory). */
static void
write_cut_warning(FILE *f, const struct sim_trace_summary *r)
{
    struct plot_cut cut;

    if (sim_report_timeline_cut(r, &cut)) {
        int ring = strcmp(r->trace_kept, "ring") == 0;

        fprintf(f,
                "<p class=\"warn\"><b>This trace was cut:</b> %llu events "
                "are not in it. It keeps the %s events of each thread, so "
                "the timeline and trace.json %s %.0f ms of the run's %.0f ms "
                "(the hatched part is missing). The table counts every "
                "event. <code>--trace-events=N</code> keeps more%s.</p>\n",
                (unsigned long long)r->events_cut, ring ? "last" : "first",
                ring ? "start at" : "end at",
                (double)(ring ? cut.missing_to_ns : cut.missing_from_ns) / 1e6,
                (double)cut.run_end_ns / 1e6,
                ring ? "" : "; <code>--trace=ring</code> keeps the last ones");
    }
    if (r->stats.events_lost > 0) {
        fprintf(f,
                "<p class=\"warn\"><b>Events lost:</b> %llu events did "
                "not fit in memory, and the statistics miss them. Raise "
                "<code>--trace-events</code>.</p>\n",
                (unsigned long long)r->stats.events_lost);
    }
}

static void
write_page(FILE *f, const char *dir, const struct sim_report_summary *sum)
{
    const char *workload = sum->n > 0 ? sum->runs[0].workload : "";
    size_t i;

    char line[512];

    fputs(page_head, f);
    fputs("<title>gilsim: ", f);
    esc(f, workload);
    fputs(" workload</title>\n", f);
    fputs(page_style, f);
    fputs("</head>\n<body>\n<h1>gilsim: ", f);
    esc(f, workload);
    fputs(" workload</h1>\n<p>Made by <code>", f);
    esc(f, sum->command != NULL ? sum->command : "(not recorded)");
    fputs("</code>", f);
    if (sum->version != NULL) {
        fputs(" (gilsim ", f);
        esc(f, sum->version);
        fputs(")", f);
    }
    fputs(".</p>\n", f);
    sim_table_verdict(sum->runs, sum->n, line, sizeof(line));
    if (line[0] != '\0') {
        fputs("<p class=\"verdict\"><b>", f);
        esc(f, line);
        fputs("</b></p>\n", f);
    }
    for (i = 0; i < sum->n; i++) {
        if (sim_table_spread_warning(&sum->runs[i], line, sizeof(line))) {
            fputs("<p class=\"warn\">", f);
            esc(f, line);
            fputs("</p>\n", f);
        }
    }
    fputs("<h2>Comparison</h2>\n", f);
    write_table(f, sum);
    inline_svg(f, dir, "comparison.svg", 0);
    for (i = 0; i < sum->n; i++) {
        const char *m = sum->runs[i].model;
        const char *json;
        char rel[64];

        fputs("<h2>", f);
        esc(f, m);
        fputs("</h2>\n", f);
        if (strcmp(sum->runs[i].trace_kept, "off") == 0) {
            fputs("<p>No trace and no timeline: the run was made with "
                  "<code>--trace=off</code>.</p>\n",
                  f);
            continue;
        }
        write_cut_warning(f, &sum->runs[i]);
        (void)snprintf(rel, sizeof(rel), "%s/timeline.svg", m);
        inline_svg(f, dir, rel, (int)i + 1);
        json = trace_json_name(dir, m);
        fputs("<p>The trace: <a href=\"", f);
        esc(f, m);
        fprintf(f, "/%s\">", json);
        esc(f, m);
        fprintf(f, "/%s</a>", json);
        fputs("<button type=\"button\" class=\"perfetto\" data-trace=\"", f);
        esc(f, m);
        fprintf(f, "/%s\" data-title=\"gilsim ", json);
        esc(f, m);
        fputs("\">Open in Perfetto</button> <span class=\"perfetto-note "
              "note\"></span><br>With the page served over http (e.g. "
              "<code>python3 -m http.server --directory RUN_FOLDER</code>), "
              "the button hands the trace to https://ui.perfetto.dev; "
              "otherwise drop the file on that page.</p>\n",
              f);
    }
    fprintf(f, "<script>\n%s</script>\n</body>\n</html>\n",
            (const char *)sim__perfetto_open_js);
}

struct page_ctx {
    const char *dir;
    const struct sim_report_summary *sum;
};

static int
write_page_fn(const void *ctx, FILE *f)
{
    const struct page_ctx *pc = ctx;

    write_page(f, pc->dir, pc->sum);
    return ferror(f) ? -EIO : 0;
}

int
sim_report_write(const char *dir, char *err, size_t errlen)
{
    struct sim_report_summary sum;
    struct page_ctx pc;
    char path[4200];
    int rc;

    (void)snprintf(path, sizeof(path), "%.4000s/summary.json", dir);
    rc = sim_report_read_summary(path, &sum, err, errlen);
    if (rc != 0) {
        return rc;
    }
    pc.dir = dir;
    pc.sum = &sum;
    rc = base_write_atomic(dir, "index.html", write_page_fn, &pc, err, errlen);
    sim_report_summary_clear(&sum);
    return rc;
}

/* ---- a sweep folder's page ------------------------------------------------
 */

static void
write_sweep_page(FILE *f, const char *dir, const char *command,
                 const char *recommendation, const struct sim_sweep_cell *cells,
                 size_t n)
{
    char path[4200];
    struct stat st;
    int has_cells;
    size_t i;

    (void)snprintf(path, sizeof(path), "%.4000s/cells", dir);
    has_cells = stat(path, &st) == 0 && S_ISDIR(st.st_mode);
    fputs(page_head, f);
    fputs("<title>gilsim sweep</title>\n", f);
    fputs(page_style, f);
    fputs("</head>\n<body>\n<h1>gilsim sweep</h1>\n<p>Made by <code>", f);
    esc(f, command != NULL && command[0] != '\0' ? command : "(not recorded)");
    fputs("</code>.</p>\n<p><b>", f);
    esc(f, recommendation);
    fputs("</b></p>\n<h2>Cells</h2>\n<div class=\"scroll\"><table>\n"
          "<tr><th>model</th><th>threads</th><th>switch interval (ms)</th>"
          "<th>repeats</th><th>median wall (s)</th>"
          "<th>mean &#177; &#963; (s)</th><th>min (s)</th><th>max (s)</th>"
          "</tr>\n",
          f);
    for (i = 0; i < n; i++) {
        const struct sim_sweep_cell *c = &cells[i];

        if (c->reps <= 0) {
            continue;
        }
        fputs("<tr><td>", f);
        esc(f, sim_model_name(c->model));
        fputs("</td>", f);
        td(f, "%.0f", (double)c->pool);
        td(f, "%.6g", (double)c->switch_interval_ns / 1e6);
        td(f, "%.0f", (double)c->reps);
        td(f, "%.4g", (double)c->wall_ns_median / 1e9);
        fprintf(f, "<td>%.4g &#177; %.2g</td>", c->wall_ns_mean / 1e9,
                c->wall_ns_sd / 1e9);
        td(f, "%.4g", (double)c->wall_ns_min / 1e9);
        td(f, "%.4g", (double)c->wall_ns_max / 1e9);
        fputs("</tr>\n", f);
    }
    fputs("</table></div>\n<p class=\"note\">The data: <a href=\"sweep.tsv\">"
          "sweep.tsv</a>, one row per cell and repetition",
          f);
    if (has_cells) {
        /* Not in a sweep folder of a gilsim before cells/. */
        fputs("; each repetition's run is in <a href=\"cells/\">cells/</a>, "
              "and <a href=\"cells.tsv\">cells.tsv</a> says where each ran",
              f);
    }
    fputs(".</p>\n", f);
    fputs("<h2>Wall time against threads</h2>\n", f);
    inline_svg(f, dir, "sweep-threads.svg", 0);
    fputs("<h2>Threads and switch intervals</h2>\n", f);
    inline_svg(f, dir, "sweep-heatmap.svg", 1);
    fputs("</body>\n</html>\n", f);
}

struct sweep_page_ctx {
    const char *dir;
    const char *command;
    const char *recommendation;
    const struct sim_sweep_cell *cells;
    size_t n;
};

static int
write_sweep_page_fn(const void *ctx, FILE *f)
{
    const struct sweep_page_ctx *sc = ctx;

    write_sweep_page(f, sc->dir, sc->command, sc->recommendation, sc->cells,
                     sc->n);
    return ferror(f) ? -EIO : 0;
}

int
sim_report_write_sweep(const char *dir, const char *command,
                       const char *recommendation,
                       const struct sim_sweep_cell *cells, size_t n, char *err,
                       size_t errlen)
{
    struct sweep_page_ctx sc = {dir, command, recommendation, cells, n};

    return base_write_atomic(dir, "index.html", write_sweep_page_fn, &sc, err,
                             errlen);
}
