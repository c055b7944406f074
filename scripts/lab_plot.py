"""Draw one figure of the optimizer lab for one surface, each optimizer at its best lr on it."""

from gdpipe import cli, io, lab, lab_plots
from gdpipe.lab_summary import best_lrs, summarize_lab
from gdpipe.pipeline import LAB_LR_OPTIMIZER, read_step_params

TABLES = ("runs", "hits", "paths", "history")
FIGURES = ("paths.png", "ecdf.png", "basins.png", "learning_rate.png", "paths.gif")


def step(args):
    p = read_step_params(args.params, "lab_plot", "lab", args.surface).lab
    surface = lab.lab_surface(args.surface, p)
    tables = {
        name: io.read_table(path, **lab.TABLES[name])
        for name in TABLES
        if (path := getattr(args, name))
    }
    summary = summarize_lab({surface.name: tables["runs"]})
    best = best_lrs(summary)
    if args.figure == "paths.gif":
        io.write_bytes(args.out, lab_plots.paths_gif(surface, tables["paths"], best))
        return
    figure = {
        "paths.png": lambda: lab_plots.paths_figure(surface, tables["paths"], best),
        "ecdf.png": lambda: lab_plots.ecdf_figure(surface, tables["hits"], best, p.steps),
        "basins.png": lambda: lab_plots.basin_figure(surface, tables["runs"], best),
        "learning_rate.png": lambda: lab_plots.learning_rate_figure(
            surface, tables["history"], summary, LAB_LR_OPTIMIZER
        ),
    }[args.figure]
    io.save_figure(args.out, figure())


if __name__ == "__main__":
    arguments = cli.parser(__doc__, "surface", "runs", "out")
    arguments.add_argument("--figure", required=True, choices=FIGURES)
    for name in TABLES[1:]:  # those the figure reads besides the runs
        arguments.add_argument(f"--{name}")
    cli.main(step, arguments)
