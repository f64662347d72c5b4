/*
 * synth_resume.c - an asyncio loop's cold resumes, measured from its
 * recording as a window of Python at double cost after each wake-up: the
 * workload file's "cold_resume", and the hot CPU of its cpu steps.
 *
 * Python that runs right after its thread slept costs more CPU than the
 * same Python run hot: its caches, branch predictors and TLB were others'
 * meanwhile (bench/fidelity/cold_resume.py: http.client parsing a reply,
 * 24 us hot, 210 us after a 5 ms sleep, on the 2-core VM). An event loop
 * that waits on few tasks sleeps in select between replies, so many of
 * its steps run cold; one with many tasks at once rarely sleeps. The
 * extra does not stop at the first step after a wake-up: aiohttp's
 * api_fanout recorded at 4 tasks at once spent 760 us on a reply's digest
 * right after the loop woke, 540 and 480 us as the turn's third and later
 * steps, and 430 us at 64 tasks at once, where the loop never slept.
 *
 * The model (sim/models: cold_instructions) is the one the GIL's threads
 * have: after a wait of RESUME_COLD_NS or more, the next W of the
 * thread's Python costs double, across steps. Here W is fitted: walking
 * each loop thread's items in time order, a select of RESUME_COLD_NS or
 * more opens a window of W; a step of recorded CPU c inside it ran h hot,
 * where h = c / 2 while the window lasts (it takes h of it) and c less
 * the window's rest once it runs out. The right W makes a step's hot CPU
 * the same wherever it fell in its turn: for each place in a task (its
 * first step, its second, ...) the kept steps are grouped by their
 * position since the wake-up (first, second, later), and W minimizes the
 * spread of the groups' median hot CPU around their mean (each group of
 * MIN_SAMPLES or more, weighted by its size; a place needs two groups).
 * A coarse grid of GRID_NS up to the longest turn (at most
 * WINDOW_MAX_NS), then a fine one of FINE_NS around its best. W = 0
 * when no place compares or no window does better than none.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "synth.h"

#define RESUME_COLD_NS INT64_C(1000000)
#define MIN_SAMPLES    3
#define GRID_NS        INT64_C(20000)
#define FINE_NS        INT64_C(2000)
#define WINDOW_MAX_NS  INT64_C(20000000)
/* Positions since a wake-up: first, second, later. */
#define POSITIONS 3

/* One stretch of a loop thread's CPU, in time order: a step, or the
 * loop's own work before it (its CPU since the thread's last item ended:
 * the selector, callbacks, protocols' data_received); its CPU, whether a
 * wake-up came before it, and a step's item index and kept step's index
 * in the fit (-1: the loop's own, or a step of a task not kept; they
 * take their share of the window too). */
struct seq_step {
    int64_t cpu;
    int woke;
    long item;
    long kept;
};

/* A kept step: its place in its task, position since the wake-up, and
 * its hot CPU under the window being tried. */
struct kept_step {
    size_t place;
    int pos;
    int64_t hot;
};

struct fit {
    struct seq_step *seq;
    size_t n_seq;
    struct kept_step *kept, *sorted;
    size_t n_kept;
    int64_t longest_turn; /* most CPU between two wake-ups */
};

/* The hot CPU of each step under window w: into f->kept[].hot, and the
 * extra of each seq step into extra (may be NULL). */
static void
walk(struct fit *f, int64_t w, int64_t *extra)
{
    int64_t left = 0;
    size_t k;

    for (k = 0; k < f->n_seq; k++) {
        const struct seq_step *s = &f->seq[k];
        int64_t hot;

        if (s->woke) {
            left = w;
        }
        if (s->cpu <= 2 * left) {
            hot = s->cpu / 2;
            left -= hot;
        } else {
            hot = s->cpu - left;
            left = 0;
        }
        if (s->kept >= 0) {
            f->kept[s->kept].hot = hot;
        }
        if (extra != NULL) {
            extra[k] = s->cpu - hot;
        }
    }
}

static int
by_place_pos_hot(const void *a, const void *b)
{
    const struct kept_step *x = a, *y = b;

    if (x->place != y->place) {
        return x->place < y->place ? -1 : 1;
    }
    if (x->pos != y->pos) {
        return x->pos < y->pos ? -1 : 1;
    }
    return x->hot < y->hot ? -1 : x->hot > y->hot ? 1 : 0;
}

