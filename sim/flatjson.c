/*
 * flatjson.c - a strict reader and a string writer for flat JSON objects:
 * calibration.json, and the one object the calibration program prints.
 *
 * sim_flatjson_parse() accepts exactly one object whose values are
 * strings, numbers, true, false, null or arrays of strings, with nothing
 * but white space after it; anything else (nesting, a trailing comma, a
 * bad escape, NaN, a number out of double's range, a NUL byte) is an
 * error with one sentence in `err` saying where and what. Each member is
 * handed to a callback with its decoded value; the callback decides which
 * keys it knows. Strings are decoded into one malloc'd scratch buffer per
 * value (a decoded string is never longer than its JSON form), so the
 * parser itself keeps nothing. summary_read.c has its own reader, for
 * nested summaries; this one is smaller because these files are flat.
 * Both decode \u escapes with sim_json_u_escape and sim_json_put_utf8,
 * defined here.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"

struct fj {
    const char *p;     /* next character */
    const char *start; /* the text, for offsets in errors */
    const char *end;   /* end of the text */
    char *err;
    size_t errlen;
};

static int
fail(struct fj *j, const char *what)
{
    (void)snprintf(j->err, j->errlen, "%s at byte %zu", what,
                   (size_t)(j->p - j->start));
    return -EBADMSG;
}

static void
ws(struct fj *j)
{
    while (j->p < j->end &&
           (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')) {
        j->p++;
    }
}

static int
hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    int i;

    for (i = 0; i < 4; i++) {
        char c = p[i];

        v <<= 4;
        if (c >= '0' && c <= '9') {
            v |= (unsigned)(c - '0');
        } else if (c >= 'a' && c <= 'f') {
            v |= (unsigned)(c - 'a' + 10);
        } else if (c >= 'A' && c <= 'F') {
            v |= (unsigned)(c - 'A' + 10);
        } else {
            return -1;
        }
    }
    *out = v;
    return 0;
}

int
sim_json_u_escape(const char *p, const char *end, unsigned *cp, size_t *used)
{
    unsigned lo;

    if (end - p < 4 || hex4(p, cp) != 0) {
        return -1;
    }
    *used = 4;
    if (*cp >= 0xD800 && *cp <= 0xDBFF && end - p >= 10 && p[4] == '\\' &&
        p[5] == 'u' && hex4(p + 6, &lo) == 0 && lo >= 0xDC00 && lo <= 0xDFFF) {
        *cp = 0x10000 + ((*cp - 0xD800) << 10) + (lo - 0xDC00);
        *used = 10;
    }
    if (*cp >= 0xD800 && *cp <= 0xDFFF) {
        *cp = 0xFFFD; /* a lone surrogate */
    }
    return 0;
}

