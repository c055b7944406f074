"""What an experiment is: the registry entry through which every step reaches it. No torch or
matplotlib at import (a step's functions import them): the Snakefile reads it on every start."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import pandas as pd


class Figure(NamedTuple):
    """One of an experiment's two PNGs, and how the report shows it."""

    path: str
    caption: str  # report/<caption>.md
    category: str  # the report's section


@dataclass(frozen=True)
class Experiment:
    """One notebook example: generate, then descend (no model) or split, train, evaluate; plot."""

    name: str  # its params section and its folder under data/ and results/
    params: type  # the section: a frozen dataclass of gdpipe.schema keys
    columns: tuple[str, ...]  # data/<name>/dataset.csv (train.csv, test.csv): input, target
    generate: Callable[[Any], pd.DataFrame]  # section -> the seeded data set
    rows: Callable[[Any], tuple[int, str]]  # section -> the data set's rows, the keys fixing them
    step_keys: dict[str, tuple[str, ...]]  # step -> the keys of its section the step reads
    # The plot step: its inputs (`table`: one or more, `history`, `metrics` if read) and figures.
    plot_inputs: dict[str, str | tuple[str, ...]]
    figures: tuple[Figure, Figure]
    plot: Callable[..., tuple]
    # A trained experiment: its class in gdpipe.models, training and the loss it is evaluated with.
    model: str | None = None
    train: Callable[..., tuple] | None = None  # (section, train, test, device, progress)
    loss: Callable[[Any], str] | None = None


def figures(category: str, names: tuple[str, str]) -> tuple:
    """The two Figures results/plots/<name>.png, each captioned by report/<name>.md."""
    return tuple(Figure(f"results/plots/{name}.png", name, category) for name in names)


def model_and_data(name: str, seed: int, columns, train, test, device) -> tuple:
    """Model `name` from `seed`, and the train and test tables as tensors, all on `device`."""
    from gdpipe.evaluation import tensors
    from gdpipe.models import build_model

    model = build_model(name, seed=seed).to(device)
    return model, tensors(train, columns, device), tensors(test, columns, device)
