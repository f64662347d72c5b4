/*
 * multi.c - non-blocking fetches for an event loop: a libcurl multi handle
 * driven by a libevent event_base through libcurl's multi socket
 * interface, on one thread (the `loop` model's event-loop thread).
 *
 * How it works, as in curl's docs/examples/multi-event.c and
 * ephiperfifo.c: libcurl tells us which sockets to watch
 * (CURLMOPT_SOCKETFUNCTION: one struct sock with one libevent event per
 * socket, attached with curl_multi_assign) and when to call it back
 * (CURLMOPT_TIMERFUNCTION: one libevent timer). When a socket is ready
 * or the timer fires, we call curl_multi_socket_action, which reads,
 * writes and calls the write callback of the transfers concerned, then
 * drain curl_multi_info_read for the transfers that ended.
 *
 * The GIL: wl_multi_run_once() is entered holding it, releases it
 * (env->release) around event_base_loop(EVLOOP_ONCE), and every callback
 * that stands for Python code takes it back first (grab(): once per turn,
 * env->acquire), as asyncio's select() returns into Python code under the
 * GIL. So a turn of the loop that handles many chunks of many transfers
 * takes the GIL once, where a blocking fetch takes it once per chunk.
 * The only callback that does not take it is the stop tick (below), which
 * stands for nothing Python does.
 *
 * Per-transfer state (struct mfetch: easy handle, error buffer, body,
 * the owner's user pointer) travels with the easy handle through
 * CURLOPT_PRIVATE and CURLOPT_WRITEDATA, and is freed in exactly one
 * place, finish(): after curl_multi_remove_handle and curl_easy_cleanup,
 * whether the transfer completed, was cancelled or is torn down. The body
 * is handed to the owner's hook (or freed there too).
 *
 * Python it mirrors: `async with session.get(url) as r: body = await
 * r.read()` under aiohttp, many at once on one loop. Each transfer follows
 * the fetch's choreography (fetch_gil.c) with no GIL moves of its own,
 * since the turn holds the GIL: the request's Python side
 * (`request_instructions`) before the transfer is added, and
 * `chunk_instructions` per chunk in the write callback. Differences: aiohttp's
 * connector allows 100 connections at once by default; we set
 * cfg->max_connections (--connections, 100 by default, 0 for none) with
 * CURLMOPT_MAX_TOTAL_CONNECTIONS (more transfers wait inside libcurl for a free
 * connection, as aiohttp's wait for its connector). asyncio wakes up through
 * its self-pipe for call_soon_threadsafe; so do we (wl_multi_wake, a
 * non-blocking pipe).
 *
 * Timers (a sleep step, curl's timeouts) are precise
 * (EVENT_BASE_FLAG_PRECISE_TIMER: epoll waits on a timerfd): without it
 * epoll's timeout is whole milliseconds rounded up, and every timer fired
 * up to 1 ms late. A recording's awaits are replayed as sleeps, and the
 * program's loop woke when the socket was ready, not on a timer: api_fanout
 * replayed one request at a time took 8.49 and 8.26 s that way, 8.22 and
 * 8.04 s with precise timers (its real run: 7.85 s).
 *
 * Stopping: libevent does not return from its wait when a signal handler
 * sets the stop flag on another thread, so while env->stop is non-NULL a
 * persistent 50 ms tick wakes the wait; the tick takes no GIL and, unless
 * the flag is set, the wait simply goes on. When the flag is set, every
 * fetch and sleep under way ends with WL_ABORTED (wl_multi_cancel).
 *
 * Includes wl_internal.h, libcurl and libevent; knows nothing of the GIL
 * but env's callbacks.
 */
#include "wl.h"
#include "wl_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>

/* How often the wait looks at the stop flag, when there is one. */
#define STOP_TICK_US 50000
/* A transfer's body starts at this size and doubles up to max_body. */
#define BODY_INITIAL (64 * 1024)

struct mfetch;
struct msleep;
struct sock;

