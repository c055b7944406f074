"""Example 1: plain gradient descent from many random starts on a 2-D surface (the lab's engine)."""

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from gdpipe import io
from gdpipe.experiments.base import Experiment, figures
from gdpipe.objectives import SURFACES, get_surface
from gdpipe.schema import AUTO, POSITIVE, integer, key, number, one_of, or_auto


@dataclass(frozen=True)
class SurfaceParams:
    """Example 1's section of params.yaml."""

    name: str = key(one_of(SURFACES))
    seed: int = key(integer(0))
    n_starts: int = key(integer(1))
    steps: int = key(integer(1))
    lr: float = key(or_auto(POSITIVE))
    low: float = key(or_auto(number()))
    high: float = key(or_auto(number()))
    paths: int = key(integer(0))

    def resolved(self) -> "SurfaceParams":
        """`auto` replaced by the surface's own start square and step size."""
        surface = SURFACES[self.name]
        own = {"low": surface.domain[0], "high": surface.domain[1], "lr": surface.lr}
        return replace(self, **{k: v for k, v in own.items() if getattr(self, k) == AUTO})

    def relations(self):
        if not self.low < self.high:
            yield "low", f"must be below surface.high ({self.high}), got {self.low}"


COLUMNS = ("x1", "x2")  # a start
TRAJECTORY_COLUMNS = ("step", "start", "x1", "x2", "value")
HISTORY_COLUMNS = ("step", "mean_value", "min_value")
STEP_KEYS = {
    # name: with low/high `auto` the start square is the surface's (DVC sees the raw `auto`).
    "generate_data": ("name", "seed", "n_starts", "low", "high"),
    "descend": ("name", "n_starts", "lr", "steps", "paths"),
    "plot": ("name", "n_starts", "lr", "steps", "low", "high"),  # n_starts: the title
}


def generate(p: SurfaceParams) -> pd.DataFrame:
    """n_starts points drawn uniformly from [low, high)^2 (the notebook's rand(n, 2) * 10)."""
    rng = np.random.default_rng(p.seed)
    return pd.DataFrame(rng.uniform(p.low, p.high, size=(p.n_starts, 2)), columns=list(COLUMNS))


def run_surface(p: SurfaceParams, starts: pd.DataFrame, device, progress) -> tuple:
    """Plain gradient descent from every start at once (sgd, one lr): the first `surface.paths`
    starts' paths until they diverge, mean and lowest value per step, and the metrics."""
    import torch

    from gdpipe.descent import descend
    from gdpipe.evaluation import surface_metrics

    surface = get_surface(p.name)
    # float64: descent on a surface is about positions, and the notebook ran numpy float64.
    x = torch.tensor(starts[list(COLUMNS)].to_numpy(), dtype=torch.float64, device=device)
    result = descend(surface, "sgd", x, [p.lr], p.steps, n_paths=p.paths, progress=progress)
    positions = result.path_positions[:, 0].cpu().numpy()  # (S+1, N, 2), NaN once diverged
    values = result.path_values[:, 0].cpu().numpy()  # (S+1, N)
    # step, start, x1, x2, value: one row per step × start still going
    columns = [*np.indices(values.shape), positions[..., 0], positions[..., 1], values]
    trajectories = pd.DataFrame(dict(zip(TRAJECTORY_COLUMNS, map(np.ravel, columns), strict=True)))
    trajectories = trajectories[np.isfinite(values).ravel()].reset_index(drop=True)
    mean, low = result.mean_value[:, 0].cpu().numpy(), result.min_value[:, 0].cpu().numpy()
    history = pd.DataFrame({"step": np.arange(len(mean)), "mean_value": mean, "min_value": low})
    history = history[np.isfinite(mean)]  # no start left: nothing to average
    start_values = surface.value_and_gradient(x)[0].cpu().numpy()  # what step 0 computes
    final, diverged = result.final[0].cpu().numpy(), result.diverged_step[0].cpu().numpy()
    metrics = surface_metrics(surface, start_values, final, diverged) | {"steps_run": p.steps}
    return trajectories, history, metrics


def plot(p: SurfaceParams, tables, history, metrics=None) -> tuple:
    """Every start's path on the contour of f, and the mean and lowest value per step."""
    from gdpipe import plotting

    trajectories = io.read_table(tables[0], TRAJECTORY_COLUMNS)
    history = io.read_table(history, HISTORY_COLUMNS)
    fit = plotting.surface_trajectories(get_surface(p.name), trajectories, p)
    return fit, plotting.surface_values(history)


EXPERIMENT = Experiment(
    name="surface",
    params=SurfaceParams,
    columns=COLUMNS,
    generate=generate,
    rows=lambda p: (p.n_starts, "surface.n_starts"),
    step_keys=STEP_KEYS,
    plot_inputs={
        "table": "results/surface/trajectories.csv",
        "history": "results/surface/history.csv",
    },
    figures=figures("Example 1: surface", ("surface_trajectories", "surface_values")),
    plot=plot,
)
