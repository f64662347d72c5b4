/*
 * gil.c - what every policy shares: construction and destruction of a
 * `struct gil` and of thread states, policy lookup by name, the dispatch of
 * take/drop/check to the policy's method table, the counters, and the
 * pthread wrappers that abort when a GIL primitive fails.
 *
 * The waiters' condition variable uses CLOCK_MONOTONIC, so a change of the
 * wall clock cannot stretch or shorten a switch interval. The clock in the
 * config stamps hook events; timed waits use CLOCK_MONOTONIC directly
 * unless the config brings a `struct gil_sync` (the virtual-time engine),
 * which then does every condition-variable wait, timed wait and signal,
 * in the time of the clock it also brings.
 *
 * Includes only gil_internal.h (and libc/pthreads).
 */
#include "gil_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct gil_policy *const policies[] = {
    &gil__policy_new,
    &gil__policy_legacy,
    &gil__policy_none,
    &gil__policy_fifo,
    &gil__policy_iopriority,
    &gil__policy_bfs,
    &gil__policy_per_interpreter,
};

static const char *const policy_names[] = {
    "new",         "legacy", "nogil",           "fifo",
    "io-priority", "bfs",    "per-interpreter", NULL};

#define N_POLICIES (sizeof(policies) / sizeof(policies[0]))

const struct gil_policy *
gil_policy_find(const char *name)
{
    size_t i;

    if (name == NULL) {
        return NULL;
    }
    for (i = 0; i < N_POLICIES; i++) {
        if (strcmp(policies[i]->name, name) == 0) {
            return policies[i];
        }
    }
    return NULL;
}

const char *const *
gil_policy_names(void)
{
    return policy_names;
}

const char *
gil_policy_name(const struct gil_policy *p)
{
    return p != NULL ? p->name : "?";
}

const char *
gil_policy_describe(const struct gil_policy *p)
{
    return p != NULL ? p->description : "?";
}

int
gil_policy_is_what_if(const struct gil_policy *p)
{
    return p != NULL ? p->what_if : 0;
}

int64_t
gil_policy_default_check_every(const struct gil_policy *p)
{
    return p != NULL ? p->default_check_every : 1;
}

_Noreturn void
gil__fatal(const char *what, int rc)
{
    char buf[128];

    if (rc == 0) {
        fprintf(stderr, "gilsim: fatal: %s\n", what);
        abort();
    }
    /* The XSI strerror_r: returns 0 on success. */
    if (strerror_r(rc, buf, sizeof(buf)) != 0) {
        snprintf(buf, sizeof(buf), "error %d", rc);
    }
    fprintf(stderr, "gilsim: fatal: %s: %s\n", what, buf);
    abort();
}

void
gil__lock(pthread_mutex_t *m)
{
    int rc = pthread_mutex_lock(m);

    if (rc != 0) {
        gil__fatal("pthread_mutex_lock", rc);
    }
}

void
gil__unlock(pthread_mutex_t *m)
{
    int rc = pthread_mutex_unlock(m);

    if (rc != 0) {
        gil__fatal("pthread_mutex_unlock", rc);
    }
}

void
gil__signal(struct gil *g, pthread_cond_t *c)
{
    int rc;

    if (g->sync != NULL) {
        g->sync->signal(g->sync_ctx, c);
        return;
    }
    rc = pthread_cond_signal(c);
    if (rc != 0) {
        gil__fatal("pthread_cond_signal", rc);
    }
}

void
gil__broadcast(struct gil *g, pthread_cond_t *c)
{
    int rc;

    if (g->sync != NULL) {
        g->sync->broadcast(g->sync_ctx, c);
        return;
    }
    rc = pthread_cond_broadcast(c);
    if (rc != 0) {
        gil__fatal("pthread_cond_broadcast", rc);
    }
}

void
gil__wait(struct gil *g, pthread_cond_t *c, pthread_mutex_t *m)
{
    int rc;

    if (g->sync != NULL) {
        g->sync->wait(g->sync_ctx, c, m);
        return;
    }
    rc = pthread_cond_wait(c, m);

    if (rc != 0) {
        gil__fatal("pthread_cond_wait", rc);
    }
}

int
gil__timedwait_ns(struct gil *g, pthread_cond_t *c, pthread_mutex_t *m,
                  int64_t timeout_ns)
{
    struct timespec deadline;
    int64_t ns;
    int rc;

    if (g->sync != NULL) {
        return g->sync->timedwait(g->sync_ctx, c, m, timeout_ns);
    }
    if (clock_gettime(CLOCK_MONOTONIC, &deadline) != 0) {
        gil__fatal("clock_gettime", errno);
    }
    ns = (int64_t)deadline.tv_nsec + timeout_ns;
    deadline.tv_sec += (time_t)(ns / 1000000000);
    deadline.tv_nsec = (long)(ns % 1000000000);
    rc = pthread_cond_timedwait(c, m, &deadline);
    if (rc == ETIMEDOUT) {
        return 1;
    }
    if (rc != 0) {
        gil__fatal("pthread_cond_timedwait", rc);
    }
    return 0;
}

int
gil__timedwait_while(struct gil *g, pthread_cond_t *c, pthread_mutex_t *m,
                     int64_t timeout_ns, int (*again)(void *arg), void *arg)
{
    if (g->sync != NULL && g->sync->timedwait_while != NULL) {
        return g->sync->timedwait_while(g->sync_ctx, c, m, timeout_ns, again,
                                        arg);
    }
    return gil__timedwait_ns(g, c, m, timeout_ns);
}

