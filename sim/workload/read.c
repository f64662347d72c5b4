/*
 * read.c - a workload file's JSON, read strictly into a struct wf_spec
 * (wfile.h); the format is docs/workloads.md's, version 1.
 *
 * The file is read by libjansson (duplicate keys refused); then every
 * object is checked against the keys it may have, so a typo is an error
 * rather than a default. Steps are flattened as they are read: a
 * {"repeat": {"times": N, "steps": [...]}} appends its steps N times, a
 * {"lock": {"name": L, "steps": [...]}} appends a lock step, its steps
 * and an unlock step. Locks are checked so that a file cannot deadlock:
 * a lock is not taken again inside itself (a threading.Lock is not
 * reentrant), and no two locks are taken in both orders (the lock-order
 * graph, kept as its transitive closure, stays acyclic). A count (the
 * tasks, a kind's tasks, a repeat's times, a countdown's iterations) may
 * be a run flag's name, "--pages", resolved from the run's value.
 *
 * Errors are one line: "FILE:LINE:COLUMN: ..." where the JSON itself is
 * broken, "FILE: $.kinds[0].steps[2].cpu: expected ..." where it does not
 * say what a workload must; control bytes of the file's text become '?'.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base.h"
#include "wfile.h"

const char *const wf_flag_names[SIM_WF_FLAGS] = {
    "--pages", "--threads", "--count", "--ops", "--cpu-threads"};

struct reader {
    const char *file;
    char *err;
    size_t errlen;
    const struct sim_wf_params *p;
    struct wf_spec *spec;
    /* reach[a][b]: lock b has been taken while a was held, directly or
     * through other locks. */
    unsigned char reach[WL_MAX_LOCKS][WL_MAX_LOCKS];
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
    char what[300];
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

/* "comment": text for the reader, a string or a list of strings. */
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

/* A whole number from lo to hi, or the name of a run flag whose value is
 * taken (and must be in range too). */
static int
count(struct reader *r, const char *path, json_t *j, int64_t lo, int64_t hi,
      int64_t *out)
{
    const int64_t vals[SIM_WF_FLAGS] = {r->p->pages, r->p->threads, r->p->count,
                                        r->p->ops, r->p->cpu_threads};
    double v;
    int f;

    if (json_is_string(j)) {
        for (f = 0; f < SIM_WF_FLAGS; f++) {
            if (strcmp(json_string_value(j), wf_flag_names[f]) == 0) {
                break;
            }
        }
        if (f == SIM_WF_FLAGS) {
            return fail(r, path,
                        "unknown flag \"%.40s\" (expected a whole number or "
                        "one of --pages, --threads, --count, --ops, "
                        "--cpu-threads)",
                        json_string_value(j));
        }
        r->spec->flags_used |= 1u << f;
        if (vals[f] < lo || vals[f] > hi) {
            return fail(r, path, "%s=%lld here, and this needs %lld to %lld",
                        wf_flag_names[f], (long long)vals[f], (long long)lo,
                        (long long)hi);
        }
        *out = vals[f];
        return 0;
    }
    v = json_is_number(j) ? json_number_value(j) : -1.0;
    if (!json_is_number(j) || v != floor(v) || v < (double)lo ||
        v > (double)hi) {
        return fail(r, path,
                    "expected a whole number from %lld to %lld, or a run "
                    "flag such as \"--pages\"",
                    (long long)lo, (long long)hi);
    }
    *out = (int64_t)v;
    return 0;
}

static double *
own(struct reader *r, size_t n)
{
    struct wf_owned *o = malloc(sizeof(*o) + n * sizeof(double));

    if (o == NULL) {
        return NULL;
    }
    o->next = r->spec->owned;
    r->spec->owned = o;
    return o->v;
}

/* A value: a constant or a distribution, in units of `max` at most. */
static int
read_value(struct reader *r, const char *path, json_t *j, double max,
           struct wl_dist *d)
{
    static const char *const dist_keys[] = {"uniform", "exponential",
                                            "lognormal", "samples", NULL};
    char sub[300];
    const char *k;
    json_t *v;
    double a = 0, b = 0; /* set by number() before any use */
    int rc = 0;