struct wl_multi {
    struct wl_io_config cfg;     /* copied; valid only if has_cfg */
    int has_cfg;                 /* 0: fetches fail with WL_FAILED */
    const struct wl_env *env;    /* the loop thread's; borrowed */
    struct wl_multi_hooks hooks; /* copied */
    struct event_base *base;
    CURLM *multi;
    struct event *curl_timer; /* CURLMOPT_TIMERFUNCTION's timer */
    struct event *wake_ev;    /* read end of the wake pipe */
    struct event *tick;       /* the stop tick; NULL without env->stop */
    int wake_fd[2];           /* the self-pipe: [0] read, [1] write */
    int held;                 /* 1 while the loop thread holds the GIL */
    /* Each fetch's choreography (fetch_gil.c): the request's and the
     * chunks' work on env, no GIL moves of its own (the turn holds it). */
    struct wl_fetch_ops fetch_ops;
    struct wl_fetch_costs fetch_costs;
    struct mfetch *fetches; /* transfers under way, a list */
    struct msleep *sleeps;  /* timers under way, a list */
    struct sock *socks;     /* sockets libcurl asked us to watch */
    size_t n_fetches;
    size_t n_sleeps;
};

/* One transfer (see the file comment): owned by the multi until
 * finish() frees it. */
struct mfetch {
    struct wl_multi *m;
    CURL *easy;
    void *user;                   /* the owner's, passed to its hooks */
    char errbuf[CURL_ERROR_SIZE]; /* CURLOPT_ERRORBUFFER */
    char *body;                   /* received so far; malloc'd */
    size_t len;                   /* bytes at body */
    size_t cap;                   /* bytes allocated at body */
    int aborted;                  /* 1: the chunk work saw the stop flag */
    struct wl_fetch_gil gil;      /* where it is in the choreography */
    struct mfetch *prev, *next;   /* in m->fetches */
};

struct msleep {
    struct wl_multi *m;
    struct event *ev;
    void *user;
    struct msleep *prev, *next; /* in m->sleeps */
};

/* A socket libcurl watches, attached to it with curl_multi_assign. */
struct sock {
    struct wl_multi *m;
    curl_socket_t fd;
    struct event *ev;
    struct sock *prev, *next; /* in m->socks */
};

/* ---- lists ------------------------------------------------------------- */

#define LIST_PUSH(head, x)                                                     \
    do {                                                                       \
        (x)->prev = NULL;                                                      \
        (x)->next = (head);                                                    \
        if ((head) != NULL) {                                                  \
            (head)->prev = (x);                                                \
        }                                                                      \
        (head) = (x);                                                          \
    } while (0)

#define LIST_UNLINK(head, x)                                                   \
    do {                                                                       \
        if ((x)->prev != NULL) {                                               \
            (x)->prev->next = (x)->next;                                       \
        } else {                                                               \
            (head) = (x)->next;                                                \
        }                                                                      \
        if ((x)->next != NULL) {                                               \
            (x)->next->prev = (x)->prev;                                       \
        }                                                                      \
    } while (0)

/* ---- the GIL ----------------------------------------------------------- */

static int
stop_requested(const struct wl_multi *m)
{
    return m->env->stop != NULL &&
           atomic_load_explicit(m->env->stop, memory_order_relaxed) != 0;
}

/* The choreography's work: Python code on the loop thread, with checks. */
static enum wl_outcome
loop_work(void *ctx, int64_t instructions)
{
    return wl__cpu_instructions(ctx, instructions, NULL);
}

/* Python code is about to run for `user`: take the GIL back if this turn
 * has not yet, and let the owner name the task. */
static void
grab(struct wl_multi *m, void *user)
{
    if (!m->held) {
        if (m->env->acquire != NULL) {
            m->env->acquire(m->env->ctx);
        }
        m->held = 1;
    }
    if (m->hooks.enter != NULL) {
        m->hooks.enter(m->hooks.ctx, user);
    }
}

/* ---- transfers ----------------------------------------------------------- */

/*
 * The one place a transfer's state is freed: detach the easy handle from
 * the multi, clean it up, then free f. With `notify`, the body (or NULL
 * on failure) goes to hooks.fetched; without, it is freed too.
 */
static void
finish(struct mfetch *f, enum wl_outcome o, int64_t code, int notify)
{
    struct wl_multi *m = f->m;
    void *user = f->user;
    char *body = f->body;
    size_t len = f->len;

    LIST_UNLINK(m->fetches, f);
    m->n_fetches--;
    (void)curl_multi_remove_handle(m->multi, f->easy);
    curl_easy_cleanup(f->easy);
    free(f);
    if (o != WL_OK) {
        free(body);
        body = NULL;
        len = code > 0 ? (size_t)code : 0; /* why it failed */
    }
    if (!notify) {
        free(body);
        return;
    }
    grab(m, user);
    if (m->hooks.fetched != NULL) {
        m->hooks.fetched(m->hooks.ctx, user, o, body, len);
    } else {
        free(body);
    }
}

