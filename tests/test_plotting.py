"""Figures carry what a reader needs: a title, labelled axes, a legend; diverged runs say so."""

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection
from matplotlib.colors import to_hex

from gdpipe import plotting, style
from gdpipe.objectives import get_surface
from gdpipe.params import validate_params


@pytest.fixture
def params(unit_params):
    return validate_params(unit_params)


def _trajectories(steps: int, far: float = 0.0) -> pd.DataFrame:
    rows = [
        {"step": s, "start": i, "x1": 1.0 + i + far * s, "x2": 2.0, "value": -float(s)}
        for s in range(steps + 1)
        for i in range(3)
    ]
    return pd.DataFrame(rows)


def _labelled(fig) -> list:
    axes = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    for ax in axes:
        assert ax.get_xlabel()
        assert ax.get_ylabel()
    return axes


def test_surface_figure_is_labelled(params):
    p = dataclasses.replace(params.surface, steps=4)
    fig = plotting.surface_trajectories(get_surface("sincos"), _trajectories(4), p)
    ax = _labelled(fig)[0]
    assert "4 steps" in ax.get_title()
    (legend,) = fig.legends  # beside the map, not on it
    assert {t.get_text() for t in legend.get_texts()} == {
        "start",
        "end",
        "known minimum",
    }


def test_surface_figure_of_a_diverged_run_says_so_and_keeps_a_sane_view(params):
    p = dataclasses.replace(params.surface, steps=100)
    escaping = _trajectories(5, far=1e30)  # starts that flew off, their paths stopped at step 5
    fig = plotting.surface_trajectories(get_surface("sincos"), escaping, p)
    ax = fig.axes[0]
    assert "3 diverged (first at step 6)" in ax.get_title()
    low, high = ax.get_xlim()
    assert low >= p.low - 1.1 * (p.high - p.low)
    assert high <= p.high + 1.1 * (p.high - p.low)


def test_surface_figure_stars_the_copies_of_minima_in_view_and_counts_the_starts_at_one(params):
    sincos = get_surface("sincos")
    x1, x2, _ = sincos.minima[0]
    # One start ends on a copy of the global minimum outside the domain (sincos is unchanged by
    # a shift of (2π, 2π)), the other on a slope, still moving.
    ends = [(x1 - 2 * math.pi, x2 - 2 * math.pi), (1.0, 2.0)]
    rows = [(s, i, *end, 0.0) for s in (0, 1) for i, end in enumerate(ends)]
    trajectories = pd.DataFrame(rows, columns=["step", "start", "x1", "x2", "value"])
    p = dataclasses.replace(params.surface, steps=1, n_starts=2)
    ax = plotting.surface_trajectories(sincos, trajectories, p).axes[0]
    (stars,) = [c for c in ax.collections if c.get_label() == "known minimum"]
    assert np.isclose(stars.get_offsets(), ends[0]).all(axis=1).any()
    lo, hi = ax.get_xlim()
    _, in_view = sincos.minima_in(lo, hi)
    assert len(stars.get_offsets()) == len(in_view) > len(sincos.minima)
    assert "1 of 2 at a known minimum, 1 still moving: raise surface.steps" in ax.get_title()


def test_loss_curves_are_labelled_and_log_scaled_when_spanning_decades():
    history = pd.DataFrame(
        {"epoch": [0, 1, 2], "train_loss": [1e4, 10.0, 0.1], "test_loss": [1e4, 20.0, 0.2]}
    )
    ax = plotting.loss_curves(history, "a title", "MSE").axes[0]
    assert ax.get_title() == "a title"
    assert ax.get_ylabel() == "MSE"
    assert ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["train", "test"]


