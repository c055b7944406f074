"""The lab summary on hand-made runs tables whose answers are worked out by hand below."""

import json
import math

import pandas as pd
import pytest

from gdpipe import lab_summary

NAN = math.nan
COLUMNS = lab_summary.RUNS_COLUMNS


def _runs(rows: list[tuple]) -> pd.DataFrame:
    """Rows of (optimizer, lr, final value, steps_to_target, status); starts numbered per group."""
    table, seen = [], {}
    for optimizer, lr, value, steps, status in rows:
        start = seen[optimizer, lr] = seen.get((optimizer, lr), -1) + 1
        x = NAN if status == "diverged" else 0.5
        table.append((optimizer, lr, start, 0.0, 0.0, x, x, value, steps, status))
    return pd.DataFrame(table, columns=COLUMNS)


# Rosenbrock, f* = 0. Listed out of order (adam first, lr 0.1 before 0.01) on purpose.
ROSENBROCK = _runs(
    [
        # adam: both lrs reach in every start with median 10 steps: the tie goes to lr 0.01.
        ("adam", 0.1, 1e-9, 10, "ok"),
        ("adam", 0.1, 1e-9, 9, "ok"),
        ("adam", 0.1, 1e-9, 11, "ok"),
        ("adam", 0.1, 1e-9, 10, "ok"),
        ("adam", 0.01, 1e-5, 8, "ok"),
        ("adam", 0.01, 1e-5, 12, "ok"),
        ("adam", 0.01, 1e-5, 10, "ok"),
        ("adam", 0.01, 1e-5, 10, "ok"),
        # sgd 0.01: 3 of 4 reach (steps 10, 30, 20: median 20); gaps 1e-5, 2e-5, 0.5, 3e-5 have
        # median (2e-5 + 3e-5) / 2 = 2.5e-5.
        ("sgd", 0.01, 1e-5, 10, "ok"),
        ("sgd", 0.01, 2e-5, 30, "ok"),
        ("sgd", 0.01, 0.5, NAN, "ok"),
        ("sgd", 0.01, 3e-5, 20, "ok"),
        # sgd 0.1: 2 of 4 reach (5, 7: median 6), 2 diverge; gap median of 1e-6, 2e-6 = 1.5e-6.
        ("sgd", 0.1, 1e-6, 5, "ok"),
        ("sgd", 0.1, NAN, NAN, "diverged"),
        ("sgd", 0.1, NAN, NAN, "diverged"),
        ("sgd", 0.1, 2e-6, 7, "ok"),
        # momentum: 1 of 2 reach at both lrs; 0.1 in 15 steps beats 0.01 in 40 steps.
        ("momentum", 0.01, 1e-4, 40, "ok"),
        ("momentum", 0.01, 1.0, NAN, "ok"),
        ("momentum", 0.1, 1e-4, 15, "ok"),
        ("momentum", 0.1, 1.0, NAN, "ok"),
        # nesterov: nobody reaches; lr 0.1 ends closest (gap 0.2 vs 0.5); lr 1 all diverge.
        ("nesterov", 0.01, 0.5, NAN, "ok"),
        ("nesterov", 0.01, 0.5, NAN, "ok"),
        ("nesterov", 0.1, 0.2, NAN, "ok"),
        ("nesterov", 0.1, 0.2, NAN, "ok"),
        ("nesterov", 1.0, NAN, NAN, "diverged"),
        ("nesterov", 1.0, NAN, NAN, "diverged"),
        # adagrad: nobody reaches; lr 0.1 ends closer (0.1 vs 0.5) but loses a start.
        ("adagrad", 0.01, 0.5, NAN, "ok"),
        ("adagrad", 0.01, 0.5, NAN, "ok"),
        ("adagrad", 0.1, 0.1, NAN, "ok"),
        ("adagrad", 0.1, NAN, NAN, "diverged"),
    ]
)
# sincos: f* = -1.7601725930460868; ends at -1.0645906614371388 (a local minimum) give gap 0.69558.
SINCOS = _runs([("lion", 0.3, -1.0645906614371388, NAN, "ok"), ("sgd", 0.3, -1.76, 3, "ok")])


@pytest.fixture
def summary() -> pd.DataFrame:
    return lab_summary.summarize_lab({"rosenbrock": ROSENBROCK, "sincos": SINCOS})


def _row(frame: pd.DataFrame, surface: str, optimizer: str, lr: float | None = None) -> dict:
    mask = (frame["surface"] == surface) & (frame["optimizer"] == optimizer)
    if lr is not None:
        mask &= frame["lr"] == lr
    (record,) = frame[mask].to_dict("records")
    return record


