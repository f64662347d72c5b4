/*
 * fetch.c - the fetch step: one HTTP GET through the thread's libcurl easy
 * handle, with the GIL released and taken back as CPython's requests does
 * it. The order of those calls, and the Python work between them, is the
 * choreography of fetch_gil.c; this file calls its phases from the
 * moments libcurl reports:
 *
 *   1. wl_fetch_gil_request, before curl_easy_perform: the request's
 *      Python work, cut by quick releases (a stat() of a file that does
 *      not exist, the shape of requests' os.stat of ~/.netrc).
 *   2. curl_easy_perform starts under the GIL: libcurl's own work before
 *      the send (picking up the kept-alive connection, building the
 *      request) stands for http.client's, which is Python. A name lookup
 *      (CURLOPT_RESOLVER_START_FUNCTION) and a new connection's connect
 *      (CURLOPT_SOCKOPTFUNCTION, called before the connect) are
 *      wl_fetch_gil_block.
 *   3. CURLOPT_PREREQFUNCTION, right before the request is written, is
 *      wl_fetch_gil_send; libcurl's debug callback with
 *      CURLINFO_HEADER_OUT, right after the send() returned, is
 *      wl_fetch_gil_sent.
 *   4. The reply's first header line (the debug callback's first
 *      CURLINFO_HEADER_IN) is wl_fetch_gil_reply: the GIL is taken back
 *      as CPython's recv_into returns, and libcurl parses the headers
 *      with it held, as http.client does in Python.
 *      Each chunk libcurl hands to the write callback (on this thread,
 *      inside curl_easy_perform) is wl_fetch_gil_chunk, then the chunk is
 *      appended to the body, then wl_fetch_gil_chunk_done: the chunk
 *      completes the body when the Content-Length is reached.
 *   5. curl_easy_perform returns: wl_fetch_gil_end.
 *
 * The transfer's state (struct fetch) lives on this step's stack and
 * travels with the easy handle: CURLOPT_PRIVATE, CURLOPT_WRITEDATA,
 * CURLOPT_XFERINFODATA, CURLOPT_DEBUGDATA and the lookup, socket and
 * prereq callbacks' data all point at it for the length of the transfer
 * and are cleared before the step returns, so the handle never keeps a
 * pointer to a dead frame. Its `gil` says whether the transfer holds the
 * GIL, so each callback releases or retakes it only when it must.
 *
 * env->stop is honoured before the request, between chunks (the chunk
 * work's cpu loop reads it) and while libcurl waits: the progress
 * callback (CURLOPT_XFERINFOFUNCTION) returns nonzero when the flag is
 * set, and libcurl aborts the transfer. While nothing arrives libcurl
 * calls it about once a second (its poll timeout), so an abort during a
 * stalled reply takes up to ~1 s. That callback runs with or without the
 * GIL and must not touch it.
 *
 * A failed fetch leaves no body (wl_io_body answers NULL), so the decode
 * and write steps after it see that it failed.
 */
#include "base.h"
#include "wl.h"
#include "wl_internal.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <curl/curl.h>

/* One transfer's state, shared with libcurl's callbacks. */
struct fetch {
    const struct wl_env *env;
    struct wl_io *io;
    int aborted;    /* 1: stopped by env->stop (not a failure) */
    int too_big;    /* 1: the body passed cfg.max_body */
    int no_memory;  /* 1: growing the body failed */
    int64_t chunks; /* write callbacks so far */
    int sent;       /* 1: the request went out and the GIL was retaken */
    int replied;    /* 1: the reply's first header line arrived */
    struct wl_fetch_gil gil; /* where the transfer is with the GIL */
};

static int
stop_requested(const struct wl_env *env)
{
    return env->stop != NULL &&
           atomic_load_explicit(env->stop, memory_order_relaxed) != 0;
}

/* The choreography's operations on this thread (ctx: the step's env). */
static void
env_release(void *ctx)
{
    const struct wl_env *env = ctx;

    if (env->release != NULL) {
        env->release(env->ctx);
    }
}