/* The spread of the groups' medians under window w (ns squared, summed
 * over the places that compare); *places their number. */
static double
spread(struct fit *f, int64_t w, size_t *places)
{
    struct kept_step *v = f->sorted;
    double sum = 0.0;
    size_t i, j, n = f->n_kept;

    walk(f, w, NULL);
    memcpy(v, f->kept, n * sizeof(*v));
    qsort(v, n, sizeof(*v), by_place_pos_hot);
    *places = 0;
    for (i = 0; i < n; i = j) {
        double med[POSITIONS], weight[POSITIONS], mean = 0.0, total = 0.0;
        int groups = 0, g;
        size_t a, b;

        for (j = i; j < n && v[j].place == v[i].place; j++) {
        }
        for (a = i; a < j; a = b) {
            for (b = a; b < j && v[b].pos == v[a].pos; b++) {
            }
            if (b - a >= MIN_SAMPLES) {
                med[groups] = (double)v[a + (b - a) / 2].hot;
                weight[groups] = (double)(b - a);
                mean += med[groups] * weight[groups];
                total += weight[groups];
                groups++;
            }
        }
        if (groups < 2) {
            continue;
        }
        mean /= total;
        for (g = 0; g < groups; g++) {
            sum += weight[g] * (med[g] - mean) * (med[g] - mean);
        }
        (*places)++;
    }
    return sum;
}

/* The best window of [lo, hi] in steps of `step`. */
static int64_t
best_window(struct fit *f, int64_t lo, int64_t hi, int64_t step, double *err)
{
    int64_t w, best = lo;
    size_t places;

    *err = spread(f, lo, &places);
    for (w = lo + step; w <= hi; w += step) {
        double e = spread(f, w, &places);

        if (e < *err) {
            *err = e;
            best = w;
        }
    }
    return best;
}

/* Thread th's steps appended to f in time order (room made by the
 * caller), its kept ones with their place and position. */
static int
add_thread(const struct rec *r, const struct rec_thread *th, struct fit *f,
           struct synth_resume *out)
{
    const struct rec_item **steps = malloc((th->n + 1) * sizeof(*steps));
    size_t *place = calloc(th->n + 1, sizeof(*place));
    size_t k, m = 0, since = 0;
    int64_t turn = 0, mark = th->n > 0 ? th->items[0].cpu0 : 0;
    int woke = 1; /* the thread's first step: its window opens */

    if (steps == NULL || place == NULL) {
        free(steps);
        free(place);
        return -ENOMEM;
    }
    for (k = 0; k < th->n; k++) {
        if (th->items[k].kind == REC_STEP) {
            steps[m++] = &th->items[k];
        }
    }
    /* A step's place in its task: steps by task, then time. */
    qsort(steps, m, sizeof(*steps), synth_step_cmp);
    for (k = 0; k < m; k++) {
        place[steps[k] - th->items] =
            k > 0 && steps[k - 1]->pool == steps[k]->pool &&
                    steps[k - 1]->task == steps[k]->task
                ? place[steps[k - 1] - th->items] + 1
                : 0;
    }
    for (k = 0; k < th->n; k++) {
        const struct rec_item *it = &th->items[k];
        struct seq_step *s;

        if (it->cpu0 > mark && k > 0) {
            /* The loop's own CPU since its last item. */
            s = &f->seq[f->n_seq++];
            s->cpu = it->cpu0 - mark;
            s->woke = woke;
            s->item = s->kept = -1;
            woke = 0;
            turn += s->cpu;
        }
        mark = it->cpu1 > mark ? it->cpu1 : mark;
        if (it->kind == REC_CALL && it->call == REC_CALL_SELECT &&
            it->t1 - it->t0 >= RESUME_COLD_NS) {
            woke = 1;
            since = 0;
            out->wakes++;
            turn = 0;
            continue;
        }
        if (it->kind != REC_STEP) {
            continue;
        }
        s = &f->seq[f->n_seq++];
        s->cpu = it->cpu1 - it->cpu0 > 0 ? it->cpu1 - it->cpu0 : 0;
        s->woke = woke;
        s->item = (long)k;
        s->kept = -1;
        turn += s->cpu;
        if (turn > f->longest_turn) {
            f->longest_turn = turn;
        }
        woke = 0;
        if (rec_task_kept(r, it->pool, it->task)) {
            struct kept_step *ks = &f->kept[f->n_kept];

            ks->place = place[k];
            ks->pos = since < POSITIONS ? (int)since : POSITIONS - 1;
            s->kept = (long)f->n_kept++;
            out->cold += since == 0;
            out->steps++;
            since++;
        }
    }
    free(steps);
    free(place);
    return 0;
}

