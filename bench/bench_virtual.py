#!/usr/bin/env python3
"""bench_virtual.py - the virtual-time engine against real time, and its speed.

validate  The same scenarios in both engines, side by side in one run, on
          this machine's cores (--cores defaults to them): the seed
          scenario under every model, the cpu countdown (1, 2 and 4
          threads or workers under threads, executor, nogil and
          processes) and the convoy (one I/O thread beside 0, 1 and 2 CPU
          threads, every model but loop, which refuses it). It prints
          the median wall time of --repeat runs of each engine and
          virtual / real; the target is 0.9-1.1. For the convoy the wall
          time is the I/O thread's 200 round trips; the p50 of one round
          trip is printed beside it but not judged: under the GIL a
          round trip loses a whole number of switch intervals, and the
          p50 jumps by one interval between runs of the same build
          (26.4 or 31.4 ms real at C = 2).
scale     The simulation's own cost: wall time of the gilsim process for
          the cpu scenario on 64 simulated cores with 10 000 threads, and a
          seed scenario on 64 cores with --seed-threads threads and
          --seed-pages pages; the engine's simulated events (summary.json
          "engine": every compute slice, wake-up, timer and resume) per
          second of that wall time, and the timeouts of idle GIL waiters
          it re-armed without running them ("absorbed"). Then the goals of
          issue 19, goal and figure side by side as figure / goal (<= 1
          meets it): 10 000 threads x 10 pages of the seed under the GIL
          in <= 3 s, 100 000 threads x 10 pages in <= 30 s, >= 10 million
          engine events a second on the nogil seed (the seed case above),
          and the peak RSS of the gilsim process per simulated thread
          (no goal: printed). A case still running after --limit seconds
          is stopped and shown as "> limit"; one that fails shows its
          error. Each goal case runs once.

It runs the gilsim binary (default build/dev/gilsim) with --format=json
and reads the summary, so the figures are what a user sees.

Usage: bench/bench_virtual.py [--gilsim=PATH] [--repeat=N]
           [--only=validate,scale] [--seed-threads=N] [--seed-pages=N]
           [--limit=SECONDS]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time


def run_measured(gilsim, args, repeat=1, limit=None):
    """(command, {model: run} or an error string, seconds the process
    took, its rusage: peak RSS in KiB, CPU seconds). The process is
    killed after `limit` seconds (the error is then "timeout")."""
    out = tempfile.mkdtemp(prefix="gilsim-bench-")
    try:
        cmd = [gilsim, "--format=json", "--quiet", "--no-plots",
               "--repeat=%d" % repeat, "--out=" + os.path.join(out, "run")]
        cmd += args
        shown = " ".join([os.path.basename(gilsim)] + args +
                         ["--repeat=%d" % repeat])
        with tempfile.TemporaryFile() as so, tempfile.TemporaryFile() as se:
            t0 = time.monotonic()
            p = subprocess.Popen(cmd, stdout=so, stderr=se)
            timer = None
            if limit is not None:
                timer = threading.Timer(limit, p.kill)
                timer.start()
            # wait4 gives this child's own rusage (its peak RSS).
            _, status, ru = os.wait4(p.pid, 0)
            took = time.monotonic() - t0
            p.returncode = os.waitstatus_to_exitcode(status)
            if timer is not None:
                timer.cancel()
            so.seek(0)
            se.seek(0)
            stdout, stderr = so.read().decode(), se.read().decode()
        if limit is not None and took >= limit and p.returncode < 0:
            return shown, "timeout", took, ru
        if p.returncode not in (0, 1):
            return shown, "exit %d: %s" % (p.returncode, stderr.strip()), \
                took, ru
        runs = {r["model"]: r for r in json.loads(stdout)["runs"]}
        return shown, runs, took, ru
    finally:
        shutil.rmtree(out, ignore_errors=True)


def run(gilsim, args, repeat=1):
    """(command, {model: run}, seconds the process took); exits on error."""
    shown, runs, took, _ = run_measured(gilsim, args, repeat)
    if isinstance(runs, str):
        sys.exit("bench_virtual: %s failed: %s" % (shown, runs))
    return shown, runs, took


def both(gilsim, args, repeat):
    c1, real, _ = run(gilsim, args, repeat)
    c2, virt, _ = run(gilsim, args + ["--engine=virtual"], repeat)
    return c1, c2, real, virt


def row(name, real, virt, note=""):
    ratio = virt / real if real > 0 else float("nan")
    flag = "" if 0.9 <= ratio <= 1.1 else "  <-- outside 0.9-1.1"
    print("%-34s %10.3f %10.3f %8.3f%s%s" %
          (name, real / 1e9, virt / 1e9, ratio, note, flag))
    return ratio


SEED_MODELS = ("serial", "threads", "executor", "nogil", "processes", "loop")
CPU_MODELS = ("threads", "executor", "nogil", "processes")
CONVOY_MODELS = ("threads", "executor", "nogil", "processes")


def validate(gilsim, repeat):
    ratios = []
    print("virtual vs real, median of %d each; wall in s (convoy: p50 of "
          "one round trip in ms, real/virtual, not judged)" % repeat)
    print("%-34s %10s %10s %8s" % ("scenario", "real", "virtual", "ratio"))
    c1, c2, r, v = both(gilsim, ["--model=all"], repeat)
    cmds = [c1, c2]
    for m in SEED_MODELS:
        ratios.append(row("seed %s" % m, r[m]["wall_ns"], v[m]["wall_ns"]))
    for t in (1, 2, 4):
        args = ["--workload=cpu", "--count=10M", "--threads=%d" % t,
                "--processes=%d" % t, "--model=" + ",".join(CPU_MODELS)]
        c1, c2, r, v = both(gilsim, args, repeat)
        cmds += [c1, c2]
        for m in CPU_MODELS:
            ratios.append(row("cpu %s x%d" % (m, t), r[m]["wall_ns"],
                              v[m]["wall_ns"]))
    for c in (0, 1, 2):
        args = ["--workload=convoy", "--cpu-threads=%d" % c,
                "--model=" + ",".join(CONVOY_MODELS)]
        c1, c2, r, v = both(gilsim, args, repeat)
        cmds += [c1, c2]
        for m in CONVOY_MODELS:
            note = "   p50 %.2f/%.2f" % (r[m]["fetch_ns"]["p50"] / 1e6,
                                         v[m]["fetch_ns"]["p50"] / 1e6)
            ratios.append(row("convoy %s, C=%d" % (m, c), r[m]["wall_ns"],
                              v[m]["wall_ns"], note))
    inside = sum(1 for x in ratios if 0.9 <= x <= 1.1)
    print("%d of %d within 0.9-1.1" % (inside, len(ratios)))
    print("commands:")
    for c in cmds:
        print("  " + c)
    print()


def seed_args(threads, pages, model):
    return ["--engine=virtual", "--cores=64", "--threads=%d" % threads,
            "--pages=%d" % pages, "--model=" + model,
            "--trace-events=%d" % max(64, 80 * pages // threads)]


def goal_row(name, goal, figure, ratio, cmd):
    print("%-44s %12s %14s %8s" % (name, goal, figure, ratio))
    print("  # " + cmd)


def goals(gilsim, nogil_eps, limit):
    """Issue 19's goals, goal and figure side by side (figure / goal)."""
    print("goals (issue 19), each run once; ratio = figure / goal, <= 1 "
          "meets it")
    print("%-44s %12s %14s %8s" % ("goal", "goal", "figure", "ratio"))
    rss = []
    for threads, goal_s in ((10000, 3.0), (100000, 30.0)):
        name = "%d threads x 10 pages, threads (GIL)" % threads
        cmd, runs, took, ru = run_measured(
            gilsim, seed_args(threads, 10 * threads, "threads"), limit=limit)
        if runs == "timeout":
            goal_row(name, "<= %.0f s" % goal_s, "> %.0f s" % limit,
                     "> %.1f" % (limit / goal_s), cmd)
            continue
        if isinstance(runs, str):
            goal_row(name, "<= %.0f s" % goal_s, "failed", "-", cmd)
            print("  ! " + runs)
            continue
        goal_row(name, "<= %.0f s" % goal_s, "%.2f s" % took,
                 "%.2f" % (took / goal_s), cmd)
        # On a shared machine the wall time includes others' load.
        print("  (its CPU time: %.2f s)" % (ru.ru_utime + ru.ru_stime))
        rss.append((threads, ru.ru_maxrss))
    if nogil_eps is not None:
        eps, cmd = nogil_eps
        goal_row("engine events/s, seed nogil (above)", ">= 10 M",
                 "%.2f M" % (eps / 1e6), "%.2f" % (10e6 / eps), cmd)
    for threads, maxrss in rss:
        print("%-44s %12s %14s" %
              ("peak RSS per thread, %d threads" % threads, "-",
               "%.1f KiB" % (maxrss / threads)))
    print()


