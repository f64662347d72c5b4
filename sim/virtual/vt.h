/*
 * vt.h - the public interface of sim/virtual/: a deterministic
 * discrete-event engine that runs a model's real threads in virtual time
 * on `cores` simulated cores (--engine=virtual).
 *
 * The model's threads run the same code as in real time, but as fibers
 * of the engine (vt_thread_start) on the OS thread that calls vt_run, so
 * exactly one of them runs at a time: the holder of the "baton". A thread
 * runs until it does something that takes time (a cpu step: vt_compute;
 * I/O or a timer: vt_sleep; a condition-variable wait of the GIL:
 * vt_block), then switches to whichever thread the earliest pending event
 * belongs to. Code between those calls takes no virtual time, and since
 * the order of events is (time, sequence number) and nothing else decides
 * who runs, the same inputs give the same run, event for event. A thread
 * must never block in the OS (a pthread_cond_wait, a join): all its
 * waiting goes through the engine.
 *
 * The OS is modelled as `cores` cores and two FIFO run queues, woken
 * threads served before preempted computations: a thread needs a core to
 * run or compute; a thread that wakes with every core busy takes the
 * core of the thread that has computed longest in its slice (wake-up
 * preemption), which waits at the head of the computations' queue, once
 * that thread has computed `protect_ns`; a computing thread gives its
 * core up to a waiting thread after each `slice_ns` of computing (round
 * robin). A signalled waiter runs `wake_ns`
 * after the signal, and a timer (a timed wait's expiry, a sleep's end) fires
 * `timer_slack_ns` late, as on Linux; both costs come from the calibration
 * and may vary around their mean by a seeded jitter (`jitter`).
 *
 * Threads: the controller (the thread that calls vt_run) registers and
 * starts the first threads (vt_thread_new, vt_thread_start), in a fixed
 * order, before vt_run; a running thread may add more (a pool starting
 * workers on demand). A thread's body ends with vt_thread_end (or
 * returns). Every other function is called by the thread holding the
 * baton.
 *
 * Depends on gil.h for the clock and sync interfaces it provides.
 */
#ifndef GILSIM_VT_H
#define GILSIM_VT_H

#include <stdatomic.h>
#include <stdint.h>

#include "gil.h"

#define VT_WARN_UNUSED __attribute__((warn_unused_result))

/* Most flags a computation may be interrupted by. */
#define VT_MAX_BREAKERS 4
/* vt_compute's largest unit cost, ns (a unit of 1000 s). */
#define VT_MAX_UNIT_NS 1e12

struct vt_config {
    int cores;              /* simulated cores, >= 1 */
    int64_t wake_ns;        /* a signalled or I/O-woken thread runs after */
    int64_t timer_slack_ns; /* a timer fires this late */
    int64_t slice_ns;       /* round-robin time slice, > 0 */
    /* A computing thread keeps its core against a woken one until it has
     * computed this long in its current slice (EEVDF's base slice; 0:
     * the woken thread preempts at once). */
    int64_t protect_ns;
    /* 1: each wake-up or timer latency is drawn uniformly from [L/2,
     * 3L/2) (mean L) from a stream seeded by `seed`, as real latencies
     * vary; 0: every latency is exactly L. Constant latencies can lock
     * two threads into one order for ever (the same waiter always
     * queued behind the same other); the jitter breaks such ties. */
    int jitter;
    uint64_t seed;
    /* Optional: told each time a thread gets (on = 1) or gives up (on =
     * 0) a core, with its registration index; for tests. */
    void (*on_core)(void *ctx, int thread, int on, int64_t t_ns);
    void *on_core_ctx;
};

/* What the engine counted. */
struct vt_stats {
    uint64_t events;   /* events taken from the queue, stale ones excluded */
    uint64_t handoffs; /* baton passes between threads */
    uint64_t preempts; /* slices that ended with the thread sent back to
                          the run queue */
    uint64_t absorbed; /* timed-out waits that vt_block_while re-armed
                          without running the waiter */
};

struct vt_engine;
struct vt_thread;

