/*
 * server_conns.c - the loopback server's connections: a record for each
 * from its accept to its close, a cap on how many are open at once, a
 * deadline for a whole request, and pauses after accept errors.
 *
 * Records. evhttp 2.1 names no connection at accept, but it asks us
 * (on_accept_bev, its bevcb) for each one's bufferevent and then sets
 * that bufferevent's callbacks with the new evhttp_connection as their
 * argument. So on_accept_bev keeps a reference to the bufferevent and
 * activates adopt_ev, which runs in the same pass of the loop, before a
 * byte of the connection is read: it reads the connection back from the
 * callbacks' argument, makes its record (with evhttp's close callback,
 * which runs on every close, before the connection's requests are freed)
 * and drops the reference. A bufferevent whose callbacks are gone was
 * freed by evhttp meanwhile (a failed set-up) and is only released. A
 * connection that has no record all the same (out of memory then) gets
 * one at its first request.
 *
 * Busy and idle. A connection is busy from a request's arrival until its
 * reply is written (the request's on-complete callback), idle otherwise.
 * evhttp reads a connection only while it is idle, so an idle connection
 * is one that owes us a request.
 *
 * The cap (cfg.max_connections; by default half the descriptor limit,
 * the other half being the clients' in a run). Before an accept would
 * pass it, the listener is turned off: newcomers wait in the kernel's
 * backlog (back-pressure), and backlog_ev watches the listening socket
 * instead. When that turns readable somebody waits, and the connection
 * idle longest is closed to make room (connections_evicted): clients that
 * hold connections without sending requests (trickling headers, an idle
 * keep-alive pool) cannot shut out the others. A busy connection is never
 * closed for room; when all are busy, the watcher rests until one turns
 * idle or closes.
 *
 * The deadline (cfg.idle_timeout_ns, 30 s by default). An idle connection
 * must deliver a whole request within it of its accept or its last reply,
 * or sweep_ev, a periodic timer, closes it (connections_timed_out).
 * evhttp's own timeout, also set, restarts at every byte it reads, so on
 * its own a client sending a byte a second would keep its descriptor for
 * ever; it still bounds a reply's writes to a client that stops reading.
 *
 * Accept errors. When accept() fails for want of descriptors or memory
 * (EMFILE, ENFILE, ENOBUFS, ENOMEM), the listener is off for
 * ACCEPT_BACKOFF_MS rather than spinning on a socket that stays readable.
 *
 * Stopping: evhttp_free frees the listener first and then closes every
 * connection; `stopping` keeps the close callbacks from touching the
 * listener or the events meanwhile.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>

#include <event2/util.h>

#include "base.h"
#include "server_priv.h"

#define ACCEPT_BACKOFF_MS 50                   /* pause after EMFILE and kin */
#define IDLE_TIMEOUT_NS   INT64_C(30000000000) /* cfg->idle_timeout_ns 0 */
#define CAP_MIN           16                   /* the default cap's floor */
#define CAP_MAX           (1 << 20)            /* and its ceiling */
#define SWEEP_MIN_NS      INT64_C(10000000)    /* sweep period bounds */
#define SWEEP_MAX_NS      INT64_C(1000000000)  /* (a quarter deadline) */

/* The server of the calling thread, set by srv_conns_init's caller's
 * thread at its start: evhttp hands the listener's error callback its own
 * argument, not ours. */
static _Thread_local struct wl_server *thread_server;

static void
publish_open(struct wl_server *srv)
{
    atomic_store_explicit(&srv->connections_open, srv->open,
                          memory_order_relaxed);
    if (srv->open >
        atomic_load_explicit(&srv->connections_max, memory_order_relaxed)) {
        atomic_store_explicit(&srv->connections_max, srv->open,
                              memory_order_relaxed);
    }
}

/* The listener on or off, and the backlog watcher armed or not, as the
 * counts now say. */
