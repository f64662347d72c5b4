/*
 * help.c - the text of `gilsim --help`: every option with its default and
 * meaning, the models, workloads and GIL policies, the table's columns and
 * the exit statuses.
 *
 * The option lines are rows of `help_lines`, in the order of the help:
 * the text of an option is written here, while its flag, the name of its
 * value and its range come from opttable.c's table (sim_opt_find,
 * sim_opt_range), and the text is wrapped under the flag. The names and
 * descriptions of the models and workloads come from sim/options.c's tables
 * and the policies from gil/ (gil_policy_names), so a new model, workload
 * or policy shows up in --help, in the parser and in its errors at once.
 * tests/test_cli.c checks that every option of the table appears in the
 * help with its range.
 */
#include <string.h>

#include "cli_internal.h"

static const char help_head[] =
    "gilsim " SIM_VERSION
    " - run work under a CPython-style GIL and compare execution models\n"
    "\n"
    "Usage:\n"
    "  gilsim [run] [OPTIONS]    run a workload under one or more models\n"
    "  gilsim serve [OPTIONS]    the loopback latency server alone, until\n"
    "                            Ctrl-C (uses --bind, --port, --latency,\n"
    "                            --latency-jitter, --body-size, --fail-rate,\n"
    "                            --seed, --timeout)\n"
    "  gilsim sweep [OPTIONS]    run every model x --threads x\n"
    "                            --switch-interval (lists, e.g.\n"
    "                            --threads=1,2,4,8 --switch-interval=1ms,5ms;\n"
    "                            processes takes --processes=LIST) --repeat\n"
    "                            times; writes sweep.tsv and plots, prints a\n"
    "                            recommendation; rerun with the same --out to\n"
    "                            resume\n"
    "  gilsim sweep --plan=DIR [OPTIONS]\n"
    "                            write the sweep down for GNU parallel,\n"
    "                            Slurm or Kubernetes (DIR/jobs.txt and\n"
    "                            launchers) and run nothing\n"
    "  gilsim sweep --collect=DIR [--partial] [--mixed-hosts]\n"
    "                            merge the cells the plan's jobs finished\n"
    "                            into DIR/sweep.tsv, plots and index.html\n"
    "  gilsim calibrate [--python=PATH] [--out=FILE] [--quiet]\n"
    "                            measure the costs below on a real Python\n"
    "                            (a few seconds) and write calibration.json\n"
    "  gilsim workload check FILE | new FILE\n"
    "                            print what each kind of task of a workload\n"
    "                            file (--workload=FILE) does; write a\n"
    "                            starter file\n"
    "  gilsim record [--out=DIR] -- python3 app.py ARGS...\n"
    "                            run a Python program unchanged and record\n"
    "                            what it did: its timeline, as a run's\n"
    "                            (the GIL releases, threads and tasks)\n"
    "  gilsim predict DIR [OPTIONS]\n"
    "                            replay a recording in its own configuration\n"
    "                            (beside what was measured), then sweep it\n"
    "  gilsim --help | --version\n"
    "  gilsim COMMAND --help     the options of one command only\n"
    "  gilsim plot RUN_DIR [--window=FROM..TO]\n"
    "                            draw the timelines and the comparison of an\n"
    "                            earlier run again, and rewrite its\n"
    "                            index.html\n"
    "\n"
    "Each run prints a comparison table and writes a run folder holding\n"
    "summary.json and, for each model, MODEL/trace.tsv (one event a line)\n"
    "and MODEL/trace.json (open it in https://ui.perfetto.dev or\n"
    "chrome://tracing); the seed workload also writes MODEL/pages/.\n"
    "With gnuplot installed it also draws MODEL/timeline.png and .svg\n"
    "(one lane per thread, coloured by GIL state) and comparison.png and\n"
    ".svg (wall time and time shares of every model).\n"
    "\n"
    "Options take --name=value or --name value. Durations need a unit\n"
    "(ns, us or \xc2\xb5s, ms, s); sizes too (B, KiB, MiB, GiB); counts\n"
    "may end in K, M or G (x1e3, x1e6, x1e9); lists are comma-separated.\n"
    "Defaults are in brackets.\n"
    "\n";

