#!/usr/bin/env bash
# virtual_checksums.sh - ctest's guard that the virtual engine's traces
# do not change: it runs three small scenarios (seed, cpu, convoy) under
# --model=all with --engine=virtual and compares the sha256 of every
# model's trace.tsv with tests/data/virtual_checksums.txt.
#
#   tests/virtual_checksums.sh GILSIM DATAFILE            check (ctest)
#   tests/virtual_checksums.sh --write GILSIM DATAFILE    regenerate
#
# The reference was written by the binary of commit 3df7d4d (before the
# engine's idle-waiter work, issue 19), then once more for the seed under
# loop when the event loop began to resume cold after its select (a
# model change, commit 99a5304); it is fixed on purpose: the
# engine is deterministic, so a change of the engine's speed must leave
# every trace byte for byte as it was, in every build (dev, asan, tsan).
# Regenerate it only for a change that is meant to alter the simulated
# behaviour, and say so in that commit. A mismatch prints the scenario,
# the model and both sums, and exits 1.
set -euo pipefail
write=0
if [ "${1:-}" = "--write" ]; then write=1; shift; fi
g=$1; data=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
V="--engine=virtual --no-plots --quiet --cores=2 --seed=1 --model=all"
sums="$tmp/sums.txt"
scenario() {
    local name=$1; shift
    local rc=0
    "$g" $V --out="$tmp/$name" "$@" > "$tmp/$name.out" 2>&1 || rc=$?
    if [ $rc -gt 1 ]; then
        echo "virtual_checksums: $name exited $rc: $*"; cat "$tmp/$name.out"
        exit 1
    fi
    for f in $(cd "$tmp/$name" && find . -name trace.tsv | sort); do
        m=$(dirname "$f"); m=${m#./}
        echo "$name $m $(sha256sum < "$tmp/$name/$f" | cut -d' ' -f1)" >> "$sums"
    done
}
: > "$sums"
scenario seed --pages=10
scenario cpu --workload=cpu --count=1M
scenario convoy --workload=convoy --ops=20 --cpu-threads=1
if [ $write = 1 ]; then
    cp "$sums" "$data"
    echo "virtual_checksums: wrote $(wc -l < "$data") sums to $data"
    exit 0
fi
if ! diff -u "$data" "$sums"; then
    echo "virtual_checksums: traces differ from the reference (above)"
    exit 1
fi
echo "virtual_checksums: $(wc -l < "$sums") traces byte-identical"
