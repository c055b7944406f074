"""The in-process rows: gdpipe's descent, sweep and training against the notebook's own code."""

from __future__ import annotations

import contextlib
import math
import os
import resource
import statistics
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
