"""Each experiment's figures from its tables: matplotlib Figures, no files, no pyplot state (the
same on any machine). `view` and `contour` draw the lab's maps too (gdpipe.lab_plots)."""

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from gdpipe import style
from gdpipe.experiments.surface import SurfaceParams
from gdpipe.objectives import Surface


def view(points: np.ndarray, low: float, high: float, *also: tuple[float, float]) -> tuple:
    """[low, high] (and each range of `also`) widened to follow the points that leave it by up
    to its width (one escaping further is cut at the edge), plus room for markers on the edge."""
    span = high - low
    finite = points[np.isfinite(points)]
    lo = min(low, *(a[0] for a in also), max(finite.min(initial=low), low - span))
    hi = max(high, *(a[1] for a in also), min(finite.max(initial=high), high + span))
    return lo - 0.03 * (hi - lo), hi + 0.03 * (hi - lo)


def contour(ax, surface: Surface, lo, hi, points: int, levels: int, lines=False, **fill):
    """f on [lo, hi]², filled with `fill` (contourf's styling) if given, outlined if `lines`."""
    grid = np.linspace(lo, hi, points)
    x1, x2 = np.meshgrid(grid, grid)
    values = surface.value(np.stack([x1, x2], axis=-1))
    # Levels at quantiles: a surface spanning decades (Rosenbrock) still shows its valleys.
    levels = np.unique(np.quantile(values, np.linspace(0, 1, levels)))
    filled = ax.contourf(x1, x2, values, levels=levels, **fill) if fill else None
    if lines:
        ax.contour(x1, x2, values, levels=levels, colors="0.45", linewidths=0.4, linestyles="solid")
    ax.set(xlim=(lo, hi), ylim=(lo, hi), xlabel="x1", ylabel="x2")
    return filled


def surface_trajectories(surface: Surface, trajectories: pd.DataFrame, p: SurfaceParams) -> Figure:
    """Contour of f with every start's path, start and end, and the known minima."""
    fig, ax = style.figure(style.MAP_WITH_BAR)
    lo, hi = view(trajectories[["x1", "x2"]].to_numpy(), p.low, p.high, surface.domain)
    filled = contour(ax, surface, lo, hi, 300, 31, cmap=style.VALUES)
    fig.colorbar(filled, ax=ax, label="f(x1, x2)")
    for _, path in trajectories.groupby("start", sort=True):
        ax.plot(path["x1"], path["x2"], color="white", linewidth=0.8, alpha=0.8)
    first = trajectories[trajectories["step"] == 0]
    last = trajectories.groupby("start", sort=True).tail(1)  # a diverged start stops early
    diverged = last[last["step"] < p.steps]
    # White with a black rim: seen on the dark map and on the legend's white alike.
    ax.scatter(first["x1"], first["x2"], s=18, color="white", ec="black", lw=0.6, label="start")
    # Ends above the stars: most paths end on a known minimum, and both must show.
    ax.scatter(last["x1"], last["x2"], s=18, color=style.PREDICTION, zorder=5, label="end")
    _, minima = surface.minima_in(lo, hi)  # a periodic surface's copies too
    star = {"marker": "*", "s": 120, "color": style.MINIMUM, "edgecolors": "black", "zorder": 4}
    ax.scatter(minima[:, 0], minima[:, 1], **star, label="known minimum")
    shown = "" if len(first) == p.n_starts else f"the first {len(first):,} of "
    title = f"Gradient descent on {surface.formula}\n{shown}{p.n_starts:,} starts, {p.steps} steps"
    title += f", lr={p.lr:g}"
    if len(diverged):
        title += f": {len(diverged)} diverged (first at step {int(diverged['step'].min()) + 1})"
    # Where the others ended: none at a minimum is then read as too few steps, not as a bug.
    ends = last.loc[last["step"] == p.steps, ["x1", "x2"]].to_numpy()
    title += f"\n{surface.at_minima(ends).any(axis=1).sum()} of {len(first)} at a known minimum"
    if moving := int((np.linalg.norm(surface.gradient(ends), axis=-1) > 1e-2).sum()):
        title += f", {moving} still moving: raise surface.steps"
    ax.set_title(title)
    fig.legend(loc="outside lower center", ncols=3)  # beside the map: it hides no path
    return fig


