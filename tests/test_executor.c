/*
 * test_executor.c - the executor model (sim/models/executor.c), the
 * analogue of list(ThreadPoolExecutor(N).map(fn, tasks)), driven
 * in-process through run.h: through the run driver
 * (sim_run_once, which also checks the GIL's counters against the trace
 * and returns -EPROTO if they differ) and, for workloads of our own,
 * through sim_model_run with a trace and GIL built as run.c builds them.
 *
 * Every assertion is made from the trace, never from timing: thread 0 is
 * "main" and the others are "worker-1", "worker-2"... in creation order;
 * per thread, GIL_TAKE and GIL_DROP alternate, and across threads no two
 * running segments (TAKE..DROP) overlap; the counts recomputed from the
 * raw events equal the GIL's own counters; every task ends exactly once,
 * on a worker; and the main thread's result events (SIM_EV_RESULT, task =
 * the collected task's id) come in submission order, each after the
 * TASK_END of the task it collects (one monotonic clock for all threads,
 * and the worker's TASK_END happens before the future is marked done).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base.h"
#include "run.h"
#include "trace_check.h"

#define CHECK_EVERY        8
#define SWITCH_INTERVAL_NS 100000 /* 100 us, so switches happen in a test */
#define TRACE_EVENTS       200000

/* ---- running the model ------------------------------------------------ */

/* A trace and a GIL as run.c builds them, the model run, its result. */
struct exec_run {
    struct sim_trace *trace;
    struct gil *gil;
    struct sim_model_result res;
};

static void
exec_run_free(struct exec_run *r)
{
    gil_free(r->gil);
    sim_trace_free(r->trace);
    memset(r, 0, sizeof(*r));
}

/* Run `w` under the executor with `workers` workers; asserts success. */
static void
run_executor(const struct wl_workload *w, int workers, struct exec_run *r)
{
    struct sim_trace_config tc;
    struct gil_config gc;
    struct sim_model_params mp;
    char err[SIM_ERR_LEN] = "";
    int rc;

    memset(r, 0, sizeof(*r));
    memset(&tc, 0, sizeof(tc));
    tc.max_threads = sim_model_trace_threads(SIM_MODEL_EXECUTOR, workers);
    tc.events_per_thread = TRACE_EVENTS;
    tc.origin_ns = base_now_ns();
    assert_int_equal(sim_trace_new(&tc, &r->trace), 0);

    memset(&gc, 0, sizeof(gc));
    gc.policy = gil_policy_find("new");
    assert_non_null(gc.policy);
    gc.switch_interval_ns = SWITCH_INTERVAL_NS;
    gc.clock = sim_clock_real();
    gc.hooks = sim_model_gil_hooks();
    assert_int_equal(gil_new(&gc, &r->gil), 0);

    memset(&mp, 0, sizeof(mp));
    mp.backend = &sim_backend_real;
    mp.model = SIM_MODEL_EXECUTOR;
    mp.threads = workers;
    mp.workload = w;
    mp.gil = r->gil;
    mp.gil_config = gc;
    mp.trace = r->trace;
    mp.clock = gc.clock;
    mp.check_every = CHECK_EVERY;
    mp.cost.instr_ns = 1.0;
    mp.cost.spins_per_ns = wl_cpu_calibrate();
    rc = sim_model_run(&mp, &r->res, err, sizeof(err));
    if (rc != 0) {
        fail_msg("sim_model_run: %d: %s", rc, err);
    }
    assert_true(r->res.end_ns >= r->res.begin_ns);
}

/* A workload of n one-step cpu tasks; task k runs instructions[k]. */
static struct wl_workload *
cpu_tasks(const int64_t *instructions, size_t n)
{
    struct wl_workload *w = NULL;
    size_t k;

    assert_int_equal(wl_workload_new("executor-test", n, 1, &w), 0);
    for (k = 0; k < n; k++) {
        struct wl_step s;

        memset(&s, 0, sizeof(s));
        s.kind = WL_STEP_CPU;
        s.instructions = instructions[k];
        assert_int_equal(wl_task_add_step(w, k, &s), 0);
    }
    return w;
}

