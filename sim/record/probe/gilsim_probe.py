"""gilsim_probe.py - the recording probe of `gilsim record` (issue 17).

`gilsim record --out=DIR -- python3 app.py ARGS` runs the user's program,
unchanged, with PYTHONPATH=<this folder> and GILSIM_RECORD_DIR=DIR/raw.
Python imports sitecustomize.py from this folder at start-up, and it calls
install(DIR/raw). From then on the probe times every call in which CPython
releases the GIL, and the start and end of threads and pool tasks, and
writes them to DIR/raw/probe-<pid>.tsv, one file per process. The C side
(sim/record/) reads those files and turns them into a gilsim trace and a
workload file. Standard library only; Python 3.8 or later.

What is wrapped, and the `call` each one records:
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
  threading.Lock (so the locks of Condition(),
    Event, Semaphore, Barrier and queue.Queue made
    after install): an acquire that could not take
    the lock at once and blocks                     lock (bytes 0; ok 0
                                                    when it timed out)
    and, not as a call: each hold, from a
    successful acquire to its release by the
    same thread                                     an H line
  hashlib.new and the hashlib constructors that are
    functions (md5, sha*, sha3_*, shake_*), update()
    of the objects they return, zlib.compress,
    zlib.decompress, and the methods of
    compressobj()/decompressobj() objects; bz2 and
    lzma's compress and decompress, and the methods
    of their BZ2Compressor, BZ2Decompressor,
    LZMACompressor and LZMADecompressor objects; for
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
in Condition.wait and takes the queue's lock; bz2.compress runs a
BZ2Compressor) is not recorded again: the outer call covers it.

threading.Lock: the module attribute is replaced by _Lock, a class whose
objects hold a real lock (_thread.allocate_lock()). acquire() first tries
the real non-blocking acquire; only when that fails does a blocking
acquire get timed, as `C lock`. Each hold is recorded, as an `H` line:
every acquire that succeeds (`with lock:`, acquire() blocking or not,
with a timeout or without) stores in slots of the lock the thread's tid
and its t0 and cpu0, read once it holds the lock (after the `C lock`
call's end when it waited), and the release by that same thread reads
cpu1 and t1 right before the real release and buffers the line after it.
A lock gets its number when the first of its holds is recorded (a
process-wide counter from 1; a forked child keeps the numbers it
inherits and goes on counting). Not recorded, the lock working as ever:
a hold that begins inside a recorded call (the queue's lock that
Queue.get takes as it waits), one released by another thread than the
one that took it (legal for a Lock), one still open at exit, and in a
forked child one taken in the parent before the fork (the thread has a
new tid). Condition uses the lock's acquire and release (its fallbacks),
so Condition.wait ends a hold when it releases the lock; it takes the
lock again inside the recorded wait, so its wrapper begins the new hold
as it returns (t0 after the `C wait` line's t1; none if the wait raised).
release is _Lock's own (on an unlocked lock it raises the real one's
RuntimeError), as are acquire_lock and release_lock (the same methods);
locked, repr, pickling (refused) and copying (refused) are the real
lock's, _at_fork_reinit (3.9+) the real one's plus clearing the hold.
Like the real lock it has no _release_save/_acquire_restore/_is_owned,
so Condition uses its fallbacks. An uncontended `with lock:` costs
~2.4 us on 3.11 (~2.9 to 3.3 us on 3.8 to 3.10, 3.12 and 3.13), on the
2-core VM below, where it cost ~220-310 ns before holds were recorded
and ~110-200 ns with a real lock: most of it the two thread_time_ns()
readings (~0.6 us each, system calls, see Limits), then ~0.5 us of
Python more than before and ~0.5 us formatting and writing the line.
threading.RLock, _thread.allocate_lock, threading._allocate_lock and
locks made before the probe was installed (or from a `Lock` imported
before it) are real locks, not recorded.

bz2 and lzma: their module functions are wrapped (one `native` call of
the input's size; the compressor they use inside is not recorded again),
and their four classes, C types that can be neither patched nor
subclassed, are replaced on the module by stand-in classes (_Compressor,
_Decompressor) whose objects hold the real one. A compressor's flush()
records the input fed since the last flush, of any sizes, when it adds up
to 2048 bytes (bz2 and xz buffer whole blocks: the flush often does most
of the work). bz2.open/BZ2File and lzma.open/LZMAFile are covered: they
make their (de)compressors from these module names, so their writes, the
closing flush and each read of a block of 2048 bytes or more are
recorded (a read that decompresses input buffered earlier is not).
isinstance(x, bz2.BZ2Compressor) (and issubclass) is True for real
objects and stand-ins alike; isinstance(stand-in, _bz2.BZ2Compressor)
is False.

asyncio: BaseEventLoop.create_task (asyncio.create_task, ensure_future,
gather, TaskGroup, loop.run_until_complete and asyncio.run's main
coroutine all make tasks there, and so does a custom task factory, which
gets the wrapped coroutine) gives the Task a _TaskCoro in place of a
native coroutine: each send/throw into the coroutine is one step, an `A`
line. The first task a loop makes writes `X <pool> <t> asyncio 0` (a pool
id from the same counter as the other pools, kept on the loop); tasks are
numbered per loop from 0 in create_task order, and each writes `G pool
parent task` when made, parent being the task of this loop that was
running then (-1: none, as for asyncio.run's main coroutine or a task
made from a callback). A task's first step writes `K begin` first (with
its start's stamps) and the step in which its coroutine returned, raised
or was cancelled (or a close() that finished it) writes `K end` last
(with its end's stamps). A coroutine closed before it ever ran writes no
K line. asyncio.run's clean-up tasks (shutdown_asyncgens,
shutdown_default_executor) are not wrapped. A step is not a recorded
call: the calls it makes (a blocking send, a time.sleep) are recorded as
usual. asyncio.Semaphore (BoundedSemaphore too) and asyncio.Lock acquires
(still coroutine functions) made in one of these tasks write a `W` line
from the call to the return, waited or not, with the primitive's number
(counted per process from 1, kept on the object) and a semaphore's
initial value (1 for a lock; an asyncio.Condition's lock is one, so
`async with cond:` and the re-acquire that ends cond.wait() write W lines
too). Not covered: event loops whose create_task is not BaseEventLoop's
(uvloop), Tasks made directly (asyncio.Task(coro)), generator-based
coroutines, and the awaits of asyncio.Event, Condition.wait and Queue
(only the loop's selects show them).

Not yet (later stages): the file objects of open() (their C methods
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
     [<rq0_ns> <rq1_ns>]
  K  <tid> <t_ns> <cpu_ns> begin|end <pool> <task>
  X  <pool> <t_ns> <kind> <workers>
  A  <tid> <t0_ns> <t1_ns> <cpu0_ns> <cpu1_ns> <pool> <task>
  G  <pool> <parent task, or -1> <task>
  W  <tid> <t0_ns> <t1_ns> <pool> <task> sem|lock <prim> <value>
  H  <tid> <t0_ns> <t1_ns> <cpu0_ns> <cpu1_ns> <lock>
  O  <events> <ns_per_event> <ns_between>
  Z  <t_ns> exit|signal-15
Lines after P are in the order the events were buffered, not sorted by
time. rq0 and rq1 (see "Run-queue delay"): the thread's run_delay, the
raw second number of /proc/thread-self/schedstat (ns it was runnable and
had no core, in all), at the call's start and end: rq1 >= rq0, and a
thread's rq0 is never less than its previous call's rq1. Without them
(schedstat cannot be read for that thread) a C line has 9 fields. A
thread that is still running when Z is written (a daemon thread,
or any thread after signal-15) has no `T end`: it ends at Z. Pool ids are
pid * 1000 + n, n counting the pools made in this process from 1. call
is one of sleep connect accept send recv select wait read write queue
native lock; kind one of threadpool processpool mp_threadpool asyncio
(workers 0). The asyncio lines (above): X comes before any line of its
pool; per task, in file order, K begin, its A lines, and K end when it
ended (a task still suspended at Z has none; after signal-15 in the
middle of its first step, it has K begin alone), all on the loop's thread;
C lines of calls made inside a step come before that step's A. G is
written once create_task has returned (after the first step's K begin
and A when an eager task factory ran that step inside create_task); W
when the acquire returned or raised. H (see threading.Lock above):
thread tid held threading.Lock number lock (>= 1, per process) from t0
to t1, its CPU clock reading cpu0 at t0 and cpu1 at t1 (cpu0 <= cpu1;
read after t0 and before t1); written at the release, so after the
lines of the calls made while it was held (a C line inside [t0, t1])
and after the `C lock` line of the wait that began it (whose t1 <= t0).
The holds of one lock never overlap. A hold ended by Condition.wait
ends inside that `C wait` (its t1 between the call's t0 and t1), and the
one the wait begins starts at or after the call's t1. O, right before
Z: the timed events (C, A, W and H lines) this process wrote, and what
each cost it: the wrapper path measured at install (_measure_cost) plus
the schedstat reads the process made, spread over its events (_cost; a
forked child counts its own events and reads from 0 and keeps its
parent's measurements). A hold costs about what that path does (its two
pairs of clock readings, a tuple, the formatting: ~0.85 to 1.05 times
_measure_cost's figure, 3.8 to 3.13), so it counts as one event at
that cost. A process killed (SIGKILL, or SIGTERM in a forked child)
writes neither O nor Z.

Buffering: each event is one tuple appended to _events (atomic under the
GIL); lines are formatted only when the list is flushed: when it holds
BATCH events (CHILD_BATCH in a forked child, which also flushes at the end
of each pool task: see Fork), before a fork, at exit and on SIGTERM.
Before each write, fstat checks that our descriptor still names our file:
if the program closed it (os.closerange) and maybe reused its number, the
file is opened again by its path and the old number left to the program
(never written, never closed). Flushing is guarded
by an RLock, not a plain lock, because the SIGTERM handler runs on the
main thread between two bytecodes and may interrupt a flush on that same
thread: a plain lock would deadlock there; with the RLock and _depth the
handler sees the flush in progress, leaves a note (_term_pending), and
the interrupted flush finishes the job. Files are written only with the
original os.write, whole lines at a time.

Fork: os.register_at_fork flushes before the fork; in the child, the
inherited list is dropped (it was flushed), the parent's descriptors (its
file, and its threads' schedstat: each names a thread of the parent) are
closed, and the child's file (format line, P with the parent as ppid and
the fork time, T start of the thread that forked) is created at the
child's first flush. Creating it lazily matters: subprocess with a
preexec_fn forks, runs these hooks and then execs, and the new program
(often Python with this probe) must be free to create probe-<pid>.tsv.
The child also sets SIGTERM back to SIG_DFL when our handler is still
its disposition (see Exit), so SIGTERM kills it at once, without writing:
what it buffered after its last flush is lost, as with SIGKILL (no O, no
Z; a child killed before its first flush has no file). So a forked child
flushes sooner: when it holds CHILD_BATCH (256) events, not BATCH, and at
the end of each pool task (K end: each task a Pool worker ran is in its
file when Pool.terminate() kills it; a flush of a few lines costs ~10 us,
small beside a process pool's task).

Run-queue delay: each thread opens /proc/thread-self/schedstat
(O_RDONLY|O_CLOEXEC, with the original os.open) on its first recorded
call and keeps the descriptor in _tls (_rq_open): a descriptor names the
thread that opened it, so none is shared. It is read with os.pread(fd,
64, 0) (a /proc file is made anew at offset 0), ~1.5 us, and like any
os.pread that releases the GIL for a moment. The kernel adds each wait
for a core when the thread next runs, so what a running thread reads is
up to date. Reads are made only when they can matter: run_delay grows
only while the thread is off its core, so when the thread spent less
than RQ_REUSE_NS (20 us) off-CPU (wall minus CPU time) since its last
read, the value read last stands for now. So a call that blocks (a
sleep, a wait, a recv that waits for data) reads at its end, and one that
follows time off-CPU (a GIL wait) reads at its start too; back-to-back
calls that do not block (a send with room in the buffer) read nothing.
A call's rq1 - rq0 may then miss up to 20 us of its own wait (counted in
a later call's instead) or include up to 20 us from before it; a read at
the start comes after the t0 and cpu0 stamps (its ~1.5 us, CPU time, are
inside the call). The descriptor is closed when a threading.Thread ends
(the end of _bootstrap_inner); a thread started otherwise
(_thread.start_new_thread) keeps its own until the process exits. A
process keeps at most RQ_MAX (256) of them, or a sixteenth of its soft
RLIMIT_NOFILE if that is less (64 at the usual 1024), so that the probe
is not what runs the program out of descriptors; more threads write
9-field C lines. Every read is checked: a failed read, content that is
not three whole numbers, or a run_delay that goes back stops schedstat
for that thread (9-field lines from then on) and never raises: a program
that closes our descriptors (os.closerange) and reuses their numbers has
its files left alone (a pread moves no offset, and a pipe or socket
refuses it), and a descriptor is closed only if fstat says it still
names the file we opened. (A file of the program holding three whole
numbers on one line, opened on such a number, could be read as long as
the middle one does not go back.)

Exit: an atexit handler writes T end of the main thread, the buffered
events, O and `Z exit`; nothing is written after Z. os._exit is wrapped to do
the same first, which covers forked children that skip atexit, such as
the workers of multiprocessing and ProcessPoolExecutor. SIGTERM: if the
program had no handler of its own at install time, ours writes O and
`Z signal-15`, flushes, restores SIG_DFL and sends SIGTERM again, so the
process still dies by SIGTERM. That holds in the process where the probe
was installed, not in a forked child: a Python handler only sets a flag
that the main thread acts on when it next runs Python code, so a
multiprocessing.Pool worker that Pool.terminate() signals just as it
blocks in sem_wait would wait there forever, where SIG_DFL kills it. A
forked child therefore puts SIG_DFL back (_sigterm_default), with
SIGTERM blocked meanwhile so that one arriving then still kills it.

Limits. The probe never changes results, exit statuses or exceptions,
but: a traceback through a wrapped call shows one more frame (the
wrapper), and so do tracebacks and stacks (traceback.print_stack, a
Task's source traceback in debug mode) seen from inside an asyncio task
(the step's send, __next__ or throw); hashlib and zlib objects are
proxies, so isinstance() against their C types is False and hmac takes
its pure-Python path (same digests); type(threading.Lock()) is _Lock and
type(bz2.BZ2Compressor()) a stand-in class (isinstance() against
threading.Lock, a class on 3.13, and against the bz2/lzma module names
holds for real objects too, see above; on 3.8-3.12 threading.Lock was a
function, against which isinstance() raised); a Task's get_coro() is the
_TaskCoro (asyncio.iscoroutine() accepts it, inspect.iscoroutine() does
not; its cr_* attributes and names are the coroutine's); the deprecated
3-argument throw() on 3.12+ warns from our frame, so the default filters
hide that DeprecationWarning; with an eager task factory (3.12+) a task's
first step runs inside create_task, so its A line lies inside its
parent's; in the process the probe was installed in,
signal.getsignal(SIGTERM) returns our handler, and a SIGTERM takes effect
when the main thread next runs Python code (at once if it is blocked in a
system call that SIGTERM interrupts and CPython then checks for signals),
not inside C code that retries on EINTR (os.system's wait) or in the
middle of a long C computation; each thread that made a recorded call
holds one more file descriptor while it runs (schedstat, above: so the
program's new descriptors may get numbers one higher), and a read of it
releases the GIL for a moment; a KeyboardInterrupt raised inside a flush loses
that batch; a pid that already has a file (a program that re-execs
itself after it flushed) is not recorded; `python -S`, `-I` or `-E` load
no probe. Cost, measured on a 2-core VM (20 000 1-byte send+recv pairs on
a socketpair, issue 17): ~3.5 us per recorded call (~3 us before the
run-queue delay), of which ~1.7 us are the two thread_time_ns() readings
(each a clock_gettime system call that no vDSO serves), ~0.5 us the
wrapper and ~0.6 us formatting and writing (two fields more with rq0
and rq1); those calls do not block, so they read no schedstat. A read
of schedstat costs ~1.4 to 1.7 us more (os.pread and the checks), and a
call that blocks makes one or two: threads exchanging bytes through two
pipes, every read blocking, pay ~8 to 10 us per call instead of ~5 (on
that critical path the cost shows more than its CPU time). _measure_cost,
which each process runs at install (~1 ms), says ~2.4 to 2.7 us per
event there without reads (3.8 to 3.13; ~2.1 to 2.3 before the
run-queue delay), and measures a read: the wrapper path and the
formatting, not the write; O adds the reads the process made (_cost).
A forked child's flush at each pool task's end costs ~5 to 10 us
(formatting, fstat, write: a multiprocessing.Pool.map of trivial
chunks ran at ~45 us a chunk, ~25 unrecorded, ~40 before). An asyncio
step costs a little more than a call (20 000 steps of `await
asyncio.sleep(0)`: ~1.0 us each unrecorded, ~4 us recorded, with the
loop's selects).
"""
import _thread
import atexit
import collections.abc
import functools
import itertools
import os
import signal
import sys
import threading
import time
import types