def scale(gilsim, seed_threads, seed_pages, limit):
    print("the simulation's own cost (wall time of the gilsim process)")
    print("%-44s %9s %10s %10s %11s %10s" %
          ("scenario", "process s", "virtual s", "events", "events/s",
           "absorbed"))
    cases = [
        ("cpu, 64 cores, 10000 threads, threads",
         ["--engine=virtual", "--cores=64", "--threads=10000",
          "--workload=cpu", "--count=10M", "--model=threads",
          "--trace-events=1K"]),
        ("cpu, 64 cores, 10000 threads, nogil",
         ["--engine=virtual", "--cores=64", "--threads=10000",
          "--workload=cpu", "--count=10M", "--model=nogil",
          "--trace-events=1K"]),
        ("seed, 64 cores, %d threads, %d pages, threads"
         % (seed_threads, seed_pages),
         seed_args(seed_threads, seed_pages, "threads")),
        ("seed, 64 cores, %d threads, %d pages, nogil"
         % (seed_threads, seed_pages),
         seed_args(seed_threads, seed_pages, "nogil")),
    ]
    nogil_eps = None
    for name, args in cases:
        cmd, runs, took = run(gilsim, args)
        r = list(runs.values())[0]
        eng = r["engine"]
        print("%-44s %9.2f %10.3f %10d %11.0f %10d" %
              (name, took, r["wall_ns"] / 1e9, eng["events"],
               eng["events"] / took, eng["absorbed"]))
        print("  # " + cmd)
        if name.startswith("seed") and name.endswith("nogil"):
            nogil_eps = (eng["events"] / took, cmd)
    print()
    goals(gilsim, nogil_eps, limit)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gilsim", default="build/dev/gilsim")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", default="validate,scale")
    ap.add_argument("--seed-threads", type=int, default=1000)
    ap.add_argument("--seed-pages", type=int, default=10000)
    ap.add_argument("--limit", type=float, default=600,
                    help="stop a goal case after this many seconds")
    a = ap.parse_args()
    parts = a.only.split(",")
    if "validate" in parts:
        validate(a.gilsim, a.repeat)
    if "scale" in parts:
        scale(a.gilsim, a.seed_threads, a.seed_pages, a.limit)


if __name__ == "__main__":
    main()
