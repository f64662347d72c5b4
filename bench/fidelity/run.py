"""run.py - gilsim against real CPython, side by side on this machine.

It starts two `gilsim serve` loopback servers (150 ms latency, the seed's
64 KiB pages; and 0 latency, 128 B pages for the convoy), then for every
scenario runs the CPython program in this folder --repeat times under
--python (default Debian's /usr/bin/python3.11, with python3-requests,
python3-aiohttp and python3-aiofiles) and the matching
`gilsim run ... --format=json --quiet --no-plots --url=URL --repeat=1`, and
prints a table: scenario, CPython median, gilsim median, gilsim/CPython.
The two sides alternate, one CPython run then one `gilsim run --repeat=1`,
--repeat times over, so that both see the same load on a shared machine;
each median is over those runs.
For the seed it also prints the ranking of the models by each side.

Scenarios:
  seed      serial, threadpool (ThreadPool(5)), executor
            (ThreadPoolExecutor(5)), processes (multiprocessing.Pool()),
            asyncio (aiohttp + aiofiles); --pages pages; wall time
  countdown --count iterations over T = 1, 2, 4 threads at 5 ms, and
            T = 2 at 0.5 ms and 50 ms (sys.setswitchinterval); wall time
  convoy    one I/O thread's --ops round trips beside C = 0, 1, 2 CPU
            threads at 5 ms; p50 of one round trip, and the mean (the
            time of all --ops round trips / --ops). Under the GIL a
            round trip waits a whole number of switch intervals or
            none, so the p50 can jump by an interval from run to run
            (it sits between two modes); the mean moves smoothly.

For the convoy it also prints its slowdown factor, with C CPU threads
over alone (C = 0), on each side, by p50 and by mean, and gilsim's factor
over CPython's; issue 7 asks for that ratio to be within 2x (0.5-2.0).

--grid=quick|full runs grid.py's scenarios instead: body sizes from 1 KiB
to 4 MiB, pools of 1 to 64 threads, 10 to 1000 pages, latencies of 0 to
500 ms with jitter, requests with and without a Session, aiohttp with and
without a connection limit, the countdown at 1 to 8 threads and the
convoy beside 1 and 2 CPU threads at 1, 5 and 20 ms (with --repeat=1,
quick: about 45 s; full: about 2 minutes), and ends with one line: "N of
M within 15 %, worst X".

--gilsim-args="..." is split like a shell line and appended to every
`gilsim run` (e.g. --gilsim-args="--calibration=FILE").

At the end it stops the servers (SIGINT), removes its temporary folders and
prints every command it ran.

    /usr/bin/python3.11 bench/fidelity/run.py [--repeat=5] [--pages=25]
        [--count=20000000] [--ops=200] [--only=seed,countdown,convoy]
        [--python=/usr/bin/python3.11] [--gilsim=build/dev/gilsim]
        [--gilsim-args="..."]
"""
import argparse
import json
import math
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import grid
import serving

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# (name, CPython script, gilsim --model)
SEED = [("serial", "seed_serial.py", "serial"),
        ("threadpool(5)", "seed_threadpool.py", "threads"),
        ("executor(5)", "seed_executor.py", "executor"),
        ("processes", "seed_processes.py", "processes"),
        ("asyncio", "seed_asyncio.py", "loop")]
# (threads, switch interval in ms)
COUNTDOWN = [(1, 5), (2, 5), (4, 5), (2, 0.5), (2, 50)]
CONVOY = [0, 1, 2]

COMMANDS = []


def ms_str(ms):
    return ("%g" % ms) + "ms"


def start_server(gilsim, args, tmp):
    """Start `gilsim serve`, return (process, URL from its first line)."""
    COMMANDS.append(shlex.join([gilsim, "serve", "--port=0"] + args) +
                    "   # until SIGINT")
    try:
        proc, url, _ = serving.start(
            gilsim, args,
            os.path.join(tmp, "serve-%d.out" % len(os.listdir(tmp))))
    except RuntimeError as e:
        sys.exit("run.py: %s" % e)
    return proc, url


def python_runs(python, script, args, repeat, tmp, note=None):
    """Run a CPython program `repeat` times; its JSON lines as a list.
    The command is listed at the end with `note` (default "xREPEAT"), or
    not at all if note is ""."""
    cmd = [python, os.path.join(HERE, script)] + args
    if note != "":
        COMMANDS.append(shlex.join(cmd) + "   # " + (note or "x%d" % repeat))
    out = []
    for i in range(repeat):
        full = list(cmd)
        if "--out" in full:  # a fresh, empty pages folder each time
            d = tempfile.mkdtemp(dir=tmp, prefix="py-")
            full[full.index("--out") + 1] = d
        p = subprocess.run(full, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, check=False)
        if p.returncode != 0:
            sys.exit("run.py: %s failed (%d): %s"
                     % (shlex.join(full), p.returncode, p.stderr.strip()))
        out.append(json.loads(p.stdout.strip().splitlines()[-1]))
        if "--out" in full:
            shutil.rmtree(d, ignore_errors=True)
    return out


