#!/bin/sh
# sweep_plan.sh GILSIM - a planned sweep run through GNU parallel, end to
# end: `gilsim sweep --plan`, the plan's run-parallel.sh with -j 2, one job
# made to fail, `gilsim sweep --collect` (the failed job named, exit 1),
# the launcher again with --resume-failed (only that job runs), collect
# again (exit 0). Then sweep.tsv must equal the same sweep run locally
# but for cpu_ns (the process's CPU time; every other column is virtual
# time and counts, the same on every run), and the recommendation must be
# the same line.
#
# The sweep is 12 cells of the cpu countdown in virtual time: each job
# takes well under a second. The failing job is made to fail without a
# race: a plain file stands where its finished folder would go, so its
# run cannot rename OUT.part into place and exits 3, leaving OUT.part as
# a killed job would. Another job starts beside the leftovers of a run
# killed with SIGKILL, and must clear them. Then a 22-job seed sweep of
# every model (the processes' and the loop's own axes, --worker-start)
# must again equal its local sweep, each flag on the jobs of the models
# it applies to. A last part checks that --collect refuses a
# recommendation across hosts of different core counts (a cell's
# summary.json edited to say 64 cores) unless --mixed-hosts. Then: a
# plan collected where --processes and --cores would default to other
# counts (the jobs come from plan.json's list), plan.json of another
# format or gilsim version refused, and a plan folder with a space, a
# quote and a '%' carried by every launcher.
#
# GNU parallel is required: without it the test fails (CI installs it
# through .ci/deps), it is never skipped.
set -eu

G=$1
fail() {
    echo "sweep_plan.sh: FAIL: $*" >&2
    exit 1
}
if ! command -v parallel >/dev/null 2>&1; then
    fail "GNU parallel is not installed (apt-get install parallel; .ci/deps installs it)"
