/*
 * once.c - one repetition of one model (sim_run_once), and the I/O that
 * every repetition of an I/O workload shares (sim_run_io_start/stop).
 *
 * sim_run_once builds the workload (the cpu countdown in one task per
 * --threads, so serial runs exactly the same tasks as the pools), a trace
 * with one buffer per model thread, and a GIL on the real clock whose
 * hooks record into those buffers; it then runs the model and measures
 * wall time (from the model's start to its last join) and CPU time
 * (getrusage of the whole process and of the worker processes it reaped,
 * user + system). Because every GIL event is recorded by the thread it
 * concerns, the trace's counts must equal the lock's own counters whenever
 * no event was lost; a difference is a bug in gilsim and returns -EPROTO
 * (exit status 3).
 *
 * I/O workloads (seed, convoy) fetch from the embedded loopback latency
 * server, which sim_run_io_start() starts once for a whole run or sweep
 * (or from --url), and give each model thread its own libcurl handle. The
 * server's counters are read before and after each repetition, so
 * summary.json says what it served and what failures it injected during
 * that run.
 */
#include <errno.h>
#include <string.h>
#include <sys/resource.h>

#include "base.h"
#include "run.h"

static int64_t
rusage_ns(int who)
{
    struct rusage ru;

    if (getrusage(who, &ru) != 0) {
        return 0;
    }
    return ((int64_t)ru.ru_utime.tv_sec + (int64_t)ru.ru_stime.tv_sec) *
               1000000000 +
           ((int64_t)ru.ru_utime.tv_usec + (int64_t)ru.ru_stime.tv_usec) * 1000;
}

/* This process, plus the children it has reaped: the worker processes of
 * the processes model are reaped before the model returns. */
static int64_t
cpu_now_ns(void)
{
    return rusage_ns(RUSAGE_SELF) + rusage_ns(RUSAGE_CHILDREN);
}

/* The Python-side costs of I/O (requests, decoding, encoding) are in
 * o->costs: costs.c has their defaults and docs/io.md how they were
 * measured. */
#define IO_MAX_BODY ((uint64_t)256 * 1024 * 1024)

/*
 * The virtual engine's machine (--engine=virtual). A signalled waiter runs
 * o->costs.cond_wake_ns after the signal and a timer fires
 * o->costs.timer_slack_ns late (their defaults and how `gilsim calibrate`
 * measures them: costs.c). VT_SLICE_NS: CFS's minimum granularity on 2
 * cores (0.75 ms x (1 + log2 2)) rounded to 3 ms.
 */
#define VT_SLICE_NS 3000000

/*
 * A shape of a request the costs do not hold (measured with strace on
 * Debian 12's CPython 3.11 and python3-requests; docs/fidelity.md): of the
 * request's instructions, ~16 us of thread CPU time (4000 instructions)
 * run between sendall() returning and the first recv_into() (settimeout
 * and http.client's getresponse). The quick GIL releases around calls
 * that return at once depend on the client (sim_client_quick_releases).
 */
#define IO_AFTER_SEND_INSTRUCTIONS 4000 /* of the request's, after the send */
/* Off the GIL this long, a thread's next Python work resumes cold
 * (cold_instructions): a lost wait is at least one switch interval, and
 * 1 ms is the shortest one users set besides 0.5 ms. */
#define IO_COLD_AFTER_NS 1000000

/* The cold-resume window (instructions) and the wait that makes a resume
 * cold: the workload file's "cold_resume", else the run's costs. */
static int64_t
cold_instructions(const struct sim_options *o, const struct wl_workload *w)
{
    return w->cold_set ? w->cold_instructions : o->costs.cold_instructions;
}

static int64_t
cold_after_ns(const struct wl_workload *w)
{
    return w->cold_set ? w->cold_after_ns : IO_COLD_AFTER_NS;
}

/* ---- one repetition ----------------------------------------------------- */

/* How many of the workload's steps are calls of the program's function. */
static int64_t
code_calls(const struct wl_workload *w)
{
    int64_t n = 0;
    size_t i, k;

    for (i = 0; i < w->n_tasks; i++) {
        for (k = 0; k < w->tasks[i].n_steps; k++) {
            n += w->tasks[i].steps[k].code_call != 0;
        }
    }
    return n;
}

