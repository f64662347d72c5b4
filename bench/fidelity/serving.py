"""serving.py - a `gilsim serve` of a benchmark's own, started and stopped
(run.py and record.py).

start() runs `gilsim serve --port=0 ARGS` with its output in a log file
and returns once the server has printed its URL (its first line). The
child gets SIGINT's default action back (a script run in the background
of a shell starts with SIGINT ignored, and the server stops on SIGINT)
and, when asked, a nice value: its threads inherit it. stop() sends
SIGINT and waits, killing a server that ignores it.
"""
import os
import signal
import subprocess
import time


def _preexec(nice):
    def run():
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        if nice:
            try:
                os.setpriority(os.PRIO_PROCESS, 0, nice)
            except OSError:
                pass    # the caller compares and says so
    return run


def start(gilsim, args, log, nice=0):
    """Start `gilsim serve --port=0 ARGS`, its output in file `log`;
    returns (process, URL, the nice value it runs at). Raises
    RuntimeError when it exits or prints no URL within 10 s."""
    cmd = [gilsim, "serve", "--port=0"] + list(args)
    with open(log, "w") as f:
        proc = subprocess.Popen(cmd, stdout=f, stderr=subprocess.DEVNULL,
                                preexec_fn=_preexec(nice))
    try:
        got = os.getpriority(os.PRIO_PROCESS, proc.pid)
    except OSError:
        got = nice
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with open(log) as f:
            line = f.readline()
        if line.endswith("\n"):
            return proc, line.strip(), got
        if proc.poll() is not None:
            raise RuntimeError("%s exited with %d" % (cmd, proc.returncode))
        time.sleep(0.05)
    stop(proc)
    raise RuntimeError("%s printed no URL" % cmd)


def stop(proc, say=None):
    """SIGINT, then wait up to 5 s; a server still running is killed
    (and said, through say, when given)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        if say is not None:
            say("gilsim serve (pid %d) ignored SIGINT; killing it" % proc.pid)
        proc.kill()
        proc.wait()
