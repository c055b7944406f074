#!/usr/bin/env bash
# A one-node SLURM cluster on this machine, for tests: tools/slurm_local.sh start|stop|status.
#
# start   installs Debian's munge, slurmctld, slurmd and slurm-client if missing (apt-get, as
#         root), writes slurm.conf under a private state dir ($GDPIPE_SLURM_DIR, default
#         /tmp/gdpipe-slurm), starts munged (unless one answers already), slurmctld and slurmd,
#         and waits until the node is idle. Run again, it finds the cluster up and returns.
# stop    cancels the cluster's jobs and stops every daemon start started (their pid files are
#         under the state dir), whether the run passed or not; the logs stay.
# status  exit status 0 when the cluster is up.
#
# Configless: slurmd fetches slurm.conf from slurmctld and links /run/slurm/conf to its copy,
# where every SLURM command looks (no SLURM_CONF needed, and the slurm-jobstep plugin drops
# SLURM_CONF before it calls srun inside a job). Hence the default munge socket, too: slurmd
# needs munge to fetch its config. No accounting (slurmdbd): run Snakemake with
# `--slurm-status-command squeue`; MinJobAge keeps finished jobs in squeue for an hour, and
# log/jobcomp.log records each job. proctrack/linuxproc and task/none need no cgroups.
set -euo pipefail

STATE=${GDPIPE_SLURM_DIR:-/tmp/gdpipe-slurm}
CONF=$STATE/slurm.conf
CLUSTER=gdpipe-$(cksum <<<"$STATE" | cut -d" " -f1) # its jobs carry it: one name per state dir
CTLD_PORT=${GDPIPE_SLURM_PORT:-16817} # slurmd on the next port: SLURM's 6817/6818 stay free
PACKAGES=(munge slurmctld slurmd slurm-client)

say() { echo "slurm_local: $*" >&2; }
die() {
    say "$*"
    [[ ${STARTING:-} ]] && stop >/dev/null 2>&1
    exit 1
}
alive() { [[ -s $STATE/$1.pid ]] && kill -0 "$(cat "$STATE/$1.pid")" 2>/dev/null; }
node_state() { timeout 10 sinfo -h -N -o %T 2>/dev/null | head -1 || true; }
up() { alive slurmctld && alive slurmd && [[ $(node_state) =~ ^(idle|mixed|allocated) ]]; }

