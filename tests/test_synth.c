/*
 * test_synth.c - the workload file gilsim record writes of a recording
 * (sim/record/synth*.c): pool tasks as kinds with their counts, an
 * asyncio program's tasks, lock holds as lock blocks, calls on a core as
 * native work, an event loop's cold-resume window, the probe's own cost
 * taken out of the cpu steps; each on probe files
 * written here, each file read back by `gilsim workload check`.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <math.h>

#include "base.h"
#include "cli_runner.h"
#include "record/record.h"
#include "record/synth.h"
#include "record_fixture.h"
#include "test_files.h"
#include "trace_check.h"

/* The workload file at path read back by `gilsim workload check` (it
 * must pass); then r and the probe folder dir are cleared. */
static void
checked_and_cleared(const char *path, struct rec *r, char *dir)
{
    struct cmd c;

    run(&c, "workload", "check", path, NULL);
    if (c.status != 0) {
        fail_msg("gilsim workload check %s: exit %d: %s", path, c.status,
                 c.err);
    }
    cmd_clear(&c);
    rec_clear(r);
    tf_remove_tree(dir);
    free(dir);
}

/* A raw file of one pool thread running `tasks` tasks; task k does
 * `calls(k)` sleeps of 1 ms, each after 2 ms of Python (all CPU). */
static char *
pool_text(int tasks, int (*calls)(int))
{
    size_t cap = 1 << 20, n = 0;
    char *s = malloc(cap);
    int64_t t = 1000000000, cpu = 0;
    int k, i;

    assert_non_null(s);
    n += (size_t)snprintf(s + n, cap - n,
                          HEAD "X\t100001\t1000000000\tthreadpool\t1\n"
                               "T\t8\t%lld\t0\tstart\tworker\n",
                          (long long)t);
    for (k = 0; k < tasks; k++) {
        n += (size_t)snprintf(s + n, cap - n,
                              "K\t8\t%lld\t%lld\tbegin\t100001\t%d\n",
                              (long long)t, (long long)cpu, k);
        for (i = 0; i < calls(k); i++) {
            t += 2000000;
            cpu += 2000000;
            n += (size_t)snprintf(
                s + n, cap - n,
                "C\t8\t%lld\t%lld\t%lld\t%lld\tsleep\t1000000\t1\n",
                (long long)t, (long long)(t + 1000000), (long long)cpu,
                (long long)cpu);
            t += 1000000;
        }
        n += (size_t)snprintf(s + n, cap - n,
                              "K\t8\t%lld\t%lld\tend\t100001\t%d\n",
                              (long long)t, (long long)cpu, k);
        assert_true(n < cap - 4096);
    }
    (void)snprintf(s + n, cap - n,
                   "T\t8\t%lld\t%lld\tend\tworker\nZ\t%lld\texit\n",
                   (long long)t, (long long)cpu, (long long)t);
    return s;
}

static int
calls_by_task(int k)
{
    return 1 + k; /* a sequence of its own per task */
}

static int
calls_many(int k)
{
    return k == 0 ? 1000 : 1;
}

/* workload.json: one kind per sequence of steps, each with its own count,
 * 64 at most (the rest said in the comment), a task of more than 256
 * steps cut into blocks whose sums are kept; the file reads back. */
