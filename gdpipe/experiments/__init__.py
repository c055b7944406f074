"""The registry of experiments, one module and `Experiment` entry (base.py) each; no torch."""

from gdpipe.experiments import linear, quadratic, surface

EXPERIMENTS = {e.name: e for e in (surface.EXPERIMENT, quadratic.EXPERIMENT, linear.EXPERIMENT)}
# The experiments with a model: split, trained, evaluated and checkpointed.
TRAINED = tuple(name for name, e in EXPERIMENTS.items() if e.model)
