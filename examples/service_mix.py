"""service_mix.py - a service-like mix of work on a ThreadPoolExecutor.
Each task handles one "request": it fetches a page from the backend at
--url (a requests.Session per worker thread, kept alive), pulls the
table's titles and ratings out with re, counts the title words, and merges
its counts into the service's shared statistics under a threading.Lock.
Every --compress-every-th task also caches the page, zlib-compressed,
in a shared dict (under the same lock).

So one task is: a network wait (the GIL released), Python parsing
(GIL held), a short critical section of Python under a lock that the
other workers may be waiting on, and sometimes zlib (GIL released).

    python3 service_mix.py --url 'http://127.0.0.1:PORT/top250?start={page}' \
        --tasks 120 --workers 8 [--compress-every 4] [--switch-interval 0.005]

Prints one line; `pool_wall_s` is the wall time of the pool phase alone.
"""
import argparse
import collections
import re
import sys
import threading
import time
import zlib
from concurrent.futures import ThreadPoolExecutor

import requests

ROW = re.compile(r'<td class="title">([^<]*)</td><td>(\d+)</td>'
                 r'<td>([\d.]+)</td>')
WORD = re.compile(r"[a-z]+")

_local = threading.local()


def session():
    s = getattr(_local, "session", None)
    if s is None:
        s = _local.session = requests.Session()
    return s


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.words = {}
        self.by_decade = {}
        self.cache = {}
        self.handled = 0

    def merge(self, words, decades):
        with self.lock:
            for w, c in words.items():
                self.words[w] = self.words.get(w, 0) + c
            for d, (n, total) in decades.items():
                n0, t0 = self.by_decade.get(d, (0, 0.0))
                self.by_decade[d] = (n0 + n, t0 + total)
            self.handled += 1

    def store(self, key, blob):
        with self.lock:
            self.cache[key] = blob


def handle(stats, url, page, compress_every):
    r = session().get(url.format(page=page), timeout=30)
    r.raise_for_status()
    text = r.text
    words = collections.Counter()
    decades = {}
    for title, year, rating in ROW.findall(text):
        words.update(WORD.findall(title.lower()))
        d = int(year) // 10 * 10
        n, total = decades.get(d, (0, 0.0))
        decades[d] = (n + 1, total + float(rating))
    stats.merge(words, decades)
    if compress_every and page % compress_every == 0:
        stats.store(page, zlib.compress(r.content, 6))
    return sum(words.values())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True, help="URL template with {page}")
    ap.add_argument("--tasks", type=int, default=120)
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--compress-every", type=int, default=4)
    ap.add_argument("--switch-interval", type=float, default=None,
                    help="sys.setswitchinterval, in seconds")
    a = ap.parse_args()
    if a.switch_interval is not None:
        sys.setswitchinterval(a.switch_interval)

    stats = Stats()
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=a.workers) as pool:
        counts = list(pool.map(lambda p: handle(stats, a.url, p,
                                                a.compress_every),
                               range(1, a.tasks + 1)))
    pool_wall = time.perf_counter() - t0
    top = sorted(stats.words.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
    cached = sum(len(b) for b in stats.cache.values())
    print("service_mix: %d tasks, %d words (%d distinct), top %s, %d pages "
          "cached in %d KiB workers=%d pool_wall_s=%.4f"
          % (stats.handled, sum(counts), len(stats.words),
             ",".join(w for w, _ in top), len(stats.cache), cached // 1024,
             a.workers, pool_wall))


if __name__ == "__main__":
    main()
