/*
 * processes.c - the `processes` model: a pool of forked worker processes,
 * each with its own GIL and one thread, like multiprocessing.Pool() with
 * pool.map(f, tasks, chunksize=1) under the fork start method.
 *
 * How it works. Before the first fork the parent claims one trace buffer
 * per worker ("proc-1".., process k, GIL k) in the run's trace, which
 * run.c created MAP_SHARED (sim_model_trace_shared()), and maps a small
 * MAP_SHARED control block: the next-task counter (the pool's task queue,
 * handed out one task at a time with atomic_fetch_add), the shared `until`
 * flag of the convoy workload, and per worker the task it is running now
 * (-1 when none), its GIL counters (written once at its exit) and a done
 * flag. The clock of the run starts just before the first fork, so the
 * pool's start-up is part of the wall time, as it is in Python; the
 * parent spins what CPython's parent spends of its own CPU there
 * (parent_cpu: Pool()'s set-up, then os.fork and Process.start before
 * each worker), so that 64 workers start one after another as slowly.
 *
 * Each worker (the child) makes its own GIL from p->gil_config and its own
 * gil_thread, whose hook records into the worker's buffer in the shared
 * trace (the worker is that buffer's only writer until it exits). It
 * records THREAD_START, takes its GIL, pays worker_start_instructions of
 * CPU (interpreter start-up and imports; recorded as running time outside
 * any task, not as a step), then claims tasks until there are none left
 * and runs each with sim_model__run_task(). After each task it pays
 * result_ipc_instructions under its GIL for sending the result back. At
 * the end it drops its GIL (EXIT), records THREAD_END, copies its GIL
 * counters into the control block, sets its done flag and calls _exit(0):
 * it never returns into the parent's code and runs no atexit handler.
 *
 * The parent waits for the workers the way multiprocessing does: each
 * worker holds the write end of a pipe (its "sentinel", as in
 * multiprocessing.Process.sentinel) that closes when it exits for any
 * reason, so poll() on the read ends wakes as soon as one ends, and
 * waitpid() reaps it at once; the wall clock stops when the last one is
 * reaped. poll() wakes every STOP_POLL_MS to see whether the run was asked
 * to stop; if so, every live worker gets SIGTERM. A worker turns SIGTERM
 * and SIGINT (which the terminal sends to the whole process group on
 * Ctrl-C) into its own stop flag: it finishes its current chunk, marks the
 * task aborted and exits normally, so its trace and counters stay valid.
 *
 * A worker that dies (a signal such as SIGKILL, or a nonzero status) is
 * counted, never waited for forever. Once it is reaped the parent is the
 * only writer of its buffer and closes what it left open, stamped with the
 * time it was reaped: an open step gets STEP_END aborted (a task between
 * steps gets an aborted zero-length cpu step, so the failure is counted),
 * an open task TASK_END aborted, a task that the control block says it had
 * claimed but not yet begun TASK_BEGIN/STEP_BEGIN/STEP_END/TASK_END
 * aborted, a GIL it held a GIL_DROP exit, and finally THREAD_END. Tasks
 * that no worker ended (all workers died, or one died between claiming a
 * task and publishing it) are then recorded the same way into a dead
 * worker's buffer, unless the run was stopped (then, as in the threads
 * model, unclaimed tasks are simply not run).
 *
 * GIL counters: for a worker that exited normally, res->gil gets the
 * counters its GIL kept (from the control block), so run.c's check of
 * counters against the trace is a real check for them. A dead worker
 * wrote no counters, so its counts are derived from its own buffer after
 * the parent's additions; the check holds for it by construction (a GIL
 * drop the parent adds for a worker that died holding its GIL is counted
 * on both sides).
 *
 * Fork safety. The parent has other threads (the embedded HTTP server,
 * libcurl's). After fork() only the forking thread exists in the child,
 * and any lock another thread held stays held there forever; this is the
 * situation of CPython's fork start method, which 3.12 warns about and
 * 3.14 stopped using by default on Linux. The child therefore touches
 * nothing the parent's other threads use: no stdio, no server, no libcurl
 * handle of the parent (with I/O, it makes its own wl_io after the fork,
 * as a Python worker makes its own requests.Session), and no lock but the
 * ones of its fresh GIL. It allocates with malloc (glibc's malloc resets
 * its locks in the child) and otherwise makes system calls. SIGINT and
 * SIGTERM are blocked across fork() so that no signal reaches a child
 * before it has installed its own handlers. On Linux the child asks for
 * SIGKILL when its parent dies (PR_SET_PDEATHSIG), so no worker outlives
 * a killed gilsim.
 *
 * Differences from multiprocessing.Pool: the workers are not replaced when
 * one dies (Pool's worker handler starts a new one and pool.map then hangs
 * forever waiting for the lost result; concurrent.futures raises
 * BrokenProcessPool instead; gilsim counts the lost task as failed and
 * lets the surviving workers finish the rest); there is no task-feeder
 * thread and no result-handler thread in the parent, whose CPU costs are
 * folded into result_ipc_instructions; and a worker that dies while it
 * sends a result (after TASK_END) leaves its task counted as done.
 */

