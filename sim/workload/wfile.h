/*
 * wfile.h - private to sim/workload/: a workload file as read (struct
 * wf_spec), before its tasks are drawn.
 *
 * read.c turns the file's JSON into a spec: every kind with its steps
 * flattened (a repeat's steps copied `times` times, a lock's steps
 * bracketed by a lock and an unlock step), every count that names a run
 * flag ("--pages") resolved from struct sim_wf_params. build.c draws the
 * tasks of a spec into a struct wl_workload; describe.c prints what a
 * task of each kind costs (gilsim workload check); starter.c writes the
 * commented file of gilsim workload new.
 */
#ifndef GILSIM_WFILE_H
#define GILSIM_WFILE_H

#include <stddef.h>
#include <stdint.h>

#include "run.h"

#define WF_MAX_TASKS 10000000
#define WF_MAX_KINDS 64
/* Steps in one list as written; a kind's steps once repeats are
 * unrolled; every task's steps together. */
#define WF_MAX_LIST    256
#define WF_MAX_FLAT    10000000 /* --ops's most */
#define WF_MAX_STORAGE ((size_t)1 << 25)
#define WF_MAX_SAMPLES 1000000
/* The most instructions one cpu step may be, a time turned into them. */
#define WF_MAX_INSTRUCTIONS 1e15

/* The longest cold_resume window or wait: a second (or 10^9
 * instructions). */
#define WF_COLD_MAX_NS 1e9

/* "--pages", ... by enum sim_wf_flag (run.h). */
extern const char *const wf_flag_names[SIM_WF_FLAGS]; /* "--pages", ... */

struct wf_step {
    enum wl_step_kind kind;
    struct wl_dist value; /* cpu, countdown: instructions or ns;
                             sleep, native: ns */
    double scale;         /* ns (or instructions) per unit of value */
    int in_ns;            /* cpu: 1 if given as a time, 0 instructions */
    int lock;             /* lock, unlock: the lock's index */
    int decode;           /* cpu: per byte of the last body (decode) */
    int code_call;        /* countdown, spin: a call of the program's
                             function (quickened from its 8th call) */
    int until;            /* spin: until an ends_run task has ended */
    int split;            /* countdown: value is the total of the kind's
                             tasks, split evenly among them */
    /* fetch: its own latency (ns) and size (bytes), WL_FETCH_* bits */
    unsigned fetch_own;
    int sized; /* read, write: size (bytes) is the amount */
    struct wl_dist latency, size;
    double latency_scale, size_scale;
};

struct wf_kind {
    char name[64];
    double weight;
    int64_t tasks; /* a fixed number of tasks; -1: drawn by weight */
    int ends_run;  /* its tasks' end stops the spin steps */
    size_t n_steps, cap;
    struct wf_step *steps; /* flattened; owned */
};

/* An allocation of samples, shared by the copies of a repeated step. */
struct wf_owned {
    struct wf_owned *next;
    double v[];
};

struct wf_spec {
    char name[64];
    int64_t tasks; /* all of them */
    int fixed;     /* 1: each kind has its own count, laid out in order */
    size_t n_kinds;
    struct wf_kind *kinds;
    int n_locks;
    char locks[WL_MAX_LOCKS][64];
    unsigned flags_used; /* bit f: the file names wf_flag_names[f] */
    /* "cold_resume", when cold_set: the window in ns (or instructions,
     * cold_window_in_ns 0), and the wait that makes a resume cold. */
    int cold_set, cold_window_in_ns;
    double cold_window;
    int64_t cold_after_ns;
    struct wf_owned *owned;
};

/* Read `text` (named `file` in errors) into *spec. 0, or -errno with one
 * line in err and nothing left in spec. */
int wf_read(const char *text, size_t len, const char *file,
            const struct sim_wf_params *p, struct wf_spec *spec, char *err,
            size_t errlen);
/* wf_read of the file at path (build.c), with its reading's error. */
int wf_read_path(const char *path, const struct sim_wf_params *p,
                 struct wf_spec *spec, char *err, size_t errlen);
void wf_spec_clear(struct wf_spec *spec);
/* The tasks, drawn from p->seed. 0 or -errno (-ENOMEM). */
int wf_build(const struct wf_spec *spec, const struct sim_wf_params *p,
             struct wl_workload **out);
/* What one draw of a value means in ns, for describe: the value's mean
 * times its scale (an instruction as p->instr_ns). */
double wf_step_mean_ns(const struct wf_step *s, double instr_ns);

#endif /* GILSIM_WFILE_H */
