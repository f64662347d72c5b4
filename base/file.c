/* file.c - files written so that a reader never sees half of one, and
 * files read back whole.
 *
 * base_write_atomic writes NAME.tmp.PID beside the target, fsyncs it and
 * renames it into place (removing the temporary file on any failure);
 * base_sync_dir makes the renames of a folder durable. A failed write is
 * reported with its own errno ("No space left on device"), not a bare
 * I/O error. base_exe_dir finds the running program's folder. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
base_read_file(const char *path, char **out, size_t *len)
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
