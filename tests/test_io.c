/*
 * test_io.c - cmocka tests of workloads/' I/O: the fetch step against the
 * loopback latency server (body, GIL pattern, keep-alive, every failure
 * the server can inject, refusal, timeout, stop), URL templates, the
 * write step's atomic files and its errors, the decode and WL_UNTIL_DONE
 * cpu steps, and the seed and convoy builders.
 *
 * Everything runs on 127.0.0.1 against a wl_server on an ephemeral port.
 * The steps run against a fake struct wl_env that stands for the GIL: it
 * tracks whether the fake GIL is held and counts as a violation every
 * acquire while held, release while not held and check while not held,
 * and it logs the calls in order ('c', 'r', 'a'). So the assertions are
 * about what the step did with the GIL, never about how long it took:
 * no test sleeps, and none measures time. Where a test needs another
 * thread to act at a certain point (set `until`, set `stop`), that thread
 * waits for an event the fake env publishes, not for a delay.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "test_files.h"
#include "wl.h"

#define BODY_SIZE    65536
#define SEED         42
#define CHECK_EVERY  10
#define REQUEST_INSN 100 /* 10 checks: 8 before the transfer, */
#define SENT_INSN    20  /* 2 after the send */
#define CHUNK_INSN   20  /* 2 checks per chunk */
/* wl_io sets libcurl's buffer to 8 KiB (http.client's read size), so a
 * 64 KiB body arrives in at least this many chunks. */
#define MIN_CHUNKS (BODY_SIZE / 8192)

/* What the fake env saw. Written by the thread running the step only;
 * the atomics are what other threads read or write. */
struct fake {
    int held;       /* 1 while the fake GIL is held */
    int violations; /* acquire while held, release or check while not */
    int checks;
    int releases;
    int acquires;
    char log[4096]; /* 'c', 'r', 'a' in call order */
    size_t n_log;
    int log_full;          /* 1: the log lost calls */
    atomic_int stop;       /* env->stop */
    atomic_int until;      /* env->until */
    atomic_int n_releases; /* releases, for the stop test's helper */
    atomic_int n_checks;   /* checks, for the until test's helper */
};

static void
fake_log(struct fake *f, char c)
{
    if (f->n_log < sizeof(f->log) - 1) {
        f->log[f->n_log++] = c;
        f->log[f->n_log] = '\0';
    } else {
        f->log_full = 1;
    }
}

static void
fake_check(void *ctx)
{
    struct fake *f = ctx;

    if (!f->held) {
        f->violations++;
    }
    f->checks++;
    atomic_fetch_add(&f->n_checks, 1);
    fake_log(f, 'c');
}

static void
fake_release(void *ctx)
{
    struct fake *f = ctx;

    if (!f->held) {
        f->violations++;
    }
    f->held = 0;
    f->releases++;
    fake_log(f, 'r');
    atomic_fetch_add(&f->n_releases, 1);
}

static void
fake_acquire(void *ctx)
{
    struct fake *f = ctx;

    if (f->held) {
        f->violations++;
    }
    f->held = 1;
    f->acquires++;
    fake_log(f, 'a');
}

/* A fake env holding the GIL, as a step's caller does. */
static struct wl_env
fake_env(struct fake *f, struct wl_io *io)
{
    struct wl_env env;

    memset(f, 0, sizeof(*f));
    f->held = 1;
    memset(&env, 0, sizeof(env));
    env.check = fake_check;
    env.release = fake_release;
    env.acquire = fake_acquire;
    env.ctx = f;
    env.check_every = CHECK_EVERY;
    env.cost.instr_ns = 1.0;
    env.cost.spins_per_ns = 1.0; /* skip calibration: speed is not tested */
    env.stop = &f->stop;
    env.until = &f->until;
    env.io = io;
    return env;
}

/* The server and client of one test. */
struct rig {
    struct wl_server *server;
    struct wl_io *io;
    struct wl_io_config cfg;
    char dir[64]; /* a fresh temporary folder; out_dir is dir/out */
};

static struct wl_server_config
server_config(double fail_rate, int64_t stall_ns)
{
    struct wl_server_config sc;

    memset(&sc, 0, sizeof(sc));
    snprintf(sc.bind, sizeof(sc.bind), "127.0.0.1");
    sc.port = 0;
    sc.latency_ns = 1000000; /* 1 ms */
    sc.body_size = BODY_SIZE;
    sc.fail_rate = fail_rate;
    sc.stall_ns = stall_ns;
    sc.seed = SEED;
    return sc;
}

