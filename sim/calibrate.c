/*
 * calibrate.c - `gilsim calibrate`: measure what the simulation charges
 * (struct sim_costs) on a real Python interpreter and on this machine,
 * and write calibration.json for `gilsim run --calibration=FILE`.
 *
 * How it works. The interpreter is --python, or the first python3 on
 * PATH. It is first asked its version (`-c` with a one-line program, 10 s
 * limit), so a missing, broken or Python 2 interpreter costs one line and
 * exit status 2 before anything is measured. Then the C side measures
 * two costs of this machine's threads (below), starts gilsim's embedded
 * latency server on loopback (0 latency, 1 KiB pages), and runs the
 * micro-benchmark program calibrate.py, embedded in the binary at build
 * time, with `-c` (child.c: stdout and stderr captured, 120 s limit). The
 * program prints one flat JSON object, which json_flat.c reads strictly.
 * The file is written through a temporary file and a rename.
 *
 * From the program's numbers (each the best of 3-5 batches, but the
 * countdown's):
 * - instr_ns: ns per iteration of `while n > 0: n -= 1`, divided by the
 *   loop's bytecodes, which the program counts with dis (from a backward
 *   jump's target to the jump; 8 on CPython 3.11, WL_COUNTDOWN_INSTRUCTIONS).
 *   The countdown's code is quickened first (8 calls), so this is the
 *   warm speed; the median of 35 runs of 1 M iterations, 7 at each of
 *   five points spread over the program's few seconds: on a shared VM
 *   whose interpreter speed swings by up to 2x within minutes, the best
 *   of five short runs came out a fast moment's, and the runs gilsim
 *   predicts meet the typical one.
 * - quickened_speedup and quicken_calls (format 3): CPython 3.11 runs a
 *   function's generic bytecode until its code is quickened at its 8th
 *   call. The speed-up is the median of 9 ratios of a fresh function's
 *   countdown of 1 M (a new code object from compile()) to the warm
 *   one's, timed side by side; the call is the step that best fits 16
 *   ratios of a fresh function called k - 1 times first (k = 1..16) to
 *   the warm one beside it (none, and a speed-up of 1, when they differ
 *   by less than 15 % or no step fits). instr_ns is the unquickened
 *   instruction: the warm countdown times the speed-up, what a program
 *   that calls its loop once sees; every other cost is measured in ns
 *   and turned into such instructions.
 * - decode_instr_per_byte / write_instr_per_byte: str(bytes, "utf-8",
 *   errors="replace") (what r.text does) and str.encode of 64 KiB ASCII.
 * - result_instructions: one queue.Queue put plus one get in one thread,
 *   standing for a worker's per-item work (a queue get and waking a
 *   waiter through a Condition, as Future.set_result does).
 * - collect_instructions: Future.result() on a done future plus the
 *   list.append of Executor.map.
 * - submit_instructions: ThreadPoolExecutor(1).submit while its one
 *   worker is blocked, so neither a thread start nor a wake-up is in it
 *   (the model runs those for real); the wall time of a whole
 *   submit(fn).result() round trip is shown beside it, for the record.
 * - worker_start_ns: a fork Pool(1) worker's own CPU over its life
 *   (start, one task, exit), from RUSAGE_CHILDREN once it is reaped;
 *   pool_fork_ns and pool_start_ns (format 3): the parent's CPU to create
 *   Pool(8) less Pool(1)'s, a worker, and Pool(1)'s less that. With
 *   requests imported first, as the seed's processes program has it.
 * - request_instructions: if `requests` imports, this process's CPU
 *   (time.process_time) per requests.Session.get of a 1 KiB page from
 *   the embedded server, body read included, less what gilsim's own
 *   fetch of the same page costs this thread (calibrate_fetch.c: libcurl
 *   and the kernel's socket work, which a gilsim fetch does for real).
 *   The same for the other clients of --client (format 2):
 *   request_new_instructions (requests.get, a new Session and connection
 *   a call), request_urllib_instructions (urllib.request.urlopen().read())
 *   and request_aiohttp_instructions (aiohttp ClientSession.get + text(),
 *   one after another on an asyncio loop), each where its library
 *   imports, less gilsim's own fetch in the same connection mode (a new
 *   connection for requests.get and urllib, one kept alive otherwise).
 * - first_fetch_instructions and first_fetch_forked_instructions
 *   (format 3): a fresh interpreter's first requests.get less its later
 *   ones' CPU (requests imported first, as a program has it), in the
 *   interpreter and in a worker forked from it before, the median of 3.
 * - the receive curve, recv_instr_per_byte (a body's first 64 KiB) and
 *   recv_instr_per_byte_64k, _1m, _4m (format 3): the CPU of
 *   requests.Session.get().content of pages of 1 KiB, 64 KiB, 1 MiB,
 *   4 MiB and 8 MiB (an embedded server each), the best of three
 *   batches; each band is the CPU between its two points per byte, less
 *   the 720 instructions per 8 KiB chunk that chunk_instructions charges.
 * - hop_instructions: CPU per `await loop.run_in_executor(None, abs, 1)`,
 *   900 of them with 300 coroutines under way (aiofiles makes three a
 *   write), the best of three.
 * - result_ipc_instructions: a Pool(1) worker's CPU over 2000 tasks of
 *   abs less its life's with one, a task (format 3 measures it).
 * - threadpool_task_instructions (format 3): multiprocessing.pool.
 *   ThreadPool(1).map(abs, ..., chunksize=1), CPU a task (its queues and
 *   its handler threads), charged by the threads model a chunk claimed.
 * chunk_instructions is not measured and keeps its default; the file
 * lists which costs were measured.
 *
 * The C side (calibrate_bench.c): cond_wake_ns is the p50 of half a
 * round trip of a condvar ping-pong between two threads (signal -> the
 * waiter runs and signals back); timer_slack_ns is the p50 of how late a
 * 1 ms pthread_cond_timedwait (CLOCK_MONOTONIC) returns past its
 * deadline.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base.h"
#include "calibrate.h"
#include "run.h"

/* Time limits of the version probe and of the program; tests shorten
 * them (sim_calibrate_set_timeouts). */
