/*
 * server.c - the loopback latency server: libevent's evhttp on one thread
 * with its own event_base. It answers `GET /top250?start=N` (any path;
 * only the query's `start`, and `latency_us` and `size` if given, matter)
 * after cfg->latency_ns (or latency_us) plus a seeded jitter, with the
 * body of body.c of cfg->body_size (or size) bytes, so one thread can
 * hold thousands of connections whose replies are all pending at once.
 *
 * How a request goes:
 *   1. evhttp parses it and calls on_request (the generic callback). A
 *      method other than GET gets 405, a missing or malformed start= gets
 *      400, both at once and keeping the connection alive (evhttp_send_error
 *      would close it). Otherwise wl_server_page_fails(seed, fail_rate,
 *      N) decides the page's fate, and a one-shot timer (event_new, never
 *      a sleep) is armed for latency + jitter, plus stall_ns for a stall.
 *      The jitter is uniform in [0, jitter_ns), from a splitmix64 stream
 *      seeded with cfg->seed and advanced once per valid request, on the
 *      server thread only.
 *   2. on_timer answers: 200 with the body (kind 0 and, late, kind 3), 500
 *      with a short body (kind 1), or, for kind 2, the headers with the
 *      full Content-Length, half of the body and "Connection: close", so
 *      evhttp closes the connection once the half is written and the
 *      client sees a transfer cut short.
 *
 * Request lifetime. evhttp stops reading a connection while its request
 * waits for a reply (evhttp_handle_request disables EV_READ), so a client
 * that closes early is only noticed when the reply is written; evhttp then
 * frees the request with the connection. While a timer is pending, the
 * request can only disappear when its connection is freed, and evhttp calls
 * the connection's close callback (on_close) before it frees the requests.
 * on_close therefore cancels the connection's pending timers; a request
 * that evhttp has detached from its connection (evcon == NULL, see
 * evhttp_connection_incoming_fail) is ours to free. So no timer ever fires
 * on a freed request.
 *
 * What the counters mean (struct wl_server_stats):
 *   requests       requests evhttp parsed and handed to us, bad ones too.
 *   replies_ok     un-injected 200 replies whose last byte the kernel
 *                  accepted (evhttp's on-complete callback); stalled
 *                  replies are counted as injected_stall only.
 *   injected_*     pages answered with a failure, counted when the request
 *                  arrives, whether or not the client stays to see it.
 *   connections    TCP connections accepted (evhttp's bufferevent
 *                  callback, which runs once per accept).
 *   connections_open / _max
 *                  accepted connections that evhttp has not closed yet
 *                  (server_conns.c); one whose client left while its
 *                  reply was pending stays open until the reply is due
 *                  (evhttp is not reading it meanwhile).
 *   connections_evicted / _timed_out
 *                  idle connections closed to make room at the cap, or
 *                  for not sending a whole request in time.
 *   accept_pauses  times the cap turned accepting off.
 * The counters are written on the server thread and read with relaxed
 * atomics from any thread: each is exact, but a snapshot is not one
 * instant across counters.
 *
 * Stopping: wl_server_stop activates stop_ev from its own thread (libevent
 * is made thread-aware with evthread_use_pthreads, once per process, so
 * that wakes the loop); on_stop breaks the loop; after the join, the caller
 * frees evhttp (which closes every connection, so on_close frees every
 * pending timer and connection record) and then the base.
 *
 * Timers: the base uses EVENT_BASE_FLAG_PRECISE_TIMER (CLOCK_MONOTONIC and
 * a timerfd). Without it libevent reads CLOCK_MONOTONIC_COARSE and sleeps
 * in whole milliseconds: measured over keep-alive with latency 20 ms, the
 * p99 was 24.4 ms instead of 20.3 ms, and a deadline taken from a lagging
 * coarse clock could even come early. Deadlines are rounded up to the
 * microsecond, and the loop's cached time is read after the request
 * arrived, so a reply never leaves before latency_ns has passed since
 * the client sent the request.
 *
 * Connections (their records, the cap, the request deadline, pauses
 * after accept errors) are server_conns.c's.
 *
 * Bodies come from body_cache.c: generated once per (seed, page, size),
 * kept up to cfg.body_cache_bytes (64 MiB by default), and added to a
 * reply by reference, so a page asked for again is not generated or
 * copied again (server CPU on 64 KiB pages: see bench/README.md). The
 * cache is used on this thread only and freed after the join.
 *
 * The server thread blocks every signal: a write to a socket the client
 * closed raises SIGPIPE in the writing thread, which would otherwise kill
 * the process, and Ctrl-C belongs to the CLI's threads.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <event2/thread.h>
#include <event2/util.h>

#include "base.h"
#include "body_cache.h"
#include "server_priv.h"

#define LISTEN_BACKLOG   4096  /* the kernel caps it at somaxconn */
#define MAX_HEADERS_SIZE 16384 /* request line + headers, bytes */
#define MAX_REQ_BODY     65536 /* bodies of requests we refuse */
#define MAX_BODY_SIZE    (UINT64_C(1) << 30) /* cfg->body_size limit */
#define MAX_START_DIGITS 18                  /* start=N fits int64_t */

