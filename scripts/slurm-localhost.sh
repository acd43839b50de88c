#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for testing `cargo xtask paper
# --slurm` (xtask/tests/slurm.rs) and for trying the cluster scripts by hand.
#
# Needs Debian's packages, as root:
#   apt-get install -y slurm-wlm munge
#   scripts/slurm-localhost.sh          # start (idempotent)
#   scripts/slurm-localhost.sh stop     # stop the daemons
#
# Writes /etc/slurm/slurm.conf for this machine (NodeName from `hostname -s`,
# CPUs from nproc, RealMemory from free), starts munged, slurmctld and slurmd
# as root (ProctrackType=proctrack/linuxproc, TaskPlugin=task/none: no cgroups
# needed, so it also runs inside a container), and waits until `sinfo` shows
# the node idle. No accounting database: `sacct` is not available here, use
# `squeue` and `scontrol show job` (finished jobs stay listed for an hour).
set -euo pipefail

conf_dir=/etc/slurm
state=/var/spool/slurm-localhost
logs=/var/log/slurm-localhost

stop() {
    for d in slurmd slurmctld; do
        if [ -f "/run/$d-localhost.pid" ]; then
            kill "$(cat "/run/$d-localhost.pid")" 2>/dev/null || true
            rm -f "/run/$d-localhost.pid"
        fi
    done
}

if [ "${1:-start}" = stop ]; then
    stop
    exit 0
fi

for tool in munged slurmctld slurmd sinfo; do
    command -v "$tool" >/dev/null || {
        echo "$tool not found: apt-get install -y slurm-wlm munge" >&2
        exit 1
    }
done
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }

node=$(hostname -s)
cpus=$(nproc)
# Leave 512 MiB to the system.
mem=$(free -m | awk '/^Mem:/ { m = $2 - 512; print (m < 256 ? 256 : m) }')

mkdir -p "$conf_dir" "$state/ctld" "$state/d" "$logs"
cat > "$conf_dir/slurm.conf" <<CONF
# Written by scripts/slurm-localhost.sh: a one-node test cluster.
ClusterName=localhost
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
ReturnToService=2
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/d
SlurmctldPidFile=/run/slurmctld-localhost.pid
SlurmdPidFile=/run/slurmd-localhost.pid
SlurmctldLogFile=$logs/slurmctld.log
SlurmdLogFile=$logs/slurmd.log
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
# Keep finished jobs visible to scontrol/squeue for an hour.
MinJobAge=3600
SlurmdTimeout=300
InactiveLimit=0
KillWait=5
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF

# munge: the Debian package ships a key; make one if it is missing.
mkdir -p /run/munge /var/log/munge /var/lib/munge /etc/munge
if [ ! -s /etc/munge/munge.key ]; then
    if command -v mungekey >/dev/null; then
        mungekey --create --force
    else
        dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
    fi
fi
chmod 0400 /etc/munge/munge.key
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    munged --force
    for _ in $(seq 1 50); do
        munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break
        sleep 0.1
    done
fi

stop
# A test cluster starts clean (-c): no job records left by earlier
# daemons (a machine restart or killed daemons leave them behind).
slurmctld -c
slurmd

for _ in $(seq 1 120); do
    st=$(sinfo -h -n "$node" -o %t 2>/dev/null || true)
    case "$st" in
        idle*)
            echo "slurm: node $node idle ($cpus CPUs, $mem MiB), partition debug"
            exit 0
            ;;
    esac
    sleep 0.5
done
echo "slurm: node $node did not become idle (state: ${st:-none}); see $logs/" >&2
tail -n 20 "$logs/slurmctld.log" "$logs/slurmd.log" >&2 || true
exit 1