static int probe_timeout_ms = 10000;
static int program_timeout_ms = 120000;
#define COND_ROUNDS  2000
#define FETCH_ROUNDS 300 /* gilsim's own fetches, each connection mode */
#define TIMER_ROUNDS 100

/* The micro-benchmarks, sim/calibrate.py, run as `python -c PROGRAM URL`
 * (cmake/embed.cmake turns the file into this array at build time). */
extern const unsigned char sim__calibrate_py[];

void
sim_calibrate_set_timeouts(int probe_ms, int program_ms)
{
    probe_timeout_ms = probe_ms;
    program_timeout_ms = program_ms;
}

/* The first line of `s`, cut at 160 bytes, control characters made
 * spaces; into buf. */
static void
first_line(const char *s, char *buf, size_t len)
{
    size_t i = 0;

    while (*s == '\n' || *s == ' ') {
        s++;
    }
    while (s[i] != '\0' && s[i] != '\n' && i + 1 < len && i < 160) {
        buf[i] = (unsigned char)s[i] < 0x20 ? ' ' : s[i];
        i++;
    }
    buf[i] = '\0';
}

/* The last non-empty line of stderr: a Python traceback ends with the
 * exception. */
static void
last_line(const char *s, char *buf, size_t len)
{
    const char *end = s + strlen(s);
    const char *p;

    while (end > s && (end[-1] == '\n' || end[-1] == ' ')) {
        end--;
    }
    p = end;
    while (p > s && p[-1] != '\n') {
        p--;
    }
    if ((size_t)(end - p) >= len) {
        end = p + len - 1;
    }
    memcpy(buf, p, (size_t)(end - p));
    buf[end - p] = '\0';
    first_line(buf, buf, len);
}

/* ---- finding the interpreter --------------------------------------------- */

/* "--python=VALUE", or "python3 on PATH (PATH)" when none was given. */
static void
subject(const struct sim_options *o, const char *py, char *buf, size_t len)
{
    if (o->python[0] != '\0') {
        (void)snprintf(buf, len, "--python=%.1000s", o->python);
    } else {
        (void)snprintf(buf, len, "python3 on PATH (%.1000s)", py);
    }
}

#define EXPECT_PY                                                              \
    "expected a Python 3 interpreter, e.g. --python=/usr/bin/python3"

static int
usage(FILE *err, const char *subj, const char *what)
{
    fprintf(err, "gilsim: %s: %s (" EXPECT_PY ")\n", subj, what);
    return SIM_EXIT_USAGE;
}

/* The interpreter to run, into py. SIM_EXIT_OK or SIM_EXIT_USAGE. */
static int
find_python(const struct sim_options *o, char *py, size_t len, FILE *err)
{
    char subj[1100];
    struct stat st;

    if (o->python[0] == '\0') {
        if (base_search_path("python3", py, len) != 0) {
            fprintf(err, "gilsim: calibrate: no python3 on PATH (expected "
                         "a Python 3 interpreter on PATH, or "
                         "--python=PATH)\n");
            return SIM_EXIT_USAGE;
        }
        return SIM_EXIT_OK;
    }
    subject(o, o->python, subj, sizeof(subj));
    if (strchr(o->python, '/') == NULL) {
        if (base_search_path(o->python, py, len) != 0) {
            return usage(err, subj, "not found on PATH");
        }
        return SIM_EXIT_OK;
    }
    if (stat(o->python, &st) != 0) {
        return usage(err, subj,
                     errno == ENOENT ? "no such file" : "cannot be examined");
    }
    if (!S_ISREG(st.st_mode)) {
        return usage(err, subj, "not a regular file");
    }
    if (access(o->python, X_OK) != 0) {
        return usage(err, subj, "not executable");
    }
    (void)snprintf(py, len, "%s", o->python);
    return SIM_EXIT_OK;
}

/* A version "3.11.7": digits.digits.digits, then only white space. */
static int
parse_version(const char *s, int *major)
{
    const char *p = s;
    int parts = 0;

    *major = atoi(s);
    for (;;) {
        if (*p < '0' || *p > '9') {
            return -1;
        }
        while (*p >= '0' && *p <= '9') {
            p++;
        }
        parts++;
        if (*p != '.' || parts == 3) {
            break;
        }
        p++;
    }
    while (*p == '\n' || *p == '\r' || *p == ' ') {
        p++;
    }
    return parts == 3 && *p == '\0' ? 0 : -1;
}

