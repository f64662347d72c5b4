/*
 * body.c - what the loopback latency server answers: the HTML body of a
 * page and whether (and how) the page fails. Both are pure functions of
 * (seed, page), so a client can check every byte it received, and a run
 * against the embedded server can be repeated exactly.
 *
 * A body is an IMDb-like "top 250" page: a doctype, a head, and a table of
 * movies (rank, title, year, rating). Rows come from a splitmix64 stream
 * seeded by mixing (seed, page); rows are appended while they fit, then
 * spaces (with a newline every 64 bytes) pad the table so that the closing
 * tags end exactly at `size`. A size too small for the head and the
 * closing tags gets the head and the closing tags cut off at `size`. The
 * output is pure printable ASCII plus '\n', so it is valid UTF-8 and
 * decoding it is trivial.
 *
 * Failures draw from two other streams of the same mix (salted), one for
 * "does it fail" and one for "which kind", so changing fail_rate changes
 * which pages fail but never how a failing page fails.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base.h"
#include "wl.h"

/* Salts that keep the body, failure and kind streams apart. */
#define SALT_BODY UINT64_C(0x626f6479)
#define SALT_FAIL UINT64_C(0x6661696c)
#define SALT_KIND UINT64_C(0x6b696e64)

/* Room for one table row; the longest row is about 110 bytes. */
#define ROW_MAX 192

static const char FOOTER[] = "</table>\n</body>\n</html>\n";

static const char *const ADJECTIVES[] = {
    "Silent", "Crimson",  "Last",   "Broken", "Golden",  "Hidden",
    "Lonely", "Electric", "Frozen", "Wild",   "Distant", "Midnight",
    "Bitter", "Shining",  "Lost",   "Iron",
};

static const char *const NOUNS[] = {
    "River",  "Empire",   "Garden",   "Station",  "Horizon", "Kingdom",
    "Letter", "Harbor",   "Machine",  "Desert",   "Mirror",  "Orchard",
    "Voyage", "Fortress", "Symphony", "Stranger",
};

