"""seed_processes.py - the seed's multiprocessing.Pool() program (default
size: os.cpu_count() workers): fetch every page with requests in worker
processes and write its text to OUT/top250-{p}.html.

Prints one JSON line {"wall_ns": ...}: time.perf_counter_ns around the whole
job, the pool's creation (forking the workers) included.

    /usr/bin/python3.11 seed_processes.py --url 'http://127.0.0.1:PORT/top250?start={page}' --pages 25 --out DIR
"""
import argparse
import functools
import json
import multiprocessing
import os
import time

import requests


def fetch(url, out, p):
    r = requests.get(url.format(page=p))
    r.raise_for_status()
    with open(os.path.join(out, "top250-%d.html" % p), "w",
              encoding="utf-8") as f:
        f.write(r.text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True, help="URL template with {page}")
    ap.add_argument("--pages", type=int, default=25)
    ap.add_argument("--out", required=True)
    ap.add_argument("--processes", type=int, default=None,
                    help="pool size (default: os.cpu_count(), the seed's)")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    t0 = time.perf_counter_ns()
    with multiprocessing.Pool(a.processes) as pool:
        pool.map(functools.partial(fetch, a.url, a.out),
                 range(1, a.pages + 1))
    print(json.dumps({"wall_ns": time.perf_counter_ns() - t0}))


if __name__ == "__main__":
    main()
