"""The DVC layer: dvc.yaml mirrors the Snakefile, and DVC versions, diffs and restores the runs.

Every test works on a scratch git repository holding the project's working tree as a user
would clone it (tracked and untracked-but-not-ignored files, the DVC files included). The drift
tests are quick; the end-to-end ones (marked slow) run DVC and Snakemake for real.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, SMALL, artifacts, environment, write_params

BIN = Path(sys.executable).parent
LINEAR_STAGES = {"train-linear", "evaluate-linear", "plot_linear", "summarize", "report"}
UP_TO_DATE = "Data and pipelines are up to date."
LAB_SURFACES = yaml.safe_load((ROOT / "params.yaml").read_text())["lab"]["surfaces"]
# `dvc exp show` with the columns docs/dvc.md gives (its one line starting so).
EXP_SHOW = next(
    shlex.split(line.split("#")[0])
    for line in (ROOT / "docs/dvc.md").read_text().splitlines()
    if line.startswith("dvc exp show --drop")
)


def clone_tree(dest: Path, overrides: dict | None = None, commit: bool = True) -> Path:
    """The project's working tree copied into a fresh git repository in dest, params overridden
    (and dvc.yaml made for them)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in sorted(set(filter(None, listed.split("\0")))):
        source = ROOT / name
        if source.is_file():  # skip files deleted in the working tree
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    if overrides:
        params = yaml.safe_load((dest / "params.yaml").read_text())
        for section, values in overrides.items():
            params[section].update(values)
        write_params(dest / "params.yaml", params)
        # lab.surfaces decides which stages exist (one set per surface): as a user would after
        # changing it, regenerate dvc.yaml.
        run(dest, "python", "tools/make_dvc_yaml.py", "--project", ".")
    run(dest, "git", "init", "-q", "-b", "main")
    if commit:
        git_commit(dest, "project")
    return dest


def env(repo: Path) -> dict:
    """This interpreter first on PATH, no DVC analytics, a git identity."""
    variables = environment()
    variables.update(
        DVC_NO_ANALYTICS="1",
        GIT_AUTHOR_NAME="gdpipe tests",
        GIT_AUTHOR_EMAIL="tests@gdpipe.invalid",
        GIT_COMMITTER_NAME="gdpipe tests",
        GIT_COMMITTER_EMAIL="tests@gdpipe.invalid",
    )
    return variables


def run(repo: Path, *command: str, check: bool = True) -> subprocess.CompletedProcess:
    program = command[0]
    if (BIN / program).exists():  # dvc, snakemake, python: this environment's
        command = (str(BIN / program), *command[1:])
    result = subprocess.run(
        command, cwd=repo, env=env(repo), capture_output=True, text=True, check=False
    )
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def git_commit(repo: Path, message: str) -> None:
    run(repo, "git", "add", "-A")
    run(repo, "git", "commit", "-q", "-m", message)


def dvc_json(repo: Path, *args: str):
    return json.loads(run(repo, "dvc", *args, "--json").stdout)


def ran_stages(output: str) -> set[str]:
    return set(re.findall(r"^Running stage '([^']+)'", output, re.M))


def delete_outputs(repo: Path) -> None:
    for name in artifacts(repo):
        (repo / name).unlink()


def snakemake_plans_nothing(repo: Path) -> bool:
    result = run(repo, "snakemake", "--dry-run", "--cores", "1")
    return "Nothing to be done" in result.stdout + result.stderr


def job_list(repo: Path, side: str) -> list[dict]:
    result = run(repo, "python", "tools/make_dvc_yaml.py", "--project", ".", "--list", side)
    return json.loads(result.stdout)


# -- dvc.yaml and the Snakefile: one DAG --------------------------------------------------------


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    """The project in an uncommitted scratch repo: enough for Snakemake and DVC to read it."""
    return clone_tree(tmp_path / "scratch", commit=False)


def test_dvc_yaml_is_what_the_snakefile_generates():
    result = run(ROOT, "python", "tools/make_dvc_yaml.py", "--check")
    assert result.returncode == 0, result.stderr


