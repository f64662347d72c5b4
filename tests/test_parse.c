/*
 * test_parse.c - the value parsers of the command line (sim/parse.c):
 * durations, sizes, counts and comma-separated lists.
 *
 * Table-driven: each table lists strings that must parse, with the value
 * they must give, and strings that must be rejected, with the error code.
 * Every rejection must also leave a sentence in the error buffer that says
 * what is accepted, since the CLI prints it after the flag and the value.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cli_internal.h"

struct dur_case {
    const char *s;
    double ns;
};

struct bad_case {
    const char *s;
    int rc;
};

static void
durations_with_a_unit_parse_to_ns(void **state)
{
    static const struct dur_case good[] = {
        {"5ms", 5e6},
        {"0.5ms", 5e5},
        {"250us", 2.5e5},
        {"250\xc2\xb5s", 2.5e5},
        {"250\xce\xbcs", 2.5e5},
        {"100ns", 100.0},
        {"1s", 1e9},
        {"1.5s", 1.5e9},
        {"4.1ns", 4.1},
        {"10s", 1e10},
        {"007ms", 7e6},
        {"1000000s", 1e15},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        char err[SIM_ERR_LEN] = "";
        double ns = -1.0;
        int rc = sim_parse_duration(good[i].s, &ns, err, sizeof(err));

        if (rc != 0) {
            fail_msg("'%s' rejected: %s", good[i].s, err);
        }
        assert_float_equal(ns, good[i].ns, good[i].ns * 1e-12);
    }
}

static void
durations_without_unit_or_malformed_are_rejected(void **state)
{
    static const struct bad_case bad[] = {
        {"5", -EINVAL},
        {"abc", -EINVAL},
        {"0", -EINVAL},
        {"0ms", -EINVAL},
        {"0.0s", -EINVAL},
        {"-5ms", -EINVAL},
        {"+5ms", -EINVAL},
        {"", -EINVAL},
        {"ms", -EINVAL},
        {"5 ms", -EINVAL},
        {" 5ms", -EINVAL},
        {"5msx", -EINVAL},
        {"5m", -EINVAL},
        {"5MS", -EINVAL},
        {"1e3ms", -EINVAL},
        {"nan", -EINVAL},
        {"nanms", -EINVAL},
        {"infs", -EINVAL},
        {"inf", -EINVAL},
        {"5.ms", -EINVAL},
        {".5ms", -EINVAL},
        {"1.2.3ms", -EINVAL},
        {"0x10ms", -EINVAL},
        {"5ms,", -EINVAL},
        {"99999999999999999999s", -ERANGE},
        {"123456789012345678901234567890123ns", -ERANGE},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char err[SIM_ERR_LEN] = "";
        double ns = 0.0;
        int rc = sim_parse_duration(bad[i].s, &ns, err, sizeof(err));

        if (rc != bad[i].rc) {
            fail_msg("'%s': got %d, expected %d", bad[i].s, rc, bad[i].rc);
        }
        assert_non_null(strstr(err, "expected"));
        assert_non_null(strstr(err, "ms"));
    }
}

static void
sizes_take_binary_units(void **state)
{
    static const struct {
        const char *s;
        uint64_t bytes;
    } good[] = {
        {"100B", 100},           {"64KiB", 65536}, {"1MiB", 1048576},
        {"2GiB", 2147483648ULL}, {"0B", 0},        {"1024KiB", 1048576},
    };
    static const struct bad_case bad[] = {
        {"64", -EINVAL},
        {"64K", -EINVAL},
        {"64KB", -EINVAL},
        {"64kib", -EINVAL},
        {"-1B", -EINVAL},
        {"1.5MiB", -EINVAL},
        {"", -EINVAL},
        {"B", -EINVAL},
        {"64KiB ", -EINVAL},
        {"99999999999999999999B", -ERANGE},
        {"9999999999999GiB", -ERANGE},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        char err[SIM_ERR_LEN] = "";
        uint64_t b = 1;

        if (sim_parse_size(good[i].s, &b, err, sizeof(err)) != 0) {
            fail_msg("'%s' rejected: %s", good[i].s, err);
        }
        assert_int_equal(b, good[i].bytes);
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char err[SIM_ERR_LEN] = "";
        uint64_t b = 0;
        int rc = sim_parse_size(bad[i].s, &b, err, sizeof(err));

        if (rc != bad[i].rc) {
            fail_msg("'%s': got %d, expected %d", bad[i].s, rc, bad[i].rc);
        }
        assert_non_null(strstr(err, "expected"));
    }
}

static void
counts_take_decimal_suffixes(void **state)
{
    static const struct {
        const char *s;
        int64_t v;
    } good[] = {
        {"25", 25},
        {"20K", 20000},
        {"20k", 20000},
        {"100M", 100000000},
        {"2G", 2000000000},
        {"1", 1},
        {"9223372036854775807", INT64_MAX},
    };
    static const struct bad_case bad[] = {
        {"0", -EINVAL},
        {"0K", -EINVAL},
        {"-1", -EINVAL},
        {"+1", -EINVAL},
        {"abc", -EINVAL},
        {"", -EINVAL},
        {"5x", -EINVAL},
        {"5KK", -EINVAL},
        {"1.5M", -EINVAL},
        {" 5", -EINVAL},
        {"5 ", -EINVAL},
        {"5m", -EINVAL},
        {"9223372036854775808", -ERANGE},
        {"9223372036854776K", -ERANGE},
        {"99999999999999999999999", -ERANGE},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        char err[SIM_ERR_LEN] = "";
        int64_t v = 0;

        if (sim_parse_count(good[i].s, 0, &v, err, sizeof(err)) != 0) {
            fail_msg("'%s' rejected: %s", good[i].s, err);
        }
        assert_int_equal(v, good[i].v);
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char err[SIM_ERR_LEN] = "";
        int64_t v = 0;
        int rc = sim_parse_count(bad[i].s, 0, &v, err, sizeof(err));

        if (rc != bad[i].rc) {
            fail_msg("'%s': got %d, expected %d", bad[i].s, rc, bad[i].rc);
        }
        assert_non_null(strstr(err, "expected"));
    }
}

static void
count_zero_is_accepted_only_when_allowed(void **state)
{
    char err[SIM_ERR_LEN] = "";
    int64_t v = 7;

    (void)state;
    assert_int_equal(sim_parse_count("0", 1, &v, err, sizeof(err)), 0);
    assert_int_equal(v, 0);
    assert_int_equal(sim_parse_count("0", 0, &v, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "greater than 0"));
}

struct collect {
    char items[8][16];
    size_t n;
};

static int
collect_item(const char *elem, void *ctx, char *err, size_t errlen)
{
    struct collect *c = ctx;

    if (strcmp(elem, "bad") == 0) {
        (void)snprintf(err, errlen, "expected anything but bad");
        return -EINVAL;
    }
    if (c->n >= 8) {
        return -ENOSPC;
    }
    (void)snprintf(c->items[c->n++], sizeof(c->items[0]), "%s", elem);
    return 0;
}

static void
lists_split_on_commas_and_reject_empty_items(void **state)
{
    static const char *const bad[] = {"", ",", "a,", ",a", "a,,b"};
    struct collect c;
    char err[SIM_ERR_LEN] = "";
    size_t i;

    (void)state;
    memset(&c, 0, sizeof(c));
    assert_int_equal(sim_parse_list("serial,threads,nogil", collect_item, &c,
                                    err, sizeof(err)),
                     0);
    assert_int_equal(c.n, 3);
    assert_string_equal(c.items[0], "serial");
    assert_string_equal(c.items[1], "threads");
    assert_string_equal(c.items[2], "nogil");

    memset(&c, 0, sizeof(c));
    assert_int_equal(sim_parse_list("one", collect_item, &c, err, sizeof(err)),
                     0);
    assert_int_equal(c.n, 1);

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&c, 0, sizeof(c));
        err[0] = '\0';
        if (sim_parse_list(bad[i], collect_item, &c, err, sizeof(err)) !=
            -EINVAL) {
            fail_msg("'%s' accepted", bad[i]);
        }
        assert_non_null(strstr(err, "expected"));
    }

    /* The item callback's error stops the walk and is passed through. */
    memset(&c, 0, sizeof(c));
    assert_int_equal(
        sim_parse_list("a,bad,c", collect_item, &c, err, sizeof(err)), -EINVAL);
    assert_int_equal(c.n, 1);
    assert_string_equal(err, "expected anything but bad");
}