/* The receive curve's bands, from the costs in use. */
static void
recv_curve(const struct sim_costs *c, struct wl_recv_curve *r)
{
    r->per_byte[0] = c->recv_instr_per_byte;
    r->per_byte[1] = c->recv_instr_per_byte_64k;
    r->per_byte[2] = c->recv_instr_per_byte_1m;
    r->per_byte[3] = c->recv_instr_per_byte_4m;
}

/* The request's work after the send: part of it, never more than all of
 * it (a calibration may measure a cheaper request). */
static int64_t
io_after_send_instructions(const struct sim_options *o, enum sim_model m)
{
    int64_t request = sim_opt_request_instructions(o, m);

    return request < IO_AFTER_SEND_INSTRUCTIONS ? request
                                                : IO_AFTER_SEND_INSTRUCTIONS;
}

static void
vt_io_config(const struct sim_options *o, enum sim_model m,
             const struct wl_workload *w, struct sim_vt_io *v)
{
    enum sim_client client = sim_opt_client(o, m);

    memset(v, 0, sizeof(*v));
    v->latency_ns = sim_opt_latency_ns(o);
    v->jitter_ns = o->jitter_ns;
    v->timeout_ns = o->timeout_ns;
    v->body_size = (uint64_t)sim_opt_body_size(o);
    v->fail_rate = o->fail_rate;
    v->seed = o->seed;
    v->bandwidth_bps = o->bandwidth_bps;
    v->write_ns = o->write_cost_ns;
    v->request_instructions = sim_opt_request_instructions(o, m);
    v->chunk_instructions = o->costs.chunk_instructions;
    recv_curve(&o->costs, &v->recv);
    v->cold_instructions = w->cold_set ? 0 : o->costs.cold_instructions;
    v->cold_after_ns = cold_after_ns(w);
    v->after_send_instructions = io_after_send_instructions(o, m);
    /* A new connection's connect() returns at once on the simulated
     * network: one more quick release. */
    v->quick_releases =
        sim_client_quick_releases(client) + sim_client_new_connection(client);
    v->wake_ns = o->costs.cond_wake_ns;
    v->write_instr_per_byte = o->costs.write_instr_per_byte;
}

/* Linux's EEVDF base slice: 0.75 ms scaled by 1 + log2(cores), cores
 * counted up to 8 (sysctl_sched_base_slice, SCHED_TUNABLESCALING_LOG):
 * 1.5 ms on 2 cores, 3 ms from 8 up. */
static int64_t
vt_base_slice_ns(int cores)
{
    int factor = 1;

    while (cores > 1 && factor < 4) {
        cores /= 2;
        factor++;
    }
    return 750000 * (int64_t)factor;
}

static int
vt_start(const struct sim_options *o, struct vt_engine **e, char *err,
         size_t errlen)
{
    struct vt_config vc;
    int rc;

    memset(&vc, 0, sizeof(vc));
    vc.cores = o->cores;
    vc.wake_ns = o->costs.cond_wake_ns;
    vc.timer_slack_ns = o->costs.timer_slack_ns;
    vc.slice_ns = VT_SLICE_NS;
    vc.protect_ns = vt_base_slice_ns(o->cores);
    vc.jitter = 1;
    vc.seed = o->seed;
    rc = vt_engine_new(&vc, e);
    if (rc != 0) {
        base_errf(err, errlen, -rc, "cannot create the virtual engine");
    }
    return rc;
}

/* The run's tasks: its workload file, or the file of the built-in it
 * names (workloads/builtin), read with the run's flags. */
static int
build_workload(const struct sim_options *o, struct wl_workload **w, char *err,
               size_t errlen)
{
    struct sim_wf_params p;
    char path[4096];
    const char *file = o->workload_file;
    int rc;

    if (strcmp(o->workload, "file") != 0) {
        rc = sim_workload_builtin_path(o->workload, path, sizeof(path), err,
                                       errlen);
        if (rc != 0) {
            return rc;
        }
        file = path;
    }
    sim_wf_params_of(o, &p);
    /* A file changed since the options were read fails here, as one that
     * cannot be read. */
    return sim_workload_file_load(file, &p, w, err, errlen);
}

