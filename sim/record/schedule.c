/*
 * schedule.c - where, inside each stretch of Python a recorded thread
 * ran, it held the GIL: one GIL per process, so no two threads of a
 * process may hold it at once.
 *
 * A window is one stretch between two blocking calls of one thread: from
 * s to e, with c ns of the thread's CPU in it (c <= e - s). The recording
 * says how much, not when. Each window is given pieces of [s, e) adding
 * up to c, as late as they can go (a thread back from I/O waits first,
 * then runs up to its next call), with no two pieces of a process
 * overlapping. It is list scheduling backwards in time: going back from
 * the latest end, the window that runs is, of those open at that moment
 * (e > t > s) with CPU left to place, the one that began latest (it
 * closes first going back: earliest-deadline-first, mirrored), so a
 * schedule is found whenever one exists. CPU that no schedule can place
 * (more CPU in the windows than the wall time they share: CPU used
 * without the GIL in C code the probe does not see, a new thread's start
 * before it takes the GIL, the GIL's own futex calls) cannot have been
 * spent holding the GIL: it gets no piece, and is counted in
 * *overlap_ns.
 *
 * A thread holds the GIL at its window's end whatever else it did: it
 * is in Python until its call lets the GIL go. So a window, when it
 * opens going back (at its end), first runs alone for up to END_HOLD_NS
 * of its CPU; then the rule above goes on. Without that, a window that
 * began earlier could be left with its last piece before its end, and
 * the thread would make its call while another held the GIL.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "schedule.h"

/* The least of a window's CPU placed right at its end: a call's way from
 * Python into C (the probe's wrapper included) takes about that. */
#define END_HOLD_NS INT64_C(1000)

/* Windows in the order of their ends, latest first. */
static int
by_end_desc(const void *a, const void *b)
{
    const struct rec_window *x = *(const struct rec_window *const *)a;
    const struct rec_window *y = *(const struct rec_window *const *)b;

    if (x->e != y->e) {
        return x->e > y->e ? -1 : 1;
    }
    return x->s > y->s ? -1 : x->s < y->s ? 1 : 0;
}

/* A max-heap of open windows by start. */
struct heap {
    struct rec_window **w;
    size_t n;
};

static void
heap_push(struct heap *h, struct rec_window *w)
{
    size_t i = h->n++;

    while (i > 0 && h->w[(i - 1) / 2]->s < w->s) {
        h->w[i] = h->w[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->w[i] = w;
}

static void
heap_pop(struct heap *h)
{
    struct rec_window *last = h->w[--h->n];
    size_t i = 0;

    for (;;) {
        size_t c = 2 * i + 1;

        if (c >= h->n) {
            break;
        }
        if (c + 1 < h->n && h->w[c + 1]->s > h->w[c]->s) {
            c++;
        }
        if (h->w[c]->s <= last->s) {
            break;
        }
        h->w[i] = h->w[c];
        i = c;
    }
    if (h->n > 0) {
        h->w[i] = last;
    }
}

static int
add_piece(struct rec_pieces *p, int64_t from, int64_t to, uint32_t window)
{
    if (p->n == p->cap) {
        size_t cap = p->cap == 0 ? 256 : 2 * p->cap;
        struct rec_piece *q = realloc(p->v, cap * sizeof(*q));

        if (q == NULL) {
            return -ENOMEM;
        }
        p->v = q;
        p->cap = cap;
    }
    p->v[p->n].from = from;
    p->v[p->n].to = to;
    p->v[p->n].window = window;
    p->n++;
    return 0;
}

/* Pieces by window, then time. */
static int
piece_cmp(const void *a, const void *b)
{
    const struct rec_piece *x = a, *y = b;

    if (x->window != y->window) {
        return x->window < y->window ? -1 : 1;
    }
    return x->from < y->from ? -1 : x->from > y->from ? 1 : 0;
}

/* The pieces in time order, those of one window that touch made one,
 * and each window's first piece and count. */
static void
pieces_finish(struct rec_pieces *out, struct rec_window *w, size_t n)
{
    size_t m = 0, i;

    if (out->n > 0) {
        qsort(out->v, out->n, sizeof(*out->v), piece_cmp);
    }
    for (i = 0; i < out->n; i++) {
        if (m > 0 && out->v[m - 1].window == out->v[i].window &&
            out->v[m - 1].to == out->v[i].from) {
            out->v[m - 1].to = out->v[i].to;
        } else {
            out->v[m++] = out->v[i];
        }
    }
    out->n = m;
    for (i = 0; i < n; i++) {
        w[i].first = 0;
        w[i].count = 0;
    }
    for (i = out->n; i > 0; i--) {
        struct rec_window *x = &w[out->v[i - 1].window];

        x->first = (uint32_t)(i - 1);
        x->count++;
    }
}

int
rec_schedule(struct rec_window *w, size_t n, struct rec_pieces *out,
             int64_t *overlap_ns)
{
    struct rec_window **order = malloc((n > 0 ? n : 1) * sizeof(*order));
    struct heap h = {malloc((n > 0 ? n : 1) * sizeof(*h.w)), 0};
    int64_t *left = malloc((n > 0 ? n : 1) * sizeof(*left));
    size_t next = 0, i;
    int64_t t;
    int rc = 0;

    *overlap_ns = 0;
    memset(out, 0, sizeof(*out));
    if (order == NULL || h.w == NULL || left == NULL) {
        rc = -ENOMEM;
        goto done;
    }
    for (i = 0; i < n; i++) {
        order[i] = &w[i];
        left[i] = w[i].c;
    }
    qsort(order, n, sizeof(*order), by_end_desc);
    t = n > 0 ? order[0]->e : 0;
    while (rc == 0 && (next < n || h.n > 0)) {
        struct rec_window *top, *fresh = NULL;
        size_t k;
        int64_t from, stop, most;

        while (h.n > 0 && left[h.w[0] - w] == 0) {
            heap_pop(&h); /* emptied by its end's hold */
        }
        if (h.n == 0 && next < n && order[next]->e < t) {
            t = order[next]->e; /* nothing open: jump back to the next end */
        }
        while (next < n && order[next]->e >= t) {
            if (left[order[next] - w] > 0) {
                heap_push(&h, order[next]);
                if (order[next]->e == t && order[next]->s < t &&
                    (fresh == NULL || order[next]->s > fresh->s)) {
                    fresh = order[next];
                }
            }
            next++;
        }
        if (h.n == 0) {
            continue;
        }
        top = fresh != NULL ? fresh : h.w[0];
        k = (size_t)(top - w);
        if (top->s >= t) {
            /* Closed with CPU left: no schedule places it. */
            heap_pop(&h);
            *overlap_ns += left[k];
            left[k] = 0;
            continue;
        }
        /* Run it back to its start, the end of its CPU (or of its end's
         * hold), or the next window's end (which may open one that began
         * later). */
        most = left[k];
        if (fresh != NULL && most > END_HOLD_NS) {
            most = END_HOLD_NS;
        }
        stop = t - most;
        if (top->s > stop) {
            stop = top->s;
        }
        if (next < n && order[next]->e > stop && order[next]->e < t) {
            stop = order[next]->e;
        }
        from = stop;
        rc = add_piece(out, from, t, (uint32_t)k);
        left[k] -= t - from;
        t = from;
    }
    if (rc == 0) {
        pieces_finish(out, w, n);
    }
done:
    free(order);
    free(h.w);
    free(left);
    if (rc != 0) {
        free(out->v);
        memset(out, 0, sizeof(*out));
    }
    return rc;
}
