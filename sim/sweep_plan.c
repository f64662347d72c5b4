/*
 * sweep_plan.c - `gilsim sweep --plan=DIR`: a sweep written down for
 * other machines to run, and nothing run here.
 *
 * The cells are the sweep's own (sim_sweep_cells, in the order a local
 * sweep runs them), each repeated --repeat times; one repetition of one
 * cell is one job, with an id made of the cell alone
 * (MODEL-tT-pP-cC-siD-rR: model, threads, processes, the loop's
 * concurrency, switch interval, repetition), so the same sweep planned
 * twice gives the same ids. DIR gets:
 *
 *   plan.json      gilsim's version and path, the sweep's command and its
 *                  flags (which --collect parses again), every job: its
 *                  index, id, cell and output folder (the list --collect
 *                  walks)
 *   jobs.txt       line i+1 is job i: `GILSIM run FLAGS --out=DIR/cells/ID`
 *                  with absolute paths, runnable from any folder
 *   run-parallel.sh, slurm.sbatch, k8s-job.yaml
 *                  launchers: GNU parallel (its options passed through,
 *                  a job log for --resume-failed), a Slurm array of one job
 *                  a task on whole nodes, a Kubernetes Indexed Job
 *   cells/, logs/  where the jobs write (logs: Slurm's output)
 *
 * GILSIM is the absolute path of the gilsim that planned the sweep
 * (/proc/self/exe): the jobs run the same build, on any machine that has
 * it at that path (a shared file system, or the same install); plan.json
 * says which version that was. A job runs with --cell (cell.c), so a cell
 * appears in cells/ only once finished and a job run twice does no harm.
 *
 * A local sweep (sweep_run.c) writes the same files into its own
 * folder (sim_sweep_plan_write) and runs the same jobs itself, so its
 * folder can be handed to a launcher too.
 *
 * DIR must be new or empty, and its absolute path free of what a
 * launcher cannot carry (control characters, '"', backslash, '#': see
 * launcher_unsafe); spaces, quotes and '%' are quoted where each
 * launcher needs it. Every file goes through base_write_atomic; the
 * launchers are then made executable. On a failure what was written
 * goes: DIR whole if --plan made it, else only its own files.
 */
/* realpath() is XSI: glibc declares it only with _XOPEN_SOURCE (or
 * _DEFAULT_SOURCE), which CMake does not define. */
#define _XOPEN_SOURCE 700 /* NOLINT(bugprone-reserved-identifier) */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base.h"
#include "run.h"

#define PLAN_NAME  "plan.json"
#define JOBS_NAME  "jobs.txt"
#define LINE_MAX_B 16384

void
sim_sweep_cell_id(const struct sim_sweep_cell *c, int repeat, char *buf,
                  size_t len)
{
    char d[32];

    base_duration_text(c->switch_interval_ns, d, sizeof(d));
    (void)snprintf(buf, len, "%s-t%d-p%d-c%d-si%s-r%d",
                   sim_model_name(c->model), c->threads, c->processes,
                   c->concurrency, d, repeat);
}

struct sim_plan_job *
sim_sweep_jobs(const struct sim_options *o, size_t *n_out)
{
    struct sim_sweep_cell *cells;
    struct sim_plan_job *jobs;
    size_t n, i, k = 0;
    int r;

    *n_out = 0;
    cells = sim_sweep_cells(o, &n);
    if (cells == NULL) {
        return NULL;
    }
    jobs = calloc(n * (size_t)o->repeat + 1, sizeof(*jobs));
    if (jobs == NULL) {
        free(cells);
        return NULL;
    }
    for (i = 0; i < n; i++) {
        for (r = 0; r < o->repeat; r++) {
            jobs[k].cell = cells[i];
            jobs[k].repeat = r;
            sim_sweep_cell_id(&cells[i], r, jobs[k].id, sizeof(jobs[k].id));
            k++;
        }
    }
    free(cells);
    *n_out = k;
    return jobs;
}