def test_quadratic_panels_show_the_chosen_epochs():
    t = np.arange(6.0)
    train = pd.DataFrame({"t": t[:4], "speed": t[:4] ** 2})
    test = pd.DataFrame({"t": t[4:], "speed": t[4:] ** 2})
    history = pd.DataFrame(
        {
            "epoch": range(11),
            "train_loss": np.linspace(10, 1, 11),
            "test_loss": 1.0,
            "a": 1.0,
            "b": 0.0,
            "c": 0.0,
        }
    )
    fig = plotting.quadratic_panels(train, test, history, panels=6)
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert [title.split(":")[0] for title in titles] == [
        "epoch 0",
        "epoch 2",
        "epoch 4",
        "epoch 6",
        "epoch 8",
        "epoch 10",
    ]
    rows, cols = fig.axes[0].get_subplotspec().get_gridspec().get_geometry()
    assert [ax.get_xlabel() for ax in fig.axes[-cols:]] == ["time t"] * cols  # bottom row
    assert [ax.get_ylabel() for ax in fig.axes[::cols]] == ["speed"] * rows  # first column
    # Every panel shows where enough steps would end; the title says the fit stopped short.
    for ax in fig.axes:
        (reference,) = [line for line in ax.lines if line.get_label() == "least squares"]
        np.testing.assert_allclose(reference.get_ydata(), reference.get_xdata() ** 2, atol=1e-9)
    assert "after 10 epochs train MSE 1, far above the least-squares fit's" in fig.get_suptitle()
    fitted = plotting.quadratic_panels(train, test, history.assign(train_loss=0.0))
    assert "least-squares" not in fitted.get_suptitle()


@pytest.mark.parametrize(
    ("metrics", "title"),
    [
        ({"status": "ok", "weight": 0.7, "bias": 0.3}, "learned y = 0.7000·x + 0.3000"),
        ({"status": "diverged", "diverged_step": 9, "weight": None}, "diverged at step 9"),
    ],
)
def test_linear_fit_is_the_three_colour_plot(metrics, title):
    predictions = pd.DataFrame(
        {
            "x": [0.0, 0.5, 1.0, 0.25],
            "y": [0.3, 0.65, 1.0, 0.475],
            "split": ["train", "train", "train", "test"],
            "prediction": [0.3, 0.65, 1.0, np.nan],
        }
    )
    ax = plotting.linear_fit(predictions, metrics).axes[0]
    assert title in ax.get_title()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "train data",
        "test data",
        "predictions (test)",
    ]


def _data_colours(fig) -> set[str]:
    """Hex colours of every line and marker drawn (contour fills and colour bars aside)."""
    found = set()
    for ax in fig.axes:
        for line in ax.get_lines():
            found |= {to_hex(line.get_color()), to_hex(line.get_markerfacecolor())}
        for collection in ax.collections:
            if isinstance(collection, PathCollection):  # scatter markers
                colours = [*collection.get_facecolor(), *collection.get_edgecolor()]
                found |= {to_hex(c) for c in colours if c[3] > 0}
    return found


def test_example_figures_draw_in_the_shared_palette(params):
    # gdpipe.style's colour-blind-safe colours, the minima's gold, and white or black for marks
    # on a map: never matplotlib's default cycle.
    allowed = {*style.OKABE_ITO, style.MINIMUM, "#ffffff", "#000000"}
    surface = plotting.surface_trajectories(get_surface("sincos"), _trajectories(4), params.surface)
    history = pd.DataFrame({"epoch": [0, 1], "train_loss": [2.0, 1.0], "test_loss": [2.0, 1.5]})
    data = pd.DataFrame({"t": [0.0, 1.0, 2.0], "speed": [0.0, 1.0, 4.0]})
    fit = history.assign(a=1.0, b=0.0, c=0.0)
    predictions = pd.DataFrame(
        {"x": [0.0, 1.0], "y": [0.3, 1.0], "split": ["train", "test"], "prediction": [0.3, 1.0]}
    )
    figures = [
        surface,
        plotting.loss_curves(history, "loss", "MSE"),
        plotting.surface_values(
            history.rename(columns={"epoch": "step"}).assign(
                mean_value=[1.0, 0.5], min_value=[0.5, 0.1]
            )
        ),
        plotting.quadratic_panels(data, data, fit, panels=2),
        plotting.linear_fit(predictions, {"status": "ok", "weight": 0.7, "bias": 0.3}),
    ]
    for fig in figures:
        colours = _data_colours(fig)
        assert colours - {c.lower() for c in allowed} == set(), fig.axes[0].get_title()
        assert len(colours) >= 2
