/*
 * test_trace.c - cmocka tests of sim/trace/: the recorder, the state
 * segments, the stats (counts and hand-off latency), and the TSV, Chrome
 * JSON and summary writers.
 *
 * Every trace is built by hand with sim_trace_record() and made-up stamps,
 * so each expectation is exact and nothing depends on a clock. Writers
 * write into open_memstream() buffers. JSON output is checked with a small
 * structural scanner (balanced braces and brackets outside strings, legal
 * escapes, no raw control characters), which catches what a writer bug
 * would break without needing a JSON library.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "trace.h"

#define NONE (-1) /* task id outside a task */

static struct sim_trace *
new_trace(uint32_t threads, uint64_t events, int shared)
{
    struct sim_trace_config cfg = {threads, events, shared, 0};
    struct sim_trace *t = NULL;

    assert_int_equal(sim_trace_new(&cfg, &t), 0);
    assert_non_null(t);
    return t;
}

static struct sim_trace_buf *
add(struct sim_trace *t, const char *name, int process, int gil)
{
    struct sim_trace_buf *b = NULL;

    assert_int_equal(sim_trace_add_thread(t, name, process, gil, &b), 0);
    return b;
}

static void
ev(struct sim_trace_buf *b, int64_t t_ns, enum sim_ev kind, int detail)
{
    sim_trace_record(b, t_ns, kind, detail, 0, NONE, 0);
}

static void
check_seg(const struct sim_segment *s, uint32_t thread, enum sim_state st,
          int64_t begin, int64_t end)
{
    assert_int_equal(s->thread, thread);
    assert_string_equal(sim_trace_state_name((enum sim_state)s->state),
                        sim_trace_state_name(st));
    assert_int_equal(s->begin_ns, begin);
    assert_int_equal(s->end_ns, end);
}

/* 1 if s is structurally valid JSON text: brackets balance and match
 * outside strings, strings hold no raw control characters and only legal
 * escapes. */
static int
json_well_formed(const char *s)
{
    char stack[64];
    size_t depth = 0;
    int in_string = 0;

    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;

        if (in_string) {
            if (c < 0x20) {
                return 0;
            }
            if (c == '\\') {
                s++;
                if (*s == 'u') {
                    for (int i = 1; i <= 4; i++) {
                        if (strchr("0123456789abcdefABCDEF", s[i]) == NULL ||
                            s[i] == '\0') {
                            return 0;
                        }
                    }
                    s += 4;
                } else if (*s == '\0' || strchr("\"\\/bfnrt", *s) == NULL) {
                    return 0;
                }
            } else if (c == '"') {
                in_string = 0;
            }
            continue;
        }
        if (c == '"') {
            in_string = 1;
        } else if (c == '{' || c == '[') {
            if (depth == sizeof(stack)) {
                return 0;
            }
            stack[depth++] = (char)(c == '{' ? '}' : ']');
        } else if (c == '}' || c == ']') {
            if (depth == 0 || stack[--depth] != (char)c) {
                return 0;
            }
        }
    }
    return depth == 0 && !in_string;
}

static size_t
count_lines(const char *s)
{
    size_t n = 0;

    for (; *s != '\0'; s++) {
        n += *s == '\n';
    }
    return n;
}

static size_t
count_substr(const char *s, const char *sub)
{
    size_t n = 0;

    while ((s = strstr(s, sub)) != NULL) {
        n++;
        s += strlen(sub);
    }
    return n;
}

static void
new_rejects_bad_config(void **state)
{
    struct sim_trace_config cfg = {0, 64, 0, 0};
    struct sim_trace *t = NULL;

    (void)state;
    assert_int_equal(sim_trace_new(&cfg, &t), -EINVAL);
    cfg.max_threads = 1;
    cfg.events_per_thread = 15;
    assert_int_equal(sim_trace_new(&cfg, &t), -EINVAL);
    assert_int_equal(sim_trace_new(NULL, &t), -EINVAL);
    cfg.events_per_thread = UINT64_MAX / 2;
    cfg.max_threads = 1000;
    assert_int_equal(sim_trace_new(&cfg, &t), -ENOMEM);
    assert_null(t);
    sim_trace_free(NULL);
}

static void
add_thread_fails_with_enospc_when_all_buffers_are_taken(void **state)
{
    struct sim_trace *t = new_trace(2, 16, 0);
    struct sim_trace_buf *b = NULL;

    (void)state;
    add(t, "a", 0, 0);
    add(t, "b", 0, 0);
    assert_int_equal(sim_trace_add_thread(t, "c", 0, 0, &b), -ENOSPC);
    assert_int_equal(sim_trace_thread_count(t), 2);
    assert_string_equal(sim_trace_thread(t, 1)->name, "b");
    assert_int_equal(sim_trace_thread(t, 1)->id, 1);
    assert_null(sim_trace_thread(t, 2));
    sim_trace_free(t);
}

static void
long_thread_name_is_truncated_at_a_character_boundary(void **state)
{
    struct sim_trace *t = new_trace(2, 16, 0);
    char name[64];
    struct sim_trace_buf *b;

    (void)state;
    /* 38 ASCII bytes then "é" (2 bytes): 40 bytes do not fit in 39. */
    memset(name, 'x', 38);
    snprintf(name + 38, sizeof(name) - 38, "%s", "\xc3\xa9yz");
    b = add(t, name, 0, 0);
    assert_int_equal(strlen(b->name), 38);
    b = add(t, NULL, 0, 0);
    assert_string_equal(b->name, "thread-1");
    sim_trace_free(t);
}

static void
names_of_unknown_values_are_question_marks(void **state)
{
    (void)state;
    assert_string_equal(sim_trace_ev_name(SIM_EV_GIL_DROP), "gil_drop");
    assert_string_equal(sim_trace_ev_name((enum sim_ev)77), "?");
    assert_string_equal(sim_trace_drop_name(SIM_DROP_FORCED), "forced");
    assert_string_equal(sim_trace_drop_name((enum sim_drop)9), "?");
    assert_string_equal(sim_trace_step_name(SIM_STEP_FETCH), "fetch");
    assert_string_equal(sim_trace_step_name((enum sim_step) - 1), "?");
    assert_string_equal(sim_trace_outcome_name(SIM_OUT_TIMEOUT), "timeout");
    assert_string_equal(sim_trace_outcome_name(SIM_OUT_COUNT), "?");
    assert_string_equal(sim_trace_state_name(SIM_STATE_IO), "io");
    assert_string_equal(sim_trace_state_name(SIM_STATE_NATIVE), "native");
    assert_string_equal(sim_trace_state_name(SIM_STATE_COUNT), "?");
}

