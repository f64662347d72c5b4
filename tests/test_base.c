/*
 * test_base.c - cmocka tests of base/: the error sentence, splitmix64's
 * published values, the int64 sort, and the atomic file write: a file is
 * there whole or not at all, and a failed write says why with its own
 * errno (a file-size limit stands in for a full disk); a whole-file read
 * takes regular files up to its cap; a cgroup's CPU quota is read as
 * the tightest of its levels, in whole cores.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "base.h"
#include "test_files.h"

static void
errf_appends_the_reason(void **state)
{
    char buf[64];
    char tiny[8];

    (void)state;
    base_errf(buf, sizeof(buf), -ENOENT, "cannot open %s", "x.json");
    assert_string_equal(buf, "cannot open x.json: No such file or directory");
    base_errf(buf, sizeof(buf), ENOSPC, "cannot write");
    assert_string_equal(buf, "cannot write: No space left on device");
    /* Cut short, never overrun. */
    base_errf(tiny, sizeof(tiny), EIO, "a long sentence");
    assert_string_equal(tiny, "a long ");
}

/* The first outputs of splitmix64 from state 0 (Vigna's reference). */
static void
splitmix64_matches_the_reference(void **state)
{
    uint64_t s = 0;

    (void)state;
    assert_true(base_splitmix64(&s) == UINT64_C(0xe220a8397b1dcdaf));
    assert_true(base_splitmix64(&s) == UINT64_C(0x6e789e6aa1b965f4));
    assert_true(base_splitmix64(&s) == UINT64_C(0x06c45d188009454f));
    assert_true(base_mix64(0) == UINT64_C(0xe220a8397b1dcdaf));
}

static void
sort_orders_int64s(void **state)
{
    int64_t v[] = {5, INT64_MIN, -1, INT64_MAX, 0, 5};
    size_t i;

    (void)state;
    base_sort_i64(v, sizeof(v) / sizeof(v[0]));
    for (i = 1; i < sizeof(v) / sizeof(v[0]); i++) {
        assert_true(v[i - 1] <= v[i]);
    }
    assert_true(v[0] == INT64_MIN);
    assert_true(v[5] == INT64_MAX);
}

/* Known values: 2, 4, 4, 4, 5, 5, 7, 9 has mean 5 and sample sd
 * sqrt(32 / 7); one sample has sd 0; large values keep their precision. */
static void
mean_sd_of_samples(void **state)
{
    int64_t v[] = {2, 4, 4, 4, 5, 5, 7, 9};
    int64_t big[] = {INT64_C(3600000000000), INT64_C(3600000000002)};
    double mean, sd;

    (void)state;
    base_mean_sd_i64(v, 8, &mean, &sd);
    assert_true(fabs(mean - 5.0) < 1e-12);
    assert_true(fabs(sd - sqrt(32.0 / 7.0)) < 1e-12);
    base_mean_sd_i64(v + 6, 1, &mean, &sd);
    assert_true(mean == 7.0 && sd == 0.0);
    base_mean_sd_i64(v, 0, &mean, &sd);
    assert_true(mean == 0.0 && sd == 0.0);
    base_mean_sd_i64(big, 2, &mean, &sd);
    assert_true(fabs(mean - 3600000000001.0) < 1e-3);
    assert_true(fabs(sd - sqrt(2.0)) < 1e-3);
}

static int
write_hello(const void *ctx, FILE *f)
{
    (void)ctx;
    return fputs("hello\n", f) >= 0 ? 0 : -EIO;
}

/* 256 KiB, failing as the writers of gilsim do: -EIO on ferror. */
static int
write_big(const void *ctx, FILE *f)
{
    static char block[4096];
    int i;

    (void)ctx;
    memset(block, 'x', sizeof(block));
    for (i = 0; i < 64; i++) {
        (void)fwrite(block, 1, sizeof(block), f);
    }
    return ferror(f) ? -EIO : 0;
}

/* Nothing but the named files in dir: no NAME.tmp.PID left behind. */
static int
count_entries(const char *dir)
{
    char cmd[4200];
    int n = 0;
    FILE *p;
    char line[512];

    (void)snprintf(cmd, sizeof(cmd), "ls -A '%s'", dir);
    p = popen(cmd, "r");
    assert_non_null(p);
    while (fgets(line, sizeof(line), p) != NULL) {
        n++;
    }
    (void)pclose(p);
    return n;
}

