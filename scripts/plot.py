"""Render one experiment's figures to PNG."""

from gdpipe import cli, io, plotting
from gdpipe.data import COLUMNS
from gdpipe.objectives import get_surface
from gdpipe.pipeline import read_step_params

HISTORY_COLUMNS = {
    "surface": ("step", "mean_value", "min_value"),
    "quadratic": ("epoch", "train_loss", "test_loss", "a", "b", "c"),
    "linear": ("epoch", "train_loss", "test_loss"),
}


def step(args):
    params = read_step_params(args.params, "plot", args.experiment)
    e = args.experiment
    history = io.read_table(args.history, HISTORY_COLUMNS[e])
    if e == "surface":
        trajectories = io.read_table(args.table[0], ("step", "start", "x1", "x2", "value"))
        fit = plotting.surface_trajectories(
            get_surface(params.surface.name), trajectories, params.surface
        )
        curve = plotting.surface_values(history)
    elif e == "quadratic":
        train, test = (io.read_table(path, COLUMNS[e]) for path in args.table)
        fit = plotting.quadratic_panels(train, test, history)
        curve = plotting.loss_curves(history, "Quadratic fit: loss per epoch", "MSE")
    else:
        predictions = io.read_table(
            args.table[0],
            ("x", "y", "split", "prediction"),
            text_columns=("split",),
            nonfinite_columns=("prediction",),  # a diverged model predicts nan
        )
        fit = plotting.linear_fit(predictions, io.read_json(args.metrics))
        curve = plotting.loss_curves(
            history, "Linear regression: loss per epoch", params.linear.loss.upper()
        )
    io.save_figure(args.fit_plot, fit)
    io.save_figure(args.loss_plot, curve)


if __name__ == "__main__":
    arguments = cli.parser(__doc__)
    arguments.add_argument("--experiment", required=True, choices=sorted(HISTORY_COLUMNS))
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
