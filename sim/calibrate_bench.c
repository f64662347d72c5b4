/*
 * calibrate_bench.c - the C micro-benchmarks of `gilsim calibrate`: two
 * costs of this machine's threads that the virtual engine charges.
 *
 * sim_calibrate_cond_wake: two threads pass a turn back and forth under
 * one mutex and two condition variables; half a round trip (signal -> the
 * waiter runs and signals back) is the wake-up latency, cond_wake_ns, p50
 * of `rounds` after a tenth of them to warm up.
 * sim_calibrate_timer_slack: how late a 1 ms pthread_cond_timedwait on
 * CLOCK_MONOTONIC returns past its deadline, timer_slack_ns, p50.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base.h"
#include "calibrate.h"

/* The lower median of v[0..n), n > 0; sorts v. */
static int64_t
median(int64_t *v, size_t n)
{
    base_sort_i64(v, n);
    return v[(n - 1) / 2];
}

/* Two threads pass the turn back and forth under one mutex. */
struct pingpong {
    pthread_mutex_t mu;
    pthread_cond_t ping; /* the echo thread waits here for turn == 1 */
    pthread_cond_t pong; /* the timing thread waits here for turn == 0 */
    int turn;            /* guarded by mu */
    int done;            /* guarded by mu */
};

static void *
echo_thread(void *arg)
{
    struct pingpong *pp = arg;

    pthread_mutex_lock(&pp->mu);
    for (;;) {
        while (pp->turn != 1 && !pp->done) {
            pthread_cond_wait(&pp->ping, &pp->mu);
        }
        if (pp->done) {
            break;
        }
        pp->turn = 0;
        pthread_cond_signal(&pp->pong);
    }
    pthread_mutex_unlock(&pp->mu);
    return NULL;
}

int
sim_calibrate_cond_wake(int rounds, int64_t *p50_ns)
{
    struct pingpong pp;
    pthread_t th;
    int64_t *v;
    int warm = rounds / 10;
    int i;
    int rc;

    if (rounds < 1) {
        return -EINVAL;
    }
    v = malloc(sizeof(*v) * (size_t)rounds);
    if (v == NULL) {
        return -ENOMEM;
    }
    memset(&pp, 0, sizeof(pp));
    rc = pthread_mutex_init(&pp.mu, NULL);
    if (rc != 0) {
        goto fail_free;
    }
    rc = pthread_cond_init(&pp.ping, NULL);
    if (rc != 0) {
        goto fail_mutex;
    }
    rc = pthread_cond_init(&pp.pong, NULL);
    if (rc != 0) {
        goto fail_ping;
    }
    rc = pthread_create(&th, NULL, echo_thread, &pp);
    if (rc != 0) {
        goto fail_pong;
    }
    pthread_mutex_lock(&pp.mu);
    for (i = -warm; i < rounds; i++) {
        int64_t t0 = base_now_ns();

        pp.turn = 1;
        pthread_cond_signal(&pp.ping);
        while (pp.turn != 0) {
            pthread_cond_wait(&pp.pong, &pp.mu);
        }
        if (i >= 0) {
            v[i] = (base_now_ns() - t0) / 2;
        }
    }
    pp.done = 1;
    pthread_cond_signal(&pp.ping);
    pthread_mutex_unlock(&pp.mu);
    pthread_join(th, NULL);
    *p50_ns = median(v, (size_t)rounds);
fail_pong:
    pthread_cond_destroy(&pp.pong);
fail_ping:
    pthread_cond_destroy(&pp.ping);
fail_mutex:
    pthread_mutex_destroy(&pp.mu);
fail_free:
    free(v);
    return -rc;
}

int
sim_calibrate_timer_slack(int rounds, int64_t *p50_ns)
{
    pthread_condattr_t ca;
    pthread_cond_t cv;
    pthread_mutex_t mu;
    int64_t *v;
    int i;
    int rc;

    if (rounds < 1) {
        return -EINVAL;
    }
    v = malloc(sizeof(*v) * (size_t)rounds);
    if (v == NULL) {
        return -ENOMEM;
    }
    rc = pthread_mutex_init(&mu, NULL);
    if (rc != 0) {
        goto fail_free;
    }
    rc = pthread_condattr_init(&ca);
    if (rc != 0) {
        goto fail_mutex;
    }
    rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    if (rc == 0) {
        rc = pthread_cond_init(&cv, &ca);
    }
    pthread_condattr_destroy(&ca);
    if (rc != 0) {
        goto fail_mutex;
    }
    pthread_mutex_lock(&mu);
    for (i = 0; i < rounds && rc == 0; i++) {
        int64_t deadline = base_now_ns() + 1000000;
        struct timespec ts;
        int64_t now;

        ts.tv_sec = (time_t)(deadline / 1000000000);
        ts.tv_nsec = (long)(deadline % 1000000000);
        do {
            /* Nobody signals cv: only a spurious wake-up returns 0. */
            rc = pthread_cond_timedwait(&cv, &mu, &ts);
            now = base_now_ns();
        } while (rc == 0 && now < deadline);
        if (rc == ETIMEDOUT || rc == 0) {
            rc = 0;
            v[i] = now > deadline ? now - deadline : 0;
        }
    }
    pthread_mutex_unlock(&mu);
    if (rc == 0) {
        *p50_ns = median(v, (size_t)rounds);
    }
    pthread_cond_destroy(&cv);
fail_mutex:
    pthread_mutex_destroy(&mu);
fail_free:
    free(v);
    return -rc;
}
