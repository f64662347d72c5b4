/*
 * sweep_run.c - `gilsim sweep` on this machine: the sweep's plan, each
 * of its jobs run here, then collected; the path a planned sweep takes
 * on other machines (sweep_plan.c, cell.c, sweep_collect.c), run by
 * gilsim itself.
 *
 * 1. The folder (--out, or gilsim-out/TIMESTAMP): new, or a sweep of
 *    this gilsim's to resume (sweep-config.json and cells/ in it; its
 *    settings must be the same: sweep_config.c), or, with --force-new,
 *    a fresh folder beside it. A folder of an older gilsim (a sweep.tsv
 *    without cells/) or a plan made by --plan is refused with what to
 *    do instead. The folder's lock is held to the end.
 * 2. The plan's files (plan.json, jobs.txt, the launchers; written again
 *    on a resume, for the cells this command makes) when the command
 *    line handed its flags over (a sweep of gilsim predict has none).
 * 3. The jobs (sim_sweep_jobs: every cell's repetitions, in order), each
 *    run as `gilsim run --cell` would run its line of jobs.txt
 *    (sim_sweep_cell_options, sim_run_cell) into cells/ID; a job already
 *    finished there is not run again. One at a time in this process,
 *    with the sweep's one embedded server; under --engine=virtual --jobs
 *    at once (one a core by default), each in a child process forked for
 *    it, since virtual time does not depend on what runs beside it. A job
 *    that fails with an error (exit status 2 or more) stops new ones
 *    from starting: what fails once fails again; so does a job killed by
 *    a signal the sweep did not send. Ctrl-C or SIGTERM stops new ones
 *    too and is passed on to the running ones (a forked job keeps its
 *    stop handler after a first signal, so the terminal's and the
 *    sweep's may both reach it), and each cut job leaves its
 *    cells/ID.part for the next run to clear. A sweep folder this run
 *    made is removed again when no job in it finished.
 * 4. sim_sweep_collect on the folder: sweep.tsv, cells.tsv, the plots,
 *    index.html and the recommendation, from the cells that finished.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base.h"
#include "calibrate.h"
#include "report.h"
#include "run.h"

#define JOBS_AT_ONCE_MAX 1024

void
sim_sweep_cell_options(const struct sim_options *o,
                       const struct sim_sweep_cell *c, const char *out,
                       struct sim_options *co)
{
    *co = *o;
    co->models = 1u << c->model;
    co->threads = c->threads;
    co->processes = c->processes;
    co->concurrency = c->concurrency;
    co->switch_interval_ns = c->switch_interval_ns;
    co->n_sweep_threads = co->n_sweep_processes = 0;
    co->n_sweep_switch = co->n_sweep_concurrency = 0;
    co->repeat = 1;
    co->trace_mode = SIM_TRACE_MODE_OFF;
    co->no_plots = 1;
    co->quiet = 1;
    co->formats = 0;
    co->cell = 1;
    co->force_new = 0;
    co->jobs = 0;
    co->plan_dir[0] = co->collect_dir[0] = co->predict_dir[0] = '\0';
    (void)snprintf(co->out_dir, sizeof(co->out_dir), "%.4000s", out);
}

/* ---- the folder ---------------------------------------------------------- */

static int
has(const char *dir, const char *name, int want_dir)
{
    char path[4200];
    struct stat st;

    (void)snprintf(path, sizeof(path), "%.4000s/%s", dir, name);
    return stat(path, &st) == 0 &&
           (want_dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode));
}

/*
 * The sweep's folder into dir, locked (*lock_fd), with cells/ in it;
 * *resumed when it holds an earlier sweep of the same settings, *created
 * when this made it. An exit status, with one line on err.
 */