static pthread_once_t threads_once = PTHREAD_ONCE_INIT;
static int threads_rc; /* evthread_use_pthreads()'s result */

static void
init_threads(void)
{
    threads_rc = evthread_use_pthreads();
}

static void
pending_unlink(struct pending *p)
{
    if (p->prev != NULL) {
        p->prev->next = p->next;
    } else {
        p->conn->pending = p->next;
    }
    if (p->next != NULL) {
        p->next->prev = p->prev;
    }
    p->prev = NULL;
    p->next = NULL;
}

/* The first n bytes of page's body of `size` bytes (n <= size) in a new
 * evbuffer, by reference to the body cache's copy (body_cache.c). */
static struct evbuffer *
body_buffer(const struct wl_server *srv, int64_t page, uint64_t size,
            uint64_t n)
{
    struct evbuffer *buf = evbuffer_new();

    if (buf == NULL) {
        return NULL;
    }
    if (wl__body_cache_add(srv->cache, srv->cfg.seed, page, size, n, buf) !=
        0) {
        evbuffer_free(buf);
        return NULL;
    }
    return buf;
}

/* A short text/plain reply. Unlike evhttp_send_error, which clears our
 * headers and closes the connection, it keeps the connection alive. */
static void
send_plain(struct evhttp_request *req, int code, const char *reason,
           const char *text)
{
    struct evbuffer *buf = evbuffer_new();

    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                      "text/plain; charset=utf-8");
    if (buf != NULL) {
        evbuffer_add_printf(buf, "%d %s: %s\n", code, reason, text);
    }
    evhttp_send_reply(req, code, reason, buf);
    if (buf != NULL) {
        evbuffer_free(buf);
    }
}

static void
send_unavailable(struct evhttp_request *req)
{
    send_plain(req, 503, "Service Unavailable", "out of memory");
}

/* Kind 2: promise the whole body, send half, close. evhttp closes the
 * connection after the reply because of "Connection: close"; the client
 * gets fewer bytes than Content-Length and then EOF. */
static void
send_truncated(struct wl_server *srv, struct evhttp_request *req, int64_t page,
               uint64_t size)
{
    struct evkeyvalq *out = evhttp_request_get_output_headers(req);
    struct evbuffer *half = body_buffer(srv, page, size, size / 2);
    char len[32];

    if (half == NULL) {
        send_unavailable(req);
        return;
    }
    snprintf(len, sizeof(len), "%llu", (unsigned long long)size);
    evhttp_add_header(out, "Content-Type", "text/html; charset=utf-8");
    evhttp_add_header(out, "Content-Length", len);
    evhttp_add_header(out, "Connection", "close");
    evhttp_send_reply_start(req, 200, "OK");
    evhttp_send_reply_chunk(req, half); /* no-op when half is empty */
    evhttp_send_reply_end(req);
    evbuffer_free(half);
}

/* A 200 with the page's body; with c, it counts in replies_ok once
 * written. */
static void
send_page(struct wl_server *srv, struct conn *c, struct evhttp_request *req,
          int64_t page, uint64_t size)
{
    struct evbuffer *buf = body_buffer(srv, page, size, size);

    if (buf == NULL) {
        send_unavailable(req);
        return;
    }
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                      "text/html; charset=utf-8");
    if (c != NULL) {
        c->reply_ok = 1;
    }
    evhttp_send_reply(req, 200, "OK", buf);
    evbuffer_free(buf);
}