/* MAP_ANONYMOUS is not POSIX; glibc shows it only with _DEFAULT_SOURCE (or
 * _GNU_SOURCE), which CMake does not define. */
#define _DEFAULT_SOURCE /* NOLINT(bugprone-reserved-identifier) */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h> /* PR_SET_PDEATHSIG */
#endif

#include "models_internal.h"

/* The control block is shared between processes: its atomics must not
 * hide a lock inside one process's memory. */
_Static_assert(ATOMIC_INT_LOCK_FREE == 2 && ATOMIC_LONG_LOCK_FREE == 2,
               "the processes model needs lock-free int and long atomics");

/*
 * Per task, in the worker, under its GIL: pickling the result tuple
 * (job, i, (True, result)), one write(2) to the result pipe, and
 * unpickling the next task from the task pipe: p->costs's
 * result_ipc_instructions. Its default (4000, sim/costs.c) is an
 * estimate, not a measurement: about 16 us at --instr-ns=4.1ns, what a
 * small result costs on CPython 3.11 by the order of magnitude of
 * pickle.dumps of a short tuple plus a pipe round.
 */

/* How often the parent, waiting for its workers, looks at the stop flag.
 * It only bounds how late a stop request reaches the workers (Ctrl-C
 * reaches them directly); a worker's exit wakes the parent at once. */
#define STOP_POLL_MS 20
/* How long workers have to end once told to stop (SIGCONT and SIGTERM):
 * a worker stopped with SIGSTOP, or stuck, is killed after it. */
#define STOP_GRACE_NS INT64_C(2000000000)

/* Exit status of a worker that could not set up its GIL or I/O state. */
#define WORKER_EXIT_SETUP 3

/* What one worker shares with the parent. */
struct proc_slot {
    atomic_int task;      /* index of the task it runs now, -1 when none;
                             written by the worker, read by the parent */
    atomic_int done;      /* 1 once `gil` is final; written by the worker */
    struct gil_stats gil; /* its GIL's counters, written once at its exit,
                             read by the parent after done and waitpid */
};

/* The MAP_SHARED control block. */
struct proc_control {
    size_t map_len;        /* bytes mapped, this header included */
    atomic_long next_task; /* index of the next unclaimed task */
    atomic_int until;      /* set when an ends_run task has finished */
    struct proc_slot slot[];
};

/* What the parent keeps about one worker (parent memory only). */
struct proc_worker {
    pid_t pid;                 /* 0 before its fork */
    int fd;                    /* read end of its sentinel pipe, or -1 */
    int reaped;                /* 1 once waitpid returned for it */
    int status;                /* from waitpid; valid if wait_ok */
    int wait_ok;               /* 1 if waitpid gave a status */
    int64_t reaped_ns;         /* when it was reaped */
    int killed;                /* 1: killed for not stopping (STOP_GRACE) */
    struct sim_trace_buf *buf; /* its buffer in the shared trace */
};

