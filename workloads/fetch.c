/*
 * fetch.c - the fetch step: one HTTP GET through the thread's libcurl easy
 * handle, with the GIL released around the blocking parts as CPython
 * releases it around every socket call.
 *
 * The step runs in the order requests.Session.get does on CPython:
 *
 *   1. Under the GIL: `request_instructions` less `after_send_instructions`
 *      of cpu work (building the request, and the response parsing of
 *      urllib3 and http.client, lumped before the transfer), with checks,
 *      through cpu.c, cut in equal parts by `quick_releases` - 1 quick
 *      releases (below).
 *   2. curl_easy_perform, still under the GIL: libcurl's own work before
 *      the send (picking up the kept-alive connection, building the
 *      request) stands for http.client's, which is Python. Only what
 *      blocks is done without the GIL, through libcurl's callbacks: a
 *      name lookup (CURLOPT_RESOLVER_START_FUNCTION) and a new
 *      connection's connect (CURLOPT_SOCKOPTFUNCTION, called before the
 *      connect) release it, as getaddrinfo() and connect() do; once
 *      connected, CURLOPT_PREREQFUNCTION takes it back.
 *   3. The send (Py_BEGIN_ALLOW_THREADS around sendall()):
 *      CURLOPT_PREREQFUNCTION, called right before the request is
 *      written, releases the GIL. When libcurl has sent the request (its
 *      debug callback with CURLINFO_HEADER_OUT, right after the send()
 *      returned): env->acquire, one quick release if `quick_releases` >
 *      0 (settimeout(), right after sendall()), `after_send_instructions`
 *      of cpu work with checks, then env->release again before libcurl
 *      waits for the reply. This is sendall() returning and Python
 *      taking the GIL back for settimeout() and http.client's
 *      getresponse() before its recv().
 *   4. For each chunk libcurl hands to the write callback, which runs on
 *      this thread inside curl_easy_perform, without the GIL:
 *      env->acquire, `chunk_instructions` of cpu work with checks, append
 *      the chunk to the body, env->release. This is the recv() returning
 *      and Python handling the bytes before its next recv().
 *   5. curl_easy_perform returns; env->acquire if the GIL is still
 *      released (Py_END_ALLOW_THREADS).
 *
 * Step 3 is there because CPython releases the GIL around the send and
 * around the recv separately, with a retake between them: requests'
 * round trip is sendall(), settimeout(), recv_into(), each its own
 * Py_BEGIN/END_ALLOW_THREADS. Releasing only around the send itself, not
 * around libcurl's set-up too, matters: the GIL was free ~40-57 us around
 * the send before, ~28-33 us now, against CPython's sendall() 31 us (a
 * timed wrapper, docs/fidelity.md), and a CPU thread woken by the
 * release takes ~20 us to get there. The send returns at once, but the CPU
 * thread woken by the release can take the GIL meanwhile, and the
 * sender then waits for it like any other waiter. Timing each of those
 * calls in CPython's convoy (docs/fidelity.md) showed the retake after
 * sendall() is where the I/O thread loses the GIL most often: 21-26 %
 * of round trips beside one CPU thread, 52-58 % beside two. A fetch
 * that released once for the whole exchange never lost it there. The
 * work between the send and the recv matters too: without it the
 * forced dropper, just woken by the retake, finds the GIL free again
 * at once and takes it, and the reply then waits a second interval,
 * which CPython's ~16 us of Python there mostly avoids.
 *
 * A quick release is env->release, a stat() of a file that does not
 * exist, env->acquire: the shape of the calls requests makes that return
 * at once (os.stat of ~/.netrc and ~/_netrc, urllib3's poll(0),
 * settimeout's ioctl; strace shows them once per request). Each frees
 * the GIL for a microsecond or two; a woken CPU thread rarely takes it
 * in that time, but when it does the fetch waits an interval or more.
 * CPython lost 1-7 % of them beside two CPU threads (calltimes.py).
 *
 * The chunk that completes the body (Content-Length reached) keeps the
 * GIL instead of releasing it, and step 5 then has nothing to take back:
 * CPython's last recv() is followed by Python code, not by another
 * blocking call, so it retakes the GIL once there, not twice. (Found with
 * bench/fidelity: a 128-byte round trip beside a CPU thread cost gilsim
 * two switch intervals, CPython one.) Without a Content-Length, or when
 * the transfer fails, step 5 takes it back as above.
 *
 * So a transfer of k chunks takes the GIL back k + 1 times, and with a
 * CPU-bound thread beside it each of those may wait a switch interval
 * or more: the convoy effect (bpo-7946, GIL.md 4.3).
 *
 * The transfer's state (struct fetch) lives on this step's stack and
 * travels with the easy handle: CURLOPT_PRIVATE, CURLOPT_WRITEDATA,
 * CURLOPT_XFERINFODATA, CURLOPT_DEBUGDATA and the lookup, socket and
 * prereq callbacks' data all point at it for the length of the transfer
 * and are cleared before the step returns, so the handle never keeps a
 * pointer to a dead frame. `released` says whether the transfer holds the
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
    int released;   /* 1: this transfer has released the GIL */
    int sent;       /* 1: the request went out and the GIL was retaken */
};

