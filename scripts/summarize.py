"""Collect every experiment's metrics into one table (CSV and Markdown)."""

from pathlib import Path

from gdpipe import cli, io
from gdpipe.summary import summarize, to_markdown


def step(args):
    metrics = {Path(path).stem: io.read_json(path) for path in args.metrics}
    table = summarize(metrics)
    io.write_table(args.csv, table)
    io.write_text(args.markdown, to_markdown(table))
    cli.log.info("summarised %d metrics of %d experiments", len(table), len(metrics))


if __name__ == "__main__":
    arguments = cli.parser(__doc__, "csv", "markdown")
    arguments.add_argument("--metrics", required=True, nargs="+", help="metrics JSON files")
    cli.main(step, arguments)
