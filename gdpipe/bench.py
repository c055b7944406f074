"""Benchmark gdpipe against the notebook's own code, side by side in one run.

    python -m gdpipe.bench --out bench.csv [--device cpu|cuda] [--cases descent sweep ...]

Run it in the project folder. It prints a table and writes it as CSV with the columns
case,size,dtype,device,baseline_per_s,gdpipe_per_s,ratio,peak_mib. Each row is measured in a
fresh Python process (the descent rows share one, smallest first, so the compiler starts
once): gdpipe first (peak_mib is that process's peak resident memory then, interpreter
and torch included), then the baseline, and the row fails unless both gave the same numbers.
Timings are medians of 3 runs where one run takes under 5 s, else one run.

- descent: the notebook's numpy loop (`X = X - lr * gradiente(X)`, keeping every position as
  it did) against gdpipe's fused engine (compiled beforehand), sincos, plain GD, 100 steps;
  units: point-steps/s.
- sweep: 64 learning rates in one `descend` against 64 separate calls; identical per-lr results.
- per_sample: Example 3 with batch_size 1, the notebook's loop against `train_linear`, same data
  and initial weights; identical final weights; units: samples/s (1/s = time per epoch × size).
- data_scale: Example 3's linear regression on 10 million samples, batches of 1,000, one epoch;
  no baseline; units: samples/s.
- pipeline_cold / pipeline_noop / pipeline_change: `snakemake --cores all` and `dvc repro`
  (dtype column) on a copy of the project with the default params, from nothing, again, and
  after `linear.lr` changes; the baseline is `python -c "import torch"`; units: runs/s.

With the pipeline cases it also prints the start-up of each job (the interpreter and its
script's imports, from the job's log, median over a rule's jobs in the cold `dvc repro`, which
runs one job at a time) against `import torch`, and which of torch, scikit-learn, matplotlib and
pandas the jobs imported; `--out bench.csv` writes that table to bench-startup.csv.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

COLUMNS = ("case", "size", "dtype", "device", "baseline_per_s", "gdpipe_per_s", "ratio", "peak_mib")
STARTUP_COLUMNS = ("rule", "jobs", "startup_s", "import_torch_s", "ratio", "libraries")
STARTUP_LIBRARIES = ("torch", "scikit-learn", "matplotlib", "pandas")  # seconds each to import
STEPS = 100  # descent and sweep
NOTEBOOK_LR = 1e-3  # descenso_gradiente's learning_rate
SCRATCH = "GDPIPE_BENCH_SCRATCH"  # where the driver lets its child processes share results


def _timed(run, sync=lambda: None) -> float:
    """Median seconds of `run()`: 3 runs where one takes under 5 s, else that one."""
    times = []
    while len(times) < 3:
        start = time.perf_counter()
        run()
        sync()
        times.append(time.perf_counter() - start)
        if times[0] >= 5:
            break
    return statistics.median(times)


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _reset_peak() -> None:
    """Start the process's peak memory afresh (Linux: clear_refs 5), so that a row that shares
    a process reports its own peak; elsewhere the peak stays the process's so far."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


# -- the notebook's code, as it is in ../shared/seed (Example 1 and Example 3) -------------------


def _notebook_gradient(x):
    import numpy as np

    df_x1 = np.cos(x[:, 0]) * np.cos(x[:, 1]) + 0.5 * np.cos(0.5 * x[:, 0]) * np.cos(0.5 * x[:, 1])
    df_x2 = -np.sin(x[:, 0]) * np.sin(x[:, 1]) - 0.5 * np.sin(0.5 * x[:, 0]) * np.sin(0.5 * x[:, 1])
    return np.stack([df_x1, df_x2], axis=1)


def _notebook_descent(x, steps: int, lr: float):
    import numpy as np

    trajectories = [x.copy()]
    for _ in range(steps):
        x = x - lr * _notebook_gradient(x)
        trajectories.append(x.copy())
    return np.array(trajectories)


def _notebook_training(model, x_train, y_train, lr: float, epochs: int) -> None:
    import torch
    from torch import nn

    loss_fn = nn.L1Loss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    # The notebook's model gives (1,) for a 0-d x and y: L1Loss warns about the broadcast.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Using a target size", UserWarning)
        for _ in range(epochs):
            losses = []
            for x, y in zip(x_train, y_train, strict=True):
                optimizer.zero_grad()
                loss = loss_fn(model(x), y)
                loss.backward()
                optimizer.step()
                losses.append(loss.item())


