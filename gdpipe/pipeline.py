"""What each pipeline step reads: its params keys and its code. Cheap to import (no torch).

The Snakefile passes these keys to each rule as `params:` (so Snakemake re-runs a job exactly
when a value it reads changes) and lists the code as `input:` (so editing a module re-runs the
steps that use it). DVC's stages list the same keys and files.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from gdpipe.params import Params

EXPERIMENTS = ("surface", "quadratic", "linear")
MODELS = ("quadratic", "linear")

# (step, experiment) -> the keys of the experiment's section the step reads; steps that touch
# torch also read the top-level `device`.
STEP_KEYS: dict[tuple[str, str], tuple[str, ...]] = {
    ("generate", "surface"): ("seed", "n_starts", "low", "high"),
    ("generate", "quadratic"): ("seed", "n_points", "noise"),
    ("generate", "linear"): ("weight", "bias", "start", "end", "step"),
    # Steps reading a data set also read the keys that fix its row count (a check on it).
    ("split", "quadratic"): ("n_points", "test_size", "split_seed"),
    ("split", "linear"): ("start", "end", "step", "test_size", "split_seed"),
    ("descend", "surface"): ("name", "n_starts", "lr", "steps"),
    ("train", "quadratic"): ("init_seed", "lr", "epochs"),
    ("train", "linear"): ("seed", "optimizer", "loss", "lr", "epochs", "batch_size"),
    ("evaluate", "quadratic"): (),
    ("evaluate", "linear"): ("loss",),
    ("plot", "surface"): ("name", "lr", "steps", "low", "high"),
    ("plot", "quadratic"): (),
    ("plot", "linear"): ("loss",),
}
DEVICE_STEPS = ("descend", "train", "evaluate")

# Every script imports these; each step adds the modules it calls.
_COMMON = ("__init__", "cli", "errors", "io", "params")
# Training and evaluation both rebuild models from params or checkpoints.
_MODEL_MODULES = (
    "checkpoint",
    "data",
    "descent",
    "devices",
    "evaluation",
    "experiments",
    "models",
    "objectives",
    "optimizers",
    "training",
)
_STEP_MODULES = {
    "generate": ("data",),
    "split": ("data",),
    "descend": _MODEL_MODULES,
    "train": _MODEL_MODULES,
    "evaluate": _MODEL_MODULES,
    "plot": ("data", "objectives", "plotting"),  # plotting imports params, already common
    "summarize": ("summary",),
}
SCRIPTS = {
    "generate": "scripts/generate_data.py",
    "split": "scripts/split_data.py",
    "descend": "scripts/descend.py",
    "train": "scripts/train.py",
    "evaluate": "scripts/evaluate.py",
    "plot": "scripts/plot.py",
    "summarize": "scripts/summarize.py",
}


def step_keys(step: str, experiment: str) -> list[str]:
    """Dotted params keys a step reads for an experiment, e.g. ['device', 'linear.lr', ...]."""
    keys = [f"{experiment}.{key}" for key in STEP_KEYS.get((step, experiment), ())]
    return (["device"] if step in DEVICE_STEPS else []) + keys


def step_settings(params: Params, step: str, experiment: str) -> dict:
    """The values of step_keys, as a flat dict keyed by dotted name."""
    settings = {}
    for dotted in step_keys(step, experiment):
        value = params
        for part in dotted.split("."):
            value = getattr(value, part)
        settings[dotted] = value
    return settings


def step_code(step: str) -> list[str]:
    """The script and gdpipe modules a step runs, as paths from the project root."""
    modules = sorted({*_COMMON, *_STEP_MODULES[step]})
    return [SCRIPTS[step], *(f"gdpipe/{m}.py" for m in modules)]


def run_jobs_with_this_python() -> None:
    """Make the `python` of every job the interpreter running Snakemake.

    Jobs run `python -m scripts.<step>` (the same command DVC runs). Putting this interpreter's
    bin first on PATH makes that the project's environment even when Snakemake was started as
    .venv/bin/snakemake without activating it. (`-m` puts the working directory first on
    sys.path, so each job imports the gdpipe of the checkout it runs in, the code Snakemake and
    DVC track, never some other installed copy.)
    """
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])
