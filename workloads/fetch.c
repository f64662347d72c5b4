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
 *   2. env->release (Py_BEGIN_ALLOW_THREADS), then curl_easy_perform.
 *   3. When libcurl has sent the request (its debug callback with
 *      CURLINFO_HEADER_OUT, which runs right after the send() returned):
 *      env->acquire, `after_send_instructions` of cpu work with checks,
 *      cut in half by one quick release if `quick_releases` > 0, then
 *      env->release again before libcurl waits for the reply. This
 *      is sendall() returning and Python taking the GIL back for
 *      settimeout() and http.client's getresponse() before its recv().
 *   4. For each chunk libcurl hands to the write callback, which runs on
 *      this thread inside curl_easy_perform, without the GIL:
 *      env->acquire, `chunk_instructions` of cpu work with checks, append
 *      the chunk to the body, env->release. This is the recv() returning
 *      and Python handling the bytes before its next recv().
 *   5. curl_easy_perform returns; env->acquire (Py_END_ALLOW_THREADS).
 *
 * Step 3 is there because CPython releases the GIL around the send and
 * around the recv separately, with a retake between them: requests'
 * round trip is sendall(), settimeout(), recv_into(), each its own
 * Py_BEGIN/END_ALLOW_THREADS. The send returns at once, but the CPU
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
 * CURLOPT_XFERINFODATA and CURLOPT_DEBUGDATA all point at it for the length of
 * the transfer and are cleared before the step returns, so the handle never
 * keeps a pointer to a dead frame.
 *
 * env->stop is honoured before the request, between chunks (the chunk
 * work's cpu loop reads it) and while libcurl waits: the progress
 * callback (CURLOPT_XFERINFOFUNCTION) returns nonzero when the flag is
 * set, and libcurl aborts the transfer. While nothing arrives libcurl
 * calls it about once a second (its poll timeout), so an abort during a
 * stalled reply takes up to ~1 s. That callback runs without the GIL and
 * must not touch it.
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
    int holding;    /* 1: the last chunk kept the GIL (body complete) */
    int sent;       /* 1: the request went out and the GIL was retaken */
};

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
    if (env->acquire != NULL && !f->holding) {
        env->acquire(env->ctx);
    }
    f->holding = 0;
    o = wl__cpu_instructions(env, f->io->cfg.chunk_instructions, NULL);
    if (o == WL_ABORTED) {
        f->aborted = 1;
        taken = 0;
    } else if (o != WL_OK || body_reserve(f, n) != 0) {
        taken = 0;
    } else {
        memcpy(f->io->body + f->io->body_len, ptr, n);
        f->io->body_len += n;
        f->holding = body_complete(f);
    }
    if (env->release != NULL && !f->holding) {
        env->release(env->ctx);
    }
    return taken;
}

/*
 * CURLOPT_DEBUGFUNCTION (with CURLOPT_VERBOSE): libcurl reports what it
 * does; CURLINFO_HEADER_OUT comes right after the request was written to
 * the socket. Called on the fetching thread, inside curl_easy_perform,
 * with the GIL released. The first such call of a transfer takes the GIL
 * back, runs the work between send and recv, and releases it again
 * (step 3 above); every other call is ignored, and nothing is printed.
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
    if (env->acquire != NULL) {
        env->acquire(env->ctx);
    }
    if (work_with_quick_releases(env, f->io->cfg.after_send_instructions,
                                 f->io->cfg.quick_releases > 0) == WL_ABORTED) {
        f->aborted = 1; /* the progress callback ends the transfer */
    }
    if (env->release != NULL) {
        env->release(env->ctx);
    }
    return 0;
}

/*
 * CURLOPT_XFERINFOFUNCTION: called often during the transfer and about
 * once a second while it waits, without the GIL. Nonzero aborts the
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
    if (env->release != NULL) {
        env->release(env->ctx);
    }
    rc = curl_easy_perform(io->curl);
    if (env->acquire != NULL && !f.holding) {
        env->acquire(env->ctx);
    }
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
