# calibrate.py - the micro-benchmarks `gilsim calibrate` runs on the
# interpreter it measures. Built into the gilsim binary (sim/CMakeLists.txt,
# cmake/embed.cmake) and run as `python -c PROGRAM URL`; it can also be run
# by hand: `python3 sim/calibrate.py ""`. Prints one JSON object on stdout;
# argv[1] is a URL of gilsim's server, or "" to skip the request cost.
# sim/calibrate.c reads the object and turns it into calibration.json.
import dis
import json
import sys
import time

perf = time.perf_counter_ns
out = {"python_version": "%d.%d.%d" % tuple(sys.version_info[:3])}


def best(fn, reps):
    return min(fn() for _ in range(reps))


# The countdown: ns per iteration, and its bytecodes per iteration
# (from a backward jump's target to the jump, as dis lists them).
def countdown(n):
    while n > 0:
        n -= 1


def loop_bytecodes():
    ins = [i for i in dis.get_instructions(countdown)
           if i.opname != "CACHE"]
    jumps = set(dis.hasjrel) | set(dis.hasjabs)
    jumps |= set(getattr(dis, "hasjump", []))
    for i in ins:
        if (i.opcode in jumps and isinstance(i.argval, int)
                and i.argval <= i.offset):
            return sum(1 for k in ins
                       if i.argval <= k.offset <= i.offset)
    return 0


N = 1000000


def t_countdown():
    t = perf()
    countdown(N)
    return perf() - t


# The warm countdown (its code quickened first: 8 calls, see below), 7
# runs of 1 M at five points spread over the whole program (seconds),
# and the median of the 35: a shared VM's interpreter speed swings by up
# to 2x within minutes (docs/fidelity.md), and the runs gilsim predicts
# meet its typical speed, neither the best moment nor one second's.
SAMPLES = []


def sample_countdown(k=7):
    SAMPLES.extend(t_countdown() for _ in range(k))


for _ in range(8):
    countdown(1)
sample_countdown()
out["countdown_bytecodes"] = loop_bytecodes()

# The countdown before its code is quickened. CPython 3.11 quickens a
# function's code at its 8th call (a loop's backward jumps do not count),
# and until then runs the generic bytecode; a program that calls its loop
# once per thread runs it that way. A function never called before is a
# fresh code object from compile(); each round times one call of one
# beside a call of the warm countdown above, and the ratio's median is
# the factor (both see the same moment of a VM whose speed swings).
SRC = "def countdown(n):\n    while n > 0:\n        n -= 1\n"


def fresh():
    ns = {}
    exec(compile(SRC, "<countdown>", "exec"), ns)
    return ns["countdown"]


def timed(fn, n):
    t = perf()
    fn(n)
    return perf() - t


ratios = []
for _ in range(9):
    cold = timed(fresh(), N)
    ratios.append(cold / timed(countdown, N))
