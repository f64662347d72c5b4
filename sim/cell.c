/*
 * cell.c - `gilsim run --cell --out=DIR/cells/ID`: one cell of a planned
 * sweep (sweep_plan.c), run so that a cell's folder exists only once the
 * cell has finished, and a job that is run again does the right thing.
 *
 * The run is written into OUT.part, and OUT.part is renamed to OUT when
 * the run ends with a measurement (exit status 0, or 1 when steps
 * failed); the rename of a folder is atomic, so `gilsim sweep --collect`
 * sees a cell either finished or not at all. A run that is killed,
 * interrupted or fails leaves OUT.part behind (with failed.txt saying
 * the exit status when gilsim lived to write it): collect calls that cell
 * failed.
 *
 * Two runs of one cell never share OUT.part: sim_cell_begin makes it
 * (or finds it) and takes its lock file (folder.c's SIM_LOCK_NAME, a
 * POSIX record lock) before it returns, and sim_cell_end renames it
 * while still holding the lock. A run that finds OUT.part locked is
 * refused; one that finds it unlocked (a killed run's) takes the lock and
 * clears what is in it but the lock file, so the folder and its lock are
 * never removed under another run. The lock is taken on the file the
 * path names at that moment (checked after the lock), since a run that
 * ends unlinks it.
 *
 * Run again (GNU parallel's --resume-failed, a Slurm requeue, a
 * Kubernetes pod retried), a cell whose OUT holds this cell's
 * summary.json by this gilsim (sim_cell_check, the check collect makes)
 * is finished and runs nothing (exit 0); one whose summary.json is not
 * is refused (exit 2) with the same words collect uses, and the advice
 * to remove OUT.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report.h"
#include "run.h"

#define PART_SUFFIX ".part"

/* 1 if a process holds the lock file of folder dir. */
static int
lock_held(const char *dir)
{
    char path[4200];
    struct flock fl;
    int fd, held = 0;

    (void)snprintf(path, sizeof(path), "%.4000s/" SIM_LOCK_NAME, dir);
    fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        return 0;
    }
    memset(&fl, 0, sizeof(fl));
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK) {
        held = 1;
    }
    (void)close(fd);
    return held;
}

/* Take the lock file of dir into *fd: 0, -EAGAIN when another process
 * holds it, or -errno. *fd is -1 on a file system without record locks
 * (ENOLCK), which runs unlocked as folder.c's lock does. The file locked
 * is the one the path names after the lock: a run that ended may have
 * unlinked the one opened. */
static int
lock_take(const char *dir, int *fd)
{
    char path[4200];
    struct flock fl;
    struct stat a, b;
    int tries;

    *fd = -1;
    (void)snprintf(path, sizeof(path), "%.4000s/" SIM_LOCK_NAME, dir);
    for (tries = 0; tries < 100; tries++) {
        int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

        if (f < 0) {
            return -errno;
        }
        memset(&fl, 0, sizeof(fl));
        fl.l_type = F_WRLCK;
        fl.l_whence = SEEK_SET;
        if (fcntl(f, F_SETLK, &fl) != 0) {
            int e = errno;

            (void)close(f);
            if (e == ENOLCK) {
                return 0;
            }
            return e == EACCES || e == EAGAIN ? -EAGAIN : -e;
        }
        if (fstat(f, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino &&
            a.st_dev == b.st_dev) {
            *fd = f;
            return 0;
        }
        (void)close(f); /* unlinked meanwhile: take the new one */
    }
    return -EAGAIN;
}

/* Remove what is in dir but its lock file (a killed run's leftovers). */
static void
clear_but_lock(const char *dir)
{
    char path[4400];
    struct dirent *de;
    DIR *d = opendir(dir);

    if (d == NULL) {
        return;
    }
    for (;;) {
        /* Only this thread uses the DIR, so readdir is safe. */
        de = readdir(d); // NOLINT(concurrency-mt-unsafe)
        if (de == NULL) {
            break;
        }
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
            strcmp(de->d_name, SIM_LOCK_NAME) == 0) {
            continue;
        }
        (void)snprintf(path, sizeof(path), "%.4000s/%s", dir, de->d_name);
        base_remove_tree(path);
    }
    (void)closedir(d);
}

