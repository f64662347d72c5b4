"""convoy.py - the convoy effect (bpo-7946): one I/O thread makes N round
trips (requests.Session.get of a small page, e.g. 128 B from
`gilsim serve --latency=0 --body-size=128B`) while C CPU threads spin
(`while not done: n += 1`) until it is done.

Prints one JSON line {"p50_ns", "p99_ns", "wall_ns"}: the I/O thread's
per-operation latency (time.perf_counter_ns around each get + r.text) and
the time of all N operations. --switch-interval S (seconds) calls
sys.setswitchinterval(S) first.

    /usr/bin/python3.11 convoy.py --url 'http://127.0.0.1:PORT/top250?start={page}' --ops 200 --cpu-threads 1
"""
import argparse
import json
import sys
import threading
import time

import requests


def spin(done):
    n = 0
    while not done.is_set():
        n += 1


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True, help="URL template with {page}")
    ap.add_argument("--ops", type=int, default=200)
    ap.add_argument("--cpu-threads", type=int, default=1)
    ap.add_argument("--switch-interval", type=float, default=None,
                    help="seconds, for sys.setswitchinterval")
    a = ap.parse_args()
    if a.switch_interval is not None:
        sys.setswitchinterval(a.switch_interval)
    done = threading.Event()
    lat = []
    wall = [0]

    def io():
        with requests.Session() as s:
            s.get(a.url.format(page=0)).text  # connect once, outside the count
            t0 = time.perf_counter_ns()
            for p in range(1, a.ops + 1):
                t = time.perf_counter_ns()
                s.get(a.url.format(page=p)).text
                lat.append(time.perf_counter_ns() - t)
            wall[0] = time.perf_counter_ns() - t0
        done.set()

    cpu = [threading.Thread(target=spin, args=(done,))
           for _ in range(a.cpu_threads)]
    for t in cpu:
        t.start()
    t = threading.Thread(target=io)
    t.start()
    t.join()
    for c in cpu:
        c.join()
    print(json.dumps({"p50_ns": pct(lat, 0.50), "p99_ns": pct(lat, 0.99),
                      "wall_ns": wall[0]}))


if __name__ == "__main__":
    main()