static void
rig_config(struct rig *r, int port, int64_t timeout_ns)
{
    memset(&r->cfg, 0, sizeof(r->cfg));
    snprintf(r->cfg.url_template, sizeof(r->cfg.url_template),
             "http://127.0.0.1:%d/top250?start={page}", port);
    snprintf(r->cfg.out_dir, sizeof(r->cfg.out_dir), "%s/out", r->dir);
    r->cfg.connect_timeout_ns = 5000000000;
    r->cfg.timeout_ns = timeout_ns;
    r->cfg.request_instructions = REQUEST_INSN;
    r->cfg.after_send_instructions = SENT_INSN;
    r->cfg.chunk_instructions = CHUNK_INSN;
    r->cfg.write_instr_per_byte = 0.01;
    r->cfg.max_body = 1 << 20;
}

/* Start a server with these failures and a client with this timeout. */
static void
rig_start(struct rig *r, double fail_rate, int64_t stall_ns, int64_t timeout_ns)
{
    struct wl_server_config sc = server_config(fail_rate, stall_ns);

    memset(r, 0, sizeof(*r));
    snprintf(r->dir, sizeof(r->dir), "/tmp/test_io.XXXXXX");
    assert_non_null(mkdtemp(r->dir));
    assert_int_equal(wl_server_start(&sc, &r->server), 0);
    rig_config(r, wl_server_port(r->server), timeout_ns);
    assert_int_equal(wl_io_new(&r->cfg, &r->io), 0);
}

static void
rig_stop(struct rig *r)
{
    wl_io_free(r->io);
    wl_server_stop(r->server);
    tf_remove_tree(r->dir);
}

/* Entries of folder `path` whose name contains `part` (-1: no folder). */
static int
count_entries(const char *path, const char *part)
{
    struct dirent *e;
    DIR *d = opendir(path);
    int n = 0;

    if (d == NULL) {
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] != '.' && strstr(e->d_name, part) != NULL) {
            n++;
        }
    }
    closedir(d);
    return n;
}

/* The first page for which a server failing every page (fail_rate 1)
 * injects failure `kind`. */
static int64_t
page_failing_with(int kind)
{
    int64_t p;
    int k;

    for (p = 0; p < 100000; p++) {
        if (wl_server_page_fails(SEED, 1.0, p, &k) && k == kind) {
            return p;
        }
    }
    fail_msg("no page fails with kind %d", kind);
    return -1;
}

static enum wl_outcome
run_fetch(struct wl_env *env, int64_t page, int64_t *arg)
{
    struct wl_step s;

    memset(&s, 0, sizeof(s));
    s.kind = WL_STEP_FETCH;
    s.page = page;
    return wl_step_run(&s, env, arg);
}

static enum wl_outcome
run_write(struct wl_env *env, int64_t page, int64_t *arg)
{
    struct wl_step s;

    memset(&s, 0, sizeof(s));
    s.kind = WL_STEP_WRITE;
    s.page = page;
    return wl_step_run(&s, env, arg);
}

/* Does `log` read c^k [r a] r a c^s r (a c^m r)* a c^m, with at least
 * `min_chunks` chunks? That is: the request's checks under the GIL; on a
 * new connection (`connect`) a release for the connect and a retake once
 * connected (CPython's create_connection()); a release for the send and a
 * retake once the request was sent (sendall() returning before its
 * recv()), the work after the send and a release for the reply; then
 * for each chunk an acquire, its checks and a release, except the chunk
 * that completes the body, which keeps the GIL to the end of the step
 * (no release, no second acquire). A reused connection releases only for
 * the send: libcurl's work before it runs under the GIL. */
static int
log_is_fetch_pattern(const char *log, int k, int connect, int s, int m,
                     int min_chunks)
{
    const char *p = log;
    int chunks = 0;
    int i;

    for (i = 0; i < k; i++) {
        if (*p++ != 'c') {
            return 0;
        }
    }
    if (connect && (*p++ != 'r' || *p++ != 'a')) {
        return 0;
    }
    if (*p++ != 'r' || *p++ != 'a') {
        return 0;
    }
    for (i = 0; i < s; i++) {
        if (*p++ != 'c') {
            return 0;
        }
    }
    if (*p++ != 'r') {
        return 0;
    }
    while (p[0] == 'a') {
        p++;
        for (i = 0; i < m; i++) {
            if (*p++ != 'c') {
                return 0;
            }
        }
        chunks++;
        if (*p == '\0') {
            return chunks >= min_chunks; /* the last chunk kept the GIL */
        }
        if (*p++ != 'r') {
            return 0;
        }
    }
    return 0;
}

static int
group_setup(void **state)
{
    (void)state;
    return wl_io_global_init();
}

