/*
 * test_processes.c - the processes model (sim/models/processes.c): a pool
 * of forked workers, one GIL each, driven through sim_run_once() as
 * tests/test_models.c drives the pools.
 *
 * Every assertion is made from the trace and the run's return code, never
 * from timing: one track per worker (process ids and GIL ids 1..N), each
 * starting with THREAD_START and ending with THREAD_END, GIL_TAKE and
 * GIL_DROP alternating on each track, running segments that never overlap
 * among the threads of one GIL (across processes they may), every task
 * ended exactly once, and rc == 0 from sim_run_once(), which means the GIL
 * counters the model returned equal the counts derived from the trace.
 *
 * Killing a worker uses the model's test hook
 * (sim_model_processes_set_test_hook): the hook runs in the parent once
 * every worker is forked, polls the shared "current task" slots (spinning
 * with sched_yield, never sleeping) and sends SIGKILL to a worker that
 * holds a task. Those tests arm alarm(60) as a watchdog: if the model
 * waited forever for a dead worker, SIGALRM would end (and so fail) the
 * test binary rather than hang ctest.
 */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli_internal.h"

#define MAX_WORKERS 8
#define MAX_TASKS   16

/* Instructions between checks: a worker is alone on its GIL, so checks
 * never switch; fewer of them keep the long tasks cheap under TSan. */
#define CHECK_EVERY 100

/* A cpu run: `tasks` tasks of `instr_per_task` instructions at 1 ns each,
 * on `procs` worker processes. */
static void
proc_options(struct sim_options *o, int procs, int tasks,
             int64_t instr_per_task)
{
    sim_options_default(o);
    o->processes = procs;
    o->threads = tasks; /* the cpu workload has one task per --threads */
    o->check_every = CHECK_EVERY;
    o->count = (int64_t)tasks * instr_per_task / WL_COUNTDOWN_INSTRUCTIONS;
    o->costs.instr_ns = 1.0;
    o->switch_interval_ns = 100000;
    o->trace_events = 100000;
    o->quiet = 1;
    (void)snprintf(o->workload, sizeof(o->workload), "%s", "cpu");
    (void)snprintf(o->policy, sizeof(o->policy), "%s", "new");
}

struct seg {
    int64_t begin, end;
    int32_t gil;
};

static int
cmp_seg(const void *a, const void *b)
{
    const struct seg *x = a;
    const struct seg *y = b;

    if (x->gil != y->gil) {
        return (x->gil > y->gil) - (x->gil < y->gil);
    }
    return (x->begin > y->begin) - (x->begin < y->begin);
}

/* What check_tracks found. */
struct found {
    int task_ends[MAX_TASKS];            /* TASK_END events per task id */
    int task_outcome[MAX_TASKS];         /* outcome of the last of them */
    int64_t aborted_step_arg[MAX_TASKS]; /* arg of its aborted STEP_END */
    int64_t running_ns[MAX_WORKERS];     /* per track */
    int tasks_run[MAX_WORKERS];          /* TASK_ENDs per track */
};

/*
 * The shape every processes trace must have: `procs` tracks named
 * proc-1.., process k and GIL k; THREAD_START first and THREAD_END last;
 * TAKE and DROP alternating; no overlap of running segments within a GIL.
 */
