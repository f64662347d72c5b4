/*
 * stats.c - the summary numbers of a trace: event counts, step outcomes,
 * time per state, and GIL hand-off latency.
 *
 * Counts come from one pass over each thread's events, and time per state
 * from the segments (segments.c). Hand-off latency needs the GIL events of
 * all threads in one order, so it walks the time-ordered merge of
 * trace_internal.h over GIL_WAIT, GIL_TAKE and GIL_DROP events, with ties
 * going to a drop (a take stamped at the same nanosecond as another
 * thread's drop followed it). The walk remembers, per thread, whether its
 * last GIL event was a GIL_WAIT, and per GIL, the last GIL_DROP. A
 * GIL_TAKE by a waiting thread whose GIL was last dropped by a different
 * thread is a hand-off, and its latency is take minus drop. Percentiles
 * are by nearest rank on the sorted latencies: the p-th is the value at
 * rank ceil(p * n / 100). The whole is O(n log n) in the number of events.
 *
 * Fetch latency pairs each thread's STEP_BEGIN and STEP_END of fetch
 * steps by task (an event-loop thread has many open at once) and takes
 * the same percentiles.
 */
#include "trace.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "trace_internal.h"

/* The last GIL_DROP on one GIL. */
struct gil_last_drop {
    int32_t gil;   /* the GIL's id (buf->gil) */
    int valid;     /* a drop has been seen */
    size_t thread; /* who dropped it */
    int64_t t_ns;  /* when */
};

static void
count_thread(const struct sim_trace_buf *b, struct sim_trace_stats *s)
{
    uint64_t n = b->n < b->cap ? b->n : b->cap;
    uint64_t i;

    s->events += n;
    s->events_lost += b->lost;
    for (i = 0; i < n; i++) {
        const struct sim_trace_event *e = &b->ev[i];

        switch (e->kind) {
        case SIM_EV_TASK_END:
            s->tasks++;
            break;
        case SIM_EV_STEP_END:
            if (e->outcome == SIM_OUT_OK) {
                s->steps_ok++;
            } else {
                /* An unknown outcome is still a failure. */
                int o =
                    e->outcome < SIM_OUT_COUNT ? e->outcome : SIM_OUT_FAILED;

                s->steps_failed++;
                if (s->steps_failed_by[o] == 0 ||
                    e->t_ns < s->fail_first_ns[o]) {
                    s->fail_first_ns[o] = e->t_ns;
                    s->fail_code[o] = e->arg;
                }
                s->steps_failed_by[o]++;
            }
            break;
        case SIM_EV_GIL_WAIT:
            s->waits++;
            break;
        case SIM_EV_GIL_TAKE:
            s->takes++;
            if (e->arg != 0) {
                s->switches++;
            }
            break;
        case SIM_EV_GIL_DROP:
            s->drops++;
            if (e->detail == SIM_DROP_FORCED) {
                s->forced_switches++;
            }
            break;
        case SIM_EV_GIL_DROP_REQUEST:
            s->drop_requests++;
            break;
        default:
            break;
        }
    }
}

static int
state_totals(const struct sim_trace *t, struct sim_trace_stats *s)
{
    struct sim_segment *seg;
    size_t n, i;
    int rc;

    rc = sim_trace_segments(t, &seg, &n);
    if (rc != 0) {
        return rc;
    }
    for (i = 0; i < n; i++) {
        int64_t d = seg[i].end_ns - seg[i].begin_ns;

        switch (seg[i].state) {
        case SIM_STATE_RUNNING:
            s->hold_ns += d;
            break;
        case SIM_STATE_WAITING:
            s->wait_ns += d;
            break;
        case SIM_STATE_IO:
        case SIM_STATE_NATIVE: /* the GIL released, as for I/O */
        case SIM_STATE_LOCK:
            s->io_ns += d;
            break;
        default:
            s->idle_ns += d;
            break;
        }
    }
    free(seg);
    return 0;
}

/* Nearest rank: the smallest sample with at least p% of them at or below
 * it. */
