/*
 * table.c - the comparison table that gilsim prints on stdout.
 *
 * One row per model run, one column per number, with a footnote that
 * defines the less obvious columns. Cells are formatted into strings
 * first, then every column is padded to its widest cell; widths are
 * counted in characters, not bytes, so the UTF-8 in "µs" and "—" does not
 * shift the columns. The model column is left-aligned, numbers are
 * right-aligned. A column whose value does not apply shows "—": speed-up
 * when serial was not run, hand-off when no thread ever waited.
 */
#include <string.h>

#include "report.h"

#define MAX_COLS 16
#define CELL_LEN 32
#define DASH     "\xe2\x80\x94" /* an em dash */

struct table {
    size_t ncols;
    size_t nrows; /* including the header */
    char cells[SIM_MODEL_COUNT + 1][MAX_COLS][CELL_LEN];
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
    (void)snprintf(t->cells[row][col], CELL_LEN, "%s", s);
}

static void
put_u64(struct table *t, size_t row, size_t col, uint64_t v)
{
    (void)snprintf(t->cells[row][col], CELL_LEN, "%llu", (unsigned long long)v);
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

void
sim_table_print(const struct sim_trace_summary *runs, size_t n, FILE *f)
{
    struct table t;
    const struct sim_trace_summary *serial = NULL;
    int with_range = 0;
    int with_fetch = 0;
    size_t i;
    size_t c;
    int few = 0; /* a p99 from few samples was marked */

    memset(&t, 0, sizeof(t));
    for (i = 0; i < n; i++) {
        if (strcmp(runs[i].model, "serial") == 0) {
            serial = &runs[i];
        }
        if (runs[i].repeat > 1) {
            with_range = 1;
        }
        if (runs[i].stats.fetches > 0) {
            with_fetch = 1;
        }
    }
    c = 0;
    put_str(&t, 0, c++, "model");
    put_str(&t, 0, c++, "threads");
    put_str(&t, 0, c++, "wall (s)");
    if (with_range) {
        put_str(&t, 0, c++, "min (s)");
        put_str(&t, 0, c++, "max (s)");
    }
    put_str(&t, 0, c++, "CPU (s)");
    put_str(&t, 0, c++, "CPU %");
    put_str(&t, 0, c++, "speed-up");
    put_str(&t, 0, c++, "GIL wait");
    put_str(&t, 0, c++, "forced");
    put_str(&t, 0, c++, "drop req");
    put_str(&t, 0, c++, "hand-off p50 (\xc2\xb5s)");
    put_str(&t, 0, c++, "p99 (\xc2\xb5s)");
    if (with_fetch) {
        put_str(&t, 0, c++, "fetch p50 (ms)");
        put_str(&t, 0, c++, "p99 (ms)");
    }
    put_str(&t, 0, c++, "failed");
    t.ncols = c;

    for (i = 0; i < n && i < SIM_MODEL_COUNT; i++) {
        const struct sim_trace_summary *s = &runs[i];
        const struct sim_trace_stats *st = &s->stats;
        size_t row = i + 1;
        double wall = (double)s->wall_ns / 1e9;

        c = 0;
        put_str(&t, row, c++, s->model);
        put(&t, row, c++, "%.0f", (double)s->threads);
        put(&t, row, c++, "%.3f", wall);
        if (with_range) {
            put(&t, row, c++, "%.3f", (double)s->wall_ns_min / 1e9);
            put(&t, row, c++, "%.3f", (double)s->wall_ns_max / 1e9);
        }
        put(&t, row, c++, "%.3f", (double)s->cpu_ns / 1e9);
        if (s->wall_ns > 0) {
            put(&t, row, c++, "%.0f%%",
                100.0 * (double)s->cpu_ns / (double)s->wall_ns);
        } else {
            put_str(&t, row, c++, DASH);
        }
        if (serial != NULL && s->wall_ns > 0) {
            put(&t, row, c++, "%.2fx",
                (double)serial->wall_ns / (double)s->wall_ns);
        } else {
            put_str(&t, row, c++, DASH);
        }
        put(&t, row, c++, "%.1f%%", 100.0 * sim_table_wait_share(st));
        put_u64(&t, row, c++, st->forced_switches);
        put_u64(&t, row, c++, st->drop_requests);
        if (st->handoffs > 0) {
            put_us(&t, row, c++, st->handoff_p50_ns);
            put_us(&t, row, c, st->handoff_p99_ns);
            few |= mark_few(&t, row, c++, st->handoffs);
        } else {
            put_str(&t, row, c++, DASH);
            put_str(&t, row, c++, DASH);
        }
        if (with_fetch && st->fetches > 0) {
            put(&t, row, c++, "%.2f", (double)st->fetch_p50_ns / 1e6);
            put(&t, row, c, "%.2f", (double)st->fetch_p99_ns / 1e6);
            few |= mark_few(&t, row, c++, st->fetches);
        } else if (with_fetch) {
            put_str(&t, row, c++, DASH);
            put_str(&t, row, c++, DASH);
        }
        put_u64(&t, row, c++, st->steps_failed);
    }
    t.nrows = (n < SIM_MODEL_COUNT ? n : SIM_MODEL_COUNT) + 1;
    for (i = 0; i < n; i++) {
        if (runs[i].policy_what_if) {
            /* A what-if run must not be mistaken for CPython's GIL. */
            fprintf(f,
                    "policy %s (what-if): not CPython's GIL; see "
                    "docs/whatif.md\n",
                    runs[i].policy);
            break;
        }
    }
    print_table(&t, f);
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
    if (with_fetch) {
        fputs("fetch: one fetch step, from the request to the GIL taken "
              "back after it.\n",
              f);
    }
    if (with_range) {
        fputs("With --repeat: the median repetition, and the min and max "
              "wall times.\n",
              f);
    }
    if (few) {
        fprintf(f,
                "*: from fewer than %d samples, so this p99 is the largest "
                "one.\n",
                SIM_REPORT_FEW_SAMPLES);
    }
}
