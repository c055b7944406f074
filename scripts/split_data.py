"""Split one experiment's data set into train and test tables with scikit-learn."""

from gdpipe import cli, data, io
from gdpipe.experiments import EXPERIMENTS, TRAINED
from gdpipe.pipeline import read_step_params


def step(args):
    p = getattr(read_step_params(args.params, "split_data", args.experiment), args.experiment)
    experiment = EXPERIMENTS[args.experiment]
    frame = io.read_table(args.data, experiment.columns, min_rows=4, rows=experiment.rows(p))
    train, test = data.split(frame, test_size=p.test_size, seed=p.split_seed)
    io.write_table(args.train, train)
    io.write_table(args.test, test)
    cli.log.info("split %d rows into %d train / %d test", len(frame), len(train), len(test))


if __name__ == "__main__":
    arguments = cli.parser(__doc__, "data", "train", "test")
    arguments.add_argument("--experiment", required=True, choices=TRAINED)
    cli.main(step, arguments)