/* The file the workload's read steps read, of its largest read, written
 * before the model starts (wl_read_file_prepare). 0 or -errno. */
static int
prepare_reads(const struct wl_workload *w, const struct wl_io_config *c,
              char *err, size_t errlen)
{
    uint64_t most = 0;
    size_t i, k;
    int rc;

    for (i = 0; i < w->n_tasks; i++) {
        for (k = 0; k < w->tasks[i].n_steps; k++) {
            const struct wl_step *s = &w->tasks[i].steps[k];

            if (s->kind == WL_STEP_READ && s->io_bytes > most) {
                most = s->io_bytes;
            }
        }
    }
    if (most == 0) {
        return 0;
    }
    rc = wl_read_file_prepare(c->out_dir, most);
    if (rc != 0) {
        base_errf(err, errlen, -rc, "cannot write %.3000s/%s for the reads",
                  c->out_dir, WL_READ_FILE);
    }
    return rc;
}

static void
io_config(const struct sim_options *o, enum sim_model m,
          const struct wl_workload *w, const struct sim_run_io *io,
          struct wl_io_config *c)
{
    memset(c, 0, sizeof(*c));
    (void)snprintf(c->url_template, sizeof(c->url_template), "%s",
                   io->url_template);
    if (strcmp(o->workload, "seed") == 0 || strcmp(o->workload, "file") == 0) {
        (void)snprintf(c->out_dir, sizeof(c->out_dir), "%.4000s/%s/pages",
                       io->dir, sim_model_name(m));
    }
    c->connect_timeout_ns = o->connect_timeout_ns;
    c->timeout_ns = o->timeout_ns;
    c->request_instructions = sim_opt_request_instructions(o, m);
    c->after_send_instructions = io_after_send_instructions(o, m);
    c->quick_releases = sim_client_quick_releases(sim_opt_client(o, m));
    c->new_connection = sim_client_new_connection(sim_opt_client(o, m));
    c->chunk_instructions = o->costs.chunk_instructions;
    recv_curve(&o->costs, &c->recv);
    /* A file's window: every take after a long wait has it
     * (sim_model_params.cold_on_take), a fetch's among them. */
    c->cold_instructions = w->cold_set ? 0 : o->costs.cold_instructions;
    c->cold_after_ns = cold_after_ns(w);
    c->write_instr_per_byte = o->costs.write_instr_per_byte;
    c->max_body = IO_MAX_BODY;
    c->max_connections = o->connections;
}

static void
server_delta(const struct wl_server_stats *a, const struct wl_server_stats *b,
             struct wl_server_stats *d)
{
    d->requests = b->requests - a->requests;
    d->replies_ok = b->replies_ok - a->replies_ok;
    d->injected_500 = b->injected_500 - a->injected_500;
    d->injected_close = b->injected_close - a->injected_close;
    d->injected_stall = b->injected_stall - a->injected_stall;
    d->connections = b->connections - a->connections;
    d->connections_open = b->connections_open;
    d->connections_max = b->connections_max;
}

/* The lock's counters against the trace's; 0 if they agree. */
static int
verify_counts(const struct gil_stats *g, const struct sim_trace_stats *s,
              char *err, size_t errlen)
{
    if (g->takes == s->takes && g->drops == s->drops &&
        g->switches == s->switches && g->drop_requests == s->drop_requests &&
        g->forced_drops == s->forced_switches && g->waits == s->waits) {
        return 0;
    }
    (void)snprintf(err, errlen,
                   "internal error: the GIL's counters disagree with the "
                   "trace (GIL/trace): takes %llu/%llu, drops %llu/%llu, "
                   "switches %llu/%llu, drop requests %llu/%llu, forced "
                   "drops %llu/%llu, waits %llu/%llu",
                   (unsigned long long)g->takes, (unsigned long long)s->takes,
                   (unsigned long long)g->drops, (unsigned long long)s->drops,
                   (unsigned long long)g->switches,
                   (unsigned long long)s->switches,
                   (unsigned long long)g->drop_requests,
                   (unsigned long long)s->drop_requests,
                   (unsigned long long)g->forced_drops,
                   (unsigned long long)s->forced_switches,
                   (unsigned long long)g->waits, (unsigned long long)s->waits);
    return -EPROTO;
}