/* "  NAME     line one\n" and each further line of `help` (lines split by
 * '\n') under the first, in the columns of the name lists of --help. */
static void
put_named(FILE *f, const char *name, const char *help)
{
    const char *nl;

    fprintf(f, "%26s%-8s%s", "", name, strlen(name) > 8 ? "  " : " ");
    for (nl = strchr(help, '\n'); nl != NULL; nl = strchr(help, '\n')) {
        fprintf(f, "%.*s\n%35s", (int)(nl - help), help, "");
        help = nl + 1;
    }
    fprintf(f, "%s\n", help);
}

/* The policies, from gil/; the three CPython ones are described here in
 * the words of the help, the what-if ones by gil/. */
static void
put_policies(FILE *f)
{
    const char *const *p;

    for (p = gil_policy_names(); p != NULL && *p != NULL; p++) {
        const char *what;

        if (strcmp(*p, "new") == 0) {
            what = "CPython 3.2-3.12: time-based, drop requests,\n"
                   "forced switching";
        } else if (strcmp(*p, "legacy") == 0) {
            what = "Python 2: the holder lets go at every check";
        } else if (strcmp(*p, "nogil") == 0) {
            what = "no exclusion (the nogil model's policy)";
        } else {
            what = gil_policy_describe(gil_policy_find(*p));
        }
        if (gil_policy_is_what_if(gil_policy_find(*p))) {
            /* "what-if: ..." descriptions: the label goes after the name. */
            if (strncmp(what, "what-if: ", 9) == 0) {
                what += 9;
            }
            fprintf(f, "                          %s (what-if)\n", *p);
            fprintf(f, "                            %s\n", what);
            continue;
        }
        put_named(f, *p, what);
    }
}

static void
put_models(FILE *f)
{
    size_t i;

    for (i = 0; i < SIM_MODEL_COUNT; i++) {
        put_named(f, sim_model_name((enum sim_model)i),
                  sim_model_describe((enum sim_model)i));
    }
    put_named(f, "all", "every model this build can run");
}

static void
put_workloads(FILE *f)
{
    size_t i;

    for (i = 0; sim_opt_workload_at(i) != NULL; i++) {
        put_named(f, sim_opt_workload_at(i), sim_opt_workload_describe(i));
    }
    put_named(f, "FILE",
              "a workload file, a path with a / or ending in\n"
              ".json: task kinds and their steps written\n"
              "down (docs/workloads.md)");
}

/* The names an option takes, with a line each, if --help lists them. */
static void
put_names_of(FILE *f, const struct sim_opt_desc *op)
{
    if (strcmp(op->name, "model") == 0) {
        put_models(f);
    } else if (strcmp(op->name, "workload") == 0) {
        put_workloads(f);
    } else if (strcmp(op->name, "policy") == 0) {
        put_policies(f);
    }
}

/*
 * The option lines, in the order --help shows them: a section title
 * (name NULL), or an option and its text, which is wrapped under the
 * option. In the text, %r stands for the option's range and %m for the
 * default model list, both made from sim/options.c's tables. After --model,
 * --workload and --policy come the names they take (put_names_of).
 */
