"""test_probe.py - tests of the recording probe of `gilsim record` (issue 17).

Usage (from the repository root): python3 tests/probe/test_probe.py [-v]

Each test writes a small Python program into a temporary folder, runs it
with sys.executable, PYTHONPATH=sim/record/probe and
GILSIM_RECORD_DIR=<tmp>/raw, as `gilsim record` would, and then reads the
raw files. parse_probe_file() checks every line of every file against the
format of sim/record/probe/gilsim_probe.py (field counts, integer fields,
keywords, the order of the first and last lines, O's count of the timed
lines, the order of each asyncio task's K and A lines, a C line's
run-queue delay never going back, the holds of one lock never
overlapping), so each test checks the whole grammar and then the
structure it is about. Tests never check durations tightly
(the machine is shared and noisy): only lower bounds that time.sleep
guarantees, and generous upper bounds.
Standard library only; exits 0 when every test passes.
"""
import os
import re
import signal
import subprocess
import sys
import tempfile
import textwrap
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
PROBE_DIR = os.path.normpath(os.path.join(HERE, "..", "..", "sim", "record",
                                          "probe"))
RUN_TIMEOUT_S = 120     # per program; they take well under a second
MS = 1000 * 1000        # nanoseconds

CALLS = {"sleep", "connect", "accept", "send", "recv", "select", "read",
         "write", "wait", "queue", "native", "lock"}
POOL_KINDS = {"threadpool", "mp_threadpool", "processpool", "asyncio"}
INT = re.compile(r"-?[0-9]+\Z")
VERSION = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\Z")

# Field kinds of each line after the format line: "int" (>= 0), "int-1"
# (>= -1), "bit" (0 or 1), "name" (1 to 60 characters), "text" (not
# empty), or a set of keywords. A C line may have two more: rq0 rq1
# (OPTIONAL_TAIL), the thread's run_delay (schedstat) at both ends.
GRAMMAR = {
    "P": ["int", "int", "int", "version", "text"],
    "S": ["int"],
    "T": ["int", "int", "int", {"start", "end"}, "name"],
    "C": ["int", "int", "int", "int", "int", CALLS, "int-1", "bit"],
    "K": ["int", "int", "int", {"begin", "end"}, "int", "int"],
    "X": ["int", "int", POOL_KINDS, "int"],
    "A": ["int", "int", "int", "int", "int", "int", "int"],
    "G": ["int", "int-1", "int"],
    "W": ["int", "int", "int", "int", "int", {"sem", "lock"}, "int", "int"],
    "H": ["int", "int", "int", "int", "int", "int"],
    "O": ["int", "int", "int"],
    "Z": ["int", {"exit", "signal-15"}],
}
OPTIONAL_TAIL = {"C": ["int", "int"]}
# The fields of each kind that are monotonic times (checked within P..Z).
TIMES = {"T": [1], "C": [1, 2], "K": [1], "X": [1], "A": [1, 2],
         "W": [1, 2], "H": [1, 2], "G": [], "O": []}


class Rec:
    """One parsed line: kind ("C", ...) and fields, integers converted."""

    def __init__(self, kind, fields):
        self.kind = kind
        self.f = fields

    def __repr__(self):
        return "%s%r" % (self.kind, self.f)


def parse_probe_file(path, killed=False):
    """Reads one probe-<pid>.tsv, checks its whole grammar (raises
    AssertionError naming the line), and returns the list of Rec after
    the format line: P first, Z last. killed: the process may have been
    killed (a forked child by SIGTERM): then the file may end anywhere,
    without O and Z, and a last line cut short is dropped (as the C
    reader does)."""
    with open(path, "rb") as f:
        data = f.read()
    text = data.decode("utf-8")         # must be UTF-8
    if killed and not text.endswith("\n"):
        text = text[:text.rfind("\n") + 1]
    assert text.endswith("\n"), "%s: last line is cut" % path
    assert "\r" not in text, "%s: has a CR" % path
    lines = text[:-1].split("\n")
    assert lines[0] == "gilsim-probe\t1", "%s: format line %r" % (path,
                                                                  lines[0])
    recs = []
    for number, line in enumerate(lines[1:], 2):
        where = "%s:%d: %r" % (path, number, line)
        fields = line.split("\t")
        kind = fields[0]
        assert kind in GRAMMAR, where + ": unknown line kind"
        spec = GRAMMAR[kind]
        if len(fields) != len(spec) + 1 and kind in OPTIONAL_TAIL:
            spec = spec + OPTIONAL_TAIL[kind]
        assert len(fields) == len(spec) + 1, where + ": field count"
        out = []
        for value, want in zip(fields[1:], spec):
            if want in ("int", "int-1"):
                assert INT.match(value), where + ": not an integer"
                value = int(value)
                assert value >= (0 if want == "int" else -1), where
            elif want == "bit":
                assert value in ("0", "1"), where + ": not 0 or 1"
                value = int(value)
            elif want == "version":
                assert VERSION.match(value), where + ": version"
            elif want == "name":
                assert 1 <= len(value) <= 60, where + ": name length"
            elif want == "text":
                assert value, where + ": empty field"
            else:
                assert value in want, where + ": keyword"
            out.append(value)
        recs.append(Rec(kind, out))
    kinds = [r.kind for r in recs]
    assert kinds and kinds[0] == "P", "%s: P is not line 2" % path
    assert kinds.count("P") == 1, "%s: more than one P" % path
    assert len(kinds) > 1 and kinds[1] == "S" and kinds.count("S") == 1, (
        "%s: S" % path)
    assert recs[1].f[0] > 0, "%s: switch interval" % path
    if killed and "Z" not in kinds:
        assert "O" not in kinds, "%s: O without Z" % path
        t_end, body = float("inf"), recs[2:]
    else:
        assert kinds[-1] == "Z" and kinds.count("Z") == 1, "%s: Z" % path
        # O: right before Z, counting the timed lines (C, A, W, H).
        assert kinds[-2] == "O" and kinds.count("O") == 1, "%s: O" % path
        timed = sum(kinds.count(k) for k in "CAWH")
        assert recs[-2].f[0] == timed, "%s: O %r, %d timed lines" % (
            path, recs[-2], timed)
        t_end, body = recs[-1].f[0], recs[2:-1]
    t_start = recs[0].f[2]
    rq_last = {}    # tid: the last rq1 of its C lines
    for r in body:
        if r.kind in ("C", "A", "W", "H"):
            assert r.f[2] >= r.f[1], "%s: %r" % (path, r)
        if r.kind in ("C", "A", "H"):
            assert r.f[4] >= r.f[3], "%s: %r" % (path, r)
        if r.kind == "H":
            assert r.f[5] >= 1, "%s: %r lock number" % (path, r)
        if r.kind == "C" and len(r.f) == 10:
            # run_delay never goes back, within a call or from one call
            # of a thread to its next (lines of a thread are in order)
            assert r.f[8] <= r.f[9], "%s: %r rq going back" % (path, r)
            assert rq_last.get(r.f[0], 0) <= r.f[8], "%s: %r after %r" % (
                path, r, rq_last[r.f[0]])
            rq_last[r.f[0]] = r.f[9]
        for i in TIMES[r.kind]:
            assert t_start <= r.f[i] <= t_end, "%s: %r outside P..Z" % (path,
                                                                       r)
    check_async(path, recs)
    # One lock is held by one thread at a time: its holds never overlap.
    holds = {}
    for r in body:
        if r.kind == "H":
            holds.setdefault(r.f[5], []).append(r)
    for lock, spans in holds.items():
        spans.sort(key=lambda r: r.f[1])
        for a, b in zip(spans, spans[1:]):
            assert a.f[2] <= b.f[1], "%s: %r overlaps %r" % (path, a, b)
    return recs


def check_async(path, recs):
    """The asyncio lines' contract: X asyncio before any line of its pool;
    per task, in file order, K begin (stamped as its first step's start),
    its A steps, and K end (stamped as its last step's end) if it ended,
    all on one thread; G once per task; W only for tasks that ran."""
    loops = set()
    tasks = {}      # (pool, task): its K and A lines in order
    made = set()
    for r in recs:
        if r.kind == "X" and r.f[2] == "asyncio":
            assert r.f[3] == 0, "%s: %r" % (path, r)
            loops.add(r.f[0])
        elif r.kind == "A" or (r.kind == "K" and r.f[4] in loops):
            pool, task = r.f[-2:] if r.kind == "A" else r.f[4:6]
            assert pool in loops, "%s: %r before its X" % (path, r)
            tasks.setdefault((pool, task), []).append(r)
        elif r.kind == "G":
            assert r.f[0] in loops, "%s: %r before its X" % (path, r)
            assert (r.f[0], r.f[2]) not in made, "%s: G twice %r" % (path, r)
            made.add((r.f[0], r.f[2]))
        elif r.kind == "W":
            assert (r.f[3], r.f[4]) in tasks, "%s: %r" % (path, r)
    for key, lines in tasks.items():
        where = "%s: task %r: %r" % (path, key, lines)
        first, steps = lines[0], lines[1:]
        assert first.kind == "K" and first.f[3] == "begin", where
        if steps and steps[-1].kind == "K":
            last, steps = steps[-1], steps[:-1]
            assert last.f[3] == "end", where
            assert last.f[1:3] == [steps[-1].f[2], steps[-1].f[4]], where
        assert steps and all(a.kind == "A" for a in steps), where
        assert first.f[1:3] == [steps[0].f[1], steps[0].f[3]], where
        assert len({a.f[0] for a in lines}) == 1, where
        for a, b in zip(steps, steps[1:]):
            assert a.f[2] <= b.f[1], where
        assert key in made, where + ": no G"