/* 1 if the request has two Content-Length headers that differ. */
static int
conflicting_lengths(struct evhttp_request *req)
{
    struct evkeyvalq *h = evhttp_request_get_input_headers(req);
    struct evkeyval *kv;
    const char *first = NULL;

    for (kv = h != NULL ? h->tqh_first : NULL; kv != NULL;
         kv = kv->next.tqe_next) {
        if (evutil_ascii_strcasecmp(kv->key, "Content-Length") != 0) {
            continue;
        }
        if (first == NULL) {
            first = kv->value;
        } else if (strcmp(first, kv->value) != 0) {
            return 1;
        }
    }
    return 0;
}

/* 1 if the client of a pending reply has left: its socket reads EOF or
 * fails (evhttp stops reading a connection while its request waits, so
 * it has not noticed). Peeked, never read: a pipelined request stays. */
static int
client_left(struct evhttp_request *req)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    struct bufferevent *bev =
        evcon != NULL ? evhttp_connection_get_bufferevent(evcon) : NULL;
    evutil_socket_t fd = bev != NULL ? bufferevent_getfd(bev) : -1;
    char b;
    ssize_t n;

    if (fd < 0) {
        return 0;
    }
    n = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 ||
           (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
    struct pending *p = arg;
    struct conn *c = p->conn; /* alive: a close would have freed p */
    struct wl_server *srv = c->srv;
    struct evhttp_request *req = p->req;
    int64_t page = p->page;
    uint64_t size = p->size;
    int kind = p->kind;

    (void)fd;
    (void)what;
    /* Forget p first: a reply can free the connection, and so run
     * on_close, before evhttp_send_* returns. */
    pending_unlink(p);
    event_free(p->timer); /* safe from the event's own callback */
    free(p);
    if (client_left(req)) {
        /* Nobody to read it: no body made, nothing written; the
         * connection is closed (on_close forgets it). Replies to clients
         * that left used to be written one by one ahead of live ones. */
        srv_bump(&srv->replies_dropped);
        evhttp_connection_free(evhttp_request_get_connection(req));
        return;
    }

    switch (kind) {
    case 1:
        send_plain(req, 500, "Internal Server Error", "injected failure");
        break;
    case 2:
        send_truncated(srv, req, page, size);
        break;
    case 3:
        send_page(srv, NULL, req, page, size);
        break;
    default:
        send_page(srv, c, req, page, size);
        break;
    }
}

/* The value of `key=` in one query parameter q[0..len): 1 and the number
 * in *v (a non-negative decimal of at most MAX_START_DIGITS digits), -1
 * if it is malformed, 0 if q is another parameter. */
static int
query_number(const char *q, size_t len, const char *key, int64_t *v)
{
    size_t k = strlen(key), i;
    int64_t n = 0;

    if (len < k || strncmp(q, key, k) != 0) {
        return 0;
    }
    if (len == k || len - k > MAX_START_DIGITS) {
        return -1;
    }
    for (i = k; i < len; i++) {
        if (q[i] < '0' || q[i] > '9') {
            return -1;
        }
        n = n * 10 + (q[i] - '0');
    }
    *v = n;
    return 1;
}

/* start=N from the query, and a request's own latency_us=L and size=B
 * (-1 where absent): 0, or -1 when there is no start= or a value is not
 * a non-negative decimal integer (or L is over 60 s, B over
 * MAX_BODY_SIZE). Parsed by hand, so other parameters (even ones without
 * a value) do not matter; the last of a key wins, as in most frameworks. */
static int
parse_query(struct evhttp_request *req, int64_t *page, int64_t *latency_us,
            int64_t *size)
{
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *q = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
    int found = -1, bad = 0;

    *latency_us = *size = -1;
    while (q != NULL && *q != '\0') {
        size_t len = strcspn(q, "&");
        int r = query_number(q, len, "start=", page);

        if (r != 0) {
            found = r > 0 ? 0 : -1;
        } else {
            bad |= query_number(q, len, "latency_us=", latency_us) < 0;
            bad |= query_number(q, len, "size=", size) < 0;
        }
        q += len;
        if (*q == '&') {
            q++;
        }
    }
    if (bad || *latency_us > INT64_C(60000000) ||
        *size > (int64_t)MAX_BODY_SIZE) {
        return -1;
    }
    return found;
}

