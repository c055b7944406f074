"""Lab figures carry what a reader needs, show the right runs, and render to the same bytes."""

import dataclasses
import io
import itertools
import math

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgba
from PIL import Image

from gdpipe import lab as lab_runs
from gdpipe import lab_plots, lab_summary, style
from gdpipe.io import save_figure
from gdpipe.objectives import get_surface
from gdpipe.params import validate_params
from tests.conftest import UNIT_PARAMS

SINCOS = get_surface("sincos")
STEP_SCALES = {"sgd": 1.0, "momentum": 2.0, "adam": 4.0}  # name → how much further each step goes
LRS = (0.05, 0.5)
STARTS = np.array([[6.4, 2.7], [3.0, 5.0], [2.0, 8.0], [8.5, 8.5]])
STEPS, TARGET = 30, 1e-3
KS = range(1, -9, -1)


@pytest.fixture(scope="module")
def lab() -> dict[str, pd.DataFrame]:
    """A small sweep on sincos: plain descent, each 'optimizer' a step multiplier."""
    runs, hits, paths, history = [], [], [], []
    for optimizer, scale in STEP_SCALES.items():
        for lr in LRS:
            x, trace = STARTS.copy(), []
            for step in range(STEPS + 1):
                trace.append(SINCOS.value(x))
                paths += [(optimizer, lr, i, step, *x[i], trace[-1][i]) for i in range(len(x))]
                history.append((optimizer, lr, step, trace[-1].mean(), trace[-1].min()))
                x = x - scale * lr * SINCOS.gradient(x)
            gap = np.array(trace) - SINCOS.f_star  # (steps + 1, starts)
            for i, start in enumerate(STARTS):
                first = [np.flatnonzero(gap[:, i] <= t) for t in [TARGET, *(10.0**k for k in KS)]]
                first = [int(f[0]) if f.size else math.nan for f in first]
                end = paths[-len(STARTS) + i]
                runs.append((optimizer, lr, i, *start, *end[4:], first[0], "ok"))
                hits += [(optimizer, lr, i, 10.0**k, f) for k, f in zip(KS, first[1:], strict=True)]
    return {
        "runs": pd.DataFrame(runs, columns=lab_summary.RUNS_COLUMNS),
        "hits": pd.DataFrame(hits, columns=["optimizer", "lr", "start", "target", "steps"]),
        "paths": pd.DataFrame(
            paths, columns=["optimizer", "lr", "start", "step", "x1", "x2", "value"]
        ),
        "history": pd.DataFrame(
            history, columns=["optimizer", "lr", "step", "mean_value", "min_value"]
        ),
    }


@pytest.fixture(scope="module")
def summary(lab) -> pd.DataFrame:
    return lab_summary.summarize_lab({"sincos": lab["runs"]})


@pytest.fixture(scope="module")
def best(summary) -> pd.DataFrame:
    return lab_summary.best_lrs(summary)


def _panels(fig) -> list:
    """The visible data axes (not colour bars), each with a title and labelled axes."""
    axes = [ax for ax in fig.axes if ax.get_visible() and ax.get_label() != "<colorbar>"]
    for ax in axes:
        assert ax.get_title() or fig.get_suptitle()
        assert ax.get_xlabel()
        assert ax.get_ylabel()
    return axes


def _legend(fig) -> list[str]:
    return [t.get_text() for legend in fig.legends for t in legend.get_texts()]


def _path_lines(ax) -> list:
    """A panel's drawn lines (not markers alone, nor the contour's)."""
    return [line for line in ax.lines if line.get_linestyle() != "None"]


