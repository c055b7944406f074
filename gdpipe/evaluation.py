"""Metrics and predictions from a trained (reloaded) model or a descent run; no files."""

import math

import numpy as np
import pandas as pd
import torch
from torch import nn

from gdpipe.objectives import Surface
from gdpipe.training import LOSSES


def tensors(frame: pd.DataFrame, columns: tuple[str, ...], device: torch.device) -> tuple:
    return tuple(
        torch.tensor(frame[c].to_numpy(), dtype=torch.float32, device=device) for c in columns
    )


def predict(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    model.eval()
    with torch.inference_mode():
        return model(x)


def evaluate_model(
    model: nn.Module,
    splits: dict[str, pd.DataFrame],
    columns: tuple[str, str],
    loss: str,
    info: dict,
    device: torch.device,
) -> tuple[dict, pd.DataFrame]:
    """Metrics (learned parameters, loss per split, status) and a table of every prediction."""
    model = model.to(device)
    metrics = {"status": info.get("status", "ok"), **model.learned()}
    if info.get("diverged_step") is not None:
        metrics["diverged_step"] = info["diverged_step"]
    tables = []
    for split_name, frame in splits.items():
        x, y = tensors(frame, columns, device)
        prediction = predict(model, x)
        metrics[f"{split_name}_loss"] = LOSSES[loss](prediction, y).item()
        tables.append(frame.assign(split=split_name, prediction=prediction.cpu().numpy()))
    return metrics, pd.concat(tables, ignore_index=True)


def at_minimum(surface: Surface, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which points (N, 2) sit at a known minimum, and which at the global one (at_minima)."""
    matches = surface.at_minima(points)  # (N, M)
    is_global = np.array([m[2] == surface.f_star for m in surface.minima])
    return matches.any(axis=1), matches[:, is_global].any(axis=1)


def surface_metrics(
    surface: Surface, start_values: np.ndarray, final: np.ndarray, diverged_step: np.ndarray
) -> dict:
    """A descent run's metrics: means over the starts that finished, fractions of all starts."""
    finished = diverged_step < 0
    final_values = surface.value(final[finished])
    decrease = start_values[finished] - final_values
    at_known, at_global = at_minimum(surface, final[finished])
    n = len(start_values)
    metrics = {
        "status": "ok" if finished.all() else "diverged",
        "mean_start_value": float(start_values.mean()),
        "mean_final_value": float(final_values.mean()) if finished.any() else math.nan,
        "mean_decrease": float(decrease.mean()) if finished.any() else math.nan,
        "fraction_decreased": float((decrease > 0).sum() / n),
        "fraction_at_known_minimum": float(at_known.sum() / n),
        "fraction_at_global_minimum": float(at_global.sum() / n),
    }
    if not finished.all():
        metrics["diverged_starts"] = int((~finished).sum())
        metrics["diverged_step"] = int(diverged_step[~finished].min())
    return metrics
