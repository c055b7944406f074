"""The registry of experiments: one module each, one `Experiment` entry (gdpipe.experiments.base).

Everything that differs between experiments is reached through EXPERIMENTS (docs/extending.md
adds one). Cheap to import (no torch): params.py reads the sections.
"""

from __future__ import annotations

from gdpipe.experiments import linear, quadratic, surface

EXPERIMENTS = {e.name: e for e in (surface.EXPERIMENT, quadratic.EXPERIMENT, linear.EXPERIMENT)}
# The experiments with a model: split, trained, evaluated and checkpointed.
TRAINED = tuple(name for name, e in EXPERIMENTS.items() if e.model)
