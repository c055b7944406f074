"""Gather every figure and both summary tables, with their captions, into one HTML page."""

from pathlib import Path

from gdpipe import cli, io, report
from gdpipe.errors import DataError
from gdpipe.pipeline import read_step_params


def step(args):
    sections = report.contents(read_step_params(args.params, "report", "lab").lab)
    items = [path for items in sections.values() for path, _ in items]
    if missing := [path for path in items if not Path(path).is_file()]:
        raise DataError(f"{', '.join(missing)}: missing; the report shows the run's results")
    io.write_text(args.out, report.page(sections, Path()))
    cli.log.info("report: %d figures and tables in %d sections", len(items), len(sections))


if __name__ == "__main__":
    cli.main(step, cli.parser(__doc__, "out"))
