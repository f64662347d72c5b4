/*
 * body_cache.c - the loopback server's page bodies, each generated once
 * per (seed, page, size) and then served by reference: a reply's evbuffer
 * points at the cached bytes (evbuffer_add_reference) instead of holding
 * a copy, so a repeated page costs a lookup, not a body.c generation and
 * a 64 KiB copy.
 *
 * An entry is one malloc: its record and its bytes. It is counted: one
 * reference for the cache while the entry is in it, one for each evbuffer
 * chain that points at it (libevent calls on_unref when that chain is
 * freed: written, or dropped with its connection). Whoever drops the last
 * reference frees the entry, so a body the cache evicts while replies
 * still point at it stays until the last of them is written.
 *
 * Entries sit in a hash table of chains keyed by (seed, page, size) and
 * on a least-recently-used list. `bytes` (records and bodies of the
 * entries in the cache) never passes `cap`: before an entry goes in, the
 * least recently used ones are evicted until it fits. A body of more
 * than cap / WL__BODY_CACHE_MAX_SHARE bytes (its record aside) is never
 * kept (`refused`): it is
 * generated into an entry that only its reply references, as if there
 * were no cache. Evicted and refused bodies still in flight are outside
 * the cap, as every body was before the cache: they are bounded by the
 * replies being written. Whatever the cache does, the reply's bytes are
 * those of wl_server_page_body().
 *
 * Threads. The table, the list and `bytes` belong to the one thread that
 * calls wl__body_cache_add (the server's event loop; server.c runs one).
 * An entry's count is atomic, because libevent frees a chain on whichever
 * thread frees its evbuffer: the server's, or the one that stops the
 * server (evhttp_free after the join), possibly after the cache itself
 * was freed. on_unref touches the entry alone, never the cache. The
 * counters are atomics written by the cache's thread and read by anyone.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "body_cache.h"

#define BUCKETS_MIN 64 /* the table's first size; it doubles at load 1 */

struct entry {
    atomic_uint refs;    /* the cache's (while in it) + one per chain */
    uint64_t seed;       /* the key */
    int64_t page;        /* the key */
    uint64_t size;       /* the key; bytes of body[] */
    struct entry *chain; /* the next in its bucket */
    struct entry *newer; /* the LRU list: towards the most recent */
    struct entry *older; /* and towards the least recent */
    char body[];         /* wl_server_page_body(seed, page, size) */
};

struct wl__body_cache {
    /* The cache's thread only. */
    struct entry **buckets; /* n_buckets chains */
    size_t n_buckets;       /* a power of two */
    struct entry *newest;   /* the LRU list's ends */
    struct entry *oldest;
    uint64_t cap;      /* the most `bytes` may be */
    uint64_t max_body; /* the largest body kept */

    /* Written by the cache's thread, read by anyone (relaxed). */
    _Atomic uint64_t hits;
    _Atomic uint64_t misses;
    _Atomic uint64_t evictions;
    _Atomic uint64_t refused;
    _Atomic uint64_t entries;
    _Atomic uint64_t bytes;
};

static void
bump(_Atomic uint64_t *v, int64_t by)
{
    atomic_store_explicit(
        v, atomic_load_explicit(v, memory_order_relaxed) + (uint64_t)by,
        memory_order_relaxed);
}

static uint64_t
footprint(uint64_t size)
{
    return sizeof(struct entry) + size;
}

static void
entry_unref(struct entry *e)
{
    if (atomic_fetch_sub_explicit(&e->refs, 1, memory_order_acq_rel) == 1) {
        free(e);
    }
}

/* libevent's cleanup of a reference chain (evbuffer_add_reference). */
static void
on_unref(const void *data, size_t len, void *arg)
{
    (void)data;
    (void)len;
    entry_unref(arg);
}

static size_t
bucket_of(const struct wl__body_cache *c, uint64_t seed, int64_t page,
          uint64_t size)
{
    uint64_t h = seed ^ (uint64_t)page * UINT64_C(0x9e3779b97f4a7c15) ^
                 size * UINT64_C(0xc2b2ae3d27d4eb4f);

    h ^= h >> 31;
    h *= UINT64_C(0xbf58476d1ce4e5b9);
    h ^= h >> 29;
    return (size_t)(h & (c->n_buckets - 1));
}

static struct entry *
lookup(const struct wl__body_cache *c, uint64_t seed, int64_t page,
       uint64_t size)
{
    struct entry *e = c->buckets[bucket_of(c, seed, page, size)];

    while (e != NULL &&
           (e->seed != seed || e->page != page || e->size != size)) {
        e = e->chain;
    }
    return e;
}

static void
lru_unlink(struct wl__body_cache *c, struct entry *e)
{
    if (e->newer != NULL) {
        e->newer->older = e->older;
    } else {
        c->newest = e->older;
    }
    if (e->older != NULL) {
        e->older->newer = e->newer;
    } else {
        c->oldest = e->newer;
    }
    e->newer = e->older = NULL;
}

static void
lru_push(struct wl__body_cache *c, struct entry *e)
{
    e->older = c->newest;
    e->newer = NULL;
    if (c->newest != NULL) {
        c->newest->newer = e;
    } else {
        c->oldest = e;
    }
    c->newest = e;
}

/* Take e out of the cache and drop the cache's reference. */
static void
evict(struct wl__body_cache *c, struct entry *e)
{
    struct entry **pp = &c->buckets[bucket_of(c, e->seed, e->page, e->size)];

    while (*pp != e) {
        pp = &(*pp)->chain;
    }
    *pp = e->chain;
    lru_unlink(c, e);
    bump(&c->entries, -1);
    bump(&c->bytes, -(int64_t)footprint(e->size));
    entry_unref(e);
}