    if (json_is_number(j)) {
        rc = number(r, path, j, max, &a);
        return rc != 0 ? rc : wl_dist_const(d, a);
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
            if (wl_dist_uniform(d, a, b) != 0) {
                return fail(r, sub, "expected lo <= hi");
            }
        } else if (strcmp(k, "exponential") == 0) {
            if ((rc = number(r, sub, v, max, &a)) != 0) {
                return rc;
            }
            rc = wl_dist_exponential(d, a);
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
            if (wl_dist_lognormal(d, a, b) != 0) {
                return fail(r, sub, "expected 0 < p50 <= p99");
            }
        } else {
            size_t i, n = json_array_size(v);
            double *samples;

            if (!json_is_array(v) || n == 0 || n > WF_MAX_SAMPLES) {
                return fail(r, sub, "expected a list of 1 to %d numbers",
                            WF_MAX_SAMPLES);
            }
            samples = own(r, n);
            if (samples == NULL) {
                return fail(r, sub, "out of memory");
            }
            for (i = 0; i < n; i++) {
                char at[320];

                (void)snprintf(at, sizeof(at), "%.260s[%zu]", sub, i);
                if ((rc = number(r, at, json_array_get(v, i), max,
                                 &samples[i])) != 0) {
                    return rc;
                }
            }
            rc = wl_dist_empirical(d, samples, n);
        }
    }
    return rc;
}

/* ns of "ms", "us", and 1 for "instructions": the scales of the key lists
 * {"ms", "us"[, "instructions"]} that read_units takes. */
static const double time_scales[] = {1e6, 1e3, 1};

/* An amount: one of `keys` (units, each `scales[i]` ns, instructions or
 * bytes) with a value of at most `max` in ns (bytes), or of `max_instr`
 * instructions: into d, *scale, and *in_ns (1 unless the unit is
 * instructions). */
static int
read_units(struct reader *r, const char *path, json_t *j,
           const char *const *keys, const double *scales, double max,
           double max_instr, struct wl_dist *d, double *scale, int *in_ns)
{
    char sub[300], expect[160] = "";
    const char *k;
    json_t *v;
    size_t i;
    int rc = 0;

    for (i = 0; keys[i] != NULL; i++) {
        size_t n = strlen(expect);

        (void)snprintf(expect + n, sizeof(expect) - n, "%s{\"%s\": V}",
                       i == 0                ? ""
                       : keys[i + 1] == NULL ? " or "
                                             : ", ",
                       keys[i]);
    }
    if (!json_is_object(j) || json_object_size(j) != 1) {
        return fail(r, path, "expected %s", expect);
    }
    rc = known_keys(r, path, j, keys);
    if (rc != 0) {
        return rc;
    }
    json_object_foreach(j, k, v)
    {
        for (i = 0; strcmp(keys[i], k) != 0; i++) {
        }
        (void)snprintf(sub, sizeof(sub), "%.200s.%.60s", path, k);
        *scale = scales[i];
        *in_ns = strcmp(k, "instructions") != 0;
        rc = read_value(r, sub, v, *in_ns ? max / scales[i] : max_instr, d);
    }
    return rc;
}

/* {"ms": V}, {"us": V} or, for cpu, {"instructions": V}: at most an hour
 * of time, or 1e15 instructions. */
static int
read_amount(struct reader *r, const char *path, json_t *j, int cpu,
            struct wf_step *s)
{
    static const char *const cpu_keys[] = {"ms", "us", "instructions", NULL};
    static const char *const time_keys[] = {"ms", "us", NULL};

    return read_units(r, path, j, cpu ? cpu_keys : time_keys, time_scales,
                      3600e9, 1e15, &s->value, &s->scale, &s->in_ns);
}

