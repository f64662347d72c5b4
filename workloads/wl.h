/*
 * wl.h - the public interface of workloads/: steps, tasks and workloads,
 * and the code that executes one step.
 *
 * A step is one piece of a task: `cpu` (N interpreter instructions, each
 * of calibrated cost, with an eval-breaker check every `check_every`
 * instructions), `sleep` (releases the GIL like time.sleep), and, with the
 * I/O issue, `fetch` and `write`. workloads/ does not know the GIL: the
 * caller passes a `struct wl_env` whose callbacks stand for the eval-breaker
 * check and for Py_BEGIN/END_ALLOW_THREADS. So the arrow points from sim/
 * to workloads/ and never back.
 *
 * Ownership: arguments are borrowed; what _new returns belongs to the
 * caller until the matching _free.
 */
#ifndef GILSIM_WL_H
#define GILSIM_WL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define WL_WARN_UNUSED __attribute__((warn_unused_result))

enum wl_step_kind {
    WL_STEP_CPU = 0,
    WL_STEP_SLEEP = 1,
    WL_STEP_FETCH = 2,
    WL_STEP_WRITE = 3,
    /* C work that releases the GIL (hashlib, zlib on large buffers, numpy):
     * duration_ns on a core, without the GIL. */
    WL_STEP_NATIVE = 4,
    /* A workload's named threading.Lock (`lock`, below): acquire it, as
     * `with lock:` does on entry, and release it on the way out. The
     * model runs them (sim/models/locks.c); wl_step_run fails them. */
    WL_STEP_LOCK = 5,
    WL_STEP_UNLOCK = 6,
    /* Reading io_bytes of a file, `open(name, "rb").read()`: the GIL
     * released around the system calls (read.c). */
    WL_STEP_READ = 7,
};

/* Most locks a workload may name. */
#define WL_MAX_LOCKS 16

/* How a step ended; 0 is success. Mirrored by sim/trace's enum sim_outcome. */
enum wl_outcome {
    WL_OK = 0,
    WL_FAILED = 1,
    WL_REFUSED = 2,
    WL_TIMEOUT = 3,
    WL_HTTP_ERROR = 4,
    WL_IO_ERROR = 5,
    WL_ABORTED = 6,
};

struct wl_step {
    enum wl_step_kind kind;
    /* cpu: instructions to run; WL_UNTIL_DONE = until env->until is set */
    int64_t instructions;
    /* cpu: extra instructions per byte of the thread's last fetched body
     * (decoding it, like requests' r.text); 0 for a plain cpu step */
    double instr_per_byte;
    /* cpu: 1 = one call of the program's own Python function (the
     * countdown), counted toward its quickening (struct wl_interp); 0 =
     * work in library code, warm long before (the decode of r.text). */
    int code_call;
    int64_t duration_ns; /* sleep, native: how long */
    int64_t page;        /* fetch: replaces {page} in the URL;
                            write: names the file top250-{page}.html */
    int lock;            /* lock, unlock: which of the workload's locks,
                            0 .. n_locks - 1 */
    /* fetch: what the embedded server is asked for instead of its own
     * settings (WL_FETCH_* bits; 0: its settings): a latency and a body
     * size of this fetch's own, sent as latency_us= and size= */
    unsigned fetch_own;
    int64_t latency_ns;
    uint64_t body_bytes;
    /* read: bytes to read; write: bytes to write instead of the last
     * fetched body (0: the body), to OUT/file-{page}.bin */
    uint64_t io_bytes;
};

#define WL_FETCH_LATENCY 1u
#define WL_FETCH_SIZE    2u

/* A cpu step that runs until the run says the other tasks are done (the
 * CPU threads of the convoy workload). */
#define WL_UNTIL_DONE INT64_C(-1)

struct wl_task {
    int32_t id;
    size_t n_steps;
    size_t room;           /* steps it has room for */
    struct wl_step *steps; /* points into the workload's step array */
    /* 1: when this task ends, the run sets env->until, so the
     * WL_UNTIL_DONE steps of other threads finish (convoy's I/O task) */
    int ends_run;
};

