#!/usr/bin/env python3
"""sweep_jobs.py - a virtual-engine sweep one job at a time against
--jobs=N (default: the machine's cores), side by side in one run.

The sweep is the one the README shows for -j: 64 simulated cores,
threads and nogil at 1 to 4096 threads, 8192 pages. Each way runs
--rounds times, alternating, into a fresh folder; the bench prints each
way's median wall time (the gilsim process, start to exit) and their
ratio, and checks that every run's sweep.tsv is the same as the first's
but for its cpu_ns column (the host CPU the runs used): the jobs' virtual
time must not depend on how many run at once. A difference is printed
and makes the exit status 1.

Usage: bench/sweep_jobs.py [--gilsim=PATH] [--jobs=N] [--rounds=N]
           [--threads=LIST] [--pages=N]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def without_cpu(path):
    """sweep.tsv's lines without the cpu_ns column (the 7th)."""
    with open(path) as f:
        return ["\t".join(c for i, c in enumerate(line.rstrip("\n").split("\t"))
                          if i != 6) for line in f]


def run(gilsim, args, jobs, out):
    cmd = [gilsim, "sweep"] + args + ["--jobs=%d" % jobs, "--out=" + out,
                                      "--no-plots", "--quiet"]
    t0 = time.monotonic()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    took = time.monotonic() - t0
    if r.returncode != 0:
        sys.exit("sweep_jobs.py: %s exited %d: %s"
                 % (" ".join(cmd), r.returncode, r.stderr.strip()))
    return took, without_cpu(os.path.join(out, "sweep.tsv"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gilsim",
                    default=os.path.join(ROOT, "build", "dev", "gilsim"))
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads",
                    default="1,2,4,8,16,32,64,128,256,512,1024,2048,4096")
    ap.add_argument("--pages", type=int, default=8192)
    a = ap.parse_args()
    args = ["--engine=virtual", "--cores=64", "--model=threads,nogil",
            "--threads=" + a.threads, "--pages=%d" % a.pages]
    tmp = tempfile.mkdtemp(prefix="gilsim-sweep-jobs-")
    times = {1: [], a.jobs: []}
    first = None
    same = True
    try:
        for k in range(a.rounds):
            for jobs in (1, a.jobs):
                took, rows = run(a.gilsim, args, jobs,
                                 os.path.join(tmp, "j%d-%d" % (jobs, k)))
                times[jobs].append(took)
                if first is None:
                    first = rows
                elif rows != first:
                    same = False
                    print("sweep_jobs.py: round %d at --jobs=%d: sweep.tsv "
                          "differs from the first run's" % (k + 1, jobs))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    one = statistics.median(times[1])
    many = statistics.median(times[a.jobs])
    print("# bench/sweep_jobs.py: gilsim sweep %s, %d rounds, %d cores"
          % (" ".join(args), a.rounds, os.cpu_count() or 1))
    print("%-12s %10s %s" % ("jobs", "median s", "each round"))
    for jobs in (1, a.jobs):
        print("%-12s %10.2f %s" % ("--jobs=%d" % jobs,
                                   statistics.median(times[jobs]),
                                   " ".join("%.2f" % t for t in times[jobs])))
    print("--jobs=1 / --jobs=%d: %.2fx; sweep.tsv (cpu_ns aside) %s"
          % (a.jobs, one / many, "the same in every run" if same
             else "DIFFERS"))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