static const struct help_line {
    const char *name;
    const char *text;
} help_lines[] = {
    {NULL, "What to run:"},
    {"model", "models to run [%m; without loop for convoy]"},
    {"workload", "what the tasks do [seed]"},
    {"pages", "seed: pages to fetch, %r [25]"},
    {"count", "cpu: countdown iterations in all, %r [50M]"},
    {"ops", "convoy: round trips of the I/O thread, %r [200]"},
    {"cpu-threads",
     "convoy: CPU threads beside it, %r; the pool is 1 + N threads [1]"},
    {"threads",
     "pool size of threads, executor and nogil, and the loop's offload "
     "threads, %r [5]"},
    {"concurrency",
     "loop: tasks under way at once, %r; 0 for all of them, like "
     "asyncio.gather; a sweep's list of several is the loop's axis "
     "instead of --threads [0]"},
    {"processes", "pool size of processes, %r [the number of online cores, as "
                  "multiprocessing.Pool() takes os.cpu_count()]"},
    {"worker-start",
     "processes: CPU each worker spends starting (interpreter start-up, "
     "imports), %r; wins over --calibration [0]"},
    {NULL, ""},
    {NULL, "I/O (seed and convoy):"},
    {"url",
     "fetch this URL instead of the embedded server; {page} is replaced by "
     "the page number"},
    {"latency",
     "the embedded server's delay before each reply, %r [150ms for seed, 0 "
     "for convoy]"},
    {"latency-jitter", "plus a uniform random delay in [0, D), %r [0]"},
    {"body-size", "bytes of each page, %r [64KiB for seed, 128B for convoy]"},
    {"fail-rate",
     "share of pages the server fails on purpose, %r: a 500, a connection "
     "closed mid-body, or a reply withheld past --timeout [0]"},
    {"seed",
     "seed of the bodies, jitter and failures, and of the virtual engine's "
     "wake-up latencies, %r [1]"},
    {"client",
     "the Python HTTP client the fetches of the models with threads stand "
     "for, its CPU per request (--calibration measures each) and its "
     "connections: requests (requests.get: a new connection a request), "
     "requests-session (keep-alive), urllib (urlopen: a new connection a "
     "request); aiohttp is the loop's, always [requests; requests-session "
     "for convoy]"},
    {"connections",
     "loop: connections open at once, %r, 0 = no limit, like aiohttp's "
     "TCPConnector(limit=N) [100]"},
    {"timeout", "a fetch's time limit, connection included, %r [10s]"},
    {"connect-timeout", "the connection's time limit, %r [2s]"},
    {"bind", "address of the embedded server [127.0.0.1]"},
    {"port", "its port, %r, 0 = any free port [0]"},
    {NULL, ""},
    {NULL, "The GIL:"},
    {"policy",
     "the GIL's policy [new]; (what-if) marks policies no CPython release "
     "has (docs/whatif.md)"},
    {"interpreters",
     "per-interpreter: GILs, one per subinterpreter, %r [2: the fewest that "
     "differ from new]. threads: thread i on GIL i mod N; executor: main on "
     "GIL 0, worker k on k mod N; processes: one GIL per process and loop: "
     "one GIL for the loop, as with new"},
    {"switch-interval",
     "how long a waiter waits before it asks the holder to drop the GIL, "
     "like sys.setswitchinterval; %r [5ms]"},
    {"check-every",
     "instructions between eval-breaker checks, %r; 0 = the policy's own: 8 "
     "for new (one per countdown iteration, as in CPython 3.11), 100 for "
     "legacy (sys.setcheckinterval) [0]"},
    {"instr-ns",
     "cost of one simulated instruction (an unquickened one: the "
     "program's own function runs 1.8x faster, by default, from its 8th "
     "call in a process, as CPython 3.11's), %r; wins over --calibration "
     "[4.1ns]"},
    {"calibration",
     "take --instr-ns, --worker-start and the Python-side costs of each "
     "--client's request, receiving (per byte), decoding, writes, the "
     "loop's executor hops, the executor and the processes from FILE, "
     "written by gilsim calibrate; an older file's missing costs keep their "
     "defaults, with a warning; summary.json says which costs a run used "
     "[the defaults]"},
    {"python",
     "calibrate: the interpreter to measure, a path or a name on PATH [the "
     "first python3 on PATH]"},
    {NULL, ""},
    {NULL, "The engine:"},
    {"engine",
     "real: run the work in real time on this machine; virtual: a "
     "deterministic discrete-event simulation of the same GIL code and "
     "models in virtual time, on --cores simulated cores, with the server, "
     "the transfers and the writes simulated too (every model; see "
     "docs/virtual.md) [real]"},
    {"cores",
     "virtual: simulated cores, %r [the cores gilsim may use here: the "
     "online ones within its CPU affinity and cgroup CPU quota]"},
    {"bandwidth",
     "virtual: a transfer's bytes per second, %r, 0B/s = instant, e.g. "
     "100MiB/s [1GiB/s]"},
    {"write-cost", "virtual: the system calls of one page's write, %r [40us]"},
    {NULL, ""},
    {NULL, "Output:"},
    {"repeat",
     "run each model N times, %r; the table and summary.json give the "
     "median repetition, the mean \xc2\xb1 \xcf\x83 and the min and max wall "
     "time, the speed-up as a ratio of means \xc2\xb1 \xcf\x83, and a warning "
     "when the repetitions spread widely [1]"},
    {"out", "the run folder; it must not exist or must be empty "
            "[gilsim-out/YYYYmmdd-HHMMSS]; for calibrate, the file to write "
            "[calibration.json]"},
    {"format",
     "what goes to stdout, one or more of: text (the table, or the sweep's "
     "recommendation), json (summary.json, or the sweep's cells), tsv (the "
     "same numbers tab-separated), md (a Markdown table) [text]"},
    {"trace-events",
     "events of each thread the trace files keep, %r; the statistics count "
     "every event all the same [sized from the run: about 100 MB of traces "
     "shared by every thread of every model]"},
    {"trace",
     "which events the trace files keep when a thread has more: head (the "
     "first), ring (the last) or off (no trace.tsv, trace.json or timeline; "
     "summary.json and the table as ever) [head]"},
    {"compress",
     "write MODEL/trace.json.gz (gzip; Perfetto opens it as it is) instead "
     "of MODEL/trace.json, about a tenth of its size"},
    {"quiet", "no progress lines on stderr"},
    {"window",
     "the part of the run the timelines show, e.g. 100ms..130ms; an end "
     "left out is the run's start or end [the whole run]"},
    {"force-new",
     "sweep: when --out holds an earlier sweep, leave it as it is and start "
     "a new one in a folder beside it (OUT-2, OUT-3, ...) instead of "
     "resuming"},
    {"jobs",
     "sweep --engine=virtual: run N of the sweep's jobs (a cell's "
     "repetition each) at once, each in a process of its own; virtual time "
     "is the same however many run beside it. Also -j N. A real-time sweep "
     "runs one at a time (its cells are measurements) [one a core gilsim may "
     "use (CPU affinity, cgroup quota) under --engine=virtual, else 1]"},
    {"plan",
     "sweep: run nothing; write the sweep's plan into DIR: plan.json, "
     "jobs.txt (one gilsim run command a cell and repetition) and "
     "launchers for GNU parallel, Slurm and Kubernetes (see the README: "
     "When one machine is not enough); DIR's absolute path may not hold "
     "a control character, '\"', '\\' or '#', which the launchers cannot "
     "carry"},
    {"collect",
     "sweep: merge the cells a plan's jobs finished into DIR's sweep.tsv, "
     "plots, index.html and recommendation; the jobs and the sweep's own "
     "flags come from DIR/plan.json (not from this machine's defaults; a "
     "plan of another gilsim version is refused); exit status 1 while a "
     "cell is missing or failed"},
    {"partial", "sweep --collect: missing or failed cells are listed but "
                "are no error (exit status 0)"},
    {"mixed-hosts",
     "sweep --collect: recommend even when the cells ran on hosts with "
     "different core counts (refused otherwise: real time depends on them)"},
    {"cell",
     "run: one cell of a planned sweep (jobs.txt): the run is written to "
     "OUT.part and renamed to --out when it ends; a finished --out is left "
     "as it is (one that holds another cell's or gilsim version's run is "
     "refused), an unfinished one is run again"},
    {"no-plots",
     "no timeline or comparison pictures (they need gnuplot; without it a "
     "run still succeeds)"},
    {"help", "print this help and exit"},
    {"version", "print the version and exit"},
};