/* trace.json's words for a failed step (its code is STEP_END's arg). */
static void
fail_text(int outcome, int64_t code, char *buf, size_t len)
{
    /* enum sim_outcome mirrors enum wl_outcome. */
    wl_failure_text((enum wl_outcome)outcome, code, buf, len);
}

/* The run's trace, sized for model m's threads; 0 or -errno with err. */
static int
new_trace(const struct sim_options *o, enum sim_model m,
          struct sim_trace **trace, char *err, size_t errlen)
{
    struct sim_trace_config tc;
    int pool = sim_opt_pool_size(o, m);
    char etext[128];
    int rc;

    memset(&tc, 0, sizeof(tc));
    tc.max_threads = sim_model_trace_threads(m, pool);
    tc.events_per_thread = sim_opt_trace_capacity(o, m);
    tc.shared = sim_model_trace_shared(m);
    tc.origin_ns = base_now_ns();
    rc = sim_trace_new(&tc, trace);
    if (rc != 0) {
        base_errtext(-rc, etext, sizeof(etext));
        (void)snprintf(err, errlen,
                       "cannot reserve the trace (%d threads x %llu events): "
                       "%s",
                       pool, (unsigned long long)tc.events_per_thread, etext);
        return rc;
    }
    sim_trace_set_fail_text(*trace, fail_text);
    return 0;
}

/* What a model run gets from the options and the workload: its pool,
 * its GILs, the trace, the clock, the costs, the program's interpreter
 * (nothing warmed up yet: wl_interp, filled in *interp) and the stop
 * flag. The engine's and the I/O's parts are the caller's. */
static void
model_params(const struct sim_options *o, enum sim_model m,
             struct wl_workload *w, struct gil **gils, int n_gils,
             struct sim_trace *trace, const struct gil_config *gc,
             const atomic_int *stop, struct wl_interp *interp,
             struct sim_model_params *mp)
{
    memset(mp, 0, sizeof(*mp));
    mp->model = m;
    mp->threads = sim_opt_pool_size(o, m);
    mp->workload = w;
    mp->gil = gils[0];
    mp->gils = gils;
    mp->n_gils = n_gils;
    mp->trace = trace;
    mp->clock = gc->clock;
    mp->check_every = sim_opt_check_every(o);
    mp->cost.instr_ns = o->costs.instr_ns;
    mp->costs = &o->costs;
    mp->cost.spins_per_ns = wl_cpu_calibrate();
    memset(interp, 0, sizeof(*interp));
    atomic_init(&interp->calls, 0);
    atomic_init(&interp->fetched, 0);
    interp->quicken_calls = (int)o->costs.quicken_calls;
    interp->speedup = o->costs.quickened_speedup;
    if (code_calls(w) < o->costs.quicken_calls) {
        /* Never quickened in this run: fewer calls than it takes (so the
         * virtual engine needs no pieces to watch for it). */
        interp->speedup = 1.0;
    }
    interp->first_fetch_instructions = sim_opt_first_fetch_instructions(o, m);
    interp->first_fetch_forked_instructions =
        sim_opt_first_fetch_forked_instructions(o, m);
    mp->interp = interp;
    mp->cold_instructions = cold_instructions(o, w);
    mp->cold_after_ns = cold_after_ns(w);
    mp->cold_on_take = w->cold_set;
    mp->stop = stop;
    mp->concurrency = o->concurrency;
    mp->worker_start_instructions =
        (int64_t)((double)o->costs.worker_start_ns / o->costs.instr_ns + 0.5);
    mp->pool_start_ns = o->costs.pool_start_ns;
    mp->pool_fork_ns = o->costs.pool_fork_ns;
    mp->gil_config = *gc;
}

/* The run's figures into r once the model returned (mr): its times, the
 * trace's origin and statistics, checked against the lock's counters. 0,
 * or -errno with err. */
