"""countdown.py - Beazley's CPU countdown, `while n > 0: n -= 1`, of N
iterations in all, split evenly over T threads (threading; T=1 runs it in
the main thread).

Prints one JSON line {"wall_ns": ...}: time.perf_counter_ns from before the
threads start to after the last one is joined. --switch-interval S (seconds)
calls sys.setswitchinterval(S) first.

    /usr/bin/python3.11 countdown.py --count 20000000 --threads 2 --switch-interval 0.005
"""
import argparse
import json
import sys
import threading
import time


def countdown(n):
    while n > 0:
        n -= 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=20_000_000)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--switch-interval", type=float, default=None,
                    help="seconds, for sys.setswitchinterval")
    a = ap.parse_args()
    if a.switch_interval is not None:
        sys.setswitchinterval(a.switch_interval)
    share = [a.count // a.threads] * a.threads
    share[0] += a.count - sum(share)
    t0 = time.perf_counter_ns()
    if a.threads == 1:
        countdown(share[0])
    else:
        ts = [threading.Thread(target=countdown, args=(n,)) for n in share]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
    print(json.dumps({"wall_ns": time.perf_counter_ns() - t0}))


if __name__ == "__main__":
    main()
