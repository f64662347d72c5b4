/*
 * record.c - `gilsim record [--out=DIR] [--] PROGRAM ARGS...`: run a
 * Python program unchanged with the probe, and keep what it did.
 *
 * 1. PROGRAM must be a CPython 3.8 or newer: found like a shell finds it,
 *    named python-something (nothing else is started to be asked), then
 *    asked `PROGRAM --version` (nothing of the user's runs yet), whose
 *    answer must be "Python 3.X.Y" and no PyPy. Anything else is one line
 *    and exit status 2, before a folder is made.
 * 2. The run folder is made and locked as a run's; DIR/raw holds the
 *    probe's files.
 * 3. The program runs with posix_spawn (no shell), with its stdin, stdout
 *    and stderr, in this folder, with PYTHONPATH led by the probe's folder
 *    (so Python imports the probe's sitecustomize.py, which chains to the
 *    one it shadows) and GILSIM_RECORD_DIR the absolute path of DIR/raw.
 *    SIGINT and SIGTERM get their default actions back in it.
 * 4. Meanwhile gilsim waits. A Ctrl-C at the terminal reaches the program
 *    and gilsim alike: gilsim lets the program end as it would, then
 *    writes what was recorded. A SIGTERM, or a SIGINT sent to gilsim
 *    alone (kill), is passed on to the program.
 * 5. raw.c reads the probe's files and measured.c writes the run
 *    "measured". gilsim exits with the program's status (128 + N if signal
 *    N ended it); if the program succeeded but its recording could not be
 *    written, with 3.
 *
 * The probe's folder: $GILSIM_PROBE_DIR if set, else beside an installed
 * binary (BINDIR/../share/gilsim/probe), else the source tree's
 * sim/record/probe.
 */
/* realpath() is XSI: glibc declares it only with _XOPEN_SOURCE (or
 * _DEFAULT_SOURCE), which CMake does not define. */
#define _XOPEN_SOURCE 700 /* NOLINT(bugprone-reserved-identifier) */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base.h"
#include "calibrate.h"
#include "record.h"

#ifndef GILSIM_SOURCE_PROBE_DIR
#define GILSIM_SOURCE_PROBE_DIR "sim/record/probe"
#endif

#define EXPECT_PROG                                                            \
    "expected gilsim record [--out=DIR] -- python3 app.py ARGS..., a "         \
    "CPython 3.8 or newer"

extern char **environ;

static volatile sig_atomic_t child_pid;

/* SIGTERM, and a SIGINT sent by kill() rather than the terminal, go on to
 * the program; a terminal's SIGINT reached it already. */
static void
on_signal(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    if (child_pid > 0 && (sig == SIGTERM || si->si_code == SI_USER)) {
        (void)kill((pid_t)child_pid, sig);
    }
}

static int
usage(FILE *err, const char *prog, const char *what)
{
    fprintf(err, "gilsim: record: %.900s: %s (" EXPECT_PROG ")\n", prog, what);
    return SIM_EXIT_USAGE;
}

/* PROGRAM as a path into path; SIM_EXIT_OK or SIM_EXIT_USAGE. */
static int
find_program(const char *prog, char *path, size_t len, FILE *err)
{
    struct stat st;

    if (strchr(prog, '/') == NULL) {
        if (base_search_path(prog, path, len) != 0) {
            return usage(err, prog, "not found on PATH");
        }
        return SIM_EXIT_OK;
    }
    if (stat(prog, &st) != 0) {
        return usage(err, prog, "no such file");
    }
    if (!S_ISREG(st.st_mode) || access(prog, X_OK) != 0) {
        return usage(err, prog, "not an executable file");
    }
    (void)snprintf(path, len, "%s", prog);
    return SIM_EXIT_OK;
}

/* PROGRAM's name must start with "python" (python3, python3.11, a venv's
 * python), so that nothing else is ever started to be asked; then
 * `path --version` must say "Python 3.X.Y" (X >= 8) and not PyPy. */