static void
update_listener(struct wl_server *srv)
{
    int full = srv->open + srv->n_fresh >= srv->cap;

    if (srv->stopping) {
        return;
    }
    if (full && !srv->full) {
        srv_bump(&srv->accept_pauses);
    }
    srv->full = full;
    if (full || srv->backing_off) {
        evconnlistener_disable(srv->listener);
    } else {
        evconnlistener_enable(srv->listener);
    }
    if (full && !srv->backing_off && srv->idle > 0) {
        event_add(srv->backlog_ev, NULL);
    } else {
        event_del(srv->backlog_ev);
    }
}

void
srv_conn_forget(struct conn *c, int reqs_alive)
{
    struct wl_server *srv = c->srv;

    while (c->pending != NULL) {
        struct pending *p = c->pending;

        /* Pop the head (pending_unlink, spelled out for the analyzer). */
        c->pending = p->next;
        if (p->next != NULL) {
            p->next->prev = NULL;
        }
        event_free(p->timer);
        /* With reqs_alive, evhttp is closing the connection: the requests
         * still attached to it are freed by evhttp right after, and one
         * it has detached (evcon == NULL) is ours to free. Without, the
         * requests may be gone already and are not touched. */
        if (reqs_alive && evhttp_request_get_connection(p->req) == NULL) {
            evhttp_request_free(p->req);
        }
        free(p);
    }
    if (c->fd >= 0 && (size_t)c->fd < srv->n_conns && srv->conns[c->fd] == c) {
        srv->conns[c->fd] = NULL;
    }
    if (c->busy == 0) {
        srv->idle--;
    }
    srv->open--;
    publish_open(srv);
    free(c);
    update_listener(srv);
}

/* evhttp's close callback of a tracked connection. */
static void
on_close(struct evhttp_connection *evcon, void *arg)
{
    (void)evcon;
    srv_conn_forget(arg, 1);
}

/* Room in srv->conns for index fd. 0 or -1 (out of memory). */
static int
grow_table(struct wl_server *srv, int fd)
{
    size_t n = srv->n_conns == 0 ? 256 : srv->n_conns;
    struct conn **grown;

    if ((size_t)fd < srv->n_conns) {
        return 0;
    }
    while (n <= (size_t)fd) {
        n *= 2;
    }
    grown = realloc(srv->conns, n * sizeof(struct conn *));
    if (grown == NULL) {
        return -1;
    }
    memset(grown + srv->n_conns, 0, (n - srv->n_conns) * sizeof(*grown));
    srv->conns = grown;
    srv->n_conns = n;
    return 0;
}

struct conn *
srv_conn_of(struct wl_server *srv, struct evhttp_connection *evcon)
{
    struct bufferevent *bev = evhttp_connection_get_bufferevent(evcon);
    int fd = bev != NULL ? (int)bufferevent_getfd(bev) : -1;
    struct conn *c;

    if (fd < 0 || grow_table(srv, fd) != 0) {
        return NULL;
    }
    c = srv->conns[fd];
    if (c != NULL && c->evcon == evcon) {
        return c;
    }
    /* A record left on this fd would mean evhttp freed a connection
     * without its close callback, which 2.1 never does for a connected
     * server connection; forget it all the same. */
    if (c != NULL) {
        srv_conn_forget(c, 0);
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        return NULL;
    }
    c->srv = srv;
    c->evcon = evcon;
    c->fd = fd;
    c->idle_since_ns = base_now_ns();
    srv->conns[fd] = c;
    evhttp_connection_set_closecb(evcon, on_close, c);
    srv->open++;
    srv->idle++;
    publish_open(srv);
    return c;
}

static void
on_complete(struct evhttp_request *req, void *arg)
{
    struct conn *c = arg;
    struct wl_server *srv = c->srv;

    (void)req;
    if (c->reply_ok) {
        srv_bump(&srv->replies_ok);
        c->reply_ok = 0;
    }
    if (c->busy > 0 && --c->busy == 0) {
        c->idle_since_ns = base_now_ns();
        srv->idle++;
        update_listener(srv);
    }
}

