/*
 * sweep_collect.c - `gilsim sweep --collect=DIR`: the cells a planned
 * sweep's jobs finished (sweep_plan.c, cell.c), merged into what a local
 * sweep writes: sweep.tsv, the plots, index.html and the recommendation.
 *
 * The jobs are plan.json's list (their ids and cells, in the plan's
 * order), not the cells the plan's flags would make on this machine:
 * --processes and --cores default to the host's core count, and the
 * collecting machine's may differ. The options (plan.json's flags,
 * parsed again by the command line) shape only the output: the plots'
 * title, the formats. Each job's folder, DIR/cells/ID, holds a run's
 * summary.json once the job finished: its one run gives the row a local sweep
 * would have written for that repetition (wall, CPU, GIL wait, forced switches,
 * failed steps); the cell's place (model, pool, interval, concurrency,
 * repetition) is the plan's, checked against what the summary says. A job
 * is failed when its cell began and did not finish (DIR/cells/ID.part,
 * with failed.txt when gilsim lived to say its exit status) or left a
 * summary that is not this cell's (sim_cell_check, the check --cell
 * makes, so the advice to remove it is what lets the job run again);
 * missing when nothing of it is there,
 * or when a gilsim runs it now (ID.part locked: said so beside it).
 * Each is listed on stderr and in DIR/cells.tsv (every job: its state,
 * the host it ran on, the host's cores and CPU), and makes the exit
 * status 1 unless --partial; what finished is merged either way. When
 * no job has finished, nothing is written (an earlier collect's
 * sweep.tsv, plots and page stay) and the exit status is 1; when fewer
 * rows than the earlier sweep.tsv's are merged, a line says so.
 *
 * Real time depends on the machine: when the finished cells ran on hosts
 * with different core counts the recommendation is refused (its line
 * says why) unless --mixed-hosts; virtual time does not (--engine=virtual
 * sweeps are never refused). sweep.tsv, the plots and the page are made
 * by sweep.c's own code (sim_sweep_write_tsv, sim_sweep_finish), so they
 * are what a local sweep of the same rows writes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base.h"
#include "report.h"
#include "run.h"

enum job_state { JOB_DONE, JOB_FAILED, JOB_MISSING };

static const char *const state_names[] = {"finished", "failed", "missing"};

/* What collect found of one job. */
struct job {
    char id[160];
    enum job_state state;
    char detail[512]; /* why it failed */
    char host[256];
    int cores;
    char cpu[256];
};

/* The contents of a small file's first line, or "" (failed.txt). */
static void
first_line(const char *path, char *buf, size_t len)
{
    FILE *f = base_fopen_regular(path);

    buf[0] = '\0';
    if (f == NULL) {
        return;
    }
    if (fgets(buf, (int)len, f) != NULL) {
        buf[strcspn(buf, "\n")] = '\0';
    }
    (void)fclose(f);
}

/* The plan's job pj: its row into *row when finished. */
static void
read_job(const char *dir, const struct sim_plan_job *pj, struct job *j,
         struct sim_sweep_row *row)
{
    const struct sim_sweep_cell *c = &pj->cell;
    int repeat = pj->repeat;
    struct sim_report_summary sum;
    const struct sim_trace_summary *r;
    char path[4400];
    char msg[SIM_ERR_LEN * 2];
    struct stat st;
    int rc;