/* Explain a failed run of the interpreter in one line. */
static int
child_failed(FILE *err, const char *subj, const char *doing, int rc,
             const struct sim_child_out *co, int timeout_ms)
{
    char what[512];
    char line[200];

    if (rc != 0) {
        base_errf(what, sizeof(what), -rc, "cannot be run");
    } else if (co->timed_out) {
        (void)snprintf(what, sizeof(what), "%s took longer than %g s", doing,
                       (double)timeout_ms / 1000.0);
    } else {
        last_line(co->err, line, sizeof(line));
        (void)snprintf(what, sizeof(what), "%s exited with status %d%s%s",
                       doing, co->status, line[0] != '\0' ? ": " : "", line);
    }
    return usage(err, subj, what);
}

/* Ask the interpreter its version; SIM_EXIT_OK with `version` filled. */
static int
probe(const char *py, const char *subj, char *version, size_t len, FILE *err)
{
    char prog[] = "import sys; v = sys.version_info; "
                  "sys.stdout.write('%d.%d.%d' % (v[0], v[1], v[2]))";
    char dash_c[] = "-c";
    char *argv[4];
    struct sim_child_out co;
    char what[512];
    char line[200];
    int major = 0;
    int rc;

    argv[0] = (char *)py;
    argv[1] = dash_c;
    argv[2] = prog;
    argv[3] = NULL;
    rc = sim_child_run(argv, probe_timeout_ms, &co);
    if (rc != 0 || co.timed_out || co.status != 0) {
        int status = child_failed(err, subj, "asked for its version, it", rc,
                                  &co, probe_timeout_ms);

        sim_child_out_clear(&co);
        return status;
    }
    if (parse_version(co.out, &major) != 0) {
        first_line(co.out, line, sizeof(line));
        (void)snprintf(what, sizeof(what),
                       "asked for its version, it printed '%s', not a "
                       "Python version",
                       line);
        sim_child_out_clear(&co);
        return usage(err, subj, what);
    }
    first_line(co.out, version, len);
    sim_child_out_clear(&co);
    if (major != 3) {
        (void)snprintf(what, sizeof(what), "it is Python %s, not Python 3",
                       version);
        return usage(err, subj, what);
    }
    return SIM_EXIT_OK;
}

/* ---- the program's numbers ------------------------------------------------
 */

enum py_key {
    PY_COUNTDOWN_NS = 0,
    PY_COUNTDOWN_BYTECODES,
    PY_DECODE_NS,
    PY_ENCODE_NS,
    PY_POOL_CPU_NS, /* optional: null if Pool failed */
    PY_QUEUE_NS,
    PY_FUTURE_NS,
    PY_SUBMIT_NS,
    PY_REQUEST_NS,         /* optional: null without requests */
    PY_ROUNDTRIP_NS,       /* for the record only */
    PY_REQUEST_NEW_NS,     /* optional: requests.get */
    PY_REQUEST_URLLIB_NS,  /* optional: urllib.request.urlopen */
    PY_REQUEST_AIOHTTP_NS, /* optional: null without aiohttp */
    PY_HOP_NS,             /* optional: run_in_executor */
    PY_RECV_1K_NS,         /* optional: the receive curve's points, */
    PY_RECV_64K_NS,        /* Session.get().content of each size */
    PY_RECV_1M_NS,
    PY_RECV_4M_NS,
    PY_RECV_8M_NS,
    PY_UNQUICKENED,     /* countdown, fresh code / quickened */
    PY_QUICKEN_CALLS,   /* optional: null when they do not differ */
    PY_POOL_FORK_NS,    /* optional: Pool(8) less Pool(1), parent, a worker */
    PY_POOL_START_NS,   /* optional: Pool(1)'s parent CPU less a fork */
    PY_FIRST_FETCH_NS,  /* optional: a fresh process's first requests.get */
    PY_FIRST_FORKED_NS, /* optional: and a worker forked from it */
    PY_POOL_TASK_NS,    /* optional: a Pool(1) worker's CPU a task */
    PY_THREADPOOL_TASK_NS, /* optional: ThreadPool(1).map, CPU a task */
    PY_KEYS
};

static const char *const py_key_names[PY_KEYS] = {
    "countdown_ns_per_iteration",
    "countdown_bytecodes",
    "decode_ns_per_byte",
    "encode_ns_per_byte",
    "pool_worker_cpu_ns",
    "queue_put_get_ns",
    "future_result_ns",
    "submit_ns",
    "request_cpu_ns",
    "roundtrip_ns",
    "request_new_cpu_ns",
    "request_urllib_cpu_ns",
    "request_aiohttp_cpu_ns",
    "hop_cpu_ns",
    "recv_1024_ns",
    "recv_65536_ns",
    "recv_1048576_ns",
    "recv_4194304_ns",
    "recv_8388608_ns",
    "unquickened_factor", /* fresh code's time / quickened */
    "quicken_calls",
    "pool_fork_ns",
    "pool_start_ns",
    "first_fetch_cpu_ns",
    "first_fetch_forked_cpu_ns",
    "pool_task_cpu_ns",
    "threadpool_task_ns",
};

/* What the program must measure; the rest may be null. */
#define REQUIRED_KEYS                                                          \
    (((1u << PY_KEYS) - 1) &                                                   \
     ~((1u << PY_POOL_CPU_NS) | (1u << PY_REQUEST_NS) |                        \
       (1u << PY_ROUNDTRIP_NS) | (1u << PY_REQUEST_NEW_NS) |                   \
       (1u << PY_REQUEST_URLLIB_NS) | (1u << PY_REQUEST_AIOHTTP_NS) |          \
       (1u << PY_HOP_NS) | (1u << PY_RECV_1K_NS) | (1u << PY_RECV_64K_NS) |    \
       (1u << PY_RECV_1M_NS) | (1u << PY_RECV_4M_NS) | (1u << PY_RECV_8M_NS) | \
       (1u << PY_QUICKEN_CALLS) | (1u << PY_POOL_FORK_NS) |                    \
       (1u << PY_POOL_START_NS) | (1u << PY_FIRST_FETCH_NS) |                  \
       (1u << PY_FIRST_FORKED_NS) | (1u << PY_POOL_TASK_NS) |                  \
       (1u << PY_THREADPOOL_TASK_NS)))