static int
open_folder(const struct sim_options *o, char *dir, size_t len, int *resumed,
            int *created, int *lock_fd, FILE *err)
{
    const char *given = o->out_dir;
    char why[SIM_ERR_LEN * 2];
    char cells[4200];
    int ours = 0, old = 0, status;

    *resumed = *created = 0;
    if (given[0] != '\0' && sim_run_dir_state(given) == -ENOTEMPTY) {
        ours = has(given, "sweep-config.json", 0) && has(given, "cells", 1);
        old = !ours && has(given, "sweep.tsv", 0);
        if (old && !o->force_new) {
            fprintf(err,
                    "gilsim: --out=%s: a sweep of an earlier gilsim (a "
                    "sweep.tsv without cells/), which this one cannot "
                    "resume (expected a new --out, or --force-new; gilsim "
                    "plot %s still redraws it)\n",
                    given, given);
            return SIM_EXIT_USAGE;
        }
        if (!ours && has(given, "plan.json", 0)) {
            fprintf(err,
                    "gilsim: --out=%s: a plan written by --plan (expected "
                    "its jobs run by a launcher and gilsim sweep "
                    "--collect=%s, or a new --out)\n",
                    given, given);
            return SIM_EXIT_USAGE;
        }
    }
    if ((ours || old) && o->force_new) {
        /* Never resume, never touch the earlier sweep: a folder beside. */
        status = sim_run_make_fresh_dir(given, dir, len, err);
        if (status != SIM_EXIT_OK) {
            return status;
        }
        *created = 1;
        fprintf(err,
                "gilsim: sweep: --force-new: %s holds an earlier sweep, left "
                "as it is; this one goes to %s\n",
                given, dir);
    } else if (ours) {
        (void)snprintf(dir, len, "%s", given);
        *resumed = 1;
    } else {
        status = sim_run_make_dir(o, dir, len, created, err);
        if (status != SIM_EXIT_OK) {
            return status;
        }
    }
    status = sim_run_lock_dir(dir, lock_fd, err);
    if (status != SIM_EXIT_OK) {
        if (*created) {
            (void)rmdir(dir);
        }
        return status;
    }
    if (*resumed && sim_sweep_config_check(o, dir, why, sizeof(why)) != 0) {
        /* Cells measured under other settings must never mix in. */
        fprintf(err,
                "gilsim: --out=%s: cannot resume a sweep made with other "
                "settings: %s (expected the same settings, a new --out, or "
                "--force-new)\n",
                dir, why);
        return SIM_EXIT_USAGE;
    }
    if (!*resumed) {
        if (sim_sweep_config_write(o, dir, why, sizeof(why)) != 0) {
            fprintf(err, "gilsim: %s\n", why);
            return SIM_EXIT_ERROR;
        }
        (void)snprintf(cells, sizeof(cells), "%.4000s/cells", dir);
        if (mkdir(cells, 0777) != 0 && errno != EEXIST) {
            base_errf(why, sizeof(why), errno, "cannot create %.4000s", cells);
            fprintf(err, "gilsim: %s\n", why);
            return SIM_EXIT_ERROR;
        }
    }
    return SIM_EXIT_OK;
}

/* ---- the jobs ------------------------------------------------------------ */

/* What the jobs came to, for the progress lines and the end. */
struct tally {
    size_t n, done, ran, had;
    size_t finished; /* of those run: jobs whose cell finished (exit 0, 1) */
    /* Job i's cell was finished before this run (read once, at the
     * start); NULL in a folder this run began. */
    unsigned char *was_done;
    int worst; /* the first error's exit status (2 or more), or 0 */
    int64_t t0;
    int tty;
    int tty_line; /* a progress line without its newline is on err */
};

/* A finished job's line on err (or the tty's one line, rewritten). */
static void
progress(const struct sim_options *o, const char *dir,
         const struct sim_plan_job *j, struct tally *t, FILE *err)
{
    double elapsed = (double)(base_now_ns() - t->t0) / 1e9;
    double left = t->ran > 0 && t->done < t->n
                      ? elapsed / (double)t->ran * (double)(t->n - t->done)
                      : 0.0;
    struct sim_report_summary sum;
    char path[4400], why[SIM_ERR_LEN];
    double wall = -1.0;

    if (o->quiet) {
        return;
    }
    if (t->tty) {
        /* Ended with a newline once the jobs are (sim_sweep_main). */
        fprintf(err,
                "\rgilsim: sweep: jobs %zu/%zu, elapsed %.0f s, estimated "
                "remaining %.0f s   ",
                t->done, t->n, elapsed, left);
        fflush(err);
        t->tty_line = 1;
        return;
    }
    (void)snprintf(path, sizeof(path), "%.4000s/cells/%s/summary.json", dir,
                   j->id);
    memset(&sum, 0, sizeof(sum));
    if (sim_report_read_summary(path, &sum, why, sizeof(why)) == 0 &&
        sum.n == 1) {
        wall = (double)sum.runs[0].wall_ns / 1e9;
    }
    sim_report_summary_clear(&sum);
    fprintf(err, "gilsim: sweep: job %zu/%zu: %s: ", t->done, t->n, j->id);
    if (wall >= 0) {
        fprintf(err, "%.4g s", wall);
    } else {
        fprintf(err, "not finished");
    }
    fprintf(err, " (elapsed %.0f s, estimated remaining %.0f s)\n", elapsed,
            left);
    fflush(err);
}

