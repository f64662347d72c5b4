#!/usr/bin/env python3
"""bench_io.py - the I/O figures of gilsim, as ratios measured in one run.

It runs the gilsim binary (default build/dev/gilsim) with --format=json and
reads the numbers from its summary, so the figures are exactly what a user
sees. Each scenario runs its models side by side in one gilsim invocation
with --repeat, and the medians are compared:

  seed     the seed scenario (25 pages, 150 ms latency, 64 KiB): serial vs
           threads(5); the seed's own figures were 3.91 s vs 1.16 s.
  convoy   one I/O thread's round trips (latency 0, 128 B) alone (serial:
           no thread competes) and beside 1 CPU thread (threads), at 5 ms
           and 0.5 ms switch intervals: p50 and p99 of one operation, and
           the slowdown. CPython's expectation (GIL.md section 4.3): about
           k intervals per operation, k = times the GIL is retaken.

Usage: bench/bench_io.py [--gilsim=PATH] [--repeat=N] [--only=seed,convoy]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile


def run(gilsim, args, repeat):
    out = tempfile.mkdtemp(prefix="gilsim-bench-")
    try:
        cmd = [gilsim, "--format=json", "--quiet", "--repeat=%d" % repeat,
               "--out=" + os.path.join(out, "run")] + args
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, check=False)
        if p.returncode not in (0, 1):
            sys.exit("bench_io: %s failed (%d): %s"
                     % (" ".join(cmd), p.returncode, p.stderr.strip()))
        runs = {r["model"]: r for r in json.loads(p.stdout)["runs"]}
        return " ".join(cmd[:1] + args + ["--repeat=%d" % repeat]), runs
    finally:
        shutil.rmtree(out, ignore_errors=True)


def seed(gilsim, repeat):
    cmd, r = run(gilsim, ["--model=serial,threads"], repeat)
    s, t = r["serial"], r["threads"]
    print("# " + cmd)
    print("seed scenario (25 pages x 150 ms, 64 KiB), median of %d" % repeat)
    print("%-8s %8s %8s %8s %8s %7s" %
          ("model", "wall s", "min s", "max s", "CPU s", "failed"))
    for name, x in (("serial", s), ("threads", t)):
        print("%-8s %8.3f %8.3f %8.3f %8.3f %7d" %
              (name, x["wall_ns"] / 1e9, x["wall_ns_min"] / 1e9,
               x["wall_ns_max"] / 1e9, x["cpu_ns"] / 1e9, x["steps_failed"]))
    print("threads(5) / serial wall: %.3f   (the seed: 1.16 / 3.91 = %.3f)"
          % (t["wall_ns"] / s["wall_ns"], 1.16 / 3.91))
    print()


def convoy(gilsim, repeat):
    print("convoy: one I/O thread's round trips (latency 0, 128 B), "
          "alone vs beside 1 CPU thread, median of %d" % repeat)
    print("%-9s %12s %12s %12s %12s %9s" %
          ("interval", "alone p50", "alone p99", "1 CPU p50", "1 CPU p99",
           "slowdown"))
    cmds = []
    for interval in ("5ms", "0.5ms"):
        cmd, r = run(gilsim, ["--workload=convoy", "--model=serial,threads",
                              "--cpu-threads=1",
                              "--switch-interval=" + interval], repeat)
        cmds.append(cmd)
        a, c = r["serial"]["fetch_ns"], r["threads"]["fetch_ns"]
        print("%-9s %10.3f ms %10.3f ms %10.3f ms %10.3f ms %8.1fx" %
              (interval, a["p50"] / 1e6, a["p99"] / 1e6, c["p50"] / 1e6,
               c["p99"] / 1e6, c["p50"] / a["p50"]))
    for cmd in cmds:
        print("# " + cmd)
    print("(slowdown: p50 beside 1 CPU thread / p50 alone; the wait per "
          "retake of the GIL is one switch interval)")
    print()


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gilsim",
                    default=os.path.join(here, "..", "build", "dev", "gilsim"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", default="seed,convoy")
    a = ap.parse_args()
    if not os.access(a.gilsim, os.X_OK):
        sys.exit("bench_io: %s is not built (cmake --preset dev && "
                 "cmake --build --preset dev)" % a.gilsim)
    print("# bench/bench_io.py --repeat=%d --only=%s" % (a.repeat, a.only))
    only = a.only.split(",")
    if "seed" in only:
        seed(a.gilsim, a.repeat)
    if "convoy" in only:
        convoy(a.gilsim, a.repeat)


if __name__ == "__main__":
    main()