#define N_HELP_LINES (sizeof(help_lines) / sizeof(help_lines[0]))

/* Column of the option texts, and the width they are wrapped to. */
#define TEXT_COL   24
#define HELP_WIDTH 76

/* `text` with %r and %m filled in, into buf. */
static void
expand(const struct sim_opt_desc *op, const char *text, char *buf, size_t len)
{
    size_t used = 0;
    const char *p;

    for (p = text; *p != '\0' && used + 1 < len; p++) {
        char sub[256] = "";
        size_t i, n;

        if (p[0] != '%' || (p[1] != 'r' && p[1] != 'm')) {
            buf[used++] = *p;
            continue;
        }
        if (p[1] == 'r') {
            sim_opt_range(op, sub, sizeof(sub));
        } else {
            for (i = 0; i < SIM_MODEL_COUNT; i++) {
                n = strlen(sub);
                (void)snprintf(sub + n, sizeof(sub) - n, "%s%s",
                               i > 0 ? "," : "",
                               sim_model_name((enum sim_model)i));
            }
        }
        n = strlen(sub);
        if (n > len - 1 - used) {
            n = len - 1 - used;
        }
        memcpy(buf + used, sub, n);
        used += n;
        p++;
    }
    buf[used] = '\0';
}

/* The words of `text`, starting in column `col0` (where the caller has
 * moved to), wrapped at HELP_WIDTH under that column. */