struct wl_workload {
    char name[64];
    size_t n_tasks;
    struct wl_task *tasks;
    size_t n_steps_total; /* capacity of step_storage: the rooms' sum */
    struct wl_step *step_storage;
    /* The locks its lock steps name (a workload file's), in order of
     * first use; 0 for the built-ins. */
    int n_locks;
    char lock_names[WL_MAX_LOCKS][64];
    /* A workload file's "cold_resume" (cold_set 1): a thread off the GIL
     * for cold_after_ns or more runs its next cold_instructions at
     * double cost, in place of the run's costs. 0: the costs'. */
    int cold_set;
    int64_t cold_instructions, cold_after_ns;
};

/* An empty workload of n_tasks tasks with room for steps_per_task steps
 * each (n_steps starts at 0; fill with wl_task_add_step). */
int wl_workload_new(const char *name, size_t n_tasks, size_t steps_per_task,
                    struct wl_workload **out) WL_WARN_UNUSED;
/* The same with room for rooms[i] steps in task i (each >= 1). */
int wl_workload_new_rooms(const char *name, size_t n_tasks, const size_t *rooms,
                          struct wl_workload **out) WL_WARN_UNUSED;
void wl_workload_free(struct wl_workload *w);
/* Append a step; -ENOSPC when the task's room is used up. */
int wl_task_add_step(struct wl_workload *w, size_t task,
                     const struct wl_step *s) WL_WARN_UNUSED;

/* Instructions in one iteration of `while n > 0: n -= 1` under CPython
 * 3.11 (LOAD_FAST LOAD_CONST BINARY_OP STORE_FAST LOAD_FAST LOAD_CONST
 * COMPARE_OP POP_JUMP_BACKWARD_IF_TRUE), which checks once per iteration. */
#define WL_COUNTDOWN_INSTRUCTIONS 8

/* Beazley's countdown: `count` iterations split into `tasks` equal tasks
 * (the remainder goes to the first ones), one cpu step each. */
int wl_workload_cpu(int64_t count, size_t tasks,
                    struct wl_workload **out) WL_WARN_UNUSED;

/* The seed scenario: `pages` tasks; task p fetches page p, decodes the
 * body (a cpu step of `decode_instr_per_byte` per byte) and writes it to
 * top250-{p}.html. */
int wl_workload_seed(int64_t pages, double decode_instr_per_byte,
                     struct wl_workload **out) WL_WARN_UNUSED;

/* The convoy experiment (bpo-7946): task 0 makes `ops` fetches one after
 * another (pages 0..ops-1) and ends the run; tasks 1..cpu_threads spin on
 * WL_UNTIL_DONE cpu steps until it has. */
int wl_workload_convoy(int64_t ops, size_t cpu_threads,
                       struct wl_workload **out) WL_WARN_UNUSED;

/*
 * The cost model of one instruction. The cpu step spins a calibrated
 * dependent-arithmetic loop: `spins_per_ns` is measured once per process
 * by wl_cpu_calibrate() (the best of several timed runs, so noise from
 * other processes makes it no slower).
 */
struct wl_cpu_cost {
    double instr_ns;     /* simulated cost of one instruction */
    double spins_per_ns; /* from wl_cpu_calibrate() */
};

/*
 * What one interpreter (one process) has warmed up, as CPython 3.11 runs
 * a program:
 *
 * - The program's Python function. A code object is quickened (its
 *   bytecode replaced by the adaptive forms that specialize) when the
 *   function is entered for the quicken_calls-th time (RESUME counts
 *   calls; a loop's backward jump does not). Before that every one of its
 *   instructions runs the generic path, at instr_ns (what a program that
 *   calls its loop once sees); once it is quickened, speedup times
 *   faster, and frames already running it run the quickened code too. So
 *   Beazley's countdown called once per thread runs at instr_ns with up
 *   to 7 threads, and from the 8th thread's call on at instr_ns /
 *   speedup.
 * - The HTTP client's first request. A process's first requests.get runs
 *   what the library leaves for first use (lazy imports, parsers' set-up)
 *   and, in a forked worker, the copy-on-write faults of the code it
 *   touches: first_fetch_instructions more, once per process.
 *
 * One per process: shared by the threads of a run, copied into each
 * worker process at its fork (docs/fidelity.md).
 */