static int
group_teardown(void **state)
{
    (void)state;
    wl_io_global_cleanup();
    return 0;
}

/* --- fetch --------------------------------------------------------- */

static void
fetch_returns_the_page_body_byte_for_byte(void **state)
{
    struct rig r;
    struct fake f;
    struct wl_env env;
    char *want = malloc(BODY_SIZE);
    const char *body;
    size_t len;
    int64_t arg = -1;

    (void)state;
    rig_start(&r, 0.0, 0, 5000000000);
    env = fake_env(&f, r.io);
    assert_null(wl_io_body(r.io, &len)); /* no fetch yet */
    assert_int_equal(len, 0);
    assert_int_equal(run_fetch(&env, 7, &arg), WL_OK);
    assert_int_equal(arg, BODY_SIZE);
    body = wl_io_body(r.io, &len);
    assert_non_null(body);
    assert_int_equal(len, BODY_SIZE);
    assert_non_null(want);
    wl_server_page_body(SEED, 7, BODY_SIZE, want);
    assert_memory_equal(body, want, BODY_SIZE);
    free(want);
    rig_stop(&r);
}

static void
fetch_releases_the_gil_for_the_transfer_and_retakes_it_per_chunk(void **state)
{
    struct rig r;
    struct fake f;
    struct wl_env env;
    int connect;

    (void)state;
    rig_start(&r, 0.0, 0, 5000000000);
    /* The first fetch connects; the second reuses the connection. */
    for (connect = 1; connect >= 0; connect--) {
        env = fake_env(&f, r.io);
        assert_int_equal(run_fetch(&env, connect, NULL), WL_OK);
        assert_false(f.log_full);
        if (!log_is_fetch_pattern(f.log,
                                  (REQUEST_INSN - SENT_INSN) / CHECK_EVERY,
                                  connect, SENT_INSN / CHECK_EVERY,
                                  CHUNK_INSN / CHECK_EVERY, MIN_CHUNKS)) {
            fail_msg("GIL calls out of pattern (connect %d): %s", connect,
                     f.log);
        }
        assert_int_equal(f.violations, 0);
        assert_int_equal(f.held, 1); /* the step returns holding the GIL */
        assert_int_equal(f.acquires, f.releases);
        /* + the retake after the send, and after the connect */
        assert_true(f.acquires >= MIN_CHUNKS + 1 + connect);
    }
    rig_stop(&r);
}

/* With quick_releases = 2, one quick release cuts the request's work
 * before the transfer in half and one comes right after the send
 * (settimeout()): c^4 r a c^4 | r a (the connect) r a (the send) r a
 * (settimeout) c c r (the reply). */
static void
fetch_frees_the_gil_around_quick_calls(void **state)
{
    const char *want = "ccccraccccrararaccr";
    struct rig r;
    struct fake f;
    struct wl_env env;

    (void)state;
    rig_start(&r, 0.0, 0, 5000000000);
    wl_io_free(r.io);
    r.io = NULL;
    r.cfg.quick_releases = 2;
    assert_int_equal(wl_io_new(&r.cfg, &r.io), 0);
    env = fake_env(&f, r.io);
    assert_int_equal(run_fetch(&env, 0, NULL), WL_OK);
    assert_false(f.log_full);
    if (strncmp(f.log, want, strlen(want)) != 0) {
        fail_msg("GIL calls out of pattern: %s", f.log);
    }
    assert_int_equal(f.violations, 0);
    assert_int_equal(f.held, 1);
    assert_int_equal(f.acquires, f.releases);
    rig_stop(&r);
}

static void
two_fetches_on_one_io_share_one_connection(void **state)
{
    struct wl_server_stats st;
    struct rig r;
    struct fake f;
    struct wl_env env;

    (void)state;
    rig_start(&r, 0.0, 0, 5000000000);
    env = fake_env(&f, r.io);
    assert_int_equal(run_fetch(&env, 1, NULL), WL_OK);
    assert_int_equal(run_fetch(&env, 2, NULL), WL_OK);
    wl_server_get_stats(r.server, &st);
    assert_int_equal(st.requests, 2);
    assert_int_equal(st.connections, 1);
    assert_int_equal(f.violations, 0);
    rig_stop(&r);
}

static void
fetch_from_a_stopped_server_is_refused(void **state)
{
    struct rig r;
    struct fake f;
    struct wl_env env;

    (void)state;
    rig_start(&r, 0.0, 0, 5000000000);
    wl_server_stop(r.server); /* its port is closed now */
    r.server = NULL;
    env = fake_env(&f, r.io);
    assert_int_equal(run_fetch(&env, 0, NULL), WL_REFUSED);
    assert_null(wl_io_body(r.io, NULL));
    assert_int_equal(f.violations, 0);
    assert_int_equal(f.held, 1);
    rig_stop(&r);
}

