/*
 * io_fixture.c - the shared fixture of the I/O model tests; see
 * io_fixture.h.
 */
#include "io_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
fixture_stop(struct fixture *f)
{
    wl_server_stop(f->io.server);
    wl_io_global_cleanup();
    tf_remove_tree(f->tmp);
}