static void
segments_follow_wait_take_drop_sequence(void **state)
{
    struct sim_trace *t = new_trace(1, 64, 0);
    struct sim_trace_buf *b = add(t, "w", 0, 0);
    struct sim_segment *s;
    size_t n;

    (void)state;
    ev(b, 0, SIM_EV_THREAD_START, 0);
    ev(b, 10, SIM_EV_GIL_WAIT, 0);
    ev(b, 20, SIM_EV_GIL_TAKE, 0);
    ev(b, 30, SIM_EV_STEP_BEGIN, SIM_STEP_FETCH);
    ev(b, 50, SIM_EV_GIL_DROP, SIM_DROP_IO);
    ev(b, 80, SIM_EV_GIL_TAKE, 0);
    ev(b, 85, SIM_EV_STEP_END, SIM_STEP_FETCH);
    ev(b, 90, SIM_EV_GIL_DROP, SIM_DROP_EXIT);
    ev(b, 100, SIM_EV_THREAD_END, 0);
    assert_int_equal(sim_trace_segments(t, &s, &n), 0);
    assert_int_equal(n, 6);
    check_seg(&s[0], 0, SIM_STATE_IDLE, 0, 10);
    check_seg(&s[1], 0, SIM_STATE_WAITING, 10, 20);
    check_seg(&s[2], 0, SIM_STATE_RUNNING, 20, 50);
    check_seg(&s[3], 0, SIM_STATE_IO, 50, 80);
    check_seg(&s[4], 0, SIM_STATE_RUNNING, 80, 90);
    check_seg(&s[5], 0, SIM_STATE_IDLE, 90, 100);
    free(s);
    sim_trace_free(t);
}

/* Inside a native step a drop for I/O is native: the thread runs C code
 * without the GIL; after the step, a drop for I/O is io again. */
static void
native_step_is_its_own_state(void **state)
{
    struct sim_trace *t = new_trace(1, 64, 0);
    struct sim_trace_buf *b = add(t, "w", 0, 0);
    struct sim_segment *s;
    size_t n;

    (void)state;
    ev(b, 0, SIM_EV_THREAD_START, 0);
    ev(b, 10, SIM_EV_GIL_TAKE, 0);
    ev(b, 20, SIM_EV_STEP_BEGIN, SIM_STEP_NATIVE);
    ev(b, 21, SIM_EV_GIL_DROP, SIM_DROP_IO);
    ev(b, 60, SIM_EV_GIL_TAKE, 0);
    ev(b, 61, SIM_EV_STEP_END, SIM_STEP_NATIVE);
    ev(b, 70, SIM_EV_STEP_BEGIN, SIM_STEP_SLEEP);
    ev(b, 71, SIM_EV_GIL_DROP, SIM_DROP_IO);
    ev(b, 90, SIM_EV_GIL_TAKE, 0);
    ev(b, 91, SIM_EV_STEP_END, SIM_STEP_SLEEP);
    ev(b, 95, SIM_EV_GIL_DROP, SIM_DROP_EXIT);
    ev(b, 100, SIM_EV_THREAD_END, 0);
    assert_int_equal(sim_trace_segments(t, &s, &n), 0);
    assert_int_equal(n, 7);
    check_seg(&s[0], 0, SIM_STATE_IDLE, 0, 10);
    check_seg(&s[1], 0, SIM_STATE_RUNNING, 10, 21);
    check_seg(&s[2], 0, SIM_STATE_NATIVE, 21, 60);
    check_seg(&s[3], 0, SIM_STATE_RUNNING, 60, 71);
    check_seg(&s[4], 0, SIM_STATE_IO, 71, 90);
    check_seg(&s[5], 0, SIM_STATE_RUNNING, 90, 95);
    check_seg(&s[6], 0, SIM_STATE_IDLE, 95, 100);
    free(s);
    sim_trace_free(t);
}

/* Inside a lock step a drop for I/O is lock: the thread is blocked on a
 * threading.Lock without the GIL. */
static void
lock_step_wait_is_its_own_state(void **state)
{
    struct sim_trace *t = new_trace(1, 64, 0);
    struct sim_trace_buf *b = add(t, "w", 0, 0);
    struct sim_segment *s;
    size_t n;

    (void)state;
    ev(b, 0, SIM_EV_THREAD_START, 0);
    ev(b, 10, SIM_EV_GIL_TAKE, 0);
    ev(b, 20, SIM_EV_STEP_BEGIN, SIM_STEP_LOCK);
    ev(b, 21, SIM_EV_GIL_DROP, SIM_DROP_IO);
    ev(b, 60, SIM_EV_GIL_TAKE, 0);
    ev(b, 61, SIM_EV_STEP_END, SIM_STEP_LOCK);
    ev(b, 70, SIM_EV_GIL_DROP, SIM_DROP_EXIT);
    ev(b, 80, SIM_EV_THREAD_END, 0);
    assert_int_equal(sim_trace_segments(t, &s, &n), 0);
    assert_int_equal(n, 5);
    check_seg(&s[2], 0, SIM_STATE_LOCK, 21, 60);
    assert_string_equal(sim_trace_state_name(SIM_STATE_LOCK), "lock");
    assert_string_equal(sim_trace_step_name(SIM_STEP_LOCK), "lock");
    assert_string_equal(sim_trace_step_name(SIM_STEP_UNLOCK), "unlock");
    free(s);
    sim_trace_free(t);
}

static void
step_ev(struct sim_trace_buf *b, int64_t t_ns, enum sim_ev kind, int step,
        int32_t task)
{
    sim_trace_record(b, t_ns, kind, step, 0, task, 0);
}

static void
check_step(const struct sim_segment *s, uint32_t thread, enum sim_step k,
           int64_t begin, int64_t end)
{
    assert_int_equal(s->thread, thread);
    assert_string_equal(sim_trace_step_name((enum sim_step)s->state),
                        sim_trace_step_name(k));
    assert_int_equal(s->begin_ns, begin);
    assert_int_equal(s->end_ns, end);
}

