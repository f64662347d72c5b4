/*
 * trace.c - the trace recorder: one memory map that holds every thread's
 * event buffer, the claiming of buffers, the names of the enums, and the
 * time-ordered merge of all threads' events that the readers share.
 *
 * sim_trace_new() maps a single anonymous region laid out as
 *
 *     struct sim_trace | struct sim_trace_buf[max_threads] | events
 *
 * with MAP_NORESERVE, so capacity that is never written costs no memory,
 * and with MAP_SHARED when the config asks for it, so a fork()ed worker
 * records into pages its parent sees. Because the handle itself lives at
 * the start of the map, the count of claimed buffers is shared too: a
 * worker may claim a buffer after the fork and the parent finds it after
 * waitpid(). The count is a C11 atomic, so threads (and processes, where
 * 32-bit atomics are lock-free) may claim buffers concurrently.
 *
 * Recording itself is sim_trace_record() in trace.h: no lock, no
 * allocation, no system call. Everything else here runs after the
 * recorders have stopped.
 */

/* MAP_ANONYMOUS and MAP_NORESERVE are not POSIX; glibc shows them only
 * with _DEFAULT_SOURCE (or _GNU_SOURCE), which CMake does not define. */
#define _DEFAULT_SOURCE /* NOLINT(bugprone-reserved-identifier) */

#include "trace.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "trace_internal.h"

/* Keeps each part of the map on its own cache line. */
#define ALIGN_TO 64u

struct sim_trace {
    size_t map_len;                   /* bytes mapped, this struct included */
    uint32_t max_threads;             /* buffers reserved */
    atomic_uint nthreads;             /* buffers claimed; shared after fork() */
    int64_t origin_ns;                /* t = 0 in writers */
    struct sim_trace_buf *bufs;       /* max_threads headers, inside the map */
    sim_trace_fail_text_fn fail_text; /* or NULL */
};

static size_t
round_up(size_t n)
{
    return (n + ALIGN_TO - 1) / ALIGN_TO * ALIGN_TO;
}

int
sim_trace_new(const struct sim_trace_config *cfg, struct sim_trace **out)
{
    struct sim_trace *t;
    size_t head_len, bufs_len, ev_len, len;
    unsigned char *base;
    struct sim_trace_event *ev;
    int flags;
    uint32_t i;

    if (cfg == NULL || out == NULL || cfg->max_threads < 1 ||
        cfg->events_per_thread < 16) {
        return -EINVAL;
    }
    head_len = round_up(sizeof(*t));
    bufs_len = round_up((size_t)cfg->max_threads * sizeof(t->bufs[0]));
    if (cfg->events_per_thread >
        (SIZE_MAX - head_len - bufs_len) / sizeof(*ev) / cfg->max_threads) {
        return -ENOMEM;
    }
    ev_len = (size_t)cfg->events_per_thread * cfg->max_threads * sizeof(*ev);
    len = head_len + bufs_len + ev_len;

    flags = MAP_ANONYMOUS | MAP_NORESERVE;
    flags |= cfg->shared ? MAP_SHARED : MAP_PRIVATE;
    base = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, -1, 0);
    if (base == MAP_FAILED) {
        return -ENOMEM;
    }

    /* An anonymous map is zero-filled, so only non-zero fields are set. */
    t = (struct sim_trace *)base;
    t->map_len = len;
    t->max_threads = cfg->max_threads;
    atomic_init(&t->nthreads, 0);
    t->origin_ns = cfg->origin_ns;
    t->bufs = (struct sim_trace_buf *)(base + head_len);
    ev = (struct sim_trace_event *)(base + head_len + bufs_len);
    for (i = 0; i < cfg->max_threads; i++) {
        t->bufs[i].ev = ev + (size_t)i * cfg->events_per_thread;
        t->bufs[i].cap = cfg->events_per_thread;
        t->bufs[i].id = (int32_t)i;
    }
    *out = t;
    return 0;
}

void
sim_trace_free(struct sim_trace *t)
{
    if (t == NULL) {
        return;
    }
    munmap(t, t->map_len);
}

/* Copies name into dst (dstlen bytes, NUL-terminated), cutting at a UTF-8
 * character boundary so a truncated name is still valid text. */
static void
copy_name(char *dst, size_t dstlen, const char *name)
{
    size_t len = strlen(name);
    size_t lead;

    if (len >= dstlen) {
        len = dstlen - 1;
        /* If the cut falls inside a multi-byte character, drop the
         * character's leading bytes too. */
        lead = len;
        while (lead > 0 && ((unsigned char)name[lead] & 0xC0) == 0x80) {
            lead--;
        }
        len = lead;
    }
    memcpy(dst, name, len);
    dst[len] = '\0';
}

