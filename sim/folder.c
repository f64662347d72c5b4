/*
 * folder.c - the run folder on disk: choosing and creating it, and
 * writing files into it so that a reader never sees half a file.
 *
 * --out must not exist or be empty; the default gilsim-out/YYYYmmdd-HHMMSS
 * gets a -2, -3... suffix if taken, so a bad folder fails before anything
 * runs. The default folder is made with mkdir, which fails if it exists,
 * so two runs started in the same second take different folders. A run
 * or sweep holds a lock file in its folder (sim_run_lock_dir, a POSIX
 * record lock) for its life, so a second process given the same --out at
 * the same moment refuses instead of writing into it; the lock file is
 * removed at the end. Files go into the folder through base_write_atomic
 * (base/file.c).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "run.h"

/* ---- the run folder ----------------------------------------------------- */

/* mkdir -p; 0 or -errno. */
static int
mkdir_p(const char *path)
{
    char buf[4096];
    size_t len = strlen(path);
    size_t i;
    struct stat st;

    if (len == 0 || len >= sizeof(buf)) {
        return -ENAMETOOLONG;
    }
    memcpy(buf, path, len + 1);
    for (i = 1; i <= len; i++) {
        if (buf[i] != '/' && buf[i] != '\0') {
            continue;
        }
        if (buf[i - 1] == '/') {
            continue;
        }
        buf[i] = '\0';
        if (mkdir(buf, 0777) != 0) {
            int e = errno;

            if (e != EEXIST) {
                return -e;
            }
            if (stat(buf, &st) != 0) {
                return -errno;
            }
            if (!S_ISDIR(st.st_mode)) {
                return -ENOTDIR;
            }
        }
        if (i < len) {
            buf[i] = '/';
        }
    }
    return 0;
}

int
sim_run_dir_state(const char *path)
{
    struct stat st;
    struct dirent *de;
    DIR *d;
    int rc = 0;

    if (stat(path, &st) != 0) {
        return errno == ENOENT ? 1 : -errno;
    }
    if (!S_ISDIR(st.st_mode)) {
        return -ENOTDIR;
    }
    d = opendir(path);
    if (d == NULL) {
        return -errno;
    }
    for (;;) {
        /* Only this thread uses the DIR, so readdir is safe. */
        de = readdir(d); // NOLINT(concurrency-mt-unsafe)
        if (de == NULL) {
            break;
        }
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
            rc = -ENOTEMPTY;
            break;
        }
    }
    (void)closedir(d);
    return rc;
}

int
sim_run_make_fresh_dir(const char *stem, char *dir, size_t dirlen, FILE *err)
{
    char etext[128];
    char base[4096];
    size_t len;
    int k;

    /* OUT/ names OUT: its -2 goes beside it, not into it. */
    (void)snprintf(base, sizeof(base), "%s", stem);
    len = strlen(base);
    while (len > 1 && base[len - 1] == '/') {
        base[--len] = '\0';
    }
    /* mkdir fails if the folder exists, so two runs started in the same
     * second never share one: the second takes the next suffix. */
    for (k = 1; k <= 1000; k++) {
        if (k == 1) {
            (void)snprintf(dir, dirlen, "%s", base);
        } else {
            (void)snprintf(dir, dirlen, "%s-%d", base, k);
        }
        if (mkdir(dir, 0777) == 0) {
            return SIM_EXIT_OK;
        }
        if (errno != EEXIST) {
            base_errtext(errno, etext, sizeof(etext));
            fprintf(err, "gilsim: cannot create %s: %s (use --out=DIR)\n", dir,
                    etext);
            return SIM_EXIT_ERROR;
        }
    }
    fprintf(err,
            "gilsim: cannot find a free folder named %s-N (use --out=DIR)\n",
            base);
    return SIM_EXIT_ERROR;
}

/* Pick and create the run folder; SIM_EXIT_* with one line on `err`. */
int
sim_run_make_dir(const struct sim_options *o, char *dir, size_t dirlen,
                 int *created, FILE *err)
{
    char etext[128];
    int state;
    int rc;

    *created = 0;
    if (o->out_dir[0] != '\0') {
        (void)snprintf(dir, dirlen, "%s", o->out_dir);
        state = sim_run_dir_state(dir);
        if (state == -ENOTEMPTY) {
            fprintf(err,
                    "gilsim: --out=%s: the directory exists and is not "
                    "empty (expected a new or empty directory)\n",
                    dir);
            return SIM_EXIT_USAGE;
        }
        if (state < 0) {
            base_errtext(-state, etext, sizeof(etext));
            fprintf(err,
                    "gilsim: --out=%s: %s (expected a new or empty "
                    "directory)\n",
                    dir, etext);
            return SIM_EXIT_USAGE;
        }
    } else {
        char stamp[32], stem[64];
        struct tm tm;
        time_t now = time(NULL);

        if (localtime_r(&now, &tm) == NULL ||
            strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm) == 0) {
            (void)snprintf(stamp, sizeof(stamp), "%lld", (long long)now);
        }
        rc = mkdir_p("gilsim-out");
        if (rc != 0) {
            base_errtext(-rc, etext, sizeof(etext));
            fprintf(err,
                    "gilsim: cannot create gilsim-out/: %s (use "
                    "--out=DIR)\n",
                    etext);
            return SIM_EXIT_ERROR;
        }
        (void)snprintf(stem, sizeof(stem), "gilsim-out/%s", stamp);
        rc = sim_run_make_fresh_dir(stem, dir, dirlen, err);
        *created = rc == SIM_EXIT_OK;
        return rc;
    }
    rc = mkdir_p(dir);
    if (rc != 0) {
        base_errtext(-rc, etext, sizeof(etext));
        fprintf(err, "gilsim: --out=%s: cannot create the directory: %s\n", dir,
                etext);
        return SIM_EXIT_USAGE;
    }
    *created = state == 1;
    return SIM_EXIT_OK;
}

/* ---- the folder's lock ------------------------------------------------ */

int
sim_run_lock_dir(const char *dir, int *fd_out, FILE *err)
{
    char path[4200];
    char etext[128];
    struct flock fl;
    int fd;

    *fd_out = -1;
    (void)snprintf(path, sizeof(path), "%s/%s", dir, SIM_LOCK_NAME);
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        /* The first file the run writes there: a folder it cannot write
         * in is refused here, before any model runs. */
        base_errtext(errno, etext, sizeof(etext));
        fprintf(err,
                "gilsim: --out=%s: cannot write in the directory: %s "
                "(expected a folder gilsim may write in)\n",
                dir, etext);
        return SIM_EXIT_USAGE;
    }
    memset(&fl, 0, sizeof(fl));
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    /* Only "held by another process" refuses; a file system without
     * record locks (ENOLCK) leaves the run unlocked, as before locks. */
    if (fcntl(fd, F_SETLK, &fl) != 0 && (errno == EACCES || errno == EAGAIN)) {
        (void)close(fd);
        fprintf(err,
                "gilsim: --out=%s: another gilsim run or sweep is writing "
                "there (expected a folder no other run uses)\n",
                dir);
        return SIM_EXIT_USAGE;
    }
    *fd_out = fd;
    return SIM_EXIT_OK;
}

void
sim_run_unlock_dir(const char *dir, int fd)
{
    char path[4200];

    if (fd < 0) {
        return;
    }
    (void)snprintf(path, sizeof(path), "%s/%s", dir, SIM_LOCK_NAME);
    (void)unlink(path);
    (void)close(fd);
}
