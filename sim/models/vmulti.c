/*
 * vmulti.c - the event loop's I/O in virtual time: what workloads/multi.c
 * (libevent + libcurl's multi interface) does for the loop model, with the
 * same hooks, but every fetch, timer and wake-up an engine event.
 *
 * A fetch follows the choreography of workloads/fetch_gil.c as
 * wl_multi's fetches do (no GIL moves of its own: the turn holds it): it
 * pays request_instructions on the loop thread under the GIL, then becomes a
 * series of arrivals in a heap ordered by (time, sequence): its chunks, the
 * first sim_vt__reply_ns() after the request went out and each next one a
 * transfer time later
 * (--bandwidth),
 * and, for a page the server fails, the failure instead: a 500 when the
 * reply would come, a close half-way through the body, a stall until
 * --timeout. A sleep is one arrival at its end.
 *
 * A request goes out when the loop next turns, not when it is submitted:
 * libcurl's multi interface starts a transfer added with
 * curl_multi_add_handle only when the loop hands it control
 * (socket_action from the loop's timer), as asyncio starts aiohttp's
 * connection only when the submitting task awaits and the loop runs. So
 * the loop's tasks that submit one fetch each all send together, at the
 * next sim_vmulti__run_once(), after each has paid its request's work.
 * (Found with bench_virtual: virtual time sent the seed's 25 requests
 * 0.53 ms apart, each as its task submitted it; its fetches took 150.7
 * ms p50 against 166 ms in real time, now 157.6 ms. Of the rest, ~3 ms
 * is the real server, one thread, generating the 25 pages due at once
 * one after another, 113 us each, which the virtual server does not
 * queue; the other ~5 ms are not found.)
 *
 * sim_vmulti__run_once() is one turn of the loop: it releases the GIL,
 * blocks in the engine until the earliest arrival (a wake-up's latency
 * later, as epoll_wait returning for a socket; a timer's slack for a
 * sleep) or until sim_vmulti__wake(), takes the GIL back, and runs the
 * hooks of everything that is due: `woken` first, then each arrival in
 * order. A chunk costs chunk_instructions under the GIL; the chunk that
 * completes a body calls `fetched` with WL_OK and a body that holds no
 * bytes: only its length matters in virtual time (decode and write cost
 * by length, and nothing is written). The loop model caps the tasks under
 * way at --connections, so no connection queue is modelled here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "models_internal.h"

#define VM_CHUNK_BYTES 8192

enum arrival_kind {
    ARR_CHUNK = 0, /* the next chunk of a fetch */
    ARR_FAIL = 1,  /* the fetch fails with its `fail` outcome */
    ARR_SLEEP = 2, /* a sleep ends */
};

struct vm_fetch {
    void *user;
    uint64_t body;  /* bytes that will arrive */
    uint64_t got;   /* bytes arrived so far */
    uint64_t total; /* the page's full size */
    enum wl_outcome fail;
    struct wl_fetch_gil gil; /* where it is in the choreography */
};

struct arrival {
    int64_t t;
    uint64_t seq;
    int kind;
    struct vm_fetch *f; /* ARR_CHUNK, ARR_FAIL */
    void *user;         /* ARR_SLEEP */
};

struct sim_vmulti {
    struct vt_engine *e;
    struct sim_model_thread *loop;
    struct wl_multi_hooks hooks;
    struct arrival *heap;
    size_t n, cap;
    /* Submitted since the last turn; `t` holds the time from the request
     * going out, made absolute when the loop turns. */
    struct arrival *pend;
    size_t n_pend, cap_pend;
    uint64_t seq;
    int woken; /* sim_vmulti__wake since the last turn */
    /* Each fetch's choreography (workloads/fetch_gil.c), as wl_multi's:
     * the request's and the chunks' work on the loop thread, no GIL
     * moves of its own (the turn holds it). */
    struct wl_fetch_ops fetch_ops;
    struct wl_fetch_costs fetch_costs;
};

static enum wl_outcome
loop_work(void *ctx, int64_t instructions)
{
    return sim_vt__work(ctx, instructions);
}

static int64_t
now(const struct sim_vmulti *m)
{
    return sim_model__now(m->loop);
}