    (void)snprintf(j->id, sizeof(j->id), "%s", pj->id);
    (void)snprintf(path, sizeof(path), "%.4000s/cells/%s/summary.json", dir,
                   j->id);
    if (stat(path, &st) != 0) {
        (void)snprintf(path, sizeof(path), "%.4000s/cells/%s", dir, j->id);
        if (sim_cell_running(path)) {
            /* Not failed: a job runs it now. */
            j->state = JOB_MISSING;
            (void)snprintf(j->detail, sizeof(j->detail),
                           "under way (a gilsim holds %s.part)", j->id);
            return;
        }
        (void)snprintf(path, sizeof(path), "%.4000s/cells/%s.part", dir, j->id);
        if (stat(path, &st) == 0) {
            char status[64];

            (void)snprintf(path, sizeof(path),
                           "%.4000s/cells/%s.part/failed.txt", dir, j->id);
            first_line(path, status, sizeof(status));
            j->state = JOB_FAILED;
            (void)snprintf(j->detail, sizeof(j->detail),
                           "began and did not finish (%s; %s.part)",
                           status[0] != '\0' ? status : "killed?", j->id);
        } else {
            j->state = JOB_MISSING;
        }
        return;
    }
    rc = sim_report_read_summary(path, &sum, msg, sizeof(msg));
    j->state = JOB_FAILED;
    if (rc != 0) {
        (void)snprintf(j->detail, sizeof(j->detail),
                       "%.200s; remove cells/%s to run it again", msg, j->id);
        sim_report_summary_clear(&sum);
        return;
    }
    if (sim_cell_check(&sum, c, msg, sizeof(msg)) != 0) {
        /* --cell refuses such a folder with the same words: it is not
         * run again until it is removed. */
        (void)snprintf(j->detail, sizeof(j->detail),
                       "%.200s; remove cells/%s to run it again", msg, j->id);
    } else {
        r = &sum.runs[0];
        j->state = JOB_DONE;
        memset(row, 0, sizeof(*row));
        (void)snprintf(row->model, sizeof(row->model), "%s",
                       sim_model_name(c->model));
        row->threads = c->threads;
        row->processes = c->processes;
        row->concurrency = c->concurrency;
        row->switch_interval_ns = c->switch_interval_ns;
        row->repeat = repeat;
        row->wall_ns = r->wall_ns;
        row->cpu_ns = r->cpu_ns;
        row->gil_wait_ns = r->stats.wait_ns;
        row->forced_switches = (unsigned long long)r->stats.forced_switches;
        row->steps_failed = (unsigned long long)r->stats.steps_failed;
        (void)snprintf(j->host, sizeof(j->host), "%s",
                       sum.host_name[0] != '\0' ? sum.host_name : "unknown");
        j->cores = sum.host_cores;
        (void)snprintf(j->cpu, sizeof(j->cpu), "%s",
                       sum.host_cpu[0] != '\0' ? sum.host_cpu : "unknown");
    }
    sim_report_summary_clear(&sum);
}

struct jobs_ctx {
    const struct job *jobs;
    size_t n;
};

/* cells.tsv: every job, its state and where it ran. */
static int
write_jobs_fn(const void *ctx, FILE *f)
{
    const struct jobs_ctx *jc = ctx;
    size_t i;

    fputs("index\tid\tstate\thost\thost_cores\thost_cpu\tdetail\n", f);
    for (i = 0; i < jc->n; i++) {
        const struct job *j = &jc->jobs[i];

        fprintf(f, "%zu\t%s\t%s\t%s\t%d\t%s\t%s\n", i, j->id,
                state_names[j->state], j->host, j->cores, j->cpu, j->detail);
    }
    return ferror(f) ? -EIO : 0;
}

/* The hosts' core counts among the finished jobs, when they differ:
 * "2 cores (6 jobs), 64 cores (6 jobs)" into buf; 0 when they agree. */
static int
mixed_cores(const struct job *jobs, size_t n, char *buf, size_t len)
{
    int seen[16];
    size_t count[16];
    size_t k = 0, i, x, used = 0;

    for (i = 0; i < n; i++) {
        if (jobs[i].state != JOB_DONE) {
            continue;
        }
        for (x = 0; x < k && seen[x] != jobs[i].cores; x++) {
        }
        if (x == k && k < 16) {
            seen[k] = jobs[i].cores;
            count[k++] = 0;
        }
        if (x < k) {
            count[x]++;
        }
    }
    buf[0] = '\0';
    if (k < 2) {
        return 0;
    }
    for (x = 0; x < k && used < len; x++) {
        int w = snprintf(buf + used, len - used, "%s%d cores (%zu job%s)",
                         x > 0 ? ", " : "", seen[x], count[x],
                         count[x] == 1 ? "" : "s");

        used += w > 0 ? (size_t)w : 0;
    }
    return 1;
}

/* The missing and failed jobs on err, at most `most` lines of each. */
static void
list_jobs(const struct job *jobs, size_t n, enum job_state state, FILE *err)
{
    const size_t most = 20;
    size_t i, shown = 0, all = 0;

    for (i = 0; i < n; i++) {
        if (jobs[i].state != state) {
            continue;
        }
        all++;
        if (shown == most) {
            continue;
        }
        shown++;
        fprintf(err, "gilsim: %s: %s (line %zu of jobs.txt)%s%s\n",
                state_names[state], jobs[i].id, i + 1,
                jobs[i].detail[0] != '\0' ? ": " : "", jobs[i].detail);
    }
    if (all > shown) {
        fprintf(err, "gilsim: ... and %zu more %s (see cells.tsv)\n",
                all - shown, state_names[state]);
    }
}

