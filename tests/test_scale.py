"""Example 1 at a million starts: memory and output bounded by surface.paths, not the starts."""

import json

import pandas as pd
import pytest

from tests.conftest import copy_project, snakemake

pytestmark = pytest.mark.slow


def test_a_million_starts_run_in_bounded_memory_and_output(tmp_path):
    n, steps = 1_000_000, 100
    project = copy_project(tmp_path / "project", {"surface": {"n_starts": n, "steps": steps}})
    targets = ("results/metrics/surface.json", "results/plots/surface_trajectories.png")
    snakemake(project, "--cores", "all", *targets)
    # Snakemake's benchmark of the descent job: its peak resident memory, in MB.
    peak = pd.read_csv(project / "benchmarks/descend.tsv", sep="\t")["max_rss"].iloc[0]
    assert peak <= 2048, f"descend peaked at {peak} MB"
    trajectories = pd.read_csv(project / "results/surface/trajectories.csv")
    assert sorted(trajectories["start"].unique()) == list(range(100))  # surface.paths
    assert len(trajectories) == 100 * (steps + 1)  # no start diverged (status below)
    metrics = json.loads((project / "results/metrics/surface.json").read_text())
    assert metrics["status"] == "ok"
    history = pd.read_csv(project / "results/surface/history.csv")
    assert len(history) == steps + 1  # over every start
    # The data set itself: one row per start, no more.
    with (project / "data/surface/dataset.csv").open() as data:
        assert sum(1 for _ in data) == n + 1
