"""Train one model (quadratic: hand-written steps; linear: torch.optim) and checkpoint it."""

import pandas as pd

from gdpipe import cli, io
from gdpipe.checkpoint import checkpoint_info, save_checkpoint
from gdpipe.devices import make_deterministic, resolve_device
from gdpipe.experiments import EXPERIMENTS, TRAINED
from gdpipe.pipeline import read_step_params, step_settings


def step(args):
    params = read_step_params(args.params, "train", args.experiment)
    experiment, name = EXPERIMENTS[args.experiment], args.experiment
    make_deterministic()
    train = io.read_table(args.train, experiment.columns, min_rows=2)
    test = io.read_table(args.test, experiment.columns, min_rows=2)
    device = resolve_device(params.device)
    model, result = experiment.train(getattr(params, name), train, test, device, cli.progress(name))
    if result.status != "ok":
        cli.log.warning(
            "%s diverged at step %d: non-finite loss or weights", name, result.diverged_step
        )
    config = step_settings(params, "train", name)
    save_checkpoint(args.checkpoint, name, model, **checkpoint_info(config, result))
    io.write_table(args.history, pd.DataFrame(result.history))
    cli.log.info("%s: %s after %d epochs", name, result.status, len(result.history) - 1)


if __name__ == "__main__":
    arguments = cli.parser(__doc__, "train", "test", "checkpoint", "history")
    arguments.add_argument("--experiment", required=True, choices=TRAINED)
    cli.main(step, arguments)