static void
stalled_reply_times_out(void **state)
{
    struct rig r;
    struct fake f;
    struct wl_env env;

    (void)state;
    /* The reply is withheld 2 s; the client gives up after 200 ms. */
    rig_start(&r, 1.0, 2000000000, 200000000);
    env = fake_env(&f, r.io);
    assert_int_equal(run_fetch(&env, page_failing_with(3), NULL), WL_TIMEOUT);
    assert_null(wl_io_body(r.io, NULL));
    assert_int_equal(f.violations, 0);
    assert_int_equal(f.held, 1);
    rig_stop(&r);
}

static void
http_500_is_an_http_error_and_leaves_no_body(void **state)
{
    struct wl_server_stats st;
    struct rig r;
    struct fake f;
    struct wl_env env;

    (void)state;
    rig_start(&r, 1.0, 0, 5000000000);
    env = fake_env(&f, r.io);
    assert_int_equal(run_fetch(&env, page_failing_with(1), NULL),
                     WL_HTTP_ERROR);
    assert_null(wl_io_body(r.io, NULL));
    wl_server_get_stats(r.server, &st);
    assert_int_equal(st.injected_500, 1);
    assert_int_equal(f.violations, 0);
    assert_int_equal(f.held, 1);
    rig_stop(&r);
}

static void
connection_closed_mid_body_fails_and_leaves_no_body(void **state)
{
    struct rig r;
    struct fake f;
    struct wl_env env;

    (void)state;
    rig_start(&r, 1.0, 0, 5000000000);
    env = fake_env(&f, r.io);
    assert_int_equal(run_fetch(&env, page_failing_with(2), NULL), WL_FAILED);
    assert_null(wl_io_body(r.io, NULL));
    assert_int_equal(f.violations, 0);
    assert_int_equal(f.held, 1);
    rig_stop(&r);
}

static void
body_over_max_body_fails(void **state)
{
    struct rig r;
    struct fake f;
    struct wl_env env;
    struct wl_io *small;

    (void)state;
    rig_start(&r, 0.0, 0, 5000000000);
    r.cfg.max_body = BODY_SIZE - 1;
    assert_int_equal(wl_io_new(&r.cfg, &small), 0);
    env = fake_env(&f, small);
    assert_int_equal(run_fetch(&env, 0, NULL), WL_FAILED);
    assert_null(wl_io_body(small, NULL));
    assert_int_equal(f.violations, 0);
    assert_int_equal(f.held, 1);
    /* Exactly max_body is fine. */
    wl_io_free(small);
    r.cfg.max_body = BODY_SIZE;
    assert_int_equal(wl_io_new(&r.cfg, &small), 0);
    env.io = small;
    assert_int_equal(run_fetch(&env, 0, NULL), WL_OK);
    wl_io_free(small);
    rig_stop(&r);
}

static void
fetch_without_io_fails(void **state)
{
    struct fake f;
    struct wl_env env = fake_env(&f, NULL);
    int64_t arg = -1;

    (void)state;
    assert_int_equal(run_fetch(&env, 0, &arg), WL_FAILED);
    assert_int_equal(run_write(&env, 0, &arg), WL_FAILED);
    assert_int_equal(arg, 0);
    assert_int_equal(f.releases, 0);
}

/* Stop set before the step: it ends at once, before any request work and
 * without contacting the server (checked on its counters). */
static void
stop_set_before_a_fetch_aborts_it_without_a_request(void **state)
{
    struct wl_server_stats st;
    struct rig r;
    struct fake f;
    struct wl_env env;

    (void)state;
    rig_start(&r, 0.0, 0, 5000000000);
    env = fake_env(&f, r.io);
    atomic_store(&f.stop, 1);
    assert_int_equal(run_fetch(&env, 0, NULL), WL_ABORTED);
    assert_int_equal(f.checks + f.releases + f.acquires, 0);
    wl_server_get_stats(r.server, &st);
    assert_int_equal(st.requests, 0);
    rig_stop(&r);
}

/* What the stop test's helper thread watches. */
struct stop_helper {
    struct fake *f;
    struct wl_server *server;
};

static void *
set_stop_once_the_request_waits(void *arg)
{
    struct stop_helper *h = arg;
    struct wl_server_stats st;

    for (;;) {
        wl_server_get_stats(h->server, &st);
        if (atomic_load(&h->f->n_releases) > 0 && st.requests > 0) {
            break;
        }
        sched_yield();
    }
    atomic_store(&h->f->stop, 1);
    return NULL;
}

