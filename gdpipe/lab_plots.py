"""The optimizer lab's figures (Figures and GIF bytes, no files) from one surface's tables and the
summary and best tables; each optimizer keeps one colour and line style in every figure."""

import functools
import io

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from pandas import DataFrame
from PIL import Image, ImageColor

from gdpipe import style
from gdpipe.lab_summary import best_lrs, optimizer_order
from gdpipe.objectives import Surface
from gdpipe.plotting import contour, view

DIVERGED_GREY = colormaps[style.VALUES].with_extremes(bad="0.8")  # shares, and grey for "div"
END_MARKER = {"marker": "X", "markersize": 9, "markeredgecolor": "white"}  # where a path is
BELOW = {"loc": "outside lower center", "ncols": 3, "fontsize": style.LEGEND_FONT}  # a map's legend
LR_COLOURS = {"too small": style.SKY_BLUE, "good": style.GREEN, "too large": style.VERMILLION}


def _at_best(table: DataFrame, best: DataFrame, surface: Surface) -> tuple[dict, dict]:
    """optimizer → its best lr on `surface` (in `best`'s order), and `table`'s rows at that lr."""
    rows = best[best["surface"] == surface.name]
    lrs = dict(zip(rows["optimizer"], rows["lr"].astype(float), strict=True))
    return lrs, {
        o: table[(table["optimizer"] == o) & np.isclose(table["lr"], lr)] for o, lr in lrs.items()
    }


def _lab_contour(ax, surface: Surface, lo: float, hi: float, filled: bool = True) -> None:
    fill = {"cmap": "Greys", "alpha": 0.55} if filled else {}
    contour(ax, surface, lo, hi, 240, 21, lines=True, **fill)
    ax.set_aspect("equal")


def _minima(ax, surface: Surface, lo: float, hi: float, colours=(style.MINIMUM,)) -> None:
    """The known minima in [lo, hi]² (periodic copies too), each in its listed minimum's colour."""
    # Rastrigin's 121 stars would hide the paths: there only the global minimum is a star.
    many = len(surface.minima) > len(style.OKABE_ITO)
    index, points = surface.minima_in(lo, hi)
    star = np.array([not many or surface.minima[i][2] == surface.f_star for i in index], bool)
    colour = [colours[i % len(colours)] for i in index[star]]
    label = "global minimum" if many else "known minimum"  # zorder 8: above paths ending on it
    ax.scatter(
        *points[star].T, marker="*", s=170, color=colour, ec="k", lw=0.8, zorder=8, label=label
    )
    if many:
        ax.scatter(*points[~star].T, s=9, color="black", zorder=7, label="local minimum")


def _diverged_at(path: DataFrame, steps: int) -> int | None:
    """The step after a path's last finite position if it stops short of `steps`, else None."""
    finite = path[np.isfinite(path[["x1", "x2"]]).all(axis=1)]
    last = int(finite["step"].max()) if len(finite) else -1
    return last + 1 if last < steps else None


def _common_start(paths: dict[str, DataFrame], steps: int) -> int:
    shared = sorted(set.intersection(*(set(p["start"].astype(int)) for p in paths.values())))
    first = next(iter(paths.values()))
    height = first[first["step"] == 0].set_index("start")["value"]
    # Past the lowest quarter by height (a start beside the minimum shows little), the start the
    # most optimizers run to the end from, then the highest.
    high = [s for s in shared if height[s] >= np.quantile(height[shared], 0.25)]
    finishing = {
        s: sum(_diverged_at(p[p["start"] == s], steps) is None for p in paths.values())
        for s in high
    }
    return max(high, key=lambda s: (finishing[s], height[s], -s))


