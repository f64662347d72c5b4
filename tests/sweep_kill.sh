#!/bin/sh
# sweep_kill.sh GILSIM - a planned real-time job killed midway: the
# plan's first job is started by hand and killed with SIGKILL while it is
# inside its fetch; --collect names it failed and exits 1; the plan's
# run-parallel.sh -j 2 then runs it again (clearing what the killed run
# left) beside the other job, and --collect exits 0 with both rows.
#
# "Midway" is known, not guessed: the jobs fetch from tests/hang_server.py
# on loopback, which holds its first request unanswered and says on a
# fifo when it has accepted it; the kill comes after that line. The
# server answers every request after the test tells it to. A watchdog
# ends the test as failed if no line comes for 90 s (a job that never
# connects), so it cannot hang. GNU parallel is required (CI installs it
# through .ci/deps); the test fails without it.
set -eu

G=$1
here=$(cd "$(dirname "$0")" && pwd)
fail() {
    echo "sweep_kill.sh: FAIL: $*" >&2
    exit 1
}
command -v parallel >/dev/null 2>&1 || fail "GNU parallel is not installed"
command -v python3 >/dev/null 2>&1 || fail "python3 is not installed"
tmp=$(mktemp -d /tmp/gilsim-kill-XXXXXX)
server=""
job=""
watchdog=""
cleanup() {
    [ -z "$job" ] || kill -9 "$job" 2>/dev/null || true
    [ -z "$watchdog" ] || kill "$watchdog" 2>/dev/null || true
    exec 4>&- 2>/dev/null || true
    # A server still in its first accept() (no job reached it) does not
    # see the control fifo close: it is ended.
    [ -z "$server" ] || kill "$server" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
# Each wait below is for a line the server writes; if a failure means it
# never comes, this ends the test (a failure, not a pass) rather than
# leaving it blocked. It is no part of any result.
trap 'echo "sweep_kill.sh: FAIL: no progress in 90 s" >&2; cleanup; trap - EXIT; exit 1' TERM
main=$$
(
    trap 'kill "$nap" 2>/dev/null; exit 0' TERM
    sleep 90 &
    nap=$!
    wait "$nap" && kill -TERM "$main"
) </dev/null >/dev/null 2>&1 &
watchdog=$!
mkfifo "$tmp/events" "$tmp/control"
python3 "$here/hang_server.py" "$tmp/events" "$tmp/control" &
server=$!
exec 3<"$tmp/events"
read -r port <&3
exec 4>"$tmp/control"

"$G" sweep --plan="$tmp/plan" --model=threads --threads=1,2 --pages=1 \
    --url="http://127.0.0.1:$port/page{page}" --timeout=600s \
    >/dev/null 2>"$tmp/plan.err" || fail "--plan: $(cat "$tmp/plan.err")"
[ "$(wc -l <"$tmp/plan/jobs.txt")" -eq 2 ] || fail "jobs.txt has not 2 lines"
first=$(grep -o "cells/[^' ]*" "$tmp/plan/jobs.txt" | sed -n 1p | sed 's|.*/||')

# 1. The first job by hand, killed inside its fetch.
line=$(sed -n 1p "$tmp/plan/jobs.txt")
sh -c "exec $line" >/dev/null 2>&1 &
job=$!
read -r what <&3
[ "$what" = accepted ] || fail "the server said '$what', expected accepted"
[ -d "$tmp/plan/cells/$first.part" ] || fail "no $first.part while the job runs"
kill -9 "$job"
wait "$job" 2>/dev/null && st=0 || st=$?
job=""
[ "$st" -eq 137 ] || fail "the killed job exited $st, expected 137"

# 2. Collect: the killed job is failed (it began), the other missing.
if "$G" sweep --collect="$tmp/plan" --no-plots >/dev/null 2>"$tmp/c1.err"; then
    fail "collect with a killed job exited 0"
fi
grep -q "2 jobs: 0 finished, 1 failed, 1 missing" "$tmp/c1.err" ||
    fail "counts: $(cat "$tmp/c1.err")"
grep -q "^gilsim: failed: $first (line 1 of jobs.txt): began and did not finish (killed?" "$tmp/c1.err" ||
    fail "the killed job not named: $(cat "$tmp/c1.err")"

# 3. The server answers from now on; the launcher runs both jobs.
echo serve >&4
(cd / && "$tmp/plan/run-parallel.sh" -j 2 >"$tmp/p.out" 2>&1) ||
    fail "run-parallel.sh exited $?: $(cat "$tmp/p.out")"
served=0
while [ "$served" -lt 2 ] && read -r what <&3; do
    [ "$what" = served ] && served=$((served + 1))
done
[ "$served" -eq 2 ] || fail "the server answered $served requests, expected 2"
[ ! -e "$tmp/plan/cells/$first.part" ] || fail "$first.part left after the rerun"

# 4. Collect again: both finished, exit 0.
"$G" sweep --collect="$tmp/plan" --no-plots >/dev/null 2>"$tmp/c2.err" ||
    fail "collect exited $?: $(cat "$tmp/c2.err")"
grep -q "2 jobs: 2 finished, 0 failed, 0 missing" "$tmp/c2.err" ||
    fail "final counts: $(cat "$tmp/c2.err")"
[ "$(tail -n +2 "$tmp/plan/sweep.tsv" | wc -l)" -eq 2 ] || fail "sweep.tsv rows"
echo "sweep_kill.sh: ok"
