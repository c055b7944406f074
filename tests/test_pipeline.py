"""End to end: the real Snakemake pipeline on copies of the project, default params (a small lab).

The shared default run (--cores all; tests/test_dvc_runs.py checks that `dvc repro`, one stage at
a time, makes the same bytes) must write every output, the linear model must recover the
notebook's line, a re-run must have nothing to do, and a change to linear.lr must re-plan the
linear experiment's jobs only; a change to a lab setting re-plans the lab jobs that read it and
what follows, nothing else.
"""

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from gdpipe.checkpoint import load_checkpoint
from tests.conftest import JOB_BLOCKS, SMALL_LAB, snakemake

pytestmark = pytest.mark.slow

LAB_TABLES = ("runs", "hits", "paths", "history")
OUTPUTS = [
    "data/surface/dataset.csv",
    "data/quadratic/dataset.csv",
    "data/quadratic/train.csv",
    "data/quadratic/test.csv",
    "data/linear/dataset.csv",
    "data/linear/train.csv",
    "data/linear/test.csv",
    "results/surface/trajectories.csv",
    "results/surface/history.csv",
    "results/quadratic/checkpoint.pt",
    "results/quadratic/history.csv",
    "results/quadratic/predictions.csv",
    "results/linear/checkpoint.pt",
    "results/linear/history.csv",
    "results/linear/predictions.csv",
    "results/metrics/surface.json",
    "results/metrics/quadratic.json",
    "results/metrics/linear.json",
    "results/plots/surface_trajectories.png",
    "results/plots/surface_values.png",
    "results/plots/quadratic_fit.png",
    "results/plots/quadratic_loss.png",
    "results/plots/linear_fit.png",
    "results/plots/linear_loss.png",
    "results/summary.csv",
    "results/summary.md",
    # The small lab (SMALL_LAB): sincos and bowl.
    "data/lab/sincos/starts.csv",
    "data/lab/bowl/starts.csv",
    *(f"results/lab/{s}/{t}.csv" for s in ("sincos", "bowl") for t in LAB_TABLES),
    "results/lab/summary.csv",
    "results/lab/summary.md",
    "results/metrics/lab.json",
    "results/plots/lab/success.png",
    *(f"results/plots/lab/{s}/{f}.png" for s in ("sincos", "bowl") for f in ("paths", "ecdf")),
    "results/plots/lab/sincos/basins.png",
    "results/plots/lab/sincos/paths.gif",
    "results/plots/lab/bowl/learning_rate.png",
    "results/report.html",
]


@pytest.fixture(scope="module")
def project(tmp_path_factory, default_run):
    """A copy of the shared default run, for the tests that edit params.yaml (and put it back)."""
    return shutil.copytree(default_run, tmp_path_factory.mktemp("edited") / "project")


def test_every_output_is_written(default_run):
    for name in OUTPUTS:
        assert (default_run / name).stat().st_size > 0, name
    assert not list(default_run.rglob(".*.tmp")), "temporary files left behind"


def test_linear_recovers_the_notebook_line(default_run):
    project = default_run
    metrics = json.loads((project / "results/metrics/linear.json").read_text())
    assert metrics["status"] == "ok"
    assert abs(metrics["weight"] - 0.7) < 0.005
    assert abs(metrics["bias"] - 0.3) < 0.005
    assert metrics["test_loss"] < 0.005
    # The metrics come from the reloaded checkpoint: same weights.
    model, info = load_checkpoint(project / "results/linear/checkpoint.pt", "linear")
    assert model.learned() == pytest.approx({k: metrics[k] for k in ("weight", "bias")})
    assert info["epochs_completed"] == 50


