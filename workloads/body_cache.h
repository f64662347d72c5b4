/*
 * body_cache.h - private to workloads/ (server.c) and its tests; everyone
 * else includes wl.h. The loopback server's cache of page bodies: each
 * body generated once per (seed, page, size) and handed to libevent by
 * reference (evbuffer_add_reference), with a cap on the bytes it keeps.
 * body_cache.c says how it works and which thread may call what.
 */
#ifndef GILSIM_BODY_CACHE_H
#define GILSIM_BODY_CACHE_H

#include <stdint.h>

#include <event2/buffer.h>

#include "wl.h"

struct wl__body_cache;

/* What the cache did since it was made; read with relaxed atomics, so
 * each is exact but a snapshot is not one instant across them. */
struct wl__body_cache_stats {
    uint64_t hits;      /* bodies served from the cache */
    uint64_t misses;    /* bodies generated (then cached or not) */
    uint64_t evictions; /* bodies dropped to stay under the cap */
    uint64_t refused;   /* generated but not kept: over max_body */
    uint64_t entries;   /* bodies kept now */
    uint64_t bytes;     /* what they take now, headers included */
    uint64_t cap;       /* the most `bytes` may reach */
    uint64_t max_body;  /* the largest body kept */
};

/* A cache of at most cap_bytes (bodies and their records); bodies of
 * more than cap_bytes / WL__BODY_CACHE_MAX_SHARE bytes (records aside)
 * are generated for each reply and never kept. 0 or -ENOMEM. */
#define WL__BODY_CACHE_MAX_SHARE 4
int wl__body_cache_new(uint64_t cap_bytes,
                       struct wl__body_cache **out) WL_WARN_UNUSED;
/* Drops the cache's own references; a body still referenced by an
 * evbuffer lives until that reference goes. NULL does nothing. */
void wl__body_cache_free(struct wl__body_cache *c);
/* Append the first n bytes (n <= size) of the body of (seed, page, size)
 * to buf, by reference to a body kept in the cache (made now if it is
 * not there). c may be NULL: the body is generated, not kept. 0, or
 * -ENOMEM (buf unchanged). Not thread-safe: one thread calls it. */
int wl__body_cache_add(struct wl__body_cache *c, uint64_t seed, int64_t page,
                       uint64_t size, uint64_t n,
                       struct evbuffer *buf) WL_WARN_UNUSED;
/* A snapshot of the counters; safe from any thread. c may be NULL (all
 * zero). */
void wl__body_cache_get_stats(const struct wl__body_cache *c,
                              struct wl__body_cache_stats *out);

#endif
