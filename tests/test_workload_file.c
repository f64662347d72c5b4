/*
 * test_workload_file.c - cmocka tests of sim/workload_file.c: a workload
 * file read strictly and built into tasks. A good file gives the tasks
 * and steps it says, in the units it says, its kinds in the proportions
 * of their weights, and the same workload for the same seed; each of many
 * malformed files is refused with one line that names the file and where
 * in it (line and column, or the JSON path), and builds nothing.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli.h"
#include "cli_runner.h"
#include "run.h"
#include "test_files.h"

static const struct sim_wf_params params = {.instr_ns = 4.0, .seed = 1};

static struct wl_workload *
parse_ok(const char *text, const struct sim_wf_params *p)
{
    struct wl_workload *w = NULL;
    char err[1024] = "";
    int rc = sim_workload_file_parse(text, strlen(text), "w.json", p, &w, err,
                                     sizeof(err));

    if (rc != 0) {
        fail_msg("refused: %s", err);
    }
    assert_non_null(w);
    return w;
}

/* Every unit and step kind, as the file says: 1.5 ms of cpu at 4 ns an
 * instruction is 375 000 instructions, 200 us of sleep 200 000 ns, and
 * fetch and write steps take the task's index as their page. */
static void
a_file_builds_the_steps_it_says(void **state)
{
    const char *text =
        "{\"format\": \"gilsim-workload\", \"version\": 1, \"name\": \"t\",\n"
        " \"tasks\": 3,\n"
        " \"kinds\": [{\"steps\": [{\"cpu\": {\"ms\": 1.5}},\n"
        "                        {\"fetch\": {}},\n"
        "                        {\"sleep\": {\"us\": 200}},\n"
        "                        {\"cpu\": {\"instructions\": 1234}},\n"
        "                        {\"write\": {}}]}]}";
    struct wl_workload *w = parse_ok(text, &params);
    size_t i;

    (void)state;
    assert_string_equal(w->name, "t");
    assert_int_equal(w->n_tasks, 3);
    for (i = 0; i < 3; i++) {
        const struct wl_task *t = &w->tasks[i];

        assert_int_equal(t->n_steps, 5);
        assert_int_equal(t->steps[0].kind, WL_STEP_CPU);
        assert_int_equal(t->steps[0].instructions, 375000);
        assert_int_equal(t->steps[1].kind, WL_STEP_FETCH);
        assert_int_equal(t->steps[1].page, (int64_t)i);
        assert_int_equal(t->steps[2].kind, WL_STEP_SLEEP);
        assert_int_equal(t->steps[2].duration_ns, 200000);
        assert_int_equal(t->steps[3].instructions, 1234);
        assert_int_equal(t->steps[4].kind, WL_STEP_WRITE);
        assert_int_equal(t->steps[4].page, (int64_t)i);
    }
    wl_workload_free(w);
}

/* The sleep of each task of a file with this value, as ns. */
static void
sleeps(const char *value, uint64_t seed, int64_t *out, size_t n)
{
    char text[512];
    struct sim_wf_params p = params;
    struct wl_workload *w;
    size_t i;

    (void)snprintf(text, sizeof(text),
                   "{\"format\": \"gilsim-workload\", \"version\": 1, "
                   "\"tasks\": %zu, \"kinds\": [{\"steps\": "
                   "[{\"sleep\": {\"ms\": %s}}]}]}",
                   n, value);
    p.seed = seed;
    w = parse_ok(text, &p);
    for (i = 0; i < n; i++) {
        out[i] = w->tasks[i].steps[0].duration_ns;
    }
    wl_workload_free(w);
}

/* Values drawn from a distribution differ from task to task, stay in
 * its range, and are the same for the same seed (another seed, others). */
static void
draws_follow_the_seed(void **state)
{
    int64_t a[50], b[50], c[50];
    size_t i, differ = 0, other = 0;

    (void)state;
    sleeps("{\"uniform\": [5, 15]}", 7, a, 50);
    sleeps("{\"uniform\": [5, 15]}", 7, b, 50);
    sleeps("{\"uniform\": [5, 15]}", 8, c, 50);
    for (i = 0; i < 50; i++) {
        assert_int_equal(a[i], b[i]);
        assert_true(a[i] >= 5000000 && a[i] <= 15000000);
        differ += i > 0 && a[i] != a[0];
        other += a[i] != c[i];
    }
    assert_true(differ > 40);
    assert_true(other > 40);
    sleeps("{\"samples\": [1, 2]}", 3, a, 50);
    for (i = 0; i < 50; i++) {
        assert_true(a[i] == 1000000 || a[i] == 2000000);
    }
    sleeps("{\"lognormal\": {\"p50\": 2, \"p99\": 20}}", 3, a, 50);
    sleeps("{\"exponential\": 3}", 3, b, 50);
    for (i = 0; i < 50; i++) {
        assert_true(a[i] > 0 && b[i] >= 0);
    }
}

/* Kinds are drawn by weight: 3 to 1 over 4000 tasks. */
static void
kinds_follow_their_weights(void **state)
{
    const char *text =
        "{\"format\": \"gilsim-workload\", \"version\": 1, \"tasks\": 4000,"
        " \"kinds\": [{\"name\": \"io\", \"weight\": 3,"
        "              \"steps\": [{\"fetch\": {}}]},"
        "             {\"name\": \"cpu\", \"steps\": [{\"cpu\": {\"us\": "
        "1}}]}]}";
    struct wl_workload *w = parse_ok(text, &params);
    size_t i, fetches = 0;

    (void)state;
    for (i = 0; i < w->n_tasks; i++) {
        fetches += w->tasks[i].steps[0].kind == WL_STEP_FETCH;
    }
    assert_true(fetches > 2850 && fetches < 3150); /* 3000 +- 5 sigma */
    wl_workload_free(w);
}

/* Malformed files: each is refused, builds nothing, and says in one line
 * the file's name and where (`where`), with `what` in it. */
static void
refused(const char *text, const char *where, const char *what)
{
    struct wl_workload *w = (struct wl_workload *)&w;
    char err[1024] = "";
    int rc = sim_workload_file_parse(text, strlen(text), "bad.json", &params,
                                     &w, err, sizeof(err));

    if (rc == 0 || w != NULL || strncmp(err, "bad.json", 8) != 0 ||
        strstr(err, where) == NULL || strstr(err, what) == NULL ||
        strchr(err, '\n') != NULL) {
        fail_msg("for %s: rc %d, built %d, said \"%s\" (wanted %s ... %s)",
                 text, rc, w != NULL, err, where, what);
    }
}

#define HEAD      "{\"format\": \"gilsim-workload\", \"version\": 1, "
#define ONE(step) HEAD "\"tasks\": 2, \"kinds\": [{\"steps\": [" step "]}]}"