def test_paths_figure_has_a_panel_per_optimizer_each_with_its_own_path(lab, best):
    # On one map the paths hid one another where they shared a stretch: a panel each.
    fig = lab_plots.paths_figure(SINCOS, lab["paths"], best, start=1)
    panels = _panels(fig)
    assert [ax.get_title().split(",")[0] for ax in panels] == list(STEP_SCALES)
    assert "sincos" in fig.get_suptitle()
    assert "start 1 " in fig.get_suptitle()
    for ax, optimizer in zip(panels, STEP_SCALES, strict=True):
        lr = float(best.loc[best["optimizer"] == optimizer, "lr"].iloc[0])
        assert f"lr={lr:g}" in ax.get_title()
        (line,) = _path_lines(ax)
        assert line.get_color() == style.optimizer_style(optimizer)[0]
        x1, x2 = line.get_data()
        assert len(x1) == STEPS + 1
        assert (x1[0], x2[0]) == tuple(STARTS[1])
        # The same view in every panel, and a short path drawn above the start it leaves.
        assert (ax.get_xlim(), ax.get_ylim()) == (panels[0].get_xlim(), panels[0].get_ylim())
        (start,) = [c for c in ax.collections if c.get_label() == "start"]
        assert line.get_zorder() > start.get_zorder()
    assert {"start", "end", "known minimum"} <= set(_legend(fig))


def test_paths_figure_default_start_is_one_every_optimizer_has(lab, best):
    paths = lab["paths"]
    paths = paths[~((paths["optimizer"] == "adam") & (paths["start"] == 0))]
    fig = lab_plots.paths_figure(SINCOS, paths, best)
    # Of the starts every optimizer has a path from, the one that starts highest.
    shared = sorted(set(paths["start"]) - {0})
    highest = max(shared, key=lambda s: SINCOS.value(STARTS[s]))
    assert highest != min(shared)  # so the test tells "highest" from "first"
    assert f"start {highest} " in fig.get_suptitle()


def test_paths_figure_prefers_a_high_start_and_lets_a_diverging_path_leave_the_view():
    # Start 0 sits at the global minimum, where both paths end at once; 1 to 3 start high, adam
    # diverging from 1 (far off, then gone), both optimizers from 2 and 3.
    x1, x2, _ = SINCOS.minima[0]
    at = {0: (x1, x2), 1: (1.6, 0.1), 2: (1.7, 0.2), 3: (1.65, 0.15)}
    lost = {("adam", 1), ("adam", 2), ("sgd", 2), ("adam", 3), ("sgd", 3)}
    rows = []
    for (optimizer, start), step in itertools.product(
        itertools.product(("sgd", "adam"), at), range(4)
    ):
        x = at[start] if step == 0 or (optimizer, start) not in lost else (50.0, 50.0)
        x = (math.nan, math.nan) if (optimizer, start) in lost and step > 1 else x
        rows.append((optimizer, 0.1, start, step, *x, SINCOS.value(np.array(x))))
    paths = pd.DataFrame(rows, columns=["optimizer", "lr", "start", "step", "x1", "x2", "value"])
    best = pd.DataFrame({"surface": "sincos", "optimizer": ["sgd", "adam"], "lr": [0.1, 0.1]})
    fig = lab_plots.paths_figure(SINCOS, paths, best)
    assert "from start 1 " in fig.get_suptitle()  # the one most optimizers finish from, on high
    sgd, adam = _panels(fig)
    assert "diverged at step 2" in adam.get_title()
    assert sgd.get_xlim()[1] < 50 > sgd.get_ylim()[1]  # the view is the finished path's


def test_paths_figure_stars_every_minimum_in_view_periodic_copies_included():
    # A path to a copy of a local minimum outside the domain: sincos is unchanged by (4π, 0).
    x1, x2, _ = SINCOS.minima[1]
    end = (x1 + 4 * math.pi, x2)
    paths = pd.DataFrame(
        {"optimizer": "sgd", "lr": 0.1, "start": 0, "step": [0, 1], "value": 0.0}
        | {"x1": [9.0, end[0]], "x2": [7.0, end[1]]}
    )
    best = pd.DataFrame({"surface": ["sincos"], "optimizer": ["sgd"], "lr": [0.1]})
    (ax,) = _panels(lab_plots.paths_figure(SINCOS, paths, best))
    (stars,) = [c for c in ax.collections if c.get_label() == "known minimum"]
    assert np.isclose(stars.get_offsets(), end).all(axis=1).any()
    _, in_view = SINCOS.minima_in(*ax.get_xlim())
    assert len(stars.get_offsets()) == len(in_view) > len(SINCOS.minima)