FORMAT_VERSION = 1
BATCH = 4096        # events buffered before a flush
CHILD_BATCH = 256   # the same in a forked child (see _start_child)
RQ_REUSE_NS = 20000  # off-CPU ns since its last read: a thread reads again
RQ_MAX = 256        # schedstat descriptors a process keeps at most
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
_os_fstat = os.fstat
_pread = os.pread
_os_getpid = os.getpid
_os_kill = os.kill
_os_exit = os._exit
_allocate_lock = _thread.allocate_lock
_CoroutineType = types.CoroutineType

# Per-process state. The module globals below are reset in a forked child
# by _after_fork_child().
_events = []                  # buffered event tuples; always this list
_lock = _thread.RLock()       # guards flushing and the globals it writes
_depth = 0                    # 1 while the lock's owner is flushing
_fd = -1                      # our file, or -1 (none yet, or not recording)
_fd_id = None                 # its (st_dev, st_ino), to know it is still ours
_dir = ""                     # GILSIM_RECORD_DIR
_pid = 0                      # the pid this state belongs to
_child_header = None          # forked child, file not made yet: header args
_installed = False
_done = False                 # Z written or recording stopped: drop events
_term_pending = False         # SIGTERM came in during our own flush
_term_ours = False            # our SIGTERM handler is installed
_tls = _thread._local()       # .tid: this thread's native id (a cache);
                              # .inside: in a recorded call; .rq: _rq_open
