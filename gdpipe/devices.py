"""Pick the torch device from the `device` param and make torch deterministic on it."""

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
    device = torch.device(name)
    gpu = f" ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else ""
    provenance.note("device", f"{device}{gpu}")
    log.info("using device %s", device)
    return device


def make_deterministic(threads: int | None = 1) -> None:
    """Deterministic kernels and, unless `threads` is None (descent: its results do not depend on
    the split, so it takes OMP_NUM_THREADS), a fixed thread count: float reductions would differ."""
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # before cuBLAS's first use
    # Not torch.use_deterministic_algorithms: it imports torch._inductor, 1.5 s a job.
    torch._C._set_deterministic_algorithms(True)
    # Every gdpipe tensor is written before it is read: filling them with NaN first only costs.
    torch.utils.deterministic.fill_uninitialized_memory = False
    if threads is not None:
        torch.set_num_threads(threads)