static int
check_python(const char *prog, const char *path, char *version, size_t vlen,
             FILE *err)
{
    char *argv[] = {(char *)path, "--version", NULL};
    const char *base =
        strrchr(prog, '/') != NULL ? strrchr(prog, '/') + 1 : prog;
    struct sim_child_out co;
    const char *text;
    int major = 0, minor = 0, micro = 0;
    int rc;

    if (strncmp(base, "python", 6) != 0) {
        return usage(err, prog,
                     "not a Python interpreter's name (python, python3, "
                     "python3.X); to record ./app.py, name its interpreter: "
                     "gilsim record -- python3 ./app.py");
    }
    rc = sim_child_run(argv, 20000, &co);
    if (rc != 0) {
        return usage(err, prog, "cannot be started");
    }
    /* Python 3 prints it on stdout; Python 2 on stderr. */
    text = co.out != NULL && co.out[0] != '\0' ? co.out : co.err;
    if (co.status != 0 ||
        sscanf(text, "Python %d.%d.%d", &major, &minor, &micro) != 3) {
        sim_child_out_clear(&co);
        return usage(err, prog,
                     "not a Python interpreter (its --version did not say "
                     "Python X.Y.Z); to record ./app.py, name its "
                     "interpreter: gilsim record -- python3 ./app.py");
    }
    if (strstr(co.out != NULL ? co.out : "", "PyPy") != NULL) {
        sim_child_out_clear(&co);
        return usage(err, prog,
                     "PyPy: the probe and gilsim's GIL are CPython's");
    }
    sim_child_out_clear(&co);
    if (major != 3 || minor < 8) {
        char what[96];

        (void)snprintf(what, sizeof(what),
                       "Python %d.%d.%d; the probe needs 3.8 or newer", major,
                       minor, micro);
        return usage(err, prog, what);
    }
    (void)snprintf(version, vlen, "%d.%d.%d", major, minor, micro);
    return SIM_EXIT_OK;
}

