#!/usr/bin/env python3
"""cpython_handoff.py - CPython's own GIL hand-off, measured from Python,
beside gilsim's (bench_gil's section (b)) in the same run.

Two CPython threads spin in pure Python under the GIL, each taking
time.perf_counter_ns() (CLOCK_MONOTONIC, as gilsim's) every iteration
(~0.1 us) and noting, in its own list, each time two of its stamps are
more than 20 us apart: it was out between them. A hand-off is one
thread's return (its first stamp after) while the other is out, having
been out already when the other went out (a thread's return from an
OS preemption while it held the GIL is none): from the
other's last stamp before it went out (the holder's last Python: it saw
the drop request at its next check and dropped) to the requester's first
Python after its take. Each thread writes only its own list, so the
measurement takes no lock and adds no race. It includes the requester's
return from the take into the eval loop and at most one iteration of the
loop on each side (~0.1 us), which gilsim's figure, from the drop request
being set to the take, does not; so CPython's is if anything the larger.
Each switch here is a forced one: the requester waited a switch interval
on the GIL's condition variable, set the drop request, and is woken by
the holder's drop, the cold waiter of bench_gil's baseline.

Rounds alternate CPython and `bench_gil --only=b` (gilsim's new GIL, two
CPU threads) at the same switch interval, so a noisy minute on this
shared machine hits both; each side's samples are pooled over the rounds.
Printed: samples, p50 and p99 of each, and gilsim / CPython. The issue's
goal is gilsim's hand-off not slower than CPython's.

Usage: bench/cpython_handoff.py [--python=PATH] [--bench-gil=PATH]
           [--interval-ms=5] [--seconds=2] [--rounds=3]

Timing, not a test: run it on a quiet machine for figures to quote.
"""
import argparse
import os
import re
import subprocess
import sys
import statistics

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# What runs inside the measured CPython: two spinning threads; it prints
# one gap (ns) a line.
CHILD = r"""
import bisect, sys, threading, time
interval, seconds = float(sys.argv[1]), float(sys.argv[2])
sys.setswitchinterval(interval)
clock = time.perf_counter_ns
GAP = 20000   # ns between two of a thread's own stamps: it was out
outs = [[], []]   # each thread's (last stamp before, first stamp after)
stop_at = clock() + int(seconds * 1e9)
start = threading.Barrier(2)

def spin(me):
    mine = outs[me]
    start.wait()
    prev = clock()
    while prev < stop_at:
        now = clock()
        if now - prev > GAP:
            mine.append((prev, now))
        prev = now

threads = [threading.Thread(target=spin, args=(i,)) for i in (0, 1)]
for t in threads:
    t.start()
for t in threads:
    t.join()
# A hand-off from a to b: b was out when a went out (a dropped the GIL at
# its out's start), and b comes back while a is still out. b's return
# from a preemption while it held the GIL (a waiting all along) is none.
for a, b in ((0, 1), (1, 0)):
    starts = [o[0] for o in outs[a]]
    for gone, back in outs[b]:
        i = bisect.bisect_right(starts, back) - 1
        if i >= 0 and gone < outs[a][i][0] and outs[a][i][1] > back:
            sys.stdout.write("%d\n" % (back - outs[a][i][0]))
"""


def percentile(xs, q):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = min(len(xs) - 1, max(0, int(round(q / 100.0 * (len(xs) - 1)))))
    return xs[k]


def cpython_round(python, interval_ms, seconds):
    out = subprocess.run([python, "-c", CHILD, str(interval_ms / 1e3),
                          str(seconds)], check=True, capture_output=True,
                         text=True).stdout
    return [int(x) / 1e3 for x in out.split()]


def gilsim_round(bench_gil, interval_ms, count):
    out = subprocess.run([bench_gil, "--only=b", "--repeat=1",
                          "--interval-ms=%g" % interval_ms,
                          "--count=%d" % count],
                         check=True, capture_output=True, text=True).stdout
    m = re.search(r"GIL drop request -> take\s+(\d+)\s+([\d.]+)\s+([\d.]+)",
                  out)
    if m is None:
        sys.exit("cpython_handoff.py: no hand-off line in bench_gil's "
                 "output:\n" + out)
    return int(m.group(1)), float(m.group(2)), float(m.group(3))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--python", default="/usr/bin/python3")
    ap.add_argument("--bench-gil",
                    default=os.path.join(ROOT, "build/dev/bench/bench_gil"))
    ap.add_argument("--interval-ms", type=float, default=5.0)
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--count", type=int, default=100000000,
                    help="bench_gil's countdown iterations a run")
    a = ap.parse_args()
    for path in (a.python, a.bench_gil):
        if not os.access(path, os.X_OK):
            sys.exit("cpython_handoff.py: %s: not an executable (build "
                     "the dev preset, or give its path)" % path)
    if a.interval_ms <= 0 or a.seconds <= 0 or a.rounds < 1:
        sys.exit("cpython_handoff.py: --interval-ms and --seconds must be "
                 "above 0, --rounds at least 1")

    version = subprocess.run([a.python, "-c",
                              "import sys; print(sys.version.split()[0])"],
                             check=True, capture_output=True,
                             text=True).stdout.strip()
    print("# bench/cpython_handoff.py --interval-ms=%g --seconds=%g "
          "--rounds=%d" % (a.interval_ms, a.seconds, a.rounds))
    print("# CPython %s (%s), %d cores; gilsim: %s --only=b --count=%d"
          % (version, a.python, os.cpu_count() or 0, a.bench_gil, a.count))
    cp = []
    gs = []
    for r in range(a.rounds):
        cp.extend(cpython_round(a.python, a.interval_ms, a.seconds))
        gs.append(gilsim_round(a.bench_gil, a.interval_ms, a.count))
        print("# round %d: CPython %d switches, p50 %.1f us; gilsim %d, "
              "p50 %.1f us" % (r + 1, len(cp), percentile(cp, 50),
                               gs[-1][0], gs[-1][1]), file=sys.stderr)
    # bench_gil prints each run's percentiles, not its samples: its
    # figure is the median over the rounds of each.
    g50 = statistics.median(x[1] for x in gs)
    g99 = statistics.median(x[2] for x in gs)
    c50, c99 = percentile(cp, 50), percentile(cp, 99)
    print()
    print("hand-off, 2 CPU threads, switch interval %g ms" % a.interval_ms)
    print("%-44s %8s %10s %10s" % ("", "samples", "p50 us", "p99 us"))
    print("%-44s %8d %10.1f %10.1f" % (
        "CPython: holder's last Python -> requester's", len(cp), c50, c99))
    print("%-44s %8d %10.1f %10.1f" % (
        "gilsim new GIL: drop request -> take", sum(x[0] for x in gs),
        g50, g99))
    print("%-44s %8s %10.2f %10.2f" % ("gilsim / CPython", "", g50 / c50,
                                       g99 / c99))
    print("(gilsim's figure is the median of its %d runs' percentiles; "
          "CPython's pools its samples. Goal: gilsim / CPython <= 1.)"
          % a.rounds)


if __name__ == "__main__":
    main()
