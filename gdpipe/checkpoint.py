"""Checkpoints of tensors and plain values only (model name and arguments, weights, how training
ended), read by torch.load(weights_only=True): anything else is a CheckpointError."""

import io
import pickle
from pathlib import Path

import torch
from torch import nn

from gdpipe import io as gio
from gdpipe.errors import CheckpointError
from gdpipe.models import build_model
from gdpipe.training import TrainResult

FORMAT = "gdpipe-checkpoint"
FORMAT_VERSION = 1


def save_checkpoint(path: str | Path, name: str, model: nn.Module, **info) -> None:
    """Write model `name` and plain-value `info` (status, config, ...) atomically."""
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "model": name,
        "model_args": {},
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        **info,
    }
    # To memory first: torch.save names the archive after its file (a temporary name's bytes).
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    gio.write_bytes(path, buffer.getvalue())


def load_checkpoint(path: str | Path, expected_model: str) -> tuple[nn.Module, dict]:
    """Rebuild the model stored at `path`; return it with the checkpoint's other values."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint not found")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        first_line = str(err).strip().splitlines()[0]
        raise CheckpointError(
            f"{path}: refused: the file holds objects other than tensors and plain values, "
            f"which gdpipe never unpickles ({first_line})"
        ) from None
    except Exception as err:  # garbage makes torch's reader raise all sorts; report them as one
        raise CheckpointError(
            f"{path}: not a readable torch checkpoint, truncated or another format ({err})"
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path}: a torch file but not a gdpipe checkpoint")
    if payload.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(
            f"{path}: checkpoint format version {payload.get('format_version')!r}; this gdpipe "
            f"reads version {FORMAT_VERSION}"
        )
    if (name := payload.get("model")) != expected_model:  # one of TRAINED (evaluate's choices)
        raise CheckpointError(f"{path}: checkpoint of model {name!r}, expected {expected_model!r}")
    model = build_model(name, **payload["model_args"])
    try:
        model.load_state_dict(payload["state_dict"])
    except (RuntimeError, TypeError, KeyError) as err:
        raise CheckpointError(f"{path}: weights do not fit model {name!r} ({err})") from None
    return model, {k: v for k, v in payload.items() if k not in ("state_dict", "model_args")}


def checkpoint_info(config: dict, result: TrainResult) -> dict:
    """The plain values a checkpoint keeps beside the weights: how training ended, its settings."""
    return {
        "status": result.status,
        "diverged_step": result.diverged_step,
        "epochs_completed": len(result.history) - 1,
        "optimizer": result.optimizer_state,  # None for the hand-written update
        "config": config,
    }
