/* clock.c - the real clock: CLOCK_MONOTONIC in nanoseconds. */
#include <time.h>

#include "base.h"

int64_t
base_now_ns(void)
{
    struct timespec ts;

    /* CLOCK_MONOTONIC cannot fail on Linux with a valid pointer. */
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + (int64_t)ts.tv_nsec;
}