/* A thread's step segments: one step after another on a worker; on an
 * event loop's thread, with fetches of two tasks in flight and a cpu
 * step between, the step begun last of those open; an END whose BEGIN
 * the trace lost changes nothing; a step still open at the buffer's end
 * ends at its last event. */
static void
step_segments_follow_the_step_begun_last(void **state)
{
    struct sim_trace *t = new_trace(2, 64, 0);
    struct sim_trace_buf *w = add(t, "worker", 0, 0);
    struct sim_trace_buf *l = add(t, "loop", 1, 1);
    struct sim_segment *s;
    size_t n;

    (void)state;
    step_ev(w, 0, SIM_EV_STEP_END, SIM_STEP_CPU, 9); /* lost its BEGIN */
    step_ev(w, 10, SIM_EV_STEP_BEGIN, SIM_STEP_FETCH, 0);
    step_ev(w, 30, SIM_EV_STEP_END, SIM_STEP_FETCH, 0);
    step_ev(w, 30, SIM_EV_STEP_BEGIN, SIM_STEP_CPU, 0);
    step_ev(w, 40, SIM_EV_STEP_END, SIM_STEP_CPU, 0);
    step_ev(w, 50, SIM_EV_STEP_BEGIN, SIM_STEP_SLEEP, 1);
    step_ev(w, 55, SIM_EV_STEP_END, SIM_STEP_SLEEP, 1);
    step_ev(w, 55, SIM_EV_STEP_BEGIN, SIM_STEP_SLEEP, 1);
    step_ev(w, 60, SIM_EV_STEP_END, SIM_STEP_SLEEP, 1);
    step_ev(l, 0, SIM_EV_STEP_BEGIN, SIM_STEP_FETCH, 1);
    step_ev(l, 5, SIM_EV_STEP_BEGIN, SIM_STEP_FETCH, 2);
    step_ev(l, 20, SIM_EV_STEP_END, SIM_STEP_FETCH, 1);
    step_ev(l, 20, SIM_EV_STEP_BEGIN, SIM_STEP_CPU, 1);
    step_ev(l, 28, SIM_EV_STEP_END, SIM_STEP_CPU, 1);
    step_ev(l, 40, SIM_EV_STEP_END, SIM_STEP_FETCH, 2);
    step_ev(l, 45, SIM_EV_STEP_BEGIN, SIM_STEP_WRITE, 3);
    step_ev(l, 70, SIM_EV_GIL_TAKE, 0, -1);
    assert_int_equal(sim_trace_step_segments(t, &s, &n), 0);
    assert_int_equal(n, 7);
    check_step(&s[0], 0, SIM_STEP_FETCH, 10, 30);
    check_step(&s[1], 0, SIM_STEP_CPU, 30, 40);
    check_step(&s[2], 0, SIM_STEP_SLEEP, 50, 60); /* merged */
    check_step(&s[3], 1, SIM_STEP_FETCH, 0, 20);
    check_step(&s[4], 1, SIM_STEP_CPU, 20, 28);
    check_step(&s[5], 1, SIM_STEP_FETCH, 28, 40); /* task 2's, in flight */
    check_step(&s[6], 1, SIM_STEP_WRITE, 45, 70);
    free(s);
    sim_trace_free(t);
}

static void
forced_drop_starts_a_waiting_segment(void **state)
{
    struct sim_trace *t = new_trace(1, 64, 0);
    struct sim_trace_buf *b = add(t, "w", 0, 0);
    struct sim_segment *s;
    size_t n;

    (void)state;
    ev(b, 0, SIM_EV_THREAD_START, 0);
    ev(b, 0, SIM_EV_GIL_TAKE, 0);
    ev(b, 30, SIM_EV_GIL_DROP, SIM_DROP_FORCED);
    ev(b, 30, SIM_EV_GIL_WAIT, 0);
    ev(b, 40, SIM_EV_GIL_DROP_REQUEST, 0);
    ev(b, 60, SIM_EV_GIL_TAKE, 0);
    ev(b, 70, SIM_EV_THREAD_END, 0);
    assert_int_equal(sim_trace_segments(t, &s, &n), 0);
    /* The zero-length idle at 0 is omitted; the wait after the forced drop
     * continues the drop's waiting segment. */
    assert_int_equal(n, 3);
    check_seg(&s[0], 0, SIM_STATE_RUNNING, 0, 30);
    check_seg(&s[1], 0, SIM_STATE_WAITING, 30, 60);
    check_seg(&s[2], 0, SIM_STATE_RUNNING, 60, 70);
    free(s);
    sim_trace_free(t);
}

static void
zero_length_segment_between_equal_states_is_merged_away(void **state)
{
    struct sim_trace *t = new_trace(1, 64, 0);
    struct sim_trace_buf *b = add(t, "w", 0, 0);
    struct sim_segment *s;
    size_t n;

    (void)state;
    ev(b, 10, SIM_EV_GIL_WAIT, 0);
    ev(b, 20, SIM_EV_GIL_TAKE, 0);
    ev(b, 20, SIM_EV_GIL_DROP, SIM_DROP_YIELD);
    ev(b, 40, SIM_EV_GIL_TAKE, 0);
    ev(b, 50, SIM_EV_THREAD_END, 0);
    assert_int_equal(sim_trace_segments(t, &s, &n), 0);
    assert_int_equal(n, 2);
    check_seg(&s[0], 0, SIM_STATE_WAITING, 10, 40);
    check_seg(&s[1], 0, SIM_STATE_RUNNING, 40, 50);
    free(s);
    sim_trace_free(t);
}

static void
trace_without_thread_end_closes_at_last_event(void **state)
{
    struct sim_trace *t = new_trace(1, 64, 0);
    struct sim_trace_buf *b = add(t, "w", 0, 0);
    struct sim_segment *s;
    size_t n;

    (void)state;
    ev(b, 0, SIM_EV_THREAD_START, 0);
    ev(b, 5, SIM_EV_GIL_TAKE, 0);
    ev(b, 6, SIM_EV_STEP_BEGIN, SIM_STEP_CPU);
    ev(b, 9, (enum sim_ev)200, 0); /* unknown kind: ignored */
    ev(b, 25, SIM_EV_STEP_END, SIM_STEP_CPU);
    assert_int_equal(sim_trace_segments(t, &s, &n), 0);
    assert_int_equal(n, 2);
    check_seg(&s[0], 0, SIM_STATE_IDLE, 0, 5);
    check_seg(&s[1], 0, SIM_STATE_RUNNING, 5, 25);
    free(s);
    sim_trace_free(t);
}

