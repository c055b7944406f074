"""The CPU-kernel pin: a job writes the same bytes whatever kernels its environment asks for."""

import json
import os
import subprocess
import sys

import pytest

from gdpipe import kernels
from tests.conftest import ROOT, UNIT_PARAMS, write_params

pytestmark = pytest.mark.skipif(not kernels.has_avx2(), reason="this CPU has no AVX2 to pin to")

# What a user's shell might hold: torch's scalar kernels and numpy without its AVX2 loops.
OTHER_KERNELS = {"ATEN_CPU_CAPABILITY": "default", "NPY_DISABLE_CPU_FEATURES": "X86_V3 X86_V4"}


@pytest.fixture(scope="module")
def starts(tmp_path_factory):
    folder = tmp_path_factory.mktemp("kernels")
    write_params(folder / "params.yaml", UNIT_PARAMS)
    job(folder, {}, "generate_data", "--experiment", "surface", "--out", "starts.csv")
    return folder


def job(folder, env, step, *args):
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    environment.pop("GDPIPE_CPU_KERNELS", None)
    environment.update(env)
    subprocess.run(
        [sys.executable, "-m", f"scripts.{step}", "--params", "params.yaml", *args],
        cwd=folder,
        env=environment,
        check=True,
        capture_output=True,
    )


def descend(folder, name, env):
    """Example 1's descent job under `env`: its trajectories' bytes and its provenance."""
    outs = [f"--{out}" for out in ("trajectories", "history", "metrics")]
    paths = [f"{name}.{out[2:]}" for out in outs]
    job(folder, env, "descend", "--starts", "starts.csv", "--provenance", f"{name}.json",
        *[arg for pair in zip(outs, paths, strict=True) for arg in pair])  # fmt: skip
    record = json.loads((folder / f"{name}.json").read_text())
    return (folder / paths[0]).read_bytes() + (folder / paths[1]).read_bytes(), record


def test_a_job_keeps_its_bytes_whatever_kernels_its_environment_asks_for(starts):
    normal, record = descend(starts, "normal", {})
    assert (record["cpu_kernels"], record["torch_cpu_kernels"]) == ("portable", "AVX2")
    assert record["numpy_cpu_kernels"] == "X86_V3"
    asked_other, record = descend(starts, "asked_other", OTHER_KERNELS)
    assert record["torch_cpu_kernels"] == "AVX2"
    assert asked_other == normal


def test_opting_out_runs_the_kernels_asked_for_and_other_bytes(starts):
    normal, _ = descend(starts, "normal", {})
    native, record = descend(starts, "native", {"GDPIPE_CPU_KERNELS": "native", **OTHER_KERNELS})
    assert (record["cpu_kernels"], record["torch_cpu_kernels"]) == ("native", "DEFAULT")
    assert native != normal  # the pin is what keeps the bytes: without it they move


def test_a_bad_mode_stops_with_one_line_naming_the_variable_and_the_choices():
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GDPIPE_CPU_KERNELS": "fast"}
    done = subprocess.run(
        [sys.executable, "-c", "import gdpipe"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 2
    assert done.stderr == (
        "gdpipe: GDPIPE_CPU_KERNELS = 'fast' is invalid: expected one of portable, native"
        " (unset: portable)\n"
    )


@pytest.mark.parametrize(("given", "mode"), [("", "portable"), (" Native ", "native")])
def test_the_mode_ignores_case_and_spaces_and_empty_is_the_default(monkeypatch, given, mode):
    monkeypatch.setenv("GDPIPE_CPU_KERNELS", given)
    assert kernels.requested() == mode