# --gilsim-args, split: appended to every `gilsim run`
GILSIM_EXTRA = []


def gilsim_runs(gilsim, args, repeat, tmp, note=None):
    """One `gilsim run` with --repeat; its runs by model. The command is
    listed at the end, with `note` after it, or not at all if note is ""."""
    d = tempfile.mkdtemp(dir=tmp, prefix="gilsim-")
    cmd = [gilsim, "run"] + args + ["--format=json", "--quiet", "--no-plots",
                                    "--repeat=%d" % repeat] + GILSIM_EXTRA
    if note != "":
        COMMANDS.append(shlex.join(cmd) + " --out=TMP" +
                        ("   # " + note if note else ""))
    p = subprocess.run(cmd + ["--out=" + os.path.join(d, "run")],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, check=False)
    shutil.rmtree(d, ignore_errors=True)
    if p.returncode != 0:
        sys.exit("run.py: %s failed (%d): %s"
                 % (shlex.join(cmd), p.returncode, p.stderr.strip()))
    return {r["model"]: r for r in json.loads(p.stdout)["runs"]}


def median(xs):
    return statistics.median(xs)


def paired(a, tmp, jobs, gilsim_args):
    """Run each CPython job (script, args) once and then `gilsim run
    gilsim_args --repeat=1`, --repeat times over, so that both sides of a
    row see the same load on a shared machine. Returns ([JSON lines of
    each job], [gilsim runs by model, one dict per repetition])."""
    py = [[] for _ in jobs]
    gs = []
    for i in range(a.repeat):
        first = i == 0
        note = "x%d, interleaved with gilsim" % a.repeat
        for k, (script, args) in enumerate(jobs):
            py[k] += python_runs(a.python, script, args, 1, tmp,
                                 note if first else "")
        gs.append(gilsim_runs(a.gilsim, gilsim_args, 1, tmp,
                              ("x%d, interleaved" % a.repeat) if first
                              else ""))
    return py, gs


def row(rows, scenario, unit, py, gs):
    rows.append((scenario, unit, py, gs))
    print("  %-34s py %10.3f %s  gilsim %10.3f %s  ratio %.3f"
          % (scenario, py / 1e6, unit, gs / 1e6, unit, gs / py),
          file=sys.stderr, flush=True)


def seed(a, url, tmp, rows):
    py, gs = {}, {}
    jobs = [(script, ["--url", url, "--pages", str(a.pages), "--out", "DIR"])
            for _, script, _ in SEED]
    r, g = paired(a, tmp, jobs, [
        "--workload=seed", "--model=" + ",".join(m for _, _, m in SEED),
        "--threads=5", "--pages=%d" % a.pages, "--url=" + url])
    for k, (name, script, model) in enumerate(SEED):
        py[model] = median([x["wall_ns"] for x in r[k]])
        gs[model] = median([x[model]["wall_ns"] for x in g])
        row(rows, "seed %s, %d pages" % (name, a.pages), "ms wall",
            py[model], gs[model])
    names = {m: n for n, _, m in SEED}
    rank_py = [names[m] for m in sorted(py, key=py.get)]
    rank_gs = [names[m] for m in sorted(gs, key=gs.get)]
    return rank_py, rank_gs


def countdown(a, tmp, rows):
    for threads, ms in COUNTDOWN:
        model = "serial" if threads == 1 else "threads"
        r, g = paired(a, tmp, [("countdown.py", [
            "--count", str(a.count), "--threads", str(threads),
            "--switch-interval", "%g" % (ms / 1000)])], [
            "--workload=cpu", "--model=" + model, "--count=%d" % a.count,
            "--threads=%d" % threads, "--switch-interval=" + ms_str(ms)])
        row(rows, "countdown %gM, T=%d, %s" % (a.count / 1e6, threads,
                                               ms_str(ms)),
            "ms wall", median([x["wall_ns"] for x in r[0]]),
            median([x[model]["wall_ns"] for x in g]))


