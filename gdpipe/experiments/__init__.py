"""The registry of experiments, one module and one `Experiment` entry (base.py) each: everything
that differs between experiments is reached through EXPERIMENTS. Cheap to import (no torch).
"""

from gdpipe.experiments import linear, quadratic, surface

EXPERIMENTS = {e.name: e for e in (surface.EXPERIMENT, quadratic.EXPERIMENT, linear.EXPERIMENT)}
# The experiments with a model: split, trained, evaluated and checkpointed.
TRAINED = tuple(name for name, e in EXPERIMENTS.items() if e.model)
