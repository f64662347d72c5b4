/*
 * cpu.c - the cost model of an interpreter instruction: a calibrated spin
 * loop, and the cpu step that runs N instructions with a check every
 * env->check_every of them.
 *
 * The spin loop is a chain of 64-bit LCG steps (a multiply and an add per
 * iteration), each depending on the last, so the CPU cannot overlap
 * iterations and the rate is set by the multiplier's latency. An empty
 * volatile asm that takes and "changes" x each iteration stops the
 * compiler from deleting the loop, vectorising the chain or folding it
 * into a closed form (checked with objdump at -O2). Nothing is written to
 * shared memory, so threads spinning at once on two cores do not bounce a
 * cache line between them.
 *
 * wl_cpu_calibrate() times the loop a few times (a few ms each, under
 * ~50 ms in all, CLOCK_MONOTONIC) and keeps the fastest rate: noise from
 * other processes only ever makes a run slower, so the best run is the
 * closest to the loop's true speed. It runs once per process
 * (pthread_once).
 *
 * The cpu step turns instructions into spins chunk by chunk. A chunk of
 * `check_every` instructions costs round(check_every * instr_ns *
 * spins_per_ns) spins; the fractional part is carried to the next chunk
 * (in fixed point, see cpu_run), so a long step spins the exact total on
 * average. The loop's own bookkeeping is not subtracted: it overlaps with
 * the spin chain, and bench_gil's figure (d) shows what is left of it.
 * After every chunk the step calls env->check, the eval-breaker poll
 * where the GIL may change hands, and before every chunk it looks at
 * env->stop (one relaxed load).
 *
 * The step carries the chain's value from chunk to chunk as well, so a
 * chunk cannot start before the last one's chain has finished.
 *
 * A step with instr_per_byte also runs that many instructions per byte of
 * the body the thread fetched last (wl_io_body of env->io): the decode of
 * requests' r.text. A step of WL_UNTIL_DONE instructions runs whole
 * chunks until env->until is set, reading the flag once per chunk next to
 * the stop flag (so a flag set before the step starts means no chunk at
 * all); without env->until it fails at once, since nothing would end it.
 *
 * After a check that switched the thread out for long, or at the step's
 * start when the thread came back from a long wait before it (the event
 * loop's select), env->resumed says
 * how many of its next instructions run with cold caches: they cost twice
 * as much (so a resume costs that many instructions more, once they have
 * run). Another long switch inside that window starts it again, so the
 * step always makes progress, at no less than half its speed.
 *
 * A code_call step counts one call of the program's function (struct
 * wl_interp) and, once that code is quickened, costs 1 / speedup as many
 * spins a chunk; the state is read (relaxed) before every chunk while it
 * is pending, so a step that another thread's call quickens speeds up at
 * its next chunk, as a CPython frame does. Other work (library code,
 * measured in ns and turned into instructions of instr_ns) is unchanged.
 *
 * wl__cpu_step_run is private to workloads/ (wl_internal.h): step.c
 * dispatches to it, and everyone else goes through wl_step_run().
 * wl__cpu_instructions runs the Python-side work of fetch and write
 * steps through the same loop, so their checks happen the same way.
 */
#include "wl.h"
#include "wl_internal.h"

#include "base.h"

#include <pthread.h>
#include <stdint.h>
#include <time.h>

/* The measured rate, written once under pthread_once. */
static pthread_once_t calibrate_once = PTHREAD_ONCE_INIT;
static double calibrated_spins_per_ns;

/* How calibration spends its ~50 ms budget. */
#define CALIBRATE_RUNS   8
#define CALIBRATE_RUN_NS 4000000 /* each timed run: about 4 ms */
#define CALIBRATE_PILOT  100000  /* spins of the first, sizing run */

/*
 * The chain itself: `spins` LCG steps from x, returning the last value.
 * The step carries x from chunk to chunk, so each chunk's chain depends
 * on the one before: otherwise the CPU would start the next chunk's
 * chain while the last one is still in flight, and short chunks would
 * run up to ~1.6x faster than calibrated.
 */
