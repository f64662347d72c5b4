/*
 * test_models.c - the pool models and the run driver (sim/models/pool.c,
 * sim/run.c), driven in-process through run.h.
 *
 * Every assertion is made from the trace, never from timing: per thread,
 * GIL_TAKE and GIL_DROP alternate, starting with a take and ending with a
 * drop, and each TAKE..DROP is a running segment; across the threads of
 * one GIL no two running segments overlap (sorted by begin, each begins at
 * or after the previous one ends - the hook stamps events under the GIL's
 * mutex, so equal stamps are possible but overlap is not); the counts
 * recomputed here from the raw events equal the GIL's own counters; and
 * summary.json, as written by the run driver, carries the same counters as
 * sim_trace_stats of that run. The nogil model must record no GIL_WAIT,
 * and the legacy policy no DROP_REQUEST.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "run.h"
#include "test_files.h"
#include "trace_check.h"

/* 4 threads x 100 000 checks: 4 tasks of 800 000 instructions with a
 * check every 8, at 1 ns an instruction, under a 100 us interval. */
#define N_THREADS       4
#define CHECK_EVERY     8
#define CHECKS_PER_TASK 100000

static void
small_options(struct sim_options *o, const char *policy)
{
    sim_options_default(o);
    o->threads = N_THREADS;
    o->check_every = CHECK_EVERY;
    /* count is in countdown iterations of WL_COUNTDOWN_INSTRUCTIONS each. */
    o->count = (int64_t)N_THREADS * CHECKS_PER_TASK * CHECK_EVERY /
               WL_COUNTDOWN_INSTRUCTIONS;
    o->costs.instr_ns = 1.0;
    o->switch_interval_ns = 100000;
    o->trace_events = 1000000;
    o->quiet = 1;
    (void)snprintf(o->workload, sizeof(o->workload), "%s", "cpu");
    (void)snprintf(o->policy, sizeof(o->policy), "%s", policy);
}

/* Counts recomputed from the raw events. */
struct counts {
    uint64_t takes, drops, waits, switches, drop_requests, forced;
    uint64_t tasks_ok, instructions;
};

/* The checks of this file on top of the shared GIL walker: tasks counted,
 * every step a successful cpu step run while holding the GIL. */
static void
count_steps(void *ctx, size_t thread, const struct sim_trace_event *e,
            int holding)
{
    struct counts *c = ctx;

    (void)thread;
    if (e->kind == SIM_EV_TASK_END) {
        c->tasks_ok += e->outcome == SIM_OUT_OK;
    } else if (e->kind == SIM_EV_STEP_END) {
        assert_int_equal(e->detail, SIM_STEP_CPU);
        assert_int_equal(e->outcome, SIM_OUT_OK);
        /* Steps run only while the GIL is held. */
        assert_true(holding);
        c->instructions += (uint64_t)e->arg;
    }
}

/*
 * Walk every thread's events (trace_check_gil: TAKE and DROP alternate;
 * if `exclusive`, no two running segments overlap) and fill *c.
 */
static void
check_trace(const struct sim_trace *t, int exclusive, struct counts *c)
{
    struct trace_check_hook hook = {count_steps, c};
    struct trace_gil_counts g;

    memset(c, 0, sizeof(*c));
    trace_check_gil(t, exclusive, &hook, &g);
    c->takes = g.takes;
    c->drops = g.drops;
    c->waits = g.waits;
    c->switches = g.switches;
    c->drop_requests = g.drop_requests;
    c->forced = g.forced;
}

static void
assert_counts_match(const struct counts *c, const struct gil_stats *g,
                    const struct sim_trace_stats *s)
{
    assert_int_equal(c->takes, g->takes);
    assert_int_equal(c->drops, g->drops);
    assert_int_equal(c->waits, g->waits);
    assert_int_equal(c->switches, g->switches);
    assert_int_equal(c->drop_requests, g->drop_requests);
    assert_int_equal(c->forced, g->forced_drops);
    assert_int_equal(s->takes, g->takes);
    assert_int_equal(s->drops, g->drops);
    assert_int_equal(s->waits, g->waits);
    assert_int_equal(s->switches, g->switches);
    assert_int_equal(s->drop_requests, g->drop_requests);
    assert_int_equal(s->forced_switches, g->forced_drops);
    assert_int_equal(s->events_lost, 0);
}