struct wl_interp {
    atomic_int calls;   /* code_call steps begun so far */
    int quicken_calls;  /* the call that quickens it; <= 1: always warm */
    double speedup;     /* a quickened instruction: instr_ns / it; >= 1 */
    atomic_int fetched; /* 1 once a fetch has begun in this process */
    int64_t first_fetch_instructions;
    /* What it is in a worker forked from the program's process (its
     * copy-on-write faults on top); a worker sets first_fetch_instructions
     * to it (wl_interp_forked). */
    int64_t first_fetch_forked_instructions;
};
/* In a worker process's copy: nothing called, nothing fetched, and the
 * forked first fetch. */
void wl_interp_forked(struct wl_interp *c);
/* Count one more call of the function; thread-safe. */
void wl_interp_call(struct wl_interp *c);
/* What an instruction of it costs now, in multiples of instr_ns: 1 until
 * the quickening call has begun, then 1 / speedup. NULL: 1. */
double wl_interp_factor(const struct wl_interp *c);
/* 1 while its cost may still change (not yet quickened, speedup > 1). */
int wl_interp_pending(const struct wl_interp *c);
/* The first fetch of the process: first_fetch_instructions the first time
 * it is asked (thread-safe), 0 after and for NULL. */
int64_t wl_interp_first_fetch(struct wl_interp *c);

/*
 * dist.c: what a duration or a size is drawn from (a workload file's
 * constants and distributions). The constructors check their parameters
 * (finite, at least 0; a log-normal's p99 at least its p50 > 0; a
 * non-empty list) and return 0 or -EINVAL. An empirical distribution
 * borrows its samples. Each draw takes one or two values of the caller's
 * splitmix64 state (base_splitmix64), so a seed fixes every draw.
 */
enum wl_dist_kind {
    WL_DIST_CONST = 0,
    WL_DIST_UNIFORM,
    WL_DIST_EXPONENTIAL,
    WL_DIST_LOGNORMAL,
    WL_DIST_EMPIRICAL
};
struct wl_dist {
    enum wl_dist_kind kind;
    double a, b;           /* const: a; uniform: [a, b); exponential: mean a;
                              log-normal: mu a and sigma b of the log */
    const double *samples; /* empirical: borrowed, n of them */
    size_t n;
};
int wl_dist_const(struct wl_dist *d, double v) WL_WARN_UNUSED;
int wl_dist_uniform(struct wl_dist *d, double lo, double hi) WL_WARN_UNUSED;
int wl_dist_exponential(struct wl_dist *d, double mean) WL_WARN_UNUSED;
int wl_dist_lognormal(struct wl_dist *d, double p50, double p99) WL_WARN_UNUSED;
int wl_dist_empirical(struct wl_dist *d, const double *samples,
                      size_t n) WL_WARN_UNUSED;
/* One draw, finite and at least 0. */
double wl_dist_draw(const struct wl_dist *d, uint64_t *rng);
/* Its mean (what `gilsim workload check` will show a task to cost). */
double wl_dist_mean(const struct wl_dist *d);

/* Measure spins_per_ns on this machine; cached after the first call
 * (thread-safe). Returns the rate, > 0. */
double wl_cpu_calibrate(void);
/* Burn `spins` iterations of the calibrated loop (for benchmarks). */
void wl_cpu_spin(uint64_t spins);

/*
 * What receiving a body costs in Python, per byte, as a curve of the
 * body's size: the marginal cost of a byte in each band of offsets into
 * the body, bands starting at 0, 64 KiB, 1 MiB and 4 MiB (the points
 * `gilsim calibrate` measures). A chunk is charged the integral over the
 * offsets it covers, so a body of any size costs what the piecewise
 * linear curve through the measured points says, without knowing its
 * size ahead (a URL's Content-Length may be missing).
 */
#define WL_RECV_BANDS 4
struct wl_recv_curve {
    double per_byte[WL_RECV_BANDS]; /* instructions a byte, in each band */
};
/* Where band i starts, in bytes into the body. */
uint64_t wl_recv_band_start(int i);
/* Instructions for the body bytes [from, from + n): the integral of the
 * curve; 0 for a curve of zeros, never negative. */
double wl_recv_instructions(const struct wl_recv_curve *c, uint64_t from,
                            uint64_t n);
