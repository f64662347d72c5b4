/*
 * fuzz_values.c - the command line's value parsers (durations, sizes,
 * counts, decimals, lists) and the escape of echoed values, on any
 * string: each either accepts it with a value in its range or refuses it
 * with a sentence; nothing else may happen.
 */
#include <stdlib.h>
#include <string.h>

#include "cli_internal.h"
#include "fuzz_input.h"

static int
count_item(const char *item, void *ctx, char *err, size_t errlen)
{
    (void)item;
    (void)err;
    (void)errlen;
    ++*(int *)ctx;
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_string(data, size);
    char err[256], out[1024];
    double d;
    uint64_t b;
    int64_t n;
    int items = 0;

    if (s == NULL) {
        return 0;
    }
    if (sim_parse_duration(s, &d, err, sizeof(err)) == 0 &&
        !(d > 0 && d <= 9.2e18)) {
        abort();
    }
    (void)sim_parse_size(s, &b, err, sizeof(err));
    if (sim_parse_count(s, 1, &n, err, sizeof(err)) == 0 && n < 0) {
        abort();
    }
    if (sim_parse_decimal(s, &d) == 0 && !(d >= 0)) {
        abort();
    }
    (void)sim_parse_list(s, count_item, &items, err, sizeof(err));
    sim_cli_escape(s, out, sizeof(out));
    if (strchr(out, '\n') != NULL || strchr(out, '\x1b') != NULL) {
        abort();
    }
    free(s);
    return 0;
}