/* Make room for `more` bytes, doubling up to max_body. 0 or -1. */
static int
body_reserve(struct mfetch *f, size_t more)
{
    size_t max = (size_t)f->m->cfg.max_body;
    size_t cap;
    char *p;

    if (more > max - f->len) {
        return -1; /* len <= max always holds */
    }
    if (f->len + more <= f->cap) {
        return 0;
    }
    cap = f->cap > 0 ? f->cap : BODY_INITIAL;
    while (cap < f->len + more) {
        cap = cap > max / 2 ? max : cap * 2;
    }
    p = realloc(f->body, cap);
    if (p == NULL) {
        return -1;
    }
    f->body = p;
    f->cap = cap;
    return 0;
}

/*
 * CURLOPT_WRITEFUNCTION: inside curl_multi_socket_action on the loop
 * thread, which holds the GIL (the event callback took it). The chunk's
 * Python-side work runs under it, with checks; the GIL stays held.
 * Returning less than size * nmemb aborts the transfer.
 */
static size_t
write_cb(char *ptr, size_t size, size_t nmemb, void *data)
{
    struct mfetch *f = data;
    struct wl_multi *m = f->m;
    size_t n = size * nmemb;
    enum wl_outcome o;

    if (m->hooks.enter != NULL) {
        m->hooks.enter(m->hooks.ctx, f->user);
    }
    o = wl_fetch_gil_chunk(&f->gil, n);
    if (o == WL_ABORTED) {
        f->aborted = 1;
        return 0;
    }
    if (o != WL_OK || body_reserve(f, n) != 0) {
        return 0;
    }
    memcpy(f->body + f->len, ptr, n);
    f->len += n;
    return n;
}

/* Hand every transfer that ended to its owner. */
static void
drain_done(struct wl_multi *m)
{
    CURLMsg *msg;
    int left;

    for (;;) {
        struct mfetch *f = NULL;
        CURLcode rc;
        enum wl_outcome o;

        msg = curl_multi_info_read(m->multi, &left);
        if (msg == NULL) {
            break;
        }
        if (msg->msg != CURLMSG_DONE) {
            continue;
        }
        /* msg dies with curl_multi_remove_handle: read it all first. */
        rc = msg->data.result;
        if (curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &f) !=
                CURLE_OK ||
            f == NULL) {
            continue; /* cannot happen: every handle carries its mfetch */
        }
        o = f->aborted ? WL_ABORTED : wl__fetch_outcome(f->easy, rc);
        finish(f, o, o == WL_ABORTED ? 0 : wl__fetch_code(f->easy, rc), 1);
    }
}

static void
socket_action(struct wl_multi *m, curl_socket_t fd, int flags)
{
    int running = 0;

    (void)curl_multi_socket_action(m->multi, fd, flags, &running);
    drain_done(m);
}

enum wl_outcome
wl_multi_fetch(struct wl_multi *m, const struct wl_step *s, void *user)
{
    /* Each "{page}" (6 bytes) becomes at most 20 digits and a sign; the
     * step's own latency and size take at most WL__URL_EXTRA. */
    size_t url_cap;
    char *url;
    struct wl_fetch_gil gil;
    struct mfetch *f;
    enum wl_outcome o;
    int bad = 0;

    if (!m->has_cfg) {
        return WL_FAILED;
    }
    if (stop_requested(m)) {
        return WL_ABORTED; /* still holding the GIL: nothing to undo */
    }
    url_cap = strlen(m->cfg.url_template) * 4 + 32 + WL__URL_EXTRA;
    url = malloc(url_cap);
    if (url == NULL) {
        return WL_FAILED;
    }
    if (wl__io_step_url(m->cfg.url_template, s, url, url_cap) < 0) {
        free(url);
        return WL_FAILED;
    }
    wl_fetch_gil_init(&gil, &m->fetch_ops, &m->fetch_costs);
    o = wl_fetch_gil_request(&gil);
    if (o != WL_OK) {
        free(url);
        return o;
    }
    f = calloc(1, sizeof(*f));
    if (f == NULL) {
        free(url);
        return WL_FAILED;
    }
    f->m = m;
    f->user = user;
    f->gil = gil;
    f->easy = curl_easy_init();
    if (f->easy == NULL) {
        free(f);
        free(url);
        return WL_FAILED;
    }
    bad |= wl__io_setup_easy(f->easy, &m->cfg, f->errbuf) != 0;
    /* libcurl copies the URL string. */
    bad |= curl_easy_setopt(f->easy, CURLOPT_URL, url) != CURLE_OK;
    bad |=
        curl_easy_setopt(f->easy, CURLOPT_WRITEFUNCTION, write_cb) != CURLE_OK;
    bad |= curl_easy_setopt(f->easy, CURLOPT_WRITEDATA, (void *)f) != CURLE_OK;
    bad |= curl_easy_setopt(f->easy, CURLOPT_PRIVATE, (void *)f) != CURLE_OK;
    /* No progress callback: a stop cancels the transfers from the loop. */
    bad |= curl_easy_setopt(f->easy, CURLOPT_NOPROGRESS, 1L) != CURLE_OK;
    free(url);
    if (bad) {
        curl_easy_cleanup(f->easy);
        free(f);
        return WL_FAILED;
    }
    if (curl_multi_add_handle(m->multi, f->easy) != CURLM_OK) {
        curl_easy_cleanup(f->easy);
        free(f);
        return WL_FAILED;
    }
    LIST_PUSH(m->fetches, f);
    m->n_fetches++;
    return WL_OK;
}

