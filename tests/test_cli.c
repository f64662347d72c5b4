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
#include <sys/stat.h>
#include <sys/wait.h>
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

/* Run gilsim with args in `cwd`; fills *r. */
static void
run_gilsim(const char *cwd, char *const *args, size_t nargs, struct result *r)
{
    char *argv[MAX_ARGS + 2];
    char out_path[128];
    char err_path[128];
    char here[4096];
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int wstatus;
    size_t i;
    int rc;

    assert_true(nargs <= MAX_ARGS);
    argv[0] = (char *)gilsim_path;
    for (i = 0; i < nargs; i++) {
        argv[i + 1] = args[i];
    }
    argv[nargs + 1] = NULL;
    (void)snprintf(out_path, sizeof(out_path), "%s/stdout", capture_dir);
    (void)snprintf(err_path, sizeof(err_path), "%s/stderr", capture_dir);

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
    while (waitpid(pid, &wstatus, 0) < 0) {
        assert_int_equal(errno, EINTR);
    }
    if (WIFEXITED(wstatus)) {
        r->status = WEXITSTATUS(wstatus);
    } else {
        r->status = 128 + WTERMSIG(wstatus);
    }
    read_file(out_path, r->out, sizeof(r->out));
    read_file(err_path, r->err, sizeof(r->err));
    drop_asan_fiber_warning(r->err);
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

/* Parse `gilsim [cmd] [--engine=virtual] --NAME=VALUE` in this process
 * (the engine for its options, and for --threads up to its virtual max);
 * the exit status, with the error line in err. */
static int
parse_one(const struct sim_opt_desc *op, const char *value, char *err,
          size_t errlen)
{
    char arg[256];
    char *argv[4];
    struct sim_options o;
    enum sim_cmd cmd;
    int argc = 0;

    argv[argc++] = "gilsim";
    if (strcmp(op->name, "python") == 0) {
        argv[argc++] = "calibrate";
    }
    if ((op->flags & SIM_OPTF_VIRTUAL) || op->max_virtual > 0) {
        argv[argc++] = "--engine=virtual";
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
        struct sim_options o;
        enum sim_cmd cmd;

        if (!sim_opt_takes_value(op)) {
            continue;
        }
        /* A missing value: the row's sentence (--python after calibrate,
         * the one command that takes it; argv + 1 makes "calibrate" the
         * program name, which the parser skips). */
        (void)snprintf(flag, sizeof(flag), "--%s", op->name);
        assert_int_equal(sim_opt_parse(python ? 3 : 2, python ? argv : argv + 1,
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

    (void)snprintf(path, sizeof(path), "%s/%s", dir, name);
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
        cmocka_unit_test(errors_name_what_the_table_accepts),
        cmocka_unit_test(version_prints_the_version),
        cmocka_unit_test(tiny_run_writes_summary_and_traces),
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