/* Issue 20: a read is capped by its purpose and takes only regular files:
 * /dev/zero (which would eat memory for ever), a FIFO with no writer
 * (which would block for ever) and a folder are refused at once, a file
 * over the cap too; a file at the cap is read whole. */
static void
read_file_takes_regular_files_up_to_a_cap(void **state)
{
    char *dir = tf_make_dir("gilsim-read");
    char path[4200], fifo[4200], etext[128];
    char *text = NULL;
    size_t len = 0;
    FILE *f;

    (void)state;
    (void)snprintf(path, sizeof(path), "%s/a.txt", dir);
    tf_write(path, "0123456789");
    assert_int_equal(base_read_file(path, 10, &text, &len), 0);
    assert_int_equal(len, 10);
    assert_string_equal(text, "0123456789");
    free(text);
    assert_int_equal(base_read_file(path, 9, &text, &len), -BASE_ETOOBIG);
    assert_null(text);
    assert_int_equal(base_read_file("/dev/zero", 1 << 20, &text, &len),
                     -BASE_ENOTREG);
    assert_int_equal(base_read_file(dir, 1 << 20, &text, &len), -BASE_ENOTREG);
    (void)snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(base_read_file(fifo, 1 << 20, &text, &len), -BASE_ENOTREG);
    assert_null(base_fopen_regular(fifo));
    assert_int_equal(errno, BASE_ENOTREG);
    f = base_fopen_regular(path);
    assert_non_null(f);
    (void)fclose(f);
    base_errtext(BASE_ETOOBIG, etext, sizeof(etext));
    assert_non_null(strstr(etext, "larger than"));
    tf_remove_tree(dir);
    free(dir);
}

static void
atomic_write_is_whole_or_absent(void **state)
{
    char *dir = tf_make_dir("gilsim-base");
    char err[256] = "";
    char path[4200];
    struct rlimit old, lim;
    void (*old_handler)(int);
    char *text;
    int rc;

    (void)state;
    assert_int_equal(
        base_write_atomic(dir, "a.txt", write_hello, NULL, err, sizeof(err)),
        0);
    (void)snprintf(path, sizeof(path), "%s/a.txt", dir);
    text = tf_read(path, NULL);
    assert_string_equal(text, "hello\n");
    free(text);

    /* A file-size limit below the file: the write fails with EFBIG
     * (SIGXFSZ ignored), as a full disk fails with ENOSPC. */
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = 65536;
    old_handler = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    rc = base_write_atomic(dir, "b.txt", write_big, NULL, err, sizeof(err));
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    (void)signal(SIGXFSZ, old_handler);
    assert_int_equal(rc, -EFBIG);
    assert_non_null(strstr(err, "b.txt"));
    assert_non_null(strstr(err, "File too large"));
    (void)snprintf(path, sizeof(path), "%s/b.txt", dir);
    assert_null(tf_slurp(path, NULL));
    assert_int_equal(count_entries(dir), 1); /* a.txt only */
    tf_remove_tree(dir);
    free(dir);
}

static void
shell_word_quotes_only_what_sh_would_split(void **state)
{
    char buf[64];

    (void)state;
    assert_int_equal(base_shell_word(buf, sizeof(buf), "--out=/a/b"), 10);
    assert_string_equal(buf, "--out=/a/b");
    assert_true(base_shell_word(buf, sizeof(buf), "it's a 100%") > 0);
    assert_string_equal(buf, "'it'\\''s a 100%'");
    assert_true(base_shell_word(buf, sizeof(buf), "") > 0);
    assert_string_equal(buf, "''");
    assert_true(base_shell_word(buf, sizeof(buf), "$HOME `x`") > 0);
    assert_string_equal(buf, "'$HOME `x`'");
    assert_int_equal(base_shell_word(buf, 8, "a b c d e"), -E2BIG);
    assert_string_equal(buf, "");
}

