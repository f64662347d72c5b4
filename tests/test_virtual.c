/*
 * test_virtual.c - cmocka tests of the virtual-time engine
 * (sim/virtual/) and of --engine=virtual.
 *
 * Everything here is an invariant of virtual time, which does not depend
 * on the host's load: the same command gives byte-identical traces; with
 * one simulated core no two threads ever hold a core at once, and N
 * threads of W ns of work end exactly at N x W; with as many cores as
 * threads they end at W; the cpu workload under `new` switches once per
 * interval, the forced drop coming within one check's cost of the drop
 * request; the GIL's invariants hold on a virtual trace (never two
 * holders, takes and drops alternate, counters equal the trace); and a
 * failing seed run counts the failures the server's function of (seed,
 * page) predicts.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base.h"
#include "cli.h"
#include "run.h"
#include "test_files.h"
#include "trace_check.h"
#include "vt.h"

/* ---- the engine alone ---------------------------------------------------- */

#define CORE_THREADS 4
#define WORK_UNITS   1000000 /* 1 ms at 1 ns */

struct core_watch {
    int on[CORE_THREADS];
    int busy, most;
    int64_t last_t;
    int went_back; /* a notification earlier than the one before */
};

static void
on_core(void *ctx, int thread, int on, int64_t t)
{
    struct core_watch *w = ctx;

    assert_in_range(thread, 0, CORE_THREADS - 1);
    if (t < w->last_t) {
        w->went_back = 1;
    }
    w->last_t = t;
    assert_int_not_equal(w->on[thread], on); /* on/off alternate */
    w->on[thread] = on;
    w->busy += on ? 1 : -1;
    if (w->busy > w->most) {
        w->most = w->busy;
    }
}

struct worker {
    struct vt_thread *vt;
    struct vt_engine *e;
    int64_t end;
};

static void *
compute_worker(void *arg)
{
    struct worker *w = arg;

    /* Two halves around a sleep: the core is given up and taken back. */
    (void)vt_compute(w->vt, WORK_UNITS / 2, 1.0, 1, NULL, 0);
    vt_sleep(w->vt, 1000, VT_WAKE_IO);
    (void)vt_compute(w->vt, WORK_UNITS / 2, 1.0, 1, NULL, 0);
    w->end = vt_now(w->e);
    vt_thread_end(w->vt);
    return NULL;
}

/* Run CORE_THREADS workers on `cores` cores; the latest end time. */
static int64_t
run_workers(int cores, struct core_watch *watch, struct vt_stats *st)
{
    struct vt_config cfg;
    struct vt_engine *e;
    struct worker w[CORE_THREADS];
    int64_t last = 0;
    int i;

    memset(&cfg, 0, sizeof(cfg));
    cfg.cores = cores;
    cfg.wake_ns = 0;
    cfg.timer_slack_ns = 0;
    cfg.slice_ns = 100000; /* 0.1 ms: many preemptions on one core */
    cfg.on_core = on_core;
    cfg.on_core_ctx = watch;
    assert_int_equal(vt_engine_new(&cfg, &e), 0);
    for (i = 0; i < CORE_THREADS; i++) {
        w[i].e = e;
        assert_int_equal(vt_thread_new(e, &w[i].vt), 0);
    }
    for (i = 0; i < CORE_THREADS; i++) {
        assert_int_equal(vt_thread_start(w[i].vt, compute_worker, &w[i]), 0);
    }
    assert_int_equal(vt_run(e), 0);
    for (i = 0; i < CORE_THREADS; i++) {
        if (w[i].end > last) {
            last = w[i].end;
        }
    }
    vt_get_stats(e, st);
    vt_engine_free(e);
    return last;
}

struct long_units {
    struct vt_thread *vt;
    struct vt_engine *e;
    int64_t units, done, end;
    double unit_ns;
};

static void *
long_units_worker(void *arg)
{
    struct long_units *w = arg;

    w->done = vt_compute(w->vt, w->units, w->unit_ns, 8, NULL, 0);
    w->end = vt_now(w->e);
    vt_thread_end(w->vt);
    return NULL;
}

/* Issue 20: a unit that costs more than a slice (an instruction of 3.5 ms
 * with 0.1 ms slices) is still done: a slice's end keeps what was spent
 * on the unfinished unit. Two threads on one core share it slice by
 * slice and both end after all 2 x 20 units: 140 ms, not never. With a
 * stop flag set, a computation returns within a slice, not at its end. */
static void
units_longer_than_a_slice_still_get_done(void **state)
{
    struct vt_config cfg;
    struct vt_engine *e;
    struct long_units w[2];
    atomic_int stop;
    int i, round;

    (void)state;
    for (round = 0; round < 2; round++) {
        memset(&cfg, 0, sizeof(cfg));
        cfg.cores = 1;
        cfg.slice_ns = 100000;
        atomic_init(&stop, round);
        assert_int_equal(vt_engine_new(&cfg, &e), 0);
        vt_set_stop(e, &stop);
        for (i = 0; i < 2; i++) {
            w[i].e = e;
            w[i].units = 20;
            w[i].unit_ns = 3.5e6;
            assert_int_equal(vt_thread_new(e, &w[i].vt), 0);
        }
        for (i = 0; i < 2; i++) {
            assert_int_equal(vt_thread_start(w[i].vt, long_units_worker, &w[i]),
                             0);
        }
        assert_int_equal(vt_run(e), 0);
        for (i = 0; i < 2; i++) {
            if (round == 0) {
                assert_int_equal(w[i].done, 20);
                assert_in_range(w[i].end, 139900000, 140000000);
            } else {
                assert_true(w[i].done < 20);
                assert_true(w[i].end <= 2 * cfg.slice_ns);
            }
        }
        vt_engine_free(e);
    }
}

static void
one_core_never_runs_two(void **state)
{
    struct core_watch watch;
    struct vt_stats st;
    int64_t end;

    (void)state;
    memset(&watch, 0, sizeof(watch));
    end = run_workers(1, &watch, &st);
    assert_int_equal(watch.most, 1);
    assert_int_equal(watch.busy, 0);
    assert_false(watch.went_back);
    /* 4 x 1 ms of work, one core; the 1 us sleeps overlap others' work,
     * except the last thread's. */
    assert_in_range(end, (int64_t)CORE_THREADS * WORK_UNITS,
                    (int64_t)CORE_THREADS * WORK_UNITS + 1000);
    assert_true(st.preempts > 0); /* the slices took turns */
}

static void
enough_cores_run_all_at_once(void **state)
{
    struct core_watch watch;
    struct vt_stats st;
    int64_t end;

    (void)state;
    memset(&watch, 0, sizeof(watch));
    end = run_workers(CORE_THREADS, &watch, &st);
    assert_int_equal(watch.most, CORE_THREADS);
    assert_int_equal(end, WORK_UNITS + 1000);
    assert_int_equal(st.preempts, 0);
}

/* Wake-up preemption on one core: a spinner computes 10 ms from t = 0; a
 * sleeper wakes at 0.1 ms and computes 1 ms. It takes the spinner's core
 * at once without protection, and only once the spinner has computed
 * protect_ns (1.5 ms) with it. */
struct pair {
    struct vt_thread *vt;
    struct vt_engine *e;
    int64_t end;
};

