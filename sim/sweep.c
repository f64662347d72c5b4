/*
 * sweep.c - what every sweep shares, however its cells ran: the cells of
 * models x pool sizes x switch intervals, sweep.tsv, the cells' figures,
 * the recommendation, the plots and the page. A local sweep runs its
 * jobs (sweep_run.c) and a planned one has them run elsewhere
 * (sweep_plan.c); both end in sweep_collect.c, which writes through here.
 *
 * The cells are every selected model (in the order of enum sim_model) at
 * every --switch-interval of the list, and at every --threads of the list
 * (--processes for the processes model; serial always runs one thread;
 * the loop over --concurrency when that is a list). Every repetition of
 * a cell is one row of sweep.tsv:
 *
 *     model threads processes switch_interval_ns repeat wall_ns cpu_ns
 *     gil_wait_ns forced_switches steps_failed concurrency
 *
 * tab-separated, after a header line, written through a temporary file
 * and a rename.
 *
 * stdout: the recommendation line (--format=text), and the cells as JSON,
 * TSV or Markdown (sweep_print.c).
 *
 * The recommendation (sim_sweep_recommend) is a pure function of the
 * cells' medians and spreads; it is printed and put on the folder's
 * index.html with the cells' table and the plots (the command is kept in
 * command.txt for `gilsim plot`, which redraws a sweep from sweep.tsv); the
 * plots are drawn by plots/ from the cells (plot_sweep), and a failure there
 * costs one line, not the exit status.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "calibrate.h"
#include "plot.h"
#include "report.h"
#include "run.h"

#define TSV_NAME "sweep.tsv"
#define TSV_HEADER_V1                                                          \
    "model\tthreads\tprocesses\tswitch_interval_ns\trepeat\twall_ns\tcpu_ns"   \
    "\tgil_wait_ns\tforced_switches\tsteps_failed"
/* Since the loop's --concurrency became an axis: one more column. */
#define TSV_HEADER TSV_HEADER_V1 "\tconcurrency"

struct rows {
    struct sim_sweep_row *v;
    size_t n, cap;
};

static int
rows_add(struct rows *rs, const struct sim_sweep_row *r)
{
    if (rs->n == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 64;
        struct sim_sweep_row *v = realloc(rs->v, cap * sizeof(*v));

        if (v == NULL) {
            return -ENOMEM;
        }
        rs->v = v;
        rs->cap = cap;
    }
    rs->v[rs->n++] = *r;
    return 0;
}

static int
row_of_cell(const struct sim_sweep_row *r, const struct sim_sweep_cell *c)
{
    return strcmp(r->model, sim_model_name(c->model)) == 0 &&
           r->threads == c->threads && r->processes == c->processes &&
           r->switch_interval_ns == c->switch_interval_ns &&
           r->concurrency == c->concurrency;
}

static const struct sim_sweep_row *
find_row(const struct rows *rs, const struct sim_sweep_cell *c, int repeat)
{
    size_t i;

    for (i = 0; i < rs->n; i++) {
        if (rs->v[i].repeat == repeat && row_of_cell(&rs->v[i], c)) {
            return &rs->v[i];
        }
    }
    return NULL;
}

static int
write_rows_fn(const void *ctx, FILE *f)
{
    const struct rows *rs = ctx;
    size_t i;

    fprintf(f, "%s\n", TSV_HEADER);
    for (i = 0; i < rs->n; i++) {
        const struct sim_sweep_row *r = &rs->v[i];

        fprintf(f, "%s\t%d\t%d\t%lld\t%d\t%lld\t%lld\t%lld\t%llu\t%llu\t%d\n",
                r->model, r->threads, r->processes,
                (long long)r->switch_interval_ns, r->repeat,
                (long long)r->wall_ns, (long long)r->cpu_ns,
                (long long)r->gil_wait_ns, r->forced_switches, r->steps_failed,
                r->concurrency);
    }
    return ferror(f) ? -EIO : 0;
}