static void
the_workload_file_keeps_kinds_counts_and_long_tasks(void **state)
{
    char *text = pool_text(70, calls_by_task);
    char *dir = raw_dir_with(text);
    char path[4200], err[512] = "";
    struct rec_config cfg;
    struct rec r;
    size_t n;
    json_t *root, *kinds;
    json_error_t e;
    char *comment;

    (void)state;
    free(text);
    assert_int_equal(rec_read_dir(dir, &r, err, sizeof(err)), 0);
    assert_int_equal(
        rec_write_workload(dir, &r, "pool.py", &cfg, &n, err, sizeof(err)), 0);
    assert_string_equal(cfg.model, "executor");
    assert_int_equal(cfg.workers, 1);
    assert_int_equal(n, 64); /* 70 sequences, 64 kinds of one task */
    (void)snprintf(path, sizeof(path), "%s/workload.json", dir);
    root = json_load_file(path, 0, &e);
    assert_non_null(root);
    kinds = json_object_get(root, "kinds");
    assert_int_equal(json_array_size(kinds), 64);
    comment = json_dumps(json_object_get(root, "comment"), 0);
    assert_non_null(strstr(comment, "6 tasks of 6 rarer step sequences are "
                                    "left out"));
    free(comment);
    json_decref(root);
    checked_and_cleared(path, &r, dir);

    /* 1000 sleeps of 1 ms after 2 ms of Python: 2000 steps, in blocks
     * whose cpu and sleep still sum to 2 s and 1 s. */
    text = pool_text(2, calls_many);
    dir = raw_dir_with(text);
    free(text);
    assert_int_equal(rec_read_dir(dir, &r, err, sizeof(err)), 0);
    assert_int_equal(
        rec_write_workload(dir, &r, "long.py", &cfg, &n, err, sizeof(err)), 0);
    (void)snprintf(path, sizeof(path), "%s/workload.json", dir);
    root = json_load_file(path, 0, &e);
    assert_non_null(root);
    {
        json_t *kind, *steps, *step;
        size_t k, i;
        double cpu = 0, sleep = 0;

        json_array_foreach(json_object_get(root, "kinds"), k, kind)
        {
            steps = json_object_get(kind, "steps");
            if (json_array_size(steps) <= 2) {
                continue; /* the short task */
            }
            assert_true(json_array_size(steps) <= 256);
            json_array_foreach(steps, i, step)
            {
                json_t *v = json_object_get(json_object_get(step, "cpu"), "us");

                if (v != NULL) {
                    cpu += json_number_value(v);
                }
                v = json_object_get(json_object_get(step, "sleep"), "us");
                if (v != NULL) {
                    sleep += json_number_value(v);
                }
            }
        }
        assert_true(fabs(cpu - 2e6) < 1.0);
        assert_true(fabs(sleep - 1e6) < 1.0);
    }
    comment = json_dumps(json_object_get(root, "comment"), 0);
    assert_non_null(strstr(comment, "blocks"));
    free(comment);
    json_decref(root);
    rec_clear(&r);
    tf_remove_tree(dir);
    free(dir);
}

/* An asyncio program (times in ms after 1 s, CPU in ms): main (task 0)
 * gathers tasks 1 and 2, which share a Semaphore(1); task 1 makes task
 * 3, a helper that runs 0.4 ms at 12.1 (the loop's). Task 1 runs 2 ms,
 * awaits a reply (the select that ends at 10), runs 2 ms and ends; task
 * 2 runs 1 ms, waits for the semaphore until task 1 lets go (12.6), runs
 * 0.5 ms, awaits a reply (the select that ends at 20) and runs 1 ms. The
 * loop's own CPU outside the kept tasks' steps and selects: task 3's 0.4
 * + 0.2 + 0.1 ms. */