static int
before(const struct arrival *a, const struct arrival *b)
{
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static int
push(struct sim_vmulti *m, struct arrival a)
{
    size_t i;

    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        struct arrival *h = realloc(m->heap, cap * sizeof(*h));

        if (h == NULL) {
            return -ENOMEM;
        }
        m->heap = h;
        m->cap = cap;
    }
    a.seq = m->seq++;
    for (i = m->n++; i > 0 && before(&a, &m->heap[(i - 1) / 2]);
         i = (i - 1) / 2) {
        m->heap[i] = m->heap[(i - 1) / 2];
    }
    m->heap[i] = a;
    return 0;
}

static struct arrival
pop(struct sim_vmulti *m)
{
    struct arrival top = m->heap[0];
    struct arrival last = m->heap[--m->n];
    size_t i = 0;

    for (;;) {
        size_t l = 2 * i + 1, c = l;

        if (l >= m->n) {
            break;
        }
        if (l + 1 < m->n && before(&m->heap[l + 1], &m->heap[l])) {
            c = l + 1;
        }
        if (!before(&m->heap[c], &last)) {
            break;
        }
        m->heap[i] = m->heap[c];
        i = c;
    }
    if (m->n > 0) {
        m->heap[i] = last;
    }
    return top;
}

int
sim_vmulti__new(struct vt_engine *e, struct sim_model_thread *loop,
                const struct wl_multi_hooks *hooks, struct sim_vmulti **out)
{
    struct sim_vmulti *m;

    if (e == NULL || loop == NULL || loop->vio == NULL || hooks == NULL ||
        out == NULL) {
        return -EINVAL;
    }
    m = calloc(1, sizeof(*m));
    if (m == NULL) {
        return -ENOMEM;
    }
    m->e = e;
    m->loop = loop;
    m->hooks = *hooks;
    m->fetch_ops.work = loop_work;
    m->fetch_ops.ctx = loop;
    m->fetch_costs.request_instructions = loop->vio->request_instructions;
    m->fetch_costs.chunk_instructions = loop->vio->chunk_instructions;
    m->fetch_costs.recv = loop->vio->recv;
    *out = m;
    return 0;
}

void
sim_vmulti__free(struct sim_vmulti *m)
{
    size_t i;

    if (m == NULL) {
        return;
    }
    /* Fetches under way are freed with their last arrival. */
    for (i = 0; i < m->n; i++) {
        struct vm_fetch *f = m->heap[i].f;

        if (f != NULL) {
            free(f);
        }
    }
    for (i = 0; i < m->n_pend; i++) {
        free(m->pend[i].f);
    }
    free(m->heap);
    free(m->pend);
    free(m);
}

enum wl_outcome
sim_vmulti__fetch(struct sim_vmulti *m, const struct wl_step *s, void *user)
{
    int64_t page = s->page;
    struct sim_vt_io own;
    const struct sim_vt_io *v = sim_vt__io_of(m->loop->vio, s, &own);
    struct wl_fetch_gil gil;
    struct vm_fetch *f;
    struct arrival a;
    enum wl_outcome o;
    int kind = 0;

    wl_fetch_gil_init(&gil, &m->fetch_ops, &m->fetch_costs);
    o = wl_fetch_gil_request(&gil);
    if (o != WL_OK) {
        return o;
    }
    f = calloc(1, sizeof(*f));
    if (f == NULL) {
        return WL_FAILED;
    }
    f->gil = gil;
    f->user = user;
    f->total = v->body_size;
    f->body = v->body_size;
    f->fail = WL_OK;
    memset(&a, 0, sizeof(a));
    a.f = f;
    a.t = sim_vt__reply_ns(v, page); /* from the send: see defer_flush() */
    a.kind = ARR_CHUNK;
    if (wl_server_page_fails(v->seed, v->fail_rate, page, &kind)) {
        if (kind == 1) {
            f->fail = WL_HTTP_ERROR;
            a.kind = ARR_FAIL;
        } else if (kind == 2) {
            /* Then the connection closes: libcurl's "partial file". */
            f->fail = WL_FAILED;
            f->body = v->body_size / 2;
        } else {
            f->fail = WL_TIMEOUT;
            a.kind = ARR_FAIL;
            a.t = v->timeout_ns;
        }
    }
    if (f->body == 0 && f->fail != WL_OK) {
        a.kind = ARR_FAIL; /* closed before the first byte */
    }
    if (m->n_pend == m->cap_pend) {
        size_t cap = m->cap_pend ? m->cap_pend * 2 : 16;
        struct arrival *p = realloc(m->pend, cap * sizeof(*p));

        if (p == NULL) {
            free(f);
            return WL_FAILED;
        }
        m->pend = p;
        m->cap_pend = cap;
    }
    m->pend[m->n_pend++] = a;
    return WL_OK;
}

