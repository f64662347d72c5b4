#!/usr/bin/env bash
# virtual_golden.sh - a developer's check that a refactoring changed no
# behaviour: the virtual engine is deterministic, so the same scenarios
# must give byte-identical traces before and after. Not run by ctest.
#
#   tests/virtual_golden.sh OLD/gilsim /tmp/before   (e.g. a worktree of main)
#   tests/virtual_golden.sh build/dev/gilsim /tmp/after
#   tests/virtual_golden.sh --diff /tmp/before /tmp/after
#
# Each scenario runs with --engine=virtual into OUTDIR/sN; --diff compares
# every trace.tsv, trace.json and the summary's runs (less cpu_ns, the
# host's own CPU time) and exits 1 if any differs. Scenarios that end
# with failed steps (exit 1) are expected; other exits are listed in
# OUTDIR/exits.txt.
set -euo pipefail
if [ "$1" = "--diff" ]; then
    a=$2; b=$3; rc=0
    for f in $(cd "$a" && find . -name 'trace.tsv' -o -name 'trace.json' -o -name 'runs.txt' | sort); do
        if ! cmp -s "$a/$f" "$b/$f"; then echo "DIFFERS: $f"; rc=1; fi
    done
    n=$(cd "$a" && find . -name 'trace.tsv' | wc -l)
    [ $rc = 0 ] && echo "golden: $n traces byte-identical"
    exit $rc
fi
g=$(realpath "$1"); out=$2; mkdir -p "$out"
V="--engine=virtual --no-plots --quiet --cores=2 --format=text"
i=0
run() { i=$((i+1)); "$g" $V --out="$out/s$i" "$@" > "$out/s$i.txt" 2>&1 || echo "scenario $i exit $?: $*" >> "$out/exits.txt";
        python3 - "$out/s$i/summary.json" > "$out/s$i/runs.txt" <<'PY' || true
import json,sys
d=json.load(open(sys.argv[1]))
for r in d.get("runs",[]):
    print(json.dumps({k:v for k,v in r.items() if k not in ("date", "cpu_ns")}, sort_keys=True))
PY
}
run --model=all
run --model=all --workload=cpu --count=2M
run --model=all --workload=cpu --count=2M --policy=legacy --threads=3
run --model=all --workload=convoy --ops=40 --cpu-threads=1
run --model=threads,executor,processes --workload=convoy --ops=40 --cpu-threads=2 --policy=fifo
run --model=threads,executor --workload=convoy --ops=40 --cpu-threads=2 --policy=io-priority
run --model=threads,executor --workload=convoy --ops=40 --cpu-threads=2 --policy=bfs
run --model=threads,executor,processes,loop --workload=seed --pages=30 --policy=per-interpreter --interpreters=3
run --model=all --pages=40 --threads=8 --fail-rate=0.2 --latency-jitter=20ms --seed=7
run --model=loop,threads --pages=60 --concurrency=10 --connections=4 --threads=2
run --model=all --pages=10 --body-size=1MiB --bandwidth=10MiB/s --write-cost=200us
run --model=executor,processes --pages=12 --worker-start=30ms --processes=3 --switch-interval=1ms
run --model=all --workload=cpu --count=1M --check-every=3 --instr-ns=20ns --cores=1 --threads=4
run --model=all --workload=convoy --ops=30 --cpu-threads=0 --latency=2ms --repeat=2
run --model=threads,nogil --pages=200 --threads=50 --cores=8 --trace-events=64
echo "golden: $i scenarios into $out"
