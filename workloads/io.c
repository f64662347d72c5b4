/*
 * io.c - a thread's I/O state (struct wl_io, like a requests.Session):
 * libcurl's global setup, URL templates, and the easy handle and body
 * buffer that fetch.c and write.c use.
 *
 * wl_io_new copies the configuration, checks the URL template with
 * libcurl's own parser (curl_url_set, so a URL that libcurl would refuse
 * is refused before a run starts, not at its first fetch), creates one
 * easy handle with the options every fetch shares, preallocates the body
 * buffer and creates out_dir. Reusing that one handle for every fetch is
 * what gives keep-alive: libcurl keeps the connection in the handle's
 * cache and picks it up again for the next request to the same host.
 *
 * The per-fetch options (URL, and the per-transfer state passed with
 * CURLOPT_PRIVATE, CURLOPT_WRITEDATA, CURLOPT_XFERINFODATA and
 * CURLOPT_DEBUGDATA) are set by
 * fetch.c for each transfer; the callbacks are installed here once.
 *
 * Includes wl_internal.h and libcurl; knows nothing of the GIL.
 */
#include "wl.h"
#include "wl_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <curl/curl.h>

/* The body buffer's first size: one 64 KiB page needs no growing. */
#define BODY_INITIAL (64 * 1024)
/* libcurl's receive buffer: the most bytes one write callback gets. */
#define RECV_BUFFER 8192
/* "{page}" and the most digits an int64_t needs, with its sign. */
#define PAGE_TOKEN     "{page}"
#define PAGE_TOKEN_LEN 6
#define PAGE_DIGITS    20
/* The sizes of struct wl_io_config's two strings. */
#define URL_TEMPLATE_MAX sizeof(((struct wl_io_config *)0)->url_template)
#define OUT_DIR_MAX      sizeof(((struct wl_io_config *)0)->out_dir)

/*
 * curl_global_init is not thread-safe in every libcurl build (before
 * 7.84.0, and in builds without atomics, it is not), so it must run once
 * on the main thread before any thread starts. libcurl counts calls, so
 * a second init is harmless as long as each one is paired with a cleanup.
 */
int
wl_io_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -EIO;
}

void
wl_io_global_cleanup(void)
{
    curl_global_cleanup();
}

long
wl__io_expand(const char *tpl, int64_t page, char *out, size_t cap)
{
    char digits[PAGE_DIGITS + 2];
    size_t n_digits;
    size_t len = 0;
    const char *p = tpl;
    const char *hit;
    size_t piece;

    snprintf(digits, sizeof(digits), "%" PRId64, page);
    n_digits = strlen(digits);
    for (;;) {
        hit = strstr(p, PAGE_TOKEN);
        piece = hit != NULL ? (size_t)(hit - p) : strlen(p);
        if (piece >= cap - len) {
            return -1;
        }
        memcpy(out + len, p, piece);
        len += piece;
        if (hit == NULL) {
            break;
        }
        if (n_digits >= cap - len) {
            return -1;
        }
        memcpy(out + len, digits, n_digits);
        len += n_digits;
        p = hit + PAGE_TOKEN_LEN;
    }
    out[len] = '\0';
    return (long)len;
}

long
wl__io_step_url(const char *tpl, const struct wl_step *s, char *out, size_t cap)
{
    long len = wl__io_expand(tpl, s->page, out, cap);
    int n;

    if (len < 0 || (s->fetch_own & (WL_FETCH_LATENCY | WL_FETCH_SIZE)) == 0) {
        return len;
    }
    /* The embedded server's template has its query already; a URL that
     * has none gets one. */
    n = snprintf(out + len, cap - (size_t)len, "%c",
                 strchr(out, '?') ? '&' : '?');
    len += n;
    if (s->fetch_own & WL_FETCH_LATENCY) {
        n = snprintf(out + len, cap - (size_t)len, "latency_us=%" PRId64 "%s",
                     s->latency_ns / 1000,
                     s->fetch_own & WL_FETCH_SIZE ? "&" : "");
        if (n < 0 || (size_t)n >= cap - (size_t)len) {
            return -1;
        }
        len += n;
    }
    if (s->fetch_own & WL_FETCH_SIZE) {
        n = snprintf(out + len, cap - (size_t)len, "size=%" PRIu64,
                     s->body_bytes);
        if (n < 0 || (size_t)n >= cap - (size_t)len) {
            return -1;
        }
        len += n;
    }
    return len;
}

/* The buffer size wl__io_step_url needs for `tpl` at any page and step. */
static size_t
expanded_cap(const char *tpl)
{
    size_t tokens = 0;
    const char *p = tpl;

    while ((p = strstr(p, PAGE_TOKEN)) != NULL) {
        tokens++;
        p += PAGE_TOKEN_LEN;
    }
    return strlen(tpl) + tokens * PAGE_DIGITS + WL__URL_EXTRA + 1;
}