static void *
spinner(void *arg)
{
    struct pair *p = arg;

    (void)vt_compute(p->vt, 10 * WORK_UNITS, 1.0, 1, NULL, 0);
    p->end = vt_now(p->e);
    vt_thread_end(p->vt);
    return NULL;
}

static void *
sleeper(void *arg)
{
    struct pair *p = arg;

    vt_sleep(p->vt, 100000, VT_WAKE_IO);
    (void)vt_compute(p->vt, WORK_UNITS, 1.0, 1, NULL, 0);
    p->end = vt_now(p->e);
    vt_thread_end(p->vt);
    return NULL;
}

static void
run_pair(int64_t protect_ns, int64_t *spin_end, int64_t *sleep_end)
{
    struct vt_config cfg;
    struct vt_engine *e;
    struct pair a, b;

    memset(&cfg, 0, sizeof(cfg));
    cfg.cores = 1;
    cfg.slice_ns = 3 * WORK_UNITS;
    cfg.protect_ns = protect_ns;
    assert_int_equal(vt_engine_new(&cfg, &e), 0);
    a.e = b.e = e;
    /* the sleeper first: it runs at 0 and leaves the core at once */
    assert_int_equal(vt_thread_new(e, &b.vt), 0);
    assert_int_equal(vt_thread_new(e, &a.vt), 0);
    assert_int_equal(vt_thread_start(b.vt, sleeper, &b), 0);
    assert_int_equal(vt_thread_start(a.vt, spinner, &a), 0);
    assert_int_equal(vt_run(e), 0);
    vt_engine_free(e);
    *spin_end = a.end;
    *sleep_end = b.end;
}

static void
a_woken_thread_waits_out_the_protected_slice(void **state)
{
    int64_t spin, sleep;

    (void)state;
    run_pair(0, &spin, &sleep);
    assert_int_equal(sleep, 100000 + WORK_UNITS);
    assert_int_equal(spin, 11 * WORK_UNITS);
    run_pair(1500000, &spin, &sleep);
    assert_int_equal(sleep, 1500000 + WORK_UNITS);
    assert_int_equal(spin, 11 * WORK_UNITS);
}

/* ---- runs through the simulator ------------------------------------------ */

static void
virtual_options(struct sim_options *o, const char *workload, int threads)
{
    sim_options_default(o);
    o->engine_virtual = 1;
    o->cores = 2;
    o->threads = threads;
    o->quiet = 1;
    o->trace_events = 1000000;
    (void)snprintf(o->workload, sizeof(o->workload), "%s", workload);
}

/* Forced switches of a 2-thread countdown, from the trace. */
struct switch_check {
    int64_t last_request; /* time of the last DROP_REQUEST, -1 if none */
    int64_t last_forced;  /* time of the last forced drop, -1 if none */
    int64_t check_ns;     /* one check's cost */
    int64_t interval_ns;
    int64_t slack_ns; /* most a switch may come after the interval */
    uint64_t forced;
};

static void
on_switch_event(void *ctx, size_t thread, const struct sim_trace_event *e,
                int holding)
{
    struct switch_check *c = ctx;

    (void)thread;
    (void)holding;
    if (e->kind == SIM_EV_GIL_DROP_REQUEST) {
        c->last_request = e->t_ns;
    }
}

/* ThreadPool's per-task cost in countdown_wall's runs. */
static int64_t threadpool_task;

/* The virtual wall time of a countdown of `count` split over `threads`
 * threads (serial for 1), with this quickening. */
static int64_t
countdown_wall(int threads, int64_t count, double speedup, int calls)
{
    struct sim_options o;
    struct sim_run_result r;
    char err[SIM_ERR_LEN * 2] = "";
    int64_t wall;

    virtual_options(&o, "cpu", threads);
    o.count = count;
    o.costs.quickened_speedup = speedup;
    o.costs.quicken_calls = calls;
    o.costs.threadpool_task_instructions = threadpool_task;
    assert_int_equal(
        sim_run_once(&o, threads == 1 ? SIM_MODEL_SERIAL : SIM_MODEL_THREADS,
                     NULL, NULL, &r, err, sizeof(err)),
        0);
    assert_int_equal(r.stats.steps_failed, 0);
    wall = r.wall_ns;
    sim_run_result_clear(&r);
    return wall;
}

/*
 * CPython 3.11 quickens a function's code at its 8th call, so Beazley's
 * countdown called once a thread runs unquickened (instr_ns) with 1 to 7
 * threads, and the 8th thread's call makes every thread's faster, already
 * running or not. In virtual time: one thread and seven take as long with
 * a speed-up of 2 as with none; eight take less than seven with it (each
 * runs faster from the 8th call on), and more than half as long (the
 * first seven began unquickened); with quicken_calls 1 the one thread is
 * quickened from its first call: twice as fast.
 */
static void
countdown_is_faster_once_its_code_is_quickened(void **state)
{
    const int64_t count = 4000000; /* 32M instructions: 131 ms */
    int64_t one, one_q, seven, seven_q, eight, eight_q, first;

    (void)state;
    one = countdown_wall(1, count, 1.0, 8);
    one_q = countdown_wall(1, count, 2.0, 8);
    assert_int_equal(one_q, one);
    seven = countdown_wall(7, count, 1.0, 8);
    seven_q = countdown_wall(7, count, 2.0, 8);
    assert_int_equal(seven_q, seven);
    eight = countdown_wall(8, count, 1.0, 8);
    eight_q = countdown_wall(8, count, 2.0, 8);
    /* The 8th call begins when the 8th thread first holds the GIL, after
     * the others' intervals (about 91 ms of 131 here). */
    assert_true(eight_q < eight * 4 / 5);
    assert_true(eight_q > eight / 2);
    first = countdown_wall(1, count, 2.0, 1);
    assert_true(first > one * 49 / 100 && first < one * 51 / 100);
}

static void
cpu_switches_once_per_interval(void **state)
{
    struct sim_options o;
    struct sim_run_result r;
    struct switch_check sc;
    struct trace_check_hook hook;
    struct trace_gil_counts counts;
    char err[SIM_ERR_LEN * 2] = "";
    int64_t *req = NULL, *forced = NULL;
    size_t n_req = 0, n_forced = 0, i, k;

    (void)state;
    virtual_options(&o, "cpu", 2);
    o.count = 2000000; /* 16M instructions: 65.6 ms at 4.1 ns */
    assert_int_equal(
        sim_run_once(&o, SIM_MODEL_THREADS, NULL, NULL, &r, err, sizeof(err)),
        0);
    memset(&sc, 0, sizeof(sc));
    hook.on_event = on_switch_event;
    hook.ctx = &sc;
    trace_check_gil(r.trace, 1, &hook, &counts);
    assert_int_equal(counts.takes, r.gil.takes);
    assert_int_equal(counts.forced, r.gil.forced_drops);
    assert_true(counts.forced >= 10);

    /* Collect the requests and the forced drops of both threads. */
    req = calloc(counts.drop_requests + 1, sizeof(*req));
    forced = calloc(counts.forced + 1, sizeof(*forced));
    assert_non_null(req);
    assert_non_null(forced);
    for (i = 0; i < sim_trace_thread_count(r.trace); i++) {
        const struct sim_trace_buf *b = sim_trace_thread(r.trace, i);

        for (k = 0; k < b->n; k++) {
            const struct sim_trace_event *e = &b->ev[k];

            if (e->kind == SIM_EV_GIL_DROP_REQUEST) {
                req[n_req++] = e->t_ns;
            } else if (e->kind == SIM_EV_GIL_DROP &&
                       e->detail == SIM_DROP_FORCED) {
                forced[n_forced++] = e->t_ns;
            }
        }
    }
    base_sort_i64(req, n_req);
    base_sort_i64(forced, n_forced);
    assert_int_equal(n_req, n_forced);
    for (i = 0; i < n_forced; i++) {
        /* The holder drops at its first check after the request: within
         * one check's cost (8 instructions x 4.1 ns). */
        assert_true(forced[i] >= req[i]);
        assert_true(forced[i] - req[i] <= 33);
        if (i > 0) {
            /* One switch per interval: the waiter's full interval, then
             * its timer's slack and wake-up, never less than the
             * interval nor more than a millisecond beyond it. */
            int64_t gap = forced[i] - forced[i - 1];

            assert_true(gap >= o.switch_interval_ns);
            assert_true(gap <= o.switch_interval_ns + 1000000);
        }
    }
    free(req);
    free(forced);
    sim_run_result_clear(&r);
}

