"""gilsim_probe.py - the recording probe of `gilsim record` (issue 17).

`gilsim record --out=DIR -- python3 app.py ARGS` runs the user's program,
unchanged, with PYTHONPATH=<this folder> and GILSIM_RECORD_DIR=DIR/raw.
Python imports sitecustomize.py from this folder at start-up, and it calls
install(DIR/raw). From then on the probe times every call in which CPython
releases the GIL, and the start and end of threads and pool tasks, and
writes them to DIR/raw/probe-<pid>.tsv, one file per process. The C side
(sim/record/) reads those files and turns them into a gilsim trace and a
workload file. Standard library only; Python 3.8 or later.

What is wrapped (stage 1), and the `call` each one records:
  time.sleep                                        sleep (bytes: the
                                                    ns it was asked for)
  socket.socket.connect / accept                    connect / accept
  socket.socket.send, sendall, sendto               send (bytes sent)
  socket.socket.recv, recv_into, recvfrom(_into)    recv (bytes received)
  select.select, the select() of each class in
    selectors (Select/Poll/Epoll/Devpoll/Kqueue)    select
  subprocess.Popen.wait                             wait
  threading.Thread.join, threading.Condition.wait
    (so Future.result, Event.wait, Semaphore and
    Barrier waits)                                  wait
  os.read / os.write (not on the probe's own file)  read / write (bytes)
  queue.Queue.get with block=True                   queue
  hashlib.new and the hashlib constructors that are
    functions (md5, sha*, sha3_*, shake_*), update()
    of the objects they return, zlib.compress,
    zlib.decompress, and the methods of
    compressobj()/decompressobj() objects, for
    inputs of at least 2048 bytes                   native (input bytes)
  os._exit                                          (writes Z exit first)
Threads: threading.Thread._bootstrap_inner, so every Thread (and every
subclass that overrides run()) writes `T start` and `T end`. Pools:
ThreadPoolExecutor, ProcessPoolExecutor, multiprocessing.Pool and
ThreadPool write an `X` line when made; ThreadPoolExecutor.submit and
ProcessPoolExecutor.submit wrap the task so that it writes `K begin` and
`K end` on the thread that runs it; multiprocessing.pool.mapstar and
starmapstar (one call per chunk of map/starmap) do the same with pool 0,
because the worker that runs a chunk does not know which pool sent it.

A call inside another recorded call of the same thread (Queue.get waits
in Condition.wait) is not recorded again: the outer call covers it.

Not yet (later stages): threading.Lock's own blocking acquires (`with
lock:` under contention);
bz2 and lzma; asyncio tasks; the file objects of open() (their C methods
cannot be patched); ssl reads and writes; socket.connect_ex and sendfile;
select.poll()/epoll() objects used directly (not through selectors);
zlib.crc32/adler32; hashlib.blake2b/blake2s called directly (they are
classes, which cannot be replaced without breaking isinstance();
hashlib.new("blake2b", ...) is recorded); queue.SimpleQueue and
multiprocessing queues (their pipe reads and writes show up as `read`
and `write`); Pool.apply_async and imap with chunksize 1 (no mapstar);
threads started with _thread.start_new_thread (no `T` lines, though
their calls are recorded); os.exec* (the buffered events are lost).

Modules are patched as they are imported, not all at start-up: a finder
at the head of sys.meta_path (_AfterImport) wraps the loader of each
module named in _PATCHES and patches the module as soon as it has run,
before the importer sees it, so `from time import sleep` and class
attributes such as SelectSelector._select = select.select get the wrapper.
Module-level functions are wrapped in _Plain, a functools.partial that is
not bound when stored on a class (multiprocessing.connection does
`_write = os.write`) and pickles by reference like the original (so
pool.map(zlib.compress, chunks) still works).

The raw log (a contract with the C reader; fields separated by one TAB,
no TAB/CR/LF inside a field, names cut to 60 characters; times are
time.monotonic_ns(), CPU times time.thread_time_ns() of the thread
concerned, tid is threading.get_native_id()):
  gilsim-probe  1
  P  <pid> <ppid> <t_ns> <python version> <sys.executable>
  S  <switch interval ns>   (sys.getswitchinterval() when the probe began)
  T  <tid> <t_ns> <cpu_ns> start|end <thread name>
  C  <tid> <t0_ns> <t1_ns> <cpu0_ns> <cpu1_ns> <call> <bytes> <ok>
  K  <tid> <t_ns> <cpu_ns> begin|end <pool> <task>
  X  <pool> <t_ns> <kind> <workers>
  Z  <t_ns> exit|signal-15
Lines after P are in the order the events were buffered, not sorted by
time. A thread that is still running when Z is written (a daemon thread,
or any thread after signal-15) has no `T end`: it ends at Z. Pool ids are
pid * 1000 + n, n counting the pools made in this process from 1.

Buffering: each event is one tuple appended to _events (atomic under the
GIL); lines are formatted only when the list is flushed: when it holds
BATCH events, before a fork, at exit and on SIGTERM. Flushing is guarded
by an RLock, not a plain lock, because the SIGTERM handler runs on the
main thread between two bytecodes and may interrupt a flush on that same
thread: a plain lock would deadlock there; with the RLock and _depth the
handler sees the flush in progress, leaves a note (_term_pending), and
the interrupted flush finishes the job. Files are written only with the
original os.write, whole lines at a time.

Fork: os.register_at_fork flushes before the fork; in the child, the
inherited list is dropped (it was flushed), the parent's descriptor is
closed, and the child's file (format line, P with the parent as ppid and
the fork time, T start of the thread that forked) is created at the
child's first flush. Creating it lazily matters: subprocess with a
preexec_fn forks, runs these hooks and then execs, and the new program
(often Python with this probe) must be free to create probe-<pid>.tsv.

Exit: an atexit handler writes T end of the main thread, the buffered
events and `Z exit`; nothing is written after Z. os._exit is wrapped to do
the same first, which covers forked children that skip atexit, such as
the workers of multiprocessing and ProcessPoolExecutor. SIGTERM: if the
program had no handler of its own at install time, ours writes
`Z signal-15`, flushes, restores SIG_DFL and sends SIGTERM again, so the
process still dies by SIGTERM.

Limits. The probe never changes results, exit statuses or exceptions,
but: a traceback through a wrapped call shows one more frame (the
wrapper); hashlib and zlib objects are proxies, so isinstance() against
their C types is False and hmac takes its pure-Python path (same
digests); signal.getsignal(SIGTERM) returns our handler, and a SIGTERM
takes effect when the main thread next runs Python code (at once if it
is blocked in a system call, which SIGTERM interrupts), not in the middle
of a long C computation; a KeyboardInterrupt raised inside a flush loses
that batch; a pid that already has a file (a program that re-execs
itself after it flushed) is not recorded; `python -S`, `-I` or `-E` load
no probe. Cost, measured on a 2-core VM (20 000 1-byte send+recv pairs on
a socketpair, issue 17): ~3 us per recorded call, of which ~1.7 us are
the two thread_time_ns() readings (each a clock_gettime system call that
no vDSO serves), ~0.5 us the wrapper and ~0.5 us formatting and writing.
"""
import _thread
import atexit
import functools
import itertools
import os
import signal
import sys
import threading
import time

