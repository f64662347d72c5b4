/*
 * workload_file.c - a workload written down as a JSON file (issue 16),
 * read strictly and turned into a struct wl_workload: the tasks, each a
 * list of steps, with every duration drawn from its distribution.
 *
 * The format, version 1 (docs to come with --workload=FILE):
 *
 *   {"format": "gilsim-workload", "version": 1, "name": "fan-out",
 *    "tasks": 200,
 *    "kinds": [{"name": "api", "weight": 3,
 *               "steps": [{"cpu": {"ms": 1.5}},
 *                         {"fetch": {}},
 *                         {"cpu": {"us": {"lognormal": {"p50": 200,
 *                                                       "p99": 900}}}},
 *                         {"sleep": {"ms": {"uniform": [5, 15]}}},
 *                         {"write": {}}]},
 *              {"name": "batch", "steps": [{"cpu": {"instructions":
 *                                                   2000000}}]}]}
 *
 * A step is an object with exactly one key: cpu (Python work under the
 * GIL, in "ms", "us" or "instructions"), sleep ("ms" or "us"), fetch (the
 * run's server or URL, page = the task's index) or write (the body the
 * task fetched last). A value is a number (a constant) or one of
 * {"uniform": [lo, hi]}, {"exponential": mean}, {"lognormal": {"p50": a,
 * "p99": b}} and {"samples": [x, ...]} (workloads/dist.c). Each task's
 * kind is drawn by weight (default 1), and each of its values from its
 * distribution, from one splitmix64 stream seeded with the run's seed,
 * so a seed gives the same workload every time. Unknown keys are refused
 * (a typo must not pass as a default), as are duplicate keys and any
 * text jansson will not read.
 *
 * Errors are one line: "FILE:LINE:COLUMN: ..." where the JSON itself is
 * broken, "FILE: $.kinds[0].steps[2].cpu: expected ..." where it does not
 * say what a workload must. Nothing is built then.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base.h"
#include "run.h"

#define MAX_TASKS   10000000
#define MAX_KINDS   64
#define MAX_STEPS   256
#define MAX_SAMPLES 1000000
#define SEED_SALT   UINT64_C(0x776f726b6c6f6164) /* "workload" */

/* One step of a kind, before its values are drawn. */
struct step_spec {
    enum wl_step_kind kind;
    struct wl_dist value; /* cpu: instructions or ns; sleep: ns */
    double scale;         /* the unit: ns (or instructions) per unit */
    int in_ns;            /* cpu: 1 if given as a time, 0 instructions */
    double *samples;      /* owned, for an empirical value */
};

struct kind_spec {
    double weight;
    size_t n_steps;
    struct step_spec steps[MAX_STEPS];
};

struct reader {
    const char *file;
    char *err;
    size_t errlen;
    struct kind_spec *kinds;
    size_t n_kinds;
};

static int
fail(struct reader *r, const char *path, const char *fmt, ...)
{
    char what[200];
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    (void)snprintf(r->err, r->errlen, "%.900s: %s: %s", r->file, path, what);
    return -EBADMSG;
}

/* Every key of object `o` is one of `keys` (NULL-terminated). */
static int
known_keys(struct reader *r, const char *path, json_t *o,
           const char *const *keys)
{
    const char *k;
    json_t *v;
    size_t i;

    json_object_foreach(o, k, v)
    {
        for (i = 0; keys[i] != NULL && strcmp(keys[i], k) != 0; i++) {
        }
        if (keys[i] == NULL) {
            return fail(r, path, "unknown key \"%.60s\"", k);
        }
    }
    return 0;
}

/* A number at least 0 (and at most `max`). */
static int
number(struct reader *r, const char *path, json_t *j, double max, double *out)
{
    double v;

    if (!json_is_number(j)) {
        return fail(r, path, "expected a number");
    }
    v = json_number_value(j);
    if (!isfinite(v) || v < 0.0 || v > max) {
        return fail(r, path, "expected a number from 0 to %g", max);
    }
    *out = v;
    return 0;
}

/* A value: a constant or a distribution, in units of `max` at most. */
static int
read_value(struct reader *r, const char *path, json_t *j, double max,
           struct step_spec *s)
{
    static const char *const dist_keys[] = {"uniform", "exponential",
                                            "lognormal", "samples", NULL};
    char sub[300];
    const char *k;
    json_t *v;
    double a, b;
    int rc;