/* Stop set while the fetch waits for a stalled reply. The helper thread
 * sets it once the step has released the GIL and the server has the
 * request, so libcurl is waiting for the reply: the order is fixed by
 * events, not delays. The stall (30 s) and the client's timeout (60 s)
 * are far longer than libcurl's progress callback period (~1 s while
 * idle), so only the stop flag can end this fetch in time. */
static void
stop_set_during_a_stalled_fetch_aborts_it(void **state)
{
    struct stop_helper h;
    struct rig r;
    struct fake f;
    struct wl_env env;
    pthread_t t;

    (void)state;
    rig_start(&r, 1.0, 30000000000, 60000000000);
    env = fake_env(&f, r.io);
    h.f = &f;
    h.server = r.server;
    assert_int_equal(
        pthread_create(&t, NULL, set_stop_once_the_request_waits, &h), 0);
    assert_int_equal(run_fetch(&env, page_failing_with(3), NULL), WL_ABORTED);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_null(wl_io_body(r.io, NULL));
    assert_int_equal(f.violations, 0);
    assert_int_equal(f.held, 1);
    rig_stop(&r);
}

/* --- URL templates and wl_io_new --------------------------------- */

static void
url_ok_accepts_http_with_a_host_and_rejects_the_rest(void **state)
{
    char why[128];

    (void)state;
    assert_int_equal(
        wl_io_url_ok("http://127.0.0.1:1/top250?start={page}", why, 128), 1);
    assert_int_equal(
        wl_io_url_ok("https://example.com/{page}/{page}", why, sizeof(why)), 1);
    assert_int_equal(wl_io_url_ok("not a url", why, sizeof(why)), 0);
    assert_true(why[0] != '\0');
    assert_int_equal(wl_io_url_ok("ftp://x/", why, sizeof(why)), 0);
    assert_true(why[0] != '\0');
    assert_int_equal(wl_io_url_ok("http://", why, sizeof(why)), 0);
    assert_true(why[0] != '\0');
    assert_int_equal(wl_io_url_ok("127.0.0.1/top250", why, sizeof(why)), 0);
    assert_int_equal(wl_io_url_ok("", NULL, 0), 0);
    assert_int_equal(wl_io_url_ok(NULL, why, sizeof(why)), 0);
}

static void
io_new_rejects_bad_configurations(void **state)
{
    struct rig r;
    struct wl_io *io = NULL;
    char file[128];
    int fd;

    (void)state;
    memset(&r, 0, sizeof(r));
    snprintf(r.dir, sizeof(r.dir), "/tmp/test_io.XXXXXX");
    assert_non_null(mkdtemp(r.dir));
    rig_config(&r, 1, 5000000000);
    r.cfg.connect_timeout_ns = 0;
    assert_int_equal(wl_io_new(&r.cfg, &io), -EINVAL);
    rig_config(&r, 1, 0);
    assert_int_equal(wl_io_new(&r.cfg, &io), -EINVAL);
    rig_config(&r, 1, 5000000000);
    r.cfg.max_body = 0;
    assert_int_equal(wl_io_new(&r.cfg, &io), -EINVAL);
    rig_config(&r, 1, 5000000000);
    r.cfg.after_send_instructions = r.cfg.request_instructions + 1;
    assert_int_equal(wl_io_new(&r.cfg, &io), -EINVAL);
    rig_config(&r, 1, 5000000000);
    r.cfg.quick_releases = 65;
    assert_int_equal(wl_io_new(&r.cfg, &io), -EINVAL);
    rig_config(&r, 1, 5000000000);
    snprintf(r.cfg.url_template, sizeof(r.cfg.url_template), "ftp://x/");
    assert_int_equal(wl_io_new(&r.cfg, &io), -EINVAL);
    /* out_dir below a regular file cannot be created. */
    snprintf(file, sizeof(file), "%s/file", r.dir);
    fd = open(file, O_WRONLY | O_CREAT, 0644);
    assert_true(fd >= 0);
    close(fd);
    rig_config(&r, 1, 5000000000);
    snprintf(r.cfg.out_dir, sizeof(r.cfg.out_dir), "%s/sub", file);
    assert_int_equal(wl_io_new(&r.cfg, &io), -ENOTDIR);
    assert_null(io);
    /* A nested out_dir is created, parents and all. */
    rig_config(&r, 1, 5000000000);
    snprintf(r.cfg.out_dir, sizeof(r.cfg.out_dir), "%s/a/b/c", r.dir);
    assert_int_equal(wl_io_new(&r.cfg, &io), 0);
    assert_int_equal(count_entries(r.cfg.out_dir, ""), 0);
    wl_io_free(io);
    wl_io_free(NULL);
    tf_remove_tree(r.dir);
}

