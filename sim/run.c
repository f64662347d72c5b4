/*
 * run.c - the run driver: run each selected model --repeat times, check
 * the GIL's counters against the trace, and write the run folder.
 *
 * One repetition (sim_run_once) builds the workload (the cpu countdown in
 * one task per --threads, so serial runs exactly the same tasks as the
 * pools), a trace with one buffer per pool thread, and a GIL on the real
 * clock whose hooks record into those buffers; it then runs the model and
 * measures wall time (from the pool's start to the last join) and CPU time
 * (getrusage of the whole process and of the worker processes it reaped,
 * user + system). Because every GIL event is recorded by the thread it
 * concerns, the trace's counts must equal the lock's own counters whenever
 * no event was lost; a difference is a bug in gilsim and ends the run with
 * exit status 3.
 *
 * I/O workloads (seed, convoy) fetch from the embedded loopback latency
 * server, which sim_run_main() starts once before the first model and
 * stops after the last (or from --url), and give each pool thread its own
 * libcurl handle. The server's counters are read before and after each
 * repetition, so summary.json says what it served and what failures it
 * injected during that run.
 *
 * sim_run_main() first settles the output folder (--out must not exist or
 * be empty; the default gilsim-out/YYYYmmdd-HHMMSS gets a -2, -3... suffix
 * if taken), so a bad folder fails before anything runs. It keeps every
 * repetition of a model until the last one, then keeps the median one (by
 * wall time; the lower median for an even count) and writes its
 * MODEL/trace.tsv and MODEL/trace.json. summary.json comes last. Every
 * file is written as NAME.tmp.PID, fsync'd and renamed, so a reader never
 * sees half a file. SIGINT and SIGTERM set a stop flag that the steps read
 * between chunks; the threads finish their chunk, the traces of what ran
 * are written as usual, and the exit status is 128 + the signal number.
 * The handlers use SA_RESETHAND, so a second Ctrl-C ends gilsim at once.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "plot.h"
#include "sim_internal.h"

/* Set by the signal handlers; read by the steps (wl_env.stop). */
static atomic_int run_stop;
static volatile sig_atomic_t run_signal;

static void
on_signal(int sig)
{
    run_signal = sig;
    atomic_store(&run_stop, 1);
}

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

/*
 * The Python-side costs of I/O, in instructions of --instr-ns (4.1 ns),
 * measured with Debian 12's CPython 3.11 and python3-requests against the
 * embedded server on this kind of machine; docs/io.md says how. A
 * requests.Session.get costs ~564 us of CPU for 1 KiB, of which libcurl's
 * own work (~21 us) is spent for real outside the GIL: the rest, ~543 us,
 * is the request's Python side. Per byte, Python pays 0.36 ns more than
 * libcurl: 2.9 us per 8 KiB chunk (libcurl reads 8 KiB at a time, as
 * CPython's 9 recvfrom calls per 64 KiB page do).
 */
#define IO_REQUEST_INSTRUCTIONS  130000 /* requests.Session.get, per call */
#define IO_CHUNK_INSTRUCTIONS    720    /* per 8 KiB chunk received */
#define IO_DECODE_INSTR_PER_BYTE 0.018  /* r.text, ASCII, 0.074 ns/B */
#define IO_WRITE_INSTR_PER_BYTE  0.0054 /* str.encode, ASCII, 0.022 ns/B */
#define IO_MAX_BODY              ((uint64_t)256 * 1024 * 1024)

/* ---- one repetition ----------------------------------------------------- */

static int
build_workload(const struct sim_options *o, struct wl_workload **w)
{
    if (strcmp(o->workload, "seed") == 0) {
        return wl_workload_seed(o->pages, IO_DECODE_INSTR_PER_BYTE, w);
    }
    if (strcmp(o->workload, "convoy") == 0) {
        return wl_workload_convoy(o->ops, (size_t)o->cpu_threads, w);
    }
    return wl_workload_cpu(o->count, (size_t)o->threads, w);
}