# -- the cases, each run in a child process --------------------------------------------------------


def _device(name: str):
    import torch

    from gdpipe.devices import make_deterministic, resolve_device

    make_deterministic(threads=None)
    device = resolve_device(name)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    return device, sync


def _descent(size: int, dtype: str, device: str) -> dict:
    import numpy as np
    import torch

    from gdpipe.descent import descend

    device, sync = _device(device)
    # The notebook draws float64 starts and runs float64: that is the baseline for both dtypes.
    starts = np.random.default_rng(0).random((size, 2)) * 10
    x = torch.tensor(starts, device=device, dtype=getattr(torch, dtype))
    # The fused engine at its steady pace: a first short run compiles it (that time is in the
    # README), at full size, since the compiler picks threads and tiling for the size it sees;
    # `descend`'s default, "auto", fuses only from FUSE_FROM point-steps.
    descend("sincos", "sgd", x, [NOTEBOOK_LR], 2, engine="fused")
    result = {}
    seconds = _timed(
        lambda: result.update(r=descend("sincos", "sgd", x, [NOTEBOOK_LR], STEPS, engine="fused")),
        sync,
    )
    peak = _peak_mib()
    # The notebook's loop is the same for both dtypes: the first row of a size runs it, the
    # other reuses its end points and time (the driver passes a scratch folder).
    saved = Path(os.environ.get(SCRATCH, "."), f"notebook-{size}.npz")
    if SCRATCH in os.environ and saved.exists():
        with np.load(saved) as kept:
            notebook, base = {"x": kept["x"]}, float(kept["seconds"])
    else:
        notebook = {}
        base = _timed(lambda: notebook.update(x=_notebook_descent(starts, STEPS, NOTEBOOK_LR)[-1]))
        if SCRATCH in os.environ:
            np.savez(saved, x=notebook["x"], seconds=base)
    ours = result["r"].final[0].cpu().numpy()
    tolerance = 1e-12 if dtype == "float64" else 1e-4  # float32: its own rounding, 100 steps
    if not np.allclose(ours, notebook["x"], rtol=0, atol=tolerance):
        raise AssertionError(f"descent {size} {dtype}: final positions differ beyond {tolerance}")
    work = size * STEPS
    return {"baseline_per_s": work / base, "gdpipe_per_s": work / seconds, "peak_mib": peak}


def _sweep(size: int, dtype: str, device: str) -> dict:
    import torch

    from gdpipe.descent import descend

    device, sync = _device(device)
    g = torch.Generator().manual_seed(0)
    x = (torch.rand(size, 2, generator=g, dtype=getattr(torch, dtype)) * 10).to(device)
    lrs = torch.logspace(-4, 0, 64, dtype=x.dtype).tolist()
    batched = {}
    seconds = _timed(lambda: batched.update(r=descend("sincos", "sgd", x, lrs, STEPS)), sync)
    peak = _peak_mib()
    separate = {}
    base = _timed(
        lambda: separate.update(r=[descend("sincos", "sgd", x, [lr], STEPS) for lr in lrs]), sync
    )
    per_start, per_step = ("final", "final_value", "diverged_step"), ("mean_value", "min_value")
    for k, one in enumerate(separate["r"]):
        for name in per_start + per_step:
            ours = getattr(batched["r"], name)
            ours = ours[k : k + 1] if name in per_start else ours[:, k : k + 1]  # (K, N) | (S+1, K)
            if not torch.equal(ours.nan_to_num(7.0), getattr(one, name).nan_to_num(7.0)):
                raise AssertionError(f"sweep: lr {lrs[k]} {name} differs from its own run")
    work = len(lrs) * size * STEPS
    return {"baseline_per_s": work / base, "gdpipe_per_s": work / seconds, "peak_mib": peak}


def _example3(size: int):
    """Example 3's data (y = 0.7x + 0.3 over `size` points of [0, 1)) as float32 tensors."""
    import torch

    x = torch.arange(size, dtype=torch.float64).div_(size).float()
    return x, 0.7 * x + 0.3


