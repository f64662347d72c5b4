"""test_probe.py - tests of the recording probe of `gilsim record` (issue 17).

Usage (from the repository root): python3 tests/probe/test_probe.py [-v]

Each test writes a small Python program into a temporary folder, runs it
with sys.executable, PYTHONPATH=sim/record/probe and
GILSIM_RECORD_DIR=<tmp>/raw, as `gilsim record` would, and then reads the
raw files. parse_probe_file() checks every line of every file against the
format of sim/record/probe/gilsim_probe.py (field counts, integer fields,
keywords, the order of the first and last lines), so each test checks the
whole grammar and then the structure it is about. Tests never check
durations tightly (the machine is shared and noisy): only lower bounds
that time.sleep guarantees, and generous upper bounds.
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
         "write", "wait", "queue", "native"}
POOL_KINDS = {"threadpool", "mp_threadpool", "processpool"}
INT = re.compile(r"-?[0-9]+\Z")
VERSION = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\Z")

# Field kinds of each line after the format line: "int" (>= 0), "int-1"
# (>= -1), "bit" (0 or 1), "name" (1 to 60 characters), "text" (not
# empty), or a set of keywords.
GRAMMAR = {
    "P": ["int", "int", "int", "version", "text"],
    "S": ["int"],
    "T": ["int", "int", "int", {"start", "end"}, "name"],
    "C": ["int", "int", "int", "int", "int", CALLS, "int-1", "bit"],
    "K": ["int", "int", "int", {"begin", "end"}, "int", "int"],
    "X": ["int", "int", POOL_KINDS, "int"],
    "Z": ["int", {"exit", "signal-15"}],
}


class Rec:
    """One parsed line: kind ("C", ...) and fields, integers converted."""

    def __init__(self, kind, fields):
        self.kind = kind
        self.f = fields

    def __repr__(self):
        return "%s%r" % (self.kind, self.f)


def parse_probe_file(path):
    """Reads one probe-<pid>.tsv, checks its whole grammar (raises
    AssertionError naming the line), and returns the list of Rec after
    the format line: P first, Z last."""
    with open(path, "rb") as f:
        data = f.read()
    text = data.decode("utf-8")         # must be UTF-8
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
    assert kinds[-1] == "Z" and kinds.count("Z") == 1, "%s: Z" % path
    assert kinds[1] == "S" and kinds.count("S") == 1, "%s: S" % path
    assert recs[1].f[0] > 0, "%s: switch interval" % path
    t_start, t_end = recs[0].f[2], recs[-1].f[0]
    for r in recs[2:-1]:
        if r.kind == "C":
            times = [r.f[1], r.f[2]]
            assert r.f[2] >= r.f[1] and r.f[4] >= r.f[3], "%s: %r" % (path, r)
        else:
            times = [r.f[1]]
        for t in times:
            assert t_start <= t <= t_end, "%s: %r outside P..Z" % (path, r)
    return recs


def of(recs, kind, **where):
    """The recs of a kind whose named fields equal the given values."""
    names = {"C": ["tid", "t0", "t1", "cpu0", "cpu1", "call", "bytes", "ok"],
             "T": ["tid", "t", "cpu", "what", "name"],
             "K": ["tid", "t", "cpu", "what", "pool", "task"],
             "X": ["pool", "t", "kind", "workers"]}[kind]
    out = []
    for r in recs:
        if r.kind == kind and all(r.f[names.index(k)] == v
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

    def files(self):
        """{pid: recs} of every raw file, each fully checked."""
        out = {}
        for name in sorted(os.listdir(self.raw)):
            m = re.match(r"probe-([0-9]+)\.tsv\Z", name)
            self.assertTrue(m, "unexpected file %s" % name)
            recs = parse_probe_file(os.path.join(self.raw, name))
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
        Returns the probed run's status and the raw files."""
        plain = self.run_py(path, self.env(record=False, pythonpath=None),
                            args)
        probed = self.run_py(path, self.env(), args)
        self.assertEqual((probed.returncode, probed.stdout, probed.stderr),
                         (plain.returncode, plain.stdout, plain.stderr))
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
        files = self.files()
        main = [pid for pid, recs in files.items()
                if recs[0].f[1] == os.getpid()]
        self.assertEqual(len(main), 1)
        main = main[0]
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
            # Pool.__exit__ terminates its workers with SIGTERM: they may
            # end either way; ProcessPoolExecutor's workers exit.
            if of(files[pid], "K", pool=xs[0].f[0]):
                self.assertEqual(files[pid][-1].f[1], "exit")
        # ProcessPoolExecutor: one task per map chunk (chunksize 1), with
        # the pool id of the parent, each number once across the workers.
        tasks = [k for pid in workers for k in of(files[pid], "K")
                 if k.f[4] == xs[0].f[0]]
        self.assertEqual(sorted(k.f[5] for k in tasks if k.f[3] == "begin"),
                         [0, 1, 2, 3])
        self.assertEqual(sorted(k.f[5] for k in tasks if k.f[3] == "end"),
                         [0, 1, 2, 3])
        # multiprocessing.Pool: pool 0, four chunks over the workers.
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
