"""hash_pipeline.py - a file-hashing pipeline, written as its author would:
each task summarizes its records in Python, then hashes its 8 MiB chunk
with hashlib.sha256, which releases the GIL while it hashes (CPython does
for buffers over 2 KiB). Serially, or on a ThreadPoolExecutor(N).

    /usr/bin/python3.11 hash_pipeline.py --model executor --threads 2 --tasks 40
    /usr/bin/python3.11 hash_pipeline.py --measure

Prints one JSON line: {"wall_ns": ...} for a run (the whole job, the
executor's creation included), or with --measure the parts of one task
timed alone on one thread, warm: {"python_ns": median of the record
loop, "hash_ns": median of the sha256}.
"""
import argparse
import hashlib
import json
import os
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

CHUNK = os.urandom(8 << 20)


def summarize(i, records):
    """The Python side: a checksum over the task's records."""
    total = 0
    for r in range(records):
        total += (r * 31 + i) % 97
    return total


def digest(chunk):
    """The native side: sha256 of the chunk (the GIL released inside)."""
    return hashlib.sha256(chunk).hexdigest()


def task(i, records):
    return summarize(i, records), digest(CHUNK)


def measure(records, n=15):
    for _ in range(3):
        task(0, records)
    py, hs = [], []
    for i in range(n):
        t = time.perf_counter_ns()
        summarize(i, records)
        py.append(time.perf_counter_ns() - t)
        t = time.perf_counter_ns()
        digest(CHUNK)
        hs.append(time.perf_counter_ns() - t)
    return {"python_ns": statistics.median(py), "hash_ns": statistics.median(hs)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", choices=("serial", "executor"), default="serial")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--tasks", type=int, default=40)
    ap.add_argument("--records", type=int, default=60000,
                    help="iterations of each task's Python loop")
    ap.add_argument("--measure", action="store_true")
    a = ap.parse_args()
    if a.measure:
        print(json.dumps(measure(a.records)))
        return
    t = time.perf_counter_ns()
    if a.model == "serial":
        for i in range(a.tasks):
            task(i, a.records)
    else:
        with ThreadPoolExecutor(a.threads) as ex:
            list(ex.map(task, range(a.tasks), [a.records] * a.tasks))
    print(json.dumps({"wall_ns": time.perf_counter_ns() - t}))


if __name__ == "__main__":
    main()