struct py_result {
    double v[PY_KEYS];
    unsigned have; /* bit per key that was a number */
    unsigned seen; /* bit per key that was there at all */
    char requests_version[32];
    char aiohttp_version[32];
    /* gilsim's own fetch of the 1 KiB page (calibrate_fetch.c), a new
     * connection each and kept alive; 0 where it could not be timed. */
    int64_t own_new_ns, own_keep_ns;
};

static int
py_member(const char *key, const struct sim_json_value *v, void *ctx, char *err,
          size_t errlen)
{
    struct py_result *r = ctx;
    int i;

    if (strcmp(key, "requests_version") == 0 && v->type == SIM_JSON_STRING) {
        (void)snprintf(r->requests_version, sizeof(r->requests_version), "%s",
                       v->string);
        return 0;
    }
    if (strcmp(key, "aiohttp_version") == 0 && v->type == SIM_JSON_STRING) {
        (void)snprintf(r->aiohttp_version, sizeof(r->aiohttp_version), "%s",
                       v->string);
        return 0;
    }
    for (i = 0; i < PY_KEYS; i++) {
        if (strcmp(key, py_key_names[i]) != 0) {
            continue;
        }
        r->seen |= 1u << i;
        if (v->type == SIM_JSON_NUMBER && v->number >= 0.0) {
            r->v[i] = v->number;
            r->have |= 1u << i;
        } else if (v->type != SIM_JSON_NULL) {
            (void)snprintf(err, errlen, "\"%s\" is not a number", key);
            return -EBADMSG;
        }
    }
    return 0;
}

/* ---- gilsim calibrate ------------------------------------------------------
 */

struct cal_run {
    struct sim_calibration cal;
    char note[SIM_COST_COUNT][128]; /* how each cost was found */
};

static int
write_cal_fn(const void *ctx, FILE *f)
{
    return sim_calibration_write(ctx, f);
}

/* Set cost `f` to v (measured), with a note; 0, or -ERANGE if v is not
 * a value the file could hold. */
static int
measured(struct cal_run *cr, enum sim_cost_field f, double v, const char *note)
{
    if (!isfinite(v) || !sim_cost_in_range(f, v)) {
        return -ERANGE;
    }
    sim_cost_set(&cr->cal.costs, f, v);
    cr->cal.measured |= 1u << f;
    (void)snprintf(cr->note[f], sizeof(cr->note[f]), "%s", note);
    return 0;
}

/* The receive curve's points: body sizes, their CPU keys, and the band
 * each pair of neighbours measures. */
static const uint64_t recv_sizes[] = {1024, 64 * 1024, 1024 * 1024,
                                      4 * 1024 * 1024, 8 * 1024 * 1024};
static const int recv_keys[] = {PY_RECV_1K_NS, PY_RECV_64K_NS, PY_RECV_1M_NS,
                                PY_RECV_4M_NS, PY_RECV_8M_NS};
static const enum sim_cost_field recv_bands[] = {
    SIM_COST_RECV, SIM_COST_RECV_64K, SIM_COST_RECV_1M, SIM_COST_RECV_4M};

/* Each band where both its points were measured: the CPU between them
 * per byte, less what chunk_instructions charges per 8 KiB chunk. */
static int
derive_recv_curve(struct cal_run *cr, const struct py_result *r, double instr,
                  const char **bad)
{
    char note[128];
    size_t k;

    for (k = 0; k < sizeof(recv_bands) / sizeof(recv_bands[0]); k++) {
        int a = recv_keys[k], b = recv_keys[k + 1];
        double ns, per_byte;

        if (!(r->have & (1u << a)) || !(r->have & (1u << b))) {
            continue;
        }
        ns = (r->v[b] - r->v[a]) / (double)(recv_sizes[k + 1] - recv_sizes[k]);
        per_byte =
            ns / instr - (double)cr->cal.costs.chunk_instructions / 8192.0;
        (void)snprintf(note, sizeof(note),
                       "Session.get content, %llu KiB vs %llu KiB: %.2f ns a "
                       "byte",
                       (unsigned long long)(recv_sizes[k + 1] / 1024),
                       (unsigned long long)(recv_sizes[k] / 1024), ns);
        *bad = sim_cost_name(recv_bands[k]);
        if (measured(cr, recv_bands[k], per_byte > 0.0 ? per_byte : 0.0,
                     note) != 0) {
            return -ERANGE;
        }
    }
    return 0;
}