/* Under legacy the eval breaker is always set and the holder yields at
 * every check: the countdown still ends, with one yield per check_every
 * instructions (a check at instruction 0 once made it loop forever). */
static void
legacy_yields_once_per_check_in_virtual_time(void **state)
{
    struct sim_options o;
    struct sim_run_result r;
    struct trace_gil_counts counts;
    char err[SIM_ERR_LEN * 2] = "";
    uint64_t checks;

    (void)state;
    virtual_options(&o, "cpu", 1);
    (void)snprintf(o.policy, sizeof(o.policy), "legacy");
    o.count = 100000; /* 800 000 instructions, a check every 100 */
    assert_int_equal(
        sim_run_once(&o, SIM_MODEL_SERIAL, NULL, NULL, &r, err, sizeof(err)),
        0);
    trace_check_gil(r.trace, 1, NULL, &counts);
    assert_int_equal(counts.takes, r.gil.takes);
    checks = (uint64_t)o.count * 8 / 100;
    assert_in_range(r.gil.drops, checks, checks + 2);
    sim_run_result_clear(&r);
}

/* The GIL's invariants on a virtual seed run with failures, and the
 * failures are the server function's. */
static void
run_seed_with_failures(double fail_rate, int64_t body_size)
{
    struct sim_options o;
    struct sim_run_result r;
    struct trace_gil_counts counts;
    char err[SIM_ERR_LEN * 2] = "";
    int64_t page;
    uint64_t expect_failed = 0;
    int kind;

    virtual_options(&o, "seed", 8);
    o.pages = 60;
    o.fail_rate = fail_rate;
    o.body_size = body_size;
    o.jitter_ns = 20000000;
    o.timeout_ns = 1000000000;
    assert_int_equal(
        sim_run_once(&o, SIM_MODEL_THREADS, NULL, NULL, &r, err, sizeof(err)),
        0);
    trace_check_gil(r.trace, 1, NULL, &counts);
    assert_int_equal(counts.takes, r.gil.takes);
    assert_int_equal(counts.drops, r.gil.drops);
    assert_int_equal(counts.switches, r.gil.switches);
    for (page = 0; page < o.pages; page++) {
        expect_failed +=
            (uint64_t)wl_server_page_fails(o.seed, o.fail_rate, page, &kind);
    }
    assert_true(expect_failed > 0);
    assert_int_equal(r.stats.steps_failed, expect_failed);
    assert_int_equal(r.stats.tasks, o.pages);
    sim_run_result_clear(&r);
}

static void
seed_with_failures_counts_them(void **state)
{
    (void)state;
    run_seed_with_failures(0.3, -1);
}

/* A one-byte page closed half-way delivers no chunk at all: the fetch
 * still pairs its GIL releases and takes (it once released twice and
 * aborted in gil_drop). */
static void
failures_of_one_byte_pages_keep_the_gil_paired(void **state)
{
    (void)state;
    run_seed_with_failures(1.0, 1);
}

/* ---- determinism: two runs, identical files --------------------------------
 */

static void
run_main(const char *dir, const char *const *extra, int n_extra)
{
    char out_arg[4200];
    char *argv[32];
    int argc = 0;
    FILE *out = tmpfile();
    FILE *err = tmpfile();
    int i;

    assert_non_null(out);
    assert_non_null(err);
    (void)snprintf(out_arg, sizeof(out_arg), "--out=%s", dir);
    argv[argc++] = "gilsim";
    argv[argc++] = "--engine=virtual";
    argv[argc++] = "--quiet";
    argv[argc++] = "--no-plots";
    argv[argc++] = out_arg;
    for (i = 0; i < n_extra; i++) {
        argv[argc++] = (char *)extra[i];
    }
    /* Failures are expected (exit 1); anything else is not. */
    assert_in_range(sim_main(argc, argv, out, err), 0, 1);
    fclose(out);
    fclose(err);
}

