/*
 * help.c - the text of `gilsim --help`: every option with its default and
 * meaning, the models, workloads and GIL policies, the table's columns and
 * the exit statuses.
 *
 * The option lines are text written here; the names and descriptions of
 * the models and workloads come from options.c's tables, and the policies
 * from gil/ (gil_policy_names), so a new model, workload or policy shows
 * up in --help, in the parser and in its errors at once. tests/test_cli.c
 * checks that every option of options.c's table appears in the help.
 */
#include <string.h>

#include "sim_internal.h"

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
    "  gilsim calibrate [--python=PATH] [--out=FILE] [--quiet]\n"
    "                            measure the costs below on a real Python\n"
    "                            (about 3 s) and write calibration.json\n"
    "  gilsim --help | --version\n"
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
    "(ns, us, ms, s); sizes too (B, KiB, MiB); counts may end in K, M or G\n"
    "(x1e3, x1e6, x1e9); lists are comma-separated. Defaults are in\n"
    "brackets.\n"
    "\n"
    "What to run:\n"
    "  --model=LIST          models to run [serial,threads,executor,nogil,\n"
    "                        processes,loop; without loop for convoy]\n";

static const char help_models_all[] =
    "                          all      every model this build can run\n"
    "  --workload=NAME       what the tasks do [seed]\n";

static const char help_workloads_after[] =
    "  --pages=N             seed: pages to fetch, 1..1M [25]\n"
    "  --count=N             cpu: countdown iterations in all [50M]\n"
    "  --ops=N               convoy: round trips of the I/O thread [200]\n"
    "  --cpu-threads=N       convoy: CPU threads beside it, 0..4095; the\n"
    "                        pool is 1 + N threads [1]\n"
    "  --threads=N           pool size of threads, executor and nogil, and\n"
    "                        the loop's offload threads, 1..4096\n"
    "                        (100000 with --engine=virtual) [5]\n"
    "  --concurrency=N       loop: tasks under way at once, 1..1M, or 0 for\n"
    "                        all of them, like asyncio.gather [0]\n"
    "  --processes=N         pool size of processes, 1..1024\n"
    "                        [the number of online cores]\n"
    "  --worker-start=D      processes: CPU each worker spends starting\n"
    "                        (interpreter start-up, imports), 0..60s; wins\n"
    "                        over --calibration [0]\n"
    "\n"
    "I/O (seed and convoy):\n"
    "  --url=URL             fetch this URL instead of the embedded server;\n"
    "                        {page} is replaced by the page number\n"
    "  --latency=D           the embedded server's delay before each reply\n"
    "                        [150ms for seed, 0 for convoy]\n"
    "  --latency-jitter=D    plus a uniform random delay in [0, D) [0]\n"
    "  --body-size=S         bytes of each page [64KiB for seed, 128B for\n"
    "                        convoy]\n"
    "  --fail-rate=F         share of pages the server fails on purpose, "
    "0..1:\n"
    "                        a 500, a connection closed mid-body, or a reply\n"
    "                        withheld past --timeout [0]\n"
    "  --seed=N              seed of the bodies, jitter and failures, and of\n"
    "                        the virtual engine's wake-up latencies [1]\n"
    "  --connections=N       loop: connections open at once, 0 = no limit, "
    "like\n"
    "                        aiohttp's TCPConnector(limit=N) [100]\n"
    "  --timeout=D           a fetch's time limit, connection included [10s]\n"
    "  --connect-timeout=D   the connection's time limit [2s]\n"
    "  --bind=ADDR           address of the embedded server [127.0.0.1]\n"
    "  --port=N              its port, 0 = any free port [0]\n"
    "\n"
    "The GIL:\n"
    "  --policy=NAME         the GIL's policy [new]; (what-if) marks "
    "policies no\n"
    "                        CPython release has (docs/whatif.md)\n";

