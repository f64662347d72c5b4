/*
 * table.c - the comparison table that gilsim prints on stdout, as text
 * (--format=text), Markdown (md) or tab-separated numbers (tsv).
 *
 * One row per model run, one column per number. Cells are formatted into
 * strings first (build); text pads every column to its widest cell, with
 * widths counted in characters, not bytes, so the UTF-8 in "µs" and "—"
 * does not shift the columns; Markdown puts the same cells between bars.
 * The model column is left-aligned, numbers are right-aligned. A column
 * whose value does not apply shows "—": speed-up when serial was not run,
 * hand-off when no thread ever waited. After the table come the verdict
 * (the fastest model and its speed-up over serial), a warning for each
 * model whose repetitions spread widely, and, in text, footnotes that
 * define the less obvious columns. TSV has the raw numbers in the units of
 * summary.json, one header line, and an empty field where text has "—".
 *
 * With --repeat=N the wall column is the median repetition, beside the
 * mean ± σ (sample standard deviation) and the min and max; the speed-up
 * is the ratio of the means, ± the σ that both means' σ give it (the
 * first-order propagation hyperfine uses).
 */
#include <math.h>
#include <string.h>

#include "report.h"

/* The most columns: 17 with --repeat and fetches (clang's UBSan found
 * the 17th written past the 16 there were room for). */
#define MAX_COLS 20
#define CELL_LEN 32
#define DASH     "\xe2\x80\x94" /* an em dash */

struct table {
    size_t ncols;
    size_t nrows; /* including the header */
    char cells[SIM_MODEL_COUNT + 1][MAX_COLS][CELL_LEN];
    int few;        /* a p99 from few samples was marked */
    int with_fetch; /* the fetch columns are there */
    int with_range; /* some run was repeated: mean, min, max */
};

/* Characters in a UTF-8 string: bytes that do not continue a sequence. */
static size_t
width(const char *s)
{
    size_t w = 0;

    for (; *s != '\0'; s++) {
        if (((unsigned char)*s & 0xC0) != 0x80) {
            w++;
        }
    }
    return w;
}

static void
put(struct table *t, size_t row, size_t col, const char *fmt, double v)
{
    (void)snprintf(t->cells[row][col], CELL_LEN, fmt, v);
}

static void
put_str(struct table *t, size_t row, size_t col, const char *s)
{
    if (col < MAX_COLS) {
        (void)snprintf(t->cells[row][col], CELL_LEN, "%s", s);
    }
}

static void
put_u64(struct table *t, size_t row, size_t col, uint64_t v)
{
    if (col < MAX_COLS) {
        (void)snprintf(t->cells[row][col], CELL_LEN, "%llu",
                       (unsigned long long)v);
    }
}

/* A time in µs with a precision that suits its size. */
static void
put_us(struct table *t, size_t row, size_t col, int64_t ns)
{
    double us = (double)ns / 1e3;

    put(t, row, col, us < 10.0 ? "%.1f" : "%.0f", us);
}

/* Mark the p99 in (row, col) with a '*' if it came from few samples; 1 if
 * it did. */
static int
mark_few(struct table *t, size_t row, size_t col, uint64_t samples)
{
    size_t len = strlen(t->cells[row][col]);

    if (samples >= SIM_REPORT_FEW_SAMPLES || len + 2 > CELL_LEN) {
        return 0;
    }
    t->cells[row][col][len] = '*';
    t->cells[row][col][len + 1] = '\0';
    return 1;
}

double
sim_table_wait_share(const struct sim_trace_stats *s)
{
    double busy = (double)s->hold_ns + (double)s->wait_ns + (double)s->io_ns;

    if (busy <= 0.0) {
        return 0.0;
    }
    return (double)s->wait_ns / busy;
}

