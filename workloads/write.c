/*
 * write.c - the write step: save the thread's last fetched body as
 * OUT/top250-{page}.html, the way the seed script's
 * `open(name, "w").write(r.text)` does, but atomically.
 *
 * Under the GIL the step first runs `write_instr_per_byte` instructions
 * per byte (encoding str to bytes), with checks, through cpu.c. Then it
 * releases the GIL (env->release) for the system calls, as CPython does
 * around each of them, and writes a temporary file in the same folder:
 *
 *   OUT/top250-{page}.html.tmp.<pid>.<n>
 *
 * (pid and a process-wide counter, so threads and forked processes never
 * share one), with an open/write/close loop that resumes after EINTR and
 * short writes, and renames it over OUT/top250-{page}.html. A reader sees
 * the old file or the whole new one, never half of it. There is no fsync:
 * Python's f.write() and close() do not fsync either, and syncing every
 * page would measure the disk rather than the GIL. On any error the
 * temporary file is removed and the step ends with WL_IO_ERROR. Then it
 * takes the GIL back (env->acquire).
 *
 * The step needs env->io with an out_dir and a body: without them (no
 * I/O configured, or the fetch before it failed) it fails with WL_FAILED
 * and touches no file. A step with io_bytes (a workload file's write of
 * a size) writes that many bytes of text instead, as bytes (no encode),
 * to OUT/file-{page}.bin, the same way.
 *
 * wl_write_body() is the step with the body given by the caller instead
 * of env->io's last fetch: the loop model's offload threads write the
 * pages that the event loop fetched (see multi.c).
 */
#include "wl.h"
#include "wl_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Names the temporary files of this process. */
static atomic_uint_fast64_t tmp_counter;

static char write_pattern[64 * 1024];

static void
make_pattern(void)
{
    wl_server_page_body(0, 1, sizeof(write_pattern), write_pattern);
}

/* Write all of buf to fd. 0 or -errno. */
static int
write_all(int fd, const char *buf, size_t len)
{
    ssize_t n;

    while (len > 0) {
        n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -errno;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Write `total` bytes of buf (len of them, again and again) to a new file
 * at tmp, then rename it to path. 0 or -errno; on error nothing is left
 * at tmp. Makes system calls only: the caller has released the GIL. */
static int
write_file(const char *tmp, const char *path, const char *buf, size_t len,
           uint64_t total)
{
    int fd;
    int rc = 0;

    do {
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC, 0666);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        return -errno;
    }
    while (rc == 0 && total > 0 && len > 0) {
        size_t n = total < len ? (size_t)total : len;

        rc = write_all(fd, buf, n);
        total -= n;
    }
    /* close() is not retried after EINTR: on Linux the descriptor is
     * already gone, and a second close could hit another thread's. */
    if (close(fd) != 0 && rc == 0 && errno != EINTR) {
        rc = -errno;
    }
    if (rc == 0 && rename(tmp, path) != 0) {
        rc = -errno;
    }
    if (rc != 0) {
        unlink(tmp);
    }
    return rc;
}

enum wl_outcome
wl_write_body(const struct wl_step *s, const struct wl_env *env,
              const char *body, size_t len, int64_t *arg_out)
{
    struct wl_io *io = env->io;
    char path[sizeof(io->cfg.out_dir) + 64];
    char tmp[sizeof(path) + 64];
    uint64_t total = len;
    double encode;
    enum wl_outcome o;
    int n;
    int rc;

    if (arg_out != NULL) {
        *arg_out = 0;
    }
    if (io == NULL || io->cfg.out_dir[0] == '\0') {
        return WL_FAILED;
    }
    if (s->io_bytes > 0) {
        /* A write of its own size, of bytes (open(name, "wb")): nothing
         * to encode. The pattern is the same text in every thread. */
        static pthread_once_t once = PTHREAD_ONCE_INIT;

        (void)pthread_once(&once, make_pattern);
        body = write_pattern;
        len = sizeof(write_pattern);
        total = s->io_bytes;
    } else if (body == NULL) {
        return WL_FAILED; /* the fetch before failed: nothing to write */
    }
    encode = s->io_bytes > 0 ? 0.5
                             : io->cfg.write_instr_per_byte * (double)len + 0.5;
    if (!(encode >= 0.0 && encode < 9.2e18)) {
        return WL_FAILED;
    }
    o = wl__cpu_instructions(env, (int64_t)encode, NULL);
    if (o != WL_OK) {
        return o;
    }
    n = snprintf(path, sizeof(path),
                 s->io_bytes > 0 ? "%s/file-%" PRId64 ".bin"
                                 : "%s/top250-%" PRId64 ".html",
                 io->cfg.out_dir, s->page);
    if (n < 0 || (size_t)n >= sizeof(path)) {
        return WL_IO_ERROR;
    }
    n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld.%" PRIuFAST64, path,
                 (long)getpid(), atomic_fetch_add(&tmp_counter, 1));
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        return WL_IO_ERROR;
    }
    if (env->release != NULL) {
        env->release(env->ctx);
    }
    rc = write_file(tmp, path, body, len, total);
    if (env->acquire != NULL) {
        env->acquire(env->ctx);
    }
    if (rc != 0) {
        if (arg_out != NULL && rc < 0) {
            *arg_out = -(int64_t)rc; /* errno: why it failed */
        }
        return WL_IO_ERROR;
    }
    if (arg_out != NULL) {
        *arg_out = (int64_t)total;
    }
    return WL_OK;
}

enum wl_outcome
wl__write_step_run(const struct wl_step *s, const struct wl_env *env,
                   int64_t *arg_out)
{
    const char *body;
    size_t len;

    body = wl_io_body(env->io, &len); /* NULL when the fetch failed */
    return wl_write_body(s, env, body, len, arg_out);
}