/* Tests only (sim_model_processes_set_test_hook); NULL in gilsim. */
static void (*test_hook)(const struct sim_model_processes_probe *pr, void *arg);
static void *test_hook_arg;
/* Tests only: workers ignore the stop request (a stuck worker). */
static int test_deaf;

struct sim_model_processes_probe {
    const struct proc_control *ctl;
    const struct proc_worker *w;
    int n;
};

/* The worker's stop flag: set by its own SIGINT/SIGTERM handler. Each
 * child has its own copy; the parent never sets it. */
static atomic_int child_stop;

static int
stopped(const struct sim_model_params *p)
{
    return p->stop != NULL &&
           atomic_load_explicit(p->stop, memory_order_relaxed) != 0;
}

/* ---- the worker (runs in the child only) -------------------------------- */

static void
on_child_signal(int sig)
{
    (void)sig;
    atomic_store(&child_stop, 1);
}

/*
 * The body of worker `i`; never returns. `mask` is the signal mask to
 * restore once the handlers are in place; `parent` the parent's pid.
 */
static void
worker_main(const struct sim_model_params *p, struct proc_control *ctl,
            struct proc_worker *w, int i, const sigset_t *mask, pid_t parent)
{
    const struct wl_workload *wl = p->workload;
    struct proc_slot *slot = &ctl->slot[i];
    struct sim_model_thread mt;
    struct sigaction sa;
    struct gil *g = NULL;
    int j;

#ifdef __linux__
    (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) {
        _exit(WORKER_EXIT_SETUP); /* the parent died before prctl */
    }
#else
    (void)parent;
#endif
    /* Inherited read ends of the earlier workers' sentinels. */
    for (j = 0; j < i; j++) {
        if (w[j].fd >= 0) {
            (void)close(w[j].fd);
        }
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = test_deaf ? SIG_IGN : on_child_signal;
    sa.sa_flags = (int)SA_RESETHAND; /* a second Ctrl-C ends the worker */
    (void)sigemptyset(&sa.sa_mask);
    (void)sigaction(SIGINT, &sa, NULL);
    (void)sigaction(SIGTERM, &sa, NULL);
    /* This process's copy of the interpreter's state: a forked worker's
     * (nothing called or fetched here yet; its first fetch faults in the
     * code it touches). */
    wl_interp_forked(p->interp);
    /* And its own threading.Locks, none held (the parent's copy is not
     * shared: a threading.Lock lives in one process). */
    if (p->locks != NULL) {
        sim_model__locks_init(p->locks, p);
    }
    atomic_store(&child_stop, stopped(p));
    (void)pthread_sigmask(SIG_SETMASK, mask, NULL);

    memset(&mt, 0, sizeof(mt));
    sim_model__thread_init(&mt, p, i, &ctl->until, ctl);
    mt.env.stop = &child_stop;
    mt.buf = w[i].buf;
    if (gil_new(&p->gil_config, &g) != 0) {
        _exit(WORKER_EXIT_SETUP);
    }
    if (gil_thread_new(g, &mt, &mt.gt) != 0) {
        _exit(WORKER_EXIT_SETUP);
    }
    if (p->io != NULL && wl_io_new(p->io, &mt.env.io) != 0) {
        _exit(WORKER_EXIT_SETUP);
    }

    sim_trace_record(mt.buf, sim_model__now(&mt), SIM_EV_THREAD_START, 0, 0, -1,
                     0);
    gil_take(mt.gt);
    (void)sim_model__cpu(&mt, p->worker_start_instructions, NULL);
    while (atomic_load_explicit(&child_stop, memory_order_relaxed) == 0) {
        long k = atomic_fetch_add(&ctl->next_task, 1);

        if (k < 0 || (size_t)k >= wl->n_tasks) {
            break;
        }
        atomic_store(&slot->task, (int)k);
        sim_model__run_task(&mt, &wl->tasks[k]);
        (void)sim_model__cpu(
            &mt, sim_costs_or_default(p->costs)->result_ipc_instructions, NULL);
        atomic_store(&slot->task, -1);
    }
    gil_drop(mt.gt, GIL_DROP_EXIT);
    sim_trace_record(mt.buf, sim_model__now(&mt), SIM_EV_THREAD_END, 0, 0, -1,
                     0);
    gil_get_stats(g, &slot->gil);
    atomic_store_explicit(&slot->done, 1, memory_order_release);
    wl_io_free(mt.env.io);
    gil_thread_free(mt.gt);
    gil_free(g);
    _exit(0);
}

/* ---- the parent: waiting ------------------------------------------------ */

static void
reap(struct proc_worker *wk, const struct sim_model_params *p)
{
    pid_t r;

    do {
        r = waitpid(wk->pid, &wk->status, 0);
    } while (r < 0 && errno == EINTR);
    wk->wait_ok = r == wk->pid;
    wk->reaped = 1;
    wk->reaped_ns = p->clock.now_ns(p->clock.ctx);
    if (wk->fd >= 0) {
        (void)close(wk->fd);
        wk->fd = -1;
    }
}

static void
signal_live(struct proc_worker *w, int n, int sig)
{
    int i;

    for (i = 0; i < n; i++) {
        if (w[i].pid > 0 && !w[i].reaped) {
            (void)kill(w[i].pid, sig);
        }
    }
}

/* Wait until every worker is reaped; passes a stop request on, and kills
 * the workers still there STOP_GRACE_NS after it. The number killed. */
static int
wait_workers(const struct sim_model_params *p, struct proc_worker *w, int n,
             struct pollfd *pfd, int *map)
{
    int live = n;
    int signalled = 0;
    int64_t told_ns = 0;
    int killed = 0;
    int i;