int
sim_cell_running(const char *out)
{
    char dir[4200];

    (void)snprintf(dir, sizeof(dir), "%.4000s" PART_SUFFIX, out);
    return lock_held(dir);
}

int
sim_cell_check(const struct sim_report_summary *sum,
               const struct sim_sweep_cell *c, char *why, size_t len)
{
    const struct sim_trace_summary *r = sum->n == 1 ? &sum->runs[0] : NULL;
    /* threads is the place of these models on the axes (the convoy's pool
     * is --cpu-threads); processes is the process pool's; the loop's
     * concurrency is compared when the summary has it (since it has the
     * key: -1 in an older one). */
    int by_threads =
        (c->model == SIM_MODEL_THREADS || c->model == SIM_MODEL_EXECUTOR ||
         c->model == SIM_MODEL_NOGIL || c->model == SIM_MODEL_LOOP) &&
        r != NULL && strcmp(r->workload, "convoy") != 0;

    if (r == NULL || strcmp(r->model, sim_model_name(c->model)) != 0 ||
        r->switch_interval_ns != c->switch_interval_ns ||
        (c->model == SIM_MODEL_PROCESSES && r->processes != c->processes) ||
        (by_threads && r->threads != c->threads) ||
        (c->model == SIM_MODEL_LOOP && r->concurrency >= 0 &&
         r->concurrency != c->concurrency)) {
        char conc[40] = "";

        if (c->model == SIM_MODEL_LOOP) {
            (void)snprintf(conc, sizeof(conc), ", concurrency %d",
                           c->concurrency);
        }
        (void)snprintf(
            why, len,
            "its summary.json is not this cell's (expected one "
            "run of %s at switch interval %lld ns, %s %d%s)",
            sim_model_name(c->model), (long long)c->switch_interval_ns,
            c->model == SIM_MODEL_PROCESSES ? "processes" : "threads",
            c->model == SIM_MODEL_PROCESSES ? c->processes : c->threads, conc);
        return -1;
    }
    if (sum->version == NULL || strcmp(sum->version, SIM_VERSION) != 0) {
        (void)snprintf(why, len,
                       "run by gilsim %.40s; this is gilsim %s (expected the "
                       "same version in every cell)",
                       sum->version != NULL ? sum->version : "(unknown)",
                       SIM_VERSION);
        return -1;
    }
    return 0;
}

/* The cell `o` runs: its one model and its place on the axes. */
static void
cell_of(const struct sim_options *o, struct sim_sweep_cell *c)
{
    int m;

    memset(c, 0, sizeof(*c));
    for (m = 0; m < SIM_MODEL_COUNT; m++) {
        if (o->models & (1u << m)) {
            c->model = (enum sim_model)m;
            break;
        }
    }
    c->threads = o->threads;
    c->processes = o->processes;
    c->concurrency = o->concurrency;
    c->switch_interval_ns = o->switch_interval_ns;
}

/* 1 if folder out holds cell c's finished run, 0 if it holds no
 * summary.json, -1 (with why) if it holds another's. */
static int
finished(const char *out, const struct sim_sweep_cell *c, char *why, size_t len)
{
    struct sim_report_summary sum;
    char path[4200];
    struct stat st;
    int ok;

    (void)snprintf(path, sizeof(path), "%.4000s/summary.json", out);
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
        return 0;
    }
    memset(&sum, 0, sizeof(sum));
    ok = sim_report_read_summary(path, &sum, why, len) == 0 &&
         sim_cell_check(&sum, c, why, len) == 0;
    sim_report_summary_clear(&sum);
    return ok ? 1 : -1;
}

int
sim_cell_finished(const char *out, const struct sim_sweep_cell *c)
{
    char why[SIM_ERR_LEN];

    return finished(out, c, why, sizeof(why)) == 1;
}

