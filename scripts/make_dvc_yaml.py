"""dvc.yaml, generated from the Snakefile: one DVC stage per Snakemake job, never drifting.

Snakemake is asked for its jobs (its Python API, every job forced, nothing run); each job becomes
a stage with the exact shell command Snakemake runs, the job's inputs as `deps` (its data and
script; its gdpipe modules as one entry, the package folder: see dvc_deps), the keys of its
`params: settings` (what its script reads, from gdpipe.pipeline) as `params`, and its outputs
as `outs`. Top-level `metrics:` lists every output named `metrics` and
`plots:` the loss/value histories and the PNG figures, so `dvc metrics`/`dvc plots` work as is.

Both sides read back as the same `Job` records (snakemake_jobs, dvc_stages), which is how the
tests prove the two DAGs agree. Tooling, not the pipeline: it lives outside the gdpipe package,
so editing it re-runs no step.

    python scripts/make_dvc_yaml.py [--check | --list snakemake|dvc]

--check only compares; --list prints either side's job list as JSON (what tests/test_dvc.py
compares). Then refresh dvc.lock with `dvc repro`.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import sys
from collections.abc import Iterable
from pathlib import Path

import yaml

from gdpipe.experiments import EXPERIMENTS

ROOT = Path(__file__).resolve().parents[1]
DVC_YAML = "dvc.yaml"
DEFAULT_PARAMS_FILE = "params.yaml"  # DVC's default: its keys need no file name in dvc.yaml
HEADER = """\
# Generated from the Snakefile by `python scripts/make_dvc_yaml.py`: do not edit by hand.
# One stage per Snakemake job, same command, params, inputs (gdpipe's modules as the gdpipe
# folder) and outputs; tests/test_dvc.py fails when this file and the Snakefile drift apart.
# Refresh dvc.lock after it with `dvc repro`.
"""

# Rules that are no DVC stage: `all` (nothing to run) and the merged provenance record, which
# reads the jobs' records, files DVC does not track (they name the machine).
SNAKEMAKE_ONLY = ("all", "provenance")

# History tables plotted by `dvc plots`, by the rule writing them: plot name suffix, x column,
# y columns (one line each, on one plot), title.
HISTORY_PLOTS = {
    "train": ("loss", "epoch", ("train_loss", "test_loss"), "train and test loss per epoch"),
    "descend": ("value", "step", ("mean_value", "min_value"), "f(x1, x2) per step"),
}


@dataclasses.dataclass(frozen=True)
class Job:
    """One step as either orchestrator sees it."""

    name: str
    cmd: str
    deps: tuple[str, ...]
    outs: tuple[str, ...]
    params: tuple[tuple[str, tuple[str, ...]], ...]  # (params file, sorted keys) pairs


@dataclasses.dataclass(frozen=True)
class _SnakemakeJob:
    job: Job
    rule: str
    named_outputs: dict


def dvc_deps(inputs: Iterable[str]) -> tuple[str, ...]:
    """A job's inputs as its stage's deps: the gdpipe modules it imports become one entry, the
    package directory, where the first of them stood.

    DVC rewrites the whole dvc.lock after every stage it runs. With each stage's dozen or more
    modules listed one by one, the lock ran to 4,900 lines and rewriting it cost about 1 s per
    stage, 40 s of a cold `dvc repro`; as one directory hash, a third of that. So DVC re-runs
    every stage after any edit under gdpipe/, never fewer than it should; Snakemake still
    re-runs only the jobs whose own modules changed.
    """
    deps = []
    for path in map(str, inputs):
        path = "gdpipe" if path.startswith("gdpipe/") else path
        if path not in deps:
            deps.append(path)
    return tuple(deps)


def stage_name(rule: str, wildcards: dict) -> str:
    """`train-linear` for rule train with experiment=linear, `lab_plot-sincos-paths-png` for
    results/plots/lab/{surface}/{figure}.{ext}: the rule, then the wildcards in the order of
    its output's path; the rule name alone if none."""
    return "-".join([rule, *map(str, wildcards.values())])


def _order(key: str, value) -> tuple:
    # Experiments in their usual order (surface, quadratic, linear), any other value after.
    names = list(EXPERIMENTS)
    return (key, names.index(value) if value in names else len(names), str(value))