static void
put_wrapped(FILE *f, const char *text, int col0)
{
    const char *p = text + strspn(text, " ");
    int col = col0;

    while (*p != '\0') {
        int w = (int)strcspn(p, " ");

        if (col > col0 && col + 1 + w > HELP_WIDTH) {
            fprintf(f, "\n%*s", col0, "");
            col = col0;
        } else if (col > col0) {
            fputc(' ', f);
            col++;
        }
        fprintf(f, "%.*s", w, p);
        col += w;
        p += w;
        p += strspn(p, " ");
    }
    fputc('\n', f);
}

/* One option line: the flag (with its value's name) and its text; in
 * `gilsim sweep --help` the options that take a list say LIST. */
static void
put_option(FILE *f, const struct help_line *l, enum sim_cmd of)
{
    const struct sim_opt_desc *op = sim_opt_find(l->name, strlen(l->name));
    char flag[64];
    char text[1024];

    if (op == NULL) {
        return;
    }
    if (strcmp(l->name, "help") == 0) {
        (void)snprintf(flag, sizeof(flag), "  -h, --help");
    } else if (sim_opt_takes_value(op)) {
        (void)snprintf(flag, sizeof(flag), "  --%s=%s", op->name,
                       of == SIM_CMD_SWEEP && (op->flags & SIM_OPTF_SWEEP)
                           ? "LIST"
                           : op->meta);
    } else {
        (void)snprintf(flag, sizeof(flag), "  --%s", op->name);
    }
    /* A flag too long for its column gets a line of its own. */
    if (strlen(flag) >= TEXT_COL) {
        fprintf(f, "%s\n%*s", flag, TEXT_COL, "");
    } else {
        fprintf(f, "%-*s", TEXT_COL, flag);
    }
    expand(op, l->text, text, sizeof(text));
    put_wrapped(f, text, TEXT_COL);
    put_names_of(f, op);
}

