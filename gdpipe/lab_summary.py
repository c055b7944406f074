"""What the optimizer lab's sweep found: per-lr summaries, the best lr, Markdown and metrics.

Pure functions over the `runs` tables (one per surface, as read back from CSV: `optimizer, lr,
start, x1_start, x2_start, x1, x2, value, steps_to_target, status`, NaN in empty cells).

- `summarize_lab(runs, optimizers=OPTIMIZER_ORDER, f_stars=None) -> DataFrame`: one row per
  surface × optimizer × lr with columns `surface, optimizer, lr, starts, success_rate` (share of
  starts whose `steps_to_target` is not NaN), `median_steps` (over those starts; NaN if none),
  `diverged` (count of `status == "diverged"`) and `median_gap` (median final f − f* over
  non-diverged starts). `runs` maps surface name → runs table; f* comes from
  `get_surface(name).f_star` unless `f_stars` names it. Rows: surfaces in `runs`' order,
  optimizers in `optimizers`' order (any others after them, by name), lrs ascending.
- `best_lrs(summary) -> DataFrame`: one row per surface × optimizer, the summary row of its best
  lr: highest success rate, then fewest median steps, then fewest diverged starts. Where no lr
  reaches the target at all, the lowest median final gap decides next (the lr that got closest is
  the useful one to show); then the smaller lr.
- `lab_markdown(summary, best) -> str`: both tables as GitHub-flavoured Markdown.
- `lab_metrics(best) -> dict`: surface → optimizer → {best_lr, success_rate, median_steps}, plain
  floats with None for NaN, ready for JSON.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from gdpipe.objectives import get_surface
from gdpipe.optimizers import OPTIMIZERS

OPTIMIZER_ORDER = tuple(OPTIMIZERS)  # the registry's order: the rows' and figures' default
RUNS_COLUMNS = [
    "optimizer",
    "lr",
    "start",
    "x1_start",
    "x2_start",
    "x1",
    "x2",
    "value",
    "steps_to_target",
    "status",
]
SUMMARY_COLUMNS = [
    "surface",
    "optimizer",
    "lr",
    "starts",
    "success_rate",
    "median_steps",
    "diverged",
    "median_gap",
]
BEST_COLUMNS = [c for c in SUMMARY_COLUMNS if c != "starts"]  # what the Markdown shows


def optimizer_order(
    present: Sequence[str], optimizers: Sequence[str] = OPTIMIZER_ORDER
) -> list[str]:
    """The optimizers of `present` in `optimizers`' order, any unlisted ones after, by name."""
    present = set(present)
    return [o for o in optimizers if o in present] + sorted(present - set(optimizers))


def _median(values: pd.Series) -> float:
    values = values.dropna()
    return float(values.median()) if len(values) else math.nan


def _summarize_surface(surface: str, runs: pd.DataFrame, f_star: float, optimizers) -> list:
    rows = []
    for optimizer in optimizer_order(runs["optimizer"].unique(), optimizers):
        mine = runs[runs["optimizer"] == optimizer]
        for lr in sorted(mine["lr"].unique()):
            group = mine[mine["lr"] == lr]
            reached = group["steps_to_target"].notna()
            alive = group["status"] != "diverged"
            rows.append(
                {
                    "surface": surface,
                    "optimizer": optimizer,
                    "lr": float(lr),
                    "starts": len(group),
                    "success_rate": float(reached.mean()),
                    "median_steps": _median(group.loc[reached, "steps_to_target"]),
                    "diverged": int((~alive).sum()),
                    "median_gap": _median(group.loc[alive, "value"] - f_star),
                }
            )
    return rows


def summarize_lab(
    runs: Mapping[str, pd.DataFrame],
    optimizers: Sequence[str] = OPTIMIZER_ORDER,
    f_stars: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """One row per surface × optimizer × lr: success rate, median steps, divergences, gap."""
    f_stars = dict(f_stars or {})
    rows = []
    for surface, table in runs.items():
        f_star = f_stars[surface] if surface in f_stars else get_surface(surface).f_star
        rows += _summarize_surface(surface, table, f_star, optimizers)
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def _best_index(group: pd.DataFrame):
    # NaN steps (nobody reached the target) and NaN gaps (everyone diverged) rank last.
    nobody = group["success_rate"].max() == 0
    ranked = group.assign(
        steps=group["median_steps"].fillna(np.inf),
        gap=group["median_gap"].fillna(np.inf) if nobody else 0.0,
    ).sort_values(
        ["success_rate", "steps", "diverged", "gap", "lr"],
        ascending=[False, True, True, True, True],
        kind="stable",
    )
    return ranked.index[0]


def best_lrs(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary row of each surface × optimizer's best lr, in the summary's order."""
    groups = summary.groupby(["surface", "optimizer"], sort=False)
    return summary.loc[[_best_index(group) for _, group in groups]].reset_index(drop=True)


def _cell(value, kind: str) -> str:
    if kind == "text":
        return str(value)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if kind == "percent":
        return f"{100 * value:.0f}%"
    if kind == "int":
        return f"{value:.0f}"
    if kind == "sci":
        return f"{value:.2e}"
    return f"{value:g}"


_HEADERS = {
    "surface": ("surface", "text"),
    "optimizer": ("optimizer", "text"),
    "lr": ("lr", "g"),
    "starts": ("starts", "int"),
    "success_rate": ("reached target", "percent"),
    "median_steps": ("median steps", "g"),
    "diverged": ("diverged", "int"),
    "median_gap": ("median final f − f*", "sci"),
}


def _table(frame: pd.DataFrame, columns: Sequence[str], lr_header: str = "lr") -> str:
    headers = [lr_header if c == "lr" else _HEADERS[c][0] for c in columns]
    right = [_HEADERS[c][1] != "text" for c in columns]
    lines = ["| " + " | ".join(headers) + " |"]
    lines.append("|" + "|".join("---:" if r else ":---" for r in right) + "|")
    for row in frame[list(columns)].itertuples(index=False):
        cells = [_cell(v, _HEADERS[c][1]) for v, c in zip(row, columns, strict=True)]
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
        + _table(best, BEST_COLUMNS, "best lr")
        + "\n\n## Every learning rate\n\n"
        + _table(summary, SUMMARY_COLUMNS)
        + "\n"
    )


def _plain(value) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def lab_metrics(best: pd.DataFrame) -> dict:
    """surface → optimizer → {best_lr, success_rate, median_steps}; NaN becomes None."""
    metrics: dict[str, dict] = {}
    for row in best.itertuples(index=False):
        metrics.setdefault(row.surface, {})[row.optimizer] = {
            "best_lr": _plain(row.lr),
            "success_rate": _plain(row.success_rate),
            "median_steps": _plain(row.median_steps),
        }
    return metrics
