/*
 * sweep_config.c - what a sweep was measured under, kept in its folder
 * (sweep-config.json), so that a resumed sweep never mixes in rows
 * measured under other settings.
 *
 * A sweep's rows are matched on the cell alone (model, threads,
 * processes, switch interval, repetition). Everything else that changes
 * what a row measures is written down when the sweep starts, each as a
 * string under the name of its flag: the workload and its sizes, the
 * server's and the engine's settings, the GIL policy, the costs (and the
 * calibration file's content, hashed), the gilsim version and the host's
 * core count and CPU model. A resume compares them one by one and is
 * refused, naming each difference, if any differs. The sweep's own lists
 * (--threads, --processes, --switch-interval), --repeat and the output
 * options are not part of it: a resume may add cells and repetitions.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calibrate.h"
#include "run.h"

#define CONFIG_NAME "sweep-config.json"
#define MAX_PAIRS   48
#define VALUE_LEN   256

struct pairs {
    char key[MAX_PAIRS][32];
    char value[MAX_PAIRS][VALUE_LEN];
    size_t n;
};

static void put(struct pairs *p, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
put(struct pairs *p, const char *key, const char *fmt, ...)
{
    va_list ap;

    if (p->n >= MAX_PAIRS) {
        return;
    }
    (void)snprintf(p->key[p->n], sizeof(p->key[0]), "%s", key);
    va_start(ap, fmt);
    (void)vsnprintf(p->value[p->n], VALUE_LEN, fmt, ap);
    va_end(ap);
    p->n++;
}

/* A file's content as a 64-bit hash (splitmix64 over its bytes), or
 * "none". */
static void
file_hash(const char *path, char *buf, size_t len)
{
    char *text;
    size_t n, i;
    uint64_t h = 0;

    if (path[0] == '\0' ||
        base_read_file(path, BASE_MAX_SMALL, &text, &n) != 0) {
        (void)snprintf(buf, len, "none");
        return;
    }
    for (i = 0; i < n; i++) {
        h = base_mix64(h ^ (unsigned char)text[i]);
    }
    free(text);
    (void)snprintf(buf, len, "%016llx", (unsigned long long)h);
}

/* Everything of `o` that changes what a row of the sweep measures. */
static void
config_of(const struct sim_options *o, struct pairs *p)
{
    char text[VALUE_LEN];
    int m;

    p->n = 0;
    put(p, "gilsim-version", "%s", SIM_VERSION);
    text[0] = '\0';
    for (m = 0; m < SIM_MODEL_COUNT; m++) {
        if (o->models & (1u << m)) {
            (void)snprintf(text + strlen(text), sizeof(text) - strlen(text),
                           "%s%s", text[0] != '\0' ? "," : "",
                           sim_model_name((enum sim_model)m));
        }
    }
    put(p, "model", "%s", text);
    /* A workload file by its path, cut at VALUE_LEN (its content is not
     * compared). */
    put(p, "workload", "%s",
        o->workload_file[0] != '\0' ? o->workload_file : o->workload);
    put(p, "pages", "%lld", (long long)o->pages);
    put(p, "count", "%lld", (long long)o->count);
    put(p, "ops", "%lld", (long long)o->ops);
    put(p, "cpu-threads", "%d", o->cpu_threads);
    if (o->n_sweep_concurrency > 1) {
        put(p, "concurrency", "%s", "the rows'"); /* an axis: per row */
    } else {
        put(p, "concurrency", "%d", o->concurrency);
    }
    put(p, "url", "%s", o->url);
    put(p, "latency", "%lldns", (long long)sim_opt_latency_ns(o));
    put(p, "latency-jitter", "%lldns", (long long)o->jitter_ns);
    put(p, "body-size", "%lldB", (long long)sim_opt_body_size(o));
    put(p, "fail-rate", "%.17g", o->fail_rate);
    put(p, "seed", "%llu", (unsigned long long)o->seed);
    put(p, "connections", "%d", o->connections);
    put(p, "timeout", "%lldns", (long long)o->timeout_ns);
    put(p, "connect-timeout", "%lldns", (long long)o->connect_timeout_ns);
    put(p, "policy", "%s", o->policy);
    put(p, "interpreters", "%d", o->interpreters);
    put(p, "check-every", "%lld", (long long)o->check_every);
    put(p, "instr-ns", "%.17g", o->costs.instr_ns);
    put(p, "worker-start", "%lldns", (long long)o->costs.worker_start_ns);
    put(p, "calibration", "%s", o->calibration);
    file_hash(o->calibration, text, sizeof(text));
    put(p, "calibration-hash", "%s", text);
    put(p, "engine", "%s", o->engine_virtual ? "virtual" : "real");
    put(p, "cores", "%d", o->cores);
    put(p, "bandwidth", "%lldB/s", (long long)o->bandwidth_bps);
    put(p, "write-cost", "%lldns", (long long)o->write_cost_ns);
    /* Virtual time does not depend on the host; real time does. */
    if (o->engine_virtual) {
        put(p, "host-cores", "any");
        put(p, "host-cpu", "any");
    } else {
        put(p, "host-cores", "%d", base_host_cores());
        base_cpu_model(text, sizeof(text));
        put(p, "host-cpu", "%s", text);
    }
}