int
sim_trace_add_thread(struct sim_trace *t, const char *name, int process,
                     int gil, struct sim_trace_buf **out)
{
    struct sim_trace_buf *b;
    unsigned int i;

    if (t == NULL || out == NULL) {
        return -EINVAL;
    }
    i = atomic_load(&t->nthreads);
    do {
        if (i >= t->max_threads) {
            return -ENOSPC;
        }
    } while (!atomic_compare_exchange_weak(&t->nthreads, &i, i + 1));

    b = &t->bufs[i];
    b->n = 0;
    b->lost = 0;
    b->process = process;
    b->gil = gil;
    if (name == NULL || name[0] == '\0') {
        snprintf(b->name, sizeof(b->name), "thread-%u", i);
    } else {
        copy_name(b->name, sizeof(b->name), name);
    }
    *out = b;
    return 0;
}

size_t
sim_trace_thread_count(const struct sim_trace *t)
{
    unsigned int n;

    if (t == NULL) {
        return 0;
    }
    /* atomic_load takes a pointer to non-const in C11. */
    n = atomic_load((atomic_uint *)&t->nthreads);
    return n < t->max_threads ? n : t->max_threads;
}

const struct sim_trace_buf *
sim_trace_thread(const struct sim_trace *t, size_t i)
{
    if (i >= sim_trace_thread_count(t)) {
        return NULL;
    }
    return &t->bufs[i];
}

struct sim_trace_buf *
sim_trace__thread_mut(struct sim_trace *t, size_t i)
{
    if (i >= sim_trace_thread_count(t)) {
        return NULL;
    }
    return &t->bufs[i];
}

int64_t
sim_trace_origin_ns(const struct sim_trace *t)
{
    return t == NULL ? 0 : t->origin_ns;
}

void
sim_trace_set_origin_ns(struct sim_trace *t, int64_t origin_ns)
{
    if (t != NULL) {
        t->origin_ns = origin_ns;
    }
}

void
sim_trace_set_fail_text(struct sim_trace *t, sim_trace_fail_text_fn fn)
{
    if (t != NULL) {
        t->fail_text = fn;
    }
}

sim_trace_fail_text_fn
sim_trace_fail_text(const struct sim_trace *t)
{
    return t != NULL ? t->fail_text : NULL;
}

int64_t
sim_trace_first_ns(const struct sim_trace *t)
{
    int64_t first = INT64_MAX;
    size_t i;

    /* A thread's events are recorded in time order: its first is its
     * earliest. */
    for (i = 0; i < sim_trace_thread_count(t); i++) {
        const struct sim_trace_buf *b = &t->bufs[i];

        if (b->n > 0 && b->ev[0].t_ns < first) {
            first = b->ev[0].t_ns;
        }
    }
    return first;
}

const char *
sim_trace_ev_name(enum sim_ev k)
{
    switch ((int)k) {
    case SIM_EV_THREAD_START:
        return "thread_start";
    case SIM_EV_THREAD_END:
        return "thread_end";
    case SIM_EV_TASK_BEGIN:
        return "task_begin";
    case SIM_EV_TASK_END:
        return "task_end";
    case SIM_EV_STEP_BEGIN:
        return "step_begin";
    case SIM_EV_STEP_END:
        return "step_end";
    case SIM_EV_GIL_WAIT:
        return "gil_wait";
    case SIM_EV_GIL_TAKE:
        return "gil_take";
    case SIM_EV_GIL_DROP:
        return "gil_drop";
    case SIM_EV_GIL_DROP_REQUEST:
        return "gil_drop_request";
    case SIM_EV_RESULT:
        return "result";
    default:
        return "?";
    }
}

const char *
sim_trace_drop_name(enum sim_drop d)
{
    switch ((int)d) {
    case SIM_DROP_IO:
        return "io";
    case SIM_DROP_FORCED:
        return "forced";
    case SIM_DROP_YIELD:
        return "yield";
    case SIM_DROP_EXIT:
        return "exit";
    case SIM_DROP_IDLE:
        return "idle";
    default:
        return "?";
    }
}

const char *
sim_trace_step_name(enum sim_step s)
{
    switch ((int)s) {
    case SIM_STEP_CPU:
        return "cpu";
    case SIM_STEP_SLEEP:
        return "sleep";
    case SIM_STEP_FETCH:
        return "fetch";
    case SIM_STEP_WRITE:
        return "write";
    case SIM_STEP_NATIVE:
        return "native";
    case SIM_STEP_LOCK:
        return "lock";
    case SIM_STEP_UNLOCK:
        return "unlock";
    case SIM_STEP_READ:
        return "read";
    case SIM_STEP_NET:
        return "net";
    case SIM_STEP_WAIT:
        return "wait";
    default:
        return "?";
    }
}