static void
run_and_check(const char *policy, enum sim_model m, int exclusive,
              struct counts *c, struct sim_run_result *r)
{
    struct sim_options o;
    char err[SIM_ERR_LEN * 2] = "";
    int rc;

    small_options(&o, policy);
    rc = sim_run_once(&o, m, NULL, NULL, r, err, sizeof(err));
    if (rc != 0) {
        fail_msg("sim_run_once: %d: %s", rc, err);
    }
    check_trace(r->trace, exclusive, c);
    assert_counts_match(c, &r->gil, &r->stats);
    /* Every task ran to the end, and every instruction was executed. */
    assert_int_equal(c->tasks_ok, N_THREADS);
    assert_int_equal(r->stats.tasks, N_THREADS);
    assert_int_equal(r->stats.steps_ok, N_THREADS);
    assert_int_equal(r->stats.steps_failed, 0);
    assert_int_equal(c->instructions,
                     (uint64_t)N_THREADS * CHECKS_PER_TASK * CHECK_EVERY);
}

static void
threads_under_new_gil_never_overlap_and_counts_agree(void **state)
{
    struct sim_run_result r;
    struct counts c;

    (void)state;
    run_and_check("new", SIM_MODEL_THREADS, 1, &c, &r);
    assert_int_equal(sim_trace_thread_count(r.trace), N_THREADS);
    /* Every thread took the GIL at least once. */
    assert_true(c.takes >= N_THREADS);
    sim_run_result_clear(&r);
}

static void
serial_runs_every_task_on_one_thread(void **state)
{
    struct sim_run_result r;
    struct counts c;

    (void)state;
    run_and_check("new", SIM_MODEL_SERIAL, 1, &c, &r);
    assert_int_equal(sim_trace_thread_count(r.trace), 1);
    assert_string_equal(sim_trace_thread(r.trace, 0)->name, "serial");
    /* Alone, it never waits and is never asked to drop. */
    assert_int_equal(c.waits, 0);
    assert_int_equal(c.drop_requests, 0);
    sim_run_result_clear(&r);
}

static void
nogil_run_records_no_gil_wait(void **state)
{
    struct sim_run_result r;
    struct counts c;

    (void)state;
    /* --policy says new, but the nogil model runs under "nogil". */
    run_and_check("new", SIM_MODEL_NOGIL, 0, &c, &r);
    assert_int_equal(c.waits, 0);
    assert_int_equal(c.drop_requests, 0);
    assert_int_equal(c.forced, 0);
    assert_int_equal(sim_trace_thread_count(r.trace), N_THREADS);
    assert_string_equal(sim_trace_thread(r.trace, 0)->name, "thread-1");
    sim_run_result_clear(&r);
}

/* docs/whatif.md: the what-if policies keep the same invariants; under
 * per-interpreter, threads on different GILs may run at once. */
static void
what_if_policies_keep_the_trace_invariants(void **state)
{
    static const char *const names[] = {"fifo", "io-priority", "bfs"};
    struct sim_run_result r;
    struct counts c;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        run_and_check(names[i], SIM_MODEL_THREADS, 1, &c, &r);
        assert_true(c.takes >= N_THREADS);
        sim_run_result_clear(&r);
        run_and_check(names[i], SIM_MODEL_SERIAL, 1, &c, &r);
        assert_int_equal(c.waits, 0);
        sim_run_result_clear(&r);
    }
    run_and_check("per-interpreter", SIM_MODEL_THREADS, 0, &c, &r);
    assert_true(c.takes >= N_THREADS);
    sim_run_result_clear(&r);
}

static void
legacy_run_records_no_drop_request(void **state)
{
    struct sim_run_result r;
    struct counts c;

    (void)state;
    run_and_check("legacy", SIM_MODEL_THREADS, 1, &c, &r);
    assert_int_equal(c.drop_requests, 0);
    assert_int_equal(c.forced, 0);
    sim_run_result_clear(&r);
}

