"""Render one experiment's two figures to PNG (each experiment's `plot` draws them)."""

from gdpipe import cli, io
from gdpipe.experiments import EXPERIMENTS
from gdpipe.pipeline import read_step_params


def step(args):
    params = read_step_params(args.params, "plot", args.experiment)
    plot = EXPERIMENTS[args.experiment].plot
    fit, curve = plot(getattr(params, args.experiment), args.table, args.history, args.metrics)
    io.save_figure(args.fit_plot, fit)
    io.save_figure(args.loss_plot, curve)


if __name__ == "__main__":
    arguments = cli.parser(__doc__, "history", "fit-plot", "loss-plot")
    arguments.add_argument("--experiment", required=True, choices=sorted(EXPERIMENTS))
    arguments.add_argument("--table", required=True, nargs="+", help="the entry's plot_inputs")
    arguments.add_argument("--metrics", help="the metrics, where the entry's plot reads them")
    cli.main(step, arguments)
