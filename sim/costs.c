/*
 * costs.c - the one home of what the simulation charges for interpreter
 * work (struct sim_costs): the defaults, calibration.json, and how the
 * costs in use are reported.
 *
 * The defaults are the constants gilsim used before `gilsim calibrate`
 * existed, unchanged, so every figure in the README holds without a
 * calibration file: instr_ns from CPython 3.11's countdown, the I/O costs
 * measured with python3-requests (docs/io.md), the executor's timeit
 * estimates (models/executor.c) and the processes model's IPC estimate
 * (models/processes.c). cond_wake_ns and timer_slack_ns are this
 * machine's, from calibrate.c's C micro-benchmarks (see below).
 *
 * A table lists every cost with its JSON key, its type and its accepted
 * range, so that writing, reading, the summary and the checks all walk
 * the same list. calibration.json is one flat object:
 *
 *     {"format": "gilsim-calibration", "format_version": 3,
 *      "gilsim_version", "python", "python_version", "cores", "date",
 *      one key per cost, "measured": [names], "defaults": [names]}
 *
 * and is read strictly (json_flat.c, on libjansson): every cost must be there,
 * in range, and counts must be whole; unknown keys are skipped so that a later
 * version's file still reads. Doubles are written with the fewest digits
 * that read back to the same value, so a file round-trips exactly.
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base.h"
#include "calibrate.h"

#define CALIBRATION_FORMAT  "gilsim-calibration"
#define CALIBRATION_VERSION 3

/*
 * Each client's request, in instructions. `gilsim calibrate
 * --python=/usr/bin/python3.11` three times in a row on this machine
 * (Debian 12's CPython 3.11.2, python3-requests 2.28.1, python3-aiohttp
 * 3.8.4; CPU per request of a 1 KiB page, in instructions of that run)
 * gave, as medians: requests.Session.get 189389, requests.get 226914,
 * urllib urlopen 74970, aiohttp get + text() 68394. That CPU includes the
 * kernel's socket work, which the real engine's libcurl does for real, so
 * the default Session cost stays the 130000 that the fidelity runs fit
 * (docs/fidelity.md), and requests.get and urllib are scaled from it by
 * the measured ratios, 1.20 and 0.40. aiohttp's is not: scaled (0.36,
 * 47000) the loop of 1000 pages of 8 KiB at 20 ms ran in 0.63-0.66 of
 * CPython's wall time, where 130000 gave 0.75-0.93, before the loop's
 * three executor hops a write were modelled (hop_instructions); the
 * request's cost stood in for them, and the fidelity grid is to say
 * what it should be now. A calibration
 * file's measured aiohttp cost is used as it is.
 */
#define REQUEST_NEW_DEFAULT     156000
#define REQUEST_URLLIB_DEFAULT  52000
#define REQUEST_AIOHTTP_DEFAULT 130000

/*
 * One run_in_executor hop of the event loop (aiofiles makes three a
 * write: open, write, close): the CPU of `await loop.run_in_executor(None,
 * abs, 1)` on Debian's CPython 3.11.2 is 135-160 us a hop one after
 * another, and 100 us a hop more per page when a 1000-page seed makes
 * three empty hops a page (0.78-0.85 ms of CPU a page against 0.46-0.53
 * ms without), and 49 us a hop with 300 coroutines under way (what
 * `gilsim calibrate` measures). The default is the last: 12000
 * instructions of 4.1 ns; the real engine makes the thread wake-ups and
 * the self-pipe writes for real besides.
 */
#define HOP_DEFAULT 12000

/*
 * Receiving a body, per byte, besides chunk_instructions per 8 KiB chunk:
 * requests.Session.get(url).content of a 4 MiB page took 12.75 ms of CPU
 * on Debian's CPython 3.11.2 here, against about 1 ms for 1 KiB: 2.8 ns a
 * byte, kernel copies included (libcurl makes those for real, about
 * 0.5 ns a byte), of which chunk_instructions stands for 0.36: 1.9 ns,
 * 0.47 instructions of 4.1 ns, remain.
 */
#define RECV_DEFAULT 0.47