FORMAT_VERSION = 1
BATCH = 4096        # events buffered before a flush
NATIVE_MIN = 2048   # bytes; CPython's HASHLIB_GIL_MINSIZE
NAME_MAX = 60       # characters kept of a thread name

# The originals, saved before anything is wrapped: the probe calls only
# these, never a wrapper.
_mono = time.monotonic_ns
_cpu = time.thread_time_ns
_native_id = threading.get_native_id
_os_write = os.write
_os_open = os.open
_os_close = os.close
_os_getpid = os.getpid
_os_kill = os.kill
_os_exit = os._exit

# Per-process state. The module globals below are reset in a forked child
# by _after_fork_child().
_events = []                  # buffered event tuples; always this list
_lock = _thread.RLock()       # guards flushing and the globals it writes
_depth = 0                    # 1 while the lock's owner is flushing
_fd = -1                      # our file, or -1 (none yet, or not recording)
_dir = ""                     # GILSIM_RECORD_DIR
_pid = 0                      # the pid this state belongs to
_child_header = None          # forked child, file not made yet: header args
_installed = False
_done = False                 # Z written or recording stopped: drop events
_term_pending = False         # SIGTERM came in during our own flush
_term_ours = False            # our SIGTERM handler is installed
_tls = _thread._local()       # .tid: this thread's native id (a cache)
_pool_ids = itertools.count(1)
_chunk_ids = itertools.count(0)

