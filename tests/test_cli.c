/*
 * test_cli.c - the gilsim command line, run as a real process.
 *
 * Usage: test_cli PATH/TO/gilsim PATH/TO/cli.txt
 *
 * cli.txt holds one case a line, `EXIT<TAB>STDERR-SUBSTRING<TAB>ARGS...`
 * (ARGS split on blanks; `#` starts a comment; a substring of `-` means
 * stderr must be empty). Each case runs the binary with posix_spawn in a
 * fresh, empty working directory made by mkdtemp, with stdout and stderr
 * going to files in a second temporary directory. It checks the exit
 * status; that a non-empty stderr is exactly one line containing the
 * substring (which names the flag and the value); and that a refused command
 * line (exit 2) left the working directory empty, so no output folder was
 * created. Further cases check --help (every option of the parser's table
 * appears, with its range), --version, a tiny real run that must leave
 * summary.json and the traces, and a non-empty --out that must be refused. In
 * this process, every row of the option table is checked against the parser:
 * its missing-value error carries the row's sentence (sim_opt_expect), the ends
 * of its range are accepted and one past the top is refused with an error
 * naming both ends, and a wrong name is refused with an error that lists every
 * model, workload, policy or format the row accepts.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli_internal.h"
#include "test_files.h"

extern char **environ;

#define MAX_ARGS 32
#define OUT_MAX  (256 * 1024)

static const char *gilsim_path;
static const char *data_path;
static char capture_dir[] = "/tmp/gilsim-cli-io-XXXXXX";

struct result {
    int status;        /* exit status, or 128 + signal */
    char out[OUT_MAX]; /* stdout */
    char err[OUT_MAX]; /* stderr */
};

static void
read_file(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    size_t n = 0;

    buf[0] = '\0';
    if (f == NULL) {
        return;
    }
    n = fread(buf, 1, len - 1, f);
    buf[n] = '\0';
    fclose(f);
}

static int
dir_is_empty(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *de;
    int empty = 1;

    assert_non_null(d);
    for (;;) {
        /* Only this thread uses the DIR, so readdir is safe. */
        de = readdir(d); // NOLINT(concurrency-mt-unsafe)
        if (de == NULL) {
            break;
        }
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
            empty = 0;
        }
    }
    closedir(d);
    return empty;
}

/* The ASan build prints one line when --engine=virtual first switches
 * fibers ("==PID==WARNING: ASan doesn't fully support makecontext/
 * swapcontext ..."): a note about the sanitizer, not gilsim's output. */
static void
drop_asan_fiber_warning(char *err)
{
    char *w = strstr(err, "WARNING: ASan doesn't fully support makecontext");
    char *start, *end;

    if (w == NULL) {
        return;
    }
    for (start = w; start > err && start[-1] != '\n'; start--) {
    }
    end = strchr(w, '\n');
    end = end != NULL ? end + 1 : w + strlen(w);
    memmove(start, end, strlen(end) + 1);
}

/* Start gilsim with args in `cwd`, its stdout and stderr going to
 * capture_dir/TAG.out and TAG.err; the child's pid. */
static pid_t
spawn_gilsim(const char *cwd, char *const *args, size_t nargs, const char *tag)
{
    char *argv[MAX_ARGS + 2];
    char out_path[128];
    char err_path[128];
    char here[4096];
    posix_spawn_file_actions_t fa;
    pid_t pid;
    size_t i;
    int rc;

    assert_true(nargs <= MAX_ARGS);
    argv[0] = (char *)gilsim_path;
    for (i = 0; i < nargs; i++) {
        argv[i + 1] = args[i];
    }
    argv[nargs + 1] = NULL;
    (void)snprintf(out_path, sizeof(out_path), "%s/%s.out", capture_dir, tag);
    (void)snprintf(err_path, sizeof(err_path), "%s/%s.err", capture_dir, tag);

    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    assert_int_equal(posix_spawn_file_actions_addopen(
                         &fa, 1, out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600),
                     0);
    assert_int_equal(posix_spawn_file_actions_addopen(
                         &fa, 2, err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600),
                     0);
    /* posix_spawn has no chdir action in POSIX 2008: change ours around
     * the spawn (the test is single-threaded). */
    assert_non_null(getcwd(here, sizeof(here)));
    assert_int_equal(chdir(cwd), 0);
    rc = posix_spawn(&pid, gilsim_path, &fa, NULL, argv, environ);
    assert_int_equal(chdir(here), 0);
    posix_spawn_file_actions_destroy(&fa);
    assert_int_equal(rc, 0);
    return pid;
}