/* {} or {"latency": {"ms": V}, "size": {"kib": V}}: the server's reply to
 * this fetch after its own latency (at most 60 s), of its own size (at
 * most 1 GiB); either may be left to the run's flags. */
static int
read_fetch(struct reader *r, const char *path, json_t *j, struct wf_step *s)
{
    static const char *const keys[] = {"latency", "size", NULL};
    static const char *const time_keys[] = {"ms", "us", NULL};
    static const char *const size_keys[] = {"bytes", "kib", "mib", NULL};
    static const double size_scales[] = {1, 1024, 1048576};
    char sub[300];
    json_t *v;
    int rc, in_ns;

    if (!json_is_object(j)) {
        return fail(r, path,
                    "expected {} or {\"latency\": {\"ms\": V}, \"size\": "
                    "{\"kib\": V}}");
    }
    if ((rc = known_keys(r, path, j, keys)) != 0) {
        return rc;
    }
    if ((v = json_object_get(j, "latency")) != NULL) {
        (void)snprintf(sub, sizeof(sub), "%.200s.latency", path);
        if ((rc = read_units(r, sub, v, time_keys, time_scales, 60e9, 0,
                             &s->latency, &s->latency_scale, &in_ns)) != 0) {
            return rc;
        }
        s->fetch_own |= WL_FETCH_LATENCY;
    }
    if ((v = json_object_get(j, "size")) != NULL) {
        (void)snprintf(sub, sizeof(sub), "%.200s.size", path);
        if ((rc = read_units(r, sub, v, size_keys, size_scales, 1073741824.0, 0,
                             &s->size, &s->size_scale, &in_ns)) != 0) {
            return rc;
        }
        s->fetch_own |= WL_FETCH_SIZE;
    }
    return 0;
}

/* {"iterations": V} (one call of count(n), V a value or a flag) or
 * {"total": N} (N split among the kind's tasks). */
static int
read_countdown(struct reader *r, const char *path, json_t *j, struct wf_step *s)
{
    static const char *const keys[] = {"iterations", "total", NULL};
    const double max = 1e15 / WL_COUNTDOWN_INSTRUCTIONS;
    char sub[300];
    const char *k;
    json_t *v;
    int64_t n;
    int rc;

    if (!json_is_object(j) || json_object_size(j) != 1) {
        return fail(r, path, "expected {\"iterations\": V} or {\"total\": N}");
    }
    if ((rc = known_keys(r, path, j, keys)) != 0) {
        return rc;
    }
    s->kind = WL_STEP_CPU;
    s->code_call = 1;
    s->scale = WL_COUNTDOWN_INSTRUCTIONS;
    json_object_foreach(j, k, v)
    {
        (void)snprintf(sub, sizeof(sub), "%.200s.%.60s", path, k);
        s->split = strcmp(k, "total") == 0;
        if (s->split || json_is_string(v)) {
            if ((rc = count(r, sub, v, s->split ? 1 : 0, (int64_t)max, &n)) !=
                0) {
                return rc;
            }
            return wl_dist_const(&s->value, (double)n);
        }
        return read_value(r, sub, v, max, &s->value);
    }
    return 0;
}

static int
empty_object(struct reader *r, const char *path, json_t *j)
{
    if (!json_is_object(j) || json_object_size(j) != 0) {
        return fail(r, path, "expected {}");
    }
    return 0;
}

/* Room for one more step of kind k. */
static struct wf_step *
push(struct reader *r, const char *path, struct wf_kind *k, int *rc)
{
    if (k->n_steps == k->cap) {
        size_t cap = k->cap == 0 ? 8 : k->cap * 2;
        struct wf_step *n;

        if (k->cap >= WF_MAX_FLAT) {
            *rc = fail(r, path,
                       "more than %d steps in a task once repeats are "
                       "unrolled",
                       WF_MAX_FLAT);
            return NULL;
        }
        n = realloc(k->steps, cap * sizeof(*n));
        if (n == NULL) {
            *rc = fail(r, path, "out of memory");
            return NULL;
        }
        k->steps = n;
        k->cap = cap;
    }
    memset(&k->steps[k->n_steps], 0, sizeof(k->steps[0]));
    return &k->steps[k->n_steps++];
}