def test_ecdf_counts_pairs_solved_by_each_step():
    # Four (start, target) pairs solved at steps 0, 5 and 20, one never: 1/4 at step 1 (step 0
    # counts from the first step shown), 2/4 from step 5, 3/4 from step 20 to the end.
    hits = pd.DataFrame(
        {
            "optimizer": "sgd",
            "lr": 0.1,
            "start": [0, 0, 1, 1],
            "target": [10.0, 0.1, 10.0, 0.1],
            "steps": [0, 5, math.nan, 20],
        }
    )
    best = pd.DataFrame({"surface": ["sincos"], "optimizer": ["sgd"], "lr": [0.1]})
    fig = lab_plots.ecdf_figure(SINCOS, hits, best, steps=100)
    (ax,) = _panels(fig)
    assert ax.get_xscale() == "log"
    (line,) = ax.lines
    x, y = (np.asarray(d) for d in line.get_data())
    assert y[x == 1] == pytest.approx([0.25])
    assert y[x == 4] == pytest.approx([0.25])
    assert y[x == 5] == pytest.approx([0.5])
    assert y[x == 19] == pytest.approx([0.5])
    assert y[-1] == pytest.approx(0.75)
    assert x[-1] == 100
    assert "2 starts × 2 targets" in ax.get_title()


def test_ecdf_figure_has_one_line_per_optimizer(lab, best):
    fig = lab_plots.ecdf_figure(SINCOS, lab["hits"], best, STEPS)
    (ax,) = _panels(fig)
    assert len(ax.lines) == len(STEP_SCALES)
    assert [t.split()[0] for t in _legend(fig)] == list(STEP_SCALES)
    for line in ax.lines:
        y = np.asarray(line.get_ydata())
        assert np.all(np.diff(y) >= 0)
        assert 0 <= y.min() <= y.max() <= 1


def test_ecdf_title_and_legend_stay_apart_and_inside_the_figure(lab, best):
    # The longest surface name: with the legend beside the plot, the title ran into it.
    surface = get_surface("styblinski_tang")
    fig = lab_plots.ecdf_figure(surface, lab["hits"], best.assign(surface=surface.name), STEPS)
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    (ax,) = _panels(fig)
    title = ax.title.get_window_extent(renderer)
    assert surface.name in ax.get_title()
    for box in (title, fig.legends[0].get_window_extent(renderer)):
        assert fig.bbox.x0 <= box.x0 < box.x1 <= fig.bbox.x1
    # Apart by more than a hair: the old title ended 2 pixels short of the legend's frame.
    assert not title.padded(10).overlaps(fig.legends[0].get_window_extent(renderer))


def test_success_heatmap_has_a_panel_per_surface_and_annotates_each_cell(summary):
    lost = summary.assign(surface="bowl")
    lost.loc[lost["lr"] == 0.5, "diverged"] = lost["starts"]
    both = pd.concat([summary, lost], ignore_index=True)
    fig = lab_plots.success_heatmap(both, target=TARGET)
    panels = _panels(fig)
    assert [ax.get_title() for ax in panels] == ["sincos", "bowl"]
    assert "0.001" in fig.get_suptitle()
    for ax in panels:
        assert len(ax.texts) == len(STEP_SCALES) * len(LRS)
        assert [t.get_text() for t in ax.get_yticklabels()] == list(STEP_SCALES)
    assert sum(t.get_text() == "div" for t in panels[1].texts) == len(STEP_SCALES)
    assert not any(t.get_text() == "div" for t in panels[0].texts)
    # A div cell is drawn apart from the colour scale (grey), not as the colour of 0%.
    (image,) = panels[1].images
    assert np.ma.getmaskarray(image.get_array()).sum() == len(STEP_SCALES)
    assert not np.ma.getmaskarray(panels[0].images[0].get_array()).any()
    assert tuple(image.cmap.get_bad()[:3]) != tuple(image.cmap(0.0)[:3])


