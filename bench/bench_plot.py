#!/usr/bin/env python3
"""bench_plot.py - how long gilsim takes to draw a large trace.

It makes a trace of about a million events (two CPU threads under the
legacy GIL, which releases and retakes the lock every 100 instructions,
so every check leaves events), then times `gilsim plot` on that run
folder: reading trace.tsv back, drawing the timeline (PNG and SVG) and
the comparison chart with gnuplot, and writing index.html. It prints the
event count, the trace's size and the best of --repeat timings.

Usage: bench/bench_plot.py [--gilsim=PATH] [--count=N] [--repeat=N]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gilsim",
                    default=os.path.join(here, "..", "build", "dev", "gilsim"))
    ap.add_argument("--count", default="6M",
                    help="countdown iterations (6M gives ~1M events)")
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    if not os.access(a.gilsim, os.X_OK):
        sys.exit("bench_plot: %s is not built" % a.gilsim)
    tmp = tempfile.mkdtemp(prefix="gilsim-bench-plot-")
    try:
        run = os.path.join(tmp, "run")
        make = [a.gilsim, "--workload=cpu", "--model=threads", "--threads=2",
                "--policy=legacy", "--count=" + a.count, "--no-plots",
                "--quiet", "--out=" + run]
        subprocess.run(make, check=True, stdout=subprocess.DEVNULL)
        with open(os.path.join(run, "summary.json")) as f:
            r = json.load(f)["runs"][0]
        tsv = os.path.join(run, "threads", "trace.tsv")
        times = []
        for _ in range(a.repeat):
            t0 = time.perf_counter()
            subprocess.run([a.gilsim, "plot", run], check=True,
                           stdout=subprocess.DEVNULL)
            times.append(time.perf_counter() - t0)
        print("# " + " ".join(os.path.basename(x) if x == a.gilsim else x
                              for x in make[:-1]))
        print("# then: gilsim plot RUN_DIR, best of %d" % a.repeat)
        print("events %d (lost %d), trace.tsv %.1f MB"
              % (r["events"], r["events_lost"], os.path.getsize(tsv) / 1e6))
        print("gilsim plot: best %.3f s, worst %.3f s (read the TSV, draw "
              "PNG + SVG timeline and comparison, write index.html)"
              % (min(times), max(times)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
