"""What the optimizer lab's sweep found, from its `runs` tables (one per surface, NaN in empty
cells): per-lr summaries, the best lr, Markdown and metrics."""

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from gdpipe.objectives import get_surface
from gdpipe.optimizers import OPTIMIZERS

OPTIMIZER_ORDER = tuple(OPTIMIZERS)  # the registry's order: the rows' and figures' default
RUNS_COLUMNS = [
    *("optimizer", "lr", "start", "x1_start", "x2_start"),  # a run: what ran, from where
    *("x1", "x2", "value", "steps_to_target", "status"),  # and how it ended
]
# The summary's columns, each with its Markdown header and cell format (None: text as it is).
SUMMARY_FORMATS = {
    "surface": ("surface", None),
    "optimizer": ("optimizer", None),
    "lr": ("lr", "{:g}"),
    "starts": ("starts", "{:.0f}"),
    "success_rate": ("reached target", "{:.0%}"),
    "median_steps": ("median steps", "{:g}"),
    "diverged": ("diverged", "{:.0f}"),
    "median_gap": ("median final f − f*", "{:.2e}"),
}
SUMMARY_COLUMNS = list(SUMMARY_FORMATS)
BEST_COLUMNS = [c for c in SUMMARY_COLUMNS if c != "starts"]  # what the Markdown shows
METRICS = ("best_lr", "success_rate", "median_steps")  # lab.json's, per surface × optimizer


def optimizer_order(present: Sequence[str], optimizers: Sequence[str] = OPTIMIZER_ORDER) -> list:
    """The optimizers of `present` in `optimizers`' order, any unlisted ones after, by name."""
    present = set(present)
    return [o for o in optimizers if o in present] + sorted(present - set(optimizers))


def summarize_lab(
    runs: Mapping[str, pd.DataFrame], optimizers: Sequence[str] = OPTIMIZER_ORDER
) -> pd.DataFrame:
    """A row per surface × optimizer × lr of `runs` (surface → runs table), in that order."""
    rows = []
    for surface, table in runs.items():
        f_star = get_surface(surface).f_star
        for optimizer in optimizer_order(table["optimizer"].unique(), optimizers):
            for lr, group in table[table["optimizer"] == optimizer].groupby("lr"):
                reached = group["steps_to_target"].notna()
                alive = group["status"] != "diverged"
                row = {
                    "surface": surface,
                    "optimizer": optimizer,
                    "lr": float(lr),
                    "starts": len(group),
                    "success_rate": float(reached.mean()),
                    "median_steps": float(group.loc[reached, "steps_to_target"].median()),
                    "diverged": int((~alive).sum()),
                    "median_gap": float((group.loc[alive, "value"] - f_star).median()),
                }
                rows.append(row)
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def best_lrs(summary: pd.DataFrame) -> pd.DataFrame:
    """Each surface × optimizer's best lr's row: highest success rate, fewest median steps, fewest
    diverged, then (where no lr reaches the target) the lowest median final gap, then smaller lr."""

    def best(group: pd.DataFrame):
        # NaN steps (nobody reached the target) and NaN gaps (everyone diverged) rank last.
        nobody = group["success_rate"].max() == 0
        ranked = group.assign(
            steps=group["median_steps"].fillna(np.inf),
            gap=group["median_gap"].fillna(np.inf) if nobody else 0.0,
        ).sort_values(
            ["success_rate", "steps", "diverged", "gap", "lr"],
            ascending=[False, True, True, True, True],
        )
        return ranked.index[0]

    groups = summary.groupby(["surface", "optimizer"], sort=False)
    return summary.loc[[best(group) for _, group in groups]].reset_index(drop=True)


def _markdown_table(frame: pd.DataFrame, columns: Sequence[str], lr_header: str = "lr") -> str:
    headers = [lr_header if c == "lr" else SUMMARY_FORMATS[c][0] for c in columns]
    formats = [SUMMARY_FORMATS[c][1] for c in columns]
    align = "|".join(":---" if f is None else "---:" for f in formats)  # text left, numbers right
    lines = ["| " + " | ".join(headers) + " |", f"|{align}|"]
    for row in frame[list(columns)].itertuples(index=False):
        cells = [
            str(v) if f is None else "—" if pd.isna(v) else f.format(v)
            for v, f in zip(row, formats, strict=True)
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def lab_markdown(summary: pd.DataFrame, best: pd.DataFrame) -> str:
    """The best lr per surface × optimizer, then every lr of the sweep, as Markdown."""
    return (
        "# Optimizer lab\n\n## Best learning rate per surface and optimizer\n\n"
        "Best: most starts reaching the target (f − f* ≤ target at some step; a run may leave it "
        "again, see the median final f − f*), then fewest median steps, then fewest diverged, "
        "then, when no lr reaches the target, the lowest median final f − f*, then the smaller "
        "lr.\n\n"
        + _markdown_table(best, BEST_COLUMNS, "best lr")
        + "\n\n## Every learning rate\n\n"
        + _markdown_table(summary, SUMMARY_COLUMNS)
        + "\n"
    )


def lab_metrics(best: pd.DataFrame) -> dict:
    """surface → optimizer → METRICS of its best lr: floats, None for NaN (JSON has no NaN)."""
    metrics: dict[str, dict] = {}
    for row in best.itertuples(index=False):
        values = zip(METRICS, (row.lr, row.success_rate, row.median_steps), strict=True)
        metrics.setdefault(row.surface, {})[row.optimizer] = {
            key: float(v) if math.isfinite(v) else None for key, v in values
        }
    return metrics