factor = sorted(ratios)[len(ratios) // 2]
out["unquickened_factor"] = factor  # calibrate.c: quickened_speedup

# The call that quickens it: for k = 1 to 16, a fresh function called
# k - 1 times with 1 and then timed on 200 000 iterations beside the warm
# one (the median of three ratios); then the step that fits those 16
# ratios best (k from the call on fast, below it slow, against the
# midpoint of 1 and the factor), so that one slow moment of the VM cannot
# move it. None when the two do not differ (an interpreter that does not
# wait) or no step below 17 fits.
M = 200000
out["quicken_calls"] = None
if factor > 1.15:
    KS = range(1, 17)
    ratio_k = {}
    for k in KS:
        rs = []
        for _ in range(3):
            f = fresh()
            for _ in range(k - 1):
                f(1)
            rs.append(timed(f, M) / timed(countdown, M))
        ratio_k[k] = sorted(rs)[1]
    mid = (1.0 + factor) / 2.0
    fits = [(sum((k >= c) != (ratio_k[k] < mid) for k in KS), c)
            for c in range(1, 18)]
    miss, call = min(fits)
    if call <= 16:
        out["quicken_calls"] = call

# r.text is str(content, encoding, errors="replace"); a write
# encodes first. 64 KiB of ASCII, as a seed page.
B = 65536
body = b"a" * B
text = "a" * B


def t_decode():
    t = perf()
    for _ in range(100):
        str(body, "utf-8", errors="replace")
    return (perf() - t) / 100


def t_encode():
    t = perf()
    for _ in range(100):
        text.encode("utf-8")
    return (perf() - t) / 100


out["decode_ns_per_byte"] = best(t_decode, 5) / B
out["encode_ns_per_byte"] = best(t_encode, 5) / B
sample_countdown()


# A fork pool: a worker's own CPU over its life (start, one task, exit),
# from RUSAGE_CHILDREN once it is reaped; and the parent's CPU to create
# Pool(1) and Pool(8) (its set-up, then a fork and a Process.start a
# worker). Before any thread, and with requests imported if it can be,
# as the seed's processes program has it: a larger parent makes forks
# and each worker's copy-on-write faults dearer.
try:
    import requests  # noqa: F401 (the size of the process that forks)
except Exception:
    pass


# One fork Pool(n) mapping abs over `tasks` tasks: its workers' CPU over
# their lives (RUSAGE_CHILDREN once they are reaped) and the parent's CPU
# to create it. A Pool(1) worker's CPU per task (get, run, send the
# result back) is that of 2000 tasks less that of one.
def t_pool(n, tasks):
    import multiprocessing
    import resource
    try:
        ctx = multiprocessing.get_context("fork")
    except ValueError:
        ctx = multiprocessing.get_context()
    ch = resource.RUSAGE_CHILDREN
    r0 = resource.getrusage(ch)
    c0 = time.process_time_ns()
    p = ctx.Pool(n)
    create = time.process_time_ns() - c0
    p.map(abs, range(tasks), chunksize=1)
    p.close()
    p.join()
    r1 = resource.getrusage(ch)
    kids = ((r1.ru_utime - r0.ru_utime)
            + (r1.ru_stime - r0.ru_stime)) * 1e9
    return kids, create


try:
    one = [t_pool(1, 1) for _ in range(3)]
    eight = [t_pool(8, 8) for _ in range(3)]
    out["pool_worker_cpu_ns"] = min(k for k, _ in one)
    c1 = min(c for _, c in one)
    c8 = min(c for _, c in eight)
    out["pool_fork_ns"] = max(0.0, (c8 - c1) / 7)
    out["pool_start_ns"] = max(0.0, c1 - out["pool_fork_ns"])
    out["pool_task_cpu_ns"] = max(0.0, (min(t_pool(1, 2000)[0]
                                            for _ in range(3))
                                        - out["pool_worker_cpu_ns"]) / 2000)
except Exception as e:
    out["pool_worker_cpu_ns"] = None
    out["pool_fork_ns"] = None
    out["pool_start_ns"] = None
    out["pool_task_cpu_ns"] = None
    out["pool_error"] = repr(e)[:200]

# queue.Queue: one put and one get, in one thread.
import queue
from concurrent.futures import Future, ThreadPoolExecutor

Q = 20000


def t_queue():
    q = queue.Queue()
    t = perf()
    for _ in range(Q):
        q.put(1)
        q.get()
    return (perf() - t) / Q


out["queue_put_get_ns"] = best(t_queue, 3)


# Future.result() on a done future, with map()'s list.append.
def t_collect():
    fs = []
    for _ in range(Q):
        f = Future()
        f.set_result(1)
        fs.append(f)
    res = []
    t = perf()
    for f in fs:
        res.append(f.result())
    return (perf() - t) / Q


out["future_result_ns"] = best(t_collect, 3)

# ThreadPoolExecutor(1).submit with its one worker blocked (no
# thread start, no wake-up: submit alone); and, for reference, the
# wall time of a submit(fn).result() round trip.
import threading

R = 2000


def t_submit():
    ev = threading.Event()
    with ThreadPoolExecutor(1) as ex:
        ex.submit(ev.wait)
        t = perf()
        fs = [ex.submit(abs, 1) for _ in range(R)]
        d = perf() - t
        ev.set()
    del fs
    return d / R


def t_roundtrip():
    with ThreadPoolExecutor(1) as ex:
        ex.submit(abs, 1).result()
        t = perf()
        for _ in range(R):
            ex.submit(abs, 1).result()
        return (perf() - t) / R


# multiprocessing.pool.ThreadPool(1).map with chunksize=1: the CPU per
# task of its queues and its task and result handler threads.
def t_threadpool_task():
    from multiprocessing.pool import ThreadPool
    with ThreadPool(1) as p:
        p.map(abs, range(100), chunksize=1)
        t = time.process_time_ns()
        p.map(abs, range(R * 5), chunksize=1)
        return (time.process_time_ns() - t) / (R * 5)


out["submit_ns"] = best(t_submit, 3)
try:
    out["threadpool_task_ns"] = best(t_threadpool_task, 3)
except Exception as e:
    out["threadpool_task_ns"] = None
    out["threadpool_error"] = repr(e)[:200]
out["roundtrip_ns"] = best(t_roundtrip, 3)
sample_countdown()

# The event loop's run_in_executor hop (aiofiles makes three a write),
# many under way at once as in a seed of many pages: CPU per hop.
def hop_cpu():
    import asyncio

    async def run():
        loop = asyncio.get_running_loop()

        async def three():
            for _ in range(3):
                await loop.run_in_executor(None, abs, 1)
        await asyncio.gather(*(three() for _ in range(50)))
        t = time.process_time_ns()
        await asyncio.gather(*(three() for _ in range(300)))
        return (time.process_time_ns() - t) / 900
    return asyncio.run(run())


try:
    out["hop_cpu_ns"] = min(hop_cpu() for _ in range(3))
except Exception as e:
    out["hop_cpu_ns"] = None
    out["hop_error"] = repr(e)[:200]

sample_countdown()

# Each client's CPU per request of a small page from gilsim's server, in
# this process (time.process_time: the kernel's socket work included),
# body read included: requests.Session.get (keep-alive, the convoy's),
# requests.get without a session (a new Session and connection a call,
# the seed's threads), aiohttp's ClientSession.get + text() (the seed's
# event loop, sequential here) and urllib.request.urlopen().read().
# argv: the 1 KiB page's URL, then SIZE=URL of larger pages (the receive
# curve's points, each from a server of its own).
url = sys.argv[1] if len(sys.argv) > 1 else ""
sized = []
for arg in sys.argv[2:]:
    size, _, u = arg.partition("=")
    if size.isdigit() and u:
        sized.append((int(size), u))
G = 200
for key in ("request_cpu_ns", "request_new_cpu_ns", "request_aiohttp_cpu_ns",
            "request_urllib_cpu_ns"):
    out[key] = None


def per_call(fn, n):
    for _ in range(5):
        fn()
    t = time.process_time_ns()
    for _ in range(n):
        fn()
    return (time.process_time_ns() - t) / n


try:
    import requests
    out["requests_version"] = requests.__version__
except Exception:
    requests = None
if requests is not None and url:
    try:
        s = requests.Session()
        out["request_cpu_ns"] = per_call(lambda: s.get(url).content, G)
        # The receive curve: Session.get().content's CPU at each size, the
        # best of three batches of about 24 MiB (4 to 40 calls) each, the
        # sizes taken in turns so that a load that comes and goes falls on
        # all of them alike.
        points = [(1024, url)] + sized
        best = {}
        for _ in range(3):
            for size, u in points:
                n = max(4, min(40, (24 << 20) // size))
                ns = per_call(lambda: s.get(u).content, n)
                best[size] = min(ns, best.get(size, ns))
        for size, ns in best.items():
            out["recv_%d_ns" % size] = ns
        s.close()
        out["request_new_cpu_ns"] = per_call(
            lambda: requests.get(url).content, G // 2)
    except Exception as e:
        out["requests_error"] = repr(e)[:200]

# A process's first requests.get, less a later one's CPU: what requests
# leaves for first use. In a fresh interpreter that has imported requests
# (as a program has), first in a worker forked from it (as a Pool worker
# is: the copy-on-write faults of the code it touches come on top), then
# in the interpreter itself; the median of 3 interpreters.
FIRST = """
import os, sys, time, requests
def first():
    def one():
        c = time.process_time_ns()
        requests.get(sys.argv[1]).content
        return time.process_time_ns() - c
    f = one()
    return f - min(one() for _ in range(5))
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.write(w, str(first()).encode())
    os._exit(0)
os.close(w)
forked = float(os.read(r, 64))
os.waitpid(pid, 0)
print(first(), forked)
"""
out["first_fetch_cpu_ns"] = None
out["first_fetch_forked_cpu_ns"] = None
if requests is not None and url:
    try:
        import subprocess
        runs = [[float(x) for x in subprocess.run(
            [sys.executable, "-c", FIRST, url], stdout=subprocess.PIPE,
            timeout=30, check=True).stdout.split()] for _ in range(3)]
        out["first_fetch_cpu_ns"] = max(0.0, sorted(a for a, _ in runs)[1])
        out["first_fetch_forked_cpu_ns"] = max(
            0.0, sorted(b for _, b in runs)[1])
    except Exception as e:
        out["first_fetch_error"] = repr(e)[:200]
if url:
    try:
        import urllib.request

        def t_urllib():
            with urllib.request.urlopen(url) as r:
                r.read()
        out["request_urllib_cpu_ns"] = per_call(t_urllib, G // 2)
    except Exception as e:
        out["urllib_error"] = repr(e)[:200]
try:
    import asyncio
    import aiohttp
    out["aiohttp_version"] = aiohttp.__version__
except Exception:
    aiohttp = None
if aiohttp is not None and url:
    async def t_aiohttp():
        async with aiohttp.ClientSession() as session:
            async def one():
                async with session.get(url) as r:
                    await r.text()
            for _ in range(5):
                await one()
            t = time.process_time_ns()
            for _ in range(G):
                await one()
            return (time.process_time_ns() - t) / G
    try:
        out["request_aiohttp_cpu_ns"] = asyncio.run(t_aiohttp())
    except Exception as e:
        out["aiohttp_error"] = repr(e)[:200]
sample_countdown()
out["countdown_ns_per_iteration"] = sorted(SAMPLES)[len(SAMPLES) // 2] / N
sys.stdout.write(json.dumps(out) + "\n")