/* The requests submitted since the last turn go out now: their arrivals
 * join the heap, timed from now, in the order they were submitted. 0, or
 * -ENOMEM (the fetches that did not fit fail at once). */
static int
defer_flush(struct sim_vmulti *m)
{
    int rc = 0;
    size_t i;

    for (i = 0; i < m->n_pend; i++) {
        struct arrival a = m->pend[i];

        a.t += now(m);
        if (push(m, a) != 0) {
            m->hooks.enter(m->hooks.ctx, a.f->user);
            m->hooks.fetched(m->hooks.ctx, a.f->user, WL_FAILED, NULL, 0);
            free(a.f);
            rc = -ENOMEM;
        }
    }
    m->n_pend = 0;
    return rc;
}

int
sim_vmulti__sleep(struct sim_vmulti *m, int64_t ns, void *user)
{
    struct arrival a;

    memset(&a, 0, sizeof(a));
    a.t = now(m) + (ns > 0 ? ns : 0);
    a.kind = ARR_SLEEP;
    a.user = user;
    return push(m, a);
}

void
sim_vmulti__wake(struct sim_vmulti *m)
{
    m->woken = 1;
    vt_wake(m->e, m, 0);
}

/* One arrival, on the loop thread with the GIL. */
static void
arrive(struct sim_vmulti *m, struct arrival a)
{
    const struct sim_vt_io *v = m->loop->vio;
    struct vm_fetch *f = a.f;

    if (a.kind == ARR_SLEEP) {
        m->hooks.enter(m->hooks.ctx, a.user);
        m->hooks.slept(m->hooks.ctx, a.user, WL_OK);
        return;
    }
    m->hooks.enter(m->hooks.ctx, f->user);
    if (a.kind == ARR_CHUNK && f->got < f->body) {
        uint64_t n = f->body - f->got;

        n = n < VM_CHUNK_BYTES ? n : VM_CHUNK_BYTES;
        f->got += n;
        (void)wl_fetch_gil_chunk(&f->gil, n);
        if (f->got < f->body) {
            a.t = now(m) + sim_vt__transfer_ns(v, VM_CHUNK_BYTES);
            if (push(m, a) == 0) {
                return;
            }
            f->fail = WL_FAILED;
        }
    }
    if (f->fail == WL_OK && f->got == f->total) {
        /* The body's bytes are not kept: its length is what counts. */
        char *body = malloc(1);

        if (body != NULL) {
            m->hooks.fetched(m->hooks.ctx, f->user, WL_OK, body,
                             (size_t)f->total);
            free(f);
            return;
        }
        f->fail = WL_FAILED;
    }
    if (f->fail == WL_OK) {
        f->fail = WL_FAILED;
    }
    m->hooks.fetched(m->hooks.ctx, f->user, f->fail, NULL,
                     (size_t)wl_failure_code_injected(f->fail));
    free(f);
}

int
sim_vmulti__run_once(struct sim_vmulti *m)
{
    struct sim_model_thread *mt = m->loop;
    const struct wl_env *env = &mt->env;

    (void)defer_flush(m);
    env->release(env->ctx);
    if (!m->woken) {
        if (m->n == 0) {
            (void)vt_block(mt->vt, m, -1);
        } else if (m->heap[0].t > now(m)) {
            (void)vt_block_until(mt->vt, m, m->heap[0].t - now(m),
                                 m->heap[0].kind == ARR_SLEEP ? VT_WAKE_TIMER
                                                              : VT_WAKE_IO);
        }
    }
    env->acquire(env->ctx);
    if (m->woken) {
        m->woken = 0;
        m->hooks.enter(m->hooks.ctx, NULL);
        m->hooks.woken(m->hooks.ctx);
    }
    while (m->n > 0 && m->heap[0].t <= now(m)) {
        arrive(m, pop(m));
    }
    return 0;
}