/*
 * A fetch's Python work right after its thread was off the GIL for a
 * millisecond or more (a lost wait, a slow reply) runs with cold caches
 * on this VM (bench/fidelity/cold_resume.py: http.client's parsing of a
 * reply took 30-60 us of CPU back to back and 230-340 us right after a
 * 5 ms sleep). In the convoy, CPython's I/O thread spent 177 us of CPU
 * between sendall's return and recv_into's call beside a CPU thread, and
 * 34 us alone (calltimes.py): 143 us more, 35000 instructions of 4.1 ns.
 * gilsim's own work is a spin loop that fits in L1 and resumes at full
 * speed, so the model adds it: after a fetch's waits, and after a forced
 * switch that kept a CPU thread off the GIL as long, as a window of that
 * many instructions at double cost (CPython's 8
 * countdown threads at 0.5 ms realize only 1.2-1.45 of the quickened
 * speed-up; with this, gilsim's 1.06-1.12 of CPython's time).
 */
#define COLD_DEFAULT 35000

/*
 * CPython 3.11 quickens a function's code at its 8th call
 * (QUICKENING_WARMUP_DELAY; RESUME counts calls, a loop's backward jump
 * does not), and until then runs its generic bytecode. `countdown(30M)`
 * after 0-6 calls of the function took 30-45 ns an iteration here, after
 * 7 or more 19-24 (bench/fidelity/quicken.py, docs/fidelity.md). The
 * default instr_ns (4.1) was fitted to the countdown of the seed's
 * programs, which call it once a thread: an unquickened instruction, as
 * instr_ns is. The speed-up is about the median of five calibrations'
 * (1.72, 1.75, 1.81, 1.81, 1.82 with Debian's CPython 3.11.2).
 */
#define QUICKENED_DEFAULT     1.8
#define QUICKEN_CALLS_DEFAULT 8

static const struct sim_costs default_costs = {
    .instr_ns = 4.1,
    .request_instructions = 130000,
    .chunk_instructions = 720,
    .decode_instr_per_byte = 0.018,
    .write_instr_per_byte = 0.0054,
    .submit_instructions = 1600,
    .result_instructions = 1150,
    .collect_instructions = 260,
    .result_ipc_instructions = 4000,
    .worker_start_ns = 0,
    /* The parent's side of Pool(): 0 as worker_start_ns, so that the
     * defaults' figures stand; `gilsim calibrate` measures them. */
    .pool_start_ns = 0,
    .pool_fork_ns = 0,
    /* A process's first requests.get: 0 by default, as the above. */
    .first_fetch_instructions = 0,
    .first_fetch_forked_instructions = 0,
    /* ThreadPool's queues and handler threads, a task: 0 by default, so
     * that the defaults' figures stand (`gilsim calibrate`: 2.6 us). */
    .threadpool_task_instructions = 0,
    /*
     * This machine's (Debian 12, 2 cores shared with other jobs, the dev
     * build), from calibrate.c's C side: `build/dev/gilsim calibrate
     * --quiet` three times in a row gave cond_wake_ns 3956, 3966, 3925
     * (2000 condvar ping-pongs between two threads, half a round trip,
     * p50) and timer_slack_ns 72974, 65152, 65272 (100 timed waits of
     * 1 ms, lateness past the deadline, p50). The medians of the three.
     */
    .cond_wake_ns = 3956,
    .timer_slack_ns = 65272,
    /* Per client (--client): see REQUEST_NEW_DEFAULT. */
    .request_new_instructions = REQUEST_NEW_DEFAULT,
    .request_urllib_instructions = REQUEST_URLLIB_DEFAULT,
    .request_aiohttp_instructions = REQUEST_AIOHTTP_DEFAULT,
    .hop_instructions = HOP_DEFAULT,
    .recv_instr_per_byte = RECV_DEFAULT,
    .recv_instr_per_byte_64k = RECV_DEFAULT,
    .recv_instr_per_byte_1m = RECV_DEFAULT,
    .recv_instr_per_byte_4m = RECV_DEFAULT,
    .quickened_speedup = QUICKENED_DEFAULT,
    .quicken_calls = QUICKEN_CALLS_DEFAULT,
    .cold_instructions = COLD_DEFAULT,
    .source = "defaults",
    .python_version = "",
    .cores = 0,
};