void
srv_conn_request(struct conn *c, struct evhttp_request *req)
{
    struct wl_server *srv = c->srv;

    evhttp_request_set_on_complete_cb(req, on_complete, c);
    if (c->busy++ == 0) {
        srv->idle--;
        update_listener(srv);
    }
}

/* evhttp asks for the bufferevent of each accepted connection: the one
 * place that sees every accept. */
static struct bufferevent *
on_accept_bev(struct event_base *base, void *arg)
{
    struct wl_server *srv = arg;
    struct bufferevent *bev =
        bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);

    srv_bump(&srv->connections);
    if (bev == NULL) {
        return NULL; /* evhttp then makes one itself */
    }
    if (srv->n_fresh == srv->cap_fresh) {
        size_t n = srv->cap_fresh == 0 ? 64 : 2 * srv->cap_fresh;
        struct bufferevent **grown = realloc(srv->fresh, n * sizeof(*grown));

        if (grown == NULL) {
            return bev; /* recorded at its first request instead */
        }
        srv->fresh = grown;
        srv->cap_fresh = n;
    }
    bufferevent_incref(bev);
    srv->fresh[srv->n_fresh++] = bev;
    event_active(srv->adopt_ev, EV_READ, 0);
    /* Turned off here, inside the accept loop, the listener accepts no
     * more in this pass: the cap is never passed. */
    update_listener(srv);
    return bev;
}

static void
on_adopt(evutil_socket_t fd, short what, void *arg)
{
    struct wl_server *srv = arg;
    size_t i;

    (void)fd;
    (void)what;
    for (i = 0; i < srv->n_fresh; i++) {
        struct bufferevent *bev = srv->fresh[i];
        bufferevent_event_cb event_cb = NULL;
        void *cbarg = NULL;

        bufferevent_getcb(bev, NULL, NULL, &event_cb, &cbarg);
        if (event_cb != NULL && cbarg != NULL &&
            evhttp_connection_get_bufferevent(cbarg) == bev) {
            (void)srv_conn_of(srv, cbarg);
        }
        bufferevent_decref(bev);
    }
    srv->n_fresh = 0;
    update_listener(srv);
}

/* Full, and the listening socket is readable: make room by closing the
 * connection idle longest. */
static void
on_backlog(evutil_socket_t fd, short what, void *arg)
{
    struct wl_server *srv = arg;
    struct conn *oldest = NULL;
    size_t i;

    (void)fd;
    (void)what;
    for (i = 0; i < srv->n_conns; i++) {
        struct conn *c = srv->conns[i];

        if (c != NULL && c->busy == 0 &&
            (oldest == NULL || c->idle_since_ns < oldest->idle_since_ns)) {
            oldest = c;
        }
    }
    if (oldest == NULL) {
        return; /* re-armed when one turns idle (update_listener) */
    }
    srv_bump(&srv->connections_evicted);
    /* on_close forgets it, which turns the listener back on. */
    evhttp_connection_free(oldest->evcon);
}

/* Close idle connections that owe a request past the deadline. */
static void
on_sweep(evutil_socket_t fd, short what, void *arg)
{
    struct wl_server *srv = arg;
    int64_t now = base_now_ns();
    size_t i;

    (void)fd;
    (void)what;
    for (i = 0; i < srv->n_conns; i++) {
        struct conn *c = srv->conns[i];

        if (c != NULL && c->busy == 0 &&
            now - c->idle_since_ns >= srv->request_timeout_ns) {
            srv_bump(&srv->connections_timed_out);
            evhttp_connection_free(c->evcon); /* forgets c */
        }
    }
}

static void
on_resume(evutil_socket_t fd, short what, void *arg)
{
    struct wl_server *srv = arg;

    (void)fd;
    (void)what;
    srv->backing_off = 0;
    update_listener(srv);
}

