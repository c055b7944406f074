"""Bad input gets a clear error and changes nothing else; divergence is reported; a failed or
killed job is re-run by the next plain run.

Each end-to-end case starts from a copy of one completed small run, breaks one thing, runs the
real `snakemake`, and checks the exit status, the message and every byte under data/ and
results/: a failed job's outputs are removed (Snakemake's rule: nothing half-written survives),
every other file is as it was. (The copies have no DVC; in the project DVC's cache holds the
removed files, and `dvc repro` restores them: tests/test_dvc.py.) The cases run a few at a
time: each is mostly Snakemake and torch start-up.
"""

import io as std_io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import torch
import yaml

from gdpipe.devices import resolve_device
from gdpipe.errors import DeviceError
from tests.conftest import JOB_BLOCKS, artifacts, environment, snakemake
from tests.params_cases import PARAMS_CASES

SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")


@pytest.fixture(scope="module")
def completed(default_run) -> Path:
    """A project run to completion on default params (shared with test_pipeline; never changed
    here: every case works on a copy)."""
    return default_run


def _clone(completed: Path, dest: Path) -> Path:
    shutil.copytree(completed, dest, ignore=shutil.ignore_patterns("logs", "__pycache__"))
    return dest


def only_removed(before: dict, after: dict) -> set[str]:
    """The files a failed run removed; fails if it changed or added any."""
    assert set(after) <= set(before), set(after) - set(before)
    assert {name: before[name] for name in after} == after
    return set(before) - set(after)


def _run_cases(completed: Path, root: Path, cases: dict) -> dict:
    """Apply each case's breakage to its own copy, run snakemake; (returncode, output, before,
    after) per case id."""

    def run(case_id):
        project = _clone(completed, root / case_id)
        cases[case_id](project)
        before = artifacts(project)
        result = subprocess.run(
            [SNAKEMAKE, "--cores", "1"],
            cwd=project,
            env=environment(),
            capture_output=True,
            text=True,
            check=False,
        )
        return case_id, (
            result.returncode,
            result.stdout + result.stderr,
            before,
            artifacts(project),
            project,
        )

    with ThreadPoolExecutor(max_workers=3) as pool:
        return dict(pool.map(run, cases))


# --- malformed params files --------------------------------------------------------------------


def _params_breaker(edit):
    def breaker(project):
        defaults = yaml.safe_load((project / "params.yaml").read_text())
        content = edit(defaults)
        text = content if isinstance(content, str) else yaml.safe_dump(content, sort_keys=False)
        (project / "params.yaml").write_text(text)

    return breaker


# tests/test_params.py checks every case's message in the library; through the real CLI, one
# case of each kind of check (each a Snakemake run): unreadable YAML, the file's shape, an
# unknown and a missing key, a value's type, a relation between keys, a row count it implies,
# a list item, and a lab surface (which decides the jobs that exist).
CLI_CASES = (
    "yaml_syntax",
    "empty_file",
    "unknown_top_key",
    "missing_key",
    "lr_as_text",
    "low_above_high",
    "huge_step",
    "lab_negative_lr_item",
    "lab_unknown_surface",
)


@pytest.fixture(scope="module")
def params_runs(completed, tmp_path_factory):
    cases = {case_id: _params_breaker(edit) for case_id, edit, _ in PARAMS_CASES}
    cases = {case_id: cases[case_id] for case_id in CLI_CASES}
    return _run_cases(completed, tmp_path_factory.mktemp("params"), cases)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("case_id", "pattern"),
    [pytest.param(c[0], c[2], id=c[0]) for c in PARAMS_CASES if c[0] in CLI_CASES],
)
def test_malformed_params_fail_clearly_and_lose_nothing(params_runs, completed, case_id, pattern):

    returncode, output, before, after, _ = params_runs[case_id]
    assert returncode != 0
    assert re.search(pattern, output), output[-2000:]
    assert "params.yaml" in output
    assert "Traceback" not in output
    assert 'File "' not in output  # nor a traceback's line: the message alone
    assert after == before == artifacts(completed)


# --- malformed data files ----------------------------------------------------------------------


def _write(relative: str, content: str | bytes):
    def breaker(project):
        path = project / relative
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)

    return breaker


def _swap_checkpoints(project):
    shutil.copy(
        project / "results/quadratic/checkpoint.pt", project / "results/linear/checkpoint.pt"
    )


def _truncate_checkpoint(project):
    path = project / "results/linear/checkpoint.pt"
    path.write_bytes(path.read_bytes()[:200])