/* --- write --------------------------------------------------------- */

static void
write_puts_the_exact_body_in_place_and_leaves_no_tmp(void **state)
{
    char path[4200];
    char *got = malloc(BODY_SIZE + 1);
    const char *body;
    struct rig r;
    struct fake f;
    struct wl_env env;
    int64_t arg = -1;
    size_t len;
    ssize_t n;
    int fd;

    (void)state;
    assert_non_null(got);
    rig_start(&r, 0.0, 0, 5000000000);
    env = fake_env(&f, r.io);
    assert_int_equal(run_fetch(&env, 3, NULL), WL_OK);
    f.n_log = 0;
    f.log[0] = '\0';
    assert_int_equal(run_write(&env, 3, &arg), WL_OK);
    assert_int_equal(arg, BODY_SIZE);
    /* The encode's checks under the GIL, then one release for the system
     * calls: 0.01 instructions per byte = 655 instructions = 66 checks. */
    assert_int_equal(strspn(f.log, "c"), (BODY_SIZE / 100 + 9) / 10);
    assert_string_equal(f.log + strspn(f.log, "c"), "ra");
    assert_int_equal(f.violations, 0);
    snprintf(path, sizeof(path), "%s/top250-3.html", r.cfg.out_dir);
    fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    n = read(fd, got, BODY_SIZE + 1);
    close(fd);
    assert_int_equal(n, BODY_SIZE);
    body = wl_io_body(r.io, &len);
    assert_memory_equal(got, body, BODY_SIZE);
    assert_int_equal(count_entries(r.cfg.out_dir, ".tmp"), 0);
    assert_int_equal(count_entries(r.cfg.out_dir, "top250-"), 1);
    /* Writing it again replaces it. */
    assert_int_equal(run_write(&env, 3, &arg), WL_OK);
    assert_int_equal(count_entries(r.cfg.out_dir, "top250-"), 1);
    free(got);
    rig_stop(&r);
}

static void
write_into_a_removed_folder_is_an_io_error(void **state)
{
    struct rig r;
    struct fake f;
    struct wl_env env;

    (void)state;
    rig_start(&r, 0.0, 0, 5000000000);
    env = fake_env(&f, r.io);
    assert_int_equal(run_fetch(&env, 0, NULL), WL_OK);
    assert_int_equal(rmdir(r.cfg.out_dir), 0);
    assert_int_equal(run_write(&env, 0, NULL), WL_IO_ERROR);
    assert_int_equal(count_entries(r.cfg.out_dir, ""), -1);
    assert_int_equal(count_entries(r.dir, ""), 0);
    assert_int_equal(f.violations, 0);
    assert_int_equal(f.held, 1);
    rig_stop(&r);
}

/* The rename fails (the target is a folder that is not empty): the
 * temporary file, already written, must be removed. */
static void
write_whose_rename_fails_removes_its_temporary_file(void **state)
{
    char target[4200];
    char inner[4300];
    struct rig r;
    struct fake f;
    struct wl_env env;

    (void)state;
    rig_start(&r, 0.0, 0, 5000000000);
    env = fake_env(&f, r.io);
    assert_int_equal(run_fetch(&env, 5, NULL), WL_OK);
    snprintf(target, sizeof(target), "%s/top250-5.html", r.cfg.out_dir);
    assert_int_equal(mkdir(target, 0777), 0);
    snprintf(inner, sizeof(inner), "%s/keep", target);
    assert_int_equal(mkdir(inner, 0777), 0);
    assert_int_equal(run_write(&env, 5, NULL), WL_IO_ERROR);
    assert_int_equal(count_entries(r.cfg.out_dir, ".tmp"), 0);
    assert_int_equal(count_entries(r.cfg.out_dir, ""), 1);
    assert_int_equal(f.violations, 0);
    assert_int_equal(f.held, 1);
    rig_stop(&r);
}

static void
write_after_a_failed_fetch_fails_and_writes_nothing(void **state)
{
    struct rig r;
    struct fake f;
    struct wl_env env;

    (void)state;
    rig_start(&r, 1.0, 0, 5000000000);
    env = fake_env(&f, r.io);
    assert_int_equal(run_fetch(&env, page_failing_with(1), NULL),
                     WL_HTTP_ERROR);
    assert_int_equal(run_write(&env, 0, NULL), WL_FAILED);
    assert_int_equal(count_entries(r.cfg.out_dir, ""), 0);
    rig_stop(&r);
}