static void
on_accept_error(struct evconnlistener *lev, void *arg)
{
    struct wl_server *srv = thread_server;
    int err = EVUTIL_SOCKET_ERROR();
    struct timeval tv = {0, (suseconds_t)ACCEPT_BACKOFF_MS * 1000};
    char msg[128];

    (void)lev;
    (void)arg; /* evhttp's */
    if (srv != NULL &&
        (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM)) {
        /* Pause only if the timer that resumes accepting is armed;
         * otherwise keep accepting rather than stop for good. */
        if (evtimer_add(srv->resume_ev, &tv) == 0) {
            srv->backing_off = 1;
            update_listener(srv);
        }
        return;
    }
    base_errtext(err, msg, sizeof(msg));
    fprintf(stderr, "gilsim server: accept: %s\n", msg);
}

/* Half the descriptor limit, within [CAP_MIN, CAP_MAX]. */
static uint64_t
default_cap(void)
{
    struct rlimit rl;
    uint64_t half;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) {
        return CAP_MAX;
    }
    half = (uint64_t)rl.rlim_cur / 2;
    return half < CAP_MIN ? CAP_MIN : half > CAP_MAX ? CAP_MAX : half;
}

void
srv_conns_thread_start(struct wl_server *srv)
{
    thread_server = srv;
}

int
srv_conns_init(struct wl_server *srv)
{
    int64_t period;
    struct timeval tv;

    srv->cap = srv->cfg.max_connections > 0 ? (uint64_t)srv->cfg.max_connections
                                            : default_cap();
    srv->request_timeout_ns = srv->cfg.idle_timeout_ns > 0
                                  ? srv->cfg.idle_timeout_ns
                                  : IDLE_TIMEOUT_NS;
    srv->adopt_ev = event_new(srv->base, -1, 0, on_adopt, srv);
    srv->backlog_ev = event_new(srv->base, evconnlistener_get_fd(srv->listener),
                                EV_READ, on_backlog, srv);
    srv->sweep_ev = event_new(srv->base, -1, EV_PERSIST, on_sweep, srv);
    srv->resume_ev = evtimer_new(srv->base, on_resume, srv);
    if (srv->adopt_ev == NULL || srv->backlog_ev == NULL ||
        srv->sweep_ev == NULL || srv->resume_ev == NULL) {
        srv_conns_free(srv);
        return -ENOMEM;
    }
    period = srv->request_timeout_ns / 4;
    period = period < SWEEP_MIN_NS   ? SWEEP_MIN_NS
             : period > SWEEP_MAX_NS ? SWEEP_MAX_NS
                                     : period;
    tv = srv_timeval_from_ns(period);
    if (event_add(srv->sweep_ev, &tv) != 0) {
        srv_conns_free(srv);
        return -ENOMEM;
    }
    /* evhttp's own timeout: reads and writes that make no progress. */
    tv = srv_timeval_from_ns(srv->request_timeout_ns);
    evhttp_set_timeout_tv(srv->http, &tv);
    evhttp_set_bevcb(srv->http, on_accept_bev, srv);
    evconnlistener_set_error_cb(srv->listener, on_accept_error);
    return 0;
}

void
srv_conns_free(struct wl_server *srv)
{
    size_t i;

    srv->stopping = 1;
    for (i = 0; i < srv->n_conns; i++) {
        if (srv->conns[i] != NULL) {
            srv_conn_forget(srv->conns[i], 0);
        }
    }
    free(srv->conns);
    srv->conns = NULL;
    srv->n_conns = 0;
    for (i = 0; i < srv->n_fresh; i++) {
        bufferevent_decref(srv->fresh[i]);
    }
    free(srv->fresh);
    srv->fresh = NULL;
    srv->n_fresh = 0;
    if (srv->adopt_ev != NULL) {
        event_free(srv->adopt_ev);
    }
    if (srv->backlog_ev != NULL) {
        event_free(srv->backlog_ev);
    }
    if (srv->sweep_ev != NULL) {
        event_free(srv->sweep_ev);
    }
    if (srv->resume_ev != NULL) {
        event_free(srv->resume_ev);
    }
    srv->adopt_ev = srv->backlog_ev = srv->sweep_ev = srv->resume_ev = NULL;
}
