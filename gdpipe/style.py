"""One look for every figure (gdpipe.plotting and gdpipe.lab_plots): colours, sizes and fonts.

Colours are Okabe & Ito's (2008), safe for the common colour-vision deficiencies; values on a
map use viridis (perceptually uniform, readable in greyscale). Sizes are in inches, built from
one panel; fonts are matplotlib's default (10 pt) but for legends and in-plot labels.
"""

from __future__ import annotations

from matplotlib.figure import Figure

# Okabe & Ito's palette, yellow last (it vanishes on white).
OKABE_ITO = ("#E69F00", "#0072B2", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#000000", "#F0E442")
ORANGE, BLUE, GREEN, PURPLE, VERMILLION, SKY_BLUE, BLACK, YELLOW = OKABE_ITO
TRAIN, TEST, PREDICTION = BLUE, GREEN, VERMILLION
MINIMUM = "#FFD700"  # the gold star of a known minimum, black-edged on every map
VALUES = "viridis"  # the colour map of f on a surface and of shares in a heatmap
OPTIMIZER_STYLES = {  # optimizer → (colour, line style): also tells lines apart in greyscale
    "sgd": (VERMILLION, "-"),
    "momentum": (ORANGE, "--"),
    "nesterov": (PURPLE, "-."),
    "adagrad": (GREEN, ":"),
    "rmsprop": (SKY_BLUE, "--"),
    "adam": (BLUE, "-"),
}
UNKNOWN_OPTIMIZER = (BLACK, (0, (1, 1)))  # one registered after this table was written

PANEL = (4.4, 4.0)  # one plot
WIDE = (PANEL[0] * 1.6, PANEL[1])  # one plot beside its legend, or a curve over many steps
MAP = (PANEL[0] * 1.4, PANEL[1] * 1.6)  # a square map above its legend
MAP_WITH_BAR = (PANEL[0] * 1.7, PANEL[1] * 1.6)  # a square map beside its colour bar
LEGEND_FONT = 9  # legends and their titles
LABEL_FONT = 8  # numbers written inside a plot, small-panel legends


def figure(size: tuple[float, float], **kwargs) -> Figure:
    """A new figure of `size` inches with the constrained layout (nothing clipped or crowded)."""
    return Figure(figsize=size, layout="constrained", **kwargs)


def panel_grid(n: int, width=1.0, height=1.0, extra_height=0.0, cols=3, **subplots) -> tuple:
    """A figure of `n` panels, `cols` a row, each PANEL scaled by (width, height), and its 2-D
    array of axes; the cells the last row leaves over are hidden."""
    cols = min(cols, n)
    rows = -(-n // cols)
    fig = figure((PANEL[0] * width * cols, PANEL[1] * height * rows + extra_height))
    axes = fig.subplots(rows, cols, squeeze=False, **subplots)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, axes


def optimizer_style(optimizer: str) -> tuple[str, str | tuple]:
    """The (colour, line style) an optimizer is drawn with in every figure."""
    return OPTIMIZER_STYLES.get(optimizer, UNKNOWN_OPTIMIZER)
