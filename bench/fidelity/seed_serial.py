"""seed_serial.py - the seed's serial program: fetch each page with requests,
one after another, and write its text to OUT/top250-{p}.html.

Prints one JSON line {"wall_ns": ...}: time.perf_counter_ns around the whole
job.

    /usr/bin/python3.11 seed_serial.py --url 'http://127.0.0.1:PORT/top250?start={page}' --pages 25 --out DIR
"""
import argparse
import json
import os
import time

import requests


def fetch(url, p, out, session=None):
    """requests.get, or with --session one requests.Session (keep-alive),
    as gilsim's --client=requests-session."""
    r = (session or requests).get(url.format(page=p))
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
                    help="one requests.Session (keep-alive)")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    t0 = time.perf_counter_ns()
    session = requests.Session() if a.session else None
    for p in range(1, a.pages + 1):
        fetch(a.url, p, a.out, session)
    print(json.dumps({"wall_ns": time.perf_counter_ns() - t0}))


if __name__ == "__main__":
    main()
