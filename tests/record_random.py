"""record_random.py - gilsim record on random, well-formed probe files.

    python3 tests/record_random.py GILSIM [SEEDS]

Each of SEEDS (default 100) seeds one probe file: up to 4 threads, pool
tasks that may never end or begin inside another, calls of every kind,
lock holds that nest, cross, end inside a call, or are taken in every
order, lines shuffled or a thread left without its end. A stand-in
"python3" (a shell script: it answers --version and copies the file into
the recording's raw folder) lets `gilsim record` read it as the probe's,
so the whole path runs: raw.c, the measured trace, the workload file.

Checked for each: gilsim exits 0 or 2 (a refused file), never with a
sanitizer's report or a crash; and a workload.json it wrote is one
`gilsim workload check` accepts (nested lock blocks, no order of locks
that could deadlock, no empty list). Exit 1 naming the seed on the first
failure; a seed's file is kept to replay it. Found, when written: an
empty lock block left by a task that began before the last one ended, a
cycle of three locks, and qsort of no pieces.
"""
import os
import random
import shutil
import stat
import subprocess
import sys
import tempfile

CALLS = ["sleep", "recv", "send", "select", "native", "lock", "wait", "read"]

FAKE_PYTHON = """#!/bin/sh
if [ "$1" = "--version" ]; then echo "Python 3.11.7"; exit 0; fi
cp "$GILSIM_RANDOM_FILE" "$GILSIM_RECORD_DIR/probe-100.tsv"
"""


def probe_file(seed):
    rnd = random.Random(seed)
    head = ["gilsim-probe\t1",
            "P\t100\t1\t1000000000\t3.11.7\t/usr/bin/python3", "S\t5000000"]
    body = []
    pool = rnd.random() < 0.7
    if pool:
        body.append("X\t1\t1000000000\tthreadpool\t%d" % rnd.randint(1, 4))
    t_end = 1000000000
    for th in range(rnd.randint(1, 4)):
        tid = 7 + th
        t = 1000000000 + rnd.randint(0, 1000)
        cpu = 0
        body.append("T\t%d\t%d\t%d\tstart\tw%d" % (tid, t, cpu, th))
        holds, task = [], None
        for _ in range(rnd.randint(0, 60)):
            kind = rnd.random()
            dt = rnd.randint(0, 3000000)
            t += dt
            cpu += rnd.randint(0, dt)
            if pool and kind < 0.1:
                if task is None or rnd.random() < 0.2:
                    task = rnd.randint(1, 50)
                    body.append("K\t%d\t%d\t%d\tbegin\t1\t%d"
                                % (tid, t, cpu, task))
                else:
                    body.append("K\t%d\t%d\t%d\tend\t1\t%d"
                                % (tid, t, cpu, task))
                    task = None
            elif kind < 0.5:
                d = rnd.randint(0, 5000000)
                c = rnd.randint(0, d)
                body.append("C\t%d\t%d\t%d\t%d\t%d\t%s\t%d\t%d" % (
                    tid, t, t + d, cpu, cpu + c, rnd.choice(CALLS),
                    rnd.randint(-1, 100000), rnd.randint(0, 1)))
                if holds and rnd.random() < 0.2:   # released inside it
                    h = holds.pop(rnd.randrange(len(holds)))
                    body.append("H\t%d\t%d\t%d\t%d\t%d\t%d" % (
                        tid, h[0], t + rnd.randint(0, d), h[1], cpu, h[2]))
                t += d
                cpu += c
            elif kind < 0.75:
                holds.append((t, cpu, rnd.randint(1, 20)))
            elif holds:
                h = holds.pop(rnd.randrange(len(holds))
                              if rnd.random() < 0.3 else -1)
                body.append("H\t%d\t%d\t%d\t%d\t%d\t%d"
                            % (tid, h[0], t, h[1], cpu, h[2]))
        t += rnd.randint(0, 100000)
        if rnd.random() < 0.8:
            body.append("T\t%d\t%d\t%d\tend\tw%d" % (tid, t, cpu, th))
        t_end = max(t_end, t)
    if rnd.random() < 0.3:
        rnd.shuffle(body)
    return "\n".join(head + body + ["Z\t%d\texit" % (t_end + 1)]) + "\n"


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: record_random.py GILSIM [SEEDS]")
    gilsim = sys.argv[1]
    seeds = int(sys.argv[2]) if len(sys.argv) == 3 else 100
    tmp = tempfile.mkdtemp(prefix="gilsim-record-random-")
    fake = os.path.join(tmp, "python3")
    with open(fake, "w") as f:
        f.write(FAKE_PYTHON)
    os.chmod(fake, stat.S_IRWXU)
    env = dict(os.environ)
    env.setdefault("UBSAN_OPTIONS", "halt_on_error=1:print_stacktrace=1")
    for seed in range(1, seeds + 1):
        raw = os.path.join(tmp, "probe-%d.tsv" % seed)
        with open(raw, "w") as f:
            f.write(probe_file(seed))
        out = os.path.join(tmp, "rec")
        shutil.rmtree(out, ignore_errors=True)
        env["GILSIM_RANDOM_FILE"] = raw
        p = subprocess.run([gilsim, "record", "--quiet", "--out=" + out,
                            "--", fake, "app.py"], env=env, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if p.returncode not in (0, 2) or "Sanitizer" in p.stderr or \
                "runtime error" in p.stderr:
            sys.exit("record_random.py: seed %d (%s): gilsim record exited "
                     "%d:\n%s" % (seed, raw, p.returncode, p.stderr[-3000:]))
        wl = os.path.join(out, "workload.json")
        if os.path.exists(wl):
            c = subprocess.run([gilsim, "workload", "check", wl], text=True,
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
            if c.returncode != 0:
                sys.exit("record_random.py: seed %d (%s): its workload.json "
                         "is refused: %s" % (seed, raw, c.stderr.strip()))
        os.remove(raw)
    shutil.rmtree(tmp, ignore_errors=True)
    print("record_random.py: %d random probe files recorded, every "
          "workload file accepted" % seeds)


if __name__ == "__main__":
    main()