struct cost_field {
    const char *name;
    int is_double;
    size_t off;
    double lo, hi; /* accepted range, inclusive */
    int since;     /* the format version that added it */
};

static const struct cost_field fields[SIM_COST_COUNT] = {
    {"instr_ns", 1, offsetof(struct sim_costs, instr_ns), 1e-6, 1e9, 1},
    {"request_instructions", 0,
     offsetof(struct sim_costs, request_instructions), 0, 1e12, 1},
    {"chunk_instructions", 0, offsetof(struct sim_costs, chunk_instructions), 0,
     1e12, 1},
    {"decode_instr_per_byte", 1,
     offsetof(struct sim_costs, decode_instr_per_byte), 0, 1e6, 1},
    {"write_instr_per_byte", 1,
     offsetof(struct sim_costs, write_instr_per_byte), 0, 1e6, 1},
    {"submit_instructions", 0, offsetof(struct sim_costs, submit_instructions),
     0, 1e12, 1},
    {"result_instructions", 0, offsetof(struct sim_costs, result_instructions),
     0, 1e12, 1},
    {"collect_instructions", 0,
     offsetof(struct sim_costs, collect_instructions), 0, 1e12, 1},
    {"result_ipc_instructions", 0,
     offsetof(struct sim_costs, result_ipc_instructions), 0, 1e12, 1},
    {"worker_start_ns", 0, offsetof(struct sim_costs, worker_start_ns), 0, 60e9,
     1},
    {"cond_wake_ns", 0, offsetof(struct sim_costs, cond_wake_ns), 0, 10e9, 1},
    {"timer_slack_ns", 0, offsetof(struct sim_costs, timer_slack_ns), 0, 10e9,
     1},
    {"request_new_instructions", 0,
     offsetof(struct sim_costs, request_new_instructions), 0, 1e12, 2},
    {"request_urllib_instructions", 0,
     offsetof(struct sim_costs, request_urllib_instructions), 0, 1e12, 2},
    {"request_aiohttp_instructions", 0,
     offsetof(struct sim_costs, request_aiohttp_instructions), 0, 1e12, 2},
    {"hop_instructions", 0, offsetof(struct sim_costs, hop_instructions), 0,
     1e12, 2},
    {"recv_instr_per_byte", 1, offsetof(struct sim_costs, recv_instr_per_byte),
     0, 1e6, 2},
    {"cold_instructions", 0, offsetof(struct sim_costs, cold_instructions), 0,
     1e12, 2},
    {"recv_instr_per_byte_64k", 1,
     offsetof(struct sim_costs, recv_instr_per_byte_64k), 0, 1e6, 3},
    {"recv_instr_per_byte_1m", 1,
     offsetof(struct sim_costs, recv_instr_per_byte_1m), 0, 1e6, 3},
    {"recv_instr_per_byte_4m", 1,
     offsetof(struct sim_costs, recv_instr_per_byte_4m), 0, 1e6, 3},
    {"quickened_speedup", 1, offsetof(struct sim_costs, quickened_speedup), 1,
     100, 3},
    {"quicken_calls", 0, offsetof(struct sim_costs, quicken_calls), 0, 1000000,
     3},
    {"pool_start_ns", 0, offsetof(struct sim_costs, pool_start_ns), 0, 60e9, 3},
    {"pool_fork_ns", 0, offsetof(struct sim_costs, pool_fork_ns), 0, 60e9, 3},
    {"first_fetch_instructions", 0,
     offsetof(struct sim_costs, first_fetch_instructions), 0, 1e12, 3},
    {"first_fetch_forked_instructions", 0,
     offsetof(struct sim_costs, first_fetch_forked_instructions), 0, 1e12, 3},
    {"threadpool_task_instructions", 0,
     offsetof(struct sim_costs, threadpool_task_instructions), 0, 1e12, 3},
};

void
sim_costs_default(struct sim_costs *c)
{
    *c = default_costs;
}

const struct sim_costs *
sim_costs_or_default(const struct sim_costs *c)
{
    return c != NULL ? c : &default_costs;
}

