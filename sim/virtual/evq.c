/*
 * evq.c - the engine's event queue (see evq.h): a 4-ary min-heap, the
 * children of node i at 4i + 1 .. 4i + 4; push sifts up, pop moves the
 * last entry down from the root.
 */
#include "evq.h"

#include <errno.h>
#include <stdlib.h>

static int
before(const struct vt_ev *a, const struct vt_ev *b)
{
    return a->t < b->t || (a->t == b->t && a->key < b->key);
}

int
vt__evq_push(struct vt_evq *q, int64_t t, uint64_t key)
{
    struct vt_ev ev;
    size_t i;

    if (q->n == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 1024;
        struct vt_ev *a = realloc(q->a, cap * sizeof(*a));

        if (a == NULL) {
            return -ENOMEM;
        }
        q->a = a;
        q->cap = cap;
    }
    ev.t = t;
    ev.key = key;
    i = q->n++;
    while (i > 0) {
        size_t parent = (i - 1) / 4;

        if (!before(&ev, &q->a[parent])) {
            break;
        }
        q->a[i] = q->a[parent];
        i = parent;
    }
    q->a[i] = ev;
    return 0;
}

int
vt__evq_pop(struct vt_evq *q, struct vt_ev *out)
{
    struct vt_ev last;
    size_t i = 0;

    if (q->n == 0) {
        return 0;
    }
    *out = q->a[0];
    last = q->a[--q->n];
    for (;;) {
        size_t c = 4 * i + 1;
        size_t end = c + 4 < q->n ? c + 4 : q->n;
        size_t m = i;
        const struct vt_ev *best = &last;

        for (; c < end; c++) {
            if (before(&q->a[c], best)) {
                best = &q->a[c];
                m = c;
            }
        }
        if (m == i) {
            break;
        }
        q->a[i] = q->a[m];
        i = m;
    }
    if (q->n > 0) {
        q->a[i] = last;
    }
    return 1;
}

void
vt__evq_free(struct vt_evq *q)
{
    free(q->a);
    q->a = NULL;
    q->n = q->cap = 0;
}