static void
on_request(struct evhttp_request *req, void *arg)
{
    struct wl_server *srv = arg;
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    struct pending *p;
    struct conn *c;
    struct timeval tv;
    int64_t page = 0, latency_us = -1, size = -1; /* set by parse_query */
    int64_t delay_ns;
    int kind = 0;

    srv_bump(&srv->requests);
    c = evcon != NULL ? srv_conn_of(srv, evcon) : NULL;
    if (c != NULL) {
        srv_conn_request(c, req);
    }
    if (conflicting_lengths(req)) {
        /* Two Content-Lengths that differ: where this request ends is
         * ambiguous, so the bytes after it are not trusted as another
         * request (request smuggling). 400, and the connection closed. */
        evhttp_add_header(evhttp_request_get_output_headers(req), "Connection",
                          "close");
        send_plain(req, 400, "Bad Request",
                   "conflicting Content-Length headers");
        return;
    }
    if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
                          "GET");
        send_plain(req, 405, "Method Not Allowed", "only GET is served");
        return;
    }
    if (parse_query(req, &page, &latency_us, &size) != 0) {
        send_plain(req, 400, "Bad Request",
                   "want ?start=N, N a non-negative integer (and maybe "
                   "latency_us=L up to 60000000, size=B up to 1073741824)");
        return;
    }
    if (c == NULL) {
        send_unavailable(req);
        return;
    }

    delay_ns = latency_us >= 0 ? latency_us * 1000 : srv->cfg.latency_ns;
    if (srv->cfg.jitter_ns > 0) {
        delay_ns += (int64_t)(base_splitmix64(&srv->jitter_state) %
                              (uint64_t)srv->cfg.jitter_ns);
    }
    if (wl_server_page_fails(srv->cfg.seed, srv->cfg.fail_rate, page, &kind)) {
        switch (kind) {
        case 1:
            srv_bump(&srv->injected_500);
            break;
        case 2:
            srv_bump(&srv->injected_close);
            break;
        default:
            srv_bump(&srv->injected_stall);
            delay_ns += srv->cfg.stall_ns;
            break;
        }
    }

    p = calloc(1, sizeof(*p));
    if (p == NULL) {
        send_unavailable(req);
        return;
    }
    p->timer = evtimer_new(srv->base, on_timer, p);
    if (p->timer == NULL) {
        free(p);
        send_unavailable(req);
        return;
    }
    p->conn = c;
    p->req = req;
    p->page = page;
    p->size = size >= 0 ? (uint64_t)size : srv->cfg.body_size;
    p->kind = kind;
    p->next = c->pending;
    if (c->pending != NULL) {
        c->pending->prev = p;
    }
    c->pending = p;
    tv = srv_timeval_from_ns(delay_ns);
    if (evtimer_add(p->timer, &tv) != 0) {
        pending_unlink(p);
        event_free(p->timer);
        free(p);
        send_unavailable(req);
    }
}

static void
on_stop(evutil_socket_t fd, short what, void *arg)
{
    struct wl_server *srv = arg;

    (void)fd;
    (void)what;
    event_base_loopbreak(srv->base);
}

static void *
server_main(void *arg)
{
    struct wl_server *srv = arg;

    srv_conns_thread_start(srv);
    event_base_loop(srv->base, EVLOOP_NO_EXIT_ON_EMPTY);
    return NULL;
}

static int
check_config(const struct wl_server_config *cfg)
{
    if (memchr(cfg->bind, '\0', sizeof(cfg->bind)) == NULL) {
        return -EINVAL;
    }
    if (cfg->port < 0 || cfg->port > 65535) {
        return -EINVAL;
    }
    if (cfg->latency_ns < 0 || cfg->jitter_ns < 0 || cfg->stall_ns < 0 ||
        cfg->idle_timeout_ns < 0 || cfg->max_connections < 0) {
        return -EINVAL;
    }
    /* Keep latency + jitter + stall far from overflowing int64_t. */
    if (cfg->latency_ns > INT64_MAX / 4 || cfg->jitter_ns > INT64_MAX / 4 ||
        cfg->stall_ns > INT64_MAX / 4) {
        return -EINVAL;
    }
    if (!(cfg->fail_rate >= 0.0 && cfg->fail_rate <= 1.0)) {
        return -EINVAL; /* also NaN */
    }
    if (cfg->body_size > MAX_BODY_SIZE) {
        return -EINVAL;
    }
    return 0;
}

/* A nonblocking, close-on-exec socket bound to bind:port and listening
 * with LISTEN_BACKLOG. 0 or -errno (-EINVAL for an address that is not a
 * numeric IPv4 or IPv6 address). */
