"""One table of every experiment's metrics, as CSV and as Markdown."""

import math

import pandas as pd


def summarize(metrics: dict[str, dict]) -> pd.DataFrame:
    """Long table: one row per (experiment, metric), with the experiment's status beside it."""
    rows = [
        {"experiment": name, "status": record.get("status", "ok"), "metric": key, "value": value}
        for name, record in metrics.items()
        for key, value in sorted(record.items())
        if key != "status"
    ]
    return pd.DataFrame(rows, columns=["experiment", "status", "metric", "value"])


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.6g}" if math.isfinite(value) else "—"
    return "—" if value is None else str(value)


def to_markdown(table: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table (written by hand: pandas needs `tabulate` for this)."""
    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in table.itertuples(False)]
    return "# gdpipe summary\n\n" + "\n".join(lines) + "\n"