/* ---- libcurl's sockets and timer ----------------------------------------- */

static void
sock_cb(evutil_socket_t fd, short what, void *arg)
{
    struct sock *s = arg;
    int flags = 0;

    (void)fd;
    if (what & EV_READ) {
        flags |= CURL_CSELECT_IN;
    }
    if (what & EV_WRITE) {
        flags |= CURL_CSELECT_OUT;
    }
    grab(s->m, NULL);
    socket_action(s->m, s->fd, flags);
}

static void
sock_free(struct sock *s)
{
    LIST_UNLINK(s->m->socks, s);
    event_free(s->ev);
    free(s);
}

/* CURLMOPT_SOCKETFUNCTION: watch `fd` for what libcurl asks, or stop. */
static int
on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    struct wl_multi *m = userp;
    struct sock *s = socketp;
    short events = EV_PERSIST;

    (void)easy;
    if (what == CURL_POLL_REMOVE) {
        /* libcurl forgets the socket's pointer by itself. */
        if (s != NULL) {
            sock_free(s);
        }
        return 0;
    }
    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT) {
        events |= EV_READ;
    }
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT) {
        events |= EV_WRITE;
    }
    if (s == NULL) {
        s = calloc(1, sizeof(*s));
        if (s == NULL) {
            return -1; /* libcurl fails the transfers on this socket */
        }
        s->m = m;
        s->fd = fd;
        s->ev = event_new(m->base, fd, events, sock_cb, s);
        if (s->ev == NULL) {
            free(s);
            return -1;
        }
        LIST_PUSH(m->socks, s);
        (void)curl_multi_assign(m->multi, fd, s);
    } else {
        (void)event_del(s->ev);
        if (event_assign(s->ev, m->base, fd, events, sock_cb, s) != 0) {
            return -1;
        }
    }
    return event_add(s->ev, NULL) == 0 ? 0 : -1;
}

static void
curl_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct wl_multi *m = arg;

    (void)fd;
    (void)what;
    grab(m, NULL);
    socket_action(m, CURL_SOCKET_TIMEOUT, 0);
}

/* CURLMOPT_TIMERFUNCTION: call us back in timeout_ms (-1: never). */
static int
on_timer(CURLM *multi, long timeout_ms, void *userp)
{
    struct wl_multi *m = userp;
    struct timeval tv;

    (void)multi;
    (void)evtimer_del(m->curl_timer);
    if (timeout_ms < 0) {
        return 0;
    }
    /* 0 is "at once": a zero timer fires in the next turn of the loop,
     * outside whatever libcurl call asked for it. */
    tv.tv_sec = timeout_ms / 1000;
    tv.tv_usec = (timeout_ms % 1000) * 1000;
    return evtimer_add(m->curl_timer, &tv) == 0 ? 0 : -1;
}

/* ---- sleeps, wake-ups, the stop tick --------------------------------------
 */

