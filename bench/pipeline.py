"""The pipeline rows: whole `snakemake` and `dvc repro` runs, and each job's start-up."""

from __future__ import annotations

import json
import math
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STARTUP_COLUMNS = ("rule", "jobs", "startup_s", "import_torch_s", "ratio", "libraries")
STARTUP_LIBRARIES = ("torch", "scikit-learn", "matplotlib", "pandas")  # seconds each to import


def _project_copy(dest: Path) -> Path:
    """The working tree as a user would clone it (tracked and unignored files), a git repo."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        if Path(name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(name, dest / name)
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost"]
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "bench"]):
        subprocess.run([*git, *command], cwd=dest, check=True, capture_output=True)
    return dest


def _wall(command: list[str], cwd: Path) -> float:
    from gdpipe.pipeline import run_jobs_with_this_python

    run_jobs_with_this_python()  # the jobs' `python` is this interpreter's, activated or not
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)}: failed\n{done.stderr.decode()[-3000:]}")
    return time.perf_counter() - start


def pipeline_rows(device: str, tools: list[str]) -> tuple[list[dict], list[dict]]:
    """The pipeline rows of each tool (snakemake, dvc), and the job start-ups of the cold `dvc
    repro` (job_startups)."""
    bin_dir = Path(sys.executable).parent
    commands = {
        "snakemake": [str(bin_dir / "snakemake"), "--cores", "all"],
        "dvc": [str(bin_dir / "dvc"), "repro", "--quiet"],
    }
    base = statistics.median(
        _wall([sys.executable, "-c", "import torch"], Path.cwd()) for _ in range(3)
    )
    rows, startups = [], []
    with tempfile.TemporaryDirectory() as scratch:
        for tool in tools:
            command = commands[tool]
            project = _project_copy(Path(scratch) / tool)
            params = project / "params.yaml"
            times = {"cold": _wall(command, project)}
            if tool == "dvc":  # one stage at a time: each job started on an idle machine
                startups = job_startups(project, base)
            times["noop"] = _wall(command, project)
            params.write_text(params.read_text().replace("\n  lr: 0.001", "\n  lr: 0.002", 1))
            times["change"] = _wall(command, project)
            for kind, seconds in times.items():
                rows.append(
                    {
                        "case": f"pipeline_{kind}",
                        "size": 1,
                        "dtype": tool,
                        "device": device,
                        "baseline_per_s": 1 / base,
                        "per_s": 1 / seconds,
                        "peak_mib": math.nan,
                    }
                )
    return rows, startups


def job_startups(project: Path, import_torch: float) -> list[dict]:
    """Per rule of a finished run: its jobs' start-up (the interpreter and the script's imports,
    from each job's log), the median over its jobs, against `python -c "import torch"`, and the
    libraries its jobs imported by their end (their provenance records)."""
    from gdpipe.cli import STARTED

    by_rule = {}
    for log_file in sorted((project / "logs").rglob("*.log")):
        relative = log_file.relative_to(project / "logs").with_suffix("")
        lines = [line for line in log_file.read_text().splitlines() if STARTED in line]
        if not lines:
            continue
        seconds = float(lines[0].split(STARTED)[1].split()[0])
        record = project / "results" / "provenance" / relative.with_suffix(".json")
        imported = json.loads(record.read_text()) if record.exists() else {}
        rule = by_rule.setdefault(relative.parts[0], {"seconds": [], "libraries": set()})
        rule["seconds"].append(seconds)
        rule["libraries"].update(name for name in STARTUP_LIBRARIES if name in imported)
    return [
        {
            "rule": name,
            "jobs": len(rule["seconds"]),
            "startup_s": statistics.median(rule["seconds"]),
            "import_torch_s": import_torch,
            "ratio": statistics.median(rule["seconds"]) / import_torch,
            "libraries": " ".join(sorted(rule["libraries"])) or "none",
        }
        for name, rule in sorted(by_rule.items())
    ]
