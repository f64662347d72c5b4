"""calltimes.py - where does CPython's convoy I/O thread lose the GIL?

Runs convoy.py (or any program whose I/O thread is started with
threading.Thread(target=io)) after wrapping the calls that release the GIL
in one requests round trip: socket.sendall, socket.recv_into,
socket.settimeout (an ioctl), urllib3's wait_for_read (poll(0): the
connection liveness check) and os.stat (requests' ~/.netrc lookups). Each
wrapper times its call with time.perf_counter_ns on the I/O thread only.
A call that took more than 1 ms lost the GIL while the syscall ran (the
syscalls themselves return in microseconds against the 0-latency server)
and waited to take it back.

At the end it prints to stderr, per call: how many per round trip, the
share lost, the mean wait of a lost one, and a histogram of all lost
waits in 5 ms bins (one bin = one switch interval at the default).

    /usr/bin/python3.11 bench/fidelity/calltimes.py bench/fidelity/convoy.py \\
        --url 'http://127.0.0.1:PORT/top250?start={page}' --ops 200 \\
        --cpu-threads 2 --switch-interval 0.005

The wrappers add one Python call per wrapped call (about a microsecond),
so this is a diagnostic, not a benchmark: run.py measures without them.
"""
import collections
import os
import runpy
import socket
import statistics
import sys
import threading
import time

import urllib3.util.connection

LOST_NS = 1_000_000
CALLS = ("sendall", "recv_into", "settimeout", "wait_for_read", "stat")
times = collections.defaultdict(list)
# On the I/O thread: when the last sendall returned, and from there to
# the next recv_into's call (the stretch the GIL is held after the send).
last_send_end = [None]
last_send_cpu = [None]
after_send = []
after_send_cpu = []


def wrap(name, f):
    def timed(*a, **k):
        t = time.perf_counter_ns()
        io = threading.current_thread().name == "io"
        if io and name == "recv_into" and last_send_end[0] is not None:
            after_send.append(t - last_send_end[0])
            after_send_cpu.append(time.thread_time_ns() - last_send_cpu[0])
            last_send_end[0] = None
        try:
            return f(*a, **k)
        finally:
            if io:
                end = time.perf_counter_ns()
                times[name].append(end - t)
                if name == "sendall":
                    last_send_end[0] = end
                    last_send_cpu[0] = time.thread_time_ns()
    return timed


def name_io_thread():
    """Name the thread whose target is called `io`: convoy.py's I/O thread."""
    init = threading.Thread.__init__

    def named(self, *a, **k):
        init(self, *a, **k)
        target = k.get("target")
        if target is not None and target.__name__ == "io":
            self.name = "io"
    threading.Thread.__init__ = named


def report():
    ops = len(times["sendall"])
    if ops == 0:
        print("calltimes: no sendall on the io thread", file=sys.stderr)
        return
    lost_all = []
    for name in CALLS:
        xs = times[name]
        if not xs:
            continue
        lost = [x for x in xs if x > LOST_NS]
        kept = [x for x in xs if x <= LOST_NS]
        lost_all += lost
        print("%-14s %.2f/op  lost %5.1f%%  mean lost wait %6.2f ms  "
              "kept p50 %6.1f us"
              % (name, len(xs) / ops, 100 * len(lost) / len(xs),
                 statistics.mean(lost) / 1e6 if lost else 0,
                 statistics.median(kept) / 1e3 if kept else 0),
              file=sys.stderr)
    kept = sorted(x for x in after_send if x <= LOST_NS)
    if kept:
        print("sendall's return to recv_into's call, GIL kept: p10 %.1f us, "
              "p50 %.1f, p90 %.1f (%d of %d)"
              % (kept[len(kept) // 10] / 1e3, statistics.median(kept) / 1e3,
                 kept[len(kept) * 9 // 10] / 1e3, len(kept), len(after_send)),
              file=sys.stderr)
        print("  the I/O thread's own CPU in it (thread_time): p50 %.1f us"
              % (statistics.median(after_send_cpu) / 1e3), file=sys.stderr)
    bins = collections.Counter(x // 5_000_000 for x in lost_all)
    print("lost waits by 5 ms bin: " + ", ".join(
        "%d-%d ms: %d" % (5 * b, 5 * b + 5, n) for b, n in sorted(bins.items())),
        file=sys.stderr)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__.strip().splitlines()[0])
    os.stat = wrap("stat", os.stat)
    socket.socket.sendall = wrap("sendall", socket.socket.sendall)
    socket.socket.recv_into = wrap("recv_into", socket.socket.recv_into)
    socket.socket.settimeout = wrap("settimeout", socket.socket.settimeout)
    urllib3.util.connection.wait_for_read = wrap(
        "wait_for_read", urllib3.util.connection.wait_for_read)
    name_io_thread()
    sys.argv = sys.argv[1:]
    try:
        runpy.run_path(sys.argv[0], run_name="__main__")
    finally:
        report()


if __name__ == "__main__":
    main()
