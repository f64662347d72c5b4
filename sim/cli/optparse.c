/*
 * optparse.c - gilsim's command line parsed into struct sim_options, with
 * the rows of opttable.c's table (sim_opt_table).
 *
 * sim_opt_parse() walks argv once. An optional leading subcommand (see
 * cmd_table) is followed by long options, `--name=value` or `--name
 * value`, each looked up in the table. apply() is a switch on the row's
 * kind: each kind has one function that reads the value, checks it against
 * the row's range and stores it in the row's field (offsetof). What is
 * left of option-specific code is here by name: --window (two ends), the lists
 * that `gilsim sweep` takes for the rows marked SIM_OPTF_SWEEP, and the checks
 * across options at the end (convoy and loop; the virtual engine's options, and
 * --threads above its real maximum without --engine=virtual).
 *
 * Errors: format errors use the sentence of the value parser (parse.c),
 * range errors and missing values the row's (sim_opt_expect), so an error
 * says what the parser accepts. The first bad value stops the parse with
 * one line in `err` naming the flag, the value and what is accepted; the
 * caller prints it and exits 2 before anything is created. Options given
 * twice: the last one wins.
 *
 * Private to sim/cli/ (cli_internal.h); sim_main() (command.c) and the tests
 * call sim_opt_parse().
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli_internal.h"

#define CMD(c) (1u << (c))

/* The subcommands; each takes the options that name it in their row's
 * `cmds`. */
static const struct {
    const char *name;
    enum sim_cmd cmd;
} cmd_table[] = {
    {"run", SIM_CMD_RUN},
    {"serve", SIM_CMD_SERVE},
    {"sweep", SIM_CMD_SWEEP},
    {"plot", SIM_CMD_PLOT},
    {"calibrate", SIM_CMD_CALIBRATE},
    {"workload", SIM_CMD_WORKLOAD},
    {"record", SIM_CMD_RECORD},
    {"predict", SIM_CMD_PREDICT},
};

#define N_CMDS (sizeof(cmd_table) / sizeof(cmd_table[0]))

/* ---- errors ------------------------------------------------------------- */

/* "--flag=value: what" into err; always returns SIM_EXIT_USAGE. The value
 * is cut short so that one line stays one readable line. */
static int
bad_value(char *err, size_t errlen, const char *flag, const char *value,
          const char *what)
{
    (void)snprintf(err, errlen, "--%s=%.200s%s: %s", flag, value,
                   strlen(value) > 200 ? "..." : "", what);
    return SIM_EXIT_USAGE;
}

/* "--flag=value: expected ..." with the row's sentence. */
static int
bad_expect(char *err, size_t errlen, const struct sim_opt_desc *op,
           const char *value)
{
    char expect[SIM_ERR_LEN];
    char what[SIM_ERR_LEN + 16];

    sim_opt_expect(op, expect, sizeof(expect));
    (void)snprintf(what, sizeof(what), "expected %s", expect);
    return bad_value(err, errlen, op->name, value, what);
}

/* ---- the fields --------------------------------------------------------- */

/* Set the row's field from a parsed value (i for whole numbers, d for
 * doubles) and mark its costs as given. */
static void
store(struct sim_options *o, const struct sim_opt_desc *op, int64_t i, double d)
{
    void *p = (char *)o + op->offset;

    switch (op->type) {
    case SIM_OPT_INT:
        *(int *)p = (int)i;
        break;
    case SIM_OPT_I64:
        *(int64_t *)p = i;
        break;
    case SIM_OPT_U64:
        *(uint64_t *)p = (uint64_t)i;
        break;
    case SIM_OPT_DBL:
        *(double *)p = d;
        break;
    case SIM_OPT_BITS:
        *(unsigned *)p = (unsigned)i;
        break;
    case SIM_OPT_STR:
        break;
    }
    o->costs_given |= op->given;
}

/* A whole-number field (INT or I64). */
static int64_t
load(const struct sim_options *o, const struct sim_opt_desc *op)
{
    const void *p = (const char *)o + op->offset;

    return op->type == SIM_OPT_INT ? *(const int *)p : *(const int64_t *)p;
}

static void
store_string(struct sim_options *o, const struct sim_opt_desc *op,
             const char *v)
{
    memcpy((char *)o + op->offset, v, strlen(v) + 1);
    o->costs_given |= op->given;
}

/* ---- one value per kind ------------------------------------------------- */

/* A count in the row's range (to max_virtual, checked against --engine at
 * the end). Zero is spelled "0": "00" or "0K" stay errors. */
static int
apply_count(struct sim_options *o, const struct sim_opt_desc *op, const char *v,
            char *err, size_t errlen)
{
    double hi = op->max_virtual > 0 ? op->max_virtual : op->max;
    char perr[SIM_ERR_LEN];
    int64_t n;

    if (sim_parse_count(v, 1, &n, perr, sizeof(perr)) != 0 ||
        (double)n < op->min || (double)n > hi ||
        (n == 0 && strcmp(v, "0") != 0)) {
        return bad_expect(err, errlen, op, v);
    }
    store(o, op, n, (double)n);
    return 0;
}

/* A duration that may be 0: `0`, or a well-formed zero such as `0ms`. */
static int
duration0(const char *v, double *ns, char *perr, size_t perrlen)
{
    int rc;

    if (strcmp(v, "0") == 0) {
        *ns = 0.0;
        return 0;
    }
    rc = sim_parse_duration(v, ns, perr, perrlen);
    if (rc == -EINVAL && strstr(perr, "greater than 0") != NULL) {
        *ns = 0.0; /* well formed, and zero */
        return 0;
    }
    return rc;
}

