/*
 * dist.c - the distributions a workload's durations and sizes are drawn
 * from: a constant, uniform, exponential, log-normal given its p50 and p99,
 * or an empirical list of samples (what a recording of a real program
 * produces), each draw from a caller's splitmix64 state (base/random.c),
 * so a run's draws are fixed by its --seed.
 *
 * How each draws, from u, a uniform double in [0, 1) made of the top 53
 * bits of one splitmix64 output:
 *   uniform [lo, hi)   lo + u (hi - lo)
 *   exponential(mean)  -mean ln(1 - u)
 *   log-normal         exp(mu + sigma z), z standard normal by Box-Muller
 *                      from two draws; mu = ln p50 and sigma =
 *                      (ln p99 - ln p50) / z99, z99 = 2.3263478740408408
 *                      (the standard normal's 99th percentile)
 *   empirical          one of the samples, each as likely (a bootstrap)
 * Every value is finite and at least 0: these are durations and sizes.
 * The constructors check their parameters and return -EINVAL otherwise,
 * so a bad file is refused before anything is drawn.
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "base.h"
#include "wl.h"

#define Z99    2.3263478740408408
#define TWO_PI 6.283185307179586

static int
ok_value(double v)
{
    return isfinite(v) && v >= 0.0;
}

int
wl_dist_const(struct wl_dist *d, double v)
{
    if (!ok_value(v)) {
        return -EINVAL;
    }
    *d = (struct wl_dist){.kind = WL_DIST_CONST, .a = v};
    return 0;
}

int
wl_dist_uniform(struct wl_dist *d, double lo, double hi)
{
    if (!ok_value(lo) || !ok_value(hi) || hi < lo) {
        return -EINVAL;
    }
    *d = (struct wl_dist){.kind = WL_DIST_UNIFORM, .a = lo, .b = hi};
    return 0;
}

int
wl_dist_exponential(struct wl_dist *d, double mean)
{
    if (!ok_value(mean)) {
        return -EINVAL;
    }
    *d = (struct wl_dist){.kind = WL_DIST_EXPONENTIAL, .a = mean};
    return 0;
}

int
wl_dist_lognormal(struct wl_dist *d, double p50, double p99)
{
    if (!ok_value(p50) || !ok_value(p99) || p50 <= 0.0 || p99 < p50) {
        return -EINVAL;
    }
    *d = (struct wl_dist){.kind = WL_DIST_LOGNORMAL,
                          .a = log(p50),
                          .b = (log(p99) - log(p50)) / Z99};
    return 0;
}

int
wl_dist_empirical(struct wl_dist *d, const double *samples, size_t n)
{
    size_t i;

    if (samples == NULL || n == 0) {
        return -EINVAL;
    }
    for (i = 0; i < n; i++) {
        if (!ok_value(samples[i])) {
            return -EINVAL;
        }
    }
    *d =
        (struct wl_dist){.kind = WL_DIST_EMPIRICAL, .samples = samples, .n = n};
    return 0;
}

/* A uniform double in [0, 1): the top 53 bits of one draw. */
static double
unit(uint64_t *rng)
{
    return (double)(base_splitmix64(rng) >> 11) * 0x1p-53;
}

double
wl_dist_draw(const struct wl_dist *d, uint64_t *rng)
{
    double u, v, z;

    switch (d->kind) {
    case WL_DIST_CONST:
        return d->a;
    case WL_DIST_UNIFORM:
        return d->a + unit(rng) * (d->b - d->a);
    case WL_DIST_EXPONENTIAL:
        return -d->a * log1p(-unit(rng));
    case WL_DIST_LOGNORMAL:
        u = 1.0 - unit(rng); /* (0, 1]: log(u) is finite */
        v = unit(rng);
        z = sqrt(-2.0 * log(u)) * cos(TWO_PI * v);
        return exp(d->a + d->b * z);
    case WL_DIST_EMPIRICAL:
        /* An index in [0, n): u n, kept below n against rounding. */
        u = unit(rng) * (double)d->n;
        return d->samples[u < (double)(d->n - 1) ? (size_t)u : d->n - 1];
    }
    return 0.0;
}

double
wl_dist_mean(const struct wl_dist *d)
{
    double sum = 0.0;
    size_t i;

    switch (d->kind) {
    case WL_DIST_CONST:
        return d->a;
    case WL_DIST_UNIFORM:
        return (d->a + d->b) / 2.0;
    case WL_DIST_EXPONENTIAL:
        return d->a;
    case WL_DIST_LOGNORMAL:
        return exp(d->a + d->b * d->b / 2.0);
    case WL_DIST_EMPIRICAL:
        for (i = 0; i < d->n; i++) {
            sum += d->samples[i];
        }
        return sum / (double)d->n;
    }
    return 0.0;
}
