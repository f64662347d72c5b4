/*
 * io_fixture.c - the shared fixture of the I/O model tests; see
 * io_fixture.h.
 */
#include "io_fixture.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

void
options(struct sim_options *o, const char *workload)
{
    sim_options_default(o);
    (void)snprintf(o->workload, sizeof(o->workload), "%s", workload);
    o->threads = 3;
    o->quiet = 1;
    o->trace_events = 100000;
    o->timeout_ns = 300000000; /* 300 ms: stalled replies time out fast */
}

/* Start a server and fill f->io; latency in ns. */
void
fixture_start(struct fixture *f, int64_t latency_ns, uint64_t body,
              double fail_rate, uint64_t seed)
{
    struct wl_server_config sc;

    (void)snprintf(f->tmp, sizeof(f->tmp), "/tmp/gilsim-test-XXXXXX");
    assert_non_null(mkdtemp(f->tmp));
    memset(&f->io, 0, sizeof(f->io));
    assert_int_equal(wl_io_global_init(), 0);
    memset(&sc, 0, sizeof(sc));
    (void)snprintf(sc.bind, sizeof(sc.bind), "127.0.0.1");
    sc.latency_ns = latency_ns;
    sc.body_size = body;
    sc.fail_rate = fail_rate;
    sc.stall_ns = 2000000000; /* past the 300 ms client timeout */
    sc.seed = seed;
    assert_int_equal(wl_server_start(&sc, &f->io.server), 0);
    (void)snprintf(f->io.url_template, sizeof(f->io.url_template),
                   "http://127.0.0.1:%d/top250?start={page}",
                   wl_server_port(f->io.server));
    (void)snprintf(f->io.dir, sizeof(f->io.dir), "%s", f->tmp);
}

void
rm_rf(const char *path)
{
    struct stat st;
    DIR *d;
    struct dirent *de;
    char sub[4096];

    if (lstat(path, &st) != 0) {
        return;
    }
    if (S_ISDIR(st.st_mode)) {
        d = opendir(path);
        if (d != NULL) {
            while ((de = readdir(d)) != NULL) { // NOLINT(concurrency-mt-unsafe)
                if (strcmp(de->d_name, ".") == 0 ||
                    strcmp(de->d_name, "..") == 0) {
                    continue;
                }
                (void)snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
                rm_rf(sub);
            }
            closedir(d);
        }
        (void)rmdir(path);
    } else {
        (void)unlink(path);
    }
}

void
fixture_stop(struct fixture *f)
{
    wl_server_stop(f->io.server);
    wl_io_global_cleanup();
    rm_rf(f->tmp);
}

char *
slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    char *buf;
    long n;

    if (fp == NULL) {
        return NULL;
    }
    assert_int_equal(fseek(fp, 0, SEEK_END), 0);
    n = ftell(fp);
    assert_true(n >= 0);
    assert_int_equal(fseek(fp, 0, SEEK_SET), 0);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    *len = (size_t)n;
    return buf;
}