static void
an_asyncio_program_becomes_loop_tasks(void **state)
{
    char text[4096], path[4200], err[512] = "";
    struct rec_config cfg;
    struct rec r;
    size_t n;
    char *dir, *comment;
    json_t *root, *kinds, *steps;
    json_error_t e;
    double c0[2], s1[2], c2[2];
    size_t k;

    (void)state;
    (void)snprintf(text, sizeof(text),
                   HEAD "S\t5000000\n"
                        "T\t7\t%lld\t0\tstart\tMainThread\n"
                        "X\t100001\t%lld\tasyncio\t0\n"
                        "G\t100001\t-1\t0\n"
                        "K\t7\t%lld\t%lld\tbegin\t100001\t0\n"
                        "A\t7\t%lld\t%lld\t%lld\t%lld\t100001\t0\n"
                        "G\t100001\t0\t1\nG\t100001\t0\t2\n"
                        "K\t7\t%lld\t%lld\tbegin\t100001\t1\n"
                        "A\t7\t%lld\t%lld\t%lld\t%lld\t100001\t1\n"
                        "W\t7\t%lld\t%lld\t100001\t1\tsem\t1\t1\n"
                        "K\t7\t%lld\t%lld\tbegin\t100001\t2\n"
                        "A\t7\t%lld\t%lld\t%lld\t%lld\t100001\t2\n"
                        "C\t7\t%lld\t%lld\t%lld\t%lld\tselect\t-1\t1\n"
                        "A\t7\t%lld\t%lld\t%lld\t%lld\t100001\t1\n"
                        "K\t7\t%lld\t%lld\tend\t100001\t1\n"
                        "C\t7\t%lld\t%lld\t%lld\t%lld\tselect\t-1\t1\n"
                        "G\t100001\t1\t3\n"
                        "K\t7\t%lld\t%lld\tbegin\t100001\t3\n"
                        "A\t7\t%lld\t%lld\t%lld\t%lld\t100001\t3\n"
                        "K\t7\t%lld\t%lld\tend\t100001\t3\n"
                        "A\t7\t%lld\t%lld\t%lld\t%lld\t100001\t2\n"
                        "W\t7\t%lld\t%lld\t100001\t2\tsem\t1\t1\n"
                        "C\t7\t%lld\t%lld\t%lld\t%lld\tselect\t-1\t1\n"
                        "A\t7\t%lld\t%lld\t%lld\t%lld\t100001\t2\n"
                        "K\t7\t%lld\t%lld\tend\t100001\t2\n"
                        "A\t7\t%lld\t%lld\t%lld\t%lld\t100001\t0\n"
                        "K\t7\t%lld\t%lld\tend\t100001\t0\n"
                        "O\t40\t2500\n"
                        "T\t7\t%lld\t%lld\tend\tMainThread\n"
                        "Z\t%lld\texit\n",
                   AT(0), AT(0.5), AT(1), CPU(0.5), AT(1), AT(2), CPU(0.5),
                   CPU(1.5), AT(2), CPU(1.5), AT(2), AT(4), CPU(1.5), CPU(3.5),
                   AT(2.5), AT(2.6), AT(4), CPU(3.5), AT(4), AT(5), CPU(3.5),
                   CPU(4.5), AT(5), AT(10), CPU(4.5), CPU(4.6), AT(10), AT(12),
                   CPU(4.6), CPU(6.6), AT(12), CPU(6.6), AT(12), AT(12.1),
                   CPU(6.6), CPU(6.6), AT(12.1), CPU(6.6), AT(12.1), AT(12.5),
                   CPU(6.6), CPU(7.0), AT(12.5), CPU(7.0), AT(12.5), AT(13),
                   CPU(7.0), CPU(7.5), AT(4.5), AT(12.6), AT(13), AT(20),
                   CPU(7.5), CPU(7.5), AT(20.2), AT(21), CPU(7.7), CPU(8.7),
                   AT(21), CPU(8.7), AT(21.5), AT(22), CPU(8.8), CPU(9.0),
                   AT(22), CPU(9.0), AT(23), CPU(9.1), AT(23));
    dir = raw_dir_with(text);
    assert_int_equal(rec_read_dir(dir, &r, err, sizeof(err)), 0);
    assert_int_equal(r.n_threads, 1);
    assert_false(r.threads[0].has_tasks); /* a loop, not a pool's worker */
    assert_true(r.threads[0].has_steps);
    assert_int_equal(r.n_spawns, 4);
    assert_int_equal(r.n_syncs, 2);
    /* main gathers (the largest fan-out): its children are the tasks;
     * task 3, which task 1 made (aiohttp's for a request), is not */
    assert_false(rec_task_kept(&r, 100001, 0));
    assert_true(rec_task_kept(&r, 100001, 1));
    assert_true(rec_task_kept(&r, 100001, 2));
    assert_false(rec_task_kept(&r, 100001, 3));
    assert_true(rec_task_is_root(&r, 100001, 0));
    assert_false(rec_task_is_root(&r, 100001, 3));
    assert_int_equal(r.procs[0].probe_events, 40);
    assert_int_equal(r.procs[0].probe_ns_per_event, 2500);
    /* Task 1's beginning to task 2's end: main's span is not the work. */
    assert_int_equal(rec_tasks_wall(&r), AT(21) - AT(2));

    assert_int_equal(
        rec_write_workload(dir, &r, "fan.py", &cfg, &n, err, sizeof(err)), 0);
    assert_string_equal(cfg.model, "loop");
    assert_int_equal(cfg.workers, 1); /* the semaphore both acquired */
    assert_int_equal(n, 2);
    (void)snprintf(path, sizeof(path), "%s/workload.json", dir);
    root = json_load_file(path, 0, &e);
    assert_non_null(root);
    kinds = json_object_get(root, "kinds");
    assert_int_equal(json_array_size(kinds), 1); /* both cpu, sleep, cpu */
    steps = json_object_get(json_array_get(kinds, 0), "steps");
    assert_int_equal(json_array_size(steps), 3);
    for (k = 0; k < 2; k++) {
        const char *key[3] = {"cpu", "sleep", "cpu"};
        double *out[3] = {c0, s1, c2};
        size_t i;

        for (i = 0; i < 3; i++) {
            json_t *v = json_object_get(
                json_object_get(json_array_get(steps, i), key[i]), "us");

            assert_non_null(v);
            out[i][k] = json_number_value(
                json_array_get(json_object_get(v, "samples"), k));
        }
    }
    /* Task 1: 2 ms, 6 ms of I/O (4 to 10), 2 ms + half the loop's 0.7.
     * Task 2: 1 + 0.5 ms (the semaphore's wait is no step), 7 ms of
     * I/O (13 to 20), 1 ms + 0.35. */
    assert_true(fabs(c0[0] - 2000) < 1 && fabs(c0[1] - 1500) < 1);
    assert_true(fabs(s1[0] - 6000) < 1 && fabs(s1[1] - 7000) < 1);
    assert_true(fabs(c2[0] - 2350) < 1 && fabs(c2[1] - 1350) < 1);
    comment = json_dumps(json_object_get(root, "comment"), 0);
    assert_non_null(strstr(comment, "1 waits inside a Semaphore"));
    free(comment);
    json_decref(root);

    /* The recording as a trace: the loop's thread with its three selects
     * and its Python between them, never two holders. */
    {
        char *out = tf_make_dir("gilsim-record-out");
        struct trace_gil_counts counts;
        struct sim_trace_summary sum;
        struct sim_trace *t;

        write_measured(out, &r, "fan.py", "gilsim record", &sum);
        assert_int_equal(sum.stats.steps_ok, 3);
        t = measured_trace(out);
        trace_check_gil(t, 1, NULL, &counts);
        sim_trace_free(t);
        tf_remove_tree(out);
        free(out);
    }
    rec_clear(&r);
    tf_remove_tree(dir);
    free(dir);
}