static void
print_table(const struct table *t, FILE *f)
{
    size_t w[MAX_COLS] = {0};
    size_t r;
    size_t c;

    for (r = 0; r < t->nrows; r++) {
        for (c = 0; c < t->ncols; c++) {
            size_t cw = width(t->cells[r][c]);

            if (cw > w[c]) {
                w[c] = cw;
            }
        }
    }
    for (r = 0; r < t->nrows; r++) {
        for (c = 0; c < t->ncols; c++) {
            const char *cell = t->cells[r][c];
            size_t pad = w[c] - width(cell);

            if (c > 0) {
                fputs("  ", f);
            }
            if (c == 0) {
                fputs(cell, f);
                if (c + 1 < t->ncols) {
                    fprintf(f, "%*s", (int)pad, "");
                }
            } else {
                fprintf(f, "%*s%s", (int)pad, "", cell);
            }
        }
        fputc('\n', f);
    }
}

/* The mean wall time of a run: the median's when the summary has none
 * (a summary.json older than the mean). */
static double
mean_wall(const struct sim_trace_summary *s)
{
    return s->wall_ns_mean > 0 ? (double)s->wall_ns_mean : (double)s->wall_ns;
}

int
sim_table_speedup(const struct sim_trace_summary *serial,
                  const struct sim_trace_summary *s, double *ratio, double *sd)
{
    double a, b, ra, rb;

    if (serial == NULL || s->wall_ns <= 0 || serial->wall_ns <= 0) {
        return -1;
    }
    if (serial->repeat <= 1 && s->repeat <= 1) {
        *ratio = (double)serial->wall_ns / (double)s->wall_ns;
        *sd = 0.0;
        return 0;
    }
    a = mean_wall(serial);
    b = mean_wall(s);
    *ratio = a / b;
    if (serial == s) {
        *sd = 0.0; /* a run against itself is 1, exactly */
        return 0;
    }
    ra = (double)serial->wall_ns_sd / a;
    rb = (double)s->wall_ns_sd / b;
    *sd = *ratio * sqrt(ra * ra + rb * rb);
    return 0;
}

static const struct sim_trace_summary *
find_serial(const struct sim_trace_summary *runs, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (strcmp(runs[i].model, "serial") == 0) {
            return &runs[i];
        }
    }
    return NULL;
}

