"""What each pipeline step reads: its params keys, a rule's `params:` and a DVC stage's (so a job
re-runs exactly when a value it reads changes). Cheap to import (no torch)."""

import dataclasses
import functools
import logging
import os
import sys
from pathlib import Path

from gdpipe.experiments import EXPERIMENTS
from gdpipe.objectives import SURFACES
from gdpipe.optimizers import hyperparameters
from gdpipe.params import LabParams, Params, read_params

# step -> the keys of the lab section it reads (an experiment's are in its registry entry);
# steps that touch torch also read the top-level `device`.
LAB_STEP_KEYS: dict[str, tuple[str, ...]] = {
    "lab_starts": ("seed", "n_starts"),
    "lab_run": (
        "n_starts",
        "optimizers",
        "lrs",
        "steps",
        "target",
        *hyperparameters(),  # every optimizer's (gdpipe.optimizers)
        "condition",
        "paths",
    ),
    "lab_plot": ("steps", "condition"),  # the ECDF's x axis; the bowl's contour
    # the runs files' and the rows' order; the heatmap's title
    "lab_summary": ("surfaces", "optimizers", "target"),
    "report": ("surfaces", "optimizers"),  # which lab figures there are
}
DEVICE_STEPS = ("descend", "train", "evaluate", "lab_run")

# Lab figures for some surfaces: basins where there are several minima, the GIF on the notebook's
# surface, and LAB_LR_OPTIMIZER's lrs on the first LAB_LR_SURFACES one.
LAB_BASIN_SURFACES = ("sincos", "styblinski_tang")
LAB_GIF_SURFACES = ("sincos",)
LAB_LR_SURFACES = ("bowl", "rosenbrock")
LAB_LR_OPTIMIZER = "sgd"


# torch splits an elementwise op over threads only from 32,768 elements (its grain size): a
# smaller descent job takes one thread, leaving the cores to other jobs.
TORCH_GRAIN = 32_768
DESCENT_THREADS = 8


def descent_threads(runs: int) -> int:
    """The `threads:` of a descent job that advances `runs` (learning rates × starts) at once."""
    return DESCENT_THREADS if runs >= TORCH_GRAIN else 1


def step_keys(step: str, experiment: str, surface: str | None = None) -> list[str]:
    """Dotted params keys a step reads, e.g. ['device', 'linear.lr'] (lab.condition: bowl only)."""
    own = EXPERIMENTS[experiment].step_keys if experiment in EXPERIMENTS else LAB_STEP_KEYS
    keys = [
        f"{experiment}.{key}"
        for key in own.get(step, ())
        if not (key == "condition" and surface and SURFACES[surface].condition is None)
    ]
    return (["device"] if step in DEVICE_STEPS else []) + keys


def step_settings(params: Params, step: str, experiment: str, surface: str | None = None) -> dict:
    """The values of step_keys, as a flat dict keyed by dotted name."""
    keys = step_keys(step, experiment, surface)
    return {dotted: functools.reduce(getattr, dotted.split("."), params) for dotted in keys}


class UndeclaredKeyError(RuntimeError):
    """A step read a params key it does not declare: a change to it would re-run nothing."""


class StepParams:
    """Params as one step may read them: step_keys and nothing else. Sections come back as views,
    and a property (linear.n_points) is computed through one, so its keys must be declared too."""

    def __init__(self, values, keys: list[str], step: str, prefix: str = ""):
        self._values, self._keys, self._step, self._prefix = values, keys, step, prefix

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        dotted = self._prefix + name
        value = getattr(self._values, name)
        if dataclasses.is_dataclass(value):  # a section: its keys are checked one by one
            return StepParams(value, self._keys, self._step, f"{dotted}.")
        if isinstance(getattr(type(self._values), name, None), property):
            return getattr(type(self._values), name).fget(self)
        if dotted not in self._keys:
            raise UndeclaredKeyError(
                f"step {self._step!r} read {dotted}, which it does not declare: add it to "
                f"the experiment's step_keys or gdpipe.pipeline.LAB_STEP_KEYS (it declares "
                f"{', '.join(self._keys) or 'nothing'})"
            )
        return value


def read_step_params(
    path: str | Path, step: str, experiment: str, surface: str | None = None
) -> StepParams:
    """The params file, validated in full, as `step` may read it (StepParams)."""
    return StepParams(read_params(path), step_keys(step, experiment, surface), step)


def lab_figure_surfaces(lab: LabParams) -> dict[str, list[str]]:
    """The surfaces of the lab that get each surface-specific figure: basins, gif, lr."""
    lr = [s for s in LAB_LR_SURFACES if s in lab.surfaces][:1]
    return {
        "basins": [s for s in lab.surfaces if s in LAB_BASIN_SURFACES],
        "gif": [s for s in lab.surfaces if s in LAB_GIF_SURFACES],
        "learning_rate": lr if LAB_LR_OPTIMIZER in lab.optimizers else [],
    }


def run_jobs_with_this_python() -> None:
    """Make every job's `python -m scripts.<step>` this Python, even from a .venv/bin/snakemake
    not activated (`-m` puts the checkout first on sys.path: the gdpipe Snakemake tracks)."""
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])


class OneLineAJob(logging.Filter):
    """Snakemake's log with one line a finished job: its progress line names the job (rule and
    wildcards, from its info record) instead of the job-finished and "Select jobs..." lines."""

    def __init__(self):
        super().__init__()
        self.jobs, self.finished = {}, []

    def filter(self, record: logging.LogRecord) -> bool:
        event = getattr(record, "event", None)
        event = getattr(event, "name", event)  # a LogEvent of the logger plugin interface
        if event == "JOB_INFO":
            wildcards = (f"{key}={value}" for key, value in (record.wildcards or {}).items())
            self.jobs[record.jobid] = ", ".join([record.rule_name, *wildcards])
        elif event == "JOB_FINISHED":
            self.finished.append(f"{record.job_id} (Rule: {self.jobs.get(record.job_id, '?')})")
            return False
        elif event == "JOB_STARTED" or record.msg == "Select jobs to execute...":
            return False
        elif event == "PROGRESS" and self.finished:
            jobs, self.finished = "; ".join(self.finished), []
            record.event, record.args = None, ()
            record.msg = f"Finished jobid: {jobs}, {record.done} of {record.total} steps done"
        return True
