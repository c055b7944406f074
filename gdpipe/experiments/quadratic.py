"""Example 2: a*t^2 + b*t + c fitted to noisy speed-vs-time data by hand-written steps."""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gdpipe import io
from gdpipe.experiments.base import Experiment, figures, model_and_data
from gdpipe.schema import FRACTION, POSITIVE, integer, key, number, split_relations


@dataclass(frozen=True)
class QuadraticParams:
    """Example 2's section of params.yaml."""

    seed: int = key(integer(0))
    init_seed: int = key(integer(0))
    n_points: int = key(integer(4))
    noise: float = key(number(minimum=0))
    test_size: float = key(FRACTION)
    split_seed: int = key(integer(0))
    lr: float = key(POSITIVE)
    epochs: int = key(integer(1))

    def relations(self):
        yield from split_relations(self.n_points, self.test_size, "n_points")


COLUMNS = ("t", "speed")  # input, target
HISTORY_COLUMNS = ("epoch", "train_loss", "test_loss", "a", "b", "c")
STEP_KEYS = {
    "generate_data": ("seed", "n_points", "noise"),
    # Steps reading a data set also read the keys that fix its row count (a check on it).
    "split_data": ("n_points", "test_size", "split_seed"),
    "train": ("init_seed", "lr", "epochs"),
    "evaluate": (),
    "plot": (),
}


def generate(p: QuadraticParams) -> pd.DataFrame:
    """The notebook's speed-vs-time series: randn(n)*noise + 0.75*(t - centre)^2 + 1."""
    rng = np.random.default_rng(p.seed)
    t = np.arange(p.n_points, dtype=np.float64)
    centre = (p.n_points - 1) / 2  # 9.5 for the notebook's 20 points
    speed = rng.standard_normal(p.n_points) * p.noise + 0.75 * (t - centre) ** 2 + 1
    return pd.DataFrame({"t": t, "speed": speed})


def train(p: QuadraticParams, train, test, device, progress) -> tuple:
    """(model from init_seed, TrainResult): trained on `device` by the hand-written update."""
    from gdpipe.training import train_quadratic

    model, *splits = model_and_data("quadratic", p.init_seed, COLUMNS, train, test, device)
    return model, train_quadratic(model, *splits, p.lr, p.epochs, progress)


def plot(p: QuadraticParams, tables, history, metrics=None) -> tuple:
    """The train and test points with the fitted parabola, and the loss per epoch."""
    from gdpipe import plotting

    train_table, test_table = (io.read_table(path, COLUMNS) for path in tables)
    history = io.read_table(history, HISTORY_COLUMNS)
    fit = plotting.quadratic_panels(train_table, test_table, history)
    return fit, plotting.loss_curves(history, "Quadratic fit: loss per epoch", "MSE")


EXPERIMENT = Experiment(
    name="quadratic",
    params=QuadraticParams,
    columns=COLUMNS,
    generate=generate,
    rows=lambda p: (p.n_points, "quadratic.n_points"),
    step_keys=STEP_KEYS,
    plot_inputs={
        "table": ("data/quadratic/train.csv", "data/quadratic/test.csv"),
        "history": "results/quadratic/history.csv",
    },
    figures=figures("Example 2: quadratic", ("quadratic_fit", "quadratic_loss")),
    plot=plot,
    model="QuadraticModel",
    train=train,
    loss=lambda p: "mse",
)