int
sim_cell_begin(const struct sim_options *o, char *dir, size_t dirlen, int *done,
               int *lock_fd, FILE *err)
{
    const char *out = o->out_dir;
    struct sim_sweep_cell c;
    char etext[128];
    char why[SIM_ERR_LEN * 2];
    struct stat st;
    int rc, made = 1;

    *done = 0;
    *lock_fd = -1;
    cell_of(o, &c);
    rc = finished(out, &c, why, sizeof(why));
    if (rc == 1) {
        *done = 1;
        return SIM_EXIT_OK;
    }
    if (rc < 0) {
        fprintf(err,
                "gilsim: --cell --out=%s: the folder holds a finished run "
                "that is not this cell's: %s (expected this cell's or none: "
                "remove %s and run the job again)\n",
                out, why, out);
        return SIM_EXIT_USAGE;
    }
    if ((size_t)snprintf(dir, dirlen, "%s" PART_SUFFIX, out) >= dirlen) {
        fprintf(err, "gilsim: --out=%s: the path is too long\n", out);
        return SIM_EXIT_USAGE;
    }
    if (mkdir(dir, 0777) != 0) {
        int e = errno;

        if (e != EEXIST || lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
            base_errtext(e, etext, sizeof(etext));
            fprintf(err, "gilsim: --cell --out=%s: cannot create %s: %s\n", out,
                    dir, e == EEXIST ? "not a folder" : etext);
            return e == ENOENT || e == EEXIST ? SIM_EXIT_USAGE : SIM_EXIT_ERROR;
        }
        made = 0; /* a killed run's, or one under way: the lock says */
    }
    rc = lock_take(dir, lock_fd);
    if (rc == -EAGAIN) {
        fprintf(err,
                "gilsim: --cell --out=%s: another gilsim is running this "
                "cell in %s (expected one run a cell)\n",
                out, dir);
        return SIM_EXIT_USAGE;
    }
    if (rc != 0) {
        base_errtext(-rc, etext, sizeof(etext));
        fprintf(err, "gilsim: --cell --out=%s: cannot lock %s: %s\n", out, dir,
                etext);
        if (made) {
            (void)rmdir(dir);
        }
        return SIM_EXIT_ERROR;
    }
    if (!made) {
        /* What a killed or failed run of this cell left. */
        clear_but_lock(dir);
    }
    return SIM_EXIT_OK;
}

static int
write_failed_fn(const void *ctx, FILE *f)
{
    fprintf(f, "exit status %d\n", *(const int *)ctx);
    return ferror(f) ? -EIO : 0;
}

int
sim_cell_end(const char *out, const char *dir, int status, int measured,
             int lock_fd, FILE *err)
{
    char msg[SIM_ERR_LEN * 2];
    char etext[128];

    if (measured && (status == SIM_EXIT_OK || status == SIM_EXIT_FAILURES)) {
        base_sync_dir(dir);
        /* Renamed under the lock: no other run of the cell is in it. */
        if (rename(dir, out) == 0) {
            char lock[4200];

            /* The lock file came along: it goes, held or not (a file
             * system without record locks gave no fd). */
            (void)snprintf(lock, sizeof(lock), "%.4000s/" SIM_LOCK_NAME, out);
            (void)unlink(lock);
            if (lock_fd >= 0) {
                (void)close(lock_fd);
            }
            return status;
        }
        base_errtext(errno, etext, sizeof(etext));
        fprintf(err,
                "gilsim: --cell: cannot rename %s to %s: %s (expected "
                "--out to be absent or an empty folder)\n",
                dir, out, etext);
        status = SIM_EXIT_ERROR;
    }
    /* Left for collect to call failed, and for the next run to clear. */
    (void)mkdir(dir, 0777);
    if (base_write_atomic(dir, "failed.txt", write_failed_fn, &status, msg,
                          sizeof(msg)) != 0) {
        fprintf(err, "gilsim: %s\n", msg);
    }
    sim_run_unlock_dir(dir, lock_fd);
    return status;
}