/* A flat curve: every band `per_byte`. */
void wl_recv_curve_flat(struct wl_recv_curve *c, double per_byte);

/*
 * I/O: each thread that fetches or writes owns a `struct wl_io`, like a
 * requests.Session: one libcurl easy handle reused for every fetch (so
 * keep-alive gives one connection per thread), the body of the last fetch
 * (which decode and write steps use), and the paths it writes to.
 *
 * A fetch releases the GIL (env->release) for the blocking transfer, as
 * CPython does around every socket call, and takes it back (env->acquire)
 * for the Python-side work on each chunk that arrives (libcurl's write
 * callback: `chunk_instructions` under the GIL), then releases it again
 * (except after the chunk that completes the body). It also takes the
 * GIL back once the request is sent, and frees it `quick_releases` times
 * around calls that return at once, as requests does: so a transfer of
 * k chunks re-takes the GIL k + 1 + quick_releases times, the pattern
 * behind the convoy effect (bpo-7946). `request_instructions` is the
 * Python-side work of building the request and parsing the response
 * (requests, urllib3, http.client), run under the GIL before the
 * transfer, except `after_send_instructions` of it, run once the request
 * is sent (the GIL is retaken for it, as after CPython's sendall()) and
 * before the reply is awaited. A write step runs the encode under the GIL
 * (`write_instr_per_byte`), releases the GIL around the system calls,
 * writes a temporary file and renames it into place.
 */
struct wl_io_config {
    /* URL with {page} replaced by the step's page, e.g.
     * "http://127.0.0.1:8080/top250?start={page}". At most 2047 bytes. */
    char url_template[2048];
    /* Folder for write steps (created if missing); "" = no writes. Read
     * steps read WL_READ_FILE in it, which the run prepares. */
    char out_dir[4096];
    int64_t connect_timeout_ns;   /* libcurl's CURLOPT_CONNECTTIMEOUT_MS */
    int64_t timeout_ns;           /* libcurl's CURLOPT_TIMEOUT_MS */
    int64_t request_instructions; /* Python-side work per fetch */
    /* Of request_instructions, the part run after the send and before
     * the first recv (http.client's getresponse up to its first read);
     * 0..request_instructions. The loop model (wl_multi) ignores it. */
    int64_t after_send_instructions;
    /* GIL releases per request around calls that return at once, besides
     * the send and the recvs; 0..64. requests on CPython 3.11 makes 4:
     * two os.stat (~/.netrc, ~/_netrc) and urllib3's poll(0) before the
     * send, settimeout's ioctl after it. The last one falls after the
     * send, the others before it. The loop model (wl_multi) ignores it. */
    int quick_releases;
    /* 1: each fetch opens a connection of its own and closes it
     * (requests.get, urllib); 0: a thread keeps its connection alive. */
    int new_connection;
    int64_t chunk_instructions; /* Python-side work per chunk received */
    /* and per byte received (http.client's reads, urllib3's, the join of
     * the content), charged with each chunk by the body's curve */
    struct wl_recv_curve recv;
    /* Python work resumed cold (struct wl_fetch_costs) */
    int64_t cold_instructions;
    int64_t cold_after_ns;
    double write_instr_per_byte; /* encode before a write */
    uint64_t max_body;           /* larger bodies fail the fetch */
    /* Event loop (wl_multi): most connections open at once, 0 = no
     * limit; aiohttp's TCPConnector(limit=100) by default. */
    int max_connections;
};

struct wl_io;

/* The file read steps read, in wl_io_config.out_dir: the run writes it,
 * of the workload's largest read size, before its model starts
 * (wl_read_file_prepare), so that the reads are timed and not its making. */
#define WL_READ_FILE "read.bin"
/* Write OUT_DIR/WL_READ_FILE of `bytes` bytes (creating the folder), if
 * it is not there already of at least that size. 0 or -errno. */
int wl_read_file_prepare(const char *out_dir, uint64_t bytes) WL_WARN_UNUSED;

/* Call once before any thread uses I/O (curl_global_init), and
 * wl_io_global_cleanup() once after they all ended. 0 or -EIO. */
int wl_io_global_init(void) WL_WARN_UNUSED;
void wl_io_global_cleanup(void);

