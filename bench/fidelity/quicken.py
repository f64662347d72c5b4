"""quicken.py - how fast CPython runs a loop before and after it quickens the
loop's code: `countdown(n)` timed after k earlier calls of the same
function, each k in a fresh process, taken in turns.

CPython 3.11 quickens a code object (rewrites its bytecode into the
adaptive forms that specialize) at the 8th call of its function; a loop's
backward jumps do not count. A program that calls its loop once per thread,
as Beazley's countdown does, runs it unquickened with up to 7 threads.
gilsim models it as quickened_speedup and quicken_calls (`gilsim
calibrate` measures both; docs/fidelity.md).

    /usr/bin/python3.11 quicken.py --count 30000000 --calls 0,6,7,12 --repeat 4

Prints, per k, the ns per iteration of each run and their median.
"""
import argparse
import statistics
import subprocess
import sys

CHILD = """
import sys, time
def countdown(n):
    while n > 0:
        n -= 1
k, count = int(sys.argv[1]), int(sys.argv[2])
for _ in range(k):
    countdown(1)
t = time.perf_counter_ns()
countdown(count)
print((time.perf_counter_ns() - t) / count)
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=30_000_000)
    ap.add_argument("--calls", default="0,6,7,12",
                    help="earlier calls before the timed one, comma-separated")
    ap.add_argument("--repeat", type=int, default=4)
    ap.add_argument("--python", default=sys.executable)
    a = ap.parse_args()
    ks = [int(k) for k in a.calls.split(",")]
    runs = {k: [] for k in ks}
    for _ in range(a.repeat):
        for k in ks:
            out = subprocess.run([a.python, "-c", CHILD, str(k), str(a.count)],
                                 stdout=subprocess.PIPE, text=True, check=True)
            runs[k].append(float(out.stdout))
    for k in ks:
        print("after %2d calls: %s ns/iteration, median %.1f"
              % (k, " ".join("%.1f" % x for x in runs[k]),
                 statistics.median(runs[k])))


if __name__ == "__main__":
    main()
