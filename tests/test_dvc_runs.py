"""DVC runs the pipeline: `dvc repro`, one stage at a time, gives the bytes of Snakemake's run on
all cores; then what a user does next with the repo: push and pull, experiments and the queue,
a params change with its diffs, and time travel.

All on one scratch repository (tests/test_dvc.py's clone_tree) with the shared default run's
params (default, a small lab), `dvc repro` run once for the module; each test leaves it as it
found it.
"""

import json
import shlex
import shutil
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, SMALL_LAB, artifacts, write_params
from tests.test_dvc import (
    UP_TO_DATE,
    clone_tree,
    delete_outputs,
    git_commit,
    job_list,
    ran_stages,
    run,
)

LINEAR_STAGES = {"train-linear", "evaluate-linear", "plot_linear", "summarize", "report"}
# `dvc exp show` with the columns docs/dvc.md gives (its one line starting so).
EXP_SHOW = next(
    shlex.split(line.split("#")[0])
    for line in (ROOT / "docs/dvc.md").read_text().splitlines()
    if line.startswith("dvc exp show --drop")
)


def dvc_json(repo: Path, *args: str):
    return json.loads(run(repo, "dvc", *args, "--json").stdout)


def snakemake_plans_nothing(repo: Path) -> bool:
    result = run(repo, "snakemake", "--dry-run", "--cores", "1")
    return "Nothing to be done" in result.stdout + result.stderr


@pytest.fixture(scope="module")
def small_repo(tmp_path_factory) -> tuple[Path, str]:
    """A scratch repo with the default run's params, `dvc repro` run once, dvc.lock committed."""
    repo = clone_tree(tmp_path_factory.mktemp("dvc") / "repo", SMALL_LAB)
    first = run(repo, "dvc", "repro").stdout
    git_commit(repo, "small run")
    return repo, first


@pytest.mark.slow
def test_repro_runs_every_stage_then_none(small_repo):
    repo, first = small_repo
    assert ran_stages(first) == {job["name"] for job in job_list(repo, "dvc")}
    again = run(repo, "dvc", "repro").stdout
    assert ran_stages(again) == set()
    assert UP_TO_DATE in run(repo, "dvc", "status").stdout


@pytest.mark.slow
def test_dvc_one_stage_at_a_time_gives_the_bytes_of_snakemake_on_all_cores(small_repo, default_run):
    # DVC runs each stage alone, torch on its default threads; the shared run is Snakemake's with
    # --cores all, its jobs on the threads Snakemake gives. Every data set, table, checkpoint,
    # metrics file and figure, and the report.
    repo, _ = small_repo
    by_dvc, by_snakemake = artifacts(repo), artifacts(default_run)
    assert sorted(by_dvc) == sorted(by_snakemake)
    assert len(by_dvc) > 40
    assert [name for name in by_dvc if by_dvc[name] != by_snakemake[name]] == []


@pytest.mark.slow
def test_push_then_pull_restores_every_output_and_snakemake_agrees(small_repo, tmp_path):
    repo, _ = small_repo
    before = artifacts(repo)
    # The small lab (SMALL_LAB): two surfaces' starts and 4 tables each, 7 figures (the GIF
    # among them); its summary, metrics and heatmap.
    assert len(before) == 26 + 2 + 2 * 4 + 7 + 4 + 1  # and the report
    run(repo, "dvc", "remote", "add", "--local", "-d", "store", str(tmp_path / "remote"))
    run(repo, "dvc", "push")
    # Snakemake never ran here. With DVC up to date, `--touch --forceall` records Snakemake's
    # metadata (input checksums, params, code) for every output, as docs/dvc.md says to do after
    # DVC writes files.
    run(repo, "dvc", "status", "--quiet")
    run(repo, "snakemake", "--touch", "--forceall", "--cores", "1")
    assert snakemake_plans_nothing(repo)

    delete_outputs(repo)
    shutil.rmtree(repo / ".dvc" / "cache")
    run(repo, "dvc", "pull")
    assert artifacts(repo) == before
    assert UP_TO_DATE in run(repo, "dvc", "status").stdout
    # Pulled files carry new, arbitrary times; Snakemake's recorded checksums outweigh them.
    assert snakemake_plans_nothing(repo)
    run(repo, "dvc", "checkout")
    assert snakemake_plans_nothing(repo)