/* The plan's text files, made in memory first. */
struct plan_text {
    char *jobs; /* jobs.txt */
    size_t jobs_len;
    json_t *doc; /* plan.json */
    size_t n_jobs;
    char dir[4096];       /* absolute */
    char jobs_path[4200]; /* dir/jobs.txt */
};

static int
write_jobs_fn(const void *ctx, FILE *f)
{
    const struct plan_text *p = ctx;

    (void)fwrite(p->jobs, 1, p->jobs_len, f);
    return ferror(f) ? -EIO : 0;
}

static int
write_plan_fn(const void *ctx, FILE *f)
{
    const struct plan_text *p = ctx;

    if (json_dumpf(p->doc, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0) {
        return -EIO;
    }
    fputc('\n', f);
    return ferror(f) ? -EIO : 0;
}

/* s as one word for sh (base_shell_word: quoted when it needs to be). */
static void
put_word(FILE *f, const char *s)
{
    char q[4 * 4500 + 8];

    if (base_shell_word(q, sizeof(q), s) >= 0) {
        fputs(q, f);
    } else {
        fputs("''", f); /* longer than any path made here */
    }
}

/* A YAML double-quoted scalar. */
static void
put_yaml_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s != '\0'; s++) {
        if (*s == '"' || *s == '\\') {
            fputc('\\', f);
        }
        fputc(*s, f);
    }
    fputc('"', f);
}

/* The first character of an absolute plan folder that a launcher cannot
 * carry, or 0: a control character (jobs.txt is one job a line), and
 * '"', backslash and '#', which an #SBATCH line reads as quote, escape and
 * comment. */
static int
launcher_unsafe(const char *dir)
{
    const unsigned char *s = (const unsigned char *)dir;

    for (; *s != '\0'; s++) {
        if (*s < 0x20 || *s == 0x7f || *s == '"' || *s == '\\' || *s == '#') {
            return *s;
        }
    }
    return 0;
}

static int
write_parallel_fn(const void *ctx, FILE *f)
{
    const struct plan_text *p = ctx;

    fputs("#!/bin/sh\n"
          "# Runs every job of this gilsim sweep plan (jobs.txt, one cell a\n"
          "# line) through GNU parallel. Options go to parallel as they are:\n"
          "#   ./run-parallel.sh -j 4                       4 at once here\n"
          "#   ./run-parallel.sh --sshlogin 2/a,2/b          on hosts a and b\n"
          "#   ./run-parallel.sh --resume-failed            again: the jobs\n"
          "#                        that failed and those never run\n"
          "# The job log (parallel.joblog) is what --resume and\n"
          "# --resume-failed read. With --sshlogin, the hosts need gilsim at\n"
          "# the path in jobs.txt and this folder at the same path (a shared\n"
          "# file system): each job writes its cell there. A real-time cell\n"
          "# should have its cores to itself: -j 1 per machine unless the\n"
          "# sweep runs --engine=virtual. Then: gilsim sweep --collect=DIR.\n"
          "set -eu\n"
          "plan=",
          f);
    put_word(f, p->dir);
    fputs("\n"
          "if ! command -v parallel >/dev/null 2>&1; then\n"
          "    echo \"run-parallel.sh: GNU parallel is not installed \"\\\n"
          "         \"(Debian: apt-get install parallel)\" >&2\n"
          "    exit 2\n"
          "fi\n"
          "exec parallel --joblog \"$plan/parallel.joblog\" \"$@\" "
          "< \"$plan/jobs.txt\"\n",
          f);
    return ferror(f) ? -EIO : 0;
}

