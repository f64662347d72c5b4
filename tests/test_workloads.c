/*
 * test_workloads.c - cmocka tests of workloads/: building workloads, the
 * cpu step's checks and stop flag, the sleep step's release and acquire,
 * and calibration.
 *
 * The steps run against a fake struct wl_env whose callbacks count their
 * calls and log their order, so every assertion is about what the step
 * did, never about how long it took: the tests run on a shared, noisy
 * machine, and timing belongs in bench/.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wl.h"

/* What the fake env saw. */
struct fake {
    int checks;   /* env->check calls */
    int releases; /* env->release calls */
    int acquires; /* env->acquire calls */
    char log[16]; /* 'c', 'r', 'a' in call order (first 15) */
    size_t n_log;
    int stop_after; /* set `stop` at this check (0: never) */
    atomic_int stop;
};

static void
fake_log(struct fake *f, char c)
{
    if (f->n_log < sizeof(f->log) - 1) {
        f->log[f->n_log++] = c;
        f->log[f->n_log] = '\0';
    }
}

static void
fake_check(void *ctx)
{
    struct fake *f = ctx;

    f->checks++;
    fake_log(f, 'c');
    if (f->stop_after > 0 && f->checks == f->stop_after) {
        atomic_store(&f->stop, 1);
    }
}

static void
fake_release(void *ctx)
{
    struct fake *f = ctx;

    f->releases++;
    fake_log(f, 'r');
}

static void
fake_acquire(void *ctx)
{
    struct fake *f = ctx;

    f->acquires++;
    fake_log(f, 'a');
}

/* A cheap env: instructions cost almost nothing, so tests are fast. */
static struct wl_env
fake_env(struct fake *f, int64_t check_every, int with_stop)
{
    struct wl_env env;

    memset(f, 0, sizeof(*f));
    atomic_init(&f->stop, 0);
    memset(&env, 0, sizeof(env));
    env.check = fake_check;
    env.release = fake_release;
    env.acquire = fake_acquire;
    env.ctx = f;
    env.check_every = check_every;
    env.cost.instr_ns = 0.5;
    env.cost.spins_per_ns = 1.0;
    env.stop = with_stop ? &f->stop : NULL;
    return env;
}

static struct wl_step
cpu_step(int64_t instructions)
{
    struct wl_step s;

    memset(&s, 0, sizeof(s));
    s.kind = WL_STEP_CPU;
    s.instructions = instructions;
    return s;
}

static struct wl_step
sleep_step(int64_t duration_ns)
{
    struct wl_step s;

    memset(&s, 0, sizeof(s));
    s.kind = WL_STEP_SLEEP;
    s.duration_ns = duration_ns;
    return s;
}

/* ---- building workloads ---- */

static void
workload_new_gives_each_task_its_own_room(void **state)
{
    struct wl_workload *w = NULL;
    size_t i;

    (void)state;
    assert_int_equal(wl_workload_new("three", 3, 4, &w), 0);
    assert_non_null(w);
    assert_string_equal(w->name, "three");
    assert_int_equal(w->n_tasks, 3);
    assert_int_equal(w->n_steps_total, 12);
    for (i = 0; i < 3; i++) {
        assert_int_equal(w->tasks[i].id, (int32_t)i);
        assert_int_equal(w->tasks[i].n_steps, 0);
        assert_ptr_equal(w->tasks[i].steps, w->step_storage + i * 4);
    }
    wl_workload_free(w);
}

