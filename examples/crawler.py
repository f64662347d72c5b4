"""crawler.py - crawl N pages of a movie list with requests on a
ThreadPoolExecutor, parse each page with a small html.parser.HTMLParser
subclass (tags, table rows, titles, ratings) and print one summary line.

Each worker does what a scraper does: requests.get(url), r.text, feed the
HTML to the parser. The fetch waits on the network (the GIL is released);
the decode and the parse are pure Python (the GIL is held).

    python3 crawler.py --url 'http://127.0.0.1:PORT/top250?start={page}' \
        --pages 64 --workers 4 [--switch-interval 0.005] [--pool process]

With --pool process the pages are crawled on a ProcessPoolExecutor
instead; each worker sends its page's counts back to the main process.

Prints one line; `pool_wall_s` is the wall time of the pool phase alone
(the executor made, every page fetched and parsed, the executor shut down).
"""
import argparse
import collections
import sys
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from html.parser import HTMLParser

import requests


class MovieTableParser(HTMLParser):
    """Counts tags and links, and collects (title, year, rating) rows of
    the page's table."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = collections.Counter()
        self.links = 0
        self.rows = []
        self._row = None
        self._cell = None

    def handle_starttag(self, tag, attrs):
        self.tags[tag] += 1
        if tag == "a" and any(k == "href" for k, _ in attrs):
            self.links += 1
        elif tag == "tr":
            self._row = []
        elif tag == "td" and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if len(self._row) == 4:
                self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def crawl_page(url):
    r = requests.get(url, timeout=30)
    r.raise_for_status()
    p = MovieTableParser()
    p.feed(r.text)
    p.close()
    movies = []
    for rank, title, year, rating in p.rows:
        try:
            movies.append((int(rank), title, int(year), float(rating)))
        except ValueError:
            pass
    return p.tags, p.links, movies


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True, help="URL template with {page}")
    ap.add_argument("--pages", type=int, default=64)
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--pool", choices=("thread", "process"), default="thread",
                    help="ThreadPoolExecutor (default) or ProcessPoolExecutor")
    ap.add_argument("--switch-interval", type=float, default=None,
                    help="sys.setswitchinterval, in seconds")
    a = ap.parse_args()
    if a.switch_interval is not None:
        sys.setswitchinterval(a.switch_interval)

    urls = [a.url.format(page=p) for p in range(1, a.pages + 1)]
    t0 = time.perf_counter()
    executor = (ProcessPoolExecutor if a.pool == "process"
                else ThreadPoolExecutor)
    with executor(max_workers=a.workers) as pool:
        results = list(pool.map(crawl_page, urls))
    pool_wall = time.perf_counter() - t0

    tags = collections.Counter()
    links = 0
    best = {}
    for page_tags, page_links, movies in results:
        tags.update(page_tags)
        links += page_links
        for rank, title, year, rating in movies:
            best[title] = max(rating, best.get(title, 0.0))
    top = max(best.items(), key=lambda kv: (kv[1], kv[0])) if best else ("-", 0)
    print("crawler: %d pages, %d tags, %d links, %d titles, best %r (%.1f) "
          "pool=%s workers=%d pool_wall_s=%.4f"
          % (len(results), sum(tags.values()), links, len(best), top[0],
             top[1], a.pool, a.workers, pool_wall))


if __name__ == "__main__":
    main()
