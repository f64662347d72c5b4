/*
 * test_calibrate.c - cmocka tests of the costs (sim/costs.c), their
 * calibration file, `gilsim calibrate` (sim/calibrate.c) and
 * --calibration.
 *
 * Every command runs in this process through sim_main(), with stdout and
 * stderr captured by open_memstream, in a fresh mkdtemp folder. A
 * calibration file is written with sim_calibration_write and read back
 * field by field. The real calibration runs only if a python3 is on PATH
 * (otherwise it is skipped) and checks that every measured cost is
 * positive and finite, never how large. Broken interpreters are shell
 * scripts written here: one that prints garbage, one that exits 1 with a
 * traceback, a Python 2, one that answers its version but not the
 * benchmarks, and one that hangs (killed at a time limit shortened for
 * the test); each must cost exit status 2 and one line naming --python.
 * No test asserts on timing.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "base.h"
#include "cli_internal.h"
#include "cli_runner.h"
#include "run.h"
#include "test_files.h"

/* Built with a sanitizer (GCC defines __SANITIZE_*, clang has
 * __has_feature). */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

/* Exactly one line: one newline, at the end. */
static int
is_one_line(const char *s)
{
    const char *nl = strchr(s, '\n');

    return nl != NULL && nl[1] == '\0' && nl != s;
}

static void
write_text(const char *path, const char *text, mode_t mode)
{
    tf_write(path, text);
    assert_int_equal(chmod(path, mode), 0);
}

static int
file_exists(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0;
}

static long
this_machines_cores(void)
{
    return sysconf(_SC_NPROCESSORS_ONLN);
}

/* Overwrite the bytes after `key` in the file at `path` with `with`. */
static void
spoil_value(const char *path, const char *key, const char *with)
{
    char *text = tf_read(path, NULL);
    const char *at = strstr(text, key);
    size_t off;

    assert_non_null(at);
    off = (size_t)(at - text) + strlen(key);
    memcpy(text + off, with, strlen(with));
    write_text(path, text, 0644);
    free(text);
}

/* A calibration unlike the defaults in every field. */
static void
odd_calibration(struct sim_calibration *cal, int cores)
{
    int i;

    memset(cal, 0, sizeof(*cal));
    sim_costs_default(&cal->costs);
    for (i = 0; i < SIM_COST_COUNT; i++) {
        /* Doubles get digits that need 17 places; counts whole values. */
        sim_cost_set(&cal->costs, (enum sim_cost_field)i,
                     (double)(i + 1) * 1000.0 + 1.0 / 3.0);
    }
    cal->costs.instr_ns = 3.0 + 1.0 / 3.0;
    cal->costs.decode_instr_per_byte = 0.1 / 7.0;
    cal->costs.quickened_speedup = 1.0 + 1.0 / 3.0; /* 1..100 */
    cal->costs.cores = cores;
    (void)snprintf(cal->costs.python_version, sizeof(cal->costs.python_version),
                   "3.11.7");
    cal->measured = (1u << SIM_COST_INSTR_NS) | (1u << SIM_COST_DECODE) |
                    (1u << SIM_COST_TIMER_SLACK);
    (void)snprintf(cal->python, sizeof(cal->python),
                   "/opt/py \"quoted\"\\bin/python3");
    (void)snprintf(cal->date, sizeof(cal->date), "2026-01-02T03:04:05Z");
    (void)snprintf(cal->gilsim_version, sizeof(cal->gilsim_version), "%s",
                   SIM_VERSION);
}

static int
write_cal_fn(const void *ctx, FILE *f)
{
    return sim_calibration_write(ctx, f);
}

static void
write_calibration(const char *dir, const char *name,
                  const struct sim_calibration *cal)
{
    char msg[SIM_ERR_LEN * 2];

    assert_int_equal(
        base_write_atomic(dir, name, write_cal_fn, cal, msg, sizeof(msg)), 0);
}

/* ---- the file ------------------------------------------------------------ */