static int
open_listener(const char *bind_addr, int port, evutil_socket_t *out)
{
    struct addrinfo hints;
    struct addrinfo *ai = NULL;
    char service[16];
    int one = 1;
    int fd;
    int rc;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
    snprintf(service, sizeof(service), "%d", port);
    rc = getaddrinfo(bind_addr, service, &hints, &ai);
    if (rc != 0) {
        return rc == EAI_MEMORY ? -ENOMEM : -EINVAL;
    }
    fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0) {
        rc = -errno;
        goto fail_ai;
    }
    if (evutil_make_socket_nonblocking(fd) != 0 ||
        evutil_make_socket_closeonexec(fd) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0) {
        rc = -errno;
        goto fail_fd;
    }
    /* Accepted sockets inherit TCP_NODELAY on Linux. Without it, evhttp's
     * separate writes of headers and body meet the client's delayed ACK
     * (Nagle), and each reply comes ~40 ms late. */
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        rc = -errno;
        goto fail_fd;
    }
    if (listen(fd, LISTEN_BACKLOG) != 0) {
        rc = -errno;
        goto fail_fd;
    }
    freeaddrinfo(ai);
    *out = fd;
    return 0;
fail_fd:
    close(fd);
fail_ai:
    freeaddrinfo(ai);
    return rc != 0 ? rc : -EIO;
}

static int
bound_port(evutil_socket_t fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
        return -errno;
    }
    if (ss.ss_family == AF_INET) {
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    }
    if (ss.ss_family == AF_INET6) {
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    }
    return -EAFNOSUPPORT;
}

int
wl_server_start(const struct wl_server_config *cfg, struct wl_server **out)
{
    struct wl_server *srv;
    struct event_config *ecfg;
    struct evconnlistener *lev;
    evutil_socket_t fd;
    sigset_t all;
    sigset_t old;
    int rc;

    if (cfg == NULL || out == NULL) {
        return -EINVAL;
    }
    rc = check_config(cfg);
    if (rc != 0) {
        return rc;
    }
    rc = pthread_once(&threads_once, init_threads);
    if (rc != 0) {
        return -rc;
    }
    if (threads_rc != 0) {
        return -ENOMEM;
    }
    srv = calloc(1, sizeof(*srv));
    if (srv == NULL) {
        return -ENOMEM;
    }
    srv->cfg = *cfg;
    if (srv->cfg.bind[0] == '\0') {
        snprintf(srv->cfg.bind, sizeof(srv->cfg.bind), "127.0.0.1");
    }
    srv->jitter_state = cfg->seed;

    rc = open_listener(srv->cfg.bind, cfg->port, &fd);
    if (rc != 0) {
        goto fail_free;
    }
    rc = bound_port(fd);
    if (rc < 0) {
        evutil_closesocket(fd);
        goto fail_free;
    }
    srv->port = rc;

    ecfg = event_config_new();
    if (ecfg == NULL) {
        evutil_closesocket(fd);
        rc = -ENOMEM;
        goto fail_free;
    }
    event_config_set_flag(ecfg, EVENT_BASE_FLAG_PRECISE_TIMER);
    srv->base = event_base_new_with_config(ecfg);
    event_config_free(ecfg);
    if (srv->base == NULL) {
        evutil_closesocket(fd);
        rc = -ENOMEM;
        goto fail_free;
    }
    /* From here on the listener owns fd (LEV_OPT_CLOSE_ON_FREE); it is
     * disabled until evhttp sets its callback. Backlog 0: listening. */
    lev = evconnlistener_new(srv->base, NULL, NULL,
                             LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0,
                             fd);
    if (lev == NULL) {
        evutil_closesocket(fd);
        rc = -ENOMEM;
        goto fail_base;
    }
    srv->http = evhttp_new(srv->base);
    if (srv->http == NULL) {
        evconnlistener_free(lev);
        rc = -ENOMEM;
        goto fail_base;
    }
    if (evhttp_bind_listener(srv->http, lev) == NULL) {
        evconnlistener_free(lev);
        rc = -ENOMEM;
        goto fail_http;
    }
    srv->listener = lev;
    /* Every method reaches on_request, which answers 405 itself. */
    evhttp_set_allowed_methods(
        srv->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                       EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
                       EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT |
                       EVHTTP_REQ_PATCH);
    evhttp_set_max_headers_size(srv->http, MAX_HEADERS_SIZE);
    evhttp_set_max_body_size(srv->http, MAX_REQ_BODY);
    evhttp_set_default_content_type(srv->http, "text/html; charset=utf-8");
    evhttp_set_gencb(srv->http, on_request, srv);

    srv->stop_ev = event_new(srv->base, -1, 0, on_stop, srv);
    if (srv->stop_ev == NULL) {
        rc = -ENOMEM;
        goto fail_http;
    }
    if (cfg->body_cache_bytes >= 0) {
        rc = wl__body_cache_new(cfg->body_cache_bytes > 0
                                    ? (uint64_t)cfg->body_cache_bytes
                                    : (uint64_t)WL_SERVER_BODY_CACHE_DEFAULT,
                                &srv->cache);
        if (rc != 0) {
            goto fail_stop_ev;
        }
    }
    rc = srv_conns_init(srv);
    if (rc != 0) {
        goto fail_cache;
    }

    /* The thread starts with every signal blocked (see the top). */
    sigfillset(&all);
    rc = pthread_sigmask(SIG_SETMASK, &all, &old);
    if (rc != 0) {
        rc = -rc;
        goto fail_conns;
    }
    rc = pthread_create(&srv->thread, NULL, server_main, srv);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        rc = -rc;
        goto fail_conns;
    }
    *out = srv;
    return 0;
