/*
 * gzip_out.c - gzip through a FILE *, for trace.json.gz (--compress).
 *
 * The JSON writers write to a FILE * as ever; sim_gzip_through() hands
 * them a stream made with fopencookie() whose writes go through zlib's
 * gzwrite() into the descriptor of the file it was given (a dup of it,
 * which gzclose() closes). That file is base_write_atomic's temporary
 * file, so a failed write still leaves no half-written .gz behind and the
 * finished one appears by rename. A write error keeps its errno (ENOSPC
 * says "No space left on device"), not a bare -EIO. Perfetto and
 * chrome://tracing open a gzipped trace as they open the JSON.
 */
#define _GNU_SOURCE /* fopencookie */ /* NOLINT(bugprone-reserved-identifier)  \
                                       */

#include <errno.h>
#include <stdio.h>
#include <sys/types.h>
#include <unistd.h>
#include <zlib.h>

#include "run.h"

struct gz_cookie {
    gzFile gz;
    int err; /* the first error, as an errno */
};

/* The errno of a failed gz call: the system's for Z_ERRNO, else EIO. */
static int
gz_errno(gzFile gz)
{
    int zerr = Z_OK;

    (void)gzerror(gz, &zerr);
    return zerr == Z_ERRNO && errno != 0 ? errno : EIO;
}

static ssize_t
gz_write_fn(void *ctx, const char *buf, size_t len)
{
    struct gz_cookie *c = ctx;
    size_t done = 0;

    /* gzwrite takes an unsigned: long buffers go in parts. */
    while (done < len) {
        unsigned part =
            len - done > 1u << 30 ? 1u << 30 : (unsigned)(len - done);
        int w = gzwrite(c->gz, buf + done, part);

        if (w <= 0) {
            if (c->err == 0) {
                c->err = gz_errno(c->gz);
            }
            return -1;
        }
        done += (size_t)w;
    }
    return (ssize_t)len;
}

static int
gz_close_fn(void *ctx)
{
    struct gz_cookie *c = ctx;
    int rc;

    errno = 0;
    rc = gzclose(c->gz);
    if (rc != Z_OK && c->err == 0) {
        c->err = rc == Z_ERRNO && errno != 0 ? errno : EIO;
    }
    return c->err != 0 ? -1 : 0;
}

int
sim_gzip_through(FILE *f, int (*fn)(const void *ctx, FILE *out),
                 const void *ctx)
{
    cookie_io_functions_t io = {NULL, gz_write_fn, NULL, gz_close_fn};
    struct gz_cookie c = {NULL, 0};
    FILE *z;
    int fd, rc;

    if (fflush(f) != 0) {
        return errno != 0 ? -errno : -EIO;
    }
    fd = dup(fileno(f));
    if (fd < 0) {
        return -errno;
    }
    c.gz = gzdopen(fd, "wb6");
    if (c.gz == NULL) {
        (void)close(fd);
        return -ENOMEM;
    }
    z = fopencookie(&c, "w", io);
    if (z == NULL) {
        (void)gzclose(c.gz);
        return -ENOMEM;
    }
    rc = fn(ctx, z);
    if (fclose(z) != 0 && rc == 0) {
        rc = -(c.err != 0 ? c.err : EIO);
    }
    if (rc == -EIO && c.err != 0) {
        rc = -c.err; /* the writer saw ferror: give the real cause */
    }
    return rc;
}