static int64_t
percentile(const int64_t *sorted, size_t n, unsigned int p)
{
    size_t rank;

    if (n == 0) {
        return 0;
    }
    rank = (n / 100) * p + ((n % 100) * p + 99) / 100;
    if (rank < 1) {
        rank = 1;
    }
    return sorted[rank - 1];
}

/* The slot of gil in drops[0..*ndrops), added if new. */
static struct gil_last_drop *
gil_slot(struct gil_last_drop *drops, size_t *ndrops, int32_t gil)
{
    size_t i;

    for (i = 0; i < *ndrops; i++) {
        if (drops[i].gil == gil) {
            return &drops[i];
        }
    }
    drops[*ndrops].gil = gil;
    drops[*ndrops].valid = 0;
    return &drops[(*ndrops)++];
}

static int
handoffs(const struct sim_trace *t, struct sim_trace_stats *s)
{
    size_t threads = sim_trace_thread_count(t);
    struct gil_last_drop *drops = NULL;
    struct gil_last_drop **slot = NULL;
    unsigned char *waiting = NULL;
    int64_t *lat = NULL;
    size_t nlat = 0, ndrops = 0, cap = 0, i, th;
    struct sim_trace__merge m;
    const struct sim_trace_event *e;
    int rc = -ENOMEM;

    if (threads == 0) {
        return 0;
    }
    /* One slot per distinct GIL, found once per thread; the scan is over
     * threads, not events, and there are few. */
    drops = calloc(threads, sizeof(*drops));
    slot = calloc(threads, sizeof(struct gil_last_drop *));
    waiting = calloc(threads, 1);
    if (drops == NULL || slot == NULL || waiting == NULL) {
        goto out;
    }
    for (i = 0; i < threads; i++) {
        slot[i] = gil_slot(drops, &ndrops, sim_trace_thread(t, i)->gil);
        cap += sim_trace_thread(t, i)->n;
    }
    /* At most one hand-off per take, and fewer than one per event. */
    cap = s->takes < cap ? (size_t)s->takes : cap;
    if (cap == 0) {
        rc = 0;
        goto out;
    }
    lat = malloc(cap * sizeof(*lat));
    if (lat == NULL) {
        goto out;
    }
    rc = sim_trace__merge_init(&m, t,
                               (1u << SIM_EV_GIL_WAIT) |
                                   (1u << SIM_EV_GIL_TAKE) |
                                   (1u << SIM_EV_GIL_DROP),
                               1);
    if (rc != 0) {
        goto out;
    }
    while (sim_trace__merge_next(&m, &th, &e)) {
        struct gil_last_drop *d = slot[th];

        switch (e->kind) {
        case SIM_EV_GIL_WAIT:
            waiting[th] = 1;
            break;
        case SIM_EV_GIL_TAKE:
            if (waiting[th] && d->valid && d->thread != th && nlat < cap) {
                lat[nlat++] = e->t_ns - d->t_ns;
            }
            waiting[th] = 0;
            break;
        default:
            waiting[th] = 0;
            d->valid = 1;
            d->thread = th;
            d->t_ns = e->t_ns;
            break;
        }
    }
    sim_trace__merge_free(&m);
    base_sort_i64(lat, nlat);
    s->handoffs = nlat;
    s->handoff_p50_ns = percentile(lat, nlat, 50);
    s->handoff_p99_ns = percentile(lat, nlat, 99);
    s->handoff_max_ns = nlat > 0 ? lat[nlat - 1] : 0;
    rc = 0;
out:
    free(lat);
    free(waiting);
    free(slot);
    free(drops);
    return rc;
}

/* A fetch event of one thread, for pairing begins with ends by task. */
struct fetch_ev {
    int32_t task;
    int begin; /* 1 for STEP_BEGIN, 0 for STEP_END */
    int64_t t_ns;
    uint64_t seq; /* position in the thread's buffer: keeps time order */
};

