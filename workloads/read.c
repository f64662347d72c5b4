/*
 * read.c - the read step: `open(name, "rb").read()` of a file of
 * s->io_bytes bytes, with the GIL released around the system calls, as
 * CPython releases it around each open(), read() and close().
 *
 * Every read step reads the start of one file, OUT/WL_READ_FILE, which
 * the run writes before its model starts (wl_read_file_prepare, of the
 * workload's largest read), so that what is timed is the reads, not the
 * file's making. The bytes go through a 64 KiB buffer: the system calls
 * and the copies are made, as Python's read() makes them into the bytes
 * object it returns, without holding a buffer of the whole size. A file
 * shorter than the read, or any error, ends the step with WL_IO_ERROR
 * and the errno as its argument.
 */
#include "wl.h"
#include "wl_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define READ_CHUNK (64 * 1024)

/* Read `bytes` of path. 0 or -errno (-ENODATA: the file ended first).
 * System calls only: the caller has released the GIL. */
static int
read_file(const char *path, uint64_t bytes)
{
    static _Thread_local char buf[READ_CHUNK];
    int fd, rc = 0;

    do {
        fd = open(path, O_RDONLY | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        return -errno;
    }
    while (bytes > 0) {
        size_t want = bytes < READ_CHUNK ? (size_t)bytes : READ_CHUNK;
        ssize_t n = read(fd, buf, want);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            rc = n < 0 ? -errno : -ENODATA;
            break;
        }
        bytes -= (uint64_t)n;
    }
    (void)close(fd);
    return rc;
}

enum wl_outcome
wl__read_step_run(const struct wl_step *s, const struct wl_env *env,
                  int64_t *arg_out)
{
    struct wl_io *io = env->io;
    char path[sizeof(io->cfg.out_dir) + 32];
    int n, rc;

    if (arg_out != NULL) {
        *arg_out = 0;
    }
    if (io == NULL || io->cfg.out_dir[0] == '\0') {
        return WL_FAILED;
    }
    n = snprintf(path, sizeof(path), "%s/%s", io->cfg.out_dir, WL_READ_FILE);
    if (n < 0 || (size_t)n >= sizeof(path)) {
        return WL_IO_ERROR;
    }
    if (env->release != NULL) {
        env->release(env->ctx);
    }
    rc = read_file(path, s->io_bytes);
    if (env->acquire != NULL) {
        env->acquire(env->ctx);
    }
    if (rc != 0) {
        if (arg_out != NULL) {
            *arg_out = -(int64_t)rc;
        }
        return WL_IO_ERROR;
    }
    if (arg_out != NULL) {
        *arg_out = (int64_t)s->io_bytes;
    }
    return WL_OK;
}

int
wl_read_file_prepare(const char *out_dir, uint64_t bytes)
{
    char path[4096 + 32], tmp[sizeof(path) + 32];
    char *chunk;
    struct stat st;
    uint64_t left = bytes;
    int fd, rc;

    rc = wl__make_dirs(out_dir);
    if (rc != 0) {
        return rc;
    }
    if (snprintf(path, sizeof(path), "%s/%s", out_dir, WL_READ_FILE) >=
            (int)sizeof(path) ||
        snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >=
            (int)sizeof(tmp)) {
        return -ENAMETOOLONG;
    }
    if (stat(path, &st) == 0 && (uint64_t)st.st_size >= bytes) {
        return 0;
    }
    chunk = malloc(READ_CHUNK);
    if (chunk == NULL) {
        return -ENOMEM;
    }
    /* Text of the server's bodies, so it reads like a file of pages. */
    wl_server_page_body(0, 0, READ_CHUNK, chunk);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    rc = fd < 0 ? -errno : 0;
    while (rc == 0 && left > 0) {
        size_t n = left < READ_CHUNK ? (size_t)left : READ_CHUNK;
        ssize_t w = write(fd, chunk, n);

        if (w < 0 && errno == EINTR) {
            continue;
        }
        rc = w < 0 ? -errno : 0;
        left -= w > 0 ? (uint64_t)w : 0;
    }
    if (fd >= 0 && close(fd) != 0 && rc == 0 && errno != EINTR) {
        rc = -errno;
    }
    if (rc == 0 && rename(tmp, path) != 0) {
        rc = -errno;
    }
    if (rc != 0 && fd >= 0) {
        (void)unlink(tmp);
    }
    free(chunk);
    return rc;
}
