"""The in-process rows: gdpipe's descent, sweep and training against the notebook's own code."""

from __future__ import annotations

import contextlib
import functools
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

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


def reset_peak() -> None:
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


def _notebook_end(starts, size: int) -> tuple:
    """The notebook loop's end points and seconds for these starts: the first row of a size runs
    it, later rows (other dtypes and engines, other processes) reuse them through the scratch
    folder the driver passes."""
    import numpy as np

    saved = Path(os.environ.get(SCRATCH, "."), f"notebook-{size}.npz")
    if SCRATCH in os.environ and saved.exists():
        with np.load(saved) as kept:
            return kept["x"], float(kept["seconds"])
    end = {}
    seconds = _timed(lambda: end.update(x=_notebook_descent(starts, STEPS, NOTEBOOK_LR)[-1]))
    if SCRATCH in os.environ:
        np.savez(saved, x=end["x"], seconds=seconds)
    return end["x"], seconds


def _starts(size: int):
    """The notebook's starts, rand(size, 2) * 10 in float64 (its dtype: the baseline of both)."""
    import numpy as np

    return np.random.default_rng(0).random((size, 2)) * 10


def _against_notebook(name: str, size: int, dtype: str, starts, ours, seconds: float) -> dict:
    """The row of a descent that ended at `ours` (N, 2) in `seconds`; an error unless the
    notebook's loop ended there too (float64 to 1e-12; float32 to its own rounding)."""
    import numpy as np

    peak = _peak_mib()  # before the notebook's loop, which keeps every position
    notebook, base = _notebook_end(starts, size)
    tolerance = 1e-12 if dtype == "float64" else 1e-4
    if not np.allclose(np.asarray(ours), notebook, rtol=0, atol=tolerance):
        raise AssertionError(f"{name} {size} {dtype}: final positions differ beyond {tolerance}")
    work = size * STEPS
    return {"baseline_per_s": work / base, "per_s": work / seconds, "peak_mib": peak}


def _descent(size: int, dtype: str, device: str, engine: str = "fused") -> dict:
    """gdpipe's `descend` (sincos, sgd, the 11 targets and 8 paths of the lab) at its steady
    pace; for the fused engine the first, compiling call is timed apart (compile_s)."""
    import torch

    from gdpipe.descent import descend
    from gdpipe.lab import COCO_TARGETS

    device, sync = _device(device)
    starts = _starts(size)
    x = torch.tensor(starts, device=device, dtype=getattr(torch, dtype))
    targets = (1e-6, *COCO_TARGETS)  # the lab's: lab.target and the ECDF's
    run = functools.partial(descend, "sincos", "sgd", x, [NOTEBOOK_LR], targets=targets, n_paths=8)
    began = time.perf_counter()
    run(2, engine=engine)  # at full size: the compiler picks threads and tiling for it
    sync()
    compiled = time.perf_counter() - began
    result = {}
    seconds = _timed(lambda: result.update(r=run(STEPS, engine=engine)), sync)
    ours = result["r"].final[0].cpu().numpy()
    row = _against_notebook(f"descent ({engine})", size, dtype, starts, ours, seconds)
    return {**row, "compile_s": compiled if engine == "fused" else math.nan}


