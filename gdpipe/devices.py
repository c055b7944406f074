"""Pick the torch device from the `device` param and make torch deterministic on it."""

from __future__ import annotations

import logging
import os

import torch

from gdpipe import provenance
from gdpipe.errors import DeviceError

log = logging.getLogger(__name__)


def resolve_device(name: str) -> torch.device:
    """'cpu', 'cuda' (an error without CUDA) or 'auto' (CUDA when present, else CPU)."""
    if name == "cuda" and not torch.cuda.is_available():
        raise DeviceError(
            "device = 'cuda' but CUDA is not available on this machine "
            "(set device: cpu or auto in params.yaml)"
        )
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name not in ("cpu", "cuda"):
        raise DeviceError(f"device = {name!r} is invalid: expected one of 'auto', 'cpu', 'cuda'")
    device = torch.device(name)
    provenance.note_device(device)
    log.info("using device %s", device)
    return device


def make_deterministic(threads: int = 1) -> None:
    """Same inputs, same bytes: deterministic kernels and a fixed thread count.

    The thread count is fixed, not taken from the scheduler, because a float reduction split
    over a different number of threads can round differently.
    """
    # cuBLAS needs this set before its first use to be deterministic.
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(threads)