static void
malformed_files_are_refused_with_where(void **state)
{
    (void)state;
    /* Not JSON, or not the right JSON: line and column. */
    refused("", "bad.json:1:", "");
    refused("{\"format\": ", "bad.json:1:", "");
    refused(HEAD "\"tasks\": 2,}", "bad.json:1:", "");
    refused(HEAD "\"tasks\": 2, \"tasks\": 3, \"kinds\": []}",
            "bad.json:1:", "duplicate");
    refused("[1, 2]", "$", "expected an object");
    /* The top level. */
    refused("{\"version\": 1, \"tasks\": 1, \"kinds\": []}", "$.format",
            "gilsim-workload");
    refused("{\"format\": \"gilsim-trace\", \"version\": 1}", "$.format",
            "gilsim-workload");
    refused("{\"format\": \"gilsim-workload\", \"version\": 2}", "$.version",
            "expected 1");
    refused("{\"format\": \"gilsim-workload\", \"version\": \"1\"}",
            "$.version", "expected 1");
    refused(HEAD "\"kinds\": [{\"steps\": [{\"fetch\": {}}]}]}", "$.tasks",
            "whole number");
    refused(HEAD "\"tasks\": 0, \"kinds\": []}", "$.tasks", "whole number");
    refused(HEAD "\"tasks\": 2.5, \"kinds\": []}", "$.tasks", "whole number");
    refused(HEAD "\"tasks\": -3, \"kinds\": []}", "$.tasks", "number from");
    refused(HEAD "\"tasks\": 1e9, \"kinds\": []}", "$.tasks", "number from");
    refused(HEAD "\"tasks\": \"5\", \"kinds\": []}", "$.tasks",
            "unknown flag \"5\"");
    refused(HEAD "\"tasks\": 2}", "$.kinds", "list of 1 to");
    refused(HEAD "\"tasks\": 2, \"kinds\": []}", "$.kinds", "list of 1 to");
    refused(HEAD "\"tasks\": 2, \"kinds\": {}}", "$.kinds", "list of 1 to");
    refused(HEAD "\"tasks\": 2, \"kinds\": [], \"taks\": 1}", "$",
            "unknown key \"taks\"");
    refused(HEAD "\"name\": \"\", \"tasks\": 2, \"kinds\": []}", "$.name",
            "string");
    refused(HEAD "\"name\": 7, \"tasks\": 2, \"kinds\": []}", "$.name",
            "string");
    /* A kind. */
    refused(HEAD "\"tasks\": 2, \"kinds\": [7]}", "$.kinds[0]",
            "expected an object");
    refused(HEAD "\"tasks\": 2, \"kinds\": [{}]}", "$.kinds[0].steps",
            "list of 1 to");
    refused(HEAD "\"tasks\": 2, \"kinds\": [{\"steps\": []}]}",
            "$.kinds[0].steps", "list of 1 to");
    refused(HEAD "\"tasks\": 2, \"kinds\": [{\"weight\": 0, \"steps\": "
                 "[{\"fetch\": {}}]}]}",
            "$.kinds[0].weight", "above 0");
    refused(HEAD "\"tasks\": 2, \"kinds\": [{\"weight\": -1, \"steps\": "
                 "[{\"fetch\": {}}]}]}",
            "$.kinds[0].weight", "number from");
    refused(HEAD "\"comment\": 7, \"tasks\": 2, \"kinds\": []}", "$.comment",
            "string or a list of strings");
    refused(HEAD "\"comment\": [\"a\", 1], \"tasks\": 2, \"kinds\": []}",
            "$.comment", "string or a list of strings");
    refused(HEAD "\"tasks\": 2, \"kinds\": [{\"comment\": {}, \"steps\": "
                 "[{\"fetch\": {}}]}]}",
            "$.kinds[0].comment", "string or a list of strings");
    refused(HEAD "\"tasks\": 2, \"kinds\": [{\"stpes\": []}]}", "$.kinds[0]",
            "unknown key \"stpes\"");
    refused(HEAD "\"tasks\": 2, \"kinds\": [{\"name\": [], \"steps\": "
                 "[{\"fetch\": {}}]}]}",
            "$.kinds[0].name", "string");
    /* A step. */
    refused(ONE("7"), "$.kinds[0].steps[0]", "expected a step");
    refused(ONE("{}"), "$.kinds[0].steps[0]", "expected a step");
    refused(ONE("{\"cpu\": {\"ms\": 1}, \"sleep\": {\"ms\": 1}}"),
            "$.kinds[0].steps[0]", "expected a step");
    refused(ONE("{\"spinn\": {\"ms\": 1}}"), "$.kinds[0].steps[0]",
            "unknown step \"spinn\"");
    /* A key with a newline and an escape: still one line, no escape. */
    refused(ONE("{\"sp\\nin\\u001b[31m\": {}}"), "$.kinds[0].steps[0]",
            "unknown step \"sp?in?[31m\"");
    refused(ONE("{\"fetch\": {\"page\": 3}}"), "$.kinds[0].steps[0].fetch",
            "unknown key \"page\"");
    refused(ONE("{\"fetch\": 3}"), "$.kinds[0].steps[0].fetch",
            "expected {} or {\"latency\"");
    refused(ONE("{\"fetch\": {\"latency\": 5}}"),
            "$.kinds[0].steps[0].fetch.latency",
            "expected {\"ms\": V} or {\"us\": V}");
    refused(ONE("{\"fetch\": {\"latency\": {\"ms\": 60001}}}"),
            "$.kinds[0].steps[0].fetch.latency.ms", "number from 0 to 60000");
    refused(ONE("{\"fetch\": {\"size\": {\"gib\": 1}}}"),
            "$.kinds[0].steps[0].fetch.size", "unknown key \"gib\"");
    refused(ONE("{\"fetch\": {\"size\": {\"mib\": 1025}}}"),
            "$.kinds[0].steps[0].fetch.size.mib", "number from 0 to 1024");
    refused(ONE("{\"write\": 1}"), "$.kinds[0].steps[0].write",
            "expected {} or {\"size\"");
    refused(ONE("{\"write\": {\"size\": {\"bytes\": 0}}}"),
            "$.kinds[0].steps[0].write.size", "at least a byte");
    refused(ONE("{\"read\": {}}"), "$.kinds[0].steps[0].read",
            "expected {\"size\": {\"kib\": V}}");
    refused(ONE("{\"read\": {\"size\": {\"mib\": 2000}}}"),
            "$.kinds[0].steps[0].read.size.mib", "number from 0 to 1024");
    refused(ONE("{\"cpu\": 5}"), "$.kinds[0].steps[0].cpu",
            "{\"instructions\": V}");
    refused(ONE("{\"cpu\": {\"s\": 5}}"), "$.kinds[0].steps[0].cpu",
            "unknown key \"s\"");
    refused(ONE("{\"sleep\": {\"instructions\": 5}}"),
            "$.kinds[0].steps[0].sleep", "unknown key \"instructions\"");
    refused(ONE("{\"sleep\": {\"ms\": 1, \"us\": 1}}"),
            "$.kinds[0].steps[0].sleep", "expected {\"ms\": V}");
    /* A value. */
    refused(ONE("{\"sleep\": {\"ms\": -1}}"), "$.kinds[0].steps[0].sleep.ms",
            "number from 0");
    refused(ONE("{\"sleep\": {\"ms\": 1e10}}"), "$.kinds[0].steps[0].sleep.ms",
            "number from 0");
    refused(ONE("{\"sleep\": {\"ms\": \"5ms\"}}"),
            "$.kinds[0].steps[0].sleep.ms", "expected a number or one of");
    refused(ONE("{\"sleep\": {\"ms\": {\"normal\": 5}}}"),
            "$.kinds[0].steps[0].sleep.ms", "unknown key \"normal\"");
    refused(ONE("{\"sleep\": {\"ms\": {\"uniform\": [5]}}}"),
            "$.kinds[0].steps[0].sleep.ms.uniform", "[lo, hi]");
    refused(ONE("{\"sleep\": {\"ms\": {\"uniform\": [9, 5]}}}"),
            "$.kinds[0].steps[0].sleep.ms.uniform", "lo <= hi");
    refused(ONE("{\"sleep\": {\"ms\": {\"exponential\": -2}}}"),
            "$.kinds[0].steps[0].sleep.ms.exponential", "number from 0");
    refused(ONE("{\"sleep\": {\"ms\": {\"lognormal\": {\"p50\": 5}}}}"),
            "$.kinds[0].steps[0].sleep.ms.lognormal", "\"p99\"");
    refused(
        ONE("{\"sleep\": {\"ms\": {\"lognormal\": {\"p50\": 5, \"p99\": 2}}}}"),
        "$.kinds[0].steps[0].sleep.ms.lognormal", "p50 <= p99");
    refused(ONE("{\"sleep\": {\"ms\": {\"lognormal\": {\"p50\": 5, \"p99\": 9, "
                "\"p90\": 7}}}}"),
            "$.kinds[0].steps[0].sleep.ms.lognormal", "unknown key \"p90\"");
    refused(ONE("{\"sleep\": {\"ms\": {\"samples\": []}}}"),
            "$.kinds[0].steps[0].sleep.ms.samples", "list of 1 to");
    refused(ONE("{\"sleep\": {\"ms\": {\"samples\": [1, \"x\"]}}}"),
            "$.kinds[0].steps[0].sleep.ms.samples[1]", "expected a number");
    refused(
        ONE("{\"cpu\": {\"ms\": {\"uniform\": [1, 2], \"exponential\": 1}}}"),
        "$.kinds[0].steps[0].cpu.ms", "expected a number or one of");
    refused(ONE("{\"fetch\": {}}, {\"cpu\": {\"us\": 1}}, {\"sleep\": {}}"),
            "$.kinds[0].steps[2].sleep", "expected {\"ms\": V}");
}

