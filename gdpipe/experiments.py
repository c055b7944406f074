"""Glue from tables and params to the training loops: one function per notebook example.

Tables come in as DataFrames and results go out as DataFrames and plain dicts; the scripts do
the reading and writing.
"""

from __future__ import annotations

import pandas as pd
import torch
from torch import nn

from gdpipe.data import COLUMNS
from gdpipe.evaluation import surface_metrics, tensors
from gdpipe.models import build_model
from gdpipe.objectives import get_surface
from gdpipe.params import LinearParams, QuadraticParams, SurfaceParams, as_dict
from gdpipe.training import Progress, TrainResult, descend, train_linear, train_quadratic


def run_surface(
    p: SurfaceParams, starts: pd.DataFrame, device: torch.device, progress: Progress
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Descend from every start at once; return trajectories, per-step history and metrics."""
    surface = get_surface(p.name)
    # float64: descent on a surface is about positions, and the notebook ran numpy float64.
    x = torch.tensor(starts[["x1", "x2"]].to_numpy(), dtype=torch.float64, device=device)
    result = descend(surface, x, lr=p.lr, steps=p.steps, progress=progress)
    positions, values = result.positions.cpu().numpy(), result.values.cpu().numpy()
    S, N = values.shape  # steps + 1, starts
    trajectories = pd.DataFrame(
        {
            "step": torch.arange(S).repeat_interleave(N).numpy(),
            "start": torch.arange(N).repeat(S).numpy(),
            "x1": positions[..., 0].ravel(),
            "x2": positions[..., 1].ravel(),
            "value": values.ravel(),
        }
    )
    metrics = surface_metrics(surface, values, positions, result.status, result.diverged_step)
    return trajectories, pd.DataFrame(result.history), metrics


def run_training(
    experiment: str,
    p: QuadraticParams | LinearParams,
    train: pd.DataFrame,
    test: pd.DataFrame,
    device: torch.device,
    progress: Progress,
) -> tuple[nn.Module, TrainResult]:
    """Build the experiment's model from its seed and train it on `device`."""
    model = build_model(experiment, seed=p.seed if experiment == "linear" else p.init_seed)
    model = model.to(device)
    columns = COLUMNS[experiment]
    train_xy, test_xy = tensors(train, columns, device), tensors(test, columns, device)
    if experiment == "quadratic":
        result = train_quadratic(
            model, train_xy, test_xy, lr=p.lr, epochs=p.epochs, progress=progress
        )
    else:
        result = train_linear(
            model,
            train_xy,
            test_xy,
            optimizer=p.optimizer,
            loss=p.loss,
            lr=p.lr,
            epochs=p.epochs,
            batch_size=p.batch_size,
            progress=progress,
        )
    return model, result


def checkpoint_info(p, result: TrainResult) -> dict:
    """The plain values a checkpoint stores beside the weights."""
    return {
        "status": result.status,
        "diverged_step": result.diverged_step,
        "epochs_completed": len(result.history) - 1,
        "optimizer": result.optimizer_state,  # None for the hand-written update
        "config": as_dict(p),
    }


def loss_name(experiment: str, p) -> str:
    """The loss an experiment trains and is evaluated with."""
    return p.loss if experiment == "linear" else "mse"