# How a wrapper finds the byte count of a call (see _timed).
(_NO_BYTES, _RESULT, _RESULT_LEN, _RESULT0, _RESULT0_LEN, _ARG1_LEN,
 _ARG0_NS) = range(7)


def _new_tid():
    tid = _tls.tid = _native_id()
    return tid


def _clean(text, cut=None):
    """Returns text with TAB, CR and LF replaced by spaces, cut to cut."""
    text = str(text).replace("\t", " ").replace("\r", " ").replace("\n", " ")
    if cut is not None:
        text = text[:cut]
    return text or "?"


def _nbytes(data):
    """Returns the size in bytes of a bytes-like object, or -1."""
    if type(data) is bytes or type(data) is bytearray:
        return len(data)
    try:
        with memoryview(data) as view:
            return view.nbytes
    except TypeError:
        return -1


def _add(event):
    """Buffers one event; for the rare ones (T, K, X)."""
    _events.append(event)
    if len(_events) >= BATCH:
        _flush()


# ---------------------------------------------------------------- writing

def _say(reason):
    try:
        sys.stderr.write("gilsim probe: not recording: %s\n" % reason)
        sys.stderr.flush()
    except Exception:
        pass


def _header_lines(ppid, t_ns, tid, cpu_ns, name):
    version = "%d.%d.%d" % tuple(sys.version_info[:3])
    return [("gilsim-probe", FORMAT_VERSION),
            ("P", _pid, ppid, t_ns, version, _clean(sys.executable)),
            ("S", int(round(sys.getswitchinterval() * 1e9))),
            ("T", tid, t_ns, cpu_ns, "start", _clean(name, NAME_MAX))]


def _open_file():
    path = os.path.join(_dir, "probe-%d.tsv" % _pid)
    flags = (os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_APPEND
             | getattr(os, "O_CLOEXEC", 0))
    return _os_open(path, flags, 0o644)


# One format per line kind, so that a batch is formatted with one %
# per line (%d is about twice as fast as str() and join).
_FORMATS = {
    "gilsim-probe": "%s\t%d",
    "P": "%s\t%d\t%d\t%d\t%s\t%s",
    "S": "%s\t%d",
    "T": "%s\t%d\t%d\t%d\t%s\t%s",
    "C": "%s\t%d\t%d\t%d\t%d\t%d\t%s\t%d\t%d",
    "K": "%s\t%d\t%d\t%d\t%s\t%d\t%d",
    "X": "%s\t%d\t%d\t%s\t%d",
    "Z": "%s\t%d\t%s",
}


def _format(batch):
    """Returns the lines of batch as one string, each ending in LF."""
    try:
        lines = [_FORMATS[e[0]] % e for e in batch]
    except Exception:
        # A field of an unexpected type (an int subclass whose %d
        # fails, say): format each line as text instead.
        lines = ["\t".join(map(str, e)) for e in batch]
    lines.append("")
    return "\n".join(lines)


def _write_events(batch):
    """Formats batch and writes it with one os.write (more if it is cut)."""
    view = memoryview(_format(batch).encode("utf-8", "replace"))
    while len(view):
        view = view[_os_write(_fd, view):]


def _emit(batch):
    """Writes batch to our file, making it first in a forked child.
    Called with _lock held. Stops recording (one line on stderr) if the
    file cannot be made or written."""
    global _fd, _child_header, _done
    if _done:
        return
    try:
        if _fd < 0:
            if _child_header is None:
                return
            _fd = _open_file()
            batch = _header_lines(*_child_header) + batch
            _child_header = None
        if batch:
            _write_events(batch)
    except OSError as e:
        _done = True
        _say(e)


def _take():
    n = len(_events)
    batch = _events[:n]
    del _events[:n]     # events appended meanwhile stay for the next flush
    return batch


def _flush():
    """Writes the buffered events. Returns False, writing nothing, when it
    interrupted a flush of the same thread (a signal handler)."""
    global _depth
    with _lock:
        if _depth:
            return False
        _depth = 1
        try:
            _emit(_take())
        finally:
            _depth = 0
    if _term_pending:
        _on_sigterm(signal.SIGTERM, None)
    return True


