"""native_pipeline.py - a pipeline of Python work and hashing, run by real
CPython and predicted by gilsim from a workload file, side by side: threads
beat serial on 2 cores only because hashlib releases the GIL (gilsim's
`native` step), and gilsim says by how much.

    /usr/bin/python3.11 bench/fidelity/native_pipeline.py --gilsim build/dev/gilsim

Each of --repeat rounds, in the same minute (the machine's speed drifts
between minutes):
1. hash_pipeline.py --measure times one task's two parts alone, warm: the
   Python loop (a `cpu` step) and sha256 of 8 MiB (a `native` step: C code
   that releases the GIL and keeps a core busy).
2. Those times become a workload file of --tasks tasks (round 1's is
   printed), and a control file where the hashing is Python work instead
   (`cpu`): the pipeline as it would be without a GIL-releasing library.
3. CPython runs the pipeline serially and on a ThreadPoolExecutor of each
   --threads; gilsim runs the file in its serial and executor models, in
   real time on this machine and in virtual time on --cores cores, and
   the control in virtual time.

Prints the medians, the median of the rounds' gilsim / CPython for each
row, and each one's speed-up of the executor over serial. Timing, not a test: run it on a quiet
machine; it prints what it measured.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def python_json(python, args):
    out = subprocess.run([python, os.path.join(HERE, "hash_pipeline.py")]
                         + args, stdout=subprocess.PIPE, text=True, check=True)
    return json.loads(out.stdout)


def gilsim_walls(gilsim, workload, models, threads, out, extra=()):
    """Wall ns per model of one gilsim run of the workload file, into a
    new folder `out`."""
    cmd = [gilsim, "run", "--workload=" + workload, "--model=" + models,
           "--no-plots", "--quiet", "--out=" + out] + list(extra)
    if models != "serial":
        cmd.append("--threads=%d" % threads)
    subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
    with open(os.path.join(out, "summary.json")) as f:
        runs = json.load(f)["runs"]
    return {r["model"]: r["wall_ns"] for r in runs}


def workload(path, tasks, python_us, native_kind, native_us):
    w = {"format": "gilsim-workload", "version": 1,
         "name": "hash-pipeline" if native_kind == "native" else "no-native",
         "comment": "written by bench/fidelity/native_pipeline.py",
         "tasks": tasks,
         "kinds": [{"name": "chunk",
                    "steps": [{"cpu": {"us": round(python_us, 1)}},
                              {native_kind: {"us": round(native_us, 1)}}]}]}
    with open(path, "w") as f:
        json.dump(w, f)
    return w


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gilsim", default="build/dev/gilsim")
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--tasks", type=int, default=40)
    ap.add_argument("--records", type=int, default=60000)
    ap.add_argument("--threads", default="2,4")
    ap.add_argument("--cores", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    threads = [int(t) for t in a.threads.split(",")]
    gilsim = os.path.abspath(a.gilsim)
    common = ["--tasks", str(a.tasks), "--records", str(a.records)]

    tmp = tempfile.mkdtemp(prefix="gilsim-native-")
    keys = [("serial", 1)] + [("executor", t) for t in threads]
    real = {k: [] for k in keys}       # CPython's walls, ns
    kinds = ("gilsim", "virtual", "no-native")
    pred = {g: {k: [] for k in keys} for g in kinds}
    parts = []
    for r in range(a.repeat):
        # This round's costs, measured in the same minute as its runs: the
        # machine's speed drifts between minutes (docs/fidelity.md).
        m = python_json(a.python, ["--measure", "--records", str(a.records)])
        parts.append(m)
        wfile = os.path.join(tmp, "pipeline-%d.json" % r)
        cfile = os.path.join(tmp, "control-%d.json" % r)
        w = workload(wfile, a.tasks, m["python_ns"] / 1e3, "native",
                     m["hash_ns"] / 1e3)
        workload(cfile, a.tasks, m["python_ns"] / 1e3, "cpu",
                 m["hash_ns"] / 1e3)
        if r == 0:
            print("round 1's workload file:", json.dumps(w))
        for k in keys:
            args = common + ["--model", k[0], "--threads", str(k[1])]
            real[k].append(python_json(a.python, args)["wall_ns"])
        for k in keys:
            out = tempfile.mkdtemp(dir=tmp)
            pred["gilsim"][k].append(gilsim_walls(
                gilsim, wfile, k[0], k[1], out + "/g")[k[0]])
            pred["virtual"][k].append(gilsim_walls(
                gilsim, wfile, k[0], k[1], out + "/v",
                ["--engine=virtual", "--cores=%d" % a.cores])[k[0]])
            pred["no-native"][k].append(gilsim_walls(
                gilsim, cfile, k[0], k[1], out + "/c",
                ["--engine=virtual", "--cores=%d" % a.cores])[k[0]])
    print("one task, alone and warm (15 each, median per round): Python %s "
          "us, sha256 of 8 MiB %s us" % (
              " ".join("%.0f" % (p["python_ns"] / 1e3) for p in parts),
              " ".join("%.0f" % (p["hash_ns"] / 1e3) for p in parts)))

    def ratio(g, k):
        return statistics.median(p / q for p, q in zip(pred[g][k], real[k]))

    def speedup(walls, k):
        return statistics.median(s / e for s, e in zip(walls[("serial", 1)],
                                                        walls[k]))

    print("\nmedians of %d rounds, ms; ratio: the median of the rounds' "
          "gilsim / CPython (virtual: --cores=%d)" % (a.repeat, a.cores))
    print("%-12s %9s %9s %7s %9s %7s %10s" % (
        "model", "CPython", "gilsim", "ratio", "virtual", "ratio",
        "no-native"))
    for k in keys:
        name = k[0] if k[0] == "serial" else "executor(%d)" % k[1]
        print("%-12s %9.1f %9.1f %7.2f %9.1f %7.2f %10.1f" % (
            name, statistics.median(real[k]) / 1e6,
            statistics.median(pred["gilsim"][k]) / 1e6, ratio("gilsim", k),
            statistics.median(pred["virtual"][k]) / 1e6, ratio("virtual", k),
            statistics.median(pred["no-native"][k]) / 1e6))
    print("\nspeed-up of the executor over serial (median of the rounds')")
    for k in keys[1:]:
        print("executor(%d): CPython %.2fx, gilsim %.2fx, virtual %.2fx; "
              "without native steps (virtual) %.2fx" % (
                  k[1], speedup(real, k), speedup(pred["gilsim"], k),
                  speedup(pred["virtual"], k),
                  speedup(pred["no-native"], k)))
    print("\nruns, ms: " + "; ".join(
        "%s(%d) CPython %s gilsim %s" % (
            k[0], k[1], " ".join("%.0f" % (x / 1e6) for x in real[k]),
            " ".join("%.0f" % (x / 1e6) for x in pred["gilsim"][k]))
        for k in keys))


if __name__ == "__main__":
    main()