static void
calibration_file_round_trips_every_field(void **state)
{
    struct sim_calibration in, back;
    char path[4200];
    char msg[SIM_ERR_LEN];
    char *dir = tf_make_dir("gilsim-calibrate");
    int i;

    (void)state;
    odd_calibration(&in, 4);
    write_calibration(dir, "c.json", &in);
    (void)snprintf(path, sizeof(path), "%s/c.json", dir);
    assert_int_equal(sim_calibration_read(path, &back, msg, sizeof(msg)), 0);
    for (i = 0; i < SIM_COST_COUNT; i++) {
        double a = sim_cost_get(&in.costs, (enum sim_cost_field)i);
        double b = sim_cost_get(&back.costs, (enum sim_cost_field)i);

        if (a != b) {
            fail_msg("%s: wrote %.17g, read %.17g",
                     sim_cost_name((enum sim_cost_field)i), a, b);
        }
    }
    assert_string_equal(back.costs.source, path);
    assert_string_equal(back.costs.python_version, "3.11.7");
    assert_int_equal(back.costs.cores, 4);
    assert_int_equal(back.measured, in.measured);
    assert_string_equal(back.python, in.python);
    assert_string_equal(back.date, in.date);
    assert_string_equal(back.gilsim_version, SIM_VERSION);
    tf_remove_tree(dir);
    free(dir);
}

static void
defaults_are_todays_constants(void **state)
{
    struct sim_costs c;

    (void)state;
    sim_costs_default(&c);
    assert_true(c.instr_ns == 4.1);
    assert_int_equal(c.request_instructions, 130000);
    assert_int_equal(c.chunk_instructions, 720);
    assert_true(c.decode_instr_per_byte == 0.018);
    assert_true(c.write_instr_per_byte == 0.0054);
    assert_int_equal(c.submit_instructions, 1600);
    assert_int_equal(c.result_instructions, 1150);
    assert_int_equal(c.collect_instructions, 260);
    assert_int_equal(c.result_ipc_instructions, 4000);
    assert_int_equal(c.worker_start_ns, 0);
    assert_true(c.cond_wake_ns > 0);
    assert_true(c.timer_slack_ns > 0);
    assert_string_equal(c.source, "defaults");
    assert_string_equal(c.python_version, "");
    assert_int_equal(c.cores, 0);
    assert_true(sim_costs_or_default(NULL)->instr_ns == c.instr_ns);
}

/* Each broken file is refused with a sentence, never half-read. */
/* The member callback of the escape test: keeps the decoded string. */
static int
keep_string(const char *key, const struct sim_json_value *v, void *ctx,
            char *err, size_t errlen)
{
    (void)key;
    (void)err;
    (void)errlen;
    assert_int_equal(v->type, SIM_JSON_STRING);
    (void)snprintf(ctx, 64, "%s", v->string);
    return 0;
}

/* \u escapes decode to UTF-8 (libjansson): a basic-plane character and
 * a surrogate pair as one 4-byte sequence; a lone surrogate and \u0000
 * are refused, with the line and column of the fault. */
static void
flat_json_decodes_unicode_escapes(void **state)
{
    const char *text = "{\"k\": \"a\\u00e9\\ud83d\\ude00\"}";
    const char want[] = "a\xc3\xa9\xf0\x9f\x98\x80";
    const char *bad[] = {"{\"k\": \"\\u0000\"}", "{\n \"k\": \"\\udc00\"}"};
    char got[64] = "";
    char err[SIM_ERR_LEN];

    (void)state;
    assert_int_equal(sim_flatjson_parse(text, strlen(text), keep_string, got,
                                        err, sizeof(err)),
                     0);
    assert_string_equal(got, want);
    assert_int_equal(sim_flatjson_parse(bad[0], strlen(bad[0]), keep_string,
                                        got, err, sizeof(err)),
                     -EBADMSG);
    assert_int_equal(sim_flatjson_parse(bad[1], strlen(bad[1]), keep_string,
                                        got, err, sizeof(err)),
                     -EBADMSG);
    assert_non_null(strstr(err, "line 2, column"));
}