def _finish(how, end_thread):
    """Writes `T end` of the calling thread (if end_thread), the buffered
    events and `Z how`, and stops recording. Returns False when it
    interrupted a flush of the same thread."""
    global _depth, _done
    with _lock:
        if _done:
            return True
        if _depth:
            return False
        _depth = 1
        try:
            if end_thread:
                _events.append(("T", _native_id(), _mono(), _cpu(), "end",
                                _clean(threading.current_thread().name,
                                       NAME_MAX)))
            batch = _take()
            batch.append(("Z", _mono(), how))
            _emit(batch)
            _done = True
        finally:
            _depth = 0
    if _term_pending:
        _on_sigterm(signal.SIGTERM, None)
    return True


# --------------------------------------------------- exit, signals, fork

def _at_exit():
    global _term_ours
    try:
        _finish("exit", True)
        # From here on a SIGTERM must kill at once, as it would have
        # without us: the interpreter no longer runs Python handlers.
        if _term_ours and signal.getsignal(signal.SIGTERM) is _on_sigterm:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            _term_ours = False
    except Exception:
        pass


def _on_sigterm(signum, frame):
    global _term_pending
    try:
        if not _finish("signal-15", False):
            _term_pending = True    # the interrupted flush calls us again
            return
    except Exception:
        pass
    _term_pending = False
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    except ValueError:
        # Not the main thread (a flush there saw _term_pending): the
        # SIGTERM below runs this handler again on the main thread,
        # where Z is written already and SIG_DFL can be restored.
        pass
    _os_kill(_os_getpid(), signal.SIGTERM)


def _before_fork():
    try:
        _flush()
    except Exception:
        pass


def _after_fork_child():
    global _done
    try:
        _start_child()
    except Exception:
        _done = True    # this child is not recorded; it runs on


def _start_child():
    global _lock, _depth, _fd, _pid, _child_header, _tls, _pool_ids
    global _chunk_ids, _term_pending
    t_ns = _mono()
    _lock = _thread.RLock()     # the parent's may be held by a dead thread
    _depth = 0
    _term_pending = False
    del _events[:]              # flushed by _before_fork, or the parent's
    _tls = _thread._local()
    _pool_ids = itertools.count(1)
    _chunk_ids = itertools.count(0)
    if _fd >= 0:
        try:
            _os_close(_fd)
        except OSError:
            pass
    _fd = -1
    ppid, _pid = _pid, _os_getpid()
    if not _done:
        _child_header = (ppid, t_ns, _new_tid(), _cpu(),
                         threading.current_thread().name)


def _os_exit_wrapper(*args, **kw):
    try:
        _finish("exit", True)
    except Exception:
        pass
    return _os_exit(*args, **kw)


# ------------------------------------------------------------ wrappers

class _Plain(functools.partial):
    """A wrapped module-level function: it is called like the original,
    is not bound as a method when stored on a class, and pickles by
    reference to the original's name (which now names the wrapper)."""

    def __get__(self, obj, objtype=None):
        # Not bound, like a builtin function. (functools.partial warns
        # here in 3.13 and binds from 3.14 on: gh-121027.)
        return self

    def __reduce__(self):
        return self.__qualname__

    def __repr__(self):
        return repr(self.__wrapped__)


def _plain(wrapper, orig, module, name):
    """Wraps wrapper in a _Plain that looks like orig, and that pickles
    as module.name (where it is installed, e.g. os.read rather than
    posix.read, whose name still gives the original)."""
    p = _Plain(wrapper)
    functools.update_wrapper(p, orig)
    p.__module__ = module.__name__
    p.__qualname__ = p.__name__ = name
    p._gilsim = True
    return p


def _method(wrapper, orig):
    functools.update_wrapper(wrapper, orig)
    wrapper._gilsim = True
    return wrapper


def _seconds_ns(args):
    """time.sleep's argument in ns, -1 if it is not a plain number."""
    try:
        s = args[0]
        return int(s * 1e9) if s >= 0 else -1
    except Exception:
        return -1


