"""countdown.py - measure CPython's countdown rate, the figure that sets
gilsim's default --instr-ns.

It times Beazley's countdown, `while n > 0: n -= 1`, in the interpreter
that runs it (best of 5 runs of 20M iterations, so noise from other
processes only ever makes a run slower and is discarded), then counts the
bytecode instructions of one loop iteration with `dis` and divides:
ns/instruction = ns/iteration / instructions per iteration. Under CPython
3.11 the loop body is 8 instructions (LOAD_FAST LOAD_CONST BINARY_OP
STORE_FAST LOAD_FAST LOAD_CONST COMPARE_OP POP_JUMP_BACKWARD_IF_TRUE),
which is gilsim's WL_COUNTDOWN_INSTRUCTIONS; the script prints the count
it found, so a different interpreter shows a different body.

    /usr/bin/python3.11 bench/countdown.py [--count N] [--runs R]
"""

import argparse
import dis
import platform
import sys
import time

# gilsim's model of the loop body (workloads/wl.h).
WL_COUNTDOWN_INSTRUCTIONS = 8


def countdown(n):
    while n > 0:
        n -= 1


def loop_body_instructions(func):
    """Instructions executed per iteration: those from the target of the
    backward jump up to and including the jump itself."""
    instrs = [i for i in dis.get_instructions(func)]
    for i, ins in enumerate(instrs):
        if "BACKWARD" in ins.opname or (
            ins.opname in ("JUMP_ABSOLUTE", "POP_JUMP_IF_TRUE")
            and ins.argval is not None
            and ins.argval <= ins.offset
        ):
            target = ins.argval
            body = [x for x in instrs[: i + 1] if x.offset >= target]
            return body
    return []


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=20_000_000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()

    print("# command: %s %s" % (sys.executable, " ".join(sys.argv)))
    print("# python %s (%s)" % (platform.python_version(),
                               platform.python_implementation()))

    body = loop_body_instructions(countdown)
    names = " ".join(ins.opname for ins in body)
    print("loop body: %d instructions: %s" % (len(body), names))
    if len(body) != WL_COUNTDOWN_INSTRUCTIONS:
        print("note: gilsim assumes %d (CPython 3.11)"
              % WL_COUNTDOWN_INSTRUCTIONS)

    best = None
    for _ in range(args.runs):
        t0 = time.perf_counter_ns()
        countdown(args.count)
        dt = time.perf_counter_ns() - t0
        best = dt if best is None else min(best, dt)
    per_iter = best / args.count
    n_instr = len(body) if body else WL_COUNTDOWN_INSTRUCTIONS
    print("best of %d runs of %d: %.1f ms" % (args.runs, args.count,
                                              best / 1e6))
    print("ns/iteration:   %.2f" % per_iter)
    print("ns/instruction: %.3f  (= ns/iteration / %d; use as --instr-ns)"
          % (per_iter / n_instr, n_instr))


if __name__ == "__main__":
    main()