    if (json_is_number(j)) {
        rc = number(r, path, j, max, &a);
        return rc != 0 ? rc : wl_dist_const(&s->value, a);
    }
    if (!json_is_object(j) || json_object_size(j) != 1) {
        return fail(r, path,
                    "expected a number or one of {\"uniform\": [lo, hi]}, "
                    "{\"exponential\": mean}, {\"lognormal\": {\"p50\": a, "
                    "\"p99\": b}}, {\"samples\": [...]}");
    }
    rc = known_keys(r, path, j, dist_keys);
    if (rc != 0) {
        return rc;
    }
    json_object_foreach(j, k, v)
    {
        (void)snprintf(sub, sizeof(sub), "%.200s.%.60s", path, k);
        if (strcmp(k, "uniform") == 0) {
            if (!json_is_array(v) || json_array_size(v) != 2) {
                return fail(r, sub, "expected [lo, hi]");
            }
            if ((rc = number(r, sub, json_array_get(v, 0), max, &a)) != 0 ||
                (rc = number(r, sub, json_array_get(v, 1), max, &b)) != 0) {
                return rc;
            }
            if (wl_dist_uniform(&s->value, a, b) != 0) {
                return fail(r, sub, "expected lo <= hi");
            }
        } else if (strcmp(k, "exponential") == 0) {
            if ((rc = number(r, sub, v, max, &a)) != 0) {
                return rc;
            }
            rc = wl_dist_exponential(&s->value, a);
        } else if (strcmp(k, "lognormal") == 0) {
            static const char *const q[] = {"p50", "p99", NULL};

            if (!json_is_object(v) || json_object_get(v, "p50") == NULL ||
                json_object_get(v, "p99") == NULL) {
                return fail(r, sub, "expected {\"p50\": a, \"p99\": b}");
            }
            if ((rc = known_keys(r, sub, v, q)) != 0 ||
                (rc = number(r, sub, json_object_get(v, "p50"), max, &a)) !=
                    0 ||
                (rc = number(r, sub, json_object_get(v, "p99"), max, &b)) !=
                    0) {
                return rc;
            }
            if (wl_dist_lognormal(&s->value, a, b) != 0) {
                return fail(r, sub, "expected 0 < p50 <= p99");
            }
        } else {
            size_t i, n = json_array_size(v);

            if (!json_is_array(v) || n == 0 || n > MAX_SAMPLES) {
                return fail(r, sub, "expected a list of 1 to %d numbers",
                            MAX_SAMPLES);
            }
            s->samples = malloc(n * sizeof(*s->samples));
            if (s->samples == NULL) {
                return fail(r, sub, "out of memory");
            }
            for (i = 0; i < n; i++) {
                char at[320];

                (void)snprintf(at, sizeof(at), "%.260s[%zu]", sub, i);
                if ((rc = number(r, at, json_array_get(v, i), max,
                                 &s->samples[i])) != 0) {
                    return rc;
                }
            }
            rc = wl_dist_empirical(&s->value, s->samples, n);
        }
    }
    return rc;
}

/* {"ms": V}, {"us": V} or, for cpu, {"instructions": V}. */
static int
read_amount(struct reader *r, const char *path, json_t *j, int cpu,
            struct step_spec *s)
{
    static const char *const cpu_keys[] = {"ms", "us", "instructions", NULL};
    static const char *const time_keys[] = {"ms", "us", NULL};
    char sub[300];
    const char *k;
    json_t *v;
    int rc;

    if (!json_is_object(j) || json_object_size(j) != 1) {
        return fail(r, path, "expected {\"ms\": V}, {\"us\": V}%s",
                    cpu ? " or {\"instructions\": V}" : "");
    }
    rc = known_keys(r, path, j, cpu ? cpu_keys : time_keys);
    if (rc != 0) {
        return rc;
    }
    json_object_foreach(j, k, v)
    {
        (void)snprintf(sub, sizeof(sub), "%.200s.%.60s", path, k);
        s->in_ns = strcmp(k, "instructions") != 0;
        s->scale = strcmp(k, "ms") == 0 ? 1e6 : strcmp(k, "us") == 0 ? 1e3 : 1;
        /* At most an hour of time, or 1e15 instructions. */
        rc = read_value(r, sub, v, s->in_ns ? 3600e9 / s->scale : 1e15, s);
    }
    return rc;
}

