"""Run gradient descent on a surface from every start at once (notebook Example 1)."""

from gdpipe import cli, io
from gdpipe.devices import make_deterministic, resolve_device
from gdpipe.experiments import surface
from gdpipe.pipeline import read_step_params


def step(args):
    params = read_step_params(args.params, "descend", "surface")
    p = params.surface
    make_deterministic(threads=None)  # the job's threads: results do not depend on them
    starts = io.read_table(args.starts, surface.COLUMNS, rows=surface.EXPERIMENT.rows(p))
    device = resolve_device(params.device)
    trajectories, history, metrics = surface.run_surface(p, starts, device, cli.progress("descent"))
    io.write_table(args.trajectories, trajectories)
    io.write_table(args.history, history)
    io.write_json(args.metrics, metrics)
    cli.log.info(
        "status %(status)s, mean f %(mean_start_value).4f -> %(mean_final_value).4f", metrics
    )


if __name__ == "__main__":
    cli.main(step, cli.parser(__doc__, "starts", "trajectories", "history", "metrics"))