/* ---- summary.json against sim_trace_stats ------------------------------ */

/* The integer after `"key": ` inside [obj, end). */
static long long
json_int(const char *obj, const char *end, const char *key)
{
    char pat[64];
    const char *p;

    (void)snprintf(pat, sizeof(pat), "\"%s\": ", key);
    p = strstr(obj, pat);
    if (p == NULL || p >= end) {
        fail_msg("summary.json: no \"%s\" in the run", key);
        return -1;
    }
    return strtoll(p + strlen(pat), NULL, 10);
}

static void
summary_json_carries_the_trace_stats(void **state)
{
    static struct sim_run_report rep;
    struct sim_options o;
    char tmp[] = "/tmp/gilsim-models-XXXXXX";
    char path[4200];
    FILE *devnull;
    char *json;
    size_t i;
    int status;

    (void)state;
    assert_non_null(mkdtemp(tmp));
    small_options(&o, "new");
    o.count = 20000;
    o.threads = 3;
    o.formats = SIM_FORMAT_TEXT | SIM_FORMAT_JSON;
    (void)snprintf(o.out_dir, sizeof(o.out_dir), "%s/run", tmp);
    devnull = fopen("/dev/null", "w");
    assert_non_null(devnull);
    status = sim_run_main(&o, "gilsim test", devnull, stderr, 0, &rep);
    fclose(devnull);
    assert_int_equal(status, SIM_EXIT_OK);
    /* One run per model (sim_options_default: all). */
    assert_int_equal(rep.n, SIM_MODEL_COUNT);
    assert_string_equal(rep.dir, o.out_dir);

    (void)snprintf(path, sizeof(path), "%s/summary.json", o.out_dir);
    json = tf_read(path, NULL);
    for (i = 0; i < rep.n; i++) {
        const struct sim_trace_summary *s = &rep.runs[i];
        const struct sim_trace_stats *st = &s->stats;
        char pat[64];
        const char *obj;
        const char *end;

        (void)snprintf(pat, sizeof(pat), "\"model\": \"%s\"", s->model);
        obj = strstr(json, pat);
        assert_non_null(obj);
        end = strstr(obj + 1, "\"model\": ");
        if (end == NULL) {
            end = obj + strlen(obj);
        }
        assert_int_equal(json_int(obj, end, "takes"), st->takes);
        assert_int_equal(json_int(obj, end, "drops"), st->drops);
        assert_int_equal(json_int(obj, end, "waits"), st->waits);
        assert_int_equal(json_int(obj, end, "switches"), st->switches);
        assert_int_equal(json_int(obj, end, "forced_switches"),
                         st->forced_switches);
        assert_int_equal(json_int(obj, end, "drop_requests"),
                         st->drop_requests);
        assert_int_equal(json_int(obj, end, "steps_ok"), st->steps_ok);
        assert_int_equal(json_int(obj, end, "steps_failed"), st->steps_failed);
        assert_int_equal(json_int(obj, end, "gil_hold_ns"), st->hold_ns);
        assert_int_equal(json_int(obj, end, "gil_wait_ns"), st->wait_ns);
        assert_int_equal(json_int(obj, end, "events"), st->events);
        assert_int_equal(json_int(obj, end, "wall_ns"), s->wall_ns);
        assert_int_equal(json_int(obj, end, "threads"), s->threads);
        assert_int_equal(json_int(obj, end, "switch_interval_ns"), 100000);
        assert_int_equal(st->steps_ok, 3);
    }
    free(json);
    tf_remove_tree(tmp);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(threads_under_new_gil_never_overlap_and_counts_agree),
        cmocka_unit_test(serial_runs_every_task_on_one_thread),
        cmocka_unit_test(nogil_run_records_no_gil_wait),
        cmocka_unit_test(legacy_run_records_no_drop_request),
        cmocka_unit_test(what_if_policies_keep_the_trace_invariants),
        cmocka_unit_test(summary_json_carries_the_trace_stats),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
