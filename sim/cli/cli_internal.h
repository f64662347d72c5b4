/* cli_internal.h: private to sim/cli/ (and its tests); everyone else
 * includes cli.h.
 *
 * What the files of the command line share: the value parsers
 * (parse.c), the option table and the sentence of what each option
 * accepts (opttable.c), the parser (optparse.c) and the --help text
 * (help.c). command.c runs what was parsed.
 *
 * Conventions as in the rest of sim/: functions that can fail return 0 or
 * -errno, and parsers fill a caller-supplied buffer with one sentence
 * saying what would have been accepted.
 */
#ifndef GILSIM_CLI_INTERNAL_H
#define GILSIM_CLI_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "calibrate.h"
#include "cli.h"
#include "report.h"
#include "run.h"

/* ---- parse.c ---------------------------------------------------------- */

/*
 * A duration with a required unit: `5ms`, `0.5ms`, `250us`, `100ns`, `1s`,
 * `1.5s`. Digits with at most one decimal point, then exactly one of ns,
 * us, ms, s. Rejects a missing unit, zero, signs, exponents, NaN/inf,
 * trailing junk and anything above about 292 years (int64 ns).
 * 0, or -EINVAL / -ERANGE with `err` saying what is accepted.
 */
/* s with what a terminal would act on escaped: a newline as \n, a tab
 * as \t, other control bytes and bytes that are not UTF-8 as \xNN;
 * cut to fit len. */
void sim_cli_escape(const char *s, char *out, size_t len);
/* A plain decimal number ("0.5", "1"): digits, at most one point and
 * digits; no sign, blank, exponent, hex or leading point. 0 or -EINVAL. */
int sim_parse_decimal(const char *s, double *out);
int sim_parse_duration(const char *s, double *ns_out, char *err,
                       size_t errlen) SIM_WARN_UNUSED;

/* A size in bytes with a required unit: `100B`, `64KiB`, `1MiB`, `2GiB`
 * (binary multiples). Whole numbers only; 0 is accepted (`0B`). */
int sim_parse_size(const char *s, uint64_t *bytes_out, char *err,
                   size_t errlen) SIM_WARN_UNUSED;

/* A count: digits with an optional decimal suffix K (1e3), M (1e6) or G
 * (1e9): `25`, `20K`, `100M`. Rejects signs, overflow of int64, trailing
 * junk, and 0 unless `allow_zero`. */
int sim_parse_count(const char *s, int allow_zero, int64_t *out, char *err,
                    size_t errlen) SIM_WARN_UNUSED;

/* Split a comma-separated list and call `item` on each element (a
 * NUL-terminated copy of at most 255 characters). Empty elements (`a,,b`,
 * a leading or trailing comma, an empty string) are rejected. Stops at
 * the first nonzero return of `item`, which should fill `err`. */
int sim_parse_list(const char *s,
                   int (*item)(const char *elem, void *ctx, char *err,
                               size_t errlen),
                   void *ctx, char *err, size_t errlen) SIM_WARN_UNUSED;

/* ---- opttable.c, optparse.c, help.c ------------------------------------ */

enum sim_cmd {
    SIM_CMD_RUN = 0,
    SIM_CMD_HELP = 1,
    SIM_CMD_VERSION = 2,
    SIM_CMD_SERVE = 3,
    SIM_CMD_SWEEP = 4,
    SIM_CMD_PLOT = 5,
    SIM_CMD_CALIBRATE = 6,
    SIM_CMD_WORKLOAD = 7, /* gilsim workload check FILE */
    SIM_CMD_RECORD = 8,   /* gilsim record -- python3 app.py */
    SIM_CMD_PREDICT = 9,  /* gilsim predict DIR: a sweep of a recording */
};

/* What an option's value is; each kind has one parser and one generated
 * "expected ..." sentence (sim_opt_expect). */
enum sim_opt_kind {
    SIM_OPT_FLAG,     /* no value: sets an int field to 1 */
    SIM_OPT_ACTION,   /* no value: --help, --version end the parse */
    SIM_OPT_COUNT,    /* a whole number, K/M/G allowed, in [min, max] */
    SIM_OPT_DURATION, /* a duration with a unit, in ns, in [min, max] */
    SIM_OPT_SIZE,     /* a size with a unit, in bytes, in [min, max] */
    SIM_OPT_RATE,     /* a size per second ("1GiB/s"), in [min, max] */
    SIM_OPT_NUMBER,   /* a decimal number in [min, max] */
    SIM_OPT_NAME,     /* one name of `name_at` */
    SIM_OPT_LIST,     /* comma-separated names of `name_at`, as bits */
    SIM_OPT_PATH,     /* a non-empty path shorter than max characters */
    SIM_OPT_URL,      /* an http(s) URL template shorter than max */
    SIM_OPT_ADDR,     /* an IPv4 address */
    SIM_OPT_WINDOW,   /* FROM..TO: the two window fields */
};

/* The C type of an option's field in struct sim_options. */
enum sim_opt_type {
    SIM_OPT_INT,
    SIM_OPT_I64, /* durations are rounded to whole ns */
    SIM_OPT_U64,
    SIM_OPT_DBL,
    SIM_OPT_STR,  /* a char array: the value is copied */
    SIM_OPT_BITS, /* an unsigned: one bit per name of a LIST */
};

/* Row flags. */
#define SIM_OPTF_MIN_EXCL 1u /* the range is (min, max] */
#define SIM_OPTF_ALL      2u /* LIST: `all` names every item */
#define SIM_OPTF_SWEEP    4u /* after `sweep`: a list (sweep_offset) */
#define SIM_OPTF_VIRTUAL  8u /* only with --engine=virtual */

