#!/usr/bin/env python3
"""bench_loop.py - the loop model at scale (issue 19 item 3): N pages at a
latency L on one event loop, in real time, against its goal, in one run.

The goal: the real run's wall time within 2 x (L + the modelled Python CPU).
The modelled Python CPU is what the virtual engine charges for the same
flags (--engine=virtual: simulated time, no machine noise, no C work): the
GIL hold time summed over its threads. Its own wall time is printed too.

Then the real engine, twice, with the same flags:
  --connections=100  aiohttp's default connector limit (gilsim's default):
                     at most 100 fetches at once, so the run cannot take less
                     than ceil(N / 100) x L; that floor is printed beside it.
  --connections=0    no limit (aiohttp's TCPConnector(limit=0)).

Each real run is made once (each takes tens of seconds); the figures are
what gilsim's summary.json says (wall_ns, gil_hold_ns, steps_failed), so
they are what a user sees. The machine's other load moves them: say so
when you quote them.

Every run gets --timeout=60s (--timeout=D here): a fetch whose reply waits
for the busy loop past gilsim's default 10 s would fail and skip its task's
other steps, and that run would have done less work than the others.

Usage: bench/bench_loop.py [--gilsim=PATH] [--pages=N] [--latency=D]
                           [--timeout=D] [--only=virtual,100,0]
"""
import argparse
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile

GOAL_FACTOR = 2.0


def parse_ns(text):
    units = (("ms", 1e6), ("us", 1e3), ("ns", 1.0), ("s", 1e9))
    for suffix, mult in units:
        if text.endswith(suffix):
            return int(float(text[:-len(suffix)]) * mult)
    sys.exit("bench_loop: --latency needs a unit (ns, us, ms, s): %r" % text)


def run(gilsim, args):
    out = tempfile.mkdtemp(prefix="gilsim-bench-loop-")
    try:
        cmd = [gilsim, "--format=json", "--quiet", "--model=loop",
               "--out=" + os.path.join(out, "run")] + args
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, check=False)
        if p.returncode not in (0, 1):
            sys.exit("bench_loop: %s failed (%d): %s"
                     % (" ".join(cmd), p.returncode, p.stderr.strip()))
        return " ".join([gilsim, "--model=loop"] + args), \
            json.loads(p.stdout)["runs"][0]
    finally:
        shutil.rmtree(out, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gilsim", default="build/dev/gilsim")
    ap.add_argument("--pages", type=int, default=10000)
    ap.add_argument("--latency", default="200ms")
    ap.add_argument("--timeout", default="60s")
    ap.add_argument("--only", default="virtual,100,0")
    a = ap.parse_args()
    only = a.only.split(",")
    lat_ns = parse_ns(a.latency)
    # A fetch that waits for the busy loop past gilsim's default 10 s
    # time limit fails and skips its task's other steps, which shortens
    # the run; a generous limit keeps every run's work the same.
    base = ["--pages=%d" % a.pages, "--latency=%s" % a.latency,
            "--timeout=%s" % a.timeout]

    print("# bench_loop: %d pages at %s on the loop model; the machine's "
          "other load is in every real figure (load average %.2f %.2f %.2f "
          "at the start)" % ((a.pages, a.latency) + os.getloadavg()))
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    want = 2 * a.pages + 100
    if soft != resource.RLIM_INFINITY and soft < want:
        print("# RLIMIT_NOFILE %d < %d: with --connections=0 the client's "
              "and the embedded server's sockets (one process) do not all "
              "fit, and some fetches and writes fail (ulimit -n)"
              % (soft, want))
    cmd, v = run(a.gilsim, base + ["--engine=virtual"])
    cpu_ns = v["gil_hold_ns"]
    goal_ns = GOAL_FACTOR * (lat_ns + cpu_ns)
    if "virtual" in only:
        print("# " + cmd)
    print("modelled Python CPU (virtual engine, GIL held, all threads) "
          "%8.3f s; virtual wall %8.3f s"
          % (cpu_ns / 1e9, v["wall_ns"] / 1e9))
    print("goal: real wall <= %.0f x (%s + %.3f s) = %.3f s"
          % (GOAL_FACTOR, a.latency, cpu_ns / 1e9, goal_ns / 1e9))
    print()
    print("%-16s %9s %9s %9s %8s %9s %9s %7s" %
          ("real engine", "wall s", "/ goal", "GIL s", "/ model",
           "floor s", "/ floor", "failed"))
    for conns in ("100", "0"):
        if conns not in only:
            continue
        cmd, r = run(a.gilsim, base + ["--connections=" + conns])
        n = int(conns)
        floor_ns = math.ceil(a.pages / n) * lat_ns if n > 0 else lat_ns
        print("%-16s %9.3f %9.2f %9.3f %8.2f %9.3f %9.2f %7d   # %s"
              % ("--connections=" + conns, r["wall_ns"] / 1e9,
                 r["wall_ns"] / goal_ns, r["gil_hold_ns"] / 1e9,
                 r["gil_hold_ns"] / cpu_ns, floor_ns / 1e9,
                 r["wall_ns"] / floor_ns, r["steps_failed"], cmd))
    print("(/ goal: wall over the goal, <= 1 meets it; GIL s: GIL held, all "
          "threads, real; / model: that over the modelled CPU; floor: what "
          "the connection limit alone allows, ceil(pages / connections) x "
          "latency, or one latency without a limit; a run with failed "
          "fetches (--timeout) skipped their tasks' other steps, so its "
          "wall time is not comparable)")
    print("# load average %.2f %.2f %.2f at the end" % os.getloadavg())


if __name__ == "__main__":
    main()
