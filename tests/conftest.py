"""Shared fixtures: the project's own params and a scratch copy of the project to run."""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from filelock import FileLock

from gdpipe.optimizers import hyperparameters

ROOT = Path(__file__).resolve().parents[1]
# What a pipeline run needs from the project: the tree a user clones, minus outputs.
PROJECT_FILES = (
    "Snakefile",
    "rules",
    "params.yaml",
    "profiles",
    "report",
    "scripts",
    "gdpipe",
    "envs",
    "pyproject.toml",
)

# The unit tests' own settings: a complete, valid params file as data. Unit tests start from
# this and change what they test, so editing a default in params.yaml breaks none of them.
UNIT_PARAMS = {
    "device": "cpu",
    "surface": {
        "name": "sincos",
        "seed": 0,
        "n_starts": 30,
        "steps": 100,
        "lr": "auto",
        "low": "auto",
        "high": "auto",
        "paths": 100,
    },
    "quadratic": {
        "seed": 0,
        "init_seed": 0,
        "n_points": 20,
        "noise": 3.0,
        "test_size": 0.25,
        "split_seed": 42,
        "lr": 1e-05,
        "epochs": 20,
    },
    "linear": {
        "seed": 42,
        "weight": 0.7,
        "bias": 0.3,
        "start": 0.0,
        "end": 1.0,
        "step": 0.02,
        "test_size": 0.3,
        "split_seed": 42,
        "optimizer": "sgd",
        "loss": "l1",
        "lr": 0.001,
        "epochs": 50,
        "batch_size": 1,
    },
    "lab": {
        "surfaces": ["sincos", "rosenbrock", "bowl"],
        "optimizers": ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"],
        "lrs": [0.001, 0.01, 0.1],
        "seed": 0,
        "n_starts": 20,
        "steps": 100,
        "target": 1e-06,
        # every optimizer's hyperparameters at their defaults (gdpipe.optimizers)
        **{key: default for key, (default, _) in hyperparameters().items()},
        "condition": 100,
        "paths": 8,
    },
}

# Small settings for end-to-end runs: every experiment runs, in seconds.
SMALL = {
    "surface": {"n_starts": 6, "steps": 20},
    "quadratic": {"epochs": 5},
    "linear": {"epochs": 3},
    "lab": {"surfaces": ["bowl"], "lrs": [0.01, 0.1], "n_starts": 5, "steps": 40},
}
# The shared default run: default params but a small lab (the default lab is most of a minute
# of a cold run, and its ~50 MB of tables would be copied by every end-to-end case), on a surface
# with basins and the GIF (sincos) and the learning-rate figure's (bowl): every lab rule.
SMALL_LAB = {"lab": {**SMALL["lab"], "surfaces": ["sincos", "bowl"]}}


# profiles/default keeps runs quiet (`quiet: [rules]`); a test that reads each job's block (its
# outputs, threads, shell command) asks for it, as a user would.
JOB_BLOCKS = ("--quiet", "host")

# The longest files (end-to-end runs) first: pytest-xdist hands files to workers in this order
# (`--no-loadscope-reorder`), so none of them is left to run alone at the end. The SLURM run,
# mostly waiting on job states, makes the shared default run meanwhile; the DVC files mostly
# run one process at a time (test_dvc_runs compares its `dvc repro` with the shared run).
LONGEST_FIRST = (
    "test_slurm",
    "test_dvc",
    "test_dvc_runs",
    "test_robustness",
    "test_descent",
    "test_pipeline",
    "test_environment",
    "test_scale",
    "test_bench",
)


def pytest_configure(config):
    # pytest-xdist runs a worker per core, each beside the other's pipeline runs: in-process
    # torch work takes one thread, not every core (no bit depends on it: test_descent.py).
    if os.environ.get("PYTEST_XDIST_WORKER"):
        import torch

        torch.set_num_threads(1)


def pytest_collection_modifyitems(items):
    def rank(item):
        name = item.path.stem
        return LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)  # stable: within a file, the order stays


@pytest.fixture
def unit_params() -> dict:
    """UNIT_PARAMS, a fresh copy for each test."""
    return copy.deepcopy(UNIT_PARAMS)


@pytest.fixture
def default_params() -> dict:
    """params.yaml as shipped, as plain YAML data."""
    return yaml.safe_load((ROOT / "params.yaml").read_text())


def write_params(path: Path, params: dict) -> None:
    path.write_text(yaml.safe_dump(params, sort_keys=False))


def copy_project(dest: Path, overrides: dict | None = None) -> Path:
    """A copy of the project in dest, with params sections updated by overrides."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, dest / name)
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    for section, values in (overrides or {}).items():
        params[section].update(values)
    write_params(dest / "params.yaml", params)
    return dest


def environment() -> dict:
    """The test's environment with this interpreter's bin first, so `python` is this one."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def artifacts(project: Path) -> dict[str, bytes]:
    """Every pipeline output under data/ and results/ by path: not Git's placeholder files, nor
    the provenance records (logs of what each job ran on, which name the machine)."""
    return {
        name: path.read_bytes()
        for folder in ("data", "results")
        for path in sorted((project / folder).rglob("*"))
        if path.is_file()
        and path.name not in (".gitignore", ".gitkeep")
        and not (name := str(path.relative_to(project))).startswith("results/provenance")
    }


def snakemake(workdir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run the real Snakemake CLI in workdir."""
    bin_dir = Path(sys.executable).parent
    result = subprocess.run(
        [str(bin_dir / "snakemake"), *args],
        cwd=workdir,
        env=environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"snakemake {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        )
    return result


@pytest.fixture(scope="session")
def default_run(tmp_path_factory, worker_id) -> Path:
    """A copy of the project run to completion with `--cores all` on default params, but a
    small lab (SMALL_LAB).

    One run for the whole session: the first pytest-xdist worker to ask makes it while the
    others wait on a file lock (pytest-xdist's recipe). Shared by the end-to-end modules of
    every worker, so no test may change it: copy it first.
    """
    base = tmp_path_factory.getbasetemp()
    shared = base if worker_id == "master" else base.parent  # one folder per session
    project, done = shared / "default_run" / "project", shared / "default_run.done"
    with FileLock(shared / "default_run.lock"):
        if not done.exists():
            shutil.rmtree(project, ignore_errors=True)  # a run that failed in another worker
            snakemake(copy_project(project, SMALL_LAB), "--cores", "all")
            done.touch()
    return project
