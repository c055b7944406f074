"""The benchmark's cases compare gdpipe with the plain loops: speed never changes a result.

Each case raises when gdpipe's numbers differ from its baseline's (the notebook's descent
loop, 64 separate runs, the notebook's per-sample training loop); here they run small.
"""

import csv
import math
import os
import subprocess
import sys

import pytest

from bench import cases, pipeline, run
from tests.conftest import ROOT, write_params

ROW = {"baseline_per_s", "per_s", "peak_mib"}


# Each case raises when gdpipe's numbers differ from the baseline's; the mutation tests below
# show each check is live.
@pytest.mark.parametrize(
    ("case", "dtype"),
    [
        ("descent_eager", "float64"),
        ("descent_eager", "float32"),
        pytest.param("descent", "float64", marks=pytest.mark.slow),  # compiles the step
    ],
)
def test_descent_ends_where_the_notebooks_loop_does(case, dtype):
    row = cases.CASES[case](500, dtype, "cpu")
    assert set(row) == ROW | {"compile_s"}
    assert (row["compile_s"] > 0) == (case == "descent")  # only the fused engine compiles


@pytest.mark.slow  # compiles the bare step
def test_the_torch_compile_anchor_ends_where_the_notebooks_loop_does():
    assert cases.CASES["torch_compile"](500, "float64", "cpu")["compile_s"] > 0


def test_the_jax_anchor_ends_where_the_notebooks_loop_does_or_says_it_is_not_installed():
    row = cases.CASES["jax"](500, "float64", "cpu")
    try:
        import jax  # noqa: F401  (an optional extra)
    except ImportError:
        assert row["note"] == "not installed"
    else:
        assert row["per_s"] > 0


def test_the_pipeline_s_own_job_is_timed_whole_and_names_its_engine():
    # 500 starts × 100 steps: far below FUSE_FROM, so `auto` runs the eager engine.
    row = cases.CASES["descent_auto"](500, "float64", "cpu")
    assert (row["engine"], math.isnan(row["compile_s"])) == ("eager", True)
    assert row["per_s"] > 0


def test_the_lab_s_own_job_ends_where_64_separate_runs_do():
    row = cases.CASES["sweep_auto"](200, "float64", "cpu")
    assert row["engine"] == "eager"
    assert row["per_s"] > 0


def test_a_lab_job_that_disagrees_is_an_error(monkeypatch):
    # The 64 separate runs one step short: the job's runs table no longer matches them.
    from gdpipe import descent

    original = descent.descend
    monkeypatch.setattr(descent, "descend", lambda *a, **k: original(*a[:4], a[4] - 1, **k))
    with pytest.raises(AssertionError, match="sweep_auto: the job's final positions differ"):
        cases.CASES["sweep_auto"](50, "float64", "cpu")


def test_per_sample_training_ends_with_the_notebooks_weights():
    assert set(cases.CASES["per_sample"](50, "float32", "cpu")) == ROW


def test_a_descent_that_disagrees_is_an_error(monkeypatch):
    # The notebook loop one step short: the check must notice.
    original = cases._notebook_descent
    monkeypatch.setattr(cases, "_notebook_descent", lambda x, steps, lr: original(x, steps - 1, lr))
    with pytest.raises(AssertionError, match="final positions differ"):
        cases.CASES["descent_eager"](500, "float64", "cpu")


def test_a_per_sample_run_that_disagrees_is_an_error(monkeypatch):
    # The notebook loop at twice the learning rate: its weights end elsewhere.
    original = cases._notebook_training
    monkeypatch.setattr(
        cases, "_notebook_training", lambda m, x, y, lr, epochs: original(m, x, y, 2 * lr, epochs)
    )
    with pytest.raises(AssertionError, match=r"per_sample: .* differs"):
        cases.CASES["per_sample"](50, "float32", "cpu")


@pytest.mark.slow
def test_the_command_writes_the_table(tmp_path, monkeypatch):
    monkeypatch.setattr(run, "plan", lambda device, cases: [("sweep", 100, "float64")])
    out = tmp_path / "bench.csv"
    run.main(["--cases", "sweep", "--out", str(out)])
    with out.open() as table:
        rows = list(csv.DictReader(table))
    assert list(rows[0]) == list(run.COLUMNS)
    assert rows[0]["case"] == "sweep"
    assert float(rows[0]["ratio"]) > 0


def test_job_startups_come_from_the_jobs_logs(tmp_path, unit_params):
    # A real job: its log gives its start-up, its provenance record what it imported.
    write_params(tmp_path / "params.yaml", unit_params)
    job = ["--experiment", "linear", "--out", "data.csv", "--log", "logs/generate_data/linear.log"]
    job += ["--provenance", "results/provenance/generate_data/linear.json"]
    subprocess.run(
        [sys.executable, "-m", "scripts.generate_data", "--params", "params.yaml", *job],
        cwd=tmp_path,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    (row,) = pipeline.job_startups(tmp_path, import_torch=2.0)
    assert (row["rule"], row["jobs"], row["libraries"]) == ("generate_data", 1, "pandas")
    assert 0 < row["startup_s"] < 60
    assert row["ratio"] == row["startup_s"] / 2.0
    assert run.startup_path("out/bench.csv").as_posix() == "out/bench-startup.csv"
