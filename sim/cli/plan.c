/*
 * plan.c - the command line's side of `gilsim sweep`, `gilsim sweep
 * --plan=DIR` and `gilsim sweep --collect=DIR`: which flags a planned
 * cell's `gilsim run` takes, and the plan's flags read back for
 * --collect. A local sweep gets the same flags and writes the same plan
 * into its folder (sim_sweep_main); its jobs' options come from
 * sim_sweep_cell_options, which cell_flags below starts from too.
 *
 * The sweep's arguments are walked with the option table (opttable.c),
 * as the parser walks them, and each is written again as --name=value,
 * paths (--calibration, a --workload file) made absolute, so that a
 * job runs the same from any folder. A cell's flags are then: its model
 * and its place on the axes (--threads, --processes, --concurrency when
 * they apply to its model, --switch-interval), the sweep's other flags
 * that apply to that one model (the rows' `applies`, optapply.c: a
 * --worker-start given for a sweep of threads and processes goes to the
 * processes cells only), --cores pinned to the planning machine's value
 * under the virtual engine (its default is the host's core count),
 * --repeat=1 (each repetition is its own job), and --trace=off
 * --no-plots --quiet --cell, which make it a sweep's row and nothing
 * more. Every cell's flags are parsed again before the plan is written,
 * so a job that gilsim itself would refuse is a bug found at planning.
 *
 * plan.json records the sweep's flags without --plan, and with the
 * defaults that come from the planning machine's core count written out
 * (--processes when it applies, --cores under the virtual engine), so
 * that they make the same cells anywhere. --collect parses them into the
 * options it merges the jobs with (its jobs are plan.json's list); of the
 * command line it takes only --collect, --partial, --mixed-hosts, --format,
 * --quiet and --no-plots.
 */
/* realpath() is XSI: glibc declares it only with _XOPEN_SOURCE (or
 * _DEFAULT_SOURCE), which CMake does not define. */
#define _XOPEN_SOURCE 700 /* NOLINT(bugprone-reserved-identifier) */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_internal.h"

/* The sweep's flags, normalised: rows and values (malloc'd). */
#define FLAGS_MOST 256

struct flags {
    const struct sim_opt_desc *row[FLAGS_MOST];
    char *value[FLAGS_MOST]; /* NULL for a flag without a value */
    size_t n;
};

struct plan_ctx {
    const struct sim_options *o;
    const struct flags *fl;
};

