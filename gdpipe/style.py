"""One look for every figure: Okabe & Ito's colour-blind-safe colours, viridis for values on a
map, sizes in inches built from one panel."""

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

PANEL = (4.4, 4.0)  # one plot
WIDE = (PANEL[0] * 1.6, PANEL[1])  # one plot beside its legend, or a curve over many steps
WIDE_OVER_LEGEND = (WIDE[0], WIDE[1] * 1.2)  # with room for a legend below
MAP_WITH_BAR = (PANEL[0] * 1.7, PANEL[1] * 1.6)  # a square map beside its colour bar
LEGEND_FONT = 9  # legends and their titles
LABEL_FONT = 8  # numbers written inside a plot, small-panel legends


def figure(size: tuple[float, float]) -> tuple:
    """A figure of `size` inches, constrained layout (nothing clipped or crowded), and its plot."""
    fig = Figure(figsize=size, layout="constrained")
    return fig, fig.add_subplot()


def panel_grid(n: int, width=1.0, height=1.0, extra_height=0.0, cols=3, **subplots) -> tuple:
    """A figure of `n` panels, `cols` a row, each PANEL scaled by (width, height), and its axes."""
    cols = min(cols, n)
    rows = -(-n // cols)
    size = (PANEL[0] * width * cols, PANEL[1] * height * rows + extra_height)
    fig = Figure(figsize=size, layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False, **subplots)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, axes


def optimizer_style(optimizer: str) -> tuple[str, str | tuple]:
    """The (colour, line style) an optimizer is drawn with in every figure."""
    return OPTIMIZER_STYLES.get(optimizer, (BLACK, (0, (1, 1))))  # one added after this table