    while (live > 0) {
        int m = 0;
        int r;

        for (i = 0; i < n; i++) {
            if (!w[i].reaped) {
                pfd[m].fd = w[i].fd;
                pfd[m].events = POLLIN;
                pfd[m].revents = 0;
                map[m] = i;
                m++;
            }
        }
        r = poll(pfd, (nfds_t)m, STOP_POLL_MS);
        if (r < 0 && errno != EINTR) {
            /* Cannot poll (ENOMEM): kill and wait for each in turn. */
            for (i = 0; i < m; i++) {
                if (signalled) {
                    (void)kill(w[map[i]].pid, SIGKILL);
                }
                reap(&w[map[i]], p);
            }
            return killed;
        }
        for (i = 0; r > 0 && i < m; i++) {
            if (pfd[i].revents != 0) {
                reap(&w[map[i]], p);
                live--;
            }
        }
        if (!signalled && live > 0 && stopped(p)) {
            /* SIGCONT first: a worker stopped with SIGSTOP gets its
             * SIGTERM only once it runs. */
            signal_live(w, n, SIGCONT);
            signal_live(w, n, SIGTERM);
            signalled = 1;
            told_ns = base_now_ns();
        } else if (signalled && live > 0 &&
                   base_now_ns() - told_ns > STOP_GRACE_NS) {
            for (i = 0; i < n; i++) {
                if (w[i].pid > 0 && !w[i].reaped && !w[i].killed) {
                    (void)kill(w[i].pid, SIGKILL);
                    w[i].killed = 1;
                    killed++;
                }
            }
        }
    }
    return killed;
}

/* ---- the parent: what a dead worker left behind ------------------------- */

/* What a dead worker's buffer says it was doing. */
struct proc_state {
    int started;      /* THREAD_START seen */
    int ended;        /* THREAD_END seen */
    int holding;      /* its last GIL event was a take */
    int32_t task;     /* open task (TASK_BEGIN without TASK_END), or -1 */
    int step;         /* kind of its open step, or -1 */
    int64_t last_ns;  /* stamp of its last event */
    int32_t ended_id; /* last task it ended, or -1 */
};

static void
scan(const struct sim_trace_buf *b, struct proc_state *st)
{
    uint64_t n = b->n < b->cap ? b->n : b->cap;
    uint64_t k;

    memset(st, 0, sizeof(*st));
    st->task = -1;
    st->step = -1;
    st->ended_id = -1;
    for (k = 0; k < n; k++) {
        const struct sim_trace_event *e = &b->ev[k];

        st->last_ns = e->t_ns;
        switch ((enum sim_ev)e->kind) {
        case SIM_EV_THREAD_START:
            st->started = 1;
            break;
        case SIM_EV_THREAD_END:
            st->ended = 1;
            break;
        case SIM_EV_TASK_BEGIN:
            st->task = e->task;
            break;
        case SIM_EV_TASK_END:
            st->task = -1;
            st->ended_id = e->task;
            break;
        case SIM_EV_STEP_BEGIN:
            st->step = e->detail;
            break;
        case SIM_EV_STEP_END:
            st->step = -1;
            break;
        case SIM_EV_GIL_TAKE:
            st->holding = 1;
            break;
        case SIM_EV_GIL_DROP:
            st->holding = 0;
            break;
        default:
            break;
        }
    }
}

/* A task that was claimed (or due) but never begun: recorded as one
 * aborted zero-length cpu step. */
static void
record_lost_task(struct sim_trace_buf *b, int64_t t, int32_t id)
{
    sim_trace_record(b, t, SIM_EV_TASK_BEGIN, 0, 0, id, 0);
    sim_trace_record(b, t, SIM_EV_STEP_BEGIN, SIM_STEP_CPU, 0, id, 0);
    sim_trace_record(b, t, SIM_EV_STEP_END, SIM_STEP_CPU, SIM_OUT_ABORTED, id,
                     0);
    sim_trace_record(b, t, SIM_EV_TASK_END, 0, SIM_OUT_ABORTED, id, 0);
}

/*
 * Close what dead worker `wk` left open, all but its THREAD_END (the
 * caller adds that after any lost tasks). `claimed` is the task index its
 * control slot held, or -1. *t_out gets the stamp used. Returns 1 if the
 * track is still open (no THREAD_END yet), else 0.
 */
static int
close_dead(struct proc_worker *wk, const struct wl_workload *wl, int claimed,
           int64_t *t_out)
{
    struct sim_trace_buf *b = wk->buf;
    struct proc_state st;
    int64_t t;

    scan(b, &st);
    t = wk->reaped_ns > st.last_ns ? wk->reaped_ns : st.last_ns;
    *t_out = t;
    if (st.ended) {
        return 0; /* died after its last event: nothing is open */
    }
    if (!st.started) {
        sim_trace_record(b, t, SIM_EV_THREAD_START, 0, 0, -1, 0);
    }
    if (st.task >= 0) {
        if (st.step < 0) {
            /* Between two steps: the next one is the one that failed. */
            sim_trace_record(b, t, SIM_EV_STEP_BEGIN, SIM_STEP_CPU, 0, st.task,
                             0);
            st.step = SIM_STEP_CPU;
        }
        sim_trace_record(b, t, SIM_EV_STEP_END, st.step, SIM_OUT_ABORTED,
                         st.task, 0);
        sim_trace_record(b, t, SIM_EV_TASK_END, 0, SIM_OUT_ABORTED, st.task, 0);
    } else if (claimed >= 0 && (size_t)claimed < wl->n_tasks &&
               st.ended_id != wl->tasks[claimed].id) {
        /* Claimed, published, not begun. (If its TASK_END is there, it
         * died while sending the result: the task stays done.) */
        record_lost_task(b, t, wl->tasks[claimed].id);
    }
    if (st.holding) {
        /* Its GIL died with it; the drop keeps takes and drops paired. */
        sim_trace_record(b, t, SIM_EV_GIL_DROP, SIM_DROP_EXIT, 0, -1, 0);
    }
    return 1;
}

/* The GIL counters of a buffer, as run.c's check derives them. */
static void
count_gil(const struct sim_trace_buf *b, struct gil_stats *g)
{
    uint64_t n = b->n < b->cap ? b->n : b->cap;
    uint64_t k;

    for (k = 0; k < n; k++) {
        const struct sim_trace_event *e = &b->ev[k];

        switch ((enum sim_ev)e->kind) {
        case SIM_EV_GIL_WAIT:
            g->waits++;
            break;
        case SIM_EV_GIL_TAKE:
            g->takes++;
            g->switches += e->arg != 0;
            break;
        case SIM_EV_GIL_DROP:
            g->drops++;
            g->forced_drops += e->detail == SIM_DROP_FORCED;
            break;
        case SIM_EV_GIL_DROP_REQUEST:
            g->drop_requests++;
            break;
        default:
            break;
        }
    }
}

/* 1 if worker i exited with status 0 after publishing its counters. */
static int
exited_normally(struct proc_control *ctl, const struct proc_worker *wk, int i)
{
    return wk->wait_ok && WIFEXITED(wk->status) &&
           WEXITSTATUS(wk->status) == 0 &&
           atomic_load_explicit(&ctl->slot[i].done, memory_order_acquire) == 1;
}

/*
 * After every worker is reaped: close the dead workers' buffers, record
 * the tasks nobody ended (unless stopped), sum the GIL counters. Returns
 * the index of a worker that failed its set-up, or -1.
 */
static int
settle(const struct sim_model_params *p, struct proc_control *ctl,
       struct proc_worker *w, int n, unsigned char *ended,
       struct gil_stats *sum)
{
    const struct wl_workload *wl = p->workload;
    int setup_failed = -1;
    int sink = -1;
    int sink_open = 0;
    int64_t sink_t = 0;
    size_t k;
    int i;