/* The rows of an earlier collect's DIR/sweep.tsv (its lines after the
 * header), 0 if there is none. */
static size_t
tsv_rows(const char *dir)
{
    char path[4200];
    size_t lines = 0;
    FILE *f;
    int ch;

    (void)snprintf(path, sizeof(path), "%.4000s/sweep.tsv", dir);
    f = base_fopen_regular(path);
    if (f == NULL) {
        return 0;
    }
    while ((ch = getc(f)) != EOF) {
        lines += ch == '\n';
    }
    (void)fclose(f);
    return lines > 0 ? lines - 1 : 0;
}

/* The cells of the plan's jobs, each once, in the jobs' order (the order
 * of the sweep's cells); *n_out of them, malloc'd, or NULL. The cells
 * are the jobs', not the ones the plan's flags make here: a default that
 * depends on the machine (--processes, --cores) may differ. */
static struct sim_sweep_cell *
cells_of_jobs(const struct sim_options *o, const struct sim_plan_job *jobs,
              size_t n_jobs, size_t *n_out, int *repeat)
{
    struct sim_sweep_cell *cells;
    size_t i, k, n = 0;

    *repeat = 1;
    cells = calloc(n_jobs > 0 ? n_jobs : 1, sizeof(*cells));
    if (cells == NULL) {
        return NULL;
    }
    for (i = 0; i < n_jobs; i++) {
        const struct sim_sweep_cell *c = &jobs[i].cell;

        for (k = 0; k < n; k++) {
            if (cells[k].model == c->model && cells[k].threads == c->threads &&
                cells[k].processes == c->processes &&
                cells[k].concurrency == c->concurrency &&
                cells[k].switch_interval_ns == c->switch_interval_ns) {
                break;
            }
        }
        if (k == n) {
            cells[n] = *c;
            sim_sweep_cell_place(o, &cells[n]);
            n++;
        }
        if (jobs[i].repeat + 1 > *repeat) {
            *repeat = jobs[i].repeat + 1;
        }
    }
    *n_out = n;
    return cells;
}

/* sweep.tsv (saying so when it has fewer rows than before) and
 * cells.tsv. An exit status, with one line on err. */
static int
write_rows(const char *dir, const struct sim_sweep_row *rows, size_t n_rows,
           const struct job *jobs, size_t n_jobs,
           const struct sim_collect_how *how, FILE *err)
{
    char msg[SIM_ERR_LEN * 2];
    size_t old_rows = tsv_rows(dir);
    struct jobs_ctx jc;

    if (old_rows > n_rows) {
        fprintf(err,
                "gilsim: sweep%s: %s/sweep.tsv had %zu rows and now "
                "has %zu: cells that had finished are gone or no longer "
                "valid (see the failed and missing jobs)\n",
                how->local ? "" : " --collect", dir, old_rows, n_rows);
    }
    jc.jobs = jobs;
    jc.n = n_jobs;
    if (sim_sweep_write_tsv(dir, rows, n_rows, msg, sizeof(msg)) != 0 ||
        base_write_atomic(dir, "cells.tsv", write_jobs_fn, &jc, msg,
                          sizeof(msg)) != 0) {
        fprintf(err, "gilsim: %s\n", msg);
        return SIM_EXIT_ERROR;
    }
    base_sync_dir(dir);
    return SIM_EXIT_OK;
}

/* What is left to do, on err: jobs not finished (rerun the sweep, or the
 * launcher; none of it with --partial) or failed steps. 1 if any. */
static int
left_over(const struct sim_options *o, const char *dir,
          const size_t by_state[3], size_t n_jobs,
          unsigned long long failed_steps, const struct sim_collect_how *how,
          FILE *err)
{
    size_t open = by_state[JOB_FAILED] + by_state[JOB_MISSING];

    if (open > 0 && how->local) {
        fprintf(err,
                "gilsim: %zu of %zu jobs not finished; rerun the same "
                "command%s%s to run them\n",
                open, n_jobs, o->out_dir[0] != '\0' ? "" : " with --out=",
                o->out_dir[0] != '\0' ? "" : dir);
        return 1;
    }
    if (open > 0 && !o->partial) {
        fprintf(err,
                "gilsim: %zu of %zu jobs not finished; run them (e.g. "
                "run-parallel.sh --resume-failed) and collect again, or "
                "--partial\n",
                open, n_jobs);
        return 1;
    }
    if (failed_steps > 0) {
        fprintf(err, "gilsim: %llu steps failed; see %s/sweep.tsv\n",
                failed_steps, dir);
        return 1;
    }
    return 0;
}