def of(recs, line_kind, **where):
    """The recs of a kind whose named fields equal the given values."""
    names = {"C": ["tid", "t0", "t1", "cpu0", "cpu1", "call", "bytes", "ok",
                   "rq0", "rq1"],
             "T": ["tid", "t", "cpu", "what", "name"],
             "K": ["tid", "t", "cpu", "what", "pool", "task"],
             "X": ["pool", "t", "kind", "workers"],
             "A": ["tid", "t0", "t1", "cpu0", "cpu1", "pool", "task"],
             "G": ["pool", "parent", "task"],
             "W": ["tid", "t0", "t1", "pool", "task", "kind", "prim",
                   "value"],
             "H": ["tid", "t0", "t1", "cpu0", "cpu1", "lock"],
             "O": ["events", "ns_per_event", "ns_between"]}[line_kind]
    out = []
    for r in recs:
        if r.kind == line_kind and all(r.f[names.index(k)] == v
                                       for k, v in where.items()):
            out.append(r)
    return out


class ProbeTest(unittest.TestCase):

    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.tmp = self._tmp.name
        self.raw = os.path.join(self.tmp, "raw")
        os.mkdir(self.raw)

    def tearDown(self):
        self._tmp.cleanup()

    def env(self, record=True, pythonpath=PROBE_DIR):
        env = dict(os.environ)
        env.pop("GILSIM_RECORD_DIR", None)
        env.pop("PYTHONSTARTUP", None)
        env["PYTHONDONTWRITEBYTECODE"] = "1"    # no __pycache__ in the tree
        if pythonpath is None:
            env.pop("PYTHONPATH", None)
        else:
            env["PYTHONPATH"] = pythonpath
        if record is True:
            env["GILSIM_RECORD_DIR"] = self.raw
        elif record:
            env["GILSIM_RECORD_DIR"] = record
        return env

    def script(self, code, name="app.py"):
        path = os.path.join(self.tmp, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(textwrap.dedent(code))
        return path

    def run_py(self, path, env, args=()):
        return subprocess.run([sys.executable, path] + list(args),
                              env=env, cwd=self.tmp, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, universal_newlines=True,
                              timeout=RUN_TIMEOUT_S)

    def files(self, killed=()):
        """{pid: recs} of every raw file, each fully checked; the pids in
        killed (all when True) may have been killed (parse_probe_file)."""
        out = {}
        for name in sorted(os.listdir(self.raw)):
            m = re.match(r"probe-([0-9]+)\.tsv\Z", name)
            self.assertTrue(m, "unexpected file %s" % name)
            recs = parse_probe_file(os.path.join(self.raw, name),
                                    killed is True
                                    or int(m.group(1)) in killed)
            self.assertEqual(recs[0].f[0], int(m.group(1)), "P pid vs name")
            out[int(m.group(1))] = recs
        return out

    def one_file(self):
        files = self.files()
        self.assertEqual(len(files), 1, sorted(files))
        return list(files.items())[0]

    def assert_thread_bounds(self, recs, tid, name_prefix):
        starts = of(recs, "T", tid=tid, what="start")
        ends = of(recs, "T", tid=tid, what="end")
        self.assertEqual(len(starts), 1, (tid, starts))
        self.assertEqual(len(ends), 1, (tid, ends))
        self.assertTrue(starts[0].f[4].startswith(name_prefix), starts)
        self.assertLessEqual(starts[0].f[1], ends[0].f[1])
        return starts[0], ends[0]

    # ------------------------------------------------------------ tests

    def test_sleeps_are_timed_and_cost_no_cpu(self):
        path = self.script("""
            import time
            time.sleep(0.05)
            time.sleep(0.05)
            end = time.perf_counter() + 0.05
            while time.perf_counter() < end:
                pass
            print("done")
            """)
        r = self.run_py(path, self.env())
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "done\n", ""))
        pid, recs = self.one_file()
        self.assertEqual(recs[0].f[0], pid)
        self.assertEqual(recs[0].f[1], os.getpid())
        self.assert_thread_bounds(recs, pid, "MainThread")
        self.assertEqual(recs[1].kind, "S")     # the switch interval,
        self.assertEqual(recs[1].f[0], 5000000)  # CPython's default
        self.assertEqual(recs[2].kind, "T")     # then T start
        sleeps = of(recs, "C", call="sleep")
        self.assertEqual(len(sleeps), 2, sleeps)
        for s in sleeps:
            # bytes: the ns asked for (time.sleep(0.05))
            self.assertEqual((s.f[0], s.f[6], s.f[7]), (pid, 50 * MS, 1))
            self.assertGreaterEqual(s.f[2] - s.f[1], 50 * MS)
            self.assertLess(s.f[4] - s.f[3], 20 * MS)
        self.assertEqual(recs[-1].f[1], "exit")

    def test_thread_pool_tasks_and_workers(self):
        path = self.script("""
            import time
            from concurrent.futures import ThreadPoolExecutor

            def work(i):
                time.sleep(0.01)
                return sum(range(20000)) + i

            with ThreadPoolExecutor(max_workers=3) as pool:
                print(list(pool.map(work, range(6))))
            """)
        r = self.run_py(path, self.env())
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr, "")
        pid, recs = self.one_file()
        xs = of(recs, "X")
        self.assertEqual(len(xs), 1, xs)
        self.assertEqual(xs[0].f[0], pid * 1000 + 1)
        self.assertEqual(xs[0].f[2:], ["threadpool", 3])
        pool = xs[0].f[0]
        begins = of(recs, "K", what="begin")
        ends = of(recs, "K", what="end")
        self.assertEqual(sorted(k.f[5] for k in begins), list(range(6)))
        self.assertEqual(sorted(k.f[5] for k in ends), list(range(6)))
        sleeps = of(recs, "C", call="sleep")
        self.assertEqual(len(sleeps), 6)
        workers = set()
        for task in range(6):
            b = of(recs, "K", what="begin", task=task)[0]
            e = of(recs, "K", what="end", task=task)[0]
            self.assertEqual((b.f[4], e.f[4]), (pool, pool))
            self.assertEqual(b.f[0], e.f[0], "begin and end on one thread")
            self.assertNotEqual(b.f[0], pid, "a task ran on the main thread")
            self.assertLessEqual(b.f[1], e.f[1])
            inside = [s for s in sleeps if s.f[0] == b.f[0]
                      and b.f[1] <= s.f[1] and s.f[2] <= e.f[1]]
            self.assertEqual(len(inside), 1, (task, b, e, sleeps))
            workers.add(b.f[0])
        self.assertLessEqual(len(workers), 3)
        for tid in workers:
            self.assert_thread_bounds(recs, tid, "ThreadPoolExecutor")
        self.assert_thread_bounds(recs, pid, "MainThread")

    def test_socket_echo_counts_bytes(self):
        path = self.script("""
            import socket, threading

            N = 100 * 1024
            server = socket.socket()
            server.bind(("127.0.0.1", 0))
            server.listen(1)
            tids = {}

            def echo():
                tids["server"] = threading.get_native_id()
                conn, _ = server.accept()
                while True:
                    data = conn.recv(65536)
                    if not data:
                        break
                    conn.sendall(data)
                conn.close()

            t = threading.Thread(target=echo, name="echo")
            t.start()
            c = socket.create_connection(server.getsockname())
            c.sendall(b"x" * N)
            got = 0
            while got < N:
                got += len(c.recv(65536))
            c.close()
            t.join()
            print(threading.get_native_id(), tids["server"], got)
            """)
        r = self.run_py(path, self.env())
        self.assertEqual(r.returncode, 0, r.stderr)
        client, server, got = map(int, r.stdout.split())
        self.assertEqual(got, 102400)
        pid, recs = self.one_file()
        self.assertEqual(client, pid)
        calls = of(recs, "C")
        self.assertTrue(calls)
        self.assertTrue(all(c.f[7] == 1 for c in calls), calls)
        self.assertEqual(len(of(recs, "C", tid=client, call="connect")), 1)
        self.assertEqual(len(of(recs, "C", tid=server, call="accept")), 1)
        for tid in (client, server):
            for call in ("send", "recv"):
                total = sum(c.f[6] for c in of(recs, "C", tid=tid, call=call))
                self.assertEqual(total, 102400, (tid, call))
        self.assert_thread_bounds(recs, server, "echo")

    def assert_same_run(self, path, args=()):
        """Runs path with and without the probe: same status and output.
        Returns the probed run's status and the raw files; its stdout is
        self.stdout."""
        plain = self.run_py(path, self.env(record=False, pythonpath=None),
                            args)
        probed = self.run_py(path, self.env(), args)
        self.assertEqual((probed.returncode, probed.stdout, probed.stderr),
                         (plain.returncode, plain.stdout, plain.stderr))
        self.stdout = probed.stdout
        return probed.returncode, self.files()

    def test_exit_status_and_end_line_are_kept(self):
        path = self.script("""
            import signal, sys, time
            how = sys.argv[1]
            time.sleep(0.01)
            print("before", how)
            if how == "exit3":
                sys.exit(3)
            if how == "raise":
                raise ValueError("boom")
            if how == "sigint":
                signal.raise_signal(signal.SIGINT)
            """)
        for how, status in (("exit3", 3), ("raise", 1), ("sigint", -2)):
            with self.subTest(how=how):
                for name in os.listdir(self.raw):
                    os.unlink(os.path.join(self.raw, name))
                rc, files = self.assert_same_run(path, [how])
                self.assertEqual(rc, status)
                self.assertEqual(len(files), 1)
                recs = list(files.values())[0]
                self.assertEqual(recs[-1].f[1], "exit")
                self.assertEqual(len(of(recs, "C", call="sleep")), 1)

    def test_sigterm_still_kills_and_writes_its_end_line(self):
        path = self.script("""
            import sys, time
            time.sleep(0.01)
            print("ready", flush=True)
            time.sleep(60)
            print("not reached")
            """)
        p = subprocess.Popen([sys.executable, path], env=self.env(),
                             cwd=self.tmp, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, universal_newlines=True)
        try:
            self.assertEqual(p.stdout.readline(), "ready\n")
            p.send_signal(signal.SIGTERM)
            out, err = p.communicate(timeout=RUN_TIMEOUT_S)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        self.assertEqual((p.returncode, out, err), (-signal.SIGTERM, "", ""))
        pid, recs = self.one_file()
        self.assertEqual(recs[-1].f[1], "signal-15")
        self.assertEqual(len(of(recs, "C", call="sleep")), 1)

    def test_fork_child_gets_its_own_file(self):
        path = self.script("""
            import os, sys, time
            pid = os.fork()
            if pid == 0:
                time.sleep(0.01)
                sys.exit(0)
            _, status = os.waitpid(pid, 0)
            print(os.getpid(), pid, status)
            """)
        r = self.run_py(path, self.env())
        self.assertEqual(r.returncode, 0, r.stderr)
        parent, child, status = map(int, r.stdout.split())
        self.assertEqual(status, 0)
        files = self.files()
        self.assertEqual(sorted(files), sorted([parent, child]))
        self.assertEqual(files[child][0].f[1], parent, "child's ppid")
        self.assertEqual(files[parent][0].f[1], os.getpid())
        self.assertEqual(len(of(files[child], "C", call="sleep")), 1)
        self.assertEqual(of(files[parent], "C", call="sleep"), [])
        self.assert_thread_bounds(files[child], child, "MainThread")
        self.assertEqual(files[child][-1].f[1], "exit")
        self.assertEqual(files[parent][-1].f[1], "exit")

    def test_fork_child_ending_in_os_exit_is_recorded(self):
        path = self.script("""
            import os, time
            pid = os.fork()
            if pid == 0:
                time.sleep(0.01)
                os._exit(7)
            _, status = os.waitpid(pid, 0)
            print(pid, os.WEXITSTATUS(status))
            """)
        r = self.run_py(path, self.env())
        self.assertEqual(r.returncode, 0, r.stderr)
        child, code = map(int, r.stdout.split())
        self.assertEqual(code, 7)
        recs = self.files()[child]
        self.assertEqual(len(of(recs, "C", call="sleep")), 1)
        self.assertEqual(recs[-1].f[1], "exit")

    def test_process_pools_record_tasks_in_the_workers(self):
        path = self.script("""
            import multiprocessing, time
            from concurrent.futures import ProcessPoolExecutor

            def work(i):
                time.sleep(0.005)
                return i * i

            if __name__ == "__main__":
                fork = multiprocessing.get_context("fork")
                with ProcessPoolExecutor(2, mp_context=fork) as pool:
                    print(list(pool.map(work, range(4))))
                with fork.Pool(2) as pool:
                    print(pool.map(work, range(4), chunksize=1))
                with multiprocessing.pool.ThreadPool(2) as pool:
                    print(pool.map(work, range(4), chunksize=2))
            """)
        r = self.run_py(path, self.env())
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "[0, 1, 4, 9]\n" * 3)
        # Pool.__exit__ terminates its workers (SIGTERM): in a forked
        # child that kills at once, as it would without the probe, so
        # their files may end without O and Z.
        files = self.files(killed=True)
        main = [pid for pid, recs in files.items()
                if recs[0].f[1] == os.getpid()]
        self.assertEqual(len(main), 1)
        main = main[0]
        self.assertEqual(files[main][-1].f, [files[main][-1].f[0], "exit"])
        xs = of(files[main], "X")
        self.assertEqual([x.f[2:] for x in xs],
                         [["processpool", 2], ["processpool", 2],
                          ["mp_threadpool", 2]])
        self.assertEqual([x.f[0] for x in xs],
                         [main * 1000 + n for n in (1, 2, 3)])
        workers = [pid for pid in files if pid != main]
        self.assertEqual(len(workers), 4, "2 + 2 worker processes")
        for pid in workers:
            self.assertEqual(files[pid][0].f[1], main)
            last = files[pid][-1]
            # ProcessPoolExecutor's workers exit; Pool's exit or are
            # killed (no Z), never by the probe's SIGTERM handler.
            if of(files[pid], "K", pool=xs[0].f[0]):
                self.assertEqual(last.kind, "Z")
            if last.kind == "Z":
                self.assertEqual(last.f[1], "exit")
        # ProcessPoolExecutor: one task per map chunk (chunksize 1), with
        # the pool id of the parent, each number once across the workers.
        tasks = [k for pid in workers for k in of(files[pid], "K")
                 if k.f[4] == xs[0].f[0]]
        self.assertEqual(sorted(k.f[5] for k in tasks if k.f[3] == "begin"),
                         [0, 1, 2, 3])
        self.assertEqual(sorted(k.f[5] for k in tasks if k.f[3] == "end"),
                         [0, 1, 2, 3])
        # multiprocessing.Pool: pool 0, four chunks over the workers, in
        # their files even when killed (a forked child flushes at each
        # task's end).
        chunks = [k for pid in workers for k in of(files[pid], "K", pool=0)]
        self.assertEqual(len(chunks), 8)
        # ThreadPool: two chunks of two, on threads of the main process.
        begins = of(files[main], "K", pool=0, what="begin")
        self.assertEqual(sorted(k.f[5] for k in begins), [0, 1])
        for b in begins:
            e = of(files[main], "K", pool=0, what="end", task=b.f[5])[0]
            inside = [s for s in of(files[main], "C", call="sleep")
                      if s.f[0] == b.f[0] and b.f[1] <= s.f[1]
                      and s.f[2] <= e.f[1]]
            self.assertEqual(len(inside), 2)

    def test_hashlib_and_zlib_record_big_inputs_only(self):
        path = self.script("""
            import hashlib, os, zlib
            data = os.urandom(1 << 20)
            with open("data.bin", "wb") as f:
                f.write(data)
            h = hashlib.sha256()
            h.update(data)
            z = zlib.compressobj()
            streamed = z.compress(data) + z.flush()
            packed = zlib.compress(data)
            print(hashlib.sha256(data).hexdigest(), h.hexdigest(),
                  h.copy().hexdigest(), hashlib.sha256(b"s" * 100).hexdigest(),
                  hashlib.new("md5", data).hexdigest(), h.name, h.digest_size,
                  len(packed), zlib.decompress(packed) == data,
                  streamed == packed)
            """)
        r = self.run_py(path, self.env())
        self.assertEqual(r.returncode, 0, r.stderr)
        import hashlib
        import zlib
        with open(os.path.join(self.tmp, "data.bin"), "rb") as f:
            data = f.read()
        want = [hashlib.sha256(data).hexdigest()] * 3 + [
            hashlib.sha256(b"s" * 100).hexdigest(),
            hashlib.md5(data).hexdigest(), "sha256", "32",
            str(len(zlib.compress(data))), "True", "True"]
        self.assertEqual(r.stdout.split(), want)
        pid, recs = self.one_file()
        native = of(recs, "C", call="native")
        sizes = sorted(c.f[6] for c in native)
        # update, sha256(data), md5 via new(), compressobj().compress,
        # zlib.compress: 1 MiB each; decompress: the packed size.
        self.assertEqual(sizes.count(1048576), 5, sizes)
        self.assertIn(len(zlib.compress(data)), sizes)
        self.assertTrue(all(n >= 2048 for n in sizes), sizes)
        self.assertTrue(all(c.f[7] == 1 for c in native))

    def test_wrappers_behave_like_the_originals(self):
        path = self.script("""
            import copy, gzip, hashlib, hmac, io, os, pickle, select, time
            import zipfile, zlib

            class Holder:
                write = os.write        # as multiprocessing.connection does
                sleep = time.sleep

            r, w = os.pipe()
            print(Holder().write(w, b"abc"), os.read(r, 3))
            Holder().sleep(0)
            for f in (time.sleep, os.read, zlib.compress, hashlib.sha256,
                      select.select):
                assert pickle.loads(pickle.dumps(f)) is f, f
            assert isinstance(hashlib.blake2b, type)
            assert zlib.decompress(zlib.compress(b"q" * 5000)) == b"q" * 5000
            try:
                os.read(-1, 1)
            except OSError as e:
                print(type(e).__name__, e.errno)
            try:
                hashlib.sha256("text")
            except TypeError as e:
                print("TypeError", e)
            try:
                time.sleep(-1)
            except ValueError as e:
                print("ValueError", e)
            try:
                copy.copy(hashlib.sha256())
            except TypeError as e:
                print("TypeError", e)
            print(repr(time.sleep), time.sleep.__name__, os.write.__name__)
            print(hmac.new(b"k", b"m" * 5000, hashlib.sha256).hexdigest(),
                  hmac.digest(b"k", b"m", hashlib.sha256).hex())
            blob = gzip.compress(b"g" * 100000)
            print(len(blob), gzip.decompress(blob) == b"g" * 100000)
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
                z.writestr("a", os.urandom(50000) * 2)
            with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
                print(len(z.read("a")))
            """)
        rc, files = self.assert_same_run(path)
        self.assertEqual(rc, 0)
        recs = list(files.values())[0]
        fails = of(recs, "C", ok=0)
        self.assertEqual(sorted(c.f[5] for c in fails), ["read", "sleep"])
        self.assertEqual(len(of(recs, "C", call="write", bytes=3)), 1)

    # ------------------------------------------- locks, bz2/lzma, asyncio

    def test_contended_lock_is_recorded_and_behaves(self):
        path = self.script("""
            import copy, os, pickle, queue, re, sys, threading, time, weakref
            import _thread

            def show(what, fn):
                try:
                    r = fn()
                except Exception as e:
                    r = "%s: %s" % (type(e).__name__, e)
                print(what, re.sub(r" at 0x[0-9a-f]+", "", str(r)))

            lock = threading.Lock()
            for _ in range(1000):           # uncontended: nothing recorded
                with lock:
                    pass
                lock.acquire()
                lock.release()
                lock.acquire(True, 1)
                lock.release()
                assert lock.acquire(False)
                lock.release()
            time.sleep(0.001)               # the end of that part

            held = threading.Event()

            def holder(seconds):
                with lock:
                    held.set()
                    time.sleep(seconds)

            t = threading.Thread(target=holder, args=(0.05,), name="holder")
            t.start()
            held.wait()
            with lock as got:               # waits ~50 ms: C lock 0 1
                print("with", got)
            t.join()
            held.clear()
            t = threading.Thread(target=holder, args=(0.2,), name="holder")
            t.start()
            held.wait()
            print("timeout", lock.acquire(timeout=0.01))   # C lock 0 0
            print("nonblocking", lock.acquire(False), lock.locked())
            t.join()

            show("repr", lambda: repr(lock))
            lock.acquire()
            show("repr", lambda: repr(lock))
            lock.release()
            show("release", lock.release)
            show("exit", lambda: lock.__exit__(None, None, None))
            show("timeout+nonblocking", lambda: lock.acquire(False, 1))
            show("negative", lambda: lock.acquire(True, -5))
            show("badtype", lambda: lock.acquire(True, "x"))
            show("pickle", lambda: pickle.dumps(lock))
            show("copy", lambda: copy.copy(lock))
            show("weakref", lambda: weakref.ref(lock)() is lock)
            show("locked", lock.locked)
            if sys.version_info >= (3, 13):     # a class there
                show("isinstance", lambda: isinstance(lock, threading.Lock))
                show("isinstance", lambda: isinstance(_thread.allocate_lock(),
                                                      threading.Lock))

            cond = threading.Condition(threading.Lock())
            items = []

            def producer():
                for i in range(200):
                    with cond:
                        items.append(i)
                        cond.notify()

            p = threading.Thread(target=producer)
            p.start()
            got = 0
            with cond:
                while got < 200:
                    cond.wait_for(lambda: items)
                    got += len(items)
                    del items[:]
            p.join()
            print("condition", got, hasattr(cond, "_release_save"))
            show("notify", cond.notify)

            q = queue.Queue(maxsize=5)

            def consume():
                total = 0
                while True:
                    x = q.get()
                    if x is None:
                        break
                    total += x
                print("queue", total)

            c = threading.Thread(target=consume)
            c.start()
            for i in range(1000):
                q.put(i)
            q.put(None)
            c.join()

            sem = threading.Semaphore(2)
            barrier = threading.Barrier(3)

            def party():
                with sem:
                    time.sleep(0.001)
                barrier.wait()

            parties = [threading.Thread(target=party) for _ in range(3)]
            for t in parties:
                t.start()
            for t in parties:
                t.join()
            print("barrier", barrier.n_waiting, barrier.broken)

            # Fork from a thread made now: the child re-initialises the
            # locks of that thread's Events (_at_fork_reinit on 3.9+).
            result = {}

            def forker():
                pid = os.fork()
                if pid == 0:
                    t = threading.Thread(target=lambda: None)
                    t.start()
                    t.join()
                    with lock:
                        pass
                    os._exit(0 if not lock.locked() else 1)
                result["status"] = os.waitpid(pid, 0)[1]

            import warnings
            warnings.simplefilter("ignore", DeprecationWarning)
            f = threading.Thread(target=forker)
            f.start()
            f.join()
            print("child", result["status"])
            """)
        rc, files = self.assert_same_run(path)
        self.assertEqual(rc, 0)
        self.assertEqual(len(files), 2, sorted(files))
        pid = min(files, key=lambda p: files[p][0].f[1] != os.getpid())
        recs = files[pid]
        marker = of(recs, "C", tid=pid, call="sleep", bytes=1000000)[0]
        locks = of(recs, "C", call="lock")
        self.assertTrue(all(c.f[6] == 0 for c in locks), locks)
        self.assertEqual([c for c in locks if c.f[1] < marker.f[1]], [],
                         "uncontended acquires were recorded")
        waited = [c for c in locks
                  if c.f[7] == 1 and c.f[2] - c.f[1] >= 30 * MS]
        self.assertEqual(len(waited), 1, locks)
        self.assertEqual(waited[0].f[0], pid)
        self.assertLess(waited[0].f[2] - waited[0].f[1], 5000 * MS)
        timed_out = of(recs, "C", call="lock", ok=0)
        self.assertEqual(len(timed_out), 1, locks)
        self.assertEqual(timed_out[0].f[0], pid)
        self.assertGreaterEqual(timed_out[0].f[2] - timed_out[0].f[1],
                                9 * MS)
        # The queue's get waits are `queue` calls, never lock calls of
        # their own (Queue.get covers them).
        self.assertTrue(of(recs, "C", call="queue"))

    def holding(self, recs, c):
        """The H lines of c's thread whose hold encloses the C line c."""
        return [h for h in of(recs, "H", tid=c.f[0])
                if h.f[1] <= c.f[1] and c.f[2] <= h.f[2]]

    def test_lock_holds_are_recorded(self):
        path = self.script("""
            import threading, time

            a = threading.Lock()
            b = threading.Lock()

            def spin(seconds):          # CPU time, however preempted
                end = time.thread_time() + seconds
                while time.thread_time() < end:
                    pass

            def worker():
                with a:
                    spin(0.02)
                with b:
                    time.sleep(0.03)
                with a:
                    pass

            t = threading.Thread(target=worker, name="worker")
            t.start()
            t.join()
            with a:
                pass
            print(type(a).__name__ == "_Lock" or type(a).__name__)
            """)
        r = self.run_py(path, self.env())
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "True\n", ""))
        pid, recs = self.one_file()
        worker = of(recs, "T", what="start", name="worker")[0].f[0]
        self.assertNotEqual(worker, pid)
        holds = of(recs, "H", tid=worker)
        loop = [h for h in holds if h.f[4] - h.f[3] >= 15 * MS]
        self.assertEqual(len(loop), 1, holds)
        loop = loop[0]
        self.assertGreaterEqual(loop.f[2] - loop.f[1], 20 * MS)
        self.assertGreaterEqual(loop.f[4] - loop.f[3], 20 * MS)
        # the CPU stamps are read inside the wall ones
        self.assertLessEqual(loop.f[4] - loop.f[3],
                             loop.f[2] - loop.f[1] + MS)
        self.assertLess(loop.f[2] - loop.f[1], 5000 * MS)
        sleep = of(recs, "C", tid=worker, call="sleep", bytes=30 * MS)
        self.assertEqual(len(sleep), 1, sleep)
        held = self.holding(recs, sleep[0])
        self.assertEqual(len(held), 1, (sleep, holds))
        held = held[0]
        self.assertGreaterEqual(held.f[2] - held.f[1], 30 * MS)
        self.assertLess(held.f[4] - held.f[3], 10 * MS)
        self.assertLess(held.f[2] - held.f[1], 5000 * MS)
        # a, then b: numbered in that order, on their first hold
        self.assertLessEqual(loop.f[2], held.f[1])
        self.assertLess(loop.f[5], held.f[5])
        self.assertLess(recs.index(loop), recs.index(held))
        # the same lock, the same number: a's empty hold in the worker,
        # then in the main thread
        again = [h for h in holds if h.f[1] >= held.f[2]]
        self.assertEqual([h.f[5] for h in again], [loop.f[5]], holds)
        self.assertLess(again[0].f[2] - again[0].f[1], 1000 * MS)
        main = [h for h in of(recs, "H", tid=pid, lock=loop.f[5])]
        self.assertEqual(len(main), 1, of(recs, "H"))
        self.assertGreaterEqual(main[0].f[1], again[0].f[2])
        self.assertEqual(len(of(recs, "H", lock=loop.f[5])), 3)
        self.assertEqual(len(of(recs, "H", lock=held.f[5])), 1)

    def test_lock_hold_of_each_kind_of_acquire(self):
        path = self.script("""
            import threading, time

            lock = threading.Lock()
            assert lock.acquire(False)          # non-blocking: a hold
            time.sleep(0.002)
            lock.release()
            assert lock.acquire(timeout=1)      # with a timeout: a hold
            time.sleep(0.003)
            lock.release()
            assert lock.acquire(True, -1)
            time.sleep(0.004)
            lock.release()

            # The other thread's acquires fail: no hold of theirs.
            def fail():
                print("failed", lock.acquire(False),
                      lock.acquire(timeout=0.01), lock.locked())

            lock.acquire()
            t = threading.Thread(target=fail, name="fail")
            t.start()
            t.join()
            time.sleep(0.005)
            lock.release()

            # A wait (C lock), then a hold that begins after it.
            held = threading.Event()

            def holder():
                with lock:
                    held.set()
                    time.sleep(0.05)

            t = threading.Thread(target=holder, name="holder")
            t.start()
            held.wait()
            print("waited", lock.acquire(timeout=30))
            time.sleep(0.006)
            lock.release()
            t.join()
            """)
        rc, files = self.assert_same_run(path)
        self.assertEqual(rc, 0)
        self.assertEqual(self.stdout, "failed False False True\n"
                                      "waited True\n")
        pid, recs = list(files.items())[0]
        number = None
        for ms in (2, 3, 4, 5, 6):
            c = of(recs, "C", tid=pid, call="sleep", bytes=ms * MS)
            self.assertEqual(len(c), 1, (ms, c))
            held = self.holding(recs, c[0])
            self.assertEqual(len(held), 1, (ms, c, of(recs, "H")))
            self.assertGreaterEqual(held[0].f[2] - held[0].f[1], ms * MS)
            number = number or held[0].f[5]
            self.assertEqual(held[0].f[5], number)
        # 5 holds of the main thread, 1 of the holder, none of "fail"
        fail = of(recs, "T", what="start", name="fail")[0].f[0]
        holder = of(recs, "T", what="start", name="holder")[0].f[0]
        self.assertEqual(len(of(recs, "H", tid=pid, lock=number)), 5)
        self.assertEqual(len(of(recs, "H", tid=holder, lock=number)), 1)
        self.assertEqual(of(recs, "H", tid=fail, lock=number), [])
        self.assertEqual(len(of(recs, "H", lock=number)), 6)
        self.assertEqual(len(of(recs, "C", tid=fail, call="lock", ok=0)), 1)
        # the hold that waited begins after its C lock ended
        waited = of(recs, "C", tid=pid, call="lock", ok=1)
        self.assertEqual(len(waited), 1, waited)
        last = of(recs, "H", tid=pid, lock=number)[-1]
        self.assertGreaterEqual(last.f[1], waited[0].f[2])
        self.assertGreaterEqual(waited[0].f[2] - waited[0].f[1], 10 * MS)

    def test_lock_released_by_another_thread(self):
        path = self.script("""
            import _thread, threading, time

            lock = threading.Lock()
            lock.acquire()                      # the main thread's hold
            t = threading.Thread(target=lock.release)
            t.start()
            t.join()
            print("released", lock.locked())

            done = threading.Event()

            def take():                         # a thread without a tid
                lock.acquire()
                done.set()

            _thread.start_new_thread(take, ())
            done.wait()
            print("taken", lock.locked())
            lock.release()                      # theirs, released here
            print("released", lock.locked())

            done.clear()

            def give():
                lock.release()
                done.set()

            lock.acquire()
            _thread.start_new_thread(give, ())  # by a thread without a tid
            done.wait()
            print("released", lock.locked())
            with lock:
                time.sleep(0.002)
            print("works", lock.locked(), lock.acquire(False))
            lock.release()
            """)
        rc, files = self.assert_same_run(path)
        self.assertEqual(rc, 0)
        self.assertEqual(self.stdout, "released False\ntaken True\n"
                         "released False\nreleased False\n"
                         "works False True\n")
        pid, recs = list(files.items())[0]
        c = of(recs, "C", tid=pid, call="sleep", bytes=2 * MS)[0]
        held = self.holding(recs, c)
        self.assertEqual(len(held), 1, of(recs, "H"))
        # only the `with lock:` and the last acquire(False): the holds
        # released by another thread wrote nothing (and took no number)
        self.assertEqual(len(of(recs, "H", lock=held[0].f[5])), 2,
                         of(recs, "H"))
        self.assertEqual(len(of(recs, "H", tid=pid, lock=held[0].f[5])), 2)
        # its number is the last one given: at the `with`, the first of
        # its holds to be recorded (those of the Events came before)
        self.assertEqual(of(recs, "H", lock=held[0].f[5] + 1), [])

    def test_lock_holds_inside_queue_get_and_condition_wait(self):
        path = self.script("""
            import queue, threading, time

            q = queue.Queue()

            def consumer():
                total = 0
                while True:
                    x = q.get()     # blocks: its holds are not recorded
                    if x is None:
                        break
                    total += x
                print("queue", total)

            c = threading.Thread(target=consumer, name="consumer")
            c.start()
            for i in range(100):
                q.put(i)            # holds of the queue's mutex
                if i % 10 == 0:
                    time.sleep(0.001)
            q.put(None)
            c.join()
            q.put(7)
            print("nowait", q.get(block=False))     # a hold: no wait

            # Condition.wait ends the hold of its lock and begins another
            cond = threading.Condition(threading.Lock())
            with cond:
                time.sleep(0.002)
                print("wait", cond.wait(0.02))
                time.sleep(0.004)
            """)
        rc, files = self.assert_same_run(path)
        self.assertEqual(rc, 0)
        self.assertEqual(self.stdout, "queue 4950\nnowait 7\nwait False\n")
        pid, recs = list(files.items())[0]
        consumer = of(recs, "T", what="start", name="consumer")[0].f[0]
        self.assertTrue(of(recs, "C", tid=consumer, call="queue"))
        # The mutex: the lock the main thread held most often (put 102
        # times, then get(block=False)).
        numbers = [h.f[5] for h in of(recs, "H", tid=pid)]
        self.assertTrue(numbers, "no hold recorded")
        mutex = max(set(numbers), key=numbers.count)
        self.assertEqual(numbers.count(mutex), 103, numbers)
        self.assertEqual(of(recs, "H", tid=consumer, lock=mutex), [])
        # the consumer's gets covered no hold: no H lies inside one
        gets = of(recs, "C", tid=consumer, call="queue")
        for h in of(recs, "H", tid=consumer):
            self.assertFalse([g for g in gets
                              if g.f[1] <= h.f[1] <= g.f[2]], h)
        # Condition.wait: a hold until the wait released the lock, then
        # one from the wait's end
        wait = of(recs, "C", tid=pid, call="wait", ok=1)[-1]
        before = self.holding(recs, of(recs, "C", tid=pid, call="sleep",
                                       bytes=2 * MS)[0])
        after = self.holding(recs, of(recs, "C", tid=pid, call="sleep",
                                      bytes=4 * MS)[0])
        self.assertEqual((len(before), len(after)), (1, 1),
                         of(recs, "H", tid=pid))
        self.assertEqual(before[0].f[5], after[0].f[5])
        self.assertNotEqual(before[0].f[5], mutex)
        self.assertGreaterEqual(wait.f[2] - wait.f[1], 20 * MS)
        self.assertTrue(wait.f[1] <= before[0].f[2] <= wait.f[2],
                        (before, wait))
        self.assertGreaterEqual(after[0].f[1], wait.f[2])
        self.assertEqual(len(of(recs, "H", lock=before[0].f[5])), 2)

    def test_release_of_an_unlocked_lock_raises(self):
        path = self.script("""
            import threading, time

            lock = threading.Lock()

            def show(what, fn):
                try:
                    print(what, fn())
                except RuntimeError as e:
                    print(what, "RuntimeError:", e)

            show("release", lock.release)
            with lock:
                time.sleep(0.002)
            show("release", lock.release)
            show("exit", lambda: lock.__exit__(None, None, None))
            lock.acquire()
            show("release", lock.release)
            show("release", lock.release)
            show("locked", lock.locked)
            show("acquire", lambda: lock.acquire(False))
            show("locked", lock.locked)
            show("release", lock.release)
            """)
        rc, files = self.assert_same_run(path)
        self.assertEqual(rc, 0)
        self.assertEqual(self.stdout.count("RuntimeError:"), 4, self.stdout)
        pid, recs = list(files.items())[0]
        c = of(recs, "C", tid=pid, call="sleep", bytes=2 * MS)[0]
        held = self.holding(recs, c)
        self.assertEqual(len(held), 1, of(recs, "H"))
        # the three holds, and no line for the failed releases
        self.assertEqual(len(of(recs, "H")), 3, of(recs, "H"))
        self.assertEqual({h.f[5] for h in of(recs, "H")}, {held[0].f[5]})

    def test_bz2_and_lzma_record_big_inputs_only(self):
        path = self.script("""
            import bz2, lzma, pickle, random, time, _bz2, _lzma
            data = random.Random(1).getrandbits(8 * 300000).to_bytes(
                300000, "little")
            small = data[:1000]
            packed_b = bz2.compress(data)
            assert bz2.decompress(packed_b) == data
            packed_x = lzma.compress(data)
            assert lzma.decompress(packed_x) == data
            assert bz2.decompress(bz2.compress(small)) == small
            assert lzma.decompress(lzma.compress(small)) == small
            c = bz2.BZ2Compressor()
            out_b = c.compress(data[:100000]) + c.compress(small) + c.flush()
            d = bz2.BZ2Decompressor()
            assert d.decompress(out_b) == data[:100000] + small
            print(d.eof, d.needs_input, len(d.unused_data))
            c = lzma.LZMACompressor(preset=1)
            out_x = c.compress(data) + c.flush()
            d = lzma.LZMADecompressor()
            assert d.decompress(out_x, max_length=-1) == data
            print(d.eof, d.check, d.needs_input)
            print(len(packed_b), len(packed_x), len(out_b), len(out_x))
            print(isinstance(c, lzma.LZMACompressor),
                  isinstance(_lzma.LZMACompressor(), lzma.LZMACompressor),
                  isinstance(_bz2.BZ2Decompressor(), bz2.BZ2Decompressor),
                  issubclass(_bz2.BZ2Compressor, bz2.BZ2Compressor))
            for obj in (c, d, bz2.BZ2Compressor()):
                try:
                    pickle.dumps(obj)
                except TypeError as e:
                    print("TypeError", e)
            try:
                bz2.BZ2Compressor(99)
            except ValueError as e:
                print("ValueError", e)
            time.sleep(0.001)       # files: through the compressor classes
            with bz2.open("f.bz2", "wb") as f:
                f.write(data)
            with bz2.open("f.bz2", "rb") as f:
                print(f.read() == data)
            with lzma.open("f.xz", "wb") as f:
                f.write(data)
            with lzma.open("f.xz", "rb") as f:
                print(f.read() == data)
            """)
        rc, files = self.assert_same_run(path)
        self.assertEqual(rc, 0)
        recs = list(files.values())[0]
        sizes = [int(n) for n in self.stdout.splitlines()[2].split()]
        packed_b, packed_x, out_b, out_x = sizes
        marker = of(recs, "C", call="sleep", bytes=1000000)[0]
        native = of(recs, "C", call="native")
        self.assertTrue(all(c.f[7] == 1 for c in native))
        self.assertTrue(all(c.f[6] >= 2048 for c in native), native)
        before = sorted(c.f[6] for c in native if c.f[1] < marker.f[1])
        # bz2/lzma.compress and decompress: once each (not again for the
        # compressor inside); BZ2Compressor: 100000, then flush of
        # 101000; its decompressor; LZMACompressor: compress and flush
        # of 300000; its decompressor.
        self.assertEqual(before, sorted([
            300000, packed_b, 300000, packed_x, 100000, 101000, out_b,
            300000, 300000, out_x]))
        after = [c for c in native if c.f[1] > marker.f[1]]
        self.assertGreaterEqual(len(after), 4, after)

    ASYNC_MAIN = """
        import asyncio, sys, threading, time

        N = 4
        LOOPS = int(sys.argv[1])

        def spin(n=LOOPS):
            s = 0
            for k in range(n):
                s += k
            return s

        async def work(i):
            await asyncio.sleep(0.02)
            async with sem:
                spin()
                time.sleep(0.001)       # a call inside a step
                await asyncio.sleep(0.01)
            return i

        async def main():
            global sem
            sem = asyncio.Semaphore(2)
            return await asyncio.gather(*(work(i) for i in range(N)))

        # CPython 3.11+ quickens a function after some calls (~1.8x
        # faster here): warm spin up first, so the reference and the
        # tasks' calls run the same code.
        for _ in range(16):
            spin(10)
        costs = []
        for _ in range(3):
            c0 = time.thread_time_ns()
            spin()
            costs.append(time.thread_time_ns() - c0)
        print(min(costs), threading.get_native_id())
        print(asyncio.run(main()))
        """

    def test_asyncio_tasks_steps_and_semaphore(self):
        path = self.script(self.ASYNC_MAIN)
        r = self.run_py(path, self.env(), ["300000"])
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        first, second = r.stdout.splitlines()
        cost, tid = map(int, first.split())
        self.assertEqual(second, "[0, 1, 2, 3]")
        pid, recs = self.one_file()
        self.assertEqual(tid, pid)
        xs = of(recs, "X")
        self.assertEqual([x.f[2:] for x in xs], [["asyncio", 0]])
        pool = xs[0].f[0]
        self.assertEqual(pool, pid * 1000 + 1)
        # main first, made by no task; the four made by main (asyncio.run's
        # clean-up tasks are not recorded).
        self.assertEqual(sorted(g.f for g in of(recs, "G")),
                         [[pool, -1, 0]] + [[pool, 0, i] for i in range(1, 5)])
        for task in range(5):
            self.assertEqual(len(of(recs, "K", pool=pool, task=task,
                                    what="begin")), 1)
            self.assertEqual(len(of(recs, "K", pool=pool, task=task,
                                    what="end")), 1)
        steps = of(recs, "A", pool=pool)
        self.assertTrue(all(a.f[0] == pid for a in steps), steps)
        sleeps = of(recs, "C", call="sleep", bytes=1000000)
        self.assertEqual(len(sleeps), 4)
        for task in range(1, 5):
            mine = of(recs, "A", pool=pool, task=task)
            self.assertGreaterEqual(len(mine), 3, mine)
            cpu = sum(a.f[4] - a.f[3] for a in mine)
            self.assertGreaterEqual(cpu, cost * 0.6, (task, cost, mine))
            self.assertLessEqual(cpu, cost * 3 + 20 * MS, (task, cost, mine))
            # its time.sleep is recorded, inside one of its steps
            inside = [s for s in sleeps for a in mine
                      if a.f[1] <= s.f[1] and s.f[2] <= a.f[2]]
            self.assertEqual(len(inside), 1, (task, mine, sleeps))
        main_cpu = sum(a.f[4] - a.f[3] for a in of(recs, "A", task=0))
        self.assertLess(main_cpu, cost * 0.5)
        ws = of(recs, "W")
        self.assertEqual(sorted(w.f[4] for w in ws), [1, 2, 3, 4])
        self.assertEqual({(w.f[0], w.f[3], w.f[5], w.f[7]) for w in ws},
                         {(pid, pool, "sem", 2)})
        self.assertEqual(len({w.f[6] for w in ws}), 1, "one semaphore")
        for w in ws:
            # inside its task's life, and its end inside one of its steps
            b = of(recs, "K", task=w.f[4], what="begin")[0]
            e = of(recs, "K", task=w.f[4], what="end")[0]
            self.assertTrue(b.f[1] <= w.f[1] <= w.f[2] <= e.f[1], (w, b, e))
            self.assertTrue(any(a.f[1] <= w.f[2] <= a.f[2] for a in
                                of(recs, "A", task=w.f[4])), w)

    def test_asyncio_errors_cancellation_and_introspection(self):
        path = self.script("""
            import asyncio, io, os, re, signal, sys

            def norm(text):
                return re.sub(r" at 0x[0-9a-f]+", "", str(text))

            async def boom():
                await asyncio.sleep(0)
                raise ValueError("boom")

            async def sleeper():
                await asyncio.sleep(10)

            async def stubborn():
                try:
                    await asyncio.sleep(10)
                except asyncio.CancelledError:
                    return "kept going"

            async def holder(lock, log):
                async with lock:
                    log.append(len(log))
                    await asyncio.sleep(0.01)

            async def main():
                print("gather", await asyncio.gather(
                    boom(), asyncio.sleep(0, "ok"), return_exceptions=True))
                t = asyncio.ensure_future(sleeper())
                await asyncio.sleep(0)
                print("repr", norm(repr(t)))
                print("stack", [(f.f_code.co_name, f.f_lineno)
                                for f in t.get_stack()])
                buf = io.StringIO()
                t.print_stack(file=buf)
                print("print_stack", norm(buf.getvalue()))
                c = t.get_coro()
                print("coro", c.__name__, c.__qualname__, c.cr_running,
                      type(c.cr_await).__name__, c.cr_code.co_name,
                      c.cr_frame.f_code.co_name, asyncio.iscoroutine(c))
                t.cancel()
                try:
                    await t
                except asyncio.CancelledError:
                    print("cancelled", t.cancelled(), norm(repr(t)))
                t = asyncio.ensure_future(sleeper())
                t.cancel()                  # before it ever ran
                try:
                    await t
                except asyncio.CancelledError:
                    print("cancelled at once", t.cancelled())
                t = asyncio.ensure_future(stubborn())
                await asyncio.sleep(0)
                t.cancel()
                print("stubborn", await t, t.cancelled())
                lock, log = asyncio.Lock(), []
                await asyncio.gather(holder(lock, log), holder(lock, log))
                await asyncio.Task(holder(lock, log))   # not through
                print("lock", log, lock.locked())       # create_task
                bs = asyncio.BoundedSemaphore(3)
                async with bs:
                    pass
                try:
                    bs.release()
                except ValueError as e:
                    print("ValueError", e)
                return "main done"

            print(asyncio.run(main()))

            async def ki():
                await asyncio.sleep(0)
                raise KeyboardInterrupt

            try:
                asyncio.run(ki())
            except KeyboardInterrupt:
                print("KeyboardInterrupt")

            async def interrupted():
                await asyncio.sleep(0)
                signal.raise_signal(signal.SIGINT)
                await asyncio.sleep(1)
                print("not reached")

            try:
                asyncio.run(interrupted())
            except KeyboardInterrupt:
                print("SIGINT")

            async def debug():
                t = asyncio.ensure_future(asyncio.sleep(0))
                tb = t._source_traceback
                await t
                # (no frame of the probe's create_task; the step's frame
                # is there: a stack seen from inside a task has it)
                return os.path.basename(tb[-1].filename), tb[-1].name

            print("debug", asyncio.run(debug(), debug=True))
            """)
        rc, files = self.assert_same_run(path)
        self.assertEqual(rc, 0)
        recs = list(files.values())[0]
        loops = [x.f[0] for x in of(recs, "X", kind="asyncio")]
        self.assertEqual(len(loops), 4)
        pool = loops[0]
        # main 0; boom 1, sleep 2; sleeper 3; sleeper 4 (cancelled at
        # once); stubborn 5; holders 6, 7 (asyncio.Task(...) is none).
        gs = of(recs, "G", pool=pool)
        self.assertEqual(sorted(g.f[1:] for g in gs),
                         [[-1, 0]] + [[0, i] for i in range(1, 8)])
        for task in range(8):
            self.assertEqual(len(of(recs, "K", pool=pool, task=task,
                                    what="end")), 1, task)
        # cancelled before it ran: one step, the CancelledError thrown in
        self.assertEqual(len(of(recs, "A", pool=pool, task=4)), 1)
        locks = of(recs, "W", kind="lock")
        self.assertEqual(sorted(w.f[4] for w in locks), [6, 7])
        self.assertEqual({(w.f[3], w.f[7]) for w in locks}, {(pool, 1)})
        self.assertEqual(len({w.f[6] for w in locks}), 1)
        sems = of(recs, "W", kind="sem")
        self.assertEqual([(w.f[4], w.f[7]) for w in sems], [(0, 3)])
        self.assertNotEqual(sems[0].f[6], locks[0].f[6])
        # KeyboardInterrupt ended its task's last step; so did SIGINT
        # (3.11+: asyncio.run cancels the main task)
        self.assertEqual(len(of(recs, "K", pool=loops[1], what="end")), 1)
        self.assertEqual(len(of(recs, "K", pool=loops[2], what="end")), 1)

    def test_asyncio_closed_coroutines_and_task_factories(self):
        path = self.script("""
            import asyncio, gc, sys, warnings
            warnings.simplefilter("ignore", DeprecationWarning)

            async def sleeper():
                await asyncio.sleep(10)

            async def cleanup():
                try:
                    await asyncio.sleep(10)
                finally:
                    print("cleanup ran")

            async def catcher():
                try:
                    await asyncio.sleep(10)
                except ValueError as e:
                    return "caught %s" % e

            # Started, then closed: GeneratorExit runs its finally.
            loop = asyncio.new_event_loop()
            t = loop.create_task(cleanup())
            loop.run_until_complete(asyncio.sleep(0.01))
            t.get_coro().close()
            t.cancel()
            loop.run_until_complete(asyncio.sleep(0))
            print("closed", t.done(), t.cancelled(), repr(t.exception()))
            loop.close()

            # Closed before it ever ran: the Task's step then fails.
            loop = asyncio.new_event_loop()
            t = loop.create_task(sleeper())
            t.get_coro().close()
            loop.run_until_complete(asyncio.sleep(0.01))
            print("never ran", t.done(), repr(t.exception()))
            loop.close()

            # The old three-argument throw, through the task's coroutine.
            loop = asyncio.new_event_loop()
            t = loop.create_task(catcher())
            loop.run_until_complete(asyncio.sleep(0))
            try:
                t.get_coro().throw(ValueError, ValueError("three"), None)
            except StopIteration as e:
                print("throw", e.value)
            t.cancel()
            loop.run_until_complete(asyncio.sleep(0))
            print("after throw", t.done(), repr(t.exception()))
            loop.close()

            # A custom task factory gets the wrapped coroutine.
            def factory(loop, coro, **kwargs):
                return asyncio.Task(coro, loop=loop, **kwargs)

            async def child(i):
                await asyncio.sleep(0)
                return i * 2

            async def parent():
                return await asyncio.gather(*(child(i) for i in range(3)))

            loop = asyncio.new_event_loop()
            loop.set_task_factory(factory)
            print("factory", loop.run_until_complete(parent()))
            if hasattr(asyncio, "eager_task_factory"):       # 3.12+
                loop.set_task_factory(asyncio.eager_task_factory)
                print("eager", loop.run_until_complete(parent()))
            loop.close()

            # Never ran, and destroyed pending: asyncio's own messages.
            loop = asyncio.new_event_loop()
            t = loop.create_task(sleeper())
            loop.close()
            del t
            gc.collect()
            sys.stderr.flush()
            print("end")
            """)
        rc, files = self.assert_same_run(path)
        self.assertEqual(rc, 0)
        eager = "eager [0, 2, 4]" in self.stdout
        self.assertEqual(eager, sys.version_info >= (3, 12))
        recs = list(files.values())[0]
        loops = [x.f[0] for x in of(recs, "X", kind="asyncio")]
        self.assertEqual(len(loops), 5)
        closed, never, thrown, factory, destroyed = loops
        # cleanup (0): began, and ended in the close.
        self.assertEqual(len(of(recs, "K", pool=closed, task=0)), 2)
        end = of(recs, "K", pool=closed, task=0, what="end")[0]
        last = of(recs, "A", pool=closed, task=0)[-1]
        self.assertEqual(end.f[1], last.f[2])
        # closed before it ran: G, no K, no A.
        self.assertEqual(len(of(recs, "G", pool=never, task=0)), 1)
        self.assertEqual(of(recs, "K", pool=never, task=0), [])
        self.assertEqual(of(recs, "A", pool=never, task=0), [])
        # the throw finished catcher: its end is in that step.
        self.assertEqual(len(of(recs, "K", pool=thrown, task=0,
                                what="end")), 1)
        # factory: parent 0 and its three children; with the eager
        # factory (3.12+) parent 4 and its three, whose first steps ran
        # inside create_task.
        gs = of(recs, "G", pool=factory)
        want = [[-1, 0], [0, 1], [0, 2], [0, 3]]
        if eager:
            want += [[-1, 4], [4, 5], [4, 6], [4, 7]]
        self.assertEqual(sorted(g.f[1:] for g in gs), sorted(want))
        self.assertEqual(len(of(recs, "K", pool=factory, what="end")),
                         len(gs))
        # destroyed pending: G, never a step.
        self.assertEqual([g.f[1:] for g in of(recs, "G", pool=destroyed)],
                         [[-1, 0]])
        self.assertEqual(of(recs, "K", pool=destroyed), [])

    def test_probe_cost_line(self):
        # The cost per event includes the schedstat reads a process made;
        # both processes here read at both ends of each call (each call
        # comes after a pause off-CPU), so their costs are the same.
        path = self.script("""
            import _thread, os, time
            gap = _thread.allocate_lock()   # a real lock: not recorded
            gap.acquire()

            def pause():
                gap.acquire(timeout=0.002)

            pid = os.fork()
            if pid == 0:
                for _ in range(3):
                    pause()
                    time.sleep(0.001)
                os._exit(0)
            os.waitpid(pid, 0)
            pause()
            time.sleep(0.001)
            print(pid)
            """)
        r = self.run_py(path, self.env())
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        child = int(r.stdout)
        files = self.files()
        parent = [p for p in files if p != child][0]
        o_parent = of(files[parent], "O")[0]
        o_child = of(files[child], "O")[0]
        # parse_probe_file checked each O against its file's C/A/W lines
        self.assertEqual(o_parent.f[0], 1)
        self.assertEqual(o_child.f[0], 3)
        self.assertGreater(o_parent.f[1], 0)
        self.assertLess(o_parent.f[1], 1000 * 1000)
        self.assertEqual(o_child.f[1], o_parent.f[1], "the parent's cost")
        # of which some, never all of it nor none, falls between calls
        self.assertGreater(o_parent.f[2], 0)
        self.assertLessEqual(o_parent.f[2], o_parent.f[1])

    def test_run_queue_delay_of_calls_on_busy_cores(self):
        if not os.path.exists("/proc/thread-self/schedstat"):
            self.skipTest("no /proc/thread-self/schedstat")
        # cores + 1 threads hash (with the GIL released) while the main
        # thread sleeps and reads a pipe: a call that returns must wait
        # for a core, and its rq1 - rq0 shows it.
        path = self.script("""
            import hashlib, os, threading, time
            stop = threading.Event()
            data = bytes(1 << 20)

            def hog():
                while not stop.is_set():
                    hashlib.sha256(data)

            hogs = [threading.Thread(target=hog)
                    for _ in range(os.cpu_count() + 1)]
            for t in hogs:
                t.start()
            for _ in range(30):
                time.sleep(0.01)
            r, w = os.pipe()

            def writer():
                for _ in range(30):
                    time.sleep(0.005)
                    os.write(w, b"x")

            t = threading.Thread(target=writer)
            t.start()
            got = b"".join(os.read(r, 1) for _ in range(30))
            t.join()
            stop.set()
            for t in hogs:
                t.join()
            print(len(got))
            """)
        r = self.run_py(path, self.env())
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "30\n", ""))
        pid, recs = self.one_file()
        calls = of(recs, "C")
        # parse_probe_file checked rq0 <= rq1, and rq never going back
        short = [c for c in calls if len(c.f) != 10]
        self.assertEqual(short, [], "C lines without rq0 rq1")
        mine = of(recs, "C", tid=pid)
        self.assertEqual(len(of(recs, "C", tid=pid, call="sleep")), 30)
        self.assertEqual(len(of(recs, "C", tid=pid, call="read")), 30)
        self.assertTrue(of(recs, "C", call="native"))
        waited = [c for c in mine if c.f[9] > c.f[8]]
        self.assertTrue(waited, mine)

    def test_schedstat_descriptors_follow_threads(self):
        if not os.path.exists("/proc/thread-self/schedstat"):
            self.skipTest("no /proc/thread-self/schedstat")
        # Each thread reads its own schedstat through a descriptor of its
        # own, closed when a threading.Thread ends; a forked child keeps
        # none of its parent's.
        path = self.script("""
            import os, threading, time, warnings
            warnings.simplefilter("ignore", DeprecationWarning)  # 3.12 fork

            def schedstats():
                out = []
                for fd in os.listdir("/proc/self/fd"):
                    try:
                        link = os.readlink("/proc/self/fd/" + fd)
                    except OSError:
                        continue
                    if link.endswith("/schedstat"):
                        pid, tid = link.split("/")[2:5:2]
                        out.append((int(pid) == os.getpid(), int(tid)))
                return sorted(out)

            time.sleep(0.001)
            me = threading.get_native_id()
            go, done = threading.Event(), threading.Event()
            tids = []

            def worker():
                tids.append(threading.get_native_id())
                time.sleep(0.001)
                go.set()
                done.wait()

            t = threading.Thread(target=worker)
            t.start()
            go.wait()
            print("both", schedstats() == sorted([(True, me),
                                                  (True, tids[0])]))
            pid = os.fork()
            if pid == 0:
                before = schedstats()
                time.sleep(0.001)
                print("child", before, schedstats() == [
                    (True, threading.get_native_id())], flush=True)
                os._exit(0)
            os.waitpid(pid, 0)
            done.set()
            t.join()
            print("after", schedstats() == [(True, me)])
            """)
        r = self.run_py(path, self.env())
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        self.assertEqual(r.stdout, "both True\nchild [] True\nafter True\n")
        files = self.files()
        self.assertEqual(len(files), 2)
        for recs in files.values():
            calls = of(recs, "C")
            self.assertTrue(calls)
            self.assertEqual([c for c in calls if len(c.f) != 10], [])

    def test_program_closing_the_probes_descriptors(self):
        # os.closerange closes the probe's file and the threads' schedstat
        # descriptors, and the program reuses their numbers: the probe
        # neither crashes nor reads, writes or closes the program's files,
        # and keeps recording (a thread that lost its schedstat writes C
        # lines without rq0 rq1; a new thread opens its own).
        path = self.script("""
            import os, threading, time

            def work():
                for _ in range(3):
                    time.sleep(0.001)

            time.sleep(0.001)
            go, hold = threading.Event(), threading.Event()

            def lingering():
                time.sleep(0.001)
                go.set()
                hold.wait()
                work()

            t = threading.Thread(target=lingering, name="lingering")
            t.start()
            go.wait()
            os.closerange(3, 1024)
            with open("fake", "w") as f:
                f.write("not a schedstat\\n")
            fakes = [os.open("fake", os.O_RDONLY) for _ in range(4)]
            r, w = os.pipe()
            out = open("out.txt", "w")
            hold.set()
            work()
            os.write(w, b"x")
            os.read(r, 1)
            t2 = threading.Thread(target=work, name="new")
            t2.start()
            t2.join()
            t.join()
            out.write("the program's data\\n")
            out.close()
            print(open("out.txt").read(), end="")
            print([os.pread(fd, 64, 0) for fd in fakes])
            print([os.lseek(fd, 0, os.SEEK_CUR) for fd in fakes])
            for fd in fakes + [r, w]:
                os.close(fd)            # all still open: none was closed
            """)
        rc, files = self.assert_same_run(path)
        self.assertEqual(rc, 0)
        lines = self.stdout.splitlines()
        self.assertEqual(lines[:3], ["the program's data",
                                     str([b"not a schedstat\n"] * 4),
                                     str([0] * 4)])
        self.assertEqual(len(files), 1)
        pid, recs = list(files.items())[0]
        self.assertEqual(recs[-1].f[1], "exit")
        new = of(recs, "T", what="start", name="new")[0].f[0]
        lingering = of(recs, "T", what="start", name="lingering")[0].f[0]
        self.assertEqual(len(of(recs, "C", tid=pid, call="sleep")), 4)
        self.assertEqual(len(of(recs, "C", tid=lingering, call="sleep")), 4)
        self.assertEqual(len(of(recs, "C", tid=pid, call="write")), 1)
        self.assertEqual(len(of(recs, "C", tid=pid, call="read")), 1)
        new_calls = of(recs, "C", tid=new)
        self.assertEqual(len(new_calls), 3)
        if os.path.exists("/proc/thread-self/schedstat"):
            self.assertEqual([c for c in new_calls if len(c.f) != 10], [])
            # the main thread's first sleep came before the closerange
            self.assertEqual(len(of(recs, "C", tid=pid)[0].f), 10)

    def test_forked_child_dies_of_sigterm_blocked_in_c(self):
        # A forked child gets SIGTERM while it waits inside C code that
        # retries on EINTR (os.system's wait for its shell): SIGTERM's
        # default action kills it there, as without the probe; a Python
        # handler (the probe's, inherited) would wait for the shell.
        path = self.script("""
            import os, signal, time
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(w)
                os.dup2(r, 0)
                time.sleep(0.001)
                os.system("kill -TERM $PPID; read x")
                print("child went on", flush=True)
                os._exit(3)
            os.close(r)
            deadline = time.monotonic() + 30
            while True:
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    break
                if time.monotonic() > deadline:
                    os.kill(pid, signal.SIGKILL)
                time.sleep(0.01)
            os.close(w)                 # the shell's read ends
            print(pid, os.WIFSIGNALED(status) and os.WTERMSIG(status))
            """)
        r = self.run_py(path, self.env(record=False, pythonpath=None))
        child, how = r.stdout.split()
        self.assertEqual((r.returncode, how, r.stderr), (0, "15", ""))
        for name in os.listdir(self.raw):
            os.unlink(os.path.join(self.raw, name))
        r = self.run_py(path, self.env())
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        child, how = r.stdout.split()
        self.assertEqual(how, "15", "the child did not die of SIGTERM")
        # The child's events were still buffered: it may have no file.
        files = self.files(killed={int(child)})
        parent = [p for p in files if p != int(child)]
        self.assertEqual(len(parent), 1)
        self.assertEqual(files[parent[0]][-1].f[1], "exit")
        if int(child) in files:
            self.assertNotEqual(files[int(child)][-1].kind, "Z")

    def test_without_record_dir_nothing_is_written(self):
        path = self.script("""
            import sys, time
            time.sleep(0.01)
            print("probe loaded:", "gilsim_probe" in sys.modules)
            """)
        for record in (False, ""):
            env = self.env(record=False)
            if record == "":
                env["GILSIM_RECORD_DIR"] = ""
            r = self.run_py(path, env)
            self.assertEqual((r.returncode, r.stdout, r.stderr),
                             (0, "probe loaded: False\n", ""))
        found = [os.path.join(d, n) for d, _, names in os.walk(self.tmp)
                 for n in names if n.startswith("probe-")]
        self.assertEqual(found, [])

    def test_unwritable_record_dir_says_so_once(self):
        path = self.script("""
            import time
            time.sleep(0.01)
            print("output")
            """)
        missing = os.path.join(self.tmp, "no", "such", "folder")
        r = self.run_py(path, self.env(record=missing))
        self.assertEqual((r.returncode, r.stdout), (0, "output\n"))
        lines = r.stderr.splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertTrue(lines[0].startswith("gilsim probe: not recording:"),
                        lines[0])
        self.assertFalse(os.path.exists(missing))
        self.assertEqual(os.listdir(self.raw), [])

    def test_shadowed_sitecustomize_still_runs(self):
        other = os.path.join(self.tmp, "other")
        os.mkdir(other)
        with open(os.path.join(other, "sitecustomize.py"), "w") as f:
            f.write('print("other sitecustomize ran")\nMARK = 42\n')
        path = self.script("""
            import sitecustomize
            print(sitecustomize.MARK)
            """)
        pythonpath = PROBE_DIR + os.pathsep + other
        for record in (True, False):
            with self.subTest(record=record):
                env = self.env(record=record, pythonpath=pythonpath)
                r = self.run_py(path, env)
                self.assertEqual((r.returncode, r.stderr), (0, ""))
                self.assertEqual(r.stdout, "other sitecustomize ran\n42\n")
        self.one_file()


if __name__ == "__main__":
    unittest.main()
