"""Glue from tables and params to the training loops: one function per notebook example.

Tables come in as DataFrames and results go out as DataFrames and plain dicts; the scripts do
the reading and writing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from torch import nn

from gdpipe.data import COLUMNS
from gdpipe.descent import descend
from gdpipe.evaluation import surface_metrics, tensors
from gdpipe.models import build_model
from gdpipe.objectives import get_surface
from gdpipe.params import LinearParams, QuadraticParams, SurfaceParams
from gdpipe.training import Progress, TrainResult, train_linear, train_quadratic


def run_surface(
    p: SurfaceParams, starts: pd.DataFrame, device: torch.device, progress: Progress
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Plain gradient descent from every start at once, on the lab's engine (sgd, one lr).

    Returns the paths of the first `surface.paths` starts (rows stop where a start diverged),
    the mean and lowest value over all starts still going at each step, and the metrics (of
    every start): memory and output grow with the starts only through O(N) summaries.
    """
    surface = get_surface(p.name)
    # float64: descent on a surface is about positions, and the notebook ran numpy float64.
    x = torch.tensor(starts[["x1", "x2"]].to_numpy(), dtype=torch.float64, device=device)
    lr = torch.tensor([p.lr], dtype=torch.float64, device=device)
    result = descend(surface, "sgd", x, lr, p.steps, n_paths=p.paths, progress=progress)
    positions = result.path_positions[:, 0].cpu().numpy()  # (S+1, N, 2), NaN once diverged
    values = result.path_values[:, 0].cpu().numpy()  # (S+1, N)
    S, N = values.shape
    going = np.isfinite(values).ravel()
    trajectories = pd.DataFrame(
        {
            "step": np.repeat(np.arange(S), N),
            "start": np.tile(np.arange(N), S),
            "x1": positions[..., 0].ravel(),
            "x2": positions[..., 1].ravel(),
            "value": values.ravel(),
        }
    )[going].reset_index(drop=True)
    mean, low = result.mean_value[:, 0].cpu().numpy(), result.min_value[:, 0].cpu().numpy()
    history = pd.DataFrame({"step": np.arange(S), "mean_value": mean, "min_value": low})
    history = history[np.isfinite(mean)]  # no start left: nothing to average
    start_values = surface.value_and_gradient(x)[0].cpu().numpy()  # what step 0 computes
    metrics = surface_metrics(
        surface, start_values, result.final[0].cpu().numpy(), result.diverged_step[0].cpu().numpy()
    )
    metrics["steps_run"] = p.steps
    return trajectories, history, metrics


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


def checkpoint_info(config: dict, result: TrainResult) -> dict:
    """The plain values a checkpoint stores beside the weights; `config` holds the params keys
    the training step declares (pipeline.step_settings), so it describes the run that made it."""
    return {
        "status": result.status,
        "diverged_step": result.diverged_step,
        "epochs_completed": len(result.history) - 1,
        "optimizer": result.optimizer_state,  # None for the hand-written update
        "config": config,
    }


def loss_name(experiment: str, p) -> str:
    """The loss an experiment trains and is evaluated with."""
    return p.loss if experiment == "linear" else "mse"