/* Wait for a child of spawn_gilsim and fill *r. */
static void
wait_gilsim(pid_t pid, const char *tag, struct result *r)
{
    char path[128];
    int wstatus;

    while (waitpid(pid, &wstatus, 0) < 0) {
        assert_int_equal(errno, EINTR);
    }
    if (WIFEXITED(wstatus)) {
        r->status = WEXITSTATUS(wstatus);
    } else {
        r->status = 128 + WTERMSIG(wstatus);
    }
    (void)snprintf(path, sizeof(path), "%s/%s.out", capture_dir, tag);
    read_file(path, r->out, sizeof(r->out));
    (void)snprintf(path, sizeof(path), "%s/%s.err", capture_dir, tag);
    read_file(path, r->err, sizeof(r->err));
    drop_asan_fiber_warning(r->err);
}

/* Run gilsim with args in `cwd`; fills *r. */
static void
run_gilsim(const char *cwd, char *const *args, size_t nargs, struct result *r)
{
    wait_gilsim(spawn_gilsim(cwd, args, nargs, "run"), "run", r);
}

static char *
make_workdir(void)
{
    char *dir = strdup("/tmp/gilsim-cli-XXXXXX");

    assert_non_null(dir);
    assert_non_null(mkdtemp(dir));
    return dir;
}

/* Exactly one line: one newline, at the end. */
static int
is_one_line(const char *s)
{
    const char *nl = strchr(s, '\n');

    return nl != NULL && nl[1] == '\0' && nl != s;
}

static void
table_cases_exit_with_one_line_naming_the_flag(void **state)
{
    static struct result r;
    FILE *f = fopen(data_path, "r");
    char line[1024];
    int lineno = 0;
    int cases = 0;

    (void)state;
    assert_non_null(f);
    while (fgets(line, sizeof(line), f) != NULL) {
        char *exit_s;
        char *want;
        char *rest;
        char *args[MAX_ARGS];
        size_t nargs = 0;
        char *tok;
        char *save = NULL;
        char *workdir;
        int expect;

        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0') {
            continue;
        }
        exit_s = line;
        want = strchr(exit_s, '\t');
        if (want == NULL) {
            fail_msg("cli.txt:%d: no tab after the exit status", lineno);
            continue;
        }
        *want++ = '\0';
        rest = strchr(want, '\t');
        if (rest == NULL) {
            fail_msg("cli.txt:%d: no tab after the stderr substring", lineno);
            continue;
        }
        *rest++ = '\0';
        expect = atoi(exit_s);
        for (tok = strtok_r(rest, " \t", &save); tok != NULL;
             tok = strtok_r(NULL, " \t", &save)) {
            assert_true(nargs < MAX_ARGS);
            args[nargs++] = tok;
        }

        workdir = make_workdir();
        run_gilsim(workdir, args, nargs, &r);
        if (r.status != expect) {
            fail_msg("cli.txt:%d: exit %d, expected %d; stderr: %s", lineno,
                     r.status, expect, r.err);
        }
        if (strcmp(want, "-") == 0) {
            if (r.err[0] != '\0') {
                fail_msg("cli.txt:%d: stderr not empty: %s", lineno, r.err);
            }
        } else {
            if (!is_one_line(r.err)) {
                fail_msg("cli.txt:%d: stderr is not one line: [%s]", lineno,
                         r.err);
            }
            if (strstr(r.err, want) == NULL) {
                fail_msg("cli.txt:%d: stderr lacks '%s': %s", lineno, want,
                         r.err);
            }
        }
        if (expect == SIM_EXIT_USAGE && !dir_is_empty(workdir)) {
            fail_msg("cli.txt:%d: a refused command left files behind", lineno);
        }
        tf_remove_tree(workdir);
        free(workdir);
        cases++;
    }
    fclose(f);
    assert_true(cases >= 15);
}