    memset(sum, 0, sizeof(*sum));
    for (i = 0; i < n; i++) {
        struct proc_worker *wk = &w[i];
        int64_t t;
        int open;

        if (exited_normally(ctl, wk, i)) {
            continue;
        }
        if (wk->wait_ok && WIFEXITED(wk->status) &&
            WEXITSTATUS(wk->status) == WORKER_EXIT_SETUP && setup_failed < 0) {
            setup_failed = i;
        }
        open = close_dead(wk, wl, atomic_load(&ctl->slot[i].task), &t);
        /* Lost tasks go to a dead worker's track, one still open if any. */
        if (sink < 0 || (open && !sink_open)) {
            sink = i;
            sink_t = t;
            sink_open = open;
        }
    }

    /* Which tasks ended, in any buffer (task ids are indices). */
    memset(ended, 0, wl->n_tasks);
    for (i = 0; i < n; i++) {
        const struct sim_trace_buf *b = w[i].buf;
        uint64_t m = b->n < b->cap ? b->n : b->cap;
        uint64_t e;

        for (e = 0; e < m; e++) {
            int32_t id = b->ev[e].task;

            if (b->ev[e].kind == SIM_EV_TASK_END && id >= 0 &&
                (size_t)id < wl->n_tasks) {
                ended[id] = 1;
            }
        }
    }
    if (sink >= 0 && !stopped(p)) {
        for (k = 0; k < wl->n_tasks; k++) {
            int32_t id = wl->tasks[k].id;

            if (id >= 0 && (size_t)id < wl->n_tasks && !ended[id]) {
                record_lost_task(w[sink].buf, sink_t, id);
            }
        }
    }