/* A/MODEL/NAME and B/MODEL/NAME hold the same bytes. */
static void
assert_same_file(const char *a, const char *b, const char *model,
                 const char *name)
{
    char pa[4300], pb[4300];
    size_t la, lb;
    char *fa, *fb;

    (void)snprintf(pa, sizeof(pa), "%s/%s/%s", a, model, name);
    (void)snprintf(pb, sizeof(pb), "%s/%s/%s", b, model, name);
    fa = tf_read(pa, &la);
    fb = tf_read(pb, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(fa, fb, la);
    free(fa);
    free(fb);
}

static void
same_flags_same_trace(void **state)
{
    static const char *const extra[] = {
        "--model=all",
        "--threads=7",
        "--cores=3",
        "--pages=40",
        "--latency-jitter=30ms",
        "--fail-rate=0.2",
        "--timeout=1s",
        "--seed=42",
    };
    static const char *const models[] = {"serial", "threads",   "executor",
                                         "nogil",  "processes", "loop"};
    char *base = tf_make_dir("gilsim-test-virtual");
    char a[4200], b[4200];
    size_t i;

    (void)state;
    (void)snprintf(a, sizeof(a), "%s/a", base);
    (void)snprintf(b, sizeof(b), "%s/b", base);
    run_main(a, extra, (int)(sizeof(extra) / sizeof(extra[0])));
    run_main(b, extra, (int)(sizeof(extra) / sizeof(extra[0])));
    for (i = 0; i < sizeof(models) / sizeof(models[0]); i++) {
        assert_same_file(a, b, models[i], "trace.tsv");
        assert_same_file(a, b, models[i], "trace.json");
    }
    tf_remove_tree(base);
    free(base);
}

/* The executor in virtual time: the GIL's invariants, and every page's
 * task ran once, with its workers started on demand inside the run. */
static void
executor_runs_in_virtual_time(void **state)
{
    struct sim_options o;
    struct sim_run_result r;
    struct trace_gil_counts counts;
    char err[SIM_ERR_LEN * 2] = "";

    (void)state;
    virtual_options(&o, "seed", 5);
    o.pages = 30;
    assert_int_equal(
        sim_run_once(&o, SIM_MODEL_EXECUTOR, NULL, NULL, &r, err, sizeof(err)),
        0);
    trace_check_gil(r.trace, 1, NULL, &counts);
    assert_int_equal(counts.takes, r.gil.takes);
    assert_int_equal(counts.waits, r.gil.waits);
    assert_int_equal(r.stats.tasks, o.pages);
    assert_int_equal(r.stats.steps_failed, 0);
    /* main + 5 workers */
    assert_int_equal(sim_trace_thread_count(r.trace), 6);
    /* the engine's own counts come back for the summary: every traced
     * event happened at an engine event or between two, and main passed
     * the baton to its workers */
    assert_int_equal(r.has_engine, 1);
    assert_true(r.engine_events > 0);
    assert_true(r.engine_handoffs >= 5);
    sim_run_result_clear(&r);
}

/* processes in virtual time: one GIL per worker, so workers overlap, but
 * each worker's own takes and drops alternate; every task runs once. */
static void
processes_run_in_virtual_time(void **state)
{
    struct sim_options o;
    struct sim_run_result r;
    struct trace_gil_counts counts;
    char err[SIM_ERR_LEN * 2] = "";
    size_t i;

    (void)state;
    virtual_options(&o, "seed", 1);
    o.processes = 3;
    o.pages = 30;
    assert_int_equal(
        sim_run_once(&o, SIM_MODEL_PROCESSES, NULL, NULL, &r, err, sizeof(err)),
        0);
    trace_check_gil(r.trace, 0, NULL, &counts);
    assert_int_equal(counts.takes, r.gil.takes);
    assert_int_equal(counts.drops, r.gil.drops);
    assert_int_equal(r.stats.tasks, o.pages);
    assert_int_equal(r.stats.steps_failed, 0);
    assert_int_equal(sim_trace_thread_count(r.trace), 3);
    for (i = 0; i < 3; i++) {
        const struct sim_trace_buf *b = sim_trace_thread(r.trace, i);

        assert_int_equal(b->process, (int)i + 1);
        assert_int_equal(b->gil, (int)i + 1);
    }
    sim_run_result_clear(&r);
}

/* The parent's Pool() set-up and each fork (pool_start_ns, pool_fork_ns)
 * come before each worker's start: worker k starts at set-up + k forks. */
static void
processes_start_after_the_parent_s_forks(void **state)
{
    struct sim_options o;
    struct sim_run_result r;
    char err[SIM_ERR_LEN * 2] = "";
    size_t i;

    (void)state;
    virtual_options(&o, "cpu", 24); /* 24 tasks of 1000 iterations */
    o.processes = 4;
    o.count = 24000;
    o.costs.pool_start_ns = 3000000;
    o.costs.pool_fork_ns = 2000000;
    assert_int_equal(
        sim_run_once(&o, SIM_MODEL_PROCESSES, NULL, NULL, &r, err, sizeof(err)),
        0);
    assert_int_equal(r.stats.tasks, 24);
    for (i = 0; i < 4; i++) {
        const struct sim_trace_buf *b = sim_trace_thread(r.trace, i);

        int64_t want = 3000000 + 2000000 * (int64_t)(i + 1);
        int64_t t;

        assert_true(b->n > 0);
        assert_int_equal(b->ev[0].kind, SIM_EV_THREAD_START);
        t = b->ev[0].t_ns - sim_trace_origin_ns(r.trace);
        /* A timer's wake-up comes its slack late (timer_slack_ns). */
        assert_true(t >= want && t < want + 1000000);
    }
    sim_run_result_clear(&r);
}

/* The virtual wall time of the seed (2 pages, 1 KiB, no latency) run by
 * model `m` with this first-fetch cost, in the program's process and in a
 * forked worker. */
static int64_t
seed_wall(enum sim_model m, int64_t first, int64_t forked)
{
    struct sim_options o;
    struct sim_run_result r;
    char err[SIM_ERR_LEN * 2] = "";
    int64_t wall;

    virtual_options(&o, "seed", 1);
    o.pages = 2;
    o.processes = 2;
    o.body_size = 1024;
    o.latency_ns = 0;
    o.costs.first_fetch_instructions = first;
    o.costs.first_fetch_forked_instructions = forked;
    assert_int_equal(sim_run_once(&o, m, NULL, NULL, &r, err, sizeof(err)), 0);
    assert_int_equal(r.stats.steps_failed, 0);
    wall = r.wall_ns;
    sim_run_result_clear(&r);
    return wall;
}

/* A process's first requests.get costs first_fetch_instructions more,
 * once: serially, the run takes that much longer in virtual time, not
 * twice that. A forked worker's first fetch costs the forked figure
 * instead, once in each worker (two workers, two cores: in parallel). */
static void
first_fetch_costs_once_per_process(void **state)
{
    const double instr_ns = 4.1;
    int64_t base, once, fork_base, forked;

    (void)state;
    base = seed_wall(SIM_MODEL_SERIAL, 0, 0);
    once = seed_wall(SIM_MODEL_SERIAL, 1000000, 7000000);
    assert_true(llabs(once - base - (int64_t)(1e6 * instr_ns)) < 100000);
    fork_base = seed_wall(SIM_MODEL_PROCESSES, 0, 0);
    forked = seed_wall(SIM_MODEL_PROCESSES, 1000000, 3000000);
    assert_true(llabs(forked - fork_base - (int64_t)(3e6 * instr_ns)) < 500000);
}

/* ThreadPool's per-task work (threadpool_task_instructions) is charged a
 * chunk claimed in the threads model, under the GIL: 4 tasks of 4
 * threads (chunks of 1) take 4 x its cost longer; serial, a plain loop,
 * is unchanged. */
static void
threadpool_task_cost_is_charged_a_chunk(void **state)
{
    int64_t base, more, serial_base, serial_more;

    (void)state;
    base = countdown_wall(4, 40000, 1.0, 8);
    serial_base = countdown_wall(1, 40000, 1.0, 8);
    threadpool_task = 1000000;
    more = countdown_wall(4, 40000, 1.0, 8);
    serial_more = countdown_wall(1, 40000, 1.0, 8);
    threadpool_task = 0;
    assert_true(llabs(more - base - (int64_t)(4e6 * 4.1)) < 1000000);
    assert_int_equal(serial_more, serial_base);
}

/* A countdown of 2 threads at 5 ms with this cold cost: its wall time,
 * and the resumes after a forced drop that kept a thread off the GIL for
 * 1 ms or more. */
static int64_t
cold_countdown(int64_t cold, int *resumes)
{
    struct sim_options o;
    struct sim_run_result r;
    char err[SIM_ERR_LEN * 2] = "";
    int64_t wall;
    size_t i, k;

    virtual_options(&o, "cpu", 2);
    o.count = 2000000; /* 16M instructions: 65.6 ms */
    o.costs.cold_instructions = cold;
    assert_int_equal(
        sim_run_once(&o, SIM_MODEL_THREADS, NULL, NULL, &r, err, sizeof(err)),
        0);
    *resumes = 0;
    for (i = 0; i < sim_trace_thread_count(r.trace); i++) {
        const struct sim_trace_buf *b = sim_trace_thread(r.trace, i);
        int64_t forced_at = -1;

        for (k = 0; k < b->n; k++) {
            const struct sim_trace_event *e = &b->ev[k];

            if (e->kind == SIM_EV_GIL_DROP) {
                forced_at = e->detail == SIM_DROP_FORCED ? e->t_ns : -1;
            } else if (e->kind == SIM_EV_GIL_TAKE && forced_at >= 0) {
                *resumes += e->t_ns - forced_at >= 1000000;
                forced_at = -1;
            }
        }
    }
    wall = r.wall_ns;
    sim_run_result_clear(&r);
    return wall;
}

/* A CPU thread that a forced switch kept off the GIL for 1 ms or more
 * resumes with cold caches: cold_instructions more work each time, so the
 * run takes that much longer per such resume (the GIL serializes it),
 * give or take the hand-offs; with none, it is the plain countdown. */
static void
cpu_thread_resumes_cold_after_a_long_switch(void **state)
{
    int base_resumes, resumes;
    int64_t base, cold;

    (void)state;
    base = cold_countdown(0, &base_resumes);
    cold = cold_countdown(100000, &resumes); /* 410 us each */
    assert_true(base_resumes >= 5);
    assert_true(resumes >= 5);
    assert_true(llabs(cold - base - (int64_t)resumes * 410000) <
                (int64_t)resumes * 20000 + 100000);
}

/* Per thread, the time it held the GIL inside cpu steps and inside
 * sleep or fetch steps, from the trace walker's holding state. */
struct held {
    int64_t last_t[8];
    int held[8];
    int step[8];            /* the open step's kind, -1 outside one */
    int64_t in_cpu, in_off; /* ns holding the GIL in cpu; in sleep/fetch */
    int64_t off_total;      /* ns inside sleep and fetch steps */
};

static void
on_held_event(void *ctx, size_t thread, const struct sim_trace_event *e,
              int holding)
{
    struct held *h = ctx;
    int64_t dt;

    assert_true(thread < 8);
    dt = e->t_ns - h->last_t[thread];
    if (h->step[thread] == SIM_STEP_CPU && h->held[thread]) {
        h->in_cpu += dt;
    } else if (h->step[thread] == SIM_STEP_SLEEP ||
               h->step[thread] == SIM_STEP_FETCH) {
        h->off_total += dt;
        h->in_off += h->held[thread] ? dt : 0;
    }
    if (e->kind == SIM_EV_STEP_BEGIN) {
        h->step[thread] = (int)e->detail;
    } else if (e->kind == SIM_EV_STEP_END) {
        h->step[thread] = -1;
    }
    h->held[thread] = holding;
    h->last_t[thread] = e->t_ns;
}

/* A workload file's steps hold the GIL as their kind does (issue 16): a
 * cpu step holds it for its time, a sleep and a fetch release it for
 * theirs, so two threads overlap their sleeps and fetches with each
 * other's Python work; and never two holders at once. */
static void
file_steps_hold_and_release_the_gil_as_their_kind_does(void **state)
{
    char *dir = tf_make_dir("gilsim-vwf");
    char path[4200];
    struct sim_options o;
    struct sim_run_result r;
    struct trace_gil_counts counts;
    struct trace_check_hook hook;
    struct held h;
    char err[SIM_ERR_LEN * 2] = "";
    size_t i;

    (void)state;
    (void)snprintf(path, sizeof(path), "%s/w.json", dir);
    tf_write(path, "{\"format\": \"gilsim-workload\", \"version\": 1,"
                   " \"tasks\": 4, \"kinds\": [{\"steps\": ["
                   "{\"cpu\": {\"ms\": 2}}, {\"sleep\": {\"ms\": 5}},"
                   "{\"fetch\": {}}, {\"cpu\": {\"ms\": 2}}]}]}");
    virtual_options(&o, "file", 2);
    (void)snprintf(o.workload_file, sizeof(o.workload_file), "%.4000s", path);
    o.workload_file_io = 1;
    o.latency_ns = 10000000; /* 10 ms a fetch */
    o.body_size = 1024;
    assert_int_equal(
        sim_run_once(&o, SIM_MODEL_THREADS, NULL, NULL, &r, err, sizeof(err)),
        0);
    assert_int_equal(r.stats.tasks, 4);
    assert_int_equal(r.stats.steps_failed, 0);
    memset(&h, 0, sizeof(h));
    for (i = 0; i < 8; i++) {
        h.step[i] = -1;
    }
    hook.on_event = on_held_event;
    hook.ctx = &h;
    trace_check_gil(r.trace, 1, &hook, &counts); /* one holder at a time */
    /* 4 tasks x 4 ms of Python under the GIL, give or take a fetch's own
     * Python work, which runs inside the fetch step. */
    assert_true(h.in_cpu >= 16000000 && h.in_cpu < 16500000);
    /* Inside sleeps and fetches (4 x 5 ms + 4 x 10 ms at least), the GIL
     * is held only for each fetch's own Python work (requests.get's,
     * about 0.8 ms here: 3.2 of 66 ms); a sleep that held it would add
     * 20 ms. */
    assert_true(h.off_total >= 60000000);
    assert_true(h.in_off < h.off_total / 10);
    /* Two threads: the 60 ms off the GIL overlap; one thread would take
     * 76 ms and more. */
    assert_true(r.wall_ns < 60000000);
    sim_run_result_clear(&r);
    tf_remove_tree(dir);
    free(dir);
}

/* Per thread: ns holding the GIL inside native steps, ns inside them. */
struct native_held {
    int64_t last_t[8];
    int held[8];
    int in_native[8];
    int64_t held_ns, total_ns;
};

static void
on_native_event(void *ctx, size_t thread, const struct sim_trace_event *e,
                int holding)
{
    struct native_held *h = ctx;
    int64_t dt;

    assert_true(thread < 8);
    dt = e->t_ns - h->last_t[thread];
    if (h->in_native[thread]) {
        h->total_ns += dt;
        h->held_ns += h->held[thread] ? dt : 0;
    }
    if (e->kind == SIM_EV_STEP_BEGIN || e->kind == SIM_EV_STEP_END) {
        h->in_native[thread] =
            e->kind == SIM_EV_STEP_BEGIN && e->detail == SIM_STEP_NATIVE;
    }
    h->held[thread] = holding;
    h->last_t[thread] = e->t_ns;
}

/* A native step (C work that releases the GIL) never holds the GIL and
 * runs beside a thread that does: a task of 20 ms of native code and one
 * of 20 ms of Python on two threads and two cores take 20 ms, not 40,
 * in virtual time; in real time too the trace shows the GIL held inside
 * the native step only at its edges, and one holder at a time. */
static void
native_steps_run_beside_the_gil_holder(void **state)
{
    char *dir = tf_make_dir("gilsim-native");
    char path[4200];
    struct sim_options o;
    struct sim_run_result r;
    struct trace_gil_counts counts;
    struct trace_check_hook hook;
    struct native_held h;
    char err[SIM_ERR_LEN * 2] = "";
    int engine;

    (void)state;
    (void)snprintf(path, sizeof(path), "%s/w.json", dir);
    tf_write(path, "{\"format\": \"gilsim-workload\", \"version\": 1,"
                   " \"tasks\": 2, \"kinds\": ["
                   "{\"steps\": [{\"native\": {\"ms\": 20}}]},"
                   "{\"steps\": [{\"cpu\": {\"ms\": 20}}]}]}");
    for (engine = 1; engine >= 0; engine--) {
        virtual_options(&o, "file", 2);
        o.engine_virtual = engine;
        o.seed = 3; /* draws one task of each kind */
        (void)snprintf(o.workload_file, sizeof(o.workload_file), "%.4000s",
                       path);
        assert_int_equal(sim_run_once(&o, SIM_MODEL_THREADS, NULL, NULL, &r,
                                      err, sizeof(err)),
                         0);
        assert_int_equal(r.stats.steps_failed, 0);
        memset(&h, 0, sizeof(h));
        hook.on_event = on_native_event;
        hook.ctx = &h;
        trace_check_gil(r.trace, 1, &hook, &counts);
        if (h.total_ns == 0) {
            fail_msg("seed 3 drew no native task");
        }
        assert_true(h.total_ns >= 20000000);
        /* Held only at the step's edges (before the release, after the
         * take back), never for its 20 ms. */
        assert_true(h.held_ns < 100000);
        if (engine) {
            /* Beside the cpu task, not after it. */
            assert_true(r.wall_ns < 21000000);
        }
        sim_run_result_clear(&r);
    }
    tf_remove_tree(dir);
    free(dir);
}

/* The event loop sends a native step to its offload pool, as
 * run_in_executor would: four native tasks of 20 ms on two offload
 * threads and two cores take about 40 ms, each step is recorded by an
 * offload thread, none by the loop thread (buffer 0). */
static void
loop_offloads_native_steps(void **state)
{
    char *dir = tf_make_dir("gilsim-lnat");
    char path[4200];
    struct sim_options o;
    struct sim_run_result r;
    char err[SIM_ERR_LEN * 2] = "";
    size_t i, k, on_loop = 0, offloaded = 0;

    (void)state;
    (void)snprintf(path, sizeof(path), "%s/w.json", dir);
    tf_write(path, "{\"format\": \"gilsim-workload\", \"version\": 1,"
                   " \"tasks\": 4, \"kinds\": [{\"steps\": ["
                   "{\"native\": {\"ms\": 20}}]}]}");
    virtual_options(&o, "file", 2);
    (void)snprintf(o.workload_file, sizeof(o.workload_file), "%.4000s", path);
    assert_int_equal(
        sim_run_once(&o, SIM_MODEL_LOOP, NULL, NULL, &r, err, sizeof(err)), 0);
    assert_int_equal(r.stats.steps_failed, 0);
    for (i = 0; i < sim_trace_thread_count(r.trace); i++) {
        const struct sim_trace_buf *b = sim_trace_thread(r.trace, i);

        for (k = 0; k < b->n; k++) {
            if (b->ev[k].kind == SIM_EV_STEP_END &&
                b->ev[k].detail == SIM_STEP_NATIVE) {
                on_loop += i == 0;
                offloaded += i != 0;
            }
        }
    }
    assert_int_equal(on_loop, 0);
    assert_int_equal(offloaded, 4);
    assert_true(r.wall_ns >= 40000000 && r.wall_ns < 45000000);
    sim_run_result_clear(&r);
    tf_remove_tree(dir);
    free(dir);
}

/* In virtual time too a fetch with its own latency and size takes that
 * latency and brings that many bytes, in the thread models and on the
 * loop; one without them, the run's. */
static void
own_fetch_latency_and_size_in_virtual_time(void **state)
{
    char *dir = tf_make_dir("gilsim-vown");
    char path[4200];
    struct sim_options o;
    struct sim_run_result r;
    char err[SIM_ERR_LEN * 2] = "";
    size_t m, i, k;

    (void)state;
    (void)snprintf(path, sizeof(path), "%s/w.json", dir);
    tf_write(path, "{\"format\": \"gilsim-workload\", \"version\": 1,"
                   " \"tasks\": 3, \"kinds\": [{\"steps\": [{\"fetch\":"
                   " {\"latency\": {\"ms\": 40}, \"size\": {\"bytes\": 5000}}},"
                   " {\"fetch\": {}}]}]}");
    for (m = 0; m < 2; m++) {
        int own = 0, plain = 0;

        virtual_options(&o, "file", 2);
        (void)snprintf(o.workload_file, sizeof(o.workload_file), "%.4000s",
                       path);
        o.workload_file_io = 1;
        o.latency_ns = 1000000;
        o.body_size = 1024;
        assert_int_equal(
            sim_run_once(&o, m == 0 ? SIM_MODEL_THREADS : SIM_MODEL_LOOP, NULL,
                         NULL, &r, err, sizeof(err)),
            0);
        for (i = 0; i < sim_trace_thread_count(r.trace); i++) {
            const struct sim_trace_buf *b = sim_trace_thread(r.trace, i);
            int64_t begin[8] = {0};

            for (k = 0; k < b->n; k++) {
                const struct sim_trace_event *e = &b->ev[k];

                if (e->detail != SIM_STEP_FETCH || e->task < 0 ||
                    e->task >= 8) {
                    continue;
                }
                if (e->kind == SIM_EV_STEP_BEGIN) {
                    begin[e->task] = e->t_ns;
                } else if (e->kind == SIM_EV_STEP_END && e->arg == 5000) {
                    assert_true(e->t_ns - begin[e->task] >= 40000000);
                    own++;
                } else if (e->kind == SIM_EV_STEP_END && e->arg == 1024) {
                    assert_true(e->t_ns - begin[e->task] < 40000000);
                    plain++;
                }
            }
        }
        assert_int_equal(own, 3);
        assert_int_equal(plain, 3);
        sim_run_result_clear(&r);
    }
    tf_remove_tree(dir);
    free(dir);
}

/* A lock held by a task: from its lock step's end to its unlock step's
 * begin, on one thread's buffer. */
struct hold {
    int64_t from, to;
    size_t thread;
};

static int
by_from(const void *a, const void *b)
{
    const struct hold *x = a, *y = b;

    return (x->from > y->from) - (x->from < y->from);
}

/* Lock 0's holds in r's trace never overlap (one holder at a time; with
 * `per_process`, one per process, a buffer's); every lock step has its
 * unlock on the same thread and task. Returns how many holds, and in
 * *waited how many lock steps lasted `wait_ns` or more (waited for the
 * lock). */
static size_t
check_lock_holds(const struct sim_trace *t, int per_process, int64_t wait_ns,
                 size_t *waited)
{
    struct hold *h = calloc(100000, sizeof(*h));
    size_t n = 0, i, k;

    assert_non_null(h);
    *waited = 0;
    for (i = 0; i < sim_trace_thread_count(t); i++) {
        const struct sim_trace_buf *b = sim_trace_thread(t, i);
        int64_t lock_begin[64], open_from[64];
        int open[64] = {0};

        for (k = 0; k < b->n && k < b->cap; k++) {
            const struct sim_trace_event *e = &b->ev[k];
            int task = e->task & 63;

            if (e->kind == SIM_EV_STEP_BEGIN && e->detail == SIM_STEP_LOCK) {
                lock_begin[task] = e->t_ns;
            } else if (e->kind == SIM_EV_STEP_END &&
                       e->detail == SIM_STEP_LOCK) {
                assert_int_equal(e->outcome, SIM_OUT_OK);
                assert_int_equal(e->arg, 0);
                assert_false(open[task]);
                open[task] = 1;
                open_from[task] = e->t_ns;
                *waited += e->t_ns - lock_begin[task] >= wait_ns;
            } else if (e->kind == SIM_EV_STEP_BEGIN &&
                       e->detail == SIM_STEP_UNLOCK) {
                if (!open[task]) {
                    fail_msg("thread %zu task %d: an unlock without its lock",
                             i, e->task);
                }
                open[task] = 0;
                assert_true(n < 100000);
                h[n].from = open_from[task];
                h[n].to = e->t_ns;
                h[n].thread = i;
                n++;
            }
        }
        for (k = 0; k < 64; k++) {
            if (open[k]) {
                fail_msg("thread %zu task %zu: a lock never released", i, k);
            }
        }
    }
    qsort(h, n, sizeof(*h), by_from);
    for (i = 1; i < n && !per_process; i++) {
        if (h[i].from < h[i - 1].to) {
            fail_msg("two holders: thread %zu from %lld, thread %zu until "
                     "%lld",
                     h[i].thread, (long long)h[i].from, h[i - 1].thread,
                     (long long)h[i - 1].to);
        }
    }
    free(h);
    return n;
}

/* Per thread: ns holding the GIL inside lock steps (waiting for one). */
struct lock_wait_held {
    int64_t last_t[8];
    int held[8];
    int in_lock[8];
    int64_t held_ns, total_ns;
};

static void
on_lock_event(void *ctx, size_t thread, const struct sim_trace_event *e,
              int holding)
{
    struct lock_wait_held *h = ctx;
    int64_t dt;

    assert_true(thread < 8);
    dt = e->t_ns - h->last_t[thread];
    if (h->in_lock[thread]) {
        h->total_ns += dt;
        h->held_ns += h->held[thread] ? dt : 0;
    }
    if (e->kind == SIM_EV_STEP_BEGIN || e->kind == SIM_EV_STEP_END) {
        h->in_lock[thread] =
            e->kind == SIM_EV_STEP_BEGIN && e->detail == SIM_STEP_LOCK;
    }
    h->held[thread] = holding;
    h->last_t[thread] = e->t_ns;
}

/* A lock step (a shared threading.Lock) never has two holders, in every
 * model and both engines; a thread that waits for it does so without the
 * GIL; the lock serializes what it holds (6 tasks x 4 ms inside it take
 * 24 ms and more, where 3 threads would overlap their sleeps); and a
 * task that fails inside it releases it (`with` on an exception), so the
 * others go on. */
static void
lock_steps_have_one_holder_at_a_time(void **state)
{
    static const enum sim_model models[] = {
        SIM_MODEL_THREADS, SIM_MODEL_EXECUTOR,  SIM_MODEL_NOGIL,
        SIM_MODEL_LOOP,    SIM_MODEL_PROCESSES, SIM_MODEL_SERIAL};
    char *dir = tf_make_dir("gilsim-lock");
    char path[4200], failing[4200];
    struct sim_options o;
    struct sim_run_result r;
    struct trace_gil_counts counts;
    struct trace_check_hook hook;
    struct lock_wait_held h;
    char err[SIM_ERR_LEN * 2] = "";
    size_t m, waited, holds;
    int engine;

    (void)state;
    (void)snprintf(path, sizeof(path), "%s/w.json", dir);
    (void)snprintf(failing, sizeof(failing), "%s/f.json", dir);
    tf_write(path, "{\"format\": \"gilsim-workload\", \"version\": 1,"
                   " \"tasks\": 6, \"kinds\": [{\"steps\": ["
                   "{\"cpu\": {\"ms\": 1}},"
                   "{\"lock\": {\"name\": \"db\", \"steps\": ["
                   "  {\"cpu\": {\"ms\": 1}}, {\"sleep\": {\"ms\": 2}},"
                   "  {\"cpu\": {\"ms\": 1}}]}},"
                   "{\"cpu\": {\"ms\": 1}}]}]}");
    for (engine = 1; engine >= 0; engine--) {
        for (m = 0; m < sizeof(models) / sizeof(models[0]); m++) {
            virtual_options(&o, "file", 3);
            o.engine_virtual = engine;
            o.processes = 3;
            (void)snprintf(o.workload_file, sizeof(o.workload_file), "%.4000s",
                           path);
            if (sim_run_once(&o, models[m], NULL, NULL, &r, err, sizeof(err)) !=
                0) {
                fail_msg("%s: %s", sim_model_name(models[m]), err);
            }
            assert_int_equal(r.stats.tasks, 6);
            assert_int_equal(r.stats.steps_failed, 0);
            holds = check_lock_holds(r.trace, models[m] == SIM_MODEL_PROCESSES,
                                     500000, &waited);
            assert_int_equal(holds, 6);
            /* How long a step lasts is the machine's in real time (a
             * thread descheduled holding the GIL looks like one that
             * waited), so these are virtual time's, where it is exact;
             * both engines run the same lock code (models/locks.c). */
            if (engine && models[m] == SIM_MODEL_PROCESSES) {
                /* A threading.Lock lives in one process: each worker's
                 * own, never contended by the others. */
                assert_int_equal(waited, 0);
            } else if (engine && models[m] != SIM_MODEL_SERIAL) {
                assert_true(waited >= 1);
            }
            if (models[m] != SIM_MODEL_LOOP) {
                /* One holder of each GIL, in both engines; waiting for
                 * the lock, the GIL is released. */
                memset(&h, 0, sizeof(h));
                hook.on_event = on_lock_event;
                hook.ctx = &h;
                trace_check_gil(r.trace,
                                models[m] != SIM_MODEL_NOGIL &&
                                    models[m] != SIM_MODEL_PROCESSES,
                                &hook, &counts);
                if (engine) {
                    assert_true(h.held_ns <= h.total_ns / 10 + 200000);
                }
            }
            if (engine && models[m] != SIM_MODEL_PROCESSES) {
                assert_true(r.wall_ns >= 24000000);
            }
            sim_run_result_clear(&r);
        }
    }
    /* Fetches that fail inside the lock: each such task stops there and
     * releases it; every task ends. */
    tf_write(failing, "{\"format\": \"gilsim-workload\", \"version\": 1,"
                      " \"tasks\": 12, \"kinds\": [{\"steps\": ["
                      "{\"lock\": {\"name\": \"db\", \"steps\": ["
                      "  {\"fetch\": {}}, {\"cpu\": {\"ms\": 1}}]}}]}]}");
    for (m = 0; m < 2; m++) {
        virtual_options(&o, "file", 3);
        (void)snprintf(o.workload_file, sizeof(o.workload_file), "%.4000s",
                       failing);
        o.workload_file_io = 1;
        o.fail_rate = 0.5;
        o.latency_ns = 1000000;
        o.body_size = 1024;
        if (sim_run_once(&o, m == 0 ? SIM_MODEL_THREADS : SIM_MODEL_LOOP, NULL,
                         NULL, &r, err, sizeof(err)) != 0) {
            fail_msg("%s", err);
        }
        assert_int_equal(r.stats.tasks, 12);
        assert_true(r.stats.steps_failed >= 2 && r.stats.steps_failed <= 10);
        assert_int_equal(check_lock_holds(r.trace, 0, 500000, &waited), 12);
        sim_run_result_clear(&r);
    }
    tf_remove_tree(dir);
    free(dir);
}

/* The loop in virtual time: every fetch on the loop thread (buffer 0),
 * every write on an offload thread, the GIL's invariants, every task once,
 * and the failures the server's function predicts. */
static void
loop_runs_in_virtual_time(void **state)
{
    struct sim_options o;
    struct sim_run_result r;
    struct trace_gil_counts counts;
    char err[SIM_ERR_LEN * 2] = "";
    uint64_t expect_failed = 0, fetches = 0, writes = 0;
    int64_t page;
    size_t i, k;
    int kind;

    (void)state;
    virtual_options(&o, "seed", 3);
    o.pages = 40;
    o.fail_rate = 0.25;
    o.timeout_ns = 1000000000;
    assert_int_equal(
        sim_run_once(&o, SIM_MODEL_LOOP, NULL, NULL, &r, err, sizeof(err)), 0);
    trace_check_gil(r.trace, 1, NULL, &counts);
    assert_int_equal(counts.takes, r.gil.takes);
    assert_int_equal(counts.drops, r.gil.drops);
    for (page = 0; page < o.pages; page++) {
        expect_failed +=
            (uint64_t)wl_server_page_fails(o.seed, o.fail_rate, page, &kind);
    }
    assert_int_equal(r.stats.tasks, o.pages);
    assert_int_equal(r.stats.steps_failed, expect_failed);
    for (i = 0; i < sim_trace_thread_count(r.trace); i++) {
        const struct sim_trace_buf *b = sim_trace_thread(r.trace, i);

        for (k = 0; k < b->n; k++) {
            if (b->ev[k].kind != SIM_EV_STEP_BEGIN) {
                continue;
            }
            if (b->ev[k].detail == SIM_STEP_FETCH) {
                assert_int_equal(i, 0);
                fetches++;
            } else if (b->ev[k].detail == SIM_STEP_WRITE) {
                assert_true(i > 0);
                writes++;
            }
        }
    }
    assert_int_equal(fetches, o.pages);
    assert_int_equal(writes, (uint64_t)o.pages - expect_failed);
    sim_run_result_clear(&r);
}

/* The loop's requests go out when the loop next turns, as libcurl's multi
 * interface starts a transfer at its next socket_action: with every task
 * submitting its fetch in one go, no reply comes back sooner than the
 * latency after the last request was submitted. */
static void
loop_sends_when_the_loop_turns(void **state)
{
    struct sim_options o;
    struct sim_run_result r;
    char err[SIM_ERR_LEN * 2] = "";
    const struct sim_trace_buf *b;
    int64_t last_begin, first_end;

    (void)state;
    virtual_options(&o, "seed", 5);
    o.pages = 10;
    o.latency_ns = 50000000;
    assert_int_equal(
        sim_run_once(&o, SIM_MODEL_LOOP, NULL, NULL, &r, err, sizeof(err)), 0);
    b = sim_trace_thread(r.trace, 0);
    trace_fetch_span(b, &last_begin, &first_end);
    assert_true(last_begin > 0); /* the requests' work took time */
    assert_true(first_end >= last_begin + o.latency_ns);
    assert_int_equal(r.stats.tasks, o.pages);
    sim_run_result_clear(&r);
}

/* Timed-out drop requests made by thread 0 (the convoy's I/O thread). */
static uint64_t
io_thread_timed_out_requests(const struct sim_trace *t)
{
    const struct sim_trace_buf *b = sim_trace_thread(t, 0);
    uint64_t n = 0;
    uint64_t k;

    for (k = 0; k < b->n; k++) {
        if (b->ev[k].kind == SIM_EV_GIL_DROP_REQUEST && b->ev[k].arg == 0) {
            n++;
        }
    }
    return n;
}

/* The what-if check, in virtual time where it is exact: under
 * io-priority the convoy's I/O thread never waits out an interval (it
 * makes no timed-out request), and its round trips get shorter. */
static void
io_priority_cuts_the_convoy_in_virtual_time(void **state)
{
    struct sim_options o;
    struct sim_run_result a, b;
    char err[SIM_ERR_LEN * 2] = "";

    (void)state;
    virtual_options(&o, "convoy", 1);
    o.cpu_threads = 2;
    o.ops = 50;
    assert_int_equal(
        sim_run_once(&o, SIM_MODEL_THREADS, NULL, NULL, &a, err, sizeof(err)),
        0);
    (void)snprintf(o.policy, sizeof(o.policy), "%s", "io-priority");
    assert_int_equal(
        sim_run_once(&o, SIM_MODEL_THREADS, NULL, NULL, &b, err, sizeof(err)),
        0);
    assert_true(io_thread_timed_out_requests(a.trace) > 0);
    assert_int_equal(io_thread_timed_out_requests(b.trace), 0);
    assert_int_equal(a.stats.fetches, 50);
    assert_int_equal(b.stats.fetches, 50);
    assert_true(b.stats.fetch_p50_ns < a.stats.fetch_p50_ns);
    sim_run_result_clear(&a);
    sim_run_result_clear(&b);
}

/* With a calibration's latencies (wake-up 19 us, timer slack 77 us, as
 * measured on this machine) and constant latencies, the convoy's I/O
 * thread queued behind the CPU thread that had just been forced to drop,
 * every time, and the run never ended; the seeded jitter on latencies
 * breaks that lock-step. A hang here fails by the test's timeout. */
static void
convoy_ends_with_calibrated_latencies(void **state)
{
    struct sim_options o;
    struct sim_run_result r;
    char err[SIM_ERR_LEN * 2] = "";
    uint64_t seed;

    (void)state;
    for (seed = 1; seed <= 4; seed++) {
        virtual_options(&o, "convoy", 1);
        o.cpu_threads = 2;
        o.ops = 40;
        o.seed = seed;
        o.costs.cond_wake_ns = 19100;
        o.costs.timer_slack_ns = 77100;
        assert_int_equal(sim_run_once(&o, SIM_MODEL_THREADS, NULL, NULL, &r,
                                      err, sizeof(err)),
                         0);
        assert_int_equal(r.stats.fetches, 40);
        assert_true(io_thread_timed_out_requests(r.trace) > 0);
        sim_run_result_clear(&r);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_core_never_runs_two),
        cmocka_unit_test(units_longer_than_a_slice_still_get_done),
        cmocka_unit_test(enough_cores_run_all_at_once),
        cmocka_unit_test(a_woken_thread_waits_out_the_protected_slice),
        cmocka_unit_test(cpu_switches_once_per_interval),
        cmocka_unit_test(countdown_is_faster_once_its_code_is_quickened),
        cmocka_unit_test(legacy_yields_once_per_check_in_virtual_time),
        cmocka_unit_test(seed_with_failures_counts_them),
        cmocka_unit_test(failures_of_one_byte_pages_keep_the_gil_paired),
        cmocka_unit_test(executor_runs_in_virtual_time),
        cmocka_unit_test(processes_run_in_virtual_time),
        cmocka_unit_test(processes_start_after_the_parent_s_forks),
        cmocka_unit_test(first_fetch_costs_once_per_process),
        cmocka_unit_test(threadpool_task_cost_is_charged_a_chunk),
        cmocka_unit_test(cpu_thread_resumes_cold_after_a_long_switch),
        cmocka_unit_test(
            file_steps_hold_and_release_the_gil_as_their_kind_does),
        cmocka_unit_test(native_steps_run_beside_the_gil_holder),
        cmocka_unit_test(loop_offloads_native_steps),
        cmocka_unit_test(lock_steps_have_one_holder_at_a_time),
        cmocka_unit_test(own_fetch_latency_and_size_in_virtual_time),
        cmocka_unit_test(loop_runs_in_virtual_time),
        cmocka_unit_test(loop_sends_when_the_loop_turns),
        cmocka_unit_test(io_priority_cuts_the_convoy_in_virtual_time),
        cmocka_unit_test(convoy_ends_with_calibrated_latencies),
        cmocka_unit_test(same_flags_same_trace),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