/* The other clients' request costs (--client), where measured. */
static int
derive_clients(struct cal_run *cr, const struct py_result *r, double instr,
               const char **bad)
{
    static const struct {
        int key;
        enum sim_cost_field f;
        const char *what;
    } clients[] = {
        {PY_REQUEST_NEW_NS, SIM_COST_REQUEST_NEW, "requests.get"},
        {PY_REQUEST_URLLIB_NS, SIM_COST_REQUEST_URLLIB, "urllib urlopen"},
        {PY_REQUEST_AIOHTTP_NS, SIM_COST_REQUEST_AIOHTTP, "aiohttp get+text"},
        {PY_HOP_NS, SIM_COST_HOP, "run_in_executor hop"},
    };
    char note[128], less[40];
    double own, ns;
    size_t k;

    for (k = 0; k < sizeof(clients) / sizeof(clients[0]); k++) {
        if (!(r->have & (1u << clients[k].key))) {
            continue;
        }
        own = clients[k].f == SIM_COST_HOP ? 0.0
              : clients[k].f == SIM_COST_REQUEST_AIOHTTP
                  ? (double)r->own_keep_ns
                  : (double)r->own_new_ns;
        ns = r->v[clients[k].key] - own;
        less[0] = '\0';
        if (own > 0.0) {
            (void)snprintf(less, sizeof(less), ", less gilsim's %.0f us",
                           own / 1e3);
        }
        (void)snprintf(
            note, sizeof(note), "%s%s%s: %.0f us of CPU a call%s",
            clients[k].what,
            clients[k].f == SIM_COST_REQUEST_AIOHTTP ? " " : "",
            clients[k].f == SIM_COST_REQUEST_AIOHTTP ? r->aiohttp_version : "",
            r->v[clients[k].key] / 1e3, less);
        *bad = sim_cost_name(clients[k].f);
        if (measured(cr, clients[k].f, (ns > 0.0 ? ns : 0.0) / instr, note) !=
            0) {
            return -ERANGE;
        }
    }
    return derive_recv_curve(cr, r, instr, bad);
}

/* The countdown's speed-up once CPython quickens its code: a fresh
 * function's time over the warm one's, 1 where the program found no call
 * that quickens it (they did not differ by 15 %). */
static double
quickened_speedup(const struct py_result *r)
{
    double f = r->v[PY_UNQUICKENED];

    if (!(r->have & (1u << PY_QUICKEN_CALLS)) || !(f > 1.0)) {
        return 1.0;
    }
    return f;
}

/* The countdown once CPython quickens its code: how much faster, and at
 * which call it is quickened (0: never, where the two did not differ by
 * 15 %). */
static int
derive_quickening(struct cal_run *cr, const struct py_result *r,
                  const char **bad)
{
    char note[128];

    (void)snprintf(note, sizeof(note),
                   "countdown, fresh code / quickened: %.2f (median of 9)",
                   r->v[PY_UNQUICKENED]);
    *bad = sim_cost_name(SIM_COST_QUICKENED);
    if (measured(cr, SIM_COST_QUICKENED, quickened_speedup(r), note) != 0) {
        return -ERANGE;
    }
    *bad = sim_cost_name(SIM_COST_QUICKEN_CALLS);
    if (!(r->have & (1u << PY_QUICKEN_CALLS))) {
        return measured(cr, SIM_COST_QUICKEN_CALLS, 0,
                        "no faster after: never quickened");
    }
    (void)snprintf(note, sizeof(note),
                   "a fresh countdown ran warm from call %.0f",
                   r->v[PY_QUICKEN_CALLS]);
    return measured(cr, SIM_COST_QUICKEN_CALLS, r->v[PY_QUICKEN_CALLS], note);
}

/* An instruction's cost: the warm countdown's speed times the factor
 * measured beside it (derive_quickening), a bytecode an instruction, into
 * *instr. 0, or -ERANGE. */
static int
derive_instr(struct cal_run *cr, const struct py_result *r, double *instr,
             const char **bad)
{
    const double *v = r->v;
    double bytecodes = v[PY_COUNTDOWN_BYTECODES];
    double speedup;
    char note[128];

    if (bytecodes < 1 || bytecodes > 64) {
        bytecodes = WL_COUNTDOWN_INSTRUCTIONS;
    }
    speedup = quickened_speedup(r);
    *instr = v[PY_COUNTDOWN_NS] * speedup / bytecodes;
    (void)snprintf(note, sizeof(note),
                   "countdown: %.1f ns per iteration (%.1f quickened) of "
                   "%.0f bytecodes",
                   v[PY_COUNTDOWN_NS] * speedup, v[PY_COUNTDOWN_NS], bytecodes);
    *bad = "instr_ns";
    if (*instr <= 0.0 || measured(cr, SIM_COST_INSTR_NS, *instr, note) != 0) {
        return -ERANGE;
    }
    return 0;
}

/* The costs of decoding, encoding and the executor's hand-offs. */
static int
derive_core(struct cal_run *cr, const struct py_result *r, double instr,
            const char **bad)
{
    const double *v = r->v;
    char note[128];

    (void)snprintf(note, sizeof(note), "r.text: %.3f ns per byte",
                   v[PY_DECODE_NS]);
    *bad = "decode_instr_per_byte";
    if (measured(cr, SIM_COST_DECODE, v[PY_DECODE_NS] / instr, note) != 0) {
        return -ERANGE;
    }
    (void)snprintf(note, sizeof(note), "str.encode: %.3f ns per byte",
                   v[PY_ENCODE_NS]);
    *bad = "write_instr_per_byte";
    if (measured(cr, SIM_COST_WRITE, v[PY_ENCODE_NS] / instr, note) != 0) {
        return -ERANGE;
    }
    (void)snprintf(note, sizeof(note), "queue.Queue put + get: %.2f us",
                   v[PY_QUEUE_NS] / 1e3);
    *bad = "result_instructions";
    if (measured(cr, SIM_COST_RESULT, v[PY_QUEUE_NS] / instr, note) != 0) {
        return -ERANGE;
    }
    (void)snprintf(note, sizeof(note), "Future.result, done: %.2f us",
                   v[PY_FUTURE_NS] / 1e3);
    *bad = "collect_instructions";
    if (measured(cr, SIM_COST_COLLECT, v[PY_FUTURE_NS] / instr, note) != 0) {
        return -ERANGE;
    }
    (void)snprintf(note, sizeof(note),
                   "submit, worker busy: %.2f us (round trip %.1f us)",
                   v[PY_SUBMIT_NS] / 1e3, v[PY_ROUNDTRIP_NS] / 1e3);
    *bad = "submit_instructions";
    if (measured(cr, SIM_COST_SUBMIT, v[PY_SUBMIT_NS] / instr, note) != 0) {
        return -ERANGE;
    }
    return 0;
}