/* Two workloads are the same task for task and step for step. */
static void
same_workload(const struct wl_workload *a, const struct wl_workload *b,
              const char *what)
{
    size_t i, k;

    if (strcmp(a->name, b->name) != 0 || a->n_tasks != b->n_tasks) {
        fail_msg("%s: %s with %zu tasks against %s with %zu", what, a->name,
                 a->n_tasks, b->name, b->n_tasks);
    }
    for (i = 0; i < a->n_tasks; i++) {
        const struct wl_task *x = &a->tasks[i], *y = &b->tasks[i];

        if (x->id != y->id || x->n_steps != y->n_steps ||
            x->ends_run != y->ends_run) {
            fail_msg("%s: task %zu: %zu steps (ends_run %d) against %zu (%d)",
                     what, i, x->n_steps, x->ends_run, y->n_steps, y->ends_run);
        }
        for (k = 0; k < x->n_steps; k++) {
            const struct wl_step *s = &x->steps[k], *t = &y->steps[k];

            if (s->kind != t->kind || s->instructions != t->instructions ||
                s->instr_per_byte != t->instr_per_byte ||
                s->code_call != t->code_call ||
                s->duration_ns != t->duration_ns || s->page != t->page) {
                fail_msg("%s: task %zu step %zu differs (kind %d/%d, "
                         "instructions %lld/%lld, page %lld/%lld)",
                         what, i, k, s->kind, t->kind,
                         (long long)s->instructions, (long long)t->instructions,
                         (long long)s->page, (long long)t->page);
            }
        }
    }
}

static struct wl_workload *
builtin(const char *name, const struct sim_wf_params *p)
{
    struct wl_workload *w = NULL;
    char path[4096], err[1024] = "";

    if (sim_workload_builtin_path(name, path, sizeof(path), err, sizeof(err)) !=
            0 ||
        sim_workload_file_load(path, p, &w, err, sizeof(err)) != 0) {
        fail_msg("built-in %s: %s", name, err);
    }
    return w;
}

/* seed, cpu and convoy are workload files now (workloads/builtin); each
 * builds the workload its C builder of workloads/workload.c does, at
 * every size tried: so every run of a built-in is what it was. (The
 * virtual engine's traces of tests/virtual_golden.sh were byte-identical
 * before and after the change.) */
static void
the_builtins_as_files_build_what_the_code_did(void **state)
{
    static const int64_t counts[] = {1, 7, 1000, 50000000, 1000000007};
    static const int64_t threads[] = {1, 2, 3, 8, 64};
    static const int64_t pages[] = {1, 25, 250};
    static const int64_t ops[] = {1, 40, 200};
    struct sim_wf_params p = params;
    struct wl_workload *a, *b;
    size_t i, j;
    char what[64];

    (void)state;
    p.decode_instr_per_byte = 0.37;
    for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
        for (j = 0; j < sizeof(threads) / sizeof(threads[0]); j++) {
            p.count = counts[i];
            p.threads = threads[j];
            a = builtin("cpu", &p);
            assert_int_equal(wl_workload_cpu(p.count, (size_t)p.threads, &b),
                             0);
            (void)snprintf(what, sizeof(what), "cpu %lld/%lld",
                           (long long)p.count, (long long)p.threads);
            same_workload(a, b, what);
            wl_workload_free(a);
            wl_workload_free(b);
        }
    }
    for (i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
        p.pages = pages[i];
        a = builtin("seed", &p);
        assert_int_equal(wl_workload_seed(p.pages, 0.37, &b), 0);
        same_workload(a, b, "seed");
        wl_workload_free(a);
        wl_workload_free(b);
    }
    for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        for (j = 0; j < 4; j++) {
            p.ops = ops[i];
            p.cpu_threads = (int64_t)j;
            a = builtin("convoy", &p);
            assert_int_equal(wl_workload_convoy(p.ops, j, &b), 0);
            same_workload(a, b, "convoy");
            wl_workload_free(a);
            wl_workload_free(b);
        }
    }
}

/* A lock's steps come between a lock and an unlock step of one index per
 * name; a repeat unrolls; a count may name a run flag; decode,
 * countdown and spin are the built-ins' steps, open to any file. */
