/*
 * write_summary.c - writes summary.json: what each run was and what it
 * gave.
 *
 *     {"gilsim_version": ..., "command": ..., "runs": [{...}, ...]}
 *
 * (the _ex form lets the caller add top-level members before "runs":
 * sim/ adds "costs").
 *
 * Each run is one struct sim_trace_summary written as a flat object, one
 * key a line, in the order of the struct: parameters (model, policy,
 * workload, threads, processes, switch_interval_ns, check_every, instr_ns,
 * repeat), times (wall_ns and its min and max over repetitions, cpu_ns,
 * then the per-state totals gil_hold_ns, gil_wait_ns, io_ns, idle_ns), GIL
 * counts, hand-off latency as handoff_ns {p50, p99, max}, step results
 * with steps_failed_by naming only the outcomes that occurred, and event
 * counts. Times are integer nanoseconds. Strings go through
 * sim_trace_json_string() (write_json.c), so the output is always valid
 * JSON.
 */
#include "trace.h"

#include <errno.h>
#include <math.h>

#include "trace_internal.h"

static void
key(FILE *f, const char *name)
{
    fprintf(f, ",\n      \"%s\": ", name);
}

static void
key_i64(FILE *f, const char *name, int64_t v)
{
    key(f, name);
    fprintf(f, "%lld", (long long)v);
}

static void
key_u64(FILE *f, const char *name, uint64_t v)
{
    key(f, name);
    fprintf(f, "%llu", (unsigned long long)v);
}

/* A run's settings: model, policy, workload, pools, interval, costs. */
static void
write_settings(FILE *f, const struct sim_trace_summary *r)
{
    fputs("    {\n      \"model\": ", f);
    sim_trace_json_string(f, r->model, sizeof(r->model));
    key(f, "policy");
    sim_trace_json_string(f, r->policy, sizeof(r->policy));
    key(f, "policy_what_if");
    fputs(r->policy_what_if ? "true" : "false", f);
    key(f, "workload");
    sim_trace_json_string(f, r->workload, sizeof(r->workload));
    key(f, "client");
    if (r->client[0] != '\0') {
        sim_trace_json_string(f, r->client, sizeof(r->client));
    } else {
        fputs("null", f);
    }
    key_i64(f, "threads", r->threads);
    key_i64(f, "processes", r->processes);
    key_i64(f, "concurrency", r->concurrency);
    key_i64(f, "switch_interval_ns", r->switch_interval_ns);
    key_i64(f, "check_every", r->check_every);
    key(f, "instr_ns");
    /* JSON has no NaN or infinity. */
    if (isfinite(r->instr_ns)) {
        fprintf(f, "%.9g", r->instr_ns);
    } else {
        fputs("null", f);
    }
    key_i64(f, "repeat", r->repeat);
}

/* Its times and the GIL's counts. */
static void
write_counts(FILE *f, const struct sim_trace_summary *r)
{
    const struct sim_trace_stats *s = &r->stats;

    key_i64(f, "wall_ns", r->wall_ns);
    key_i64(f, "wall_ns_min", r->wall_ns_min);
    key_i64(f, "wall_ns_max", r->wall_ns_max);
    key_i64(f, "wall_ns_mean", r->wall_ns_mean);
    key_i64(f, "wall_ns_sd", r->wall_ns_sd);
    key_i64(f, "cpu_ns", r->cpu_ns);
    key_i64(f, "gil_hold_ns", s->hold_ns);
    key_i64(f, "gil_wait_ns", s->wait_ns);
    key_i64(f, "io_ns", s->io_ns);
    key_i64(f, "idle_ns", s->idle_ns);
    key_u64(f, "takes", s->takes);
    key_u64(f, "drops", s->drops);
    key_u64(f, "waits", s->waits);
    key_u64(f, "switches", s->switches);
    key_u64(f, "forced_switches", s->forced_switches);
    key_u64(f, "drop_requests", s->drop_requests);
    key_u64(f, "handoffs", s->handoffs);
    key(f, "handoff_ns");
    fprintf(f, "{\"p50\": %lld, \"p99\": %lld, \"max\": %lld}",
            (long long)s->handoff_p50_ns, (long long)s->handoff_p99_ns,
            (long long)s->handoff_max_ns);
    key(f, "fetch_ns");
    fprintf(f, "{\"count\": %llu, \"p50\": %lld, \"p99\": %lld, \"max\": %lld}",
            (unsigned long long)s->fetches, (long long)s->fetch_p50_ns,
            (long long)s->fetch_p99_ns, (long long)s->fetch_max_ns);
    key_u64(f, "tasks", s->tasks);
    key_u64(f, "steps_ok", s->steps_ok);
    key_u64(f, "steps_failed", s->steps_failed);
}

