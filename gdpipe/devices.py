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
    """Same inputs, same bytes: deterministic kernels and, unless `threads` is None, a fixed
    intra-op thread count. Training and evaluation pass 1: a float reduction split over other
    threads can round differently. Descent is elementwise and its reductions (min, an in-order
    cumsum, counts) do not depend on the split: descent jobs pass None, and torch takes
    OMP_NUM_THREADS, which Snakemake sets to the job's `threads:` (unset under DVC: all cores).
    """
    # cuBLAS needs this set before its first use to be deterministic.
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    # torch.use_deterministic_algorithms would also import torch._inductor to set its flag: 1.5 s
    # per job for a compiler these jobs never use (code that compiles must set that flag).
    torch._C._set_deterministic_algorithms(True)
    # With that flag torch also fills every new tensor with NaN before use: a second write of
    # each result (a third of the descent step's time). Every gdpipe tensor is written before
    # it is read, so the fill changes no output.
    torch.utils.deterministic.fill_uninitialized_memory = False
    if threads is not None:
        torch.set_num_threads(threads)
