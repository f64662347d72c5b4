#!/usr/bin/env python3
"""bench_whatif.py - the convoy under the GIL policies, side by side.

Runs the convoy workload (one I/O thread's round trips against the
embedded server, latency 0, 128 B; docs/io.md) under new and the what-if
policies fifo, io-priority, bfs and per-interpreter (docs/whatif.md), at
one switch interval, beside 1 and 2 CPU threads, and prints the p50 and
p99 of one I/O operation (a fetch step, GIL waits included) and the
median wall time. It runs the gilsim binary (default build/dev/gilsim)
with --format=json, so the figures are what a user sees; each cell is one
gilsim invocation with --repeat, and policies are interleaved within each
repetition round so that a busy neighbour hurts them alike. No pass/fail.

Usage: bench/bench_whatif.py [--gilsim=PATH] [--repeat=N] [--ops=N]
                             [--switch-interval=5ms] [--interpreters=N]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

POLICIES = ("new", "fifo", "io-priority", "bfs", "per-interpreter")


def run(gilsim, args):
    out = tempfile.mkdtemp(prefix="gilsim-bench-")
    try:
        cmd = [gilsim, "--format=json", "--quiet", "--no-plots",
               "--out=" + os.path.join(out, "run")] + args
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, check=False)
        if p.returncode not in (0, 1):
            sys.exit("bench_whatif: %s failed (%d): %s"
                     % (" ".join(cmd), p.returncode, p.stderr.strip()))
        return json.loads(p.stdout)["runs"][0]
    finally:
        shutil.rmtree(out, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gilsim", default="build/dev/gilsim")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--ops", type=int, default=200)
    ap.add_argument("--switch-interval", default="5ms")
    ap.add_argument("--interpreters", type=int, default=2)
    a = ap.parse_args()

    base = ["--workload=convoy", "--model=threads", "--ops=%d" % a.ops,
            "--switch-interval=" + a.switch_interval,
            "--repeat=%d" % a.repeat]
    print("# %s %s --cpu-threads={1,2} --policy={%s} --interpreters=%d"
          % (a.gilsim, " ".join(base), ",".join(POLICIES), a.interpreters))
    print("convoy at %s: one I/O thread's operation (fetch step), p50 / p99 "
          "in ms, and wall s; median of %d"
          % (a.switch_interval, a.repeat))
    rows = {}
    for cpu in (1, 2):
        for pol in POLICIES:
            args = base + ["--cpu-threads=%d" % cpu, "--policy=" + pol]
            if pol == "per-interpreter":
                args.append("--interpreters=%d" % a.interpreters)
            rows[(cpu, pol)] = run(a.gilsim, args)
    print("%-16s %22s %22s" % ("policy", "1 CPU thread", "2 CPU threads"))
    print("%-16s %8s %7s %6s %8s %7s %6s" % ("", "p50", "p99", "wall",
                                             "p50", "p99", "wall"))
    for pol in POLICIES:
        cells = []
        for cpu in (1, 2):
            r = rows[(cpu, pol)]
            f = r["fetch_ns"]
            cells.append("%8.3f %7.3f %6.3f" % (f["p50"] / 1e6, f["p99"] / 1e6,
                                                r["wall_ns"] / 1e9))
        label = pol + (" *" if rows[(1, pol)].get("policy_what_if") else "")
        print("%-16s %s %s" % (label, cells[0], cells[1]))
    print("(* what-if policy. per-interpreter, %d GILs: with 1 CPU thread "
          "the I/O thread has a GIL of its own;\n with 2, one GIL is shared "
          "by two of the three threads, and which two depends on\n which "
          "thread picks up the I/O task)" % a.interpreters)


if __name__ == "__main__":
    main()
