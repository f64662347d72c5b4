/*
 * build.c - the tasks of a workload file: a struct wf_spec (read.c)
 * drawn into a struct wl_workload, and the loaders of run.h.
 *
 * Each task's kind is drawn by weight from one splitmix64 stream seeded
 * with the run's seed (or, when every kind has its own "tasks", the kinds
 * are laid out in order: kind 0's tasks first); then each task's values
 * are drawn, task by task and step by step, from a second stream. So a
 * seed gives the same workload every time, in every model. A fetch's
 * page is the number of fetches before it in the workload (task order),
 * so no two fetches ask for the same page; a write writes the page its
 * task fetched last. A countdown's "total" is split among its kind's
 * tasks in equal shares, the first ones taking one more iteration each
 * until the remainder is used up (as Beazley's threads split the count).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "wfile.h"

#define KIND_SALT  UINT64_C(0x776f726b6c6f6164) /* "workload" */
#define VALUE_SALT UINT64_C(0x76616c7565730a00) /* "values" */

double
wf_step_mean_ns(const struct wf_step *s, double instr_ns)
{
    return wl_dist_mean(&s->value) * s->scale * (s->in_ns ? 1.0 : instr_ns);
}

/* Each task's kind: laid out in order, or drawn by weight. */
static void
pick_kinds(const struct wf_spec *sp, uint64_t seed, unsigned char *kind_of)
{
    uint64_t rng = seed ^ KIND_SALT;
    double total = 0.0;
    size_t i = 0, k;
    int64_t t;

    if (sp->fixed) {
        for (k = 0; k < sp->n_kinds; k++) {
            for (t = 0; t < sp->kinds[k].tasks; t++) {
                kind_of[i++] = (unsigned char)k;
            }
        }
        return;
    }
    for (k = 0; k < sp->n_kinds; k++) {
        total += sp->kinds[k].weight;
    }
    for (i = 0; i < (size_t)sp->tasks; i++) {
        double pick = (double)(base_splitmix64(&rng) >> 11) * 0x1p-53 * total;

        kind_of[i] = (unsigned char)(sp->n_kinds - 1);
        for (k = 0; k < sp->n_kinds; k++) {
            if (pick < sp->kinds[k].weight) {
                kind_of[i] = (unsigned char)k;
                break;
            }
            pick -= sp->kinds[k].weight;
        }
    }
}

/* One drawn step of a task that is the `nth` of `of` tasks of its kind:
 * 0, or -ERANGE if a time is more instructions than a step may have (a
 * tiny --instr-ns). */
static int
draw_step(const struct wf_step *s, const struct sim_wf_params *p, uint64_t *rng,
          size_t nth, size_t of, struct wl_step *out)
{
    double v = wl_dist_draw(&s->value, rng) * s->scale;

    memset(out, 0, sizeof(*out));
    out->kind = s->kind;
    out->lock = s->lock;
    out->code_call = s->code_call;
    switch (s->kind) {
    case WL_STEP_CPU:
        if (s->until) {
            out->instructions = WL_UNTIL_DONE;
        } else if (s->decode) {
            out->instr_per_byte = p->decode_instr_per_byte;
        } else if (s->split) {
            int64_t total = (int64_t)wl_dist_mean(&s->value);
            int64_t share = total / (int64_t)of;
            int64_t extra = total % (int64_t)of;

            out->instructions = (share + ((int64_t)nth < extra ? 1 : 0)) *
                                WL_COUNTDOWN_INSTRUCTIONS;
        } else {
            double instr = (s->in_ns ? v / p->instr_ns : v) + 0.5;

            if (!(instr <= WF_MAX_INSTRUCTIONS)) {
                return -ERANGE;
            }
            out->instructions = (int64_t)instr;
        }
        break;
    case WL_STEP_SLEEP:
    case WL_STEP_NATIVE:
        out->duration_ns = (int64_t)(v + 0.5);
        break;
    case WL_STEP_READ:
    case WL_STEP_WRITE:
        if (s->sized) {
            double b = wl_dist_draw(&s->size, rng) * s->size_scale + 0.5;

            /* A write of a size writes at least a byte (0: the body). */
            out->io_bytes = (uint64_t)b;
            if (s->kind == WL_STEP_WRITE && out->io_bytes == 0) {
                out->io_bytes = 1;
            }
        }
        break;
    case WL_STEP_FETCH:
        out->fetch_own = s->fetch_own;
        if (s->fetch_own & WL_FETCH_LATENCY) {
            out->latency_ns =
                (int64_t)(wl_dist_draw(&s->latency, rng) * s->latency_scale +
                          0.5);
        }
        if (s->fetch_own & WL_FETCH_SIZE) {
            out->body_bytes =
                (uint64_t)(wl_dist_draw(&s->size, rng) * s->size_scale + 0.5);
        }
        break;
    default:
        break;
    }
    return 0;
}