class _Exploit:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def _pickled_callable(project):
    buffer = std_io.BytesIO()
    torch.save(
        {
            "format": "gdpipe-checkpoint",
            "format_version": 1,
            "model": "linear",
            "state_dict": {},
            "model_args": {},
            "x": _Exploit(str(project / "pwned")),
        },
        buffer,
    )
    (project / "results/linear/checkpoint.pt").write_bytes(buffer.getvalue())


def _cut(relative: str, keep_lines: int | None = None):
    """Cut a file short: in the middle of its last line, or after `keep_lines` whole lines."""

    def breaker(project):
        path = project / relative
        data = path.read_bytes()
        if keep_lines is None:
            path.write_bytes(data[: data.rindex(b",") + 3])  # half the last line's last number
        else:
            path.write_bytes(b"".join(data.splitlines(keepends=True)[:keep_lines]))

    return breaker


# (id, breakage, the file the message must name, a pattern the message must hold)
DATA_CASES = [
    (
        "cut_mid_line",
        _cut("data/linear/dataset.csv"),
        "data/linear/dataset.csv",
        r"no newline at the end: the file was cut short; make it again with `snakemake "
        r"--cores all --force data/linear/dataset\.csv`",
    ),
    (
        "cut_at_a_line_end",
        _cut("data/surface/dataset.csv", keep_lines=11),
        "data/surface/dataset.csv",
        r"10 rows, but surface\.n_starts make 30",
    ),
    (
        "text_value",
        _write("data/linear/train.csv", "x,y\n0.5,0.65\n0.1,abc\n0.2,0.44\n"),
        "data/linear/train.csv",
        r"line 3, column y: 'abc' is not a finite number",
    ),
    (
        "nan_value",
        _write("data/linear/test.csv", "x,y\n0.5,nan\n0.1,0.37\n"),
        "data/linear/test.csv",
        r"line 2, column y: 'nan' is not a finite number",
    ),
    (
        "wrong_columns",
        _write("data/quadratic/train.csv", "time,speed\n1,2\n3,4\n"),
        "data/quadratic/train.csv",
        r"expected columns t, speed; found time, speed",
    ),
    (
        "one_test_row",
        _write("data/quadratic/test.csv", "t,speed\n1,2\n"),
        "data/quadratic/test.csv",
        r"1 rows; at least 2 needed",
    ),
    (
        "empty_dataset",
        _write("data/linear/dataset.csv", ""),
        "data/linear/dataset.csv",
        r"empty file",
    ),
    (
        "fewer_rows_than_n_points",
        _write("data/quadratic/dataset.csv", "t,speed\n0,1\n1,2\n2,3\n3,4\n"),
        "data/quadratic/dataset.csv",
        r"4 rows, but quadratic\.n_points make 20",
    ),
    (
        "infinite_start",
        _write("data/surface/dataset.csv", "x1,x2\n1,2\ninf,3\n"),
        "data/surface/dataset.csv",
        r"line 3, column x1: 'inf' is not a finite number",
    ),
    (
        "extra_field",
        _write("data/linear/train.csv", "x,y\n0.5,0.65,1\n0.1,0.37\n"),
        "data/linear/train.csv",
        r"line 2: 3 fields, expected 2",
    ),
    (
        "binary_garbage",
        _write("data/quadratic/dataset.csv", b"\x89PNG\r\n\x1a\n\xff\xfe\x00"),
        "data/quadratic/dataset.csv",
        r"not a readable CSV file",
    ),
    (
        "header_only",
        _write("data/surface/dataset.csv", "x1,x2\n"),
        "data/surface/dataset.csv",
        r"0 rows; at least 1 needed",
    ),
    (
        "truncated_checkpoint",
        _truncate_checkpoint,
        "results/linear/checkpoint.pt",
        r"not a readable torch checkpoint",
    ),
    (
        "checkpoint_of_other_model",
        _swap_checkpoints,
        "results/linear/checkpoint.pt",
        r"checkpoint of model 'quadratic', expected 'linear'",
    ),
    (
        "pickled_callable",
        _pickled_callable,
        "results/linear/checkpoint.pt",
        r"refused: .* never unpickles",
    ),
]


@pytest.fixture(scope="module")
def data_runs(completed, tmp_path_factory):
    cases = {case_id: breaker for case_id, breaker, _, _ in DATA_CASES}
    return _run_cases(completed, tmp_path_factory.mktemp("data"), cases)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("case_id", "broken", "pattern"),
    [(c[0], c[2], c[3]) for c in DATA_CASES],
    ids=[c[0] for c in DATA_CASES],
)
def test_malformed_data_fail_clearly_and_change_nothing_else(data_runs, case_id, broken, pattern):

    returncode, output, before, after, project = data_runs[case_id]
    assert returncode != 0
    assert re.search(rf"{re.escape(broken)}: .*{pattern}", output), output[-3000:]
    assert "Traceback" not in output
    # Quiet (profiles/default): the job's own message first, then Snakemake's, and no job block.
    assert output.index(broken) < output.index("Exiting because a job execution failed")
    assert "input: " not in output
    # The broken file as the test left it; the failed jobs' outputs removed, all else as it was.
    removed = only_removed(before, after)
    assert removed
    assert broken not in removed
    assert "`dvc repro` restores" in output
    assert not (project / "pwned").exists()