/* Runs of blanks and newlines in s made one space, in place. */
static void
squeeze_blanks(char *s)
{
    const char *p;
    char *d = s;

    for (p = s; *p != '\0'; p++) {
        char c = *p == '\n' ? ' ' : *p;

        if (c == ' ' && d > s && d[-1] == ' ') {
            continue;
        }
        *d++ = c;
    }
    *d = '\0';
}

static void
help_lists_every_flag_and_exits_0(void **state)
{
    static struct result r;
    char *args[] = {"--help"};
    const struct sim_opt_desc *opts;
    char *workdir = make_workdir();
    size_t n;
    size_t i;

    (void)state;
    run_gilsim(workdir, args, 1, &r);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.err, "");
    opts = sim_opt_table(&n);
    assert_true(n >= 14);
    for (i = 0; i < n; i++) {
        char flag[64];

        (void)snprintf(flag, sizeof(flag), "--%s", opts[i].name);
        if (strstr(r.out, flag) == NULL) {
            fail_msg("--help does not mention %s", flag);
        }
    }
    /* Every range, as the table has it (the text is re-flowed: compare
     * with runs of blanks and newlines made one space). */
    squeeze_blanks(r.out);
    for (i = 0; i < n; i++) {
        char range[256];

        sim_opt_range(&opts[i], range, sizeof(range));
        if (range[0] != '\0' && strstr(r.out, range) == NULL) {
            fail_msg("--help does not give the range of --%s: %s", opts[i].name,
                     range);
        }
    }
    assert_non_null(strstr(r.out, "3.2-3.12"));
    assert_non_null(strstr(r.out, "Python 2"));
    assert_true(dir_is_empty(workdir));
    tf_remove_tree(workdir);
    free(workdir);
}

/* 1 if `help` has an option line for --name: "\n  --name" then '=', a
 * blank or the end of the line (not a mention in another's text). */
static int
has_option_line(const char *help, const char *name)
{
    char head[80];
    const char *p;
    size_t n;

    n = (size_t)snprintf(head, sizeof(head), "\n  --%s", name);
    for (p = strstr(help, head); p != NULL; p = strstr(p + 1, head)) {
        if (p[n] == '=' || p[n] == ' ' || p[n] == '\n') {
            return 1;
        }
    }
    return 0;
}

/* `gilsim CMD --help` has a line for exactly the options CMD takes. */
static void
command_help_lists_exactly_its_options(void **state)
{
    static const struct {
        const char *name;
        enum sim_cmd cmd;
    } cmds[] = {
        {"run", SIM_CMD_RUN},
        {"serve", SIM_CMD_SERVE},
        {"sweep", SIM_CMD_SWEEP},
        {"plot", SIM_CMD_PLOT},
        {"calibrate", SIM_CMD_CALIBRATE},
    };
    static struct result r;
    const struct sim_opt_desc *opts;
    size_t n, c, i;

    (void)state;
    opts = sim_opt_table(&n);
    for (c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++) {
        char *args[] = {(char *)cmds[c].name, "--help"};
        char *workdir = make_workdir();
        char usage[64];

        run_gilsim(workdir, args, 2, &r);
        assert_int_equal(r.status, 0);
        assert_string_equal(r.err, "");
        (void)snprintf(usage, sizeof(usage), "Usage: gilsim %s%s",
                       cmds[c].cmd == SIM_CMD_RUN ? "[" : "", cmds[c].name);
        if (strstr(r.out, usage) == NULL) {
            fail_msg("gilsim %s --help lacks '%s'", cmds[c].name, usage);
        }
        for (i = 0; i < n; i++) {
            int takes = (opts[i].cmds & (1u << cmds[c].cmd)) != 0;

            if (opts[i].kind == SIM_OPT_ACTION) {
                continue;
            }
            if (has_option_line(r.out, opts[i].name) != takes) {
                fail_msg("gilsim %s --help %s --%s", cmds[c].name,
                         takes ? "lacks" : "lists", opts[i].name);
            }
        }
        tf_remove_tree(workdir);
        free(workdir);
    }
}

