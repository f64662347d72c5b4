"""reply_gap.py - in a gilsim convoy trace, how long the I/O thread's
reply release lasts, and how soon another thread takes the GIL in it.

    python3 bench/fidelity/reply_gap.py RUN/threads/trace.tsv

For each fetch step of the I/O thread (the thread with fetch steps), the
reply release is its last GIL drop in the step: the window runs from that
drop to the I/O thread's next GIL event (its take if it kept the GIL, its
wait if it lost it). It prints the window's p10, p50 and p90, and the
time from the drop to the first take by another thread. A take much
sooner than a condition variable's wake-up (15-36 us on this VM) means
that thread was already awake when the GIL came free.
"""
import csv
import statistics
import sys


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip().splitlines()[0])
    with open(sys.argv[1], encoding="utf-8") as f:
        ev = [(int(r["t_ns"]), r["thread"], r["event"], r["detail"])
              for r in csv.DictReader(f, delimiter="\t")]
    io = {th for (_, th, e, d) in ev if e == "step_begin" and d == "fetch"}
    if len(io) != 1:
        sys.exit("reply_gap.py: expected one thread with fetch steps")
    io = io.pop()
    windows, taken = [], []
    cur = None
    for k, (t, th, e, d) in enumerate(ev):
        if th != io:
            continue
        if e == "step_begin" and d == "fetch":
            cur = []
        elif cur is not None and e in ("gil_drop", "gil_take", "gil_wait"):
            cur.append((t, e, k))
        elif cur is not None and e == "step_end" and d == "fetch":
            drops = [j for j, (_, ee, _) in enumerate(cur) if ee == "gil_drop"]
            if drops and drops[-1] + 1 < len(cur):
                t0, _, k0 = cur[drops[-1]]
                windows.append((cur[drops[-1] + 1][0] - t0) / 1e3)
                for (tt, th2, ee, _) in ev[k0 + 1:]:
                    if th2 != io and ee == "gil_take":
                        taken.append((tt - t0) / 1e3)
                        break
            cur = None
    if not windows:
        sys.exit("reply_gap.py: no fetch step with a reply release")

    def q(xs, p):
        return sorted(xs)[min(len(xs) - 1, int(len(xs) * p))]
    print("%d replies: window p10 %.1f us, p50 %.1f, p90 %.1f"
          % (len(windows), q(windows, .1), statistics.median(windows),
             q(windows, .9)))
    if taken:
        print("another thread took the GIL after the release: p10 %.1f us, "
              "p50 %.1f, p90 %.1f (%d of %d replies)"
              % (q(taken, .1), statistics.median(taken), q(taken, .9),
                 len(taken), len(windows)))


if __name__ == "__main__":
    main()
