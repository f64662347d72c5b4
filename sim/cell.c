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
 * failed. Run again (GNU parallel's --resume-failed, a Slurm requeue, a
 * Kubernetes pod retried), a cell whose OUT holds a summary.json is
 * finished and runs nothing (exit 0); a stale OUT.part whose lock no
 * process holds is removed and the cell runs afresh; one whose lock is
 * held belongs to a run under way, and the second is refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run.h"

#define PART_SUFFIX ".part"

/* 1 if a process holds the lock file of folder dir (folder.c's). */
static int
lock_held(const char *dir)
{
    char path[4200];
    struct flock fl;
    int fd, held = 0;

    (void)snprintf(path, sizeof(path), "%.4000s/.gilsim.lock", dir);
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

int
sim_cell_running(const char *out)
{
    char dir[4200];

    (void)snprintf(dir, sizeof(dir), "%.4000s" PART_SUFFIX, out);
    return lock_held(dir);
}

int
sim_cell_begin(const char *out, char *dir, size_t dirlen, int *done, FILE *err)
{
    char path[4200];
    char etext[128];
    struct stat st;

    *done = 0;
    (void)snprintf(path, sizeof(path), "%.4000s/summary.json", out);
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
        *done = 1;
        return SIM_EXIT_OK;
    }
    if ((size_t)snprintf(dir, dirlen, "%s" PART_SUFFIX, out) >= dirlen) {
        fprintf(err, "gilsim: --out=%s: the path is too long\n", out);
        return SIM_EXIT_USAGE;
    }
    if (lstat(dir, &st) == 0) {
        if (S_ISDIR(st.st_mode) && lock_held(dir)) {
            fprintf(err,
                    "gilsim: --cell --out=%s: another gilsim is running "
                    "this cell in %s (expected one run a cell)\n",
                    out, dir);
            return SIM_EXIT_USAGE;
        }
        /* What a killed or failed run of this cell left. */
        base_remove_tree(dir);
    }
    if (mkdir(dir, 0777) != 0) {
        int e = errno;

        base_errtext(e, etext, sizeof(etext));
        fprintf(err, "gilsim: --cell --out=%s: cannot create %s: %s%s\n", out,
                dir, etext,
                e == EEXIST ? " (another run of this cell began at once)" : "");
        return e == ENOENT ? SIM_EXIT_USAGE : SIM_EXIT_ERROR;
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
             FILE *err)
{
    char msg[SIM_ERR_LEN * 2];
    char etext[128];

    if (measured && (status == SIM_EXIT_OK || status == SIM_EXIT_FAILURES)) {
        base_sync_dir(dir);
        if (rename(dir, out) == 0) {
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
    return status;
}
