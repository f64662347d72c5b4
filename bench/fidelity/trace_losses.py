"""trace_losses.py - where does gilsim's convoy I/O thread lose the GIL?

The gilsim side of calltimes.py. It reads the trace.tsv of a
`gilsim run --workload=convoy --model=threads` and, for the I/O thread (the
one that runs fetch steps), classifies each GIL release inside a fetch
step by its place. With Q quick releases (--quick, gilsim's default 4):
the first Q - 1 are quick (os.stat, poll(0) on CPython), then the
transfer's start, whose retake comes after the send (sendall), then one
quick (settimeout), then the release for the reply (recv_into), and any
later one a further chunk. A release is lost when the
thread then had to wait (a gil_wait before its next gil_take). It prints,
per kind, the share lost, the mean wait of a lost one, how many hand-offs
to other threads happened during those waits, and a histogram of the
lost waits in 5 ms bins.

    build/dev/gilsim run --workload=convoy --model=threads --cpu-threads=2 \\
        --ops=200 --url=URL --no-plots --out=DIR
    python3 bench/fidelity/trace_losses.py [--quick=4] DIR/threads/trace.tsv
"""
import argparse
import collections
import csv
import statistics
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", type=int, default=4)
    ap.add_argument("trace")
    a = ap.parse_args()
    q = max(a.quick, 0)
    # the kinds of the releases of one fetch step, in order
    order = (["quick"] * max(q - 1, 0) + ["send"] + ["quick"] * (q > 0) +
             ["reply"])
    with open(a.trace, newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    io = next((r["thread"] for r in rows if r["event"] == "step_begin"
               and r["detail"] == "fetch"), None)
    if io is None:
        sys.exit("trace_losses: no fetch step in %s" % a.trace)
    kinds = ("quick", "send", "reply", "chunk")
    n = collections.Counter()
    waits = collections.defaultdict(list)
    handoffs = collections.defaultdict(list)
    drops = 0
    kind = None
    wait_from = None
    lost = 0
    for r in rows:
        t = int(r["t_ns"])
        if r["thread"] == io:
            if r["event"] == "step_begin" and r["detail"] == "fetch":
                drops = 0
            elif r["event"] == "gil_drop" and r["detail"] == "io":
                kind = order[drops] if drops < len(order) else "chunk"
                drops += 1
                n[kind] += 1
            elif r["event"] == "gil_wait" and kind is not None:
                wait_from, lost = t, 0
            elif r["event"] == "gil_take" and wait_from is not None:
                waits[kind].append(t - wait_from)
                handoffs[kind].append(lost)
                wait_from = None
        elif (r["event"] == "gil_take" and wait_from is not None
              and r["arg"] == "1"):
            lost += 1
    all_waits = []
    for k in kinds:
        if not n[k]:
            continue
        ws = waits[k]
        all_waits += ws
        print("%-6s %5d releases  lost %5.1f%%  mean lost wait %6.2f ms  "
              "hand-offs to others while waiting: %s"
              % (k, n[k], 100 * len(ws) / n[k],
                 statistics.mean(ws) / 1e6 if ws else 0,
                 dict(sorted(collections.Counter(handoffs[k]).items()))))
    bins = collections.Counter(w // 5_000_000 for w in all_waits)
    print("lost waits by 5 ms bin: " + ", ".join(
        "%d-%d ms: %d" % (5 * b, 5 * b + 5, c) for b, c in sorted(bins.items())))


if __name__ == "__main__":
    main()