def surface_values(history: pd.DataFrame) -> Figure:
    """Mean and lowest f over all starts at each step."""
    fig, ax = style.figure(style.WIDE)
    step = history["step"]
    ax.plot(step, history["mean_value"], color=style.BLUE, label="mean over starts")
    ax.plot(step, history["min_value"], color=style.VERMILLION, label="lowest over starts")
    ax.set(xlabel="step", ylabel="f(x1, x2)", title="Surface value during descent")
    ax.grid(alpha=0.3)
    ax.legend()
    return fig


def loss_curves(history: pd.DataFrame, title: str, loss_name: str) -> Figure:
    """Train and test loss per epoch, log scale when the losses span decades."""
    fig, ax = style.figure(style.WIDE)
    for split, colour in (("train", style.TRAIN), ("test", style.TEST)):
        ax.plot(history["epoch"], history[f"{split}_loss"], marker=".", color=colour, label=split)
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
    """The data and the fitted parabola at `panels` epochs, with the least-squares parabola."""
    picks = np.unique(np.linspace(0, len(history) - 1, min(panels, len(history))).round())
    fig, axes = style.panel_grid(len(picks), height=0.8, sharex=True, sharey=True)
    both = pd.concat([train, test])
    t = np.linspace(both["t"].min(), both["t"].max(), 200)
    best = np.polyfit(train["t"], train["speed"], 2)
    for ax, pick in zip(axes.flat, picks, strict=False):
        row = history.iloc[int(pick)]
        ax.scatter(train["t"], train["speed"], s=14, color=style.TRAIN, label="train")
        ax.scatter(test["t"], test["speed"], s=14, color=style.TEST, label="test")
        ax.plot(t, row["a"] * t**2 + row["b"] * t + row["c"], color=style.PREDICTION, label="model")
        ax.plot(t, np.polyval(best, t), "--", lw=1, color=style.BLACK, label="least squares")
        ax.set_title(f"epoch {int(row['epoch'])}: train MSE {row['train_loss']:.3g}")
        ax.grid(alpha=0.3)
    for ax in axes[-1]:
        ax.set_xlabel("time t")
    for ax in axes[:, 0]:
        ax.set_ylabel("speed")
    # Scale to the data: an early, far-off parabola would otherwise flatten every panel.
    speeds = both["speed"].to_numpy()
    margin = 0.25 * (speeds.max() - speeds.min())
    axes[0, 0].set_ylim(speeds.min() - margin, speeds.max() + margin)
    axes[0, 0].legend(fontsize=style.LABEL_FONT)
    title = "Quadratic a·t² + b·t + c fitted by hand-written gradient steps"
    # A fit that stops short is the step size's doing, not a bug: say so. f curves ~mean(t⁴)
    # along a and ~1 along c: a step that keeps a stable moves b and c little each epoch.
    lowest, last = np.mean((np.polyval(best, train["t"]) - train["speed"]) ** 2), history.iloc[-1]
    if last["train_loss"] > 1.1 * lowest:
        title += f"\nafter {last['epoch']:.0f} epochs train MSE {last['train_loss']:.3g}, far "
        title += f"above the least-squares fit's {lowest:.3g} (dashed): a learning rate small "
        title += "enough for the t² term barely moves b and c"
    fig.suptitle(title)
    return fig


def linear_fit(predictions: pd.DataFrame, metrics: dict) -> Figure:
    """The notebook's three-colour plot: train data, test data, predictions on the test inputs."""
    fig, ax = style.figure(style.WIDE)
    train, test = (predictions[predictions["split"] == s] for s in ("train", "test"))
    ax.scatter(train["x"], train["y"], s=12, color=style.TRAIN, label="train data")
    ax.scatter(test["x"], test["y"], s=48, facecolors="none", ec=style.TEST, label="test data")
    predicted = test["prediction"]
    ax.scatter(
        test["x"], predicted, s=12, color=style.PREDICTION, marker="x", label="predictions (test)"
    )
    if metrics.get("status", "ok") == "ok":
        title = f"Linear regression: learned y = {metrics['weight']:.4f}·x + {metrics['bias']:.4f}"
    else:
        title = f"Linear regression diverged at step {metrics.get('diverged_step')}: no fit"
    ax.set(xlabel="x", ylabel="y", title=title)
    ax.grid(alpha=0.3)
    ax.legend()
    return fig