fi
tmp=$(mktemp -d /tmp/gilsim-plan-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
flags="--workload=cpu --count=200K --engine=virtual --cores=2 --model=threads,nogil --threads=1,2,4 --switch-interval=1ms,5ms"

# 1. The plan: 12 jobs, the launchers sized to them, the same ids twice.
# shellcheck disable=SC2086
"$G" sweep --plan="$tmp/plan" $flags >"$tmp/plan.out" 2>&1 ||
    fail "--plan exited $?: $(cat "$tmp/plan.out")"
# shellcheck disable=SC2086
"$G" sweep --plan="$tmp/plan2" $flags >/dev/null 2>&1 || fail "second --plan"
[ "$(wc -l <"$tmp/plan/jobs.txt")" -eq 12 ] || fail "jobs.txt has not 12 lines"
grep -q '^#SBATCH --array=0-11$' "$tmp/plan/slurm.sbatch" || fail "slurm array"
grep -q '^  completions: 12$' "$tmp/plan/k8s-job.yaml" || fail "k8s completions"
ids() { grep -o "cells/[^']*" "$1/jobs.txt" | sed 's|.*/||'; }
[ "$(ids "$tmp/plan")" = "$(ids "$tmp/plan2")" ] || fail "ids differ between two plans"
[ "$(ids "$tmp/plan" | sort -u | wc -l)" -eq 12 ] || fail "ids not unique"
[ -x "$tmp/plan/run-parallel.sh" ] || fail "run-parallel.sh not executable"
# Nothing ran.
[ -z "$(ls "$tmp/plan/cells")" ] || fail "--plan ran something"

# More options than a plan keeps: refused as bad input (exit 2), and
# nothing made.
many=$(i=0; while [ $i -lt 257 ]; do printf ' --quiet'; i=$((i + 1)); done)
# shellcheck disable=SC2086
"$G" sweep --plan="$tmp/many" --workload=cpu $many >/dev/null 2>"$tmp/m.err" && st=0 || st=$?
[ "$st" -eq 2 ] || fail "257 options: exit $st, expected 2: $(cat "$tmp/m.err")"
grep -q "more than 256 options" "$tmp/m.err" || fail "257 options: $(cat "$tmp/m.err")"
[ ! -e "$tmp/many" ] || fail "257 options: the plan folder was made"

# 2. Collect before any job: every one missing, exit 1.
if "$G" sweep --collect="$tmp/plan" --no-plots >/dev/null 2>"$tmp/c0.err"; then
    fail "collect of nothing exited 0"
fi
grep -q "12 jobs: 0 finished, 0 failed, 12 missing" "$tmp/c0.err" ||
    fail "collect of nothing: $(cat "$tmp/c0.err")"
grep -q "no job has finished; nothing written" "$tmp/c0.err" ||
    fail "collect of nothing did not say so: $(cat "$tmp/c0.err")"
for f in sweep.tsv cells.tsv index.html; do
    [ ! -e "$tmp/plan/$f" ] || fail "collect of nothing wrote $f"
done

# A job under way (its OUT.part locked, as a running gilsim holds it) is
# not finished and not failed either.
run1=$(ids "$tmp/plan" | sed -n 1p)
mkdir "$tmp/plan/cells/$run1.part"
python3 - "$tmp/plan/cells/$run1.part/.gilsim.lock" "$G" "$tmp/plan" >"$tmp/c0.err" <<'PY'
import fcntl, subprocess, sys
with open(sys.argv[1], "w") as f:
    fcntl.lockf(f, fcntl.LOCK_EX)
    r = subprocess.run([sys.argv[2], "sweep", "--collect=" + sys.argv[3],
                        "--no-plots"], capture_output=True, text=True)
    print(r.returncode, r.stderr)
PY
grep -q "^1 " "$tmp/c0.err" || fail "collect with a job under way: $(cat "$tmp/c0.err")"
grep -q "missing: $run1 (line 1 of jobs.txt): under way" "$tmp/c0.err" ||
    fail "a job under way not said so: $(cat "$tmp/c0.err")"
rm -r "$tmp/plan/cells/$run1.part"

# 3. Run through parallel, job 5 made to fail. Job 9 finds what a run
# killed with SIGKILL leaves (OUT.part, its lock file that nobody holds,
# a file half written): it must clear it and finish.
bad=$(ids "$tmp/plan" | sed -n 5p)
: >"$tmp/plan/cells/$bad"
stale=$(ids "$tmp/plan" | sed -n 9p)
mkdir "$tmp/plan/cells/$stale.part"
: >"$tmp/plan/cells/$stale.part/.gilsim.lock"
echo '{"half' >"$tmp/plan/cells/$stale.part/summary.json.tmp.1"
if (cd / && "$tmp/plan/run-parallel.sh" -j 2 >"$tmp/p1.out" 2>&1); then
    fail "parallel exited 0 with a failing job"
fi
[ "$(tail -n +2 "$tmp/plan/parallel.joblog" | wc -l)" -eq 12 ] ||
    fail "joblog has not 12 jobs"
[ "$(awk -F'\t' 'NR > 1 && $7 != 0' "$tmp/plan/parallel.joblog" | wc -l)" -eq 1 ] ||
    fail "not exactly one failed job in the joblog"
[ -d "$tmp/plan/cells/$bad.part" ] || fail "the failed job left no $bad.part"
[ ! -e "$tmp/plan/cells/$stale.part" ] || fail "$stale.part was not cleared"
[ -f "$tmp/plan/cells/$stale/summary.json" ] || fail "$stale did not finish"

# 4. Collect: the failed job named, exit 1; --partial: exit 0.
if "$G" sweep --collect="$tmp/plan" --no-plots >/dev/null 2>"$tmp/c1.err"; then
    fail "collect with a failed job exited 0"
fi
grep -q "^gilsim: failed: $bad (line 5 of jobs.txt): began and did not finish (exit status 3" "$tmp/c1.err" ||
    fail "collect did not name $bad: $(cat "$tmp/c1.err")"
grep -q "12 jobs: 11 finished, 1 failed, 0 missing" "$tmp/c1.err" || fail "counts"
[ "$(tail -n +2 "$tmp/plan/sweep.tsv" | wc -l)" -eq 11 ] || fail "sweep.tsv rows"
"$G" sweep --collect="$tmp/plan" --no-plots --partial >/dev/null 2>&1 ||
    fail "--partial exited $?"

# 5. Resume: only the failed job runs again.
rm "$tmp/plan/cells/$bad"
(cd / && "$tmp/plan/run-parallel.sh" -j 2 --resume-failed >"$tmp/p2.out" 2>&1) ||
    fail "resume exited $?: $(cat "$tmp/p2.out")"
[ "$(tail -n +2 "$tmp/plan/parallel.joblog" | wc -l)" -eq 13 ] ||
    fail "resume ran more than the failed job"
[ ! -e "$tmp/plan/cells/$bad.part" ] || fail "$bad.part left after the resume"

# 6. Collect again: complete.
"$G" sweep --collect="$tmp/plan" --no-plots >"$tmp/c2.out" 2>"$tmp/c2.err" ||
    fail "collect exited $?: $(cat "$tmp/c2.err")"
grep -q "12 jobs: 12 finished, 0 failed, 0 missing" "$tmp/c2.err" || fail "final counts"
[ -f "$tmp/plan/index.html" ] || fail "no index.html"

# 7. The same sweep run here: sweep.tsv equal but for cpu_ns (column 7).
# shellcheck disable=SC2086
"$G" sweep --out="$tmp/local" --no-plots $flags >"$tmp/l.out" 2>/dev/null ||
    fail "local sweep exited $?"
cut -f1-6,8- "$tmp/local/sweep.tsv" >"$tmp/local.tsv"
cut -f1-6,8- "$tmp/plan/sweep.tsv" >"$tmp/plan.tsv"
cmp -s "$tmp/local.tsv" "$tmp/plan.tsv" ||
    fail "sweep.tsv differs: $(diff "$tmp/local.tsv" "$tmp/plan.tsv")"
[ "$(grep '^recommendation:' "$tmp/l.out")" = "$(grep '^recommendation:' "$tmp/c2.out")" ] ||
    fail "recommendations differ"
grep -q '^recommendation: threads=' "$tmp/c2.out" || fail "no recommendation"

first=$(ids "$tmp/plan" | sed -n 1p)
# An earlier collect's results are not replaced when no job is found
# (the cells moved away), nor cut down without a word.
before=$(cat "$tmp/plan/sweep.tsv" "$tmp/plan/index.html" | cksum)
mv "$tmp/plan/cells" "$tmp/cells.away"
mkdir "$tmp/plan/cells"
if "$G" sweep --collect="$tmp/plan" --no-plots >/dev/null 2>"$tmp/c3.err"; then
    fail "collect with no finished job exited 0"
fi
[ "$(cat "$tmp/plan/sweep.tsv" "$tmp/plan/index.html" | cksum)" = "$before" ] ||
    fail "collect with no finished job replaced the results"
rmdir "$tmp/plan/cells"
mv "$tmp/cells.away" "$tmp/plan/cells"
mv "$tmp/plan/cells/$first" "$tmp/first.away"
"$G" sweep --collect="$tmp/plan" --no-plots --partial >/dev/null 2>"$tmp/c3.err" ||
    fail "collect of 11 --partial exited $?"
grep -q "sweep.tsv had 12 rows and now has 11" "$tmp/c3.err" ||
    fail "fewer rows not said: $(cat "$tmp/c3.err")"
mv "$tmp/first.away" "$tmp/plan/cells/$first"

# 8. A finished job run again does nothing.
line=$(sed -n 1p "$tmp/plan/jobs.txt")
before=$(cksum <"$tmp/plan/cells/$first/summary.json")
sh -c "$line" >/dev/null 2>&1 || fail "a finished job run again exited $?"
[ "$(cksum <"$tmp/plan/cells/$first/summary.json")" = "$before" ] ||
    fail "a finished job run again rewrote its cell"

# 9. Every model of the seed, with the processes' and the loop's axes: a
# flag goes only to the cells whose model it applies to (--worker-start
# to processes), and the result is again the local sweep's.
seed="--engine=virtual --cores=4 --pages=10 --latency=20ms --threads=1,4 --processes=1,2 --concurrency=2,5 --switch-interval=1ms,5ms --worker-start=10ms"
# shellcheck disable=SC2086
"$G" sweep --plan="$tmp/seed" $seed >/dev/null 2>&1 || fail "seed --plan"
[ "$(wc -l <"$tmp/seed/jobs.txt")" -eq 22 ] || fail "the seed plan has not 22 jobs"
[ "$(grep -c -- '--worker-start=10ms' "$tmp/seed/jobs.txt")" -eq 4 ] ||
    fail "--worker-start not on the 4 processes jobs alone"
[ "$(grep -- '--worker-start' "$tmp/seed/jobs.txt" | grep -c -- '--model=processes --processes=')" -eq 4 ] ||
    fail "--worker-start on a job of another model"
[ "$(grep -- '--model=loop' "$tmp/seed/jobs.txt" | grep -c -- '--concurrency=[25] ')" -eq 4 ] ||
    fail "the loop's jobs do not run its concurrency axis"
(cd / && "$tmp/seed/run-parallel.sh" -j 2 >/dev/null 2>&1) || fail "seed jobs"
"$G" sweep --collect="$tmp/seed" --no-plots >"$tmp/s2.out" 2>/dev/null ||
    fail "seed collect"
# shellcheck disable=SC2086
"$G" sweep --out="$tmp/slocal" --no-plots $seed >"$tmp/sl.out" 2>/dev/null ||
    fail "seed local sweep"
cut -f1-6,8- "$tmp/slocal/sweep.tsv" >"$tmp/local.tsv"
cut -f1-6,8- "$tmp/seed/sweep.tsv" >"$tmp/plan.tsv"
cmp -s "$tmp/local.tsv" "$tmp/plan.tsv" ||
    fail "seed sweep.tsv differs: $(diff "$tmp/local.tsv" "$tmp/plan.tsv")"
[ "$(grep '^recommendation:' "$tmp/sl.out")" = "$(grep '^recommendation:' "$tmp/s2.out")" ] ||
    fail "seed recommendations differ"

# 10. Real time: cells of hosts with other core counts are not mixed.
"$G" sweep --plan="$tmp/real" --workload=cpu --count=20K --model=threads \
    --threads=1,2 >/dev/null 2>&1 || fail "real --plan"
sh "$tmp/real/jobs.txt" >/dev/null 2>&1 || fail "real jobs"
one=$(ids "$tmp/real" | sed -n 1p)
sed 's/"cores": [0-9]*/"cores": 64/' "$tmp/real/cells/$one/summary.json" >"$tmp/s.json"
mv "$tmp/s.json" "$tmp/real/cells/$one/summary.json"
if "$G" sweep --collect="$tmp/real" --no-plots >"$tmp/r.out" 2>"$tmp/r.err"; then
    fail "mixed hosts collected with exit 0"
fi
grep -q "^recommendation: none (the cells ran on hosts with different core counts: .*64 cores (1 job)" "$tmp/r.out" ||
    fail "mixed hosts: $(cat "$tmp/r.out" "$tmp/r.err")"
"$G" sweep --collect="$tmp/real" --no-plots --mixed-hosts >"$tmp/r.out" 2>&1 ||
    fail "--mixed-hosts exited $?"
grep -q '^recommendation: threads=' "$tmp/r.out" || fail "--mixed-hosts: no recommendation"

# 11. Collected on a machine of another core count: --processes and
# --cores default to the host's cores. plan.json's flags record the
# values the jobs ran with, and collect finds the jobs by plan.json's
# list even when the flags say other counts (as a collecting machine's
# defaults would).
"$G" sweep --plan="$tmp/cores" --workload=cpu --count=20K --engine=virtual \
    --model=threads,processes --threads=1,2 >/dev/null 2>&1 || fail "cores --plan"
python3 - "$tmp/cores/plan.json" <<'PY' || fail "plan.json's flags lack the cores"
import json, sys
flags = json.load(open(sys.argv[1]))["flags"]
assert any(f.startswith("--processes=") for f in flags), flags
assert any(f.startswith("--cores=") for f in flags), flags
PY
sh "$tmp/cores/jobs.txt" >/dev/null 2>&1 || fail "cores jobs"
python3 - "$tmp/cores/plan.json" <<'PY'
import json, os, sys
d = json.load(open(sys.argv[1]))
other = (os.cpu_count() or 1) + 5
d["flags"] = [f for f in d["flags"]
              if not f.startswith(("--processes=", "--cores="))]
d["flags"] += ["--processes=%d" % other, "--cores=%d" % other]
json.dump(d, open(sys.argv[1], "w"))
PY
"$G" sweep --collect="$tmp/cores" --no-plots >/dev/null 2>"$tmp/k.err" ||
    fail "collect with other core counts exited $?: $(cat "$tmp/k.err")"
grep -q "3 jobs: 3 finished, 0 failed, 0 missing" "$tmp/k.err" ||
    fail "collect with other core counts: $(cat "$tmp/k.err")"
[ "$(tail -n +2 "$tmp/cores/sweep.tsv" | wc -l)" -eq 3 ] || fail "cores sweep.tsv rows"
# 12. --collect reads only a plan of its format and version: any other
# plan.json is refused (exit 2) with one line naming the file.
cp "$tmp/cores/plan.json" "$tmp/plan.json.good"
for edit in 'del d["format"]' 'd["format"] = "other"' \
    'd["format_version"] = 2' 'd["gilsim_version"] = "0.0.1"'; do
    python3 - "$tmp/cores/plan.json" "$edit" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
exec(sys.argv[2])
json.dump(d, open(sys.argv[1], "w"))
PY
    "$G" sweep --collect="$tmp/cores" --no-plots >/dev/null 2>"$tmp/v.err" && st=0 || st=$?
    [ "$st" -eq 2 ] || fail "plan.json with $edit: exit $st, expected 2"
    [ "$(wc -l <"$tmp/v.err")" -eq 1 ] || fail "plan.json with $edit: $(cat "$tmp/v.err")"
    case $edit in
    *gilsim_version*)
        grep -q "planned by gilsim 0.0.1; this is gilsim" "$tmp/v.err" ||
            fail "version: $(cat "$tmp/v.err")" ;;
    *)
        grep -q "cores/plan.json is not a gilsim plan of format 1" "$tmp/v.err" ||
            fail "format: $(cat "$tmp/v.err")" ;;
    esac
    cp "$tmp/plan.json.good" "$tmp/cores/plan.json"