int
sim_sweep_write_tsv(const char *dir, const struct sim_sweep_row *rows, size_t n,
                    char *err, size_t errlen)
{
    struct rows rs;

    rs.v = (struct sim_sweep_row *)rows; /* only read */
    rs.n = n;
    rs.cap = n;
    return base_write_atomic(dir, TSV_NAME, write_rows_fn, &rs, err, errlen);
}

/*
 * Read DIR/sweep.tsv into rs. Returns 1 if it was read (a sweep of
 * gilsim's), 0 if there is no such file or it is not ours, -errno on a
 * read error or a malformed line.
 */
static int
read_rows(const char *dir, struct rows *rs)
{
    char path[4200];
    char line[512];
    FILE *f;
    int rc = 1, v1;

    (void)snprintf(path, sizeof(path), "%s/%s", dir, TSV_NAME);
    f = fopen(path, "r");
    if (f == NULL) {
        return 0;
    }
    if (fgets(line, sizeof(line), f) == NULL ||
        (strcmp(line, TSV_HEADER "\n") != 0 &&
         strcmp(line, TSV_HEADER_V1 "\n") != 0)) {
        (void)fclose(f);
        return 0;
    }
    /* A sweep of an earlier gilsim: no concurrency column (its loop
     * cells ran at the one --concurrency of their sweep-config.json). */
    v1 = strcmp(line, TSV_HEADER_V1 "\n") == 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        struct sim_sweep_row r;
        long long si, wall, cpu, wait;

        memset(&r, 0, sizeof(r));
        if (sscanf(line,
                   "%15[^\t]\t%d\t%d\t%lld\t%d\t%lld\t%lld\t%lld\t%llu\t%llu"
                   "\t%d",
                   r.model, &r.threads, &r.processes, &si, &r.repeat, &wall,
                   &cpu, &wait, &r.forced_switches, &r.steps_failed,
                   &r.concurrency) != 11 - v1) {
            rc = -EPROTO;
            break;
        }
        r.switch_interval_ns = si;
        r.wall_ns = wall;
        r.cpu_ns = cpu;
        r.gil_wait_ns = wait;
        if (rows_add(rs, &r) != 0) {
            rc = -ENOMEM;
            break;
        }
    }
    if (ferror(f)) {
        rc = -EIO;
    }
    (void)fclose(f);
    return rc;
}

/* ---- the cells ---------------------------------------------------------- */

/* A cell's pool, the count the recommendation minimises: the model's
 * (sim_opt_pool_size), or the loop's --concurrency when that is the
 * loop's axis and has a limit. */
static int
cell_pool(const struct sim_options *o, enum sim_model m, int concurrency)
{
    if (m == SIM_MODEL_LOOP && concurrency > 0) {
        return concurrency;
    }
    return sim_opt_pool_size(o, m);
}

/* Every cell of the sweep, in the order they run; *n_out of them. A
 * loop's cells run over --concurrency when it is a list (at the first
 * --threads), else over --threads (its offload threads). */