static void
workload_new_truncates_a_long_name(void **state)
{
    struct wl_workload *w = NULL;
    char name[200];

    (void)state;
    memset(name, 'x', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    assert_int_equal(wl_workload_new(name, 1, 1, &w), 0);
    assert_int_equal(strlen(w->name), sizeof(w->name) - 1);
    wl_workload_free(w);
}

static void
workload_new_rejects_nonsense(void **state)
{
    struct wl_workload *w = NULL;

    (void)state;
    assert_int_equal(wl_workload_new("x", 0, 1, &w), -EINVAL);
    assert_int_equal(wl_workload_new("x", 1, 0, &w), -EINVAL);
    assert_int_equal(wl_workload_new("x", 1, 1, NULL), -EINVAL);
    assert_int_equal(wl_workload_new("x", SIZE_MAX / 2, SIZE_MAX / 2, &w),
                     -ENOMEM);
    assert_null(w);
}

static void
workload_free_null_does_nothing(void **state)
{
    (void)state;
    wl_workload_free(NULL);
}

static void
add_step_fails_with_enospc_when_the_task_is_full(void **state)
{
    struct wl_workload *w = NULL;
    struct wl_step s = sleep_step(1);

    (void)state;
    assert_int_equal(wl_workload_new("full", 2, 2, &w), 0);
    assert_int_equal(wl_task_add_step(w, 1, &s), 0);
    s.duration_ns = 2;
    assert_int_equal(wl_task_add_step(w, 1, &s), 0);
    assert_int_equal(wl_task_add_step(w, 1, &s), -ENOSPC);
    assert_int_equal(w->tasks[1].n_steps, 2);
    assert_int_equal(w->tasks[1].steps[0].duration_ns, 1);
    assert_int_equal(w->tasks[1].steps[1].duration_ns, 2);
    /* Task 0's room is untouched by task 1's steps. */
    assert_int_equal(w->tasks[0].n_steps, 0);
    assert_int_equal(wl_task_add_step(w, 0, &s), 0);
    assert_int_equal(wl_task_add_step(w, 2, &s), -EINVAL);
    wl_workload_free(w);
}

static void
workload_cpu_splits_count_exactly(void **state)
{
    static const int64_t counts[] = {1, 7, 100, 103, 20000001};
    static const size_t tasks[] = {1, 2, 3, 4, 7, 16};
    struct wl_workload *w;
    size_t i, j, k;
    int64_t sum;

    (void)state;
    for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
        for (j = 0; j < sizeof(tasks) / sizeof(tasks[0]); j++) {
            w = NULL;
            assert_int_equal(wl_workload_cpu(counts[i], tasks[j], &w), 0);
            assert_int_equal(w->n_tasks, tasks[j]);
            sum = 0;
            for (k = 0; k < w->n_tasks; k++) {
                assert_int_equal(w->tasks[k].n_steps, 1);
                assert_int_equal(w->tasks[k].steps[0].kind, WL_STEP_CPU);
                assert_int_equal(w->tasks[k].steps[0].instructions %
                                     WL_COUNTDOWN_INSTRUCTIONS,
                                 0);
                sum += w->tasks[k].steps[0].instructions;
            }
            assert_int_equal(sum, counts[i] * WL_COUNTDOWN_INSTRUCTIONS);
            wl_workload_free(w);
        }
    }
}

static void
workload_cpu_gives_the_remainder_to_the_first_tasks(void **state)
{
    struct wl_workload *w = NULL;

    (void)state;
    /* 103 = 4 * 25 + 3: tasks 0-2 count 26, task 3 counts 25. */
    assert_int_equal(wl_workload_cpu(103, 4, &w), 0);
    assert_int_equal(w->tasks[0].steps[0].instructions, 26 * 8);
    assert_int_equal(w->tasks[1].steps[0].instructions, 26 * 8);
    assert_int_equal(w->tasks[2].steps[0].instructions, 26 * 8);
    assert_int_equal(w->tasks[3].steps[0].instructions, 25 * 8);
    wl_workload_free(w);
}

static void
workload_cpu_rejects_bad_args(void **state)
{
    struct wl_workload *w = NULL;

    (void)state;
    assert_int_equal(wl_workload_cpu(0, 1, &w), -EINVAL);
    assert_int_equal(wl_workload_cpu(-5, 1, &w), -EINVAL);
    assert_int_equal(wl_workload_cpu(10, 0, &w), -EINVAL);
    assert_int_equal(wl_workload_cpu(INT64_MAX, 1, &w), -EINVAL);
    assert_int_equal(wl_workload_cpu(10, 1, NULL), -EINVAL);
    assert_null(w);
}