static uint64_t
spin_chain(uint64_t x, uint64_t spins)
{
    uint64_t i;

    for (i = 0; i < spins; i++) {
        /* Knuth's MMIX LCG: one dependent multiply-add per iteration. */
        x = x * 6364136223846793005u + 1442695040888963407u;
        __asm__ volatile("" : "+r"(x));
    }
    return x;
}

void
wl_cpu_spin(uint64_t spins)
{
    uint64_t x = spin_chain(spins, spins);

    __asm__ volatile("" : : "r"(x)); /* the result is "used" */
}

/* Spin `spins` times and return the rate in spins per ns. */
static double
timed_rate(uint64_t spins)
{
    int64_t t0;
    int64_t dt;

    t0 = base_now_ns();
    wl_cpu_spin(spins);
    dt = base_now_ns() - t0;
    if (dt < 1) {
        dt = 1;
    }
    return (double)spins / (double)dt;
}

/* Spins are counted in fixed point with FRAC_BITS fraction bits, so the
 * carry from chunk to chunk is an integer add and a mask: the CPU runs
 * that bookkeeping beside the spin chain almost for free, where a
 * double -> integer -> double round trip per chunk would make a chain of
 * its own (~8 ns) that short chunks could not hide. */
#define FRAC_BITS 16
#define FRAC_ONE  ((uint64_t)1 << FRAC_BITS)
/* Chunk budgets are capped at 2^47 spins (about two days), so they cannot
 * overflow 64 bits in fixed point. */
#define MAX_CHUNK_SPINS 140737488355328.0

static uint64_t
fixed_spins(double spins)
{
    if (!(spins > 0.0)) {
        return 0;
    }
    if (spins > MAX_CHUNK_SPINS) {
        spins = MAX_CHUNK_SPINS;
    }
    return (uint64_t)(spins * (double)FRAC_ONE + 0.5);
}

void
wl_interp_call(struct wl_interp *c)
{
    if (c != NULL) {
        atomic_fetch_add_explicit(&c->calls, 1, memory_order_relaxed);
    }
}

int
wl_interp_pending(const struct wl_interp *c)
{
    return c != NULL && c->speedup > 1.0 && c->quicken_calls > 1 &&
           atomic_load_explicit(&c->calls, memory_order_relaxed) <
               c->quicken_calls;
}

double
wl_interp_factor(const struct wl_interp *c)
{
    if (c == NULL || !(c->speedup > 1.0) || wl_interp_pending(c)) {
        return 1.0;
    }
    return 1.0 / c->speedup;
}

void
wl_interp_forked(struct wl_interp *c)
{
    if (c != NULL) {
        atomic_store_explicit(&c->calls, 0, memory_order_relaxed);
        atomic_store_explicit(&c->fetched, 0, memory_order_relaxed);
        c->first_fetch_instructions = c->first_fetch_forked_instructions;
    }
}

int64_t
wl_interp_first_fetch(struct wl_interp *c)
{
    if (c == NULL || c->first_fetch_instructions <= 0 ||
        atomic_exchange_explicit(&c->fetched, 1, memory_order_relaxed) != 0) {
        return 0;
    }
    return c->first_fetch_instructions;
}

/* The step loop at `spins_per_ns`: `total` instructions, or, with
 * `until` non-NULL, whole chunks until *until is set (total unused).
 * `code`: the function whose quickening sets the cost (NULL: warm). */
