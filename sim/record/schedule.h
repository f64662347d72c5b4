/*
 * schedule.h - placing a recorded thread's Python inside its windows so
 * that no two threads of one process hold the GIL at once (schedule.c).
 */
#ifndef GILSIM_RECORD_SCHEDULE_H
#define GILSIM_RECORD_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

/* One stretch of Python between two blocking calls of one thread. */
struct rec_window {
    int64_t s, e;    /* its start and end, s <= e */
    int64_t c;       /* the thread's CPU in it, 0 <= c <= e - s */
    uint32_t thread; /* whose (an index the caller gives; unused here) */
    uint32_t first;  /* its pieces: out->v[first .. first + count) */
    uint32_t count;
};

/* A part of a window in which its thread holds the GIL. */
struct rec_piece {
    int64_t from, to;
    uint32_t window; /* index in the windows given */
};

struct rec_pieces {
    struct rec_piece *v; /* malloc'd; by window, then time */
    size_t n, cap;
};

/* Schedule one process's windows w[0..n): fills *out (free out->v) and
 * each window's first and count; *overlap_ns is the CPU no schedule
 * could place without overlap (left out: spent without the GIL). 0 or
 * -ENOMEM. */
int rec_schedule(struct rec_window *w, size_t n, struct rec_pieces *out,
                 int64_t *overlap_ns);

#endif