def test_basin_figure_colours_each_start_by_the_minimum_it_ends_at():
    minima = SINCOS.minima
    runs = pd.DataFrame(
        {
            "optimizer": "sgd",
            "lr": 0.1,
            "start": [0, 1, 2, 3],
            "x1_start": [1.0, 2.0, 3.0, 4.0],
            "x2_start": [1.0, 2.0, 3.0, 4.0],
            # 0: a copy of the global minimum outside the domain (sincos is unchanged by a shift
            # of (2π, 2π)); 1: a local minimum; 2: diverged; 3: still moving, at no minimum.
            "x1": [minima[0][0] - 2 * math.pi, minima[2][0], math.nan, 5.0],
            "x2": [minima[0][1] - 2 * math.pi, minima[2][1], math.nan, 5.0],
            "value": 0.0,
            "steps_to_target": math.nan,
            "status": ["ok", "ok", "diverged", "ok"],
        }
    )
    best = pd.DataFrame({"surface": ["sincos"], "optimizer": ["sgd"], "lr": [0.1]})
    fig = lab_plots.basin_figure(SINCOS, runs, best)
    (ax,) = _panels(fig)
    assert "1 of 4 diverged" in ax.get_title()

    def starts_coloured(colour) -> list:
        return [
            tuple(p)
            for c in ax.collections
            if len(c.get_offsets()) and len(c.get_facecolor())
            for p in c.get_offsets()
            if tuple(c.get_facecolor()[0]) == to_rgba(colour)
        ]

    palette = style.OKABE_ITO
    assert (1.0, 1.0) in starts_coloured(palette[0])
    assert (2.0, 2.0) in starts_coloured(palette[2])
    assert (3.0, 3.0) in starts_coloured("black")  # the diverged mark
    assert "diverged" in _legend(fig)
    assert (4.0, 4.0) not in {p for colour in palette for p in starts_coloured(colour)}
    assert "ended at no known minimum" in _legend(fig)


def test_basin_figure_has_a_panel_per_optimizer(lab, best):
    fig = lab_plots.basin_figure(SINCOS, lab["runs"], best)
    titles = [ax.get_title() for ax in _panels(fig)]
    assert [t.split(",")[0] for t in titles] == list(STEP_SCALES)


def _sweep(rates, steps, diverged) -> pd.DataFrame:
    n = len(rates)
    return pd.DataFrame(
        {
            "surface": "bowl",
            "optimizer": "sgd",
            "lr": [1e-3, 1e-2, 1e-1, 0.3, 1.0][:n],
            "starts": 4,
            "success_rate": rates,
            "median_steps": steps,
            "diverged": diverged,
            "median_gap": 0.1,
        }
    )


def test_learning_rates_picked_from_the_sweep():
    summary = _sweep([0.25, 1.0, 1.0, 0.5, 0.0], [90, 50, 10, 30, math.nan], [0, 0, 0, 0, 4])
    # Best 0.1 (fewest steps among full success); 0.01 does as well, so too small is 0.001;
    # 0.3 loses starts without diverging, so too large is 1.0, the first lr where some diverge.
    assert lab_plots.pick_learning_rates(summary, "bowl") == {
        "too small": 1e-3,
        "good": 0.1,
        "too large": 1.0,
    }
    calm = _sweep([1.0, 0.5, 0.25], [20, 40, 80], [0, 0, 0])
    assert lab_plots.pick_learning_rates(calm, "bowl") == {"good": 1e-3, "too large": 0.1}


def test_learning_rate_figure_labels_its_three_lines(lab, summary):
    fig = lab_plots.learning_rate_figure(SINCOS, lab["history"], summary, optimizer="momentum")
    (ax,) = _panels(fig)
    assert ax.get_yscale() == "log"
    assert "momentum" in ax.get_title()
    labels = [t for t in _legend(fig) if ": lr=" in t]
    assert [t.split(":")[0] for t in labels] == ["too small", "good"]  # two lrs: none is larger