static void
check_tracks(const struct sim_trace *t, int procs, struct found *f)
{
    size_t nthreads = sim_trace_thread_count(t);
    struct seg *segs;
    size_t cap = 0, nseg = 0;
    size_t i;
    uint64_t k;

    memset(f, 0, sizeof(*f));
    assert_int_equal(nthreads, (size_t)procs);
    for (i = 0; i < nthreads; i++) {
        cap += sim_trace_thread(t, i)->n;
    }
    segs = calloc(cap + 1, sizeof(*segs));
    assert_non_null(segs);
    for (i = 0; i < nthreads; i++) {
        const struct sim_trace_buf *b = sim_trace_thread(t, i);
        char name[40];
        int holding = 0;
        int64_t since = 0;

        (void)snprintf(name, sizeof(name), "proc-%zu", i + 1);
        assert_string_equal(b->name, name);
        assert_int_equal(b->process, (int32_t)(i + 1));
        assert_int_equal(b->gil, (int32_t)(i + 1));
        assert_int_equal(b->lost, 0);
        assert_true(b->n >= 2);
        assert_int_equal(b->ev[0].kind, SIM_EV_THREAD_START);
        assert_int_equal(b->ev[b->n - 1].kind, SIM_EV_THREAD_END);
        for (k = 0; k < b->n; k++) {
            const struct sim_trace_event *e = &b->ev[k];

            if (k > 0) {
                assert_true(e->t_ns >= b->ev[k - 1].t_ns);
            }
            switch ((enum sim_ev)e->kind) {
            case SIM_EV_GIL_TAKE:
                assert_false(holding);
                holding = 1;
                since = e->t_ns;
                break;
            case SIM_EV_GIL_DROP:
                assert_true(holding);
                holding = 0;
                segs[nseg].begin = since;
                segs[nseg].end = e->t_ns;
                segs[nseg].gil = b->gil;
                nseg++;
                f->running_ns[i] += e->t_ns - since;
                break;
            case SIM_EV_STEP_END:
                if (e->outcome == SIM_OUT_ABORTED && e->task >= 0 &&
                    e->task < MAX_TASKS) {
                    f->aborted_step_arg[e->task] = e->arg;
                }
                break;
            case SIM_EV_TASK_END:
                assert_true(e->task >= 0 && e->task < MAX_TASKS);
                f->task_ends[e->task]++;
                f->task_outcome[e->task] = e->outcome;
                f->tasks_run[i]++;
                break;
            default:
                break;
            }
        }
        assert_false(holding);
    }
    /* Within one GIL, running segments never overlap; across GILs (across
     * processes) they may, so the check is made per GIL id only. */
    qsort(segs, nseg, sizeof(*segs), cmp_seg);
    for (i = 1; i < nseg; i++) {
        if (segs[i].gil == segs[i - 1].gil && segs[i].begin < segs[i - 1].end) {
            fail_msg("GIL %d: running segments overlap", (int)segs[i].gil);
        }
    }
    free(segs);
}

static void
run_processes(const struct sim_options *o, const atomic_int *stop,
              struct sim_run_result *r)
{
    char err[SIM_ERR_LEN * 2] = "";
    int rc;

    rc = sim_run_once(o, SIM_MODEL_PROCESSES, NULL, stop, r, err, sizeof(err));
    if (rc != 0) {
        fail_msg("sim_run_once: %d: %s", rc, err);
    }
}

/* ---- the test hook: kill (or stop) workers that hold a task ------------- */

struct kill_ctx {
    int workers;      /* in the pool */
    int want;         /* workers to kill */
    atomic_int *stop; /* if set: set it instead of killing */
    int killed;       /* workers killed (or seen, with stop) */
    int first_worker; /* the first victim */
    int first_task;   /* the task index it held */
};

static void
kill_hook(const struct sim_model_processes_probe *pr, void *arg)
{
    struct kill_ctx *kc = arg;
    int hit[MAX_WORKERS] = {0};
    int i;

    while (kc->killed < kc->want) {
        for (i = 0; i < kc->workers && kc->killed < kc->want; i++) {
            int task = sim_model_processes_probe_task(pr, i);
            long pid = sim_model_processes_probe_pid(pr, i);

            if (hit[i] || task < 0 || pid <= 0) {
                continue;
            }
            hit[i] = 1;
            if (kc->killed == 0) {
                kc->first_worker = i;
                kc->first_task = task;
            }
            kc->killed++;
            if (kc->stop != NULL) {
                atomic_store(kc->stop, 1);
            } else {
                (void)kill((pid_t)pid, SIGKILL);
            }
        }
        (void)sched_yield();
    }
}

static void
arm_hook(struct kill_ctx *kc)
{
    sim_model_processes_set_test_hook(kill_hook, kc);
    (void)alarm(60); /* the watchdog: a hang ends the test binary */
}

static void
disarm_hook(void)
{
    (void)alarm(0);
    sim_model_processes_set_test_hook(NULL, NULL);
}

/* ---- the tests ---------------------------------------------------------- */

static void
three_workers_give_three_tracks_and_run_each_task_once(void **state)
{
    struct sim_options o;
    struct sim_run_result r;
    struct found f;
    int i;

    (void)state;
    /* 3 tasks of 5 ms on 3 workers. */
    proc_options(&o, 3, 3, 5000000);
    run_processes(&o, NULL, &r);
    check_tracks(r.trace, 3, &f);
    for (i = 0; i < 3; i++) {
        assert_int_equal(f.task_ends[i], 1);
        assert_int_equal(f.task_outcome[i], SIM_OUT_OK);
    }
    for (i = 0; i < 3; i++) {
        if (f.tasks_run[i] > 0) {
            assert_true(f.running_ns[i] > 0);
        }
    }
    assert_int_equal(r.stats.tasks, 3);
    assert_int_equal(r.stats.steps_ok, 3);
    assert_int_equal(r.stats.steps_failed, 0);
    /* rc == 0 above: the GILs' counters equal the trace's. */
    assert_int_equal(r.gil.takes, r.stats.takes);
    assert_int_equal(r.gil.drops, r.stats.drops);
    assert_true(r.gil.takes >= 3);
    assert_true(r.wall_ns > 0);
    sim_run_result_clear(&r);
}

