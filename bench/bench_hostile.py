#!/usr/bin/env python3
"""bench_hostile.py - does `gilsim serve` keep answering while hostile
clients hold its connections?

It starts `gilsim serve --port=0 --latency=10ms` with a descriptor limit
of --server-nofile (1024 by default, so the server's cap is 512), opens
--tricklers connections (1100 by default) that each send half a request
line and then one byte every --trickle-every seconds, and meanwhile times
--probes ordinary requests made one after the other on fresh connections.
Before the cap and the request deadline, every probe timed out while the
tricklers held the server's descriptors (issue 20).

It prints each probe's time beside the server's latency as a ratio, how
many tricklers the server closed, and the server's own closing line
(connections evicted to make room and timed out). Exit status 1 when a
probe got no answer within --probe-timeout seconds.

    python3 bench/bench_hostile.py --gilsim build/dev/gilsim

Talks only to 127.0.0.1. The client side raises its own descriptor
limit to fit the tricklers (it needs a hard limit above --tricklers).
"""
import argparse
import os
import resource
import selectors
import signal
import socket
import subprocess
import sys
import time


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gilsim", default="build/dev/gilsim")
    ap.add_argument("--server-nofile", type=int, default=1024,
                    help="the server's RLIMIT_NOFILE (default 1024)")
    ap.add_argument("--tricklers", type=int, default=1100)
    ap.add_argument("--trickle-every", type=float, default=1.0,
                    help="seconds between a trickler's bytes (default 1)")
    ap.add_argument("--probes", type=int, default=20)
    ap.add_argument("--probe-timeout", type=float, default=10.0)
    return ap.parse_args()


def start_server(gilsim, nofile):
    def limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

    proc = subprocess.Popen(
        [gilsim, "serve", "--port=0", "--latency=10ms"],
        stdout=subprocess.PIPE, text=True, preexec_fn=limit)
    url = proc.stdout.readline().strip()
    port = int(url.split(":")[2].split("/")[0])
    return proc, port


def probe(port, timeout):
    """Seconds for one GET on a new connection; None if no answer."""
    t0 = time.perf_counter()
    try:
        with socket.create_connection(("127.0.0.1", port),
                                      timeout=timeout) as s:
            s.sendall(b"GET /top250?start=7 HTTP/1.1\r\n"
                      b"Host: 127.0.0.1\r\nConnection: close\r\n\r\n")
            got = b""
            while True:
                b = s.recv(65536)
                if not b:
                    break
                got += b
    except OSError:
        return None
    if not got.startswith(b"HTTP/1.1 200"):
        return None
    return time.perf_counter() - t0


def main():
    a = parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = a.tricklers + 64
    if hard < want:
        print("bench_hostile: the hard descriptor limit %d is below %d "
              "(--tricklers + 64)" % (hard, want), file=sys.stderr)
        return 2
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, want), hard))
    proc, port = start_server(a.gilsim, a.server_nofile)
    print("# gilsim serve under RLIMIT_NOFILE %d, latency 10 ms" %
          a.server_nofile)

    sel = selectors.DefaultSelector()
    tricklers = []
    for _ in range(a.tricklers):
        s = socket.socket()
        s.setblocking(False)
        try:
            s.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        tricklers.append(s)
    time.sleep(0.2)
    for s in tricklers:
        try:
            s.send(b"GET /top250?start=1 HTTP/1.1\r\nX-Slow: ")
        except OSError:
            pass
        sel.register(s, selectors.EVENT_READ)
    closed = set()
    next_byte = time.monotonic() + a.trickle_every

    def trickle():
        nonlocal next_byte
        for key, _ in sel.select(timeout=0):
            try:
                if key.fileobj.recv(1) == b"":
                    raise OSError
            except OSError:
                closed.add(key.fileobj)
                sel.unregister(key.fileobj)
        if time.monotonic() >= next_byte:
            for s in tricklers:
                if s not in closed:
                    try:
                        s.send(b"a")
                    except OSError:
                        closed.add(s)
                        sel.unregister(s)
            next_byte = time.monotonic() + a.trickle_every

    times = []
    for _ in range(a.probes):
        trickle()
        times.append(probe(port, a.probe_timeout))
        time.sleep(0.05)
    trickle()
    proc.send_signal(signal.SIGINT)
    tail = proc.stdout.read().strip()
    proc.wait()
    for s in tricklers:
        s.close()

    answered = sorted(t for t in times if t is not None)
    print("%d tricklers, %d probes: %d answered, %d not" %
          (a.tricklers, a.probes, len(answered), a.probes - len(answered)))
    if answered:
        p50 = answered[len(answered) // 2]
        print("probe time p50 %.1f ms, max %.1f ms; latency 10 ms: "
              "p50/latency %.2f, max/latency %.2f" %
              (p50 * 1e3, answered[-1] * 1e3, p50 / 0.010,
               answered[-1] / 0.010))
    print("tricklers closed by the server while probing: %d of %d" %
          (len(closed), a.tricklers))
    print("the server said:\n" + tail)
    return 0 if len(answered) == a.probes else 1


if __name__ == "__main__":
    sys.exit(main())
