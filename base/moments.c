/* moments.c - the mean and sample standard deviation of int64 samples
 * (wall times of repetitions), for "mean ± σ" in tables and summaries.
 *
 * Welford's update, so a thousand repetitions of an hour's run in ns do
 * not lose precision to a sum of squares. */
#include <math.h>

#include "base.h"

void
base_mean_sd_i64(const int64_t *v, size_t n, double *mean, double *sd)
{
    double m = 0.0, m2 = 0.0;
    size_t i;

    for (i = 0; i < n; i++) {
        double x = (double)v[i];
        double d = x - m;

        m += d / (double)(i + 1);
        m2 += d * (x - m);
    }
    *mean = m;
    *sd = n > 1 ? sqrt(m2 / (double)(n - 1)) : 0.0;
}