/* The one place a sleep's state is freed. */
static void
sleep_end(struct msleep *s, enum wl_outcome o, int notify)
{
    struct wl_multi *m = s->m;
    void *user = s->user;

    LIST_UNLINK(m->sleeps, s);
    m->n_sleeps--;
    event_free(s->ev); /* also fine from inside its own callback */
    free(s);
    if (!notify) {
        return;
    }
    grab(m, user);
    if (m->hooks.slept != NULL) {
        m->hooks.slept(m->hooks.ctx, user, o);
    }
}

static void
sleep_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    sleep_end(arg, WL_OK, 1);
}

int
wl_multi_sleep(struct wl_multi *m, int64_t ns, void *user)
{
    struct msleep *s;
    struct timeval tv;

    if (ns < 0) {
        return -EINVAL;
    }
    s = calloc(1, sizeof(*s));
    if (s == NULL) {
        return -ENOMEM;
    }
    s->m = m;
    s->user = user;
    s->ev = evtimer_new(m->base, sleep_cb, s);
    if (s->ev == NULL) {
        free(s);
        return -ENOMEM;
    }
    tv.tv_sec = (time_t)(ns / 1000000000);
    tv.tv_usec = (suseconds_t)((ns % 1000000000) / 1000);
    if (evtimer_add(s->ev, &tv) != 0) {
        event_free(s->ev);
        free(s);
        return -ENOMEM;
    }
    LIST_PUSH(m->sleeps, s);
    m->n_sleeps++;
    return 0;
}

static void
wake_cb(evutil_socket_t fd, short what, void *arg)
{
    struct wl_multi *m = arg;
    char buf[256];

    (void)what;
    /* Empty the pipe first: a wake-up written after this read makes the
     * pipe readable again, so none is lost. */
    while (read(fd, buf, sizeof(buf)) > 0) {
    }
    grab(m, NULL);
    if (m->hooks.woken != NULL) {
        m->hooks.woken(m->hooks.ctx);
    }
}

void
wl_multi_wake(struct wl_multi *m)
{
    char c = 1;
    ssize_t n;

    /* A full pipe (EAGAIN) is fine: the loop will wake up anyway. */
    do {
        n = write(m->wake_fd[1], &c, 1);
    } while (n < 0 && errno == EINTR);
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg; /* only ends the wait; run_once looks at the flag */
}

/* ---- the loop --------------------------------------------------------------
 */

size_t
wl_multi_pending(const struct wl_multi *m)
{
    return m->n_fetches + m->n_sleeps;
}

void
wl_multi_cancel(struct wl_multi *m)
{
    while (m->fetches != NULL) {
        finish(m->fetches, WL_ABORTED, 0, 1);
    }
    while (m->sleeps != NULL) {
        sleep_end(m->sleeps, WL_ABORTED, 1);
    }
}

int
wl_multi_run_once(struct wl_multi *m)
{
    int rc = 0;

    if (!m->held) {
        return -EINVAL;
    }
    if (!(stop_requested(m) && wl_multi_pending(m) > 0)) {
        if (m->env->release != NULL) {
            m->env->release(m->env->ctx);
        }
        m->held = 0;
        for (;;) {
            rc = event_base_loop(m->base, EVLOOP_ONCE);
            if (rc != 0 || m->held) {
                break;
            }
            /* Only the stop tick ran: wait on, unless there is something
             * to cancel. */
            if (stop_requested(m) && wl_multi_pending(m) > 0) {
                break;
            }
        }
        if (!m->held) {
            grab(m, NULL);
        }
    }
    if (stop_requested(m)) {
        wl_multi_cancel(m);
    }
    if (rc < 0) {
        return -EIO;
    }
    return 0;
}

static int
make_pipe(int fds[2])
{
    int i;

    if (pipe(fds) != 0) {
        return -errno;
    }
    for (i = 0; i < 2; i++) {
        int fl = fcntl(fds[i], F_GETFL);

        if (fl < 0 || fcntl(fds[i], F_SETFL, fl | O_NONBLOCK) != 0 ||
            fcntl(fds[i], F_SETFD, FD_CLOEXEC) != 0) {
            int e = errno;

            (void)close(fds[0]);
            (void)close(fds[1]);
            return -e;
        }
    }
    return 0;
}

