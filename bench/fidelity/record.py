"""record.py - gilsim record + gilsim predict against the real program, on
the programs of examples/: is what gilsim predicts from one recording what
the program does when it runs at another configuration?

For each example (examples/crawler.py, api_fanout.py, file_pipeline.py,
cpu_batch.py, service_mix.py) it:

1. starts a `gilsim serve` of its own (latency and body size per example,
   in EXAMPLES below), and reads its URL from the server's first line.
   It runs at nice -10 (--server-nice): the server stands for a backend
   on another machine, whose replies do not wait for the example's
   threads to leave a core; on this 2-core machine, at the default
   priority, a recording of file_pipeline at 4 hashing threads had its
   server reply ~200 ms later than at 1, which every prediction from it
   took for the program's own I/O;
2. records the example once, unchanged, at the recorded configuration
   (--workers 4, the default switch interval of 5 ms):
   `gilsim record --out=TMP/rec -- PYTHON examples/X.py --url URL ...`;
3. predicts it (after step 4, whose rounds record it again, once a
   round: of those recordings and the first, the one of median pool
   wall, so that a recording made in a slow minute does not bias every
   prediction) with two `gilsim predict` runs, in the
   model the recording names (executor for a ThreadPoolExecutor):
   `--threads=1,2,4,8,16,64 --switch-interval=5ms` and
   `--threads=4 --switch-interval=1ms,20ms`, and for the examples that
   can run their pool as processes (crawler, file_pipeline, cpu_batch:
   `--pool process`, a ProcessPoolExecutor) a third in the processes
   model, `--model=processes --processes=2,4`: what the same program
   would do with a process pool, predicted from its thread pool's
   recording; each with --repeat=N, and takes the median wall of each
   cell from the sweep's sweep.tsv;
4. runs the real example, plain PYTHON, no probe, at each of those
   configurations (`--workers T --switch-interval S`, or `--pool process
   --workers N`), --repeat rounds,
   each round going through every configuration once, so that a noisy
   minute on this shared machine hits every configuration alike; each
   round also records the recorded configuration again, under the probe,
   which measures the probe's overhead against the plain runs beside it;
5. for the examples with `--pool process`, the other way round: records
   the example as a process pool of 2 and predicts it as thread pools of
   1 and 4 (`--model=executor`) and process pools of 2 and 4, against the
   same real runs: a second, smaller table.

What is compared is the same span on both sides: the pool phase. Each
example times it itself and prints `pool_wall_s=...` (time.perf_counter
around `with ThreadPoolExecutor(...) as pool: ...`, or around asyncio.run
for api_fanout); gilsim predict's wall is the replay of the recorded pool
tasks, first to last, which is also the span `gilsim record` measures
("the pool's tasks, first to last"). Neither includes the interpreter's
start-up, imports, or the work of the main thread before and after the
pool. (The example's span also holds making the executor and joining its
threads at the end; a few hundred microseconds.)

It prints one table: example, configuration, the real wall (median of
--repeat runs, and their range), the predicted wall (median of the sweep
cell's --repeat repetitions), predicted / real; and per example the best
thread count at 5 ms of the real runs and of the prediction, whether they
are the same, and how much slower the real program is at the predicted
best than at its real best (what following the prediction would cost);
the same for the best of all its pools at 5 ms, threads or processes
(the question a user asks first).
Ties are common on a plateau, so that last number says more than "same".
Beside it, the recorded run's own pool_wall_s over the real median at the
recorded configuration: every prediction is made from that one run, so
when the machine was slower while it was recorded, every row inherits it.
Then the recorded configuration as `gilsim predict` printed it (measured
under the probe / predicted), and every command it ran.

api_fanout.py (asyncio) has no pool: the probe records its asyncio
tasks, the recording names the loop model at the concurrency of the
Semaphore every task acquired, and gilsim predict sweeps the loop's
--concurrency where the others sweep --threads (its --workers is that
Semaphore's size).

    /usr/bin/python3 bench/fidelity/record.py              # ~7 min here
    /usr/bin/python3 bench/fidelity/record.py --quick      # ~1 min
    /usr/bin/python3 bench/fidelity/record.py --only=crawler --repeat=5
    /usr/bin/python3 bench/fidelity/record.py --engine=virtual

Options: --gilsim PATH (build/dev/gilsim), --python PATH
(/usr/bin/python3: Debian's, with requests and aiohttp), --repeat N (3;
the real runs per configuration and gilsim predict's --repeat), --only
NAME[,NAME] (crawler, api_fanout, file_pipeline, cpu_batch, service_mix),
--engine real|virtual (gilsim predict's engine; virtual runs on
--cores=this machine's core count), --quick (smaller sizes, threads
1,2,4,8,64, --repeat 1 unless given), --keep (keep the temporary folder
with the recordings and sweeps, and print its path), --server-nice N
(-10; the servers' priority, 0 for the default).

Progress goes to stderr; the table and the commands to stdout. The
servers are stopped with SIGINT at the end, on an error too, and the
temporary folder is removed. Timing, not a test: the machine is shared
and has 2 cores; it prints what it measured.
"""
import argparse
import csv
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import serving

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EXAMPLES_DIR = os.path.join(ROOT, "examples")