static void
io_config(const struct sim_options *o, enum sim_model m,
          const struct sim_run_io *io, struct wl_io_config *c)
{
    memset(c, 0, sizeof(*c));
    (void)snprintf(c->url_template, sizeof(c->url_template), "%s",
                   io->url_template);
    if (strcmp(o->workload, "seed") == 0) {
        (void)snprintf(c->out_dir, sizeof(c->out_dir), "%.4000s/%s/pages",
                       io->dir, sim_model_name(m));
    }
    c->connect_timeout_ns = o->connect_timeout_ns;
    c->timeout_ns = o->timeout_ns;
    c->request_instructions = IO_REQUEST_INSTRUCTIONS;
    c->chunk_instructions = IO_CHUNK_INSTRUCTIONS;
    c->write_instr_per_byte = IO_WRITE_INSTR_PER_BYTE;
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

int
sim_run_once(const struct sim_options *o, enum sim_model m,
             const struct sim_run_io *io, const atomic_int *stop,
             struct sim_run_result *r, char *err, size_t errlen)
{
    struct wl_io_config ioc;
    struct wl_server_stats before, after;
    struct wl_workload *w = NULL;
    struct sim_trace *trace = NULL;
    struct gil *gil = NULL;
    struct sim_trace_config tc;
    struct gil_config gc;
    struct sim_model_params mp;
    const struct gil_policy *policy;
    const char *policy_name = sim_opt_policy_for(o, m);
    int pool = sim_opt_pool_size(o, m);
    struct sim_model_result mr;
    int64_t cpu0;
    char etext[128];
    int rc;

    memset(r, 0, sizeof(*r));
    err[0] = '\0';
    policy = gil_policy_find(policy_name);
    if (policy == NULL) {
        (void)snprintf(err, errlen, "unknown GIL policy %s", policy_name);
        return -EINVAL;
    }
    if (sim_opt_uses_io(o) && io == NULL) {
        (void)snprintf(err, errlen, "the %s workload needs I/O set up",
                       o->workload);
        return -EINVAL;
    }
    rc = build_workload(o, &w);
    if (rc != 0) {
        sim_errtext(-rc, etext, sizeof(etext));
        (void)snprintf(err, errlen, "cannot build the workload: %s", etext);
        return rc;
    }
    memset(&tc, 0, sizeof(tc));
    tc.max_threads = sim_model_trace_threads(m, pool);
    tc.events_per_thread = o->trace_events;
    tc.shared = sim_model_trace_shared(m);
    tc.origin_ns = sim_clock_now_ns();
    rc = sim_trace_new(&tc, &trace);
    if (rc != 0) {
        sim_errtext(-rc, etext, sizeof(etext));
        (void)snprintf(err, errlen,
                       "cannot reserve the trace (%d threads x %llu events): "
                       "%s",
                       pool, (unsigned long long)o->trace_events, etext);
        goto out_workload;
    }
    memset(&gc, 0, sizeof(gc));
    gc.policy = policy;
    gc.switch_interval_ns = o->switch_interval_ns;
    gc.clock = sim_clock_real();
    gc.hooks = sim_model_gil_hooks();
    rc = gil_new(&gc, &gil);
    if (rc != 0) {
        sim_errtext(-rc, etext, sizeof(etext));
        (void)snprintf(err, errlen, "cannot create the GIL: %s", etext);
        goto out_trace;
    }

    memset(&mp, 0, sizeof(mp));
    mp.model = m;
    mp.threads = pool;
    mp.workload = w;
    mp.gil = gil;
    mp.trace = trace;
    mp.clock = gc.clock;
    mp.check_every = sim_opt_check_every(o);
    mp.cost.instr_ns = o->instr_ns;
    mp.cost.spins_per_ns = wl_cpu_calibrate();
    mp.stop = stop;
    mp.concurrency = o->concurrency;
    mp.worker_start_instructions =
        (int64_t)((double)o->worker_start_ns / o->instr_ns + 0.5);
    if (sim_opt_uses_io(o)) {
        io_config(o, m, io, &ioc);
        mp.io = &ioc;
    }
    if (io != NULL && io->server != NULL) {
        wl_server_get_stats(io->server, &before);
    }
    cpu0 = cpu_now_ns();
    mp.gil_config = gc;
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
    r->cpu_ns = cpu_now_ns() - cpu0;
    r->wall_ns = mr.end_ns - mr.begin_ns;
    sim_trace_set_origin_ns(trace, mr.begin_ns);
    r->gil = mr.gil;
    rc = sim_trace_stats(trace, &r->stats);
    if (rc != 0) {
        sim_errtext(-rc, etext, sizeof(etext));
        (void)snprintf(err, errlen, "cannot derive the statistics: %s", etext);
        goto out_gil;
    }
    if (r->stats.events_lost == 0) {
        rc = verify_counts(&r->gil, &r->stats, err, errlen);
        if (rc != 0) {
            goto out_gil;
        }
    }
    r->trace = trace;
    trace = NULL;

out_gil:
    gil_free(gil);
out_trace:
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

/* ---- the run folder ----------------------------------------------------- */

/* mkdir -p; 0 or -errno. */
static int
mkdir_p(const char *path)
{
    char buf[4096];
    size_t len = strlen(path);
    size_t i;
    struct stat st;

    if (len == 0 || len >= sizeof(buf)) {
        return -ENAMETOOLONG;
    }
    memcpy(buf, path, len + 1);
    for (i = 1; i <= len; i++) {
        if (buf[i] != '/' && buf[i] != '\0') {
            continue;
        }
        if (buf[i - 1] == '/') {
            continue;
        }
        buf[i] = '\0';
        if (mkdir(buf, 0777) != 0) {
            int e = errno;

            if (e != EEXIST) {
                return -e;
            }
            if (stat(buf, &st) != 0) {
                return -errno;
            }
            if (!S_ISDIR(st.st_mode)) {
                return -ENOTDIR;
            }
        }
        if (i < len) {
            buf[i] = '/';
        }
    }
    return 0;
}

/* 1 if `path` does not exist, 0 if it is an empty directory, else -errno
 * (-ENOTEMPTY, -ENOTDIR, ...). */
static int
dir_state(const char *path)
{
    struct stat st;
    struct dirent *de;
    DIR *d;
    int rc = 0;

    if (stat(path, &st) != 0) {
        return errno == ENOENT ? 1 : -errno;
    }
    if (!S_ISDIR(st.st_mode)) {
        return -ENOTDIR;
    }
    d = opendir(path);
    if (d == NULL) {
        return -errno;
    }
    for (;;) {
        /* Only this thread uses the DIR, so readdir is safe. */
        de = readdir(d); // NOLINT(concurrency-mt-unsafe)
        if (de == NULL) {
            break;
        }
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
            rc = -ENOTEMPTY;
            break;
        }
    }
    (void)closedir(d);
    return rc;
}

/* Pick and create the run folder; SIM_EXIT_* with one line on `err`. */
int
sim_run_make_dir(const struct sim_options *o, char *dir, size_t dirlen,
                 int *created, FILE *err)
{
    char etext[128];
    int state;
    int rc;

    *created = 0;
    if (o->out_dir[0] != '\0') {
        (void)snprintf(dir, dirlen, "%s", o->out_dir);
        state = dir_state(dir);
        if (state == -ENOTEMPTY) {
            fprintf(err,
                    "gilsim: --out=%s: the directory exists and is not "
                    "empty (expected a new or empty directory)\n",
                    dir);
            return SIM_EXIT_USAGE;
        }
        if (state < 0) {
            sim_errtext(-state, etext, sizeof(etext));
            fprintf(err,
                    "gilsim: --out=%s: %s (expected a new or empty "
                    "directory)\n",
                    dir, etext);
            return SIM_EXIT_USAGE;
        }
    } else {
        char stamp[32];
        struct tm tm;
        time_t now = time(NULL);
        int k;

        if (localtime_r(&now, &tm) == NULL ||
            strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm) == 0) {
            (void)snprintf(stamp, sizeof(stamp), "%lld", (long long)now);
        }
        state = 0;
        for (k = 1; k <= 100; k++) {
            if (k == 1) {
                (void)snprintf(dir, dirlen, "gilsim-out/%s", stamp);
            } else {
                (void)snprintf(dir, dirlen, "gilsim-out/%s-%d", stamp, k);
            }
            state = dir_state(dir);
            if (state >= 0) {
                break;
            }
        }
        if (state < 0) {
            fprintf(err, "gilsim: cannot find a free run folder under "
                         "gilsim-out/ (use --out=DIR)\n");
            return SIM_EXIT_ERROR;
        }
    }
    rc = mkdir_p(dir);
    if (rc != 0) {
        sim_errtext(-rc, etext, sizeof(etext));
        fprintf(err, "gilsim: --out=%s: cannot create the directory: %s\n", dir,
                etext);
        return o->out_dir[0] != '\0' ? SIM_EXIT_USAGE : SIM_EXIT_ERROR;
    }
    *created = state == 1;
    return SIM_EXIT_OK;
}