static void
locks_repeats_and_flags_build_their_steps(void **state)
{
    const char *text =
        "{\"format\": \"gilsim-workload\", \"version\": 1,"
        " \"kinds\": [{\"name\": \"a\", \"tasks\": \"--pages\", \"ends_run\":"
        " true, \"steps\": [{\"fetch\": {}}, {\"decode\": {}},"
        "  {\"lock\": {\"name\": \"db\", \"steps\": [{\"cpu\": {\"us\": 4}},"
        "   {\"lock\": {\"name\": \"log\", \"steps\": [{\"write\": {}}]}}]}},"
        "  {\"repeat\": {\"times\": 3, \"steps\": [{\"fetch\": {}},"
        "   {\"lock\": {\"name\": \"log\", \"steps\": [{\"sleep\": {\"us\": "
        "1}}]}}]}}]},"
        "  {\"name\": \"b\", \"tasks\": 2, \"steps\": [{\"spin\": {}},"
        "   {\"countdown\": {\"iterations\": 10}}]}]}";
    static const enum wl_step_kind want[] = {
        WL_STEP_FETCH, WL_STEP_CPU,   WL_STEP_LOCK,   WL_STEP_CPU,
        WL_STEP_LOCK,  WL_STEP_WRITE, WL_STEP_UNLOCK, WL_STEP_UNLOCK,
        WL_STEP_FETCH, WL_STEP_LOCK,  WL_STEP_SLEEP,  WL_STEP_UNLOCK,
        WL_STEP_FETCH, WL_STEP_LOCK,  WL_STEP_SLEEP,  WL_STEP_UNLOCK,
        WL_STEP_FETCH, WL_STEP_LOCK,  WL_STEP_SLEEP,  WL_STEP_UNLOCK};
    struct sim_wf_params p = params;
    struct wl_workload *w;
    size_t k;

    (void)state;
    p.pages = 2;
    p.decode_instr_per_byte = 1.5;
    w = parse_ok(text, &p);
    assert_int_equal(w->n_tasks, 4);
    assert_int_equal(w->n_locks, 2);
    assert_string_equal(w->lock_names[0], "db");
    assert_string_equal(w->lock_names[1], "log");
    assert_int_equal(w->tasks[0].n_steps, sizeof(want) / sizeof(want[0]));
    for (k = 0; k < w->tasks[0].n_steps; k++) {
        assert_int_equal(w->tasks[0].steps[k].kind, want[k]);
    }
    assert_true(w->tasks[0].ends_run && w->tasks[1].ends_run);
    assert_true(w->tasks[0].steps[1].instr_per_byte == 1.5);
    assert_int_equal(w->tasks[0].steps[2].lock, 0);
    assert_int_equal(w->tasks[0].steps[4].lock, 1);
    assert_int_equal(w->tasks[0].steps[6].lock, 1);
    assert_int_equal(w->tasks[0].steps[7].lock, 0);
    /* Pages: one per fetch in the workload, in order; a write's is its
     * task's last fetch's. */
    assert_int_equal(w->tasks[0].steps[0].page, 0);
    assert_int_equal(w->tasks[0].steps[5].page, 0);
    assert_int_equal(w->tasks[0].steps[16].page, 3);
    assert_int_equal(w->tasks[1].steps[0].page, 4);
    assert_int_equal(w->tasks[2].steps[0].instructions, WL_UNTIL_DONE);
    assert_int_equal(w->tasks[2].steps[0].code_call, 1);
    assert_int_equal(w->tasks[3].steps[1].instructions,
                     10 * WL_COUNTDOWN_INSTRUCTIONS);
    assert_int_equal(w->tasks[3].steps[1].code_call, 1);
    assert_false(w->tasks[2].ends_run);
    wl_workload_free(w);
}

/* A fetch may ask the server for its own latency and size, each a value
 * drawn per fetch; a fetch that does not keeps the run's. */
static void
a_fetch_asks_for_its_own_latency_and_size(void **state)
{
    const char *text =
        "{\"format\": \"gilsim-workload\", \"version\": 1, \"tasks\": 50,"
        " \"kinds\": [{\"steps\": [{\"fetch\": {\"latency\": {\"ms\": 20},"
        " \"size\": {\"kib\": 4}}}, {\"fetch\": {\"latency\": {\"us\":"
        " {\"uniform\": [100, 300]}}}}, {\"fetch\": {}}]}]}";
    struct wl_workload *w = parse_ok(text, &params);
    size_t i, differ = 0;

    (void)state;
    for (i = 0; i < w->n_tasks; i++) {
        const struct wl_step *s = w->tasks[i].steps;

        assert_int_equal(s[0].fetch_own, WL_FETCH_LATENCY | WL_FETCH_SIZE);
        assert_int_equal(s[0].latency_ns, 20000000);
        assert_int_equal(s[0].body_bytes, 4096);
        assert_int_equal(s[1].fetch_own, WL_FETCH_LATENCY);
        assert_true(s[1].latency_ns >= 100000 && s[1].latency_ns <= 300000);
        differ += s[1].latency_ns != w->tasks[0].steps[1].latency_ns;
        assert_int_equal(s[2].fetch_own, 0);
    }
    assert_true(differ > 40);
    wl_workload_free(w);
}

/* Issue 20: a time turned into more instructions than a step may have
 * (an hour at 1e-9 ns an instruction) is refused with a line, not cast
 * past INT64_MAX. */
static void
a_step_of_too_many_instructions_is_refused(void **state)
{
    const char *text = "{\"format\": \"gilsim-workload\", \"version\": 1,"
                       " \"tasks\": 1, \"kinds\": [{\"steps\": [{\"cpu\":"
                       " {\"ms\": 3600000}}]}]}";
    struct sim_wf_params p = params;
    struct wl_workload *w = NULL;
    char err[1024] = "";

    (void)state;
    p.instr_ns = 1e-9;
    assert_int_equal(sim_workload_file_parse(text, strlen(text), "w.json", &p,
                                             &w, err, sizeof(err)),
                     -ERANGE);
    assert_null(w);
    assert_non_null(strstr(err, "more than 10^15 instructions"));
}