static void
broken_calibration_files_are_refused(void **state)
{
    static const char *const bad[] = {
        "",
        "{",
        "[]",
        "{\"format\": \"gilsim-calibration\",}",
        "{\"format\": \"gilsim-calibration\"} x",
        "{\"format\": {\"nested\": 1}}",
        "{\"format\": \"gilsim-calibration\", \"format_version\": NaN}",
        "{\"format\": \"something-else\", \"format_version\": 1}",
        "{\"format\": \"gilsim-calibration\", \"format_version\": 1}",
        "{\"instr_ns\": 4.1, \"instr_ns\": 4.1}",
        "{\"instr_ns\": 1e999}",
        "{\"instr_ns\": 99999999999999999999}",
        "{\"python\": \"\xff\"}",
        "{\"measured\": [1]}",
    };
    struct sim_calibration cal;
    char path[4200];
    char msg[SIM_ERR_LEN];
    char *dir = tf_make_dir("gilsim-calibrate");
    size_t i;

    (void)state;
    (void)snprintf(path, sizeof(path), "%s/bad.json", dir);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        write_text(path, bad[i], 0644);
        msg[0] = '\0';
        if (sim_calibration_read(path, &cal, msg, sizeof(msg)) == 0) {
            fail_msg("accepted: %s", bad[i]);
        }
        assert_true(msg[0] != '\0');
        assert_null(strchr(msg, '\n'));
    }
    /* A whole file with one count that is not whole. */
    odd_calibration(&cal, 2);
    write_calibration(dir, "ok.json", &cal);
    (void)snprintf(path, sizeof(path), "%s/ok.json", dir);
    spoil_value(path, "\"chunk_instructions\": ", "1.5 ");
    assert_int_equal(sim_calibration_read(path, &cal, msg, sizeof(msg)),
                     -EBADMSG);
    assert_non_null(strstr(msg, "chunk_instructions"));
    tf_remove_tree(dir);
    free(dir);
}

/* ---- --calibration on a run ---------------------------------------------- */

static void
run_without_calibration_says_defaults(void **state)
{
    struct cmd c;
    char out_arg[4400];
    char path[4200];
    char *dir = tf_make_dir("gilsim-calibrate");
    char *text;

    (void)state;
    (void)snprintf(out_arg, sizeof(out_arg), "--out=%s/run", dir);
    run(&c, "run", "--workload=cpu", "--count=1000", "--model=serial",
        "--no-plots", "--quiet", out_arg, NULL);
    assert_int_equal(c.status, SIM_EXIT_OK);
    assert_string_equal(c.err, "");
    assert_non_null(strstr(c.out, "costs: defaults;"));
    (void)snprintf(path, sizeof(path), "%s/run/summary.json", dir);
    text = tf_read(path, NULL);
    assert_non_null(strstr(text, "\"costs\": {"));
    assert_non_null(strstr(text, "\"source\": \"defaults\""));
    assert_non_null(strstr(text, "\"instr_ns\": 4.1,"));
    assert_non_null(strstr(text, "\"request_instructions\": 130000,"));
    assert_non_null(strstr(text, "\"from_command_line\": []"));
    free(text);
    cmd_clear(&c);
    tf_remove_tree(dir);
    free(dir);
}

static void
calibration_from_other_core_count_warns_and_runs(void **state)
{
    struct sim_calibration cal;
    struct cmd c;
    char cal_arg[4400];
    char out_arg[4400];
    char want[4700];
    char path[4200];
    char *dir = tf_make_dir("gilsim-calibrate");
    long cores = this_machines_cores();
    char *text;

    (void)state;
    odd_calibration(&cal, (int)cores + 2);
    cal.costs.instr_ns = 1.0; /* keep the run tiny */
    write_calibration(dir, "c.json", &cal);
    (void)snprintf(cal_arg, sizeof(cal_arg), "--calibration=%s/c.json", dir);
    (void)snprintf(out_arg, sizeof(out_arg), "--out=%s/run", dir);
    run(&c, "run", "--workload=cpu", "--count=1000", "--model=serial",
        "--no-plots", "--quiet", cal_arg, out_arg, NULL);
    assert_int_equal(c.status, SIM_EXIT_OK);
    (void)snprintf(want, sizeof(want),
                   "gilsim: warning: %s was measured on %ld cores; this "
                   "machine has %ld\n",
                   cal_arg, cores + 2, cores);
    assert_string_equal(c.err, want);
    (void)snprintf(path, sizeof(path), "%s/run/summary.json", dir);
    text = tf_read(path, NULL);
    (void)snprintf(want, sizeof(want), "\"source\": \"%s/c.json\"", dir);
    assert_non_null(strstr(text, want));
    assert_non_null(strstr(text, "\"python_version\": \"3.11.7\""));
    assert_non_null(strstr(text, "\"chunk_instructions\": 3000,"));
    free(text);
    assert_non_null(strstr(c.out, "(Python 3.11.7, "));
    cmd_clear(&c);
    tf_remove_tree(dir);
    free(dir);
}