/* ---- the cpu step ---- */

static void
cpu_step_checks_once_per_chunk_and_reports_n(void **state)
{
    static const struct {
        int64_t n, every;
    } cases[] = {
        {1000, 7}, {1000, 8}, {1, 8}, {8, 8}, {9, 8}, {5, 1}, {100, 1000},
    };
    struct fake f;
    struct wl_env env;
    struct wl_step s;
    int64_t arg;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        env = fake_env(&f, cases[i].every, 1);
        s = cpu_step(cases[i].n);
        arg = -1;
        assert_int_equal(wl_step_run(&s, &env, &arg), WL_OK);
        assert_int_equal(arg, cases[i].n);
        assert_int_equal(f.checks,
                         (cases[i].n + cases[i].every - 1) / cases[i].every);
        assert_int_equal(f.releases, 0);
        assert_int_equal(f.acquires, 0);
    }
}

static void
cpu_step_of_zero_instructions_makes_no_check(void **state)
{
    struct fake f;
    struct wl_env env = fake_env(&f, 8, 0);
    struct wl_step s = cpu_step(0);
    int64_t arg = -1;

    (void)state;
    assert_int_equal(wl_step_run(&s, &env, &arg), WL_OK);
    assert_int_equal(arg, 0);
    assert_int_equal(f.checks, 0);
}

static void
cpu_step_with_stop_set_before_runs_nothing(void **state)
{
    struct fake f;
    struct wl_env env = fake_env(&f, 8, 1);
    struct wl_step s = cpu_step(800);
    int64_t arg = -1;

    (void)state;
    atomic_store(&f.stop, 1);
    assert_int_equal(wl_step_run(&s, &env, &arg), WL_ABORTED);
    assert_true(arg < 800);
    assert_int_equal(arg, 0);
    assert_int_equal(f.checks, 0);
}

static void
cpu_step_stops_at_the_chunk_after_stop_is_set(void **state)
{
    struct fake f;
    struct wl_env env = fake_env(&f, 10, 1);
    struct wl_step s = cpu_step(1000);
    int64_t arg = -1;

    (void)state;
    f.stop_after = 3; /* the third check sets the flag */
    assert_int_equal(wl_step_run(&s, &env, &arg), WL_ABORTED);
    assert_int_equal(arg, 30);
    assert_int_equal(f.checks, 3);
}

static void
cpu_step_ignores_stop_when_it_is_null(void **state)
{
    struct fake f;
    struct wl_env env = fake_env(&f, 10, 0);
    struct wl_step s = cpu_step(100);
    int64_t arg = -1;

    (void)state;
    f.stop_after = 1; /* sets f.stop, which the env does not point to */
    assert_int_equal(wl_step_run(&s, &env, &arg), WL_OK);
    assert_int_equal(arg, 100);
    assert_int_equal(f.checks, 10);
}

static void
cpu_step_rejects_a_bad_env_or_step(void **state)
{
    struct fake f;
    struct wl_env env = fake_env(&f, 0, 0);
    struct wl_step s = cpu_step(100);
    int64_t arg = -1;

    (void)state;
    assert_int_equal(wl_step_run(&s, &env, &arg), WL_FAILED);
    assert_int_equal(arg, 0);
    env.check_every = 8;
    s.instructions = -1;
    assert_int_equal(wl_step_run(&s, &env, &arg), WL_FAILED);
    assert_int_equal(f.checks, 0);
    assert_int_equal(wl_step_run(NULL, &env, &arg), WL_FAILED);
    s.instructions = 8;
    assert_int_equal(wl_step_run(&s, NULL, NULL), WL_FAILED);
}