_batch = BATCH                # events buffered before a flush
_forked = False               # a forked child: flushes at each task's end
_pool_ids = itertools.count(1)
_chunk_ids = itertools.count(0)
_recorded = 0                 # C, A, W and H lines written by this process
_ns_per_event = 0             # what each cost (_measure_cost, at install)
_ns_outside = 0               # of it, outside the call's [cpu0, cpu1]
_prim_ids = itertools.count(1)  # asyncio Semaphores and Locks (W lines)
_hold_ids = itertools.count(1)  # threading.Lock numbers (H lines); a
                                # forked child goes on with its parent's
_rq_fds = {}                  # open schedstat fds: fd -> its thread's state
_rq_max = RQ_MAX              # how many at most (install: from RLIMIT_NOFILE)
_rq_reads = 0                 # schedstat reads made (for the O line)
_rq_ns = 0                    # what one costs (_measure_cost, at install)

# How a wrapper finds the byte count of a call (see _timed).
(_NO_BYTES, _RESULT, _RESULT_LEN, _RESULT0, _RESULT0_LEN, _ARG1_LEN,
 _ARG0_NS) = range(7)


def _new_tid():
    """Sets this thread's _tls.tid (and _tls.inside, False, when it has
    none yet: _Lock reads it without a default) and returns the tid."""
    tid = _tls.tid = _native_id()
    if not hasattr(_tls, "inside"):
        _tls.inside = False
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
    if len(_events) >= _batch:
        _flush()


# ------------------------------------------------------ run-queue delay
#
# Each thread reads its own /proc/thread-self/schedstat ("cpu_ns
# run_delay_ns timeslices"), through a descriptor it opens on its first
# recorded call and keeps: a descriptor names the thread that opened it,
# so none is shared. The kernel adds a wait for a core to run_delay when
# the thread next runs, so what the running thread reads is up to date.
#
# A read costs ~1.5 us, so a call reads only when it must: run_delay
# grows only while the thread is off its core, so when the thread spent
# less than RQ_REUSE_NS off-CPU (wall minus CPU time) since its last read,
# the value read last stands for now (off by less than that); see
# _timed. A call's rq0 and rq1 are the thread's run_delay at its start
# and end, each read then or stood for so.

_RQ_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)
_RQ_NOW = -(1 << 62)        # st[1] before the first read: read at once
_RQ_OFF = 1 << 62           # st[1] without schedstat: never read


def _rq_open():
    """Makes this thread's run-queue state on its first recorded call:
    _tls.rq = st = [fd, t_ns - cpu_ns, run_delay, (st_dev, st_ino)]: the
    run_delay read last, and the stamps taken just before that read as
    one number, so that the wall minus CPU time since then (off-CPU) is
    t - c - st[1]. fd is -1 (and st[1] _RQ_OFF) when schedstat is not
    used for this thread: it cannot be opened, the process holds _rq_max
    descriptors already, or a read failed."""
    st = _tls.rq = [-1, _RQ_OFF, 0, None]
    if len(_rq_fds) >= _rq_max:
        return st
    try:
        try:
            fd = _os_open("/proc/thread-self/schedstat", _RQ_FLAGS)
        except FileNotFoundError:       # Linux before 3.17
            fd = _os_open("/proc/self/task/%d/schedstat" % _native_id(),
                          _RQ_FLAGS)
    except OSError:
        return st
    try:
        s = _os_fstat(fd)
    except OSError:
        _os_close(fd)
        return st
    # A thread that still holds this number lost its descriptor to the
    # program (os.closerange): the number is this thread's now.
    lost = _rq_fds.get(fd)
    if lost is not None:
        lost[0] = -1
        lost[1] = _RQ_OFF
    _rq_fds[fd] = st
    st[3] = (s.st_dev, s.st_ino)
    st[0] = fd
    st[1] = _RQ_NOW
    return st