/* 0, -EINVAL (no {page}... is allowed; a URL libcurl cannot parse is not),
 * -ENOMEM. Checks the template with libcurl's URL parser, so a malformed
 * URL is found before a run starts. */
int wl_io_new(const struct wl_io_config *cfg,
              struct wl_io **out) WL_WARN_UNUSED;
void wl_io_free(struct wl_io *io);
/* 1 if `url_template` (with {page} replaced by 0) is a URL libcurl can
 * fetch (scheme http or https, a host); 0 otherwise, with a reason. */
int wl_io_url_ok(const char *url_template, char *why, size_t whylen);
/* The body of the last successful fetch (NULL, 0 before one). */
const char *wl_io_body(const struct wl_io *io, size_t *len);

/*
 * The loopback latency server (libevent's evhttp, one thread): answers
 * `GET /top250?start=N` after `latency_ns` (plus jitter) with a
 * deterministic HTML body of `body_size` bytes for page N, keep-alive;
 * `&latency_us=L&size=B` ask for a latency and a size of the request's
 * own (a workload file's fetch steps: at most 60 s and 1 GiB),
 * deferring each reply with a timer (never by sleeping a thread), so one
 * thread holds thousands of connections. Failure injection: a share
 * `fail_rate` of the pages is answered with a 500, a connection closed in
 * the middle of the body, or a reply withheld for `stall_ns` (past the
 * client's timeout); which page fails and how is a function of (seed,
 * page) alone, so a run can be repeated exactly.
 */
struct wl_server_config {
    char bind[64];      /* address to bind: "127.0.0.1" */
    int port;           /* 0 = an ephemeral port */
    int64_t latency_ns; /* before each reply */
    int64_t jitter_ns;  /* + uniform [0, jitter_ns), seeded */
    uint64_t body_size; /* bytes of each page's body */
    double fail_rate;   /* 0..1 */
    int64_t stall_ns;   /* how long a stalled reply is withheld */
    uint64_t seed;
    /* A connection that owes a request (just accepted, or its last reply
     * written) and has not sent all of it within this long is closed;
     * one that waits for its reply is not. 0: 30 s. */
    int64_t idle_timeout_ns;
    /* Most connections open at once; past it accepting waits, and the
     * connection idle longest is closed when somebody does. 0: half the
     * descriptor limit (RLIMIT_NOFILE). */
    int64_t max_connections;
    /* Most bytes of page bodies kept for reuse: each body is generated
     * once per (seed, page, size) and replies point at it; a body over a
     * quarter of this is generated for each reply instead. 0:
     * WL_SERVER_BODY_CACHE_DEFAULT; negative: no cache (every reply
     * generates its body). Replies are the same bytes either way. */
    int64_t body_cache_bytes;
};

#define WL_SERVER_BODY_CACHE_DEFAULT (INT64_C(64) << 20) /* 64 MiB */

struct wl_server_stats {
    uint64_t requests;        /* requests received */
    uint64_t replies_ok;      /* 200 replies sent in full */
    uint64_t replies_dropped; /* not made: the client had left */
    uint64_t injected_500;    /* failures injected, by kind */
    uint64_t injected_close;
    uint64_t injected_stall;
    uint64_t connections;           /* accepted since the start */
    uint64_t connections_open;      /* open now */
    uint64_t connections_max;       /* most open at once */
    uint64_t connections_evicted;   /* idle, closed to make room */
    uint64_t connections_timed_out; /* idle past the request deadline */
    uint64_t accept_pauses;         /* times the cap stopped accepting */
    uint64_t max_connections;       /* the cap in force */
    uint64_t body_cache_hits;       /* bodies served from the cache */
    uint64_t body_cache_misses;     /* bodies generated */
    uint64_t body_cache_evictions;  /* dropped to stay under the cap */
    uint64_t body_cache_bytes;      /* kept now */
    uint64_t body_cache_cap;        /* the cap in force (0: no cache) */
};

struct wl_server;

/* Bind and start the server's thread. 0, -EINVAL, -EADDRINUSE, -errno. */
int wl_server_start(const struct wl_server_config *cfg,
                    struct wl_server **out) WL_WARN_UNUSED;
