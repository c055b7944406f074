"""Reload a checkpoint, predict under torch.inference_mode and write metrics and predictions."""

from gdpipe import cli, io
from gdpipe.checkpoint import load_checkpoint
from gdpipe.devices import make_deterministic, resolve_device
from gdpipe.evaluation import evaluate_model
from gdpipe.experiments import EXPERIMENTS, TRAINED
from gdpipe.pipeline import read_step_params


def step(args):
    params = read_step_params(args.params, "evaluate", args.experiment)
    experiment = EXPERIMENTS[args.experiment]
    make_deterministic()
    model, info = load_checkpoint(args.checkpoint, expected_model=args.experiment)
    splits = {
        name: io.read_table(path, experiment.columns, min_rows=2)
        for name, path in (("train", args.train), ("test", args.test))
    }
    loss, device = experiment.loss(getattr(params, args.experiment)), resolve_device(params.device)
    metrics, predictions = evaluate_model(model, splits, experiment.columns, loss, info, device)
    io.write_json(args.metrics, metrics)
    io.write_table(args.predictions, predictions)
    cli.log.info("%s metrics: %s", args.experiment, metrics)


if __name__ == "__main__":
    arguments = cli.parser(__doc__, "checkpoint", "train", "test", "metrics", "predictions")
    arguments.add_argument("--experiment", required=True, choices=TRAINED)
    cli.main(step, arguments)
