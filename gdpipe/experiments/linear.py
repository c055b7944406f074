"""Example 3: a linear regression y = weight*x + bias trained with torch.optim."""

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gdpipe import io
from gdpipe.experiments.base import Experiment, figures, model_and_data
from gdpipe.schema import FRACTION, POSITIVE, integer, key, number, one_of, split_relations

# The names of gdpipe.training's torch.optim classes and losses (it imports torch; this may not).
OPTIMIZER_NAMES = ("sgd", "adam", "rmsprop")
LOSSES = ("l1", "mse")


@dataclass(frozen=True)
class LinearParams:
    """Example 3's section of params.yaml."""

    seed: int = key(integer(0))
    weight: float = key(number())
    bias: float = key(number())
    start: float = key(number())
    end: float = key(number())
    step: float = key(POSITIVE)
    test_size: float = key(FRACTION)
    split_seed: int = key(integer(0))
    optimizer: str = key(one_of(OPTIMIZER_NAMES))
    loss: str = key(one_of(LOSSES))
    lr: float = key(POSITIVE)
    epochs: int = key(integer(1))
    batch_size: int = key(integer(1))

    @property
    def n_points(self) -> int:
        """How many points np.arange(start, end, step) yields."""
        return max(0, math.ceil((self.end - self.start) / self.step))

    def relations(self):
        if not self.start < self.end:
            yield "start", f"must be below linear.end ({self.end}), got {self.start}"
            return
        yield from split_relations(self.n_points, self.test_size, "step")


COLUMNS = ("x", "y")  # input, target
HISTORY_COLUMNS = ("epoch", "train_loss", "test_loss")
PREDICTION_COLUMNS = ("x", "y", "split", "prediction")
STEP_KEYS = {
    "generate_data": ("weight", "bias", "start", "end", "step"),
    # Steps reading a data set also read the keys that fix its row count (a check on it).
    "split_data": ("start", "end", "step", "test_size", "split_seed"),
    "train": ("seed", "optimizer", "loss", "lr", "epochs", "batch_size"),
    "evaluate": ("loss",),
    "plot": ("loss",),
}


def generate(p: LinearParams) -> pd.DataFrame:
    """y = weight*x + bias on x = arange(start, end, step), noise-free as in the notebook."""
    x = np.arange(p.start, p.end, p.step, dtype=np.float64)
    return pd.DataFrame({"x": x, "y": p.weight * x + p.bias})


def train(p: LinearParams, train, test, device, progress) -> tuple:
    """(model from `seed`, TrainResult): trained on `device` with the configured torch.optim."""
    from gdpipe.training import train_linear

    model, *splits = model_and_data("linear", p.seed, COLUMNS, train, test, device)
    return model, train_linear(
        model, *splits, p.optimizer, p.loss, p.lr, p.epochs, p.batch_size, progress
    )


def plot(p: LinearParams, tables, history, metrics) -> tuple:
    """The data with the learned line, and the train and test loss per epoch."""
    from gdpipe import plotting

    # nonfinite: a diverged model predicts nan
    predictions = io.read_table(
        tables[0], PREDICTION_COLUMNS, text_columns=("split",), nonfinite_columns=("prediction",)
    )
    history = io.read_table(history, HISTORY_COLUMNS)
    fit = plotting.linear_fit(predictions, io.read_json(metrics))
    return fit, plotting.loss_curves(history, "Linear regression: loss per epoch", p.loss.upper())


EXPERIMENT = Experiment(
    name="linear",
    params=LinearParams,
    columns=COLUMNS,
    generate=generate,
    rows=lambda p: (p.n_points, "linear.start, end and step"),
    step_keys=STEP_KEYS,
    plot_inputs={
        "table": "results/linear/predictions.csv",
        "metrics": "results/metrics/linear.json",
        "history": "results/linear/history.csv",
    },
    figures=figures("Example 3: linear", ("linear_fit", "linear_loss")),
    plot=plot,
    model="LinearModel",
    train=train,
    loss=lambda p: p.loss,
)