def _timed(orig, call, size):
    """Returns a function that calls orig and records a `C call` line.
    size says where the byte count comes from (_NO_BYTES, ...). A call
    made inside another recorded call of the same thread (Queue.get's
    Condition.wait, Popen.wait's sleeps) is not recorded: the outer call
    covers it."""
    def wrapper(*args, **kw):
        try:
            tid = _tls.tid
        except AttributeError:
            tid = _new_tid()
        if getattr(_tls, "inside", False):
            return orig(*args, **kw)
        _tls.inside = True
        c0 = _cpu()
        t0 = _mono()
        try:
            r = orig(*args, **kw)
        except BaseException:
            t1 = _mono()
            _tls.inside = False
            _events.append(("C", tid, t0, t1, c0, _cpu(), call, -1, 0))
            raise
        t1 = _mono()
        c1 = _cpu()
        _tls.inside = False
        if size == _NO_BYTES:
            n = -1
        elif size == _RESULT:
            n = r
        elif size == _RESULT_LEN:
            n = len(r)
        elif size == _RESULT0:
            n = r[0]
        elif size == _RESULT0_LEN:
            n = len(r[0])
        elif size == _ARG0_NS:
            n = _seconds_ns(args)
        else:
            n = _nbytes(args[1])
        _events.append(("C", tid, t0, t1, c0, c1, call, n, 1))
        if len(_events) >= BATCH:
            _flush()
        return r
    return wrapper


def _timed_fd(orig, call, size):
    """_timed for os.read/os.write: not recorded on the probe's file."""
    timed = _timed(orig, call, size)

    def wrapper(*args, **kw):
        if args and args[0] == _fd:
            return orig(*args, **kw)
        return timed(*args, **kw)
    return wrapper


def _native(fn, args, kw, nbytes):
    """Calls fn(*args, **kw), recording a `C native` line of nbytes."""
    try:
        tid = _tls.tid
    except AttributeError:
        tid = _new_tid()
    c0 = _cpu()
    t0 = _mono()
    try:
        r = fn(*args, **kw)
    except BaseException:
        t1 = _mono()
        _events.append(("C", tid, t0, t1, c0, _cpu(), "native", nbytes, 0))
        raise
    t1 = _mono()
    c1 = _cpu()
    _events.append(("C", tid, t0, t1, c0, c1, "native", nbytes, 1))
    if len(_events) >= BATCH:
        _flush()
    return r


def _wrap_queue_get(orig):
    timed = _timed(orig, "queue", _NO_BYTES)

    def get(self, block=True, timeout=None):
        if not block:
            return orig(self, block, timeout)
        return timed(self, block, timeout)
    return _method(get, orig)


# ----------------------------------------------------- hashlib and zlib

class _Hash:
    """Stands in for a hashlib object, whose C methods cannot be patched:
    update() records a `native` call for inputs of NATIVE_MIN bytes or
    more (CPython hashes those with the GIL released); everything else is
    passed through. isinstance() against the C type is False."""
    __slots__ = ("_h",)

    def __init__(self, h):
        self._h = h

    def update(self, data):
        n = _nbytes(data)
        if n < NATIVE_MIN:
            return self._h.update(data)
        return _native(self._h.update, (data,), {}, n)

    def digest(self, *args, **kw):
        return self._h.digest(*args, **kw)

    def hexdigest(self, *args, **kw):
        return self._h.hexdigest(*args, **kw)

    def copy(self):
        return _Hash(self._h.copy())

    @property
    def name(self):
        return self._h.name

    @property
    def digest_size(self):
        return self._h.digest_size

    @property
    def block_size(self):
        return self._h.block_size

    def __getattr__(self, attr):
        if attr == "_h":            # not set yet: no endless recursion
            raise AttributeError(attr)
        return getattr(self._h, attr)

    def __repr__(self):
        return repr(self._h)

    def __reduce_ex__(self, protocol):
        return self._h.__reduce_ex__(protocol)   # raises as the original


def _wrap_hash_ctor(orig, data_pos):
    """A hashlib constructor returning a _Hash; data is the argument at
    data_pos, or the keyword data/string."""
    def ctor(*args, **kw):
        if len(args) > data_pos:
            data = args[data_pos]
        else:
            data = kw.get("data", kw.get("string"))
        n = _nbytes(data) if data is not None else -1
        if n >= NATIVE_MIN:
            return _Hash(_native(orig, args, kw, n))
        return _Hash(orig(*args, **kw))
    return ctor


