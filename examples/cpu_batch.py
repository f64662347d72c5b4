"""cpu_batch.py - a batch of small n-body simulations, one per item, on a
ThreadPoolExecutor. The batch's parameters come from the server at --url
(one GET of its first page before the pool starts: each item's seed is a
year from the page's table); each item then perturbs the five bodies of
the solar system (the Benchmarks Game's nbody) by its seed, advances them
--steps steps in pure Python and reports the energy drift.

All the work in the pool is Python holding the GIL: threads cannot make
it faster, they can only take turns (and pay for the switches).

    python3 cpu_batch.py --url 'http://127.0.0.1:PORT/top250?start={page}' \
        --items 32 --workers 4 [--steps 2000] [--switch-interval 0.005] \
        [--pool process]

With --pool process the items run on a ProcessPoolExecutor instead: one
interpreter, and one GIL, per worker.

Prints one line; `pool_wall_s` is the wall time of the pool phase alone.
"""
import argparse
import math
import random
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import requests

PI = math.pi
SOLAR_MASS = 4 * PI * PI
DAYS_PER_YEAR = 365.24

BODIES = [
    # sun
    ([0.0, 0.0, 0.0], [0.0, 0.0, 0.0], SOLAR_MASS),
    # jupiter
    ([4.84143144246472090e+00, -1.16032004402742839e+00,
      -1.03622044471123109e-01],
     [1.66007664274403694e-03 * DAYS_PER_YEAR,
      7.69901118419740425e-03 * DAYS_PER_YEAR,
      -6.90460016972063023e-05 * DAYS_PER_YEAR],
     9.54791938424326609e-04 * SOLAR_MASS),
    # saturn
    ([8.34336671824457987e+00, 4.12479856412430479e+00,
      -4.03523417114321381e-01],
     [-2.76742510726862411e-03 * DAYS_PER_YEAR,
      4.99852801234917238e-03 * DAYS_PER_YEAR,
      2.30417297573763929e-05 * DAYS_PER_YEAR],
     2.85885980666130812e-04 * SOLAR_MASS),
    # uranus
    ([1.28943695621391310e+01, -1.51111514016986312e+01,
      -2.23307578892655734e-01],
     [2.96460137564761618e-03 * DAYS_PER_YEAR,
      2.37847173959480950e-03 * DAYS_PER_YEAR,
      -2.96589568540237556e-05 * DAYS_PER_YEAR],
     4.36624404335156298e-05 * SOLAR_MASS),
    # neptune
    ([1.53796971148509165e+01, -2.59193146099879641e+01,
      1.79258772950371181e-01],
     [2.68067772490389322e-03 * DAYS_PER_YEAR,
      1.62824170038242295e-03 * DAYS_PER_YEAR,
      -9.51592254519715870e-05 * DAYS_PER_YEAR],
     5.15138902046611451e-05 * SOLAR_MASS),
]


def energy(bodies):
    e = 0.0
    for i, (r1, v1, m1) in enumerate(bodies):
        e += 0.5 * m1 * (v1[0] ** 2 + v1[1] ** 2 + v1[2] ** 2)
        for r2, _, m2 in bodies[i + 1:]:
            dx, dy, dz = r1[0] - r2[0], r1[1] - r2[1], r1[2] - r2[2]
            e -= m1 * m2 / math.sqrt(dx * dx + dy * dy + dz * dz)
    return e


def simulate(seed, steps, dt=0.01):
    rng = random.Random(seed)
    bodies = [([x * (1 + rng.uniform(-1e-3, 1e-3)) for x in r], list(v), m)
              for r, v, m in BODIES]
    # offset the momentum so that the system's centre of mass stays put
    px = sum(v[0] * m for _, v, m in bodies)
    py = sum(v[1] * m for _, v, m in bodies)
    pz = sum(v[2] * m for _, v, m in bodies)
    sun_v = bodies[0][1]
    sun_v[0], sun_v[1], sun_v[2] = (-px / SOLAR_MASS, -py / SOLAR_MASS,
                                    -pz / SOLAR_MASS)
    pairs = [(bodies[i], bodies[j]) for i in range(len(bodies))
             for j in range(i + 1, len(bodies))]
    e0 = energy(bodies)
    for _ in range(steps):
        for (r1, v1, m1), (r2, v2, m2) in pairs:
            dx, dy, dz = r1[0] - r2[0], r1[1] - r2[1], r1[2] - r2[2]
            mag = dt * ((dx * dx + dy * dy + dz * dz) ** -1.5)
            b1, b2 = m1 * mag, m2 * mag
            v1[0] -= dx * b2
            v1[1] -= dy * b2
            v1[2] -= dz * b2
            v2[0] += dx * b1
            v2[1] += dy * b1
            v2[2] += dz * b1
        for r, v, _ in bodies:
            r[0] += dt * v[0]
            r[1] += dt * v[1]
            r[2] += dt * v[2]
    return abs(energy(bodies) - e0)


def batch_seeds(url, n):
    """The batch's parameters: the years in the server's first page."""
    r = requests.get(url.format(page=1), timeout=30)
    r.raise_for_status()
    years = [int(y) for y in re.findall(r"<td>(\d{4})</td>", r.text)]
    if not years:
        years = [1]
    return [years[i % len(years)] * 1000 + i for i in range(n)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True, help="URL template with {page}")
    ap.add_argument("--items", type=int, default=32)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--pool", choices=("thread", "process"), default="thread",
                    help="ThreadPoolExecutor (default) or ProcessPoolExecutor")
    ap.add_argument("--switch-interval", type=float, default=None,
                    help="sys.setswitchinterval, in seconds")
    a = ap.parse_args()
    if a.switch_interval is not None:
        sys.setswitchinterval(a.switch_interval)

    seeds = batch_seeds(a.url, a.items)
    t0 = time.perf_counter()
    executor = (ProcessPoolExecutor if a.pool == "process"
                else ThreadPoolExecutor)
    with executor(max_workers=a.workers) as pool:
        drifts = list(pool.map(simulate, seeds, [a.steps] * len(seeds)))
    pool_wall = time.perf_counter() - t0
    print("cpu_batch: %d items x %d steps, max energy drift %.3e "
          "pool=%s workers=%d pool_wall_s=%.4f"
          % (len(drifts), a.steps, max(drifts), a.pool, a.workers,
             pool_wall))


if __name__ == "__main__":
    main()