static int
read_step(struct reader *r, const char *path, json_t *j, struct step_spec *s)
{
    char sub[300];
    const char *k = NULL;
    json_t *v = NULL;

    if (!json_is_object(j) || json_object_size(j) != 1) {
        return fail(r, path,
                    "expected a step: {\"cpu\": ...}, {\"sleep\": ...}, "
                    "{\"fetch\": {}} or {\"write\": {}}");
    }
    json_object_foreach(j, k, v)
    {
        (void)snprintf(sub, sizeof(sub), "%.200s.%.60s", path, k);
        if (strcmp(k, "cpu") == 0) {
            s->kind = WL_STEP_CPU;
            return read_amount(r, sub, v, 1, s);
        }
        if (strcmp(k, "sleep") == 0) {
            s->kind = WL_STEP_SLEEP;
            return read_amount(r, sub, v, 0, s);
        }
        if (strcmp(k, "fetch") == 0 || strcmp(k, "write") == 0) {
            s->kind = k[0] == 'f' ? WL_STEP_FETCH : WL_STEP_WRITE;
            if (!json_is_object(v) || json_object_size(v) != 0) {
                return fail(r, sub, "expected {}");
            }
            return wl_dist_const(&s->value, 0.0);
        }
        return fail(r, path,
                    "unknown step \"%.40s\" (expected cpu, sleep, fetch or "
                    "write)",
                    k);
    }
    return 0;
}

static int
read_kind(struct reader *r, const char *path, json_t *j, struct kind_spec *k)
{
    static const char *const keys[] = {"name", "weight", "steps", NULL};
    json_t *steps, *v;
    char sub[300];
    size_t i;
    int rc;

    if (!json_is_object(j)) {
        return fail(r, path, "expected an object with \"steps\"");
    }
    if ((rc = known_keys(r, path, j, keys)) != 0) {
        return rc;
    }
    v = json_object_get(j, "name");
    if (v != NULL && (!json_is_string(v) || json_string_length(v) > 63)) {
        (void)snprintf(sub, sizeof(sub), "%.200s.name", path);
        return fail(r, sub, "expected a string of at most 63 bytes");
    }
    k->weight = 1.0;
    v = json_object_get(j, "weight");
    if (v != NULL) {
        (void)snprintf(sub, sizeof(sub), "%.200s.weight", path);
        if ((rc = number(r, sub, v, 1e9, &k->weight)) != 0) {
            return rc;
        }
        if (k->weight <= 0.0) {
            return fail(r, sub, "expected a number above 0");
        }
    }
    steps = json_object_get(j, "steps");
    (void)snprintf(sub, sizeof(sub), "%.200s.steps", path);
    if (!json_is_array(steps) || json_array_size(steps) == 0 ||
        json_array_size(steps) > MAX_STEPS) {
        return fail(r, sub, "expected a list of 1 to %d steps", MAX_STEPS);
    }
    k->n_steps = json_array_size(steps);
    for (i = 0; i < k->n_steps; i++) {
        (void)snprintf(sub, sizeof(sub), "%.200s.steps[%zu]", path, i);
        if ((rc = read_step(r, sub, json_array_get(steps, i), &k->steps[i])) !=
            0) {
            return rc;
        }
    }
    return 0;
}

/* The top level; the kinds into r->kinds (allocated), the task count. */
static int
read_top(struct reader *r, json_t *root, size_t *tasks, char *name,
         size_t namelen)
{
    static const char *const keys[] = {"format", "version", "name",
                                       "tasks",  "kinds",   NULL};
    json_t *v, *kinds;
    char sub[64];
    double t;
    size_t i;
    int rc;

    if (!json_is_object(root)) {
        return fail(r, "$", "expected an object");
    }
    if ((rc = known_keys(r, "$", root, keys)) != 0) {
        return rc;
    }
    v = json_object_get(root, "format");
    if (!json_is_string(v) || strcmp(json_string_value(v), "gilsim-workload")) {
        return fail(r, "$.format", "expected \"gilsim-workload\"");
    }
    v = json_object_get(root, "version");
    if (!json_is_integer(v) || json_integer_value(v) != 1) {
        return fail(r, "$.version",
                    "expected 1 (the version this gilsim "
                    "reads)");
    }
    v = json_object_get(root, "name");
    if (v != NULL) {
        if (!json_is_string(v) || json_string_length(v) == 0 ||
            json_string_length(v) >= namelen) {
            return fail(r, "$.name", "expected a string of 1 to %zu bytes",
                        namelen - 1);
        }
        (void)snprintf(name, namelen, "%s", json_string_value(v));
    }
    v = json_object_get(root, "tasks");
    if (v == NULL || (rc = number(r, "$.tasks", v, MAX_TASKS, &t)) != 0 ||
        t < 1 || t != floor(t)) {
        return v != NULL && rc != 0
                   ? rc
                   : fail(r, "$.tasks", "expected a whole number from 1 to %d",
                          MAX_TASKS);
    }
    *tasks = (size_t)t;
    kinds = json_object_get(root, "kinds");
    if (!json_is_array(kinds) || json_array_size(kinds) == 0 ||
        json_array_size(kinds) > MAX_KINDS) {
        return fail(r, "$.kinds", "expected a list of 1 to %d task kinds",
                    MAX_KINDS);
    }
    r->n_kinds = json_array_size(kinds);
    r->kinds = calloc(r->n_kinds, sizeof(*r->kinds));
    if (r->kinds == NULL) {
        return fail(r, "$.kinds", "out of memory");
    }
    for (i = 0; i < r->n_kinds; i++) {
        (void)snprintf(sub, sizeof(sub), "$.kinds[%zu]", i);
        if ((rc = read_kind(r, sub, json_array_get(kinds, i), &r->kinds[i])) !=
            0) {
            return rc;
        }
    }
    return 0;
}

