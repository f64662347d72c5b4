"""seed_executor.py - the seed's concurrent.futures.ThreadPoolExecutor(5)
program: list(pool.map(fetch, pages)) with requests, each page's text
written to OUT/top250-{p}.html.

Prints one JSON line {"wall_ns": ...}: time.perf_counter_ns around the whole
job, the executor's creation included.

    /usr/bin/python3.11 seed_executor.py --url 'http://127.0.0.1:PORT/top250?start={page}' --pages 25 --out DIR
"""
import argparse
import functools
import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests


_local = threading.local()


def get(url, session):
    """requests.get, or with --session a requests.Session per thread
    (keep-alive), as gilsim's --client=requests-session."""
    if not session:
        return requests.get(url)
    if not hasattr(_local, "s"):
        _local.s = requests.Session()
    return _local.s.get(url)


def fetch(url, out, session, p):
    r = get(url.format(page=p), session)
    r.raise_for_status()
    with open(os.path.join(out, "top250-%d.html" % p), "w",
              encoding="utf-8") as f:
        f.write(r.text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True, help="URL template with {page}")
    ap.add_argument("--pages", type=int, default=25)
    ap.add_argument("--out", required=True)
    ap.add_argument("--session", action="store_true",
                    help="a requests.Session per thread (keep-alive)")
    ap.add_argument("--threads", type=int, default=5)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    t0 = time.perf_counter_ns()
    with ThreadPoolExecutor(a.threads) as pool:
        list(pool.map(functools.partial(fetch, a.url, a.out, a.session),
                      range(1, a.pages + 1)))
    print(json.dumps({"wall_ns": time.perf_counter_ns() - t0}))


if __name__ == "__main__":
    main()