size_t
sim_json_put_utf8(char *d, unsigned cp)
{
    if (cp < 0x80) {
        d[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        d[0] = (char)(0xC0 | (cp >> 6));
        d[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        d[0] = (char)(0xE0 | (cp >> 12));
        d[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        d[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    d[0] = (char)(0xF0 | (cp >> 18));
    d[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    d[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    d[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* A string at j->p (the opening quote), decoded to `d`, which has room
 * for the rest of the text. *n gets its length; NUL-terminated. */
static int
string_at(struct fj *j, char *d, size_t *n)
{
    size_t k = 0;

    if (j->p >= j->end || *j->p != '"') {
        return fail(j, "expected a string");
    }
    j->p++;
    for (;;) {
        unsigned char c;

        if (j->p >= j->end) {
            return fail(j, "unterminated string");
        }
        c = (unsigned char)*j->p++;
        if (c == '"') {
            break;
        }
        if (c < 0x20) {
            return fail(j, "control character in a string");
        }
        if (c != '\\') {
            d[k++] = (char)c;
            continue;
        }
        if (j->p >= j->end) {
            return fail(j, "unterminated string");
        }
        c = (unsigned char)*j->p++;
        switch (c) {
        case '"':
        case '\\':
        case '/':
            d[k++] = (char)c;
            break;
        case 'b':
            d[k++] = '\b';
            break;
        case 'f':
            d[k++] = '\f';
            break;
        case 'n':
            d[k++] = '\n';
            break;
        case 'r':
            d[k++] = '\r';
            break;
        case 't':
            d[k++] = '\t';
            break;
        case 'u': {
            unsigned cp;
            size_t used;

            if (sim_json_u_escape(j->p, j->end, &cp, &used) != 0 || cp == 0) {
                return fail(j, "bad \\u escape");
            }
            j->p += used;
            k += sim_json_put_utf8(d + k, cp);
            break;
        }
        default:
            return fail(j, "bad escape in a string");
        }
    }
    d[k] = '\0';
    *n = k;
    return 0;
}

/* A JSON number, strictly: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int
number_at(struct fj *j, double *out)
{
    const char *s = j->p;
    char buf[64];
    char *endp = NULL;
    size_t len;

    if (j->p < j->end && *j->p == '-') {
        j->p++;
    }
    if (j->p < j->end && *j->p == '0') {
        j->p++;
    } else if (j->p < j->end && *j->p >= '1' && *j->p <= '9') {
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9') {
            j->p++;
        }
    } else {
        return fail(j, "expected a value");
    }
    if (j->p < j->end && *j->p == '.') {
        j->p++;
        if (j->p >= j->end || *j->p < '0' || *j->p > '9') {
            return fail(j, "bad number");
        }
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9') {
            j->p++;
        }
    }
    if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
        j->p++;
        if (j->p < j->end && (*j->p == '+' || *j->p == '-')) {
            j->p++;
        }
        if (j->p >= j->end || *j->p < '0' || *j->p > '9') {
            return fail(j, "bad number");
        }
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9') {
            j->p++;
        }
    }
    len = (size_t)(j->p - s);
    if (len >= sizeof(buf)) {
        return fail(j, "number too long");
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    errno = 0;
    *out = strtod(buf, &endp);
    if (endp != buf + len || errno == ERANGE || !isfinite(*out)) {
        return fail(j, "number out of range");
    }
    return 0;
}

static int
word_at(struct fj *j, const char *w)
{
    size_t n = strlen(w);

    if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n) != 0) {
        return 0;
    }
    j->p += n;
    return 1;
}

/* One value into *v; strings (and an array's strings) go to `scratch`. */
static int
value_at(struct fj *j, struct sim_json_value *v, char *scratch)
{
    size_t n;
    int rc;

    memset(v, 0, sizeof(*v));
    ws(j);
    if (j->p >= j->end) {
        return fail(j, "expected a value");
    }
    if (*j->p == '"') {
        v->type = SIM_JSON_STRING;
        v->string = scratch;
        return string_at(j, scratch, &n);
    }
    if (*j->p == '[') {
        size_t used = 0;

        j->p++;
        v->type = SIM_JSON_ARRAY;
        v->string = scratch;
        scratch[0] = '\0';
        ws(j);
        if (j->p < j->end && *j->p == ']') {
            j->p++;
            return 0;
        }
        for (;;) {
            ws(j);
            rc = string_at(j, scratch + used, &n);
            if (rc != 0) {
                return rc;
            }
            used += n + 1;
            v->n++;
            ws(j);
            if (j->p < j->end && *j->p == ',') {
                j->p++;
                continue;
            }
            if (j->p < j->end && *j->p == ']') {
                j->p++;
                return 0;
            }
            return fail(j, "expected , or ] in an array of strings");
        }
    }
    if (*j->p == '{') {
        return fail(j, "nested object");
    }
    if (word_at(j, "true")) {
        v->type = SIM_JSON_BOOL;
        v->boolean = 1;
        return 0;
    }
    if (word_at(j, "false")) {
        v->type = SIM_JSON_BOOL;
        return 0;
    }
    if (word_at(j, "null")) {
        v->type = SIM_JSON_NULL;
        return 0;
    }
    v->type = SIM_JSON_NUMBER;
    return number_at(j, &v->number);
}

int
sim_flatjson_parse(const char *text, size_t len,
                   int (*member)(const char *key,
                                 const struct sim_json_value *v, void *ctx,
                                 char *err, size_t errlen),
                   void *ctx, char *err, size_t errlen)
{
    struct fj j;
    struct sim_json_value v;
    char *key = NULL;
    char *scratch = NULL;
    size_t n;
    int rc;

    j.p = text;
    j.start = text;
    j.end = text + len;
    j.err = err;
    j.errlen = errlen;
    if (memchr(text, '\0', len) != NULL) {
        j.p = memchr(text, '\0', len);
        return fail(&j, "NUL byte");
    }
    /* Room for any decoded string of the text, and an array's NULs. */
    key = malloc(len + 1);
    scratch = malloc(len + 1);
    if (key == NULL || scratch == NULL) {
        free(key);
        free(scratch);
        (void)snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    ws(&j);
    if (j.p >= j.end || *j.p != '{') {
        rc = fail(&j, "expected a JSON object");
        goto out;
    }
    j.p++;
    ws(&j);
    if (j.p < j.end && *j.p == '}') {
        j.p++;
        goto tail;
    }
    for (;;) {
        ws(&j);
        rc = string_at(&j, key, &n);
        if (rc != 0) {
            goto out;
        }
        ws(&j);
        if (j.p >= j.end || *j.p != ':') {
            rc = fail(&j, "expected : after a key");
            goto out;
        }
        j.p++;
        rc = value_at(&j, &v, scratch);
        if (rc != 0) {
            goto out;
        }
        rc = member(key, &v, ctx, err, errlen);
        if (rc != 0) {
            goto out;
        }
        ws(&j);
        if (j.p < j.end && *j.p == ',') {
            j.p++;
            continue;
        }
        if (j.p < j.end && *j.p == '}') {
            j.p++;
            break;
        }
        rc = fail(&j, "expected , or } in the object");
        goto out;
    }
tail:
    ws(&j);
    rc = j.p == j.end ? 0 : fail(&j, "text after the object");
out:
    free(key);
    free(scratch);
    return rc;
}

void
sim_json_string(FILE *f, const char *s)
{
    putc('"', f);
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;

        if (c == '"' || c == '\\') {
            putc('\\', f);
            putc(c, f);
        } else if (c < 0x20) {
            fprintf(f, "\\u%04x", c);
        } else {
            putc(c, f);
        }
    }
    putc('"', f);
}