def _paths_axes(surface: Surface, paths: DataFrame, best: DataFrame, start, dpi=100):
    """The paths figure, a panel per optimizer, show_until(step), which draws them to `step`, and
    the artists it moves."""
    steps = int(paths["step"].max())
    lrs, chosen = _at_best(paths, best, surface)
    start = _common_start(chosen, steps) if start is None else start
    chosen = {o: p[p["start"] == start].sort_values("step") for o, p in chosen.items()}
    fig, axes = style.panel_grid(len(lrs), extra_height=0.8, sharex=True, sharey=True)
    fig.set_dpi(dpi)
    # The view follows the paths that run to the end: one that diverges leaves it (its title says).
    whole = [p for p in chosen.values() if _diverged_at(p, steps) is None]
    lo, hi = view(
        np.concatenate([np.empty((0, 2)), *(p[["x1", "x2"]] for p in whole)]), *surface.domain
    )
    first = next(iter(chosen.values())).iloc[0]
    artists = {}
    for ax, (optimizer, lr) in zip(axes.flat, lrs.items(), strict=False):
        _lab_contour(ax, surface, lo, hi)
        _minima(ax, surface, lo, hi)
        ax.scatter(first["x1"], first["x2"], s=90, c="w", ec="k", lw=1.5, zorder=6, label="start")
        colour, dash = style.optimizer_style(optimizer)
        # Above the start (a short path leaves from under it); the end above a star it reached.
        (line,) = ax.plot([], [], color=colour, linestyle=dash, linewidth=2.5, zorder=7)
        (end,) = ax.plot([], [], color=colour, linestyle="none", zorder=9, **END_MARKER)
        artists[optimizer] = line, end
        diverged = _diverged_at(chosen[optimizer], steps)
        lost = "" if diverged is None else f": diverged at step {diverged}"
        ax.set_title(f"{optimizer}, lr={lr:g}{lost}")
    end = Line2D([], [], color="0.3", linestyle="none", label="end", **END_MARKER)
    keys = [*axes.flat[0].get_legend_handles_labels()[0], end]
    fig.legend(handles=keys, **BELOW, title="shading: lighter is lower f")
    title = fig.suptitle(
        f"{surface.name}: each optimizer at its best lr from start {start} "
        f"({first['x1']:.2f}, {first['x2']:.2f}), up to {steps} steps"
    )

    def show_until(step: int) -> None:
        for optimizer, (line, end) in artists.items():
            path = chosen[optimizer]
            x1, x2 = path.loc[path["step"] <= step, ["x1", "x2"]].to_numpy().T
            line.set_data(x1, x2)
            end.set_data(x1[-1:], x2[-1:])

    return fig, title, show_until, steps, [a for pair in artists.values() for a in pair]


def paths_figure(surface: Surface, paths: DataFrame, best: DataFrame, start=None) -> Figure:
    """Contour of f with each optimizer's path at its best lr from one start (_common_start's)."""
    fig, _, show_until, steps, _ = _paths_axes(surface, paths, best, start)
    show_until(steps)
    return fig


def paths_gif(surface: Surface, paths: DataFrame, best: DataFrame, frames: int = 48) -> bytes:
    """The paths figure as an animated GIF, steps spaced log-like; same input, same bytes."""
    fig, title, show_until, steps, moving = _paths_axes(surface, paths, best, None, dpi=80)
    canvas, heading = FigureCanvasAgg(fig), title.get_text()
    title.set_text(f"{heading}: step 0")
    canvas.draw()  # lays the figure out, once: the frames differ only in what moves
    fig.set_layout_engine("none")
    # Each frame redraws what moves, and what lies above it, onto a copy of the rest: in the
    # order a whole draw takes, so over the same pixels, so the same bytes, seconds sooner.
    over = [a for ax in fig.axes for a in _drawn_above(ax, moving)] + [title]
    for artist in over:
        artist.set_animated(True)
    canvas.draw()
    still, renderer = canvas.copy_from_bbox(fig.bbox), canvas.get_renderer()
    # Most of the motion is early: frames at geometrically spaced steps, then the last.
    shown = np.unique(np.concatenate([[0], np.geomspace(1, max(steps, 1), frames - 1).round()]))
    palette, images = _gif_palette(), []
    for step in shown.astype(int):
        show_until(step)
        title.set_text(f"{heading}: step {step}")
        canvas.restore_region(still)
        for artist in over:
            artist.draw(renderer)
        rgb = Image.fromarray(np.asarray(canvas.buffer_rgba())[..., :3])
        images.append(rgb.quantize(palette=palette, dither=Image.Dither.NONE))
    buffer = io.BytesIO()
    durations = [120] * (len(images) - 1) + [2000]
    images[0].save(
        buffer, format="GIF", save_all=True, append_images=images[1:], duration=durations, loop=0
    )
    return buffer.getvalue()