fail_conns:
    srv_conns_free(srv);
fail_cache:
    wl__body_cache_free(srv->cache);
fail_stop_ev:
    event_free(srv->stop_ev);
fail_http:
    evhttp_free(srv->http); /* and the listener bound to it */
fail_base:
    event_base_free(srv->base);
fail_free:
    free(srv);
    return rc;
}

int
wl_server_port(const struct wl_server *s)
{
    return s->port;
}

void
wl_server_get_stats(struct wl_server *s, struct wl_server_stats *out)
{
    struct wl__body_cache_stats cs;

    memset(out, 0, sizeof(*out));
    out->requests = atomic_load_explicit(&s->requests, memory_order_relaxed);
    out->replies_ok =
        atomic_load_explicit(&s->replies_ok, memory_order_relaxed);
    out->replies_dropped =
        atomic_load_explicit(&s->replies_dropped, memory_order_relaxed);
    out->injected_500 =
        atomic_load_explicit(&s->injected_500, memory_order_relaxed);
    out->injected_close =
        atomic_load_explicit(&s->injected_close, memory_order_relaxed);
    out->injected_stall =
        atomic_load_explicit(&s->injected_stall, memory_order_relaxed);
    out->connections =
        atomic_load_explicit(&s->connections, memory_order_relaxed);
    out->connections_open =
        atomic_load_explicit(&s->connections_open, memory_order_relaxed);
    out->connections_max =
        atomic_load_explicit(&s->connections_max, memory_order_relaxed);
    out->connections_evicted =
        atomic_load_explicit(&s->connections_evicted, memory_order_relaxed);
    out->connections_timed_out =
        atomic_load_explicit(&s->connections_timed_out, memory_order_relaxed);
    out->accept_pauses =
        atomic_load_explicit(&s->accept_pauses, memory_order_relaxed);
    out->max_connections = s->cap;
    wl__body_cache_get_stats(s->cache, &cs);
    out->body_cache_hits = cs.hits;
    out->body_cache_misses = cs.misses;
    out->body_cache_evictions = cs.evictions;
    out->body_cache_bytes = cs.bytes;
    out->body_cache_cap = cs.cap;
}

void
wl_server_stop(struct wl_server *s)
{
    if (s == NULL) {
        return;
    }
    /* Safe from any thread, even before the loop runs: an active event
     * waits in the queue, where event_base_loopbreak() alone would be
     * lost if it came before the loop began. */
    event_active(s->stop_ev, EV_READ, 0);
    pthread_join(s->thread, NULL);

    /* Closes the listener, then every connection: on_close frees the
     * records and timers. Nothing should be left after it; if something
     * is, its requests went with evhttp and only our records remain,
     * which srv_conns_free forgets. */
    s->stopping = 1;
    evhttp_free(s->http);
    srv_conns_free(s);
    /* After evhttp_free: no reply is left to point at a cached body (a
     * body would outlive the cache all the same, see body_cache.c). */
    wl__body_cache_free(s->cache);
    event_free(s->stop_ev);
    event_base_free(s->base);
    free(s);
}
