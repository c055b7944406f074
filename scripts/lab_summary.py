"""Summarise the optimizer lab: per-lr table, best lr each, metrics and the success heatmap."""

from gdpipe import cli, io, lab, lab_plots
from gdpipe.errors import DataError
from gdpipe.lab_summary import best_lrs, lab_markdown, lab_metrics, summarize_lab
from gdpipe.pipeline import read_step_params


def step(args):
    p = read_step_params(args.params, "lab_summary", "lab").lab
    if len(args.runs) != len(p.surfaces):
        raise DataError(
            f"--runs: {len(args.runs)} files for the {len(p.surfaces)} lab.surfaces; after "
            "changing lab.surfaces, run `python tools/make_dvc_yaml.py` so dvc.yaml matches"
        )
    runs = {
        surface: io.read_table(path, **lab.TABLES["runs"])
        for surface, path in zip(p.surfaces, args.runs, strict=True)
    }
    summary = summarize_lab(runs, p.optimizers)
    best = best_lrs(summary)
    io.write_table(args.csv, summary, na_rep="")
    io.write_text(args.markdown, lab_markdown(summary, best))
    io.write_json(args.metrics, lab_metrics(best))
    written = io.read_table(args.csv, **lab.TABLES["summary"])  # drawn as any reader sees it
    io.save_figure(args.heatmap, lab_plots.success_heatmap(written, p.target))
    cli.log.info("summarised %d surfaces, %d optimizers", len(runs), len(p.optimizers))


if __name__ == "__main__":
    arguments = cli.parser(__doc__, "csv", "markdown", "metrics", "heatmap")
    arguments.add_argument("--runs", required=True, nargs="+", help="in lab.surfaces' order")
    cli.main(step, arguments)