static int
write_slurm_fn(const void *ctx, FILE *f)
{
    const struct plan_text *p = ctx;
    const char *s;

    fputs("#!/bin/bash\n"
          "# A Slurm array job: task i runs line i+1 of jobs.txt, one cell\n"
          "# of this gilsim sweep plan, alone on its node (--exclusive), so\n"
          "# that no other job shares the cores it measures. Submit with\n"
          "#   sbatch slurm.sbatch\n"
          "# (sbatch --array=3,7 slurm.sbatch runs only those again; a job\n"
          "# whose cell finished does nothing.) Then:\n"
          "#   gilsim sweep --collect=DIR\n"
          "# The nodes need gilsim at the path in jobs.txt and this folder at\n"
          "# the same path. Over MaxArraySize jobs, split with --array.\n"
          "#SBATCH --job-name=gilsim-sweep\n",
          f);
    fprintf(f, "#SBATCH --array=0-%zu\n", p->n_jobs > 0 ? p->n_jobs - 1 : 0);
    fputs("#SBATCH --exclusive\n"
          "#SBATCH --ntasks=1\n",
          f);
    /* In double quotes for a space; a '%' is doubled, since Slurm reads
     * %A and %a in it. Characters that #SBATCH cannot carry were refused
     * at planning (launcher_safe). */
    fputs("#SBATCH --output=\"", f);
    for (s = p->dir; *s != '\0'; s++) {
        if (*s == '%') {
            fputc('%', f);
        }
        fputc(*s, f);
    }
    fputs("/logs/slurm-%A_%a.out\"\n", f);
    fputs("set -eu\n"
          "plan=",
          f);
    put_word(f, p->dir);
    fputs("\n"
          "line=$(sed -n \"$((SLURM_ARRAY_TASK_ID + 1))p\" "
          "\"$plan/jobs.txt\")\n"
          "exec /bin/sh -c \"$line\"\n",
          f);
    return ferror(f) ? -EIO : 0;
}

static int
write_k8s_fn(const void *ctx, FILE *f)
{
    const struct plan_text *p = ctx;

    fputs("# A Kubernetes Indexed Job: the pod of index i runs line i+1 of\n"
          "# jobs.txt, one cell of this gilsim sweep plan. Before\n"
          "#   kubectl apply -f k8s-job.yaml\n"
          "# set the image (one with gilsim at the path in jobs.txt) and the\n"
          "# volume that holds this folder (at the same path, writable by\n"
          "# every pod). For real-time cells, give each pod a node's cores\n"
          "# (resources below) so that cells do not share them. Then:\n"
          "#   gilsim sweep --collect=DIR\n"
          "apiVersion: batch/v1\n"
          "kind: Job\n"
          "metadata:\n"
          "  name: gilsim-sweep\n"
          "spec:\n"
          "  completionMode: Indexed\n",
          f);
    fprintf(f, "  completions: %zu\n", p->n_jobs);
    fputs("  parallelism: 4\n"
          "  backoffLimit: 6\n"
          "  template:\n"
          "    spec:\n"
          "      restartPolicy: Never\n"
          "      containers:\n"
          "        - name: cell\n"
          "          image: gilsim:" SIM_VERSION
          "  # an image with gilsim installed\n"
          "          command:\n"
          "            - /bin/sh\n"
          "            - -c\n"
          "            - >-\n"
          "              line=$(sed -n \"$((JOB_COMPLETION_INDEX + 1))p\"\n",
          f);
    fputs("              ", f);
    put_word(f, p->jobs_path);
    fputs(") && exec /bin/sh -c \"$line\"\n", f);
    fputs("          resources:\n"
          "            requests:\n"
          "              cpu: \"2\"  # a node's cores, for real-time cells\n"
          "          volumeMounts:\n"
          "            - name: plan\n",
          f);
    fputs("              mountPath: ", f);
    put_yaml_string(f, p->dir);
    fputc('\n', f);
    fputs("      volumes:\n"
          "        - name: plan\n"
          "          persistentVolumeClaim:\n"
          "            claimName: gilsim-plan  # holds this folder\n",
          f);
    return ferror(f) ? -EIO : 0;
}

