"""dvc.yaml from the Snakefile: a stage per job with its command, inputs, `params: settings` keys
and outputs, then metrics and plots. --check compares; --list prints either side's jobs as JSON.

    python tools/make_dvc_yaml.py [--check | --list snakemake|dvc]
"""

import argparse
import dataclasses
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import yaml

from gdpipe.experiments import EXPERIMENTS

ROOT = Path(__file__).resolve().parents[1]
PARAMS_FILE = "params.yaml"  # DVC's default: its keys need no file name in dvc.yaml
HEADER = """\
# Generated from the Snakefile by `python tools/make_dvc_yaml.py`: do not edit by hand.
# One stage per Snakemake job, same command, params, inputs (gdpipe's modules as the gdpipe
# folder) and outputs; tests/test_dvc.py fails when this file and the Snakefile drift apart.
# Refresh dvc.lock after it with `dvc repro`.
"""

# The rule writing a history `dvc plots` draws -> (plot name suffix, x, y columns, title).
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


def _snakemake_jobs(project: Path) -> list[tuple[Job, str, dict]]:
    """(job, rule, named outputs) of each job of the default target, in rule then experiment order.
    Snakemake's private API (the two steps its own `--dag` takes): the public one returns no DAG."""
    from snakemake.api import SnakemakeApi
    from snakemake.settings.enums import Quietness
    from snakemake.settings.types import DAGSettings, OutputSettings, ResourceSettings

    project = Path(project).resolve()
    output = OutputSettings(quiet={Quietness.ALL}, enable_file_logging=False)
    with SnakemakeApi(output) as api:
        workflow_api = api.workflow(
            snakefile=project / "Snakefile",
            workdir=project,
            resource_settings=ResourceSettings(cores=1),
        )
        workflow_api.dag(DAGSettings(forceall=True))  # every job, whatever exists on disk
        workflow = workflow_api._workflow
        workflow._prepare_dag(forceall=True, ignore_incomplete=True, lock_warn_only=True)
        workflow._build_dag()
        rules = [rule.name for rule in workflow.rules]
        rank = {experiment: i for i, experiment in enumerate(EXPERIMENTS)}
        found = []
        for job in workflow.dag.jobs:
            if not job.output:  # rule all: nothing to run
                continue
            wildcards = [str(value) for _, value in job.wildcards.items()]
            keys = tuple(sorted(job.params.get("settings") or {}))
            # The gdpipe folder, not its modules: those made dvc.lock 4,900 lines long.
            deps = ("gdpipe" if p.startswith("gdpipe/") else p for p in map(str, job.input))
            stage = Job(
                # The rule, then the wildcards: `train-linear`, `lab_plot-sincos-paths-png`.
                name="-".join([job.rule.name, *wildcards]),
                cmd=job.shellcmd.strip(),
                deps=tuple(dict.fromkeys(deps)),
                outs=tuple(map(str, job.output)),
                params=((PARAMS_FILE, keys),) if keys else (),
            )
            order = (rules.index(job.rule.name), [rank.get(v, len(rank)) for v in wildcards])
            named = {name: str(path) for name, path in job.output.items()}
            found.append(((*order, stage.name), stage, job.rule.name, named))
    return [item[1:] for item in sorted(found, key=lambda item: item[0])]


def dvc_stages(project: Path) -> Iterator[Job]:
    """The stages of the project's dvc.yaml as DVC itself reads them, in file order."""
    from dvc.dependency.param import ParamsDependency
    from dvc.repo import Repo

    with Repo(str(project)) as repo:
        for stage in repo.index.stages:
            params = [d for d in stage.deps if isinstance(d, ParamsDependency)]
            yield Job(
                name=stage.name,
                cmd=stage.cmd.strip(),
                deps=tuple(d.def_path for d in stage.deps if d not in params),
                outs=tuple(out.def_path for out in stage.outs),
                params=tuple(sorted((d.def_path, tuple(sorted(d.params))) for d in params)),
            )


def generate(project: Path) -> str:
    """dvc.yaml's text for the project's Snakefile: the header, then stages, metrics, plots."""
    stages, metrics, curves, images = {}, [], [], []
    for job, rule, named in _snakemake_jobs(project):
        stage = stages[job.name] = {"cmd": job.cmd, "deps": list(job.deps)}
        if job.params:
            stage["params"] = list(job.params[0][1])
        stage["outs"] = list(job.outs)
        if "metrics" in named:
            metrics.append(named["metrics"])
        if rule in HISTORY_PLOTS:
            kind, x, ys, title = HISTORY_PLOTS[rule]
            experiment = Path(named["history"]).parent.name
            spec = {"x": x, "y": {named["history"]: list(ys)}, "template": "linear"}
            curves.append({f"{experiment}_{kind}": {**spec, "title": f"{experiment}: {title}"}})
        images.extend(out for out in job.outs if out.endswith(".png"))
    sections = {"stages": stages, "metrics": metrics, "plots": curves + images}
    return HEADER + "\n".join(
        yaml.safe_dump({key: value}, sort_keys=False, width=1000) for key, value in sections.items()
    )


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--project", type=Path, default=ROOT, help="project root (default: %(default)s)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="exit 1 if dvc.yaml is out of date")
    mode.add_argument("--list", choices=["snakemake", "dvc"], help="print a job list as JSON")
    args = p.parse_args()
    if args.list:
        if args.list == "snakemake":
            jobs = [job for job, _, _ in _snakemake_jobs(args.project)]
        else:
            jobs = dvc_stages(args.project)
        print(json.dumps([dataclasses.asdict(job) for job in jobs], indent=1))
        return 0
    target, text = args.project / "dvc.yaml", generate(args.project)
    if target.exists() and target.read_text() == text:
        return 0
    if args.check:
        print(f"{target} is out of date: run python tools/make_dvc_yaml.py", file=sys.stderr)
        return 1
    target.write_text(text)
    print(f"wrote {target}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
