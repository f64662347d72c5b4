/*
 * trace_check.c - the shared GIL-invariant walker of the model tests; see
 * trace_check.h.
 */
#include "trace_check.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

struct seg {
    int64_t begin, end;
};

static int
cmp_seg(const void *a, const void *b)
{
    const struct seg *x = a;
    const struct seg *y = b;

    return (x->begin > y->begin) - (x->begin < y->begin);
}

void
trace_check_gil(const struct sim_trace *t, int exclusive,
                const struct trace_check_hook *hook, struct trace_gil_counts *c)
{
    size_t nthreads = sim_trace_thread_count(t);
    size_t cap = 0;
    size_t nseg = 0;
    struct seg *segs;
    size_t i;
    uint64_t k;

    memset(c, 0, sizeof(*c));
    for (i = 0; i < nthreads; i++) {
        cap += sim_trace_thread(t, i)->n;
    }
    segs = calloc(cap + 1, sizeof(*segs));
    assert_non_null(segs);
    for (i = 0; i < nthreads; i++) {
        const struct sim_trace_buf *b = sim_trace_thread(t, i);
        int holding = 0;
        int64_t since = 0;

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
                if (holding) {
                    fail_msg("thread %zu: TAKE while holding (event %llu)", i,
                             (unsigned long long)k);
                }
                holding = 1;
                since = e->t_ns;
                c->takes++;
                c->switches += e->arg == 1;
                break;
            case SIM_EV_GIL_DROP:
                if (!holding) {
                    fail_msg("thread %zu: DROP without TAKE (event %llu)", i,
                             (unsigned long long)k);
                }
                holding = 0;
                segs[nseg].begin = since;
                segs[nseg].end = e->t_ns;
                nseg++;
                c->drops++;
                c->forced += e->detail == SIM_DROP_FORCED;
                break;
            case SIM_EV_GIL_WAIT:
                assert_false(holding);
                c->waits++;
                break;
            case SIM_EV_GIL_DROP_REQUEST:
                assert_false(holding);
                c->drop_requests++;
                break;
            default:
                break;
            }
            if (hook != NULL && hook->on_event != NULL) {
                hook->on_event(hook->ctx, i, e, holding);
            }
        }
        assert_false(holding);
    }
    if (exclusive) {
        qsort(segs, nseg, sizeof(*segs), cmp_seg);
        for (i = 1; i < nseg; i++) {
            if (segs[i].begin < segs[i - 1].end) {
                fail_msg("running segments overlap: [%lld, %lld] and "
                         "[%lld, %lld]",
                         (long long)segs[i - 1].begin,
                         (long long)segs[i - 1].end, (long long)segs[i].begin,
                         (long long)segs[i].end);
            }
        }
    }
    free(segs);
}

void
trace_fetch_span(const struct sim_trace_buf *b, int64_t *last_begin,
                 int64_t *first_end)
{
    uint64_t k;

    *last_begin = -1;
    *first_end = -1;
    for (k = 0; k < b->n; k++) {
        const struct sim_trace_event *e = &b->ev[k];

        if (e->detail != SIM_STEP_FETCH) {
            continue;
        }
        if (e->kind == SIM_EV_STEP_BEGIN) {
            *last_begin = e->t_ns;
        } else if (e->kind == SIM_EV_STEP_END && *first_end < 0) {
            *first_end = e->t_ns;
        }
    }
}