    for (i = 0; i < n; i++) {
        struct proc_worker *wk = &w[i];
        struct proc_state st;
        struct gil_stats g;

        if (exited_normally(ctl, wk, i)) {
            gil_stats_add(sum, &ctl->slot[i].gil);
            continue;
        }
        scan(wk->buf, &st);
        if (!st.ended) {
            /* Last, after the lost tasks of the sink. */
            int64_t t = st.last_ns > wk->reaped_ns ? st.last_ns : wk->reaped_ns;

            sim_trace_record(wk->buf, t, SIM_EV_THREAD_END, 0, 0, -1, 0);
        }
        memset(&g, 0, sizeof(g));
        count_gil(wk->buf, &g);
        gil_stats_add(sum, &g);
    }
    return setup_failed;
}

/* ---- the parent: the pool ----------------------------------------------- */

/* Kill and reap the workers forked so far (a fork failed). */
static void
abandon(const struct sim_model_params *p, struct proc_worker *w, int n)
{
    int i;

    signal_live(w, n, SIGKILL);
    for (i = 0; i < n; i++) {
        if (w[i].pid > 0 && !w[i].reaped) {
            reap(&w[i], p);
        }
    }
}

/* The parent's own CPU of Pool(): its set-up before the first fork, and
 * os.fork with Process.start before each (pool_start_ns, pool_fork_ns),
 * spun on this thread at the calibrated rate, so that it competes for
 * the cores with the workers already started, as CPython's parent does. */
static void
parent_cpu(const struct sim_model_params *p, int64_t ns)
{
    double spins = (double)ns * p->cost.spins_per_ns;

    if (ns > 0 && spins >= 1.0 && spins < 1e15) {
        wl_cpu_spin((uint64_t)spins);
    }
}

int
sim_model__processes_run(const struct sim_model_params *p,
                         struct sim_model_result *res, char *err, size_t errlen)
{
    struct proc_control *ctl = NULL;
    struct proc_worker *w = NULL;
    struct pollfd *pfd = NULL;
    int *map = NULL;
    unsigned char *ended = NULL;
    sigset_t block, old;
    size_t ctl_len;
    pid_t parent = getpid();
    int n = p->threads;
    int forked = 0;
    int bad;
    int i;
    int rc;

