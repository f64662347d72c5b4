/*
 * clock.c - the real clock: CLOCK_MONOTONIC in nanoseconds.
 *
 * gil/ and the models never call clock_gettime themselves: they are handed
 * a `struct gil_clock`, so that a virtual clock (deterministic
 * discrete-event mode) can later replace this one. CLOCK_MONOTONIC is
 * comparable across the threads and the processes of one machine, which
 * is what the trace needs.
 */
#include <time.h>

#include "sim_internal.h"

int64_t
sim_clock_now_ns(void)
{
    struct timespec ts;

    /* CLOCK_MONOTONIC cannot fail on Linux with a valid pointer. */
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + (int64_t)ts.tv_nsec;
}

static int64_t
real_now_ns(void *ctx)
{
    (void)ctx;
    return sim_clock_now_ns();
}

struct gil_clock
sim_clock_real(void)
{
    struct gil_clock c;

    c.now_ns = real_now_ns;
    c.ctx = NULL;
    return c;
}