static void
segments_are_ordered_by_thread_then_time(void **state)
{
    struct sim_trace *t = new_trace(2, 64, 0);
    struct sim_trace_buf *a = add(t, "a", 0, 0);
    struct sim_trace_buf *b = add(t, "b", 0, 0);
    struct sim_segment *s;
    size_t n;

    (void)state;
    ev(b, 0, SIM_EV_THREAD_START, 0);
    ev(a, 1, SIM_EV_THREAD_START, 0);
    ev(b, 2, SIM_EV_GIL_TAKE, 0);
    ev(a, 3, SIM_EV_GIL_WAIT, 0);
    ev(b, 4, SIM_EV_THREAD_END, 0);
    ev(a, 5, SIM_EV_THREAD_END, 0);
    assert_int_equal(sim_trace_segments(t, &s, &n), 0);
    assert_int_equal(n, 4);
    check_seg(&s[0], 0, SIM_STATE_IDLE, 1, 3);
    check_seg(&s[1], 0, SIM_STATE_WAITING, 3, 5);
    check_seg(&s[2], 1, SIM_STATE_IDLE, 0, 2);
    check_seg(&s[3], 1, SIM_STATE_RUNNING, 2, 4);
    free(s);
    sim_trace_free(t);
}

static void
full_buffer_counts_lost_events(void **state)
{
    struct sim_trace *t = new_trace(1, 16, 0);
    struct sim_trace_buf *b = add(t, "w", 0, 0);
    struct sim_trace_stats st;
    int i;

    (void)state;
    for (i = 0; i < 20; i++) {
        ev(b, i, SIM_EV_GIL_WAIT, 0);
    }
    assert_int_equal(b->n, 16);
    assert_int_equal(b->lost, 4);
    assert_int_equal(sim_trace_stats(t, &st), 0);
    assert_int_equal(st.events, 16);
    assert_int_equal(st.events_lost, 4);
    assert_int_equal(st.waits, 16);
    sim_trace_free(t);
}

static void
stats_count_events_and_step_outcomes(void **state)
{
    struct sim_trace *t = new_trace(1, 64, 0);
    struct sim_trace_buf *b = add(t, "w", 0, 0);
    struct sim_trace_stats st;

    (void)state;
    ev(b, 0, SIM_EV_THREAD_START, 0);
    sim_trace_record(b, 1, SIM_EV_TASK_BEGIN, 0, 0, 7, 0);
    sim_trace_record(b, 1, SIM_EV_GIL_TAKE, 0, 0, 7, 1);
    sim_trace_record(b, 2, SIM_EV_STEP_END, SIM_STEP_CPU, SIM_OUT_OK, 7, 100);
    sim_trace_record(b, 3, SIM_EV_GIL_DROP, SIM_DROP_IO, 0, 7, 0);
    sim_trace_record(b, 5, SIM_EV_STEP_END, SIM_STEP_FETCH, SIM_OUT_TIMEOUT, 7,
                     0);
    sim_trace_record(b, 6, SIM_EV_STEP_END, SIM_STEP_FETCH, SIM_OUT_TIMEOUT, 7,
                     0);
    sim_trace_record(b, 7, SIM_EV_STEP_END, SIM_STEP_WRITE, SIM_OUT_IO, 7, 0);
    sim_trace_record(b, 8, SIM_EV_GIL_TAKE, 0, 0, 7, 0);
    sim_trace_record(b, 9, SIM_EV_TASK_END, 0, SIM_OUT_TIMEOUT, 7, 0);
    ev(b, 9, SIM_EV_GIL_DROP, SIM_DROP_EXIT);
    ev(b, 10, SIM_EV_THREAD_END, 0);
    assert_int_equal(sim_trace_stats(t, &st), 0);
    assert_int_equal(st.events, 12);
    assert_int_equal(st.takes, 2);
    assert_int_equal(st.switches, 1);
    assert_int_equal(st.drops, 2);
    assert_int_equal(st.forced_switches, 0);
    assert_int_equal(st.tasks, 1);
    assert_int_equal(st.steps_ok, 1);
    assert_int_equal(st.steps_failed, 3);
    assert_int_equal(st.steps_failed_by[SIM_OUT_TIMEOUT], 2);
    assert_int_equal(st.steps_failed_by[SIM_OUT_IO], 1);
    assert_int_equal(st.steps_failed_by[SIM_OUT_OK], 0);
    assert_int_equal(st.idle_ns, 1 + 1);
    assert_int_equal(st.hold_ns, 2 + 1);
    assert_int_equal(st.io_ns, 5);
    assert_int_equal(st.wait_ns, 0);
    assert_int_equal(st.handoffs, 0);
    sim_trace_free(t);
}

static void
handoff_counts_only_takes_by_waiting_threads_after_another_drop(void **state)
{
    struct sim_trace *t = new_trace(2, 64, 0);
    struct sim_trace_buf *a = add(t, "a", 0, 0);
    struct sim_trace_buf *b = add(t, "b", 0, 0);
    struct sim_trace_stats st;

    (void)state;
    ev(a, 0, SIM_EV_GIL_TAKE, 0);
    ev(b, 1, SIM_EV_GIL_WAIT, 0);
    ev(b, 5, SIM_EV_GIL_DROP_REQUEST, 0);
    ev(a, 6, SIM_EV_GIL_DROP, SIM_DROP_FORCED);
    ev(a, 6, SIM_EV_GIL_WAIT, 0);
    ev(b, 8, SIM_EV_GIL_TAKE, 0); /* hand-off: 2 */
    ev(b, 20, SIM_EV_GIL_DROP, SIM_DROP_IO);
    ev(a, 23, SIM_EV_GIL_TAKE, 0); /* hand-off: 3 */
    ev(a, 30, SIM_EV_GIL_DROP, SIM_DROP_IO);
    ev(a, 40, SIM_EV_GIL_TAKE, 0); /* same thread, no wait: none */
    ev(a, 50, SIM_EV_GIL_DROP, SIM_DROP_IO);
    ev(b, 57, SIM_EV_GIL_TAKE, 0); /* b was not waiting: none */
    assert_int_equal(sim_trace_stats(t, &st), 0);
    assert_int_equal(st.handoffs, 2);
    assert_int_equal(st.handoff_p50_ns, 2);
    assert_int_equal(st.handoff_p99_ns, 3);
    assert_int_equal(st.handoff_max_ns, 3);
    assert_int_equal(st.forced_switches, 1);
    assert_int_equal(st.drop_requests, 1);
    sim_trace_free(t);
}