def test_snakemake_jobs_and_dvc_stages_agree(scratch):
    snakemake_side, dvc_side = job_list(scratch, "snakemake"), job_list(scratch, "dvc")
    # 3 generate, 2 split, descend, 2 train, 2 evaluate, 3 plot, summary; the lab: each
    # surface's starts, runs, paths and ECDF figures, 2 basins, the gif, the lr figure, its
    # summary; the report.
    assert len(dvc_side) == 14 + len(LAB_SURFACES) * 4 + 2 + 1 + 1 + 1 + 1
    assert {job["name"]: job for job in snakemake_side} == {job["name"]: job for job in dvc_side}
    train = next(job for job in dvc_side if job["name"] == "train-linear")
    assert train["cmd"].startswith("python -m scripts.train --params params.yaml ")
    assert "linear.lr" in train["params"][0][1]
    assert train["deps"] == [
        "data/linear/train.csv",
        "data/linear/test.csv",
        "scripts/train.py",
        "gdpipe",
    ]
    assert not any(dep.startswith("gdpipe/") for job in dvc_side for dep in job["deps"])
    assert train["outs"] == [
        "results/linear/checkpoint.pt",
        "results/linear/history.csv",
    ]
    stages = {job["name"]: job for job in dvc_side}
    bowl, sincos = stages["lab_run-bowl"], stages["lab_run-sincos"]
    assert "lab.momentum" in bowl["params"][0][1]
    assert "lab.condition" in bowl["params"][0][1]
    assert "lab.condition" not in sincos["params"][0][1]
    assert "lab.seed" not in sincos["params"][0][1]
    assert stages["lab_summary"]["params"][0][1] == ["lab.optimizers", "lab.surfaces", "lab.target"]
    assert "results/lab/rosenbrock/runs.csv" in stages["lab_summary"]["deps"]
    # One figure a job: the ECDF reads the runs and the hits, not the paths.
    assert stages["lab_plot-sincos-ecdf-png"]["deps"][:2] == [
        "results/lab/sincos/runs.csv",
        "results/lab/sincos/hits.csv",
    ]


def test_a_rule_changed_alone_is_caught(scratch):
    snakefile = scratch / "rules/notebook.smk"
    text = snakefile.read_text()
    # summarize's arguments
    rule = "--metrics {input.metrics} --csv {output.csv} --markdown {output.markdown}"
    assert text.count(rule) == 1
    snakefile.write_text(text.replace(rule, rule + " --verbose"))
    assert job_list(scratch, "snakemake") != job_list(scratch, "dvc")
    check = run(
        scratch, "python", "tools/make_dvc_yaml.py", "--project", ".", "--check", check=False
    )
    assert check.returncode == 1
    # Regenerating brings the two back together.
    run(scratch, "python", "tools/make_dvc_yaml.py", "--project", ".")
    assert job_list(scratch, "snakemake") == job_list(scratch, "dvc")


def test_a_stage_changed_alone_is_caught(scratch):
    dvc_yaml = scratch / "dvc.yaml"
    stages = yaml.safe_load(dvc_yaml.read_text())
    stages["stages"]["plot_linear"]["deps"].remove("scripts/plot.py")
    dvc_yaml.write_text(yaml.safe_dump(stages, sort_keys=False))
    assert job_list(scratch, "snakemake") != job_list(scratch, "dvc")
    check = run(
        scratch, "python", "tools/make_dvc_yaml.py", "--project", ".", "--check", check=False
    )
    assert check.returncode == 1


def test_metrics_and_plots_are_declared():
    content = yaml.safe_load((ROOT / "dvc.yaml").read_text())
    assert content["metrics"] == [
        *(f"results/metrics/{name}.json" for name in ("surface", "quadratic", "linear", "lab")),
    ]
    curves = {
        name: spec
        for plot in content["plots"]
        if isinstance(plot, dict)
        for name, spec in plot.items()
    }
    for model in ("quadratic", "linear"):
        spec = curves[f"{model}_loss"]
        assert spec["x"] == "epoch"
        assert spec["y"] == {f"results/{model}/history.csv": ["train_loss", "test_loss"]}
    assert curves["surface_value"]["x"] == "step"
    images = [plot for plot in content["plots"] if isinstance(plot, str)]
    # the lab: paths and ECDF each, basins on sincos and styblinski_tang, lr, heatmap
    assert len(images) == 6 + len(LAB_SURFACES) * 2 + 2 + 1 + 1
    assert all(image.endswith(".png") for image in images)


# -- end to end: small params, DVC runs the pipeline --------------------------------------------


@pytest.fixture(scope="module")
def small_repo(tmp_path_factory) -> tuple[Path, str]:
    """A scratch repo with small params, `dvc repro` run once and its dvc.lock committed."""
    repo = clone_tree(tmp_path_factory.mktemp("dvc") / "repo", SMALL)
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
def test_push_then_pull_restores_every_output_and_snakemake_agrees(small_repo, tmp_path):
    repo, _ = small_repo
    before = artifacts(repo)
    # The small lab (SMALL): the bowl's starts, 4 tables, 3 figures; summary, metrics, heatmap.
    assert len(before) == 26 + 1 + 4 + 3 + 4 + 1  # and the report
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