static const char *const TAILS[] = {
    "",
    "",
    "",
    "",
    " Returns",
    " Part II",
    " of the North",
    " at Dawn",
    " in Winter",
    " Forever",
    " and the Sea",
    " Reloaded",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* The start of the stream for (seed, page, salt): seeds that differ in
 * any of the three give unrelated streams. */
static uint64_t
mix(uint64_t seed, int64_t page, uint64_t salt)
{
    uint64_t state = seed ^ salt;
    uint64_t out;

    out = base_splitmix64(&state);
    state = out ^ (uint64_t)page;
    out = base_splitmix64(&state);
    return out;
}

/* A draw in [0, 1) with 53 bits. */
static double
unit_draw(uint64_t x)
{
    return (double)(x >> 11) * (1.0 / 9007199254740992.0);
}

/* Copy what fits of `s` to out[*pos..cap); advance *pos. */
static void
put(char *out, uint64_t cap, uint64_t *pos, const char *s, size_t n)
{
    uint64_t room = cap - *pos;

    if (n > room) {
        n = (size_t)room;
    }
    if (n == 0) {
        return; /* out may be NULL when size is 0 */
    }
    memcpy(out + *pos, s, n);
    *pos += n;
}

/* The rank after r, wrapping at the ends of int64_t as two's complement
 * does (a page of INT64_MAX is a request like any), without the signed
 * overflow that `r + 1` would be. */
static int64_t
next_rank(int64_t r)
{
    return r == INT64_MAX ? INT64_MIN : r + 1;
}

/* s at p; the end. */
static char *
put_text(char *p, const char *s)
{
    size_t n = strlen(s);

    memcpy(p, s, n);
    return p + n;
}

/* v in decimal at p; the end. */
static char *
put_int(char *p, int64_t v)
{
    char digits[24];
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    size_t n = 0;

    do {
        digits[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (v < 0) {
        *p++ = '-';
    }
    while (n > 0) {
        *p++ = digits[--n];
    }
    return p;
}

/* Format one row into row[ROW_MAX]; returns its length. Written by hand,
 * not with snprintf, which was most of the server's time on large
 * bodies; the bytes are those of the format
 * "<tr><td class=\"rank\">%lld</td><td class=\"title\">The %s %s%s</td>"
 * "<td>%d</td><td>%d.%d</td></tr>\n" (tests/test_server.c checks). The
 * longest row (a 20-character rank, the longest words) is 132 bytes. */
static size_t
format_row(uint64_t *state, int64_t rank, char *row)
{
    uint64_t r = base_splitmix64(state);
    const char *adj = ADJECTIVES[r % COUNT(ADJECTIVES)];
    const char *noun = NOUNS[(r >> 8) % COUNT(NOUNS)];
    const char *tail = TAILS[(r >> 16) % COUNT(TAILS)];
    int year = 1921 + (int)((r >> 24) % 104);
    int rating = 70 + (int)((r >> 40) % 24); /* 7.0 .. 9.3, in tenths */
    char *p = row;

    p = put_text(p, "<tr><td class=\"rank\">");
    p = put_int(p, rank);
    p = put_text(p, "</td><td class=\"title\">The ");
    p = put_text(p, adj);
    *p++ = ' ';
    p = put_text(p, noun);
    p = put_text(p, tail);
    p = put_text(p, "</td><td>");
    p = put_int(p, year);
    p = put_text(p, "</td><td>");
    *p++ = (char)('0' + rating / 10);
    *p++ = '.';
    *p++ = (char)('0' + rating % 10);
    p = put_text(p, "</td></tr>\n");
    return (size_t)(p - row);
}

void
wl_server_page_body(uint64_t seed, int64_t page, uint64_t size, char *out)
{
    char head[512];
    char row[ROW_MAX];
    uint64_t state = mix(seed, page, SALT_BODY);
    uint64_t pos = 0;
    uint64_t end;
    size_t head_len;
    size_t footer_len = sizeof(FOOTER) - 1;
    int64_t rank = next_rank(page);
    int n;

    n = snprintf(head, sizeof(head),
                 "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
                 "<meta charset=\"utf-8\">\n"
                 "<title>Top 250 movies, from %lld</title>\n</head>\n"
                 "<body>\n<h1>Top 250 movies, from %lld</h1>\n"
                 "<table>\n<tr><th>Rank</th><th>Title</th><th>Year</th>"
                 "<th>Rating</th></tr>\n",
                 (long long)rank, (long long)rank);
    head_len = n < 0 ? 0 : (size_t)n;
    if (head_len >= sizeof(head)) {
        head_len = sizeof(head) - 1;
    }

    if (size < head_len + footer_len) {
        /* Too small for the structure: as much of it as fits. */
        put(out, size, &pos, head, head_len);
        put(out, size, &pos, FOOTER, footer_len);
        return;
    }

    put(out, size, &pos, head, head_len);
    end = size - footer_len; /* where the closing tags begin */
    for (;;) {
        size_t len = format_row(&state, rank, row);

        if (len == 0 || len > end - pos) {
            break;
        }
        put(out, end, &pos, row, len);
        rank = next_rank(rank);
    }
    /* Pad between the last row and the closing tags; whitespace there is
     * valid HTML. A newline every 64 bytes keeps lines short. */
    while (pos < end) {
        out[pos] = (pos % 64 == 63) ? '\n' : ' ';
        pos++;
    }
    put(out, size, &pos, FOOTER, footer_len);
}

int
wl_server_page_fails(uint64_t seed, double fail_rate, int64_t page, int *kind)
{
    int fails;

    if (fail_rate >= 1.0) {
        fails = 1;
    } else if (fail_rate > 0.0) {
        fails = unit_draw(mix(seed, page, SALT_FAIL)) < fail_rate;
    } else {
        fails = 0; /* also NaN */
    }
    if (kind != NULL) {
        *kind = fails ? 1 + (int)(mix(seed, page, SALT_KIND) % 3) : 0;
    }
    return fails;
}