/* --- decode and WL_UNTIL_DONE cpu steps --------------------------- */

static void
decode_runs_instr_per_byte_of_the_last_body(void **state)
{
    struct rig r;
    struct fake f;
    struct wl_env env;
    struct wl_step s;
    int64_t arg = -1;

    (void)state;
    rig_start(&r, 0.0, 0, 5000000000);
    env = fake_env(&f, r.io);
    memset(&s, 0, sizeof(s));
    s.kind = WL_STEP_CPU;
    s.instructions = 5;
    s.instr_per_byte = 0.25;
    /* Before any fetch there is no body: only the fixed part. */
    assert_int_equal(wl_step_run(&s, &env, &arg), WL_OK);
    assert_int_equal(arg, 5);
    assert_int_equal(run_fetch(&env, 0, NULL), WL_OK);
    assert_int_equal(wl_step_run(&s, &env, &arg), WL_OK);
    assert_int_equal(arg, 5 + BODY_SIZE / 4);
    /* Without I/O state the per-byte part is 0. */
    env.io = NULL;
    assert_int_equal(wl_step_run(&s, &env, &arg), WL_OK);
    assert_int_equal(arg, 5);
    s.instr_per_byte = -1.0;
    assert_int_equal(wl_step_run(&s, &env, &arg), WL_FAILED);
    assert_int_equal(f.violations, 0);
    rig_stop(&r);
}

static void *
set_until_after_five_checks(void *arg)
{
    struct fake *f = arg;

    while (atomic_load(&f->n_checks) < 5) {
        sched_yield();
    }
    atomic_store(&f->until, 1);
    return NULL;
}

static void
until_done_runs_until_another_thread_sets_until(void **state)
{
    struct fake f;
    struct wl_env env = fake_env(&f, NULL);
    struct wl_step s;
    int64_t arg = -1;
    pthread_t t;

    (void)state;
    memset(&s, 0, sizeof(s));
    s.kind = WL_STEP_CPU;
    s.instructions = WL_UNTIL_DONE;
    assert_int_equal(pthread_create(&t, NULL, set_until_after_five_checks, &f),
                     0);
    assert_int_equal(wl_step_run(&s, &env, &arg), WL_OK);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_true(arg >= 5 * CHECK_EVERY);
    assert_int_equal(arg % CHECK_EVERY, 0); /* whole chunks only */
    assert_int_equal(arg, (int64_t)f.checks * CHECK_EVERY);
    assert_int_equal(f.violations, 0);
}

static void
until_done_with_until_already_set_runs_at_most_one_chunk(void **state)
{
    struct fake f;
    struct wl_env env = fake_env(&f, NULL);
    struct wl_step s;
    int64_t arg = -1;

    (void)state;
    memset(&s, 0, sizeof(s));
    s.kind = WL_STEP_CPU;
    s.instructions = WL_UNTIL_DONE;
    atomic_store(&f.until, 1);
    assert_int_equal(wl_step_run(&s, &env, &arg), WL_OK);
    assert_true(arg <= CHECK_EVERY);
    assert_true(f.checks <= 1);
}

static void
until_done_without_until_fails(void **state)
{
    struct fake f;
    struct wl_env env = fake_env(&f, NULL);
    struct wl_step s;
    int64_t arg = -1;

    (void)state;
    env.until = NULL;
    memset(&s, 0, sizeof(s));
    s.kind = WL_STEP_CPU;
    s.instructions = WL_UNTIL_DONE;
    assert_int_equal(wl_step_run(&s, &env, &arg), WL_FAILED);
    assert_int_equal(arg, 0);
    assert_int_equal(f.checks, 0);
}

static void
until_done_honours_stop(void **state)
{
    struct fake f;
    struct wl_env env = fake_env(&f, NULL);
    struct wl_step s;

    (void)state;
    memset(&s, 0, sizeof(s));
    s.kind = WL_STEP_CPU;
    s.instructions = WL_UNTIL_DONE;
    atomic_store(&f.stop, 1);
    assert_int_equal(wl_step_run(&s, &env, NULL), WL_ABORTED);
}

/* --- builders ------------------------------------------------------- */