/* A host name or address as DNS and libcurl take it: ASCII letters,
 * digits, '.', '-', '_', and an IPv6 address's brackets and colons. */
static int
plain_host(const char *h)
{
    for (; *h != '\0'; h++) {
        unsigned char c = (unsigned char)*h;

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_' ||
              c == '[' || c == ']' || c == ':')) {
            return 0;
        }
    }
    return 1;
}

static void
set_why(char *why, size_t whylen, const char *text)
{
    if (why != NULL && whylen > 0) {
        snprintf(why, whylen, "%s", text);
    }
}

int
wl_io_url_ok(const char *url_template, char *why, size_t whylen)
{
    char *url;
    size_t cap;
    CURLU *h = NULL;
    CURLUcode uc;
    char *scheme = NULL;
    char *host = NULL;
    int ok = 0;

    if (url_template == NULL || url_template[0] == '\0') {
        set_why(why, whylen, "empty URL");
        return 0;
    }
    if (strlen(url_template) >= URL_TEMPLATE_MAX) {
        set_why(why, whylen, "URL longer than 2047 bytes");
        return 0;
    }
    cap = expanded_cap(url_template);
    url = malloc(cap);
    if (url != NULL) {
        wl__io_expand(url_template, 0, url, cap); /* fits: cap is enough */
        h = curl_url();
    }
    if (h == NULL) {
        set_why(why, whylen, "out of memory");
        goto out;
    }
    /* libcurl reads "http:///path" as the host "path"; a URL whose
     * authority is empty is refused here instead. */
    if (strstr(url, ":///") != NULL) {
        set_why(why, whylen, "no host (three slashes after the scheme)");
        goto out;
    }
    /* Flags 0: no default scheme, so "example.com/x" is refused rather
     * than guessed to be http. */
    uc = curl_url_set(h, CURLUPART_URL, url, 0);
    if (uc == CURLUE_BAD_SCHEME && strstr(url, "://") == NULL) {
        set_why(why, whylen, "no scheme: start with http:// or https://");
        goto out;
    }
    if (uc != CURLUE_OK) {
        set_why(why, whylen, curl_url_strerror(uc));
        goto out;
    }
    uc = curl_url_get(h, CURLUPART_SCHEME, &scheme, 0);
    if (uc != CURLUE_OK) {
        set_why(why, whylen, curl_url_strerror(uc));
        goto out;
    }
    if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
        set_why(why, whylen, "scheme is not http or https");
        goto out;
    }
    uc = curl_url_get(h, CURLUPART_HOST, &host, 0);
    if (uc != CURLUE_OK || host[0] == '\0') {
        set_why(why, whylen, "no host");
        goto out;
    }
    if (!plain_host(host)) {
        set_why(why, whylen,
                "the host is not a name or an address of ASCII letters, "
                "digits, '.', '-' (a name in another script: its xn-- form)");
        goto out;
    }
    ok = 1;
    set_why(why, whylen, "");
out:
    curl_free(host);
    curl_free(scheme);
    curl_url_cleanup(h);
    free(url);
    return ok;
}

/* mkdir -p: create `path` and its missing parents. 0 or -errno; an
 * existing directory is fine, an existing non-directory is -ENOTDIR. */
int
wl__make_dirs(const char *path)
{
    char buf[OUT_DIR_MAX];
    struct stat st;
    size_t len = strlen(path);
    size_t i;

    if (len >= sizeof(buf)) {
        return -ENAMETOOLONG;
    }
    memcpy(buf, path, len + 1);
    /* Every '/' after the first character ends a parent; the loop's last
     * turn (i == len) makes the directory itself. */
    for (i = 1; i <= len; i++) {
        if (buf[i] != '/' && buf[i] != '\0') {
            continue;
        }
        buf[i] = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
            return -errno;
        }
        buf[i] = path[i];
    }
    if (stat(path, &st) != 0) {
        return -errno;
    }
    return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

/* Milliseconds for libcurl, rounded up so a 0.5 ms timeout is not 0
 * (which libcurl reads as "no timeout"). */
static long
ms_of_ns(int64_t ns)
{
    int64_t ms = (ns + 999999) / 1000000;

    return ms > LONG_MAX ? LONG_MAX : (long)ms;
}

/* The options every fetch shares, for a handle of a struct wl_io or of a
 * transfer of multi.c. The callbacks live in fetch.c (multi.c replaces
 * them with its own); their data pointers are set per transfer. */