/* 1 if a file under `dir` (recursively) is a leftover temporary file:
 * a name with ".tmp" in it. */
static int
has_temp_file(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int found = 0;

    if (d == NULL) {
        return 0;
    }
    while (!found && (e = readdir(d)) != NULL) {
        char path[4200];
        struct stat st;

        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
            continue;
        }
        (void)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (strstr(e->d_name, ".tmp") != NULL) {
            found = 1;
        } else if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            found = has_temp_file(path);
        }
    }
    closedir(d);
    return found;
}

/*
 * A full disk: a run into a 192 KiB tmpfs, whose pages and traces cannot
 * all fit, says "No space left on device" and names the file on one line,
 * exits 3, and leaves no half-written file (every write goes through a
 * temporary file and a rename, and a failed one removes its temporary
 * file). Needs the right to mount a tmpfs (root, CAP_SYS_ADMIN): skipped
 * where it is missing, which the test's output says.
 */
static void
a_full_disk_is_reported_as_such_and_nothing_is_half_written(void **state)
{
    static struct result r;
    char *workdir = make_workdir();
    char mnt[4200], out_arg[4300];
    int temp_left, run_left;
    char *args[] = {"--pages=8",  "--latency=0", "--model=serial,threads",
                    "--no-plots", "--quiet",     out_arg};

    (void)state;
    (void)snprintf(mnt, sizeof(mnt), "%s/small", workdir);
    assert_int_equal(mkdir(mnt, 0700), 0);
    if (mount("tmpfs", mnt, "tmpfs", 0, "size=192k") != 0) {
        print_message("skipped: cannot mount a tmpfs here (%s)\n",
                      strerror(errno));
        tf_remove_tree(workdir);
        free(workdir);
        skip();
    }
    (void)snprintf(out_arg, sizeof(out_arg), "--out=%s/run", mnt);
    run_gilsim(workdir, args, sizeof(args) / sizeof(args[0]), &r);
    temp_left = has_temp_file(mnt);
    /* Issue 20: no summary, so nothing at all (it left serial/pages). */
    (void)snprintf(out_arg, sizeof(out_arg), "%s/run", mnt);
    run_left = access(out_arg, F_OK) == 0;
    /* Unmounted before any assertion, so a failure leaves no mount. */
    assert_int_equal(umount(mnt), 0);
    tf_remove_tree(workdir);
    free(workdir);
    assert_int_equal(r.status, 3);
    assert_true(is_one_line(r.err));
    if (strstr(r.err, "No space left on device") == NULL ||
        strstr(r.err, "/small/run/") == NULL) {
        fail_msg("expected ENOSPC naming the file: %s", r.err);
    }
    assert_false(temp_left);
    assert_false(run_left);
}

/* Parse `gilsim [cmd] [--engine=virtual] --NAME=VALUE` in this process
 * (the engine for its options, and for --threads up to its virtual max);
 * the exit status, with the error line in err. */
static int
parse_one(const struct sim_opt_desc *op, const char *value, char *err,
          size_t errlen)
{
    char arg[256];
    char *argv[5];
    struct sim_options o;
    enum sim_cmd cmd;
    int argc = 0;

    argv[argc++] = "gilsim";
    if (strcmp(op->name, "python") == 0) {
        argv[argc++] = "calibrate";
    } else if (!(op->cmds & (1u << SIM_CMD_RUN))) {
        argv[argc++] = "sweep"; /* a sweep's own: --jobs */
    }
    if ((op->flags & SIM_OPTF_VIRTUAL) || op->max_virtual > 0 ||
        op->applies == sim_opt_applies_jobs) {
        argv[argc++] = "--engine=virtual";
    }
    /* A run the option applies to (its row's `applies`). */
    if (op->applies == sim_opt_applies_cpu) {
        argv[argc++] = "--workload=cpu";
    } else if (op->applies == sim_opt_applies_convoy ||
               op->applies == sim_opt_applies_ops ||
               op->applies == sim_opt_applies_cpu_threads) {
        argv[argc++] = "--workload=convoy";
    } else if (op->applies == sim_opt_applies_per_interpreter) {
        argv[argc++] = "--policy=per-interpreter";
    } else if (op->applies == sim_opt_applies_client &&
               strcmp(value, "aiohttp") == 0) {
        argv[argc++] = "--model=loop"; /* the loop's client */
    }
    (void)snprintf(arg, sizeof(arg), "--%s=%s", op->name, value);
    argv[argc++] = arg;
    err[0] = '\0';
    return sim_opt_parse(argc, argv, &o, &cmd, err, errlen);
}

