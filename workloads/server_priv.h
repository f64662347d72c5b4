/*
 * server_priv.h - what the two halves of the loopback latency server
 * share: server.c (requests, replies, start and stop) and server_conns.c
 * (connections: their records, the cap on how many are open, the deadline
 * for a whole request, pauses after accept errors). Not for other files.
 *
 * Everything here belongs to the server's thread, except the counters
 * (written there, read by anyone with relaxed atomics) and what the
 * stopper touches after the join.
 */
#ifndef GILSIM_SERVER_PRIV_H
#define GILSIM_SERVER_PRIV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "wl.h"

struct conn;
struct wl__body_cache;

/* A request whose reply waits for its timer. */
struct pending {
    struct conn *conn;          /* the connection it arrived on */
    struct evhttp_request *req; /* evhttp's; alive while we are pending */
    struct event *timer;        /* one-shot, owned */
    int64_t page;               /* start=N */
    uint64_t size;              /* its body's bytes (size=, or the config's) */
    int kind;                   /* 0 = normal, 1..3 as wl_server_page_fails */
    struct pending *prev;       /* in conn->pending */
    struct pending *next;
};

/* One open connection, from its accept (or, failing that, its first
 * request) to evhttp's close callback. */
struct conn {
    struct wl_server *srv;
    struct evhttp_connection *evcon; /* evhttp's */
    int fd;                          /* index in srv->conns */
    int busy;                /* requests received and not yet replied to */
    int reply_ok;            /* the reply being written counts as replies_ok */
    int64_t idle_since_ns;   /* accept or last reply; meaningful when idle */
    struct pending *pending; /* replies waiting, a list */
};

struct wl_server {
    struct wl_server_config cfg; /* a copy; bind filled in */
    int port;                    /* bound port; set before the thread */
    struct event_base *base;
    struct evhttp *http;
    struct event *stop_ev;           /* activated by wl_server_stop */
    struct evconnlistener *listener; /* evhttp's (bound to it) */
    pthread_t thread;
    /* Page bodies for reuse (body_cache.c): made before the thread,
     * used on it, freed after the join; NULL when configured off. */
    struct wl__body_cache *cache;

    /* Server thread only (or the stopper, after the join). */
    uint64_t jitter_state;      /* splitmix64 state for the jitter draws */
    struct conn **conns;        /* by fd; NULL where none is tracked */
    size_t n_conns;             /* capacity of conns */
    uint64_t open;              /* tracked connections */
    uint64_t idle;              /* of them, those not busy */
    uint64_t cap;               /* most connections open at once */
    int64_t request_timeout_ns; /* an idle connection's deadline */
    struct bufferevent **fresh; /* accepted, not yet adopted (a ref each) */
    size_t n_fresh;
    size_t cap_fresh;
    int full;        /* at the cap: the listener is off */
    int backing_off; /* after EMFILE and kin: the listener is off */
    int stopping;    /* evhttp is being freed: leave the listener alone */
    struct event *adopt_ev;   /* makes records for the fresh connections */
    struct event *backlog_ev; /* full, and someone waits in the backlog */
    struct event *sweep_ev;   /* closes idle connections past the deadline */
    struct event *resume_ev;  /* ends a back-off */

    /* Written by the server thread, read by anyone (relaxed). */
    _Atomic uint64_t requests;
    _Atomic uint64_t replies_ok;
    _Atomic uint64_t replies_dropped;
    _Atomic uint64_t injected_500;
    _Atomic uint64_t injected_close;
    _Atomic uint64_t injected_stall;
    _Atomic uint64_t connections;
    _Atomic uint64_t connections_open;
    _Atomic uint64_t connections_max;
    _Atomic uint64_t connections_evicted;
    _Atomic uint64_t connections_timed_out;
    _Atomic uint64_t accept_pauses;
};

static inline void
srv_bump(_Atomic uint64_t *counter)
{
    atomic_fetch_add_explicit(counter, 1, memory_order_relaxed);
}

/* A timeval of at least `ns` (rounded up to the microsecond, so a timer
 * never fires before ns have passed). */
static inline struct timeval
srv_timeval_from_ns(int64_t ns)
{
    struct timeval tv;
    int64_t us = ns / 1000 + (ns % 1000 != 0);

    tv.tv_sec = (time_t)(us / 1000000);
    tv.tv_usec = (suseconds_t)(us % 1000000);
    return tv;
}

/* Set up the connection bookkeeping of srv (base, http and listener
 * made): the cap, the deadline, its events and evhttp's callbacks. 0 or
 * -ENOMEM. */
int srv_conns_init(struct wl_server *srv);
/* The server thread's first call: the listener's error callback finds
 * its server through it. */
void srv_conns_thread_start(struct wl_server *srv);
/* After evhttp_free (with srv->stopping set before it): forget what is left,
 * release the fresh bufferevents, free the events. */
void srv_conns_free(struct wl_server *srv);

/* The record of evcon, made if it has none (a connection whose accept
 * was not seen). NULL when out of memory. */
struct conn *srv_conn_of(struct wl_server *srv,
                         struct evhttp_connection *evcon);
/* A request arrived on c: busy until the reply is written (the request's
 * on-complete callback is set here). */
void srv_conn_request(struct conn *c, struct evhttp_request *req);
/* Forget c and cancel its pending replies (see server_conns.c). */
void srv_conn_forget(struct conn *c, int reqs_alive);

#endif