static void
env_acquire(void *ctx)
{
    const struct wl_env *env = ctx;

    if (env->acquire != NULL) {
        env->acquire(env->ctx);
    }
}

static enum wl_outcome
env_work(void *ctx, int64_t instructions)
{
    return wl__cpu_instructions(ctx, instructions, NULL);
}

static int64_t
env_now(void *ctx)
{
    (void)ctx;
    return base_now_ns();
}

/* No such file: stat() fails at once, as requests' ~/.netrc lookup does. */
#define QUICK_PATH "/nonexistent-gilsim-dir/.netrc"

static void
quick_stat(void *ctx)
{
    struct stat st;

    (void)ctx;
    (void)stat(QUICK_PATH, &st);
}

/* Make room for `more` bytes after body_len, doubling up to max_body. 0,
 * or -1 with the reason recorded in f. */
static int
body_reserve(struct fetch *f, size_t more)
{
    struct wl_io *io = f->io;
    size_t need;
    size_t cap;
    char *p;

    if (more > io->cfg.max_body - io->body_len) {
        f->too_big = 1; /* body_len <= max_body always holds */
        return -1;
    }
    need = io->body_len + more;
    if (need <= io->body_cap) {
        return 0;
    }
    cap = io->body_cap;
    while (cap < need) {
        cap = cap > io->cfg.max_body / 2 ? io->cfg.max_body : cap * 2;
    }
    p = realloc(io->body, cap);
    if (p == NULL) {
        f->no_memory = 1;
        return -1;
    }
    io->body = p;
    io->body_cap = cap;
    return 0;
}

/* 1 if the body now holds all of the Content-Length the server sent. */
static int
body_complete(const struct fetch *f)
{
    curl_off_t length = -1;

    if (curl_easy_getinfo(f->io->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T,
                          &length) != CURLE_OK) {
        return 0;
    }
    return length >= 0 && (curl_off_t)f->io->body_len == length;
}

/*
 * CURLOPT_WRITEFUNCTION: called on the fetching thread, inside
 * curl_easy_perform, with the GIL released. Returning less than
 * size * nmemb makes libcurl abort with CURLE_WRITE_ERROR.
 */
size_t
wl__fetch_write_cb(char *ptr, size_t size, size_t nmemb, void *data)
{
    struct fetch *f = data;
    size_t n = size * nmemb; /* size is always 1 for this callback */
    enum wl_outcome o;
    size_t taken = n;

    f->chunks++;
    o = wl_fetch_gil_chunk(&f->gil, n);
    if (o == WL_ABORTED) {
        f->aborted = 1;
        taken = 0;
    } else if (o != WL_OK || body_reserve(f, n) != 0) {
        taken = 0;
    } else {
        memcpy(f->io->body + f->io->body_len, ptr, n);
        f->io->body_len += n;
    }
    /* The GIL is released for the next recv(), or libcurl's cleanup. */
    wl_fetch_gil_chunk_done(&f->gil, taken != 0 && body_complete(f));
    return taken;
}

/*
 * CURLOPT_DEBUGFUNCTION (with CURLOPT_VERBOSE): libcurl reports what it
 * does; CURLINFO_HEADER_OUT comes right after the request was written to
 * the socket. Called on the fetching thread, inside curl_easy_perform,
 * with or without the GIL. The first CURLINFO_HEADER_OUT of a transfer
 * takes the GIL back, runs the work between send and recv, and releases
 * it again (step 3 above); every other call is ignored, and nothing is
 * printed.
 */
int
wl__fetch_debug_cb(CURL *c, curl_infotype type, char *ptr, size_t size,
                   void *data)
{
    struct fetch *f = data;

    (void)c;
    (void)ptr;
    (void)size;
    if (f != NULL && type == CURLINFO_HEADER_IN && f->sent && !f->replied) {
        /* The status line arrived: recv_into returned. libcurl parses
         * the headers next; http.client does that in Python, GIL held. */
        f->replied = 1;
        wl_fetch_gil_reply(&f->gil);
        return 0;
    }
    if (f == NULL || type != CURLINFO_HEADER_OUT || f->sent) {
        return 0; /* not one of our transfers, or not the send */
    }
    f->sent = 1;
    if (wl_fetch_gil_sent(&f->gil) == WL_ABORTED) {
        f->aborted = 1; /* the progress callback ends the transfer */
    }
    return 0;
}