/* The steps of the workload file's kind whose first step is `first`
 * (compact JSON, keys sorted). */
static char *
kind_steps(const char *path, const char *first)
{
    json_error_t e;
    json_t *root = json_load_file(path, 0, &e);
    json_t *kind;
    char *found = NULL;
    size_t i;

    assert_non_null(root);
    json_array_foreach(json_object_get(root, "kinds"), i, kind)
    {
        char *text =
            json_dumps(json_object_get(kind, "steps"),
                       JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(9));

        assert_non_null(text);
        if (found == NULL && strncmp(text + 1, first, strlen(first)) == 0) {
            found = text;
        } else {
            free(text);
        }
    }
    json_decref(root);
    return found;
}

/* The workload file's cold_resume window, in us (-1: none written). */
static double
cold_window_us(const char *path)
{
    json_error_t e;
    json_t *root = json_load_file(path, 0, &e);
    json_t *us = json_object_get(
        json_object_get(json_object_get(root, "cold_resume"), "window"), "us");
    double v = json_is_number(us) ? json_number_value(us) : -1.0;

    json_decref(root);
    return v;
}

/* r (read from dir) written as dir/workload.json, whose path goes to
 * path; it must succeed. The tasks written. */
static size_t
workload_written(const char *dir, const struct rec *r, char *path, size_t len)
{
    char err[512] = "";
    struct rec_config cfg;
    size_t n;

    if (rec_write_workload(dir, r, "app.py", &cfg, &n, err, sizeof(err)) != 0) {
        fail_msg("rec_write_workload: %s", err);
    }
    (void)snprintf(path, len, "%s/workload.json", dir);
    return n;
}

/* Holds of a threading.Lock (H) become the workload file's lock blocks
 * around the steps they were held for: a socket wait inside one stays
 * inside; a hold with nothing measurable inside is none; a lock taken
 * inside another where elsewhere the other way round is left out (the
 * file would deadlock); a release inside a call (Condition.wait) ends
 * the block where the call begins; a lock only one thread held is
 * none (it made no thread wait). The file is one gilsim reads. */