static int
take_result(struct sim_trace *trace, const struct sim_model_result *mr,
            int64_t cpu0, struct sim_run_result *r, char *err, size_t errlen)
{
    int rc;

    r->cpu_ns = cpu_now_ns() - cpu0;
    r->wall_ns = mr->end_ns - mr->begin_ns;
    r->killed = mr->killed;
    (void)snprintf(r->killed_names, sizeof(r->killed_names), "%s",
                   mr->killed_names);
    /* t = 0 is the model's start, or the first event of any thread if one
     * came earlier (the loop's offload threads start before the loop
     * does), so that no timestamp of a trace is negative. */
    sim_trace_set_origin_ns(trace, sim_trace_first_ns(trace) < mr->begin_ns
                                       ? sim_trace_first_ns(trace)
                                       : mr->begin_ns);
    r->gil = mr->gil;
    rc = sim_trace_stats(trace, &r->stats);
    if (rc != 0) {
        base_errf(err, errlen, -rc, "cannot derive the statistics");
        return rc;
    }
    if (r->stats.events_lost == 0) {
        return verify_counts(&r->gil, &r->stats, err, errlen);
    }
    return 0;
}

int
sim_run_once(const struct sim_options *o, enum sim_model m,
             const struct sim_run_io *io, const atomic_int *stop,
             struct sim_run_result *r, char *err, size_t errlen)
{
    struct wl_io_config ioc;
    struct sim_vt_io vio;
    struct vt_engine *vt = NULL;
    const struct sim_backend *backend;
    struct wl_server_stats before, after;
    struct wl_workload *w = NULL;
    struct sim_trace *trace = NULL;
    struct gil **gils = NULL;
    int n_gils = sim_opt_gil_count(o, m);
    struct gil_config gc;
    struct sim_model_params mp;
    struct wl_interp interp;
    const struct gil_policy *policy;
    const char *policy_name = sim_opt_policy_for(o, m);
    struct sim_model_result mr;
    int64_t cpu0;
    int rc;

    memset(r, 0, sizeof(*r));
    err[0] = '\0';
    policy = gil_policy_find(policy_name);
    if (policy == NULL) {
        (void)snprintf(err, errlen, "unknown GIL policy %s", policy_name);
        return -EINVAL;
    }
    if (sim_opt_uses_io(o) && io == NULL && !o->engine_virtual) {
        (void)snprintf(err, errlen, "the %s workload needs I/O set up",
                       o->workload);
        return -EINVAL;
    }
    rc = build_workload(o, &w, err, errlen);
    if (rc != 0) {
        return rc;
    }
    rc = new_trace(o, m, &trace, err, errlen);
    if (rc != 0) {
        goto out_workload;
    }
    /* The one place that picks the engine: the GIL's clock and sync,
     * and the backend the models run on (models/backend.h). */
    memset(&gc, 0, sizeof(gc));
    gc.clock = sim_clock_real();
    backend = &sim_backend_real;
    if (o->engine_virtual) {
        rc = vt_start(o, &vt, err, errlen);
        if (rc != 0) {
            goto out_trace;
        }
        vt_set_stop(vt, stop); /* the models' env->stop */
        vt_io_config(o, m, w, &vio);
        gc.clock = vt_clock(vt);
        gc.sync = vt_gil_sync();
        gc.sync_ctx = vt;
        backend = &sim_backend_virtual;
    }
    gc.policy = policy;
    gc.switch_interval_ns = o->switch_interval_ns;
    gc.hooks = sim_model_gil_hooks();
    rc = sim_run_gils_new(&gc, n_gils, &gils);
    if (rc != 0) {
        base_errf(err, errlen, -rc, "cannot create the GIL");
        goto out_trace;
    }