/* Draw the tasks: a kind by weight, then each value. */
static int
build(const struct reader *r, size_t tasks, const char *name,
      const struct sim_wf_params *p, struct wl_workload **out)
{
    struct wl_workload *w = NULL;
    uint64_t rng = p->seed ^ SEED_SALT;
    double total = 0.0;
    size_t room = 0, i, k, j;
    int rc;

    for (k = 0; k < r->n_kinds; k++) {
        total += r->kinds[k].weight;
        room = r->kinds[k].n_steps > room ? r->kinds[k].n_steps : room;
    }
    rc = wl_workload_new(name, tasks, room, &w);
    if (rc != 0) {
        return rc;
    }
    for (i = 0; i < tasks && rc == 0; i++) {
        double pick = (double)(base_splitmix64(&rng) >> 11) * 0x1p-53 * total;
        const struct kind_spec *kind = &r->kinds[r->n_kinds - 1];

        for (k = 0; k < r->n_kinds; k++) {
            if (pick < r->kinds[k].weight) {
                kind = &r->kinds[k];
                break;
            }
            pick -= r->kinds[k].weight;
        }
        for (j = 0; j < kind->n_steps && rc == 0; j++) {
            const struct step_spec *s = &kind->steps[j];
            double v = wl_dist_draw(&s->value, &rng) * s->scale;
            struct wl_step step;

            memset(&step, 0, sizeof(step));
            step.kind = s->kind;
            step.page = (int64_t)i;
            if (s->kind == WL_STEP_CPU) {
                double instr = s->in_ns ? v / p->instr_ns : v;

                step.instructions = (int64_t)(instr + 0.5);
            } else if (s->kind == WL_STEP_SLEEP) {
                step.duration_ns = (int64_t)(v + 0.5);
            }
            rc = wl_task_add_step(w, i, &step);
        }
    }
    if (rc != 0) {
        wl_workload_free(w);
        return rc;
    }
    *out = w;
    return 0;
}

static void
reader_clear(struct reader *r)
{
    size_t k, j;

    for (k = 0; r->kinds != NULL && k < r->n_kinds; k++) {
        for (j = 0; j < r->kinds[k].n_steps; j++) {
            free(r->kinds[k].steps[j].samples);
        }
    }
    free(r->kinds);
    r->kinds = NULL;
}

int
sim_workload_file_parse(const char *text, size_t len, const char *file,
                        const struct sim_wf_params *p, struct wl_workload **out,
                        char *err, size_t errlen)
{
    struct reader r;
    json_error_t jerr;
    json_t *root;
    char name[64];
    size_t tasks = 0;
    int rc;

    *out = NULL;
    if (!(p->instr_ns > 0.0)) {
        (void)snprintf(err, errlen,
                       "%.900s: no instruction cost to turn "
                       "times into instructions",
                       file);
        return -EINVAL;
    }
    root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        (void)snprintf(err, errlen, "%.900s:%d:%d: %s", file, jerr.line,
                       jerr.column, jerr.text);
        return -EBADMSG;
    }
    memset(&r, 0, sizeof(r));
    r.file = file;
    r.err = err;
    r.errlen = errlen;
    (void)snprintf(name, sizeof(name), "%s", "file");
    rc = read_top(&r, root, &tasks, name, sizeof(name));
    json_decref(root);
    if (rc == 0) {
        rc = build(&r, tasks, name, p, out);
        if (rc != 0) {
            base_errf(err, errlen, -rc, "%.900s: cannot build the workload",
                      file);
        }
    }
    reader_clear(&r);
    return rc;
}

int
sim_workload_file_load(const char *path, const struct sim_wf_params *p,
                       struct wl_workload **out, char *err, size_t errlen)
{
    char *text = NULL;
    size_t len = 0;
    int rc;

    *out = NULL;
    rc = base_read_file(path, &text, &len);
    if (rc != 0) {
        base_errf(err, errlen, -rc, "%.900s: cannot read it", path);
        return rc;
    }
    rc = sim_workload_file_parse(text, len, path, p, out, err, errlen);
    free(text);
    return rc;
}