def _per_sample(size: int, dtype: str, device: str) -> dict:
    import copy

    import torch

    from gdpipe.models import build_model
    from gdpipe.training import train_linear

    _device("cpu")  # the notebook's loop is a CPU loop
    x, y = _example3(size)
    model = build_model("linear", seed=0)
    epochs = 3
    trained = {}  # each timed run trains a fresh copy; the last copy of each is compared

    def gdpipe_loop():
        trained["ours"] = copy.deepcopy(model)
        train_linear(trained["ours"], (x, y), (x[:2], y[:2]), "sgd", "l1", 0.01, epochs, 1)

    def notebook_loop():
        trained["theirs"] = copy.deepcopy(model)
        _notebook_training(trained["theirs"], x, y, 0.01, epochs)

    seconds = _timed(gdpipe_loop)
    peak = _peak_mib()
    base = _timed(notebook_loop)
    theirs = trained["theirs"].state_dict()
    for name, value in trained["ours"].state_dict().items():
        if not torch.equal(value, theirs[name]):
            raise AssertionError(f"per_sample: {name} differs from the notebook loop's")
    work = size * epochs
    return {"baseline_per_s": work / base, "gdpipe_per_s": work / seconds, "peak_mib": peak}


def _data_scale(size: int, dtype: str, device: str) -> dict:
    from gdpipe.models import build_model
    from gdpipe.training import train_linear

    device, sync = _device(device)
    x, y = (t.to(device) for t in _example3(size))
    model = build_model("linear", seed=0).to(device)
    start = time.perf_counter()
    result = train_linear(model, (x, y), (x[:1000], y[:1000]), "sgd", "mse", 0.1, 1, 1000)
    sync()
    seconds = time.perf_counter() - start
    if result.status != "ok":
        raise AssertionError(f"data_scale: training ended {result.status}")
    return {"baseline_per_s": math.nan, "gdpipe_per_s": size / seconds, "peak_mib": _peak_mib()}


CASES = {
    "descent": _descent,
    "sweep": _sweep,
    "per_sample": _per_sample,
    "data_scale": _data_scale,
}


# -- the pipeline: whole processes ---------------------------------------------------------------