static int64_t
monotonic_now(void *ctx)
{
    struct timespec ts;

    (void)ctx;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t
gil__now(const struct gil *g)
{
    return g->clock.now_ns(g->clock.ctx);
}

/* A condition variable whose timed waits count CLOCK_MONOTONIC time. */
static int
cond_init_monotonic(pthread_cond_t *c)
{
    pthread_condattr_t attr;
    int rc;

    rc = pthread_condattr_init(&attr);
    if (rc != 0) {
        return rc;
    }
    rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (rc == 0) {
        rc = pthread_cond_init(c, &attr);
    }
    pthread_condattr_destroy(&attr);
    return rc;
}

int
gil_new(const struct gil_config *cfg, struct gil **out)
{
    struct gil *g;
    int rc;

    if (cfg == NULL || out == NULL || cfg->switch_interval_ns <= 0) {
        return -EINVAL;
    }
    g = calloc(1, sizeof(*g));
    if (g == NULL) {
        return -ENOMEM;
    }
    g->policy = cfg->policy != NULL ? cfg->policy : &gil__policy_new;
    g->clock = cfg->clock;
    if (g->clock.now_ns == NULL) {
        g->clock.now_ns = monotonic_now;
        g->clock.ctx = NULL;
    }
    g->hooks = cfg->hooks;
    g->sync = cfg->sync;
    g->sync_ctx = cfg->sync_ctx;
    if (g->sync != NULL &&
        (g->sync->wait == NULL || g->sync->timedwait == NULL ||
         g->sync->signal == NULL || g->sync->broadcast == NULL)) {
        free(g);
        return -EINVAL;
    }
    /* CPython clamps the interval to at least 1 us. */
    g->interval_ns =
        cfg->switch_interval_ns < 1000 ? 1000 : cfg->switch_interval_ns;
    atomic_init(&g->last_holder, NULL);
    atomic_init(&g->drop_request, 0);
    atomic_init(&g->counters.takes, 0);
    atomic_init(&g->counters.drops, 0);
    atomic_init(&g->counters.switches, 0);
    atomic_init(&g->counters.drop_requests, 0);
    atomic_init(&g->counters.forced_drops, 0);
    atomic_init(&g->counters.waits, 0);

    rc = pthread_mutex_init(&g->mutex, NULL);
    if (rc != 0) {
        goto fail_free;
    }
    rc = cond_init_monotonic(&g->cond);
    if (rc != 0) {
        goto fail_mutex;
    }
    rc = pthread_mutex_init(&g->switch_mutex, NULL);
    if (rc != 0) {
        goto fail_cond;
    }
    rc = pthread_cond_init(&g->switch_cond, NULL);
    if (rc != 0) {
        goto fail_switch_mutex;
    }
    *out = g;
    return 0;

fail_switch_mutex:
    pthread_mutex_destroy(&g->switch_mutex);
fail_cond:
    pthread_cond_destroy(&g->cond);
fail_mutex:
    pthread_mutex_destroy(&g->mutex);
fail_free:
    free(g);
    return -rc;
}

void
gil_free(struct gil *g)
{
    if (g == NULL) {
        return;
    }
    pthread_cond_destroy(&g->switch_cond);
    pthread_mutex_destroy(&g->switch_mutex);
    pthread_cond_destroy(&g->cond);
    pthread_mutex_destroy(&g->mutex);
    free(g);
}

int
gil_thread_new(struct gil *g, void *user, struct gil_thread **out)
{
    struct gil_thread *t;

    if (g == NULL || out == NULL) {
        return -EINVAL;
    }
    t = calloc(1, sizeof(*t));
    if (t == NULL) {
        return -ENOMEM;
    }
    t->g = g;
    t->user = user;
    *out = t;
    return 0;
}

void
gil_thread_free(struct gil_thread *t)
{
    free(t);
}

void
gil_take(struct gil_thread *t)
{
    /* Like CPython's take_gil, keep errno intact: callers run around I/O. */
    int saved_errno = errno;

    if (t->holds) {
        gil__fatal("gil_take: this thread already holds the GIL", EDEADLK);
    }
    t->g->policy->take(t->g, t);
    errno = saved_errno;
}

void
gil_drop(struct gil_thread *t, enum gil_drop_reason reason)
{
    int saved_errno = errno;

    if (!t->holds) {
        gil__fatal("gil_drop: this thread does not hold the GIL", EPERM);
    }
    t->g->policy->drop(t->g, t, reason);
    errno = saved_errno;
}

int
gil_check(struct gil_thread *t)
{
    return t->g->policy->check(t->g, t);
}

int
gil_held(const struct gil_thread *t)
{
    return t->holds;
}

void
gil_get_stats(struct gil *g, struct gil_stats *out)
{
    out->takes = atomic_load_explicit(&g->counters.takes, memory_order_relaxed);
    out->drops = atomic_load_explicit(&g->counters.drops, memory_order_relaxed);
    out->switches =
        atomic_load_explicit(&g->counters.switches, memory_order_relaxed);
    out->drop_requests =
        atomic_load_explicit(&g->counters.drop_requests, memory_order_relaxed);
    out->forced_drops =
        atomic_load_explicit(&g->counters.forced_drops, memory_order_relaxed);
    out->waits = atomic_load_explicit(&g->counters.waits, memory_order_relaxed);
}

void
gil_stats_add(struct gil_stats *sum, const struct gil_stats *s)
{
    sum->takes += s->takes;
    sum->drops += s->drops;
    sum->switches += s->switches;
    sum->drop_requests += s->drop_requests;
    sum->forced_drops += s->forced_drops;
    sum->waits += s->waits;
}

const atomic_int *
gil_eval_breaker(const struct gil *g)
{
    static const atomic_int always = 1;

    switch (g->policy->breaker) {
    case 1:
        return &always;
    case -1:
        return NULL;
    default:
        return &g->drop_request;
    }
}

int64_t
gil_switch_interval_ns(const struct gil *g)
{
    return g->interval_ns;
}