/* The cells of the table: a header, then one row per run. */
static void
build(const struct sim_trace_summary *runs, size_t n, struct table *t)
{
    const struct sim_trace_summary *serial = find_serial(runs, n);
    size_t i, c;

    memset(t, 0, sizeof(*t));
    for (i = 0; i < n; i++) {
        t->with_range |= runs[i].repeat > 1;
        t->with_fetch |= runs[i].stats.fetches > 0;
    }
    c = 0;
    put_str(t, 0, c++, "model");
    put_str(t, 0, c++, "threads");
    put_str(t, 0, c++, "wall (s)");
    if (t->with_range) {
        put_str(t, 0, c++, "mean \xc2\xb1 \xcf\x83 (s)");
        put_str(t, 0, c++, "min (s)");
        put_str(t, 0, c++, "max (s)");
    }
    put_str(t, 0, c++, "CPU (s)");
    put_str(t, 0, c++, "CPU %");
    put_str(t, 0, c++, "speed-up");
    put_str(t, 0, c++, "GIL wait");
    put_str(t, 0, c++, "forced");
    put_str(t, 0, c++, "drop req");
    put_str(t, 0, c++, "hand-off p50 (\xc2\xb5s)");
    put_str(t, 0, c++, "p99 (\xc2\xb5s)");
    if (t->with_fetch) {
        put_str(t, 0, c++, "fetch p50 (ms)");
        put_str(t, 0, c++, "p99 (ms)");
    }
    put_str(t, 0, c++, "failed");
    t->ncols = c;

    for (i = 0; i < n && i < SIM_MODEL_COUNT; i++) {
        const struct sim_trace_summary *s = &runs[i];
        const struct sim_trace_stats *st = &s->stats;
        size_t row = i + 1;
        double ratio, sd;

        c = 0;
        put_str(t, row, c++, s->model);
        put(t, row, c++, "%.0f", (double)s->threads);
        put(t, row, c++, "%.3f", (double)s->wall_ns / 1e9);
        if (t->with_range) {
            (void)snprintf(t->cells[row][c++], CELL_LEN, "%.3f \xc2\xb1 %.3f",
                           mean_wall(s) / 1e9, (double)s->wall_ns_sd / 1e9);
            put(t, row, c++, "%.3f", (double)s->wall_ns_min / 1e9);
            put(t, row, c++, "%.3f", (double)s->wall_ns_max / 1e9);
        }
        put(t, row, c++, "%.3f", (double)s->cpu_ns / 1e9);
        if (s->wall_ns > 0) {
            put(t, row, c++, "%.0f%%",
                100.0 * (double)s->cpu_ns / (double)s->wall_ns);
        } else {
            put_str(t, row, c++, DASH);
        }
        if (sim_table_speedup(serial, s, &ratio, &sd) != 0) {
            put_str(t, row, c++, DASH);
        } else if (t->with_range && s != serial) {
            (void)snprintf(t->cells[row][c++], CELL_LEN, "%.2f \xc2\xb1 %.2fx",
                           ratio, sd);
        } else {
            put(t, row, c++, "%.2fx", ratio);
        }
        put(t, row, c++, "%.1f%%", 100.0 * sim_table_wait_share(st));
        put_u64(t, row, c++, st->forced_switches);
        put_u64(t, row, c++, st->drop_requests);
        if (st->handoffs > 0) {
            put_us(t, row, c++, st->handoff_p50_ns);
            put_us(t, row, c, st->handoff_p99_ns);
            t->few |= mark_few(t, row, c++, st->handoffs);
        } else {
            put_str(t, row, c++, DASH);
            put_str(t, row, c++, DASH);
        }
        if (t->with_fetch && st->fetches > 0) {
            put(t, row, c++, "%.2f", (double)st->fetch_p50_ns / 1e6);
            put(t, row, c, "%.2f", (double)st->fetch_p99_ns / 1e6);
            t->few |= mark_few(t, row, c++, st->fetches);
        } else if (t->with_fetch) {
            put_str(t, row, c++, DASH);
            put_str(t, row, c++, DASH);
        }
        put_u64(t, row, c++, st->steps_failed);
    }
    t->nrows = (n < SIM_MODEL_COUNT ? n : SIM_MODEL_COUNT) + 1;
}

int
sim_table_fastest(const struct sim_trace_summary *runs, size_t n)
{
    size_t i, best = n;

    for (i = 0; i < n; i++) {
        if (runs[i].wall_ns > 0 &&
            (best == n || mean_wall(&runs[i]) < mean_wall(&runs[best]))) {
            best = i;
        }
    }
    return best == n ? -1 : (int)best;
}

/* 1 for the models that are a pool of threads under the GIL. */
static int
is_thread_pool(const char *model)
{
    return strcmp(model, "threads") == 0 || strcmp(model, "executor") == 0;
}

/* "; best thread pool: executor (5 threads), 4.10x serial" after the
 * verdict, when the fastest model is not a thread pool and one ran. */
static void
append_best_pool(const struct sim_trace_summary *runs, size_t n, int best,
                 char *buf, size_t len)
{
    const struct sim_trace_summary *serial = find_serial(runs, n);
    size_t i, pool = n, used = strlen(buf);
    double ratio, sd;

    if (is_thread_pool(runs[best].model)) {
        return;
    }
    for (i = 0; i < n; i++) {
        if (is_thread_pool(runs[i].model) && runs[i].wall_ns > 0 &&
            (pool == n || mean_wall(&runs[i]) < mean_wall(&runs[pool]))) {
            pool = i;
        }
    }
    if (pool == n || used >= len) {
        return;
    }
    if (sim_table_speedup(serial, &runs[pool], &ratio, &sd) == 0) {
        (void)snprintf(buf + used, len - used,
                       "; best thread pool: %s (%d threads), %.2fx serial",
                       runs[pool].model, runs[pool].threads, ratio);
    } else {
        (void)snprintf(buf + used, len - used,
                       "; best thread pool: %s (%d threads)", runs[pool].model,
                       runs[pool].threads);
    }
}