/* A number as the sentences write it: 1G, 10M, or whole digits. */
static void
count_text(double v, char *buf, size_t len)
{
    if (v >= 1e6 && (int64_t)v % 1000000000 == 0) {
        (void)snprintf(buf, len, "%lldG", (long long)(v / 1e9));
    } else if (v >= 1e6 && (int64_t)v % 1000000 == 0) {
        (void)snprintf(buf, len, "%lldM", (long long)(v / 1e6));
    } else {
        (void)snprintf(buf, len, "%lld", (long long)v);
    }
}

static void
assert_contains(const struct sim_opt_desc *op, const char *err,
                const char *want)
{
    if (strstr(err, want) == NULL) {
        fail_msg("--%s: the error lacks '%s': %s", op->name, want, err);
    }
}

/* Every name the row accepts parses, and a wrong one is refused with an
 * error that lists all of them (and `all` for --model). */
static void
check_names(const struct sim_opt_desc *op)
{
    char err[SIM_ERR_LEN];
    size_t i;

    assert_int_equal(parse_one(op, "bogus-name", err, sizeof(err)),
                     SIM_EXIT_USAGE);
    for (i = 0; op->name_at(i) != NULL; i++) {
        char ok[SIM_ERR_LEN];

        assert_contains(op, err, op->name_at(i));
        if (parse_one(op, op->name_at(i), ok, sizeof(ok)) != 0) {
            fail_msg("--%s=%s refused: %s", op->name, op->name_at(i), ok);
        }
    }
    if (op->flags & SIM_OPTF_ALL) {
        assert_contains(op, err, " or all");
    }
}

/* The ends of the row's range parse; one past the top is refused with an
 * error that names both ends. `fmt` writes a value in the kind's unit. */
static void
check_range(const struct sim_opt_desc *op, const char *fmt)
{
    char err[SIM_ERR_LEN];
    char v[96];
    char want[64];
    double top = op->max_virtual > 0 ? op->max_virtual : op->max;

    (void)snprintf(v, sizeof(v), fmt, (long long)top + 1);
    if (parse_one(op, v, err, sizeof(err)) != SIM_EXIT_USAGE) {
        fail_msg("--%s=%s accepted", op->name, v);
    }
    if (op->kind == SIM_OPT_COUNT) {
        count_text(op->min, want, sizeof(want));
        (void)snprintf(v, sizeof(v), " %s", want);
        assert_contains(op, err, v);
        count_text(op->max, want, sizeof(want));
        (void)snprintf(v, sizeof(v), " %s", want);
        assert_contains(op, err, v);
    }
    (void)snprintf(v, sizeof(v), fmt, (long long)top);
    if (parse_one(op, v, err, sizeof(err)) != 0) {
        fail_msg("--%s=%s refused: %s", op->name, v, err);
    }
    if (!(op->flags & SIM_OPTF_MIN_EXCL)) {
        (void)snprintf(v, sizeof(v), fmt, (long long)op->min);
        if (parse_one(op, v, err, sizeof(err)) != 0) {
            fail_msg("--%s=%s refused: %s", op->name, v, err);
        }
    }
}