def convoy(a, url, tmp, rows):
    """{C: {"p50": (CPython, gilsim), "mean": (CPython, gilsim)}}"""
    out = {}
    for c in CONVOY:
        r, g = paired(a, tmp, [("convoy.py", [
            "--url", url, "--ops", str(a.ops), "--cpu-threads", str(c),
            "--switch-interval", "0.005"])], [
            "--workload=convoy", "--model=threads", "--ops=%d" % a.ops,
            "--cpu-threads=%d" % c, "--switch-interval=5ms", "--url=" + url])
        p50 = (median([x["p50_ns"] for x in r[0]]),
               median([x["threads"]["fetch_ns"]["p50"] for x in g]))
        mean = (median([x["wall_ns"] / a.ops for x in r[0]]),
                median([x["threads"]["wall_ns"] / a.ops for x in g]))
        row(rows, "convoy C=%d, 5ms, %d ops" % (c, a.ops), "ms p50/op", *p50)
        row(rows, "convoy C=%d, 5ms, %d ops" % (c, a.ops), "ms mean/op",
            *mean)
        out[c] = {"p50": p50, "mean": mean}
    return out


def grid_row(a, s, url, tmp, rows):
    """One scenario of grid.py, both sides, --repeat times in turns."""
    if s["kind"] == "seed":
        script, model = grid.PROGRAMS[s["program"]]
        args = ["--url", url, "--pages", str(s["pages"]), "--out", "DIR"]
        gargs = ["--workload=seed", "--model=" + model,
                 "--pages=%d" % s["pages"], "--url=" + url]
        if s["program"] in ("threadpool", "executor"):
            args += ["--threads", str(s["threads"])]
            gargs.append("--threads=%d" % s["threads"])
        if s["session"]:
            args.append("--session")
            gargs.append("--client=requests-session")
        if s["program"] == "asyncio":
            args += ["--limit", str(s["limit"])]
            gargs.append("--connections=%d" % s["limit"])
        r, g = paired(a, tmp, [(script, args)], gargs)
        py = median([x["wall_ns"] for x in r[0]])
        gs = median([x[model]["wall_ns"] for x in g])
        row(rows, grid.label(s), "ms wall", py, gs)
    elif s["kind"] == "countdown":
        model = "serial" if s["threads"] == 1 else "threads"
        r, g = paired(a, tmp, [("countdown.py", [
            "--count", str(s["count"]), "--threads", str(s["threads"]),
            "--switch-interval", "%g" % (s["interval"] / 1000)])], [
            "--workload=cpu", "--model=" + model, "--count=%d" % s["count"],
            "--threads=%d" % s["threads"],
            "--switch-interval=" + ms_str(s["interval"])])
        row(rows, grid.label(s), "ms wall",
            median([x["wall_ns"] for x in r[0]]),
            median([x[model]["wall_ns"] for x in g]))
    else:
        r, g = paired(a, tmp, [("convoy.py", [
            "--url", url, "--ops", str(s["ops"]), "--cpu-threads",
            str(s["cpu"]), "--switch-interval", "%g" % (s["interval"] / 1000)])],
            ["--workload=convoy", "--model=threads", "--ops=%d" % s["ops"],
             "--cpu-threads=%d" % s["cpu"],
             "--switch-interval=" + ms_str(s["interval"]), "--url=" + url])
        row(rows, grid.label(s), "ms mean/op",
            median([x["wall_ns"] / s["ops"] for x in r[0]]),
            median([x["threads"]["wall_ns"] / s["ops"] for x in g]))


