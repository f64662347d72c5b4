/*
 * step.c - wl_step_run(): run one step on the calling thread, and the
 * sleep step.
 *
 * wl_step_run() checks its arguments and dispatches on the step's kind:
 * cpu steps go to cpu.c; sleep steps are handled here. A sleep behaves
 * like time.sleep(): it releases the GIL (env->release, standing for
 * Py_BEGIN_ALLOW_THREADS), sleeps on CLOCK_MONOTONIC, and takes the GIL
 * back (env->acquire), so it makes no check. An interrupted sleep resumes
 * for the time left (EINTR). When env->stop is set, the sleep is cut into
 * slices of at most 50 ms and the flag is read between them, so a stop
 * request is honoured within 50 ms.
 *
 * fetch steps go to fetch.c and write steps to write.c; both fail with
 * WL_FAILED when env->io is NULL. An unknown kind fails cleanly
 * (WL_FAILED) too.
 */
#include "wl.h"
#include "wl_internal.h"

#include "base.h"

#include <errno.h>
#include <stddef.h>
#include <time.h>

/* The longest uninterrupted sleep when a stop flag may be set. */
#define SLEEP_SLICE_NS 50000000
#define NS_PER_S       1000000000

static struct timespec
timespec_of_ns(int64_t ns)
{
    struct timespec ts;

    ts.tv_sec = (time_t)(ns / NS_PER_S);
    ts.tv_nsec = (long)(ns % NS_PER_S);
    return ts;
}

static int
stop_requested(const struct wl_env *env)
{
    return env->stop != NULL &&
           atomic_load_explicit(env->stop, memory_order_relaxed) != 0;
}

/* Sleep `ns` in one piece, resuming after signals. 0 or an error number. */
static int
sleep_whole(int64_t ns)
{
    struct timespec req = timespec_of_ns(ns);
    struct timespec rem;
    int rc;

    for (;;) {
        rc = clock_nanosleep(CLOCK_MONOTONIC, 0, &req, &rem);
        if (rc != EINTR) {
            return rc;
        }
        req = rem;
    }
}

/* Sleep `ns` in slices, reading the stop flag between them. 0, ECANCELED
 * when stopped, or an error number. */
static int
sleep_sliced(const struct wl_env *env, int64_t ns)
{
    int64_t deadline = base_now_ns() + ns;
    int64_t left;
    struct timespec req;
    int rc;

    for (;;) {
        if (stop_requested(env)) {
            return ECANCELED;
        }
        left = deadline - base_now_ns();
        if (left <= 0) {
            return 0;
        }
        if (left > SLEEP_SLICE_NS) {
            left = SLEEP_SLICE_NS;
        }
        req = timespec_of_ns(left);
        rc = clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL);
        if (rc != 0 && rc != EINTR) {
            return rc; /* EINTR: the next turn sleeps what is left */
        }
    }
}

static enum wl_outcome
sleep_step_run(const struct wl_step *s, const struct wl_env *env)
{
    int rc;

    if (s->duration_ns < 0) {
        return WL_FAILED;
    }
    if (stop_requested(env)) {
        return WL_ABORTED; /* still holding the GIL: nothing to undo */
    }
    if (env->release != NULL) {
        env->release(env->ctx);
    }
    if (env->stop != NULL) {
        rc = sleep_sliced(env, s->duration_ns);
    } else {
        rc = sleep_whole(s->duration_ns);
    }
    if (env->acquire != NULL) {
        env->acquire(env->ctx);
    }
    if (rc == ECANCELED) {
        return WL_ABORTED;
    }
    return rc == 0 ? WL_OK : WL_FAILED;
}

enum wl_outcome
wl_step_run(const struct wl_step *s, const struct wl_env *env, int64_t *arg_out)
{
    if (arg_out != NULL) {
        *arg_out = 0;
    }
    if (s == NULL || env == NULL) {
        return WL_FAILED;
    }
    switch (s->kind) {
    case WL_STEP_CPU:
        return wl__cpu_step_run(s, env, arg_out);
    case WL_STEP_SLEEP:
        return sleep_step_run(s, env);
    case WL_STEP_FETCH:
        return wl__fetch_step_run(s, env, arg_out);
    case WL_STEP_WRITE:
        return wl__write_step_run(s, env, arg_out);
    case WL_STEP_NATIVE:
        return wl__native_step_run(s, env, arg_out);
    case WL_STEP_READ:
        return wl__read_step_run(s, env, arg_out);
    case WL_STEP_LOCK:
    case WL_STEP_UNLOCK:
        return WL_FAILED; /* the model's: sim/models/locks.c */
    }
    return WL_FAILED;
}