# name: (gilsim serve options, the example's size arguments, --quick's)
EXAMPLES = {
    "crawler": (["--latency=30ms", "--body-size=16KiB"],
                ["--pages", "96"], ["--pages", "32"]),
    "api_fanout": (["--latency=30ms", "--body-size=16KiB"],
                   ["--requests", "240"], ["--requests", "80"]),
    # a blob store on the local network: 1 MiB chunks, 5 ms away
    "file_pipeline": (["--latency=5ms", "--body-size=1MiB"],
                      ["--chunks", "64"], ["--chunks", "24"]),
    "cpu_batch": (["--latency=30ms", "--body-size=16KiB"],
                  ["--items", "32", "--steps", "4000"],
                  ["--items", "16", "--steps", "3000"]),
    "service_mix": (["--latency=30ms", "--body-size=16KiB"],
                    ["--tasks", "160"], ["--tasks", "60"]),
}
# the examples that take --pool process (a ProcessPoolExecutor): the
# others share a lock and counters between threads (service_mix) or have
# no pool (api_fanout)
POOLED = ("crawler", "file_pipeline", "cpu_batch")
# (pool, workers, switch interval in ms)
RECORDED = ("thread", 4, 5)
THREADS = [1, 2, 4, 8, 16, 64]        # at the recorded switch interval
THREADS_QUICK = [1, 2, 4, 8, 64]
INTERVALS = [1, 20]                   # ms, at the recorded worker count
PROCESSES = [2, 4]                    # process pools, at 5 ms
# the other way round, for the POOLED examples: recorded as a process
# pool, predicted as thread pools of BACK_THREADS and process pools
RECORDED_PROC = ("process", 2, 5)
BACK_THREADS = [1, 4]

COMMANDS = []


def say(msg):
    print("record.py: " + msg, file=sys.stderr, flush=True)


def note(cmd, suffix=""):
    COMMANDS.append(shlex.join(cmd) + suffix)


def start_server(gilsim, args, tmp, name, nice):
    """Start `gilsim serve`; return (process, URL from its first line)."""
    note([gilsim, "serve", "--port=0"] + args,
         "   # until SIGINT, at nice %d" % nice)
    proc, url, got = serving.start(gilsim, args,
                                   os.path.join(tmp, "serve-%s.out" % name),
                                   nice)
    if got != nice:
        say("gilsim serve runs at nice %d, not %d (not root?): its "
            "replies may wait for the example's threads" % (got, nice))
    return proc, url


def stop_server(proc):
    serving.stop(proc, say)


def run(cmd, what):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, check=False, timeout=1800)
    if p.returncode != 0:
        raise RuntimeError("%s failed (%d): %s\n%s" % (
            what, p.returncode, shlex.join(cmd), p.stderr.strip()[-2000:]))
    return p


def pool_wall(stdout):
    m = re.search(r"pool_wall_s=([0-9.]+)", stdout)
    if not m:
        raise RuntimeError("no pool_wall_s= in %r" % stdout)
    return float(m.group(1))


def example_cmd(a, name, url, pool, workers, interval_ms=None):
    """The example's command line; without interval_ms it keeps the
    interpreter's switch interval (5 ms)."""
    sizes = EXAMPLES[name][2 if a.quick else 1]
    cmd = ([a.python, os.path.join(EXAMPLES_DIR, name + ".py"),
            "--url", url] + sizes + ["--workers", str(workers)])
    if pool != "thread":
        cmd += ["--pool", pool]
    if interval_ms is not None:
        cmd += ["--switch-interval", "%g" % (interval_ms / 1000.0)]
    return cmd