/* Release the GIL for a blocking call, unless already released. */
static void
fetch_release(struct fetch *f)
{
    if (!f->released) {
        f->released = 1;
        if (f->env->release != NULL) {
            f->env->release(f->env->ctx);
        }
    }
}

/* Take the GIL back, if this transfer released it. */
static void
fetch_acquire(struct fetch *f)
{
    if (f->released) {
        f->released = 0;
        if (f->env->acquire != NULL) {
            f->env->acquire(f->env->ctx);
        }
    }
}

static int
stop_requested(const struct wl_env *env)
{
    return env->stop != NULL &&
           atomic_load_explicit(env->stop, memory_order_relaxed) != 0;
}

/* No such file: stat() fails at once, as requests' ~/.netrc lookup does. */
#define QUICK_PATH "/nonexistent-gilsim-dir/.netrc"

/* One quick release: the GIL is freed around a system call that returns
 * at once (see the top of the file). */
static void
quick_release(const struct wl_env *env)
{
    struct stat st;

    if (env->release != NULL) {
        env->release(env->ctx);
    }
    (void)stat(QUICK_PATH, &st);
    if (env->acquire != NULL) {
        env->acquire(env->ctx);
    }
}

/* `n` instructions of work in `quick + 1` equal parts with a quick
 * release between each two. */
static enum wl_outcome
work_with_quick_releases(const struct wl_env *env, int64_t n, int quick)
{
    int64_t part = n / (quick + 1);
    enum wl_outcome o;
    int i;

    for (i = 0; i < quick; i++) {
        o = wl__cpu_instructions(env, part, NULL);
        if (o != WL_OK) {
            return o;
        }
        quick_release(env);
    }
    return wl__cpu_instructions(env, n - part * quick, NULL);
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
    const struct wl_env *env = f->env;
    size_t n = size * nmemb; /* size is always 1 for this callback */
    enum wl_outcome o;
    size_t taken = n;

    f->chunks++;
    fetch_acquire(f);
    o = wl__cpu_instructions(env, f->io->cfg.chunk_instructions, NULL);
    if (o == WL_ABORTED) {
        f->aborted = 1;
        taken = 0;
    } else if (o != WL_OK || body_reserve(f, n) != 0) {
        taken = 0;
    } else {
        memcpy(f->io->body + f->io->body_len, ptr, n);
        f->io->body_len += n;
    }
    if (taken == 0 || !body_complete(f)) {
        fetch_release(f); /* the next recv(), or libcurl's cleanup */
    }
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
    const struct wl_env *env;

    (void)c;
    (void)ptr;
    (void)size;
    if (f == NULL || type != CURLINFO_HEADER_OUT || f->sent) {
        return 0; /* not one of our transfers, or not the send */
    }
    f->sent = 1;
    env = f->env;
    fetch_acquire(f);
    if (f->io->cfg.quick_releases > 0) {
        quick_release(env); /* settimeout(), right after sendall() */
    }
    if (wl__cpu_instructions(env, f->io->cfg.after_send_instructions, NULL) ==
        WL_ABORTED) {
        f->aborted = 1; /* the progress callback ends the transfer */
    }
    fetch_release(f);
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
        fetch_release(data);
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
        fetch_release(data);
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
        fetch_acquire(f);
        fetch_release(f);
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
    if (wl__io_expand(io->cfg.url_template, s->page, io->url, io->url_cap) <
        0) {
        return WL_FAILED; /* cannot happen: url_cap fits any page */
    }
    o = work_with_quick_releases(
        env, io->cfg.request_instructions - io->cfg.after_send_instructions,
        io->cfg.quick_releases > 0 ? io->cfg.quick_releases - 1 : 0);
    if (o != WL_OK) {
        return o;
    }
    memset(&f, 0, sizeof(f));
    f.env = env;
    f.io = io;
    io->errbuf[0] = '\0';
    if (curl_easy_setopt(io->curl, CURLOPT_URL, io->url) != CURLE_OK ||
        attach(io, &f) != 0) {
        attach(io, NULL);
        return WL_FAILED;
    }
    rc = curl_easy_perform(io->curl); /* under the GIL until it blocks */
    fetch_acquire(&f);
    o = outcome_of(&f, rc);
    attach(io, NULL);
    if (arg_out != NULL) {
        *arg_out = (int64_t)io->body_len;
    }
    if (o == WL_OK) {
        io->body_ok = 1;
    } else {
        io->body_len = 0;
    }
    return o;
}
