"""Draw the optimizer lab's figures: one surface's (each optimizer at its best lr on it), or the
success heatmap of every surface from the lab summary."""

from gdpipe import cli, io, lab, lab_plots
from gdpipe.lab_summary import best_lrs, summarize_lab
from gdpipe.pipeline import read_step_params


def step(args):
    step_name = "lab_heatmap" if args.heatmap else "lab_plot"
    p = read_step_params(args.params, step_name, "lab", args.surface).lab
    if args.heatmap:
        summary = io.read_table(args.summary, **lab.TABLES["summary"])
        io.save_figure(args.heatmap, lab_plots.success_heatmap(summary, p.target))
        return
    surface = lab.lab_surface(args.surface, p)
    tables = {
        name: io.read_table(path, **lab.TABLES[name])
        for name in ("runs", "hits", "paths", "history")
        if (path := getattr(args, name))
    }
    summary = summarize_lab({surface.name: tables["runs"]})
    best = best_lrs(summary)
    if args.paths_plot:
        io.save_figure(args.paths_plot, lab_plots.paths_figure(surface, tables["paths"], best))
    if args.ecdf_plot:
        io.save_figure(
            args.ecdf_plot, lab_plots.ecdf_figure(surface, tables["hits"], best, p.steps)
        )
    if args.basins_plot:
        io.save_figure(args.basins_plot, lab_plots.basin_figure(surface, tables["runs"], best))
    if args.gif:
        io.write_bytes(args.gif, lab_plots.paths_gif(surface, tables["paths"], best))
    if args.lr_plot:
        figure = lab_plots.learning_rate_figure(surface, tables["history"], summary, args.optimizer)
        io.save_figure(args.lr_plot, figure)


if __name__ == "__main__":
    arguments = cli.parser(__doc__)
    arguments.add_argument("--surface", help="the surface whose figures to draw")
    for name in ("runs", "hits", "paths", "history", "summary"):
        arguments.add_argument(f"--{name}", help=f"lab {name} CSV")
    arguments.add_argument("--optimizer", default="sgd", help="the learning-rate figure's")
    for name in ("paths-plot", "ecdf-plot", "basins-plot", "lr-plot", "heatmap"):
        arguments.add_argument(f"--{name}", help="PNG to write")
    arguments.add_argument("--gif", help="GIF of the paths to write")
    cli.main(step, arguments)