def test_metrics_have_the_documented_keys(default_run):
    project = default_run
    keys = {
        "linear": {"weight", "bias", "train_loss", "test_loss", "status"},
        "quadratic": {"a", "b", "c", "train_loss", "test_loss", "status"},
        "surface": {
            "mean_start_value",
            "mean_final_value",
            "mean_decrease",
            "fraction_decreased",
            "status",
        },
    }
    for name, expected in keys.items():
        metrics = json.loads((project / f"results/metrics/{name}.json").read_text())
        assert expected <= set(metrics), name
        assert all(not isinstance(v, dict | list) for v in metrics.values())  # flat
    surface = json.loads((project / "results/metrics/surface.json").read_text())
    assert surface["mean_decrease"] == pytest.approx(
        surface["mean_start_value"] - surface["mean_final_value"]
    )
    assert 0.9 <= surface["fraction_decreased"] <= 1.0


def test_histories_cover_every_epoch(default_run):
    project = default_run
    linear = (project / "results/linear/history.csv").read_text().splitlines()
    assert linear[0] == "epoch,train_loss,test_loss"
    assert len(linear) == 1 + 51  # header, epoch 0 (start) .. 50
    quadratic = (project / "results/quadratic/history.csv").read_text().splitlines()
    assert quadratic[0] == "epoch,train_loss,test_loss,a,b,c"
    assert len(quadratic) == 1 + 21


def test_summary_lists_every_metric(default_run):
    project = default_run
    summary = (project / "results/summary.csv").read_text()
    for name in ("surface", "quadratic", "linear"):
        metrics = json.loads((project / f"results/metrics/{name}.json").read_text())
        for key in metrics:
            if key != "status":
                assert f"{name},ok,{key}," in summary, (name, key)
    assert (project / "results/summary.md").read_text().count("| linear | ok |") == 4


def _planned_outputs(project: Path) -> set[str]:
    """The outputs `snakemake -n` plans; every planned job also re-writes its log and its
    provenance record (results/provenance/<its log's path>.json)."""
    out = snakemake(project, "--dry-run", "--cores", "1", *JOB_BLOCKS).stdout
    planned = {
        name for line in re.findall(r"^\s+output: (.*)$", out, re.M) for name in line.split(", ")
    }
    for line in re.findall(r"^\s+log: (.*)$", out, re.M):
        log, record = sorted(line.split(", "))
        assert record == "results/provenance/" + log.removeprefix("logs/").replace(".log", ".json")
    return planned


def test_rerun_has_nothing_to_do(project):
    out = snakemake(project, "--dry-run", "--cores", "1").stdout
    assert "Nothing to be done" in out


def test_changing_linear_lr_replans_only_the_linear_experiment(project):
    params_file = project / "params.yaml"
    original = params_file.read_text()
    params = yaml.safe_load(original)
    params["linear"]["lr"] = 0.01
    params_file.write_text(yaml.safe_dump(params, sort_keys=False))
    try:
        planned = _planned_outputs(project)
    finally:
        params_file.write_text(original)
    assert planned == {
        "results/linear/checkpoint.pt",
        "results/linear/history.csv",
        "results/metrics/linear.json",
        "results/linear/predictions.csv",
        "results/plots/linear_fit.png",
        "results/plots/linear_loss.png",
        "results/summary.csv",
        "results/summary.md",
        "results/report.html",
    }


# -- the optimizer lab ----------------------------------------------------------------------------

LAB_COMBINED = {
    "results/report.html",
    "results/lab/summary.csv",
    "results/lab/summary.md",
    "results/metrics/lab.json",
    "results/plots/lab/success.png",
}


def _lab_run_and_after(surface: str) -> set[str]:
    """One surface's run tables and figures (the small lab's), without its starts."""
    figures = {"sincos": ("paths.png", "ecdf.png", "basins.png", "paths.gif")}
    figures["bowl"] = ("paths.png", "ecdf.png", "learning_rate.png")
    return {f"results/lab/{surface}/{t}.csv" for t in LAB_TABLES} | {
        f"results/plots/lab/{surface}/{f}" for f in figures[surface]
    }