static void
seed_workload_is_fetch_decode_write_per_page(void **state)
{
    struct wl_workload *w = NULL;
    const struct wl_task *t;
    size_t i;

    (void)state;
    assert_int_equal(wl_workload_seed(25, 1.5, &w), 0);
    assert_int_equal(w->n_tasks, 25);
    for (i = 0; i < w->n_tasks; i++) {
        t = &w->tasks[i];
        assert_int_equal(t->n_steps, 3);
        assert_int_equal(t->ends_run, 0);
        assert_int_equal(t->steps[0].kind, WL_STEP_FETCH);
        assert_int_equal(t->steps[0].page, (int64_t)i);
        assert_int_equal(t->steps[1].kind, WL_STEP_CPU);
        assert_int_equal(t->steps[1].instructions, 0);
        assert_true(t->steps[1].instr_per_byte == 1.5);
        assert_int_equal(t->steps[2].kind, WL_STEP_WRITE);
        assert_int_equal(t->steps[2].page, (int64_t)i);
    }
    wl_workload_free(w);
    assert_int_equal(wl_workload_seed(0, 1.0, &w), -EINVAL);
    assert_int_equal(wl_workload_seed(5, -1.0, &w), -EINVAL);
    assert_int_equal(wl_workload_seed(5, 1.0, NULL), -EINVAL);
}

static void
convoy_workload_is_one_fetching_task_and_until_done_cpu_tasks(void **state)
{
    struct wl_workload *w = NULL;
    const struct wl_task *t;
    size_t i;

    (void)state;
    assert_int_equal(wl_workload_convoy(50, 2, &w), 0);
    assert_int_equal(w->n_tasks, 3);
    t = &w->tasks[0];
    assert_int_equal(t->ends_run, 1);
    assert_int_equal(t->n_steps, 50);
    for (i = 0; i < t->n_steps; i++) {
        assert_int_equal(t->steps[i].kind, WL_STEP_FETCH);
        assert_int_equal(t->steps[i].page, (int64_t)i);
    }
    for (i = 1; i < 3; i++) {
        t = &w->tasks[i];
        assert_int_equal(t->ends_run, 0);
        assert_int_equal(t->n_steps, 1);
        assert_int_equal(t->steps[0].kind, WL_STEP_CPU);
        assert_int_equal(t->steps[0].instructions, WL_UNTIL_DONE);
    }
    wl_workload_free(w);
    /* No CPU thread: the I/O task alone (the "no competitor" baseline). */
    assert_int_equal(wl_workload_convoy(3, 0, &w), 0);
    assert_int_equal(w->n_tasks, 1);
    wl_workload_free(w);
    assert_int_equal(wl_workload_convoy(0, 1, &w), -EINVAL);
    assert_int_equal(wl_workload_convoy(-3, 1, &w), -EINVAL);
    assert_int_equal(wl_workload_convoy(3, 1, NULL), -EINVAL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fetch_returns_the_page_body_byte_for_byte),
        cmocka_unit_test(
            fetch_releases_the_gil_for_the_transfer_and_retakes_it_per_chunk),
        cmocka_unit_test(fetch_frees_the_gil_around_quick_calls),
        cmocka_unit_test(two_fetches_on_one_io_share_one_connection),
        cmocka_unit_test(fetch_from_a_stopped_server_is_refused),
        cmocka_unit_test(stalled_reply_times_out),
        cmocka_unit_test(http_500_is_an_http_error_and_leaves_no_body),
        cmocka_unit_test(connection_closed_mid_body_fails_and_leaves_no_body),
        cmocka_unit_test(body_over_max_body_fails),
        cmocka_unit_test(fetch_without_io_fails),
        cmocka_unit_test(stop_set_before_a_fetch_aborts_it_without_a_request),
        cmocka_unit_test(stop_set_during_a_stalled_fetch_aborts_it),
        cmocka_unit_test(url_ok_accepts_http_with_a_host_and_rejects_the_rest),
        cmocka_unit_test(io_new_rejects_bad_configurations),
        cmocka_unit_test(write_puts_the_exact_body_in_place_and_leaves_no_tmp),
        cmocka_unit_test(write_into_a_removed_folder_is_an_io_error),
        cmocka_unit_test(write_whose_rename_fails_removes_its_temporary_file),
        cmocka_unit_test(write_after_a_failed_fetch_fails_and_writes_nothing),
        cmocka_unit_test(decode_runs_instr_per_byte_of_the_last_body),
        cmocka_unit_test(until_done_runs_until_another_thread_sets_until),
        cmocka_unit_test(
            until_done_with_until_already_set_runs_at_most_one_chunk),
        cmocka_unit_test(until_done_without_until_fails),
        cmocka_unit_test(until_done_honours_stop),
        cmocka_unit_test(seed_workload_is_fetch_decode_write_per_page),
        cmocka_unit_test(
            convoy_workload_is_one_fetching_task_and_until_done_cpu_tasks),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