static void
more_tasks_than_workers_are_shared_out_once_each(void **state)
{
    struct sim_options o;
    struct sim_run_result r;
    struct found f;
    int i;

    (void)state;
    proc_options(&o, 2, 7, 200000);
    o.costs.worker_start_ns = 1000000; /* 1 ms of start-up CPU per worker */
    run_processes(&o, NULL, &r);
    check_tracks(r.trace, 2, &f);
    for (i = 0; i < 7; i++) {
        assert_int_equal(f.task_ends[i], 1);
        assert_int_equal(f.task_outcome[i], SIM_OUT_OK);
    }
    assert_int_equal(f.tasks_run[0] + f.tasks_run[1], 7);
    /* Start-up and result costs run outside any step. */
    assert_int_equal(r.stats.steps_ok, 7);
    assert_int_equal(r.stats.steps_failed, 0);
    sim_run_result_clear(&r);
}

static void
killed_worker_is_counted_not_waited_for(void **state)
{
    struct sim_options o;
    struct sim_run_result r;
    struct kill_ctx kc;
    struct found f;
    int victim;
    int task;
    int i;

    (void)state;
    /* 2 tasks of 0.5 s: the kill lands inside a step. */
    proc_options(&o, 2, 2, 500000000);
    memset(&kc, 0, sizeof(kc));
    kc.workers = 2;
    kc.want = 1;
    arm_hook(&kc);
    run_processes(&o, NULL, &r);
    disarm_hook();

    assert_int_equal(kc.killed, 1);
    victim = kc.first_worker;
    task = kc.first_task;
    assert_in_range(victim, 0, 1);
    assert_in_range(task, 0, 1);
    check_tracks(r.trace, 2, &f);
    assert_true(r.stats.steps_failed >= 1);
    assert_true(r.stats.steps_failed_by[SIM_OUT_ABORTED] >= 1);
    /* The victim's task ended once, aborted, in the victim's own track,
     * by the parent (its STEP_END carries no instruction count). */
    assert_int_equal(f.task_ends[task], 1);
    assert_int_equal(f.task_outcome[task], SIM_OUT_ABORTED);
    assert_int_equal(f.aborted_step_arg[task], 0);
    assert_true(f.tasks_run[victim] >= 1);
    /* The other task still ran, exactly once. */
    for (i = 0; i < 2; i++) {
        assert_int_equal(f.task_ends[i], 1);
    }
    assert_int_equal(r.stats.tasks, 2);
    sim_run_result_clear(&r);
}

static void
all_workers_killed_still_ends_with_every_task_failed(void **state)
{
    struct sim_options o;
    struct sim_run_result r;
    struct kill_ctx kc;
    struct found f;
    int i;

    (void)state;
    /* 4 tasks of 0.5 s on 2 workers: both die in their first task, and
     * the two tasks nobody claimed are counted as failed too. */
    proc_options(&o, 2, 4, 500000000);
    memset(&kc, 0, sizeof(kc));
    kc.workers = 2;
    kc.want = 2;
    arm_hook(&kc);
    run_processes(&o, NULL, &r);
    disarm_hook();

    assert_int_equal(kc.killed, 2);
    check_tracks(r.trace, 2, &f);
    for (i = 0; i < 4; i++) {
        assert_int_equal(f.task_ends[i], 1);
        assert_int_equal(f.task_outcome[i], SIM_OUT_ABORTED);
    }
    assert_int_equal(r.stats.tasks, 4);
    assert_int_equal(r.stats.steps_ok, 0);
    assert_int_equal(r.stats.steps_failed, 4);
    assert_int_equal(r.stats.steps_failed_by[SIM_OUT_ABORTED], 4);
    sim_run_result_clear(&r);
}