/* Format errors get the parser's sentence, range errors the row's. */
static int
apply_duration(struct sim_options *o, const struct sim_opt_desc *op,
               const char *v, char *err, size_t errlen)
{
    int excl = (op->flags & SIM_OPTF_MIN_EXCL) != 0;
    char perr[SIM_ERR_LEN];
    double ns = 0.0;
    int rc;

    if (op->min == 0 && !excl) {
        rc = duration0(v, &ns, perr, sizeof(perr));
    } else {
        rc = sim_parse_duration(v, &ns, perr, sizeof(perr));
    }
    if (rc == -EINVAL && strstr(perr, "greater than 0") == NULL) {
        return bad_value(err, errlen, op->name, v, perr);
    }
    if (rc != 0 || ns > op->max || ns < op->min || (excl && ns <= op->min)) {
        return bad_expect(err, errlen, op, v);
    }
    store(o, op, (int64_t)(ns + 0.5), ns);
    return 0;
}

static int
apply_size(struct sim_options *o, const struct sim_opt_desc *op, const char *v,
           char *err, size_t errlen)
{
    char perr[SIM_ERR_LEN];
    uint64_t b;

    if (sim_parse_size(v, &b, perr, sizeof(perr)) != 0) {
        return bad_value(err, errlen, op->name, v, perr);
    }
    if ((double)b < op->min || (double)b > op->max) {
        return bad_expect(err, errlen, op, v);
    }
    store(o, op, (int64_t)b, (double)b);
    return 0;
}

/* A size and "/s"; every error gets the row's sentence. */
static int
apply_rate(struct sim_options *o, const struct sim_opt_desc *op, const char *v,
           char *err, size_t errlen)
{
    char perr[SIM_ERR_LEN];
    size_t len = strlen(v);
    char size[64];
    uint64_t b;

    if (len < 3 || len - 2 >= sizeof(size) || strcmp(v + len - 2, "/s") != 0) {
        return bad_expect(err, errlen, op, v);
    }
    memcpy(size, v, len - 2);
    size[len - 2] = '\0';
    if (sim_parse_size(size, &b, perr, sizeof(perr)) != 0 ||
        (double)b < op->min || (double)b > op->max) {
        return bad_expect(err, errlen, op, v);
    }
    store(o, op, (int64_t)b, (double)b);
    return 0;
}

static int
apply_number(struct sim_options *o, const struct sim_opt_desc *op,
             const char *v, char *err, size_t errlen)
{
    double d;

    /* The shared scanner, not strtod, which takes " 0.5", "0x1p-1",
     * "-0" and ".5" alike. */
    if (sim_parse_decimal(v, &d) != 0 || !(d >= op->min && d <= op->max)) {
        return bad_expect(err, errlen, op, v);
    }
    store(o, op, (int64_t)d, d);
    return 0;
}

/* --workload=FILE: a path (a '/' in it, or a name ending in .json), read
 * and checked now, so that a bad file costs one line and exit status 2
 * before anything runs; the run reads it again to build its tasks with
 * its own instruction cost and seed. */
static int
looks_like_file(const char *v)
{
    size_t n = strlen(v);

    return strchr(v, '/') != NULL || (n > 5 && strcmp(v + n - 5, ".json") == 0);
}

/* --workload=FILE: the path, read once every option is known
 * (check_workload_file). */
static int
apply_workload_file(struct sim_options *o, const char *v, char *err,
                    size_t errlen)
{
    if (strlen(v) >= sizeof(o->workload_file)) {
        return bad_value(err, errlen, "workload", v, "path too long");
    }
    (void)snprintf(o->workload_file, sizeof(o->workload_file), "%s", v);
    (void)snprintf(o->workload, sizeof(o->workload), "file");
    return 0;
}

/* The workload file, read with the run's flags as given: one line and
 * exit 2 if it is not a workload; whether it does I/O, and which flags
 * it names (so that they apply to it). */
static int
check_workload_file(struct sim_options *o, char *err, size_t errlen)
{
    const char *v = o->workload_file;
    struct sim_wf_params p;
    struct wl_workload *w = NULL;
    char perr[SIM_ERR_LEN];
    size_t i, k, n = strlen(v);
    int own = 0;

    sim_wf_params_of(o, &p);
    if (!(p.instr_ns > 0.0)) {
        p.instr_ns = 4.1; /* what times turn into does not matter here */
    }
    if (sim_workload_file_check(v, &p, &w, &o->workload_file_flags, perr,
                                sizeof(perr)) != 0) {
        /* perr starts with the path: say it once, as the flag's value. */
        const char *rest = strncmp(perr, v, n) == 0 ? perr + n : perr;

        wl_workload_free(w);
        (void)snprintf(err, errlen, "--workload=%.1000s%s%s", v,
                       rest[0] == ':' ? "" : ": ", rest);
        return SIM_EXIT_USAGE;
    }
    (void)snprintf(o->workload_name, sizeof(o->workload_name), "%s", w->name);
    o->workload_file_io = 0;
    for (i = 0; i < w->n_tasks; i++) {
        for (k = 0; k < w->tasks[i].n_steps; k++) {
            const struct wl_step *st = &w->tasks[i].steps[k];

            o->workload_file_io |= st->kind == WL_STEP_FETCH ||
                                   st->kind == WL_STEP_WRITE ||
                                   st->kind == WL_STEP_READ;
            own |= st->kind == WL_STEP_FETCH && st->fetch_own != 0;
        }
    }
    wl_workload_free(w);
    if (own && o->url[0] != '\0') {
        (void)snprintf(err, errlen,
                       "--url=%.1000s: the fetch steps of %.1000s ask for "
                       "their own latency or size, which only gilsim's own "
                       "server serves (expected no --url, or a file whose "
                       "fetch steps are {})",
                       o->url, v);
        return SIM_EXIT_USAGE;
    }
    return 0;
}