def _rq_read(st, t_ns, cpu_ns):
    """Reads this thread's run_delay into st (stamps t_ns and cpu_ns were
    taken just before). When the read fails, or what it reads is not
    three whole numbers, or run_delay goes back, schedstat is no longer
    used for this thread (st[0] = -1): the program may have closed our
    descriptor (os.closerange) and reused its number, and a failed read
    never raises and never changes that file."""
    global _rq_reads
    _rq_reads += 1
    try:
        data = _pread(st[0], 64, 0)
        cpu, delay, slices = data.split()
        rq = int(delay)
    except (OSError, ValueError):
        pass
    else:
        if (rq >= st[2] and data[-1:] == b"\n" and delay.isdigit()
                and cpu.isdigit() and slices.isdigit()):
            st[1] = t_ns - cpu_ns
            st[2] = rq
            return
    _rq_stop(st)


def _rq_stop(st):
    """Stops using schedstat for the thread of st, and closes its
    descriptor if that still names the file it opened (the program may
    have closed it and reused its number: then it is the program's)."""
    fd = st[0]
    st[0] = -1
    st[1] = _RQ_OFF
    if fd >= 0 and _rq_fds.get(fd) is st:
        del _rq_fds[fd]
        if _names(fd, st[3]):
            try:
                _os_close(fd)
            except OSError:
                pass


def _rq_end():
    """At the end of a threading.Thread: closes its descriptor."""
    st = getattr(_tls, "rq", None)
    _tls.rq = [-1, _RQ_OFF, 0, None]    # a later call opens none
    if st is not None:
        _rq_stop(st)


def _names(fd, ident):
    """True if fd is open on the file whose (st_dev, st_ino) is ident."""
    try:
        s = _os_fstat(fd)
    except OSError:
        return False
    return (s.st_dev, s.st_ino) == ident


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
    """Creates our file; returns its descriptor (also sets _fd_id)."""
    global _fd_id
    path = os.path.join(_dir, "probe-%d.tsv" % _pid)
    flags = (os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_APPEND
             | getattr(os, "O_CLOEXEC", 0))
    fd = _os_open(path, flags, 0o644)
    try:
        s = _os_fstat(fd)
    except OSError:
        _os_close(fd)
        raise
    _fd_id = (s.st_dev, s.st_ino)
    return fd


def _check_file():
    """Before a write: if _fd no longer names our file (the program closed
    it, os.closerange, and may have reused its number), opens our file
    again by its path; the old number is the program's now, left alone.
    Raises OSError when the file is gone or replaced."""
    global _fd
    if _names(_fd, _fd_id):
        return
    path = os.path.join(_dir, "probe-%d.tsv" % _pid)
    fd = _os_open(path, os.O_WRONLY | os.O_APPEND
                  | getattr(os, "O_CLOEXEC", 0))
    if not _names(fd, _fd_id):
        _os_close(fd)
        raise OSError("%s was replaced" % path)
    _fd = fd


# One format per line kind, so that a batch is formatted with one %
# per line (%d is about twice as fast as str() and join).
_FORMATS = {
    "gilsim-probe": "%s\t%d",
    "P": "%s\t%d\t%d\t%d\t%s\t%s",
    "S": "%s\t%d",
    "T": "%s\t%d\t%d\t%d\t%s\t%s",
    "C": "%s\t%d\t%d\t%d\t%d\t%d\t%s\t%d\t%d",
    # The same with rq0 rq1: the tuple's kind is "Cq", written as "C".
    "Cq": "%.1s\t%d\t%d\t%d\t%d\t%d\t%s\t%d\t%d\t%d\t%d",
    "K": "%s\t%d\t%d\t%d\t%s\t%d\t%d",
    "X": "%s\t%d\t%d\t%s\t%d",
    "A": "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d",
    "G": "%s\t%d\t%d\t%d",
    "W": "%s\t%d\t%d\t%d\t%d\t%d\t%s\t%d\t%d",
    "H": "%s\t%d\t%d\t%d\t%d\t%d\t%d",
    "O": "%s\t%d\t%d\t%d",
    "Z": "%s\t%d\t%s",
}