def predict(a, rec, out, model, threads, intervals):
    """One `gilsim predict`; returns ({(pool, workers, interval ms): median
    wall s}, the lines about the recorded configuration). For the loop (an
    asyncio recording) the worker counts are its --concurrency; for the
    processes model, its --processes (the pool "process")."""
    axis = {"loop": "concurrency", "processes": "processes"}.get(model,
                                                                 "threads")
    pool = "process" if model == "processes" else "thread"
    if len(threads) == 1 and model == "loop":
        # one value is the loop's setting, not its axis
        axis_arg = ["--concurrency=%d" % threads[0]]
    else:
        axis_arg = ["--%s=%s" % (axis, ",".join(str(t) for t in threads))]
    cmd = [a.gilsim, "predict", rec, "--model=" + model] + (
        axis_arg if model != "serial" else []) + [
           "--switch-interval=" + ",".join("%gms" % i for i in intervals),
           "--repeat=%d" % a.repeat, "--no-plots", "--out=" + out]
    if a.engine == "virtual":
        cmd += ["--engine=virtual", "--cores=%d" % (os.cpu_count() or 2)]
    note(cmd)
    p = run(cmd, "gilsim predict")
    cells = {}
    with open(os.path.join(out, "sweep", "sweep.tsv")) as f:
        for r in csv.DictReader(f, delimiter="\t"):
            if r["model"] != model:
                continue
            key = (pool, int(r.get(axis, r["threads"])),
                   int(r["switch_interval_ns"]) / 1e6)
            cells.setdefault(key, []).append(int(r["wall_ns"]) / 1e9)
    recorded = [l for l in p.stdout.splitlines()
                if l.startswith(("recorded configuration", "  "))]
    return {k: statistics.median(v) for k, v in cells.items()}, recorded


def predict_from_process_pool(a, name, url, tmp):
    """The other way round: the example recorded as a process pool
    (RECORDED_PROC), predicted as thread pools (the executor model) and
    process pools at the recorded interval; {config: median wall s}."""
    rec = os.path.join(tmp, name, "rec-proc")
    cmd = [a.gilsim, "record", "--quiet", "--out=" + rec, "--"] + \
        example_cmd(a, name, url, *RECORDED_PROC[:2])
    note(cmd)
    say("%s: recording its process pool, and predicting from it" % name)
    run(cmd, "gilsim record")
    back, _ = predict(a, rec, os.path.join(tmp, name, "p4"), "executor",
                      BACK_THREADS, [RECORDED_PROC[2]])
    p5, _ = predict(a, rec, os.path.join(tmp, name, "p5"), "processes",
                    PROCESSES, [RECORDED_PROC[2]])
    back.update(p5)
    return back