    if (errlen > 0) {
        err[0] = '\0';
    }
    if (n < 1 || p->workload == NULL || p->trace == NULL ||
        p->check_every < 1 || p->workload->n_tasks > (size_t)INT32_MAX) {
        (void)snprintf(err, errlen, "invalid processes parameters");
        return -EINVAL;
    }
    w = calloc((size_t)n, sizeof(*w));
    pfd = calloc((size_t)n, sizeof(*pfd));
    map = calloc((size_t)n, sizeof(*map));
    ended = calloc(p->workload->n_tasks + 1, 1);
    if (w == NULL || pfd == NULL || map == NULL || ended == NULL) {
        (void)snprintf(err, errlen, "out of memory for %d processes", n);
        rc = -ENOMEM;
        goto out_free;
    }
    ctl_len = sizeof(*ctl) + (size_t)n * sizeof(ctl->slot[0]);
    ctl = mmap(NULL, ctl_len, PROT_READ | PROT_WRITE,
               MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (ctl == MAP_FAILED) {
        ctl = NULL;
        rc = -errno;
        base_errf(err, errlen, -rc, "cannot map the pool's control block");
        goto out_free;
    }
    ctl->map_len = ctl_len;
    atomic_init(&ctl->next_task, 0);
    atomic_init(&ctl->until, 0);
    for (i = 0; i < n; i++) {
        char name[40];

        atomic_init(&ctl->slot[i].task, -1);
        atomic_init(&ctl->slot[i].done, 0);
        w[i].fd = -1;
        (void)snprintf(name, sizeof(name), "proc-%d", i + 1);
        rc = sim_trace_add_thread(p->trace, name, i + 1, i + 1, &w[i].buf);
        if (rc != 0) {
            base_errf(err, errlen, -rc, "trace buffer for %s", name);
            goto out_free;
        }
    }

    /* No signal may reach a child before its handlers are in place. */
    (void)sigemptyset(&block);
    (void)sigaddset(&block, SIGINT);
    (void)sigaddset(&block, SIGTERM);
    (void)pthread_sigmask(SIG_BLOCK, &block, &old);
    res->begin_ns = p->clock.now_ns(p->clock.ctx);
    parent_cpu(p, p->pool_start_ns);
    for (forked = 0; forked < n; forked++) {
        int fds[2];
        pid_t pid;

        parent_cpu(p, p->pool_fork_ns);
        if (pipe(fds) != 0) {
            rc = -errno;
            base_errf(err, errlen, -rc, "cannot make a pipe for process %d",
                      forked + 1);
            break;
        }
        /* Only this worker may hold its sentinel's write end. */
        (void)fcntl(fds[0], F_SETFD, FD_CLOEXEC);
        (void)fcntl(fds[1], F_SETFD, FD_CLOEXEC);
        pid = fork();
        if (pid == 0) {
            (void)close(fds[0]);
            worker_main(p, ctl, w, forked, &old, parent);
        }
        (void)close(fds[1]);
        if (pid < 0) {
            rc = -errno;
            (void)close(fds[0]);
            base_errf(err, errlen, -rc, "cannot fork process %d of %d",
                      forked + 1, n);
            break;
        }
        w[forked].pid = pid;
        w[forked].fd = fds[0];
    }
    (void)pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (forked < n) {
        abandon(p, w, forked);
        goto out_free;
    }

    if (test_hook != NULL) {
        struct sim_model_processes_probe pr;

        pr.ctl = ctl;
        pr.w = w;
        pr.n = n;
        test_hook(&pr, test_hook_arg);
    }
    res->killed = wait_workers(p, w, n, pfd, map);
    for (i = 0, res->killed_names[0] = '\0'; i < n; i++) {
        size_t used = strlen(res->killed_names);

        if (w[i].killed && used + 16 < sizeof(res->killed_names)) {
            (void)snprintf(res->killed_names + used,
                           sizeof(res->killed_names) - used, "%sproc-%d",
                           used > 0 ? ", " : "", i + 1);
        }
    }
    res->end_ns = p->clock.now_ns(p->clock.ctx);
    bad = settle(p, ctl, w, n, ended, &res->gil);
    rc = 0;
    if (bad >= 0) {
        (void)snprintf(err, errlen,
                       "process %d could not set up its GIL or I/O state",
                       bad + 1);
        rc = -EIO;
    }

out_free:
    for (i = 0; w != NULL && i < n; i++) {
        if (w[i].fd >= 0) {
            (void)close(w[i].fd);
        }
    }
    if (ctl != NULL) {
        (void)munmap(ctl, ctl->map_len);
    }
    free(ended);
    free(map);
    free(pfd);
    free(w);
    return rc;
}

/* ---- the test hook ------------------------------------------------------ */

void
sim_model_processes_set_test_deaf(int deaf)
{
    test_deaf = deaf;
}

void
sim_model_processes_set_test_hook(
    void (*fn)(const struct sim_model_processes_probe *pr, void *arg),
    void *arg)
{
    test_hook = fn;
    test_hook_arg = arg;
}

long
sim_model_processes_probe_pid(const struct sim_model_processes_probe *pr,
                              int worker)
{
    if (worker < 0 || worker >= pr->n) {
        return -1;
    }
    return (long)pr->w[worker].pid;
}

int
sim_model_processes_probe_task(const struct sim_model_processes_probe *pr,
                               int worker)
{
    if (worker < 0 || worker >= pr->n) {
        return -1;
    }
    /* atomic_load takes a pointer to non-const in C11. */
    return atomic_load((atomic_int *)&pr->ctl->slot[worker].task);
}