/*
 * CURLOPT_RESOLVER_START_FUNCTION: a name lookup begins (getaddrinfo on
 * CPython, which releases the GIL). Called with or without the GIL.
 */
int
wl__fetch_resolver_start_cb(void *resolver_state, void *reserved, void *data)
{
    (void)resolver_state;
    (void)reserved;
    if (data != NULL) {
        wl_fetch_gil_block(&((struct fetch *)data)->gil);
    }
    return 0;
}

/*
 * CURLOPT_SOCKOPTFUNCTION: a new socket, about to connect (connect() on
 * CPython, which releases the GIL). Called with or without the GIL.
 */
int
wl__fetch_sockopt_cb(void *data, curl_socket_t fd, curlsocktype purpose)
{
    (void)fd;
    (void)purpose;
    if (data != NULL) {
        wl_fetch_gil_block(&((struct fetch *)data)->gil);
    }
    return CURL_SOCKOPT_OK;
}

/*
 * CURLOPT_PREREQFUNCTION: the connection is ready (new or reused) and
 * the request goes out next. Under the GIL (a reused connection) or
 * without it (after a connect, which is then taken back first, as
 * CPython's create_connection() returns before sendall()), the GIL is
 * released for the send (step 3 above); the debug callback takes it
 * back once the request was written.
 */
int
wl__fetch_prereq_cb(void *data, char *primary_ip, char *local_ip,
                    int primary_port, int local_port)
{
    struct fetch *f = data;

    (void)primary_ip;
    (void)local_ip;
    (void)primary_port;
    (void)local_port;
    if (f != NULL) {
        wl_fetch_gil_send(&f->gil);
    }
    return CURL_PREREQFUNC_OK;
}

/*
 * CURLOPT_XFERINFOFUNCTION: called often during the transfer and about
 * once a second while it waits, with or without the GIL (it only reads
 * env->stop). Nonzero aborts the
 * transfer with CURLE_ABORTED_BY_CALLBACK.
 */
int
wl__fetch_xferinfo_cb(void *data, curl_off_t dltotal, curl_off_t dlnow,
                      curl_off_t ultotal, curl_off_t ulnow)
{
    struct fetch *f = data;

    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    if (f == NULL) {
        return 0; /* not one of our transfers */
    }
    if (stop_requested(f->env)) {
        f->aborted = 1;
        return 1;
    }
    return 0;
}

/* The outcome of a finished transfer. */
static enum wl_outcome
outcome_of(const struct fetch *f, CURLcode rc)
{
    if (f->aborted) {
        return WL_ABORTED;
    }
    return wl__fetch_outcome(f->io->curl, rc);
}

enum wl_outcome
wl__fetch_outcome(CURL *c, CURLcode rc)
{
    long status = 0;

    switch (rc) {
    case CURLE_OK:
        if (curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK) {
            return WL_FAILED;
        }
        return status >= 400 ? WL_HTTP_ERROR : WL_OK;
    case CURLE_COULDNT_CONNECT:
        return WL_REFUSED;
    case CURLE_OPERATION_TIMEDOUT:
        return WL_TIMEOUT;
    case CURLE_ABORTED_BY_CALLBACK:
        return WL_ABORTED;
    default:
        /* CURLE_PARTIAL_FILE (closed mid-body), CURLE_RECV_ERROR,
         * CURLE_GOT_NOTHING, CURLE_WRITE_ERROR (max_body, no memory)... */
        return WL_FAILED;
    }
}

