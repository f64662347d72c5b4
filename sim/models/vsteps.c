/*
 * vsteps.c - the steps of a workload in virtual time (--engine=virtual):
 * what wl_step_run() does in real time, with every span of CPU, I/O and
 * sleeping replaced by a call to the engine (sim/virtual/vt.h).
 *
 * The GIL calls are the same as in real time (env->check, env->release,
 * env->acquire on the thread's own gil_thread, whose condition variables
 * the engine drives), and so is their order, step by step:
 *
 *   cpu    `n` instructions of --instr-ns each on a core. The engine lets
 *          them run without checks while the GIL's eval breaker (and, for
 *          a WL_UNTIL_DONE step, the until flag) reads 0, and stops the
 *          computation at the next multiple of check_every once it does;
 *          the step then makes its check, as the real loop would there.
 *          Like the real loop it also checks once at its end.
 *   sleep  release, a timer of the step's duration, take back.
 *   fetch  the choreography of workloads/fetch_gil.c, as fetch.c follows
 *          it in real time, with the spans between its phases simulated:
 *          the request's work; libcurl's request building (VT_PREP_NS
 *          on-core, under the GIL); the send off-core (VT_SEND_NS);
 *          the after-send work; the rest of the round trip off-core
 *          (VT_REPLY_NS + the server's latency + a jitter drawn from
 *          (seed, page)); then for each 8 KiB chunk its transfer time at
 *          --bandwidth and the chunk's work. A quick call is VT_QUICK_NS
 *          off the GIL, on the core. The server's failure injection is
 *          decided by the same function of (seed, page): a 500 after the
 *          round trip, a connection closed half-way through the body, a
 *          stall until the timeout.
 *   write  the encode's instructions under the GIL; release; --write-cost
 *          off-core; take back. No file is written. A write of its own
 *          size (bytes, nothing to encode) and a read: release,
 *          --write-cost off-core, take back.
 *
 * Nothing here reads the real clock or touches the network or the disk.
 */
#include <string.h>

#include "models_internal.h"
#include "vt.h"

/* A fetch's time outside Python and outside the server's latency:
 * libcurl, the loopback round trip and the server's own work, 64 us in
 * all: the convoy's round trip alone (0.597 ms, 128 B, 0 latency:
 * bench_io) minus its request_instructions (130 000 x 4.1 ns = 0.533 ms).
 * Of those, libcurl builds the request under the GIL for ~12 us (it runs
 * before the send, which workloads/fetch.c releases the GIL for, as
 * http.client builds it in Python), the GIL stays free ~30 us around the
 * send() (the convoy's trace: 28-33 us p50 on this machine), the rest
 * until the reply; a call that returns at once (a quick release) frees it
 * ~1 us. */
#define VT_PREP_NS     12000
#define VT_SEND_NS     30000
#define VT_REPLY_NS    22000
#define VT_QUICK_NS    1000
#define VT_CHUNK_BYTES 8192
/* A WL_UNTIL_DONE step computes in pieces of this many instructions
 * (over an hour at 4.1 ns), each ended early by the until flag. */
#define VT_UNTIL_PIECE ((int64_t)1 << 40)

static int
flag_set(const atomic_int *f)
{
    return f != NULL && atomic_load_explicit(f, memory_order_relaxed) != 0;
}

/* While the program's function is not quickened yet (struct wl_interp),
 * a computation goes in pieces of about this much virtual time, so that a
 * call on another thread that quickens it speeds this one up at the next
 * piece, as the real engine does at its next chunk. */
#define VT_COLD_PIECE_NS 1000000.0

/* `n` instructions (WL_UNTIL_DONE: until *env->until), checks included;
 * `code`: the function they are the body of, or NULL for warm work. */