/* Issue 20: a plain decimal takes digits and one point, nothing else
 * strtod takes. */
static void
decimals_are_plain_digits(void **state)
{
    static const char *const bad[] = {" 0.5", "0.5 ", ".5",   "5.",
                                      "-0",   "+1",   "1e-1", "0x1p-1",
                                      "inf",  "nan",  "",     "1.2.3"};
    double d = -1.0;
    size_t i;

    (void)state;
    assert_int_equal(sim_parse_decimal("0.25", &d), 0);
    assert_true(d == 0.25);
    assert_int_equal(sim_parse_decimal("1", &d), 0);
    assert_true(d == 1.0);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (sim_parse_decimal(bad[i], &d) != -EINVAL) {
            fail_msg("'%s' accepted", bad[i]);
        }
    }
}

/* Issue 20: what a value echoed in an error would do to a terminal is
 * escaped; UTF-8 (µs) stays as it is. */
static void
echoed_values_are_escaped(void **state)
{
    char out[128];

    (void)state;
    sim_cli_escape("a\nb\tc\x1b[31md\x7f", out, sizeof(out));
    assert_string_equal(out, "a\\nb\\tc\\x1b[31md\\x7f");
    sim_cli_escape("5\xc2\xb5s ex\xe9mple \xed\xa0\x80", out, sizeof(out));
    assert_string_equal(out, "5\xc2\xb5s ex\\xe9mple \\xed\\xa0\\x80");
    sim_cli_escape("\n\n\n\n\n\n", out, 9);
    assert_string_equal(out, "\\n\\n"); /* cut whole, never mid-escape */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(durations_with_a_unit_parse_to_ns),
        cmocka_unit_test(durations_without_unit_or_malformed_are_rejected),
        cmocka_unit_test(sizes_take_binary_units),
        cmocka_unit_test(counts_take_decimal_suffixes),
        cmocka_unit_test(count_zero_is_accepted_only_when_allowed),
        cmocka_unit_test(lists_split_on_commas_and_reject_empty_items),
        cmocka_unit_test(decimals_are_plain_digits),
        cmocka_unit_test(echoed_values_are_escaped),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