struct sim_sweep_cell *
sim_sweep_cells(const struct sim_options *o, size_t *n_out)
{
    int one_t = o->threads, one_p = o->processes;
    const int *tl = o->n_sweep_threads > 0 ? o->sweep_threads : &one_t;
    const int *pl = o->n_sweep_processes > 0 ? o->sweep_processes : &one_p;
    int64_t one_si = o->switch_interval_ns;
    const int64_t *sl = o->n_sweep_switch > 0 ? o->sweep_switch_ns : &one_si;
    const int *cl = o->sweep_concurrency;
    int nt = o->n_sweep_threads > 0 ? o->n_sweep_threads : 1;
    int np = o->n_sweep_processes > 0 ? o->n_sweep_processes : 1;
    /* One value is the loop's setting, not its axis (--threads stays). */
    int nc = o->n_sweep_concurrency > 1 ? o->n_sweep_concurrency : 0;
    int ns = o->n_sweep_switch > 0 ? o->n_sweep_switch : 1;
    int most = nt > np ? nt : np;
    struct sim_sweep_cell *cells;
    struct sim_options co = *o;
    size_t n = 0;
    int m, s, k, nk;

    most = nc > most ? nc : most;
    cells = calloc((size_t)SIM_MODEL_COUNT * (size_t)ns * (size_t)most,
                   sizeof(*cells));
    if (cells == NULL) {
        return NULL;
    }
    for (m = 0; m < SIM_MODEL_COUNT; m++) {
        if (!(o->models & (1u << m))) {
            continue;
        }
        int by_conc = m == SIM_MODEL_LOOP && nc > 0;

        nk = m == SIM_MODEL_PROCESSES ? np
             : m == SIM_MODEL_SERIAL  ? 1
             : by_conc                ? nc
                                      : nt;
        for (k = 0; k < nk; k++) {
            for (s = 0; s < ns; s++) {
                struct sim_sweep_cell *c = &cells[n++];

                c->model = (enum sim_model)m;
                c->threads = m == SIM_MODEL_SERIAL                 ? 1
                             : m == SIM_MODEL_PROCESSES || by_conc ? tl[0]
                                                                   : tl[k];
                c->processes = m == SIM_MODEL_PROCESSES ? pl[k] : pl[0];
                c->concurrency = by_conc ? cl[k] : o->concurrency;
                c->by_concurrency = by_conc;
                c->switch_interval_ns = sl[s];
                co.threads = c->threads;
                co.processes = c->processes;
                c->pool =
                    cell_pool(&co, c->model, by_conc ? c->concurrency : 0);
            }
        }
    }
    *n_out = n;
    return cells;
}

void
sim_sweep_cell_place(const struct sim_options *o, struct sim_sweep_cell *c)
{
    struct sim_options co = *o;

    c->by_concurrency =
        c->model == SIM_MODEL_LOOP && o->n_sweep_concurrency > 1;
    co.threads = c->threads;
    co.processes = c->processes;
    c->pool = cell_pool(&co, c->model, c->by_concurrency ? c->concurrency : 0);
}

/* The cell's median, min, max, mean and sd of wall time from the rows of
 * repetitions 0..repeat-1. */
static void
cell_stats(struct sim_sweep_cell *c, const struct rows *rs, int repeat)
{
    int64_t walls[SIM_REPEAT_MAX];
    int k = 0, i;

    for (i = 0; i < repeat && i < SIM_REPEAT_MAX; i++) {
        const struct sim_sweep_row *r = find_row(rs, c, i);

        if (r != NULL) {
            walls[k++] = r->wall_ns;
        }
    }
    c->reps = k;
    if (k == 0) {
        return;
    }
    base_sort_i64(walls, (size_t)k);
    c->wall_ns_median = walls[(k - 1) / 2];
    c->wall_ns_min = walls[0];
    c->wall_ns_max = walls[k - 1];
    base_mean_sd_i64(walls, (size_t)k, &c->wall_ns_mean, &c->wall_ns_sd);
}

/* ---- the recommendation ------------------------------------------------- */

int
sim_sweep_recommend(const struct sim_sweep_cell *cells, size_t n,
                    struct sim_sweep_choice *out)
{
    size_t i, best = n, chosen = n;
    int64_t limit;

    for (i = 0; i < n; i++) {
        const struct sim_sweep_cell *c = &cells[i];

        if (c->reps <= 0) {
            continue;
        }
        if (best == n || c->wall_ns_median < cells[best].wall_ns_median ||
            (c->wall_ns_median == cells[best].wall_ns_median &&
             c->pool < cells[best].pool)) {
            best = i;
        }
    }
    if (best == n) {
        return -ENOENT;
    }
    out->best = best;
    out->noise_ns = cells[best].wall_ns_max - cells[best].wall_ns_min;
    limit = cells[best].wall_ns_median + out->noise_ns;
    for (i = 0; i < n; i++) {
        const struct sim_sweep_cell *c = &cells[i];

        if (c->reps <= 0 || c->wall_ns_median > limit) {
            continue;
        }
        if (chosen == n || c->pool < cells[chosen].pool ||
            (c->pool == cells[chosen].pool &&
             c->wall_ns_median < cells[chosen].wall_ns_median)) {
            chosen = i;
        }
    }
    out->chosen = chosen; /* the best cell itself qualifies */
    return 0;
}