    model_params(o, m, w, gils, n_gils, trace, &gc, stop, &interp, &mp);
    mp.backend = backend;
    if (vt != NULL) {
        mp.vt = vt;
        mp.vio = &vio;
    } else if (sim_opt_uses_io(o)) {
        io_config(o, m, w, io, &ioc);
        mp.io = &ioc;
        rc = prepare_reads(w, &ioc, err, errlen);
        if (rc != 0) {
            goto out_gil;
        }
    }
    if (io != NULL && io->server != NULL) {
        wl_server_get_stats(io->server, &before);
    }
    cpu0 = cpu_now_ns();
    memset(&mr, 0, sizeof(mr));
    rc = sim_model_run(&mp, &mr, err, errlen);
    if (rc != 0) {
        goto out_gil;
    }
    if (io != NULL && io->server != NULL && sim_opt_uses_io(o)) {
        wl_server_get_stats(io->server, &after);
        server_delta(&before, &after, &r->server);
        r->has_server = 1;
    }
    rc = take_result(trace, &mr, cpu0, r, err, errlen);
    if (rc != 0) {
        goto out_gil;
    }
    r->trace = trace;
    trace = NULL;

out_gil:
    sim_run_gils_free(gils, n_gils);
out_trace:
    if (vt != NULL) {
        struct vt_stats vs;

        vt_get_stats(vt, &vs);
        r->has_engine = 1;
        r->engine_events = vs.events;
        r->engine_handoffs = vs.handoffs;
        r->engine_preempts = vs.preempts;
        r->engine_absorbed = vs.absorbed;
        r->engine_cores = o->cores;
    }
    vt_engine_free(vt);
    sim_trace_free(trace);
out_workload:
    wl_workload_free(w);
    return rc;
}

void
sim_run_result_clear(struct sim_run_result *r)
{
    if (r == NULL) {
        return;
    }
    sim_trace_free(r->trace);
    memset(r, 0, sizeof(*r));
}

/* ---- I/O set-up --------------------------------------------------------- */

int
sim_run_server_start(const struct sim_options *o, struct wl_server **out,
                     FILE *err)
{
    struct wl_server_config sc;
    char etext[128];
    int rc;

    memset(&sc, 0, sizeof(sc));
    (void)snprintf(sc.bind, sizeof(sc.bind), "%s", o->bind);
    sc.port = o->port;
    sc.latency_ns = sim_opt_latency_ns(o);
    sc.jitter_ns = o->jitter_ns;
    sc.body_size = (uint64_t)sim_opt_body_size(o);
    sc.fail_rate = o->fail_rate;
    /* A stalled reply is withheld past the client's time limit. */
    sc.stall_ns = o->timeout_ns + 1000000000;
    sc.seed = o->seed;
    rc = wl_server_start(&sc, out);
    if (rc == -EADDRINUSE) {
        fprintf(err,
                "gilsim: --port=%d: the port is in use (expected a free "
                "port, or 0 for any)\n",
                o->port);
        return SIM_EXIT_USAGE;
    }
    if (rc != 0) {
        base_errtext(-rc, etext, sizeof(etext));
        fprintf(err, "gilsim: cannot start the latency server on %s:%d: %s\n",
                o->bind, o->port, etext);
        return SIM_EXIT_ERROR;
    }
    return SIM_EXIT_OK;
}

/* Start libcurl and, without --url, the embedded server. SIM_EXIT_* with
 * one line on `err`. */
int
sim_run_io_start(const struct sim_options *o, struct sim_run_io *io, FILE *err)
{
    const char *host;
    int status;

    memset(io, 0, sizeof(*io));
    if (wl_io_global_init() != 0) {
        fprintf(err, "gilsim: cannot initialise libcurl\n");
        return SIM_EXIT_ERROR;
    }
    if (o->engine_virtual) {
        return SIM_EXIT_OK; /* the engine simulates the server */
    }
    if (o->url[0] != '\0') {
        (void)snprintf(io->url_template, sizeof(io->url_template), "%s",
                       o->url);
        return SIM_EXIT_OK;
    }
    status = sim_run_server_start(o, &io->server, err);
    if (status != SIM_EXIT_OK) {
        wl_io_global_cleanup();
        return status;
    }
    /* A server bound to every address is reached on loopback. */
    host = strcmp(o->bind, "0.0.0.0") == 0 ? "127.0.0.1" : o->bind;
    (void)snprintf(io->url_template, sizeof(io->url_template),
                   "http://%s:%d/top250?start={page}", host,
                   wl_server_port(io->server));
    return SIM_EXIT_OK;
}

void
sim_run_io_stop(struct sim_run_io *io)
{
    wl_server_stop(io->server);
    io->server = NULL;
    wl_io_global_cleanup();
}
