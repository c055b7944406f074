"""Generate one experiment's synthetic data set from its params section."""

from gdpipe import cli, io
from gdpipe.experiments import EXPERIMENTS
from gdpipe.pipeline import read_step_params


def step(args):
    p = getattr(read_step_params(args.params, "generate_data", args.experiment), args.experiment)
    frame = EXPERIMENTS[args.experiment].generate(p)
    io.write_table(args.out, frame)
    cli.log.info("wrote %d rows to %s", len(frame), args.out)


if __name__ == "__main__":
    arguments = cli.parser(__doc__, "out")
    arguments.add_argument("--experiment", required=True, choices=sorted(EXPERIMENTS))
    cli.main(step, arguments)