class _ZStream:
    """Stands in for a zlib compressobj()/decompressobj() object:
    compress() and decompress() record a `native` call for inputs of
    NATIVE_MIN bytes or more; flush() records one when the smaller inputs
    fed since the last flush add up to NATIVE_MIN (it compresses them),
    with that sum as bytes. Attributes (unused_data, eof, ...) are passed
    through."""
    __slots__ = ("_z", "_fed")

    def __init__(self, z):
        self._z = z
        self._fed = 0

    def _run(self, fn, args, kw):
        n = _nbytes(args[0]) if args else -1
        if n < NATIVE_MIN:
            if n > 0:
                self._fed += n
            return fn(*args, **kw)
        return _native(fn, args, kw, n)

    def compress(self, *args, **kw):
        return self._run(self._z.compress, args, kw)

    def decompress(self, *args, **kw):
        return self._run(self._z.decompress, args, kw)

    def flush(self, *args, **kw):
        n, self._fed = self._fed, 0
        if n < NATIVE_MIN:
            return self._z.flush(*args, **kw)
        return _native(self._z.flush, args, kw, n)

    def copy(self):
        other = _ZStream(self._z.copy())
        other._fed = self._fed
        return other

    def __copy__(self):
        return self.copy()

    def __deepcopy__(self, memo):
        return self.copy()

    def __getattr__(self, attr):
        if attr in ("_z", "_fed"):  # not set yet: no endless recursion
            raise AttributeError(attr)
        return getattr(self._z, attr)

    def __repr__(self):
        return repr(self._z)

    def __reduce_ex__(self, protocol):
        return self._z.__reduce_ex__(protocol)   # raises as the original


def _wrap_zlib_call(orig):
    def call(*args, **kw):
        n = _nbytes(args[0]) if args else -1
        if n >= NATIVE_MIN:
            return _native(orig, args, kw, n)
        return orig(*args, **kw)
    return call


def _wrap_zlib_obj(orig):
    def make(*args, **kw):
        return _ZStream(orig(*args, **kw))
    return make


# --------------------------------------------------- threads and pools

def _wrap_bootstrap_inner(orig):
    def _bootstrap_inner(self):
        tid = _new_tid()
        _add(("T", tid, _mono(), _cpu(), "start", _clean(self.name, NAME_MAX)))
        try:
            orig(self)
        finally:
            _add(("T", tid, _mono(), _cpu(), "end",
                  _clean(self.name, NAME_MAX)))
    return _method(_bootstrap_inner, orig)


def _task_begin(pool, seq):
    try:
        tid = _tls.tid
    except AttributeError:
        tid = _new_tid()
    _add(("K", tid, _mono(), _cpu(), "begin", pool, seq))
    return tid


def _task_end(tid, pool, seq):
    _add(("K", tid, _mono(), _cpu(), "end", pool, seq))


class _Task:
    """A task submitted to a ProcessPoolExecutor: runs fn in the worker
    between `K begin` and `K end`. Module-level so that it pickles (by
    reference, with fn) whenever fn does; the worker inherits PYTHONPATH
    and so can import this module."""
    __slots__ = ("fn", "pool", "seq")

    def __init__(self, fn, pool, seq):
        self.fn = fn
        self.pool = pool
        self.seq = seq

    def __reduce__(self):
        return (_Task, (self.fn, self.pool, self.seq))

    def __call__(self, *args, **kwargs):
        tid = _task_begin(self.pool, self.seq)
        try:
            return self.fn(*args, **kwargs)
        finally:
            _task_end(tid, self.pool, self.seq)


def _thread_task(fn, pool, seq):
    def task(*args, **kwargs):
        tid = _task_begin(pool, seq)
        try:
            return fn(*args, **kwargs)
        finally:
            _task_end(tid, pool, seq)
    return task


def _pool_made(obj, t_ns, kind, workers):
    pool = _pid * 1000 + next(_pool_ids)
    try:
        workers = int(workers)
    except (TypeError, ValueError):
        workers = -1
    obj._gilsim_pool = pool
    obj._gilsim_seq = itertools.count(0)
    _add(("X", pool, t_ns, kind, workers))


def _wrap_executor_init(orig, kind):
    def __init__(self, *args, **kwargs):
        t_ns = _mono()
        orig(self, *args, **kwargs)
        _pool_made(self, t_ns, kind, getattr(self, "_max_workers", -1))
    return _method(__init__, orig)


def _wrap_submit(orig, make_task):
    def submit(self, fn, /, *args, **kwargs):
        pool = getattr(self, "_gilsim_pool", None)
        if pool is None:
            return orig(self, fn, *args, **kwargs)
        return orig(self, make_task(fn, pool, next(self._gilsim_seq)),
                    *args, **kwargs)
    return _method(submit, orig)