/* The port it listens on (useful with port 0). */
int wl_server_port(const struct wl_server *s);
/* A snapshot of the counters; safe from any thread. */
void wl_server_get_stats(struct wl_server *s, struct wl_server_stats *out);
/* Stop the thread, close every connection, free. NULL does nothing. */
void wl_server_stop(struct wl_server *s);
/* The body the server sends for `page`: fills out[0..size). */
void wl_server_page_body(uint64_t seed, int64_t page, uint64_t size, char *out);
/* 1 if the server injects a failure for `page` (and which, in *kind:
 * 1 = 500, 2 = close mid-body, 3 = stall); 0 if it answers normally. */
int wl_server_page_fails(uint64_t seed, double fail_rate, int64_t page,
                         int *kind);

/* What a step may do to the thread running it. */
struct wl_env {
    /* The eval-breaker check; may release the GIL and take it back. */
    void (*check)(void *ctx);
    /* At a step's start and after a check: how many of the thread's
     * next instructions run with cold caches (at double cost) after a
     * long wait or forced switch, now cleared; 0 when it kept running.
     * May be NULL. */
    int64_t (*resumed)(void *ctx);
    /* At a cpu step's end: the window's instructions it did not run, for
     * the thread's next Python work (a window may span steps). May be
     * NULL. */
    void (*cold_left)(void *ctx, int64_t instructions);
    /* Py_BEGIN_ALLOW_THREADS: called before blocking. */
    void (*release)(void *ctx);
    /* Py_END_ALLOW_THREADS: called after blocking; blocks for the GIL. */
    void (*acquire)(void *ctx);
    void *ctx;
    int64_t check_every; /* instructions between checks, >= 1 */
    struct wl_cpu_cost cost;
    /* Set to nonzero (from any thread) to abandon steps early. */
    const atomic_int *stop; /* may be NULL */
    /* Set when the run's ends_run task finished: WL_UNTIL_DONE cpu steps
     * end at their next check. May be NULL (such steps then fail). */
    const atomic_int *until;
    /* This thread's I/O state; NULL if the workload does no I/O (fetch
     * and write steps then fail with WL_FAILED). */
    struct wl_io *io;
    /* This process's interpreter (code_call steps, the first fetch);
     * NULL: always warm. */
    struct wl_interp *interp;
};

/* Run one step on the calling thread. *arg_out (may be NULL) receives the
 * instructions run or the bytes moved. The thread holds the GIL on entry
 * and on return. */
enum wl_outcome wl_step_run(const struct wl_step *s, const struct wl_env *env,
                            int64_t *arg_out);

const char *wl_step_kind_name(enum wl_step_kind k);
const char *wl_outcome_name(enum wl_outcome o);

/*
 * failure.c. A failed step's *arg_out (and a failed fetch's `len` in the
 * loop's fetched hook) is its failure code: the HTTP status for
 * WL_HTTP_ERROR, libcurl's CURLcode for the other fetch failures, errno
 * for WL_IO_ERROR, else 0. wl_failure_text writes what it means ("HTTP
 * 500 Internal Server Error", "curl error 28: Timeout was reached").
 */
void wl_failure_text(enum wl_outcome o, int64_t code, char *buf, size_t len);
/* The code libcurl gives for the embedded server's injected failure of
 * outcome `o` (500; a reply withheld: 28; closed mid-body: 18), for the
 * virtual engine, which fetches nothing. */
int64_t wl_failure_code_injected(enum wl_outcome o);

/* ---- The fetch's choreography (fetch_gil.c) ---------------------------
 *
 * When a fetch releases and takes back the GIL and what Python work runs
 * in between, in CPython's order (requests.Session.get), written once for
 * every engine: the phases below are called by workloads/fetch.c from
 * libcurl's callbacks, by the event loop (wl_multi) and by the virtual
 * engine, at the moments their transfers reach them. See fetch_gil.c.
 */

/* How an engine releases and takes the GIL, runs Python work and makes a
 * system call that returns at once. release and acquire may be NULL (an
 * event loop's turn holds the GIL for its fetches); quick_call may be
 * NULL (no time passes). */
