/* sort.c - sorting int64 samples (latencies, wall times) before taking
 * percentiles or medians. */
#include <stdlib.h>

#include "base.h"

static int
cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a;
    int64_t y = *(const int64_t *)b;

    return (x > y) - (x < y);
}

void
base_sort_i64(int64_t *v, size_t n)
{
    if (n > 1) {
        qsort(v, n, sizeof(*v), cmp_i64);
    }
}