static void
held_locks_become_lock_blocks(void **state)
{
    static const char text[] =
        HEAD "X\t1\t1000000000\tthreadpool\t2\n"
             /* task 1: cpu, lock1 { cpu, recv, cpu }, cpu */
             "T\t7\t1000000000\t0\tstart\tw0\n"
             "K\t7\t1000000000\t0\tbegin\t1\t1\n"
             "C\t7\t1003000000\t1008000000\t2000000\t3000000\trecv\t10\t1\n"
             "H\t7\t1001000000\t1010000000\t1000000\t4000000\t1\n"
             "K\t7\t1011000000\t5000000\tend\t1\t1\n"
             /* task 4: lock2 { cpu }, then lock3, which no other thread
              * held: no block */
             "K\t7\t1013000000\t5000000\tbegin\t1\t4\n"
             "H\t7\t1014000000\t1015000000\t6000000\t7000000\t2\n"
             "H\t7\t1016000000\t1017000000\t8000000\t9000000\t3\n"
             "K\t7\t1018000000\t10000000\tend\t1\t4\n"
             "T\t7\t1019000000\t10000000\tend\tw0\n"
             /* task 2: an empty hold of lock2, then lock2 { lock1 } */
             "T\t8\t1000000000\t0\tstart\tw1\n"
             "K\t8\t1000000000\t0\tbegin\t1\t2\n"
             "H\t8\t1001000000\t1002000000\t1000000\t1000500\t2\n"
             "H\t8\t1004000000\t1005000000\t3000000\t4000000\t1\n"
             "H\t8\t1003000000\t1006000000\t2000000\t5000000\t2\n"
             "K\t8\t1007000000\t6000000\tend\t1\t2\n"
             /* task 3: lock1 { lock2 (left out) }, released in a wait */
             "K\t8\t1015000000\t10000000\tbegin\t1\t3\n"
             "H\t8\t1017000000\t1018000000\t11500000\t12000000\t2\n"
             "H\t8\t1016000000\t1025000000\t11000000\t13000500\t1\n"
             "C\t8\t1023000000\t1030000000\t13000000\t13000000\twait\t-1\t1\n"
             "K\t8\t1031000000\t14000000\tend\t1\t3\n"
             "T\t8\t1032000000\t14000000\tend\tw1\n"
             "Z\t1033000000\texit\n";
    char *dir = raw_dir_with(text);
    char path[4200], err[512] = "";
    char *steps, *all;
    struct rec r;

    (void)state;
    assert_int_equal(rec_read_dir(dir, &r, err, sizeof(err)), 0);
    assert_int_equal(workload_written(dir, &r, path, sizeof(path)), 4);
    /* Threads' CPU holds their own cold resumes: none on top. */
    assert_true(cold_window_us(path) == 0.0);

    steps = kind_steps(path, "{\"cpu\":{\"us\":1000.0}},{\"lock\":{\"name\":"
                             "\"lock2\"");
    assert_non_null(steps);
    assert_string_equal(
        steps, "[{\"cpu\":{\"us\":1000.0}},{\"lock\":{\"name\":\"lock2\","
               "\"steps\":[{\"cpu\":{\"us\":1000.0}}]}},{\"cpu\":{\"us\":"
               "3000.0}}]");
    free(steps);

    steps = kind_steps(path, "{\"cpu\":{\"us\":1000.0}},{\"lock\":{\"name\":"
                             "\"lock1\",\"steps\":[{\"cpu\":{\"us\":1000.0}}");
    assert_non_null(steps);
    assert_string_equal(
        steps, "[{\"cpu\":{\"us\":1000.0}},{\"lock\":{\"name\":\"lock1\","
               "\"steps\":[{\"cpu\":{\"us\":1000.0}},{\"sleep\":{\"us\":"
               "5000.0}},{\"cpu\":{\"us\":1000.0}}]}},{\"cpu\":{\"us\":"
               "1000.0}}]");
    free(steps);
    steps = kind_steps(path, "{\"cpu\":{\"us\":1999.5}}");
    assert_non_null(steps);
    assert_string_equal(
        steps, "[{\"cpu\":{\"us\":1999.5}},{\"lock\":{\"name\":\"lock2\","
               "\"steps\":[{\"cpu\":{\"us\":1000.0}},{\"lock\":{\"name\":"
               "\"lock1\",\"steps\":[{\"cpu\":{\"us\":1000.0}}]}},{\"cpu\":"
               "{\"us\":1000.0}}]}},{\"cpu\":{\"us\":1000.0}}]");
    free(steps);
    steps = kind_steps(path, "{\"cpu\":{\"us\":1000.0}},{\"lock\":{\"name\":"
                             "\"lock1\",\"steps\":[{\"cpu\":{\"us\":2000.0}}");
    assert_non_null(steps);
    assert_string_equal(
        steps, "[{\"cpu\":{\"us\":1000.0}},{\"lock\":{\"name\":\"lock1\","
               "\"steps\":[{\"cpu\":{\"us\":2000.0}}]}},{\"sleep\":{\"us\":"
               "7000.0}},{\"cpu\":{\"us\":1000.0}}]");
    free(steps);
    all = tf_read(path, NULL);
    assert_non_null(all);
    assert_non_null(strstr(all, "of 8 holds inside tasks, those of the 2 "
                                "locks two threads held are lock blocks"));
    assert_non_null(strstr(all, "left out: 1 holds of locks only one"));
    assert_non_null(strstr(all, "1 that would have let the file deadlock"));
    assert_non_null(strstr(all, "1 with no step of a microsecond inside"));
    free(all);
    checked_and_cleared(path, &r, dir);
}

/* Three locks taken in a cycle (2 inside 1, 3 inside 2, 1 inside 3) would
 * deadlock as two taken both ways would: the hold that closes the cycle is left
 * out, and gilsim reads the file. */