struct wl_fetch_ops {
    void (*release)(void *ctx);
    void (*acquire)(void *ctx);
    /* `instructions` of Python work with checks: WL_OK, or WL_ABORTED
     * when stopped. */
    enum wl_outcome (*work)(void *ctx, int64_t instructions);
    void (*quick_call)(void *ctx);
    /* The thread's clock, for cold resumes; NULL: none are charged. */
    int64_t (*now)(void *ctx);
    void *ctx;
};

/* What a fetch costs on the Python side (struct wl_io_config's fields of
 * the same names). An event loop's fetch has no after-send part and no
 * quick releases. */
struct wl_fetch_costs {
    int64_t request_instructions;
    int64_t after_send_instructions; /* of request_instructions */
    int64_t chunk_instructions;
    struct wl_recv_curve recv; /* each chunk's, per byte, besides */
    int quick_releases;
    /* A thread that was off the GIL for cold_after_ns or more (a lost
     * wait, a slow reply) resumes with its caches cold: its next Python
     * work costs cold_instructions more. 0: never. */
    int64_t cold_instructions;
    int64_t cold_after_ns;
    /* The process whose first fetch costs more (wl_interp_first_fetch),
     * charged with the request's work; NULL: none. */
    struct wl_interp *interp;
};

/* One fetch's place in the choreography; starts holding the GIL. */
struct wl_fetch_gil {
    const struct wl_fetch_ops *ops; /* borrowed for the fetch */
    struct wl_fetch_costs costs;
    uint64_t received;   /* body bytes so far, for the receive curve */
    int released;        /* 1: this fetch has released the GIL */
    int64_t released_at; /* when (ops->now), for cold resumes */
    int cold;            /* 1: the next work resumes cold */
};

void wl_fetch_gil_init(struct wl_fetch_gil *d, const struct wl_fetch_ops *ops,
                       const struct wl_fetch_costs *costs);
/* 1. Before the send: the request's work, cut by quick releases. */
enum wl_outcome wl_fetch_gil_request(struct wl_fetch_gil *d);
/* 2. A name lookup or a connect: the GIL is released (if held). */
void wl_fetch_gil_block(struct wl_fetch_gil *d);
/* 3. The send: held (taken back after a connect), then released. */
void wl_fetch_gil_send(struct wl_fetch_gil *d);
/* 3. The send returned: take the GIL, settimeout's quick release, the
 * after-send work, release for the recv. Releases even when stopped. */
enum wl_outcome wl_fetch_gil_sent(struct wl_fetch_gil *d);
/* 4a. The reply's first bytes arrived (recv_into returned with the
 * status line): take the GIL back, so that parsing the status line and
 * the headers runs with it held, as http.client does in Python. Where
 * the engine cannot tell, the first chunk takes it (4). */
void wl_fetch_gil_reply(struct wl_fetch_gil *d);
/* 4. A chunk arrived: take the GIL and run the chunk's work; then
 * wl_fetch_gil_chunk_done releases it unless the chunk completes the
 * body (or the transfer goes no further: call wl_fetch_gil_end). */
enum wl_outcome wl_fetch_gil_chunk(struct wl_fetch_gil *d, uint64_t bytes);
void wl_fetch_gil_chunk_done(struct wl_fetch_gil *d, int completes);
/* 5. The transfer is over: the GIL is held again on return. */
void wl_fetch_gil_end(struct wl_fetch_gil *d);

/* ---- Non-blocking fetches for an event loop ---------------------------
 *
 * What the `loop` model (asyncio with aiohttp and aiofiles) needs from
 * workloads/: a struct wl_multi is a libcurl multi handle driven through
 * libcurl's multi socket interface by a libevent event_base, on one
 * thread (multi.c). Any number of fetches run on it at once; each has its
 * own easy handle and body, and connections are kept alive in the multi
 * handle's shared cache, as in an aiohttp.ClientSession.
 *
 * The thread that drives it holds the GIL except inside
 * wl_multi_run_once(), which releases it (env->release) while it waits for
 * readiness and takes it back (env->acquire) as soon as there is work,
 * before any callback runs: asyncio's select() with the GIL released.
 * Every callback then runs on that thread with the GIL held: the chunk
 * work of a fetch (`chunk_instructions` per chunk received, with checks
 * through env), and the hooks below. Unlike the blocking fetch, a chunk
 * does not release the GIL again: the loop keeps it until it waits next.
 *
 * Nothing here is thread-safe except wl_multi_wake().
 */

