"""The benchmark's cases compare gdpipe with the plain loops: speed never changes a result.

Each case raises when gdpipe's numbers differ from its baseline's (the notebook's descent
loop, 64 separate runs, the notebook's per-sample training loop); here they run small.
"""

import csv

import pytest

from gdpipe import bench


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_descent_ends_where_the_notebooks_loop_does(dtype):
    row = bench.CASES["descent"](500, dtype, "cpu")
    assert row["gdpipe_per_s"] > 0
    assert row["baseline_per_s"] > 0


def test_a_batched_sweep_gives_each_rate_its_own_run():
    row = bench.CASES["sweep"](200, "float64", "cpu")
    assert row["gdpipe_per_s"] > 0


def test_per_sample_training_ends_with_the_notebooks_weights():
    row = bench.CASES["per_sample"](50, "float32", "cpu")
    assert row["gdpipe_per_s"] > 0


def test_a_case_that_disagrees_is_an_error(monkeypatch):
    # The notebook loop one step short: the check must notice.
    original = bench._notebook_descent
    monkeypatch.setattr(bench, "_notebook_descent", lambda x, steps, lr: original(x, steps - 1, lr))
    with pytest.raises(AssertionError, match="final positions differ"):
        bench.CASES["descent"](500, "float64", "cpu")


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