/* A format-1 file (before the per-client request costs) still loads:
 * the costs it lacks keep their defaults, and the run says which. A
 * format-2 file without one of them is refused. */
static void
format_1_file_loads_and_names_what_it_lacks(void **state)
{
    struct sim_calibration cal, back;
    struct sim_costs def;
    struct cmd c;
    char cal_arg[4400], out_arg[4400], path[4200], msg[SIM_ERR_LEN];
    char *dir = tf_make_dir("gilsim-calibrate");
    char *text, *p;
    long cores = this_machines_cores();

    (void)state;
    sim_costs_default(&def);
    odd_calibration(&cal, (int)cores);
    cal.costs.instr_ns = 1.0; /* keep the run tiny */
    write_calibration(dir, "c.json", &cal);
    (void)snprintf(path, sizeof(path), "%s/c.json", dir);
    text = tf_read(path, NULL);
    /* Make it format 1: version 1, and the six newer keys gone. */
    p = strstr(text, "\"format_version\": 3");
    assert_non_null(p);
    p[18] = '1';
    p = strstr(text, ",\n  \"request_new_instructions\"");
    assert_non_null(p);
    memmove(p, strstr(p, ",\n  \"measured\""),
            strlen(strstr(p, ",\n  \"measured\"")) + 1);
    write_text(path, text, 0644);
    assert_int_equal(sim_calibration_read(path, &back, msg, sizeof(msg)), 0);
    assert_int_equal(back.format_version, 1);
    assert_int_equal(back.costs.request_new_instructions,
                     def.request_new_instructions);
    assert_int_equal(back.costs.request_aiohttp_instructions,
                     def.request_aiohttp_instructions);
    assert_true(back.costs.chunk_instructions == cal.costs.chunk_instructions);
    (void)snprintf(cal_arg, sizeof(cal_arg), "--calibration=%s", path);
    (void)snprintf(out_arg, sizeof(out_arg), "--out=%s/run", dir);
    run(&c, "run", "--workload=cpu", "--count=1000", "--model=serial",
        "--no-plots", "--quiet", cal_arg, out_arg, NULL);
    assert_int_equal(c.status, SIM_EXIT_OK);
    assert_non_null(strstr(c.err, "(format 1) has no request_new_instructions, "
                                  "request_urllib_instructions, "
                                  "request_aiohttp_instructions, "
                                  "hop_instructions, recv_instr_per_byte, "
                                  "cold_instructions, "
                                  "recv_instr_per_byte_64k, "
                                  "recv_instr_per_byte_1m, "
                                  "recv_instr_per_byte_4m, "
                                  "pool_start_ns, "));
    /* The later formats' costs follow; one line. */
    assert_non_null(strstr(c.err, " (their defaults are used); no "
                                  "quickened_speedup, quicken_calls (no "
                                  "quickening: its instr_ns is the "
                                  "countdown's as that gilsim measured it): "
                                  "gilsim calibrate measures them\n"));
    assert_true(back.costs.quickened_speedup == 1.0);
    assert_ptr_equal(strchr(c.err, '\n'), strrchr(c.err, '\n'));
    cmd_clear(&c);
    free(text);

    /* The current format without one of them: refused, naming it. */
    write_calibration(dir, "c2.json", &cal);
    (void)snprintf(path, sizeof(path), "%s/c2.json", dir);
    text = tf_read(path, NULL);
    p = strstr(text, ",\n  \"request_aiohttp_instructions\"");
    assert_non_null(p);
    memmove(p, strstr(p, ",\n  \"measured\""),
            strlen(strstr(p, ",\n  \"measured\"")) + 1);
    write_text(path, text, 0644);
    assert_int_not_equal(sim_calibration_read(path, &back, msg, sizeof(msg)),
                         0);
    assert_non_null(strstr(msg, "\"request_aiohttp_instructions\" is missing"));
    free(text);
    tf_remove_tree(dir);
    free(dir);
}

