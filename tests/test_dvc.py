"""The DVC layer: dvc.yaml mirrors the Snakefile, and a default Snakemake run gives the committed
dvc.lock, which DVC then restores from.

Every test works on a scratch git repository holding the project's working tree as a user
would clone it (tracked and untracked-but-not-ignored files, the DVC files included). The drift
tests are quick; the lock test runs Snakemake and DVC for real. DVC running the pipeline itself
(repro, push and pull, experiments, time travel): tests/test_dvc_runs.py.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, artifacts, environment, write_params

BIN = Path(sys.executable).parent
UP_TO_DATE = "Data and pipelines are up to date."
LAB_SURFACES = yaml.safe_load((ROOT / "params.yaml").read_text())["lab"]["surfaces"]


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


def ran_stages(output: str) -> set[str]:
    return set(re.findall(r"^Running stage '([^']+)'", output, re.M))


def delete_outputs(repo: Path) -> None:
    for name in artifacts(repo):
        (repo / name).unlink()


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