/* Write dir/name through name.tmp.PID, fsync and rename. */
int
sim_run_write_atomic(const char *dir, const char *name,
                     int (*fn)(const void *ctx, FILE *f), const void *ctx,
                     char *err, size_t errlen)
{
    char path[4200];
    char tmp[4300];
    char etext[128];
    FILE *f;
    int rc;

    (void)snprintf(path, sizeof(path), "%s/%s", dir, name);
    (void)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
    f = fopen(tmp, "w");
    if (f == NULL) {
        rc = -errno;
        goto fail;
    }
    rc = fn(ctx, f);
    if (rc == 0 && fflush(f) != 0) {
        rc = -errno;
    }
    if (rc == 0 && fsync(fileno(f)) != 0) {
        rc = -errno;
    }
    if (fclose(f) != 0 && rc == 0) {
        rc = -errno;
    }
    if (rc == 0 && rename(tmp, path) != 0) {
        rc = -errno;
    }
    if (rc == 0) {
        return 0;
    }
    (void)unlink(tmp);
fail:
    sim_errtext(rc < 0 ? -rc : EIO, etext, sizeof(etext));
    (void)snprintf(err, errlen, "cannot write %.800s: %s", path, etext);
    return rc < 0 ? rc : -EIO;
}

struct json_ctx {
    const struct sim_trace *trace;
    const char *title;
};