/* ---- reading the trace ------------------------------------------------ */

#define MAX_TASKS 64

/* What check_trace found. */
struct found {
    struct trace_gil_counts gil; /* GIL events, for assert_counts_match */
    size_t workers;              /* threads other than main */
    size_t task_end[MAX_TASKS];  /* TASK_END count per task id */
    int64_t task_end_ns[MAX_TASKS];
    size_t task_ends;              /* all TASK_END events */
    int32_t collected[MAX_TASKS];  /* task ids of main's collect steps */
    int64_t collect_ns[MAX_TASKS]; /* when each collect step began */
    size_t n_collected;
};

/* The executor's own checks, on top of the shared GIL walker: tasks and
 * steps only on workers, each task ending once and well, steps and
 * collections only while holding the GIL, and main's collection order. */
static void
check_event(void *ctx, size_t i, const struct sim_trace_event *e, int holding)
{
    struct found *f = ctx;

    switch ((enum sim_ev)e->kind) {
    case SIM_EV_TASK_BEGIN:
        /* Tasks run on workers only; main submits and collects. */
        assert_true(i > 0);
        break;
    case SIM_EV_TASK_END:
        assert_true(i > 0);
        assert_int_equal(e->outcome, SIM_OUT_OK);
        assert_true(e->task >= 0 && e->task < MAX_TASKS);
        f->task_end[e->task]++;
        f->task_end_ns[e->task] = e->t_ns;
        f->task_ends++;
        break;
    case SIM_EV_STEP_BEGIN:
        assert_true(holding);
        assert_true(i != 0); /* main runs no steps */
        break;
    case SIM_EV_RESULT:
        assert_true(holding);
        if (i == 0) {
            assert_true(f->n_collected < MAX_TASKS);
            f->collected[f->n_collected] = e->task;
            f->collect_ns[f->n_collected] = e->t_ns;
            f->n_collected++;
        }
        break;
    case SIM_EV_STEP_END:
        assert_int_equal(e->detail, SIM_STEP_CPU);
        assert_int_equal(e->outcome, SIM_OUT_OK);
        assert_true(holding);
        break;
    default:
        break;
    }
}

/*
 * Check the shape of the executor's trace (names, the shared GIL
 * invariants with exclusive running segments, the checks above) and
 * fill *f.
 */
static void
check_trace(const struct sim_trace *t, struct found *f)
{
    struct trace_check_hook hook = {check_event, f};
    size_t nthreads = sim_trace_thread_count(t);
    size_t i;

    memset(f, 0, sizeof(*f));
    assert_true(nthreads >= 1);
    assert_string_equal(sim_trace_thread(t, 0)->name, "main");
    f->workers = nthreads - 1;
    for (i = 1; i < nthreads; i++) {
        char name[40];

        (void)snprintf(name, sizeof(name), "worker-%zu", i);
        assert_string_equal(sim_trace_thread(t, i)->name, name);
    }
    trace_check_gil(t, 1, &hook, &f->gil);
}

static void
assert_counts_match(const struct found *f, const struct gil_stats *g)
{
    assert_int_equal(f->gil.takes, g->takes);
    assert_int_equal(f->gil.drops, g->drops);
    assert_int_equal(f->gil.waits, g->waits);
    assert_int_equal(f->gil.switches, g->switches);
    assert_int_equal(f->gil.drop_requests, g->drop_requests);
    assert_int_equal(f->gil.forced, g->forced_drops);
}

/* Every task ended once; main collected tasks 0..n-1 in that order, each
 * after its task had ended. */
static void
assert_each_task_once_collected_in_order(const struct found *f, size_t n)
{
    size_t k;

    assert_int_equal(f->task_ends, n);
    for (k = 0; k < n; k++) {
        assert_int_equal(f->task_end[k], 1);
    }
    assert_int_equal(f->n_collected, n);
    for (k = 0; k < n; k++) {
        assert_int_equal(f->collected[k], (int32_t)k);
        assert_true(f->collect_ns[k] >= f->task_end_ns[k]);
    }
}