static void
errors_name_what_the_table_accepts(void **state)
{
    /* A value in each ranged kind's smallest unit. */
    static const struct {
        enum sim_opt_kind kind;
        const char *fmt;
    } units[] = {{SIM_OPT_COUNT, "%lld"},
                 {SIM_OPT_DURATION, "%lldns"},
                 {SIM_OPT_SIZE, "%lldB"},
                 {SIM_OPT_RATE, "%lldB/s"}};
    const struct sim_opt_desc *opts;
    size_t n, i, k;

    (void)state;
    opts = sim_opt_table(&n);
    for (i = 0; i < n; i++) {
        const struct sim_opt_desc *op = &opts[i];
        char err[SIM_ERR_LEN];
        char expect[SIM_ERR_LEN];
        char want[SIM_ERR_LEN + 64];
        char flag[64];
        char *argv[] = {"gilsim", "calibrate", flag};
        int python = strcmp(op->name, "python") == 0;
        /* Sweep's own (--plan, --collect): after sweep. */
        int sweep_only = !(op->cmds & (1u << SIM_CMD_RUN)) && !python;
        struct sim_options o;
        enum sim_cmd cmd;

        if (!sim_opt_takes_value(op)) {
            continue;
        }
        /* A missing value: the row's sentence (--python after calibrate,
         * the one command that takes it; argv + 1 makes "calibrate" the
         * program name, which the parser skips). */
        (void)snprintf(flag, sizeof(flag), "--%s", op->name);
        if (sweep_only) {
            argv[1] = "sweep";
        }
        assert_int_equal(sim_opt_parse(python || sweep_only ? 3 : 2,
                                       python || sweep_only ? argv : argv + 1,
                                       &o, &cmd, err, sizeof(err)),
                         SIM_EXIT_USAGE);
        sim_opt_expect(op, expect, sizeof(expect));
        (void)snprintf(want, sizeof(want), "--%s: missing value (expected %s)",
                       op->name, expect);
        assert_string_equal(err, want);
        if (op->kind == SIM_OPT_NAME || op->kind == SIM_OPT_LIST) {
            check_names(op);
        }
        for (k = 0; k < sizeof(units) / sizeof(units[0]); k++) {
            if (units[k].kind == op->kind) {
                check_range(op, units[k].fmt);
            }
        }
    }
}

static void
version_prints_the_version(void **state)
{
    static struct result r;
    char *args[] = {"--version"};
    char *workdir = make_workdir();

    (void)state;
    run_gilsim(workdir, args, 1, &r);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "gilsim " SIM_VERSION "\n");
    tf_remove_tree(workdir);
    free(workdir);
}

static void
file_exists(const char *dir, const char *name)
{
    char path[4200];
    struct stat st;
    int n = snprintf(path, sizeof(path), "%s/%s", dir, name);

    assert_true(n > 0 && (size_t)n < sizeof(path));
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
        fail_msg("%s is missing or empty", path);
    }
}

static void
tiny_run_writes_summary_and_traces(void **state)
{
    static struct result r;
    char *args[] = {"--model=serial,threads", "--workload=cpu", "--threads=2",
                    "--count=20000",          "--out=run1",     "--quiet"};
    char *workdir = make_workdir();
    char run1[4096];
    const char *last;

    (void)state;
    run_gilsim(workdir, args, (int)(sizeof(args) / sizeof(args[0])), &r);
    if (r.status != 0) {
        fail_msg("exit %d: %s", r.status, r.err);
    }
    assert_string_equal(r.err, "");
    (void)snprintf(run1, sizeof(run1), "%s/run1", workdir);
    file_exists(run1, "summary.json");
    file_exists(run1, "serial/trace.tsv");
    file_exists(run1, "serial/trace.json");
    file_exists(run1, "threads/trace.tsv");
    file_exists(run1, "threads/trace.json");
    /* The table, then the folder on the last line. */
    assert_non_null(strstr(r.out, "threads"));
    last = strstr(r.out, "traces and summary: run1\n");
    assert_non_null(last);
    assert_string_equal(last, "traces and summary: run1\n");

    /* Running again into the same folder is refused, and nothing changes. */
    run_gilsim(workdir, args, (int)(sizeof(args) / sizeof(args[0])), &r);
    assert_int_equal(r.status, SIM_EXIT_USAGE);
    assert_true(is_one_line(r.err));
    assert_non_null(strstr(r.err, "--out=run1"));
    assert_non_null(strstr(r.err, "not empty"));
    tf_remove_tree(workdir);
    free(workdir);
}