def one_example(a, name, tmp, rows, summaries, back_rows):
    serve_args = EXAMPLES[name][0]
    proc, url = start_server(a.gilsim, serve_args, tmp, name, a.server_nice)
    try:
        # 1. record at the recorded configuration
        rec = os.path.join(tmp, name, "rec")
        os.makedirs(os.path.dirname(rec))
        # the recorded run keeps the interpreter's default switch interval
        cmd = [a.gilsim, "record", "--quiet", "--out=" + rec, "--"] + \
            example_cmd(a, name, url, *RECORDED[:2])
        note(cmd)
        say("%s: recording" % name)
        p = run(cmd, "gilsim record")
        rec_line = p.stdout.strip().splitlines()[-1]
        rec_wall = pool_wall(rec_line)

        # 2. the real program at each configuration, --repeat rounds
        threads = THREADS_QUICK if a.quick else THREADS
        configs = [("thread", t, RECORDED[2]) for t in threads] + \
            [RECORDED[:2] + (i,) for i in INTERVALS]
        if name in POOLED:
            configs += [("process", n, RECORDED[2]) for n in PROCESSES]
        real = {c: [] for c in configs}
        for c in configs:
            note(example_cmd(a, name, url, *c), "   # x%d, in rounds"
                 % a.repeat)
        # and, in each round, the recorded configuration under the probe
        # again: the probe's overhead, measured against the plain runs
        probed, estimates = [], []
        recs = [(rec_wall, rec, rec_line)]
        for r in range(a.repeat):
            say("%s: real runs, round %d of %d" % (name, r + 1, a.repeat))
            for c in configs:
                p = run(example_cmd(a, name, url, *c), name)
                real[c].append(pool_wall(p.stdout))
            again = os.path.join(tmp, name, "again-%d" % r)
            p = run([a.gilsim, "record", "--out=" + again, "--"] +
                    example_cmd(a, name, url, *RECORDED[:2]), "gilsim record")
            probed.append(pool_wall(p.stdout))
            recs.append((probed[-1], again,
                         p.stdout.strip().splitlines()[-1]))
            m = re.search(r"probe overhead \(estimated\): (\d+) events? at "
                          r"~([0-9.e+-]+) us each, ([0-9.e+-]+) ms: "
                          r"([0-9.e+-]+)%", p.stderr)
            if m:
                estimates.append(float(m.group(4)))
        note([a.gilsim, "record", "--out=TMP/again-N", "--"] +
             example_cmd(a, name, url, *RECORDED[:2]),
             "   # x%d, one a round" % a.repeat)
        # 3. predict from the recording of median pool wall (of the first
        # and the rounds' ones): one recording on a noisy machine may be a
        # slow one, and every prediction would inherit it
        recs.sort(key=lambda x: x[0])
        rec_wall, rec, rec_line = recs[len(recs) // 2]
        rec_spread = (recs[0][0], recs[-1][0], len(recs))
        # the recorded model, threads at 5 ms, intervals at 4 workers
        with open(os.path.join(rec, "workload.json")) as f:
            head = f.read(2000)
        m = re.search(r"recorded under (\w+) with", head)
        model = m.group(1) if m else "executor"
        say("%s: gilsim predict (model %s)" % (name, model))
        if model == "serial":
            # no pool: one task, the main thread; thread counts mean nothing
            pred, recorded = predict(a, rec, os.path.join(tmp, name, "p1"),
                                     model, [1],
                                     sorted(INTERVALS + [RECORDED[2]]))
            pred = {(pl, t, i): pred[("thread", 1, i)]
                    for (pl, t, i) in configs}
        else:
            pred, recorded = predict(a, rec, os.path.join(tmp, name, "p1"),
                                     model, threads, [RECORDED[2]])
            p2, _ = predict(a, rec, os.path.join(tmp, name, "p2"), model,
                            [RECORDED[1]], INTERVALS)
            pred.update(p2)
        if name in POOLED:
            p3, _ = predict(a, rec, os.path.join(tmp, name, "p3"),
                            "processes", PROCESSES, [RECORDED[2]])
            pred.update(p3)
            back = predict_from_process_pool(a, name, url, tmp)

    finally:
        stop_server(proc)

    if name in POOLED:
        for c in sorted(back):
            back_rows.append((name, c, statistics.median(real[c]),
                              back[c]))

    for c in configs:
        med = statistics.median(real[c])
        rows.append((name, c, med, min(real[c]), max(real[c]),
                     pred.get(c)))
    def best(among):
        """(the real best, the predicted best, how much slower the real
        program is at the predicted best than at its real best)"""
        br = min(among, key=lambda c: statistics.median(real[c]))
        bp = min(among, key=lambda c: pred[c])
        return br, bp, (statistics.median(real[bp]) /
                        statistics.median(real[br]) - 1)

    at_rec = statistics.median(real[RECORDED])
    summaries.append({
        "name": name, "model": model,
        # the thread counts at the recorded interval
        "threads": best([c for c in configs if c[0] == "thread" and
                         c[2] == RECORDED[2]]),
        # threads or processes, at the recorded interval
        "pools": best([c for c in configs if c[2] == RECORDED[2]]),
        "recorded": recorded, "rec_line": rec_line,
        "serve_args": serve_args, "rec_ratio": rec_wall / at_rec,
        "overhead": statistics.median(probed) / at_rec - 1,
        "estimate": statistics.median(estimates) if estimates else None,
        "spread": (rec_spread[0] / at_rec, rec_spread[1] / at_rec,
                   rec_spread[2])})


def conf_text(c):
    """("thread", 4, 5) -> "4 threads, 5 ms"; a process pool's interval,
    its workers' own, is left out."""
    pool, n, i = c
    if pool == "process":
        return "%d processes" % n
    return "%d workers, %g ms" % (n, i)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gilsim", default=os.path.join(ROOT, "build", "dev",
                                                     "gilsim"))
    ap.add_argument("--python", default="/usr/bin/python3")
    ap.add_argument("--repeat", type=int, default=None)
    ap.add_argument("--only", default=",".join(EXAMPLES))
    ap.add_argument("--engine", choices=("real", "virtual"), default="real")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--server-nice", type=int, default=-10)
    a = ap.parse_args()
    if a.repeat is None:
        a.repeat = 1 if a.quick else 3
    a.gilsim = os.path.abspath(a.gilsim)
    only = [n for n in a.only.split(",") if n]
    for n in only:
        if n not in EXAMPLES:
            sys.exit("record.py: no example %r (%s)" % (n, ", ".join(EXAMPLES)))
    pyver = subprocess.run([a.python, "--version"], stdout=subprocess.PIPE,
                           text=True, check=True).stdout.strip()

    tmp = tempfile.mkdtemp(prefix="gilsim-record-")
    rows, summaries, back_rows = [], [], []
    t0 = time.monotonic()
    try:
        for n in only:
            one_example(a, n, tmp, rows, summaries, back_rows)
    finally:
        if a.keep:
            say("kept %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    print("# bench/fidelity/record.py --repeat=%d --engine=%s%s --only=%s"
          % (a.repeat, a.engine, " --quick" if a.quick else "",
             ",".join(only)))
    print("# %s (%s), %d cores, %s; %.0f s in all" % (
        pyver, a.python, os.cpu_count(), a.gilsim, time.monotonic() - t0))
    print("# recorded at %d workers (a thread pool), switch interval %d ms; "
          "predicted by gilsim predict --engine=%s --repeat=%d" % (
              RECORDED[1], RECORDED[2], a.engine, a.repeat))
    print()
    print("| example | configuration | real s (median) | real min-max "
          "| predicted s | predicted/real |")
    print("|---|---|---:|---:|---:|---:|")
    for name, c, med, lo, hi, pr in rows:
        conf = conf_text(c) + (" (recorded)" if c == RECORDED else "")
        ratio = pr / med if pr is not None else float("nan")
        flag = "" if 0.85 <= ratio <= 1.15 else " **"
        print("| %s | %s | %.3f | %.3f-%.3f | %s | %.2f%s |" % (
            name, conf, med, lo, hi, "%.3f" % pr if pr is not None else "-",
            ratio, flag))
    print()
    print("(** = outside 0.85-1.15)")
    if back_rows:
        print()
        print("the other way round: recorded as a process pool (%s), "
              "predicted as thread pools and process pools:"
              % conf_text(RECORDED_PROC))
        print()
        print("| example | configuration | real s (median) | predicted s "
              "| predicted/real |")
        print("|---|---|---:|---:|---:|")
        for name, c, med, pr in back_rows:
            ratio = pr / med if pr is not None else float("nan")
            print("| %s | %s | %.3f | %s | %.2f%s |" % (
                name, conf_text(c) + (" (recorded)" if c == RECORDED_PROC
                                      else ""),
                med, "%.3f" % pr if pr is not None else "-", ratio,
                "" if 0.85 <= ratio <= 1.15 else " **"))
    print()
    print("best worker count at %d ms, real runs against gilsim predict, "
          "and the best of threads and processes:" % RECORDED[2])
    print()
    print("| example | predict model | real best | predicted best | same "
          "| real at predicted best vs real best "
          "| threads or processes: real best | predicted best | same "
          "| real at predicted best vs real best | recording / real "
          "| recordings / real, min-max (n) "
          "| probe overhead (measured) | (estimated) |")
    print("|---|---|---:|---:|---|---:|---|---|---|---:|---:|---:|---:|---:|")
    for s in summaries:
        (br, bp, regret), (pr, pp, pregret) = s["threads"], s["pools"]
        spread, est = s["spread"], s["estimate"]
        print("| %s | %s | %d | %d | %s | %+.1f %% | %s | %s | %s | %+.1f %% "
              "| %.2f | %.2f-%.2f (%d) | %+.1f %% | %s |"
              % (s["name"], s["model"], br[1], bp[1],
                 "yes" if br == bp else "no", 100 * regret,
                 conf_text(pr), conf_text(pp), "yes" if pr == pp else "no",
                 100 * pregret, s["rec_ratio"], spread[0], spread[1],
                 spread[2], 100 * s["overhead"],
                 "%.1f %%" % est if est is not None else "-"))
    print()
    print("recording / real: the pool_wall_s of the recording predicted "
          "from (the median of the first recording and one a round) over "
          "the real runs' median at the same configuration; every "
          "prediction starts from that one run; recordings / real: the "
          "same for the fastest and the slowest of them. "
          "probe overhead (measured): the median pool_wall_s of --repeat "
          "more recordings, one a round beside the real runs, over the "
          "real runs' median, minus 1; (estimated): what gilsim record "
          "printed, the probe's events times its cost per event measured "
          "at its start, over the recording's wall.")
    print()
    print("the recording, and the recorded configuration as gilsim predict "
          "printed it (the recording's measured span is under the probe):")
    for s in summaries:
        print()
        print("%s (gilsim serve %s): %s" % (s["name"],
                                            " ".join(s["serve_args"]),
                                            s["rec_line"]))
        for l in s["recorded"]:
            print("  " + l)
    print()
    print("commands run (TMP: a temporary folder, removed at the end):")
    for c in COMMANDS:
        print("  " + c.replace(tmp, "TMP"))


if __name__ == "__main__":
    main()