def _wrap_mp_pool_init(orig, thread_pool_class):
    def __init__(self, *args, **kwargs):
        t_ns = _mono()
        orig(self, *args, **kwargs)
        # ThreadPool.__init__ calls Pool.__init__: one X per pool.
        if getattr(self, "_gilsim_pool", None) is None:
            kind = ("mp_threadpool" if isinstance(self, thread_pool_class)
                    else "processpool")
            _pool_made(self, t_ns, kind, getattr(self, "_processes", -1))
    return _method(__init__, orig)


def _wrap_star(orig):
    """mapstar/starmapstar: one call runs one chunk of a map. Pool 0, and
    the chunk's number counts the chunks run in this process."""
    def star(args):
        seq = next(_chunk_ids)
        tid = _task_begin(0, seq)
        try:
            return orig(args)
        finally:
            _task_end(tid, 0, seq)
    return _method(star, orig)


# ------------------------------------------------------------- patches

def _set(owner, name, make):
    """owner.name = make(owner.name), once, if owner has it."""
    orig = getattr(owner, name, None)
    if orig is None or getattr(orig, "_gilsim", False):
        return
    setattr(owner, name, make(orig))


def _set_plain(module, name, make):
    """module.name = a _Plain of make(module.name), once, if module has
    it and it is a function (a class such as hashlib.blake2b must stay a
    class: isinstance() takes it)."""
    orig = getattr(module, name, None)
    if (orig is None or isinstance(orig, type)
            or getattr(orig, "_gilsim", False)):
        return
    setattr(module, name, _plain(make(orig), orig, module, name))


def _patch_time(m):
    _set_plain(m, "sleep", lambda f: _timed(f, "sleep", _ARG0_NS))


def _patch_os(m):
    _set_plain(m, "read", lambda f: _timed_fd(f, "read", _RESULT_LEN))
    _set_plain(m, "write", lambda f: _timed_fd(f, "write", _RESULT))
    _set_plain(m, "_exit", lambda f: _os_exit_wrapper)


def _patch_threading(m):
    _set(m.Thread, "_bootstrap_inner", _wrap_bootstrap_inner)
    # Waiting for another thread: Thread.join, and Condition.wait, which
    # Future.result, Event.wait, Semaphore.acquire, Barrier.wait and
    # Queue.get block in (their C lock acquires cannot be patched).
    _set(m.Thread, "join",
         lambda f: _method(_timed(f, "wait", _NO_BYTES), f))
    _set(m.Condition, "wait",
         lambda f: _method(_timed(f, "wait", _NO_BYTES), f))


def _patch_socket(m):
    cls = m.socket
    for name, call, size in (
            ("connect", "connect", _NO_BYTES),
            ("accept", "accept", _NO_BYTES),
            ("send", "send", _RESULT),
            ("sendall", "send", _ARG1_LEN),
            ("sendto", "send", _RESULT),
            ("recv", "recv", _RESULT_LEN),
            ("recv_into", "recv", _RESULT),
            ("recvfrom", "recv", _RESULT0_LEN),
            ("recvfrom_into", "recv", _RESULT0)):
        _set(cls, name,
             lambda f, c=call, s=size: _method(_timed(f, c, s), f))


def _patch_select(m):
    _set_plain(m, "select", lambda f: _timed(f, "select", _NO_BYTES))


def _patch_selectors(m):
    seen = set()
    for name in ("SelectSelector", "PollSelector", "EpollSelector",
                 "DevpollSelector", "KqueueSelector"):
        cls = getattr(m, name, None)
        if cls is None or cls in seen:
            continue
        seen.add(cls)
        # SelectSelector.select calls self._select, which is select.select
        # and so already recorded when the select module was patched first.
        if getattr(cls.__dict__.get("_select"), "_gilsim", False):
            continue
        _set(cls, "select",
             lambda f: _method(_timed(f, "select", _NO_BYTES), f))


def _patch_subprocess(m):
    _set(m.Popen, "wait",
         lambda f: _method(_timed(f, "wait", _NO_BYTES), f))


def _patch_queue(m):
    _set(m.Queue, "get", _wrap_queue_get)