static const char help_table[] =
    "\n"
    "The table:\n"
    "  wall      time from the start of the pool to the last thread's end\n"
    "  CPU       user + system CPU time of the process (and its worker\n"
    "            processes) during the run\n"
    "  CPU %     CPU / wall; above 100% means more than one core was busy\n"
    "  speed-up  wall time of serial / wall time of this model\n"
    "  GIL wait  the threads' share of time spent waiting for the GIL:\n"
    "            waiting / (running + waiting + I/O), summed over threads\n"
    "  forced    GIL drops made because a waiter asked for one\n"
    "  drop req  drop requests set by waiters whose interval ran out\n"
    "  hand-off  from a GIL drop to the take by a waiting thread, p50 and\n"
    "            p99, in microseconds\n"
    "  fetch     p50 and p99 of a fetch step, GIL waits included (seed,\n"
    "            convoy), in milliseconds\n"
    "  failed    steps that did not complete\n";

static const char help_exit[] =
    "\n"
    "Exit status: 0 done; 1 done, but steps failed; 2 bad command line "
    "(nothing\n"
    "was run or written); 3 the run could not be carried out; 130 "
    "interrupted\n"
    "by Ctrl-C (143 by SIGTERM; the traces and summary of what ran are "
    "still\n"
    "written).\n";

/* One subcommand's help: what it does and how it is called. */
static const struct {
    enum sim_cmd cmd;
    const char *usage;
    const char *about;
} cmd_help[] = {
    {SIM_CMD_RUN, "gilsim [run] [OPTIONS]",
     "Run a workload under one or more models, print a comparison table "
     "and write a run folder: summary.json, and for each model "
     "MODEL/trace.tsv and MODEL/trace.json (open it in "
     "https://ui.perfetto.dev); with gnuplot, the timelines and the "
     "comparison pictures, and index.html to look at them."},
    {SIM_CMD_SERVE, "gilsim serve [OPTIONS]",
     "The loopback latency server alone, in the foreground until Ctrl-C, "
     "for real Python clients or curl. Its URL is the first line on "
     "stdout. It keeps at most half the descriptor limit (ulimit -n) of "
     "connections open, closing the one idle longest when another waits, "
     "and closes a connection that has not sent a whole request within "
     "30 s. It keeps up to 64 MiB of page bodies for reuse (each made once "
     "per page and size; a body over 16 MiB is made for each reply), the "
     "same in a run's embedded server."},
    {SIM_CMD_SWEEP, "gilsim sweep [OPTIONS]",
     "Run every model x --threads x --switch-interval (lists, e.g. "
     "--threads=1,2,4,8 --switch-interval=1ms,5ms; processes takes "
     "--processes=LIST) --repeat times; write sweep.tsv, its charts and "
     "index.html, and print the cells (median, range, over the best) and a "
     "recommendation. Each repetition of a cell is "
     "a job of the sweep's plan (jobs.txt, as --plan writes it) run here "
     "into OUT/cells/ID; rerun with the same --out to resume (only the "
     "jobs not finished run; the sweep refuses settings other than those "
     "it was made with). Under --engine=virtual, -j N runs N jobs at "
     "once."},
    {SIM_CMD_PLOT, "gilsim plot RUN_DIR [OPTIONS]",
     "Draw the timelines and the comparison of an earlier run (or the "
     "charts of a sweep) again, and rewrite its index.html."},
    {SIM_CMD_WORKLOAD, "gilsim workload check FILE | new FILE",
     "check: read a workload file (docs/workloads.md) as --workload=FILE "
     "would, and print what a task of each kind does: its steps, each "
     "value's mean and distribution, and its expected time under the GIL, "
     "asleep and fetching; exit status 2 and one line if the file is "
     "wrong. FILE may be a built-in's name (seed, cpu, convoy), to see "
     "its file. The run flags a file's counts name (\"tasks\": "
     "\"--pages\"), --instr-ns, --calibration and --seed are taken as a "
     "run takes them. new: write a starter workload file, with comments, "
     "to FILE (not one that exists)."},
    {SIM_CMD_RECORD, "gilsim record [--out=DIR] [--quiet] -- PROGRAM ARGS...",
     "Run a Python program (PROGRAM a CPython 3.8 or newer: python3 "
     "app.py ...) unchanged, with a probe that times every call where "
     "CPython releases the GIL (sockets, select, sleep, os reads and "
     "writes, child processes, queues, hashlib and zlib on large buffers) "
     "and every thread and pool task; then write what it did as a run "
     "folder: measured/trace.tsv, trace.json and timeline, summary.json "
     "and index.html. The program keeps its stdin, stdout and stderr, and "
     "gilsim exits with its status (128 + N if signal N ended it)."},
    {SIM_CMD_PREDICT, "gilsim predict DIR [OPTIONS]",
     "Replay a recording (a folder of gilsim record) under other models, "
     "thread counts and switch intervals: first in the configuration it was "
     "recorded in, printed beside what was measured (the ratio "
     "predicted/measured of the pool's tasks' span), then as a sweep of "
     "DIR/workload.json with a sweep's options (--model, --threads=LIST, "
     "--processes=LIST, --switch-interval=LIST, --engine=virtual "
     "--cores=N, --repeat), its table and its recommendation. It writes "
     "DIR/predict (or --out): recorded/ and sweep/."},
    {SIM_CMD_CALIBRATE, "gilsim calibrate [OPTIONS]",
     "Measure the Python-side costs that --calibration takes on a real "
     "Python (a few seconds) and write them to calibration.json."},
};