const char *
sim_cost_name(enum sim_cost_field f)
{
    if ((unsigned)f >= SIM_COST_COUNT) {
        return "?";
    }
    return fields[f].name;
}

double
sim_cost_get(const struct sim_costs *c, enum sim_cost_field f)
{
    const char *p = (const char *)c + fields[f].off;

    if (fields[f].is_double) {
        return *(const double *)(const void *)p;
    }
    return (double)*(const int64_t *)(const void *)p;
}

void
sim_cost_set(struct sim_costs *c, enum sim_cost_field f, double v)
{
    char *p = (char *)c + fields[f].off;

    if (fields[f].is_double) {
        *(double *)(void *)p = v;
    } else {
        *(int64_t *)(void *)p = (int64_t)llround(v);
    }
}

int
sim_cost_in_range(enum sim_cost_field f, double v)
{
    if ((unsigned)f >= SIM_COST_COUNT) {
        return 0;
    }
    return v >= fields[f].lo && v <= fields[f].hi;
}

/* A double with the fewest of 15, 16 or 17 digits that reads back
 * exactly. */
static void
put_double(FILE *f, double v)
{
    char buf[40];
    int prec;

    for (prec = 15; prec < 17; prec++) {
        (void)snprintf(buf, sizeof(buf), "%.*g", prec, v);
        if (strtod(buf, NULL) == v) {
            break;
        }
    }
    (void)snprintf(buf, sizeof(buf), "%.*g", prec, v);
    fputs(buf, f);
}

static void
put_cost(FILE *f, const struct sim_costs *c, enum sim_cost_field i)
{
    if (fields[i].is_double) {
        put_double(f, sim_cost_get(c, i));
    } else {
        const char *p = (const char *)c + fields[i].off;

        fprintf(f, "%lld", (long long)*(const int64_t *)(const void *)p);
    }
}

/* ["name", ...] of the costs whose bit in `mask` is `want`. */
static void
put_names(FILE *f, unsigned mask, unsigned want)
{
    int first = 1;
    int i;

    putc('[', f);
    for (i = 0; i < SIM_COST_COUNT; i++) {
        if (((mask >> i) & 1u) != want) {
            continue;
        }
        fprintf(f, "%s\"%s\"", first ? "" : ", ", fields[i].name);
        first = 0;
    }
    putc(']', f);
}

int
sim_calibration_write(const struct sim_calibration *cal, FILE *f)
{
    int i;

    fprintf(f, "{\n  \"format\": \"%s\",\n  \"format_version\": %d,\n",
            CALIBRATION_FORMAT, CALIBRATION_VERSION);
    fputs("  \"gilsim_version\": ", f);
    sim_trace_json_string(f, cal->gilsim_version, SIZE_MAX);
    fputs(",\n  \"python\": ", f);
    sim_trace_json_string(f, cal->python, SIZE_MAX);
    fputs(",\n  \"python_version\": ", f);
    sim_trace_json_string(f, cal->costs.python_version, SIZE_MAX);
    fprintf(f, ",\n  \"cores\": %d,\n  \"date\": ", cal->costs.cores);
    sim_trace_json_string(f, cal->date, SIZE_MAX);
    for (i = 0; i < SIM_COST_COUNT; i++) {
        fprintf(f, ",\n  \"%s\": ", fields[i].name);
        put_cost(f, &cal->costs, (enum sim_cost_field)i);
    }
    fputs(",\n  \"measured\": ", f);
    put_names(f, cal->measured, 1u);
    fputs(",\n  \"defaults\": ", f);
    put_names(f, cal->measured, 0u);
    fputs("\n}\n", f);
    return ferror(f) ? -EIO : 0;
}

/* ---- reading calibration.json ------------------------------------------- */

struct read_ctx {
    struct sim_calibration *cal;
    unsigned seen;   /* bit per cost */
    int have_format; /* "format" and "format_version" both right */
    int have_version, have_cores, have_python_version;
};

static int
find_field(const char *key)
{
    int i;

    for (i = 0; i < SIM_COST_COUNT; i++) {
        if (strcmp(key, fields[i].name) == 0) {
            return i;
        }
    }
    return -1;
}