/* The files a lock, a repeat or a flag make wrong. */
static void
wrong_locks_repeats_and_flags_are_refused(void **state)
{
    (void)state;
    refused(ONE("{\"lock\": {\"steps\": [{\"cpu\": {\"us\": 1}}]}}"),
            "$.kinds[0].steps[0].lock.name", "1 to 63 bytes");
    refused(ONE("{\"lock\": {\"name\": \"a\"}}"),
            "$.kinds[0].steps[0].lock.steps", "list of 1 to");
    refused(ONE("{\"lock\": {\"name\": \"a\", \"steps\": [], \"x\": 1}}"),
            "$.kinds[0].steps[0].lock", "unknown key \"x\"");
    refused(ONE("{\"lock\": {\"name\": \"a\", \"steps\": [{\"lock\": "
                "{\"name\": \"a\", \"steps\": [{\"cpu\": {\"us\": 1}}]}}]}}"),
            "$.kinds[0].steps[0].lock.steps[0].lock", "not reentrant");
    refused(HEAD
            "\"tasks\": 2, \"kinds\": [{\"steps\": [{\"lock\": "
            "{\"name\": \"a\", \"steps\": [{\"lock\": {\"name\": \"b\", "
            "\"steps\": [{\"cpu\": {\"us\": 1}}]}}]}}]}, {\"steps\": "
            "[{\"lock\": {\"name\": \"b\", \"steps\": [{\"lock\": "
            "{\"name\": \"a\", \"steps\": [{\"cpu\": {\"us\": 1}}]}}]}}]}]}",
            "$.kinds[1].steps[0].lock.steps[0].lock", "can deadlock");
    refused(ONE("{\"repeat\": {\"steps\": [{\"fetch\": {}}]}}"),
            "$.kinds[0].steps[0].repeat", "{\"times\": N");
    refused(ONE("{\"repeat\": {\"times\": 0, \"steps\": [{\"fetch\": {}}]}}"),
            "$.kinds[0].steps[0].repeat.times", "whole number from 1");
    refused(ONE("{\"repeat\": {\"times\": \"--pagse\", \"steps\": "
                "[{\"fetch\": {}}]}}"),
            "$.kinds[0].steps[0].repeat.times", "unknown flag \"--pagse\"");
    refused(ONE("{\"decode\": {\"per_byte\": 2}}"),
            "$.kinds[0].steps[0].decode", "expected {}");
    refused(ONE("{\"countdown\": 5}"), "$.kinds[0].steps[0].countdown",
            "{\"iterations\": V}");
    refused(ONE("{\"countdown\": {\"total\": 5}}"), "$.kinds[0]",
            "give the kind its own \"tasks\"");
    refused(ONE("{\"spin\": {}}"), "$.kinds", "\"ends_run\": true");
    refused(HEAD "\"kinds\": [{\"tasks\": 1, \"steps\": [{\"fetch\": {}}]}, "
                 "{\"steps\": [{\"fetch\": {}}]}]}",
            "$.kinds", "every kind has its own");
    refused(HEAD "\"tasks\": 3, \"kinds\": [{\"tasks\": 1, \"steps\": "
                 "[{\"fetch\": {}}]}]}",
            "$.tasks", "their sum");
    refused(HEAD "\"kinds\": [{\"tasks\": 0, \"steps\": [{\"fetch\": {}}]}]}",
            "$.kinds", "add up to 0");
    refused(HEAD "\"kinds\": [{\"tasks\": 1, \"weight\": 2, \"steps\": "
                 "[{\"fetch\": {}}]}]}",
            "$.kinds[0].tasks", "not both");
    refused(HEAD "\"kinds\": [{\"tasks\": 1, \"ends_run\": 1, \"steps\": "
                 "[{\"fetch\": {}}]}]}",
            "$.kinds[0].ends_run", "true or false");
    refused(HEAD "\"kinds\": [{\"tasks\": \"--cpu-threads\", \"steps\": "
                 "[{\"fetch\": {}}]}]}",
            "$.kinds", "add up to 0"); /* params' cpu_threads is 0 */
}

/* A file that is not there, or a folder: one line naming it. */
static void
unreadable_files_are_refused(void **state)
{
    struct wl_workload *w = NULL;
    char err[1024] = "";

    (void)state;
    assert_int_not_equal(sim_workload_file_load("/nonexistent/w.json", &params,
                                                &w, err, sizeof(err)),
                         0);
    assert_null(w);
    assert_non_null(strstr(err, "/nonexistent/w.json"));
    assert_non_null(strstr(err, "cannot read it"));
    assert_int_not_equal(
        sim_workload_file_load("/", &params, &w, err, sizeof(err)), 0);
    assert_null(w);
}

/* ---- through the command line ------------------------------------------ */

/* --workload=seed runs the file workloads/builtin/seed.json, found in
 * $GILSIM_WORKLOADS_DIR when that is set: a seed.json there that says
 * something else is what runs (2 steps a task, not 3), and a folder
 * without one costs one line and exit 3 before any folder is made. */
static void
the_seed_runs_from_its_file(void **state)
{
    char *dir = tf_make_dir("gilsim-wfb");
    char file[4200], out[4300], p[4400];
    char *text;
    struct cmd c;

    (void)state;
    (void)snprintf(file, sizeof(file), "%s/seed.json", dir);
    (void)snprintf(out, sizeof(out), "--out=%s/run", dir);
    assert_int_equal(setenv("GILSIM_WORKLOADS_DIR", dir, 1), 0);
    run(&c, "run", "--engine=virtual", "--model=threads", "--pages=4",
        "--no-plots", "--quiet", out, NULL);
    assert_int_equal(c.status, 3);
    assert_non_null(strstr(c.err, "seed.json"));
    assert_non_null(strstr(c.err, "GILSIM_WORKLOADS_DIR"));
    assert_ptr_equal(strchr(c.err, '\n'), strrchr(c.err, '\n'));
    cmd_clear(&c);
    (void)snprintf(p, sizeof(p), "%s/run", dir);
    assert_int_not_equal(access(p, F_OK), 0);

    tf_write(file,
             "{\"format\": \"gilsim-workload\", \"version\": 1,"
             " \"name\": \"seed\", \"tasks\": \"--pages\", \"kinds\":"
             " [{\"steps\": [{\"fetch\": {}}, {\"cpu\": {\"us\": 5}}]}]}");
    run(&c, "run", "--engine=virtual", "--model=threads", "--pages=4",
        "--no-plots", "--quiet", out, NULL);
    assert_int_equal(unsetenv("GILSIM_WORKLOADS_DIR"), 0);
    if (c.status != 0) {
        fail_msg("exit %d: %s", c.status, c.err);
    }
    cmd_clear(&c);
    (void)snprintf(p, sizeof(p), "%s/run/summary.json", dir);
    text = tf_read(p, NULL);
    assert_non_null(strstr(text, "\"tasks\": 4"));
    assert_non_null(strstr(text, "\"steps_ok\": 8"));
    free(text);
    tf_remove_tree(dir);
    free(dir);
}

/* In a real run the embedded server answers each fetch with the size and
 * after the latency it asks for, in the thread models and on the event
 * loop (the trace's fetch steps say how many bytes came, and took at
 * least the latency); --url with such a file is refused. */
static void
own_latency_and_size_reach_the_server(void **state)
{
    char *dir = tf_make_dir("gilsim-wfo");
    char file[4200], flag[4300], out[4300], p[4400];
    const char *models[] = {"threads", "loop"};
    struct cmd c;
    size_t m;

    (void)state;
    (void)snprintf(file, sizeof(file), "%s/w.json", dir);
    tf_write(file, "{\"format\": \"gilsim-workload\", \"version\": 1,"
                   " \"tasks\": 4, \"kinds\": [{\"steps\": [{\"fetch\":"
                   " {\"latency\": {\"ms\": 30}, \"size\": {\"bytes\": 777}}},"
                   " {\"fetch\": {}}]}]}");
    (void)snprintf(flag, sizeof(flag), "--workload=%s", file);
    (void)snprintf(out, sizeof(out), "--out=%s/run", dir);
    run(&c, "run", flag, "--model=threads,loop", "--threads=2", "--latency=0",
        "--body-size=2KiB", "--no-plots", "--quiet", out, NULL);
    if (c.status != 0) {
        fail_msg("exit %d: %s", c.status, c.err);
    }
    cmd_clear(&c);
    for (m = 0; m < 2; m++) {
        FILE *f;
        char line[512];
        long long begin[64] = {0};
        int own = 0, plain = 0;

        (void)snprintf(p, sizeof(p), "%s/run/%s/trace.tsv", dir, models[m]);
        f = fopen(p, "r");
        assert_non_null(f);
        while (fgets(line, sizeof(line), f) != NULL) {
            long long t, arg;
            int task;
            char ev[32], detail[32];

            if (sscanf(line,
                       "%lld\t%*s\t%*s\t%*s\t%*s\t%31s\t%31s\t%*s\t%d\t%lld",
                       &t, ev, detail, &task, &arg) != 5 ||
                strcmp(detail, "fetch") != 0 || task < 0 || task >= 64) {
                continue;
            }
            if (strcmp(ev, "step_begin") == 0) {
                begin[task] = t;
            } else if (strcmp(ev, "step_end") == 0 && arg == 777) {
                assert_true(t - begin[task] >= 30000000);
                own++;
            } else if (strcmp(ev, "step_end") == 0 && arg == 2048) {
                plain++;
            }
        }
        fclose(f);
        if (own != 4 || plain != 4) {
            fail_msg("%s: %d fetches of their own size, %d of the run's",
                     models[m], own, plain);
        }
    }
    run(&c, "run", flag, "--url=http://127.0.0.1:9/x?p={page}", "--no-plots",
        out, NULL);
    assert_int_equal(c.status, 2);
    assert_non_null(strstr(c.err, "their own latency or size"));
    assert_ptr_equal(strchr(c.err, '\n'), strrchr(c.err, '\n'));
    cmd_clear(&c);
    tf_remove_tree(dir);
    free(dir);
}