static int
write_tsv_fn(const void *ctx, FILE *f)
{
    return sim_trace_write_tsv(ctx, f);
}

static int
write_json_fn(const void *ctx, FILE *f)
{
    const struct json_ctx *jc = ctx;

    return sim_trace_write_json(jc->trace, jc->title, f);
}

struct summary_ctx {
    const struct sim_trace_summary *runs;
    size_t n;
    const char *command;
};

static int
write_summary_fn(const void *ctx, FILE *f)
{
    const struct summary_ctx *sc = ctx;

    return sim_trace_write_summary_json(sc->runs, sc->n, SIM_VERSION,
                                        sc->command, f);
}

/* Make the renames durable. */
void
sim_run_sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY);

    if (fd >= 0) {
        (void)fsync(fd);
        (void)close(fd);
    }
}

static int
write_model(const char *dir, const struct sim_options *o, enum sim_model m,
            const struct sim_trace *trace, char *err, size_t errlen)
{
    char sub[4200];
    char title[160];
    char etext[128];
    struct json_ctx jc;
    int rc;

    (void)snprintf(sub, sizeof(sub), "%s/%s", dir, sim_model_name(m));
    if (mkdir(sub, 0777) != 0 && errno != EEXIST) {
        rc = -errno;
        sim_errtext(-rc, etext, sizeof(etext));
        (void)snprintf(err, errlen, "cannot create %.800s: %s", sub, etext);
        return rc;
    }
    rc = sim_run_write_atomic(sub, "trace.tsv", write_tsv_fn, trace, err,
                              errlen);
    if (rc != 0) {
        return rc;
    }
    (void)snprintf(title, sizeof(title),
                   "gilsim %s: %d thread%s, policy %s, switch interval "
                   "%.6g ms",
                   sim_model_name(m), sim_opt_pool_size(o, m),
                   sim_opt_pool_size(o, m) == 1 ? "" : "s",
                   sim_opt_policy_for(o, m),
                   (double)o->switch_interval_ns / 1e6);
    jc.trace = trace;
    jc.title = title;
    rc = sim_run_write_atomic(sub, "trace.json", write_json_fn, &jc, err,
                              errlen);
    if (rc == 0) {
        sim_run_sync_dir(sub);
    }
    return rc;
}