static void
a_cycle_of_three_locks_is_broken(void **state)
{
    static const char text[] =
        HEAD "X\t1\t1000000000\tthreadpool\t2\n"
             "T\t7\t1000000000\t0\tstart\tw0\n"
             "T\t8\t1000000000\t0\tstart\tw1\n"
             /* task 1 (w0): lock1 { lock2 { cpu } } */
             "K\t7\t1000000000\t0\tbegin\t1\t1\n"
             "H\t7\t1002000000\t1003000000\t2000000\t3000000\t2\n"
             "H\t7\t1001000000\t1004000000\t1000000\t4000000\t1\n"
             "K\t7\t1005000000\t5000000\tend\t1\t1\n"
             /* task 2 (w1): lock2 { lock3 { cpu } }, read after w0's
              * tasks: lock3 is left out */
             "K\t8\t1000000000\t0\tbegin\t1\t2\n"
             "H\t8\t1002000000\t1003000000\t2000000\t3000000\t3\n"
             "H\t8\t1001000000\t1004000000\t1000000\t4000000\t2\n"
             "K\t8\t1005000000\t5000000\tend\t1\t2\n"
             /* task 3 (w0): lock3 { lock1 { cpu } } */
             "K\t7\t1010000000\t10000000\tbegin\t1\t3\n"
             "H\t7\t1012000000\t1013000000\t12000000\t13000000\t1\n"
             "H\t7\t1011000000\t1014000000\t11000000\t14000000\t3\n"
             "K\t7\t1015000000\t15000000\tend\t1\t3\n"
             /* task 4 (w1): lock1 { cpu } */
             "K\t8\t1010000000\t10000000\tbegin\t1\t4\n"
             "H\t8\t1011000000\t1012000000\t11000000\t12000000\t1\n"
             "K\t8\t1013000000\t13000000\tend\t1\t4\n"
             "T\t7\t1016000000\t15000000\tend\tw0\n"
             "T\t8\t1016000000\t13000000\tend\tw1\n"
             "Z\t1017000000\texit\n";
    char *dir = raw_dir_with(text);
    char path[4200], err[512] = "";
    char *steps, *all;
    struct rec r;

    (void)state;
    assert_int_equal(rec_read_dir(dir, &r, err, sizeof(err)), 0);
    (void)workload_written(dir, &r, path, sizeof(path));
    steps = kind_steps(path, "{\"cpu\":{\"us\":1000.0}},{\"lock\":{\"name\":"
                             "\"lock2\"");
    assert_non_null(steps);
    assert_string_equal(
        steps, "[{\"cpu\":{\"us\":1000.0}},{\"lock\":{\"name\":\"lock2\","
               "\"steps\":[{\"cpu\":{\"us\":3000.0}}]}},{\"cpu\":{\"us\":"
               "1000.0}}]");
    free(steps);
    all = tf_read(path, NULL);
    assert_non_null(all);
    assert_non_null(strstr(all, "1 that would have let the file deadlock"));
    free(all);
    checked_and_cleared(path, &r, dir);
}

/* Append one asyncio step of task k on thread 7 from ms for cpu_ms of
 * CPU (its wall too) at *pos in buf. */
static void
put_step(char *buf, size_t len, size_t *pos, int k, double ms, double cpu0,
         double cpu_ms)
{
    *pos += (size_t)snprintf(
        buf + *pos, len - *pos, "A\t7\t%lld\t%lld\t%lld\t%lld\t100001\t%d\n",
        AT(ms), AT(ms + cpu_ms), CPU(cpu0), CPU(cpu0 + cpu_ms), k);
}

/* Append task k's K begin or end on thread 7 at ms. */
static void
put_task(char *buf, size_t len, size_t *pos, int k, double ms, double cpu,
         const char *what)
{
    *pos += (size_t)snprintf(buf + *pos, len - *pos,
                             "K\t7\t%lld\t%lld\t%s\t100001\t%d\n", AT(ms),
                             CPU(cpu), what, k);
}

/* What a step of `hot` ms costs with `*left` ms of a cold window still
 * open: double while the window lasts (the model gilsim fits). */
static double
cold_cost(double hot, double *left)
{
    double c;

    if (hot <= *left) {
        c = 2 * hot;
        *left -= hot;
    } else {
        c = hot + *left;
        *left = 0;
    }
    return c;
}

/* An asyncio recording whose loop resumed cold after each sleep: twelve
 * tasks of two steps (0.1 ms, then 0.4 ms of hot CPU), their first steps
 * at the start, their second in four turns of three after a 10 ms
 * select, the CPU made by a 0.3 ms window at double cost. The fit finds
 * that window: the file's cold_resume says it, and its cpu steps are
 * the hot ones. */
