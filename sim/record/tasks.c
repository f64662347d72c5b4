/*
 * tasks.c - the asyncio task tree of a recording: which task made which
 * (the probe's G lines), and which tasks are the program's own.
 *
 * rec_index_tasks sorts what raw.c read: the spawns by (pool, parent),
 * a copy by (pool, task) for a task's parent, the acquires by (pool,
 * task, start); and finds each asyncio pool's largest fan-out (the most
 * tasks one task made). A task is kept (rec_task_kept: the program's
 * tasks, which its workload file is made of) when it is a child of a
 * task that made that many; with no fan-out of two or more, every task
 * that made none.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"

/* Spawns by (pool, parent). */
static int
spawn_cmp(const void *a, const void *b)
{
    const struct rec_spawn *x = a, *y = b;

    if (x->pool != y->pool) {
        return x->pool < y->pool ? -1 : 1;
    }
    return x->parent < y->parent ? -1 : x->parent > y->parent ? 1 : 0;
}

/* Acquires by (pool, task, start). */
static int
sync_cmp(const void *a, const void *b)
{
    const struct rec_sync *x = a, *y = b;

    if (x->pool != y->pool) {
        return x->pool < y->pool ? -1 : 1;
    }
    if (x->task != y->task) {
        return x->task < y->task ? -1 : 1;
    }
    return x->t0 < y->t0 ? -1 : x->t0 > y->t0 ? 1 : 0;
}

/* Spawns by (pool, task). */
static int
spawn_task_cmp(const void *a, const void *b)
{
    const struct rec_spawn *x = a, *y = b;

    if (x->pool != y->pool) {
        return x->pool < y->pool ? -1 : 1;
    }
    return x->task < y->task ? -1 : x->task > y->task ? 1 : 0;
}

/* How many tasks task `parent` of pool made: a range of r->spawns. */
static size_t
children_of(const struct rec *r, int64_t pool, int64_t parent)
{
    size_t lo = 0, hi = r->n_spawns, first;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;

        if (spawn_cmp(&r->spawns[mid], &(struct rec_spawn){pool, parent, 0}) <
            0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    first = lo;
    while (lo < r->n_spawns && r->spawns[lo].pool == pool &&
           r->spawns[lo].parent == parent) {
        lo++;
    }
    return lo - first;
}

/* The task that made task (pool, task), -1 for none. */
static int64_t
parent_of(const struct rec *r, int64_t pool, int64_t task)
{
    struct rec_spawn key = {pool, 0, task};
    const struct rec_spawn *s =
        r->n_spawns > 0 ? bsearch(&key, r->spawns_by_task, r->n_spawns,
                                  sizeof(key), spawn_task_cmp)
                        : NULL;

    return s != NULL ? s->parent : -1;
}

/* Each asyncio pool's largest fan-out: the most tasks one task made. */
static void
find_fanouts(struct rec *r)
{
    size_t i = 0, j, k;

    while (i < r->n_spawns) {
        for (j = i; j < r->n_spawns && r->spawns[j].pool == r->spawns[i].pool &&
                    r->spawns[j].parent == r->spawns[i].parent;
             j++) {
        }
        for (k = 0; r->spawns[i].parent != -1 && k < r->n_pools; k++) {
            if (r->pools[k].id == r->spawns[i].pool &&
                (int64_t)(j - i) > r->pools[k].max_fanout) {
                r->pools[k].max_fanout = (int64_t)(j - i);
            }
        }
        i = j;
    }
}

int
rec_task_kept(const struct rec *r, int64_t pool, int64_t task)
{
    int64_t fanout = 0, parent;
    size_t k;

    for (k = 0; k < r->n_pools; k++) {
        if (r->pools[k].id == pool) {
            fanout = r->pools[k].max_fanout;
            break;
        }
    }
    if (fanout < 2) {
        return children_of(r, pool, task) == 0;
    }
    parent = parent_of(r, pool, task);
    return parent != -1 && (int64_t)children_of(r, pool, parent) == fanout;
}

int
rec_task_is_root(const struct rec *r, int64_t pool, int64_t task)
{
    return parent_of(r, pool, task) == -1;
}

int
rec_index_tasks(struct rec *r)
{
    if (r->n_spawns > 0) {
        r->spawns_by_task = malloc(r->n_spawns * sizeof(*r->spawns));
        if (r->spawns_by_task == NULL) {
            return -ENOMEM;
        }
        qsort(r->spawns, r->n_spawns, sizeof(*r->spawns), spawn_cmp);
        memcpy(r->spawns_by_task, r->spawns, r->n_spawns * sizeof(*r->spawns));
        qsort(r->spawns_by_task, r->n_spawns, sizeof(*r->spawns),
              spawn_task_cmp);
        find_fanouts(r);
    }
    if (r->n_syncs > 0) {
        qsort(r->syncs, r->n_syncs, sizeof(*r->syncs), sync_cmp);
    }
    return 0;
}