# -- the committed dvc.lock: default params, Snakemake runs, DVC agrees -------------------------


@pytest.mark.slow
def test_snakemake_run_matches_the_committed_dvc_lock(tmp_path):
    repo = clone_tree(tmp_path / "repo")
    delete_outputs(repo)  # a clone has none; be sure
    run(repo, "snakemake", "--cores", "all")
    # dvc.lock holds the bytes of the pinned kernels (gdpipe.kernels): a machine that cannot run
    # them, or a user who opted out, computes other bits, and its lock is not stale.
    record = json.loads((repo / "results/provenance/descend.json").read_text())
    used = (record["cpu_kernels"], record["torch_cpu_kernels"], record["numpy_cpu_kernels"])
    if used != ("portable", "AVX2", "X86_V3"):
        pytest.skip(f"this run used CPU kernels {used}; dvc.lock's are portable, AVX2, X86_V3")
    # The run ended by storing its outputs in DVC (the Snakefile's hand_over: `dvc commit`).
    # Same bytes as the committed lock's, so the lock is unchanged, line for line, and DVC has
    # nothing to do: no command, dependency, parameter or output differs, all are cached.
    hint = "dvc.lock is stale: run `python tools/make_dvc_yaml.py && dvc repro` and commit"
    assert run(repo, "git", "diff", "dvc.lock").stdout == "", hint
    assert UP_TO_DATE in run(repo, "dvc", "status").stdout, hint

    # A bad value in params stops `dvc repro` with gdpipe's message. DVC removed the outputs of
    # the stage it ran, but its run cache holds them: on the fixed params `dvc repro` puts back
    # every byte and runs no stage.
    made = artifacts(repo)
    params = repo / "params.yaml"
    good = params.read_text()
    params.write_text(good.replace("\n  lr: 0.001", "\n  lr: -0.1"))
    failed = run(repo, "dvc", "repro", check=False)
    assert failed.returncode != 0
    assert "linear.lr = -0.1 is invalid" in failed.stdout + failed.stderr
    assert not (repo / "results/linear/checkpoint.pt").exists()
    params.write_text(good)
    assert ran_stages(run(repo, "dvc", "repro").stdout) == set()
    assert artifacts(repo) == made
    assert UP_TO_DATE in run(repo, "dvc", "status").stdout

    # So for a Snakemake job that fails (on bad data here): it removes its outputs, as any failed
    # Snakemake job does, and says how to get them back.
    (repo / "data/linear/train.csv").write_text("x,y\n0.5,abc\n0.1,0.37\n")
    failed = run(repo, "snakemake", "--cores", "1", check=False)
    assert failed.returncode != 0
    assert "`dvc repro` restores" in failed.stderr
    assert not (repo / "results/linear/checkpoint.pt").exists()
    assert ran_stages(run(repo, "dvc", "repro").stdout) == set()  # the broken data file too
    assert artifacts(repo) == made

    # The README's images are this run's figures, scaled: regenerated, they are the same bytes.
    before = {path.name: path.read_bytes() for path in (repo / "docs/images").glob("*.png")}
    run(repo, "python", "tools/docs_images.py")
    after = {path.name: path.read_bytes() for path in (repo / "docs/images").glob("*.png")}
    assert len(after) >= 4
    assert after == before, "run `python tools/docs_images.py` after a default run and commit"


def test_exp_run_set_param_rewrites_only_the_lines_it_sets(tmp_path):
    # What `dvc exp run -S key=value` does to params.yaml before it runs (DVC's own function):
    # ruamel.yaml rewrites the file, and re-wraps a flow list longer than its line width.
    from dvc.utils.hydra import apply_overrides

    params = tmp_path / "params.yaml"
    shutil.copy(ROOT / "params.yaml", params)
    before = params.read_text().splitlines()
    overrides = {"linear.lr": "0.01", "lab.n_starts": "50", "surface.name": "himmelblau"}
    apply_overrides(params, [f"{key}={value}" for key, value in overrides.items()])
    after = params.read_text().splitlines()
    assert len(after) == len(before)
    changed = [(old, new) for old, new in zip(before, after, strict=True) if old != new]
    assert [new.split("#")[0].split(":")[1].strip() for _, new in changed] == [
        "himmelblau",
        "0.01",
        "50",
    ]
    for old, new in changed:  # the comment stays where it was, beside its key
        assert new.index("#") == old.index("#"), (old, new)


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