static void
duration_text_takes_the_largest_exact_unit(void **state)
{
    char buf[32];

    (void)state;
    base_duration_text(5000000, buf, sizeof(buf));
    assert_string_equal(buf, "5ms");
    base_duration_text(2000000000, buf, sizeof(buf));
    assert_string_equal(buf, "2s");
    base_duration_text(1500000, buf, sizeof(buf));
    assert_string_equal(buf, "1500us");
    base_duration_text(1234, buf, sizeof(buf));
    assert_string_equal(buf, "1234ns");
}

/* Writes dir/rel/name (rel's folders made) with text. */
static void
put_file(const char *dir, const char *rel, const char *name, const char *text)
{
    char path[1024];
    size_t i;

    (void)snprintf(path, sizeof(path), "%s/%s", dir, rel);
    for (i = strlen(dir) + 1; path[i] != '\0'; i++) {
        if (path[i] == '/') {
            path[i] = '\0';
            (void)mkdir(path, 0755);
            path[i] = '/';
        }
    }
    (void)mkdir(path, 0755);
    (void)snprintf(path, sizeof(path), "%s/%s/%s", dir, rel, name);
    tf_write(path, text);
}

static void
cgroup_quota_is_the_tightest_level_rounded_up(void **state)
{
    char *root = tf_make_dir("cgroup");
    char proc[1024];

    (void)state;
    (void)snprintf(proc, sizeof(proc), "%s/self-cgroup", root);
    /* v2: the process's own cgroup has no limit, its parent 1.5 CPUs,
     * the grandparent 4: 2 cores. */
    put_file(root, "v2/a/b/c", "cpu.max", "max 100000\n");
    put_file(root, "v2/a/b", "cpu.max", "150000 100000\n");
    put_file(root, "v2/a", "cpu.max", "400000 100000\n");
    tf_write(proc, "0::/a/b/c\n");
    {
        char sys[1024];

        (void)snprintf(sys, sizeof(sys), "%s/v2", root);
        assert_int_equal(base_cgroup_cpu_limit(sys, proc), 2);
        /* A path of the host's that the container's mount does not have:
         * the levels that are there still count. */
        tf_write(proc, "0::/a/b/c/d/e\n");
        assert_int_equal(base_cgroup_cpu_limit(sys, proc), 2);
        /* No limit anywhere. */
        put_file(root, "v2/a/b", "cpu.max", "max 100000\n");
        put_file(root, "v2/a", "cpu.max", "max 100000\n");
        assert_int_equal(base_cgroup_cpu_limit(sys, proc), 0);
        /* v1, the cpu controller mounted as cpu,cpuacct: 3 CPUs. */
        put_file(root, "v1/cpu,cpuacct/docker/x", "cpu.cfs_quota_us",
                 "300000\n");
        put_file(root, "v1/cpu,cpuacct/docker/x", "cpu.cfs_period_us",
                 "100000\n");
        put_file(root, "v1/cpu,cpuacct", "cpu.cfs_quota_us", "-1\n");
        put_file(root, "v1/cpu,cpuacct", "cpu.cfs_period_us", "100000\n");
        tf_write(proc, "4:memory:/docker/x\n3:cpu,cpuacct:/docker/x\n"
                       "0::/\n");
        (void)snprintf(sys, sizeof(sys), "%s/v1", root);
        assert_int_equal(base_cgroup_cpu_limit(sys, proc), 3);
        /* A file that is not there: no limit, no failure. */
        (void)snprintf(proc, sizeof(proc), "%s/none", root);
        assert_int_equal(base_cgroup_cpu_limit(sys, proc), 0);
    }
    tf_remove_tree(root);
    free(root);
    /* This machine: within its online cores, at least one. */
    assert_true(base_usable_cores() >= 1);
    assert_true(base_usable_cores() <= base_host_cores());
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(errf_appends_the_reason),
        cmocka_unit_test(shell_word_quotes_only_what_sh_would_split),
        cmocka_unit_test(duration_text_takes_the_largest_exact_unit),
        cmocka_unit_test(splitmix64_matches_the_reference),
        cmocka_unit_test(sort_orders_int64s),
        cmocka_unit_test(mean_sd_of_samples),
        cmocka_unit_test(atomic_write_is_whole_or_absent),
        cmocka_unit_test(read_file_takes_regular_files_up_to_a_cap),
        cmocka_unit_test(cgroup_quota_is_the_tightest_level_rounded_up),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
