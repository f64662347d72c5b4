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
};

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
    int64_t instructions; /* cpu: instructions to run */
    int64_t duration_ns;  /* sleep: how long */
};

struct wl_task {
    int32_t id;
    size_t n_steps;
    struct wl_step *steps; /* points into the workload's step array */
};

struct wl_workload {
    char name[64];
    size_t n_tasks;
    struct wl_task *tasks;
    size_t n_steps_total; /* capacity of step_storage: tasks x room */
    struct wl_step *step_storage;
};

/* An empty workload of n_tasks tasks with room for steps_per_task steps
 * each (n_steps starts at 0; fill with wl_task_add_step). */
int wl_workload_new(const char *name, size_t n_tasks, size_t steps_per_task,
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

/* Measure spins_per_ns on this machine; cached after the first call
 * (thread-safe). Returns the rate, > 0. */
double wl_cpu_calibrate(void);
/* Burn `spins` iterations of the calibrated loop (for benchmarks). */
void wl_cpu_spin(uint64_t spins);

/* What a step may do to the thread running it. */
struct wl_env {
    /* The eval-breaker check; may release the GIL and take it back. */
    void (*check)(void *ctx);
    /* Py_BEGIN_ALLOW_THREADS: called before blocking. */
    void (*release)(void *ctx);
    /* Py_END_ALLOW_THREADS: called after blocking; blocks for the GIL. */
    void (*acquire)(void *ctx);
    void *ctx;
    int64_t check_every; /* instructions between checks, >= 1 */
    struct wl_cpu_cost cost;
    /* Set to nonzero (from any thread) to abandon steps early. */
    const atomic_int *stop; /* may be NULL */
};

/* Run one step on the calling thread. *arg_out (may be NULL) receives the
 * instructions run or the bytes moved. The thread holds the GIL on entry
 * and on return. */
enum wl_outcome wl_step_run(const struct wl_step *s, const struct wl_env *env,
                            int64_t *arg_out);

const char *wl_step_kind_name(enum wl_step_kind k);
const char *wl_outcome_name(enum wl_outcome o);

#endif /* GILSIM_WL_H */