void
sim_table_verdict(const struct sim_trace_summary *runs, size_t n, char *buf,
                  size_t len)
{
    const struct sim_trace_summary *serial = find_serial(runs, n);
    int best = sim_table_fastest(runs, n);
    double ratio, sd;

    buf[0] = '\0';
    if (best < 0 || n < 2) {
        return;
    }
    if (serial == &runs[best]) {
        (void)snprintf(buf, len,
                       "fastest: serial; every other model was slower");
    } else if (sim_table_speedup(serial, &runs[best], &ratio, &sd) != 0) {
        (void)snprintf(buf, len,
                       "fastest: %s (no serial run to compare it with)",
                       runs[best].model);
    } else if (runs[best].repeat > 1 || serial->repeat > 1) {
        (void)snprintf(buf, len,
                       "fastest: %s, %.2f \xc2\xb1 %.2f times faster than "
                       "serial (means of the repetitions)",
                       runs[best].model, ratio, sd);
    } else {
        (void)snprintf(buf, len,
                       "fastest: %s, %.2f times faster than serial (one "
                       "repetition each; --repeat gives a \xc2\xb1)",
                       runs[best].model, ratio);
    }
    append_best_pool(runs, n, best, buf, len);
}

int
sim_table_spread_warning(const struct sim_trace_summary *s, char *buf,
                         size_t len)
{
    double mean = mean_wall(s);

    buf[0] = '\0';
    if (s->repeat < 2 || mean <= 0.0 ||
        (double)s->wall_ns_sd <= SIM_REPORT_SPREAD * mean) {
        return 0;
    }
    (void)snprintf(buf, len,
                   "warning: %s: its %d repetitions spread widely (\xcf\x83 "
                   "%.0f%% of the mean; min %.3f s, max %.3f s): something "
                   "else may have used the cores; rerun with more --repeat "
                   "or on a quieter machine",
                   s->model, s->repeat, 100.0 * (double)s->wall_ns_sd / mean,
                   (double)s->wall_ns_min / 1e9, (double)s->wall_ns_max / 1e9);
    return 1;
}

/* The what-if note, the verdict and the spread warnings, a line each. */
static void
print_notes(const struct sim_trace_summary *runs, size_t n, FILE *f)
{
    char line[512];
    size_t i;

    sim_table_verdict(runs, n, line, sizeof(line));
    if (line[0] != '\0') {
        fprintf(f, "%s\n", line);
    }
    for (i = 0; i < n; i++) {
        if (sim_table_spread_warning(&runs[i], line, sizeof(line))) {
            fprintf(f, "%s\n", line);
        }
    }
}

static void
print_what_if(const struct sim_trace_summary *runs, size_t n, FILE *f)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (runs[i].policy_what_if) {
            /* A what-if run must not be mistaken for CPython's GIL. */
            fprintf(f,
                    "policy %s (what-if): not CPython's GIL; see "
                    "docs/whatif.md\n",
                    runs[i].policy);
            return;
        }
    }
}

void
sim_table_print(const struct sim_trace_summary *runs, size_t n, FILE *f)
{
    struct table t;

    build(runs, n, &t);
    print_what_if(runs, n, f);
    print_table(&t, f);
    fputc('\n', f);
    print_notes(runs, n, f);
    fputs("\n"
          "wall: pool start to last thread's end. CPU: user + system time "
          "of gilsim and its\nworker processes.\n"
          "speed-up: serial's wall / this wall. GIL wait: time spent "
          "waiting for the GIL /\n"
          "(running + waiting + I/O), summed over threads. forced: drops "
          "made because a\n"
          "waiter asked; drop req: requests set by waiters. hand-off: from "
          "a GIL drop to\n"
          "the take by a waiting thread.\n",
          f);
    if (t.with_fetch) {
        fputs("fetch: one fetch step, from the request to the GIL taken "
              "back after it.\n",
              f);
    }
    if (t.with_range) {
        fputs("With --repeat: wall is the median repetition, beside the "
              "mean \xc2\xb1 \xcf\x83 (sample\nstandard deviation) and the "
              "min and max; speed-up is the ratio of the means.\n",
              f);
    }
    if (t.few) {
        fprintf(f,
                "*: from fewer than %d samples, so this p99 is the largest "
                "one.\n",
                SIM_REPORT_FEW_SAMPLES);
    }
}