#define N_CMD_HELP (sizeof(cmd_help) / sizeof(cmd_help[0]))

/* The option lines of the options `of` takes, each section's title
 * before its first option shown. */
static void
put_options_of(FILE *f, enum sim_cmd of)
{
    const char *title = NULL;
    int sections = 0;
    size_t i;

    for (i = 0; i < N_HELP_LINES; i++) {
        const struct help_line *l = &help_lines[i];
        const struct sim_opt_desc *op;

        if (l->name == NULL) {
            title = l->text[0] != '\0' ? l->text : title;
            continue;
        }
        op = sim_opt_find(l->name, strlen(l->name));
        if (op == NULL || !(op->cmds & (1u << of))) {
            continue;
        }
        if (title != NULL) {
            fprintf(f, "%s%s\n", sections++ > 0 ? "\n" : "", title);
            title = NULL;
        }
        put_option(f, l, of);
    }
}

void
sim_opt_print_help(FILE *f, enum sim_cmd of)
{
    size_t i;

    for (i = 0; i < N_CMD_HELP && cmd_help[i].cmd != of; i++) {
    }
    if (i == N_CMD_HELP) {
        /* gilsim --help: every command and every option. */
        fputs(help_head, f);
        for (i = 0; i < N_HELP_LINES; i++) {
            if (help_lines[i].name == NULL) {
                fprintf(f, "%s\n", help_lines[i].text);
            } else {
                put_option(f, &help_lines[i], SIM_CMD_HELP);
            }
        }
        fputs(help_table, f);
        fputs(help_exit, f);
        return;
    }
    fprintf(f, "Usage: %s\n\n", cmd_help[i].usage);
    put_wrapped(f, cmd_help[i].about, 0);
    fprintf(f, "\nDefaults are in brackets; durations need a unit (ns, us "
               "or \xc2\xb5s, ms, s),\nsizes too (B, KiB, MiB, GiB). "
               "gilsim --help shows every command.\n\n");
    /* predict is a sweep of a recording: a sweep's options. */
    put_options_of(f, of == SIM_CMD_PREDICT ? SIM_CMD_SWEEP : of);
    if (of == SIM_CMD_RUN || of == SIM_CMD_SWEEP) {
        fputs(help_table, f);
    }
    fputs(help_exit, f);
}