/* One of the row's names: copied (STR) or its index stored. */
static int
apply_name(struct sim_options *o, const struct sim_opt_desc *op, const char *v,
           char *err, size_t errlen)
{
    char expect[SIM_ERR_LEN];
    char what[SIM_ERR_LEN + 64];
    size_t i;

    if (strcmp(op->name, "workload") == 0 && looks_like_file(v)) {
        return apply_workload_file(o, v, err, errlen);
    }
    for (i = 0; op->name_at(i) != NULL; i++) {
        if (strcmp(v, op->name_at(i)) == 0) {
            break;
        }
    }
    if (op->name_at(i) == NULL ||
        (op->type == SIM_OPT_STR && (double)strlen(v) >= op->max)) {
        sim_opt_expect(op, expect, sizeof(expect));
        (void)snprintf(what, sizeof(what), "unknown %s (expected %s)", op->head,
                       expect);
        return bad_value(err, errlen, op->name, v, what);
    }
    if (op->type == SIM_OPT_STR) {
        store_string(o, op, v);
    } else {
        store(o, op, (int64_t)i, (double)i);
    }
    if (strcmp(op->name, "workload") == 0) {
        o->workload_file[0] = '\0'; /* a built-in after a file */
        o->workload_file_io = 0;
        o->workload_file_flags = 0;
    }
    return 0;
}

struct list_ctx {
    const struct sim_opt_desc *op;
    unsigned bits;
};

static int
list_item(const char *elem, void *ctx, char *err, size_t errlen)
{
    struct list_ctx *lc = ctx;
    const struct sim_opt_desc *op = lc->op;
    char expect[SIM_ERR_LEN];
    size_t i;

    for (i = 0; op->name_at(i) != NULL; i++) {
        if (strcmp(elem, op->name_at(i)) == 0) {
            lc->bits |= 1u << i;
            return 0;
        }
    }
    if ((op->flags & SIM_OPTF_ALL) && strcmp(elem, "all") == 0) {
        lc->bits |= (1u << i) - 1u;
        return 0;
    }
    sim_opt_expect(op, expect, sizeof(expect));
    (void)snprintf(err, errlen, "unknown %s '%.64s' (expected %s)", op->head,
                   elem, expect);
    return -EINVAL;
}

/* A comma-separated list of the row's names, one bit each. */
static int
apply_list(struct sim_options *o, const struct sim_opt_desc *op, const char *v,
           char *err, size_t errlen)
{
    struct list_ctx lc = {op, 0};
    char perr[SIM_ERR_LEN];

    if (v[0] == '\0') {
        return bad_expect(err, errlen, op, v);
    }
    if (sim_parse_list(v, list_item, &lc, perr, sizeof(perr)) != 0) {
        return bad_value(err, errlen, op->name, v, perr);
    }
    store(o, op, lc.bits, 0.0);
    return 0;
}

/* PATH, URL, ADDR: a string that fits the field, checked for its kind. */
static int
apply_string(struct sim_options *o, const struct sim_opt_desc *op,
             const char *v, char *err, size_t errlen)
{
    char perr[SIM_ERR_LEN];
    char what[2 * SIM_ERR_LEN];
    struct in_addr addr;

    if (op->kind == SIM_OPT_ADDR &&
        ((double)strlen(v) >= op->max || inet_pton(AF_INET, v, &addr) != 1)) {
        return bad_expect(err, errlen, op, v);
    }
    if (op->kind == SIM_OPT_PATH && v[0] == '\0') {
        return bad_expect(err, errlen, op, v);
    }
    if ((double)strlen(v) >= op->max) {
        (void)snprintf(what, sizeof(what),
                       "expected %s shorter than %.0f characters",
                       op->kind == SIM_OPT_URL ? "a URL" : "a path", op->max);
        return bad_value(err, errlen, op->name, v, what);
    }
    if (op->kind == SIM_OPT_URL && !wl_io_url_ok(v, perr, sizeof(perr))) {
        char expect[SIM_ERR_LEN];

        sim_opt_expect(op, expect, sizeof(expect));
        (void)snprintf(what, sizeof(what), "%.200s (expected %s)", perr,
                       expect);
        return bad_value(err, errlen, op->name, v, what);
    }
    store_string(o, op, v);
    return 0;
}