/* The process pool's and ThreadPool's costs, where they were measured. */
static int
derive_pools(struct cal_run *cr, const struct py_result *r, double instr,
             const char **bad)
{
    const double *v = r->v;
    char note[128];

    if (r->have & (1u << PY_POOL_CPU_NS)) {
        *bad = "worker_start_ns";
        if (measured(cr, SIM_COST_WORKER_START, v[PY_POOL_CPU_NS],
                     "a fork Pool(1) worker's CPU, start to exit") != 0) {
            return -ERANGE;
        }
    }
    if (r->have & (1u << PY_POOL_TASK_NS)) {
        (void)snprintf(note, sizeof(note),
                       "a Pool(1) worker's CPU a task of 2000: %.1f us",
                       v[PY_POOL_TASK_NS] / 1e3);
        *bad = "result_ipc_instructions";
        if (measured(cr, SIM_COST_RESULT_IPC, v[PY_POOL_TASK_NS] / instr,
                     note) != 0) {
            return -ERANGE;
        }
    }
    if (r->have & (1u << PY_THREADPOOL_TASK_NS)) {
        (void)snprintf(note, sizeof(note),
                       "ThreadPool(1).map, chunksize 1: %.2f us CPU a task",
                       v[PY_THREADPOOL_TASK_NS] / 1e3);
        *bad = "threadpool_task_instructions";
        if (measured(cr, SIM_COST_THREADPOOL_TASK,
                     v[PY_THREADPOOL_TASK_NS] / instr, note) != 0) {
            return -ERANGE;
        }
    }
    if ((r->have & (1u << PY_POOL_FORK_NS)) &&
        (r->have & (1u << PY_POOL_START_NS))) {
        *bad = "pool_fork_ns";
        if (measured(cr, SIM_COST_POOL_FORK, v[PY_POOL_FORK_NS],
                     "parent's CPU: Pool(8) less Pool(1), a worker") != 0) {
            return -ERANGE;
        }
        *bad = "pool_start_ns";
        if (measured(cr, SIM_COST_POOL_START, v[PY_POOL_START_NS],
                     "parent's CPU: Pool(1) less one worker") != 0) {
            return -ERANGE;
        }
    }
    return 0;
}

/* requests' costs a request, and a process's first one. */
static int
derive_requests(struct cal_run *cr, const struct py_result *r, double instr,
                const char **bad)
{
    const double *v = r->v;
    char note[128];

    if (r->have & (1u << PY_REQUEST_NS)) {
        double ns = v[PY_REQUEST_NS] - (double)r->own_keep_ns;

        (void)snprintf(note, sizeof(note),
                       "requests %s: %.0f us of CPU per Session.get, less "
                       "gilsim's %.0f us",
                       r->requests_version, v[PY_REQUEST_NS] / 1e3,
                       (double)r->own_keep_ns / 1e3);
        *bad = "request_instructions";
        if (measured(cr, SIM_COST_REQUEST, (ns > 0.0 ? ns : 0.0) / instr,
                     note) != 0) {
            return -ERANGE;
        }
    }
    if (r->have & (1u << PY_FIRST_FETCH_NS)) {
        (void)snprintf(note, sizeof(note),
                       "a fresh process's first requests.get: %.1f ms more",
                       v[PY_FIRST_FETCH_NS] / 1e6);
        *bad = "first_fetch_instructions";
        if (measured(cr, SIM_COST_FIRST_FETCH, v[PY_FIRST_FETCH_NS] / instr,
                     note) != 0) {
            return -ERANGE;
        }
    }
    if (r->have & (1u << PY_FIRST_FORKED_NS)) {
        (void)snprintf(note, sizeof(note),
                       "the same in a forked worker: %.1f ms more",
                       v[PY_FIRST_FORKED_NS] / 1e6);
        *bad = "first_fetch_forked_instructions";
        if (measured(cr, SIM_COST_FIRST_FETCH_FORKED,
                     v[PY_FIRST_FORKED_NS] / instr, note) != 0) {
            return -ERANGE;
        }
    }
    return 0;
}

/* Why each cost that was not measured was not. */
static void
note_unmeasured(struct cal_run *cr)
{
    int i;

    for (i = 0; i < SIM_COST_COUNT; i++) {
        if (!((cr->cal.measured >> i) & 1u)) {
            (void)snprintf(
                cr->note[i], sizeof(cr->note[i]), "%s",
                i == SIM_COST_REQUEST || i == SIM_COST_REQUEST_NEW ||
                        i == SIM_COST_FIRST_FETCH ||
                        i == SIM_COST_FIRST_FETCH_FORKED
                    ? "requests did not import"
                : i == SIM_COST_REQUEST_AIOHTTP ? "aiohttp did not import"
                : i == SIM_COST_WORKER_START || i == SIM_COST_POOL_START ||
                        i == SIM_COST_POOL_FORK
                    ? "multiprocessing.Pool failed"
                    : "not measured");
        }
    }
}

