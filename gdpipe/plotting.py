"""Figures for each experiment, built from tables; returns matplotlib Figures, saves nothing.

Uses matplotlib.figure.Figure directly (Agg canvas, no pyplot state), so figures render the same
on a laptop, a headless GPU box or a cluster node.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from gdpipe.objectives import Surface
from gdpipe.style import (
    BLUE,
    LABEL_FONT,
    MAP_WITH_BAR,
    MINIMUM,
    PANEL,
    PREDICTION,
    TEST,
    TRAIN,
    VALUES,
    VERMILLION,
    WIDE,
    figure,
)

if TYPE_CHECKING:
    from gdpipe.experiments.surface import SurfaceParams


def _starts_shown(shown: int, drawn: int) -> str:
    return f"{drawn:,} starts" if shown == drawn else f"the first {shown:,} of {drawn:,} starts"


def surface_trajectories(surface: Surface, trajectories: pd.DataFrame, p: SurfaceParams) -> Figure:
    """Contour of f with every start's path, its start and end, and the known minima.

    The view covers the start square [low, high]^2 and the surface's domain, widened to follow
    paths that leave them by up to one square's width (an escaping path is cut at the edge).
    """
    fig = figure(MAP_WITH_BAR)
    ax = fig.add_subplot()
    low, high = p.low, p.high
    span = high - low
    positions = trajectories[["x1", "x2"]].to_numpy()
    lo = min(low, surface.domain[0], max(positions.min(), low - span))
    hi = max(high, surface.domain[1], min(positions.max(), high + span))
    lo, hi = lo - 0.03 * (hi - lo), hi + 0.03 * (hi - lo)  # room for markers on the edge
    grid = np.linspace(lo, hi, 300)
    x1, x2 = np.meshgrid(grid, grid)
    values = surface.value(np.stack([x1, x2], axis=-1))
    # Levels at quantiles: a surface spanning decades (Rosenbrock) still shows its valleys.
    levels = np.unique(np.quantile(values, np.linspace(0, 1, 31)))
    filled = ax.contourf(x1, x2, values, levels=levels, cmap=VALUES)
    fig.colorbar(filled, ax=ax, label="f(x1, x2)")
    for _, path in trajectories.groupby("start", sort=True):
        ax.plot(path["x1"], path["x2"], color="white", linewidth=0.8, alpha=0.8)
    steps = trajectories["step"]
    first = trajectories[steps == 0]
    last = trajectories.groupby("start", sort=True).tail(1)  # a diverged start stops early
    diverged = last[last["step"] < p.steps]
    # White with a black rim: seen on the dark map and on the legend's white alike.
    ax.scatter(
        first["x1"], first["x2"], s=18, color="white", edgecolors="black", lw=0.6, label="start"
    )
    # Ends above the stars: most paths end on a known minimum, and both must show.
    ax.scatter(last["x1"], last["x2"], s=18, color=PREDICTION, zorder=5, label="end")
    minima = np.array([m[:2] for m in surface.minima])
    inside = ((minima >= lo) & (minima <= hi)).all(axis=1)
    ax.scatter(
        minima[inside, 0],
        minima[inside, 1],
        marker="*",
        s=120,
        color=MINIMUM,
        edgecolors="black",
        zorder=4,
        label="known minimum",
    )
    ax.set(
        xlim=(lo, hi),
        ylim=(lo, hi),
        xlabel="x1",
        ylabel="x2",
        title=f"Gradient descent on {surface.formula}\n{_starts_shown(len(first), p.n_starts)}, "
        f"{p.steps} steps, lr={p.lr:g}"
        + (
            f": {len(diverged)} diverged (first at step {int(diverged['step'].min()) + 1})"
            if len(diverged)
            else ""
        ),
    )
    fig.legend(loc="outside lower center", ncols=3)  # beside the map: it hides no path
    return fig


def surface_values(history: pd.DataFrame) -> Figure:
    """Mean and lowest f over all starts at each step."""
    fig = figure(WIDE)
    ax = fig.add_subplot()
    ax.plot(history["step"], history["mean_value"], color=BLUE, label="mean over starts")
    ax.plot(history["step"], history["min_value"], color=VERMILLION, label="lowest over starts")
    ax.set(xlabel="step", ylabel="f(x1, x2)", title="Surface value during descent")
    ax.grid(alpha=0.3)
    ax.legend()
    return fig


def loss_curves(history: pd.DataFrame, title: str, loss_name: str) -> Figure:
    """Train and test loss per epoch, log scale when the losses span decades."""
    fig = figure(WIDE)
    ax = fig.add_subplot()
    ax.plot(history["epoch"], history["train_loss"], marker=".", color=TRAIN, label="train")
    ax.plot(history["epoch"], history["test_loss"], marker=".", color=TEST, label="test")
    losses = history[["train_loss", "test_loss"]].to_numpy()
    positive = losses[np.isfinite(losses) & (losses > 0)]
    if positive.size and positive.max() / positive.min() > 100:
        ax.set_yscale("log")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole numbers
    ax.set(xlabel="epoch", ylabel=loss_name, title=title)
    ax.grid(alpha=0.3)
    ax.legend()
    return fig


def quadratic_panels(
    train: pd.DataFrame, test: pd.DataFrame, history: pd.DataFrame, panels: int = 6
) -> Figure:
    """Data against the fitted parabola at `panels` epochs spread over training."""
    picks = np.unique(np.linspace(0, len(history) - 1, min(panels, len(history))).round())
    cols = min(3, len(picks))
    rows = -(-len(picks) // cols)
    fig = figure((PANEL[0] * cols, PANEL[1] * 0.8 * rows))
    axes = fig.subplots(rows, cols, sharex=True, sharey=True, squeeze=False).ravel()
    t = np.linspace(
        min(train["t"].min(), test["t"].min()), max(train["t"].max(), test["t"].max()), 200
    )
    for ax, pick in zip(axes, picks, strict=False):
        row = history.iloc[int(pick)]
        ax.scatter(train["t"], train["speed"], s=14, color=TRAIN, label="train")
        ax.scatter(test["t"], test["speed"], s=14, color=TEST, label="test")
        ax.plot(t, row["a"] * t**2 + row["b"] * t + row["c"], color=PREDICTION, label="model")
        ax.set_title(f"epoch {int(row['epoch'])}: train MSE {row['train_loss']:.3g}")
        ax.grid(alpha=0.3)
    for ax in axes[len(picks) :]:
        ax.set_visible(False)
    for ax in axes[-cols:]:
        ax.set_xlabel("time t")
    for ax in axes[::cols]:
        ax.set_ylabel("speed")
    # Scale to the data: an early, far-off parabola would otherwise flatten every panel.
    speeds = np.concatenate([train["speed"], test["speed"]])
    margin = 0.25 * (speeds.max() - speeds.min())
    axes[0].set_ylim(speeds.min() - margin, speeds.max() + margin)
    axes[0].legend(fontsize=LABEL_FONT)
    fig.suptitle("Quadratic a·t² + b·t + c fitted by hand-written gradient steps")
    return fig


def linear_fit(predictions: pd.DataFrame, metrics: dict) -> Figure:
    """The notebook's three-colour plot: train data, test data, predictions on the test inputs."""
    fig = figure(WIDE)
    ax = fig.add_subplot()
    train, test = (predictions[predictions["split"] == s] for s in ("train", "test"))
    ax.scatter(train["x"], train["y"], s=12, color=TRAIN, label="train data")
    ax.scatter(test["x"], test["y"], s=48, facecolors="none", edgecolors=TEST, label="test data")
    ax.scatter(
        test["x"],
        test["prediction"],
        s=12,
        color=PREDICTION,
        marker="x",
        label="predictions (test)",
    )
    if metrics.get("status", "ok") == "ok":
        title = f"Linear regression: learned y = {metrics['weight']:.4f}·x + {metrics['bias']:.4f}"
    else:
        title = f"Linear regression diverged at step {metrics.get('diverged_step')}: no fit"
    ax.set(xlabel="x", ylabel="y", title=title)
    ax.grid(alpha=0.3)
    ax.legend()
    return fig