static void
handoff_at_the_same_nanosecond_follows_the_drop(void **state)
{
    struct sim_trace *t = new_trace(2, 64, 0);
    struct sim_trace_buf *a = add(t, "a", 0, 0);
    struct sim_trace_buf *b = add(t, "b", 0, 0);
    struct sim_trace_stats st;

    (void)state;
    /* a (thread 0) takes at the very nanosecond b (thread 1) drops. */
    ev(b, 0, SIM_EV_GIL_TAKE, 0);
    ev(a, 1, SIM_EV_GIL_WAIT, 0);
    ev(a, 9, SIM_EV_GIL_TAKE, 0);
    ev(b, 9, SIM_EV_GIL_DROP, SIM_DROP_FORCED);
    assert_int_equal(sim_trace_stats(t, &st), 0);
    assert_int_equal(st.handoffs, 1);
    assert_int_equal(st.handoff_max_ns, 0);
    sim_trace_free(t);
}

static void
handoff_percentiles_use_nearest_rank(void **state)
{
    struct sim_trace *t = new_trace(2, 512, 0);
    struct sim_trace_buf *bufs[2];
    struct sim_trace_stats st;
    int holder = 0;
    int i;

    (void)state;
    bufs[0] = add(t, "a", 0, 0);
    bufs[1] = add(t, "b", 0, 0);
    ev(bufs[0], 0, SIM_EV_GIL_TAKE, 0);
    ev(bufs[1], 1, SIM_EV_GIL_WAIT, 0);
    /* Latencies 100, 99, ..., 1: the order must not matter. */
    for (i = 1; i <= 100; i++) {
        int64_t drop = INT64_C(1000) * i;
        ev(bufs[holder], drop, SIM_EV_GIL_DROP, SIM_DROP_FORCED);
        ev(bufs[holder], drop, SIM_EV_GIL_WAIT, 0);
        ev(bufs[1 - holder], drop + 101 - i, SIM_EV_GIL_TAKE, 0);
        holder = 1 - holder;
    }
    assert_int_equal(sim_trace_stats(t, &st), 0);
    assert_int_equal(st.handoffs, 100);
    assert_int_equal(st.handoff_p50_ns, 50);
    assert_int_equal(st.handoff_p99_ns, 99);
    assert_int_equal(st.handoff_max_ns, 100);
    assert_int_equal(st.takes, 101);
    assert_int_equal(st.forced_switches, 100);
    sim_trace_free(t);
}

static void
handoffs_are_per_gil(void **state)
{
    struct sim_trace *t = new_trace(2, 64, 0);
    struct sim_trace_buf *a = add(t, "a", 1, 1);
    struct sim_trace_buf *b = add(t, "b", 2, 2);
    struct sim_trace_stats st;

    (void)state;
    /* Two processes, one GIL each: b's take follows a's drop in time but
     * not on the same GIL. */
    ev(a, 0, SIM_EV_GIL_TAKE, 0);
    ev(b, 1, SIM_EV_GIL_WAIT, 0);
    ev(a, 2, SIM_EV_GIL_DROP, SIM_DROP_IO);
    ev(b, 3, SIM_EV_GIL_TAKE, 0);
    assert_int_equal(sim_trace_stats(t, &st), 0);
    assert_int_equal(st.handoffs, 0);
    assert_int_equal(st.handoff_p50_ns, 0);
    sim_trace_free(t);
}

static struct sim_trace *
two_thread_trace(void)
{
    struct sim_trace *t = new_trace(2, 64, 0);
    struct sim_trace_buf *a = add(t, "main", 0, 0);
    struct sim_trace_buf *b = add(t, "worker\t1\n", 0, 0);

    sim_trace_set_origin_ns(t, 1000);
    ev(a, 1000, SIM_EV_THREAD_START, 0);
    ev(a, 1000, SIM_EV_GIL_TAKE, 0);
    ev(b, 1000, SIM_EV_THREAD_START, 0);
    ev(b, 1002, SIM_EV_GIL_WAIT, 0);
    sim_trace_record(a, 1003, SIM_EV_STEP_BEGIN, SIM_STEP_CPU, 0, 4, 0);
    ev(b, 1500, SIM_EV_GIL_DROP_REQUEST, 0);
    sim_trace_record(a, 1501, SIM_EV_STEP_END, SIM_STEP_CPU, SIM_OUT_HTTP, 4,
                     9);
    ev(a, 1501, SIM_EV_GIL_DROP, SIM_DROP_FORCED);
    ev(a, 1501, SIM_EV_GIL_WAIT, 0);
    ev(b, 1510, SIM_EV_GIL_TAKE, 0);
    ev(b, 2000, SIM_EV_GIL_DROP, SIM_DROP_EXIT);
    ev(b, 2000, SIM_EV_THREAD_END, 0);
    ev(a, 2004, SIM_EV_GIL_TAKE, 0);
    ev(a, 2100, SIM_EV_THREAD_END, 0);
    return t;
}