int
wl__io_setup_easy(CURL *c, const struct wl_io_config *cfg, char *errbuf)
{
    int bad = 0; /* 1 once an option was refused */

    bad |= curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK;
    /* No SIGALRM for DNS timeouts: we run on many threads. */
    bad |= curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
    bad |= curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                            ms_of_ns(cfg->connect_timeout_ns)) != CURLE_OK;
    bad |= curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ms_of_ns(cfg->timeout_ns)) !=
           CURLE_OK;
    bad |= curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, wl__fetch_write_cb) !=
           CURLE_OK;
    bad |= curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION,
                            wl__fetch_xferinfo_cb) != CURLE_OK;
    bad |= curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L) != CURLE_OK;
    /* requests follows redirects, but the server never sends one, and a
     * redirect would be a second request the model does not count. */
    bad |= curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK;
    bad |= curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L) != CURLE_OK;
    /* http.client reads through an 8 KiB BufferedReader, so CPython makes
     * one recv (one GIL release) per 8 KiB: strace of requests fetching a
     * 64 KiB page shows 9 recvfrom. libcurl's default 16 KiB buffer would
     * deliver half as many chunks, and so half the GIL re-takes. */
    bad |=
        curl_easy_setopt(c, CURLOPT_BUFFERSIZE, (long)RECV_BUFFER) != CURLE_OK;
    bad |= curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK;
    /* The options above cannot fail with a valid handle except for lack
     * of memory or an old libcurl; either way the handle is unusable. */
    return bad ? -ENOMEM : 0;
}

int
wl_io_new(const struct wl_io_config *cfg, struct wl_io **out)
{
    struct wl_io *io;
    int rc;

    if (cfg == NULL || out == NULL) {
        return -EINVAL;
    }
    if (memchr(cfg->url_template, '\0', sizeof(cfg->url_template)) == NULL ||
        memchr(cfg->out_dir, '\0', sizeof(cfg->out_dir)) == NULL) {
        return -EINVAL; /* not terminated */
    }
    if (!wl_io_url_ok(cfg->url_template, NULL, 0) ||
        cfg->connect_timeout_ns <= 0 || cfg->timeout_ns <= 0 ||
        cfg->max_body == 0 || cfg->request_instructions < 0 ||
        cfg->after_send_instructions < 0 ||
        cfg->after_send_instructions > cfg->request_instructions ||
        cfg->quick_releases < 0 || cfg->quick_releases > 64 ||
        cfg->chunk_instructions < 0 || !(cfg->write_instr_per_byte >= 0.0) ||
        cfg->max_connections < 0) {
        return -EINVAL;
    }
    io = calloc(1, sizeof(*io));
    if (io == NULL) {
        return -ENOMEM;
    }
    io->cfg = *cfg;
    io->url_cap = expanded_cap(cfg->url_template);
    io->url = malloc(io->url_cap);
    if (io->url == NULL) {
        rc = -ENOMEM;
        goto fail_free;
    }
    io->body_cap = cfg->max_body < BODY_INITIAL ? (size_t)cfg->max_body
                                                : (size_t)BODY_INITIAL;
    io->body = malloc(io->body_cap);
    if (io->body == NULL) {
        rc = -ENOMEM;
        goto fail_url;
    }
    io->curl = curl_easy_init();
    if (io->curl == NULL) {
        rc = -ENOMEM;
        goto fail_body;
    }
    rc = wl__io_setup_easy(io->curl, &io->cfg, io->errbuf);
    if (rc != 0) {
        goto fail_curl;
    }
    /* Where fetch.c releases and retakes the GIL: around a name lookup
     * and a connect, and around the send (the debug callback marks its
     * end; libcurl calls it only in verbose mode, and prints nothing
     * itself then). */
    if (curl_easy_setopt(io->curl, CURLOPT_DEBUGFUNCTION, wl__fetch_debug_cb) !=
            CURLE_OK ||
        curl_easy_setopt(io->curl, CURLOPT_VERBOSE, 1L) != CURLE_OK ||
        curl_easy_setopt(io->curl, CURLOPT_RESOLVER_START_FUNCTION,
                         wl__fetch_resolver_start_cb) != CURLE_OK ||
        curl_easy_setopt(io->curl, CURLOPT_SOCKOPTFUNCTION,
                         wl__fetch_sockopt_cb) != CURLE_OK ||
        curl_easy_setopt(io->curl, CURLOPT_PREREQFUNCTION,
                         wl__fetch_prereq_cb) != CURLE_OK) {
        rc = -ENOMEM;
        goto fail_curl;
    }
    if (cfg->out_dir[0] != '\0') {
        rc = wl__make_dirs(cfg->out_dir);
        if (rc != 0) {
            goto fail_curl;
        }
    }
    *out = io;
    return 0;
fail_curl:
    curl_easy_cleanup(io->curl);
fail_body:
    free(io->body);
fail_url:
    free(io->url);
fail_free:
    free(io);
    return rc;
}

void
wl_io_free(struct wl_io *io)
{
    if (io == NULL) {
        return;
    }
    curl_easy_cleanup(io->curl); /* closes the kept-alive connection */
    free(io->body);
    free(io->url);
    free(io);
}

const char *
wl_io_body(const struct wl_io *io, size_t *len)
{
    if (io == NULL || !io->body_ok) {
        if (len != NULL) {
            *len = 0;
        }
        return NULL;
    }
    if (len != NULL) {
        *len = io->body_len;
    }
    return io->body;
}