/* The rows a cell sets itself, or that only shape the sweep's output. */
static int
sweep_own(const char *name)
{
    static const char *const own[] = {"model",
                                      "threads",
                                      "processes",
                                      "concurrency",
                                      "switch-interval",
                                      "repeat",
                                      "out",
                                      "format",
                                      "quiet",
                                      "no-plots",
                                      "cores",
                                      "force-new",
                                      "plan",
                                      "collect",
                                      "partial",
                                      "mixed-hosts",
                                      "jobs"};
    size_t i;

    for (i = 0; i < sizeof(own) / sizeof(own[0]); i++) {
        if (strcmp(name, own[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

/* A path as an absolute one: realpath, or the current folder before it. */
static char *
absolute(const char *path)
{
    char buf[PATH_MAX];
    char cwd[PATH_MAX];
    char *s;
    size_t n;

    if (realpath(path, buf) != NULL) {
        return strdup(buf);
    }
    if (path[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL) {
        return strdup(path);
    }
    n = strlen(cwd) + strlen(path) + 2;
    s = malloc(n);
    if (s != NULL) {
        (void)snprintf(s, n, "%s/%s", cwd, path);
    }
    return s;
}

static void
flags_clear(struct flags *fl)
{
    size_t i;

    for (i = 0; i < fl->n; i++) {
        free(fl->value[i]);
    }
    fl->n = 0;
}

/* The options of argv[2..] (after "sweep"), as the parser reads them;
 * 0, or -ENOMEM / -E2BIG. */
static int
flags_of(int argc, char **argv, struct flags *fl)
{
    int i;

    fl->n = 0;
    for (i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char *eq, *value = NULL;
        const struct sim_opt_desc *op;
        size_t len;
        char *v = NULL;

        if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
            continue; /* the parser took it already: not an option */
        }
        eq = strchr(a + 2, '=');
        len = eq != NULL ? (size_t)(eq - (a + 2)) : strlen(a + 2);
        op = sim_opt_find(a + 2, len);
        if (op == NULL) {
            continue;
        }
        if (sim_opt_takes_value(op)) {
            if (eq != NULL) {
                value = eq + 1;
            } else if (i + 1 < argc) {
                value = argv[++i];
            }
        }
        if (fl->n == sizeof(fl->row) / sizeof(fl->row[0])) {
            return -E2BIG;
        }
        if (value != NULL) {
            int is_file = strcmp(op->name, "workload") == 0 &&
                          (strchr(value, '/') != NULL ||
                           (strlen(value) > 5 &&
                            strcmp(value + strlen(value) - 5, ".json") == 0));

            v = op->kind == SIM_OPT_PATH || is_file ? absolute(value)
                                                    : strdup(value);
            if (v == NULL) {
                return -ENOMEM;
            }
        }
        fl->row[fl->n] = op;
        fl->value[fl->n] = v;
        fl->n++;
    }
    return 0;
}

/* "--name=value" or "--name" appended to buf as one sh word
 * (base_shell_word, which split_line reads back). */
static int
put_arg(char *buf, size_t len, size_t *used, const char *name,
        const char *value)
{
    char arg[4400];
    size_t k = *used;
    int w;

    if (value != NULL) {
        (void)snprintf(arg, sizeof(arg), "--%s=%s", name, value);
    } else {
        (void)snprintf(arg, sizeof(arg), "--%s", name);
    }
    if (k + 2 >= len) {
        return -E2BIG;
    }
    if (k > 0) {
        buf[k++] = ' ';
    }
    w = base_shell_word(buf + k, len - k, arg);
    if (w < 0) {
        buf[*used] = '\0';
        return -E2BIG;
    }
    *used = k + (size_t)w;
    return 0;
}

/* Split a flags line we wrote (no quotes inside: parse_check reads back
 * only lines of safe words and simple '...' quotes) into argv. */
static int
split_line(char *line, char **argv, int most)
{
    int n = 0;
    char *p = line, *w;

    while (*p != '\0' && n < most) {
        while (*p == ' ') {
            p++;
        }
        if (*p == '\0') {
            break;
        }
        w = p;
        argv[n++] = w;
        while (*p != '\0' && *p != ' ') {
            if (*p == '\'') {
                /* 'text' or '\'' : copy the quoted part down */
                char *q = p + 1;

                while (*q != '\0' && *q != '\'') {
                    *w++ = *q++;
                }
                p = *q == '\'' ? q + 1 : q;
                if (p[0] == '\\' && p[1] == '\'') {
                    *w++ = '\'';
                    p += 2;
                }
                continue;
            }
            *w++ = *p++;
        }
        if (*p == ' ') {
            p++;
        }
        *w = '\0';
    }
    return n;
}

static int
cell_flags(const void *vctx, const struct sim_sweep_cell *c, char *buf,
           size_t len, char *err, size_t errlen)
{
    const struct plan_ctx *ctx = vctx;
    const struct sim_options *o = ctx->o;
    struct sim_options co;
    char num[64], why[256];
    size_t used = 0, i;
    int rc = 0;

    buf[0] = '\0';
    /* What a local sweep runs of the cell: the flags below say the same. */
    sim_sweep_cell_options(o, c, "/cell", &co);
    rc |= put_arg(buf, len, &used, "model", sim_model_name(c->model));
    if (sim_opt_applies_threads(&co, why, sizeof(why))) {
        (void)snprintf(num, sizeof(num), "%d", c->threads);
        rc |= put_arg(buf, len, &used, "threads", num);
    }
    if (sim_opt_applies_processes(&co, why, sizeof(why))) {
        (void)snprintf(num, sizeof(num), "%d", c->processes);
        rc |= put_arg(buf, len, &used, "processes", num);
    }
    if (sim_opt_applies_loop(&co, why, sizeof(why))) {
        (void)snprintf(num, sizeof(num), "%d", c->concurrency);
        rc |= put_arg(buf, len, &used, "concurrency", num);
    }
    base_duration_text(c->switch_interval_ns, num, sizeof(num));
    rc |= put_arg(buf, len, &used, "switch-interval", num);
    for (i = 0; i < ctx->fl->n; i++) {
        const struct sim_opt_desc *op = ctx->fl->row[i];

        if (sweep_own(op->name) ||
            (op->applies != NULL && !op->applies(&co, why, sizeof(why)))) {
            continue;
        }
        rc |= put_arg(buf, len, &used, op->name, ctx->fl->value[i]);
    }
    if (o->engine_virtual) {
        (void)snprintf(num, sizeof(num), "%d", o->cores);
        rc |= put_arg(buf, len, &used, "cores", num);
    }
    rc |= put_arg(buf, len, &used, "repeat", "1");
    rc |= put_arg(buf, len, &used, "trace", "off");
    rc |= put_arg(buf, len, &used, "no-plots", NULL);
    rc |= put_arg(buf, len, &used, "quiet", NULL);
    rc |= put_arg(buf, len, &used, "cell", NULL);
    if (rc != 0) {
        (void)snprintf(err, errlen, "a cell's command is too long");
        return -E2BIG;
    }
    /* What gilsim run would make of it: the same cell, or a bug here. */
    {
        char *copy = strdup(buf);
        char *argv[300];
        char msg[SIM_ERR_LEN];
        struct sim_options po;
        enum sim_cmd cmd;
        int n;

        if (copy == NULL) {
            (void)snprintf(err, errlen, "out of memory");
            return -ENOMEM;
        }
        argv[0] = "gilsim";
        argv[1] = "run";
        n = split_line(copy, argv + 2, 296);
        argv[2 + n] = "--out=/cell";
        rc = sim_opt_parse(3 + n, argv, &po, &cmd, msg, sizeof(msg));
        if (rc == 0 && (po.models != co.models ||
                        po.switch_interval_ns != c->switch_interval_ns)) {
            (void)snprintf(msg, sizeof(msg), "another cell");
            rc = -1;
        }
        free(copy);
        if (rc != 0) {
            (void)snprintf(err, errlen,
                           "gilsim would refuse the cell's command (%s): %s",
                           buf, msg);
            return -EINVAL;
        }
    }
    return 0;
}

/* Refuse what --plan or --collect cannot take; one line in err. */
static int
check_combination(const struct flags *fl, const struct sim_options *o,
                  char *err, size_t errlen)
{
    static const char *const collect_own[] = {
        "collect", "partial", "mixed-hosts", "format", "quiet", "no-plots"};
    size_t i, k;

    if (o->predict_dir[0] != '\0') {
        (void)snprintf(err, errlen,
                       "--%s: does not apply to gilsim predict (expected "
                       "gilsim sweep --%s=DIR)",
                       o->plan_dir[0] != '\0' ? "plan" : "collect",
                       o->plan_dir[0] != '\0' ? "plan" : "collect");
        return SIM_EXIT_USAGE;
    }
    if (o->plan_dir[0] != '\0' && o->collect_dir[0] != '\0') {
        (void)snprintf(err, errlen,
                       "--plan=%.200s with --collect=%.200s: one at a time "
                       "(expected --plan to write a plan, then --collect "
                       "once its jobs ran)",
                       o->plan_dir, o->collect_dir);
        return SIM_EXIT_USAGE;
    }
    for (i = 0; i < fl->n; i++) {
        const char *name = fl->row[i]->name;

        if (o->plan_dir[0] != '\0' &&
            (strcmp(name, "out") == 0 || strcmp(name, "force-new") == 0)) {
            (void)snprintf(err, errlen,
                           "--%s: does not apply with --plan=%.200s (expected "
                           "no --%s: the cells go to %.200s/cells)",
                           name, o->plan_dir, name, o->plan_dir);
            return SIM_EXIT_USAGE;
        }
        if (o->collect_dir[0] == '\0') {
            continue;
        }
        for (k = 0; k < sizeof(collect_own) / sizeof(collect_own[0]); k++) {
            if (strcmp(name, collect_own[k]) == 0) {
                break;
            }
        }
        if (k == sizeof(collect_own) / sizeof(collect_own[0])) {
            (void)snprintf(err, errlen,
                           "--%s: does not apply with --collect=%.200s "
                           "(expected only --partial, --mixed-hosts, "
                           "--format, --quiet or --no-plots: the sweep's "
                           "flags come from its plan.json)",
                           name, o->collect_dir);
            return SIM_EXIT_USAGE;
        }
    }
    return 0;
}

/* 1 if the sweep's flags have --name. */
static int
flag_given(const struct flags *fl, const char *name)
{
    size_t i;

    for (i = 0; i < fl->n; i++) {
        if (strcmp(fl->row[i]->name, name) == 0) {
            return 1;
        }
    }
    return 0;
}

/* words[*n] = "--name=value" or "--name" (malloc'd); 0 or -ENOMEM. */
static int
add_word(char **words, size_t *n, const char *name, const char *value)
{
    size_t len = strlen(name) + 4 + (value != NULL ? strlen(value) : 0);
    char *w = malloc(len);

    if (w == NULL) {
        return -ENOMEM;
    }
    if (value != NULL) {
        (void)snprintf(w, len, "--%s=%s", name, value);
    } else {
        (void)snprintf(w, len, "--%s", name);
    }
    words[(*n)++] = w;
    return 0;
}

int
sim_cli_sweep(int argc, char **argv, const struct sim_options *o,
              const char *command, FILE *out, FILE *err)
{
    struct flags fl;
    struct plan_ctx ctx;
    struct sim_plan_args pa;
    char *words[FLAGS_MOST + 2];
    char msg[SIM_ERR_LEN];
    char num[32];
    size_t i, n = 0;
    int status = SIM_EXIT_OK, rc;

    memset(&fl, 0, sizeof(fl));
    rc = flags_of(argc, argv, &fl);
    if (rc != 0) {
        flags_clear(&fl);
        if (rc == -E2BIG) {
            fprintf(err,
                    "gilsim: sweep: more than %d options (expected at "
                    "most %d)\n",
                    FLAGS_MOST, FLAGS_MOST);
            return SIM_EXIT_USAGE;
        }
        fprintf(err, "gilsim: out of memory\n");
        return SIM_EXIT_ERROR;
    }
    if (check_combination(&fl, o, msg, sizeof(msg)) != 0) {
        flags_clear(&fl);
        fprintf(err, "gilsim: %s\n", msg);
        return SIM_EXIT_USAGE;
    }
    if (o->collect_dir[0] != '\0') {
        flags_clear(&fl);
        return SIM_EXIT_OK; /* checked; sim_cli_collect does the rest */
    }
    /* plan.json keeps the sweep's flags as --name=value, but for where
     * the plan goes and how many jobs ran at once here. */
    rc = 0;
    for (i = 0; i < fl.n && rc == 0; i++) {
        const char *name = fl.row[i]->name;

        if (strcmp(name, "plan") != 0 && strcmp(name, "out") != 0 &&
            strcmp(name, "force-new") != 0 && strcmp(name, "jobs") != 0) {
            rc = add_word(words, &n, fl.row[i]->name, fl.value[i]);
        }
    }
    /* Defaults that come from this machine's core count are written down
     * as if given, so that the plan's flags make the same cells wherever
     * they are parsed again (--collect takes its cells from the jobs). */
    if (rc == 0 && !flag_given(&fl, "processes") &&
        sim_opt_applies_processes(o, msg, sizeof(msg))) {
        (void)snprintf(num, sizeof(num), "%d", o->processes);
        rc = add_word(words, &n, "processes", num);
    }
    if (rc == 0 && !flag_given(&fl, "cores") && o->engine_virtual) {
        (void)snprintf(num, sizeof(num), "%d", o->cores);
        rc = add_word(words, &n, "cores", num);
    }
    if (rc != 0) {
        fprintf(err, "gilsim: out of memory\n");
        status = SIM_EXIT_ERROR;
        goto out;
    }
    ctx.o = o;
    ctx.fl = &fl;
    pa.argv = (const char *const *)words;
    pa.argc = (int)n;
    pa.cell_flags = cell_flags;
    pa.ctx = &ctx;
    status = o->plan_dir[0] != '\0'
                 ? sim_sweep_plan_main(o, command, &pa, out, err)
                 : sim_sweep_main(o, command, &pa, out, err, 1);
out:
    for (i = 0; i < n; i++) {
        free(words[i]);
    }
    flags_clear(&fl);
    return status;
}

int
sim_cli_collect(const struct sim_options *given, FILE *out, FILE *err)
{
    struct sim_plan plan;
    char msg[SIM_ERR_LEN];
    struct sim_options o;
    enum sim_cmd cmd;
    int status;

    status = sim_sweep_plan_read(given->collect_dir, &plan, err);
    if (status != SIM_EXIT_OK) {
        goto out;
    }
    status = sim_opt_parse(plan.argc, plan.argv, &o, &cmd, msg, sizeof(msg));
    if (status != 0 || cmd != SIM_CMD_SWEEP) {
        fprintf(err,
                "gilsim: --collect=%s: its plan.json's flags are refused "
                "now: %s (expected the gilsim that planned it)\n",
                given->collect_dir, status != 0 ? msg : "not a sweep");
        status = SIM_EXIT_USAGE;
        goto out;
    }
    (void)snprintf(o.collect_dir, sizeof(o.collect_dir), "%s",
                   given->collect_dir);
    o.partial = given->partial;
    o.mixed_hosts = given->mixed_hosts;
    o.formats = given->formats;
    o.quiet = given->quiet;
    o.no_plots = given->no_plots;
    status = sim_costs_load_options(&o, err);
    if (status == SIM_EXIT_OK) {
        status = sim_sweep_collect_main(&o, plan.command, plan.jobs,
                                        plan.n_jobs, out, err);
    }
out:
    sim_sweep_plan_clear(&plan);
    return status;
}