static enum wl_outcome
cpu_run(const struct wl_env *env, double spins_per_ns, int64_t total,
        const atomic_int *until, const struct wl_interp *code, int64_t *arg_out)
{
    double base_per_instr = env->cost.instr_ns * spins_per_ns;
    double factor = wl_interp_factor(code);
    double spins_per_instr = base_per_instr * factor;
    uint64_t full = fixed_spins((double)env->check_every * spins_per_instr);
    int pending = wl_interp_pending(code);
    uint64_t budget;
    /* Starting at one half makes the truncation below round to nearest. */
    uint64_t acc = FRAC_ONE / 2;
    uint64_t x = (uint64_t)total; /* the chain, across chunks */
    int64_t done = 0;
    /* Instructions left to run cold: a window the thread owed when
     * the step began, or one a check starts (env->resumed). */
    int64_t cold = env->resumed != NULL ? env->resumed(env->ctx) : 0;
    int64_t chunk;
    enum wl_outcome outcome = WL_OK;

    for (;;) {
        if (until != NULL) {
            /* Read once per chunk, beside the stop flag. Acquire pairs
             * with the run's release store, so whatever the ending task
             * did is visible once the flag is. */
            if (atomic_load_explicit(until, memory_order_acquire) != 0) {
                break;
            }
        } else if (done >= total) {
            break;
        }
        if (env->stop != NULL &&
            atomic_load_explicit(env->stop, memory_order_relaxed) != 0) {
            outcome = WL_ABORTED;
            break;
        }
        if (pending && !wl_interp_pending(code)) {
            /* A call quickened the code: faster from this chunk on. */
            pending = 0;
            factor = wl_interp_factor(code);
            spins_per_instr = base_per_instr * factor;
            full = fixed_spins((double)env->check_every * spins_per_instr);
        }
        chunk = until != NULL ? env->check_every : total - done;
        if (chunk >= env->check_every) {
            chunk = env->check_every;
            budget = full;
        } else {
            budget = fixed_spins((double)chunk * spins_per_instr);
        }
        if (cold > 0) {
            /* Resuming with cold caches: this chunk costs double. */
            budget *= 2;
            cold -= chunk;
        }
        acc += budget;
        x = spin_chain(x, acc >> FRAC_BITS);
        acc &= FRAC_ONE - 1;
        done += chunk;
        if (env->check != NULL) {
            env->check(env->ctx);
            if (env->resumed != NULL) {
                int64_t r = env->resumed(env->ctx);

                if (r > 0) {
                    cold = r; /* cold again: the window starts over */
                }
            }
        }
    }
    __asm__ volatile("" : : "r"(x)); /* the result is "used" */
    if (cold > 0 && env->cold_left != NULL) {
        env->cold_left(env->ctx, cold);
    }
    if (arg_out != NULL) {
        *arg_out = done;
    }
    return outcome;
}

static void
calibrate(void)
{
    double best;
    double rate;
    uint64_t spins;
    int i;

    /* A pilot run sizes the timed runs; it also wakes the core up from a
     * low frequency before the runs that count. */
    best = timed_rate(CALIBRATE_PILOT);
    for (i = 0; i < CALIBRATE_RUNS; i++) {
        spins = (uint64_t)(best * CALIBRATE_RUN_NS);
        if (spins < CALIBRATE_PILOT) {
            spins = CALIBRATE_PILOT;
        }
        rate = timed_rate(spins);
        if (rate > best) {
            best = rate;
        }
    }
    calibrated_spins_per_ns = best;
}

double
wl_cpu_calibrate(void)
{
    int rc = pthread_once(&calibrate_once, calibrate);

    if (rc != 0) {
        /* pthread_once fails only on a corrupt once-control. Answer with
         * an uncached quick measurement rather than race on the cache. */
        return timed_rate(CALIBRATE_PILOT);
    }
    return calibrated_spins_per_ns;
}

/* The rate to spin at: the env's, or this machine's if it has none. */
static double
env_spins_per_ns(const struct wl_env *env)
{
    if (env->cost.spins_per_ns > 0.0) {
        return env->cost.spins_per_ns;
    }
    return wl_cpu_calibrate(); /* not filled in: measure */
}

static int
env_ok(const struct wl_env *env)
{
    return env->check_every >= 1 && env->cost.instr_ns >= 0.0;
}

