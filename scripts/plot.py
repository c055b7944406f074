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
    arguments = cli.parser(__doc__)
    arguments.add_argument("--experiment", required=True, choices=sorted(EXPERIMENTS))
    arguments.add_argument(
        "--table",
        required=True,
        nargs="+",
        help="surface: trajectories; quadratic: train and test; linear: predictions",
    )
    arguments.add_argument("--history", required=True, help="per-step or per-epoch CSV")
    arguments.add_argument("--metrics", help="linear: metrics JSON (learned weight and bias)")
    arguments.add_argument("--fit-plot", required=True, help="PNG of the data and the model")
    arguments.add_argument("--loss-plot", required=True, help="PNG of the loss curve")
    cli.main(step, arguments)