/* Turn the program's numbers into costs. 0, or -ERANGE naming the cost
 * in `bad`. */
static int
derive(struct cal_run *cr, const struct py_result *r, const char **bad)
{
    double instr = 0.0;

    if (derive_instr(cr, r, &instr, bad) != 0 ||
        derive_core(cr, r, instr, bad) != 0 ||
        derive_quickening(cr, r, bad) != 0 ||
        derive_pools(cr, r, instr, bad) != 0 ||
        derive_requests(cr, r, instr, bad) != 0 ||
        derive_clients(cr, r, instr, bad) != 0) {
        return -ERANGE;
    }
    note_unmeasured(cr);
    return 0;
}

/* Run the program with the embedded servers up (for requests): the
 * 1 KiB page's, and one for each larger point of the receive curve. */
static int
run_program(const char *py, const char *subj, struct py_result *r, FILE *err)
{
#define NSIZES (sizeof(recv_sizes) / sizeof(recv_sizes[0]))
    struct sim_options so;
    struct wl_server *srv[NSIZES] = {NULL};
    struct sim_child_out co;
    char url[NSIZES][160];
    char dash_c[] = "-c";
    char *argv[NSIZES + 4];
    char perr[256];
    char what[600];
    char line[200];
    size_t k, n = 0;
    int64_t own_new, own_keep;
    int rc;

    sim_options_default(&so);
    so.latency_ns = 0;
    so.port = 0;
    argv[n++] = (char *)py;
    argv[n++] = dash_c;
    argv[n++] = (char *)sim__calibrate_py;
    for (k = 0; k < NSIZES; k++) {
        so.body_size = (int64_t)recv_sizes[k];
        url[k][0] = '\0';
        if ((k == 0 || srv[0] != NULL) &&
            sim_run_server_start(&so, &srv[k], err) == SIM_EXIT_OK) {
            /* The first is the small page's URL, the rest SIZE=URL. */
            char size[24] = "";

            if (k > 0) {
                (void)snprintf(size, sizeof(size),
                               "%llu=", (unsigned long long)recv_sizes[k]);
            }
            (void)snprintf(url[k], sizeof(url[k]),
                           "%shttp://127.0.0.1:%d/top250?start=1", size,
                           wl_server_port(srv[k]));
        }
        if (k == 0 || url[k][0] != '\0') {
            argv[n++] = url[k];
        }
    }
    argv[n] = NULL;
    rc = sim_child_run(argv, program_timeout_ms, &co);
    own_new = own_keep = 0;
    if (rc == 0 && srv[0] != NULL) {
        /* gilsim's own fetch of the same page, to take out of the
         * clients' CPU; a failure leaves it at 0 (nothing taken out). */
        if (sim_calibrate_fetch_cpu(url[0], 1, FETCH_ROUNDS, &own_new) != 0) {
            own_new = 0;
        }
        if (sim_calibrate_fetch_cpu(url[0], 0, FETCH_ROUNDS, &own_keep) != 0) {
            own_keep = 0;
        }
    }
    for (k = 0; k < NSIZES; k++) {
        wl_server_stop(srv[k]);
    }
#undef NSIZES
    if (rc != 0 || co.timed_out || co.status != 0) {
        int status = child_failed(err, subj, "the calibration program", rc, &co,
                                  program_timeout_ms);

        sim_child_out_clear(&co);
        return status;
    }
    memset(r, 0, sizeof(*r));
    r->own_new_ns = own_new;
    r->own_keep_ns = own_keep;
    rc = sim_flatjson_parse(co.out, co.out_len, py_member, r, perr,
                            sizeof(perr));
    if (rc == 0 && (r->have & REQUIRED_KEYS) != REQUIRED_KEYS) {
        (void)snprintf(perr, sizeof(perr), "a measurement is missing");
        rc = -EBADMSG;
    }
    if (rc != 0) {
        first_line(co.out, line, sizeof(line));
        (void)snprintf(what, sizeof(what),
                       "the calibration program printed '%.80s': %s", line,
                       perr);
        sim_child_out_clear(&co);
        return usage(err, subj, what);
    }
    sim_child_out_clear(&co);
    return SIM_EXIT_OK;
}

/* Split an --out path into its folder and file name; SIM_EXIT_USAGE if
 * the folder does not exist or the name is a folder. */
static int
out_path(const char *path, char *dir, size_t dlen, char *name, size_t nlen,
         FILE *err)
{
    const char *slash = strrchr(path, '/');
    struct stat st;

    if (slash == NULL) {
        (void)snprintf(dir, dlen, ".");
        (void)snprintf(name, nlen, "%s", path);
    } else {
        (void)snprintf(dir, dlen, "%.*s", (int)(slash - path),
                       slash == path ? "/" : path);
        if (slash == path) {
            (void)snprintf(dir, dlen, "/");
        }
        (void)snprintf(name, nlen, "%s", slash + 1);
    }
    if (name[0] == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
        (stat(path, &st) == 0 && S_ISDIR(st.st_mode))) {
        fprintf(err,
                "gilsim: --out=%.1000s: a folder (expected a file name for "
                "the calibration, e.g. calibration.json)\n",
                path);
        return SIM_EXIT_USAGE;
    }
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(err,
                "gilsim: --out=%.1000s: the folder %.1000s does not exist "
                "(expected a file in an existing folder)\n",
                path, dir);
        return SIM_EXIT_USAGE;
    }
    return SIM_EXIT_OK;
}