/* f's steps of every loop thread of r. */
static int
fit_of(const struct rec *r, struct fit *f, struct synth_resume *out)
{
    size_t room = 1, i;
    int rc = 0;

    memset(f, 0, sizeof(*f));
    for (i = 0; i < r->n_threads; i++) {
        room += r->threads[i].has_steps ? r->threads[i].n : 0;
    }
    f->seq = malloc(2 * room * sizeof(*f->seq)); /* a step and a gap */
    f->kept = malloc(room * sizeof(*f->kept));
    f->sorted = malloc(room * sizeof(*f->sorted));
    if (f->seq == NULL || f->kept == NULL || f->sorted == NULL) {
        return -ENOMEM;
    }
    for (i = 0; rc == 0 && i < r->n_threads; i++) {
        if (r->threads[i].has_steps) {
            rc = add_thread(r, &r->threads[i], f, out);
        }
    }
    return rc;
}

static void
fit_clear(struct fit *f)
{
    free(f->seq);
    free(f->kept);
    free(f->sorted);
}

int
synth_async_resume(const struct rec *r, struct synth_resume *out)
{
    struct fit f;
    double err0, err;
    int64_t hi, w;
    size_t places = 0;
    int rc;

    memset(out, 0, sizeof(*out));
    out->after_ns = RESUME_COLD_NS;
    rc = fit_of(r, &f, out);
    if (rc == 0 && f.n_kept > 0) {
        err0 = spread(&f, 0, &places);
        out->places = places;
        hi = f.longest_turn < WINDOW_MAX_NS ? f.longest_turn : WINDOW_MAX_NS;
        if (places > 0 && hi > 0) {
            w = best_window(&f, 0, hi, GRID_NS, &err);
            w = best_window(&f, w > GRID_NS ? w - GRID_NS : 0, w + GRID_NS,
                            FINE_NS, &err);
            if (err < err0) {
                size_t k;
                int64_t *extra = malloc((f.n_seq + 1) * sizeof(*extra));

                if (extra == NULL) {
                    fit_clear(&f);
                    return -ENOMEM;
                }
                out->window_ns = w;
                walk(&f, w, extra);
                for (k = 0; k < f.n_seq; k++) {
                    if (f.seq[k].kept >= 0) {
                        out->extra_ns += extra[k];
                        out->cpu_ns += f.seq[k].cpu;
                    }
                }
                free(extra);
            }
        }
    }
    fit_clear(&f);
    return rc;
}

int
synth_resume_extra(const struct rec *r, const struct rec_thread *th,
                   int64_t window_ns, int64_t *extra, int64_t *own_extra)
{
    struct rec one = *r;
    struct synth_resume unused;
    struct fit f;
    int64_t *seq_extra = malloc((2 * th->n + 1) * sizeof(*seq_extra));
    size_t k;
    int rc;

    /* The fit of this thread alone: its steps in time order. */
    memset(&f, 0, sizeof(f));
    one.threads = (struct rec_thread *)th;
    one.n_threads = 1;
    memset(&unused, 0, sizeof(unused));
    rc = seq_extra == NULL ? -ENOMEM : fit_of(&one, &f, &unused);
    if (rc == 0) {
        walk(&f, window_ns, seq_extra);
        memset(extra, 0, th->n * sizeof(*extra));
        *own_extra = 0;
        for (k = 0; k < f.n_seq; k++) {
            if (f.seq[k].item >= 0) {
                extra[f.seq[k].item] = seq_extra[k];
            } else {
                *own_extra += seq_extra[k];
            }
        }
    }
    fit_clear(&f);
    free(seq_extra);
    return rc;
}