/* "threads=8", "processes=4" or "concurrency=16" for a cell. */
static void
pool_text(const struct sim_sweep_cell *c, char *buf, size_t len)
{
    (void)snprintf(buf, len, "%s=%d",
                   c->model == SIM_MODEL_PROCESSES ? "processes"
                   : c->by_concurrency             ? "concurrency"
                                                   : "threads",
                   c->pool);
}

/* The most cells a sweep's text output lists (the fastest, when there
 * are more: it says so). */
#define TEXT_ROWS 40

static int
cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return x < y ? -1 : x > y;
}

/* The slowest median listed: all of them, or the TEXT_ROWS-th fastest. */
static int64_t
text_cut(const struct sim_sweep_cell *cells, size_t n, size_t ran)
{
    int64_t *m, cut = INT64_MAX;
    size_t i, k = 0;

    if (ran <= TEXT_ROWS || (m = malloc(ran * sizeof(*m))) == NULL) {
        return cut;
    }
    for (i = 0; i < n; i++) {
        if (cells[i].reps > 0) {
            m[k++] = cells[i].wall_ns_median;
        }
    }
    qsort(m, k, sizeof(*m), cmp_i64);
    cut = m[TEXT_ROWS - 1];
    free(m);
    return cut;
}

/* The cells as a table (a sweep's text output, before its
 * recommendation), in the order they ran: each one's median wall, its
 * repeats' range and its median over the best one's. */
static void
print_cells_text(const struct sim_sweep_cell *cells, size_t n, FILE *out)
{
    int64_t best = INT64_MAX, cut;
    size_t i, ran = 0, shown = 0;
    char pool[48];

    for (i = 0; i < n; i++) {
        if (cells[i].reps > 0) {
            ran++;
            best =
                cells[i].wall_ns_median < best ? cells[i].wall_ns_median : best;
        }
    }
    if (ran == 0 || best <= 0) {
        return;
    }
    cut = text_cut(cells, n, ran);
    fprintf(out, "%-10s %-17s %9s %7s %10s %15s %7s\n", "model", "pool",
            "interval", "repeats", "median (s)", "min-max (s)", "/ best");
    for (i = 0; i < n; i++) {
        const struct sim_sweep_cell *c = &cells[i];

        pool_text(c, pool, sizeof(pool));
        if (c->reps <= 0) {
            fprintf(out, "%-10s %-17s %6.4g ms %7s\n", sim_model_name(c->model),
                    pool, (double)c->switch_interval_ns / 1e6, "not run");
        } else if (c->wall_ns_median <= cut) {
            fprintf(out,
                    "%-10s %-17s %6.4g ms %7d %10.3f %7.3f-%-7.3f %6.2fx\n",
                    sim_model_name(c->model), pool,
                    (double)c->switch_interval_ns / 1e6, c->reps,
                    (double)c->wall_ns_median / 1e9,
                    (double)c->wall_ns_min / 1e9, (double)c->wall_ns_max / 1e9,
                    (double)c->wall_ns_median / (double)best);
            shown++;
        }
    }
    if (shown < ran) {
        fprintf(out,
                "(%zu cells ran; the %zu fastest are listed; sweep.tsv and "
                "index.html have them all)\n",
                ran, shown);
    }
    fputc('\n', out);
}

/* "MODEL, switch interval SI ms" or "switch interval SI ms". */
static void
where_text(const struct sim_sweep_cell *c, int with_model, char *buf,
           size_t len)
{
    (void)snprintf(buf, len, "%s%sswitch interval %.6g ms",
                   with_model ? sim_model_name(c->model) : "",
                   with_model ? ", " : "", (double)c->switch_interval_ns / 1e6);
}

/* The recommendation line on `out`, with where the chosen cell is and what
 * the largest pool of the same model and interval costs. */
