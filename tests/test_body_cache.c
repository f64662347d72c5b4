/*
 * test_body_cache.c - cmocka tests of the loopback server's body cache
 * (workloads/body_cache.c) on its own, without a socket: what it appends
 * to an evbuffer is compared byte for byte with wl_server_page_body(),
 * whether the body was generated, found in the cache, refused for its
 * size or evicted while a buffer still pointed at it. Over a real
 * connection the cache is tested in test_server.c.
 *
 * Under ASan a body freed while a buffer still references it is a
 * use-after-free here, so the eviction tests check the lifetime rule too.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <event2/buffer.h>

#include "body_cache.h"
#include "wl.h"

/* The bytes in buf equal the first n of (seed, page, size)'s body. */
static void
assert_buffer_is_body(struct evbuffer *buf, uint64_t seed, int64_t page,
                      uint64_t size, uint64_t n)
{
    char *want = malloc(size + 1);
    size_t len = evbuffer_get_length(buf);
    unsigned char *got;

    assert_non_null(want);
    wl_server_page_body(seed, page, size, want);
    assert_int_equal(len, n);
    if (n > 0) {
        got = evbuffer_pullup(buf, -1);
        assert_non_null(got);
        assert_memory_equal(got, want, n);
    }
    free(want);
}

/* Add (seed, page, size)'s first n bytes to a fresh buffer, check them
 * and free the buffer. */
static void
add_and_check(struct wl__body_cache *c, uint64_t seed, int64_t page,
              uint64_t size, uint64_t n)
{
    struct evbuffer *buf = evbuffer_new();

    assert_non_null(buf);
    assert_int_equal(wl__body_cache_add(c, seed, page, size, n, buf), 0);
    assert_buffer_is_body(buf, seed, page, size, n);
    evbuffer_free(buf);
}

static void
cache_gives_the_generated_bytes_for_a_sample_of_bodies(void **state)
{
    static const uint64_t seeds[] = {0, 1, 2024, UINT64_MAX};
    static const int64_t pages[] = {0, 1, 249, INT64_MAX - 1, INT64_MAX};
    /* Empty, one byte, cut inside the head, cut inside the footer (the
     * head and footer of page 0 take 246 bytes, of INT64_MAX 284), head
     * and footer exactly and one more, odd and even sizes around a page
     * and around the default body. */
    static const uint64_t sizes[] = {0,   1,    100,  240,   246,   247,  284,
                                     285, 4095, 4096, 65535, 65536, 65537};
    struct wl__body_cache *c = NULL;
    struct wl__body_cache_stats st;
    uint64_t adds = 0;
    size_t i, j, k;

    (void)state;
    assert_int_equal(wl__body_cache_new(64u << 20, &c), 0);
    for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
        for (j = 0; j < sizeof(pages) / sizeof(pages[0]); j++) {
            for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
                uint64_t size = sizes[k];

                /* Generated, then from the cache, then a prefix (the
                 * server's half body for a connection cut short). */
                add_and_check(c, seeds[i], pages[j], size, size);
                add_and_check(c, seeds[i], pages[j], size, size);
                add_and_check(c, seeds[i], pages[j], size, size / 2);
                adds += size > 0 ? 1 : 0;
            }
        }
    }
    wl__body_cache_get_stats(c, &st);
    /* An empty body is no entry; every other was made once and found
     * again (twice, or once when its half is empty: size 1). */
    assert_int_equal(st.misses, adds);
    assert_int_equal(st.entries, adds);
    assert_int_equal(st.evictions, 0);
    assert_int_equal(st.hits, 2 * adds - 4 * 5); /* 20 bodies of 1 byte */
    assert_true(st.bytes <= st.cap);
    wl__body_cache_free(c);
}