/* Twice the buckets, when memory allows; a table that cannot grow keeps
 * working with longer chains. */
static void
grow(struct wl__body_cache *c)
{
    size_t n = c->n_buckets * 2;
    struct entry **nb = calloc(n, sizeof(*nb));
    struct entry **old = c->buckets;
    size_t old_n = c->n_buckets;
    size_t i;

    if (nb == NULL) {
        return;
    }
    c->buckets = nb;
    c->n_buckets = n;
    for (i = 0; i < old_n; i++) {
        struct entry *e = old[i];

        while (e != NULL) {
            struct entry *next = e->chain;
            size_t b = bucket_of(c, e->seed, e->page, e->size);

            e->chain = nb[b];
            nb[b] = e;
            e = next;
        }
    }
    free(old);
}

/* Put e (one reference, the caller's) in the cache, which takes a
 * reference of its own; evicts the least recently used to make room. */
static void
insert(struct wl__body_cache *c, struct entry *e)
{
    uint64_t need = footprint(e->size);
    size_t b;

    while (c->oldest != NULL &&
           atomic_load_explicit(&c->bytes, memory_order_relaxed) + need >
               c->cap) {
        evict(c, c->oldest);
        bump(&c->evictions, 1);
    }
    if (atomic_load_explicit(&c->entries, memory_order_relaxed) >=
        c->n_buckets) {
        grow(c);
    }
    atomic_fetch_add_explicit(&e->refs, 1, memory_order_relaxed);
    b = bucket_of(c, e->seed, e->page, e->size);
    e->chain = c->buckets[b];
    c->buckets[b] = e;
    lru_push(c, e);
    bump(&c->entries, 1);
    bump(&c->bytes, (int64_t)need);
}

/* A new entry holding the body, with one reference (the caller's). */
static struct entry *
entry_make(uint64_t seed, int64_t page, uint64_t size)
{
    struct entry *e;

    if (size > SIZE_MAX - sizeof(*e)) {
        return NULL;
    }
    e = malloc(sizeof(*e) + (size_t)size);
    if (e == NULL) {
        return NULL;
    }
    atomic_init(&e->refs, 1);
    e->seed = seed;
    e->page = page;
    e->size = size;
    e->chain = e->newer = e->older = NULL;
    wl_server_page_body(seed, page, size, e->body);
    return e;
}

int
wl__body_cache_new(uint64_t cap_bytes, struct wl__body_cache **out)
{
    struct wl__body_cache *c = calloc(1, sizeof(*c));

    if (c == NULL) {
        return -ENOMEM;
    }
    c->buckets = calloc(BUCKETS_MIN, sizeof(*c->buckets));
    if (c->buckets == NULL) {
        free(c);
        return -ENOMEM;
    }
    c->n_buckets = BUCKETS_MIN;
    c->cap = cap_bytes;
    /* The body's bytes are compared, as --help and wl.h say ("a body over
     * 16 MiB" of the 64 MiB default); its record is a few bytes more.
     * Only a cap too small to hold a quarter and a record takes less. */
    c->max_body = cap_bytes / WL__BODY_CACHE_MAX_SHARE;
    if (c->max_body + sizeof(struct entry) > cap_bytes) {
        c->max_body = cap_bytes > sizeof(struct entry)
                          ? cap_bytes - sizeof(struct entry)
                          : 0;
    }
    *out = c;
    return 0;
}

void
wl__body_cache_free(struct wl__body_cache *c)
{
    if (c == NULL) {
        return;
    }
    while (c->oldest != NULL) {
        evict(c, c->oldest);
    }
    free(c->buckets);
    free(c);
}

int
wl__body_cache_add(struct wl__body_cache *c, uint64_t seed, int64_t page,
                   uint64_t size, uint64_t n, struct evbuffer *buf)
{
    struct entry *e;

    if (n > size) {
        return -EINVAL;
    }
    if (n == 0) {
        return 0; /* an empty body adds nothing */
    }
    e = c != NULL ? lookup(c, seed, page, size) : NULL;
    if (e != NULL) {
        bump(&c->hits, 1);
        lru_unlink(c, e);
        lru_push(c, e);
        atomic_fetch_add_explicit(&e->refs, 1, memory_order_relaxed);
    } else {
        e = entry_make(seed, page, size);
        if (e == NULL) {
            return -ENOMEM;
        }
        if (c != NULL) {
            bump(&c->misses, 1);
            if (size <= c->max_body) {
                insert(c, e);
            } else {
                bump(&c->refused, 1);
            }
        }
    }
    /* e has the caller's reference now; the chain takes it over. */
    if (evbuffer_add_reference(buf, e->body, (size_t)n, on_unref, e) != 0) {
        entry_unref(e);
        return -ENOMEM;
    }
    return 0;
}

void
wl__body_cache_get_stats(const struct wl__body_cache *c,
                         struct wl__body_cache_stats *out)
{
    memset(out, 0, sizeof(*out));
    if (c == NULL) {
        return;
    }
    out->hits = atomic_load_explicit(&c->hits, memory_order_relaxed);
    out->misses = atomic_load_explicit(&c->misses, memory_order_relaxed);
    out->evictions = atomic_load_explicit(&c->evictions, memory_order_relaxed);
    out->refused = atomic_load_explicit(&c->refused, memory_order_relaxed);
    out->entries = atomic_load_explicit(&c->entries, memory_order_relaxed);
    out->bytes = atomic_load_explicit(&c->bytes, memory_order_relaxed);
    out->cap = c->cap;
    out->max_body = c->max_body;
}