static void
cpu_step_calibrates_when_spins_per_ns_is_unset(void **state)
{
    struct fake f;
    struct wl_env env = fake_env(&f, 8, 0);
    struct wl_step s = cpu_step(64);
    int64_t arg = -1;

    (void)state;
    env.cost.spins_per_ns = 0.0;
    assert_int_equal(wl_step_run(&s, &env, &arg), WL_OK);
    assert_int_equal(arg, 64);
    assert_int_equal(f.checks, 8);
}

/* ---- the sleep step ---- */

static void
sleep_step_releases_then_acquires_once_without_checks(void **state)
{
    struct fake f;
    struct wl_env env;
    struct wl_step s = sleep_step(1000000); /* 1 ms */
    int64_t arg = -1;
    int with_stop;

    (void)state;
    for (with_stop = 0; with_stop < 2; with_stop++) {
        env = fake_env(&f, 8, with_stop);
        assert_int_equal(wl_step_run(&s, &env, &arg), WL_OK);
        assert_int_equal(f.releases, 1);
        assert_int_equal(f.acquires, 1);
        assert_int_equal(f.checks, 0);
        assert_string_equal(f.log, "ra");
        assert_int_equal(arg, 0);
    }
}

static void
sleep_step_of_zero_still_releases_and_acquires(void **state)
{
    struct fake f;
    struct wl_env env = fake_env(&f, 8, 0);
    struct wl_step s = sleep_step(0);

    (void)state;
    assert_int_equal(wl_step_run(&s, &env, NULL), WL_OK);
    assert_string_equal(f.log, "ra");
}

static void
sleep_step_with_stop_set_aborts_keeping_the_gil(void **state)
{
    struct fake f;
    struct wl_env env = fake_env(&f, 8, 1);
    struct wl_step s = sleep_step(10LL * 1000000000); /* 10 s, never slept */

    (void)state;
    atomic_store(&f.stop, 1);
    assert_int_equal(wl_step_run(&s, &env, NULL), WL_ABORTED);
    assert_int_equal(f.releases, 0);
    assert_int_equal(f.acquires, 0);
}

static void
sleep_step_rejects_a_negative_duration(void **state)
{
    struct fake f;
    struct wl_env env = fake_env(&f, 8, 0);
    struct wl_step s = sleep_step(-1);

    (void)state;
    assert_int_equal(wl_step_run(&s, &env, NULL), WL_FAILED);
    assert_int_equal(f.releases, 0);
}

/* ---- kinds not implemented yet, names ---- */

static void
fetch_write_and_unknown_steps_fail_cleanly(void **state)
{
    struct fake f;
    struct wl_env env = fake_env(&f, 8, 0);
    struct wl_step s;
    int64_t arg = -1;

    (void)state;
    memset(&s, 0, sizeof(s));
    s.kind = WL_STEP_FETCH;
    assert_int_equal(wl_step_run(&s, &env, &arg), WL_FAILED);
    assert_int_equal(arg, 0);
    s.kind = WL_STEP_WRITE;
    assert_int_equal(wl_step_run(&s, &env, &arg), WL_FAILED);
    s.kind = (enum wl_step_kind)42;
    assert_int_equal(wl_step_run(&s, &env, &arg), WL_FAILED);
    assert_int_equal(f.checks + f.releases + f.acquires, 0);
}