/* How a sleeping thread is woken: by data (I/O) or by a timer. */
enum vt_wake {
    VT_WAKE_IO = 0,
    VT_WAKE_TIMER = 1,
};

/* 0, -EINVAL or -ENOMEM. */
int vt_engine_new(const struct vt_config *cfg,
                  struct vt_engine **out) VT_WARN_UNUSED;
/* After vt_run returned and every thread was joined. */
void vt_engine_free(struct vt_engine *e);

/* A thread. Before vt_run, by the controller: threads start at t=0 in
 * the order they were registered. During the run, by the thread holding
 * the baton (a thread starting another): runnable at once. */
int vt_thread_new(struct vt_engine *e, struct vt_thread **out) VT_WARN_UNUSED;
/* By the baton holder: a thread registered during the run whose pthread
 * could not be created never runs; it counts as ended. */
void vt_thread_cancel(struct vt_thread *t);

/* Give thread t its body: fn(arg) runs as a fiber with a stack of its
 * own when the engine first schedules t. 0, -EINVAL, or -errno of mmap. */
int vt_thread_start(struct vt_thread *t, void *(*fn)(void *),
                    void *arg) VT_WARN_UNUSED;

/* Controller, once: run every registered thread to its end. 0, or
 * -EDEADLK if threads are left blocked with nothing pending (they are
 * then never resumed: a bug in the model, reported, not hidden). */
int vt_run(struct vt_engine *e) VT_WARN_UNUSED;

/* On the thread itself, last: leave for good (never returns). */
_Noreturn void vt_thread_end(struct vt_thread *t);

/* The thread of the calling pthread, NULL outside the engine. */
struct vt_thread *vt_self(void);

/* Virtual time in ns since the start; and as a clock for gil/ and sim/. */
int64_t vt_now(const struct vt_engine *e);
struct gil_clock vt_clock(struct vt_engine *e);
/* The GIL's condition variables in virtual time; ctx = the engine. */
const struct gil_sync *vt_gil_sync(void);

void vt_get_stats(const struct vt_engine *e, struct vt_stats *out);

/* A flag that breaks every computation once set (a run's stop flag on
 * SIGINT), read once per event rather than per thread. Set it before
 * vt_run; NULL for none. */
void vt_set_stop(struct vt_engine *e, const atomic_int *stop);

/*
 * Compute `units` units of `unit_ns` each on a core. If a breaker flag
 * becomes nonzero meanwhile, return at the next multiple of `quantum`
 * units (counted from the start of this call) instead: that is where the
 * next eval-breaker check falls. Returns the units computed: `units`, or
 * a multiple of `quantum` below it when a breaker fired. Breakers may be
 * NULL entries.
 */
int64_t vt_compute(struct vt_thread *t, int64_t units, double unit_ns,
                   int64_t quantum, const atomic_int *const *breakers,
                   int n_breakers);

/* Leave the core for `ns` (blocked in the kernel: I/O, a sleep). */
void vt_sleep(struct vt_thread *t, int64_t ns, enum vt_wake how);

/* Block on `key` until vt_wake(key) or, with timeout_ns >= 0, until the
 * timeout. 1 if it timed out, 0 if woken. */
int vt_block(struct vt_thread *t, const void *key, int64_t timeout_ns);
/* vt_block whose timeout stands for `how`: VT_WAKE_IO when the timeout
 * is the time some data arrives (an event loop's wait for its next
 * socket), so it costs a wake-up rather than a timer's slack. */
int vt_block_until(struct vt_thread *t, const void *key, int64_t timeout_ns,
                   enum vt_wake how);
/* vt_block with a timeout, except that when the timeout has passed (and
 * the timer's slack) and again(arg) returns 1, the thread waits again at
 * the tail of the queue for timeout_ns without being run: what a waiter
 * that wakes, finds nothing to do and waits again would do, at the cost
 * of one event instead of two switches. */
int vt_block_while(struct vt_thread *t, const void *key, int64_t timeout_ns,
                   int (*again)(void *arg), void *arg);
/* Wake the longest waiter on `key` (all of them with `all`). */
void vt_wake(struct vt_engine *e, const void *key, int all);

#endif /* GILSIM_VT_H */