@pytest.mark.slow
def test_experiments_run_queue_and_show(small_repo):
    repo, _ = small_repo
    baseline = json.loads((repo / "results/metrics/linear.json").read_text())
    try:
        ran = run(repo, "dvc", "exp", "run", "-S", "linear.lr=0.01").stdout
        assert ran_stages(ran) == LINEAR_STAGES
        workspace = json.loads((repo / "results/metrics/linear.json").read_text())
        assert workspace["weight"] != baseline["weight"]
        # docs/dvc.md's queued sweep
        run(
            repo,
            "dvc",
            "exp",
            "run",
            "--queue",
            "-S",
            "linear.lr=0.03",
            "-S",
            "linear.optimizer=adam",
        )
        run(repo, "dvc", "exp", "run", "--run-all")

        shown = dvc_json(repo, "exp", "show")
        rows = {"workspace": shown[0]["data"]}
        for experiment in shown[1]["experiments"] or []:
            rows[experiment["name"]] = experiment["revs"][0]["data"]
        by_lr = {
            row["params"]["params.yaml"]["data"]["linear"]["lr"]: row["metrics"][
                "results/metrics/linear.json"
            ]["data"]
            for name, row in rows.items()
            if name != "workspace"
        }
        assert set(by_lr) == {0.01, 0.03}
        assert by_lr[0.01] == workspace
        assert rows["workspace"]["metrics"]["results/metrics/linear.json"]["data"] == workspace
        assert len({metrics["weight"] for metrics in by_lr.values()}) == 2
        # docs/dvc.md's column set: the experiments side by side in 120 columns, nothing cut.
        table = run(repo, "env", "COLUMNS=120", *EXP_SHOW, "--no-pager").stdout
        assert max(map(len, table.splitlines())) <= 120
        assert "…" not in table
        for column in ("Experiment", "weight", "bias", "linear.lr", "linear.optimizer"):
            assert column in table.splitlines()[1], column
    finally:
        run(repo, "git", "checkout", "--", "params.yaml", "dvc.lock")
        run(repo, "dvc", "checkout")
    assert UP_TO_DATE in run(repo, "dvc", "status").stdout


@pytest.mark.slow
def test_switching_the_surface_remakes_its_starts_under_dvc(small_repo):
    # With surface.low/high at `auto` the start square comes from the surface: DVC, which sees
    # the raw `auto`, must still re-run the starts when the name changes.
    repo, _ = small_repo
    params_file = repo / "params.yaml"
    before = params_file.read_text()
    params = yaml.safe_load(before)
    assert params["surface"]["low"] == params["surface"]["high"] == "auto"
    params["surface"]["name"] = "himmelblau"
    write_params(params_file, params)
    try:
        assert "generate_data-surface" in dvc_json(repo, "status")
    finally:
        params_file.write_text(before)
    assert "generate_data-surface" not in dvc_json(repo, "status")


@pytest.mark.slow
def test_changing_linear_lr_reruns_the_linear_stages_then_time_travel(small_repo):
    repo, _ = small_repo
    old_bytes = (repo / "results/metrics/linear.json").read_bytes()
    old = json.loads(old_bytes)
    untouched = {
        name: data
        for name, data in artifacts(repo).items()
        if "linear" not in name and not name.startswith(("results/summary", "results/report"))
    }
    params = yaml.safe_load((repo / "params.yaml").read_text())
    old_lr = params["linear"]["lr"]
    # A value no other test of this repo uses: DVC's run cache would otherwise restore the
    # stages of an earlier experiment instead of running them ("is cached - skipping run").
    params["linear"]["lr"] = 0.005
    write_params(repo / "params.yaml", params)

    assert set(dvc_json(repo, "status")) <= LINEAR_STAGES
    assert "train-linear" in dvc_json(repo, "status")
    params_diff = dvc_json(repo, "params", "diff")
    assert list(params_diff) == ["params.yaml"]
    assert list(params_diff["params.yaml"]) == ["linear.lr"]
    lr_diff = params_diff["params.yaml"]["linear.lr"]
    assert (lr_diff["old"], lr_diff["new"]) == (old_lr, 0.005)
    assert ran_stages(run(repo, "dvc", "repro").stdout) == LINEAR_STAGES
    new_bytes = (repo / "results/metrics/linear.json").read_bytes()
    new = json.loads(new_bytes)
    diff = dvc_json(repo, "metrics", "diff")
    assert set(diff) == {"results/metrics/linear.json"}
    changed = diff["results/metrics/linear.json"]
    assert {"weight", "bias", "train_loss", "test_loss"} <= set(changed)
    for key, values in changed.items():
        assert (values["old"], values["new"]) == (old[key], new[key]), key
    assert {name: data for name, data in artifacts(repo).items() if name in untouched} == untouched

    # Time travel (docs/dvc.md): commit the new run, go back one commit, and `dvc repro` restores
    # the old files from DVC's cache, running nothing; and back.
    git_commit(repo, "linear.lr=0.005")
    for revision, expected in (("HEAD~1", old_bytes), ("main", new_bytes)):
        run(repo, "git", "checkout", "-q", revision)
        assert ran_stages(run(repo, "dvc", "repro").stdout) == set()
        assert (repo / "results/metrics/linear.json").read_bytes() == expected
        assert run(repo, "git", "status", "--porcelain").stdout == ""  # dvc.lock as committed
        assert UP_TO_DATE in run(repo, "dvc", "status").stdout


@pytest.mark.slow
def test_plots_show_works_offline(small_repo):
    # tools/plots_template.py: DVC's page without CDN links, Vega inline (checked in Chromium
    # without a network: docs/dvc.md).
    repo, _ = small_repo
    run(repo, "python", "tools/plots_template.py")
    run(repo, "dvc", "plots", "show")
    page = (repo / "dvc_plots/index.html").read_text()
    assert "<script src=" not in page
    assert "cdn.jsdelivr" not in page
    assert page.count("var spec = ") == 3  # surface_value, quadratic_loss, linear_loss
    assert 'version$1 = "5.' in page  # Vega itself