def test_png_bytes_are_the_same_across_renders(lab, summary, best, tmp_path):
    for name, make in {
        "paths": lambda: lab_plots.paths_figure(SINCOS, lab["paths"], best),
        "heatmap": lambda: lab_plots.success_heatmap(summary),
    }.items():
        save_figure(tmp_path / f"{name}1.png", make())
        save_figure(tmp_path / f"{name}2.png", make())
        first = (tmp_path / f"{name}1.png").read_bytes()
        assert first.startswith(b"\x89PNG")
        assert first == (tmp_path / f"{name}2.png").read_bytes(), name


def test_paths_gif_is_an_animation_with_the_same_bytes_each_time(lab, best):
    gif = lab_plots.paths_gif(SINCOS, lab["paths"], best, frames=8)
    assert gif[:6] == b"GIF89a"
    image = Image.open(io.BytesIO(gif))
    assert 5 <= image.n_frames <= 8
    first = np.asarray(image.convert("RGB"))
    image.seek(image.n_frames - 1)
    assert not np.array_equal(first, np.asarray(image.convert("RGB")))  # the paths move
    assert lab_plots.paths_gif(SINCOS, lab["paths"], best, frames=8) == gif


def test_gif_frames_are_the_whole_figure_redrawn(lab, best):
    # A frame redraws only the paths and what lies above them (stars, ends) over a copy of the
    # rest; the first and the last frame must equal the whole figure drawn at their steps.
    gif = Image.open(io.BytesIO(lab_plots.paths_gif(SINCOS, lab["paths"], best, frames=8)))
    fig, title, show_until, steps, _ = lab_plots._paths_axes(
        SINCOS, lab["paths"], best, None, dpi=80
    )
    canvas, heading, palette = FigureCanvasAgg(fig), title.get_text(), lab_plots._gif_palette()
    for frame, step in ((0, 0), (gif.n_frames - 1, steps)):
        show_until(step)
        title.set_text(f"{heading}: step {step}")
        canvas.draw()
        fig.set_layout_engine("none")  # laid out at the first frame, as the GIF is
        whole = Image.fromarray(np.asarray(canvas.buffer_rgba())[..., :3])
        whole = whole.quantize(palette=palette, dither=Image.Dither.NONE).convert("RGB")
        gif.seek(frame)
        assert np.array_equal(np.asarray(gif.convert("RGB")), np.asarray(whole)), step


def test_a_learning_rate_that_lost_every_start_is_marked_where_on_the_top_edge():
    # sgd on the bowl (κ 100) diverges from every start at lr 0.03: its curve leaves the plot
    # through the top, and the × marks the last step with a start left, on that edge.
    p = dataclasses.replace(
        validate_params(UNIT_PARAMS).lab, optimizers=("sgd",), lrs=(0.003, 0.01, 0.03), paths=0
    )
    bowl = lab_runs.lab_surface("bowl", p)
    starts = lab_runs.generate_starts(bowl, 0, 10)
    tables = lab_runs.run_surface(bowl, starts, p, "cpu", lambda optimizer: iter)
    runs = tables["runs"].astype({"steps_to_target": float})  # as the summary step reads them
    summary = lab_summary.summarize_lab({"bowl": runs})
    fig = lab_plots.learning_rate_figure(bowl, tables["history"], summary)
    (ax,) = _panels(fig)
    marks = [line for line in ax.get_lines() if line.get_marker() == "x"]
    assert len(marks) == 1
    (step,), (y,) = marks[0].get_data()
    history = tables["history"]
    going = history[(history["lr"] == 0.03) & history["mean_value"].notna()]
    assert step == going["step"].max() < p.steps
    assert y == ax.get_ylim()[1]
    assert to_rgba(marks[0].get_color()) == to_rgba(lab_plots.LR_COLOURS["too large"])
