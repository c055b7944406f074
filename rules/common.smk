# Shared by the rules files: code, params values, report entries and the command of a job.

import dataclasses
import glob

from gdpipe.experiments import EXPERIMENTS, TRAINED
from gdpipe.objectives import SURFACES
from gdpipe.pipeline import (
    LAB_LR_OPTIMIZER,
    descent_threads,
    lab_figure_surfaces,
    run_jobs_with_this_python,
    step_settings,
)

GPU = 1 if PARAMS.device == "cuda" else 0
LAB = PARAMS.lab
LAB_FIGURES = lab_figure_surfaces(LAB)

run_jobs_with_this_python()


wildcard_constraints:
    experiment="|".join(EXPERIMENTS),
    model="|".join(TRAINED),
    surface="|".join(SURFACES),


def figure(path, caption, category, subcategory):
    """An output shown in `snakemake --report results/report.html` with report/<caption>.rst
    (the path is relative to the rules file that calls this)."""
    shown = dict(caption=f"../report/{caption}.rst", category=category, subcategory=subcategory)
    return update(report(path, **shown))


# Every step's code: its script and the whole gdpipe package, as DVC's stages have it (a module
# edit re-runs every step; tooling lives outside the package, in bench/ and scripts/).
PACKAGE = sorted(glob.glob("gdpipe/**/*.py", recursive=True))


def code(script):
    return [f"scripts/{script}.py", *PACKAGE]


def settings(step):
    """Input function: the values of the params keys `step` reads for this job's experiment."""

    def of_job(wildcards):
        experiment = wildcards.get("experiment") or wildcards.get("model")
        return step_settings(PARAMS, step, experiment)

    return of_job


def lab_settings(step):
    """Input function: the values of the lab keys `step` reads for this job's surface."""

    def of_job(wildcards):
        return step_settings(PARAMS, step, "lab", wildcards.get("surface"))

    return of_job


def command(script, arguments):
    """A job's shell command: its script on the params file with its own arguments, then the log
    and the provenance record every job writes. The same string is DVC's stage `cmd`."""
    return (
        f"python -m scripts.{script} --params {{params.file}} {arguments}"
        " --log {log} --provenance {output.provenance}"
    )


def plot_metrics(experiment):
    """`--metrics <file>` for an experiment whose figures read its metrics, else nothing."""
    metrics = experiment.plot_inputs.get("metrics")
    return f" --metrics {metrics}" if metrics else ""


def plot_figure(experiment, index):
    """The experiment's fit (0) or loss (1) figure as a report output."""
    shown = experiment.figures[index]
    section = getattr(PARAMS, experiment.name)
    subcategory = shown.subcategory.format(**dataclasses.asdict(section))
    return figure(shown.path, shown.caption, shown.category, subcategory)