/* Job j ended with exit status `status`. */
static void
job_ended(const struct sim_options *o, const char *dir,
          const struct sim_plan_job *j, int status, struct tally *t, FILE *err)
{
    t->done++;
    t->ran++;
    if (status == SIM_EXIT_OK || status == SIM_EXIT_FAILURES) {
        t->finished++; /* sim_cell_end renamed the cell into place */
    }
    if (status >= 128 && !sim_stop_requested()) {
        /* Not a stop of ours: the kernel's OOM killer, a crash. */
        fprintf(err,
                "gilsim: sweep: job %s was killed by signal %d; no further "
                "job is started\n",
                j->id, status - 128);
        if (t->worst == 0) {
            t->worst = SIM_EXIT_ERROR;
        }
    } else if (status >= SIM_EXIT_USAGE && !sim_stop_requested()) {
        fprintf(err,
                "gilsim: sweep: job %s failed (exit status %d); no further "
                "job is started\n",
                j->id, status);
        if (t->worst == 0) {
            t->worst = status;
        }
    }
    progress(o, dir, j, t, err);
}

/* Job j's folder, DIR/cells/ID. */
static void
cell_dir(const char *dir, const struct sim_plan_job *j, char *buf, size_t len)
{
    (void)snprintf(buf, len, "%.4000s/cells/%s", dir, j->id);
}

/* Job j's options: its cell's, writing into its folder. */
static void
job_options(const struct sim_options *o, const char *dir,
            const struct sim_plan_job *j, struct sim_options *co)
{
    char out[4400];

    cell_dir(dir, j, out, sizeof(out));
    sim_sweep_cell_options(o, &j->cell, out, co);
}

/* Whether job i finished before this run (t->had counts it): then it is
 * done without running. */
static int
done_before(struct tally *t, size_t i)
{
    if (t->was_done == NULL || !t->was_done[i]) {
        return 0;
    }
    t->done++;
    return 1;
}

/* The jobs one after another, here. */
static void
run_here(const struct sim_options *o, const char *command, const char *dir,
         const struct sim_plan_job *jobs, struct sim_run_io *io, FILE *quiet,
         struct tally *t, FILE *err)
{
    struct sim_options co;
    size_t i;

    for (i = 0; i < t->n && !sim_stop_requested() && t->worst == 0; i++) {
        if (done_before(t, i)) {
            continue;
        }
        job_options(o, dir, &jobs[i], &co);
        job_ended(o, dir, &jobs[i], sim_run_cell(&co, command, io, quiet, err),
                  t, err);
    }
}

/* Send the stop's signal to the running children, once (they keep their
 * handler after a first one: sim_stop_install_job). */
static void
pass_stop_on(const pid_t *pids, size_t n, int *passed)
{
    size_t k;

    if (*passed || !sim_stop_requested()) {
        return;
    }
    *passed = 1;
    for (k = 0; k < n; k++) {
        if (pids[k] > 0) {
            (void)kill(pids[k], sim_stop_signal());
        }
    }
}

/* A child's end wakes sigsuspend; the handler itself has nothing to do. */
static void
on_child(int sig)
{
    (void)sig;
}

/* Start job j in a child; its pid, or -1 (after a line on err). The child
 * runs with the signals it was forked with (set) and the stop handler
 * of a job; one forked after a stop began runs nothing. */
static pid_t
fork_job(const struct sim_options *o, const char *command, const char *dir,
         const struct sim_plan_job *j, const sigset_t *set,
         const struct sigaction *chld, FILE *quiet, FILE *out, FILE *err)
{
    struct sim_options co;
    pid_t pid;

    job_options(o, dir, j, &co);
    fflush(out);
    fflush(err);
    pid = fork();
    if (pid == 0) {
        int status;

        (void)sigaction(SIGCHLD, chld, NULL);
        sim_stop_install_job();
        (void)sigprocmask(SIG_SETMASK, set, NULL);
        status = sim_stop_requested()
                     ? 128 + sim_stop_signal()
                     : sim_run_cell(&co, command, NULL, quiet, err);
        fflush(err);
        _exit(status);
    }
    if (pid < 0) {
        fprintf(err, "gilsim: sweep: cannot start job %s: %s\n", j->id,
                strerror(errno)); // NOLINT(concurrency-mt-unsafe)
    }
    return pid;
}