/* What a wl_multi tells its owner; each is called on the loop's thread
 * with the GIL held, from inside wl_multi_run_once() (or, for fetched and
 * slept, from wl_multi_cancel()). */
struct wl_multi_hooks {
    /* About to run work for `user` (a fetch's or a sleep's user pointer;
     * NULL for the loop's own work): the owner names the task its GIL
     * events belong to. */
    void (*enter)(void *ctx, void *user);
    /* A fetch ended with `o`. On WL_OK `body` holds its `len` bytes,
     * malloc'd; the hook takes ownership (free() it). Else body is NULL
     * and `len` is the failure code (wl_failure_text). */
    void (*fetched)(void *ctx, void *user, enum wl_outcome o, char *body,
                    size_t len);
    /* A sleep ended (WL_OK) or was cancelled (WL_ABORTED). */
    void (*slept)(void *ctx, void *user, enum wl_outcome o);
    /* wl_multi_wake() was called since the last time. */
    void (*woken)(void *ctx);
    void *ctx;
};

struct wl_multi;

/*
 * A multi handle and its event base. `cfg` (may be NULL: fetches then
 * fail with WL_FAILED) is copied; `env` is the loop thread's and is kept
 * (borrowed) for the GIL calls, the chunk work and the stop flag; `hooks`
 * is copied. 0, -EINVAL, -ENOMEM, or -errno of pipe().
 */
int wl_multi_new(const struct wl_io_config *cfg, const struct wl_env *env,
                 const struct wl_multi_hooks *hooks,
                 struct wl_multi **out) WL_WARN_UNUSED;
/* Cancels what is pending without calling the hooks, then frees. */
void wl_multi_free(struct wl_multi *m);

/* Start fetching step s's page (with its own latency and size, if it has
 * them): first `request_instructions` of work under the
 * GIL (as the blocking fetch does), then the transfer is added to the
 * multi handle. WL_OK: hooks.fetched(user) comes later. Anything else
 * (WL_ABORTED: the stop flag; WL_FAILED): the fetch never started and no
 * hook will be called for it. */
enum wl_outcome wl_multi_fetch(struct wl_multi *m, const struct wl_step *s,
                               void *user);
/* A timer of `ns` (asyncio.sleep): hooks.slept(user) when it fires. 0 or
 * -ENOMEM. */
int wl_multi_sleep(struct wl_multi *m, int64_t ns, void *user) WL_WARN_UNUSED;
/* Fetches and sleeps under way. */
size_t wl_multi_pending(const struct wl_multi *m);
/* End every fetch and sleep under way now, each through its hook with
 * WL_ABORTED. wl_multi_run_once() does this by itself when the stop flag
 * is set. */
void wl_multi_cancel(struct wl_multi *m);

/* Make the loop's next (or current) wl_multi_run_once() return, through
 * hooks.woken: a worker thread's "call_soon_threadsafe". Safe from any
 * thread, and async-signal-safe. */
void wl_multi_wake(struct wl_multi *m);

/*
 * One turn of the loop, entered and left holding the GIL: release it,
 * wait until a socket, timer or wake-up is ready, take it back, run the
 * callbacks that are due. Once env->stop is set, the fetches and sleeps
 * under way are cancelled (within 50 ms) instead of waited for; the wait
 * goes on only for wake-ups. The caller must know that something will
 * come (a fetch or sleep pending, or a wl_multi_wake() to come): the
 * wake-up pipe is always watched, so an idle loop waits forever, as an
 * asyncio loop does. 0; -EINVAL if called without the GIL; -EIO if
 * libevent failed.
 */
int wl_multi_run_once(struct wl_multi *m) WL_WARN_UNUSED;

/* The write step with the caller's `body` of `len` bytes (NULL: the fetch
 * failed, WL_FAILED) instead of env->io's last fetch; env->io gives the
 * folder and the encode cost. What an offload thread of the loop model
 * runs (aiofiles' run_in_executor). */
enum wl_outcome wl_write_body(const struct wl_step *s, const struct wl_env *env,
                              const char *body, size_t len, int64_t *arg_out);

#endif /* GILSIM_WL_H */