static void
print_recommendation(const struct sim_sweep_cell *cells, size_t n,
                     int several_models, int several_sis, FILE *out)
{
    struct sim_sweep_choice ch;
    const struct sim_sweep_cell *c, *b, *big = NULL;
    char cp[32], bp[32], where[128] = "", bwhere[128] = "";
    size_t i;

    if (sim_sweep_recommend(cells, n, &ch) != 0) {
        fprintf(out, "recommendation: none (no cell ran)\n");
        return;
    }
    c = &cells[ch.chosen];
    b = &cells[ch.best];
    pool_text(c, cp, sizeof(cp));
    pool_text(b, bp, sizeof(bp));
    if (several_models || several_sis) {
        where_text(c, several_models, where, sizeof(where));
        where_text(b, several_models, bwhere, sizeof(bwhere));
    }
    for (i = 0; i < n; i++) {
        if (cells[i].reps > 0 && cells[i].model == c->model &&
            cells[i].switch_interval_ns == c->switch_interval_ns &&
            cells[i].pool > c->pool &&
            (big == NULL || cells[i].pool > big->pool)) {
            big = &cells[i];
        }
    }
    fprintf(out, "recommendation: %s (%s%smedian %.3g s; ", cp, where,
            where[0] != '\0' ? "; " : "", (double)c->wall_ns_median / 1e9);
    if (ch.chosen == ch.best) {
        fprintf(out, "the best cell; its repeats' spread is %.3g s)",
                (double)ch.noise_ns / 1e9);
    } else {
        fprintf(out,
                "best %.3g s at %s%s%s%s, within the repeats' spread of "
                "%.3g s)",
                (double)b->wall_ns_median / 1e9, bp,
                bwhere[0] != '\0' ? " (" : "", bwhere,
                bwhere[0] != '\0' ? ")" : "", (double)ch.noise_ns / 1e9);
    }
    if (big != NULL) {
        char gp[32];
        double d = (double)(big->wall_ns_median - c->wall_ns_median) / 1e9;

        pool_text(big, gp, sizeof(gp));
        fprintf(out, "; more threads: %s takes %.3g s (%+.3g s, %+.0f%%)", gp,
                (double)big->wall_ns_median / 1e9, d,
                c->wall_ns_median > 0
                    ? 100.0 * d / ((double)c->wall_ns_median / 1e9)
                    : 0.0);
    }
    fputc('\n', out);
}

/* ---- plots --------------------------------------------------------------- */

static void
plot_cells(const char *dir, const char *title,
           const struct sim_sweep_cell *cells, size_t n, FILE *err)
{
    struct plot_sweep_cell *pc;
    char base[4200];
    char msg[SIM_ERR_LEN * 2];
    size_t i, k = 0;

    pc = calloc(n > 0 ? n : 1, sizeof(*pc));
    if (pc == NULL) {
        fprintf(err, "gilsim: plots skipped: out of memory\n");
        return;
    }
    for (i = 0; i < n; i++) {
        if (cells[i].reps == 0) {
            continue;
        }
        (void)snprintf(pc[k].model, sizeof(pc[k].model), "%s",
                       sim_model_name(cells[i].model));
        pc[k].pool = cells[i].pool;
        pc[k].switch_interval_ns = cells[i].switch_interval_ns;
        pc[k].wall_ns_median = cells[i].wall_ns_median;
        pc[k].wall_ns_min = cells[i].wall_ns_min;
        pc[k].wall_ns_max = cells[i].wall_ns_max;
        k++;
    }
    (void)snprintf(base, sizeof(base), "%.4000s/sweep", dir);
    if (k > 0 && plot_sweep(pc, k, title, base, NULL, msg, sizeof(msg)) != 0) {
        fprintf(err, "gilsim: plots skipped: %s\n", msg);
    }
    free(pc);
}

static int recommend_and_report(const char *dir, const char *command,
                                const struct sim_sweep_cell *cells, size_t n,
                                int several_models, int several_sis,
                                const char *no_rec, unsigned formats, FILE *out,
                                FILE *err);