static void
stop_request_ends_workers_gracefully(void **state)
{
    struct sim_options o;
    struct sim_run_result r;
    struct kill_ctx kc;
    struct found f;
    atomic_int stop;
    int seen;
    int i;

    (void)state;
    /* 4 tasks of 0.5 s on 2 workers; stop once one has a task. */
    atomic_init(&stop, 0);
    proc_options(&o, 2, 4, 500000000);
    memset(&kc, 0, sizeof(kc));
    kc.workers = 2;
    kc.want = 1;
    kc.stop = &stop;
    arm_hook(&kc);
    run_processes(&o, &stop, &r);
    disarm_hook();

    assert_int_equal(kc.killed, 1);
    seen = kc.first_task;
    assert_in_range(seen, 0, 3);
    check_tracks(r.trace, 2, &f);
    /* The task the hook saw running was stopped by its worker, which
     * counts the instructions it ran (the parent's STEP_END for a dead
     * worker carries 0): the stop reached the worker as a request, at
     * least one poll interval after the task had begun. Tasks nobody
     * claimed were not run, rather than counted as failed. */
    assert_int_equal(f.task_ends[seen], 1);
    assert_int_equal(f.task_outcome[seen], SIM_OUT_ABORTED);
    assert_true(f.aborted_step_arg[seen] > 0);
    assert_true(r.stats.steps_failed_by[SIM_OUT_ABORTED] >= 1);
    for (i = 0; i < 4; i++) {
        assert_true(f.task_ends[i] <= 1);
    }
    assert_true(r.stats.tasks < 4);
    sim_run_result_clear(&r);
}

/* Issue 20: workers that do not end after the stop request (here they
 * ignore it, as stuck ones would) no longer hang the pool: 2 s after the
 * request they are killed, counted and named, and the run ends. */
static void
stuck_workers_are_killed_after_the_stop(void **state)
{
    struct sim_options o;
    struct sim_run_result r;
    struct kill_ctx kc;
    atomic_int stop;
    int64_t t0, took;

    (void)state;
    atomic_init(&stop, 0);
    /* 4 tasks of 5 s: they would run long past the 2 s of grace. */
    proc_options(&o, 2, 4, INT64_C(5000000000));
    memset(&kc, 0, sizeof(kc));
    kc.workers = 2;
    kc.want = 1;
    kc.stop = &stop;
    sim_model_processes_set_test_deaf(1);
    arm_hook(&kc);
    t0 = base_now_ns();
    run_processes(&o, &stop, &r);
    took = base_now_ns() - t0;
    disarm_hook();
    sim_model_processes_set_test_deaf(0);

    assert_int_equal(r.killed, 2);
    assert_non_null(strstr(r.killed_names, "proc-1"));
    assert_non_null(strstr(r.killed_names, "proc-2"));
    /* 2 s of grace, not the 10 s each worker had left. */
    assert_true(took >= INT64_C(2000000000) && took < INT64_C(8000000000));
    sim_run_result_clear(&r);
}

static void
worker_start_option_is_parsed_as_a_duration(void **state)
{
    struct sim_options o;
    enum sim_cmd cmd;
    char err[SIM_ERR_LEN] = "";
    char a0[] = "gilsim";
    char a1[] = "--worker-start=50ms";
    char a2[] = "--worker-start=-1ms";
    char a3[] = "--model=processes";
    char *ok[] = {a0, a1, a3, NULL};
    char *bad[] = {a0, a2, NULL};

    (void)state;
    assert_int_equal(sim_opt_parse(3, ok, &o, &cmd, err, sizeof(err)), 0);
    assert_int_equal(o.costs.worker_start_ns, 50000000);
    assert_int_equal(o.models, 1u << SIM_MODEL_PROCESSES);
    assert_int_equal(sim_opt_parse(2, bad, &o, &cmd, err, sizeof(err)),
                     SIM_EXIT_USAGE);
    assert_non_null(strstr(err, "--worker-start=-1ms"));
    sim_options_default(&o);
    assert_int_equal(o.costs.worker_start_ns, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            three_workers_give_three_tracks_and_run_each_task_once),
        cmocka_unit_test(more_tasks_than_workers_are_shared_out_once_each),
        cmocka_unit_test(killed_worker_is_counted_not_waited_for),
        cmocka_unit_test(all_workers_killed_still_ends_with_every_task_failed),
        cmocka_unit_test(stop_request_ends_workers_gracefully),
        cmocka_unit_test(stuck_workers_are_killed_after_the_stop),
        cmocka_unit_test(worker_start_option_is_parsed_as_a_duration),
    };

    (void)wl_cpu_calibrate();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