/* write: {} (the body fetched last) or {"size": {"kib": V}} (that many
 * bytes); read: {"size": {"kib": V}}. At most 1 GiB; a write at least a
 * byte. */
static int
read_file_step(struct reader *r, const char *path, json_t *j, struct wf_step *s)
{
    static const char *const keys[] = {"size", NULL};
    static const char *const size_keys[] = {"bytes", "kib", "mib", NULL};
    static const double size_scales[] = {1, 1024, 1048576};
    int write = s->kind == WL_STEP_WRITE;
    char sub[300];
    json_t *v;
    int rc, in_ns;

    if (!json_is_object(j) || (!write && json_object_size(j) != 1)) {
        return fail(r, path, "expected %s{\"size\": {\"kib\": V}}",
                    write ? "{} or " : "");
    }
    if ((rc = known_keys(r, path, j, keys)) != 0) {
        return rc;
    }
    if ((v = json_object_get(j, "size")) == NULL) {
        return 0; /* write {}: the body fetched last */
    }
    (void)snprintf(sub, sizeof(sub), "%.200s.size", path);
    if ((rc = read_units(r, sub, v, size_keys, size_scales, 1073741824.0, 0,
                         &s->size, &s->size_scale, &in_ns)) != 0) {
        return rc;
    }
    if (write && s->size.kind == WL_DIST_CONST &&
        s->size.a * s->size_scale < 1) {
        return fail(r, sub, "expected at least a byte to write");
    }
    s->sized = 1;
    return 0;
}

static int read_steps(struct reader *r, const char *path, json_t *list,
                      struct wf_kind *k, unsigned held);

/* The index of lock `name`, a new one if it is the first use. */
static int
lock_index(struct reader *r, const char *path, const char *name, int *out)
{
    struct wf_spec *sp = r->spec;
    int i;

    for (i = 0; i < sp->n_locks; i++) {
        if (strcmp(sp->locks[i], name) == 0) {
            *out = i;
            return 0;
        }
    }
    if (sp->n_locks == WL_MAX_LOCKS) {
        return fail(r, path, "more than %d locks", WL_MAX_LOCKS);
    }
    (void)snprintf(sp->locks[sp->n_locks], sizeof(sp->locks[0]), "%s", name);
    *out = sp->n_locks++;
    return 0;
}

/* Lock b is taken with the locks of `held` held: refused if that could
 * deadlock with what the file does elsewhere. */
static int
lock_order(struct reader *r, const char *path, unsigned held, int b)
{
    int a, x, y;

    if (held & (1u << b)) {
        return fail(r, path,
                    "lock \"%s\" is already held here (a threading.Lock is "
                    "not reentrant: this would deadlock)",
                    r->spec->locks[b]);
    }
    for (a = 0; a < WL_MAX_LOCKS; a++) {
        if ((held & (1u << a)) && r->reach[b][a]) {
            return fail(r, path,
                        "lock \"%s\" is taken here while \"%s\" is held, and "
                        "elsewhere the other way round: the two orders can "
                        "deadlock",
                        r->spec->locks[b], r->spec->locks[a]);
        }
    }
    for (a = 0; a < WL_MAX_LOCKS; a++) {
        if (!(held & (1u << a))) {
            continue;
        }
        /* a -> b, and so everything reaching a reaches all b reaches. */
        for (x = 0; x < WL_MAX_LOCKS; x++) {
            if (x != a && !r->reach[x][a]) {
                continue;
            }
            for (y = 0; y < WL_MAX_LOCKS; y++) {
                if (y == b || r->reach[b][y]) {
                    r->reach[x][y] = 1;
                }
            }
        }
    }
    return 0;
}