install_packages() {
    local cmd missing=()
    for cmd in munged slurmctld slurmd sbatch squeue; do
        command -v "$cmd" >/dev/null || missing+=("$cmd")
    done
    [[ ${#missing[@]} -eq 0 ]] && return
    [[ $EUID -eq 0 ]] || die "cannot install ${PACKAGES[*]} (${missing[*]} missing): not root"
    command -v apt-get >/dev/null || die "cannot install ${PACKAGES[*]}: no apt-get here"
    say "installing ${PACKAGES[*]} with apt-get"
    local apt=(timeout 300 env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq
        --no-install-recommends "${PACKAGES[@]}")
    "${apt[@]}" >"$STATE/apt.log" 2>&1 || {
        timeout 120 apt-get update -qq >>"$STATE/apt.log" 2>&1 &&
            "${apt[@]}" >>"$STATE/apt.log" 2>&1
    } || die "apt-get install ${PACKAGES[*]} failed; see $STATE/apt.log"
}

write_config() {
    local node
    node=$(slurmd -C | head -1) # NodeName=<host> CPUs=... RealMemory=...
    [[ $node == NodeName=* ]] || die "slurmd -C printed no node line: $node"
    rm -rf "${STATE:?}"/{ctld,spool} # a fresh cluster each start: no jobs or state of old ones
    mkdir -p "$STATE"/{ctld,spool,log}
    cat >"$CONF" <<EOF
# Written by tools/slurm_local.sh: a one-node test cluster.
ClusterName=$CLUSTER
SlurmctldHost=$(hostname)
SlurmctldParameters=enable_configless
SlurmUser=root
SlurmctldPort=$CTLD_PORT
SlurmdPort=$((CTLD_PORT + 1))
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1000
ReturnToService=2
MinJobAge=3600
KillWait=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$STATE/log/jobcomp.log
$node
PartitionName=main Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
}

start_munge() {
    munge -n </dev/null >/dev/null 2>&1 && return # a munged answers already: use it
    [[ -s /etc/munge/munge.key ]] || runuser -u munge -- mungekey --create ||
        die "no /etc/munge/munge.key, and mungekey could not make one"
    mkdir -p /run/munge
    chown munge:munge /run/munge
    runuser -u munge -- munged || die "munged did not start; see /var/log/munge/munged.log"
    cp /run/munge/munged.pid "$STATE/munged.pid"
}

start() {
    mkdir -p "$STATE"
    up && return
    STARTING=1
    stop >/dev/null 2>&1 # whatever a failed start left
    install_packages
    [[ -e /etc/slurm/slurm.conf ]] &&
        die "/etc/slurm/slurm.conf exists: this machine has a SLURM set-up of its own"
    local port
    for port in "$CTLD_PORT" $((CTLD_PORT + 1)); do
        ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null ||
            die "port $port is taken (another cluster of this script, with another GDPIPE_SLURM_DIR?); set GDPIPE_SLURM_PORT"
    done
    write_config
    start_munge
    SLURM_CONF=$CONF slurmctld -c -f "$CONF" ||
        die "slurmctld did not start; see $STATE/log/slurmctld.log"
    slurmd --conf-server "$(hostname):$CTLD_PORT" ||
        die "slurmd did not start; see $STATE/log/slurmd.log"
    local deadline=$((SECONDS + 90))
    until [[ $(node_state) == idle* ]]; do
        ((SECONDS < deadline)) ||
            die "node $(hostname) is '$(node_state)', not idle, after 90 s; see $STATE/log/"
        sleep 0.2
    done
    say "node $(hostname) idle; logs in $STATE/log"
}

any_alive() {
    local pid
    for pid in "$@"; do kill -0 "$pid" 2>/dev/null && return 0; done
    return 1
}

# TERM all at once (each daemon takes ~2 s to go), wait up to 15 s, then KILL.
stop_daemons() {
    local name pid pids=()
    for name in "$@"; do
        alive "$name" && pids+=("$(cat "$STATE/$name.pid")")
    done
    [[ ${#pids[@]} -gt 0 ]] && kill "${pids[@]}" 2>/dev/null
    local deadline=$((SECONDS + 15))
    while ((SECONDS < deadline)) && any_alive "${pids[@]}"; do sleep 0.1; done
    for pid in "${pids[@]}"; do
        kill -0 "$pid" 2>/dev/null && { say "$pid ignored TERM: killed"; kill -9 "$pid" || true; }
    done
    for name in "$@"; do rm -f "$STATE/$name.pid"; done
}

# What the cluster's jobs run carries its name in SLURM_CLUSTER_NAME; its slurmstepds carry the
# path of slurmd's copy of slurm.conf in SLURM_CONF.
job_pids() {
    local environ
    for environ in /proc/[0-9]*/environ; do
        grep -qszxF -e "SLURM_CLUSTER_NAME=$CLUSTER" -e "SLURM_CONF=$STATE/spool/conf-cache/slurm.conf" \
            "$environ" && basename "$(dirname "$environ")"
    done
    return 0
}

stop() {
    local jobs
    if alive slurmctld; then
        mapfile -t jobs < <(timeout 10 squeue -h -o %i 2>/dev/null)
        [[ ${#jobs[@]} -eq 0 ]] || timeout 10 scancel --full "${jobs[@]}" 2>/dev/null || true
        local deadline=$((SECONDS + 20))
        while ((SECONDS < deadline)) && [[ -n $(timeout 5 squeue -h 2>/dev/null) ]]; do sleep 0.2; done
    fi
    stop_daemons slurmd slurmctld munged
    local left
    mapfile -t left < <(job_pids)
    if [[ ${#left[@]} -gt 0 ]]; then
        say "killing what its jobs left running: ${left[*]}"
        kill -9 "${left[@]}" 2>/dev/null || true
    fi
    # slurmd's link to its copy of slurm.conf would send SLURM commands to a stopped cluster.
    [[ $(readlink /run/slurm/conf 2>/dev/null) == "$STATE/spool/conf-cache" ]] && rm -f /run/slurm/conf
    say "stopped"
}

case ${1:-} in
start) start ;;
stop) stop ;;
status) up ;;
*) die "usage: $0 start|stop|status" ;;
esac