/*
 * One row per long option, for the parser, its errors, --help and the
 * tests: everything the command line knows about an option is here, and
 * the sentence of its errors is generated from it.
 */
struct sim_opt_desc {
    const char *name;       /* without the leading "--" */
    enum sim_opt_kind kind; /* how the value is read */
    const char *meta;       /* the value in help and usage: N, D, PATH */
    double min, max;        /* accepted range, in the field's unit */
    double max_virtual;     /* COUNT: max with --engine=virtual, or 0 */
    unsigned flags;         /* SIM_OPTF_* */
    const char *head;       /* noun phrase of the sentence, or NULL */
    const char *zero;       /* what 0 means, e.g. "no limit", or NULL */
    const char *example;    /* a good value, e.g. "5ms", or NULL */
    /* NAME, LIST: the i-th accepted name, NULL past the last. */
    const char *(*name_at)(size_t i);
    size_t offset;          /* offsetof(struct sim_options, field) */
    enum sim_opt_type type; /* of that field */
    size_t sweep_offset;    /* SWEEP: the array of the list's values */
    size_t sweep_n_offset;  /* SWEEP: its int count */
    unsigned given;         /* SIM_COST_GIVEN_* bits it sets */
    unsigned cmds;          /* (1u << enum sim_cmd) of the commands */
    /* run, sweep: 1 if the option, given, applies to the run as parsed;
     * else 0 with `why` ending "--NAME applies only to ..." (optapply.c).
     * NULL: it applies to every run. */
    int (*applies)(const struct sim_options *o, char *why, size_t len);
};

/* The most rows the table may have (the parse keeps a flag per row). */
#define SIM_OPT_MAX_ROWS 96

/* ---- optapply.c: the `applies` of the rows --------------------------- */

int sim_opt_applies_seed(const struct sim_options *o, char *why, size_t len);
int sim_opt_applies_cpu(const struct sim_options *o, char *why, size_t len);
int sim_opt_applies_convoy(const struct sim_options *o, char *why, size_t len);
int sim_opt_applies_writes(const struct sim_options *o, char *why, size_t len);
int sim_opt_applies_ops(const struct sim_options *o, char *why, size_t len);
int sim_opt_applies_cpu_threads(const struct sim_options *o, char *why,
                                size_t len);
int sim_opt_applies_io(const struct sim_options *o, char *why, size_t len);
int sim_opt_applies_server(const struct sim_options *o, char *why, size_t len);
int sim_opt_applies_loop(const struct sim_options *o, char *why, size_t len);
int sim_opt_applies_loop_io(const struct sim_options *o, char *why, size_t len);
int sim_opt_applies_processes(const struct sim_options *o, char *why,
                              size_t len);
int sim_opt_applies_threads(const struct sim_options *o, char *why, size_t len);
int sim_opt_applies_client(const struct sim_options *o, char *why, size_t len);
int sim_opt_applies_trace(const struct sim_options *o, char *why, size_t len);
int sim_opt_applies_collect(const struct sim_options *o, char *why, size_t len);
int sim_opt_applies_cell(const struct sim_options *o, char *why, size_t len);
int sim_opt_applies_jobs(const struct sim_options *o, char *why, size_t len);
int sim_opt_applies_per_interpreter(const struct sim_options *o, char *why,
                                    size_t len);

/* The long options gilsim knows, *n_out of them. */
const struct sim_opt_desc *sim_opt_table(size_t *n_out);
/* The row of --name, or NULL. */
const struct sim_opt_desc *sim_opt_find(const char *name, size_t len);
/* 1 if the option takes a value. */
int sim_opt_takes_value(const struct sim_opt_desc *op);
/* What the option accepts, as one sentence without "expected", made from
 * its row (range, unit, names), into buf. */
void sim_opt_expect(const struct sim_opt_desc *op, char *buf, size_t len);
/* The row's range in short, for --help: "1..1M", "0B..64MiB", "above 0
 * and at most 1s"; "" for kinds without one. */
void sim_opt_range(const struct sim_opt_desc *op, char *buf, size_t len);
/*
 * Parse argv (argv[0] is the program name) into `o`, which is first set to
 * the defaults. Returns 0 with *cmd set, or SIM_EXIT_USAGE with `err`
 * holding one line (no "gilsim: " prefix, no newline) that names the flag,
 * its value and what is accepted.
 */
int sim_opt_parse(int argc, char **argv, struct sim_options *o,
                  enum sim_cmd *cmd, char *err, size_t errlen);
/* sim_opt_parse, and in *help_of the subcommand named before --help
 * (SIM_CMD_HELP when none was: `gilsim --help`). */
int sim_opt_parse_full(int argc, char **argv, struct sim_options *o,
                       enum sim_cmd *cmd, enum sim_cmd *help_of, char *err,
                       size_t errlen);

/* The --help text (help.c): of one subcommand, or of all of gilsim when
 * `of` is SIM_CMD_HELP. */
void sim_opt_print_help(FILE *f, enum sim_cmd of);

/* ---- plan.c: gilsim sweep, --plan and --collect ----------------------- */

/* gilsim sweep: the flags read from argv and the combination checked
 * (one line and SIM_EXIT_USAGE if refused); with --plan, the plan
 * written; with --collect, nothing more (sim_cli_collect follows);
 * else the sweep run here through the plan's jobs (sim_sweep_main).
 * An exit status. */
int sim_cli_sweep(int argc, char **argv, const struct sim_options *o,
                  const char *command, FILE *out, FILE *err);
/* gilsim sweep --collect=DIR: the plan's flags parsed again, then
 * sim_sweep_collect_main. An exit status. */
int sim_cli_collect(const struct sim_options *given, FILE *out, FILE *err);

#endif /* GILSIM_CLI_INTERNAL_H */