def _planned_with(project: Path, **lab) -> set[str]:
    """What `snakemake -n` plans with the lab section changed; params.yaml is put back."""
    params_file = project / "params.yaml"
    original = params_file.read_text()
    params = yaml.safe_load(original)
    params["lab"].update(lab)
    params_file.write_text(yaml.safe_dump(params, sort_keys=False))
    try:
        return _planned_outputs(project)
    finally:
        params_file.write_text(original)


def test_lab_tables_have_one_row_per_run_and_empty_cells(default_run):
    project = default_run
    lab = SMALL_LAB["lab"]
    for surface in lab["surfaces"]:
        lines = (project / f"results/lab/{surface}/runs.csv").read_text().splitlines()
        assert lines[0] == (
            "optimizer,lr,start,x1_start,x2_start,x1,x2,value,steps_to_target,status"
        )
        assert len(lines) - 1 == 6 * len(lab["lrs"]) * lab["n_starts"]
    text = (project / "results/lab/bowl/runs.csv").read_text()
    assert "nan" not in text
    assert ",,ok\n" in text  # a run that never reached the target in 40 steps
    assert ",,,,diverged\n" in text  # sgd at lr 0.1 on the bowl: x2 grows 9-fold a step
    metrics = json.loads((project / "results/metrics/lab.json").read_text())
    assert set(metrics) == set(lab["surfaces"])
    assert set(metrics["bowl"]["adam"]) == {"best_lr", "success_rate", "median_steps"}
    assert metrics["bowl"]["adam"]["best_lr"] in lab["lrs"]


def test_changing_lab_momentum_replans_the_lab_runs_and_what_follows(project):
    planned = _planned_with(project, momentum=0.5)
    assert planned == _lab_run_and_after("sincos") | _lab_run_and_after("bowl") | LAB_COMBINED


def test_changing_lab_condition_replans_the_bowl_alone(project):
    assert _planned_with(project, condition=10.0) == _lab_run_and_after("bowl") | LAB_COMBINED


def test_adding_a_lab_surface_plans_its_jobs_and_the_combined_outputs(project):
    surfaces = [*SMALL_LAB["lab"]["surfaces"], "styblinski_tang"]
    own = {
        "data/lab/styblinski_tang/starts.csv",
        *(f"results/lab/styblinski_tang/{t}.csv" for t in LAB_TABLES),
        *(f"results/plots/lab/styblinski_tang/{f}.png" for f in ("paths", "ecdf", "basins")),
    }
    assert _planned_with(project, surfaces=surfaces) == own | LAB_COMBINED


def test_big_descent_jobs_ask_for_threads_and_small_ones_leave_the_cores(project):
    params_file = project / "params.yaml"
    original = params_file.read_text()
    params = yaml.safe_load(original)
    params["lab"]["n_starts"] = 20_000  # × 2 lrs: past torch's grain size
    params_file.write_text(yaml.safe_dump(params, sort_keys=False))
    try:
        out = snakemake(project, "--dry-run", "--cores", "2", "--forceall", *JOB_BLOCKS).stdout
    finally:
        params_file.write_text(original)
    # A job's block lists "threads: N" when N > 1.
    threads = {}
    for block in re.split(r"^(?=rule \w+:)", out, flags=re.M)[1:]:
        rule = re.match(r"rule (\w+):", block)[1]
        found = re.search(r"^\s+threads: (\d+)$", block, re.M)
        threads.setdefault(rule, set()).add(int(found[1]) if found else 1)
    assert threads["lab_run"] == {2}  # as many as Snakemake has
    assert threads["descend"] == {1}  # Example 1's few starts
    assert threads["train"] == {1}


def test_checkpoints_record_exactly_the_keys_training_declares(default_run):
    import torch

    from gdpipe.experiments import TRAINED
    from gdpipe.pipeline import step_keys

    for model in TRAINED:
        payload = torch.load(default_run / f"results/{model}/checkpoint.pt", weights_only=True)
        assert list(payload["config"]) == step_keys("train", model), model