/*
 * The decode work of a step with instr_per_byte: that many instructions
 * per byte of the body the thread fetched last (requests' r.text). -1 if
 * the figure is negative, not a number, or does not fit an int64_t.
 */
static int64_t
per_byte_instructions(const struct wl_step *s, const struct wl_env *env)
{
    size_t len = 0;
    double extra;

    if (!(s->instr_per_byte >= 0.0)) {
        return -1;
    }
    if (s->instr_per_byte == 0.0 || env->io == NULL) {
        return 0;
    }
    (void)wl_io_body(env->io, &len); /* 0 when the last fetch failed */
    extra = s->instr_per_byte * (double)len + 0.5;
    if (!(extra < 9.2e18)) {
        return -1;
    }
    return (int64_t)extra;
}

enum wl_outcome
wl__cpu_instructions(const struct wl_env *env, int64_t n, int64_t *done)
{
    if (done != NULL) {
        *done = 0;
    }
    if (n < 0 || !env_ok(env)) {
        return WL_FAILED;
    }
    if (n == 0) {
        return WL_OK; /* no chunk, so no check: and no calibration */
    }
    return cpu_run(env, env_spins_per_ns(env), n, NULL, NULL, done);
}

/* A native step spins in slices of this much, looking at the stop flag
 * between them. */
#define NATIVE_SLICE_NS 100000

enum wl_outcome
wl__native_step_run(const struct wl_step *s, const struct wl_env *env,
                    int64_t *arg_out)
{
    double spins_per_ns;
    int64_t done = 0;
    enum wl_outcome o = WL_OK;

    if (arg_out != NULL) {
        *arg_out = 0;
    }
    if (!env_ok(env) || s->duration_ns < 0) {
        return WL_FAILED;
    }
    if (env->stop != NULL &&
        atomic_load_explicit(env->stop, memory_order_relaxed) != 0) {
        return WL_ABORTED; /* still holding the GIL: nothing to undo */
    }
    spins_per_ns = env_spins_per_ns(env);
    if (env->release != NULL) {
        env->release(env->ctx); /* Py_BEGIN_ALLOW_THREADS */
    }
    while (done < s->duration_ns) {
        int64_t slice = s->duration_ns - done < NATIVE_SLICE_NS
                            ? s->duration_ns - done
                            : NATIVE_SLICE_NS;

        if (env->stop != NULL &&
            atomic_load_explicit(env->stop, memory_order_relaxed) != 0) {
            o = WL_ABORTED;
            break;
        }
        wl_cpu_spin((uint64_t)((double)slice * spins_per_ns + 0.5));
        done += slice;
    }
    if (env->acquire != NULL) {
        env->acquire(env->ctx);
    }
    if (arg_out != NULL) {
        *arg_out = done;
    }
    return o;
}

enum wl_outcome
wl__cpu_step_run(const struct wl_step *s, const struct wl_env *env,
                 int64_t *arg_out)
{
    int64_t extra;

    if (arg_out != NULL) {
        *arg_out = 0;
    }
    if (!env_ok(env)) {
        return WL_FAILED;
    }
    if (s->instructions == WL_UNTIL_DONE) {
        if (env->until == NULL) {
            return WL_FAILED; /* nobody would ever end it */
        }
        if (s->code_call) {
            wl_interp_call(env->interp);
        }
        return cpu_run(env, env_spins_per_ns(env), 0, env->until,
                       s->code_call ? env->interp : NULL, arg_out);
    }
    extra = per_byte_instructions(s, env);
    if (s->instructions < 0 || extra < 0 ||
        extra > INT64_MAX - s->instructions) {
        return WL_FAILED;
    }
    if (s->code_call) {
        wl_interp_call(env->interp);
    }
    return cpu_run(env, env_spins_per_ns(env), s->instructions + extra, NULL,
                   s->code_call ? env->interp : NULL, arg_out);
}