static void
tsv_has_header_and_one_line_per_event_in_time_order(void **state)
{
    struct sim_trace *t = two_thread_trace();
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    long long prev = -1;
    char *line, *save = NULL;
    size_t lines = 0;

    (void)state;
    assert_non_null(f);
    assert_int_equal(sim_trace_write_tsv(t, f), 0);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(strncmp(buf,
                             "t_ns\tthread\tprocess\tgil\tthread_name\tevent"
                             "\tdetail\toutcome\ttask\targ\n",
                             62),
                     0);
    assert_int_equal(count_lines(buf), 1 + 14);
    /* Ties at t=0 keep thread order; thread 0's own order is kept. */
    assert_non_null(strstr(buf,
                           "\n0\t0\t0\t0\tmain\tthread_start\t-\t-\t-1\t0\n"
                           "0\t0\t0\t0\tmain\tgil_take\t-\t-\t-1\t0\n"
                           "0\t1\t0\t0\tworker 1 \tthread_start\t"));
    assert_non_null(
        strstr(buf, "\n501\t0\t0\t0\tmain\tstep_end\tcpu\thttp\t4\t9\n"));
    assert_non_null(strstr(buf, "\tgil_drop\tforced\t-\t"));
    for (line = strtok_r(buf, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        size_t tabs = 0;
        const char *p;

        for (p = line; *p != '\0'; p++) {
            tabs += *p == '\t';
        }
        assert_int_equal(tabs, 9);
        if (lines++ > 0) {
            long long ts = strtoll(line, NULL, 10);
            assert_true(ts >= prev);
            prev = ts;
        }
    }
    free(buf);
    sim_trace_free(t);
}

/* Fetch latency pairs each thread's fetch STEP_BEGIN with its STEP_END,
 * failed fetches included, other steps ignored. */
static void
fetch_latency_pairs_begin_and_end_per_thread(void **state)
{
    struct sim_trace *t = new_trace(2, 64, 0);
    struct sim_trace_buf *a = add(t, "io", 0, 0);
    struct sim_trace_buf *b = add(t, "cpu", 0, 0);
    struct sim_trace_stats st;

    (void)state;
    ev(a, 0, SIM_EV_THREAD_START, 0);
    ev(a, 100, SIM_EV_STEP_BEGIN, SIM_STEP_FETCH);
    ev(b, 120, SIM_EV_STEP_BEGIN, SIM_STEP_CPU);
    ev(a, 350, SIM_EV_STEP_END, SIM_STEP_FETCH);
    ev(a, 400, SIM_EV_STEP_BEGIN, SIM_STEP_FETCH);
    sim_trace_record(a, 500, SIM_EV_STEP_END, SIM_STEP_FETCH, SIM_OUT_TIMEOUT,
                     NONE, 0);
    ev(b, 5000, SIM_EV_STEP_END, SIM_STEP_CPU);
    ev(a, 600, SIM_EV_THREAD_END, 0);
    assert_int_equal(sim_trace_stats(t, &st), 0);
    assert_int_equal(st.fetches, 2);
    assert_int_equal(st.fetch_p50_ns, 100);
    assert_int_equal(st.fetch_p99_ns, 250);
    assert_int_equal(st.fetch_max_ns, 250);
    assert_int_equal(st.steps_failed_by[SIM_OUT_TIMEOUT], 1);
    sim_trace_free(t);
}

/* An event-loop thread has fetches of several tasks open at once: each
 * end closes the begin of its own task. */
static void
fetch_latency_pairs_by_task_on_one_thread(void **state)
{
    struct sim_trace *t = new_trace(1, 64, 0);
    struct sim_trace_buf *a = add(t, "loop", 0, 0);
    struct sim_trace_stats st;

    (void)state;
    sim_trace_record(a, 100, SIM_EV_STEP_BEGIN, SIM_STEP_FETCH, 0, 1, 0);
    sim_trace_record(a, 110, SIM_EV_STEP_BEGIN, SIM_STEP_FETCH, 0, 2, 0);
    sim_trace_record(a, 120, SIM_EV_STEP_BEGIN, SIM_STEP_FETCH, 0, 3, 0);
    sim_trace_record(a, 310, SIM_EV_STEP_END, SIM_STEP_FETCH, 0, 2, 0);
    sim_trace_record(a, 1100, SIM_EV_STEP_END, SIM_STEP_FETCH, 0, 1, 0);
    sim_trace_record(a, 1120, SIM_EV_STEP_END, SIM_STEP_FETCH, 0, 3, 0);
    assert_int_equal(sim_trace_stats(t, &st), 0);
    assert_int_equal(st.fetches, 3);
    assert_int_equal(st.fetch_p50_ns, 1000); /* 200, 1000, 1000 */
    assert_int_equal(st.fetch_max_ns, 1000);
    sim_trace_free(t);
}

static void
json_is_well_formed_and_escapes_the_title(void **state)
{
    struct sim_trace *t = two_thread_trace();
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    (void)state;
    assert_non_null(f);
    assert_int_equal(
        sim_trace_write_json(t, "run \"a\" \\ 5ms\n\x01\xff end", f), 0);
    assert_int_equal(fclose(f), 0);
    assert_true(json_well_formed(buf));
    assert_non_null(strstr(
        buf, "\"title\":\"run \\\"a\\\" \\\\ 5ms\\n\\u0001\\ufffd end\""));
    assert_non_null(strstr(buf, "\"displayTimeUnit\":\"ms\""));
    assert_non_null(strstr(buf, "\"args\":{\"name\":\"gilsim\"}"));
    assert_non_null(strstr(buf, "\"args\":{\"name\":\"worker\\t1\\n\"}"));
    /* Two tracks a thread: states and instants on 2k, steps on 2k+1. */
    assert_int_equal(count_substr(buf, "\"name\":\"thread_sort_index\""), 4);
    assert_non_null(strstr(buf, "\"tid\":1,\"name\":\"thread_name\","
                                "\"args\":{\"name\":\"main steps\"}"));
    assert_int_equal(count_substr(buf, "\"name\":\"drop request\""), 1);
    assert_int_equal(count_substr(buf, "\"name\":\"forced switch\""), 1);
    /* main: running 0-501, waiting 501-1004, running 1004-1100; worker:
     * idle 0-2, waiting 2-510, running 510-1000. */
    assert_int_equal(count_substr(buf, "\"cat\":\"state\""), 6);
    assert_non_null(strstr(buf, "{\"ph\":\"X\",\"pid\":0,\"tid\":0,"
                                "\"name\":\"waiting\",\"cat\":\"state\","
                                "\"ts\":0.501,\"dur\":0.503}"));
    assert_non_null(strstr(buf, "{\"ph\":\"X\",\"pid\":0,\"tid\":1,"
                                "\"name\":\"cpu\",\"cat\":\"step\","
                                "\"ts\":0.003,\"dur\":0.498,\"args\":"
                                "{\"task\":4,\"outcome\":\"http\","
                                "\"code\":9}}"));
    free(buf);
    sim_trace_free(t);
}

static void
json_names_worker_processes(void **state)
{
    struct sim_trace *t = new_trace(3, 16, 0);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    (void)state;
    add(t, "main", 0, 0);
    add(t, "w1", 1, 1);
    add(t, "w1b", 1, 1);
    assert_int_equal(sim_trace_write_json(t, NULL, f), 0);
    assert_int_equal(fclose(f), 0);
    assert_true(json_well_formed(buf));
    assert_int_equal(count_substr(buf, "\"name\":\"process_name\""), 2);
    assert_non_null(strstr(buf, "\"pid\":1,\"tid\":0,\"name\":\"process_name\","
                                "\"args\":{\"name\":\"worker-1\"}"));
    free(buf);
    sim_trace_free(t);
}

static void
fail_text_of_test(int outcome, int64_t code, char *buf, size_t len)
{
    (void)snprintf(buf, len, "outcome %d \"code\" %lld", outcome,
                   (long long)code);
}

/* A failed step's slice carries its code and, with a fail_text function,
 * its words (escaped); a step that went well carries neither; stats
 * keep the earliest failure's code per outcome. */
static void
json_and_stats_say_why_a_step_failed(void **state)
{
    struct sim_trace *t = new_trace(1, 16, 0);
    struct sim_trace_buf *b = add(t, "main", 0, 0);
    struct sim_trace_stats st;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    (void)state;
    sim_trace_record(b, 10, SIM_EV_STEP_BEGIN, SIM_STEP_FETCH, 0, 1, 0);
    sim_trace_record(b, 20, SIM_EV_STEP_END, SIM_STEP_FETCH, SIM_OUT_OK, 1,
                     4096);
    sim_trace_record(b, 30, SIM_EV_STEP_BEGIN, SIM_STEP_FETCH, 0, 2, 0);
    sim_trace_record(b, 40, SIM_EV_STEP_END, SIM_STEP_FETCH, SIM_OUT_HTTP, 2,
                     503);
    sim_trace_record(b, 50, SIM_EV_STEP_BEGIN, SIM_STEP_FETCH, 0, 3, 0);
    sim_trace_record(b, 60, SIM_EV_STEP_END, SIM_STEP_FETCH, SIM_OUT_HTTP, 3,
                     500);
    sim_trace_set_fail_text(t, fail_text_of_test);
    assert_int_equal(sim_trace_write_json(t, NULL, f), 0);
    assert_int_equal(fclose(f), 0);
    assert_true(json_well_formed(buf));
    assert_int_equal(count_substr(buf, "\"code\":"), 2);
    assert_non_null(strstr(buf, "\"outcome\":\"http\",\"code\":503,"
                                "\"error\":\"outcome 4 \\\"code\\\" 503\"}"));
    assert_non_null(strstr(buf, "\"outcome\":\"ok\"}"));
    free(buf);
    assert_int_equal(sim_trace_stats(t, &st), 0);
    assert_int_equal(st.steps_failed_by[SIM_OUT_HTTP], 2);
    assert_int_equal(st.fail_code[SIM_OUT_HTTP], 503);
    assert_int_equal(st.fail_first_ns[SIM_OUT_HTTP], 40);
    sim_trace_free(t);
}

/* head keeps each thread's first N events, ring its last N (moved to the
 * front, in order); both count what they cut and say from when (ring) or
 * until when (head) every thread is in the files. A thread with fewer
 * events keeps them all. */
static void
keep_cuts_to_the_first_or_the_last_events(void **state)
{
    int mode;

    (void)state;
    for (mode = 0; mode < 2; mode++) {
        struct sim_trace *t = new_trace(2, 64, 0);
        struct sim_trace_buf *a = add(t, "a", 0, 0);
        struct sim_trace_buf *b = add(t, "b", 0, 0);
        struct sim_trace_cut cut;
        int64_t i;

        for (i = 0; i < 40; i++) {
            sim_trace_record(a, 100 + i, SIM_EV_GIL_WAIT, 0, 0, -1, i);
        }
        for (i = 0; i < 20; i++) {
            sim_trace_record(b, 200 + i, SIM_EV_GIL_WAIT, 0, 0, -1, i);
        }
        sim_trace_keep(t, (enum sim_trace_keep)mode, 30, &cut);
        assert_int_equal(cut.events, 10);
        assert_int_equal(a->n, 30);
        assert_int_equal(b->n, 20);
        if (mode == SIM_TRACE_KEEP_HEAD) {
            assert_int_equal(a->ev[0].arg, 0);
            assert_int_equal(a->ev[29].arg, 29);
            assert_int_equal(cut.complete_to_ns, 129);
            assert_true(cut.complete_from_ns == INT64_MIN);
        } else {
            assert_int_equal(a->ev[0].arg, 10);
            assert_int_equal(a->ev[29].arg, 39);
            assert_int_equal(cut.complete_from_ns, 110);
            assert_true(cut.complete_to_ns == INT64_MAX);
        }
        assert_int_equal(b->ev[0].arg, 0); /* not cut: as it was */
        sim_trace_free(t);
    }
}

static void
empty_trace_gives_no_segments_and_valid_output(void **state)
{
    struct sim_trace *t = new_trace(1, 16, 0);
    struct sim_trace_stats st;
    struct sim_segment *s = NULL;
    size_t n = 1;
    char *buf = NULL;
    size_t len = 0;
    FILE *f;

    (void)state;
    assert_int_equal(sim_trace_segments(t, &s, &n), 0);
    assert_int_equal(n, 0);
    free(s);
    assert_int_equal(sim_trace_stats(t, &st), 0);
    assert_int_equal(st.events, 0);
    f = open_memstream(&buf, &len);
    assert_int_equal(sim_trace_write_json(t, "empty", f), 0);
    assert_int_equal(sim_trace_write_tsv(t, f), 0);
    assert_int_equal(fclose(f), 0);
    assert_non_null(strstr(buf, "{\"traceEvents\":[\n],"));
    free(buf);
    sim_trace_free(t);
}

static void
summary_has_every_key_and_only_nonzero_failures(void **state)
{
    struct sim_trace *t = two_thread_trace();
    struct sim_trace_summary runs[2];
    static const char *const keys[] = {
        "\"format\": \"gilsim-summary\"",
        "\"format_version\": 1",
        "\"gilsim_version\": \"0.1.0\"",
        "\"command\": \"gilsim \\\"x\\\"\"",
        "\"runs\": [",
        "\"model\": \"threads\"",
        "\"policy\": \"new\"",
        "\"workload\": \"seed\"",
        "\"threads\": 5",
        "\"processes\": 1",
        "\"switch_interval_ns\": 5000000",
        "\"check_every\": 100",
        "\"instr_ns\": 12.5",
        "\"repeat\": 3",
        "\"wall_ns\": 1100",
        "\"wall_ns_min\": 1000",
        "\"wall_ns_max\": 1200",
        "\"cpu_ns\": 900",
        "\"gil_hold_ns\": 1087",
        "\"gil_wait_ns\": 1011",
        "\"io_ns\": 0",
        "\"idle_ns\": 2",
        "\"takes\": 3",
        "\"drops\": 2",
        "\"waits\": 2",
        "\"switches\": 0",
        "\"forced_switches\": 1",
        "\"drop_requests\": 1",
        "\"handoffs\": 2",
        "\"handoff_ns\": {\"p50\": 4, \"p99\": 9, \"max\": 9}",
        "\"steps_ok\": 0",
        "\"steps_failed\": 1",
        "\"steps_failed_by\": {\"http\": 1}",
        "\"events\": 14",
        "\"events_lost\": 0",
    };
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    size_t i;

    (void)state;
    memset(runs, 0, sizeof(runs));
    snprintf(runs[0].model, sizeof(runs[0].model), "%s", "threads");
    snprintf(runs[0].policy, sizeof(runs[0].policy), "%s", "new");
    snprintf(runs[0].workload, sizeof(runs[0].workload), "%s", "seed");
    runs[0].threads = 5;
    runs[0].processes = 1;
    runs[0].switch_interval_ns = 5000000;
    runs[0].check_every = 100;
    runs[0].instr_ns = 12.5;
    runs[0].repeat = 3;
    runs[0].wall_ns = 1100;
    runs[0].wall_ns_min = 1000;
    runs[0].wall_ns_max = 1200;
    runs[0].cpu_ns = 900;
    assert_int_equal(sim_trace_stats(t, &runs[0].stats), 0);
    snprintf(runs[1].model, sizeof(runs[1].model), "%s", "serial");
    assert_int_equal(
        sim_trace_write_summary_json(runs, 2, "0.1.0", "gilsim \"x\"", f), 0);
    assert_int_equal(fclose(f), 0);
    assert_true(json_well_formed(buf));
    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (strstr(buf, keys[i]) == NULL) {
            fail_msg("missing %s in\n%s", keys[i], buf);
        }
    }
    assert_int_equal(count_substr(buf, "\"model\": "), 2);
    assert_non_null(strstr(buf, "\"steps_failed_by\": {}"));
    free(buf);
    sim_trace_free(t);
}