static int
copy_string(const struct sim_json_value *v, const char *key, char *dst,
            size_t len, char *err, size_t errlen)
{
    if (v->type != SIM_JSON_STRING || strlen(v->string) >= len) {
        (void)snprintf(err, errlen,
                       "\"%s\" is not a string of at most %zu "
                       "bytes",
                       key, len - 1);
        return -EBADMSG;
    }
    (void)snprintf(dst, len, "%s", v->string);
    return 0;
}

static int
read_member(const char *key, const struct sim_json_value *v, void *vctx,
            char *err, size_t errlen)
{
    struct read_ctx *rc = vctx;
    struct sim_calibration *cal = rc->cal;
    int i = find_field(key);

    if (i >= 0) {
        const struct cost_field *fd = &fields[i];

        if ((rc->seen >> i) & 1u) {
            (void)snprintf(err, errlen, "\"%s\" appears twice", key);
            return -EBADMSG;
        }
        if (v->type != SIM_JSON_NUMBER || v->number < fd->lo ||
            v->number > fd->hi ||
            (!fd->is_double && v->number != floor(v->number))) {
            (void)snprintf(err, errlen, "\"%s\" must be a %s from %g to %g",
                           key, fd->is_double ? "number" : "whole number",
                           fd->lo, fd->hi);
            return -EBADMSG;
        }
        sim_cost_set(&cal->costs, (enum sim_cost_field)i, v->number);
        rc->seen |= 1u << i;
        return 0;
    }
    if (strcmp(key, "format") == 0) {
        if (v->type != SIM_JSON_STRING ||
            strcmp(v->string, CALIBRATION_FORMAT) != 0) {
            (void)snprintf(err, errlen,
                           "\"format\" is not \"" CALIBRATION_FORMAT "\"");
            return -EBADMSG;
        }
        rc->have_format |= 1;
    } else if (strcmp(key, "format_version") == 0) {
        if (v->type != SIM_JSON_NUMBER || v->number < 1 ||
            v->number > (double)CALIBRATION_VERSION ||
            v->number != floor(v->number)) {
            (void)snprintf(err, errlen,
                           "\"format_version\" is not one this gilsim reads "
                           "(1 to %d)",
                           CALIBRATION_VERSION);
            return -EBADMSG;
        }
        cal->format_version = (int)v->number;
        rc->have_format |= 2;
    } else if (strcmp(key, "cores") == 0) {
        if (v->type != SIM_JSON_NUMBER || v->number < 1 || v->number > 1e6 ||
            v->number != floor(v->number)) {
            (void)snprintf(err, errlen,
                           "\"cores\" must be a whole number from 1 to 1M");
            return -EBADMSG;
        }
        cal->costs.cores = (int)v->number;
        rc->have_cores = 1;
    } else if (strcmp(key, "python_version") == 0) {
        rc->have_python_version = 1;
        return copy_string(v, key, cal->costs.python_version,
                           sizeof(cal->costs.python_version), err, errlen);
    } else if (strcmp(key, "python") == 0) {
        return copy_string(v, key, cal->python, sizeof(cal->python), err,
                           errlen);
    } else if (strcmp(key, "date") == 0) {
        return copy_string(v, key, cal->date, sizeof(cal->date), err, errlen);
    } else if (strcmp(key, "gilsim_version") == 0) {
        rc->have_version = 1;
        return copy_string(v, key, cal->gilsim_version,
                           sizeof(cal->gilsim_version), err, errlen);
    } else if (strcmp(key, "measured") == 0) {
        const char *s = v->string;
        size_t k;

        if (v->type != SIM_JSON_ARRAY) {
            (void)snprintf(err, errlen,
                           "\"measured\" is not an array of cost names");
            return -EBADMSG;
        }
        for (k = 0; k < v->n; k++, s += strlen(s) + 1) {
            int m = find_field(s);

            if (m < 0) {
                (void)snprintf(err, errlen,
                               "\"measured\" names an unknown cost \"%.64s\"",
                               s);
                return -EBADMSG;
            }
            cal->measured |= 1u << m;
        }
    }
    /* Other keys ("defaults", and a later version's) are skipped. */
    return 0;
}