def _drawn_above(ax, moving: list) -> list:
    """ax's artists from the lowest of `moving` up, in the order Axes.draw draws them."""
    lowest = min(a.get_zorder() for a in moving if a.axes is ax)
    children = [a for a in ax.get_children() if a is not ax.patch and a.get_zorder() >= lowest]
    return sorted(children, key=lambda a: a.get_zorder())  # stable, as Axes.draw's


def _gif_palette() -> Image.Image:
    """The figure's colours, their tints and greys (an adaptive palette miscolours thin lines)."""
    hexes = [*style.OKABE_ITO, *(colour for colour, _ in style.OPTIMIZER_STYLES.values())]
    colours = [ImageColor.getrgb(h) for h in [*hexes, style.MINIMUM]]
    tints = [tuple((c + g) // 2 for c in rgb) for rgb in colours for g in (255, 128)]
    greys = [(g, g, g) for g in (*range(0, 256, 4), 255)]
    entries = list(dict.fromkeys(colours + tints + greys))
    palette = Image.new("P", (1, 1))
    palette.putpalette([v for rgb in entries for v in rgb])
    return palette


def ecdf_figure(surface: Surface, hits: DataFrame, best: DataFrame, steps: int) -> Figure:
    """COCO-style ECDF: share of (start, target) pairs solved by each step, per optimizer."""
    lrs, chosen = _at_best(hits, best, surface)
    fig, ax = style.figure(style.WIDE_OVER_LEGEND)
    grid = np.unique(np.geomspace(1, max(steps, 1), 400).round())
    for optimizer, table in chosen.items():
        colour, dash = style.optimizer_style(optimizer)
        # Share of pairs solved by each step of grid; a pair solved at step 0 counts from step 1.
        solved = np.sort(table["steps"].dropna().to_numpy())
        share = np.searchsorted(solved, grid, side="right") / max(len(table), 1)
        label = f"{optimizer} (lr={lrs[optimizer]:g})"
        ax.step(grid, share, where="post", color=colour, linestyle=dash, linewidth=2, label=label)
    targets = np.sort(hits["target"].unique())
    k_hi, k_lo = (f"{k:.0f}".replace("-", "−") for k in np.log10(targets[[-1, 0]]))
    ax.set(xscale="log", xlim=(1, max(steps, 2)), ylim=(-0.02, 1.02), xlabel="steps")
    ax.set_ylabel("share of (start, target) pairs reached")
    ax.set_title(
        f"{surface.name}: steps to reach f − f* ≤ $10^{{k}}$, k = {k_hi} … {k_lo}\n"
        f"{hits['start'].nunique()} starts × {len(targets)} targets, {steps} steps; best lr each"
    )
    ax.grid(alpha=0.3, which="both")
    # Below the plot, not beside it: there the title, as wide as the plot, ran into it.
    fig.legend(**BELOW)
    return fig


def success_heatmap(summary: DataFrame, target: float | None = None) -> Figure:
    """Share of starts reaching the target, optimizer × lr, one annotated panel per surface."""
    surfaces = list(dict.fromkeys(summary["surface"]))
    # Two panels a row: three were scaled down on the report's page until the numbers were tiny.
    fig, axes = style.panel_grid(len(surfaces), width=1.3, height=0.85, cols=2)
    for ax, surface in zip(axes.flat, surfaces, strict=False):
        cells = summary[summary["surface"] == surface].pivot(index="optimizer", columns="lr")
        cells = cells.loc[optimizer_order(cells.index)]
        rates, lrs = cells["success_rate"].to_numpy(), cells["success_rate"].columns
        # A cell where every start diverged is grey, not the colour of 0%: 0 and div differ.
        lost = (cells["diverged"] == cells["starts"]).to_numpy()
        shares = np.ma.masked_where(lost, rates)
        image = ax.imshow(shares, cmap=DIVERGED_GREY, vmin=0, vmax=1, aspect="auto")
        for (i, j), rate in np.ndenumerate(rates):
            if np.isfinite(rate):
                text = "div" if lost[i, j] else f"{100 * rate:.0f}"
                colour = "black" if lost[i, j] or rate > 0.6 else "white"
                ax.text(j, i, text, ha="center", va="center", c=colour)
        ax.set_xticks(range(len(lrs)), [f"{lr:g}" for lr in lrs], rotation=45)
        ax.set_yticks(range(len(cells)), cells.index)
        ax.set(xlabel="learning rate", ylabel="optimizer", title=surface)
    shown = axes.flat[: len(surfaces)].tolist()
    fig.colorbar(image, ax=shown, label="% of starts reaching target", format="{x:.0%}")
    reach = f"f − f* ≤ {target:g}" if target is not None else "the target"
    fig.suptitle(
        f"Share of {int(summary['starts'].max())} starts reaching {reach} (%), optimizer × "
        "learning rate (grey, div: every start diverged)"
    )
    return fig


def _basins(surface: Surface, table: DataFrame) -> np.ndarray:
    """The known minimum each run ended at (at_minima, else within 5% of the domain's width), -1
    if diverged, -2 if at none."""
    minima = np.array([m[:2] for m in surface.minima])
    ends = np.nan_to_num(table[["x1", "x2"]].to_numpy())
    matches = surface.at_minima(ends)  # (N, M)
    distance = np.linalg.norm(ends[:, None, :] - minima[None, :, :], axis=-1)
    basin = np.where(matches, distance, np.inf).argmin(axis=1)
    near = distance.min(axis=1) <= 0.05 * np.ptp(surface.domain)
    basin = np.where(matches.any(axis=1), basin, np.where(near, distance.argmin(axis=1), -2))
    basin[(table["status"] == "diverged").to_numpy()] = -1
    return basin


def basin_figure(surface: Surface, runs: DataFrame, best: DataFrame) -> Figure:
    """Starts coloured by the known minimum they end at, a panel per optimizer at its best lr."""
    lrs, chosen = _at_best(runs, best, surface)
    fig, axes = style.panel_grid(len(lrs), extra_height=0.8, sharex=True, sharey=True)
    colours = style.OKABE_ITO[: len(surface.minima)]
    low, high = surface.domain
    pad = 0.03 * (high - low)
    for ax, (optimizer, table) in zip(axes.flat, chosen.items(), strict=False):
        _lab_contour(ax, surface, low - pad, high + pad, filled=False)
        basin = _basins(surface, table)
        x1, x2 = table["x1_start"].to_numpy(), table["x2_start"].to_numpy()
        for k, colour in enumerate(colours):
            ax.scatter(x1[basin == k], x2[basin == k], s=30, color=colour, edgecolors="none")
        ax.scatter(x1[basin == -2], x2[basin == -2], s=30, facecolors="none", edgecolors="0.4")
        ax.scatter(x1[basin == -1], x2[basin == -1], s=34, marker="x", color="black")
        _minima(ax, surface, low - pad, high + pad, colours)
        diverged = int((basin == -1).sum())
        ax.set_title(f"{optimizer}, lr={lrs[optimizer]:g}: {diverged} of {len(table)} diverged")

    handle = functools.partial(Line2D, [], [], linestyle="none")
    ends = [
        f"→ ({m1:.2f}, {m2:.2f}), f={f:.3g}" + (" (global)" if f == surface.f_star else "")
        for m1, m2, f in surface.minima
    ]
    fig.legend(
        handles=[
            *(handle(label=end, marker="o", color=c) for c, end in zip(colours, ends, strict=True)),
            handle(label="ended at no known minimum", marker="o", mfc="none", mec="0.4"),
            handle(label="diverged", marker="x", color="black"),
            handle(label="known minimum", marker="*", ms=12, color=style.MINIMUM, mec="black"),
        ],
        **BELOW,
        title="start coloured by the known minimum it ends at (by value, wherever it is)",
    )
    fig.suptitle(
        f"{surface.name}: basins of attraction of {runs['start'].nunique()} starts, each "
        "optimizer at its best lr"
    )
    return fig


def pick_learning_rates(summary: DataFrame, surface: str, optimizer: str = "sgd") -> dict:
    """{"too small": lr, "good": lr, "too large": lr} from one optimizer's sweep: its best lr, the
    largest below that reaches the target less often (else the smallest), the smallest above at
    which a start diverged (else the largest); a side with no lr is left out."""
    table = summary[(summary["surface"] == surface) & (summary["optimizer"] == optimizer)]
    good = best_lrs(table).iloc[0]
    below, above = table[table["lr"] < good["lr"]], table[table["lr"] > good["lr"]]
    picks = {}
    if len(below):
        worse = below[below["success_rate"] < good["success_rate"]]
        picks["too small"] = float(worse["lr"].max() if len(worse) else below["lr"].min())
    picks["good"] = float(good["lr"])
    if len(above):
        wild = above[above["diverged"] > 0]
        picks["too large"] = float(wild["lr"].min() if len(wild) else above["lr"].max())
    return picks


def learning_rate_figure(
    surface: Surface, history: DataFrame, summary: DataFrame, optimizer: str = "sgd"
) -> Figure:
    """f − f* per step (mean and lowest over starts) at pick_learning_rates' three lrs, a diverging
    run marked × where its last start was lost."""
    picks = pick_learning_rates(summary, surface.name, optimizer)
    fig, ax = style.figure(style.WIDE_OVER_LEGEND)
    mine = summary[(summary["surface"] == surface.name) & (summary["optimizer"] == optimizer)]
    top, lost = 0.0, []
    for kind, lr in picks.items():
        curve = history[(history["optimizer"] == optimizer) & np.isclose(history["lr"], lr)]
        curve = curve.sort_values("step")
        # f − f* of exactly 0 has no place on a log axis: the line ends where it gets there.
        mean, lowest = (curve[c] - surface.f_star for c in ("mean_value", "min_value"))
        mean, lowest = mean.where(mean > 0), lowest.where(lowest > 0)
        top = max(top, 1e3 * mean.iloc[:1].max())
        row = mine[np.isclose(mine["lr"], lr)].iloc[0]
        label = f"{kind}: lr={row['lr']:g} ({100 * row['success_rate']:.0f}% of starts reach target"
        if row["diverged"]:
            label += f", {row['diverged']:.0f} of {row['starts']:.0f} diverge"
        colour = LR_COLOURS[kind]
        ax.plot(curve["step"], mean, color=colour, linewidth=2, label=label + ")")
        ax.plot(curve["step"], lowest, color=colour, linewidth=1, linestyle=":")
        going = curve["mean_value"].notna()  # the mean is NaN once every start has diverged
        if not going.iloc[-1] and going.any():  # mark the last step with a start left
            lost.append((curve["step"][going].iloc[-1], mean[going].iloc[-1], colour))
    ax.plot([], [], color="0.3", linewidth=2, label="mean over non-diverged starts")
    ax.plot([], [], color="0.3", linewidth=1, linestyle=":", label="lowest over starts")
    # Steps on a log scale past 1: a too large lr is over within a few steps.
    ax.set(yscale="log", xlabel="step", ylabel="f − f*")
    ax.set_xscale("symlog", linthresh=1, linscale=0.3)
    ax.set_xlim(0, history["step"].max())
    if np.isfinite(top) and top > 0:
        ax.set_ylim(top=min(ax.get_ylim()[1], top))
    for step, gap, colour in lost:  # on the top edge where the curve has left through it
        y = np.fmin(gap, ax.get_ylim()[1])
        ax.plot(step, y, "x", color=colour, markersize=9, markeredgewidth=2, clip_on=False)
    ax.set_title(
        f"{optimizer} on {surface.name}, {mine['starts'].max():.0f} starts: "
        "a learning rate too small, good, too large"
    )
    ax.grid(alpha=0.3)
    # One column: the three lr labels are long, and two columns overflow the figure's width.
    fig.legend(loc="outside lower center", ncols=1, fontsize=style.LEGEND_FONT)
    return fig