def test_success_rate_medians_and_divergences_of_one_lr(summary):
    sgd = _row(summary, "rosenbrock", "sgd", 0.01)
    assert (sgd["starts"], sgd["success_rate"], sgd["median_steps"]) == (4, 0.75, 20)
    assert sgd["diverged"] == 0
    assert sgd["median_gap"] == pytest.approx(2.5e-5)
    wild = _row(summary, "rosenbrock", "sgd", 0.1)
    assert (wild["success_rate"], wild["median_steps"], wild["diverged"]) == (0.5, 6, 2)
    assert wild["median_gap"] == pytest.approx(1.5e-6)  # over the two starts that survived


def test_never_reached_and_all_diverged_give_nan(summary):
    never = _row(summary, "rosenbrock", "nesterov", 0.01)
    assert never["success_rate"] == 0
    assert math.isnan(never["median_steps"])
    lost = _row(summary, "rosenbrock", "nesterov", 1.0)
    assert lost["diverged"] == 2
    assert math.isnan(lost["median_gap"])


def test_gap_is_measured_from_the_surfaces_f_star(summary):
    assert _row(summary, "sincos", "lion")["median_gap"] == pytest.approx(0.6955819316)


def test_rows_follow_surfaces_then_optimizers_then_ascending_lr(summary):
    order = list(summary[["surface", "optimizer", "lr"]].itertuples(index=False, name=None))
    assert order == [
        ("rosenbrock", "sgd", 0.01),
        ("rosenbrock", "sgd", 0.1),
        ("rosenbrock", "momentum", 0.01),
        ("rosenbrock", "momentum", 0.1),
        ("rosenbrock", "nesterov", 0.01),
        ("rosenbrock", "nesterov", 0.1),
        ("rosenbrock", "nesterov", 1.0),
        ("rosenbrock", "adagrad", 0.01),
        ("rosenbrock", "adagrad", 0.1),
        ("rosenbrock", "adam", 0.01),
        ("rosenbrock", "adam", 0.1),
        ("sincos", "sgd", 0.3),
        ("sincos", "lion", 0.3),  # not a lab optimizer: after the known ones
    ]


@pytest.mark.parametrize(
    ("optimizer", "best_lr", "why"),
    [
        ("sgd", 0.01, "75% of starts reach the target against 50%"),
        ("momentum", 0.1, "same success, 15 median steps against 40"),
        ("adam", 0.01, "same success and median steps: the smaller lr"),
        ("nesterov", 0.1, "nobody reaches: the lr that ends closest"),
        ("adagrad", 0.01, "nobody reaches: fewer diverged before closer"),
    ],
    ids=["success", "steps", "smaller-lr", "closest", "fewer-diverged"],
)
def test_best_lr(summary, optimizer, best_lr, why):
    best = lab_summary.best_lrs(summary)
    assert _row(best, "rosenbrock", optimizer)["lr"] == best_lr, why


def test_best_lrs_one_row_per_surface_and_optimizer_in_order(summary):
    best = lab_summary.best_lrs(summary)
    assert list(zip(best["surface"], best["optimizer"], strict=True)) == [
        ("rosenbrock", "sgd"),
        ("rosenbrock", "momentum"),
        ("rosenbrock", "nesterov"),
        ("rosenbrock", "adagrad"),
        ("rosenbrock", "adam"),
        ("sincos", "sgd"),
        ("sincos", "lion"),
    ]


def test_metrics_are_json_safe_with_none_for_nan(summary):
    metrics = lab_summary.lab_metrics(lab_summary.best_lrs(summary))
    assert metrics["rosenbrock"]["nesterov"] == {
        "best_lr": 0.1,
        "success_rate": 0.0,
        "median_steps": None,
    }
    assert metrics["rosenbrock"]["sgd"] == {
        "best_lr": 0.01,
        "success_rate": 0.75,
        "median_steps": 20.0,
    }
    assert list(metrics) == ["rosenbrock", "sincos"]
    text = json.dumps(metrics, allow_nan=False)  # raises on NaN
    assert json.loads(text) == metrics


def test_markdown_tables_are_formatted_for_reading(summary):
    text = lab_summary.lab_markdown(summary, lab_summary.best_lrs(summary))
    best, every = text.split("## Every learning rate")
    assert "| rosenbrock | sgd | 0.01 | 75% | 20 | 0 | 2.50e-05 |" in best
    assert "| rosenbrock | nesterov | 0.1 | 0% | — | 0 | 2.00e-01 |" in best
    assert "| rosenbrock | nesterov | 1 | 2 | 0% | — | 2 | — |" in every
    assert "nan" not in text.lower()
    # Every row of each table has as many cells as its header.
    for table in (best, every):
        rows = [line for line in table.splitlines() if line.startswith("|")]
        assert len({row.count("|") for row in rows}) == 1
