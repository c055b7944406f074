"""The whole pipeline as SLURM jobs gives the bytes of a local run.

A one-node SLURM cluster on this machine (tools/slurm_local.sh, a session fixture) runs the
shared default run's project (default params, small lab) with `snakemake --profile
profiles/slurm`: every job must be a SLURM job of its own, every output must equal the local
run's byte for byte, and once the cluster is stopped, pass or fail, none of its daemons or job
processes may be left.
"""

import fcntl
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, SMALL_LAB, artifacts, copy_project, environment

SCRIPT = str(ROOT / "tools/slurm_local.sh")
SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")
DAEMONS = ("munged", "slurmctld", "slurmd")
# The plugin's first poll 1 s after a job is submitted (then 10 s longer each time it finds
# none ended). The test cluster keeps no accounting: profiles/slurm finds that out itself and
# has the plugin poll squeue, not sacct.
TEST_CLUSTER_ARGS = ("--slurm-init-seconds-before-status-checks", "1")
RUN_TIMEOUT = 600  # s: the SLURM run takes ~2 min on 2 cores
LOCK = Path("/tmp/gdpipe-slurm.lock")  # one local cluster per machine: sessions take turns


def _why_no_cluster() -> str | None:
    """Why this machine cannot run a local SLURM cluster, or None."""
    if not sys.platform.startswith("linux"):
        return "a local SLURM cluster needs Linux"
    if os.geteuid() != 0:
        return "a local SLURM cluster needs root (slurmd runs jobs as their users, munged as munge)"
    if shutil.which("slurmd") is None and shutil.which("apt-get") is None:
        return "SLURM is not installed and there is no apt-get to install it"
    if Path("/etc/slurm/slurm.conf").exists():
        return "this machine has a SLURM set-up of its own (/etc/slurm/slurm.conf)"
    return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _job_processes(state: Path) -> list[int]:
    """Processes of the local cluster's jobs: what they run carries the cluster's name, their
    slurmstepds the path of slurmd's copy of slurm.conf."""
    cluster = re.search(r"^ClusterName=(.+)$", (state / "slurm.conf").read_text(), re.M)[1]
    markers = {
        f"SLURM_CLUSTER_NAME={cluster}".encode(),
        f"SLURM_CONF={state}/spool/conf-cache/slurm.conf".encode(),
    }
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if markers & set(environ.read_bytes().split(b"\0")):
                found.append(int(environ.parent.name))
        except OSError:  # gone, or not ours to read
            continue
    return found


def _take_turn(lock) -> None:
    deadline = time.monotonic() + 900
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                pytest.fail(f"another session has held the local SLURM cluster ({LOCK}) 15 min")
            time.sleep(1)


@pytest.fixture(scope="session")
def slurm_cluster(tmp_path_factory):
    """A one-node SLURM cluster for the session, stopped at its end whatever happened; then
    none of the daemons it started and none of its jobs' processes may be running."""
    reason = _why_no_cluster()
    if reason:
        pytest.skip(reason)
    if importlib.util.find_spec("snakemake_executor_plugin_slurm") is None:
        pytest.fail("the SLURM executor plugin is missing: pip install -e '.[test]'")
    state = tmp_path_factory.mktemp("slurm")
    env = {**os.environ, "GDPIPE_SLURM_DIR": str(state)}
    started_pids = {}
    with LOCK.open("w") as lock:
        _take_turn(lock)
        try:
            started = subprocess.run(
                [SCRIPT, "start"], env=env, capture_output=True, text=True, timeout=600
            )
            assert started.returncode == 0, f"{SCRIPT} start failed:\n{started.stderr}"
            started_pids = {
                name: int((state / f"{name}.pid").read_text())
                for name in DAEMONS
                if (state / f"{name}.pid").exists()  # munged only when no munged answered
            }
            yield state
        finally:
            stopped = subprocess.run(
                [SCRIPT, "stop"], env=env, capture_output=True, text=True, timeout=120
            )
    assert stopped.returncode == 0, stopped.stderr
    assert [name for name, pid in started_pids.items() if _alive(pid)] == []
    assert _job_processes(state) == []


@pytest.mark.slow
def test_every_job_is_a_slurm_job_and_gives_the_bytes_of_a_local_run(
    slurm_cluster, request, tmp_path
):
    # The shared default run's project, copied from the checkout. The run on the cluster mostly
    # waits on job states: meanwhile this worker makes (or waits for) the local run it is
    # compared with.
    project = copy_project(tmp_path / "project", SMALL_LAB)
    run = subprocess.Popen(
        [SNAKEMAKE, "--profile", "profiles/slurm", *TEST_CLUSTER_ARGS],
        cwd=project,
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        local = artifacts(request.getfixturevalue("default_run"))
        output, _ = run.communicate(timeout=RUN_TIMEOUT)
    finally:
        run.kill()  # no-op once it has ended
        run.wait()
    assert run.returncode == 0, output[-5000:]
    # Snakemake adds the workflow's own profile (rerun-incomplete) to the one named.
    assert "Using profiles profiles/slurm and workflow specific profile profiles/default" in output

    # One SLURM job per Snakemake job; only `all`, which runs nothing, stays with Snakemake.
    submitted = dict(re.findall(r"Job (\d+) has been submitted with SLURM jobid (\d+)", output))
    finished = dict(re.findall(r"Finished jobid: (\d+) \(Rule: (\w+)", output))
    assert sorted(rule for job, rule in finished.items() if job not in submitted) == ["all"]
    assert set(submitted) <= set(finished)
    assert len(set(submitted.values())) == len(submitted)
    # SLURM's own record: each of them COMPLETED (the cluster keeps finished jobs an hour).
    queue = subprocess.run(
        ["squeue", "--states=all", "--noheader", "--format=%i|%T"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout
    states = dict(line.split("|") for line in queue.splitlines())
    assert {slurm_id: states.get(slurm_id) for slurm_id in submitted.values()} == {
        slurm_id: "COMPLETED" for slurm_id in submitted.values()
    }

    on_slurm = artifacts(project)
    assert sorted(on_slurm) == sorted(local)
    assert [name for name in local if on_slurm[name] != local[name]] == []


def test_the_profile_says_what_is_missing_on_a_machine_without_slurm(tmp_path):
    # A PATH with this environment's programs (snakemake, python) and `which`, no SLURM.
    tools = tmp_path / "bin"
    tools.mkdir()
    if shutil.which("which"):  # the plugin calls it on import
        (tools / "which").symlink_to(shutil.which("which"))
    env = {**environment(), "PATH": f"{Path(sys.executable).parent}{os.pathsep}{tools}"}
    dry = subprocess.run(
        [SNAKEMAKE, "--profile", "profiles/slurm", "-n"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert dry.returncode != 0
    last = (dry.stdout + dry.stderr).strip().splitlines()[-1]
    assert (
        "no sbatch, squeue, sinfo, scontrol on PATH: this machine is not a SLURM submit host"
        in last
    )