static int
read_lock(struct reader *r, const char *path, json_t *j, struct wf_kind *k,
          unsigned held)
{
    static const char *const keys[] = {"name", "steps", "comment", NULL};
    json_t *name;
    char sub[300];
    struct wf_step *s;
    int rc = 0, id = 0;

    if (!json_is_object(j)) {
        return fail(r, path, "expected {\"name\": ..., \"steps\": [...]}");
    }
    if ((rc = known_keys(r, path, j, keys)) != 0 ||
        (rc = comment(r, path, j)) != 0) {
        return rc;
    }
    name = json_object_get(j, "name");
    (void)snprintf(sub, sizeof(sub), "%.200s.name", path);
    if (!json_is_string(name) || json_string_length(name) == 0 ||
        json_string_length(name) > 63 ||
        strlen(json_string_value(name)) != json_string_length(name)) {
        return fail(r, sub, "expected a string of 1 to 63 bytes");
    }
    if ((rc = lock_index(r, sub, json_string_value(name), &id)) != 0 ||
        (rc = lock_order(r, path, held, id)) != 0) {
        return rc;
    }
    if ((s = push(r, path, k, &rc)) == NULL) {
        return rc;
    }
    s->kind = WL_STEP_LOCK;
    s->lock = id;
    (void)snprintf(sub, sizeof(sub), "%.200s.steps", path);
    if ((rc = read_steps(r, sub, json_object_get(j, "steps"), k,
                         held | 1u << id)) != 0) {
        return rc;
    }
    if ((s = push(r, path, k, &rc)) == NULL) {
        return rc;
    }
    s->kind = WL_STEP_UNLOCK;
    s->lock = id;
    return 0;
}

static int
read_repeat(struct reader *r, const char *path, json_t *j, struct wf_kind *k,
            unsigned held)
{
    static const char *const keys[] = {"times", "steps", "comment", NULL};
    char sub[300];
    size_t from = k->n_steps, n, i;
    int64_t times, t;
    int rc;

    if (!json_is_object(j) || json_object_get(j, "times") == NULL) {
        return fail(r, path, "expected {\"times\": N, \"steps\": [...]}");
    }
    (void)snprintf(sub, sizeof(sub), "%.200s.times", path);
    if ((rc = known_keys(r, path, j, keys)) != 0 ||
        (rc = comment(r, path, j)) != 0 ||
        (rc = count(r, sub, json_object_get(j, "times"), 1, WF_MAX_FLAT,
                    &times)) != 0) {
        return rc;
    }
    (void)snprintf(sub, sizeof(sub), "%.200s.steps", path);
    if ((rc = read_steps(r, sub, json_object_get(j, "steps"), k, held)) != 0) {
        return rc;
    }
    n = k->n_steps - from;
    for (t = 1; t < times; t++) {
        for (i = 0; i < n; i++) {
            struct wf_step *s = push(r, path, k, &rc);

            if (s == NULL) {
                return rc;
            }
            *s = k->steps[from + i];
        }
    }
    return 0;
}