static void
names_cover_every_kind_and_outcome(void **state)
{
    (void)state;
    assert_string_equal(wl_step_kind_name(WL_STEP_CPU), "cpu");
    assert_string_equal(wl_step_kind_name(WL_STEP_SLEEP), "sleep");
    assert_string_equal(wl_step_kind_name(WL_STEP_FETCH), "fetch");
    assert_string_equal(wl_step_kind_name(WL_STEP_WRITE), "write");
    assert_string_equal(wl_step_kind_name((enum wl_step_kind)42), "unknown");
    assert_string_equal(wl_outcome_name(WL_OK), "ok");
    assert_string_equal(wl_outcome_name(WL_FAILED), "failed");
    assert_string_equal(wl_outcome_name(WL_REFUSED), "refused");
    assert_string_equal(wl_outcome_name(WL_TIMEOUT), "timeout");
    assert_string_equal(wl_outcome_name(WL_HTTP_ERROR), "http_error");
    assert_string_equal(wl_outcome_name(WL_IO_ERROR), "io_error");
    assert_string_equal(wl_outcome_name(WL_ABORTED), "aborted");
    assert_string_equal(wl_outcome_name((enum wl_outcome)42), "unknown");
}

/* ---- calibration ---- */

static void
calibrate_returns_a_positive_rate_and_caches_it(void **state)
{
    double a;
    double b;

    (void)state;
    a = wl_cpu_calibrate();
    b = wl_cpu_calibrate();
    assert_true(a > 0.0);
    assert_true(a == b);
    wl_cpu_spin(1000); /* callable directly, for benchmarks */
}

/* The fetch choreography's work, counted. */
static void
count_nothing(void *ctx)
{
    (void)ctx;
}

static enum wl_outcome
count_work(void *ctx, int64_t instructions)
{
    *(int64_t *)ctx += instructions;
    return WL_OK;
}

/* Fetch a body of `size` bytes in chunks of `chunk` bytes through the
 * choreography, with `costs`; the instructions it charged. */
static int64_t
body_cost(const struct wl_fetch_costs *costs, uint64_t size, uint64_t chunk)
{
    int64_t work = 0;
    struct wl_fetch_ops ops = {.release = count_nothing,
                               .acquire = count_nothing,
                               .work = count_work,
                               .quick_call = count_nothing,
                               .ctx = &work};
    struct wl_fetch_gil gil;
    uint64_t got = 0;

    wl_fetch_gil_init(&gil, &ops, costs);
    while (got < size) {
        uint64_t n = size - got < chunk ? size - got : chunk;

        assert_int_equal(wl_fetch_gil_chunk(&gil, n), WL_OK);
        got += n;
    }
    return work;
}

/* A chunk costs chunk_instructions plus the receive curve over its bytes'
 * offsets into the body: a 1 MiB body charges more than a 64 KiB one by
 * the slope of the band between them times the difference, and an 8 MiB
 * one adds the bands past 1 MiB; chunks that straddle a band's start are
 * split at it (within a rounding a chunk). */
static void
chunk_cost_follows_the_curve_of_its_offsets(void **state)
{
    struct wl_fetch_costs costs = {.chunk_instructions = 720};
    const int64_t kib = 1024, mib = 1024 * 1024;
    int64_t small, big, huge, odd;

    (void)state;
    costs.recv.per_byte[0] = 0.5;
    costs.recv.per_byte[1] = 1.0;
    costs.recv.per_byte[2] = 2.0;
    costs.recv.per_byte[3] = 4.0;
    small = body_cost(&costs, 64 * kib, 8192);
    big = body_cost(&costs, mib, 8192);
    huge = body_cost(&costs, 8 * mib, 8192);
    assert_int_equal(small, 8 * 720 + 32768);
    assert_int_equal(big - small, 120 * 720 + (mib - 64 * kib));
    assert_int_equal(huge - big, 896 * 720 + 2 * 3 * mib + 4 * 4 * mib);
    /* 10 000-byte chunks: 839 of them, band starts inside three. */
    odd = body_cost(&costs, 8 * mib, 10000);
    assert_true(llabs(odd - 839 * 720 - (huge - 1024 * 720)) <= 839);
    /* A flat curve is one slope; a curve of zeros charges chunks only. */
    wl_recv_curve_flat(&costs.recv, 0.25);
    assert_int_equal(body_cost(&costs, mib, 8192), 128 * 720 + mib / 4);
    wl_recv_curve_flat(&costs.recv, 0.0);
    assert_int_equal(body_cost(&costs, mib, 8192), 128 * 720);
    assert_true(wl_recv_instructions(&costs.recv, UINT64_MAX - 5, 100) == 0);
    assert_int_equal(wl_recv_band_start(2), (uint64_t)mib);
}