def run_grid(a, tmp, rows, servers):
    """Every scenario of the grid, each against a server of its own
    latency, jitter and body size (started once, kept for the grid)."""
    urls = {}
    for s in grid.GRIDS[a.grid]:
        if s["kind"] == "countdown":
            grid_row(a, s, None, tmp, rows)
            continue
        if s["kind"] == "seed":
            key = (s["latency"], s["jitter"], s["body"])
        else:
            key = (0, 0, 128)
        if key not in urls:
            proc, urls[key] = start_server(a.gilsim, [
                "--latency=%gms" % key[0], "--latency-jitter=%gms" % key[1],
                "--body-size=%dB" % key[2]], tmp)
            servers.append(proc)
        grid_row(a, s, urls[key], tmp, rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--python", default="/usr/bin/python3.11")
    ap.add_argument("--gilsim",
                    default=os.path.join(ROOT, "build", "dev", "gilsim"))
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--pages", type=int, default=25)
    ap.add_argument("--count", type=int, default=20_000_000)
    ap.add_argument("--ops", type=int, default=200)
    ap.add_argument("--only", default="seed,countdown,convoy")
    ap.add_argument("--grid", choices=sorted(grid.GRIDS), default=None,
                    help="run grid.py's scenarios instead of --only's")
    ap.add_argument("--gilsim-args", default="",
                    help="appended to every gilsim run (shell-split)")
    a = ap.parse_args()
    try:
        GILSIM_EXTRA.extend(shlex.split(a.gilsim_args))
    except ValueError as e:
        sys.exit("run.py: --gilsim-args=%r: %s" % (a.gilsim_args, e))
    if not os.access(a.gilsim, os.X_OK):
        sys.exit("run.py: %s is not built" % a.gilsim)
    chk = subprocess.run([a.python, "-c", "import requests, aiohttp, aiofiles,"
                          " sys; print(sys.version.split()[0])"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, check=False)
    if chk.returncode != 0:
        sys.exit("run.py: %s cannot import requests, aiohttp, aiofiles "
                 "(apt-get install python3-requests python3-aiohttp "
                 "python3-aiofiles)" % a.python)
    only = a.only.split(",")
    tmp = tempfile.mkdtemp(prefix="gilsim-fidelity-")
    servers = []
    rows = []
    ranks = conv = None
    t0 = time.monotonic()
    try:
        if a.grid:
            run_grid(a, tmp, rows, servers)
            only = []
        s1, url1 = (None, None) if a.grid else start_server(
            a.gilsim, ["--latency=150ms"], tmp)
        if not a.grid:
            servers.append(s1)
            s2, url2 = start_server(a.gilsim, ["--latency=0",
                                               "--body-size=128B"], tmp)
            servers.append(s2)
        if "seed" in only:
            ranks = seed(a, url1, tmp, rows)
        if "countdown" in only:
            countdown(a, tmp, rows)
        if "convoy" in only:
            conv = convoy(a, url2, tmp, rows)
    finally:
        for s in servers:
            serving.stop(s)
        shutil.rmtree(tmp, ignore_errors=True)

    print("# bench/fidelity/run.py --repeat=%d %s%s" % (
        a.repeat, ("--grid=" + a.grid) if a.grid else
        "--pages=%d --count=%d --ops=%d --only=%s" % (a.pages, a.count,
                                                      a.ops, a.only),
        (" --gilsim-args=" + shlex.quote(a.gilsim_args)) if GILSIM_EXTRA
        else ""))
    print("# CPython %s (%s), %d cores, gilsim %s; %.0f s in all"
          % (chk.stdout.strip(), a.python, os.cpu_count(), a.gilsim,
             time.monotonic() - t0))
    print()
    print("| scenario | measure | CPython median | gilsim median | "
          "gilsim/CPython |")
    print("|---|---|---:|---:|---:|")
    for scenario, unit, py, gs in rows:
        flag = "" if 0.85 <= gs / py <= 1.15 else " **"
        print("| %s | %s | %.3f | %.3f | %.3f%s |"
              % (scenario, unit, py / 1e6, gs / 1e6, gs / py, flag))
    print()
    print("(medians of %d runs each; ** = outside 0.85-1.15)" % a.repeat)
    if rows:
        within = sum(1 for _, _, py, gs in rows if 0.85 <= gs / py <= 1.15)
        worst = max(rows, key=lambda r: abs(math.log(r[3] / r[2])))
        print()
        print("%d of %d within 15 %%, worst %.2fx (%s)"
              % (within, len(rows), worst[3] / worst[2], worst[0]))
    if ranks:
        print()
        print("seed ranking, fastest first:")
        print("  CPython: " + " < ".join(ranks[0]))
        print("  gilsim:  " + " < ".join(ranks[1]))
        print("  agree:   %s" % ("yes" if ranks[0] == ranks[1] else "no"))
    if conv and 0 in conv and len(conv) > 1:
        print()
        print("convoy slowdown (with C CPU threads / with C=0):")
        print()
        print("| C | by | CPython | gilsim | gilsim/CPython |")
        print("|---:|---|---:|---:|---:|")
        for c in sorted(conv):
            for by in ("p50", "mean"):
                if not c:
                    continue
                sp = conv[c][by][0] / conv[0][by][0]
                sg = conv[c][by][1] / conv[0][by][1]
                flag = "" if 0.5 <= sg / sp <= 2.0 else " **"
                print("| %d | %s | %.1fx | %.1fx | %.2f%s |"
                      % (c, by, sp, sg, sg / sp, flag))
        print()
        print("(** = not within 2x of CPython's slowdown)")
    print()
    print("commands run (DIR/TMP: a fresh temporary folder each time):")
    for c in COMMANDS:
        print("  " + c)


if __name__ == "__main__":
    main()