/* In a real run a read reads its size of the file the run prepared, and
 * a write of a size writes that many bytes to the task's own file, each
 * with the GIL released around its system calls, in the thread models
 * and on the event loop's offload threads. */
static void
reads_and_writes_of_a_size_run(void **state)
{
    char *dir = tf_make_dir("gilsim-wfr");
    char file[4200], flag[4300], out[4300], p[4400];
    const char *models[] = {"threads", "loop"};
    struct stat st;
    struct cmd c;
    size_t m;

    (void)state;
    (void)snprintf(file, sizeof(file), "%s/w.json", dir);
    tf_write(file, "{\"format\": \"gilsim-workload\", \"version\": 1,"
                   " \"tasks\": 3, \"kinds\": [{\"steps\": ["
                   " {\"read\": {\"size\": {\"kib\": 100}}},"
                   " {\"cpu\": {\"us\": 100}},"
                   " {\"write\": {\"size\": {\"kib\": 50}}}]}]}");
    (void)snprintf(flag, sizeof(flag), "--workload=%s", file);
    (void)snprintf(out, sizeof(out), "--out=%s/run", dir);
    run(&c, "run", flag, "--model=threads,loop", "--threads=2", "--no-plots",
        "--quiet", out, NULL);
    if (c.status != 0) {
        fail_msg("exit %d: %s", c.status, c.err);
    }
    cmd_clear(&c);
    for (m = 0; m < 2; m++) {
        FILE *f;
        char line[512];
        int reads = 0, writes = 0, in_read[64] = {0}, released = 0;

        (void)snprintf(p, sizeof(p), "%s/run/%s/trace.tsv", dir, models[m]);
        f = fopen(p, "r");
        assert_non_null(f);
        while (fgets(line, sizeof(line), f) != NULL) {
            long long arg;
            int thread;
            char ev[32], detail[32];

            if (sscanf(line,
                       "%*s\t%d\t%*s\t%*s\t%*s\t%31s\t%31s\t%*s\t%*s\t%lld",
                       &thread, ev, detail, &arg) != 4 ||
                thread < 0 || thread >= 64) {
                continue;
            }
            if (strcmp(ev, "step_begin") == 0 && strcmp(detail, "read") == 0) {
                in_read[thread] = 1;
            } else if (strcmp(ev, "gil_drop") == 0 &&
                       strcmp(detail, "io") == 0 && in_read[thread]) {
                released++;
            } else if (strcmp(ev, "step_end") == 0) {
                in_read[thread] = 0;
                reads += strcmp(detail, "read") == 0 && arg == 102400;
                writes += strcmp(detail, "write") == 0 && arg == 51200;
            }
        }
        fclose(f);
        if (reads != 3 || writes != 3 || released != 3) {
            fail_msg("%s: %d reads and %d writes of their size, %d reads "
                     "that released the GIL",
                     models[m], reads, writes, released);
        }
        (void)snprintf(p, sizeof(p), "%s/run/%s/pages/file-2.bin", dir,
                       models[m]);
        assert_int_equal(stat(p, &st), 0);
        assert_int_equal(st.st_size, 51200);
    }
    tf_remove_tree(dir);
    free(dir);
}

/* gilsim run --workload=FILE runs the file's tasks in every model named,
 * here in virtual time: its 6 tasks are in the summary; a malformed file
 * costs one line naming the flag, the file and the place, exit 2, and no
 * output folder; and a flag of the built-in workloads is refused naming
 * the file. */
static void
run_takes_a_workload_file(void **state)
{
    char *dir = tf_make_dir("gilsim-wf");
    char file[4200], bad[4200], flag[4300], badflag[4300], out[4300], p[4400];
    char *text;
    struct cmd c;

    (void)state;
    (void)snprintf(file, sizeof(file), "%s/w.json", dir);
    (void)snprintf(bad, sizeof(bad), "%s/bad.json", dir);
    tf_write(file, "{\"format\": \"gilsim-workload\", \"version\": 1,\n"
                   " \"tasks\": 6,\n"
                   " \"kinds\": [{\"steps\": [{\"fetch\": {}},\n"
                   "   {\"cpu\": {\"us\": 300}}, {\"write\": {}}]},\n"
                   "  {\"steps\": [{\"sleep\": {\"ms\": 2}}]}]}\n");
    tf_write(bad, "{\"format\": \"gilsim-workload\", \"version\": 1,\n"
                  " \"tasks\": 6,\n"
                  " \"kinds\": [{\"steps\": [{\"spinn\": {}}]}]}\n");
    (void)snprintf(flag, sizeof(flag), "--workload=%s", file);
    (void)snprintf(badflag, sizeof(badflag), "--workload=%s", bad);
    (void)snprintf(out, sizeof(out), "--out=%s/run", dir);
    run(&c, "run", flag, "--engine=virtual", "--model=threads,processes",
        "--no-plots", "--quiet", out, NULL);
    if (c.status != 0) {
        fail_msg("exit %d: %s", c.status, c.err);
    }
    cmd_clear(&c);
    (void)snprintf(p, sizeof(p), "%s/run/summary.json", dir);
    text = tf_read(p, NULL);
    assert_non_null(strstr(text, "\"tasks\": 6"));
    assert_non_null(strstr(text, "\"workload\": \"w\""));
    free(text);

    (void)snprintf(out, sizeof(out), "--out=%s/badrun", dir);
    run(&c, "run", badflag, "--engine=virtual", "--no-plots", out, NULL);
    assert_int_equal(c.status, 2);
    assert_non_null(strstr(c.err, badflag));
    assert_non_null(strstr(c.err, "$.kinds[0].steps[0]"));
    assert_non_null(strstr(c.err, "unknown step \"spinn\""));
    assert_ptr_equal(strchr(c.err, '\n'), strrchr(c.err, '\n'));
    cmd_clear(&c);
    (void)snprintf(p, sizeof(p), "%s/badrun", dir);
    assert_int_not_equal(access(p, F_OK), 0);

    run(&c, "run", flag, "--pages=3", "--no-plots", out, NULL);
    assert_int_equal(c.status, 2);
    assert_non_null(strstr(c.err, "this run's is --workload="));
    assert_non_null(strstr(c.err, file));
    cmd_clear(&c);
    tf_remove_tree(dir);
    free(dir);
}

