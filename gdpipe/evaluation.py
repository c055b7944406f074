"""Metrics and predictions from a trained (reloaded) model or a descent run; no files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from torch import nn

from gdpipe.objectives import Surface
from gdpipe.training import LOSSES


def tensors(
    frame: pd.DataFrame, columns: tuple[str, ...], device: torch.device, dtype=torch.float32
) -> tuple[torch.Tensor, ...]:
    """One tensor per column of a table, on `device`."""
    return tuple(torch.tensor(frame[c].to_numpy(), dtype=dtype, device=device) for c in columns)


def predict(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The model's predictions with autograd fully off."""
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
    metrics = {"status": info.get("status", "ok"), "diverged_step": info.get("diverged_step")}
    metrics.update(model.learned())
    tables = []
    for split_name, frame in splits.items():
        x, y = tensors(frame, columns, device)
        prediction = predict(model, x)
        metrics[f"{split_name}_loss"] = LOSSES[loss](prediction, y).item()
        tables.append(frame.assign(split=split_name, prediction=prediction.cpu().numpy()))
    if metrics["diverged_step"] is None:
        del metrics["diverged_step"]
    return metrics, pd.concat(tables, ignore_index=True)


def surface_metrics(
    surface: Surface,
    values: np.ndarray,
    positions: np.ndarray,
    status: str,
    diverged_step: int | None,
    tolerance: float = 1e-2,
) -> dict:
    """Summary of a descent run; values (S+1, N) and positions (S+1, N, 2)."""
    start, final = values[0], values[-1]
    minima = np.array([m[:2] for m in surface.minima])  # (M, 2)
    distance = np.linalg.norm(positions[-1][:, None, :] - minima[None], axis=-1)  # (N, M)
    metrics = {
        "status": status,
        "steps_run": int(values.shape[0] - 1),
        "mean_start_value": float(start.mean()),
        "mean_final_value": float(final.mean()),
        "mean_decrease": float((start - final).mean()),
        "fraction_decreased": float((final < start).mean()),
        "fraction_at_known_minimum": float((distance.min(axis=1) < tolerance).mean()),
    }
    if diverged_step is not None:
        metrics["diverged_step"] = diverged_step
    return metrics
