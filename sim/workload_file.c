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
 * GIL, in "ms", "us" or "instructions"), native (C work that releases the
 * GIL and keeps a core busy, "ms" or "us"), sleep ("ms" or "us"), fetch (the
 * run's server or URL, page = the task's index) or write (the body the
 * task fetched last). A value is a number (a constant) or one of
 * {"uniform": [lo, hi]}, {"exponential": mean}, {"lognormal": {"p50": a,
 * "p99": b}} and {"samples": [x, ...]} (workloads/dist.c). Each task's
 * kind is drawn by weight (default 1), and each of its values from its
 * distribution, from one splitmix64 stream seeded with the run's seed,
 * so a seed gives the same workload every time. The top level and each
 * kind may have a "comment" (a string or a list of strings), for the
 * reader: JSON has no comments. Other unknown keys are refused
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
    char name[64];
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

/* Control bytes (a newline, an escape) of a file's keys or text become
 * '?', so that an error stays one line and prints no terminal escape. */
static void
one_line(char *s)
{
    for (; *s != '\0'; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f) {
            *s = '?';
        }
    }
}

static int
fail(struct reader *r, const char *path, const char *fmt, ...)
{
    char what[200];
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    (void)snprintf(r->err, r->errlen, "%.900s: %s: %s", r->file, path, what);
    one_line(r->err);
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

/* "comment": text for the reader, a string or a list of strings; the
 * top level and each kind may have one. */
static int
comment(struct reader *r, const char *path, json_t *o)
{
    json_t *c = json_object_get(o, "comment");
    char sub[300];
    size_t i;

    if (c == NULL || json_is_string(c)) {
        return 0;
    }
    (void)snprintf(sub, sizeof(sub), "%.200s.comment", path);
    if (!json_is_array(c)) {
        return fail(r, sub, "expected a string or a list of strings");
    }
    for (i = 0; i < json_array_size(c); i++) {
        if (!json_is_string(json_array_get(c, i))) {
            return fail(r, sub, "expected a string or a list of strings");
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
        if (strcmp(k, "sleep") == 0 || strcmp(k, "native") == 0) {
            s->kind = k[0] == 's' ? WL_STEP_SLEEP : WL_STEP_NATIVE;
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
                    "unknown step \"%.40s\" (expected cpu, native, sleep, "
                    "fetch or write)",
                    k);
    }
    return 0;
}

static int
read_kind(struct reader *r, const char *path, json_t *j, struct kind_spec *k)
{
    static const char *const keys[] = {"name", "weight", "steps", "comment",
                                       NULL};
    json_t *steps, *v;
    char sub[300];
    size_t i;
    int rc;

    if (!json_is_object(j)) {
        return fail(r, path, "expected an object with \"steps\"");
    }
    if ((rc = known_keys(r, path, j, keys)) != 0 ||
        (rc = comment(r, path, j)) != 0) {
        return rc;
    }
    v = json_object_get(j, "name");
    if (v != NULL && (!json_is_string(v) || json_string_length(v) > 63)) {
        (void)snprintf(sub, sizeof(sub), "%.200s.name", path);
        return fail(r, sub, "expected a string of at most 63 bytes");
    }
    if (v != NULL) {
        (void)snprintf(k->name, sizeof(k->name), "%s", json_string_value(v));
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
    static const char *const keys[] = {"format", "version", "name", "tasks",
                                       "kinds",  "comment", NULL};
    json_t *v, *kinds;
    char sub[64];
    double t;
    size_t i;
    int rc;

    if (!json_is_object(root)) {
        return fail(r, "$", "expected an object");
    }
    if ((rc = known_keys(r, "$", root, keys)) != 0 ||
        (rc = comment(r, "$", root)) != 0) {
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
            } else if (s->kind == WL_STEP_SLEEP || s->kind == WL_STEP_NATIVE) {
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

/* The text's JSON, read into r (kinds, task count, name): 0, or -errno
 * with one line in r->err and nothing left in r. */
static int
read_spec(struct reader *r, const char *text, size_t len, const char *file,
          size_t *tasks, char *name, size_t namelen, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *root;
    int rc;

    memset(r, 0, sizeof(*r));
    root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        (void)snprintf(err, errlen, "%.900s:%d:%d: %s", file, jerr.line,
                       jerr.column, jerr.text);
        one_line(err);
        return -EBADMSG;
    }
    r->file = file;
    r->err = err;
    r->errlen = errlen;
    rc = read_top(r, root, tasks, name, namelen);
    json_decref(root);
    if (rc != 0) {
        reader_clear(r);
    }
    return rc;
}

int
sim_workload_file_parse(const char *text, size_t len, const char *file,
                        const struct sim_wf_params *p, struct wl_workload **out,
                        char *err, size_t errlen)
{
    struct reader r;
    char name[64] = "file";
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
    rc =
        read_spec(&r, text, len, file, &tasks, name, sizeof(name), err, errlen);
    if (rc != 0) {
        return rc;
    }
    rc = build(&r, tasks, name, p, out);
    if (rc != 0) {
        base_errf(err, errlen, -rc, "%.900s: cannot build the workload", file);
    }
    reader_clear(&r);
    return rc;
}

/* ---- gilsim workload check -------------------------------------------- */

/* A time in ns, in the unit that reads best. */
static void
put_ns(FILE *f, double ns)
{
    if (ns >= 1e9) {
        fprintf(f, "%.3g s", ns / 1e9);
    } else if (ns >= 1e6) {
        fprintf(f, "%.3g ms", ns / 1e6);
    } else {
        fprintf(f, "%.3g us", ns / 1e3);
    }
}

/* A step's value: its mean and, for a distribution, what it is. */
static void
put_value(FILE *f, const struct step_spec *s, double instr_ns)
{
    const struct wl_dist *d = &s->value;
    double k = s->scale * (s->in_ns ? 1.0 : instr_ns); /* to ns */

    fputs(d->kind == WL_DIST_CONST ? "" : "mean ", f);
    put_ns(f, wl_dist_mean(d) * k);
    switch (d->kind) {
    case WL_DIST_CONST:
        break;
    case WL_DIST_UNIFORM:
        fputs(": uniform, ", f);
        put_ns(f, d->a * k);
        fputs(" to ", f);
        put_ns(f, d->b * k);
        break;
    case WL_DIST_EXPONENTIAL:
        fputs(": exponential", f);
        break;
    case WL_DIST_LOGNORMAL:
        fputs(": log-normal, p50 ", f);
        put_ns(f, exp(d->a) * k);
        fputs(", p99 ", f);
        put_ns(f, exp(d->a + 2.3263478740408408 * d->b) * k);
        break;
    case WL_DIST_EMPIRICAL:
        fprintf(f, ": %zu samples", d->n);
        break;
    }
    if (!s->in_ns) {
        fprintf(f, " (%.0f instructions)", wl_dist_mean(d));
    }
}

int
sim_workload_file_describe(const char *path, double instr_ns, FILE *out,
                           char *err, size_t errlen)
{
    static const char *const step_names[] = {"cpu", "sleep", "fetch", "write",
                                             "native"};
    struct reader r;
    char name[64] = "";
    char *text = NULL;
    size_t len = 0, tasks = 0, k, j;
    double total = 0.0, all_cpu = 0.0, all_sleep = 0.0, all_fetch = 0.0;
    double all_native = 0.0;
    int rc;

    rc = base_read_file(path, &text, &len);
    if (rc != 0) {
        base_errf(err, errlen, -rc, "%.900s: cannot read it", path);
        return rc;
    }
    rc =
        read_spec(&r, text, len, path, &tasks, name, sizeof(name), err, errlen);
    free(text);
    if (rc != 0) {
        return rc;
    }
    for (k = 0; k < r.n_kinds; k++) {
        total += r.kinds[k].weight;
    }
    fprintf(out, "%s%s%s: %zu tasks of %zu kind%s; an instruction is %.3g ns\n",
            name[0] != '\0' ? name : path, name[0] != '\0' ? " in " : "",
            name[0] != '\0' ? path : "", tasks, r.n_kinds,
            r.n_kinds == 1 ? "" : "s", instr_ns);
    for (k = 0; k < r.n_kinds; k++) {
        const struct kind_spec *kind = &r.kinds[k];
        double share = kind->weight / total;
        double cpu = 0.0, sleep = 0.0, native = 0.0;
        int fetches = 0, writes = 0;

        fprintf(out, "  %s: weight %g, %.3g %% of tasks (%.0f expected)\n",
                kind->name[0] != '\0' ? kind->name : "(no name)", kind->weight,
                100.0 * share, share * (double)tasks);
        for (j = 0; j < kind->n_steps; j++) {
            const struct step_spec *s = &kind->steps[j];
            double ns = wl_dist_mean(&s->value) * s->scale *
                        (s->in_ns ? 1.0 : instr_ns);

            fprintf(out, "    %2zu. %-6s ", j + 1, step_names[s->kind]);
            if (s->kind == WL_STEP_CPU || s->kind == WL_STEP_SLEEP ||
                s->kind == WL_STEP_NATIVE) {
                put_value(out, s, instr_ns);
                fputs(s->kind == WL_STEP_NATIVE
                          ? " on a core, without the GIL\n"
                          : "\n",
                      out);
                if (s->kind == WL_STEP_CPU) {
                    cpu += ns;
                } else if (s->kind == WL_STEP_NATIVE) {
                    native += ns;
                } else {
                    sleep += ns;
                }
            } else if (s->kind == WL_STEP_FETCH) {
                fputs("a page of the run's server (or --url), with the "
                      "GIL released\n",
                      out);
                fetches++;
            } else {
                fputs("the page the task fetched last, to a file\n", out);
                writes++;
            }
        }
        fputs("      a task, on average: ", out);
        put_ns(out, cpu);
        fputs(" of Python under the GIL, ", out);
        put_ns(out, native);
        fputs(" of native code and ", out);
        put_ns(out, sleep);
        fprintf(out, " asleep, %d fetch%s and %d write%s off it\n", fetches,
                fetches == 1 ? "" : "es", writes, writes == 1 ? "" : "s");
        all_cpu += share * (double)tasks * cpu;
        all_native += share * (double)tasks * native;
        all_sleep += share * (double)tasks * sleep;
        all_fetch += share * (double)tasks * (double)fetches;
    }
    fputs("all tasks, expected: ", out);
    put_ns(out, all_cpu);
    fputs(" of Python under the GIL (what one GIL must run in turn), ", out);
    put_ns(out, all_native);
    fputs(" of native code beside it, ", out);
    put_ns(out, all_sleep);
    fprintf(out, " of sleep, %.0f fetches\n", all_fetch);
    reader_clear(&r);
    return ferror(out) ? -EIO : 0;
}

/* ---- gilsim workload new ---------------------------------------------- */

/* A starter file: every step kind, a constant and each distribution, with
 * comments that say what each part is. It reads (a test checks). */
static const char starter[] =
    "{\n"
    "  \"format\": \"gilsim-workload\", \"version\": 1,\n"
    "  \"comment\": [\n"
    "    \"A gilsim workload file (docs/workloads.md). Run it with\",\n"
    "    \"gilsim run --workload=THIS_FILE; see a task with gilsim "
    "workload\",\n"
    "    \"check THIS_FILE. Keys called comment are for you; any other\",\n"
    "    \"unknown key is refused, so a typo is never a silent default.\"],\n"
    "  \"name\": \"my-service\",\n"
    "  \"tasks\": 100,\n"
    "  \"kinds\": [\n"
    "    {\"name\": \"request\", \"weight\": 4,\n"
    "     \"comment\": [\"Each task is one kind, drawn by weight (4 of 5 "
    "here).\",\n"
    "                 \"Steps run in order: fetch a page of the run's "
    "server\",\n"
    "                 \"(or --url) with the GIL released, parse it in "
    "Python\",\n"
    "                 \"(a log-normal time, p50 and p99), write it out.\"],\n"
    "     \"steps\": [{\"fetch\": {}},\n"
    "               {\"cpu\": {\"us\": {\"lognormal\": {\"p50\": 400, \"p99\": "
    "3000}}}},\n"
    "               {\"write\": {}}]},\n"
    "    {\"name\": \"report\", \"weight\": 1,\n"
    "     \"comment\": [\"Python work given in ms (uniform between two\",\n"
    "                 \"values), or in instructions of --instr-ns; native "
    "is\",\n"
    "                 \"C code that releases the GIL (zlib, hashlib) but "
    "keeps\",\n"
    "                 \"a core busy; a sleep releases the GIL. Values: a "
    "number,\",\n"
    "                 \"or uniform, exponential (mean), lognormal (p50, "
    "p99)\",\n"
    "                 \"or samples (a list).\"],\n"
    "     \"steps\": [{\"cpu\": {\"ms\": {\"uniform\": [2, 8]}}},\n"
    "               {\"native\": {\"ms\": 3}},\n"
    "               {\"sleep\": {\"ms\": {\"exponential\": 5}}},\n"
    "               {\"cpu\": {\"instructions\": 50000}}]}]}\n";

static int
put_starter(const void *ctx, FILE *f)
{
    (void)ctx;
    return fputs(starter, f) >= 0 ? 0 : -EIO;
}

int
sim_workload_file_new(const char *path, char *err, size_t errlen)
{
    char dir[4096], name[1024];
    const char *slash = strrchr(path, '/');
    struct stat st;

    if (lstat(path, &st) == 0) {
        (void)snprintf(err, errlen,
                       "%.900s: already there (expected a new file's name)",
                       path);
        return -EEXIST;
    }
    if (slash == NULL) {
        (void)snprintf(dir, sizeof(dir), ".");
        (void)snprintf(name, sizeof(name), "%.1000s", path);
    } else {
        (void)snprintf(dir, sizeof(dir), "%.*s",
                       slash == path ? 1 : (int)(slash - path), path);
        (void)snprintf(name, sizeof(name), "%.1000s", slash + 1);
    }
    if (name[0] == '\0') {
        (void)snprintf(err, errlen, "%.900s: a folder (expected a file name)",
                       path);
        return -EISDIR;
    }
    return base_write_atomic(dir, name, put_starter, NULL, err, errlen);
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