static enum wl_outcome
vt_cpu(struct sim_model_thread *mt, int64_t n, const struct wl_interp *code,
       int64_t *ran)
{
    const struct wl_env *env = &mt->env;
    int until = n == WL_UNTIL_DONE;
    const atomic_int *br[2];
    int64_t done = 0;
    /* Instructions left to run cold: owed at the start, or after a
     * check (env->resumed; workloads/cpu.c does the same). */
    int64_t cold = env->resumed != NULL ? env->resumed(env->ctx) : 0;

    *ran = 0;
    if (until && env->until == NULL) {
        return WL_FAILED;
    }
    br[0] = mt->vt_breaker;
    br[1] = until ? env->until : NULL; /* env->stop: vt_set_stop */
    for (;;) {
        int64_t want;
        double factor;

        if (until) {
            if (atomic_load_explicit(env->until, memory_order_acquire)) {
                break;
            }
            want = VT_UNTIL_PIECE;
        } else {
            want = n - done;
            if (want <= 0) {
                break;
            }
        }
        if (flag_set(env->stop)) {
            *ran = done;
            return WL_ABORTED;
        }
        factor = wl_interp_factor(code);
        if (wl_interp_pending(code)) {
            double piece = VT_COLD_PIECE_NS / (env->cost.instr_ns * factor);
            int64_t units =
                (int64_t)(piece / (double)env->check_every) * env->check_every;

            if (units < env->check_every) {
                units = env->check_every;
            }
            if (want > units) {
                want = units;
            }
        }
        if (cold > 0) {
            /* Resuming with cold caches: the window's instructions cost
             * double (workloads/cpu.c does the same a chunk). */
            int64_t n_cold = want < cold ? want : cold;
            int64_t got =
                vt_compute(mt->vt, n_cold, env->cost.instr_ns * factor * 2.0,
                           env->check_every, br, 2);

            done += got;
            cold -= got;
        } else {
            done += vt_compute(mt->vt, want, env->cost.instr_ns * factor,
                               env->check_every, br, 2);
        }
        if (env->check != NULL) {
            int64_t r;

            env->check(env->ctx);
            r = env->resumed != NULL ? env->resumed(env->ctx) : 0;
            if (r > 0) {
                cold = r; /* cold again: the window starts over */
            }
        }
    }
    if (cold > 0 && env->cold_left != NULL) {
        env->cold_left(env->ctx, cold);
    }
    *ran = done;
    return WL_OK;
}