static int
read_step(struct reader *r, const char *path, json_t *j, struct wf_kind *k,
          unsigned held)
{
    char sub[300];
    const char *key = NULL;
    struct wf_step *s;
    json_t *v = NULL;
    int rc = 0;

    if (!json_is_object(j) || json_object_size(j) != 1) {
        return fail(r, path,
                    "expected a step: an object with one key, such as "
                    "{\"cpu\": {\"ms\": 2}} or {\"fetch\": {}}");
    }
    key = json_object_iter_key(json_object_iter(j));
    v = json_object_iter_value(json_object_iter(j));
    (void)snprintf(sub, sizeof(sub), "%.200s.%.60s", path, key);
    if (strcmp(key, "lock") == 0) {
        return read_lock(r, sub, v, k, held);
    }
    if (strcmp(key, "repeat") == 0) {
        return read_repeat(r, sub, v, k, held);
    }
    if ((s = push(r, sub, k, &rc)) == NULL) {
        return rc;
    }
    if (strcmp(key, "cpu") == 0) {
        s->kind = WL_STEP_CPU;
        return read_amount(r, sub, v, 1, s);
    }
    if (strcmp(key, "sleep") == 0 || strcmp(key, "native") == 0) {
        s->kind = key[0] == 's' ? WL_STEP_SLEEP : WL_STEP_NATIVE;
        return read_amount(r, sub, v, 0, s);
    }
    if (strcmp(key, "countdown") == 0) {
        return read_countdown(r, sub, v, s);
    }
    s->scale = 1.0;
    if (strcmp(key, "fetch") == 0) {
        s->kind = WL_STEP_FETCH;
        rc = read_fetch(r, sub, v, s);
        return rc != 0 ? rc : wl_dist_const(&s->value, 0.0);
    }
    if (strcmp(key, "write") == 0 || strcmp(key, "read") == 0) {
        s->kind = key[0] == 'w' ? WL_STEP_WRITE : WL_STEP_READ;
        rc = read_file_step(r, sub, v, s);
        return rc != 0 ? rc : wl_dist_const(&s->value, 0.0);
    } else if (strcmp(key, "decode") == 0) {
        s->kind = WL_STEP_CPU;
        s->decode = 1;
    } else if (strcmp(key, "spin") == 0) {
        s->kind = WL_STEP_CPU;
        s->code_call = 1;
        s->until = 1;
    } else {
        k->n_steps--;
        return fail(r, path,
                    "unknown step \"%.40s\" (expected cpu, native, sleep, "
                    "fetch, decode, write, read, countdown, spin, lock or "
                    "repeat)",
                    key);
    }
    if ((rc = empty_object(r, sub, v)) != 0) {
        return rc;
    }
    return wl_dist_const(&s->value, 0.0);
}

/* A list of 1 to WF_MAX_LIST steps, appended to k's. */
static int
read_steps(struct reader *r, const char *path, json_t *list, struct wf_kind *k,
           unsigned held)
{
    char sub[300];
    size_t i;
    int rc;

    if (!json_is_array(list) || json_array_size(list) == 0 ||
        json_array_size(list) > WF_MAX_LIST) {
        return fail(r, path, "expected a list of 1 to %d steps", WF_MAX_LIST);
    }
    for (i = 0; i < json_array_size(list); i++) {
        (void)snprintf(sub, sizeof(sub), "%.200s[%zu]", path, i);
        if ((rc = read_step(r, sub, json_array_get(list, i), k, held)) != 0) {
            return rc;
        }
    }
    return 0;
}

static int
read_kind(struct reader *r, const char *path, json_t *j, struct wf_kind *k)
{
    static const char *const keys[] = {"name",  "weight",  "tasks", "ends_run",
                                       "steps", "comment", NULL};
    json_t *v;
    char sub[300];
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
    k->tasks = -1;
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
    v = json_object_get(j, "tasks");
    if (v != NULL) {
        (void)snprintf(sub, sizeof(sub), "%.200s.tasks", path);
        if (json_object_get(j, "weight") != NULL) {
            return fail(r, sub,
                        "a kind has a weight or its own number of tasks, "
                        "not both");
        }
        if ((rc = count(r, sub, v, 0, WF_MAX_TASKS, &k->tasks)) != 0) {
            return rc;
        }
    }
    v = json_object_get(j, "ends_run");
    if (v != NULL && !json_is_boolean(v)) {
        (void)snprintf(sub, sizeof(sub), "%.200s.ends_run", path);
        return fail(r, sub, "expected true or false");
    }
    k->ends_run = v != NULL && json_is_true(v);
    (void)snprintf(sub, sizeof(sub), "%.200s.steps", path);
    return read_steps(r, sub, json_object_get(j, "steps"), k, 0);
}

/* What the kinds say together: the task count, the split countdowns'
 * shares, a spin step that can end. */
