/*
 * describe.c - gilsim workload check: what a task of each kind of a
 * workload file looks like, and what the whole workload asks for.
 *
 * The file is read as --workload=FILE reads it (read.c, with the run's
 * flags for the counts that name them); each kind's steps are printed in
 * order, a run of identical steps (a repeat's) once with its count, a
 * lock's steps indented under it, with each value's mean and
 * distribution; then a task's mean time under the GIL, in native code,
 * asleep and blocked on nothing else, and the workload's totals: its
 * time under the GIL is what any model with one GIL must run in turn.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "wfile.h"

/* A time in ns, in the unit that reads best. */
static void
put_ns(FILE *f, double ns)
{
    if (ns >= 1e9) {
        fprintf(f, "%.3g s", ns / 1e9);
    } else if (ns >= 1e6) {
        fprintf(f, "%.3g ms", ns / 1e6);
    } else {
        fprintf(f, "%.3g us", ns / 1e3);
    }
}

/* A size in bytes, in the unit that reads best. */
static void
put_bytes(FILE *f, double b)
{
    if (b >= 1048576.0) {
        fprintf(f, "%.3g MiB", b / 1048576.0);
    } else if (b >= 1024.0) {
        fprintf(f, "%.3g KiB", b / 1024.0);
    } else {
        fprintf(f, "%.0f B", b);
    }
}

/* A value of d (times k, in put's unit): its mean and, for a
 * distribution, what it is. */
static void
put_dist(FILE *f, const struct wl_dist *d, double k,
         void (*put)(FILE *, double))
{
    fputs(d->kind == WL_DIST_CONST ? "" : "mean ", f);
    put(f, wl_dist_mean(d) * k);
    switch (d->kind) {
    case WL_DIST_CONST:
        break;
    case WL_DIST_UNIFORM:
        fputs(": uniform, ", f);
        put(f, d->a * k);
        fputs(" to ", f);
        put(f, d->b * k);
        break;
    case WL_DIST_EXPONENTIAL:
        fputs(": exponential", f);
        break;
    case WL_DIST_LOGNORMAL:
        fputs(": log-normal, p50 ", f);
        put(f, exp(d->a) * k);
        fputs(", p99 ", f);
        put(f, exp(d->a + 2.3263478740408408 * d->b) * k);
        break;
    case WL_DIST_EMPIRICAL:
        fprintf(f, ": %zu samples", d->n);
        break;
    }
}

/* A step's value, as a time; in instructions too if given so. */
static void
put_value(FILE *f, const struct wf_step *s, double instr_ns)
{
    put_dist(f, &s->value, s->scale * (s->in_ns ? 1.0 : instr_ns), put_ns);
    if (!s->in_ns) {
        fprintf(f, " (%.0f instructions)", wl_dist_mean(&s->value) * s->scale);
    }
}

/* What a task of one kind costs on average. */
struct cost {
    double cpu, native, sleep; /* ns */
    double fetches, writes, reads, decodes;
    int spins;
};

/* What `times` of step s add to a task's cost c. */
static void
count_step(const struct wf_step *s, size_t tasks_of_kind, double instr_ns,
           size_t times, struct cost *c)
{
    double ns = wf_step_mean_ns(s, instr_ns) * (double)times;

    switch (s->kind) {
    case WL_STEP_CPU:
        if (s->decode) {
            c->decodes += (double)times;
        } else if (s->until) {
            c->spins = 1;
        } else {
            c->cpu += s->split
                          ? ns / (double)(tasks_of_kind > 0 ? tasks_of_kind : 1)
                          : ns;
        }
        break;
    case WL_STEP_NATIVE:
        c->native += ns;
        break;
    case WL_STEP_SLEEP:
        c->sleep += ns;
        break;
    case WL_STEP_FETCH:
        c->fetches += (double)times;
        break;
    case WL_STEP_WRITE:
        c->writes += (double)times;
        break;
    case WL_STEP_READ:
        c->reads += (double)times;
        break;
    default:
        break;
    }
}

/* One step's line, and what it adds to c (times `times`). */
static void
put_step(FILE *out, const struct wf_spec *sp, const struct wf_step *s,
         size_t tasks_of_kind, double instr_ns, int depth, size_t times,
         struct cost *c)
{
    static const char *const names[] = {"cpu",    "sleep", "fetch",  "write",
                                        "native", "lock",  "unlock", "read"};
    const char *name = names[s->kind];