int
wf_build(const struct wf_spec *sp, const struct sim_wf_params *p,
         struct wl_workload **out)
{
    size_t n = (size_t)sp->tasks, total = 0, i, j;
    size_t seen[WF_MAX_KINDS] = {0}, of[WF_MAX_KINDS] = {0};
    unsigned char *kind_of = malloc(n);
    size_t *rooms = malloc(n * sizeof(*rooms));
    struct wl_workload *w = NULL;
    uint64_t rng = p->seed ^ VALUE_SALT;
    int64_t fetches = 0;
    int rc = 0;

    if (kind_of == NULL || rooms == NULL) {
        rc = -ENOMEM;
        goto out;
    }
    pick_kinds(sp, p->seed, kind_of);
    for (i = 0; i < n; i++) {
        rooms[i] = sp->kinds[kind_of[i]].n_steps;
        of[kind_of[i]]++;
        total += rooms[i];
        if (total > WF_MAX_STORAGE) {
            rc = -E2BIG;
            goto out;
        }
    }
    rc = wl_workload_new_rooms(sp->name, n, rooms, &w);
    for (i = 0; i < n && rc == 0; i++) {
        const struct wf_kind *kind = &sp->kinds[kind_of[i]];
        size_t nth = seen[kind_of[i]]++;
        int64_t last_page = (int64_t)i;

        w->tasks[i].ends_run = kind->ends_run;
        for (j = 0; j < kind->n_steps && rc == 0; j++) {
            struct wl_step step;

            rc =
                draw_step(&kind->steps[j], p, &rng, nth, of[kind_of[i]], &step);
            if (rc != 0) {
                break;
            }
            if (step.kind == WL_STEP_FETCH) {
                step.page = last_page = fetches++;
            } else if (step.kind == WL_STEP_WRITE) {
                /* The page fetched last; a write of a size: the task's
                 * own file. */
                step.page = step.io_bytes > 0 ? (int64_t)i : last_page;
            }
            rc = wl_task_add_step(w, i, &step);
        }
    }
    if (rc == 0) {
        w->n_locks = sp->n_locks;
        memcpy(w->lock_names, sp->locks, sizeof(w->lock_names));
        if (sp->cold_set) {
            /* The window in instructions of this run's cost. */
            w->cold_set = 1;
            w->cold_instructions =
                (int64_t)((sp->cold_window_in_ns ? sp->cold_window / p->instr_ns
                                                 : sp->cold_window) +
                          0.5);
            w->cold_after_ns = sp->cold_after_ns;
        }
        *out = w;
        w = NULL;
    }
out:
    wl_workload_free(w);
    free(kind_of);
    free(rooms);
    return rc;
}

/* The tasks of spec sp read from `file` (its name, if it has none, the
 * file's less .json), with one line in err on failure; sp is cleared. */
static int
build_spec(struct wf_spec *sp, const char *file, const struct sim_wf_params *p,
           struct wl_workload **out, char *err, size_t errlen)
{
    int rc;

    if (sp->name[0] == '\0') {
        /* No "name": the file's, without its folder and .json. */
        const char *base =
            strrchr(file, '/') != NULL ? strrchr(file, '/') + 1 : file;
        size_t n = strlen(base);

        if (n > 5 && strcmp(base + n - 5, ".json") == 0) {
            n -= 5;
        }
        (void)snprintf(sp->name, sizeof(sp->name), "%.*s",
                       (int)(n < sizeof(sp->name) ? n : sizeof(sp->name) - 1),
                       base);
    }
    rc = wf_build(sp, p, out);
    if (rc == -ERANGE) {
        (void)snprintf(err, errlen,
                       "%.900s: a cpu step is more than 10^15 instructions "
                       "of %g ns (a larger --instr-ns, or a shorter step)",
                       file, p->instr_ns);
    } else if (rc == -E2BIG) {
        (void)snprintf(err, errlen,
                       "%.900s: more than %zu steps in all its tasks (fewer "
                       "tasks, or fewer repeats)",
                       file, WF_MAX_STORAGE);
    } else if (rc != 0) {
        base_errf(err, errlen, -rc, "%.900s: cannot build the workload", file);
    }
    wf_spec_clear(sp);
    return rc;
}