/* splitmix64 of (seed, page): the jitter of one page's reply. */
static uint64_t
mix(uint64_t x)
{
    x += UINT64_C(0x9e3779b97f4a7c15);
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

static int64_t
transfer_ns(const struct sim_vt_io *v, uint64_t bytes)
{
    if (v->bandwidth_bps <= 0) {
        return 0;
    }
    return (int64_t)((double)bytes * 1e9 / (double)v->bandwidth_bps + 0.5);
}

/* Time off the GIL but on a core: a system call that returns at once,
 * libcurl's own work, reading bytes that are already there. It needs no
 * wake-up, unlike a blocking wait (vt_sleep). */
static void
vt_busy(struct sim_model_thread *mt, int64_t ns)
{
    if (ns > 0) {
        (void)vt_compute(mt->vt, ns, 1.0, ns, NULL, 0);
    }
}

/* Bytes arriving at --bandwidth: read as they come if that is quicker
 * than a wake-up, else waited for. */
static void
vt_transfer(struct sim_model_thread *mt, int64_t ns)
{
    if (ns < mt->vio->wake_ns) {
        vt_busy(mt, ns);
    } else {
        vt_sleep(mt->vt, ns, VT_WAKE_IO);
    }
}

/* The fetch choreography's operations in virtual time (ctx: the
 * model thread): the GIL through the thread's env, Python work as
 * instructions on a core, a call that returns at once as VT_QUICK_NS
 * off the GIL but on the core. */
static void
vt_release(void *ctx)
{
    struct sim_model_thread *mt = ctx;

    mt->env.release(mt->env.ctx);
}

static int64_t
fetch_now(void *ctx)
{
    return sim_model__now(ctx);
}

static void
vt_acquire(void *ctx)
{
    struct sim_model_thread *mt = ctx;

    mt->env.acquire(mt->env.ctx);
}

static enum wl_outcome
vt_work(void *ctx, int64_t instructions)
{
    int64_t ran;

    return vt_cpu(ctx, instructions, NULL, &ran);
}

static void
vt_quick(void *ctx)
{
    vt_busy(ctx, VT_QUICK_NS);
}

/* From the send to the reply's arrival: loopback and server, the
 * server's latency and the page's jitter, a function of (seed, page). */
static int64_t
reply_after_send_ns(const struct sim_vt_io *v, int64_t page)
{
    int64_t rtt = VT_REPLY_NS + v->latency_ns;

    if (v->jitter_ns > 0) {
        rtt += (int64_t)(mix(v->seed ^ mix((uint64_t)page)) %
                         (uint64_t)v->jitter_ns);
    }
    return rtt;
}

static enum wl_outcome
vt_fetch(struct sim_model_thread *mt, const struct wl_step *s, int64_t *arg)
{
    struct wl_fetch_ops ops = {.release = vt_release,
                               .acquire = vt_acquire,
                               .now = fetch_now,
                               .work = vt_work,
                               .quick_call = vt_quick,
                               .ctx = mt};
    struct sim_vt_io own;
    const struct sim_vt_io *v = sim_vt__io_of(mt->vio, s, &own);
    struct wl_fetch_costs costs;
    struct wl_fetch_gil gil;
    enum wl_outcome o;
    uint64_t body, got = 0;
    int64_t rtt;
    int kind = 0;
    int fails;

    mt->vt_body = 0;
    if (v == NULL) {
        return WL_FAILED;
    }
    costs.request_instructions = v->request_instructions;
    costs.after_send_instructions = v->after_send_instructions;
    costs.chunk_instructions = v->chunk_instructions;
    costs.recv = v->recv;
    costs.cold_instructions = v->cold_instructions;
    costs.cold_after_ns = v->cold_after_ns;
    costs.quick_releases = v->quick_releases;
    costs.interp = mt->env.interp;
    wl_fetch_gil_init(&gil, &ops, &costs);
    o = wl_fetch_gil_request(&gil);
    if (o != WL_OK) {
        return o;
    }
    /* libcurl builds the request under the GIL; the send off it. */
    vt_busy(mt, VT_PREP_NS);
    wl_fetch_gil_send(&gil);
    vt_busy(mt, VT_SEND_NS);
    o = wl_fetch_gil_sent(&gil);
    if (o != WL_OK) {
        wl_fetch_gil_end(&gil);
        return o;
    }
    fails = wl_server_page_fails(v->seed, v->fail_rate, s->page, &kind);
    rtt = reply_after_send_ns(v, s->page);
    if (fails && kind == 3) {
        vt_sleep(mt->vt, v->timeout_ns, VT_WAKE_TIMER);
        wl_fetch_gil_end(&gil);
        *arg = wl_failure_code_injected(WL_TIMEOUT);
        return WL_TIMEOUT;
    }
    vt_sleep(mt->vt, rtt, VT_WAKE_IO);
    if (fails && kind == 1) {
        wl_fetch_gil_end(&gil);
        *arg = wl_failure_code_injected(WL_HTTP_ERROR);
        return WL_HTTP_ERROR;
    }
    body = v->body_size;
    if (fails && kind == 2) {
        body /= 2; /* what arrives before the connection closes */
    }
    while (got < body) {
        uint64_t n = body - got < VT_CHUNK_BYTES ? body - got : VT_CHUNK_BYTES;

        vt_transfer(mt, transfer_ns(v, n));
        got += n;
        o = wl_fetch_gil_chunk(&gil, n);
        wl_fetch_gil_chunk_done(&gil, o == WL_OK && got == v->body_size);
        if (o != WL_OK) {
            wl_fetch_gil_end(&gil);
            return o;
        }
    }
    wl_fetch_gil_end(&gil);
    if (got != v->body_size) {
        /* Closed mid-body: libcurl's "partial file", as in real time. */
        *arg = wl_failure_code_injected(WL_FAILED);
        return WL_FAILED;
    }
    mt->vt_body = body;
    *arg = (int64_t)body;
    return WL_OK;
}

enum wl_outcome
sim_vt__write_body(struct sim_model_thread *mt, uint64_t len, int64_t *arg)
{
    const struct sim_vt_io *v = mt->vio;
    const struct wl_env *env = &mt->env;
    enum wl_outcome o;
    int64_t ran;

    *arg = 0;
    if (v == NULL || len == 0) {
        return WL_FAILED;
    }
    o = vt_cpu(mt, (int64_t)(v->write_instr_per_byte * (double)len + 0.5), NULL,
               &ran);
    if (o != WL_OK) {
        return o;
    }
    env->release(env->ctx);
    vt_sleep(mt->vt, v->write_ns, VT_WAKE_IO);
    env->acquire(env->ctx);
    *arg = (int64_t)len;
    return WL_OK;
}

/* A read, or a write of its own size (bytes: nothing to encode): the
 * GIL released for the system calls, which take --write-cost. */
static enum wl_outcome
vt_file_calls(struct sim_model_thread *mt, uint64_t bytes, int64_t *arg)
{
    const struct sim_vt_io *v = mt->vio;
    const struct wl_env *env = &mt->env;

    *arg = 0;
    if (v == NULL) {
        return WL_FAILED;
    }
    if (flag_set(env->stop)) {
        return WL_ABORTED;
    }
    env->release(env->ctx);
    vt_sleep(mt->vt, v->write_ns, VT_WAKE_IO);
    env->acquire(env->ctx);
    *arg = (int64_t)bytes;
    return WL_OK;
}

enum wl_outcome
sim_vt__work(struct sim_model_thread *mt, int64_t instructions)
{
    int64_t ran;

    return vt_cpu(mt, instructions, NULL, &ran);
}

const struct sim_vt_io *
sim_vt__io_of(const struct sim_vt_io *v, const struct wl_step *s,
              struct sim_vt_io *own)
{
    if (v == NULL || (s->fetch_own & (WL_FETCH_LATENCY | WL_FETCH_SIZE)) == 0) {
        return v;
    }
    *own = *v;
    if (s->fetch_own & WL_FETCH_LATENCY) {
        own->latency_ns = s->latency_ns;
    }
    if (s->fetch_own & WL_FETCH_SIZE) {
        own->body_size = s->body_bytes;
    }
    return own;
}

int64_t
sim_vt__reply_ns(const struct sim_vt_io *v, int64_t page)
{
    return VT_PREP_NS + VT_SEND_NS + reply_after_send_ns(v, page);
}

int64_t
sim_vt__transfer_ns(const struct sim_vt_io *v, uint64_t bytes)
{
    return transfer_ns(v, bytes);
}

enum wl_outcome
sim_vt__step_run(struct sim_model_thread *mt, const struct wl_step *s,
                 int64_t *arg_out)
{
    const struct wl_env *env = &mt->env;
    int64_t ignored;
    int64_t *arg = arg_out != NULL ? arg_out : &ignored;
    int64_t n;

    *arg = 0;
    switch (s->kind) {
    case WL_STEP_CPU:
        if (s->instructions == WL_UNTIL_DONE) {
            if (s->code_call) {
                wl_interp_call(env->interp);
            }
            return vt_cpu(mt, WL_UNTIL_DONE, s->code_call ? env->interp : NULL,
                          arg);
        }
        n = s->instructions;
        if (s->instr_per_byte > 0) {
            n += (int64_t)(s->instr_per_byte * (double)mt->vt_body + 0.5);
        }
        if (s->code_call) {
            wl_interp_call(env->interp);
        }
        return vt_cpu(mt, n, s->code_call ? env->interp : NULL, arg);
    case WL_STEP_SLEEP:
        if (s->duration_ns < 0) {
            return WL_FAILED;
        }
        if (flag_set(env->stop)) {
            return WL_ABORTED;
        }
        env->release(env->ctx);
        vt_sleep(mt->vt, s->duration_ns, VT_WAKE_TIMER);
        env->acquire(env->ctx);
        return WL_OK;
    case WL_STEP_FETCH:
        return vt_fetch(mt, s, arg);
    case WL_STEP_WRITE:
        if (s->io_bytes > 0) {
            return vt_file_calls(mt, s->io_bytes, arg);
        }
        return sim_vt__write_body(mt, mt->vt_body, arg);
    case WL_STEP_READ:
        return vt_file_calls(mt, s->io_bytes, arg);
    case WL_STEP_LOCK:
    case WL_STEP_UNLOCK:
        return WL_FAILED; /* sim_model__step runs them (locks.c) */
    case WL_STEP_NATIVE:
        /* C work without the GIL: a core for its time, as a cpu step
         * takes one, but released first and taken back after. */
        if (s->duration_ns < 0) {
            return WL_FAILED;
        }
        if (flag_set(env->stop)) {
            return WL_ABORTED;
        }
        env->release(env->ctx);
        if (s->duration_ns > 0) {
            *arg = vt_compute(mt->vt, s->duration_ns, 1.0, s->duration_ns, NULL,
                              0);
        }
        env->acquire(env->ctx);
        return WL_OK;
    }
    return WL_FAILED;
}