/* "cold_resume" reads into the workload: its window in instructions of
 * the run's cost, its wait (1 ms unless given); wrong ones are refused
 * with where. */
static void
cold_resume_is_read_and_checked(void **state)
{
    struct wl_workload *w;

    (void)state;
    w = parse_ok(HEAD "\"tasks\": 1, \"cold_resume\": {\"window\": {\"us\": "
                      "150}}, \"kinds\": [{\"steps\": [{\"cpu\": {\"us\": "
                      "1}}]}]}",
                 &params);
    assert_int_equal(w->cold_set, 1);
    assert_int_equal(w->cold_instructions, 37500); /* of 4 ns */
    assert_int_equal(w->cold_after_ns, 1000000);
    wl_workload_free(w);
    w = parse_ok(HEAD "\"tasks\": 1, \"cold_resume\": {\"window\": "
                      "{\"instructions\": 900}, \"after\": {\"us\": 250}, "
                      "\"comment\": \"measured\"}, \"kinds\": [{\"steps\": "
                      "[{\"cpu\": {\"us\": 1}}]}]}",
                 &params);
    assert_int_equal(w->cold_instructions, 900);
    assert_int_equal(w->cold_after_ns, 250000);
    wl_workload_free(w);
    w = parse_ok(HEAD "\"tasks\": 1, \"kinds\": [{\"steps\": [{\"cpu\": "
                      "{\"us\": 1}}]}]}",
                 &params);
    assert_int_equal(w->cold_set, 0);
    wl_workload_free(w);
#define K ", \"kinds\": [{\"steps\": [{\"cpu\": {\"us\": 1}}]}]}"
    refused(HEAD "\"tasks\": 1, \"cold_resume\": 5" K, "$.cold_resume",
            "expected {\"window\"");
    refused(HEAD "\"tasks\": 1, \"cold_resume\": {\"after\": {\"ms\": 1}}" K,
            "$.cold_resume", "expected {\"window\"");
    refused(HEAD "\"tasks\": 1, \"cold_resume\": {\"window\": {\"us\": 1}, "
                 "\"windows\": 2}" K,
            "$.cold_resume", "unknown key \"windows\"");
    refused(HEAD "\"tasks\": 1, \"cold_resume\": {\"window\": {\"us\": "
                 "{\"uniform\": [1, 2]}}}" K,
            "$.cold_resume.window", "not a distribution");
    refused(HEAD "\"tasks\": 1, \"cold_resume\": {\"window\": {\"s\": 1}}" K,
            "$.cold_resume.window", "unknown key \"s\"");
    refused(HEAD "\"tasks\": 1, \"cold_resume\": {\"window\": {\"ms\": -1}}" K,
            "$.cold_resume.window.ms", "number from 0");
    refused(HEAD
            "\"tasks\": 1, \"cold_resume\": {\"window\": {\"ms\": 5000}}" K,
            "$.cold_resume.window.ms", "number from 0 to 1000");
    refused(HEAD "\"tasks\": 1, \"cold_resume\": {\"window\": {\"ms\": 1}, "
                 "\"after\": {\"ms\": 0}}" K,
            "$.cold_resume.after", "at least 1 ns");
    refused(HEAD "\"tasks\": 1, \"cold_resume\": {\"window\": {\"ms\": 1}, "
                 "\"after\": {\"instructions\": 5}}" K,
            "$.cold_resume.after", "unknown key \"instructions\"");
#undef K
}

/* The ns of each cpu step thread `name` of trace `path` ran, in order,
 * into ns (at most n); how many. */
