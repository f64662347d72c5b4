/* file.c - files written so that a reader never sees half of one, and
 * files read back whole.
 *
 * base_write_atomic writes NAME.tmp.PID beside the target, fsyncs it and
 * renames it into place (removing the temporary file on any failure);
 * base_sync_dir makes the renames of a folder durable. A failed write is
 * reported with its own errno ("No space left on device"), not a bare
 * I/O error. base_read_file reads a regular file whole, up to a size
 * its caller sets for its purpose. base_exe_dir finds the running
 * program's folder. */
/* nftw (base_remove_tree) is XSI. */
#define _XOPEN_SOURCE 700

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base.h"

int
base_write_atomic(const char *dir, const char *name,
                  int (*fn)(const void *ctx, FILE *f), const void *ctx,
                  char *err, size_t errlen)
{
    char path[4200];
    char tmp[4300];
    FILE *f;
    int rc;

    (void)snprintf(path, sizeof(path), "%s/%s", dir, name);
    (void)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
    f = fopen(tmp, "w");
    if (f == NULL) {
        rc = -errno;
        goto fail;
    }
    errno = 0;
    rc = fn(ctx, f);
    if (rc == -EIO && errno != 0 && errno != EIO) {
        /* The writers only see ferror(); errno still says why the last
         * write failed (ENOSPC, EFBIG, EDQUOT), so report that. */
        rc = -errno;
    }
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
    base_errf(err, errlen, rc < 0 ? rc : EIO, "cannot write %.800s", path);
    return rc < 0 ? rc : -EIO;
}

/* Make the renames durable. */
void
base_sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY);

    if (fd >= 0) {
        (void)fsync(fd);
        (void)close(fd);
    }
}

/* The whole of a file, NUL-terminated, malloc'd. */
int
base_read_file(const char *path, size_t max, char **out, size_t *len)
{
    struct stat st;
    char *buf;
    size_t n = 0;
    int fd, rc = 0;

    *out = NULL;
    *len = 0;
    /* O_NONBLOCK: a FIFO with no writer must not block the open; it is
     * refused below as not a regular file. */
    do {
        fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        return errno != 0 ? -errno : -EIO;
    }
    if (fstat(fd, &st) != 0) {
        rc = -errno;
    } else if (!S_ISREG(st.st_mode)) {
        rc = -BASE_ENOTREG; /* /dev/zero, a FIFO, a folder */
    } else if ((uint64_t)st.st_size > max) {
        rc = -BASE_ETOOBIG;
    }
    if (rc != 0) {
        (void)close(fd);
        return rc;
    }
    /* One allocation of the size fstat gave, and one byte more to see a
     * file that grew meanwhile. */
    buf = malloc((size_t)st.st_size + 2);
    if (buf == NULL) {
        (void)close(fd);
        return -ENOMEM;
    }
    while (n < (size_t)st.st_size + 1) {
        ssize_t got = read(fd, buf + n, (size_t)st.st_size + 1 - n);

        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got < 0) {
            rc = -errno;
            break;
        }
        if (got == 0) {
            break;
        }
        n += (size_t)got;
    }
    (void)close(fd);
    if (rc == 0 && n > max) {
        rc = -BASE_ETOOBIG;
    }
    if (rc != 0) {
        free(buf);
        return rc;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

void
base_exe_dir(char *buf, size_t len)
{
    ssize_t n;
    char *slash;

    if (len == 0) {
        return;
    }
    buf[0] = '\0';
    n = readlink("/proc/self/exe", buf, len - 1);
    if (n <= 0) {
        buf[0] = '\0';
        return;
    }
    buf[n] = '\0';
    slash = strrchr(buf, '/');
    if (slash == NULL) {
        buf[0] = '\0';
        return;
    }
    *slash = '\0';
}

FILE *
base_fopen_regular(const char *path)
{
    struct stat st;
    FILE *f;
    int fd, flags;

    do {
        fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        return NULL;
    }
    if (fstat(fd, &st) != 0) {
        int e = errno;

        (void)close(fd);
        errno = e;
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        (void)close(fd);
        errno = BASE_ENOTREG;
        return NULL;
    }
    /* Blocking reads from here on, as fopen's. */
    flags = fcntl(fd, F_GETFL);
    if (flags >= 0) {
        (void)fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    }
    f = fdopen(fd, "r");
    if (f == NULL) {
        int e = errno;

        (void)close(fd);
        errno = e;
    }
    return f;
}

/* nftw's callback: remove what it is given (children come first). */
static int
remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (type == FTW_DP) {
        (void)rmdir(path);
    } else {
        (void)unlink(path);
    }
    return 0;
}

void
base_remove_tree(const char *path)
{
    /* FTW_PHYS: a symbolic link is removed, never followed. */
    (void)nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}