/* ---- the tests -------------------------------------------------------- */

static void
executor_run_agrees_with_gil_counters_and_never_overlaps(void **state)
{
    struct sim_options o;
    struct sim_run_result r;
    struct found f;
    char err[SIM_ERR_LEN * 2] = "";
    int rc;

    (void)state;
    sim_options_default(&o);
    o.threads = 4; /* the cpu workload: one task per --threads */
    o.check_every = CHECK_EVERY;
    o.count = 4 * 20000;
    o.costs.instr_ns = 1.0;
    o.switch_interval_ns = SWITCH_INTERVAL_NS;
    o.trace_events = TRACE_EVENTS;
    o.quiet = 1;
    (void)snprintf(o.workload, sizeof(o.workload), "%s", "cpu");
    (void)snprintf(o.policy, sizeof(o.policy), "%s", "new");
    rc = sim_run_once(&o, SIM_MODEL_EXECUTOR, NULL, NULL, &r, err, sizeof(err));
    if (rc != 0) {
        fail_msg("sim_run_once: %d: %s", rc, err); /* -EPROTO: counters */
    }
    assert_int_equal(rc, 0);
    check_trace(r.trace, &f);
    assert_counts_match(&f, &r.gil);
    assert_int_equal(r.stats.events_lost, 0);
    assert_true(f.workers >= 1 && f.workers <= 4);
    assert_each_task_once_collected_in_order(&f, 4);
    assert_int_equal(r.stats.tasks, 4);
    assert_int_equal(r.stats.steps_failed, 0);
    /* The 4 tasks' steps only: main's collections are not steps. */
    assert_int_equal(r.stats.steps_ok, 4);
    sim_run_result_clear(&r);
}

static void
executor_returns_results_in_submission_order_when_early_tasks_are_longest(
    void **state)
{
    /* Task 0 is 16 times as long as task 5: with 3 workers the short
     * tasks finish long before the first ones, yet map() returns them in
     * submission order. */
    static const int64_t instr[] = {1600000, 800000, 400000,
                                    200000,  100000, 100000};
    const size_t n = sizeof(instr) / sizeof(instr[0]);
    struct wl_workload *w = cpu_tasks(instr, n);
    struct exec_run r;
    struct found f;

    (void)state;
    run_executor(w, 3, &r);
    check_trace(r.trace, &f);
    assert_counts_match(&f, &r.res.gil);
    assert_true(f.workers >= 1 && f.workers <= 3);
    assert_each_task_once_collected_in_order(&f, n);
    exec_run_free(&r);
    wl_workload_free(w);
}

static void
executor_starts_workers_on_demand(void **state)
{
    /* max_workers=8 but only 2 submits: _adjust_thread_count starts at
     * most one worker per submit, so at most 2 workers exist. */
    static const int64_t instr[] = {200000, 200000};
    struct wl_workload *w = cpu_tasks(instr, 2);
    struct exec_run r;
    struct found f;

    (void)state;
    run_executor(w, 8, &r);
    check_trace(r.trace, &f);
    assert_counts_match(&f, &r.res.gil);
    assert_true(sim_trace_thread_count(r.trace) <= 3); /* main + 2 */
    assert_true(f.workers >= 1 && f.workers <= 2);
    assert_each_task_once_collected_in_order(&f, 2);
    exec_run_free(&r);
    wl_workload_free(w);
}