static size_t
cpu_steps_ns(const char *path, const char *name, int64_t *ns, size_t n)
{
    char *text = tf_read(path, NULL), *line, *save = NULL;
    long long begin = 0;
    size_t got = 0;

    assert_non_null(text);
    for (line = strtok_r(text, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        long long t;
        char thread[64], event[32], detail[32];

        if (sscanf(line, "%lld\t%*s\t%*s\t%*s\t%63s\t%31s\t%31s", &t, thread,
                   event, detail) != 4 ||
            strcmp(thread, name) != 0 || strcmp(detail, "cpu") != 0) {
            continue;
        }
        if (strcmp(event, "step_begin") == 0) {
            begin = t;
        } else if (strcmp(event, "step_end") == 0 && got < n) {
            ns[got++] = t - begin;
        }
    }
    free(text);
    return got;
}

/* A file's cold_resume window is charged after each wait of cold_after or
 * more, across steps: by the event loop after its select, by a thread
 * after its sleep; a shorter wait leaves it hot. In virtual time, to the
 * instruction: two tasks of a 2 ms sleep and 100 us of cpu, then a
 * 0.5 ms sleep and 100 us more, under a 150 us window. */
static void
a_cold_window_is_charged_after_long_waits(void **state)
{
    char *dir = tf_make_dir("gilsim-wf");
    char file[4200], flag[4300], out[4300], p[4400];
    int64_t ns[8];
    struct cmd c;

    (void)state;
    (void)snprintf(file, sizeof(file), "%s/w.json", dir);
    tf_write(file, "{\"format\": \"gilsim-workload\", \"version\": 1,\n"
                   " \"tasks\": 2,\n"
                   " \"cold_resume\": {\"window\": {\"us\": 150}},\n"
                   " \"kinds\": [{\"steps\": [{\"sleep\": {\"ms\": 2}},\n"
                   "   {\"cpu\": {\"us\": 100}}, {\"sleep\": {\"us\": 500}},\n"
                   "   {\"cpu\": {\"us\": 100}}]}]}\n");
    (void)snprintf(flag, sizeof(flag), "--workload=%s", file);
    (void)snprintf(out, sizeof(out), "--out=%s/run", dir);
    run(&c, "run", flag, "--engine=virtual", "--cores=2", "--instr-ns=4ns",
        "--model=loop,threads", "--no-plots", "--quiet", out, NULL);
    if (c.status != 0) {
        fail_msg("exit %d: %s", c.status, c.err);
    }
    cmd_clear(&c);
    /* The loop wakes once for both: the first step all cold (100 us
     * doubled), the second the window's last 50 us doubled; after the
     * 0.5 ms sleeps, hot. */
    (void)snprintf(p, sizeof(p), "%s/run/loop/trace.tsv", dir);
    assert_int_equal(cpu_steps_ns(p, "loop", ns, 8), 4);
    assert_int_equal(ns[0], 200000);
    assert_int_equal(ns[1], 150000);
    assert_int_equal(ns[2], 100000);
    assert_int_equal(ns[3], 100000);
    /* Each thread is cold after its own 2 ms sleep: its first step all
     * doubled; the window's last 50 us are still owed after the 0.5 ms
     * sleep (too short to start a new one), and doubled in the next. */
    (void)snprintf(p, sizeof(p), "%s/run/threads/trace.tsv", dir);
    assert_int_equal(cpu_steps_ns(p, "thread-1", ns, 8), 2);
    assert_int_equal(ns[0], 200000);
    assert_int_equal(ns[1], 150000);
    tf_remove_tree(dir);
    free(dir);
}

/* gilsim workload check FILE describes each kind of task, with its steps
 * and their means; a wrong file or none costs one line and exit 2. */
static void
workload_check_describes_the_tasks(void **state)
{
    char *dir = tf_make_dir("gilsim-wfc");
    char file[4200], bad[4200];
    struct cmd c;

    (void)state;
    (void)snprintf(file, sizeof(file), "%s/w.json", dir);
    (void)snprintf(bad, sizeof(bad), "%s/bad.json", dir);
    tf_write(file, "{\"format\": \"gilsim-workload\", \"version\": 1,"
                   " \"tasks\": 8, \"kinds\": [{\"name\": \"io\","
                   " \"weight\": 3, \"steps\": [{\"fetch\": {}},"
                   " {\"cpu\": {\"ms\": {\"uniform\": [1, 3]}}}]},"
                   " {\"name\": \"nap\", \"steps\": [{\"sleep\":"
                   " {\"ms\": 10}}]}]}");
    tf_write(bad, "{\"format\": \"gilsim-workload\", \"version\": 1}");
    run(&c, "workload", "check", file, NULL);
    if (c.status != 0) {
        fail_msg("exit %d: %s", c.status, c.err);
    }
    assert_non_null(strstr(c.out, "8 tasks of 2 kinds"));
    assert_non_null(strstr(c.out, "io: weight 3, 75 % of tasks (6 expected)"));
    assert_non_null(
        strstr(c.out, "cpu       mean 2 ms: uniform, 1 ms to 3 ms"));
    assert_non_null(strstr(c.out, "nap: weight 1, 25 % of tasks"));
    assert_non_null(strstr(c.out, "sleep     10 ms"));
    /* 6 io tasks x 2 ms under the GIL, 2 naps x 10 ms asleep. */
    assert_non_null(strstr(c.out, "12 ms of Python under the GIL"));
    assert_non_null(strstr(c.out, "20 ms of sleep, 6 fetches"));
    cmd_clear(&c);

    run(&c, "workload", "check", bad, NULL);
    assert_int_equal(c.status, 2);
    assert_non_null(strstr(c.err, "$.kinds: expected a list"));
    assert_ptr_equal(strchr(c.err, '\n'), strrchr(c.err, '\n'));
    cmd_clear(&c);
    run(&c, "workload", "check", NULL);
    assert_int_equal(c.status, 2);
    assert_non_null(strstr(c.err, "missing FILE"));
    cmd_clear(&c);
    run(&c, "workload", "burn", file, NULL);
    assert_int_equal(c.status, 2);
    assert_non_null(strstr(c.err, "unknown action 'burn'"));
    cmd_clear(&c);
    run(&c, "workload", "check", file, file, NULL);
    assert_int_equal(c.status, 2);
    cmd_clear(&c);
    tf_remove_tree(dir);
    free(dir);
}

/* gilsim workload new FILE writes a starter that reads and runs, and
 * will not overwrite a file. */
static void
workload_new_writes_a_starter_that_runs(void **state)
{
    char *dir = tf_make_dir("gilsim-wfn");
    char file[4200], flag[4300], out[4300];
    char *before, *after;
    struct cmd c;

    (void)state;
    (void)snprintf(file, sizeof(file), "%s/new.json", dir);
    run(&c, "workload", "new", file, NULL);
    assert_int_equal(c.status, 0);
    cmd_clear(&c);
    run(&c, "workload", "check", file, NULL);
    assert_int_equal(c.status, 0);
    assert_non_null(strstr(c.out, "100 tasks of 2 kinds"));
    /* A lock's steps under it, a repeat's block once with its count, and
     * its cost counted three times: 3 x 1 ms of native code. */
    assert_non_null(strstr(c.out, "    lock      \"cache\""));
    assert_non_null(strstr(c.out, "      cpu       50 us\n"));
    assert_non_null(strstr(c.out, "    repeat    3 times:\n"
                                  "      native    1 ms"));
    assert_non_null(strstr(c.out, "3 ms of native code and"));
    cmd_clear(&c);
    /* A built-in by its name, with the flags it names. */
    run(&c, "workload", "check", "convoy", "--ops=7", NULL);
    assert_int_equal(c.status, 0);
    assert_non_null(strstr(c.out, "--ops=7"));
    assert_non_null(strstr(c.out, "7 times"));
    cmd_clear(&c);
    (void)snprintf(flag, sizeof(flag), "--workload=%s", file);
    (void)snprintf(out, sizeof(out), "--out=%s/run", dir);
    run(&c, "run", flag, "--engine=virtual", "--model=threads", "--no-plots",
        "--quiet", out, NULL);
    if (c.status != 0) {
        fail_msg("exit %d: %s", c.status, c.err);
    }
    cmd_clear(&c);
    before = tf_read(file, NULL);
    run(&c, "workload", "new", file, NULL);
    assert_int_equal(c.status, 2);
    assert_non_null(strstr(c.err, "already there"));
    cmd_clear(&c);
    after = tf_read(file, NULL);
    assert_string_equal(before, after);
    free(before);
    free(after);
    tf_remove_tree(dir);
    free(dir);
}

/* The example that docs/workloads.md shows, shipped beside it, reads. */
static const char *example_path;

static void
the_documented_example_reads(void **state)
{
    struct wl_workload *w = NULL;
    char err[1024] = "";

    (void)state;
    if (sim_workload_file_load(example_path, &params, &w, err, sizeof(err)) !=
        0) {
        fail_msg("%s", err);
    }
    assert_string_equal(w->name, "fan-out");
    assert_int_equal(w->n_tasks, 200);
    wl_workload_free(w);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_file_builds_the_steps_it_says),
        cmocka_unit_test(draws_follow_the_seed),
        cmocka_unit_test(kinds_follow_their_weights),
        cmocka_unit_test(malformed_files_are_refused_with_where),
        cmocka_unit_test(unreadable_files_are_refused),
        cmocka_unit_test(the_builtins_as_files_build_what_the_code_did),
        cmocka_unit_test(locks_repeats_and_flags_build_their_steps),
        cmocka_unit_test(a_fetch_asks_for_its_own_latency_and_size),
        cmocka_unit_test(a_step_of_too_many_instructions_is_refused),
        cmocka_unit_test(wrong_locks_repeats_and_flags_are_refused),
        cmocka_unit_test(run_takes_a_workload_file),
        cmocka_unit_test(the_seed_runs_from_its_file),
        cmocka_unit_test(own_latency_and_size_reach_the_server),
        cmocka_unit_test(reads_and_writes_of_a_size_run),
        cmocka_unit_test(the_documented_example_reads),
        cmocka_unit_test(workload_check_describes_the_tasks),
        cmocka_unit_test(cold_resume_is_read_and_checked),
        cmocka_unit_test(a_cold_window_is_charged_after_long_waits),
        cmocka_unit_test(workload_new_writes_a_starter_that_runs),
    };

    if (argc != 2) {
        fprintf(stderr,
                "usage: test_workload_file DOCS/workloads/fan-out.json\n");
        return 2;
    }
    example_path = argv[1];

    return cmocka_run_group_tests(tests, NULL, NULL);
}