static int
check_kinds(struct reader *r, json_t *root)
{
    struct wf_spec *sp = r->spec;
    json_t *v = json_object_get(root, "tasks");
    size_t k, j, fixed = 0;
    int64_t sum = 0;
    int ends = 0, spins = 0;

    for (k = 0; k < sp->n_kinds; k++) {
        fixed += sp->kinds[k].tasks >= 0;
    }
    if (fixed != 0 && fixed != sp->n_kinds) {
        return fail(r, "$.kinds",
                    "either every kind has its own \"tasks\" or none has");
    }
    sp->fixed = fixed != 0;
    if (sp->fixed) {
        if (v != NULL) {
            return fail(r, "$.tasks",
                        "not with kinds that have their own \"tasks\" "
                        "(the workload's tasks are their sum)");
        }
        for (k = 0; k < sp->n_kinds; k++) {
            sum += sp->kinds[k].tasks;
        }
        if (sum < 1 || sum > WF_MAX_TASKS) {
            return fail(r, "$.kinds",
                        "the kinds' tasks add up to %lld (expected 1 to %d)",
                        (long long)sum, WF_MAX_TASKS);
        }
        sp->tasks = sum;
    } else {
        if (v == NULL) {
            return fail(r, "$.tasks",
                        "expected a whole number of tasks (or each kind's "
                        "own \"tasks\")");
        }
    }
    for (k = 0; k < sp->n_kinds; k++) {
        const struct wf_kind *kd = &sp->kinds[k];

        ends |= kd->ends_run && (!sp->fixed || kd->tasks > 0);
        for (j = 0; j < kd->n_steps; j++) {
            spins |= kd->steps[j].until && (!sp->fixed || kd->tasks > 0);
            if (kd->steps[j].split && !sp->fixed) {
                char at[64];

                (void)snprintf(at, sizeof(at), "$.kinds[%zu]", k);
                return fail(r, at,
                            "a countdown's \"total\" is split among the "
                            "kind's tasks: give the kind its own \"tasks\"");
            }
        }
    }
    if (spins && !ends) {
        return fail(r, "$.kinds",
                    "a spin step runs until a task of a kind with "
                    "\"ends_run\": true has ended, and no such task is here");
    }
    return 0;
}

/* A constant amount of one of `keys` (units, `scales`), at most `max`
 * ns (or instructions): into *out, *in_ns. */
static int
read_constant(struct reader *r, const char *path, json_t *j,
              const char *const *keys, double max, double *out, int *in_ns)
{
    struct wl_dist d;
    double scale = 1.0;
    int rc =
        read_units(r, path, j, keys, time_scales, max, max, &d, &scale, in_ns);

    if (rc != 0) {
        return rc;
    }
    if (d.kind != WL_DIST_CONST) {
        return fail(r, path, "expected a number, not a distribution");
    }
    *out = d.a * scale;
    return 0;
}

/* "cold_resume": {"window": {"us": W}, "after": {"ms": A}}: a thread off
 * the GIL for A or more (1 ms if not given) runs its next W of Python at
 * double cost (wl_workload.cold_instructions). */
static int
read_cold_resume(struct reader *r, json_t *root)
{
    static const char *const keys[] = {"window", "after", "comment", NULL};
    static const char *const window_keys[] = {"ms", "us", "instructions", NULL};
    static const char *const after_keys[] = {"ms", "us", NULL};
    struct wf_spec *sp = r->spec;
    json_t *j = json_object_get(root, "cold_resume"), *v;
    double after = 1e6;
    int in_ns = 1, rc;

    if (j == NULL) {
        return 0;
    }
    if (!json_is_object(j) || json_object_get(j, "window") == NULL) {
        return fail(r, "$.cold_resume",
                    "expected {\"window\": {\"us\": V}, \"after\": "
                    "{\"ms\": V}}");
    }
    if ((rc = known_keys(r, "$.cold_resume", j, keys)) != 0 ||
        (rc = comment(r, "$.cold_resume", j)) != 0 ||
        (rc = read_constant(r, "$.cold_resume.window",
                            json_object_get(j, "window"), window_keys,
                            WF_COLD_MAX_NS, &sp->cold_window,
                            &sp->cold_window_in_ns)) != 0) {
        return rc;
    }
    v = json_object_get(j, "after");
    if (v != NULL &&
        (rc = read_constant(r, "$.cold_resume.after", v, after_keys,
                            WF_COLD_MAX_NS, &after, &in_ns)) != 0) {
        return rc;
    }
    if (after < 1.0) {
        return fail(r, "$.cold_resume.after", "expected at least 1 ns");
    }
    sp->cold_set = 1;
    sp->cold_after_ns = (int64_t)(after + 0.5);
    return 0;
}