static void
cold_resumes_are_fitted_as_a_window(void **state)
{
    char text[16384], path[4200], err[512] = "";
    size_t pos = 0, k;
    double t = 0, cpu = 0, left = 0.3;
    struct synth_resume c;
    struct rec r;
    char *dir, *all, *steps;

    (void)state;
    pos += (size_t)snprintf(text, sizeof(text),
                            HEAD "T\t7\t%lld\t0\tstart\tMainThread\n"
                                 "X\t100001\t%lld\tasyncio\t0\n"
                                 "G\t100001\t-1\t0\n",
                            AT(0), AT(0));
    put_task(text, sizeof(text), &pos, 0, t, cpu, "begin");
    for (k = 1; k <= 12; k++) {
        double use = cold_cost(0.1, &left);

        pos += (size_t)snprintf(text + pos, sizeof(text) - pos,
                                "G\t100001\t0\t%zu\n", k);
        put_task(text, sizeof(text), &pos, (int)k, t, cpu, "begin");
        put_step(text, sizeof(text), &pos, (int)k, t, cpu, use);
        t += use;
        cpu += use;
    }
    for (k = 1; k <= 12; k++) {
        double use;

        if (k % 3 == 1) {
            pos += (size_t)snprintf(
                text + pos, sizeof(text) - pos,
                "C\t7\t%lld\t%lld\t%lld\t%lld\tselect\t-1\t1\n", AT(t),
                AT(t + 10), CPU(cpu), CPU(cpu));
            t += 10;
            left = 0.3;
        }
        use = cold_cost(0.4, &left);
        put_step(text, sizeof(text), &pos, (int)k, t, cpu, use);
        t += use;
        cpu += use;
        put_task(text, sizeof(text), &pos, (int)k, t, cpu, "end");
    }
    put_task(text, sizeof(text), &pos, 0, t, cpu, "end");
    (void)snprintf(text + pos, sizeof(text) - pos,
                   "T\t7\t%lld\t%lld\tend\tMainThread\nZ\t%lld\texit\n",
                   AT(t + 0.2), CPU(cpu), AT(t + 0.3));
    dir = raw_dir_with(text);
    assert_int_equal(rec_read_dir(dir, &r, err, sizeof(err)), 0);
    assert_int_equal(synth_async_resume(&r, &c), 0);
    assert_int_equal(c.steps, 24);
    assert_int_equal(c.wakes, 4);
    assert_int_equal(c.cold, 5); /* the loop's first step, and a turn's */
    assert_int_equal(c.places, 1);
    assert_int_equal(c.window_ns, 300 * US);
    /* The window's CPU: 0.3 ms at the start and in each turn. */
    assert_int_equal(c.extra_ns, 1500 * US);
    (void)workload_written(dir, &r, path, sizeof(path));
    all = tf_read(path, NULL);
    assert_non_null(all);
    assert_true(cold_window_us(path) == 300.0);
    assert_non_null(strstr(all, "slept (a select of 1 ms or more) 4 times, "
                                "and after each its next 300 us"));
    free(all);
    /* Every task's steps at their hot CPU: one kind. */
    /* Every task's steps at their hot CPU (one kind): its first steps
     * 0.1 ms each (to the recording's rounding), its last 0.4. */
    steps = kind_steps(path, "{\"cpu\":{\"us\":{\"samples\":[");
    assert_non_null(steps);
    {
        json_t *list = json_loads(steps, 0, NULL), *v;
        json_t *first = json_object_get(
            json_object_get(json_object_get(json_array_get(list, 0), "cpu"),
                            "us"),
            "samples");

        assert_int_equal(json_array_size(first), 12);
        json_array_foreach(first, k, v)
        {
            assert_true(fabs(json_real_value(v) - 100.0) < 0.01);
        }
        assert_int_equal(json_array_size(list), 3);
        free(steps);
        steps = json_dumps(json_array_get(list, 2), JSON_COMPACT);
        assert_string_equal(steps, "{\"cpu\":{\"us\":400.0}}");
        json_decref(list);
    }
    free(steps);
    checked_and_cleared(path, &r, dir);
}

/* A call that spent half of its time or more on a core (the kernel
 * copying a large recv) is native work for its CPU and a sleep for the
 * rest; a call that mostly waited is a sleep, whatever its CPU; so is
 * time.sleep. */
