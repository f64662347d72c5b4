/*
 * test_gzip.c - sim_gzip_through (sim/gzip_out.c), the stream behind
 * trace.json.gz: what a writer puts through it comes back, byte for byte,
 * from gzread; the file is made by base_write_atomic, so it appears whole
 * or not at all; and a writer's error comes back as its errno.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <cmocka.h>

#include "base.h"
#include "run.h"
#include "test_files.h"

/* Many lines of varied text: enough to span several gzwrite buffers. */
static int
write_lines(const void *ctx, FILE *f)
{
    int i;

    (void)ctx;
    for (i = 0; i < 200000; i++) {
        fprintf(f, "{\"ph\":\"X\",\"ts\":%d.%03d,\"name\":\"line %d\"}\n",
                i / 7, i % 1000, i * 31 % 977);
    }
    return ferror(f) ? -EIO : 0;
}

static int
gz_lines(const void *ctx, FILE *f)
{
    return sim_gzip_through(f, write_lines, ctx);
}

static int
fails_with_enospc(const void *ctx, FILE *f)
{
    (void)ctx;
    fputs("partial", f);
    return -ENOSPC;
}

static int
gz_failing(const void *ctx, FILE *f)
{
    return sim_gzip_through(f, fails_with_enospc, ctx);
}

static void
what_goes_through_comes_back_from_gzread(void **state)
{
    char *dir = tf_make_dir("gilsim-gz");
    char path[4200], err[256];
    char *plain = NULL, *back;
    size_t plain_len = 0, got = 0;
    FILE *m = open_memstream(&plain, &plain_len);
    gzFile gz;
    int n;

    (void)state;
    assert_non_null(m);
    assert_int_equal(write_lines(NULL, m), 0);
    assert_int_equal(fclose(m), 0);
    assert_int_equal(
        base_write_atomic(dir, "t.json.gz", gz_lines, NULL, err, sizeof(err)),
        0);
    (void)snprintf(path, sizeof(path), "%s/t.json.gz", dir);
    gz = gzopen(path, "rb");
    assert_non_null(gz);
    back = malloc(plain_len + 1);
    assert_non_null(back);
    while ((n = gzread(gz, back + got, (unsigned)(plain_len + 1 - got))) > 0) {
        got += (size_t)n;
    }
    assert_int_equal(gzclose(gz), Z_OK);
    assert_int_equal(got, plain_len);
    assert_memory_equal(back, plain, plain_len);
    free(back);
    free(plain);

    /* A failing writer: its errno, and no file left, temporary or not. */
    assert_int_equal(base_write_atomic(dir, "bad.json.gz", gz_failing, NULL,
                                       err, sizeof(err)),
                     -ENOSPC);
    assert_non_null(strstr(err, "No space left on device"));
    (void)snprintf(path, sizeof(path), "%s/bad.json.gz", dir);
    assert_null(fopen(path, "r"));
    tf_remove_tree(dir);
    free(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(what_goes_through_comes_back_from_gzread),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
