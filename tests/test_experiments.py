"""The registry: every experiment's entry is complete, and its names are the ones steps use."""

import dataclasses

import pytest

from gdpipe import models
from gdpipe.experiments import EXPERIMENTS, TRAINED
from gdpipe.params import SECTIONS
from tests.conftest import ROOT


def test_the_three_notebook_examples_in_order():
    assert list(EXPERIMENTS) == ["surface", "quadratic", "linear"]
    assert TRAINED == ("quadratic", "linear")
    assert list(SECTIONS) == [*EXPERIMENTS, "lab"]  # params.yaml's sections


@pytest.mark.parametrize("name", list(EXPERIMENTS))
def test_an_entry_is_complete(name):
    e = EXPERIMENTS[name]
    assert e.name == name
    assert dataclasses.is_dataclass(e.params)
    assert {"table", "history"} <= set(e.plot_inputs) <= {"table", "history", "metrics"}
    for figure in e.figures:
        assert (ROOT / "report" / f"{figure.caption}.md").exists(), figure.caption
        assert figure.path.startswith(f"results/plots/{name}_")
    # every step's keys are keys of the section (or its properties, like linear.n_points)
    for keys in e.step_keys.values():
        assert set(keys) <= {f.name for f in dataclasses.fields(e.params)}
    if name in TRAINED:
        assert {"generate_data", "split_data", "train", "evaluate", "plot"} == set(e.step_keys)
        assert callable(e.train)
        assert callable(e.loss)
        assert issubclass(getattr(models, e.model), models.nn.Module)
    else:
        assert e.model is e.train is e.loss is None
