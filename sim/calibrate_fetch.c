/*
 * calibrate_fetch.c - what gilsim's own fetch costs on this machine, so
 * that `gilsim calibrate` does not charge it twice.
 *
 * The calibration program times each HTTP client's whole request in
 * CPython (its process CPU: Python, the kernel's socket work, everything).
 * A gilsim fetch does part of that for real (libcurl connects, sends,
 * reads and parses the reply, the kernel moves the bytes) and charges the
 * rest as Python work. So each client's request cost is CPython's CPU less
 * the CPU of gilsim's own fetch of the same page in the same connection
 * mode: sim_calibrate_fetch_cpu times `rounds` fetches through the real
 * engine's fetch (wl_step_run of a fetch step on a struct wl_io with every
 * Python cost at 0, no GIL: the environment's calls do nothing) of `url`
 * on this thread, a new connection a fetch or one kept alive, and returns
 * this thread's CPU (CLOCK_THREAD_CPUTIME_ID) a fetch, the median of five
 * batches after a warm-up. The embedded server runs on its own thread, so
 * its work is not counted.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base.h"
#include "calibrate.h"
#include "wl.h"

#define BATCHES 5

static void
nothing(void *ctx)
{
    (void)ctx;
}

static int64_t
thread_cpu_ns(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) {
        return 0;
    }
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int
sim_calibrate_fetch_cpu(const char *url, int new_connection, int rounds,
                        int64_t *ns_per_fetch)
{
    struct wl_io_config cfg;
    struct wl_env env;
    struct wl_step step;
    struct wl_io *io = NULL;
    int64_t batch[BATCHES];
    int per = rounds / BATCHES > 0 ? rounds / BATCHES : 1;
    int b, i, rc;

    *ns_per_fetch = 0;
    rc = wl_io_global_init();
    if (rc != 0) {
        return rc;
    }
    memset(&cfg, 0, sizeof(cfg));
    if (strlen(url) >= sizeof(cfg.url_template)) {
        return -ENAMETOOLONG;
    }
    (void)snprintf(cfg.url_template, sizeof(cfg.url_template), "%s", url);
    cfg.connect_timeout_ns = 5000000000;
    cfg.timeout_ns = 10000000000;
    cfg.new_connection = new_connection;
    cfg.max_body = 1u << 20;
    rc = wl_io_new(&cfg, &io);
    if (rc != 0) {
        return rc;
    }
    memset(&env, 0, sizeof(env));
    env.check = nothing;
    env.release = nothing;
    env.acquire = nothing;
    env.check_every = 1000;
    env.cost.instr_ns = 1.0;
    env.cost.spins_per_ns = 1.0;
    env.io = io;
    memset(&step, 0, sizeof(step));
    step.kind = WL_STEP_FETCH;
    step.page = 1;
    for (b = -1; b < BATCHES && rc == 0; b++) {
        int64_t t0 = thread_cpu_ns();

        for (i = 0; i < per; i++) {
            if (wl_step_run(&step, &env, NULL) != WL_OK) {
                rc = -EIO;
                break;
            }
        }
        if (b >= 0) { /* the first batch warms up */
            batch[b] = (thread_cpu_ns() - t0) / per;
        }
    }
    wl_io_free(io);
    if (rc != 0) {
        return rc;
    }
    base_sort_i64(batch, BATCHES);
    *ns_per_fetch = batch[BATCHES / 2];
    return 0;
}