/* The program's function costs instr_ns (a factor of 1) until the call
 * that quickens it has begun, then 1 / speedup; NULL, quicken_calls <= 1
 * and a speed-up of 1 never change. */
static void
code_is_faster_from_its_quickening_call(void **state)
{
    struct wl_interp c;
    int i;

    (void)state;
    assert_true(wl_interp_factor(NULL) == 1.0);
    assert_false(wl_interp_pending(NULL));
    memset(&c, 0, sizeof(c));
    c.quicken_calls = 8;
    c.speedup = 2.0;
    atomic_init(&c.calls, 0);
    for (i = 1; i < 8; i++) {
        wl_interp_call(&c);
        assert_true(wl_interp_pending(&c));
        assert_true(wl_interp_factor(&c) == 1.0);
    }
    wl_interp_call(&c); /* the 8th call's RESUME quickens it */
    assert_false(wl_interp_pending(&c));
    assert_true(wl_interp_factor(&c) == 0.5);
    atomic_store(&c.calls, 0);
    c.quicken_calls = 1; /* quickened from the first call */
    assert_false(wl_interp_pending(&c));
    assert_true(wl_interp_factor(&c) == 0.5);
    c.quicken_calls = 8;
    c.speedup = 1.0;
    assert_false(wl_interp_pending(&c));
    assert_true(wl_interp_factor(&c) == 1.0);
    wl_interp_call(NULL); /* no function: nothing to count */
}

/* The countdown and the convoy's CPU threads call their function once a
 * thread; the seed's decode is library code. */
static void
builtin_workloads_mark_their_function_calls(void **state)
{
    struct wl_workload *w;
    size_t i;

    (void)state;
    assert_int_equal(wl_workload_cpu(100, 4, &w), 0);
    for (i = 0; i < 4; i++) {
        assert_int_equal(w->tasks[i].n_steps, 1);
        assert_int_equal(w->tasks[i].steps[0].code_call, 1);
    }
    wl_workload_free(w);
    assert_int_equal(wl_workload_convoy(3, 2, &w), 0);
    assert_int_equal(w->tasks[1].steps[0].code_call, 1);
    assert_int_equal(w->tasks[2].steps[0].code_call, 1);
    wl_workload_free(w);
    assert_int_equal(wl_workload_seed(2, 0.5, &w), 0);
    for (i = 0; i < w->tasks[0].n_steps; i++) {
        assert_int_equal(w->tasks[0].steps[i].code_call, 0);
    }
    wl_workload_free(w);
}

/* ---- distributions (dist.c) --------------------------------------------- */

#define DRAWS 100000

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* DRAWS draws of d from seed 42, sorted into v; their mean. */
static double
draw_sorted(const struct wl_dist *d, double *v)
{
    uint64_t rng = 42;
    double sum = 0.0;
    size_t i;

    for (i = 0; i < DRAWS; i++) {
        v[i] = wl_dist_draw(d, &rng);
        assert_true(isfinite(v[i]) && v[i] >= 0.0);
        sum += v[i];
    }
    qsort(v, DRAWS, sizeof(*v), cmp_double);
    return sum / DRAWS;
}

static int
near(double got, double want, double rel)
{
    return fabs(got - want) <= rel * fabs(want);
}

/* Over 100 000 draws with a fixed seed each distribution gives back its
 * p50 and p99 within sampling error (a few standard errors: 1-2 % at the
 * p50, 3-5 % at the p99), and its mean; a constant is always itself. */
