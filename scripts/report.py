"""Gather every figure and both summary tables, with their captions, into one HTML page."""

from pathlib import Path

from gdpipe import cli, io, report
from gdpipe.errors import DataError
from gdpipe.pipeline import read_step_params


def step(args):
    sections = report.contents(read_step_params(args.params, "report", "lab").lab)
    items = [item for items in sections.values() for item in items]
    if missing := [item.path for item in items if not Path(item.path).is_file()]:
        raise DataError(f"{', '.join(missing)}: missing; the report shows the run's results")
    io.write_text(args.out, report.page(sections, Path()))
    cli.log.info("report: %d figures and tables in %d sections", len(items), len(sections))


if __name__ == "__main__":
    arguments = cli.parser(__doc__)
    arguments.add_argument("--out", required=True, help="the HTML page to write")
    cli.main(step, arguments)