/* ---- I/O set-up --------------------------------------------------------- */

/* Start libcurl and, without --url, the embedded server. SIM_EXIT_* with
 * one line on `err`. */
int
sim_run_io_start(const struct sim_options *o, struct sim_run_io *io, FILE *err)
{
    struct wl_server_config sc;
    char etext[128];
    const char *host;
    int rc;

    memset(io, 0, sizeof(*io));
    if (wl_io_global_init() != 0) {
        fprintf(err, "gilsim: cannot initialise libcurl\n");
        return SIM_EXIT_ERROR;
    }
    if (o->url[0] != '\0') {
        (void)snprintf(io->url_template, sizeof(io->url_template), "%s",
                       o->url);
        return SIM_EXIT_OK;
    }
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
    rc = wl_server_start(&sc, &io->server);
    if (rc == -EADDRINUSE) {
        fprintf(err,
                "gilsim: --port=%d: the port is in use (expected a free "
                "port, or 0 for any)\n",
                o->port);
        wl_io_global_cleanup();
        return SIM_EXIT_USAGE;
    }
    if (rc != 0) {
        sim_errtext(-rc, etext, sizeof(etext));
        fprintf(err, "gilsim: cannot start the latency server on %s:%d: %s\n",
                o->bind, o->port, etext);
        wl_io_global_cleanup();
        return SIM_EXIT_ERROR;
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

/* One line: how many steps failed, and how. */
static void
print_failures(const struct sim_trace_summary *runs, size_t n, const char *dir,
               FILE *err)
{
    uint64_t by[SIM_OUT_COUNT] = {0};
    uint64_t failed = 0, all = 0;
    char what[256] = "";
    size_t used = 0;
    size_t i;
    int k;

    for (i = 0; i < n; i++) {
        const struct sim_trace_stats *st = &runs[i].stats;

        failed += st->steps_failed;
        all += st->steps_ok + st->steps_failed;
        for (k = 0; k < SIM_OUT_COUNT; k++) {
            by[k] += st->steps_failed_by[k];
        }
    }
    for (k = 0; k < SIM_OUT_COUNT; k++) {
        int w;

        if (by[k] == 0) {
            continue;
        }
        w = snprintf(what + used, sizeof(what) - used, "%s%s %llu",
                     used > 0 ? ", " : "",
                     sim_trace_outcome_name((enum sim_outcome)k),
                     (unsigned long long)by[k]);
        if (w < 0 || (size_t)w >= sizeof(what) - used) {
            break;
        }
        used += (size_t)w;
    }
    fprintf(err,
            "gilsim: %llu of %llu steps failed (%s); see %s/summary.json\n",
            (unsigned long long)failed, (unsigned long long)all, what, dir);
}

/* ---- plots -------------------------------------------------------------- */

/* Set when a picture could not be made (no gnuplot, no template): the run
 * says so once, on one line, and makes no more. Pictures never change the
 * exit status. */
static int plots_off;

static void
plots_failed(const char *why, FILE *err)
{
    fprintf(err, "gilsim: plots skipped: %s\n", why);
    plots_off = 1;
}

/* MODEL/timeline.png and .svg: the --window of the kept repetition. */
static void
plot_model(const char *dir, const struct sim_options *o, enum sim_model m,
           const struct sim_trace_summary *s, const struct sim_trace *trace,
           FILE *err)
{
    char base[4200];
    char title[300];
    char msg[SIM_ERR_LEN * 2];
    int pool = sim_opt_pool_size(o, m);

    if (o->no_plots || plots_off) {
        return;
    }
    (void)snprintf(base, sizeof(base), "%.4000s/%s/timeline", dir,
                   sim_model_name(m));
    (void)snprintf(title, sizeof(title),
                   "gilsim %s: %.64s workload, %d %s%s, policy %s, switch "
                   "interval %.6g ms, wall %.3f s%s",
                   sim_model_name(m), o->workload, pool,
                   m == SIM_MODEL_PROCESSES ? "process" : "thread",
                   pool == 1 ? "" : (m == SIM_MODEL_PROCESSES ? "es" : "s"),
                   sim_opt_policy_for(o, m),
                   (double)o->switch_interval_ns / 1e6,
                   (double)s->wall_ns / 1e9,
                   s->repeat > 1 ? " (the median repetition)" : "");
    if (plot_timeline(trace, title, o->window_from_ns, o->window_to_ns, base,
                      NULL, msg, sizeof(msg)) != 0) {
        plots_failed(msg, err);
    }
}

/* comparison.png and .svg: every model of the run side by side. */
static void
plot_runs(const char *dir, const struct sim_options *o,
          const struct sim_trace_summary *runs, size_t n, FILE *err)
{
    char base[4200];
    char title[300];
    char msg[SIM_ERR_LEN * 2];

    if (o->no_plots || plots_off || n == 0) {
        return;
    }
    (void)snprintf(base, sizeof(base), "%.4000s/comparison", dir);
    (void)snprintf(title, sizeof(title),
                   "gilsim: %.64s workload, policy %s, switch interval "
                   "%.6g ms%s",
                   o->workload, o->policy, (double)o->switch_interval_ns / 1e6,
                   o->repeat > 1 ? ", median of the repetitions" : "");
    if (plot_comparison(runs, n, title, base, NULL, msg, sizeof(msg)) != 0) {
        plots_failed(msg, err);
    }
}

/* ---- the driver --------------------------------------------------------- */

static int
cmp_wall(const void *a, const void *b)
{
    const struct sim_run_result *x = *(const struct sim_run_result *const *)a;
    const struct sim_run_result *y = *(const struct sim_run_result *const *)b;

    return (x->wall_ns > y->wall_ns) - (x->wall_ns < y->wall_ns);
}

static void
fill_summary(struct sim_trace_summary *s, const struct sim_options *o,
             enum sim_model m, const struct sim_run_result *median,
             int64_t wall_min, int64_t wall_max, int reps)
{
    memset(s, 0, sizeof(*s));
    (void)snprintf(s->model, sizeof(s->model), "%s", sim_model_name(m));
    (void)snprintf(s->policy, sizeof(s->policy), "%s",
                   sim_opt_policy_for(o, m));
    (void)snprintf(s->workload, sizeof(s->workload), "%s", o->workload);
    s->threads = sim_opt_pool_size(o, m);
    s->processes = o->processes;
    s->switch_interval_ns = o->switch_interval_ns;
    s->check_every = sim_opt_check_every(o);
    s->instr_ns = o->instr_ns;
    s->repeat = reps;
    s->wall_ns = median->wall_ns;
    s->wall_ns_min = wall_min;
    s->wall_ns_max = wall_max;
    s->cpu_ns = median->cpu_ns;
    s->stats = median->stats;
    s->has_server = median->has_server;
    s->server_requests = median->server.requests;
    s->server_replies_ok = median->server.replies_ok;
    s->server_injected_500 = median->server.injected_500;
    s->server_injected_close = median->server.injected_close;
    s->server_injected_stall = median->server.injected_stall;
}

/*
 * Run model m --repeat times, write its traces, fill *s. Returns
 * SIM_EXIT_OK or SIM_EXIT_ERROR (message printed).
 */
static int
run_model(const struct sim_options *o, enum sim_model m, const char *dir,
          const struct sim_run_io *io, struct sim_trace_summary *s, FILE *err)
{
    struct sim_run_result *res;
    struct sim_run_result **order;
    char msg[SIM_ERR_LEN * 2];
    int reps = 0;
    int status = SIM_EXIT_OK;
    int i;
    int rc;

    res = calloc((size_t)o->repeat, sizeof(*res));
    order = calloc((size_t)o->repeat, sizeof(struct sim_run_result *));
    if (res == NULL || order == NULL) {
        fprintf(err, "gilsim: %s: out of memory\n", sim_model_name(m));
        status = SIM_EXIT_ERROR;
        goto out;
    }
    for (i = 0; i < o->repeat; i++) {
        rc = sim_run_once(o, m, io, &run_stop, &res[i], msg, sizeof(msg));
        if (rc != 0) {
            fprintf(err, "gilsim: %s: %s\n", sim_model_name(m), msg);
            status = SIM_EXIT_ERROR;
            goto out;
        }
        order[i] = &res[i];
        reps++;
        if (atomic_load(&run_stop)) {
            break;
        }
    }
    qsort(order, (size_t)reps, sizeof(struct sim_run_result *), cmp_wall);
    fill_summary(s, o, m, order[(reps - 1) / 2], order[0]->wall_ns,
                 order[reps - 1]->wall_ns, reps);
    rc = write_model(dir, o, m, order[(reps - 1) / 2]->trace, msg, sizeof(msg));
    if (rc != 0) {
        fprintf(err, "gilsim: %s\n", msg);
        status = SIM_EXIT_ERROR;
        goto out;
    }
    if (!o->quiet) {
        int pool = sim_opt_pool_size(o, m);
        const char *unit = m == SIM_MODEL_PROCESSES ? "worker" : "thread";

        if (reps > 1) {
            fprintf(err,
                    "gilsim: %s (%d %s%s): %.2f s (median of %d, "
                    "min %.2f s, max %.2f s)\n",
                    sim_model_name(m), pool, unit, pool == 1 ? "" : "s",
                    (double)s->wall_ns / 1e9, reps,
                    (double)s->wall_ns_min / 1e9, (double)s->wall_ns_max / 1e9);
        } else {
            fprintf(err, "gilsim: %s (%d %s%s): %.2f s\n", sim_model_name(m),
                    pool, unit, pool == 1 ? "" : "s", (double)s->wall_ns / 1e9);
        }
        if (s->stats.events_lost > 0) {
            fprintf(err,
                    "gilsim: %s: %llu trace events did not fit "
                    "(raise --trace-events)\n",
                    sim_model_name(m),
                    (unsigned long long)s->stats.events_lost);
        }
    }
    plot_model(dir, o, m, s, order[(reps - 1) / 2]->trace, err);
out:
    if (res != NULL) {
        for (i = 0; i < o->repeat; i++) {
            sim_run_result_clear(&res[i]);
        }
    }
    free(order);
    free(res);
    return status;
}

int
sim_run_main(const struct sim_options *o, const char *command, FILE *out,
             FILE *err, int handle_signals, struct sim_run_report *report)
{
    struct sim_trace_summary runs[SIM_MODEL_COUNT];
    struct sim_run_io io;
    struct sigaction sa, old_int, old_term;
    struct summary_ctx sc;
    char dir[4096];
    char msg[SIM_ERR_LEN * 2];
    size_t n = 0;
    int created = 0;
    int status;
    int failed = 0;
    int m;
    int rc;

    atomic_store(&run_stop, 0);
    plots_off = 0;
    run_signal = 0;
    if (report != NULL) {
        memset(report, 0, sizeof(*report));
    }
    memset(&io, 0, sizeof(io));
    if (sim_opt_uses_io(o)) {
        /* Before the run folder: a taken port leaves nothing behind. */
        status = sim_run_io_start(o, &io, err);
        if (status != SIM_EXIT_OK) {
            return status;
        }
    }
    status = sim_run_make_dir(o, dir, sizeof(dir), &created, err);
    if (status != SIM_EXIT_OK) {
        if (sim_opt_uses_io(o)) {
            sim_run_io_stop(&io);
        }
        return status;
    }
    (void)snprintf(io.dir, sizeof(io.dir), "%s", dir);
    if (report != NULL) {
        (void)snprintf(report->dir, sizeof(report->dir), "%s", dir);
    }
    if (handle_signals) {
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sa.sa_flags = SA_RESETHAND;
        (void)sigemptyset(&sa.sa_mask);
        (void)sigaction(SIGINT, &sa, &old_int);
        (void)sigaction(SIGTERM, &sa, &old_term);
    }
    /* Measure the machine once, before any clock starts. */
    (void)wl_cpu_calibrate();

    for (m = 0; m < SIM_MODEL_COUNT; m++) {
        if (!(o->models & (1u << m))) {
            continue;
        }
        if (atomic_load(&run_stop)) {
            break;
        }
        status = run_model(o, (enum sim_model)m, dir, &io, &runs[n], err);
        if (status != SIM_EXIT_OK) {
            break;
        }
        if (runs[n].stats.steps_failed > 0) {
            failed = 1;
        }
        n++;
    }
    if (handle_signals) {
        (void)sigaction(SIGINT, &old_int, NULL);
        (void)sigaction(SIGTERM, &old_term, NULL);
    }
    if (sim_opt_uses_io(o)) {
        sim_run_io_stop(&io);
    }
    if (status != SIM_EXIT_OK && n == 0) {
        /* Nothing was written: leave nothing behind. */
        if (created) {
            (void)rmdir(dir);
        }
        return status;
    }
    if (run_signal != 0 && !o->quiet) {
        fprintf(err, "gilsim: interrupted; the traces of what ran are in %s\n",
                dir);
    }

    sc.runs = runs;
    sc.n = n;
    sc.command = command;
    rc = sim_run_write_atomic(dir, "summary.json", write_summary_fn, &sc, msg,
                              sizeof(msg));
    if (rc != 0) {
        fprintf(err, "gilsim: %s\n", msg);
        return SIM_EXIT_ERROR;
    }
    sim_run_sync_dir(dir);
    plot_runs(dir, o, runs, n, err);
    if (sim_report_write(dir, msg, sizeof(msg)) != 0) {
        /* Like the pictures, the page never changes the exit status. */
        fprintf(err, "gilsim: index.html skipped: %s\n", msg);
    }
    if (report != NULL) {
        memcpy(report->runs, runs, n * sizeof(runs[0]));
        report->n = n;
    }
    if (status != SIM_EXIT_OK) {
        return status;
    }

    if (o->format_text) {
        sim_table_print(runs, n, out);
    }
    if (o->format_json) {
        if (o->format_text) {
            fputc('\n', out);
        }
        rc = sim_trace_write_summary_json(runs, n, SIM_VERSION, command, out);
        if (rc != 0) {
            fprintf(err, "gilsim: cannot print the summary\n");
            return SIM_EXIT_ERROR;
        }
    }
    if (o->format_text) {
        fprintf(out, "traces and summary: %s\n", dir);
    } else if (!o->quiet) {
        /* Keep stdout pure JSON. */
        fprintf(err, "gilsim: traces and summary: %s\n", dir);
    }
    fflush(out);
    if (failed) {
        print_failures(runs, n, dir, err);
    }
    if (run_signal != 0) {
        return 128 + (int)run_signal;
    }
    return failed ? SIM_EXIT_FAILURES : SIM_EXIT_OK;
}