static int
cmp_fetch_ev(const void *a, const void *b)
{
    const struct fetch_ev *x = a;
    const struct fetch_ev *y = b;

    if (x->task != y->task) {
        return x->task < y->task ? -1 : 1;
    }
    return (x->seq > y->seq) - (x->seq < y->seq);
}

/* Durations of every fetch step of every thread, sorted, into *out (NULL
 * when there are none). An event-loop thread has many fetches open at
 * once, so a begin is paired with the next end of the same task on the
 * same thread, not with the next end of any task. */
static int
fetch_latencies(const struct sim_trace *t, int64_t **out, size_t *nout)
{
    size_t nthreads = sim_trace_thread_count(t);
    size_t cap = 0, maxev = 0, n = 0, i;
    struct fetch_ev *evs;
    int64_t *lat;

    for (i = 0; i < nthreads; i++) {
        const struct sim_trace_buf *b = sim_trace_thread(t, i);
        uint64_t ne = b->n < b->cap ? b->n : b->cap;
        size_t here = 0;
        uint64_t k;

        for (k = 0; k < ne; k++) {
            if ((b->ev[k].kind == SIM_EV_STEP_END ||
                 b->ev[k].kind == SIM_EV_STEP_BEGIN) &&
                b->ev[k].detail == SIM_STEP_FETCH) {
                here++;
                cap += b->ev[k].kind == SIM_EV_STEP_END;
            }
        }
        if (here > maxev) {
            maxev = here;
        }
    }
    *out = NULL;
    *nout = 0;
    if (cap == 0) {
        return 0;
    }
    lat = malloc(cap * sizeof(*lat));
    evs = malloc(maxev * sizeof(*evs));
    if (lat == NULL || evs == NULL) {
        free(lat);
        free(evs);
        return -ENOMEM;
    }
    for (i = 0; i < nthreads; i++) {
        const struct sim_trace_buf *b = sim_trace_thread(t, i);
        uint64_t ne = b->n < b->cap ? b->n : b->cap;
        size_t m = 0, j;
        uint64_t k;

        for (k = 0; k < ne; k++) {
            const struct sim_trace_event *e = &b->ev[k];

            if ((e->kind == SIM_EV_STEP_BEGIN || e->kind == SIM_EV_STEP_END) &&
                e->detail == SIM_STEP_FETCH) {
                evs[m].task = e->task;
                evs[m].begin = e->kind == SIM_EV_STEP_BEGIN;
                evs[m].t_ns = e->t_ns;
                evs[m].seq = k;
                m++;
            }
        }
        qsort(evs, m, sizeof(*evs), cmp_fetch_ev);
        for (j = 0; j + 1 < m; j++) {
            if (evs[j].begin && !evs[j + 1].begin &&
                evs[j].task == evs[j + 1].task) {
                int64_t d = evs[j + 1].t_ns - evs[j].t_ns;

                lat[n++] = d > 0 ? d : 0;
                j++;
            }
        }
    }
    free(evs);
    base_sort_i64(lat, n);
    *out = lat;
    *nout = n;
    return 0;
}

int
sim_trace_stats(const struct sim_trace *t, struct sim_trace_stats *out)
{
    struct sim_trace_stats s;
    size_t i, n;
    int rc;

    if (t == NULL || out == NULL) {
        return -EINVAL;
    }
    memset(&s, 0, sizeof(s));
    n = sim_trace_thread_count(t);
    for (i = 0; i < n; i++) {
        count_thread(sim_trace_thread(t, i), &s);
    }
    rc = state_totals(t, &s);
    if (rc != 0) {
        return rc;
    }
    rc = handoffs(t, &s);
    if (rc != 0) {
        return rc;
    }
    {
        int64_t *lat;
        size_t nlat;

        rc = fetch_latencies(t, &lat, &nlat);
        if (rc != 0) {
            return rc;
        }
        s.fetches = nlat;
        s.fetch_p50_ns = percentile(lat, nlat, 50);
        s.fetch_p99_ns = percentile(lat, nlat, 99);
        s.fetch_max_ns = nlat > 0 ? lat[nlat - 1] : 0;
        free(lat);
    }
    *out = s;
    return 0;
}