int
sim_sweep_collect_main(const struct sim_options *o, const char *command,
                       const struct sim_plan_job *plan_jobs, size_t n_jobs,
                       FILE *out, FILE *err)
{
    struct sim_collect_how how;

    memset(&how, 0, sizeof(how));
    return sim_sweep_collect(o, o->collect_dir, command, plan_jobs, n_jobs,
                             &how, out, err);
}

int
sim_sweep_collect(const struct sim_options *o, const char *dir,
                  const char *command, const struct sim_plan_job *plan_jobs,
                  size_t n_jobs, const struct sim_collect_how *how, FILE *out,
                  FILE *err)
{
    struct sim_sweep_cell *cells;
    struct sim_sweep_row *rows = NULL;
    struct job *jobs = NULL;
    char why[512];
    const char *no_rec = NULL;
    size_t n, i, n_rows = 0, by_state[3] = {0, 0, 0};
    unsigned long long failed_steps = 0;
    int lock_fd = -1, status = SIM_EXIT_OK, repeat;

    cells = cells_of_jobs(o, plan_jobs, n_jobs, &n, &repeat);
    if (cells == NULL) {
        fprintf(err, "gilsim: out of memory\n");
        return SIM_EXIT_ERROR;
    }
    rows = calloc(n_jobs > 0 ? n_jobs : 1, sizeof(*rows));
    jobs = calloc(n_jobs > 0 ? n_jobs : 1, sizeof(*jobs));
    if (rows == NULL || jobs == NULL) {
        fprintf(err, "gilsim: out of memory\n");
        status = SIM_EXIT_ERROR;
        goto out;
    }
    if (!how->locked) {
        status = sim_run_lock_dir(dir, &lock_fd, err);
        if (status != SIM_EXIT_OK) {
            goto out;
        }
    }
    for (i = 0; i < n_jobs; i++) {
        struct job *j = &jobs[i];

        read_job(dir, &plan_jobs[i], j, &rows[n_rows]);
        by_state[j->state]++;
        if (j->state == JOB_DONE) {
            failed_steps += rows[n_rows].steps_failed;
            n_rows++;
        }
    }
    if (!o->quiet && !how->local) {
        fprintf(err,
                "gilsim: sweep --collect: %zu job%s: %zu finished, %zu "
                "failed, %zu missing\n",
                n_jobs, n_jobs == 1 ? "" : "s", by_state[JOB_DONE],
                by_state[JOB_FAILED], by_state[JOB_MISSING]);
    }
    list_jobs(jobs, n_jobs, JOB_FAILED, err);
    if (!how->local) {
        /* A local sweep's missing jobs are the ones it did not start. */
        list_jobs(jobs, n_jobs, JOB_MISSING, err);
    }
    if (n_rows == 0) {
        /* An earlier collect's results stay as they were. */
        fprintf(err,
                "gilsim: sweep%s=%s: no job has finished; nothing "
                "written (expected at least one finished cell in "
                "%s/cells)\n",
                how->local ? " --out" : " --collect", dir, dir);
        status = SIM_EXIT_FAILURES;
        goto out;
    }
    status = write_rows(dir, rows, n_rows, jobs, n_jobs, how, err);
    if (status != SIM_EXIT_OK) {
        goto out;
    }
    for (i = 0; i < n; i++) {
        sim_sweep_cell_stats(&cells[i], rows, n_rows, repeat);
    }
    if (!o->engine_virtual) {
        char counts[400];

        if (mixed_cores(jobs, n_jobs, counts, sizeof(counts)) &&
            !o->mixed_hosts) {
            (void)snprintf(why, sizeof(why),
                           "the cells ran on hosts with different core "
                           "counts: %s; --mixed-hosts to recommend across "
                           "them",
                           counts);
            no_rec = why;
        }
    }
    if (sim_sweep_finish(o, dir, command, cells, n, no_rec, out, err) != 0) {
        status = SIM_EXIT_ERROR;
        goto out;
    }
    if (no_rec != NULL) {
        fprintf(err, "gilsim: no recommendation: %s\n", no_rec);
        status = SIM_EXIT_FAILURES;
    }
    if (left_over(o, dir, by_state, n_jobs, failed_steps, how, err) != 0) {
        status = SIM_EXIT_FAILURES;
    }
out:
    sim_run_unlock_dir(dir, lock_fd);
    free(jobs);
    free(rows);
    free(cells);
    return status;
}
