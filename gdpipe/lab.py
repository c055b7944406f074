"""The optimizer lab's runs: seeded starts per surface, then every optimizer × lr × start on it,
as tables (an empty cell: diverged, or never reached a target): runs (each run's start, end,
`steps_to_target` for lab.target and `status`), hits (steps to the COCO targets) and paths (the
first `lab.paths` starts'), each optimizer at its best lr, and history (mean and lowest f).
"""

import zlib

import numpy as np
import pandas as pd

from gdpipe.lab_summary import RUNS_COLUMNS, SUMMARY_COLUMNS, best_lrs, summarize_lab
from gdpipe.objectives import Surface, get_surface
from gdpipe.optimizers import get_optimizer, hyperparameters
from gdpipe.params import LabParams

COCO_TARGETS = tuple(10.0**k for k in range(1, -9, -1))  # Δf = 10^1 … 10^-8, the ECDF
STARTS_COLUMNS = ["x1", "x2"]
HISTORY_COLUMNS = ["optimizer", "lr", "step", "mean_value", "min_value"]


def _spec(columns, text=(), empty=()) -> dict:
    return {"columns": columns, "text_columns": text, "empty_columns": empty}


# Each table's gdpipe.io.read_table arguments: io.read_table(path, **TABLES["runs"]).
TABLES = {
    "starts": _spec(STARTS_COLUMNS),
    "runs": _spec(RUNS_COLUMNS, ("optimizer", "status"), ("x1", "x2", "value", "steps_to_target")),
    "hits": _spec(["optimizer", "lr", "start", "target", "steps"], ("optimizer",), ("steps",)),
    "paths": _spec(["optimizer", "lr", "start", "step", "x1", "x2", "value"], ("optimizer",)),
    "history": _spec(HISTORY_COLUMNS, ("optimizer",), ("mean_value", "min_value")),
    "summary": _spec(SUMMARY_COLUMNS, ("surface", "optimizer"), ("median_steps", "median_gap")),
}


def lab_surface(name: str, p: LabParams) -> Surface:
    """The named surface as the lab runs it: only the bowl reads lab.condition."""
    surface = get_surface(name)
    return surface if surface.condition is None else get_surface(name, p.condition)


def generate_starts(surface: Surface, seed: int, n_starts: int) -> pd.DataFrame:
    """n_starts points uniform in the domain, seeded by `seed` and the name (whatever else runs)."""
    rng = np.random.default_rng([seed, zlib.crc32(surface.name.encode())])
    return pd.DataFrame(rng.uniform(*surface.domain, size=(n_starts, 2)), columns=STARTS_COLUMNS)


def _steps(first_hit: np.ndarray) -> pd.arrays.IntegerArray:
    """First-hit steps (1-D) as integers, -1 (never) as missing: written as an empty cell."""
    return pd.arrays.IntegerArray(first_hit.astype(np.int64), mask=first_hit < 0)


def runs_table(optimizer: str, lrs, starts: np.ndarray, result) -> pd.DataFrame:
    """One row per lr × start (lr-major); the first of `result.targets` is lab.target's."""
    K, N = result.final_value.shape
    first = result.first_hit[..., 0].cpu().numpy().ravel()  # (K·N,)
    final = result.final.cpu().numpy().reshape(K * N, 2)
    diverged = result.diverged_step.cpu().numpy().ravel() >= 0
    columns = {
        "optimizer": optimizer,
        "lr": np.repeat(np.asarray(lrs, dtype=np.float64), N),
        "start": np.tile(np.arange(N), K),
        "x1_start": np.tile(starts[:, 0], K),
        "x2_start": np.tile(starts[:, 1], K),
        "x1": final[:, 0],
        "x2": final[:, 1],
        "value": result.final_value.cpu().numpy().ravel(),
        "steps_to_target": _steps(first),
        "status": np.where(diverged, "diverged", "ok"),
    }
    return pd.DataFrame(columns)


def history_table(optimizer: str, lrs, result) -> pd.DataFrame:
    """Mean and lowest f per lr × step ((S+1)·K rows, lr-major)."""
    S1, K = result.mean_value.shape
    columns = {
        "optimizer": optimizer,
        "lr": np.repeat(np.asarray(lrs, dtype=np.float64), S1),
        "step": np.tile(np.arange(S1), K),
        "mean_value": result.mean_value.T.cpu().numpy().ravel(),
        "min_value": result.min_value.T.cpu().numpy().ravel(),
    }
    return pd.DataFrame(columns)


def hits_table(optimizer: str, lr: float, k: int, result) -> pd.DataFrame:
    """Steps to each COCO target (targets[1:]) at lr index k: one row per start × target."""
    first = result.first_hit[k, :, 1:].cpu().numpy()  # (N, T)
    N, T = first.shape
    columns = {
        "optimizer": optimizer,
        "lr": lr,
        "start": np.repeat(np.arange(N), T),
        "target": np.tile(result.targets[1:].cpu().numpy(), N),
        "steps": _steps(first.ravel()),
    }
    return pd.DataFrame(columns)


def paths_table(optimizer: str, lr: float, k: int, result) -> pd.DataFrame:
    """The tracked starts' positions and values at lr index k, each until it diverged."""
    xy = result.path_positions[:, k].cpu().numpy()  # (S+1, P, 2)
    f = result.path_values[:, k].cpu().numpy()  # (S+1, P)
    S1, P = f.shape
    columns = {
        "optimizer": optimizer,
        "lr": lr,
        "start": np.tile(np.arange(P), S1),
        "step": np.repeat(np.arange(S1), P),
        "x1": xy[..., 0].ravel(),
        "x2": xy[..., 1].ravel(),
        "value": f.ravel(),
    }
    table = pd.DataFrame(columns)[np.isfinite(f.ravel())]  # NaN from a start's divergence on
    return table.sort_values(["start", "step"], kind="stable").reset_index(drop=True)


def run_surface(surface: Surface, starts: pd.DataFrame, p: LabParams, device, progress) -> dict:
    """The lab's tables on one surface: one descent per optimizer over every lr × start."""
    import torch  # here, not at the top: a second to import, which generating starts skips

    from gdpipe.descent import descend

    points = starts[STARTS_COLUMNS].to_numpy(dtype=np.float64)
    x = torch.tensor(points, dtype=torch.float64, device=device)
    targets = (p.target, *COCO_TARGETS)  # lab.target first: runs_table's steps_to_target
    results, runs, history = {}, [], []
    for optimizer in p.optimizers:  # each bound to the lab's values of the keys it reads
        bound = get_optimizer(optimizer, **{k: getattr(p, k) for k in hyperparameters(optimizer)})
        result = descend(surface, bound, x, p.lrs, p.steps, targets, p.paths, progress(optimizer))
        results[optimizer] = result
        runs.append(runs_table(optimizer, p.lrs, points, result))
        history.append(history_table(optimizer, p.lrs, result))
    runs = pd.concat(runs, ignore_index=True)
    # The figures show each optimizer at its best lr: only those hits and paths are kept.
    best = best_lrs(summarize_lab({surface.name: runs.astype({"steps_to_target": float})}))
    at_best = [
        (o, lr, p.lrs.index(lr), results[o])
        for o, lr in zip(best["optimizer"], best["lr"], strict=True)
    ]
    return {
        "runs": runs,
        "hits": pd.concat([hits_table(*args) for args in at_best], ignore_index=True),
        "paths": pd.concat([paths_table(*args) for args in at_best], ignore_index=True),
        "history": pd.concat(history, ignore_index=True),
    }