int
wl_multi_new(const struct wl_io_config *cfg, const struct wl_env *env,
             const struct wl_multi_hooks *hooks, struct wl_multi **out)
{
    struct event_config *ecfg;
    struct wl_multi *m;
    int bad = 0;
    int rc;

    if (env == NULL || hooks == NULL || out == NULL) {
        return -EINVAL;
    }
    if (cfg != NULL &&
        (memchr(cfg->url_template, '\0', sizeof(cfg->url_template)) == NULL ||
         cfg->max_body == 0 || cfg->request_instructions < 0 ||
         cfg->chunk_instructions < 0 || cfg->max_connections < 0)) {
        return -EINVAL;
    }
    m = calloc(1, sizeof(*m));
    if (m == NULL) {
        return -ENOMEM;
    }
    if (cfg != NULL) {
        m->cfg = *cfg;
        m->has_cfg = 1;
        m->fetch_costs.request_instructions = cfg->request_instructions;
        m->fetch_costs.chunk_instructions = cfg->chunk_instructions;
        m->fetch_costs.recv = cfg->recv;
    }
    m->env = env;
    m->fetch_ops.work = loop_work;
    m->fetch_ops.ctx = (void *)env;
    m->hooks = *hooks;
    m->held = 1; /* the owner calls us holding the GIL */
    rc = make_pipe(m->wake_fd);
    if (rc != 0) {
        goto fail_free;
    }
    rc = -ENOMEM;
    ecfg = event_config_new();
    if (ecfg == NULL) {
        goto fail_pipe;
    }
    event_config_set_flag(ecfg, EVENT_BASE_FLAG_PRECISE_TIMER); /* above */
    m->base = event_base_new_with_config(ecfg);
    event_config_free(ecfg);
    if (m->base == NULL) {
        goto fail_pipe;
    }
    m->curl_timer = evtimer_new(m->base, curl_timer_cb, m);
    if (m->curl_timer == NULL) {
        goto fail_base;
    }
    m->wake_ev =
        event_new(m->base, m->wake_fd[0], EV_READ | EV_PERSIST, wake_cb, m);
    if (m->wake_ev == NULL || event_add(m->wake_ev, NULL) != 0) {
        goto fail_events;
    }
    if (env->stop != NULL) {
        struct timeval tv = {0, STOP_TICK_US};

        m->tick = event_new(m->base, -1, EV_PERSIST, tick_cb, m);
        if (m->tick == NULL || event_add(m->tick, &tv) != 0) {
            goto fail_events;
        }
    }
    m->multi = curl_multi_init();
    if (m->multi == NULL) {
        goto fail_events;
    }
    bad |= curl_multi_setopt(m->multi, CURLMOPT_SOCKETFUNCTION, on_socket) !=
           CURLM_OK;
    bad |=
        curl_multi_setopt(m->multi, CURLMOPT_SOCKETDATA, (void *)m) != CURLM_OK;
    bad |= curl_multi_setopt(m->multi, CURLMOPT_TIMERFUNCTION, on_timer) !=
           CURLM_OK;
    bad |=
        curl_multi_setopt(m->multi, CURLMOPT_TIMERDATA, (void *)m) != CURLM_OK;
    bad |= curl_multi_setopt(m->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
                             (long)m->cfg.max_connections) != CURLM_OK;
    if (bad) {
        goto fail_multi;
    }
    *out = m;
    return 0;
fail_multi:
    (void)curl_multi_cleanup(m->multi);
fail_events:
    if (m->tick != NULL) {
        event_free(m->tick);
    }
    if (m->wake_ev != NULL) {
        event_free(m->wake_ev);
    }
    event_free(m->curl_timer);
fail_base:
    event_base_free(m->base);
fail_pipe:
    (void)close(m->wake_fd[0]);
    (void)close(m->wake_fd[1]);
fail_free:
    free(m);
    return rc;
}

void
wl_multi_free(struct wl_multi *m)
{
    if (m == NULL) {
        return;
    }
    while (m->fetches != NULL) {
        finish(m->fetches, WL_ABORTED, 0, 0);
    }
    while (m->sleeps != NULL) {
        sleep_end(m->sleeps, WL_ABORTED, 0);
    }
    /* Closing the kept-alive connections may call on_socket(REMOVE), so
     * the base must still exist; sockets it did not release go after. */
    (void)curl_multi_cleanup(m->multi);
    while (m->socks != NULL) {
        sock_free(m->socks);
    }
    if (m->tick != NULL) {
        event_free(m->tick);
    }
    event_free(m->wake_ev);
    event_free(m->curl_timer);
    event_base_free(m->base);
    (void)close(m->wake_fd[0]);
    (void)close(m->wake_fd[1]);
    free(m);
}