/* A cell in Markdown: '*' and '|' escaped, so "84*" stays a number. */
static void
put_md_cell(const char *cell, FILE *f)
{
    fputs("| ", f);
    for (; *cell != '\0'; cell++) {
        if (*cell == '*' || *cell == '|') {
            fputc('\\', f);
        }
        fputc(*cell, f);
    }
    fputc(' ', f);
}

void
sim_table_print_md(const struct sim_trace_summary *runs, size_t n, FILE *f)
{
    struct table t;
    size_t r, c;

    build(runs, n, &t);
    print_what_if(runs, n, f);
    for (r = 0; r < t.nrows; r++) {
        for (c = 0; c < t.ncols; c++) {
            put_md_cell(t.cells[r][c], f);
        }
        fputs("|\n", f);
        if (r == 0) {
            for (c = 0; c < t.ncols; c++) {
                fputs(c == 0 ? "|---" : "|---:", f);
            }
            fputs("|\n", f);
        }
    }
    fputc('\n', f);
    print_notes(runs, n, f);
    if (t.few) {
        fprintf(f, "\n\\*: from fewer than %d samples (the largest one).\n",
                SIM_REPORT_FEW_SAMPLES);
    }
}

/* A TSV field: the number, or nothing when `ok` is 0. */
static void
tsv_i64(FILE *f, int ok, int64_t v)
{
    if (ok) {
        fprintf(f, "\t%lld", (long long)v);
    } else {
        fputc('\t', f);
    }
}

void
sim_table_print_tsv(const struct sim_trace_summary *runs, size_t n, FILE *f)
{
    const struct sim_trace_summary *serial = find_serial(runs, n);
    size_t i;

    fputs("model\tthreads\tprocesses\trepeat\twall_ns\twall_ns_mean"
          "\twall_ns_sd\twall_ns_min\twall_ns_max\tcpu_ns\tspeedup"
          "\tspeedup_sd\tgil_wait_share\tforced_switches\tdrop_requests"
          "\thandoffs\thandoff_p50_ns\thandoff_p99_ns\tfetches\tfetch_p50_ns"
          "\tfetch_p99_ns\tsteps_failed\tevents_lost\n",
          f);
    for (i = 0; i < n; i++) {
        const struct sim_trace_summary *s = &runs[i];
        const struct sim_trace_stats *st = &s->stats;
        double ratio, sd;

        fprintf(f, "%s\t%d\t%d\t%d\t%lld\t%.0f\t%lld\t%lld\t%lld\t%lld",
                s->model, s->threads, s->processes, s->repeat,
                (long long)s->wall_ns, mean_wall(s), (long long)s->wall_ns_sd,
                (long long)s->wall_ns_min, (long long)s->wall_ns_max,
                (long long)s->cpu_ns);
        if (sim_table_speedup(serial, s, &ratio, &sd) == 0) {
            fprintf(f, "\t%.4f\t%.4f", ratio, sd);
        } else {
            fputs("\t\t", f);
        }
        fprintf(f, "\t%.4f\t%llu\t%llu\t%llu", sim_table_wait_share(st),
                (unsigned long long)st->forced_switches,
                (unsigned long long)st->drop_requests,
                (unsigned long long)st->handoffs);
        tsv_i64(f, st->handoffs > 0, st->handoff_p50_ns);
        tsv_i64(f, st->handoffs > 0, st->handoff_p99_ns);
        fprintf(f, "\t%llu", (unsigned long long)st->fetches);
        tsv_i64(f, st->fetches > 0, st->fetch_p50_ns);
        tsv_i64(f, st->fetches > 0, st->fetch_p99_ns);
        fprintf(f, "\t%llu\t%llu\n", (unsigned long long)st->steps_failed,
                (unsigned long long)st->events_lost);
    }
}