/* Every child that ended, reaped and counted; -1 if waitpid failed. */
static int
reap(const struct sim_options *o, const char *dir,
     const struct sim_plan_job *jobs, pid_t *pids, const size_t *which,
     size_t slots, size_t *running, struct tally *t, FILE *err)
{
    for (;;) {
        int ws = 0;
        pid_t pid = waitpid(-1, &ws, WNOHANG);
        size_t k;

        if (pid == 0 || (pid < 0 && errno == ECHILD && *running == 0)) {
            return 0;
        }
        if (pid < 0) {
            if (errno == EINTR) {
                continue;
            }
            fprintf(err, "gilsim: sweep: waitpid: %s\n",
                    strerror(errno)); // NOLINT(concurrency-mt-unsafe)
            return -1;
        }
        for (k = 0; k < slots && pids[k] != pid; k++) {
        }
        if (k == slots) {
            continue; /* not a job's */
        }
        pids[k] = 0;
        (*running)--;
        job_ended(o, dir, &jobs[which[k]],
                  WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws), t, err);
    }
}

/*
 * The jobs `at_once` at a time, each in a child forked for it. Only
 * under the virtual engine: this process has no thread then, so a child
 * may start its own. SIGCHLD, SIGINT and SIGTERM are blocked but while
 * the sweep waits (sigsuspend), so a stop that comes at any moment is
 * seen before the next job starts and passed on at once, and a child's
 * end always wakes the wait (SIGCHLD has a handler, whatever the
 * sweep's parent had set, so the children are ours to reap).
 */
static void
run_forked(const struct sim_options *o, const char *command, const char *dir,
           const struct sim_plan_job *jobs, int at_once, FILE *quiet,
           struct tally *t, FILE *out, FILE *err)
{
    pid_t pids[JOBS_AT_ONCE_MAX];
    size_t which[JOBS_AT_ONCE_MAX];
    size_t next = 0, k, running = 0, slots = (size_t)at_once;
    struct sigaction sa, old_chld;
    sigset_t block, old;
    int passed = 0;

    memset(pids, 0, sizeof(pids));
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_child;
    sa.sa_flags = SA_NOCLDSTOP;
    (void)sigemptyset(&sa.sa_mask);
    (void)sigaction(SIGCHLD, &sa, &old_chld);
    (void)sigemptyset(&block);
    (void)sigaddset(&block, SIGCHLD);
    (void)sigaddset(&block, SIGINT);
    (void)sigaddset(&block, SIGTERM);
    (void)sigprocmask(SIG_BLOCK, &block, &old);
    for (;;) {
        while (running < slots && next < t->n && !sim_stop_requested() &&
               t->worst == 0) {
            const struct sim_plan_job *j = &jobs[next++];
            pid_t pid;

            if (done_before(t, (size_t)(j - jobs))) {
                continue;
            }
            pid =
                fork_job(o, command, dir, j, &old, &old_chld, quiet, out, err);
            if (pid < 0) {
                t->worst = SIM_EXIT_ERROR;
                break;
            }
            for (k = 0; pids[k] != 0; k++) {
            }
            pids[k] = pid;
            which[k] = (size_t)(j - jobs);
            running++;
        }
        if (reap(o, dir, jobs, pids, which, slots, &running, t, err) != 0) {
            /* Nothing to wait on: end what runs rather than leave it. */
            for (k = 0; k < slots; k++) {
                if (pids[k] > 0) {
                    (void)kill(pids[k], SIGKILL);
                    (void)waitpid(pids[k], NULL, 0);
                }
            }
            t->worst = SIM_EXIT_ERROR;
            break;
        }
        if (running == 0 &&
            (next >= t->n || sim_stop_requested() || t->worst != 0)) {
            break;
        }
        if (running == slots || next >= t->n || sim_stop_requested() ||
            t->worst != 0) {
            (void)sigsuspend(&old); /* a child's end, or a stop */
        }
        pass_stop_on(pids, slots, &passed);
    }
    (void)sigprocmask(SIG_SETMASK, &old, NULL);
    (void)sigaction(SIGCHLD, &old_chld, NULL);
}

/* ---- the sweep ----------------------------------------------------------- */

/* Which jobs cells/ holds finished already, into t->was_done (made
 * here; NULL when out of memory: then every job is run, and --cell
 * finds the finished ones itself), and how many into t->had. */
static void
finished_before(const char *dir, const struct sim_plan_job *jobs,
                struct tally *t)
{
    char out[4400];
    size_t i;

    t->was_done = calloc(t->n > 0 ? t->n : 1, 1);
    for (i = 0; i < t->n && t->was_done != NULL; i++) {
        cell_dir(dir, &jobs[i], out, sizeof(out));
        t->was_done[i] = (unsigned char)sim_cell_finished(out, &jobs[i].cell);
        t->had += t->was_done[i];
    }
}

