/*
 * clock.c - the real clock as a `struct gil_clock` provider.
 *
 * gil/ and the models never read a clock themselves: they are handed a
 * `struct gil_clock`, this one (CLOCK_MONOTONIC, through base_now_ns) in
 * real time or the engine's with --engine=virtual.
 */
#include "base.h"
#include "run.h"

static int64_t
real_now_ns(void *ctx)
{
    (void)ctx;
    return base_now_ns();
}

struct gil_clock
sim_clock_real(void)
{
    struct gil_clock c;

    c.now_ns = real_now_ns;
    c.ctx = NULL;
    return c;
}
