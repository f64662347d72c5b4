/*
 * io_fixture.h - what the I/O model tests share: an embedded latency
 * server on 127.0.0.1 with a temporary run folder (the `struct
 * sim_run_io` that sim_run_once needs) and options for a quick I/O run
 * (file helpers: test_files.h). Used by test_io_models.c and test_loop.c;
 * cmocka assertions inside, so call these from the test's own thread only.
 */
#ifndef GILSIM_TESTS_IO_FIXTURE_H
#define GILSIM_TESTS_IO_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "run.h"
#include "test_files.h"

#define BODY 16384

struct fixture {
    char tmp[64];
    struct sim_run_io io;
    struct sim_options o;
};

/* Defaults for a quick run of `workload`: 3 threads, quiet, a 300 ms
 * fetch timeout so stalled replies time out fast. */
void options(struct sim_options *o, const char *workload);
/* Start a server (latency in ns) and a temporary run folder into f->io. */
void fixture_start(struct fixture *f, int64_t latency_ns, uint64_t body,
                   double fail_rate, uint64_t seed);
/* Stop the server and remove the folder. */
void fixture_stop(struct fixture *f);

#endif /* GILSIM_TESTS_IO_FIXTURE_H */