def _patch_hashlib(m):
    _set_plain(m, "new", lambda f: _wrap_hash_ctor(f, 1))
    for name in ("md5", "sha1", "sha224", "sha256", "sha384", "sha512",
                 "blake2b", "blake2s", "sha3_224", "sha3_256", "sha3_384",
                 "sha3_512", "shake_128", "shake_256"):
        _set_plain(m, name, lambda f: _wrap_hash_ctor(f, 0))


def _patch_zlib(m):
    _set_plain(m, "compress", _wrap_zlib_call)
    _set_plain(m, "decompress", _wrap_zlib_call)
    _set_plain(m, "compressobj", _wrap_zlib_obj)
    _set_plain(m, "decompressobj", _wrap_zlib_obj)


def _patch_cf_thread(m):
    cls = m.ThreadPoolExecutor
    _set(cls, "__init__", lambda f: _wrap_executor_init(f, "threadpool"))
    _set(cls, "submit", lambda f: _wrap_submit(f, _thread_task))


def _patch_cf_process(m):
    cls = m.ProcessPoolExecutor
    _set(cls, "__init__", lambda f: _wrap_executor_init(f, "processpool"))
    _set(cls, "submit", lambda f: _wrap_submit(f, _Task))


def _patch_mp_pool(m):
    _set(m.Pool, "__init__", lambda f: _wrap_mp_pool_init(f, m.ThreadPool))
    _set(m, "mapstar", _wrap_star)
    _set(m, "starmapstar", _wrap_star)


# Modules patched when imported (or at install if they already are).
_PATCHES = {
    "time": _patch_time,
    "os": _patch_os,
    "threading": _patch_threading,
    "socket": _patch_socket,
    "select": _patch_select,
    "selectors": _patch_selectors,
    "subprocess": _patch_subprocess,
    "queue": _patch_queue,
    "hashlib": _patch_hashlib,
    "zlib": _patch_zlib,
    "concurrent.futures.thread": _patch_cf_thread,
    "concurrent.futures.process": _patch_cf_process,
    "multiprocessing.pool": _patch_mp_pool,
}


def _patch(name, module):
    try:
        _PATCHES[name](module)
    except Exception:
        pass    # a module we cannot patch is simply not recorded


class _AfterImport:
    """A meta path finder that finds nothing itself: for the modules in
    _PATCHES it asks the finders after it and wraps the loader they
    return in _PatchingLoader."""

    def find_spec(self, name, path=None, target=None):
        if name not in _PATCHES:
            return None
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            if finder is self or find is None:
                continue
            spec = find(name, path, target)
            if spec is not None:
                break
        else:
            return None
        if spec.loader is not None and hasattr(spec.loader, "exec_module"):
            spec.loader = _PatchingLoader(spec.loader)
        return spec


class _PatchingLoader:
    """Runs the module with the real loader, puts that loader back on the
    module, then patches the module."""

    def __init__(self, loader):
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        module.__loader__ = self._loader
        if getattr(module, "__spec__", None) is not None:
            module.__spec__.loader = self._loader
        self._loader.exec_module(module)
        _patch(module.__name__, module)

    def __getattr__(self, attr):
        return getattr(self._loader, attr)


# ------------------------------------------------------------- install

def install(folder):
    """Starts recording into folder/probe-<pid>.tsv. Raises (OSError,
    ...) when it cannot; the caller (sitecustomize) prints one line and
    the program runs unrecorded. Does nothing when already installed."""
    global _installed, _fd, _dir, _pid, _term_ours
    if _installed:
        return
    _dir = os.path.abspath(folder)     # the program may chdir later
    _pid = _os_getpid()
    t_ns = _mono()
    _fd = _open_file()
    try:
        with _lock:
            _write_events(_header_lines(os.getppid(), t_ns, _new_tid(),
                                        _cpu(),
                                        threading.main_thread().name))
    except BaseException:
        _os_close(_fd)
        _fd = -1
        try:
            os.unlink(os.path.join(_dir, "probe-%d.tsv" % _pid))
        except OSError:
            pass
        raise
    _installed = True

    atexit.register(_at_exit)
    os.register_at_fork(before=_before_fork, after_in_child=_after_fork_child)
    if (threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL):
        signal.signal(signal.SIGTERM, _on_sigterm)
        _term_ours = True

    for name in _PATCHES:
        module = sys.modules.get(name)
        if module is not None:
            _patch(name, module)
    sys.meta_path.insert(0, _AfterImport())
