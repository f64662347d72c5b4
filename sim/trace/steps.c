/*
 * steps.c - each thread's step segments: which kind of step (cpu, fetch,
 * sleep, write, native, lock) it was inside, and when, for the timelines'
 * step strip.
 *
 * A thread's STEP_BEGIN and STEP_END events are walked in order. Most
 * threads run one step at a time; the event loop's thread has many open
 * at once (a fetch per task in flight) and runs a cpu step between them.
 * So the open steps are kept as a stack, an END removing its task's
 * entry wherever it is, and the thread is drawn in the kind of the step
 * begun last among those still open: the loop is "in a cpu step" while
 * it decodes, "in a fetch" while it waits with fetches in flight. A
 * segment ends where that kind changes; touching segments of one kind
 * are merged. An END with no open step (a trace cut before its BEGIN) is
 * ignored; steps still open at a thread's last event end there.
 */
#include "trace.h"
#include "trace_internal.h"

#include <errno.h>
#include <stdlib.h>

struct open_step {
    int32_t task;
    uint8_t kind;
};

static int
thread_steps(const struct sim_trace_buf *b, uint32_t thread,
             struct sim_segment *seg, size_t *n)
{
    uint64_t count = b->n < b->cap ? b->n : b->cap, i;
    struct open_step *stack = NULL;
    size_t depth = 0, cap = 0, k;
    int64_t since = 0, t = 0;

    for (i = 0; i < count; i++) {
        const struct sim_trace_event *e = &b->ev[i];

        if (e->kind != SIM_EV_STEP_BEGIN && e->kind != SIM_EV_STEP_END) {
            continue;
        }
        t = e->t_ns > since ? e->t_ns : since;
        if (depth > 0) {
            sim_trace__segment_emit(seg, n, thread, stack[depth - 1].kind,
                                    since, t);
        }
        since = t;
        if (e->kind == SIM_EV_STEP_BEGIN) {
            if (depth == cap) {
                size_t ncap = cap == 0 ? 8 : cap * 2;
                struct open_step *s = realloc(stack, ncap * sizeof(*s));

                if (s == NULL) {
                    free(stack);
                    return -ENOMEM;
                }
                stack = s;
                cap = ncap;
            }
            stack[depth].task = e->task;
            stack[depth].kind = e->detail;
            depth++;
            continue;
        }
        for (k = depth; k > 0 && stack[k - 1].task != e->task; k--) {
        }
        if (k > 0) {
            for (; k < depth; k++) {
                stack[k - 1] = stack[k];
            }
            depth--;
        }
    }
    if (depth > 0 && count > 0 && b->ev[count - 1].t_ns > since) {
        sim_trace__segment_emit(seg, n, thread, stack[depth - 1].kind, since,
                                b->ev[count - 1].t_ns);
    }
    free(stack);
    return 0;
}

int
sim_trace_step_segments(const struct sim_trace *t, struct sim_segment **out,
                        size_t *n)
{
    return sim_trace__segments_walk(t, thread_steps, out, n);
}