/* How many jobs at once: --jobs, or one a usable core in virtual time. */
static int
jobs_at_once(const struct sim_options *o, size_t n_jobs)
{
    int j = o->jobs > 0 ? o->jobs : o->engine_virtual ? base_usable_cores() : 1;

    if (!o->engine_virtual) {
        j = 1; /* the command line refuses more */
    }
    if ((size_t)j > n_jobs) {
        j = n_jobs > 0 ? (int)n_jobs : 1;
    }
    return j > JOBS_AT_ONCE_MAX ? JOBS_AT_ONCE_MAX : j;
}

int
sim_sweep_main(const struct sim_options *o, const char *command,
               const struct sim_plan_args *a, FILE *out, FILE *err,
               int handle_signals)
{
    struct sim_collect_how how = {1, 1};
    struct sim_plan_job *jobs;
    struct sim_run_io io;
    struct sim_stop stops;
    struct tally t;
    char dir[4096] = "";
    size_t n_cells = 0, i;
    int uses_io = sim_opt_uses_io(o) && !o->engine_virtual;
    int at_once, resumed = 0, created = 0, kept = 0, lock_fd = -1, status;
    FILE *quiet;

    sim_stop_reset();
    memset(&t, 0, sizeof(t));
    memset(&io, 0, sizeof(io));
    jobs = sim_sweep_jobs(o, &t.n);
    for (i = 0; jobs != NULL && i < t.n; i++) {
        n_cells += jobs[i].repeat == 0; /* a cell's first repetition */
    }
    quiet = fopen("/dev/null", "w");
    if (jobs == NULL || quiet == NULL) {
        fprintf(err, "gilsim: sweep: %s\n",
                jobs == NULL ? "out of memory" : "cannot open /dev/null");
        status = SIM_EXIT_ERROR;
        goto out;
    }
    status =
        open_folder(o, dir, sizeof(dir), &resumed, &created, &lock_fd, err);
    if (status != SIM_EXIT_OK) {
        goto out;
    }
    if (a != NULL) {
        status = sim_sweep_plan_write(o, command, a, dir, err);
        if (status != SIM_EXIT_OK) {
            goto out;
        }
    }
    if (uses_io) {
        /* One server for the whole sweep, as for a run's models. */
        status = sim_run_io_start(o, &io, err);
        if (status != SIM_EXIT_OK) {
            goto out;
        }
    }
    if (handle_signals) {
        sim_stop_install(&stops);
    }
    (void)wl_cpu_calibrate(); /* once, before a child is forked */
    at_once = jobs_at_once(o, t.n);
    if (resumed) {
        finished_before(dir, jobs, &t);
    }
    t.t0 = base_now_ns();
    t.tty = isatty(fileno(err));
    if (at_once > 1) {
        run_forked(o, command, dir, jobs, at_once, quiet, &t, out, err);
    } else {
        run_here(o, command, dir, jobs, uses_io ? &io : NULL, quiet, &t, err);
    }
    if (handle_signals) {
        sim_stop_restore(&stops);
    }
    if (uses_io) {
        sim_run_io_stop(&io);
    }
    if (t.tty_line) {
        fputc('\n', err);
    }
    if (!o->quiet) {
        fprintf(err,
                "gilsim: sweep: %zu cell%s, %zu job%s (%d at once): %zu run, "
                "%zu already in %s/cells\n",
                n_cells, n_cells == 1 ? "" : "s", t.n, t.n == 1 ? "" : "s",
                at_once, t.ran, t.had, dir);
    }
    status = sim_sweep_collect(o, dir, command, jobs, t.n, &how, out, err);
    kept = !created || t.had + t.finished > 0;
    if (sim_stop_signal() != 0) {
        if (!o->quiet && kept) {
            fprintf(err, "gilsim: interrupted; %s %s\n",
                    o->out_dir[0] != '\0'
                        ? "rerun the same command to resume the sweep in"
                        : "rerun the same command with --out set to resume "
                          "the sweep in",
                    dir);
        }
        status = 128 + (int)sim_stop_signal();
    } else if (t.worst != 0) {
        status = t.worst;
    }
out:
    sim_run_unlock_dir(dir, lock_fd);
    if (created && !kept && status != SIM_EXIT_OK) {
        /* No job finished: leave nothing behind. */
        base_remove_tree(dir);
    }
    if (quiet != NULL) {
        (void)fclose(quiet);
    }
    free(t.was_done);
    free(jobs);
    return status;
}