void
sim_sweep_cell_stats(struct sim_sweep_cell *c, const struct sim_sweep_row *rows,
                     size_t n, int repeat)
{
    struct rows rs;

    rs.v = (struct sim_sweep_row *)rows; /* only read */
    rs.n = n;
    rs.cap = n;
    cell_stats(c, &rs, repeat);
}

int
sim_sweep_finish(const struct sim_options *o, const char *dir,
                 const char *command, const struct sim_sweep_cell *cells,
                 size_t n, const char *no_rec, FILE *out, FILE *err)
{
    int models = 0, m;

    for (m = 0; m < SIM_MODEL_COUNT; m++) {
        models += (o->models >> m) & 1u;
    }
    if (!o->no_plots) {
        char title[300];
        char label[40];

        (void)snprintf(title, sizeof(title),
                       "gilsim sweep: %.64s workload, policy %s, %d "
                       "repetition%s per cell",
                       sim_opt_workload_name(o),
                       sim_policy_label(o->policy, label, sizeof(label)),
                       o->repeat, o->repeat == 1 ? "" : "s");
        plot_cells(dir, title, cells, n, err);
    }
    if (recommend_and_report(dir, command, cells, n, models > 1,
                             o->n_sweep_switch > 1, no_rec, o->formats, out,
                             err) != 0) {
        return -1;
    }
    if (o->formats & SIM_FORMAT_TEXT) {
        sim_costs_print_line(&o->costs, o->costs_given, out);
        sim_workload_say_cold(o, out);
        sim_engine_say(o, out);
        fprintf(out, "sweep: %s/" TSV_NAME "\n", dir);
    } else if (!o->quiet) {
        /* Keep stdout pure JSON, TSV or Markdown. */
        fprintf(err, "gilsim: sweep: %s/" TSV_NAME "\n", dir);
    }
    fflush(out);
    return 0;
}

/* ---- the sweep's page ---------------------------------------------------- */

static int
write_text_fn(const void *ctx, FILE *f)
{
    fprintf(f, "%s\n", (const char *)ctx);
    return ferror(f) ? -EIO : 0;
}

/*
 * Print what --format asks for on `out` (text: the recommendation) and
 * write index.html with the recommendation. The command that made the
 * sweep is kept in DIR/command.txt, so that `gilsim plot` can put it on
 * the page again; command is NULL there. 0, or -1 when the JSON could not
 * be printed (message on err).
 */
static int
recommend_and_report(const char *dir, const char *command,
                     const struct sim_sweep_cell *cells, size_t n,
                     int several_models, int several_sis, const char *no_rec,
                     unsigned formats, FILE *out, FILE *err)
{
    char msg[SIM_ERR_LEN * 2];
    char saved[4096] = "";
    char *rec = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&rec, &len);
    int rc;

    if (m == NULL) {
        fprintf(err, "gilsim: sweep: out of memory\n");
        return -1;
    }
    if (no_rec != NULL) {
        fprintf(m, "recommendation: none (%s)\n", no_rec);
    } else {
        print_recommendation(cells, n, several_models, several_sis, m);
    }
    fclose(m);
    if (formats & SIM_FORMAT_TEXT) {
        print_cells_text(cells, n, out);
        fputs(rec, out);
    }
    if (len > 0 && rec[len - 1] == '\n') {
        rec[len - 1] = '\0';
    }
    if (command != NULL) {
        if (base_write_atomic(dir, "command.txt", write_text_fn, command, msg,
                              sizeof(msg)) != 0) {
            fprintf(err, "gilsim: %s\n", msg);
        }
    } else {
        char path[4200];
        FILE *f;

        (void)snprintf(path, sizeof(path), "%.4000s/command.txt", dir);
        f = fopen(path, "r");
        if (f != NULL) {
            if (fgets(saved, sizeof(saved), f) != NULL) {
                saved[strcspn(saved, "\n")] = '\0';
            }
            fclose(f);
        }
        command = saved;
    }
    if (sim_report_write_sweep(dir, command, rec, cells, n, msg, sizeof(msg)) !=
        0) {
        fprintf(err, "gilsim: report skipped: %s\n", msg);
    }
    rc = sim_sweep_print(cells, n, formats, command, rec, out);
    if (rc != 0) {
        fprintf(err, "gilsim: sweep: cannot print the cells as JSON\n");
    }
    free(rec);
    return rc;
}