/* An instruction cost is needed to turn times into instructions. */
static int
check_instr_ns(const char *file, const struct sim_wf_params *p, char *err,
               size_t errlen)
{
    if (!(p->instr_ns > 0.0)) {
        (void)snprintf(err, errlen,
                       "%.900s: no instruction cost to turn times into "
                       "instructions",
                       file);
        return -EINVAL;
    }
    return 0;
}

int
sim_workload_file_parse(const char *text, size_t len, const char *file,
                        const struct sim_wf_params *p, struct wl_workload **out,
                        char *err, size_t errlen)
{
    struct wf_spec sp;
    int rc;

    *out = NULL;
    rc = check_instr_ns(file, p, err, errlen);
    if (rc == 0) {
        rc = wf_read(text, len, file, p, &sp, err, errlen);
    }
    return rc != 0 ? rc : build_spec(&sp, file, p, out, err, errlen);
}

int
wf_read_path(const char *path, const struct sim_wf_params *p,
             struct wf_spec *spec, char *err, size_t errlen)
{
    char *text = NULL;
    size_t len = 0;
    int rc;

    memset(spec, 0, sizeof(*spec));
    rc = base_read_file(path, BASE_MAX_LARGE, &text, &len);
    if (rc != 0) {
        base_errf(err, errlen, -rc, "%.900s: cannot read it", path);
        return rc;
    }
    rc = wf_read(text, len, path, p, spec, err, errlen);
    free(text);
    return rc;
}

int
sim_workload_file_check(const char *path, const struct sim_wf_params *p,
                        struct wl_workload **out, unsigned *flags, char *err,
                        size_t errlen)
{
    struct wf_spec sp;
    int rc;

    *out = NULL;
    *flags = 0;
    rc = check_instr_ns(path, p, err, errlen);
    if (rc == 0) {
        rc = wf_read_path(path, p, &sp, err, errlen);
    }
    if (rc != 0) {
        return rc;
    }
    *flags = sp.flags_used;
    return build_spec(&sp, path, p, out, err, errlen);
}

void
sim_wf_params_of(const struct sim_options *o, struct sim_wf_params *p)
{
    memset(p, 0, sizeof(*p));
    p->instr_ns = o->costs.instr_ns;
    p->decode_instr_per_byte = o->costs.decode_instr_per_byte;
    p->seed = o->seed;
    p->pages = o->pages;
    p->threads = o->threads;
    p->count = o->count;
    p->ops = o->ops;
    p->cpu_threads = o->cpu_threads;
}

int
sim_workload_file_load(const char *path, const struct sim_wf_params *p,
                       struct wl_workload **out, char *err, size_t errlen)
{
    char *text = NULL;
    size_t len = 0;
    int rc;

    *out = NULL;
    rc = base_read_file(path, BASE_MAX_LARGE, &text, &len);
    if (rc != 0) {
        base_errf(err, errlen, -rc, "%.900s: cannot read it", path);
        return rc;
    }
    rc = sim_workload_file_parse(text, len, path, p, out, err, errlen);
    free(text);
    return rc;
}

int
sim_workload_cold(const struct sim_options *o, int64_t *window_ns,
                  int64_t *after_ns)
{
    struct sim_wf_params p;
    struct wf_spec sp;
    char err[256];
    int set;

    if (strcmp(o->workload, "file") != 0) {
        return 0; /* the built-ins have none */
    }
    sim_wf_params_of(o, &p);
    if (wf_read_path(o->workload_file, &p, &sp, err, sizeof(err)) != 0) {
        return 0;
    }
    set = sp.cold_set;
    if (set) {
        *window_ns =
            (int64_t)((sp.cold_window_in_ns ? sp.cold_window
                                            : sp.cold_window * p.instr_ns) +
                      0.5);
        *after_ns = sp.cold_after_ns;
    }
    wf_spec_clear(&sp);
    return set;
}

void
sim_workload_say_cold(const struct sim_options *o, FILE *out)
{
    int64_t window, after;

    if (!sim_workload_cold(o, &window, &after)) {
        return;
    }
    if (window > 0) {
        fprintf(out,
                "cold resumes: the workload file's (after %.4g ms off the "
                "GIL, the next %.4g us of Python at double cost), in place "
                "of the costs'\n",
                (double)after / 1e6, (double)window / 1e3);
    } else {
        fprintf(out, "cold resumes: none, as the workload file says (its "
                     "cpu steps hold them), in place of the costs'\n");
    }
}
