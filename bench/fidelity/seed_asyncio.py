"""seed_asyncio.py - the seed's asyncio program: asyncio.gather over every
page with one aiohttp.ClientSession, each page's text (await r.text())
written with aiofiles to OUT/top250-{p}.html.

Prints one JSON line {"wall_ns": ...}: time.perf_counter_ns around the whole
job (asyncio.run included).

    /usr/bin/python3.11 seed_asyncio.py --url 'http://127.0.0.1:PORT/top250?start={page}' --pages 25 --out DIR
"""
import argparse
import asyncio
import json
import os
import time

import aiofiles
import aiohttp


async def fetch(session, url, out, p):
    async with session.get(url.format(page=p)) as r:
        r.raise_for_status()
        text = await r.text()
    async with aiofiles.open(os.path.join(out, "top250-%d.html" % p), "w",
                             encoding="utf-8") as f:
        await f.write(text)


async def job(url, pages, out, limit):
    # aiohttp's default connector allows 100 connections; 0 = no limit.
    conn = aiohttp.TCPConnector(limit=limit)
    async with aiohttp.ClientSession(connector=conn) as session:
        await asyncio.gather(*(fetch(session, url, out, p)
                               for p in range(1, pages + 1)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True, help="URL template with {page}")
    ap.add_argument("--pages", type=int, default=25)
    ap.add_argument("--out", required=True)
    ap.add_argument("--limit", type=int, default=100,
                    help="TCPConnector(limit=N), 0 for none [100]")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    t0 = time.perf_counter_ns()
    asyncio.run(job(a.url, a.pages, a.out, a.limit))
    print(json.dumps({"wall_ns": time.perf_counter_ns() - t0}))


if __name__ == "__main__":
    main()