    if (s->kind == WL_STEP_CPU) {
        name = s->decode      ? "decode"
               : s->until     ? "spin"
               : s->code_call ? "countdown"
                              : "cpu";
    }
    fprintf(out, "    %*s%-9s ", 2 * depth, "", name);
    switch (s->kind) {
    case WL_STEP_CPU:
        if (s->decode) {
            fputs("the body fetched last, as text (r.text): the client's "
                  "cost per byte",
                  out);
        } else if (s->until) {
            fputs("a call of a Python loop that runs until a task of an "
                  "ends_run kind has ended",
                  out);
        } else {
            if (s->split) {
                fprintf(out, "a share of %.0f iterations: ",
                        wl_dist_mean(&s->value));
                put_ns(out,
                       wf_step_mean_ns(s, instr_ns) /
                           (double)(tasks_of_kind > 0 ? tasks_of_kind : 1));
            } else {
                put_value(out, s, instr_ns);
            }
            if (s->code_call) {
                fputs(", a call of count(n) (quickened from its 8th)", out);
            }
        }
        break;
    case WL_STEP_SLEEP:
    case WL_STEP_NATIVE:
        put_value(out, s, instr_ns);
        fputs(s->kind == WL_STEP_NATIVE ? " on a core, without the GIL" : "",
              out);
        break;
    case WL_STEP_FETCH:
        if (s->fetch_own == 0) {
            fputs("a page of the run's server (or --url), with the GIL "
                  "released",
                  out);
            break;
        }
        fputs("a page of gilsim's server, with the GIL released", out);
        if (s->fetch_own & WL_FETCH_LATENCY) {
            fputs("; latency ", out);
            put_dist(out, &s->latency, s->latency_scale, put_ns);
        }
        if (s->fetch_own & WL_FETCH_SIZE) {
            fputs("; size ", out);
            put_dist(out, &s->size, s->size_scale, put_bytes);
        }
        break;
    case WL_STEP_WRITE:
        if (s->sized) {
            put_dist(out, &s->size, s->size_scale, put_bytes);
            fputs(" to a file of the task's own, with the GIL released", out);
        } else {
            fputs("the page the task fetched last, to a file", out);
        }
        break;
    case WL_STEP_READ:
        put_dist(out, &s->size, s->size_scale, put_bytes);
        fputs(" of a file, with the GIL released", out);
        break;
    case WL_STEP_LOCK:
        fprintf(out, "\"%s\" (a threading.Lock; waits without the GIL)",
                sp->locks[s->lock]);
        break;
    case WL_STEP_UNLOCK:
        fprintf(out, "\"%s\"", sp->locks[s->lock]);
        break;
    }
    if (times > 1) {
        fprintf(out, ", %zu times", times);
    }
    fputc('\n', out);
    count_step(s, tasks_of_kind, instr_ns, times, c);
}

/* How many times the block of *p steps at j repeats back to back (a
 * repeat's unrolled steps): the block of 1 to 32 steps covering the most
 * steps, at least twice; else 1 (and *p = 1). */
static size_t
repeats(const struct wf_kind *k, size_t j, size_t *p)
{
    size_t left = k->n_steps - j, best = 1, q, n;

    *p = 1;
    for (q = 1; q <= 32 && 2 * q <= left; q++) {
        for (n = 1;
             (n + 1) * q <= left && memcmp(&k->steps[j + n * q], &k->steps[j],
                                           q * sizeof(k->steps[0])) == 0;
             n++) {
        }
        if (n >= 2 && n * q > best * *p) {
            best = n;
            *p = q;
            if (n * q == left) {
                break;
            }
        }
    }
    return best;
}