const char *
sim_trace_outcome_name(enum sim_outcome o)
{
    switch ((int)o) {
    case SIM_OUT_OK:
        return "ok";
    case SIM_OUT_FAILED:
        return "failed";
    case SIM_OUT_REFUSED:
        return "refused";
    case SIM_OUT_TIMEOUT:
        return "timeout";
    case SIM_OUT_HTTP:
        return "http";
    case SIM_OUT_IO:
        return "io";
    case SIM_OUT_ABORTED:
        return "aborted";
    default:
        return "?";
    }
}

const char *
sim_trace_state_name(enum sim_state s)
{
    switch ((int)s) {
    case SIM_STATE_IDLE:
        return "idle";
    case SIM_STATE_RUNNING:
        return "running";
    case SIM_STATE_WAITING:
        return "waiting";
    case SIM_STATE_IO:
        return "io";
    case SIM_STATE_NATIVE:
        return "native";
    case SIM_STATE_LOCK:
        return "lock";
    default:
        return "?";
    }
}

/* The merge: a binary min-heap of thread indices keyed by head event. */

static const struct sim_trace_event *
head(const struct sim_trace__merge *m, size_t thread)
{
    return &m->t->bufs[thread].ev[m->pos[thread]];
}

/* Moves thread's position to its next event of a selected kind; 0 when it
 * has none left. */
static int
skip_to_selected(struct sim_trace__merge *m, size_t thread)
{
    const struct sim_trace_buf *b = &m->t->bufs[thread];
    uint64_t n = b->n < b->cap ? b->n : b->cap;

    while (m->pos[thread] < n) {
        unsigned int kind = b->ev[m->pos[thread]].kind;
        if (kind < 32 && (m->kinds & (1u << kind)) != 0) {
            return 1;
        }
        m->pos[thread]++;
    }
    return 0;
}

/* 1 if thread a's head event comes before thread b's. */
static int
before(const struct sim_trace__merge *m, size_t a, size_t b)
{
    const struct sim_trace_event *ea = head(m, a);
    const struct sim_trace_event *eb = head(m, b);

    if (ea->t_ns != eb->t_ns) {
        return ea->t_ns < eb->t_ns;
    }
    if (m->drops_first) {
        int da = ea->kind == SIM_EV_GIL_DROP;
        int db = eb->kind == SIM_EV_GIL_DROP;
        if (da != db) {
            return da;
        }
    }
    return a < b;
}

static void
sift_down(struct sim_trace__merge *m, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1;
        size_t r = l + 1;
        size_t min = i;
        size_t tmp;

        if (l < m->nheap && before(m, m->heap[l], m->heap[min])) {
            min = l;
        }
        if (r < m->nheap && before(m, m->heap[r], m->heap[min])) {
            min = r;
        }
        if (min == i) {
            return;
        }
        tmp = m->heap[i];
        m->heap[i] = m->heap[min];
        m->heap[min] = tmp;
        i = min;
    }
}

int
sim_trace__merge_init(struct sim_trace__merge *m, const struct sim_trace *t,
                      uint32_t kinds, int drops_first)
{
    size_t n = sim_trace_thread_count(t);
    size_t i;

    memset(m, 0, sizeof(*m));
    m->t = t;
    m->kinds = kinds;
    m->drops_first = drops_first;
    if (n == 0) {
        return 0;
    }
    m->heap = malloc(n * sizeof(*m->heap));
    if (m->heap == NULL) {
        return -ENOMEM;
    }
    m->pos = calloc(n, sizeof(*m->pos));
    if (m->pos == NULL) {
        free(m->heap);
        m->heap = NULL;
        return -ENOMEM;
    }
    for (i = 0; i < n; i++) {
        if (skip_to_selected(m, i)) {
            m->heap[m->nheap++] = i;
        }
    }
    for (i = m->nheap / 2; i > 0; i--) {
        sift_down(m, i - 1);
    }
    return 0;
}

int
sim_trace__merge_next(struct sim_trace__merge *m, size_t *thread,
                      const struct sim_trace_event **ev)
{
    size_t top;

    if (m->nheap == 0) {
        return 0;
    }
    top = m->heap[0];
    *thread = top;
    *ev = head(m, top);
    m->pos[top]++;
    if (!skip_to_selected(m, top)) {
        m->heap[0] = m->heap[--m->nheap];
    }
    sift_down(m, 0);
    return 1;
}

void
sim_trace__merge_free(struct sim_trace__merge *m)
{
    free(m->heap);
    free(m->pos);
    m->heap = NULL;
    m->pos = NULL;
    m->nheap = 0;
}
