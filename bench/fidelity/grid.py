"""grid.py - the fidelity grids of run.py --grid=quick|full: scenarios away
from the point gilsim was calibrated on, each run by CPython and by the
matching `gilsim run` against the same `gilsim serve`, side by side.

A scenario is a dict:
  kind     "seed", "countdown" or "convoy"
  seed:    program (serial, threadpool, executor, processes, asyncio),
           threads (pool size), pages, body (bytes), latency and jitter
           (ms), session (requests.Session per thread), limit (aiohttp's
           connection limit; 0 = none)
  countdown: threads, interval (ms), count
  convoy:  cpu (CPU threads beside the I/O thread), interval (ms), ops;
           judged by the mean time per round trip (the p50 is bimodal)
With --repeat=1 the quick grid runs in about 45 s here (2 cores) and
the full one in about 2 minutes.
"""

# program -> (CPython script, gilsim model)
PROGRAMS = {
    "serial": ("seed_serial.py", "serial"),
    "threadpool": ("seed_threadpool.py", "threads"),
    "executor": ("seed_executor.py", "executor"),
    "processes": ("seed_processes.py", "processes"),
    "asyncio": ("seed_asyncio.py", "loop"),
}


def seed(program, pages, body, latency, jitter=0, threads=5, session=False,
         limit=100):
    return {"kind": "seed", "program": program, "pages": pages, "body": body,
            "latency": latency, "jitter": jitter, "threads": threads,
            "session": session, "limit": limit}


def countdown(threads, interval, count=30_000_000):
    return {"kind": "countdown", "threads": threads, "interval": interval,
            "count": count}


def convoy(cpu, interval, ops=100):
    return {"kind": "convoy", "cpu": cpu, "interval": interval, "ops": ops}


KIB = 1024
MIB = 1024 * 1024

QUICK = [
    seed("threadpool", 25, 64 * KIB, 150),
    seed("threadpool", 100, 1 * KIB, 20, jitter=10, threads=16),
    seed("threadpool", 25, 1 * MIB, 50),
    seed("threadpool", 50, 64 * KIB, 50, session=True),
    seed("executor", 200, 8 * KIB, 50, threads=32),
    seed("serial", 10, 4 * MIB, 0),
    seed("processes", 25, 64 * KIB, 150),
    seed("asyncio", 300, 8 * KIB, 20),
    seed("asyncio", 200, 8 * KIB, 20, limit=10),
    seed("asyncio", 500, 1 * KIB, 100, limit=0),
    countdown(1, 5),
    countdown(4, 5),
    countdown(8, 0.5),
    convoy(1, 1),
    convoy(2, 20),
]

FULL = QUICK + [
    seed("threadpool", 1000, 8 * KIB, 20, threads=64),
    seed("threadpool", 100, 1 * KIB, 0, threads=1),
    seed("threadpool", 50, 4 * MIB, 10, threads=8),
    seed("threadpool", 200, 64 * KIB, 500, jitter=100, threads=64),
    seed("executor", 25, 64 * KIB, 150),
    seed("executor", 100, 256 * KIB, 100, threads=8, session=True),
    seed("serial", 50, 1 * KIB, 20, session=True),
    seed("serial", 25, 64 * KIB, 150),
    seed("processes", 100, 8 * KIB, 50),
    seed("asyncio", 25, 64 * KIB, 150),
    seed("asyncio", 1000, 8 * KIB, 20),
    seed("asyncio", 1000, 64 * KIB, 150, limit=0),
    seed("asyncio", 100, 1 * MIB, 50),
    countdown(2, 0.5),
    countdown(2, 5),
    countdown(2, 50),
    countdown(8, 5),
    convoy(1, 5),
    convoy(1, 20),
    convoy(2, 1),
    convoy(2, 5),
]

GRIDS = {"quick": QUICK, "full": FULL}


def size_str(n):
    if n >= MIB and n % MIB == 0:
        return "%dMiB" % (n // MIB)
    if n >= KIB and n % KIB == 0:
        return "%dKiB" % (n // KIB)
    return "%dB" % n


def label(s):
    """The row's name in the table."""
    if s["kind"] == "seed":
        extra = ""
        if s["session"]:
            extra += ", session"
        if s["program"] == "asyncio":
            extra += ", limit %s" % (s["limit"] or "none")
        if s["jitter"]:
            extra += ", jitter %gms" % s["jitter"]
        pool = "(%d)" % s["threads"] if s["program"] in (
            "threadpool", "executor") else ""
        return "%s%s %dp %s %gms%s" % (s["program"], pool, s["pages"],
                                       size_str(s["body"]), s["latency"],
                                       extra)
    if s["kind"] == "countdown":
        return "countdown %gM T=%d %gms" % (s["count"] / 1e6, s["threads"],
                                           s["interval"])
    return "convoy C=%d %gms %d ops (mean)" % (s["cpu"], s["interval"],
                                              s["ops"])
