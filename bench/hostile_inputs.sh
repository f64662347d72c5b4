#!/usr/bin/env bash
# hostile_inputs.sh - the reproducers of the hardening review (issue 20),
# run against a gilsim binary, each timed: its wall time, exit status and
# the first line it wrote to stderr (or what it did instead). Before the
# fixes these looped for ever, hung, overflowed, ate memory or were
# accepted; the column "expect" says what each should do now.
#
#   bash bench/hostile_inputs.sh [build/dev/gilsim]
#
# Each case runs under `timeout 20`; a row with status 124 is a hang.
# Everything is made in a temporary folder, removed at the end. The
# server's cases are bench_hostile.py's and the tests'; the full-disk case
# needs a tmpfs mount and is the test
# a_full_disk_is_reported_as_such_and_nothing_is_half_written.
set -uo pipefail
gilsim=$(realpath "${1:-build/dev/gilsim}")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1

printf '%-44s %7s %4s  %-22s %s\n' case seconds exit expect "first line"
row() { # name expect command...
    local name=$1 expect=$2 t0 t1 rc line
    shift 2
    t0=$(date +%s.%N)
    timeout 20 "$@" >out.txt 2>err.txt </dev/null
    rc=$?
    t1=$(date +%s.%N)
    line=$(head -n1 err.txt | cut -c1-110)
    [ -n "$line" ] || line="(stdout) $(grep -m1 -E '^(fastest|serial) ' out.txt | cut -c1-100)"
    printf '%-44s %7.2f %4d  %-22s %s\n' "$name" "$(echo "$t1 - $t0" | bc)" \
        "$rc" "$expect" "$line"
}

# 1. an instruction longer than the virtual engine's slice
row "virtual: --instr-ns=3500us, count 200" "runs, exit 0" \
    "$gilsim" --engine=virtual --workload=cpu --count=200 --instr-ns=3500us \
    --model=serial --no-plots --quiet --out=v1
row "virtual: --instr-ns=1s, every model" "runs, exit 0" \
    "$gilsim" --engine=virtual --workload=cpu --count=200 --instr-ns=1s \
    --model=all --no-plots --quiet --out=v2
row "--instr-ns=2s" "refused, exit 2" \
    "$gilsim" --workload=cpu --instr-ns=2s --model=serial --no-plots --out=v3

# 2-3. plot: times near INT64_MAX, summary numbers out of range
"$gilsim" --model=serial --workload=cpu --count=20000 --out=good --quiet \
    --no-plots >/dev/null 2>&1
cp -r good big
{ head -n1 good/serial/trace.tsv
  printf '9223372036854775797\t0\t0\t0\tserial\tthread_start\t-\t-\t-1\t0\n'
  printf '9223372036854775800\t0\t0\t0\tserial\tgil_take\t-\t-\t-1\t1\n'
  printf '9223372036854775806\t0\t0\t0\tserial\tthread_end\t-\t-\t-1\t0\n'
} >big/serial/trace.tsv
row "plot: trace times near INT64_MAX" "refused, exit 3" "$gilsim" plot big
for v in 1e23 -1e308 1e999; do
    cp -r good "sum$v"
    sed -i "s/\"wall_ns\": [0-9]*/\"wall_ns\": $v/" "sum$v/summary.json"
    row "plot: summary wall_ns $v" "refused, exit 2" "$gilsim" plot "sum$v"
done

# 4. a stopped worker, a stopped gnuplot
"$gilsim" --model=processes --workload=cpu --count=3000000000 --threads=2 \
    --no-plots --out=stopped >stopped.out 2>stopped.err &
pid=$!
kids=
for _ in $(seq 50); do
    kids=$(pgrep -P "$pid" || true)
    [ "$(echo "$kids" | wc -w)" -ge 2 ] && break
    sleep 0.1
done
t0=$(date +%s.%N)
kill -STOP $kids 2>/dev/null
kill -INT "$pid"
wait "$pid"
rc=$?
t1=$(date +%s.%N)
printf '%-44s %7.2f %4d  %-22s %s\n' "processes: workers stopped, then Ctrl-C" \
    "$(echo "$t1 - $t0" | bc)" "$rc" "ends, exit 130" \
    "$(grep -m1 'interrupted' stopped.err | cut -c1-110) ($(echo "$kids" | wc -w) workers stopped)"
mkdir -p fakebin
printf '#!/bin/sh\nkill -STOP $$\n' >fakebin/gnuplot
chmod +x fakebin/gnuplot
row "a stopped gnuplot (deadline 2 s)" "plots skipped, said" \
    env PATH="$tmp/fakebin:$PATH" GILSIM_GNUPLOT_TIMEOUT=2 \
    "$gilsim" --model=serial --workload=cpu --count=20000 --quiet --out=gp
left=$(find gp -name '*.tmp*' | wc -l)
printf '%-44s %7s %4s  %-22s %s\n' "  temporary files left by it" - - 0 "$left"

# 6. reads without a limit, FIFOs
row "--calibration=/dev/zero" "refused, exit 2" \
    "$gilsim" --calibration=/dev/zero --workload=cpu --no-plots --out=z1
mkfifo fifo
row "--calibration=FIFO with no writer" "refused, exit 2" \
    "$gilsim" --calibration=fifo --workload=cpu --no-plots --out=z2
cp -r good zero
rm zero/summary.json
ln -s /dev/zero zero/summary.json
row "plot: summary.json -> /dev/zero" "refused, exit 2" "$gilsim" plot zero
cp -r good many
python3 - many/summary.json <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["runs"] = d["runs"] * 100000
json.dump(d, open(sys.argv[1], "w"))
EOF
row "plot: a summary of 100 000 runs" "refused, exit 2" "$gilsim" plot many

# 7. loose parsing, echoed control characters
for v in " 0.5" 0x1p-1 -0 .5; do
    row "--fail-rate='$v'" "refused, exit 2" \
        "$gilsim" --fail-rate="$v" --no-plots --out=f
done
row "--url='http:///path'" "refused, exit 2" \
    "$gilsim" --url='http:///path' --no-plots --out=u
row "--url with a non-UTF-8 host" "refused, exit 2" \
    "$gilsim" --url=$'http://\xff\xfe/x' --no-plots --out=u
row "serve --model=threads" "refused, exit 2" "$gilsim" serve --model=threads
row "serve --calibration=/nonexistent" "refused, exit 2" \
    "$gilsim" serve --calibration=/nonexistent
row "--threads=<newline and escape>" "refused, escaped" \
    "$gilsim" --threads=$'4\n\e[31mred' --no-plots --out=n

# 8. a failed run leaves no folder
row "--out under a file" "refused, exit 2" \
    "$gilsim" --workload=cpu --no-plots --out=good/summary.json/x