def _job(step: str, sections: dict, inputs: dict, outputs: tuple, extra=(), read=()) -> dict:
    """A pipeline step's job, `python -m scripts.<step>`, in a scratch folder: the default params
    with `sections` updated ({section: {key: value}} or {key: value}), its `inputs` written
    ({argument: table}), `extra` arguments and its `outputs` (file names; the argument is the
    stem), the lab tables named in `read` read back. Process start, imports, the engine `auto`
    picks (and its compile) and the tables written, timed whole: seconds, engine, compile_s."""
    import yaml

    from gdpipe import io, lab
    from gdpipe.descent import COMPILED

    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        params = yaml.safe_load(Path("params.yaml").read_text())
        for key, value in sections.items():
            params[key] = params[key] | value if isinstance(value, dict) else value
        (work / "params.yaml").write_text(yaml.safe_dump(params))
        paths = {Path(name).stem: work / name for name in [*(f"{i}.csv" for i in inputs), *outputs]}
        paths |= {"log": work / "job.log", "provenance": work / "job.json"}
        for name, table in inputs.items():
            io.write_table(paths[name], table)
        command = [sys.executable, "-m", f"scripts.{step}", "--params", str(work / "params.yaml")]
        command += [arg for name, path in paths.items() for arg in (f"--{name}", str(path))]
        command += list(extra)
        began = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
        seconds = time.perf_counter() - began
        if done.returncode != 0:
            raise AssertionError(f"{step}: the job failed\n{done.stderr[-3000:]}")
        log = paths["log"].read_text()
        engine = json.loads(paths["provenance"].read_text())["descent_engine"]
        tables = {name: io.read_table(paths[name], **lab.TABLES[name]) for name in read}
    compiled = [
        float(line.split(COMPILED)[1].split()[0]) for line in log.splitlines() if COMPILED in line
    ]
    return {
        "seconds": seconds,
        "engine": engine,
        "compile_s": compiled[0] if compiled else math.nan,
        **tables,
    }


def _descent_auto(size: int, dtype: str, device: str) -> dict:
    """The pipeline's own job, `python -m scripts.descend` on these starts with 100 steps of
    sincos at the notebook's rate, timed whole (_job)."""
    import pandas as pd

    starts = _starts(size)
    surface = dict(name="sincos", n_starts=size, steps=STEPS, lr=NOTEBOOK_LR, low=0.0, high=10.0)
    job = _job(
        "descend",
        {"device": device, "surface": surface | {"paths": 8}},
        {"starts": pd.DataFrame(starts, columns=["x1", "x2"])},
        ("trajectories.csv", "history.csv", "metrics.json"),
    )
    _, base = _notebook_end(starts, size)
    work_done = size * STEPS
    return {
        "baseline_per_s": work_done / base,
        "per_s": work_done / job["seconds"],
        "peak_mib": math.nan,  # the job's own process
        "compile_s": job["compile_s"],
        "engine": job["engine"],
    }


def _torch_compile(size: int, dtype: str, device: str) -> dict:
    """An anchor: `torch.compile` of the bare update (no summaries), one call a step."""
    import torch

    device, sync = _device(device)
    starts = _starts(size)
    x = torch.tensor(starts.T.copy(), device=device, dtype=getattr(torch, dtype))  # (2, N)
    step = torch.compile(lambda p: p - NOTEBOOK_LR * _sincos_gradient(p, torch))

    def run():
        p = x
        for _ in range(STEPS):
            p = step(p)
        return p

    began = time.perf_counter()
    step(x)
    sync()
    compiled = time.perf_counter() - began
    result = {}
    seconds = _timed(lambda: result.update(p=run()), sync)
    ours = result["p"].T.cpu().numpy()
    row = _against_notebook("torch_compile", size, dtype, starts, ours, seconds)
    return {**row, "compile_s": compiled}


def _jax(size: int, dtype: str, device: str) -> dict:
    """An anchor: JAX, `jit` of a `lax.fori_loop` over the steps of the bare update; float64
    through jax_enable_x64. An optional extra (`pip install jax`): without it, no numbers."""
    none = dict.fromkeys(("baseline_per_s", "per_s", "peak_mib"), math.nan)
    try:
        import jax
    except ImportError:
        return {**none, "note": "not installed"}
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    try:
        on = jax.devices("gpu" if device == "cuda" else "cpu")[0]
    except RuntimeError:  # jax without CUDA: it cannot be compared on the GPU
        return {**none, "note": "no GPU backend"}
    starts = _starts(size)
    x = jax.device_put(jnp.asarray(starts.T, dtype=dtype), on)  # (2, N)

    def run(p):
        return jax.lax.fori_loop(
            0, STEPS, lambda _, p: p - NOTEBOOK_LR * _sincos_gradient(p, jnp), p
        )

    began = time.perf_counter()
    compiled = jax.jit(run).lower(x).compile()  # ahead of time: the compile alone
    compile_s = time.perf_counter() - began
    result = {}
    seconds = _timed(lambda: result.update(p=compiled(x).block_until_ready()))
    row = _against_notebook("jax", size, dtype, starts, jax.device_get(result["p"]).T, seconds)
    return {**row, "compile_s": compile_s}