static void
a_call_mostly_on_a_core_is_native_work(void **state)
{
    static const char text[] =
        HEAD "T\t7\t1000000000\t0\tstart\tMainThread\n"
             /* 100 us of wall, 80 of CPU: native 80, sleep 20 */
             "C\t7\t1001000000\t1001100000\t1000000\t1080000\trecv\t65536\t1\n"
             /* 10 ms of wall, 1 of CPU: a sleep of 10 ms */
             "C\t7\t1002000000\t1012000000\t2000000\t3000000\trecv\t10\t1\n"
             /* time.sleep: a sleep, its CPU aside */
             "C\t7\t1013000000\t1013050000\t4000000\t4040000\tsleep\t50000\t"
             "1\n"
             "T\t7\t1014000000\t5000000\tend\tMainThread\n"
             "Z\t1014000001\texit\n";
    char *dir = raw_dir_with(text);
    char path[4200], err[512] = "";
    char *steps;
    struct rec r;

    (void)state;
    assert_int_equal(rec_read_dir(dir, &r, err, sizeof(err)), 0);
    (void)workload_written(dir, &r, path, sizeof(path));
    steps = kind_steps(path, "{\"cpu\"");
    assert_non_null(steps);
    assert_string_equal(
        steps, "[{\"cpu\":{\"us\":1000.0}},{\"native\":{\"us\":80.0}},"
               "{\"sleep\":{\"us\":20.0}},{\"cpu\":{\"us\":920.0}},"
               "{\"sleep\":{\"us\":10000.0}},{\"cpu\":{\"us\":1000.0}},"
               "{\"sleep\":{\"us\":50.0}},{\"cpu\":{\"us\":960.0}}]");
    free(steps);
    rec_clear(&r);
    tf_remove_tree(dir);
    free(dir);
}

/* The probe's O line says 1.5 us of each event's cost falls between two
 * calls: each cpu step that ends at a call is that much shorter (one
 * shorter than that is a step of 0: whether a step is there follows the
 * program, not the probe), the one that ends the thread is not, and the
 * comment says how much was taken out. */
static void
the_probes_own_work_leaves_the_cpu_steps(void **state)
{
    static const char text[] =
        HEAD "T\t7\t1000000000\t0\tstart\tMainThread\n"
             "C\t7\t1001000000\t1001100000\t1000000\t1000000\tsleep\t1\t1\n"
             /* 1 us of CPU since the last call: less than the probe's */
             "C\t7\t1001200000\t1001300000\t1001000\t1001000\tsleep\t1\t1\n"
             "C\t7\t1002000000\t1002100000\t2001000\t2001000\tsleep\t1\t1\n"
             "T\t7\t1003000000\t3001000\tend\tMainThread\n"
             "O\t3\t2500\t1500\n"
             "Z\t1003000001\texit\n";
    char *dir = raw_dir_with(text);
    char path[4200], err[512] = "";
    char *steps, *comment;
    json_t *root;
    struct rec r;

    (void)state;
    assert_int_equal(rec_read_dir(dir, &r, err, sizeof(err)), 0);
    assert_int_equal(r.procs[0].probe_ns_between, 1500);
    (void)workload_written(dir, &r, path, sizeof(path));
    steps = kind_steps(path, "{\"cpu\"");
    assert_non_null(steps);
    assert_string_equal(steps, "[{\"cpu\":{\"us\":998.5}},"
                               "{\"sleep\":{\"us\":100.0}},"
                               "{\"cpu\":{\"us\":0.0}},"
                               "{\"sleep\":{\"us\":100.0}},"
                               "{\"cpu\":{\"us\":998.5}},"
                               "{\"sleep\":{\"us\":100.0}},"
                               "{\"cpu\":{\"us\":1000.0}}]");
    free(steps);
    root = json_load_file(path, 0, NULL);
    assert_non_null(root);
    comment = json_dumps(json_object_get(root, "comment"), 0);
    assert_non_null(strstr(comment, "(1500 ns after a call, measured at its "
                                    "start) is taken out of the cpu steps: "
                                    "0.004 ms in all"));
    free(comment);
    json_decref(root);
    checked_and_cleared(path, &r, dir);
}

/* ---- the command, on real programs --------------------------------------- */

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_workload_file_keeps_kinds_counts_and_long_tasks),
        cmocka_unit_test(an_asyncio_program_becomes_loop_tasks),
        cmocka_unit_test(held_locks_become_lock_blocks),
        cmocka_unit_test(a_cycle_of_three_locks_is_broken),
        cmocka_unit_test(a_call_mostly_on_a_core_is_native_work),
        cmocka_unit_test(cold_resumes_are_fitted_as_a_window),
        cmocka_unit_test(the_probes_own_work_leaves_the_cpu_steps),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