done

# 13. A plan folder with a space, a quote and a '%': the launchers and
# the lines --plan prints carry it. The Kubernetes container's command
# and the Slurm script run their job here (as the pod and the array task
# would), the YAML parses with the folder as mountPath, Slurm's --output
# is quoted with the '%' doubled; a '"' is refused before anything is made.
odd="$tmp/it's a 100% plan"
"$G" sweep --plan="$odd" --workload=cpu --count=20K --engine=virtual \
    --model=threads --threads=1,2 >"$tmp/o.out" 2>&1 || fail "odd --plan: $(cat "$tmp/o.out")"
grep -qxF "#SBATCH --output=\"$tmp/it's a 100%% plan/logs/slurm-%A_%a.out\"" "$odd/slurm.sbatch" ||
    fail "slurm --output: $(grep output "$odd/slurm.sbatch")"
python3 - "$odd/k8s-job.yaml" "$odd" >"$tmp/k8s.sh" <<'PY' || fail "k8s-job.yaml does not parse"
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
c = doc["spec"]["template"]["spec"]["containers"][0]
assert c["volumeMounts"][0]["mountPath"] == sys.argv[2], c["volumeMounts"]
assert c["command"][:2] == ["/bin/sh", "-c"], c["command"]
print(c["command"][2])
PY
JOB_COMPLETION_INDEX=0 /bin/sh -c "$(cat "$tmp/k8s.sh")" >/dev/null 2>&1 ||
    fail "the k8s command exited $?: $(cat "$tmp/k8s.sh")"