/* The folder a run printed on its last line, "traces and summary: DIR". */
static void
printed_folder(const struct result *r, char *dir, size_t len)
{
    const char *p = strstr(r->out, "traces and summary: ");
    size_t n;

    assert_non_null(p);
    p += strlen("traces and summary: ");
    n = strcspn(p, "\n");
    assert_true(n > 0 && n < len);
    memcpy(dir, p, n);
    dir[n] = '\0';
}

/* Two runs started at once without --out take two folders, each with a
 * complete summary. The default folders of this second and the next two
 * already exist, empty (a run once reused an empty default folder, so two
 * runs in one second wrote into one). */
static void
two_default_runs_at_once_take_two_folders(void **state)
{
    static struct result ra, rb;
    char *args[] = {"--model=serial", "--workload=cpu", "--count=200K"};
    char *workdir = make_workdir();
    char path[4400], da[256], db[256];
    time_t now = time(NULL);
    pid_t a, b;
    int k;

    (void)state;
    (void)snprintf(path, sizeof(path), "%s/gilsim-out", workdir);
    assert_int_equal(mkdir(path, 0777), 0);
    for (k = 0; k < 3; k++) {
        char stamp[32];
        time_t t = now + k;
        struct tm tm;

        assert_non_null(localtime_r(&t, &tm));
        assert_true(strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm) > 0);
        (void)snprintf(path, sizeof(path), "%s/gilsim-out/%s", workdir, stamp);
        assert_int_equal(mkdir(path, 0777), 0);
    }
    a = spawn_gilsim(workdir, args, 3, "a");
    b = spawn_gilsim(workdir, args, 3, "b");
    wait_gilsim(a, "a", &ra);
    wait_gilsim(b, "b", &rb);
    if (ra.status != 0 || rb.status != 0) {
        fail_msg("exits %d and %d: %s / %s", ra.status, rb.status, ra.err,
                 rb.err);
    }
    printed_folder(&ra, da, sizeof(da));
    printed_folder(&rb, db, sizeof(db));
    assert_string_not_equal(da, db);
    (void)snprintf(path, sizeof(path), "%s/%s", workdir, da);
    file_exists(path, "summary.json");
    file_exists(path, "serial/trace.json");
    (void)snprintf(path, sizeof(path), "%s/%s", workdir, db);
    file_exists(path, "summary.json");
    file_exists(path, "serial/trace.json");
    tf_remove_tree(workdir);
    free(workdir);
}

/* A second run given the --out of a run under way is refused with one
 * line and exit 2; the first finishes, and its folder holds its own run
 * and no lock file. */
static void
same_out_as_a_run_under_way_is_refused(void **state)
{
    static struct result ra, rb;
    char *args[] = {"--model=serial,threads", "--workload=cpu", "--count=20M",
                    "--out=shared", "--quiet"};
    char *workdir = make_workdir();
    char dir[4400], lock[4500];
    struct stat st;
    pid_t a;
    int waited_ms = 0;

    (void)state;
    (void)snprintf(dir, sizeof(dir), "%s/shared", workdir);
    (void)snprintf(lock, sizeof(lock), "%s/.gilsim.lock", dir);
    a = spawn_gilsim(workdir, args, 5, "a");
    /* The lock is the run's first file: wait until it is there. */
    while (stat(lock, &st) != 0 && waited_ms < 30000) {
        struct timespec ms = {0, 1000000};

        (void)nanosleep(&ms, NULL);
        waited_ms++;
    }
    assert_true(waited_ms < 30000);
    run_gilsim(workdir, args, 5, &rb);
    assert_int_equal(rb.status, SIM_EXIT_USAGE);
    assert_true(is_one_line(rb.err));
    assert_non_null(strstr(rb.err, "--out=shared"));
    wait_gilsim(a, "a", &ra);
    if (ra.status != 0) {
        fail_msg("exit %d: %s", ra.status, ra.err);
    }
    file_exists(dir, "summary.json");
    assert_int_not_equal(stat(lock, &st), 0);
    tf_remove_tree(workdir);
    free(workdir);
}