static void
executor_with_one_worker_runs_tasks_in_queue_order(void **state)
{
    static const int64_t instr[] = {50000, 40000, 30000, 20000, 10000};
    const size_t n = sizeof(instr) / sizeof(instr[0]);
    struct wl_workload *w = cpu_tasks(instr, n);
    struct exec_run r;
    struct found f;
    const struct sim_trace_buf *b;
    int32_t next = 0;
    uint64_t k;

    (void)state;
    run_executor(w, 1, &r);
    check_trace(r.trace, &f);
    assert_counts_match(&f, &r.res.gil);
    assert_int_equal(f.workers, 1);
    assert_each_task_once_collected_in_order(&f, n);
    /* The work queue is FIFO: worker-1 begins the tasks in order. */
    b = sim_trace_thread(r.trace, 1);
    for (k = 0; k < b->n; k++) {
        if (b->ev[k].kind == SIM_EV_TASK_BEGIN) {
            assert_int_equal(b->ev[k].task, next);
            next++;
        }
    }
    assert_int_equal(next, (int32_t)n);
    exec_run_free(&r);
    wl_workload_free(w);
}

static void
executor_stopped_before_start_submits_nothing(void **state)
{
    static const int64_t instr[] = {100000, 100000, 100000};
    struct wl_workload *w = cpu_tasks(instr, 3);
    struct sim_trace_config tc;
    struct gil_config gc;
    struct sim_model_params mp;
    struct sim_model_result res;
    struct sim_trace *trace = NULL;
    struct gil *gil = NULL;
    atomic_int stop;
    char err[SIM_ERR_LEN] = "";
    struct found f;
    int rc;

    (void)state;
    atomic_init(&stop, 1);
    memset(&tc, 0, sizeof(tc));
    tc.max_threads = sim_model_trace_threads(SIM_MODEL_EXECUTOR, 2);
    tc.events_per_thread = TRACE_EVENTS;
    assert_int_equal(sim_trace_new(&tc, &trace), 0);
    memset(&gc, 0, sizeof(gc));
    gc.switch_interval_ns = SWITCH_INTERVAL_NS;
    gc.clock = sim_clock_real();
    gc.hooks = sim_model_gil_hooks();
    assert_int_equal(gil_new(&gc, &gil), 0);
    memset(&mp, 0, sizeof(mp));
    mp.backend = &sim_backend_real;
    mp.model = SIM_MODEL_EXECUTOR;
    mp.threads = 2;
    mp.workload = w;
    mp.gil = gil;
    mp.gil_config = gc;
    mp.trace = trace;
    mp.clock = gc.clock;
    mp.check_every = CHECK_EVERY;
    mp.cost.instr_ns = 1.0;
    mp.cost.spins_per_ns = wl_cpu_calibrate();
    mp.stop = &stop;
    rc = sim_model_run(&mp, &res, err, sizeof(err));
    if (rc != 0) {
        fail_msg("sim_model_run: %d: %s", rc, err);
    }
    check_trace(trace, &f);
    assert_counts_match(&f, &res.gil);
    /* Ctrl-C before the first submit: no worker, no task, no result. */
    assert_int_equal(f.workers, 0);
    assert_int_equal(f.task_ends, 0);
    assert_int_equal(f.n_collected, 0);
    gil_free(gil);
    sim_trace_free(trace);
    wl_workload_free(w);
}

static void
executor_rejects_an_empty_pool(void **state)
{
    static const int64_t instr[] = {1000};
    struct wl_workload *w = cpu_tasks(instr, 1);
    struct sim_model_params mp;
    struct sim_model_result res;
    char err[SIM_ERR_LEN] = "";

    (void)state;
    memset(&mp, 0, sizeof(mp));
    mp.backend = &sim_backend_real;
    mp.model = SIM_MODEL_EXECUTOR;
    mp.threads = 0;
    mp.workload = w;
    mp.check_every = CHECK_EVERY;
    assert_int_equal(sim_model_run(&mp, &res, err, sizeof(err)), -EINVAL);
    assert_true(err[0] != '\0');
    wl_workload_free(w);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            executor_run_agrees_with_gil_counters_and_never_overlaps),
        cmocka_unit_test(
            executor_returns_results_in_submission_order_when_early_tasks_are_longest),
        cmocka_unit_test(executor_starts_workers_on_demand),
        cmocka_unit_test(executor_with_one_worker_runs_tasks_in_queue_order),
        cmocka_unit_test(executor_stopped_before_start_submits_nothing),
        cmocka_unit_test(executor_rejects_an_empty_pool),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