SLURM_ARRAY_TASK_ID=1 bash "$odd/slurm.sbatch" >/dev/null 2>&1 || fail "slurm.sbatch exited $?"
collect=$(sed -n 's/^then: gilsim sweep //p' "$tmp/o.out")
eval "set -- $collect"
"$G" sweep "$@" --no-plots >/dev/null 2>"$tmp/o.err" ||
    fail "the printed collect line exited $?: $collect: $(cat "$tmp/o.err")"
grep -q "2 jobs: 2 finished" "$tmp/o.err" || fail "odd collect: $(cat "$tmp/o.err")"
if "$G" sweep --plan="$tmp/a\"b" --model=threads >/dev/null 2>"$tmp/q.err"; then
    fail "a plan folder with a double quote was accepted"
fi
grep -q "^gilsim: --plan=.*expected a folder whose absolute path has no" "$tmp/q.err" ||
    fail "double quote: $(cat "$tmp/q.err")"
[ ! -e "$tmp/a\"b" ] || fail "a refused plan folder was made"
# An empty folder of the user's, refused (a link leads to a '#'), stays
# the very folder it was: not removed and made again.
mkdir "$tmp/real#dir"
ln -s "$tmp/real#dir" "$tmp/link"
inode=$(ls -di "$tmp/real#dir" | cut -d' ' -f1)
if "$G" sweep --plan="$tmp/link" --model=threads >/dev/null 2>"$tmp/q.err"; then
    fail "a plan folder whose real path has a '#' was accepted"