/* Its failed steps, by reason, and each reason's first failure. */
static void
write_failures(FILE *f, const struct sim_trace_summary *r)
{
    const struct sim_trace_stats *s = &r->stats;
    int first = 1;
    int o;

    key(f, "steps_failed_by");
    putc('{', f);
    for (o = 0; o < SIM_OUT_COUNT; o++) {
        if (s->steps_failed_by[o] == 0) {
            continue;
        }
        fprintf(f, "%s\"%s\": %llu", first ? "" : ", ",
                sim_trace_outcome_name((enum sim_outcome)o),
                (unsigned long long)s->steps_failed_by[o]);
        first = 0;
    }
    putc('}', f);
    /* Why: each reason's earliest failure, its code and its words. */
    key(f, "failures");
    putc('{', f);
    first = 1;
    for (o = 0; o < SIM_OUT_COUNT; o++) {
        if (s->steps_failed_by[o] == 0) {
            continue;
        }
        fprintf(f,
                "%s\"%s\": {\"count\": %llu, \"first_code\": %lld, "
                "\"first_error\": ",
                first ? "" : ", ", sim_trace_outcome_name((enum sim_outcome)o),
                (unsigned long long)s->steps_failed_by[o],
                (long long)s->fail_code[o]);
        sim_trace_json_string(f, r->fail_text[o], sizeof(r->fail_text[o]));
        putc('}', f);
        first = 0;
    }
    putc('}', f);
}

/* The server's counts, the trace's, and the virtual engine's. */
static void
write_tail(FILE *f, const struct sim_trace_summary *r)
{
    const struct sim_trace_stats *s = &r->stats;

    key(f, "server");
    if (r->has_server) {
        fprintf(f,
                "{\"requests\": %llu, \"replies_ok\": %llu, "
                "\"injected_500\": %llu, \"injected_close\": %llu, "
                "\"injected_stall\": %llu}",
                (unsigned long long)r->server_requests,
                (unsigned long long)r->server_replies_ok,
                (unsigned long long)r->server_injected_500,
                (unsigned long long)r->server_injected_close,
                (unsigned long long)r->server_injected_stall);
    } else {
        fputs("null", f);
    }
    key_u64(f, "events", s->events);
    key_u64(f, "events_lost", s->events_lost);
    key(f, "trace");
    sim_trace_json_string(f, r->trace_kept[0] != '\0' ? r->trace_kept : "head",
                          sizeof(r->trace_kept));
    key_u64(f, "events_cut", r->events_cut);
    key_i64(f, "trace_from_ns", r->trace_from_ns);
    key_i64(f, "trace_to_ns", r->trace_to_ns);
    key(f, "engine");
    if (r->has_engine) {
        fprintf(f,
                "{\"cores\": %d, \"events\": %llu, \"handoffs\": %llu, "
                "\"preempts\": %llu, \"absorbed\": %llu}",
                r->engine_cores, (unsigned long long)r->engine_events,
                (unsigned long long)r->engine_handoffs,
                (unsigned long long)r->engine_preempts,
                (unsigned long long)r->engine_absorbed);
    } else {
        fputs("null", f);
    }
}

static void
write_run(FILE *f, const struct sim_trace_summary *r)
{
    write_settings(f, r);
    write_counts(f, r);
    write_failures(f, r);
    write_tail(f, r);
    fputs("\n    }", f);
}

int
sim_trace_write_summary_json(const struct sim_trace_summary *runs, size_t n,
                             const char *version, const char *command, FILE *f)
{
    return sim_trace_write_summary_json_ex(runs, n, version, command, NULL,
                                           NULL, f);
}

int
sim_trace_write_summary_json_ex(const struct sim_trace_summary *runs, size_t n,
                                const char *version, const char *command,
                                void (*extra)(const void *ctx, FILE *f),
                                const void *ctx, FILE *f)
{
    size_t i;

    if (f == NULL || (runs == NULL && n > 0)) {
        return -EINVAL;
    }
    /* format and format_version let a reader tell a summary from other
     * JSON and notice a later layout; the version goes up only when a
     * key changes meaning or goes away. */
    fputs("{\n  \"format\": \"gilsim-summary\",\n  \"format_version\": 1,"
          "\n  \"gilsim_version\": ",
          f);
    sim_trace_json_string(f, version != NULL ? version : "", SIZE_MAX);
    fputs(",\n  \"command\": ", f);
    sim_trace_json_string(f, command != NULL ? command : "", SIZE_MAX);
    if (extra != NULL) {
        extra(ctx, f);
    }
    fputs(",\n  \"runs\": [", f);
    for (i = 0; i < n; i++) {
        fputs(i == 0 ? "\n" : ",\n", f);
        write_run(f, &runs[i]);
    }
    fputs(n > 0 ? "\n  ]\n}\n" : "]\n}\n", f);
    return ferror(f) ? -EIO : 0;
}