/* jobs.txt and the jobs of plan.json. 0, or -errno with err. */
static int
make_jobs(const struct sim_options *o, const struct sim_plan_args *a,
          const char *gilsim, struct plan_text *p, json_t *jobs, char *err,
          size_t errlen)
{
    struct sim_plan_job *list;
    char flags[LINE_MAX_B];
    char cell_out[4400];
    char arg[4500];
    size_t n, i;
    int rc = 0;
    FILE *m;

    list = sim_sweep_jobs(o, &n);
    if (list == NULL) {
        (void)snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    m = open_memstream(&p->jobs, &p->jobs_len);
    if (m == NULL) {
        free(list);
        (void)snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    p->n_jobs = 0;
    for (i = 0; i < n && rc == 0; i++) {
        const struct sim_sweep_cell *c = &list[i].cell;

        if (list[i].repeat == 0) { /* a cell's repetitions run alike */
            rc = a->cell_flags(a->ctx, c, flags, sizeof(flags), err, errlen);
            if (rc != 0) {
                break;
            }
        }
        (void)snprintf(cell_out, sizeof(cell_out), "%s/cells/%s", p->dir,
                       list[i].id);
        /* Quoted where sh needs it: a plan folder may have a space. */
        put_word(m, gilsim);
        fprintf(m, " run %s ", flags);
        (void)snprintf(arg, sizeof(arg), "--out=%s", cell_out);
        put_word(m, arg);
        fputc('\n', m);
        if (json_array_append_new(
                jobs,
                json_pack("{s:I, s:s, s:s, s:i, s:i, s:i, s:I, "
                          "s:i, s:s}",
                          "index", (json_int_t)p->n_jobs, "id", list[i].id,
                          "model", sim_model_name(c->model), "threads",
                          c->threads, "processes", c->processes, "concurrency",
                          c->concurrency, "switch_interval_ns",
                          (json_int_t)c->switch_interval_ns, "repeat",
                          list[i].repeat, "out", cell_out)) != 0) {
            (void)snprintf(err, errlen, "out of memory");
            rc = -ENOMEM;
        }
        p->n_jobs++;
    }
    if (fclose(m) != 0 && rc == 0) {
        (void)snprintf(err, errlen, "out of memory");
        rc = -ENOMEM;
    }
    free(list);
    return rc;
}

/* 0 if the plan folder (as given, and the current folder when it is
 * relative) has no character the launchers cannot carry; else
 * SIM_EXIT_USAGE with one line on err. */
static int
check_plan_path(const char *given, const char *path, FILE *err)
{
    int c = launcher_unsafe(path);

    if (c == 0) {
        return SIM_EXIT_OK;
    }
    fprintf(err,
            "gilsim: --plan=%s: the path %s has the character 0x%02x "
            "(expected a folder whose absolute path has no control "
            "character, '\"', '\\' or '#': jobs.txt and slurm.sbatch "
            "cannot carry them)\n",
            given, path, c);
    return SIM_EXIT_USAGE;
}

static const struct {
    const char *name;
    int (*fn)(const void *ctx, FILE *f);
    int exec;
} plan_files[] = {
    {JOBS_NAME, write_jobs_fn, 0},
    {"run-parallel.sh", write_parallel_fn, 1},
    {"slurm.sbatch", write_slurm_fn, 1},
    {"k8s-job.yaml", write_k8s_fn, 0},
    {PLAN_NAME, write_plan_fn, 0}, /* last: a plan is whole */
};
#define N_PLAN_FILES (sizeof(plan_files) / sizeof(plan_files[0]))

/* What --plan wrote into DIR goes again; a DIR it made goes whole, and
 * one the user made (empty) stays, as it was. */
static void
plan_undo(const char *dir, int made)
{
    char path[4200];
    size_t i;

    if (made) {
        base_remove_tree(dir);
        return;
    }
    for (i = 0; i < N_PLAN_FILES; i++) {
        (void)snprintf(path, sizeof(path), "%.4000s/%s", dir,
                       plan_files[i].name);
        (void)unlink(path);
    }
    (void)snprintf(path, sizeof(path), "%.4000s/cells", dir);
    (void)rmdir(path);
    (void)snprintf(path, sizeof(path), "%.4000s/logs", dir);
    (void)rmdir(path);
}

/* The plan's files into p->dir (absolute, its path checked), with
 * cells/ and logs/ (kept when they are there); p->n_jobs set. An exit
 * status, with one line on err when it is not 0. */
static int
write_plan(const struct sim_options *o, const char *command,
           const struct sim_plan_args *a, struct plan_text *p, FILE *err)
{
    char gilsim[4096];
    char msg[SIM_ERR_LEN * 2];
    char etext[128];
    char sub[4200];
    json_t *flags, *jobs;
    ssize_t len;
    size_t i;
    int rc, status = SIM_EXIT_OK;

    (void)snprintf(p->jobs_path, sizeof(p->jobs_path), "%s/" JOBS_NAME, p->dir);
    len = readlink("/proc/self/exe", gilsim, sizeof(gilsim) - 1);
    if (len <= 0) {
        (void)snprintf(gilsim, sizeof(gilsim), "gilsim");
        fprintf(err, "gilsim: --plan: cannot find this gilsim's path "
                     "(/proc/self/exe); the jobs run `gilsim` from each "
                     "machine's PATH\n");
    } else {
        gilsim[len] = '\0';
    }
    flags = json_array();
    jobs = json_array();
    p->doc = json_object();
    if (flags == NULL || jobs == NULL || p->doc == NULL) {
        fprintf(err, "gilsim: out of memory\n");
        status = SIM_EXIT_ERROR;
        goto out;
    }
    for (i = 0; i < (size_t)a->argc; i++) {
        if (json_array_append_new(flags, json_string(a->argv[i])) != 0) {
            fprintf(err, "gilsim: out of memory\n");
            status = SIM_EXIT_ERROR;
            goto out;
        }
    }
    rc = make_jobs(o, a, gilsim, p, jobs, msg, sizeof(msg));
    if (rc != 0) {
        fprintf(err, "gilsim: sweep: the plan in %s: %s\n", p->dir, msg);
        /* Out of memory is the machine's; the rest comes of the flags. */
        status = rc == -ENOMEM ? SIM_EXIT_ERROR : SIM_EXIT_USAGE;
        goto out;
    }
    (void)json_object_set_new(p->doc, "format", json_string("gilsim-plan"));
    (void)json_object_set_new(p->doc, "format_version", json_integer(1));
    (void)json_object_set_new(p->doc, "gilsim_version",
                              json_string(SIM_VERSION));
    (void)json_object_set_new(p->doc, "gilsim", json_string(gilsim));
    (void)json_object_set_new(p->doc, "command", json_string(command));
    (void)json_object_set_new(p->doc, "flags", flags);
    flags = NULL;
    (void)json_object_set_new(p->doc, "repeat", json_integer(o->repeat));
    (void)json_object_set_new(p->doc, "jobs", jobs);
    jobs = NULL;
    for (i = 0; i < 2; i++) {
        (void)snprintf(sub, sizeof(sub), "%s/%s", p->dir,
                       i == 0 ? "cells" : "logs");
        if (mkdir(sub, 0777) != 0 && errno != EEXIST) {
            base_errtext(errno, etext, sizeof(etext));
            fprintf(err, "gilsim: cannot create %s: %s\n", sub, etext);
            status = SIM_EXIT_ERROR;
            goto out;
        }
    }
    for (i = 0; i < N_PLAN_FILES; i++) {
        rc = base_write_atomic(p->dir, plan_files[i].name, plan_files[i].fn, p,
                               msg, sizeof(msg));
        if (rc != 0) {
            fprintf(err, "gilsim: %s\n", msg);
            status = SIM_EXIT_ERROR;
            goto out;
        }
        (void)snprintf(sub, sizeof(sub), "%s/%s", p->dir, plan_files[i].name);
        if (plan_files[i].exec && chmod(sub, 0755) != 0) {
            base_errtext(errno, etext, sizeof(etext));
            fprintf(err, "gilsim: cannot make %s executable: %s\n", sub, etext);
            status = SIM_EXIT_ERROR;
            goto out;
        }
    }
    base_sync_dir(p->dir);
out:
    json_decref(flags);
    json_decref(jobs);
    json_decref(p->doc);
    p->doc = NULL;
    free(p->jobs);
    p->jobs = NULL;
    return status;
}

int
sim_sweep_plan_write(const struct sim_options *o, const char *command,
                     const struct sim_plan_args *a, const char *dir, FILE *err)
{
    struct plan_text p;
    int c;

    memset(&p, 0, sizeof(p));
    if (realpath(dir, p.dir) == NULL) {
        (void)snprintf(p.dir, sizeof(p.dir), "%s", dir);
    }
    c = launcher_unsafe(p.dir);
    if (c != 0) {
        fprintf(err,
                "gilsim: sweep: no jobs.txt, launchers or plan.json in %s: "
                "its path has the character 0x%02x, which they cannot "
                "carry\n",
                p.dir, c);
        return SIM_EXIT_OK; /* the sweep itself does not need them */
    }
    return write_plan(o, command, a, &p, err);
}

/* Each path as a word sh reads back: a copy and paste runs. */
static void
print_launch(const struct plan_text *p, FILE *out)
{
    char sub[4200];

    fprintf(out, "plan: %s/jobs.txt (%zu jobs)\nrun them with one of:\n  ",
            p->dir, p->n_jobs);
    (void)snprintf(sub, sizeof(sub), "%s/run-parallel.sh", p->dir);
    put_word(out, sub);
    fputs(" -j 1        (GNU parallel; --sshlogin for more hosts)\n"
          "  sbatch ",
          out);
    (void)snprintf(sub, sizeof(sub), "%s/slurm.sbatch", p->dir);
    put_word(out, sub);
    fputs("          (Slurm)\n  kubectl apply -f ", out);
    (void)snprintf(sub, sizeof(sub), "%s/k8s-job.yaml", p->dir);
    put_word(out, sub);
    fputs("  (Kubernetes; edit it first)\nthen: gilsim sweep ", out);
    (void)snprintf(sub, sizeof(sub), "--collect=%s", p->dir);
    put_word(out, sub);
    fputc('\n', out);
}

int
sim_sweep_plan_main(const struct sim_options *o, const char *command,
                    const struct sim_plan_args *a, FILE *out, FILE *err)
{
    struct plan_text p;
    char etext[128];
    char sub[4200];
    int state, status = SIM_EXIT_OK;

    memset(&p, 0, sizeof(p));
    /* Before anything is made: the path as given, and where it lies. */
    if (o->plan_dir[0] != '/' && getcwd(sub, sizeof(sub)) != NULL &&
        check_plan_path(o->plan_dir, sub, err) != SIM_EXIT_OK) {
        return SIM_EXIT_USAGE;
    }
    if (check_plan_path(o->plan_dir, o->plan_dir, err) != SIM_EXIT_OK) {
        return SIM_EXIT_USAGE;
    }
    state = sim_run_dir_state(o->plan_dir);
    if (state < 0) {
        base_errtext(-state, etext, sizeof(etext));
        fprintf(err,
                "gilsim: --plan=%s: %s (expected a new or empty "
                "directory)\n",
                o->plan_dir, etext);
        return SIM_EXIT_USAGE;
    }
    if (state == 1 && mkdir(o->plan_dir, 0777) != 0) {
        base_errtext(errno, etext, sizeof(etext));
        fprintf(err, "gilsim: --plan=%s: cannot create the directory: %s\n",
                o->plan_dir, etext);
        return SIM_EXIT_USAGE;
    }
    if (realpath(o->plan_dir, p.dir) == NULL) {
        base_errtext(errno, etext, sizeof(etext));
        fprintf(err, "gilsim: --plan=%s: cannot resolve the directory: %s\n",
                o->plan_dir, etext);
        if (state == 1) {
            (void)rmdir(o->plan_dir);
        }
        return SIM_EXIT_USAGE;
    }
    /* A symbolic link on the way may name what the path did not. */
    status = check_plan_path(o->plan_dir, p.dir, err);
    if (status == SIM_EXIT_OK) {
        status = write_plan(o, command, a, &p, err);
    }
    if (status != SIM_EXIT_OK) {
        plan_undo(p.dir, state == 1);
        return status;
    }
    if (!o->quiet) {
        fprintf(err, "gilsim: sweep: planned %zu job%s in %s; nothing ran\n",
                p.n_jobs, p.n_jobs == 1 ? "" : "s", p.dir);
    }
    print_launch(&p, out);
    return SIM_EXIT_OK;
}

/* Job k of plan.json's "jobs" into *j; 0, or -1 with why. Its id must be
 * the one its cell and repetition make: a plan's ids are a function of
 * its cells, so an id that is not is a plan edited by hand or broken. */
static int
read_plan_job(json_t *v, struct sim_plan_job *j, char *why, size_t len)
{
    json_t *id = json_object_get(v, "id");
    json_t *model = json_object_get(v, "model");
    const char *keys[] = {"threads", "processes", "concurrency",
                          "switch_interval_ns", "repeat"};
    json_int_t num[5];
    char want[160];
    size_t k;
    int m;

    if (!json_is_object(v) || !json_is_string(id) || !json_is_string(model)) {
        (void)snprintf(why, len, "no \"id\" and \"model\"");
        return -1;
    }
    for (k = 0; k < 5; k++) {
        json_t *n = json_object_get(v, keys[k]);

        if (!json_is_integer(n) || json_integer_value(n) < 0 ||
            (k != 3 && json_integer_value(n) > 1000000)) {
            (void)snprintf(why, len, "\"%s\" is not a count", keys[k]);
            return -1;
        }
        num[k] = json_integer_value(n);
    }
    for (m = 0; m < SIM_MODEL_COUNT; m++) {
        if (strcmp(json_string_value(model),
                   sim_model_name((enum sim_model)m)) == 0) {
            break;
        }
    }
    if (m == SIM_MODEL_COUNT || num[4] >= SIM_REPEAT_MAX) {
        (void)snprintf(why, len, "%s",
                       m == SIM_MODEL_COUNT ? "\"model\" is not a model"
                                            : "\"repeat\" is too large");
        return -1;
    }
    memset(j, 0, sizeof(*j));
    j->cell.model = (enum sim_model)m;
    j->cell.threads = (int)num[0];
    j->cell.processes = (int)num[1];
    j->cell.concurrency = (int)num[2];
    j->cell.switch_interval_ns = (int64_t)num[3];
    j->repeat = (int)num[4];
    sim_sweep_cell_id(&j->cell, j->repeat, want, sizeof(want));
    if (strcmp(want, json_string_value(id)) != 0) {
        (void)snprintf(why, len, "its id %.60s is not its cell's (%s)",
                       json_string_value(id), want);
        return -1;
    }
    (void)snprintf(j->id, sizeof(j->id), "%s", want);
    return 0;
}

void
sim_sweep_plan_clear(struct sim_plan *p)
{
    int i;

    for (i = 0; i < p->argc; i++) {
        free(p->argv[i]);
    }
    free(p->argv);
    free(p->command);
    free(p->jobs);
    memset(p, 0, sizeof(*p));
}

int
sim_sweep_plan_read(const char *dir, struct sim_plan *p, FILE *err)
{
    char path[4200];
    char why[256];
    json_error_t je;
    json_t *doc, *flags, *cmd, *jobs, *fmt, *fver, *ver;
    size_t i, n;
    int status = SIM_EXIT_ERROR;

    memset(p, 0, sizeof(*p));
    (void)snprintf(path, sizeof(path), "%s/" PLAN_NAME, dir);
    doc = json_load_file(path, 0, &je);
    if (doc == NULL) {
        fprintf(err,
                "gilsim: --collect=%s: no plan there (%s: %s; expected a "
                "folder written by gilsim sweep --plan)\n",
                dir, path, je.text);
        return SIM_EXIT_USAGE;
    }
    fmt = json_object_get(doc, "format");
    fver = json_object_get(doc, "format_version");
    if (!json_is_string(fmt) ||
        strcmp(json_string_value(fmt), "gilsim-plan") != 0 ||
        !json_is_integer(fver) || json_integer_value(fver) != 1) {
        json_decref(doc);
        fprintf(err,
                "gilsim: --collect=%s: %s is not a gilsim plan of format 1 "
                "(expected \"format\": \"gilsim-plan\" and "
                "\"format_version\": 1, as gilsim sweep --plan writes)\n",
                dir, path);
        return SIM_EXIT_USAGE;
    }
    ver = json_object_get(doc, "gilsim_version");
    if (!json_is_string(ver) ||
        strcmp(json_string_value(ver), SIM_VERSION) != 0) {
        const char *by = json_string_value(json_object_get(doc, "gilsim"));

        fprintf(err,
                "gilsim: --collect=%s: planned by gilsim %.40s; this is "
                "gilsim %s (expected the same version: collect with the "
                "gilsim that planned it, %.300s)\n",
                dir, json_is_string(ver) ? json_string_value(ver) : "(unknown)",
                SIM_VERSION, by != NULL ? by : "named in plan.json");
        json_decref(doc);
        return SIM_EXIT_USAGE;
    }
    flags = json_object_get(doc, "flags");
    cmd = json_object_get(doc, "command");
    jobs = json_object_get(doc, "jobs");
    if (!json_is_array(flags) || !json_is_string(cmd) || !json_is_array(jobs) ||
        json_array_size(flags) > 1000) {
        json_decref(doc);
        fprintf(err,
                "gilsim: --collect=%s: %s is not a gilsim plan (expected "
                "\"flags\", \"command\" and \"jobs\")\n",
                dir, path);
        return SIM_EXIT_USAGE;
    }
    p->n_jobs = json_array_size(jobs);
    p->jobs = calloc(p->n_jobs > 0 ? p->n_jobs : 1, sizeof(*p->jobs));
    if (p->jobs == NULL) {
        goto nomem;
    }
    for (i = 0; i < p->n_jobs; i++) {
        if (read_plan_job(json_array_get(jobs, i), &p->jobs[i], why,
                          sizeof(why)) != 0) {
            fprintf(err,
                    "gilsim: --collect=%s: job %zu of %s: %s (expected the "
                    "jobs gilsim sweep --plan wrote)\n",
                    dir, i, path, why);
            status = SIM_EXIT_USAGE;
            goto out;
        }
    }
    n = json_array_size(flags);
    p->argv = calloc(n + 2, sizeof(*p->argv));
    if (p->argv == NULL) {
        goto nomem;
    }
    p->argc = (int)n + 2;
    p->argv[0] = strdup("gilsim");
    p->argv[1] = strdup("sweep");
    for (i = 0; i < n; i++) {
        const char *s = json_string_value(json_array_get(flags, i));

        p->argv[i + 2] = strdup(s != NULL ? s : "");
    }
    p->command = strdup(json_string_value(cmd));
    for (i = 0; i < n + 2; i++) {
        if (p->argv[i] == NULL) {
            goto nomem;
        }
    }
    if (p->command == NULL) {
        goto nomem;
    }
    json_decref(doc);
    return SIM_EXIT_OK;
nomem:
    fprintf(err, "gilsim: out of memory\n");
out:
    json_decref(doc);
    return status;
}