/* Point the handle at this transfer's state, or at nothing (f NULL). */
static int
attach(struct wl_io *io, struct fetch *f)
{
    int bad = 0; /* 1 once an option was refused */

    bad |= curl_easy_setopt(io->curl, CURLOPT_PRIVATE, (void *)f) != CURLE_OK;
    bad |= curl_easy_setopt(io->curl, CURLOPT_WRITEDATA, (void *)f) != CURLE_OK;
    bad |=
        curl_easy_setopt(io->curl, CURLOPT_XFERINFODATA, (void *)f) != CURLE_OK;
    bad |= curl_easy_setopt(io->curl, CURLOPT_DEBUGDATA, (void *)f) != CURLE_OK;
    bad |= curl_easy_setopt(io->curl, CURLOPT_RESOLVER_START_DATA, (void *)f) !=
           CURLE_OK;
    bad |=
        curl_easy_setopt(io->curl, CURLOPT_SOCKOPTDATA, (void *)f) != CURLE_OK;
    bad |=
        curl_easy_setopt(io->curl, CURLOPT_PREREQDATA, (void *)f) != CURLE_OK;
    return bad ? -1 : 0;
}

enum wl_outcome
wl__fetch_step_run(const struct wl_step *s, const struct wl_env *env,
                   int64_t *arg_out)
{
    struct wl_io *io = env->io;
    struct wl_fetch_ops ops = {.release = env_release,
                               .acquire = env_acquire,
                               .now = env_now,
                               .work = env_work,
                               .quick_call = quick_stat,
                               .ctx = (void *)env};
    struct wl_fetch_costs costs;
    struct fetch f;
    enum wl_outcome o;
    CURLcode rc;

    if (io == NULL) {
        return WL_FAILED;
    }
    io->body_len = 0;
    io->body_ok = 0;
    if (stop_requested(env)) {
        return WL_ABORTED; /* still holding the GIL: nothing to undo */
    }
    if (wl__io_step_url(io->cfg.url_template, s, io->url, io->url_cap) < 0) {
        return WL_FAILED; /* cannot happen: url_cap fits any page */
    }
    memset(&f, 0, sizeof(f));
    f.env = env;
    f.io = io;
    costs.request_instructions = io->cfg.request_instructions;
    costs.after_send_instructions = io->cfg.after_send_instructions;
    costs.chunk_instructions = io->cfg.chunk_instructions;
    costs.recv = io->cfg.recv;
    costs.cold_instructions = io->cfg.cold_instructions;
    costs.cold_after_ns = io->cfg.cold_after_ns;
    costs.quick_releases = io->cfg.quick_releases;
    costs.interp = env->interp;
    wl_fetch_gil_init(&f.gil, &ops, &costs);
    o = wl_fetch_gil_request(&f.gil);
    if (o != WL_OK) {
        return o;
    }
    io->errbuf[0] = '\0';
    /* requests.get and urllib open a connection for each request and
     * close it after; a Session keeps one per thread alive. */
    if (curl_easy_setopt(io->curl, CURLOPT_FRESH_CONNECT,
                         io->cfg.new_connection ? 1L : 0L) != CURLE_OK ||
        curl_easy_setopt(io->curl, CURLOPT_FORBID_REUSE,
                         io->cfg.new_connection ? 1L : 0L) != CURLE_OK ||
        curl_easy_setopt(io->curl, CURLOPT_URL, io->url) != CURLE_OK ||
        attach(io, &f) != 0) {
        attach(io, NULL);
        return WL_FAILED;
    }
    rc = curl_easy_perform(io->curl); /* under the GIL until it blocks */
    wl_fetch_gil_end(&f.gil);
    o = outcome_of(&f, rc);
    attach(io, NULL);
    if (arg_out != NULL) {
        /* The bytes, or why it failed (wl_failure_text). */
        *arg_out = o == WL_OK        ? (int64_t)io->body_len
                   : o == WL_ABORTED ? 0
                                     : wl__fetch_code(io->curl, rc);
    }
    if (o == WL_OK) {
        io->body_ok = 1;
    } else {
        io->body_len = 0;
    }
    return o;
}