static void
distributions_reproduce_their_quantiles(void **state)
{
    double *v = malloc(DRAWS * sizeof(*v));
    struct wl_dist d;
    double mean;

    (void)state;
    assert_non_null(v);
    assert_int_equal(wl_dist_const(&d, 7.5), 0);
    mean = draw_sorted(&d, v);
    assert_true(v[0] == 7.5 && v[DRAWS - 1] == 7.5 && mean == 7.5);

    assert_int_equal(wl_dist_uniform(&d, 10.0, 30.0), 0);
    mean = draw_sorted(&d, v);
    assert_true(near(v[DRAWS / 2], 20.0, 0.01));
    assert_true(near(v[DRAWS * 99 / 100], 29.8, 0.01));
    assert_true(v[0] >= 10.0 && v[DRAWS - 1] < 30.0);
    assert_true(near(mean, wl_dist_mean(&d), 0.01));

    assert_int_equal(wl_dist_exponential(&d, 5e6), 0); /* 5 ms mean */
    mean = draw_sorted(&d, v);
    assert_true(near(v[DRAWS / 2], 5e6 * log(2.0), 0.02));
    assert_true(near(v[DRAWS * 99 / 100], 5e6 * log(100.0), 0.05));
    assert_true(near(mean, 5e6, 0.02));

    assert_int_equal(wl_dist_lognormal(&d, 2e6, 40e6), 0); /* p50 2 ms */
    mean = draw_sorted(&d, v);
    assert_true(near(v[DRAWS / 2], 2e6, 0.02));
    assert_true(near(v[DRAWS * 99 / 100], 40e6, 0.05));
    assert_true(near(mean, wl_dist_mean(&d), 0.05));
    free(v);
}

/* An empirical distribution draws only its own samples, each about as
 * often; the same seed gives the same draws. */
static void
empirical_draws_its_samples_alike(void **state)
{
    static const double samples[4] = {1.0, 2.0, 4.0, 8.0};
    struct wl_dist d;
    uint64_t rng = 7, again = 7;
    int count[4] = {0, 0, 0, 0};
    int i, k;

    (void)state;
    assert_int_equal(wl_dist_empirical(&d, samples, 4), 0);
    for (i = 0; i < DRAWS; i++) {
        double x = wl_dist_draw(&d, &rng);

        assert_true(x == wl_dist_draw(&d, &again));
        for (k = 0; k < 4 && samples[k] != x; k++) {
        }
        assert_true(k < 4);
        count[k]++;
    }
    for (k = 0; k < 4; k++) {
        assert_true(near(count[k], DRAWS / 4.0, 0.03));
    }
    assert_true(wl_dist_mean(&d) == 3.75);
}

/* Parameters no duration or size can have are refused. */
static void
distributions_refuse_bad_parameters(void **state)
{
    static const double bad[2] = {1.0, -1.0};
    struct wl_dist d;

    (void)state;
    assert_int_equal(wl_dist_const(&d, -1.0), -EINVAL);
    assert_int_equal(wl_dist_const(&d, NAN), -EINVAL);
    assert_int_equal(wl_dist_const(&d, INFINITY), -EINVAL);
    assert_int_equal(wl_dist_uniform(&d, 5.0, 4.0), -EINVAL);
    assert_int_equal(wl_dist_uniform(&d, -1.0, 4.0), -EINVAL);
    assert_int_equal(wl_dist_exponential(&d, -2.0), -EINVAL);
    assert_int_equal(wl_dist_lognormal(&d, 0.0, 5.0), -EINVAL);
    assert_int_equal(wl_dist_lognormal(&d, 5.0, 4.0), -EINVAL);
    assert_int_equal(wl_dist_empirical(&d, bad, 0), -EINVAL);
    assert_int_equal(wl_dist_empirical(&d, NULL, 3), -EINVAL);
    assert_int_equal(wl_dist_empirical(&d, bad, 2), -EINVAL);
    /* Degenerate but valid: a point. */
    assert_int_equal(wl_dist_uniform(&d, 4.0, 4.0), 0);
    assert_int_equal(wl_dist_lognormal(&d, 4.0, 4.0), 0);
}