# --- divergence --------------------------------------------------------------------------------


@pytest.mark.slow
def test_divergence_is_reported_and_the_rest_completes(completed, tmp_path):
    project = _clone(completed, tmp_path / "diverging")
    params = yaml.safe_load((project / "params.yaml").read_text())
    params["quadratic"]["lr"] = 1.0  # MSE over t up to 19: the step overshoots at once
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    done = snakemake(project, "--cores", "all").stderr
    # A quiet run (profiles/default): one line a finished job, no block of inputs and outputs.
    finished = re.findall(
        r"^Finished jobid: \d+ \(Rule: (\w+).*\), (\d+) of \d+ steps done$", done, re.M
    )
    assert [int(step) for _, step in finished] == list(range(1, len(finished) + 1))
    assert len(finished) > 5
    assert "train" in {rule for rule, _ in finished}
    for hidden in ("input: ", "Select jobs", "Execute "):  # job blocks and the scheduler's lines
        assert hidden not in done

    metrics = json.loads((project / "results/metrics/quadratic.json").read_text())
    assert metrics["status"] == "diverged"
    assert metrics["diverged_step"] >= 1
    assert metrics["train_loss"] is None  # JSON has no NaN: non-finite numbers become null
    checkpoint = torch.load(project / "results/quadratic/checkpoint.pt", weights_only=True)
    assert checkpoint["status"] == "diverged"
    summary = (project / "results/summary.md").read_text()
    assert "| quadratic | diverged | diverged_step |" in summary
    assert "| linear | ok |" in summary
    # The other experiments are untouched, to the byte (the report shows them all: it changes).
    before, after = artifacts(completed), artifacts(project)
    unaffected = [n for n in before if not any(w in n for w in ("quadratic", "summary", "report"))]
    assert unaffected
    assert {n: after[n] for n in unaffected} == {n: before[n] for n in unaffected}
    assert (project / "results/plots/quadratic_loss.png").stat().st_size > 0


# --- a failed or killed job is re-run by the next plain run; nothing half-written survives ------

# A params change whose training takes long enough for a kill to land mid-run.
CHANGE = {"linear": {"lr": 0.01, "epochs": 200}}


def _change(project: Path) -> Path:
    params = yaml.safe_load((project / "params.yaml").read_text())
    for section, values in CHANGE.items():
        params[section].update(values)
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    return project


@pytest.fixture(scope="module")
def changed_reference(completed, tmp_path_factory) -> dict[str, bytes]:
    """Every output of an uninterrupted run of CHANGE, made from the completed run."""
    project = _change(_clone(completed, tmp_path_factory.mktemp("reference") / "project"))
    snakemake(project, "--cores", "all")
    return artifacts(project)


def _start_until_training(project: Path, **popen) -> subprocess.Popen:
    """Start `snakemake --cores 2` and return once the linear training job is under way."""
    log = project / "logs/train/linear.log"
    run = subprocess.Popen([SNAKEMAKE, "--cores", "2"], cwd=project, env=environment(), **popen)
    deadline = time.monotonic() + 120
    while not (log.exists() and "linear:" in log.read_text()):
        assert run.poll() is None, "pipeline ended before training started"
        assert time.monotonic() < deadline, "training never started"
        time.sleep(0.05)
    return run