static const char help_tail[] =
    "  --interpreters=N      per-interpreter: GILs, one per subinterpreter, "
    "1..4096\n"
    "                        [2: the fewest that differ from new]. threads: "
    "thread\n"
    "                        i on GIL i mod N; executor: main on GIL 0, "
    "worker k\n"
    "                        on k mod N; processes: one GIL per process and "
    "loop:\n"
    "                        one GIL for the loop, as with new\n"
    "  --switch-interval=D   how long a waiter waits before it asks the "
    "holder to\n"
    "                        drop the GIL, like sys.setswitchinterval; "
    "1us..10s\n"
    "                        [5ms]\n"
    "  --check-every=N       instructions between eval-breaker checks; 0 = "
    "the\n"
    "                        policy's own: 8 for new (one per countdown "
    "iteration,\n"
    "                        as in CPython 3.11), 100 for legacy\n"
    "                        (sys.setcheckinterval) [0]\n"
    "  --instr-ns=D          cost of one simulated instruction, above 0 and "
    "at\n"
    "                        most 1s; wins over --calibration [4.1ns]\n"
    "  --calibration=FILE    take --instr-ns, --worker-start and the\n"
    "                        Python-side costs of requests, decoding,\n"
    "                        writes, the executor and the processes from\n"
    "                        FILE, written by gilsim calibrate; summary.json\n"
    "                        says which costs a run used [the defaults]\n"
    "  --python=PATH         calibrate: the interpreter to measure, a path or\n"
    "                        a name on PATH [the first python3 on PATH]\n"
    "\n"
    "The engine:\n"
    "  --engine=NAME         real: run the work in real time on this machine;\n"
    "                        virtual: a deterministic discrete-event "
    "simulation of\n"
    "                        the same GIL code and models in virtual time, on\n"
    "                        --cores simulated cores, with the server, the\n"
    "                        transfers and the writes simulated too (every\n"
    "                        model; see docs/virtual.md) [real]\n"
    "  --cores=N             virtual: simulated cores, 1..4096 [this "
    "machine's]\n"
    "  --bandwidth=RATE      virtual: a transfer's bytes per second, 0B/s = "
    "instant,\n"
    "                        e.g. 100MiB/s [1GiB/s]\n"
    "  --write-cost=D        virtual: the system calls of one page's write "
    "[40us]\n"
    "\n"
    "Output:\n"
    "  --repeat=N            run each model N times, 1..1000; the table and\n"
    "                        summary.json give the median repetition and the\n"
    "                        min and max wall time [1]\n"
    "  --out=DIR             the run folder; it must not exist or must be "
    "empty\n"
    "                        [gilsim-out/YYYYmmdd-HHMMSS]; for calibrate, "
    "the\n"
    "                        file to write [calibration.json]\n"
    "  --format=LIST         what goes to stdout: text (the table), json\n"
    "                        (summary.json) or text,json [text]\n"
    "  --trace-events=N      trace capacity of each thread, in events, "
    "16..100M;\n"
    "                        events beyond it are counted as lost [1M]\n"
    "  --quiet               no progress lines on stderr\n"
    "  --window=FROM..TO     the part of the run the timelines show, e.g.\n"
    "                        100ms..130ms; an end left out is the run's "
    "start\n"
    "                        or end [the whole run]\n"
    "  --no-plots            no timeline or comparison pictures (they need\n"
    "                        gnuplot; without it a run still succeeds)\n"
    "  -h, --help            print this help and exit\n"
    "  --version             print the version and exit\n"
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
    "  failed    steps that did not complete\n"
    "\n"
    "Exit status: 0 done; 1 done, but steps failed; 2 bad command line "
    "(nothing\n"
    "was run or written); 3 the run could not be carried out; 130 "
    "interrupted\n"
    "by Ctrl-C (143 by SIGTERM; the traces and summary of what ran are "
    "still\n"
    "written).\n";

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

void
sim_opt_print_help(FILE *f)
{
    size_t i;

    fputs(help_head, f);
    for (i = 0; i < SIM_MODEL_COUNT; i++) {
        put_named(f, sim_model_name((enum sim_model)i),
                  sim_model_describe((enum sim_model)i));
    }
    fputs(help_models_all, f);
    for (i = 0; sim_opt_workload_at(i) != NULL; i++) {
        put_named(f, sim_opt_workload_at(i), sim_opt_workload_describe(i));
    }
    fputs(help_workloads_after, f);
    put_policies(f);
    fputs(help_tail, f);
}