int
sim_calibration_read(const char *path, struct sim_calibration *cal, char *err,
                     size_t errlen)
{
    struct read_ctx rc;
    char perr[256];
    char *text = NULL;
    size_t len = 0;
    int i;
    int r;

    memset(cal, 0, sizeof(*cal));
    sim_costs_default(&cal->costs);
    r = base_read_file(path, BASE_MAX_SMALL, &text, &len);
    if (r != 0) {
        base_errf(err, errlen, -r, "cannot read it");
        return r;
    }
    memset(&rc, 0, sizeof(rc));
    rc.cal = cal;
    perr[0] = '\0';
    r = sim_flatjson_parse(text, len, read_member, &rc, perr, sizeof(perr));
    free(text);
    if (r == -ENOMEM) {
        (void)snprintf(err, errlen, "out of memory");
        return r;
    }
    if (r != 0) {
        (void)snprintf(err, errlen, "not a calibration file: %s", perr);
        return -EBADMSG;
    }
    if (rc.have_format != 3) {
        (void)snprintf(err, errlen,
                       "not a calibration file: \"format\" or "
                       "\"format_version\" is missing");
        return -EBADMSG;
    }
    for (i = 0; i < SIM_COST_COUNT; i++) {
        if ((rc.seen >> i) & 1u) {
            continue;
        }
        if (fields[i].since > cal->format_version) {
            /* An older file: this cost keeps its default, and the run
             * says so (sim_costs_load_options). */
            cal->missing |= 1u << i;
            continue;
        }
        (void)snprintf(err, errlen, "not a calibration file: \"%s\" is missing",
                       fields[i].name);
        return -EBADMSG;
    }
    /* An older file's instr_ns is the countdown of a function called many
     * times (quickened): model it as that gilsim did, with no speed-up,
     * rather than apply the default one on top (warn_missing says so). */
    if ((cal->missing >> SIM_COST_QUICKENED) & 1u) {
        cal->costs.quickened_speedup = 1.0;
    }
    /* A format-2 file measured one receive slope: its curve is flat at
     * that slope, not the defaults' past 64 KiB (warn_missing says so). */
    if (!((cal->missing >> SIM_COST_RECV) & 1u)) {
        for (i = SIM_COST_RECV_64K; i <= SIM_COST_RECV_4M; i++) {
            if ((cal->missing >> i) & 1u) {
                sim_cost_set(&cal->costs, (enum sim_cost_field)i,
                             cal->costs.recv_instr_per_byte);
            }
        }
    }
    if (!rc.have_cores || !rc.have_python_version) {
        (void)snprintf(err, errlen, "not a calibration file: \"%s\" is missing",
                       rc.have_cores ? "python_version" : "cores");
        return -EBADMSG;
    }
    (void)snprintf(cal->costs.source, sizeof(cal->costs.source), "%s", path);
    return 0;
}

/* ---- using it ------------------------------------------------------------ */

/* How a cost an older file lacks is stood in for: 0 its default; 1 a
 * receive band whose first band the file has, read as that band; 2 the
 * quickening, off (sim_calibration_read). */
static int
stand_in(const struct sim_calibration *cal, int i)
{
    if (i >= SIM_COST_RECV_64K && i <= SIM_COST_RECV_4M &&
        !((cal->missing >> SIM_COST_RECV) & 1u)) {
        return 1;
    }
    return i == SIM_COST_QUICKENED || i == SIM_COST_QUICKEN_CALLS ? 2 : 0;
}

/* Never silently: one line naming the costs an older file lacks. */
static void
warn_missing(const char *path, const struct sim_calibration *cal, FILE *err)
{
    int i, pass, first, any = 0;

    fprintf(err, "gilsim: warning: --calibration=%.1000s (format %d) has no ",
            path, cal->format_version);
    for (pass = 0; pass < 3; pass++) {
        first = 1;
        for (i = 0; i < SIM_COST_COUNT; i++) {
            if (((cal->missing >> i) & 1u) && stand_in(cal, i) == pass) {
                fprintf(err, "%s%s",
                        !first ? ", "
                        : any  ? "; no "
                               : "",
                        fields[i].name);
                first = 0;
                any = 1;
            }
        }
        if (!first) {
            fputs(pass == 1 ? " (its recv_instr_per_byte is used for every "
                              "body size)"
                  : pass == 2
                      ? " (no quickening: its instr_ns is the countdown's "
                        "as that gilsim measured it)"
                      : " (their defaults are used)",
                  err);
        }
    }
    fputs(": gilsim calibrate measures them\n", err);
}

