#!/bin/sh
# slurm_sweep.sh [GILSIM] - a planned gilsim sweep run by a real Slurm:
# brings up a one-node cluster on this machine from Debian's packages
# (slurm-wlm, munge), submits the plan's slurm.sbatch (an array job, one
# cell a task, --exclusive) with `sbatch --wait`, then collects it and
# prints the collect's lines and the array's accounting.
#
# Needs root (the daemons run as root here, with a throw-away config in
# a temporary folder) and no systemd: munged, slurmctld and slurmd run in
# the foreground (-D / -F), started and stopped by this script by their
# process ids. proctrack/linuxproc and task/none keep Slurm off cgroups,
# which containers often lack. Installs the packages if they are missing
# (apt-get; Debian's archive only).
#
# Usage: bench/slurm_sweep.sh [path/to/gilsim]   (default build/dev/gilsim)
set -eu

G=${1:-build/dev/gilsim}
G=$(cd "$(dirname "$G")" && pwd)/$(basename "$G")
[ -x "$G" ] || { echo "slurm_sweep.sh: no gilsim at $G" >&2; exit 2; }
if [ "$(id -u)" -ne 0 ]; then
    echo "slurm_sweep.sh: run as root (it starts munged, slurmctld, slurmd)" >&2
    exit 2
fi
if ! command -v slurmctld >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        slurm-wlm munge >/dev/null
fi

tmp=$(mktemp -d /tmp/gilsim-slurm-XXXXXX)
pids=""
cleanup() {
    for p in $pids; do
        kill "$p" 2>/dev/null || true
    done
    for p in $pids; do
        wait "$p" 2>/dev/null || true
    done
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

host=$(hostname -s)
cpus=$(nproc)
mkdir -p "$tmp/munge" "$tmp/state" "$tmp/spool" "$tmp/log"
# munge: a key of our own and a socket in tmp, so a munged of the machine
# (if any) is left alone.
dd if=/dev/urandom of="$tmp/munge/munge.key" bs=1024 count=1 2>/dev/null
chmod 700 "$tmp/munge"
chmod 400 "$tmp/munge/munge.key"
sock="$tmp/munge/munge.socket"
munged --foreground --force --key-file="$tmp/munge/munge.key" \
    --socket="$sock" --pid-file="$tmp/munge/munged.pid" \
    --log-file="$tmp/log/munged.log" --seed-file="$tmp/munge/seed" \
    >"$tmp/log/munged.out" 2>&1 &
pids="$pids $!"

cat >"$tmp/slurm.conf" <<EOF
ClusterName=gilsim
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$sock
CredType=cred/munge
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
SlurmctldPort=16817
SlurmdPort=16818
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
NodeName=$host CPUs=$cpus State=UNKNOWN
PartitionName=main Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$tmp/slurm.conf"

# munged makes its socket once ready; slurmctld and slurmd need it.
i=0
until [ -S "$sock" ]; do
    i=$((i + 1))
    [ $i -le 100 ] || { echo "slurm_sweep.sh: munged did not start:" >&2; cat "$tmp/log/munged.log" >&2; exit 1; }
    sleep 0.1
done
slurmctld -D -f "$SLURM_CONF" >"$tmp/log/slurmctld.out" 2>&1 &
pids="$pids $!"
slurmd -D -f "$SLURM_CONF" >"$tmp/log/slurmd.out" 2>&1 &
pids="$pids $!"
i=0
until sinfo -h -o %T 2>/dev/null | grep -q idle; do
    i=$((i + 1))
    if [ $i -gt 300 ]; then
        echo "slurm_sweep.sh: the node never became idle; sinfo says:" >&2
        sinfo >&2 || true
        for f in slurmctld.out slurmd.out slurmctld.log slurmd.log; do
            echo "== $f" >&2
            tail -20 "$tmp/log/$f" >&2 2>/dev/null || true
        done
        exit 1
    fi
    sleep 0.1
done
sinfo

# A planned sweep: 12 real-time cells of the countdown.
"$G" sweep --plan="$tmp/plan" --workload=cpu --count=2M \
    --model=threads,nogil --threads=1,2,4 --switch-interval=1ms,5ms
start=$(date +%s.%N)
sbatch --wait "$tmp/plan/slurm.sbatch"
end=$(date +%s.%N)
echo "sbatch --wait: $(echo "$end - $start" | bc) s for the array"
echo "array task logs: $(ls "$tmp/plan/logs" | wc -l) in plan/logs"
"$G" sweep --collect="$tmp/plan" --no-plots
cut -f1-5 "$tmp/plan/cells.tsv" | head -4
cat "$tmp/plan/sweep.tsv"
