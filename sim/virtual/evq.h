/*
 * evq.h - the engine's event queue (engine.c only): a 4-ary min-heap of
 * 16-byte entries ordered by (time, key).
 *
 * The engine packs an event's sequence number and its thread's index
 * into `key` (sequence number in the high bits), so the order is (time,
 * sequence number), as before, and unique: any correct heap pops the
 * same events in the same order. Small entries and four children to a
 * node keep a pop over 10 000 pending timers to a few cache lines: the
 * queue was most of a large run's time when each entry carried 40 bytes.
 */
#ifndef GILSIM_VT_EVQ_H
#define GILSIM_VT_EVQ_H

#include <stddef.h>
#include <stdint.h>

struct vt_ev {
    int64_t t;    /* virtual time, ns */
    uint64_t key; /* ties broken by key; unique among pending events */
};

struct vt_evq {
    struct vt_ev *a; /* a[0] is the earliest */
    size_t n, cap;
};

/* 0 or -ENOMEM. */
int vt__evq_push(struct vt_evq *q, int64_t t, uint64_t key);
/* 1 and the earliest event in *out, or 0 if the queue is empty. */
int vt__evq_pop(struct vt_evq *q, struct vt_ev *out);
void vt__evq_free(struct vt_evq *q);

#endif /* GILSIM_VT_EVQ_H */