static int
write_fn(const void *ctx, FILE *f)
{
    const struct pairs *p = ctx;
    size_t i;

    fputs("{", f);
    for (i = 0; i < p->n; i++) {
        fprintf(f, "%s\n  ", i == 0 ? "" : ",");
        sim_trace_json_string(f, p->key[i], SIZE_MAX);
        fputs(": ", f);
        sim_trace_json_string(f, p->value[i], SIZE_MAX);
    }
    fputs("\n}\n", f);
    return ferror(f) ? -EIO : 0;
}

int
sim_sweep_config_write(const struct sim_options *o, const char *dir, char *err,
                       size_t errlen)
{
    struct pairs p;

    config_of(o, &p);
    return base_write_atomic(dir, CONFIG_NAME, write_fn, &p, err, errlen);
}

/* The member callback: keep each string. */
static int
keep(const char *key, const struct sim_json_value *v, void *ctx, char *err,
     size_t errlen)
{
    struct pairs *p = ctx;

    if (v->type != SIM_JSON_STRING) {
        (void)snprintf(err, errlen, "\"%.32s\" is not a string", key);
        return -EBADMSG;
    }
    put(p, key, "%s", v->string);
    return 0;
}

int
sim_sweep_config_check(const struct sim_options *o, const char *dir, char *why,
                       size_t whylen)
{
    struct pairs now, was;
    char path[4200];
    char perr[SIM_ERR_LEN];
    char *text;
    size_t len, i, k, at = 0;
    int rc, differ = 0;

    (void)snprintf(path, sizeof(path), "%s/%s", dir, CONFIG_NAME);
    rc = base_read_file(path, BASE_MAX_SMALL, &text, &len);
    if (rc != 0) {
        (void)snprintf(why, whylen,
                       "its settings were not recorded (no " CONFIG_NAME ")");
        return 1;
    }
    was.n = 0;
    rc = sim_flatjson_parse(text, len, keep, &was, perr, sizeof(perr));
    free(text);
    if (rc != 0) {
        (void)snprintf(why, whylen, CONFIG_NAME " is damaged: %s", perr);
        return 1;
    }
    config_of(o, &now);
    why[0] = '\0';
    for (i = 0; i < now.n; i++) {
        const char *old = NULL;

        for (k = 0; k < was.n; k++) {
            if (strcmp(was.key[k], now.key[i]) == 0) {
                old = was.value[k];
                break;
            }
        }
        if (old != NULL && strcmp(old, now.value[i]) == 0) {
            continue;
        }
        if (at < whylen) {
            int w =
                snprintf(why + at, whylen - at, "%s--%s (was %.60s, now %.60s)",
                         differ ? ", " : "", now.key[i],
                         old != NULL ? old : "not recorded", now.value[i]);

            at += w > 0 ? (size_t)w : 0;
        }
        differ = 1;
    }
    return differ;
}
