"""The project stays ruff-clean, snakefmt-clean and `snakemake --lint`-clean, and the conda
environment of the rules pins what the constraints file pins."""

import re
import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import ROOT, environment

BIN = Path(sys.executable).parent


def _run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        command, cwd=ROOT, env=environment(), capture_output=True, text=True, check=False
    )


def test_ruff_is_clean():
    result = _run(str(BIN / "ruff"), "check", ".")
    assert result.returncode == 0, result.stdout


def test_snakefmt_is_clean():
    result = _run(str(BIN / "snakefmt"), "--check", "Snakefile", "rules")
    assert result.returncode == 0, result.stderr


def test_snakemake_lint_is_clean():
    result = _run(str(BIN / "snakemake"), "--lint")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Congratulations, your workflow is in a good condition!" in result.stderr


def test_conda_env_matches_the_constraints():
    pins = dict(
        line.split("==")
        for line in (ROOT / "requirements/constraints.txt").read_text().splitlines()
        if re.match(r"^[A-Za-z0-9_.-]+==", line)
    )
    env = yaml.safe_load((ROOT / "envs/gdpipe.yaml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    for requirement in pip:
        name, version = requirement.split("==")
        assert pins[name] == version, name