static void
evicted_bodies_stay_right_while_a_reply_points_at_them(void **state)
{
    enum { SIZE = 65536, HELD = 5, PAGES = 40 };
    struct wl__body_cache *c = NULL;
    struct wl__body_cache_stats st;
    struct evbuffer *held[HELD];
    int64_t p;
    int i;

    (void)state;
    /* Room for four bodies and their records, not five (a body may take
     * a quarter of the cap at most). */
    assert_int_equal(wl__body_cache_new(4 * (SIZE + 256), &c), 0);
    for (i = 0; i < HELD; i++) {
        held[i] = evbuffer_new();
        assert_non_null(held[i]);
        assert_int_equal(wl__body_cache_add(c, 7, i, SIZE, SIZE, held[i]), 0);
    }
    for (p = HELD; p < PAGES; p++) {
        add_and_check(c, 7, p, SIZE, SIZE);
        wl__body_cache_get_stats(c, &st);
        assert_true(st.bytes <= st.cap);
        assert_true(st.entries <= 4);
    }
    wl__body_cache_get_stats(c, &st);
    assert_int_equal(st.misses, PAGES);
    assert_int_equal(st.evictions, PAGES - 4);
    assert_int_equal(st.hits, 0);
    /* Page 0 was evicted long ago: asked again, it is made again, right. */
    add_and_check(c, 7, 0, SIZE, SIZE);
    /* The held buffers outlive the cache, and still read right. */
    wl__body_cache_free(c);
    for (i = 0; i < HELD; i++) {
        assert_buffer_is_body(held[i], 7, i, SIZE, SIZE);
        evbuffer_free(held[i]);
    }
}

static void
the_most_recently_used_body_is_kept(void **state)
{
    enum { SIZE = 10000 };
    struct wl__body_cache *c = NULL;
    struct wl__body_cache_stats st;
    uint64_t hits;
    int64_t p;

    (void)state;
    assert_int_equal(wl__body_cache_new(4 * (SIZE + 256), &c), 0);
    add_and_check(c, 1, 0, SIZE, SIZE);
    for (p = 1; p < 10; p++) {
        add_and_check(c, 1, 0, SIZE, SIZE); /* page 0 kept recent */
        add_and_check(c, 1, p, SIZE, SIZE);
    }
    wl__body_cache_get_stats(c, &st);
    assert_int_equal(st.hits, 9);
    hits = st.hits;
    add_and_check(c, 1, 0, SIZE, SIZE);
    wl__body_cache_get_stats(c, &st);
    assert_int_equal(st.hits, hits + 1);
    assert_true(st.evictions > 0);
    wl__body_cache_free(c);
}

static void
bodies_over_the_size_limit_are_generated_each_time(void **state)
{
    struct wl__body_cache *c = NULL;
    struct wl__body_cache_stats st;
    uint64_t max;

    (void)state;
    assert_int_equal(wl__body_cache_new(1u << 20, &c), 0);
    wl__body_cache_get_stats(c, &st);
    max = st.max_body;
    /* The limit is on the body's bytes, as --help says: a quarter of the
     * cap, exactly. */
    assert_int_equal(max, (1u << 20) / WL__BODY_CACHE_MAX_SHARE);
    add_and_check(c, 3, 5, max, max);
    add_and_check(c, 3, 5, max + 1, max + 1);
    add_and_check(c, 3, 5, max + 1, max + 1);
    add_and_check(c, 3, 5, max + 1, 17);
    wl__body_cache_get_stats(c, &st);
    assert_int_equal(st.entries, 1);
    assert_int_equal(st.refused, 3);
    assert_int_equal(st.misses, 4);
    assert_int_equal(st.hits, 0);
    assert_true(st.bytes <= st.cap);
    wl__body_cache_free(c);
}

static void
no_cache_generates_and_a_prefix_longer_than_the_body_is_refused(void **state)
{
    struct evbuffer *buf = evbuffer_new();
    struct wl__body_cache_stats st;

    (void)state;
    assert_non_null(buf);
    add_and_check(NULL, 9, 3, 4096, 4096);
    add_and_check(NULL, 9, 3, 4096, 100);
    assert_int_equal(wl__body_cache_add(NULL, 9, 3, 10, 11, buf), -EINVAL);
    assert_int_equal(evbuffer_get_length(buf), 0);
    wl__body_cache_get_stats(NULL, &st);
    assert_int_equal(st.cap, 0);
    assert_int_equal(st.hits + st.misses, 0);
    wl__body_cache_free(NULL);
    evbuffer_free(buf);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            cache_gives_the_generated_bytes_for_a_sample_of_bodies),
        cmocka_unit_test(
            evicted_bodies_stay_right_while_a_reply_points_at_them),
        cmocka_unit_test(the_most_recently_used_body_is_kept),
        cmocka_unit_test(bodies_over_the_size_limit_are_generated_each_time),
        cmocka_unit_test(
            no_cache_generates_and_a_prefix_longer_than_the_body_is_refused),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
