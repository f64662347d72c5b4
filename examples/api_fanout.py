"""api_fanout.py - fan N requests out with asyncio and aiohttp, at most
--workers in flight (an asyncio.Semaphore), and digest each reply.

The server returns an HTML page, not JSON, so the digest is real work on
that text rather than a JSON parse: re pulls the table's rows out, they
become a list of dicts, and that record goes through a json.dumps /
json.loads round trip, as if it were forwarded to another service and
read back. All of it is Python holding the GIL on the one event-loop
thread; only the waits for the replies overlap.

    python3 api_fanout.py --url 'http://127.0.0.1:PORT/top250?start={page}' \
        --requests 200 --workers 16 [--switch-interval 0.005]

Prints one line; `pool_wall_s` is the wall time of the fan-out alone
(the session opened, every request made and digested, the session closed).
"""
import argparse
import asyncio
import json
import re
import sys
import time

import aiohttp

ROW = re.compile(r'<tr><td class="rank">(\d+)</td><td class="title">'
                 r'([^<]*)</td><td>(\d+)</td><td>([\d.]+)</td></tr>')


def digest(page, text):
    rows = [{"rank": int(rank), "title": title.strip(), "year": int(year),
             "rating": float(rating), "words": title.split()}
            for rank, title, year, rating in ROW.findall(text)]
    doc = {"page": page, "count": len(rows), "rows": rows,
           "decades": sorted({r["year"] // 10 * 10 for r in rows})}
    back = json.loads(json.dumps(doc))
    return back["count"], sum(r["rating"] for r in back["rows"])


async def fetch_one(session, sem, url, page):
    async with sem:
        async with session.get(url.format(page=page)) as resp:
            resp.raise_for_status()
            text = await resp.text()
    return digest(page, text)


async def fan_out(url, n, workers):
    sem = asyncio.Semaphore(workers)
    async with aiohttp.ClientSession() as session:
        return await asyncio.gather(*(fetch_one(session, sem, url, p)
                                      for p in range(1, n + 1)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True, help="URL template with {page}")
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--workers", type=int, default=16,
                    help="requests in flight at once")
    ap.add_argument("--switch-interval", type=float, default=None,
                    help="sys.setswitchinterval, in seconds")
    a = ap.parse_args()
    if a.switch_interval is not None:
        sys.setswitchinterval(a.switch_interval)

    t0 = time.perf_counter()
    results = asyncio.run(fan_out(a.url, a.requests, a.workers))
    pool_wall = time.perf_counter() - t0
    rows = sum(c for c, _ in results)
    mean = sum(s for _, s in results) / rows if rows else 0.0
    print("api_fanout: %d replies, %d rows, mean rating %.3f workers=%d "
          "pool_wall_s=%.4f" % (len(results), rows, mean, a.workers,
                                pool_wall))


if __name__ == "__main__":
    main()