static void
put_kind(FILE *out, const struct wf_spec *sp, const struct wf_kind *kind,
         double share, double instr_ns, struct cost *c)
{
    double expected = sp->fixed ? (double)kind->tasks : share * sp->tasks;
    size_t j = 0;
    int depth = 0;

    if (sp->fixed) {
        fprintf(out, "  %s: %lld task%s%s\n",
                kind->name[0] != '\0' ? kind->name : "(no name)",
                (long long)kind->tasks, kind->tasks == 1 ? "" : "s",
                kind->ends_run ? "; the spin steps end when they have" : "");
    } else {
        fprintf(out, "  %s: weight %g, %.3g %% of tasks (%.0f expected)%s\n",
                kind->name[0] != '\0' ? kind->name : "(no name)", kind->weight,
                100.0 * share, expected,
                kind->ends_run ? "; the spin steps end when one has" : "");
    }
    memset(c, 0, sizeof(*c));
    while (j < kind->n_steps) {
        size_t p = 1, times = repeats(kind, j, &p), i;

        if (p == 1) {
            const struct wf_step *s = &kind->steps[j];

            depth -= s->kind == WL_STEP_UNLOCK;
            put_step(out, sp, s, (size_t)expected, instr_ns, depth, times, c);
            depth += s->kind == WL_STEP_LOCK;
        } else {
            /* A repeat's block, once, its costs counted `times` times. */
            fprintf(out, "    %*srepeat    %zu times:\n", 2 * depth, "", times);
            depth++;
            for (i = j; i < j + p; i++) {
                const struct wf_step *s = &kind->steps[i];

                depth -= s->kind == WL_STEP_UNLOCK;
                put_step(out, sp, s, (size_t)expected, instr_ns, depth, 1, c);
                depth += s->kind == WL_STEP_LOCK;
            }
            depth--;
            for (i = j; i < j + p; i++) {
                count_step(&kind->steps[i], (size_t)expected, instr_ns,
                           times - 1, c);
            }
        }
        j += p * times;
    }
    fputs("      a task, on average: ", out);
    put_ns(out, c->cpu);
    fputs(" of Python under the GIL, ", out);
    put_ns(out, c->native);
    fputs(" of native code and ", out);
    put_ns(out, c->sleep);
    fprintf(out, " asleep, %.0f fetch%s and %.0f write%s off it", c->fetches,
            c->fetches == 1 ? "" : "es", c->writes, c->writes == 1 ? "" : "s");
    if (c->reads > 0) {
        fprintf(out, ", %.0f read%s", c->reads, c->reads == 1 ? "" : "s");
    }
    if (c->decodes > 0) {
        fprintf(out, "; %.0f decode%s of what it fetched", c->decodes,
                c->decodes == 1 ? "" : "s");
    }
    fputs(c->spins ? "; and its spin\n" : "\n", out);
}

int
sim_workload_file_describe(const char *path, const struct sim_wf_params *p,
                           FILE *out, char *err, size_t errlen)
{
    struct wf_spec sp;
    size_t k;
    double total = 0.0, all_cpu = 0.0, all_sleep = 0.0, all_fetch = 0.0;
    double all_native = 0.0;
    int rc, f;

    rc = wf_read_path(path, p, &sp, err, errlen);
    if (rc != 0) {
        return rc;
    }
    for (k = 0; k < sp.n_kinds; k++) {
        total += sp.kinds[k].weight;
    }
    fprintf(out, "%s%s%s: %lld tasks of %zu kind%s; an instruction is %.3g ns",
            sp.name[0] != '\0' ? sp.name : path,
            sp.name[0] != '\0' ? " in " : "", sp.name[0] != '\0' ? path : "",
            (long long)sp.tasks, sp.n_kinds, sp.n_kinds == 1 ? "" : "s",
            p->instr_ns);
    for (f = 0; f < SIM_WF_FLAGS; f++) {
        if (sp.flags_used & (1u << f)) {
            const int64_t v[SIM_WF_FLAGS] = {p->pages, p->threads, p->count,
                                             p->ops, p->cpu_threads};

            fprintf(out, "; %s=%lld", wf_flag_names[f], (long long)v[f]);
        }
    }
    fputc('\n', out);
    for (k = 0; k < sp.n_kinds; k++) {
        const struct wf_kind *kind = &sp.kinds[k];
        double share = kind->weight / total;
        double n = sp.fixed ? (double)kind->tasks : share * (double)sp.tasks;
        struct cost c;

        put_kind(out, &sp, kind, share, p->instr_ns, &c);
        all_cpu += n * c.cpu;
        all_native += n * c.native;
        all_sleep += n * c.sleep;
        all_fetch += n * c.fetches;
    }
    fputs("all tasks, expected: ", out);
    put_ns(out, all_cpu);
    fputs(" of Python under the GIL (what one GIL must run in turn), ", out);
    put_ns(out, all_native);
    fputs(" of native code beside it, ", out);
    put_ns(out, all_sleep);
    fprintf(out, " of sleep, %.0f fetches\n", all_fetch);
    wf_spec_clear(&sp);
    return ferror(out) ? -EIO : 0;
}
