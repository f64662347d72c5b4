/*
 * parse.c - the value parsers of the command line: durations, sizes,
 * counts and comma-separated lists.
 *
 * Every parser reads the whole string or rejects it: no leading blanks,
 * no signs, no exponents, no NaN or infinity, no trailing junk. That is
 * why they do not lean on strtod/strtoll, which accept all of these; the
 * number is scanned by hand and only a string already known to be plain
 * digits (with at most one decimal point) is handed to strtod. On failure
 * they return -EINVAL (malformed) or -ERANGE (too large) and write one
 * sentence into `err` saying what would be accepted, e.g. "expected a
 * duration with a unit (ns, us, ms, s), e.g. 5ms"; the option parser puts
 * the flag and the value in front of it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli_internal.h"

#define DURATION_HINT                                                          \
    "expected a duration with a unit (ns, us, ms, s), e.g. 5ms"
#define SIZE_HINT "expected a size with a unit (B, KiB, MiB, GiB), e.g. 64KiB"
#define COUNT_HINT                                                             \
    "expected a whole number, optionally followed by K, M or G "               \
    "(x1e3, x1e6, x1e9), e.g. 25, 20K, 100M"

/* The largest duration we accept, in ns: below INT64_MAX with a margin
 * for rounding (about 292 years). */
#define DURATION_MAX_NS 9.2e18

static int
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int
fail(char *err, size_t errlen, int rc, const char *msg)
{
    if (err != NULL && errlen > 0) {
        (void)snprintf(err, errlen, "%s", msg);
    }
    return rc;
}

/* Past a plain decimal at s: digits, then at most one point followed by
 * digits. NULL when s does not start with one. */
static const char *
scan_decimal(const char *s)
{
    const char *p = s;

    if (!is_digit(*p)) {
        return NULL;
    }
    while (is_digit(*p)) {
        p++;
    }
    if (*p == '.') {
        p++;
        if (!is_digit(*p)) {
            return NULL;
        }
        while (is_digit(*p)) {
            p++;
        }
    }
    return p;
}

int
sim_parse_duration(const char *s, double *ns_out, char *err, size_t errlen)
{
    static const struct {
        const char *unit;
        double ns;
    } units[] = {{"ns", 1.0},        {"us", 1e3},
                 {"\xc2\xb5s", 1e3}, /* µs, the micro sign U+00B5 */
                 {"\xce\xbcs", 1e3}, /* μs, the Greek small mu U+03BC */
                 {"ms", 1e6},        {"s", 1e9}};
    char num[32];
    const char *p;
    size_t len;
    size_t i;
    double mult = 0.0;
    double v;

    if (s == NULL) {
        return fail(err, errlen, -EINVAL, DURATION_HINT);
    }
    if (*s == '-') {
        return fail(err, errlen, -EINVAL,
                    "expected a positive duration with a unit "
                    "(ns, us, ms, s), e.g. 5ms");
    }
    p = scan_decimal(s);
    if (p == NULL) {
        return fail(err, errlen, -EINVAL, DURATION_HINT);
    }
    len = (size_t)(p - s);
    if (len >= sizeof(num)) {
        return fail(err, errlen, -ERANGE,
                    "expected a duration below 292 years, e.g. 5ms");
    }
    for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(p, units[i].unit) == 0) {
            mult = units[i].ns;
            break;
        }
    }
    if (mult == 0.0) {
        return fail(err, errlen, -EINVAL, DURATION_HINT);
    }
    memcpy(num, s, len);
    num[len] = '\0';
    v = strtod(num, NULL) * mult;
    if (v > DURATION_MAX_NS) {
        return fail(err, errlen, -ERANGE,
                    "expected a duration below 292 years, e.g. 5ms");
    }
    if (!(v > 0.0)) {
        return fail(err, errlen, -EINVAL,
                    "expected a duration greater than 0 with a unit "
                    "(ns, us, ms, s), e.g. 5ms");
    }
    *ns_out = v;
    return 0;
}

/* The length of the UTF-8 sequence at p (2 to 4), or 0 if it is not a
 * well-formed one (no overlongs, surrogates or values past U+10FFFF). */
static int
utf8_len(const unsigned char *p)
{
    int n, i;
    unsigned v;

    if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        n = 2;
        v = p[0] & 0x1f;
    } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        n = 3;
        v = p[0] & 0x0f;
    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        n = 4;
        v = p[0] & 0x07;
    } else {
        return 0;
    }
    for (i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            return 0;
        }
        v = v << 6 | (p[i] & 0x3f);
    }
    if ((n == 3 && (v < 0x800 || (v >= 0xd800 && v <= 0xdfff))) ||
        (n == 4 && (v < 0x10000 || v > 0x10ffff))) {
        return 0;
    }
    return n;
}

