"""The same bytes on AVX2 and AVX-512: torch, MKL, oneDNN, numpy and OpenBLAS pick their vector
code by the CPU, and wider vectors round differently. Importing gdpipe caps them all at AVX2
(`pin`); GDPIPE_CPU_KERNELS=native opts out, and a CPU without AVX2 keeps its own kernels."""

import os
import platform
import sys
from pathlib import Path

MODES = ("portable", "native")
# Each library's own switch, set to AVX2 (torch's also sets torch.compile's CPU code's).
PORTABLE_ENV = {
    "ATEN_CPU_CAPABILITY": "avx2",
    "MKL_CBWR": "AVX2,STRICT",  # MKL's conditional numerical reproducibility
    "ONEDNN_MAX_CPU_ISA": "AVX2",
    "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",  # numpy 2.4's names above v3
    "OPENBLAS_CORETYPE": "Haswell",
}


def requested() -> str:
    """GDPIPE_CPU_KERNELS's mode, in any case and spacing: portable (unset or empty) or native."""
    given = os.environ.get("GDPIPE_CPU_KERNELS", "")
    mode = given.strip().lower() or "portable"
    if mode not in MODES:  # a typo in the shell: one line, no traceback, exit status 2
        print(
            f"gdpipe: GDPIPE_CPU_KERNELS = {given!r} is invalid: expected one of "
            f"{', '.join(MODES)} (unset: portable)",
            file=sys.stderr,
        )
        raise SystemExit(2)
    return mode


def has_avx2() -> bool:
    """Whether this is an x86-64 CPU with AVX2 and FMA, the kernels `pin` selects."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return False
    flags = next((line for line in cpuinfo.splitlines() if line.startswith("flags")), "")
    return {"avx2", "fma"} <= set(flags.split())


def pin() -> str:
    """Cap every library's CPU kernels at AVX2 unless opted out; the mode now in force."""
    if requested() == "native" or not has_avx2():
        return "native"
    os.environ.update(PORTABLE_ENV)  # over any value inherited: the same kernels for every job
    return "portable"


def in_use() -> dict[str, str]:
    """What this process computes with, for its provenance record."""
    record = {"cpu_kernels": MODE}
    if "torch" in sys.modules:
        record["torch_cpu_kernels"] = sys.modules["torch"].backends.cpu.get_cpu_capability()
    if "numpy" in sys.modules:
        # Private, but numpy's only machine-readable record of the features it dispatches to
        # (np.show_runtime() prints the same table); read-only, for the record.
        from numpy._core._multiarray_umath import __cpu_features__

        levels = [f for f in ("X86_V2", "X86_V3", "X86_V4") if __cpu_features__.get(f)]
        record["numpy_cpu_kernels"] = levels[-1] if levels else "baseline"
    return record


MODE = pin()