fi
grep -q "has the character 0x23" "$tmp/q.err" || fail "'#': $(cat "$tmp/q.err")"
[ "$(ls -di "$tmp/real#dir" | cut -d' ' -f1)" = "$inode" ] ||
    fail "the user's empty plan folder was made again"
[ -z "$(ls -A "$tmp/real#dir")" ] || fail "the refused plan left files"
# 14. A finished cell that is not its job's (another gilsim version,
# another pool) is failed in collect, and its job refuses it (exit 2)
# rather than calling it finished, until it is removed as collect says.
# A job whose OUT.part another gilsim holds is refused and leaves that
# run's folder and lock alone.
t1=$(ids "$tmp/cores" | sed -n 1p)
t2=$(ids "$tmp/cores" | sed -n 2p)
sed 's/"gilsim_version": "[^"]*"/"gilsim_version": "0.0.1"/' \
    "$tmp/cores/cells/$t1/summary.json" >"$tmp/s.json"
mv "$tmp/s.json" "$tmp/cores/cells/$t1/summary.json"
sed 's/"threads": 2,/"threads": 3,/' "$tmp/cores/cells/$t2/summary.json" >"$tmp/s.json"
mv "$tmp/s.json" "$tmp/cores/cells/$t2/summary.json"
"$G" sweep --collect="$tmp/cores" --no-plots >/dev/null 2>"$tmp/w.err" && st=0 || st=$?
[ "$st" -eq 1 ] || fail "collect of edited cells: exit $st"
grep -q "^gilsim: failed: $t1 (line 1 of jobs.txt): run by gilsim 0.0.1.*; remove cells/$t1 to run it again" "$tmp/w.err" ||
    fail "another version's cell: $(cat "$tmp/w.err")"
grep -q "^gilsim: failed: $t2 (line 2 of jobs.txt): its summary.json is not this cell's (.*threads 2); remove cells/$t2" "$tmp/w.err" ||
    fail "another pool's cell: $(cat "$tmp/w.err")"
for k in 1 2; do
    line=$(sed -n "${k}p" "$tmp/cores/jobs.txt")
    sh -c "$line" >/dev/null 2>"$tmp/j.err" && st=0 || st=$?
    [ "$st" -eq 2 ] || fail "job $k on a cell not its own: exit $st: $(cat "$tmp/j.err")"
    grep -q "not this cell's.*remove .* and run the job again" "$tmp/j.err" ||
        fail "job $k: $(cat "$tmp/j.err")"
done
rm -r "$tmp/cores/cells/$t1" "$tmp/cores/cells/$t2"
mkdir "$tmp/cores/cells/$t1.part"
python3 - "$tmp/cores/cells/$t1.part/.gilsim.lock" "$(sed -n 1p "$tmp/cores/jobs.txt")" >"$tmp/j.err" <<'PY'
import fcntl, subprocess, sys
with open(sys.argv[1], "w") as f:
    fcntl.lockf(f, fcntl.LOCK_EX)
    r = subprocess.run(["sh", "-c", sys.argv[2]], capture_output=True, text=True)
    print(r.returncode, r.stderr)
PY
grep -q "^2 .*another gilsim is running this cell" "$tmp/j.err" ||
    fail "a job beside a run under way: $(cat "$tmp/j.err")"
[ -f "$tmp/cores/cells/$t1.part/.gilsim.lock" ] || fail "the other run's lock was removed"
sh "$tmp/cores/jobs.txt" >/dev/null 2>&1 || fail "cores jobs again"
[ ! -e "$tmp/cores/cells/$t1.part" ] || fail "$t1.part left"
[ ! -e "$tmp/cores/cells/$t1/.gilsim.lock" ] || fail "the lock file was left in $t1"
"$G" sweep --collect="$tmp/cores" --no-plots >/dev/null 2>"$tmp/w.err" ||
    fail "collect after removing the cells: $(cat "$tmp/w.err")"
# 15. The loop's concurrency is part of its cell's place: a loop cell
# whose summary.json says another concurrency is failed.
lc=$(ids "$tmp/seed" | grep '^loop-.*-c2-' | sed -n 1p)
[ -n "$lc" ] || fail "no loop cell of concurrency 2 in the seed plan"
grep -q '"concurrency": 2,' "$tmp/seed/cells/$lc/summary.json" ||
    fail "$lc's summary.json does not say its concurrency"
sed 's/"concurrency": 2,/"concurrency": 5,/' "$tmp/seed/cells/$lc/summary.json" >"$tmp/s.json"
mv "$tmp/s.json" "$tmp/seed/cells/$lc/summary.json"
"$G" sweep --collect="$tmp/seed" --no-plots >/dev/null 2>"$tmp/l.err" && st=0 || st=$?
[ "$st" -eq 1 ] || fail "collect of a loop cell of another concurrency: exit $st"
grep -q "^gilsim: failed: $lc .*not this cell's (.*concurrency 2)" "$tmp/l.err" ||
    fail "loop concurrency: $(cat "$tmp/l.err")"
echo "sweep_plan.sh: ok"