/* A format-2 file measured one receive slope: it loads, its curve is
 * flat at that slope (not the defaults' past 64 KiB), and the run says
 * which bands it lacks and what stands in for them. */
static void
format_2_file_reads_its_one_slope_as_a_flat_curve(void **state)
{
    struct sim_calibration cal, back;
    struct cmd c;
    char cal_arg[4400], out_arg[4400], path[4200], msg[SIM_ERR_LEN];
    char *dir = tf_make_dir("gilsim-calibrate");
    char *text, *p;

    (void)state;
    odd_calibration(&cal, (int)this_machines_cores());
    cal.costs.instr_ns = 1.0; /* keep the run tiny */
    cal.costs.recv_instr_per_byte = 1.75;
    write_calibration(dir, "c.json", &cal);
    (void)snprintf(path, sizeof(path), "%s/c.json", dir);
    text = tf_read(path, NULL);
    p = strstr(text, "\"format_version\": 3");
    assert_non_null(p);
    p[18] = '2';
    p = strstr(text, ",\n  \"recv_instr_per_byte_64k\"");
    assert_non_null(p);
    memmove(p, strstr(p, ",\n  \"measured\""),
            strlen(strstr(p, ",\n  \"measured\"")) + 1);
    write_text(path, text, 0644);
    assert_int_equal(sim_calibration_read(path, &back, msg, sizeof(msg)), 0);
    assert_int_equal(back.format_version, 2);
    assert_true(back.costs.recv_instr_per_byte == 1.75);
    assert_true(back.costs.recv_instr_per_byte_64k == 1.75);
    assert_true(back.costs.recv_instr_per_byte_1m == 1.75);
    assert_true(back.costs.recv_instr_per_byte_4m == 1.75);
    (void)snprintf(cal_arg, sizeof(cal_arg), "--calibration=%s", path);
    (void)snprintf(out_arg, sizeof(out_arg), "--out=%s/run", dir);
    run(&c, "run", "--workload=cpu", "--count=1000", "--model=serial",
        "--no-plots", "--quiet", cal_arg, out_arg, NULL);
    assert_int_equal(c.status, SIM_EXIT_OK);
    assert_non_null(strstr(c.err, "(format 2) has no pool_start_ns, "));
    assert_non_null(strstr(c.err, "; no quickened_speedup, quicken_calls (no "
                                  "quickening"));
    assert_ptr_equal(strchr(c.err, '\n'), strrchr(c.err, '\n'));
    assert_non_null(strstr(c.err, " (their defaults are used); "
                                  "no recv_instr_per_byte_64k, "
                                  "recv_instr_per_byte_1m, "
                                  "recv_instr_per_byte_4m (its "
                                  "recv_instr_per_byte is used for every "
                                  "body size); no quickened_speedup"));
    cmd_clear(&c);
    free(text);
    tf_remove_tree(dir);
    free(dir);
}

/* --instr-ns and --worker-start win over the file, before or after it. */
static void
command_line_costs_win_over_the_file_in_either_order(void **state)
{
    struct sim_calibration cal;
    struct sim_options o;
    enum sim_cmd cmd;
    char cal_arg[4400];
    char msg[SIM_ERR_LEN];
    char *dir = tf_make_dir("gilsim-calibrate");
    FILE *err;
    char *errtext = NULL;
    size_t elen = 0;
    int order;

    (void)state;
    odd_calibration(&cal, (int)this_machines_cores());
    write_calibration(dir, "c.json", &cal);
    (void)snprintf(cal_arg, sizeof(cal_arg), "--calibration=%s/c.json", dir);
    for (order = 0; order < 2; order++) {
        char *a1 = order == 0 ? cal_arg : "--instr-ns=7ns";
        char *a2 = order == 0 ? "--instr-ns=7ns" : cal_arg;
        char *argv[] = {"gilsim", a1, a2, "--worker-start=2ms", NULL};

        assert_int_equal(sim_opt_parse(4, argv, &o, &cmd, msg, sizeof(msg)), 0);
        err = open_memstream(&errtext, &elen);
        assert_non_null(err);
        assert_int_equal(sim_costs_load_options(&o, err), SIM_EXIT_OK);
        fclose(err);
        assert_string_equal(errtext, "");
        free(errtext);
        errtext = NULL;
        assert_true(o.costs.instr_ns == 7.0);
        assert_int_equal(o.costs.worker_start_ns, 2000000);
        assert_int_equal(o.costs.request_instructions,
                         cal.costs.request_instructions);
        assert_true(o.costs.decode_instr_per_byte ==
                    cal.costs.decode_instr_per_byte);
        assert_int_equal(o.costs_given,
                         SIM_COST_GIVEN_INSTR_NS | SIM_COST_GIVEN_WORKER_START);
    }
    tf_remove_tree(dir);
    free(dir);
}