/* One end of --window: "" (left out: 1), or a duration up to `max`. */
static int
window_end(const char *s, size_t len, double max, int64_t *out)
{
    char perr[SIM_ERR_LEN];
    char buf[64];
    double ns;

    if (len == 0) {
        return 1;
    }
    if (len >= sizeof(buf)) {
        return -EINVAL;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (duration0(buf, &ns, perr, sizeof(perr)) != 0 || ns > max) {
        return -EINVAL;
    }
    *out = (int64_t)(ns + 0.5);
    return 0;
}

/* --window=FROM..TO: the timelines' window; an end left out is the run's
 * start or end. Special: two fields. */
static int
apply_window(struct sim_options *o, const struct sim_opt_desc *op,
             const char *v, char *err, size_t errlen)
{
    const char *dots = strstr(v, "..");
    int64_t from = 0, to = 0;
    int rc;

    if (dots == NULL) {
        return bad_expect(err, errlen, op, v);
    }
    rc = window_end(v, (size_t)(dots - v), op->max, &from);
    if (rc < 0) {
        return bad_expect(err, errlen, op, v);
    }
    rc = window_end(dots + 2, strlen(dots + 2), op->max, &to);
    if (rc < 0) {
        return bad_expect(err, errlen, op, v);
    }
    if (rc == 0 && to <= from) {
        return bad_value(err, errlen, op->name, v,
                         "the window ends before it starts (expected "
                         "FROM..TO with FROM < TO, e.g. 100ms..130ms)");
    }
    o->window_from_ns = from;
    o->window_to_ns = rc == 0 ? to : 0;
    return 0;
}

/* The reader of each kind that takes a value. */
static int (*const apply_kind[])(struct sim_options *,
                                 const struct sim_opt_desc *, const char *,
                                 char *, size_t) = {
    [SIM_OPT_COUNT] = apply_count,   [SIM_OPT_DURATION] = apply_duration,
    [SIM_OPT_SIZE] = apply_size,     [SIM_OPT_RATE] = apply_rate,
    [SIM_OPT_NUMBER] = apply_number, [SIM_OPT_NAME] = apply_name,
    [SIM_OPT_LIST] = apply_list,     [SIM_OPT_PATH] = apply_string,
    [SIM_OPT_URL] = apply_string,    [SIM_OPT_ADDR] = apply_string,
    [SIM_OPT_WINDOW] = apply_window,
};

#define N_KINDS (sizeof(apply_kind) / sizeof(apply_kind[0]))

/* One option's value into `o`, or SIM_EXIT_USAGE with `err` filled: the
 * reader of the row's kind. */
static int
apply(struct sim_options *o, const struct sim_opt_desc *op, const char *v,
      char *err, size_t errlen)
{
    if ((size_t)op->kind >= N_KINDS || apply_kind[op->kind] == NULL) {
        return 0; /* FLAG, ACTION: no value */
    }
    return apply_kind[op->kind](o, op, v, err, errlen);
}

/* ---- gilsim sweep: lists ------------------------------------------------ */

struct sweep_ctx {
    struct sim_options *o;
    const struct sim_opt_desc *op;
    int64_t v[SIM_SWEEP_MAX];
    int n;
};

/* "each ..." error of a sweep list, with the row's sentence. */
static void
sweep_error(char *err, size_t errlen, const char *what,
            const struct sim_opt_desc *op)
{
    char expect[SIM_ERR_LEN];

    sim_opt_expect(op, expect, sizeof(expect));
    (void)snprintf(err, errlen,
                   "%s (expected a comma-separated list of up to %d values, "
                   "each %s)",
                   what, SIM_SWEEP_MAX, expect);
}

/* One element: parsed by apply() as a single value, then inserted in
 * ascending order; a repeated value is dropped. */
static int
sweep_item(const char *elem, void *ctx, char *err, size_t errlen)
{
    struct sweep_ctx *sc = ctx;
    char ignored[SIM_ERR_LEN];
    char what[128];
    int64_t v;
    int i, j;

    if (apply(sc->o, sc->op, elem, ignored, sizeof(ignored)) != 0) {
        (void)snprintf(what, sizeof(what), "'%.64s' is not accepted", elem);
        sweep_error(err, errlen, what, sc->op);
        return -EINVAL;
    }
    v = load(sc->o, sc->op);
    for (i = 0; i < sc->n && sc->v[i] < v; i++) {
    }
    if (i < sc->n && sc->v[i] == v) {
        return 0;
    }
    if (sc->n == SIM_SWEEP_MAX) {
        sweep_error(err, errlen, "too many values", sc->op);
        return -E2BIG;
    }
    for (j = sc->n; j > i; j--) {
        sc->v[j] = sc->v[j - 1];
    }
    sc->v[i] = v;
    sc->n++;
    return 0;
}

/* A SIM_OPTF_SWEEP option after `sweep`: a list, kept ascending in the
 * row's sweep array; the single value is set to the first (smallest). */
static int
sweep_list(struct sim_options *o, const struct sim_opt_desc *op,
           const char *value, char *err, size_t errlen)
{
    char *arr = (char *)o + op->sweep_offset;
    struct sweep_ctx sc;
    char perr[SIM_ERR_LEN];
    int i;

    memset(&sc, 0, sizeof(sc));
    sc.o = o;
    sc.op = op;
    if (sim_parse_list(value, sweep_item, &sc, perr, sizeof(perr)) != 0) {
        if (sc.n == 0 && strchr(value, ',') == NULL && value[0] != '\0') {
            /* One bad value: the same line as `run` gives. */
            return apply(o, op, value, err, errlen);
        }
        return bad_value(err, errlen, op->name, value, perr);
    }
    for (i = 0; i < sc.n; i++) {
        if (op->type == SIM_OPT_INT) {
            ((int *)(void *)arr)[i] = (int)sc.v[i];
        } else {
            ((int64_t *)(void *)arr)[i] = sc.v[i];
        }
    }
    *(int *)(void *)((char *)o + op->sweep_n_offset) = sc.n;
    store(o, op, sc.v[0], (double)sc.v[0]);
    return 0;
}

/* ---- checks across options ---------------------------------------------- */

static int
loop_item(const char *elem, void *ctx, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    if (strcmp(elem, "loop") == 0) {
        *(int *)ctx = 1;
    }
    return 0;
}

/*
 * The convoy's CPU tasks spin until its I/O task ends: on an event loop
 * they would never yield, and the run would never end. Naming loop in
 * --model with --workload=convoy is refused; the default model list and
 * `all` simply leave loop out.
 */
static int
check_convoy_loop(struct sim_options *o, const char *model_value, char *err,
                  size_t errlen)
{
    char perr[SIM_ERR_LEN];
    int named = 0;

    if (strcmp(o->workload, "convoy") != 0 ||
        !(o->models & (1u << SIM_MODEL_LOOP))) {
        return 0;
    }
    if (model_value != NULL &&
        sim_parse_list(model_value, loop_item, &named, perr, sizeof(perr)) ==
            0 &&
        named) {
        (void)snprintf(err, errlen,
                       "--workload=convoy with --model=%.200s: the convoy "
                       "workload needs preemptive threads; on an event "
                       "loop a CPU coroutine never yields (expected models "
                       "without loop)",
                       model_value);
        return SIM_EXIT_USAGE;
    }
    o->models &= ~(1u << SIM_MODEL_LOOP);
    return 0;
}

/* Without --engine=virtual, a count above its row's max (but within
 * max_virtual: --threads) is refused, in a sweep list too. */
static int
check_real_max(const struct sim_options *o, char *err, size_t errlen)
{
    char expect[SIM_ERR_LEN];
    size_t n_opts, i;

    const struct sim_opt_desc *table = sim_opt_table(&n_opts);

    for (i = 0; i < n_opts; i++) {
        const struct sim_opt_desc *op = &table[i];
        int64_t most;
        int k, n;

        if (op->max_virtual <= 0) {
            continue;
        }
        most = load(o, op);
        n = op->flags & SIM_OPTF_SWEEP
                ? *(const int *)(const void *)((const char *)o +
                                               op->sweep_n_offset)
                : 0;
        for (k = 0; k < n; k++) {
            const char *arr = (const char *)o + op->sweep_offset;
            int64_t v = op->type == SIM_OPT_INT
                            ? ((const int *)(const void *)arr)[k]
                            : ((const int64_t *)(const void *)arr)[k];

            most = v > most ? v : most;
        }
        if ((double)most > op->max) {
            sim_opt_expect(op, expect, sizeof(expect));
            (void)snprintf(err, errlen, "--%s=%lld: expected %s", op->name,
                           (long long)most, expect);
            return SIM_EXIT_USAGE;
        }
    }
    return 0;
}

/*
 * The rows marked SIM_OPTF_VIRTUAL (--cores, --bandwidth, --write-cost)
 * describe the virtual engine's machine: refused without --engine=virtual.
 * The virtual engine simulates the server: --url is refused with it.
 */
static int
check_engine(const struct sim_options *o, const char *virtual_only, char *err,
             size_t errlen)
{
    if (!o->engine_virtual) {
        int rc = check_real_max(o, err, errlen);

        if (rc != 0) {
            return rc;
        }
        if (virtual_only != NULL) {
            (void)snprintf(err, errlen,
                           "--%s applies only to --engine=virtual (expected "
                           "--engine=virtual beside it, or no --%s)",
                           virtual_only, virtual_only);
            return SIM_EXIT_USAGE;
        }
        return 0;
    }
    if (strcmp(o->policy, "legacy") == 0 &&
        strcmp(o->workload, "convoy") == 0) {
        /* The holder releases and retakes within one check, which takes
         * no virtual time, so a woken waiter never catches the GIL and
         * the convoy's CPU threads would spin for ever. */
        (void)snprintf(err, errlen,
                       "--policy=legacy with --workload=convoy and "
                       "--engine=virtual: the I/O thread would never get "
                       "the GIL back in virtual time (expected --engine=real "
                       "for this pair)");
        return SIM_EXIT_USAGE;
    }
    if (o->url[0] != '\0') {
        (void)snprintf(err, errlen,
                       "--url=%.200s: --engine=virtual simulates the server "
                       "and fetches nothing (expected no --url, or "
                       "--engine=real)",
                       o->url);
        return SIM_EXIT_USAGE;
    }
    return 0;
}

/* What the parse saw beside the values, for the checks at the end. */
struct seen {
    const char *model_value;  /* the --model list given, if any */
    const char *virtual_only; /* an option of the virtual engine */
    /* given[i]: row i of the table was on the command line, with the
     * text of its (last) value, or "" for a flag. */
    const char *given[SIM_OPT_MAX_ROWS];
};

/*
 * Each option given to run or sweep must change something in the run as
 * parsed (its row's `applies`, optapply.c): --pages with --workload=cpu,
 * or --concurrency with --model=threads, is refused rather than ignored.
 */
static int
check_applies(const struct sim_options *o, enum sim_cmd cmd,
              const struct seen *seen, char *err, size_t errlen)
{
    const struct sim_opt_desc *table;
    char why[256];
    size_t n, i;

    if (cmd != SIM_CMD_RUN && cmd != SIM_CMD_SWEEP) {
        return 0;
    }
    table = sim_opt_table(&n);
    for (i = 0; i < n; i++) {
        const struct sim_opt_desc *op = &table[i];

        if (seen->given[i] == NULL || op->applies == NULL ||
            op->applies(o, why, sizeof(why))) {
            continue;
        }
        (void)snprintf(err, errlen,
                       "--%s%s%.64s: applies only to %s (expected no --%s "
                       "for this run)",
                       op->name, seen->given[i][0] != '\0' ? "=" : "",
                       seen->given[i], why, op->name);
        return SIM_EXIT_USAGE;
    }
    return 0;
}

/* ---- the command line --------------------------------------------------- */

/* The option's row must name the command: an option of one command
 * (--python) says which; any other points to the command's own --help. */
static int
check_cmd(enum sim_cmd cmd, const struct sim_opt_desc *op, char *err,
          size_t errlen)
{
    size_t i, owner = 0, n_owners = 0;
    const char *name = "run";

    if (op->cmds & CMD(cmd)) {
        return 0;
    }
    for (i = 0; i < N_CMDS; i++) {
        if (op->cmds & CMD(cmd_table[i].cmd)) {
            owner = i;
            n_owners++;
        }
        if (cmd_table[i].cmd == cmd) {
            name = cmd_table[i].name;
        }
    }
    if (n_owners == 1) {
        /* A flag has no value to show (--force-new, --cell). */
        (void)snprintf(err, errlen,
                       "--%s applies only to gilsim %s (expected gilsim %s "
                       "--%s%s%s)",
                       op->name, cmd_table[owner].name, cmd_table[owner].name,
                       op->name, op->meta != NULL ? "=" : "",
                       op->meta != NULL ? op->meta : "");
    } else {
        (void)snprintf(err, errlen,
                       "--%s does not apply to gilsim %s (expected the "
                       "options of gilsim %s --help)",
                       op->name, name, name);
    }
    return SIM_EXIT_USAGE;
}

/* The operands of `gilsim workload`: the action ("check"), then FILE. */
static int
workload_operand(struct sim_options *o, const char *a, char *err, size_t errlen)
{
    if (o->workload_action[0] == '\0') {
        if (strcmp(a, "check") != 0 && strcmp(a, "new") != 0) {
            (void)snprintf(err, errlen,
                           "workload: unknown action '%.64s' (expected "
                           "gilsim workload check FILE or new FILE)",
                           a);
            return SIM_EXIT_USAGE;
        }
        (void)snprintf(o->workload_action, sizeof(o->workload_action), "%s", a);
        return 0;
    }
    if (o->workload_file[0] != '\0' || a[0] == '\0' ||
        strlen(a) >= sizeof(o->workload_file)) {
        (void)snprintf(err, errlen,
                       "workload %s: unexpected argument '%.64s' "
                       "(expected one FILE)",
                       o->workload_action, a);
        return SIM_EXIT_USAGE;
    }
    (void)snprintf(o->workload_file, sizeof(o->workload_file), "%s", a);
    return 0;
}

/* The leading subcommand, or an error listing cmd_table's names. */
static int
parse_command(const char *sub, enum sim_cmd *cmd, char *err, size_t errlen)
{
    char names[128] = "";
    size_t used = 0;
    size_t i;

    for (i = 0; i < N_CMDS; i++) {
        const char *sep = i == 0 ? "" : i + 1 == N_CMDS ? " or " : ", ";
        int w;

        if (strcmp(sub, cmd_table[i].name) == 0) {
            *cmd = cmd_table[i].cmd;
            return 0;
        }
        w = snprintf(names + used, sizeof(names) - used, "%s%s", sep,
                     cmd_table[i].name);
        if (w > 0 && (size_t)w < sizeof(names) - used) {
            used += (size_t)w;
        }
    }
    (void)snprintf(err, errlen,
                   "unknown command '%.64s' (expected %s, or options; see "
                   "gilsim --help)",
                   sub, names);
    return SIM_EXIT_USAGE;
}

/* Edit distance (insertions, deletions, substitutions) between a[0..n)
 * and b, stopping early above `most`; both are short option names. */
static size_t
edit_distance(const char *a, size_t n, const char *b, size_t most)
{
    size_t m = strlen(b);
    size_t row[64];
    size_t i, j;

    if (n >= 64 || m >= 64) {
        return most + 1;
    }
    for (j = 0; j <= m; j++) {
        row[j] = j;
    }
    for (i = 1; i <= n; i++) {
        size_t diag = row[0], best;

        row[0] = i;
        best = row[0];
        for (j = 1; j <= m; j++) {
            size_t up = row[j];
            size_t v = diag + (a[i - 1] != b[j - 1]);

            if (up + 1 < v) {
                v = up + 1;
            }
            if (row[j - 1] + 1 < v) {
                v = row[j - 1] + 1;
            }
            row[j] = v;
            diag = up;
            best = v < best ? v : best;
        }
        if (best > most) {
            return most + 1;
        }
    }
    return row[m];
}

/* The option a mistyped name most likely meant: the closest within two
 * edits (one for names of four letters or fewer), or the one option the
 * name begins; NULL if none stands out. */
static const char *
did_you_mean(const char *name, size_t len)
{
    const struct sim_opt_desc *table;
    const char *best = NULL, *prefixed = NULL;
    size_t n, i, best_d, most = len <= 4 ? 1 : 2;
    int n_prefixed = 0;

    table = sim_opt_table(&n);
    best_d = most + 1;
    for (i = 0; i < n; i++) {
        size_t d = edit_distance(name, len, table[i].name, most);

        if (d < best_d) {
            best_d = d;
            best = table[i].name;
        } else if (d == best_d) {
            best = NULL; /* a tie: no single guess */
        }
        if (len >= 3 && strncmp(table[i].name, name, len) == 0) {
            prefixed = table[i].name;
            n_prefixed++;
        }
    }
    if (best_d <= most && best != NULL) {
        return best;
    }
    return n_prefixed == 1 ? prefixed : NULL;
}

/* argv[*i], a long option, and its value (which may be argv[*i + 1]). */
static int
parse_option(int argc, char **argv, int *i, struct sim_options *o,
             enum sim_cmd *cmd, struct seen *seen, char *err, size_t errlen)
{
    const char *a = argv[*i];
    const struct sim_opt_desc *op;
    const char *eq, *value;
    size_t len, row, n_rows;
    int rc;

    if (a[1] != '-' || a[2] == '\0') {
        (void)snprintf(err, errlen, "unknown option %.64s (see gilsim --help)",
                       a);
        return SIM_EXIT_USAGE;
    }
    eq = strchr(a + 2, '=');
    len = eq != NULL ? (size_t)(eq - (a + 2)) : strlen(a + 2);
    op = sim_opt_find(a + 2, len);
    if (op == NULL) {
        const char *guess = did_you_mean(a + 2, len);

        if (guess != NULL) {
            (void)snprintf(err, errlen,
                           "unknown option --%.*s (did you mean --%s? see "
                           "gilsim --help)",
                           (int)(len > 64 ? 64 : len), a + 2, guess);
        } else {
            (void)snprintf(err, errlen,
                           "unknown option --%.*s (see gilsim --help)",
                           (int)(len > 64 ? 64 : len), a + 2);
        }
        return SIM_EXIT_USAGE;
    }
    rc = check_cmd(*cmd, op, err, errlen);
    if (rc != 0) {
        return rc;
    }
    row = (size_t)(op - sim_opt_table(&n_rows));
    seen->given[row] = eq != NULL ? eq + 1 : "";
    if (!sim_opt_takes_value(op)) {
        if (eq != NULL) {
            (void)snprintf(err, errlen, "--%s=%.64s: --%s takes no value",
                           op->name, eq + 1, op->name);
            return SIM_EXIT_USAGE;
        }
        if (op->kind == SIM_OPT_ACTION) {
            *cmd =
                strcmp(op->name, "help") == 0 ? SIM_CMD_HELP : SIM_CMD_VERSION;
            return 0;
        }
        store(o, op, 1, 1.0);
        return 0;
    }
    if (eq != NULL) {
        value = eq + 1;
    } else if (*i + 1 < argc &&
               !(argv[*i + 1][0] == '-' && argv[*i + 1][1] == '-')) {
        value = argv[++*i];
        seen->given[row] = value;
    } else {
        char expect[SIM_ERR_LEN];

        sim_opt_expect(op, expect, sizeof(expect));
        (void)snprintf(err, errlen, "--%s: missing value (expected %s)",
                       op->name, expect);
        return SIM_EXIT_USAGE;
    }
    if (*cmd == SIM_CMD_SWEEP && (op->flags & SIM_OPTF_SWEEP)) {
        rc = sweep_list(o, op, value, err, errlen);
    } else {
        rc = apply(o, op, value, err, errlen);
    }
    if (op->offset == offsetof(struct sim_options, models)) {
        seen->model_value = value; /* the last --model wins */
    }
    if (op->flags & SIM_OPTF_VIRTUAL) {
        seen->virtual_only = op->name;
    }
    return rc;
}

/* gilsim predict DIR: DIR/workload.json is the sweep's workload (the
 * file check below reads it). */
static int
predict_workload(struct sim_options *o, char *err, size_t errlen)
{
    struct stat st;

    if (o->predict_dir[0] == '\0') {
        (void)snprintf(err, errlen,
                       "predict: missing DIR (expected gilsim predict DIR "
                       "[OPTIONS], a folder written by gilsim record)");
        return SIM_EXIT_USAGE;
    }
    if (strcmp(o->workload, "seed") != 0) { /* --workload was given */
        (void)snprintf(err, errlen,
                       "--workload does not apply to gilsim predict (it "
                       "takes the recording's workload.json)");
        return SIM_EXIT_USAGE;
    }
    (void)snprintf(o->workload_file, sizeof(o->workload_file),
                   "%.4000s/workload.json", o->predict_dir);
    if (stat(o->workload_file, &st) != 0) {
        (void)snprintf(err, errlen,
                       "predict %.900s: not a recording (no workload.json; "
                       "expected a folder written by gilsim record)",
                       o->predict_dir);
        return SIM_EXIT_USAGE;
    }
    (void)snprintf(o->workload, sizeof(o->workload), "file");
    return 0;
}

int
sim_opt_parse(int argc, char **argv, struct sim_options *o, enum sim_cmd *cmd,
              char *err, size_t errlen)
{
    enum sim_cmd help_of;

    return sim_opt_parse_full(argc, argv, o, cmd, &help_of, err, errlen);
}

/* An operand (an argument that is not an option, or any after `--`),
 * argv[i], to the command: plot's folder, predict's, the program of
 * record (*rest: it and the arguments after it are the program's), the
 * action and file of workload. 0, or SIM_EXIT_USAGE with err. */
static int
take_operand(int argc, char **argv, int i, int predict, struct sim_options *o,
             enum sim_cmd cmd, int *rest, char *err, size_t errlen)
{
    const char *a = argv[i];

    if (cmd == SIM_CMD_PLOT && o->out_dir[0] == '\0' && a[0] != '\0' &&
        strlen(a) < sizeof(o->out_dir)) {
        /* gilsim plot RUN_DIR: the folder to draw again. */
        (void)snprintf(o->out_dir, sizeof(o->out_dir), "%s", a);
        return 0;
    }
    if (predict && o->predict_dir[0] == '\0' && a[0] != '\0' &&
        strlen(a) < sizeof(o->predict_dir) - 32) {
        /* gilsim predict DIR: the recording. */
        (void)snprintf(o->predict_dir, sizeof(o->predict_dir), "%s", a);
        return 0;
    }
    if (cmd == SIM_CMD_RECORD) {
        /* gilsim record [--] PROGRAM ARGS...: the rest is the program's,
         * its own options included. */
        o->record_argv = &argv[i];
        o->record_argc = argc - i;
        *rest = 1;
        return 0;
    }
    if (cmd == SIM_CMD_WORKLOAD) {
        /* gilsim workload check FILE: the action, then the file. */
        return workload_operand(o, a, err, errlen);
    }
    (void)snprintf(err, errlen,
                   "unexpected argument '%.64s' (see gilsim --help)", a);
    return SIM_EXIT_USAGE;
}

/* A sweep's -j N and -jN, at argv[*i]: --jobs=N, as make and GNU parallel
 * spell it (static: the parse keeps a pointer to the value). */
static int
parse_jobs_short(int argc, char **argv, int *i, struct sim_options *o,
                 enum sim_cmd *cmd, struct seen *seen, char *err, size_t errlen)
{
    static char word[80];
    const char *a = argv[*i];
    char *one[2];
    int k = 1;

    (void)snprintf(word, sizeof(word), "--jobs=%.64s",
                   a[2] != '\0'    ? a + 2
                   : *i + 1 < argc ? argv[++*i]
                                   : "");
    one[0] = argv[0];
    one[1] = word;
    return parse_option(2, one, &k, o, cmd, seen, err, errlen);
}

/* What the command needs once every argument is read: its operands, its
 * workload file or built-in, and the options that go together. */
static int
check_parsed(struct sim_options *o, enum sim_cmd cmd, int predict,
             const struct seen *seen, char *err, size_t errlen)
{
    int rc;

    if (cmd == SIM_CMD_WORKLOAD && o->workload_file[0] == '\0') {
        (void)snprintf(err, errlen,
                       "workload: missing %s (expected gilsim workload check "
                       "FILE or new FILE, a workload file)",
                       o->workload_action[0] == '\0' ? "check FILE" : "FILE");
        return SIM_EXIT_USAGE;
    }
    if (predict) {
        rc = predict_workload(o, err, errlen);
        if (rc != 0) {
            return rc;
        }
    }
    if (cmd == SIM_CMD_RECORD && o->record_argc == 0) {
        (void)snprintf(err, errlen,
                       "record: missing the program (expected gilsim record "
                       "[--out=DIR] -- python3 app.py ARGS...)");
        return SIM_EXIT_USAGE;
    }
    if (cmd == SIM_CMD_PLOT && o->out_dir[0] == '\0') {
        (void)snprintf(err, errlen,
                       "plot: missing RUN_DIR (expected gilsim plot RUN_DIR "
                       "[--window=FROM..TO], the folder of an earlier run)");
        return SIM_EXIT_USAGE;
    }
    if (cmd != SIM_CMD_WORKLOAD && strcmp(o->workload, "file") == 0) {
        rc = check_workload_file(o, err, errlen);
        if (rc != 0) {
            return rc;
        }
    } else if (cmd == SIM_CMD_RUN || cmd == SIM_CMD_SWEEP) {
        /* A built-in is a file gilsim ships: missing, the install is
         * broken; said before any folder is made. */
        char path[4096];

        if (sim_workload_builtin_path(o->workload, path, sizeof(path), err,
                                      errlen) != 0) {
            return SIM_EXIT_ERROR;
        }
    }
    rc = check_convoy_loop(o, seen->model_value, err, errlen);
    if (rc != 0) {
        return rc;
    }
    rc = check_engine(o, seen->virtual_only, err, errlen);
    if (rc != 0) {
        return rc;
    }
    return check_applies(o, cmd, seen, err, errlen);
}

int
sim_opt_parse_full(int argc, char **argv, struct sim_options *o,
                   enum sim_cmd *cmd, enum sim_cmd *help_of, char *err,
                   size_t errlen)
{
    struct seen seen;
    int options_end = 0; /* after `--`, every argument is an operand */
    int predict = 0;     /* gilsim predict DIR */
    int rest = 0;        /* record: the program and its arguments */
    int i = 1;
    int rc;

    memset(&seen, 0, sizeof(seen));
    sim_options_default(o);
    *cmd = SIM_CMD_RUN;
    *help_of = SIM_CMD_HELP; /* no subcommand named: the whole help */
    if (i < argc && argv[i][0] != '-') {
        rc = parse_command(argv[i], cmd, err, errlen);
        if (rc != 0) {
            return rc;
        }
        *help_of = *cmd;
        i++;
        if (*cmd == SIM_CMD_PREDICT) {
            /* A sweep of the recording's workload file: a sweep's
             * options, and the folder as an operand. */
            *cmd = SIM_CMD_SWEEP;
            o->predict_dir[0] = '\0';
            predict = 1;
        }
    }
    for (; i < argc && !rest; i++) {
        const char *a = argv[i];

        if (!options_end && strcmp(a, "--") == 0) {
            /* POSIX: `--` ends the options, so `gilsim plot -- -odd-dir`
             * draws a folder whose name starts with a dash. */
            options_end = 1;
            continue;
        }
        if (!options_end && strcmp(a, "-h") == 0) {
            *cmd = SIM_CMD_HELP;
            return 0;
        }
        if (a[0] != '-' || options_end) {
            rc = take_operand(argc, argv, i, predict, o, *cmd, &rest, err,
                              errlen);
        } else if (*cmd == SIM_CMD_SWEEP && strncmp(a, "-j", 2) == 0 &&
                   (a[2] == '\0' || (a[2] >= '0' && a[2] <= '9'))) {
            rc = parse_jobs_short(argc, argv, &i, o, cmd, &seen, err, errlen);
        } else {
            rc = parse_option(argc, argv, &i, o, cmd, &seen, err, errlen);
            if (rc == 0 && (*cmd == SIM_CMD_HELP || *cmd == SIM_CMD_VERSION)) {
                return 0;
            }
        }
        if (rc != 0) {
            return rc;
        }
    }
    return check_parsed(o, *cmd, predict, &seen, err, errlen);
}