def _count_timed(batch):
    """The timed events (C, A, W and H lines) in batch."""
    kinds = [e[0] for e in batch]
    return (kinds.count("C") + kinds.count("Cq") + kinds.count("A")
            + kinds.count("W") + kinds.count("H"))


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
    global _fd, _child_header, _done, _recorded
    if _done:
        return
    try:
        if _fd < 0:
            if _child_header is None:
                return
            _fd = _open_file()
            batch = _header_lines(*_child_header) + batch
            _child_header = None
        elif batch:
            _check_file()
        if batch:
            _write_events(batch)
            _recorded += _count_timed(batch)
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
    events, `O` (the probe's cost) and `Z how`, and stops recording.
    Returns False when it interrupted a flush of the same thread."""
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
            events = _recorded + _count_timed(batch)
            batch.append(("O", events, _cost(events), _between(events)))
            batch.append(("Z", _mono(), how))
            _emit(batch)
            _done = True
        finally:
            _depth = 0
    if _term_pending:
        _on_sigterm(signal.SIGTERM, None)
    return True


def _cost(events):
    """What each of events timed events cost this process, in ns: the
    path _measure_cost timed (which reads no schedstat), plus the
    schedstat reads actually made, spread over the events."""
    if events <= 0:
        return _ns_per_event
    return int(round(_ns_per_event + _rq_ns * _rq_reads / events))


def _between(events):
    """Of _cost(events), what each event cost outside its call's own
    CPU span [cpu0, cpu1], in ns: the wrapper's work after it read cpu1
    and before it read cpu0 (and the formatting, at a flush): what the
    CPU a thread spent between two calls holds of the probe's, which
    gilsim record takes out of the cpu steps. Of a schedstat read, half:
    the one before a call falls inside its span, the one after it
    outside."""
    if events <= 0:
        return min(_ns_outside, _ns_per_event)
    return min(_cost(events),
               int(round(_ns_outside + _rq_ns * _rq_reads / events / 2)))


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
    # (In a forked child before _start_child ran, the state is the
    # parent's: nothing is written.)
    try:
        if _os_getpid() == _pid and not _finish("signal-15", False):
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
    global _chunk_ids, _term_pending, _recorded, _term_ours, _batch
    global _forked, _rq_reads
    t_ns = _mono()
    if _term_ours:
        _term_ours = False
        _sigterm_default()
    _lock = _thread.RLock()     # the parent's may be held by a dead thread
    _depth = 0
    _term_pending = False
    del _events[:]              # flushed by _before_fork, or the parent's
    _tls = _thread._local()
    _pool_ids = itertools.count(1)
    _chunk_ids = itertools.count(0)
    _recorded = 0               # _ns_per_event, _rq_ns stay: the parent's
    _rq_reads = 0
    _batch = CHILD_BATCH
    _forked = True
    # The parent's schedstat descriptors name the parent's threads.
    for st in list(_rq_fds.values()):
        _rq_stop(st)
    if _fd >= 0 and _names(_fd, _fd_id):
        try:
            _os_close(_fd)
        except OSError:
            pass
    _fd = -1
    ppid, _pid = _pid, _os_getpid()
    if not _done:
        _child_header = (ppid, t_ns, _new_tid(), _cpu(),
                         threading.current_thread().name)


def _sigterm_default():
    """In a forked child: SIGTERM back to SIG_DFL if our handler is still
    its disposition. A Python handler only sets a flag, and the child may
    be about to block in C (a Pool worker that Pool.terminate() signals
    as it enters sem_wait): there it would wait forever, where SIG_DFL
    kills it, as it would have without us. SIGTERM is blocked meanwhile,
    so that one arriving now is delivered once SIG_DFL is in place (on
    3.8 and 3.9 a signal caught by the Python handler and then found with
    SIG_DFL in its place raises TypeError: "'int' object is not
    callable"); one caught before runs our handler, which kills the
    child (see _on_sigterm)."""
    mask = getattr(signal, "pthread_sigmask", None)
    old = None
    try:
        if mask is not None:
            old = mask(signal.SIG_BLOCK, (signal.SIGTERM,))
        if signal.getsignal(signal.SIGTERM) is _on_sigterm:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
    except (OSError, ValueError):
        pass
    finally:
        if old is not None:
            mask(signal.SIG_SETMASK, old)


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
        try:
            st = _tls.rq
        except AttributeError:
            st = _rq_open()
        c0 = _cpu()
        t0 = _mono()
        # run_delay now: read, unless the thread spent less than
        # RQ_REUSE_NS off-CPU since it last read it (see _rq_open)
        if t0 - c0 - st[1] >= RQ_REUSE_NS:
            _rq_read(st, t0, c0)
        rq0 = st[2]
        _tls.inside = True
        try:
            r = orig(*args, **kw)
        except BaseException:
            t1 = _mono()
            c1 = _cpu()
            _tls.inside = False
            if t1 - c1 - st[1] >= RQ_REUSE_NS:
                _rq_read(st, t1, c1)
            if st[0] < 0:
                _events.append(("C", tid, t0, t1, c0, c1, call, -1, 0))
            else:
                _events.append(("Cq", tid, t0, t1, c0, c1, call, -1, 0,
                                rq0, st[2]))
            raise
        t1 = _mono()
        c1 = _cpu()
        _tls.inside = False
        if t1 - c1 - st[1] >= RQ_REUSE_NS:
            _rq_read(st, t1, c1)
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
        if st[0] < 0:
            _events.append(("C", tid, t0, t1, c0, c1, call, n, 1))
        else:
            _events.append(("Cq", tid, t0, t1, c0, c1, call, n, 1, rq0,
                            st[2]))
        if len(_events) >= _batch:
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
    """Calls fn(*args, **kw), recording a `C native` line of nbytes,
    unless inside another recorded call (bz2.compress runs the methods of
    a BZ2Compressor, which record too)."""
    try:
        tid = _tls.tid
    except AttributeError:
        tid = _new_tid()
    if getattr(_tls, "inside", False):
        return fn(*args, **kw)
    try:
        st = _tls.rq
    except AttributeError:
        st = _rq_open()
    c0 = _cpu()
    t0 = _mono()
    rq0 = _rq_start(st, t0, c0)
    _tls.inside = True
    try:
        r = fn(*args, **kw)
    except BaseException:
        t1 = _mono()
        c1 = _cpu()
        _tls.inside = False
        _call_done(tid, t0, t1, c0, c1, "native", nbytes, 0, st, rq0)
        raise
    t1 = _mono()
    c1 = _cpu()
    _tls.inside = False
    _call_done(tid, t0, t1, c0, c1, "native", nbytes, 1, st, rq0)
    if len(_events) >= _batch:
        _flush()
    return r


def _rq_start(st, t0, c0):
    """rq0 of a call that began at t0, c0 (_native, _lock_wait; _timed
    does the same inline)."""
    if t0 - c0 - st[1] >= RQ_REUSE_NS:
        _rq_read(st, t0, c0)
    return st[2]


def _call_done(tid, t0, t1, c0, c1, call, n, ok, st, rq0):
    """Buffers the C line of a call (_native, _lock_wait; _timed does the
    same inline), with its rq1."""
    if t1 - c1 - st[1] >= RQ_REUSE_NS:
        _rq_read(st, t1, c1)
    if st[0] < 0:
        _events.append(("C", tid, t0, t1, c0, c1, call, n, ok))
    else:
        _events.append(("Cq", tid, t0, t1, c0, c1, call, n, ok, rq0,
                        st[2]))


def _wrap_queue_get(orig):
    timed = _timed(orig, "queue", _NO_BYTES)

    def get(self, block=True, timeout=None):
        if not block:
            return orig(self, block, timeout)
        return timed(self, block, timeout)
    return _method(get, orig)


# ------------------------------------------------------ threading.Lock

class _Standin(type):
    """The metaclass of the classes that stand in for a class on its
    module (threading.Lock, bz2.BZ2Compressor, ...): isinstance() and
    issubclass() against the stand-in accept the original's objects and
    subclasses too (_gilsim_real), so `isinstance(x, threading.Lock)`
    keeps working on 3.13, where threading.Lock is a class."""

    def __instancecheck__(cls, obj):
        real = cls.__dict__.get("_gilsim_real")
        return (type.__instancecheck__(cls, obj)
                or (real is not None and isinstance(obj, real)))

    def __subclasscheck__(cls, sub):
        real = cls.__dict__.get("_gilsim_real")
        return (type.__subclasscheck__(cls, sub)
                or (real is not None and issubclass(sub, real)))


def _lock_wait(acquire, blocking, timeout):
    """A threading.Lock acquire that could not take the lock at once:
    records a blocking one as `C lock 0 ok` (ok 0 when it timed out)."""
    if not blocking or getattr(_tls, "inside", False):
        return acquire(blocking, timeout)
    try:
        tid = _tls.tid
    except AttributeError:
        tid = _new_tid()
    try:
        st = _tls.rq
    except AttributeError:
        st = _rq_open()
    c0 = _cpu()
    t0 = _mono()
    rq0 = _rq_start(st, t0, c0)
    _tls.inside = True
    try:
        r = acquire(blocking, timeout)
    except BaseException:
        t1 = _mono()
        c1 = _cpu()
        _tls.inside = False
        _call_done(tid, t0, t1, c0, c1, "lock", 0, 0, st, rq0)
        raise
    t1 = _mono()
    c1 = _cpu()
    _tls.inside = False
    _call_done(tid, t0, t1, c0, c1, "lock", 0, 1 if r else 0, st, rq0)
    if len(_events) >= _batch:
        _flush()
    return r


_TIMEOUT_MAX = _thread.TIMEOUT_MAX


class _Lock(metaclass=_Standin):
    """threading.Lock: holds a real lock (_thread.allocate_lock()) and
    tries its non-blocking acquire first; only an acquire that would
    block is timed (_lock_wait). Each hold is recorded as an `H` line:
    an acquire that succeeds outside a recorded call stores the
    acquiring thread's tid and its t0 and cpu0 stamps in slots (_tid 0:
    no hold being recorded), and the release, if made by that thread,
    stamps cpu1 and t1, releases the real lock and buffers the line. The
    hold state is only written while the lock is held, so no two threads
    race on it. locked is the real lock's bound method (a slot). No
    _release_save/_acquire_restore/_is_owned, as the real lock has none
    (Condition uses its fallbacks: acquire and release). release and
    __exit__ repeat the same code, and so do acquire and __enter__, to
    save a Python call on each side of `with lock:`."""
    __slots__ = ("_lock", "_try", "_release", "locked", "_tid", "_t0",
                 "_c0", "_num", "__weakref__")
    _gilsim_real = _thread.LockType

    def __init__(self):
        lock = _allocate_lock()
        self._lock = lock
        self._try = lock.acquire
        self._release = lock.release
        self.locked = lock.locked
        self._tid = 0       # the tid of the hold being recorded, or 0
        self._num = 0       # the number of its H lines (0: none yet)

    def acquire(self, blocking=True, timeout=-1):
        if timeout == -1:
            if not self._try(False):
                if not blocking or not _lock_wait(self._try, blocking,
                                                  timeout):
                    return False
        elif not (blocking and isinstance(timeout, (int, float))
                  and 0 <= timeout <= _TIMEOUT_MAX):
            # A timeout the real acquire refuses (it raises here), or of
            # an odd type: passed on, not timed.
            if not self._try(blocking, timeout):
                return False
        elif not self._try(False) and not _lock_wait(self._try, blocking,
                                                     timeout):
            return False
        # Held: a hold begins (the same in __enter__).
        try:
            if _tls.inside:
                self._tid = 0
                return True
            tid = _tls.tid
            self._t0 = _mono()
            self._c0 = _cpu()
        except Exception:
            return self._begin()
        self._tid = tid
        return True

    def __enter__(self):
        if not self._try(False):
            _lock_wait(self._try, True, -1)     # True, or it raises
        try:
            if _tls.inside:
                self._tid = 0
                return True
            tid = _tls.tid
            self._t0 = _mono()
            self._c0 = _cpu()
        except Exception:
            return self._begin()
        self._tid = tid
        return True

    def _begin(self):
        """A hold begins, off the fast path: this thread has no _tls.tid
        yet, or the module's globals are being cleared (a __del__ at
        interpreter exit: then nothing is recorded, and nothing raises,
        for the lock is held already)."""
        self._tid = 0
        try:
            if getattr(_tls, "inside", False):
                return True
            tid = _new_tid()
            self._t0 = _mono()
            self._c0 = _cpu()
            self._tid = tid
        except Exception:
            pass
        return True

    def release(self):
        tid = self._tid
        if not tid:
            return self._release()
        self._tid = 0
        try:
            mine = tid == _tls.tid  # (not when another thread releases)
            if mine:
                c1 = _cpu()
                t1 = _mono()
                num = self._num
                if not num:
                    num = self._num = next(_hold_ids)
                event = ("H", tid, self._t0, t1, self._c0, c1, num)
        except Exception:           # (see _begin)
            mine = False
        self._release()
        if mine:
            _events.append(event)
            if len(_events) >= _batch:
                _flush()

    def __exit__(self, *args):
        tid = self._tid
        if not tid:
            return self._release()
        self._tid = 0
        try:
            mine = tid == _tls.tid
            if mine:
                c1 = _cpu()
                t1 = _mono()
                num = self._num
                if not num:
                    num = self._num = next(_hold_ids)
                event = ("H", tid, self._t0, t1, self._c0, c1, num)
        except Exception:
            mine = False
        self._release()
        if mine:
            _events.append(event)
            if len(_events) >= _batch:
                _flush()

    if hasattr(_thread.LockType, "acquire_lock"):   # the old names
        acquire_lock = acquire
        release_lock = release

    if hasattr(_thread.LockType, "_at_fork_reinit"):    # 3.9+
        def _at_fork_reinit(self):
            self._lock._at_fork_reinit()
            self._tid = 0

    def __getattr__(self, attr):
        if attr in _Lock.__slots__:     # not set yet: no endless recursion
            raise AttributeError(attr)
        return getattr(self._lock, attr)

    def __repr__(self):
        return repr(self._lock)

    def __reduce_ex__(self, protocol):
        return self._lock.__reduce_ex__(protocol)  # raises as the original


def _wrap_cond_wait(orig):
    """Condition.wait, recorded as `C wait`. It releases the Condition's
    lock, which ends a hold (H), and takes it again before it returns,
    inside the recorded call, where no hold is recorded; so when that
    lock is a _Lock and the wait was recorded, a hold begins as the
    wrapper returns (its t0 after the C line's t1), as after a `C lock`.
    A wait that raised begins none (its re-acquire may have failed)."""
    timed = _timed(orig, "wait", _NO_BYTES)

    def wait(self, *args, **kw):
        try:
            outer = not _tls.inside
        except AttributeError:
            outer = True
        r = timed(self, *args, **kw)
        if outer:
            lock = getattr(self, "_lock", None)
            # (type.__instancecheck__: a real lock is not a _Lock here)
            if type.__instancecheck__(_Lock, lock) and not lock._tid:
                tid = _tls.tid      # (timed set it)
                lock._t0 = _mono()
                lock._c0 = _cpu()
                lock._tid = tid
        return r
    return _method(wait, orig)


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


# --------------------------------------------------------- bz2 and lzma

def _data_size(args, kw):
    """The size of a call's data argument (first, or keyword data)."""
    if args:
        return _nbytes(args[0])
    data = kw.get("data")
    return -1 if data is None else _nbytes(data)


def _wrap_data_call(orig):
    """bz2/lzma.compress/decompress: one `native` call of the input's
    size; the compressor they run inside is not recorded again."""
    def call(*args, **kw):
        n = _data_size(args, kw)
        if n >= NATIVE_MIN:
            return _native(orig, args, kw, n)
        return orig(*args, **kw)
    return call


class _Codec(metaclass=_Standin):
    """Stands in for a bz2 or lzma compressor or decompressor class (C
    types that cannot be patched or subclassed): calling it makes the
    real object and wraps it. Attributes are passed through."""
    __slots__ = ("_z", "_fed")

    def __init__(self, *args, **kw):
        self._z = self._gilsim_real(*args, **kw)
        self._fed = 0

    def __getattr__(self, attr):
        if attr in ("_z", "_fed"):  # not set yet: no endless recursion
            raise AttributeError(attr)
        return getattr(self._z, attr)

    def __repr__(self):
        return repr(self._z)

    def __reduce_ex__(self, protocol):
        return self._z.__reduce_ex__(protocol)   # raises as the original


class _Compressor(_Codec):
    """compress() records a `native` call for inputs of NATIVE_MIN bytes
    or more; flush() records one when the inputs fed since the last
    flush, whatever their sizes, add up to NATIVE_MIN (bz2 and xz buffer
    big blocks: most of the work is often the flush's), with that sum as
    bytes."""
    __slots__ = ()

    def compress(self, *args, **kw):
        n = _data_size(args, kw)
        if n > 0:
            self._fed += n
        if n < NATIVE_MIN:
            return self._z.compress(*args, **kw)
        return _native(self._z.compress, args, kw, n)

    def flush(self, *args, **kw):
        n, self._fed = self._fed, 0
        if n < NATIVE_MIN:
            return self._z.flush(*args, **kw)
        return _native(self._z.flush, args, kw, n)


class _Decompressor(_Codec):
    """decompress() records a `native` call for inputs of NATIVE_MIN
    bytes or more (a call that decompresses input buffered earlier, with
    b"" as data, is not recorded)."""
    __slots__ = ()

    def decompress(self, *args, **kw):
        n = _data_size(args, kw)
        if n < NATIVE_MIN:
            return self._z.decompress(*args, **kw)
        return _native(self._z.decompress, args, kw, n)

    # Read at each block by bz2's and lzma's file readers.
    @property
    def eof(self):
        return self._z.eof

    @property
    def needs_input(self):
        return self._z.needs_input

    @property
    def unused_data(self):
        return self._z.unused_data


def _set_codec(module, name, base):
    """module.name (a C class) = a _Codec subclass standing in for it."""
    real = getattr(module, name, None)
    if not isinstance(real, type) or isinstance(real, _Standin):
        return
    cls = _Standin(name, (base,), {
        "__slots__": (), "__module__": module.__name__,
        "__doc__": real.__doc__, "_gilsim_real": real})
    setattr(module, name, cls)


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
            _rq_end()
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
    if _forked:
        # A forked child dies at once on SIGTERM (Pool.terminate): each
        # task it ran is in its file by then.
        _flush()


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


# -------------------------------------------------------- asyncio tasks

class _TaskCoro(collections.abc.Coroutine):
    """Stands in for the coroutine of an asyncio task (what the patched
    BaseEventLoop.create_task gives the Task): each send/throw (__next__
    from 3.10 on, whose Task sends None through PyIter_Send and so
    tp_iternext) is one step, timed
    as an `A` line; the first step writes `K begin` first, the one in
    which the coroutine finished (returned, raised, was cancelled) `K
    end` last. close() of a coroutine that ran is a step too (it runs
    its cleanup); of one that never ran it records nothing. A step is
    not a recorded call: the calls it makes are recorded as usual.
    asyncio.iscoroutine() accepts it (a collections.abc.Coroutine);
    cr_frame, cr_code, ... and the names are the coroutine's, so Task's
    repr, get_stack() and print_stack() are unchanged."""
    __slots__ = ("_coro", "_pool", "_task", "_state", "__weakref__")

    def __init__(self, coro, pool, task):
        self._coro = coro
        self._pool = pool
        self._task = task
        self._state = 0     # 0 never ran, 1 began, 2 ended

    def _begin(self, tid, t0, c0):
        self._state = 1
        _events.append(("K", tid, t0, c0, "begin", self._pool, self._task))

    def _raised(self, tid, t0, c0):
        """After a step that raised (StopIteration when it returned)."""
        t1 = _mono()
        c1 = _cpu()
        _events.append(("A", tid, t0, t1, c0, c1, self._pool, self._task))
        if self._coro.cr_frame is None:     # finished, not just refused
            self._state = 2
            _events.append(("K", tid, t1, c1, "end", self._pool,
                            self._task))

    def send(self, value):
        if self._state == 2:
            return self._coro.send(value)
        try:
            tid = _tls.tid
        except AttributeError:
            tid = _new_tid()
        c0 = _cpu()
        t0 = _mono()
        if not self._state:
            self._begin(tid, t0, c0)
        try:
            r = self._coro.send(value)
        except BaseException:
            self._raised(tid, t0, c0)
            raise
        t1 = _mono()
        _events.append(("A", tid, t0, t1, c0, _cpu(), self._pool,
                        self._task))
        if len(_events) >= _batch:
            _flush()
        return r

    def __next__(self):
        if self._state == 2:
            return self._coro.send(None)
        try:
            tid = _tls.tid
        except AttributeError:
            tid = _new_tid()
        c0 = _cpu()
        t0 = _mono()
        if not self._state:
            self._begin(tid, t0, c0)
        try:
            r = self._coro.send(None)
        except BaseException:
            self._raised(tid, t0, c0)
            raise
        t1 = _mono()
        _events.append(("A", tid, t0, t1, c0, _cpu(), self._pool,
                        self._task))
        if len(_events) >= _batch:
            _flush()
        return r

    def throw(self, typ, *rest):
        # rest: the deprecated (typ, val, tb) form, passed on as given.
        if self._state == 2:
            return self._coro.throw(typ, *rest)
        try:
            tid = _tls.tid
        except AttributeError:
            tid = _new_tid()
        c0 = _cpu()
        t0 = _mono()
        if not self._state:
            self._begin(tid, t0, c0)
        try:
            r = self._coro.throw(typ, *rest)
        except BaseException:
            self._raised(tid, t0, c0)
            raise
        t1 = _mono()
        _events.append(("A", tid, t0, t1, c0, _cpu(), self._pool,
                        self._task))
        if len(_events) >= _batch:
            _flush()
        return r

    def close(self):
        if self._state != 1:
            r = self._coro.close()
            # Closed before it ever ran: no K lines, and a Task's later
            # send (a RuntimeError) is no step of it either.
            self._state = 2
            return r
        try:
            tid = _tls.tid
        except AttributeError:
            tid = _new_tid()
        c0 = _cpu()
        t0 = _mono()
        try:
            self._coro.close()
        finally:
            self._raised(tid, t0, c0)

    def __await__(self):
        return self

    @property
    def cr_frame(self):
        return self._coro.cr_frame

    @property
    def cr_code(self):
        return self._coro.cr_code

    @property
    def cr_running(self):
        return self._coro.cr_running

    @property
    def cr_await(self):
        return self._coro.cr_await

    @property
    def __name__(self):
        return self._coro.__name__

    def __getattr__(self, attr):
        # __qualname__ (a class body cannot hold it), cr_origin,
        # cr_suspended, ...
        if attr in _TaskCoro.__slots__:     # not set yet
            raise AttributeError(attr)
        return getattr(self._coro, attr)

    def __repr__(self):
        return repr(self._coro)

    def __reduce_ex__(self, protocol):
        return self._coro.__reduce_ex__(protocol)  # raises as the original


_FILE = _new_tid.__code__.co_filename


def _current_task(*args):
    """asyncio.current_task, looked up when called (asyncio.locks may be
    patched while asyncio.tasks is still being imported)."""
    return sys.modules["asyncio.tasks"].current_task(*args)


def _running_task_coro(current_task, *args):
    """The _TaskCoro of the task running now (current_task(*args)), or
    None when there is none or it is not one of ours."""
    try:
        task = current_task(*args)
        if task is None:
            return None
        coro = task.get_coro()
    except Exception:
        return None
    return coro if type(coro) is _TaskCoro else None


def _wrap_create_task(orig, current_task, skip):
    """BaseEventLoop.create_task: a native coroutine (not one of skip's
    code objects) is run as a _TaskCoro. The loop's first one writes its
    `X asyncio` line; each writes `G pool parent task`."""
    def create_task(self, coro, *args, **kwargs):
        if type(coro) is not _CoroutineType or coro.cr_code in skip:
            return orig(self, coro, *args, **kwargs)
        state = getattr(self, "_gilsim_loop", None)
        if state is None or state[0] != _pid:   # (a loop made before a fork)
            pool = _pid * 1000 + next(_pool_ids)
            state = self._gilsim_loop = (_pid, pool, itertools.count(0))
            _add(("X", pool, _mono(), "asyncio", 0))
        pool = state[1]
        number = next(state[2])
        parent = _running_task_coro(current_task, self)
        parent = -1 if parent is None or parent._pool != pool else parent._task
        task = orig(self, _TaskCoro(coro, pool, number), *args, **kwargs)
        _add(("G", pool, parent, number))
        # In debug mode the Task keeps where it was made: orig dropped its
        # own frame from that, we drop ours.
        try:
            tb = task._source_traceback
            if tb and tb[-1].filename == _FILE:
                del tb[-1]
        except Exception:
            pass
        return task
    return _method(create_task, orig)


def _wrap_sem_init(orig):
    def __init__(self, *args, **kwargs):
        orig(self, *args, **kwargs)
        try:
            self._gilsim_prim = next(_prim_ids)
            self._gilsim_value = self._value
        except Exception:
            pass        # (a subclass without _value: see _acquired)
    return _method(__init__, orig)


def _wrap_async_acquire(orig, kind, current_task):
    """asyncio.Semaphore.acquire / Lock.acquire (coroutine functions, and
    so is this): in a task of ours, records a `W` line from the call to
    its return (or exception), whether it waited or not."""
    async def acquire(self, *args, **kwargs):
        coro = _running_task_coro(current_task)
        if coro is None:
            return await orig(self, *args, **kwargs)
        t0 = _mono()
        try:
            r = await orig(self, *args, **kwargs)
        except GeneratorExit:
            raise       # the coroutine was closed (collected) meanwhile
        except BaseException:
            _acquired(self, kind, coro, t0)
            raise
        _acquired(self, kind, coro, t0)
        return r
    return _method(acquire, orig)


def _acquired(prim, kind, coro, t0):
    """Buffers the `W` line of an acquire of prim that began at t0."""
    t1 = _mono()
    try:
        tid = _tls.tid
    except AttributeError:
        tid = _new_tid()
    try:
        number = getattr(prim, "_gilsim_prim", 0)
        if not number:  # a Lock, or a Semaphore made before the patch
            number = prim._gilsim_prim = next(_prim_ids)
        if kind == "lock":
            value = 1
        else:
            value = getattr(prim, "_gilsim_value", None)
            if value is None:
                value = prim._gilsim_value = int(prim._value)
    except Exception:
        return          # an odd subclass: not recorded, not disturbed
    _events.append(("W", tid, t0, t1, coro._pool, coro._task, kind,
                    number, value))


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
    _set(m.Condition, "wait", _wrap_cond_wait)
    # threading.Lock() (Condition, Event, Semaphore, Barrier and
    # queue.Queue make theirs so): a _Lock. _allocate_lock and _thread
    # stay as they are.
    if not isinstance(getattr(m, "Lock", None), _Standin):
        m.Lock = _Lock


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


def _patch_bz2(m):
    _set_plain(m, "compress", _wrap_data_call)
    _set_plain(m, "decompress", _wrap_data_call)
    _set_codec(m, "BZ2Compressor", _Compressor)
    _set_codec(m, "BZ2Decompressor", _Decompressor)


def _patch_lzma(m):
    _set_plain(m, "compress", _wrap_data_call)
    _set_plain(m, "decompress", _wrap_data_call)
    _set_codec(m, "LZMACompressor", _Compressor)
    _set_codec(m, "LZMADecompressor", _Decompressor)


def _patch_asyncio_base_events(m):
    cls = m.BaseEventLoop
    # asyncio.run's clean-up tasks are the loop's, not the program's.
    skip = frozenset(getattr(cls, name).__code__
                     for name in ("shutdown_asyncgens",
                                  "shutdown_default_executor")
                     if hasattr(getattr(cls, name, None), "__code__"))
    _set(cls, "create_task",
         lambda f: _wrap_create_task(f, _current_task, skip))


def _patch_asyncio_locks(m):
    _set(m.Semaphore, "__init__", _wrap_sem_init)
    _set(m.Semaphore, "acquire",
         lambda f: _wrap_async_acquire(f, "sem", _current_task))
    _set(m.Lock, "acquire",
         lambda f: _wrap_async_acquire(f, "lock", _current_task))


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
    "bz2": _patch_bz2,
    "lzma": _patch_lzma,
    "asyncio.base_events": _patch_asyncio_base_events,
    "asyncio.locks": _patch_asyncio_locks,
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

def _measure_cost(rounds=3, calls=100):
    """What one timed event costs this process, in ns: a cheap builtin
    called through a _timed wrapper (the clocks, _tls, the tuple
    buffered) minus the same calls made plainly, per call (the least of a
    few rounds, so that a preemption does not count), plus formatting the
    events so made. These calls spend no time off-CPU, so they read no
    schedstat (but the first, which opens the main thread's): what a read
    costs is measured on its own, into _rq_ns, and _cost() adds the reads
    a process made. Runs before anything is patched; its events and reads
    are not counted. About 1 ms. Returns (that cost, the part of it
    outside each call's [cpu0, cpu1]: the wrapped calls' time less the
    plain calls' and less the CPU their events recorded inside, plus the
    formatting)."""
    global _rq_reads, _rq_ns
    cheap = abs
    timed = _timed(cheap, "sleep", _NO_BYTES)
    n0 = len(_events)
    reads0 = _rq_reads
    wrapped = plain = None
    for _ in range(rounds):
        t0 = _mono()
        for _ in range(calls):
            timed(0)
        t1 = _mono()
        for _ in range(calls):
            cheap(0)
        t2 = _mono()
        if wrapped is None or t1 - t0 < wrapped:
            wrapped = t1 - t0
        if plain is None or t2 - t1 < plain:
            plain = t2 - t1
    batch = _events[n0:]
    del _events[n0:]
    # the CPU inside the calls' spans (cpu1 - cpu0), the least round's
    inside = None
    for r in range(rounds):
        span = sum(e[5] - e[4] for e in batch[r * calls:(r + 1) * calls])
        if inside is None or span < inside:
            inside = span
    t0 = _mono()
    _format(batch).encode("utf-8", "replace")
    formatting = _mono() - t0
    st = getattr(_tls, "rq", None)
    read = None
    reads = max(1, calls // 4)
    if st is not None and st[0] >= 0:
        for _ in range(rounds):
            t0 = _mono()
            for _ in range(reads):
                _rq_read(st, t0, 0)
            t1 = _mono()
            if read is None or t1 - t0 < read:
                read = t1 - t0
        if st[0] >= 0:
            st[1] = _RQ_NOW     # (those stamps were no CPU time)
    _rq_reads = reads0
    _rq_ns = 0 if read is None or st[0] < 0 else int(round(read / reads))
    per_format = formatting / max(1, len(batch))
    cost = max(0, int(round((wrapped - plain) / calls + per_format)))
    # less the plain calls' time: their loop and call are the program's
    outside = int(round((wrapped - plain - (inside or 0)) / calls
                        + per_format))
    return cost, max(0, min(cost, outside))


def _rq_limit():
    """_rq_max: RQ_MAX, or a sixteenth of the soft limit of open files
    when that is less (the probe's descriptors must not be what makes the
    program run out)."""
    global _rq_max
    try:
        import resource
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        if soft != resource.RLIM_INFINITY and soft >= 0:
            _rq_max = min(RQ_MAX, soft // 16)
    except Exception:
        pass


def install(folder):
    """Starts recording into folder/probe-<pid>.tsv. Raises (OSError,
    ...) when it cannot; the caller (sitecustomize) prints one line and
    the program runs unrecorded. Does nothing when already installed."""
    global _installed, _fd, _dir, _pid, _term_ours, _ns_per_event, \
        _ns_outside
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
    _rq_limit()
    try:
        _ns_per_event, _ns_outside = _measure_cost()
    except Exception:
        _ns_per_event = _ns_outside = 0

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