static void
broken_calibration_file_exits_2_with_one_line(void **state)
{
    struct cmd c;
    char cal_arg[4400];
    char out_arg[4400];
    char path[4200];
    char *dir = tf_make_dir("gilsim-calibrate");

    (void)state;
    (void)snprintf(path, sizeof(path), "%s/c.json", dir);
    write_text(path,
               "{\"format\": \"gilsim-calibration\", \"instr_ns\": ", 0644);
    (void)snprintf(cal_arg, sizeof(cal_arg), "--calibration=%s", path);
    (void)snprintf(out_arg, sizeof(out_arg), "--out=%s/run", dir);
    run(&c, "--workload=cpu", "--count=1000", "--model=serial", "--no-plots",
        cal_arg, out_arg, NULL);
    assert_int_equal(c.status, SIM_EXIT_USAGE);
    assert_true(is_one_line(c.err));
    assert_non_null(strstr(c.err, cal_arg));
    assert_non_null(strstr(c.err, "not a calibration file"));
    (void)snprintf(path, sizeof(path), "%s/run", dir);
    assert_false(file_exists(path));
    cmd_clear(&c);
    tf_remove_tree(dir);
    free(dir);
}

/* ---- gilsim calibrate ---------------------------------------------------- */

/* A python3 on PATH, or 0. */
static int
have_python3(void)
{
    const char *path = getenv("PATH"); // NOLINT(concurrency-mt-unsafe)
    char buf[4200];

    while (path != NULL && *path != '\0') {
        const char *colon = strchr(path, ':');
        size_t n = colon != NULL ? (size_t)(colon - path) : strlen(path);

        (void)snprintf(buf, sizeof(buf), "%.*s/python3", (int)n, path);
        if (access(buf, X_OK) == 0) {
            return 1;
        }
        path = colon != NULL ? colon + 1 : NULL;
    }
    return 0;
}

static void
real_calibration_gives_positive_finite_costs(void **state)
{
    struct sim_calibration cal;
    struct cmd c;
    char out_arg[4400];
    char path[4200];
    char msg[SIM_ERR_LEN];
    char *dir;
    int i;

    (void)state;
    if (!have_python3()) {
        skip();
    }
    dir = tf_make_dir("gilsim-calibrate");
    (void)snprintf(path, sizeof(path), "%s/calibration.json", dir);
    (void)snprintf(out_arg, sizeof(out_arg), "--out=%s", path);
    run(&c, "calibrate", "--quiet", out_arg, NULL);
    if (c.status != SIM_EXIT_OK) {
        fail_msg("exit %d: %s", c.status, c.err);
    }
    assert_string_equal(c.err, "");
    assert_non_null(strstr(c.out, "instr_ns"));
    assert_int_equal(sim_calibration_read(path, &cal, msg, sizeof(msg)), 0);
    assert_int_equal(cal.costs.cores, this_machines_cores());
    assert_true(strncmp(cal.costs.python_version, "3.", 2) == 0);
    assert_true(cal.measured & (1u << SIM_COST_INSTR_NS));
    for (i = 0; i < SIM_COST_COUNT; i++) {
        double v = sim_cost_get(&cal.costs, (enum sim_cost_field)i);

        /* A receive band and the pool's costs are differences of two
         * CPU times, so on a loaded machine they may come out at or below
         * 0, kept as 0; and a load that hides the quickening's speed-up
         * gives quicken_calls 0 (never quickened). */
        int band = i == SIM_COST_RECV || i == SIM_COST_RECV_64K ||
                   i == SIM_COST_RECV_1M || i == SIM_COST_RECV_4M ||
                   i == SIM_COST_POOL_START || i == SIM_COST_POOL_FORK ||
                   i == SIM_COST_QUICKEN_CALLS;

        /* A client's cost is its CPU a call less gilsim's own fetch's,
         * measured in this build: under a sanitizer gilsim's is inflated
         * and the difference may come out at 0 (asan's CI run once gave
         * request_urllib_instructions 0); in a plain build it must not. */
        band |= SANITIZED &&
                (i == SIM_COST_REQUEST_NEW || i == SIM_COST_REQUEST_URLLIB ||
                 i == SIM_COST_REQUEST_AIOHTTP);

        if (!isfinite(v) || !(v > 0.0 || (band && v == 0.0))) {
            fail_msg("%s = %g", sim_cost_name((enum sim_cost_field)i), v);
        }
    }
    cmd_clear(&c);
    tf_remove_tree(dir);
    free(dir);
}

