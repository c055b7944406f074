"""Seeded synthetic data sets and the train/test split; pure functions of their arguments."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from gdpipe.errors import DataError
from gdpipe.params import LinearParams, QuadraticParams, SurfaceParams

# The columns each experiment's table holds: (input, target) for the two regressions.
COLUMNS = {
    "surface": ("x1", "x2"),
    "quadratic": ("t", "speed"),
    "linear": ("x", "y"),
}


def generate_starts(p: SurfaceParams) -> pd.DataFrame:
    """n_starts points drawn uniformly from [low, high)^2 (the notebook's rand(n, 2) * 10)."""
    rng = np.random.default_rng(p.seed)
    starts = rng.uniform(p.low, p.high, size=(p.n_starts, 2))
    return pd.DataFrame(starts, columns=list(COLUMNS["surface"]))


def generate_quadratic(p: QuadraticParams) -> pd.DataFrame:
    """The notebook's speed-vs-time series: randn(n)*noise + 0.75*(t - centre)^2 + 1."""
    rng = np.random.default_rng(p.seed)
    t = np.arange(p.n_points, dtype=np.float64)
    centre = (p.n_points - 1) / 2  # 9.5 for the notebook's 20 points
    speed = rng.standard_normal(p.n_points) * p.noise + 0.75 * (t - centre) ** 2 + 1
    return pd.DataFrame({"t": t, "speed": speed})


def generate_linear(p: LinearParams) -> pd.DataFrame:
    """y = weight*x + bias on x = arange(start, end, step), noise-free as in the notebook."""
    x = np.arange(p.start, p.end, p.step, dtype=np.float64)
    return pd.DataFrame({"x": x, "y": p.weight * x + p.bias})


def dataset_rows(experiment: str, p) -> tuple[int, str]:
    """How many rows an experiment's data set holds, and the params keys that say so."""
    if experiment == "surface":
        return p.n_starts, "surface.n_starts"
    if experiment == "quadratic":
        return p.n_points, "quadratic.n_points"
    return p.n_points, "linear.start, end and step"


def generate(experiment: str, p) -> pd.DataFrame:
    """The data set of one experiment."""
    generators = {
        "surface": generate_starts,
        "quadratic": generate_quadratic,
        "linear": generate_linear,
    }
    return generators[experiment](p)


def split(
    frame: pd.DataFrame, test_size: float, seed: int, source: str = "data"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """scikit-learn's shuffled train/test split; rows keep their values, order is the shuffle.

    Each side must keep at least 2 rows (a loss over one residual says little); `source` names
    the table in the error otherwise.
    """
    n_test = math.ceil(len(frame) * test_size)  # what train_test_split takes for a fraction
    if min(n_test, len(frame) - n_test) < 2:
        raise DataError(
            f"{source}: {len(frame)} rows split by test_size {test_size} into "
            f"{len(frame) - n_test} train / {n_test} test; each side needs at least 2 rows"
        )
    # Imported here: scikit-learn takes seconds to import and only this step needs it.
    from sklearn.model_selection import train_test_split

    train, test = train_test_split(frame, test_size=test_size, random_state=seed)
    return train.reset_index(drop=True), test.reset_index(drop=True)