def _training_job_pid(project: Path) -> int:
    """The training job's own python process (not Snakemake, not the shell around it)."""
    found = subprocess.run(
        ["pgrep", "-f", "scripts.train .*--experiment linear"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    ours = [pid for pid in found if Path(f"/proc/{pid}/cwd").resolve() == project.resolve()]
    assert len(ours) == 1, found
    return int(ours[0])


@pytest.mark.slow
def test_a_killed_training_job_is_rerun_by_the_next_run(completed, changed_reference, tmp_path):
    # kill -9 on the training job alone, as the OOM killer or a lost node would: Snakemake sees
    # the job fail and removes its outputs (the old checkpoint went when the job started).
    project = _change(_clone(completed, tmp_path / "killed_job"))
    run = _start_until_training(project, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.kill(_training_job_pid(project), signal.SIGKILL)
    assert run.wait(timeout=120) != 0
    assert "results/linear/checkpoint.pt" in only_removed(artifacts(completed), artifacts(project))

    # The plan must say the training runs again, and a plain re-run makes the new result, byte
    # for byte.
    planned = snakemake(project, "--dry-run", "--cores", "all", *JOB_BLOCKS)
    assert re.search(r"^rule train:", planned.stdout, re.M)
    snakemake(project, "--cores", "all")
    assert artifacts(project) == changed_reference


@pytest.mark.slow
def test_a_job_failed_on_bad_data_is_rerun_once_the_data_is_fixed(
    completed, changed_reference, tmp_path
):
    project = _change(_clone(completed, tmp_path / "bad_data"))
    train = project / "data/linear/train.csv"
    good, stat = train.read_bytes(), train.stat()
    train.write_text("x,y\n0.5,abc\n0.1,0.37\n")
    failed = snakemake(project, "--cores", "all", check=False)
    assert failed.returncode != 0
    assert "data/linear/train.csv: line 2, column y" in failed.stdout + failed.stderr
    # Put back as `cp -p` from a backup would: same bytes, same time. Nothing about the inputs
    # says the job must run; only the failure does.
    train.write_bytes(good)
    os.utime(train, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    snakemake(project, "--cores", "all")
    assert artifacts(project) == changed_reference


@pytest.mark.slow
def test_a_killed_pipeline_needs_only_unlock_then_a_plain_run(
    completed, changed_reference, tmp_path
):
    # The whole Snakemake process group killed (a lost login node): no job gets to fail, so the
    # outputs stay marked incomplete from their start; the lock outlives the process.
    project = _change(_clone(completed, tmp_path / "killed_pipeline"))
    run = _start_until_training(
        project, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    assert "results/linear/checkpoint.pt" in only_removed(artifacts(completed), artifacts(project))

    refused = snakemake(project, "--cores", "all", check=False)
    assert refused.returncode != 0
    assert "--unlock" in refused.stdout + refused.stderr
    snakemake(project, "--unlock")
    snakemake(project, "--cores", "all")
    assert artifacts(project) == changed_reference


# --- devices -----------------------------------------------------------------------------------


def test_cuda_without_cuda_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(DeviceError, match=r"device = 'cuda' but CUDA is not available"):
        resolve_device("cuda")


def test_auto_falls_back_to_cpu_and_says_so(monkeypatch, caplog):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with caplog.at_level("INFO", logger="gdpipe.devices"):
        assert resolve_device("auto") == torch.device("cpu")
    assert "using device cpu" in caplog.text


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
@pytest.mark.slow
def test_cuda_param_on_a_cpu_machine_fails_the_job_and_changes_nothing_else(completed, tmp_path):
    project = _clone(completed, tmp_path / "cuda")
    params = yaml.safe_load((project / "params.yaml").read_text())
    params["device"] = "cuda"
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    before = artifacts(project)
    result = snakemake(project, "--cores", "1", check=False)
    assert result.returncode != 0
    assert "device = 'cuda' but CUDA is not available" in result.stdout + result.stderr
    assert only_removed(before, artifacts(project))


# --- where settings come from ------------------------------------------------------------------


@pytest.mark.slow
def test_config_overrides_are_refused_and_configfile_is_used(completed, tmp_path):
    project = _clone(completed, tmp_path / "configfile")
    before = artifacts(project)
    # The nested form Snakemake's CLI accepts reaches the Snakefile, which names the key and
    # the ways that work.
    refused = snakemake(project, "--cores", "1", "--config", "linear={lr: 0.01}", check=False)
    assert refused.returncode != 0
    message = refused.stdout + refused.stderr
    assert "--config linear.lr='0.01': gdpipe reads every setting from params.yaml" in message
    assert "dvc exp run -S linear.lr=0.01" in message
    # The dotted form is refused by Snakemake's own argument parser before any gdpipe code runs
    # (snakemake issue #3907); it must still fail and touch nothing.
    dotted = snakemake(project, "--cores", "1", "--config", "linear.lr=0.01", check=False)
    assert dotted.returncode != 0
    assert "Config entry must start with a valid identifier" in dotted.stdout + dotted.stderr
    assert artifacts(project) == before

    params = yaml.safe_load((project / "params.yaml").read_text())
    params["linear"]["epochs"] = 7
    (project / "other.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    planned = snakemake(
        project, "--dry-run", "--printshellcmds", "--configfile", "other.yaml", *JOB_BLOCKS
    )
    # The scripts read that file; as each job records which file it read, all of them re-run.
    assert "--params other.yaml --experiment linear" in planned.stdout