/* A failure's code in words: the HTTP status with its phrase, libcurl's
 * text for a CURLcode, strerror for a write's errno; the virtual engine's
 * codes are libcurl's for the server's injected failures. */
static void
failure_text_says_what_the_code_means(void **state)
{
    char buf[160];

    (void)state;
    wl_failure_text(WL_HTTP_ERROR, 500, buf, sizeof(buf));
    assert_string_equal(buf, "HTTP 500 Internal Server Error");
    wl_failure_text(WL_HTTP_ERROR, 418, buf, sizeof(buf));
    assert_string_equal(buf, "HTTP 418");
    wl_failure_text(WL_TIMEOUT, 28, buf, sizeof(buf));
    assert_string_equal(buf, "curl error 28: Timeout was reached");
    wl_failure_text(WL_REFUSED, 7, buf, sizeof(buf));
    assert_non_null(strstr(buf, "curl error 7: "));
    wl_failure_text(WL_IO_ERROR, ENOSPC, buf, sizeof(buf));
    assert_string_equal(buf, "write: No space left on device");
    /* No code: the outcome's name, never an empty text. */
    wl_failure_text(WL_FAILED, 0, buf, sizeof(buf));
    assert_string_equal(buf, "failed");
    assert_int_equal(wl_failure_code_injected(WL_HTTP_ERROR), 500);
    assert_int_equal(wl_failure_code_injected(WL_TIMEOUT), 28);
    assert_int_equal(wl_failure_code_injected(WL_FAILED), 18);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(workload_new_gives_each_task_its_own_room),
        cmocka_unit_test(workload_new_truncates_a_long_name),
        cmocka_unit_test(workload_new_rejects_nonsense),
        cmocka_unit_test(workload_free_null_does_nothing),
        cmocka_unit_test(add_step_fails_with_enospc_when_the_task_is_full),
        cmocka_unit_test(workload_cpu_splits_count_exactly),
        cmocka_unit_test(workload_cpu_gives_the_remainder_to_the_first_tasks),
        cmocka_unit_test(workload_cpu_rejects_bad_args),
        cmocka_unit_test(cpu_step_checks_once_per_chunk_and_reports_n),
        cmocka_unit_test(cpu_step_of_zero_instructions_makes_no_check),
        cmocka_unit_test(cpu_step_with_stop_set_before_runs_nothing),
        cmocka_unit_test(cpu_step_stops_at_the_chunk_after_stop_is_set),
        cmocka_unit_test(cpu_step_ignores_stop_when_it_is_null),
        cmocka_unit_test(cpu_step_rejects_a_bad_env_or_step),
        cmocka_unit_test(cpu_step_calibrates_when_spins_per_ns_is_unset),
        cmocka_unit_test(sleep_step_releases_then_acquires_once_without_checks),
        cmocka_unit_test(sleep_step_of_zero_still_releases_and_acquires),
        cmocka_unit_test(sleep_step_with_stop_set_aborts_keeping_the_gil),
        cmocka_unit_test(sleep_step_rejects_a_negative_duration),
        cmocka_unit_test(fetch_write_and_unknown_steps_fail_cleanly),
        cmocka_unit_test(names_cover_every_kind_and_outcome),
        cmocka_unit_test(failure_text_says_what_the_code_means),
        cmocka_unit_test(chunk_cost_follows_the_curve_of_its_offsets),
        cmocka_unit_test(code_is_faster_from_its_quickening_call),
        cmocka_unit_test(builtin_workloads_mark_their_function_calls),
        cmocka_unit_test(distributions_reproduce_their_quantiles),
        cmocka_unit_test(empirical_draws_its_samples_alike),
        cmocka_unit_test(distributions_refuse_bad_parameters),
        cmocka_unit_test(calibrate_returns_a_positive_rate_and_caches_it),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