/* The folder's lock holds across processes: while another process holds
 * it, taking it is refused with one line naming --out. */
static void
a_locked_folder_is_refused(void **state)
{
    char *dir = tf_make_dir("gilsim-lock");
    int to_child[2], to_parent[2];
    char c = 0, errbuf[512] = "";
    FILE *err = fmemopen(errbuf, sizeof(errbuf), "w");
    int fd = -1;
    pid_t pid;

    (void)state;
    assert_non_null(err);
    assert_int_equal(pipe(to_child), 0);
    assert_int_equal(pipe(to_parent), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int cfd = -1;
        int ok = sim_run_lock_dir(dir, &cfd, stderr) == SIM_EXIT_OK;

        if (write(to_parent[1], ok ? "y" : "n", 1) != 1 ||
            read(to_child[0], &c, 1) != 1) {
            _exit(2);
        }
        _exit(ok ? 0 : 1);
    }
    assert_int_equal(read(to_parent[0], &c, 1), 1);
    assert_int_equal(c, 'y');
    assert_int_equal(sim_run_lock_dir(dir, &fd, err), SIM_EXIT_USAGE);
    assert_int_equal(fd, -1);
    (void)fflush(err);
    assert_non_null(strstr(errbuf, "another gilsim run"));
    assert_true(is_one_line(errbuf));
    assert_int_equal(write(to_child[1], "x", 1), 1);
    assert_int_equal(waitpid(pid, NULL, 0), pid);
    /* Once the other process is gone, the lock can be taken. */
    assert_int_equal(sim_run_lock_dir(dir, &fd, err), SIM_EXIT_OK);
    sim_run_unlock_dir(dir, fd);
    (void)fclose(err);
    close(to_child[0]);
    close(to_child[1]);
    close(to_parent[0]);
    close(to_parent[1]);
    tf_remove_tree(dir);
    free(dir);
}

/* `p` made absolute against the working directory; malloc'd. (realpath
 * is hidden by glibc under plain _POSIX_C_SOURCE.) */
static char *
absolute(const char *p)
{
    char cwd[4096];
    char *s;
    size_t len;

    if (p[0] == '/') {
        return strdup(p);
    }
    if (getcwd(cwd, sizeof(cwd)) == NULL) {
        return NULL;
    }
    len = strlen(cwd) + strlen(p) + 2;
    s = malloc(len);
    if (s != NULL) {
        (void)snprintf(s, len, "%s/%s", cwd, p);
    }
    return s;
}

static int
setup(void **state)
{
    (void)state;
    return mkdtemp(capture_dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
    (void)state;
    tf_remove_tree(capture_dir);
    return 0;
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(table_cases_exit_with_one_line_naming_the_flag),
        cmocka_unit_test(help_lists_every_flag_and_exits_0),
        cmocka_unit_test(command_help_lists_exactly_its_options),
        cmocka_unit_test(
            a_full_disk_is_reported_as_such_and_nothing_is_half_written),
        cmocka_unit_test(errors_name_what_the_table_accepts),
        cmocka_unit_test(version_prints_the_version),
        cmocka_unit_test(tiny_run_writes_summary_and_traces),
        cmocka_unit_test(two_default_runs_at_once_take_two_folders),
        cmocka_unit_test(same_out_as_a_run_under_way_is_refused),
        cmocka_unit_test(a_locked_folder_is_refused),
    };
    int failed;

    if (argc != 3) {
        fprintf(stderr, "usage: %s PATH/TO/gilsim PATH/TO/cli.txt\n", argv[0]);
        return 2;
    }
    /* Absolute, since each case runs in its own working directory. */
    gilsim_path = absolute(argv[1]);
    data_path = absolute(argv[2]);
    if (gilsim_path == NULL || data_path == NULL) {
        fprintf(stderr, "%s: cannot find %s or %s\n", argv[0], argv[1],
                argv[2]);
        return 2;
    }
    failed = cmocka_run_group_tests(tests, setup, teardown);
    free((char *)gilsim_path);
    free((char *)data_path);
    return failed;
}
