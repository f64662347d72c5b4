"""cold_resume.py - what Python work costs right after a thread slept.

    /usr/bin/python3.11 bench/fidelity/cold_resume.py

Times one piece of Python work (http.client parsing a 128 B reply, the
work CPython's convoy I/O thread does between sendall and recv_into) in
this thread's own CPU time (time.thread_time_ns), 200 times each:
hot (back to back), right after a 5 ms sleep (as after a lost GIL wait),
the same with a spinning Python thread beside it, and hot with the
spinner. A large "after a sleep" figure is the cost of caches gone cold
while the thread slept, which gilsim's spin loop does not pay (its work
fits in L1).
"""
import http.client
import io
import statistics
import sys
import threading
import time

RAW = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
       b"Content-Length: 128\r\nDate: x\r\n\r\n" + b"a" * 128)
stop = False


class FakeSocket:
    def makefile(self, mode):
        return io.BytesIO(RAW)


def work():
    r = http.client.HTTPResponse(FakeSocket())
    r.begin()
    r.read()


def spin():
    n = 0
    while not stop:
        n += 1


def measure(label, spinner, pause):
    global stop
    stop = False
    t = threading.Thread(target=spin) if spinner else None
    if t:
        t.start()
    xs = []
    for _ in range(200):
        if pause:
            time.sleep(0.005)
        c = time.thread_time_ns()
        work()
        xs.append(time.thread_time_ns() - c)
    stop = True
    if t:
        t.join()
    print("%-40s p50 %7.1f us" % (label, statistics.median(xs) / 1e3))


def main():
    sys.setswitchinterval(0.005)
    measure("hot, alone", False, False)
    measure("after a 5 ms sleep, alone", False, True)
    measure("after a 5 ms sleep, a spinner beside", True, True)
    measure("hot, a spinner beside", True, False)


if __name__ == "__main__":
    main()