def _sincos_gradient(p, xp):
    """The notebook's gradiente for points stored (2, N), in numpy, torch or jax.numpy (xp)."""
    x1, x2 = p[0], p[1]
    d1 = xp.cos(x1) * xp.cos(x2) + 0.5 * xp.cos(0.5 * x1) * xp.cos(0.5 * x2)
    d2 = -xp.sin(x1) * xp.sin(x2) - 0.5 * xp.sin(0.5 * x1) * xp.sin(0.5 * x2)
    return xp.stack([d1, d2])


def _sweep_starts(size: int, dtype: str, device: str) -> tuple:
    """The sweep's starts (size, 2) in [0, 10)² and its 64 learning rates, 1e-4 to 1."""
    import torch

    g = torch.Generator().manual_seed(0)
    x = (torch.rand(size, 2, generator=g, dtype=getattr(torch, dtype)) * 10).to(device)
    return x, torch.logspace(-4, 0, 64, dtype=x.dtype).tolist()


def _sweep(size: int, dtype: str, device: str) -> dict:
    import torch

    from gdpipe.descent import descend

    device, sync = _device(device)
    x, lrs = _sweep_starts(size, dtype, device)
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
    return {"baseline_per_s": work / base, "per_s": work / seconds, "peak_mib": peak}


def _sweep_auto(size: int, dtype: str, device: str) -> dict:
    """The lab's own job, `python -m scripts.lab_run` on sincos with plain GD at the sweep's 64
    learning rates, 100 steps, timed whole (_job), against the sweep's baseline: 64 separate
    `descend` calls in this process. Its runs table must end where those calls do, bit for bit."""
    import numpy as np
    import pandas as pd
    import torch

    from gdpipe.descent import descend

    x, lrs = _sweep_starts(size, dtype, "cpu")
    lab = dict(surfaces=["sincos"], optimizers=["sgd"], lrs=lrs, n_starts=size, steps=STEPS)
    job = _job(
        "lab_run",
        {"device": device, "lab": lab | {"paths": 8}},
        {"starts": pd.DataFrame(x.numpy(), columns=["x1", "x2"])},
        ("runs.csv", "hits.csv", "paths.csv", "history.csv"),
        ["--surface", "sincos"],
        read=["runs"],
    )
    separate = {}
    base = _timed(
        lambda: separate.update(r=[descend("sincos", "sgd", x, [lr], STEPS) for lr in lrs])
    )
    ours = job["runs"][["x1", "x2"]].to_numpy().reshape(len(lrs), size, 2)  # by lr, then start
    theirs = torch.stack([r.final[0] for r in separate["r"]]).numpy()
    if not np.array_equal(ours, theirs, equal_nan=True):
        raise AssertionError("sweep_auto: the job's final positions differ from the 64 runs'")
    work = len(lrs) * size * STEPS
    return {
        "baseline_per_s": work / base,
        "per_s": work / job["seconds"],
        "peak_mib": math.nan,  # the job's own process
        "engine": job["engine"],
    }


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
    return {"baseline_per_s": work / base, "per_s": work / seconds, "peak_mib": peak}


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
    return {"baseline_per_s": math.nan, "per_s": size / seconds, "peak_mib": _peak_mib()}


CASES = {
    "descent": _descent,
    "descent_eager": functools.partial(_descent, engine="eager"),
    "descent_auto": _descent_auto,
    "torch_compile": _torch_compile,
    "jax": _jax,
    "sweep": _sweep,
    "sweep_auto": _sweep_auto,
    "per_sample": _per_sample,
    "data_scale": _data_scale,
}
