/*
 * folder.c - the run folder on disk: choosing and creating it, and
 * writing files into it so that a reader never sees half a file.
 *
 * --out must not exist or be empty; the default gilsim-out/YYYYmmdd-HHMMSS
 * gets a -2, -3... suffix if taken, so a bad folder fails before anything
 * runs. Every file is written as NAME.tmp.PID, fsync'd and renamed, and
 * sim_run_sync_dir makes the renames durable; sim_read_file reads one back
 * whole. The run driver, sweeps and the report use these.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sim_internal.h"

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

/* 1 if `path` does not exist, 0 if it is an empty directory, else -errno
 * (-ENOTEMPTY, -ENOTDIR, ...). */
static int
dir_state(const char *path)
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
        state = dir_state(dir);
        if (state == -ENOTEMPTY) {
            fprintf(err,
                    "gilsim: --out=%s: the directory exists and is not "
                    "empty (expected a new or empty directory)\n",
                    dir);
            return SIM_EXIT_USAGE;
        }
        if (state < 0) {
            sim_errtext(-state, etext, sizeof(etext));
            fprintf(err,
                    "gilsim: --out=%s: %s (expected a new or empty "
                    "directory)\n",
                    dir, etext);
            return SIM_EXIT_USAGE;
        }
    } else {
        char stamp[32];
        struct tm tm;
        time_t now = time(NULL);
        int k;

        if (localtime_r(&now, &tm) == NULL ||
            strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm) == 0) {
            (void)snprintf(stamp, sizeof(stamp), "%lld", (long long)now);
        }
        state = 0;
        for (k = 1; k <= 100; k++) {
            if (k == 1) {
                (void)snprintf(dir, dirlen, "gilsim-out/%s", stamp);
            } else {
                (void)snprintf(dir, dirlen, "gilsim-out/%s-%d", stamp, k);
            }
            state = dir_state(dir);
            if (state >= 0) {
                break;
            }
        }
        if (state < 0) {
            fprintf(err, "gilsim: cannot find a free run folder under "
                         "gilsim-out/ (use --out=DIR)\n");
            return SIM_EXIT_ERROR;
        }
    }
    rc = mkdir_p(dir);
    if (rc != 0) {
        sim_errtext(-rc, etext, sizeof(etext));
        fprintf(err, "gilsim: --out=%s: cannot create the directory: %s\n", dir,
                etext);
        return o->out_dir[0] != '\0' ? SIM_EXIT_USAGE : SIM_EXIT_ERROR;
    }
    *created = state == 1;
    return SIM_EXIT_OK;
}

/* Write dir/name through name.tmp.PID, fsync and rename. */
int
sim_run_write_atomic(const char *dir, const char *name,
                     int (*fn)(const void *ctx, FILE *f), const void *ctx,
                     char *err, size_t errlen)
{
    char path[4200];
    char tmp[4300];
    char etext[128];
    FILE *f;
    int rc;

    (void)snprintf(path, sizeof(path), "%s/%s", dir, name);
    (void)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
    f = fopen(tmp, "w");
    if (f == NULL) {
        rc = -errno;
        goto fail;
    }
    rc = fn(ctx, f);
    if (rc == 0 && fflush(f) != 0) {
        rc = -errno;
    }
    if (rc == 0 && fsync(fileno(f)) != 0) {
        rc = -errno;
    }
    if (fclose(f) != 0 && rc == 0) {
        rc = -errno;
    }
    if (rc == 0 && rename(tmp, path) != 0) {
        rc = -errno;
    }
    if (rc == 0) {
        return 0;
    }
    (void)unlink(tmp);
fail:
    sim_errtext(rc < 0 ? -rc : EIO, etext, sizeof(etext));
    (void)snprintf(err, errlen, "cannot write %.800s: %s", path, etext);
    return rc < 0 ? rc : -EIO;
}

/* Make the renames durable. */
void
sim_run_sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY);

    if (fd >= 0) {
        (void)fsync(fd);
        (void)close(fd);
    }
}

/* The whole of a file, NUL-terminated, malloc'd. */
int
sim_read_file(const char *path, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0;
    size_t cap = 0;
    int rc = 0;

    *out = NULL;
    *len = 0;
    if (f == NULL) {
        return errno != 0 ? -errno : -EIO;
    }
    for (;;) {
        size_t got;

        if (cap - n < 65536) {
            char *b = realloc(buf, cap + 65536 + 1);

            if (b == NULL) {
                rc = -ENOMEM;
                break;
            }
            buf = b;
            cap += 65536;
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) {
                rc = -EIO;
            }
            break;
        }
    }
    (void)fclose(f);
    if (rc != 0) {
        free(buf);
        return rc;
    }
    if (buf == NULL) {
        buf = malloc(1);
        if (buf == NULL) {
            return -ENOMEM;
        }
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}