/* ---- gilsim plot on a sweep folder ----------------------------------------
 */

/*
 * Rebuild the cells from the rows of DIR/sweep.tsv alone: one cell per
 * (model, threads, processes, switch interval), its pool the one the
 * model would use (serial 1, processes --processes, else --threads; a
 * convoy sweep's 1 + --cpu-threads pools are not recorded in the rows,
 * so they show as --threads), with the repetitions found. Then draw the
 * plots and print the recommendation again.
 */
int
sim_sweep_replot(const char *dir, FILE *out, FILE *err)
{
    struct rows rs = {NULL, 0, 0};
    struct sim_sweep_cell *cells = NULL;
    size_t n = 0, i, j;
    int repeat = 0, models = 0, sis = 0;
    int seen_model[SIM_MODEL_COUNT] = {0};
    int64_t first_si = -1;
    int first_conc = -1, conc_axis = 0;
    int rc;

    rc = read_rows(dir, &rs);
    if (rc <= 0) {
        fprintf(err, "gilsim: plot %s: cannot read its %s\n", dir, TSV_NAME);
        free(rs.v);
        return SIM_EXIT_ERROR;
    }
    cells = calloc(rs.n > 0 ? rs.n : 1, sizeof(*cells));
    if (cells == NULL) {
        free(rs.v);
        fprintf(err, "gilsim: plot %s: out of memory\n", dir);
        return SIM_EXIT_ERROR;
    }
    /* The loop's concurrency was the axis when its rows differ in it. */
    for (i = 0; i < rs.n; i++) {
        if (strcmp(rs.v[i].model, "loop") != 0) {
            continue;
        }
        if (first_conc < 0) {
            first_conc = rs.v[i].concurrency;
        } else if (rs.v[i].concurrency != first_conc) {
            conc_axis = 1;
        }
    }
    for (i = 0; i < rs.n; i++) {
        const struct sim_sweep_row *r = &rs.v[i];
        int m = sim_model_find(r->model);

        if (m < 0) {
            continue;
        }
        if (r->repeat + 1 > repeat) {
            repeat = r->repeat + 1;
        }
        for (j = 0; j < n; j++) {
            if (row_of_cell(r, &cells[j])) {
                break;
            }
        }
        if (j < n) {
            continue;
        }
        cells[n].model = (enum sim_model)m;
        cells[n].threads = r->threads;
        cells[n].processes = r->processes;
        cells[n].concurrency = r->concurrency;
        cells[n].by_concurrency = m == SIM_MODEL_LOOP && conc_axis;
        cells[n].pool = m == SIM_MODEL_SERIAL      ? 1
                        : m == SIM_MODEL_PROCESSES ? r->processes
                        : cells[n].by_concurrency  ? r->concurrency
                                                   : r->threads;
        cells[n].switch_interval_ns = r->switch_interval_ns;
        if (!seen_model[m]) {
            seen_model[m] = 1;
            models++;
        }
        if (first_si < 0) {
            first_si = r->switch_interval_ns;
            sis = 1;
        } else if (r->switch_interval_ns != first_si) {
            sis = 2;
        }
        n++;
    }
    for (i = 0; i < n; i++) {
        cell_stats(&cells[i], &rs, repeat);
    }
    plot_cells(dir, "gilsim sweep (redrawn from sweep.tsv)", cells, n, err);
    fprintf(out, "redrawn: %s/sweep-*.png and .svg from %zu cells\n", dir, n);
    (void)recommend_and_report(dir, NULL, cells, n, models > 1, sis > 1, NULL,
                               SIM_FORMAT_TEXT, out, err);
    free(cells);
    free(rs.v);
    return SIM_EXIT_OK;
}
