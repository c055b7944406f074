"""Merge the jobs' provenance records into one file (the Snakefile's hand_over runs it)."""

from gdpipe import cli, io
from gdpipe.provenance import merge


def step(args):
    merged = merge({path: io.read_json(path) for path in args.records})
    io.write_json(args.out, merged)
    cli.log.info("provenance of %d jobs: %s", len(args.records), merged)


if __name__ == "__main__":
    arguments = cli.parser(__doc__, "out")
    arguments.add_argument("--records", required=True, nargs="+", help="the jobs' records")
    cli.main(step, arguments)