/* gilsim's own fetch, timed to be taken out of the clients' CPU: some
 * CPU a fetch in both connection modes against the embedded server, and
 * an error, not a figure, where nothing listens. */
static void
own_fetch_cpu_is_timed_and_fails_cleanly(void **state)
{
    struct sim_options so;
    struct wl_server *srv = NULL;
    char url[128];
    int64_t fresh = 0, kept = 0, none = 1;

    (void)state;
    sim_options_default(&so);
    so.latency_ns = 0;
    so.body_size = 1024;
    so.port = 0;
    assert_int_equal(sim_run_server_start(&so, &srv, stderr), SIM_EXIT_OK);
    (void)snprintf(url, sizeof(url), "http://127.0.0.1:%d/top250?start={page}",
                   wl_server_port(srv));
    assert_int_equal(sim_calibrate_fetch_cpu(url, 1, 20, &fresh), 0);
    assert_int_equal(sim_calibrate_fetch_cpu(url, 0, 20, &kept), 0);
    assert_true(fresh > 0 && fresh < 1000000000);
    assert_true(kept > 0 && kept < 1000000000);
    wl_server_stop(srv);
    /* The server is gone: its port refuses. */
    assert_int_not_equal(sim_calibrate_fetch_cpu(url, 1, 5, &none), 0);
    assert_int_equal(none, 0);
}

/* calibrate --python=SCRIPT: exit 2, one line naming --python=SCRIPT
 * with `want` in it, and no calibration file. */
static void
fake_python_is_refused(const char *script, const char *want)
{
    struct cmd c;
    char py[4200];
    char py_arg[4400];
    char out_arg[4400];
    char path[4200];
    char *dir = tf_make_dir("gilsim-calibrate");

    (void)snprintf(py, sizeof(py), "%s/python3", dir);
    write_text(py, script, 0755);
    (void)snprintf(py_arg, sizeof(py_arg), "--python=%s", py);
    (void)snprintf(path, sizeof(path), "%s/c.json", dir);
    (void)snprintf(out_arg, sizeof(out_arg), "--out=%s", path);
    run(&c, "calibrate", "--quiet", py_arg, out_arg, NULL);
    assert_int_equal(c.status, SIM_EXIT_USAGE);
    if (!is_one_line(c.err) || strstr(c.err, py_arg) == NULL ||
        strstr(c.err, want) == NULL) {
        fail_msg("expected one line with '%s' and '%s': [%s]", py_arg, want,
                 c.err);
    }
    assert_false(file_exists(path));
    assert_string_equal(c.out, "");
    cmd_clear(&c);
    tf_remove_tree(dir);
    free(dir);
}

static void
python_printing_garbage_exits_2(void **state)
{
    (void)state;
    fake_python_is_refused("#!/bin/sh\necho 'garbage, not a version'\n",
                           "printed 'garbage, not a version'");
}

static void
python_exiting_1_exits_2(void **state)
{
    (void)state;
    fake_python_is_refused("#!/bin/sh\necho 'Traceback:' >&2\n"
                           "echo 'SyntaxError: broken' >&2\nexit 1\n",
                           "exited with status 1: SyntaxError: broken");
}

static void
python_2_exits_2(void **state)
{
    (void)state;
    fake_python_is_refused("#!/bin/sh\nprintf 2.7.18\n", "Python 2.7.18");
}