void
sim_cli_escape(const char *s, char *out, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0;

    if (len == 0) {
        return;
    }
    while (*p != '\0' && o + 5 < len) {
        int n = *p >= 0x80 ? utf8_len(p) : 1;

        if (*p == '\n' || *p == '\t') {
            out[o++] = '\\';
            out[o++] = *p == '\n' ? 'n' : 't';
            p++;
        } else if (*p < 0x20 || *p == 0x7f || n == 0) {
            (void)snprintf(out + o, len - o, "\\x%02x", *p);
            o += 4;
            p++;
        } else {
            while (n-- > 0 && o + 1 < len) {
                out[o++] = (char)*p++;
            }
        }
    }
    out[o] = '\0';
}

int
sim_parse_decimal(const char *s, double *out)
{
    /* "0.5", "1", "0.25"; not " 0.5", ".5", "-0", "1e-1", "0x1p-1", "inf". */
    const char *p = scan_decimal(s);

    if (p == NULL || *p != '\0' || p - s > 40) {
        return -EINVAL;
    }
    *out = strtod(s, NULL);
    return 0;
}

/* Scan plain digits into *out; -ERANGE past `max`, -EINVAL if none. */
static int
scan_digits(const char **pp, uint64_t max, uint64_t *out)
{
    const char *p = *pp;
    uint64_t v = 0;

    if (!is_digit(*p)) {
        return -EINVAL;
    }
    while (is_digit(*p)) {
        uint64_t d = (uint64_t)(*p - '0');

        if (v > (max - d) / 10) {
            return -ERANGE;
        }
        v = v * 10 + d;
        p++;
    }
    *pp = p;
    *out = v;
    return 0;
}

int
sim_parse_size(const char *s, uint64_t *bytes_out, char *err, size_t errlen)
{
    static const struct {
        const char *unit;
        uint64_t bytes;
    } units[] = {{"B", 1},
                 {"KiB", 1024},
                 {"MiB", (uint64_t)1024 * 1024},
                 {"GiB", (uint64_t)1024 * 1024 * 1024}};
    const char *p = s;
    uint64_t v;
    size_t i;
    int rc;

    if (s == NULL) {
        return fail(err, errlen, -EINVAL, SIZE_HINT);
    }
    rc = scan_digits(&p, UINT64_MAX, &v);
    if (rc == -ERANGE) {
        return fail(err, errlen, rc, "expected a size below 16 EiB");
    }
    if (rc != 0) {
        return fail(err, errlen, rc, SIZE_HINT);
    }
    for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(p, units[i].unit) == 0) {
            if (v > (uint64_t)INT64_MAX / units[i].bytes) {
                return fail(err, errlen, -ERANGE,
                            "expected a size below 8 EiB");
            }
            *bytes_out = v * units[i].bytes;
            return 0;
        }
    }
    return fail(err, errlen, -EINVAL, SIZE_HINT);
}

int
sim_parse_count(const char *s, int allow_zero, int64_t *out, char *err,
                size_t errlen)
{
    const char *p = s;
    uint64_t v;
    uint64_t mult = 1;
    int rc;

    if (s == NULL) {
        return fail(err, errlen, -EINVAL, COUNT_HINT);
    }
    rc = scan_digits(&p, (uint64_t)INT64_MAX, &v);
    if (rc == -ERANGE) {
        return fail(err, errlen, rc, "expected a whole number below 9.2e18");
    }
    if (rc != 0) {
        return fail(err, errlen, rc, COUNT_HINT);
    }
    if (*p == 'K' || *p == 'k') {
        mult = 1000;
        p++;
    } else if (*p == 'M') {
        mult = 1000000;
        p++;
    } else if (*p == 'G') {
        mult = 1000000000;
        p++;
    }
    if (*p != '\0') {
        return fail(err, errlen, -EINVAL, COUNT_HINT);
    }
    if (v > (uint64_t)INT64_MAX / mult) {
        return fail(err, errlen, -ERANGE,
                    "expected a whole number below 9.2e18");
    }
    if (v == 0 && !allow_zero) {
        return fail(err, errlen, -EINVAL,
                    "expected a whole number greater than 0, e.g. 25, 20K, "
                    "100M");
    }
    *out = (int64_t)(v * mult);
    return 0;
}

int
sim_parse_list(const char *s,
               int (*item)(const char *elem, void *ctx, char *err,
                           size_t errlen),
               void *ctx, char *err, size_t errlen)
{
    char elem[256];
    const char *p = s;

    if (s == NULL || *s == '\0') {
        return fail(err, errlen, -EINVAL,
                    "expected a comma-separated list, e.g. a,b");
    }
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
        int rc;

        if (len == 0) {
            return fail(err, errlen, -EINVAL,
                        "expected a comma-separated list without empty "
                        "items, e.g. a,b");
        }
        if (len >= sizeof(elem)) {
            return fail(err, errlen, -ERANGE,
                        "expected list items of at most 255 characters");
        }
        memcpy(elem, p, len);
        elem[len] = '\0';
        rc = item(elem, ctx, err, errlen);
        if (rc != 0) {
            return rc;
        }
        if (comma == NULL) {
            return 0;
        }
        p = comma + 1;
    }
}
