#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for trying the job-array recipe of scripts/slurm/
# on a laptop and for its end-to-end test in CI (.ci/run).
#
#   scripts/slurm-local.sh up     install slurm + munge with apt if missing (root), write a
#                                 slurm.conf for this host, start munged, slurmctld and slurmd,
#                                 wait until the node is idle
#   scripts/slurm-local.sh down   stop the three daemons by the pids they wrote
#
# Everything lives in a private state directory, $PREFBENCH_SLURM_DIR (default
# target/slurm-local): the config, the munge key and socket, spool, logs and pid files. Nothing
# is written to /etc, and no daemon of the system's own Slurm or munge is touched. Clients find
# the cluster through SLURM_CONF: `up` prints the line to export.
#
# Single node, root only (SlurmUser=root): proctrack/linuxproc and task/none (no cgroups, which
# containers rarely allow), no accounting, one partition `local` holding this machine's CPUs and
# memory. Not a production configuration.
set -euo pipefail

cd "$(dirname "$0")/.."
DIR=${PREFBENCH_SLURM_DIR:-$PWD/target/slurm-local}
# Absolute: the daemons change directory, and the path ends up in slurm.conf.
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
CONF=$DIR/slurm.conf
PACKAGES=(slurmctld slurmd slurm-client munge)
# The daemons in start order; each writes <name>.pid in $DIR.
DAEMONS=(munged slurmctld slurmd)

die() {
  echo "error: $*" >&2
  exit 1
}

# Installs the packages when a command is missing: as root with apt, else an error saying what
# to install. Recommends are skipped (they pull in mail and documentation).
install_missing() {
  local missing=0
  for cmd in munged slurmctld slurmd sbatch; do
    command -v "$cmd" >/dev/null || missing=1
  done
  [ "$missing" = 0 ] && return
  [ "$(id -u)" = 0 ] || die "Slurm or munge is not installed and this is not root: install ${PACKAGES[*]} (apt-get install ${PACKAGES[*]}), or run this script as root to have it do so"
  command -v apt-get >/dev/null || die "Slurm or munge is not installed and there is no apt-get here: install ${PACKAGES[*]} with this system's package manager"
  echo "installing ${PACKAGES[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  # A fresh container has no package lists: fetch them only then.
  if ! apt-cache show slurmctld >/dev/null 2>&1; then
    apt-get update -q >/dev/null
  fi
  apt-get install -y -q --no-install-recommends "${PACKAGES[@]}" >/dev/null
}

# The pid in $DIR/<daemon>.pid when that process is alive and still is <daemon> (a pid can be
# reused after a reboot); nothing otherwise.
live_pid() {
  local file=$DIR/$1.pid pid
  [ -s "$file" ] || return 0
  pid=$(<"$file")
  # The kernel's command name is cut at 15 characters: `slurmctld` and `munged` fit.
  if [ -r "/proc/$pid/comm" ] && [ "$(<"/proc/$pid/comm")" = "$1" ]; then
    echo "$pid"
  fi
}

write_config() {
  local host cpus mem_kib
  host=$(hostname -s)
  cpus=$(nproc)
  mem_kib=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
  # 95% of MemTotal: slurmd drains a node whose configured memory exceeds what it measures.
  local mem_mib=$((mem_kib * 95 / 100 / 1024))
  mkdir -p "$DIR/munge" "$DIR/ctld" "$DIR/d" "$DIR/log"
  chmod 0700 "$DIR/munge"
  cat >"$CONF" <<EOF
# Written by scripts/slurm-local.sh for $host: a one-node test cluster, root only.
ClusterName=prefbench-local
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=${PREFBENCH_SLURMCTLD_PORT:-6817}
SlurmdPort=${PREFBENCH_SLURMD_PORT:-6818}
AuthType=auth/munge
AuthInfo=socket=$DIR/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$DIR/ctld
SlurmdSpoolDir=$DIR/d
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
ReturnToService=2
# Seconds between the SIGTERM of a time limit or scancel and the SIGKILL.
KillWait=30
# Schedule pending jobs promptly: tests wait on them.
SchedulerParameters=sched_interval=2
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mib State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
}

start() {
  for d in "${DAEMONS[@]}"; do
    local pid
    pid=$(live_pid "$d")
    [ -z "$pid" ] || die "$d is already running here (pid $pid, $DIR/$d.pid): run \`$0 down\` first"
  done
  install_missing
  # A fresh cluster each time: no jobs or node state left from an earlier one.
  rm -rf "$DIR/ctld" "$DIR/d"
  write_config
  if [ ! -s "$DIR/munge/munge.key" ]; then
    head -c 1024 /dev/urandom >"$DIR/munge/munge.key"
    chmod 0400 "$DIR/munge/munge.key"
  fi
  # munged refuses to run as root unless forced; it is only this test cluster's.
  munged --force --key-file="$DIR/munge/munge.key" --socket="$DIR/munge/munge.socket" \
    --pid-file="$DIR/munged.pid" --log-file="$DIR/log/munged.log" \
    --seed-file="$DIR/munge/munged.seed" ||
    die "munged did not start; see $DIR/log/munged.log"
  export SLURM_CONF=$CONF
  # -i: ignore a saved state (there is none: a fresh StateSaveLocation).
  slurmctld -i || die "slurmctld did not start; see $DIR/log/slurmctld.log"
  slurmd || die "slurmd did not start; see $DIR/log/slurmd.log"
  local state=""
  for _ in $(seq 60); do
    state=$(sinfo -h -N -o %T 2>/dev/null | head -1)
    [ "$state" = idle ] && break
    sleep 0.5
  done
  [ "$state" = idle ] || {
    tail -5 "$DIR"/log/*.log >&2
    die "the node is not idle after 30 s (state: ${state:-no answer}); logs in $DIR/log"
  }
  echo "Slurm is up: node $(hostname -s), $(nproc) CPUs, state in $DIR"
  echo "export SLURM_CONF=$CONF"
}

stop() {
  # Reverse order: slurmd before the controller, munge last (both use it).
  local order=(slurmd slurmctld munged) stopped=()
  for d in "${order[@]}"; do
    local pid
    pid=$(live_pid "$d")
    [ -n "$pid" ] || continue
    kill "$pid"
    for _ in $(seq 100); do
      [ -d "/proc/$pid" ] || break
      sleep 0.1
    done
    [ ! -d "/proc/$pid" ] || die "$d (pid $pid) did not stop within 10 s"
    rm -f "$DIR/$d.pid"
    stopped+=("$d")
  done
  echo "Slurm is down${stopped[*]:+: stopped ${stopped[*]}}"
}

case "${1:-}" in
up) start ;;
down) stop ;;
*) die "usage: $0 up|down (state in \$PREFBENCH_SLURM_DIR, default target/slurm-local)" ;;
esac