def _project_copy(dest: Path) -> Path:
    """The working tree as a user would clone it (tracked and unignored files), a git repo."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        if Path(name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(name, dest / name)
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost"]
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "bench"]):
        subprocess.run([*git, *command], cwd=dest, check=True, capture_output=True)
    return dest


def _wall(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def _pipeline_rows(device: str) -> tuple[list[dict], list[dict]]:
    """The pipeline rows, and the job start-ups of the cold `dvc repro` (job_startups)."""
    bin_dir = Path(sys.executable).parent
    tools = {
        "snakemake": [str(bin_dir / "snakemake"), "--cores", "all"],
        "dvc": [str(bin_dir / "dvc"), "repro", "--quiet"],
    }
    base = statistics.median(
        _wall([sys.executable, "-c", "import torch"], Path.cwd()) for _ in range(3)
    )
    rows, startups = [], []
    with tempfile.TemporaryDirectory() as scratch:
        for tool, command in tools.items():
            project = _project_copy(Path(scratch) / tool)
            params = project / "params.yaml"
            times = {"cold": _wall(command, project)}
            if tool == "dvc":  # one stage at a time: each job started on an idle machine
                startups = job_startups(project, base)
            times["noop"] = _wall(command, project)
            params.write_text(params.read_text().replace("\n  lr: 0.001", "\n  lr: 0.002", 1))
            times["change"] = _wall(command, project)
            for kind, seconds in times.items():
                rows.append(
                    {
                        "case": f"pipeline_{kind}",
                        "size": 1,
                        "dtype": tool,
                        "device": device,
                        "baseline_per_s": 1 / base,
                        "gdpipe_per_s": 1 / seconds,
                        "peak_mib": math.nan,
                    }
                )
    return rows, startups


def job_startups(project: Path, import_torch: float) -> list[dict]:
    """Per rule of a finished run: its jobs' start-up (the interpreter and the script's imports,
    from each job's log), the median over its jobs, against `python -c "import torch"`, and the
    libraries its jobs imported by their end (their provenance records)."""
    from gdpipe.cli import STARTED

    by_rule = {}
    for log_file in sorted((project / "logs").rglob("*.log")):
        relative = log_file.relative_to(project / "logs").with_suffix("")
        lines = [line for line in log_file.read_text().splitlines() if STARTED in line]
        if not lines:
            continue
        seconds = float(lines[0].split(STARTED)[1].split()[0])
        record = project / "results" / "provenance" / relative.with_suffix(".json")
        imported = json.loads(record.read_text()) if record.exists() else {}
        rule = by_rule.setdefault(relative.parts[0], {"seconds": [], "libraries": set()})
        rule["seconds"].append(seconds)
        rule["libraries"].update(name for name in STARTUP_LIBRARIES if name in imported)
    return [
        {
            "rule": name,
            "jobs": len(rule["seconds"]),
            "startup_s": statistics.median(rule["seconds"]),
            "import_torch_s": import_torch,
            "ratio": statistics.median(rule["seconds"]) / import_torch,
            "libraries": " ".join(sorted(rule["libraries"])) or "none",
        }
        for name, rule in sorted(by_rule.items())
    ]


# -- the driver ------------------------------------------------------------------------------------


def plan(device: str, cases: list[str]) -> list[tuple[str, int, str]]:
    """(case, size, dtype) of every in-process row."""
    descent_sizes = [1_000, 100_000, 1_000_000] + ([10_000_000] if device == "cuda" else [])
    sizes = {
        "descent": descent_sizes,
        "sweep": [1_000],
        "per_sample": [1_000],
        "data_scale": [10_000_000],
    }
    dtypes = {"descent": ["float64", "float32"], "sweep": ["float64"]}
    return [
        (case, size, dtype)
        for case in cases
        if case in sizes
        for size in sizes[case]
        for dtype in dtypes.get(case, ["float32"])
    ]


def _children(rows: list[tuple[str, int, str]], device: str) -> list[dict]:
    """Run rows in fresh interpreters, one each, except that the descent rows share one, so that
    torch loads and the fused engine's compiler starts once; each row's peak memory is its own
    (_reset_peak), and the smallest size runs first, where the peak could not be reset."""
    groups = {}
    for case, size, dtype in rows:  # plan's order: sizes ascending
        key = case if case == "descent" else (case, size, dtype)
        groups.setdefault(key, []).append([case, size, dtype, device])
    done_rows = []
    for specs in groups.values():
        done = subprocess.run(
            [sys.executable, "-m", "gdpipe.bench", "--child", json.dumps(specs)],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise SystemExit(f"{specs}: failed\n{done.stderr[-3000:]}")
        numbers = json.loads(done.stdout.splitlines()[-1])
        for (case, size, dtype, _), row in zip(specs, numbers, strict=True):
            done_rows.append({"case": case, "size": size, "dtype": dtype, "device": device, **row})
    return done_rows


def _cell(value) -> str:
    """Text of a table cell: strings and counts as they are, floats to 4 digits, NaN empty."""
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.4g}"
    return str(value)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", help="CSV file to write")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    cases = [*CASES, "pipeline"]
    parser.add_argument("--cases", nargs="+", default=cases, choices=cases)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        specs = json.loads(args.child)
        done = []
        for case, size, dtype, device in specs:
            _reset_peak()
            done.append(CASES[case](size, dtype, device))
        print(json.dumps(done))
        return
    with tempfile.TemporaryDirectory() as scratch:
        os.environ[SCRATCH] = scratch
        rows = _children(plan(args.device, args.cases), args.device)
        del os.environ[SCRATCH]
    startups = []
    if "pipeline" in args.cases:
        pipeline_rows, startups = _pipeline_rows(args.device)
        rows += pipeline_rows
    for row in rows:
        row["ratio"] = row["gdpipe_per_s"] / row["baseline_per_s"]
    _report(rows, COLUMNS, args.out)
    if startups:
        print("\nstart-up of each job, median over a rule's jobs in the cold `dvc repro`:")
        _report(startups, STARTUP_COLUMNS, args.out and startup_path(args.out))


def startup_path(out: str) -> Path:
    """Where the job start-up table goes beside the main one: bench.csv -> bench-startup.csv."""
    out = Path(out)
    return out.with_name(f"{out.stem}-startup{out.suffix}")


def _report(rows: list[dict], columns: tuple[str, ...], out: str | Path | None) -> None:
    """Print rows as a table and write them as CSV to `out` (if given)."""
    widths = [max(len(c), 12) for c in columns]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    for row in rows:
        cells = [_cell(row[c]) for c in columns]
        print("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)))
    if out:
        with Path(out).open("w", newline="") as file:
            writer = csv.DictWriter(file, columns, extrasaction="ignore", lineterminator="\n")
            writer.writeheader()
            writer.writerows({c: _cell(row[c]) for c in columns} for row in rows)


if __name__ == "__main__":
    main()