int
sim_costs_load_options(struct sim_options *o, FILE *err)
{
    struct sim_calibration *cal;
    struct sim_costs keep;
    char msg[SIM_ERR_LEN];
    long cores;

    if (o->calibration[0] == '\0') {
        return SIM_EXIT_OK;
    }
    cal = malloc(sizeof(*cal));
    if (cal == NULL) {
        fprintf(err, "gilsim: out of memory\n");
        return SIM_EXIT_ERROR;
    }
    if (sim_calibration_read(o->calibration, cal, msg, sizeof(msg)) != 0) {
        fprintf(err,
                "gilsim: --calibration=%.1000s: %s (expected a file written "
                "by gilsim calibrate)\n",
                o->calibration, msg);
        free(cal);
        return SIM_EXIT_USAGE;
    }
    keep = o->costs;
    o->costs = cal->costs;
    if (cal->missing != 0) {
        warn_missing(o->calibration, cal, err);
    }
    free(cal);
    if (o->costs_given & SIM_COST_GIVEN_INSTR_NS) {
        o->costs.instr_ns = keep.instr_ns;
    }
    if (o->costs_given & SIM_COST_GIVEN_WORKER_START) {
        o->costs.worker_start_ns = keep.worker_start_ns;
    }
    cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cores > 0 && cores != o->costs.cores) {
        fprintf(err,
                "gilsim: warning: --calibration=%.1000s was measured on %d "
                "cores; this machine has %ld\n",
                o->calibration, o->costs.cores, cores);
    }
    return SIM_EXIT_OK;
}

void
sim_costs_write_json(const struct sim_costs *c, unsigned given, int indent,
                     FILE *f)
{
    int i;

    fprintf(f, "{\n%*s\"source\": ", indent + 2, "");
    sim_trace_json_string(f, c->source, SIZE_MAX);
    fprintf(f, ",\n%*s\"python_version\": ", indent + 2, "");
    sim_trace_json_string(f, c->python_version, SIZE_MAX);
    fprintf(f, ",\n%*s\"cores\": %d", indent + 2, "", c->cores);
    for (i = 0; i < SIM_COST_COUNT; i++) {
        fprintf(f, ",\n%*s\"%s\": ", indent + 2, "", fields[i].name);
        put_cost(f, c, (enum sim_cost_field)i);
    }
    fprintf(f, ",\n%*s\"from_command_line\": [", indent + 2, "");
    if (given & SIM_COST_GIVEN_INSTR_NS) {
        fputs("\"instr_ns\"", f);
    }
    if (given & SIM_COST_GIVEN_WORKER_START) {
        fprintf(f, "%s\"worker_start_ns\"",
                (given & SIM_COST_GIVEN_INSTR_NS) ? ", " : "");
    }
    fprintf(f, "]\n%*s}", indent, "");
}

void
sim_costs_print_line(const struct sim_costs *c, unsigned given, FILE *f)
{
    fprintf(f, "costs: %s", c->source);
    if (c->python_version[0] != '\0') {
        fprintf(f, " (Python %s, %d cores)", c->python_version, c->cores);
    }
    if (given != 0) {
        fprintf(f, ", %s%s%s from the command line",
                (given & SIM_COST_GIVEN_INSTR_NS) ? "--instr-ns" : "",
                given == (SIM_COST_GIVEN_INSTR_NS | SIM_COST_GIVEN_WORKER_START)
                    ? " and "
                    : "",
                (given & SIM_COST_GIVEN_WORKER_START) ? "--worker-start" : "");
    }
    fprintf(f, "; an instruction is %.3g ns\n", c->instr_ns);
}
