"""file_pipeline.py - archive N chunks of data on a ThreadPoolExecutor:
each worker reads one chunk from a blob store (the server at --url, one
GET per chunk), takes its SHA-256 (hashlib), compresses it (zlib, level
6), and writes the compressed chunk to a file in a temporary folder; the
main thread then writes a manifest of names, digests and sizes.

hashlib and zlib release the GIL while they work on a large buffer, so
this is the kind of pipeline threads do speed up on several cores; the
download and the bookkeeping around it are Python.

    python3 file_pipeline.py --url 'http://127.0.0.1:PORT/top250?start={page}' \
        --chunks 48 --workers 4 [--out DIR] [--switch-interval 0.005] \
        [--pool process]

With --pool process the chunks are archived on a ProcessPoolExecutor
instead.

The chunk size is the server's body size (gilsim serve --body-size).
Prints one line; `pool_wall_s` is the wall time of the pool phase alone
(every chunk read, hashed, compressed and written).
"""
import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
import zlib
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import requests


def archive_chunk(url, out_dir, n):
    r = requests.get(url.format(page=n), timeout=30)
    r.raise_for_status()
    data = r.content
    digest = hashlib.sha256(data).hexdigest()
    packed = zlib.compress(data, 6)
    name = "chunk-%05d.z" % n
    with open(os.path.join(out_dir, name), "wb") as f:
        f.write(packed)
    return {"name": name, "sha256": digest, "size": len(data),
            "packed": len(packed)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True, help="URL template with {page}")
    ap.add_argument("--chunks", type=int, default=48)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--out", default=None,
                    help="folder for the chunks (default: a temporary one, "
                         "removed at the end)")
    ap.add_argument("--pool", choices=("thread", "process"), default="thread",
                    help="ThreadPoolExecutor (default) or ProcessPoolExecutor")
    ap.add_argument("--switch-interval", type=float, default=None,
                    help="sys.setswitchinterval, in seconds")
    a = ap.parse_args()
    if a.switch_interval is not None:
        sys.setswitchinterval(a.switch_interval)

    out_dir = a.out or tempfile.mkdtemp(prefix="file-pipeline-")
    os.makedirs(out_dir, exist_ok=True)
    executor = (ProcessPoolExecutor if a.pool == "process"
                else ThreadPoolExecutor)
    try:
        t0 = time.perf_counter()
        with executor(max_workers=a.workers) as pool:
            futures = [pool.submit(archive_chunk, a.url, out_dir, n)
                       for n in range(1, a.chunks + 1)]
            entries = [f.result() for f in futures]
        pool_wall = time.perf_counter() - t0
        with open(os.path.join(out_dir, "manifest.json"), "w") as f:
            json.dump(entries, f, indent=1)
        size = sum(e["size"] for e in entries)
        packed = sum(e["packed"] for e in entries)
        print("file_pipeline: %d chunks, %.1f MiB in, %.1f MiB out (%.1f%%) "
              "pool=%s workers=%d pool_wall_s=%.4f"
              % (len(entries), size / 2**20, packed / 2**20,
                 100.0 * packed / size if size else 0.0, a.pool, a.workers,
                 pool_wall))
    finally:
        if a.out is None:
            shutil.rmtree(out_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