static void
shared_trace_survives_a_forked_child_recording(void **state)
{
    struct sim_trace *t = new_trace(4, 1024, 1);
    struct sim_trace_buf *parent = add(t, "main", 0, 0);
    const struct sim_trace_buf *b;
    pid_t pid;
    int status = 0;

    (void)state;
    ev(parent, 1, SIM_EV_THREAD_START, 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct sim_trace_buf *c = NULL;
        int i;

        /* The child claims its buffer after the fork: the count of claimed
         * buffers must be shared too. */
        if (sim_trace_add_thread(t, "worker-1", 1, 1, &c) != 0) {
            _exit(1);
        }
        for (i = 0; i < 100; i++) {
            ev(c, 10 + i, SIM_EV_GIL_TAKE, 0);
        }
        _exit(0);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(sim_trace_thread_count(t), 2);
    b = sim_trace_thread(t, 1);
    assert_string_equal(b->name, "worker-1");
    assert_int_equal(b->process, 1);
    assert_int_equal(b->n, 100);
    assert_int_equal(b->ev[99].t_ns, 109);
    assert_int_equal(b->ev[99].kind, SIM_EV_GIL_TAKE);
    sim_trace_free(t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(new_rejects_bad_config),
        cmocka_unit_test(
            add_thread_fails_with_enospc_when_all_buffers_are_taken),
        cmocka_unit_test(long_thread_name_is_truncated_at_a_character_boundary),
        cmocka_unit_test(names_of_unknown_values_are_question_marks),
        cmocka_unit_test(segments_follow_wait_take_drop_sequence),
        cmocka_unit_test(native_step_is_its_own_state),
        cmocka_unit_test(lock_step_wait_is_its_own_state),
        cmocka_unit_test(step_segments_follow_the_step_begun_last),
        cmocka_unit_test(forced_drop_starts_a_waiting_segment),
        cmocka_unit_test(
            zero_length_segment_between_equal_states_is_merged_away),
        cmocka_unit_test(trace_without_thread_end_closes_at_last_event),
        cmocka_unit_test(segments_are_ordered_by_thread_then_time),
        cmocka_unit_test(full_buffer_counts_lost_events),
        cmocka_unit_test(stats_count_events_and_step_outcomes),
        cmocka_unit_test(
            handoff_counts_only_takes_by_waiting_threads_after_another_drop),
        cmocka_unit_test(handoff_at_the_same_nanosecond_follows_the_drop),
        cmocka_unit_test(handoff_percentiles_use_nearest_rank),
        cmocka_unit_test(handoffs_are_per_gil),
        cmocka_unit_test(tsv_has_header_and_one_line_per_event_in_time_order),
        cmocka_unit_test(fetch_latency_pairs_begin_and_end_per_thread),
        cmocka_unit_test(fetch_latency_pairs_by_task_on_one_thread),
        cmocka_unit_test(json_is_well_formed_and_escapes_the_title),
        cmocka_unit_test(json_names_worker_processes),
        cmocka_unit_test(json_and_stats_say_why_a_step_failed),
        cmocka_unit_test(keep_cuts_to_the_first_or_the_last_events),
        cmocka_unit_test(empty_trace_gives_no_segments_and_valid_output),
        cmocka_unit_test(summary_has_every_key_and_only_nonzero_failures),
        cmocka_unit_test(shared_trace_survives_a_forked_child_recording),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