/* Answers the version probe, then prints nonsense for the program. */
static void
python_with_bad_benchmark_output_exits_2(void **state)
{
    (void)state;
    fake_python_is_refused("#!/bin/sh\n"
                           "case \"$2\" in\n"
                           "import*) printf 3.11.7 ;;\n"
                           "*) echo '{\"countdown_ns_per_iteration\": 1}' ;;\n"
                           "esac\n",
                           "the calibration program printed");
}

/* Answers the version probe, then never finishes the program. */
static void
python_that_hangs_is_killed_and_exits_2(void **state)
{
    (void)state;
    sim_calibrate_set_timeouts(10000, 300);
    fake_python_is_refused("#!/bin/sh\n"
                           "case \"$2\" in\n"
                           "import*) printf 3.11.7 ;;\n"
                           "*) exec sleep 30 ;;\n"
                           "esac\n",
                           "the calibration program took longer than 0.3 s");
    sim_calibrate_set_timeouts(10000, 120000);
}

static void
missing_python_exits_2(void **state)
{
    struct cmd c;
    char *dir = tf_make_dir("gilsim-calibrate");
    char *old_path = NULL;
    const char *p = getenv("PATH"); // NOLINT(concurrency-mt-unsafe)

    (void)state;
    run(&c, "calibrate", "--python=/nonexistent/python3", NULL);
    assert_int_equal(c.status, SIM_EXIT_USAGE);
    assert_true(is_one_line(c.err));
    assert_non_null(strstr(c.err, "--python=/nonexistent/python3: no such "
                                  "file"));
    cmd_clear(&c);

    /* No python3 anywhere on PATH, and no --python. */
    if (p != NULL) {
        old_path = strdup(p);
        assert_non_null(old_path);
    }
    assert_int_equal(setenv("PATH", dir, 1), 0); // NOLINT
    run(&c, "calibrate", NULL);
    if (old_path != NULL) {
        assert_int_equal(setenv("PATH", old_path, 1), 0); // NOLINT
    } else {
        assert_int_equal(unsetenv("PATH"), 0); // NOLINT
    }
    free(old_path);
    assert_int_equal(c.status, SIM_EXIT_USAGE);
    assert_true(is_one_line(c.err));
    assert_non_null(strstr(c.err, "no python3 on PATH"));
    cmd_clear(&c);
    tf_remove_tree(dir);
    free(dir);
}

/* ---- the C micro-benchmarks ------------------------------------------------
 */

static void
thread_benchmarks_give_positive_medians(void **state)
{
    int64_t wake = -1, slack = -1;

    (void)state;
    assert_int_equal(sim_calibrate_cond_wake(50, &wake), 0);
    assert_true(wake > 0);
    assert_int_equal(sim_calibrate_timer_slack(5, &slack), 0);
    assert_true(slack >= 0);
    assert_int_equal(sim_calibrate_cond_wake(0, &wake), -EINVAL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(calibration_file_round_trips_every_field),
        cmocka_unit_test(defaults_are_todays_constants),
        cmocka_unit_test(flat_json_decodes_unicode_escapes),
        cmocka_unit_test(broken_calibration_files_are_refused),
        cmocka_unit_test(run_without_calibration_says_defaults),
        cmocka_unit_test(calibration_from_other_core_count_warns_and_runs),
        cmocka_unit_test(format_1_file_loads_and_names_what_it_lacks),
        cmocka_unit_test(format_2_file_reads_its_one_slope_as_a_flat_curve),
        cmocka_unit_test(command_line_costs_win_over_the_file_in_either_order),
        cmocka_unit_test(broken_calibration_file_exits_2_with_one_line),
        cmocka_unit_test(real_calibration_gives_positive_finite_costs),
        cmocka_unit_test(own_fetch_cpu_is_timed_and_fails_cleanly),
        cmocka_unit_test(python_printing_garbage_exits_2),
        cmocka_unit_test(python_exiting_1_exits_2),
        cmocka_unit_test(python_2_exits_2),
        cmocka_unit_test(python_with_bad_benchmark_output_exits_2),
        cmocka_unit_test(python_that_hangs_is_killed_and_exits_2),
        cmocka_unit_test(missing_python_exits_2),
        cmocka_unit_test(thread_benchmarks_give_positive_medians),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
