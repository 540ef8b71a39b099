#!/usr/bin/env bash
# The sharded sweep on a real Slurm: installs Debian's slurm-wlm and munge, starts a one-node cluster on
# this machine (munged, slurmctld, slurmd; no cgroups: proctrack/linuxproc, task/none), runs a 4-task
# array sweep of 24 variants with slurm/sweep.sbatch and the release binary, merges the parts, and compares
# them byte for byte with the single-process sweep. The daemons are stopped whatever happens. Needs root
# (packages, daemons); everything else lives in a temporary directory.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
if [ "$(id -u)" -ne 0 ]; then
    echo "slurm.sh: needs root (it installs packages and starts the Slurm daemons)" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
timeout 600 apt-get update -q
timeout 900 apt-get install -y -q slurm-wlm munge

cargo build --release --bin lapsim
lapsim="${CARGO_TARGET_DIR:-$root/target}/release/lapsim"

work=$(mktemp -d /tmp/lapsim-slurm.XXXXXX)
# munged wants every directory above its socket searchable by all.
chmod 0755 "$work"
pids=()
cleanup() {
    status=$?
    set +e
    if [ -n "${SLURM_CONF:-}" ] && [ -f "$SLURM_CONF" ]; then
        timeout 20 scancel --quiet --name=lapsim-sweep 2>/dev/null
    fi
    # Stop the daemons this script started, by their ids, newest first.
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
        kill "${pids[i]}" 2>/dev/null
    done
    for pid in "${pids[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        kill -9 "$pid" 2>/dev/null
    done
    if [ "$status" -ne 0 ]; then
        echo "slurm.sh: FAILED (exit $status); the logs:" >&2
        for f in "$work"/*.log "$work"/*.err "$work"/job-*.out; do
            [ -f "$f" ] && { echo "--- $f" >&2; tail -n 30 "$f" >&2; }
        done
    fi
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
    echo "slurm.sh: $*" >&2
    exit 1
}

# munge: a fresh key and socket of our own, so a system munged (if any) is left alone.
mkdir -p "$work/munge"
chmod 0755 "$work/munge"
dd if=/dev/urandom of="$work/munge/munge.key" bs=1024 count=1 status=none
chmod 0400 "$work/munge/munge.key"
munged --foreground --force --socket="$work/munge/munge.socket" --key-file="$work/munge/munge.key" \
    --pid-file="$work/munge/munged.pid" --seed-file="$work/munge/munged.seed" \
    --log-file="$work/munged.log" >"$work/munged.err" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [ -S "$work/munge/munge.socket" ] && break; sleep 0.2; done
[ -S "$work/munge/munge.socket" ] || fail "munged did not start"
munge --socket="$work/munge/munge.socket" -n | unmunge --socket="$work/munge/munge.socket" >/dev/null ||
    fail "munge cannot encode and decode a credential"

# A one-node cluster on this host, with ports of its own.
host=$(hostname -s)
mkdir -p "$work/state" "$work/spool"
export SLURM_CONF="$work/slurm.conf"
cat >"$SLURM_CONF" <<CONF
ClusterName=lapsimci
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$work/munge/munge.socket
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=ci Nodes=$host Default=YES MaxTime=30 State=UP
CONF
slurmctld -D -i -f "$SLURM_CONF" >"$work/slurmctld.err" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" -N "$host" >"$work/slurmd.err" 2>&1 &
pids+=($!)

# Wait for the node to be idle (at most 60 s).
state=""
for _ in $(seq 120); do
    state=$(timeout 10 sinfo -h -N -n "$host" -o %t 2>/dev/null | head -n1 || true)
    case "$state" in
    idle) break ;;
    down* | drain* | unk*) timeout 10 scontrol update nodename="$host" state=resume 2>/dev/null || true ;;
    esac
    sleep 0.5
done
[ "$state" = idle ] || fail "the node did not become idle (state '$state')"
echo "slurm.sh: one-node cluster up ($host, $(nproc) CPUs)"

args=(--car cars/porsche_997_gt3_cup.toml --track tracks/oschersleben.csv --line min-curvature
    --set mass.car_kg=1100:1250:4 --set driveline.final_drive_ratio=3.2:3.7:6)
"$lapsim" sweep "${args[@]}" --out "$work/single" >/dev/null

# The array job: 4 tasks, each one shard; --wait returns non-zero if any task failed.
OUT="$work/parts" LAPSIM="$lapsim" timeout 900 sbatch --wait --array=0-3 --chdir="$root" \
    --output="$work/job-%A_%a.out" --time=10 slurm/sweep.sbatch "${args[@]}" ||
    fail "the array job failed or timed out"
parts=("$work"/parts/sweep.part-*-of-4.json)
[ "${#parts[@]}" -eq 4 ] || fail "expected 4 part files, found ${#parts[@]}"
"$lapsim" merge "${parts[@]}" --out "$work/merged" >/dev/null
cmp "$work/single/sweep.csv" "$work/merged/sweep.csv" || fail "merged sweep.csv differs from the single-process one"
cmp "$work/single/sweep.png" "$work/merged/sweep.png" || fail "merged sweep.png differs from the single-process one"
echo "slurm.sh: a 4-task array sweep of $(($(wc -l <"$work/merged/sweep.csv") - 1)) variants merged byte for byte into the single-process result"