static int
is_dir(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The probe's folder (absolute) into dir; 0 or -ENOENT. */
static int
probe_dir(char *dir, size_t len)
{
    /* Read before the program starts; gilsim has no other thread. */
    const char *env = getenv("GILSIM_PROBE_DIR"); // NOLINT
    char exe[4096];
    char cand[4096];
    char file[4200];

    if (env != NULL && env[0] != '\0') {
        (void)snprintf(cand, sizeof(cand), "%.4000s", env);
    } else {
        base_exe_dir(exe, sizeof(exe));
        (void)snprintf(cand, sizeof(cand), "%.4000s/../share/gilsim/probe",
                       exe);
        if (exe[0] == '\0' || !is_dir(cand)) {
            (void)snprintf(cand, sizeof(cand), "%s", GILSIM_SOURCE_PROBE_DIR);
        }
    }
    (void)snprintf(file, sizeof(file), "%s/gilsim_probe.py", cand);
    if (access(file, R_OK) != 0 || realpath(cand, exe) == NULL ||
        strlen(exe) >= len) {
        return -ENOENT;
    }
    (void)snprintf(dir, len, "%s", exe);
    return 0;
}

/* environ with PYTHONPATH led by probe and GILSIM_RECORD_DIR=raw; the
 * strings and the array in one malloc'd block, NULL when out of memory. */
static char **
child_env(const char *probe, const char *raw)
{
    const char *old = getenv("PYTHONPATH"); // NOLINT
    size_t n = 0, size, i, k = 0;
    char **env;
    char *p;

    while (environ[n] != NULL) {
        n++;
    }
    size = (n + 3) * sizeof(char *) + strlen(probe) + strlen(raw) + 64 +
           (old != NULL ? strlen(old) : 0);
    env = malloc(size);
    if (env == NULL) {
        return NULL;
    }
    p = (char *)(env + n + 3);
    for (i = 0; i < n; i++) {
        if (strncmp(environ[i], "PYTHONPATH=", 11) != 0 &&
            strncmp(environ[i], "GILSIM_RECORD_DIR=", 18) != 0) {
            env[k++] = environ[i];
        }
    }
    env[k++] = p;
    p += sprintf(p, "PYTHONPATH=%s%s%s", probe,
                 old != NULL && old[0] != '\0' ? ":" : "",
                 old != NULL ? old : "") +
         1;
    env[k++] = p;
    (void)sprintf(p, "GILSIM_RECORD_DIR=%s", raw);
    env[k] = NULL;
    return env;
}

/* Run the program; its exit status (128 + N for signal N), or -errno if
 * it could not be started. */
static int
run_program(const struct sim_options *o, const char *path, char **env)
{
    struct sigaction sa, old_int, old_term;
    posix_spawnattr_t attr;
    sigset_t none, dflt;
    pid_t pid;
    int status = 0;
    int rc;

    (void)sigemptyset(&none);
    (void)sigemptyset(&dflt);
    (void)sigaddset(&dflt, SIGINT);
    (void)sigaddset(&dflt, SIGTERM);
    (void)sigaddset(&dflt, SIGPIPE);
    if (posix_spawnattr_init(&attr) != 0) {
        return -ENOMEM;
    }
    (void)posix_spawnattr_setsigdefault(&attr, &dflt);
    (void)posix_spawnattr_setsigmask(&attr, &none);
    (void)posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF |
                                              POSIX_SPAWN_SETSIGMASK);
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO;
    (void)sigemptyset(&sa.sa_mask);
    (void)sigaction(SIGINT, &sa, &old_int);
    (void)sigaction(SIGTERM, &sa, &old_term);
    rc = posix_spawn(&pid, path, NULL, &attr, o->record_argv, env);
    (void)posix_spawnattr_destroy(&attr);
    if (rc == 0) {
        child_pid = pid;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        child_pid = 0;
    }
    (void)sigaction(SIGINT, &old_int, NULL);
    (void)sigaction(SIGTERM, &old_term, NULL);
    if (rc != 0) {
        return -rc;
    }
    if (WIFSIGNALED(status)) {
        return 128 + WTERMSIG(status);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

/* What the probe cost the program: its timed events at the cost it
 * measured for one when it started, over the recording's wall. */
static void
say_probe_cost(const struct rec *r, int64_t wall_ns, FILE *err)
{
    double cost_ns = 0;
    int64_t events = 0;
    size_t i, silent = 0;

    for (i = 0; i < r->n_procs; i++) {
        if (r->procs[i].probe_ns_per_event <= 0 &&
            r->procs[i].probe_events <= 0) {
            silent++; /* no O line: killed, or an older probe */
            continue;
        }
        events += r->procs[i].probe_events;
        cost_ns += (double)r->procs[i].probe_events *
                   (double)r->procs[i].probe_ns_per_event;
    }
    if (silent == r->n_procs) {
        fprintf(err, "gilsim: the probe's overhead is unknown: no process "
                     "wrote its count (killed before its end?)\n");
        return;
    }
    fprintf(err,
            "gilsim: probe overhead (estimated): %lld event%s at ~%.2g us "
            "each, %.3g ms: %.2g%% of the %.3f s recorded%s\n",
            (long long)events, events == 1 ? "" : "s",
            events > 0 ? cost_ns / (double)events / 1e3 : 0, cost_ns / 1e6,
            wall_ns > 0 ? 100.0 * cost_ns / (double)wall_ns : 0,
            (double)wall_ns / 1e9,
            silent > 0 ? " (processes that wrote no count not included)" : "");
}

/* dir/workload.json, and how to replay it; a recording with no task to
 * write says so and stays a recording. */
static void
write_workload(const char *dir, const struct rec *r, const char *name,
               const struct sim_options *o, FILE *err)
{
    struct rec_config cfg;
    char msg[SIM_ERR_LEN * 2];
    size_t n_tasks = 0;

    if (rec_write_workload(dir, r, name, &cfg, &n_tasks, msg, sizeof(msg)) !=
        0) {
        fprintf(err, "gilsim: record: workload.json not written: %s\n", msg);
        return;
    }
    if (!o->quiet) {
        fprintf(err,
                "gilsim: %s/workload.json: %zu task%s; replay them as they "
                "ran with gilsim run --workload=%s/workload.json --model=%s "
                "--%s=%d\n",
                dir, n_tasks, n_tasks == 1 ? "" : "s", dir, cfg.model,
                strcmp(cfg.model, "processes") == 0 ? "processes"
                : strcmp(cfg.model, "loop") == 0    ? "concurrency"
                                                    : "threads",
                cfg.workers);
    }
}

/* The program to run (path) and its Python's version, and the probe's
 * folder: SIM_EXIT_OK, or the status after a line on err. */
static int
check_what_to_run(const struct sim_options *o, char *path, size_t path_len,
                  char *version, size_t version_len, char *probe,
                  size_t probe_len, FILE *err)
{
    int status = find_program(o->record_argv[0], path, path_len, err);

    if (status == SIM_EXIT_OK) {
        status =
            check_python(o->record_argv[0], path, version, version_len, err);
    }
    if (status != SIM_EXIT_OK) {
        return status;
    }
    if (probe_dir(probe, probe_len) != 0) {
        fprintf(err,
                "gilsim: record: the probe (gilsim_probe.py) is neither in "
                "$GILSIM_PROBE_DIR, nor in share/gilsim/probe beside the "
                "binary, nor in %s (set GILSIM_PROBE_DIR to its folder)\n",
                GILSIM_SOURCE_PROBE_DIR);
        return SIM_EXIT_ERROR;
    }
    return SIM_EXIT_OK;
}

/* DIR/raw, made, as an absolute path into raw: the program may change
 * its folder. 0, or -1 after a line on err. */
static int
make_raw_dir(const char *dir, char *raw, FILE *err)
{
    char raw_rel[4200];
    char msg[SIM_ERR_LEN * 2];

    (void)snprintf(raw_rel, sizeof(raw_rel), "%.4000s/raw", dir);
    if ((mkdir(raw_rel, 0777) != 0 && errno != EEXIST) ||
        realpath(raw_rel, raw) == NULL) {
        base_errf(msg, sizeof(msg), errno, "cannot create %.900s", raw_rel);
        fprintf(err, "gilsim: record: %s\n", msg);
        return -1;
    }
    return 0;
}

/* What was recorded, in a line, and the probe's estimated cost. */
static void
say_recorded(const struct rec *rec, const struct sim_trace_summary *summary,
             int status, const char *dir, FILE *err)
{
    int64_t tasks = rec_tasks_wall(rec);
    char span[96] = "";

    if (tasks > 0) {
        (void)snprintf(span, sizeof(span),
                       " (its pool's tasks, first to last: %.3f s)",
                       (double)tasks / 1e9);
    }
    fprintf(err,
            "gilsim: recorded %zu process%s, %zu thread%s, %llu "
            "call%s in %.3f s%s%s; exit status %d; timeline and "
            "summary in %s\n",
            rec->n_procs, rec->n_procs == 1 ? "" : "es", rec->n_threads,
            rec->n_threads == 1 ? "" : "s", (unsigned long long)rec->calls,
            rec->calls == 1 ? "" : "s", (double)summary->wall_ns / 1e9, span,
            rec->partial_lines > 0 ? " (a killed process's last line "
                                     "was cut short and dropped)"
                                   : "",
            status, dir);
    say_probe_cost(rec, summary->wall_ns, err);
}

/* The probe files in raw read and written into DIR as the measured run
 * (timeline, traces, summary) and workload.json; status is the
 * program's. 0, or nonzero with msg. */
static int
write_recording(const char *dir, const char *raw, const char *command,
                const struct sim_options *o, int status, FILE *err, char *msg,
                size_t msglen)
{
    struct sim_trace_summary summary;
    struct rec rec;
    int rc = rec_read_dir(raw, &rec, msg, msglen);

    if (rc != 0) {
        return rc;
    }
    rc = rec_write_measured(dir, &rec, command, o, &summary, err, msg, msglen);
    if (rc == 0 && !o->quiet) {
        say_recorded(&rec, &summary, status, dir, err);
    }
    if (rc == 0) {
        write_workload(dir, &rec, summary.workload, o, err);
    }
    rec_clear(&rec);
    return rc;
}

int
sim_record_main(const struct sim_options *o, const char *command, FILE *out,
                FILE *err)
{
    char path[PATH_MAX];
    char version[32];
    char probe[PATH_MAX];
    char dir[4096];
    char raw[PATH_MAX];
    char msg[SIM_ERR_LEN * 2];
    char **env;
    int created = 0;
    int lock_fd = -1;
    int status, rc;

    (void)out;
    status = check_what_to_run(o, path, sizeof(path), version, sizeof(version),
                               probe, sizeof(probe), err);
    if (status != SIM_EXIT_OK) {
        return status;
    }
    status = sim_run_make_dir(o, dir, sizeof(dir), &created, err);
    if (status != SIM_EXIT_OK) {
        return status;
    }
    status = sim_run_lock_dir(dir, &lock_fd, err);
    if (status != SIM_EXIT_OK) {
        return status;
    }
    if (make_raw_dir(dir, raw, err) != 0) {
        sim_run_unlock_dir(dir, lock_fd);
        return SIM_EXIT_ERROR;
    }
    env = child_env(probe, raw);
    if (env == NULL) {
        fprintf(err, "gilsim: record: out of memory\n");
        sim_run_unlock_dir(dir, lock_fd);
        return SIM_EXIT_ERROR;
    }
    if (!o->quiet) {
        fprintf(err, "gilsim: recording %s (Python %s) into %s\n",
                o->record_argv[0], version, dir);
    }
    status = run_program(o, path, env);
    free(env);
    if (status < 0) {
        base_errf(msg, sizeof(msg), -status, "cannot start %.900s", path);
        fprintf(err, "gilsim: record: %s\n", msg);
        sim_run_unlock_dir(dir, lock_fd);
        return SIM_EXIT_ERROR;
    }
    rc = write_recording(dir, raw, command, o, status, err, msg, sizeof(msg));
    sim_run_unlock_dir(dir, lock_fd);
    if (rc != 0) {
        fprintf(err, "gilsim: record: %s\n", msg);
        return status != 0 ? status : SIM_EXIT_ERROR;
    }
    return status;
}