/* The top level. */
static int
read_top(struct reader *r, json_t *root)
{
    static const char *const keys[] = {"format",  "version", "name",
                                       "tasks",   "kinds",   "cold_resume",
                                       "comment", NULL};
    struct wf_spec *sp = r->spec;
    json_t *v, *kinds;
    char sub[64];
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
                    "expected 1 (the version this gilsim reads)");
    }
    v = json_object_get(root, "name");
    if (v != NULL) {
        if (!json_is_string(v) || json_string_length(v) == 0 ||
            json_string_length(v) >= sizeof(sp->name)) {
            return fail(r, "$.name", "expected a string of 1 to %zu bytes",
                        sizeof(sp->name) - 1);
        }
        (void)snprintf(sp->name, sizeof(sp->name), "%s", json_string_value(v));
    }
    v = json_object_get(root, "tasks");
    if (v != NULL &&
        (rc = count(r, "$.tasks", v, 1, WF_MAX_TASKS, &sp->tasks)) != 0) {
        return rc;
    }
    if ((rc = read_cold_resume(r, root)) != 0) {
        return rc;
    }
    kinds = json_object_get(root, "kinds");
    if (!json_is_array(kinds) || json_array_size(kinds) == 0 ||
        json_array_size(kinds) > WF_MAX_KINDS) {
        return fail(r, "$.kinds", "expected a list of 1 to %d task kinds",
                    WF_MAX_KINDS);
    }
    sp->kinds = calloc(json_array_size(kinds), sizeof(*sp->kinds));
    if (sp->kinds == NULL) {
        return fail(r, "$.kinds", "out of memory");
    }
    for (i = 0; i < json_array_size(kinds); i++) {
        sp->n_kinds = i + 1;
        (void)snprintf(sub, sizeof(sub), "$.kinds[%zu]", i);
        if ((rc = read_kind(r, sub, json_array_get(kinds, i), &sp->kinds[i])) !=
            0) {
            return rc;
        }
    }
    return check_kinds(r, root);
}

void
wf_spec_clear(struct wf_spec *sp)
{
    size_t k;

    for (k = 0; sp->kinds != NULL && k < sp->n_kinds; k++) {
        free(sp->kinds[k].steps);
    }
    free(sp->kinds);
    while (sp->owned != NULL) {
        struct wf_owned *next = sp->owned->next;

        free(sp->owned);
        sp->owned = next;
    }
    memset(sp, 0, sizeof(*sp));
}

int
wf_read(const char *text, size_t len, const char *file,
        const struct sim_wf_params *p, struct wf_spec *spec, char *err,
        size_t errlen)
{
    struct reader r;
    json_error_t jerr;
    json_t *root;
    int rc;

    memset(spec, 0, sizeof(*spec));
    root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        (void)snprintf(err, errlen, "%.900s:%d:%d: %s", file, jerr.line,
                       jerr.column, jerr.text);
        one_line(err);
        return -EBADMSG;
    }
    memset(&r, 0, sizeof(r));
    r.file = file;
    r.err = err;
    r.errlen = errlen;
    r.p = p;
    r.spec = spec;
    rc = read_top(&r, root);
    json_decref(root);
    if (rc != 0) {
        wf_spec_clear(spec);
    }
    return rc;
}