def _snakemake_jobs(project: Path, snakefile: str = "Snakefile") -> list[_SnakemakeJob]:
    # Snakemake's API plus the two steps its own `--dag`/`--containerize` take (Workflow.printdag):
    # build the DAG with every job forced, so the answer does not depend on what exists on disk.
    # The project's only use of Snakemake's private API: its public API runs or prints a DAG but
    # does not return one.
    from snakemake.api import SnakemakeApi
    from snakemake.settings.enums import Quietness
    from snakemake.settings.types import DAGSettings, OutputSettings, ResourceSettings

    project = Path(project).resolve()
    found = []
    with SnakemakeApi(OutputSettings(quiet={Quietness.ALL}, enable_file_logging=False)) as api:
        workflow_api = api.workflow(
            snakefile=project / snakefile,
            workdir=project,
            resource_settings=ResourceSettings(cores=1),
        )
        workflow_api.dag(DAGSettings(forceall=True))
        workflow = workflow_api._workflow
        workflow._prepare_dag(forceall=True, ignore_incomplete=True, lock_warn_only=True)
        workflow._build_dag()
        rule_order = [rule.name for rule in workflow.rules]
        for job in workflow.dag.jobs:
            if not job.output or job.rule.name in SNAKEMAKE_ONLY:
                continue
            if not job.shellcmd:
                raise ValueError(f"rule {job.rule.name} has no shell command for DVC to run")
            params = dict(job.params.items())
            settings = params.get("settings") or {}
            keys = tuple(sorted(settings))
            wildcards = dict(job.wildcards.items())
            found.append(
                (
                    rule_order.index(job.rule.name),
                    [_order(key, value) for key, value in wildcards.items()],
                    _SnakemakeJob(
                        job=Job(
                            name=stage_name(job.rule.name, wildcards),
                            cmd=job.shellcmd.strip(),
                            deps=dvc_deps(job.input),
                            outs=tuple(map(str, job.output)),
                            params=((DEFAULT_PARAMS_FILE, keys),) if keys else (),
                        ),
                        rule=job.rule.name,
                        named_outputs={k: str(v) for k, v in job.output.items()},
                    ),
                )
            )
    return [item[-1] for item in sorted(found, key=lambda item: item[:2])]


def snakemake_jobs(project: Path, snakefile: str = "Snakefile") -> list[Job]:
    """The jobs Snakemake would run for the default target, in rule order."""
    return [found.job for found in _snakemake_jobs(project, snakefile)]


def dvc_stages(project: Path) -> list[Job]:
    """The stages of the project's dvc.yaml as DVC itself reads them, in file order."""
    from dvc.dependency.param import ParamsDependency
    from dvc.repo import Repo

    with Repo(str(project)) as repo:
        jobs = []
        for stage in repo.index.stages:
            params = sorted(
                (dep.def_path, tuple(sorted(dep.params)))
                for dep in stage.deps
                if isinstance(dep, ParamsDependency)
            )
            jobs.append(
                Job(
                    name=stage.name,
                    cmd=stage.cmd.strip(),
                    deps=tuple(
                        dep.def_path for dep in stage.deps if not isinstance(dep, ParamsDependency)
                    ),
                    outs=tuple(out.def_path for out in stage.outs),
                    params=tuple(params),
                )
            )
    return jobs


def _stage(job: Job) -> dict:
    stage: dict = {"cmd": job.cmd, "deps": list(job.deps)}
    params = []
    for params_file, keys in job.params:
        params.extend(keys if params_file == DEFAULT_PARAMS_FILE else [{params_file: list(keys)}])
    if params:
        stage["params"] = params
    stage["outs"] = list(job.outs)
    return stage


def _plots(found: Iterable[_SnakemakeJob]) -> list:
    curves, images = [], []
    for item in found:
        history = item.named_outputs.get("history")
        if history and item.rule in HISTORY_PLOTS:
            kind, x, ys, title = HISTORY_PLOTS[item.rule]
            experiment = Path(history).parent.name
            curves.append(
                {
                    f"{experiment}_{kind}": {
                        "x": x,
                        "y": {history: list(ys)},
                        "title": f"{experiment}: {title}",
                        "template": "linear",
                    }
                }
            )
        images.extend(out for out in item.job.outs if out.endswith(".png"))
    return curves + images


def build(project: Path, snakefile: str = "Snakefile") -> dict:
    """dvc.yaml's content for the project, as plain data."""
    found = _snakemake_jobs(project, snakefile)
    return {
        "stages": {item.job.name: _stage(item.job) for item in found},
        "metrics": [
            item.named_outputs["metrics"] for item in found if "metrics" in item.named_outputs
        ],
        "plots": _plots(found),
    }


def render(content: dict) -> str:
    """dvc.yaml's text: the header, then the content in a stable, diff-friendly layout."""
    text = io.StringIO()
    text.write(HEADER)
    first = True
    for section, value in content.items():
        if not first:
            text.write("\n")
        first = False
        text.write(
            yaml.safe_dump({section: value}, sort_keys=False, width=1000, default_flow_style=False)
        )
    return text.getvalue()


def generate(project: Path, snakefile: str = "Snakefile") -> str:
    """dvc.yaml's text for the project's Snakefile."""
    return render(build(project, snakefile))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--project", type=Path, default=ROOT, help="project root (default: %(default)s)")
    p.add_argument("--snakefile", default="Snakefile", help="relative to the project root")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="exit 1 if dvc.yaml is out of date")
    mode.add_argument("--list", choices=["snakemake", "dvc"], help="print a job list as JSON")
    args = p.parse_args()
    target = args.project / DVC_YAML

    if args.list:
        jobs = (
            snakemake_jobs(args.project, args.snakefile)
            if args.list == "snakemake"
            else dvc_stages(args.project)
        )
        json.dump([dataclasses.asdict(job) for job in jobs], sys.stdout, indent=1)
        print()
        return 0

    text = generate(args.project, args.snakefile)
    if args.check:
        if not target.exists() or target.read_text() != text:
            print(f"{target} is out of date: run python scripts/make_dvc_yaml.py", file=sys.stderr)
            return 1
        return 0
    if not target.exists() or target.read_text() != text:
        target.write_text(text)
        print(f"wrote {target}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