static void
print_summary(const struct cal_run *cr, const char *path, FILE *out)
{
    const struct sim_costs *c = &cr->cal.costs;
    int i;

    fprintf(out, "calibrated: Python %s (%s) on %d cores\n", c->python_version,
            cr->cal.python, c->cores);
    for (i = 0; i < SIM_COST_COUNT; i++) {
        double v = sim_cost_get(c, (enum sim_cost_field)i);

        fprintf(out,
                v == floor(v) ? "  %-31s %12.0f  %-8s  %s\n"
                              : "  %-31s %12.6g  %-8s  %s\n",
                sim_cost_name((enum sim_cost_field)i), v,
                ((cr->cal.measured >> i) & 1u) ? "measured" : "default",
                cr->note[i]);
    }
    fprintf(out, "wrote %s; use it with gilsim run --calibration=%s\n", path,
            path);
}

int
sim_calibrate_main(const struct sim_options *o, FILE *out, FILE *err)
{
    struct cal_run *cr;
    struct py_result r;
    char py[4096];
    char subj[1100];
    char dir[4096];
    char name[4096];
    char msg[SIM_ERR_LEN * 2];
    const char *path = o->out_dir[0] != '\0' ? o->out_dir : "calibration.json";
    const char *bad = "";
    time_t now;
    struct tm tm;
    long cores;
    int status;
    int rc;

    status = out_path(path, dir, sizeof(dir), name, sizeof(name), err);
    if (status != SIM_EXIT_OK) {
        return status;
    }
    status = find_python(o, py, sizeof(py), err);
    if (status != SIM_EXIT_OK) {
        return status;
    }
    subject(o, py, subj, sizeof(subj));
    cr = calloc(1, sizeof(*cr));
    if (cr == NULL) {
        fprintf(err, "gilsim: out of memory\n");
        return SIM_EXIT_ERROR;
    }
    sim_costs_default(&cr->cal.costs);
    status = probe(py, subj, cr->cal.costs.python_version,
                   sizeof(cr->cal.costs.python_version), err);
    if (status != SIM_EXIT_OK) {
        goto out;
    }
    if (!o->quiet) {
        fprintf(err,
                "gilsim: calibrating with Python %s (%s); a few "
                "seconds\n",
                cr->cal.costs.python_version, py);
    }
    /* The C side first, while nothing else of ours runs. */
    rc = sim_calibrate_cond_wake(COND_ROUNDS, &cr->cal.costs.cond_wake_ns);
    rc = rc != 0 ? rc
                 : sim_calibrate_timer_slack(TIMER_ROUNDS,
                                             &cr->cal.costs.timer_slack_ns);
    if (rc != 0) {
        base_errtext(-rc, msg, sizeof(msg));
        fprintf(err, "gilsim: calibrate: the thread benchmarks failed: %s\n",
                msg);
        status = SIM_EXIT_ERROR;
        goto out;
    }
    cr->cal.measured =
        (1u << SIM_COST_COND_WAKE) | (1u << SIM_COST_TIMER_SLACK);
    (void)snprintf(cr->note[SIM_COST_COND_WAKE],
                   sizeof(cr->note[SIM_COST_COND_WAKE]),
                   "C: condvar ping-pong, half a round trip, p50");
    (void)snprintf(cr->note[SIM_COST_TIMER_SLACK],
                   sizeof(cr->note[SIM_COST_TIMER_SLACK]),
                   "C: 1 ms timed wait, lateness, p50");
    status = run_program(py, subj, &r, err);
    if (status != SIM_EXIT_OK) {
        goto out;
    }
    if (derive(cr, &r, &bad) != 0) {
        fprintf(err,
                "gilsim: %s: the calibration program's numbers give an "
                "implausible %s (expected a working Python 3 interpreter)\n",
                subj, bad);
        status = SIM_EXIT_ERROR;
        goto out;
    }
    cores = sysconf(_SC_NPROCESSORS_ONLN);
    cr->cal.costs.cores = cores > 0 && cores < 1000000 ? (int)cores : 1;
    (void)snprintf(cr->cal.python, sizeof(cr->cal.python), "%s", py);
    (void)snprintf(cr->cal.gilsim_version, sizeof(cr->cal.gilsim_version), "%s",
                   SIM_VERSION);
    now = time(NULL);
    if (gmtime_r(&now, &tm) != NULL) {
        (void)strftime(cr->cal.date, sizeof(cr->cal.date), "%Y-%m-%dT%H:%M:%SZ",
                       &tm);
    }
    (void)snprintf(cr->cal.costs.source, sizeof(cr->cal.costs.source), "%s",
                   path);
    rc = base_write_atomic(dir, name, write_cal_fn, &cr->cal, msg, sizeof(msg));
    if (rc != 0) {
        fprintf(err, "gilsim: --out=%.1000s: %s\n", path, msg);
        status = SIM_EXIT_ERROR;
        goto out;
    }
    print_summary(cr, path, out);
    fflush(out);
out:
    free(cr);
    return status;
}
