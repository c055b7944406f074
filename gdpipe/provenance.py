"""What made an output: each job's libraries, CPU and device, merged into results/provenance.json
(no host names, paths or times: a record changes only with what it describes)."""

import importlib.metadata
import platform
import sys
from collections import Counter
from pathlib import Path

from gdpipe import kernels

# The distributions whose version can change an output's bytes, and one's module name.
LIBRARIES = ("numpy", "pandas", "torch", "scikit-learn", "matplotlib")
_MODULES = {"scikit-learn": "sklearn"}
KERNELS = ("cpu_kernels", "torch_cpu_kernels", "numpy_cpu_kernels")  # gdpipe.kernels.in_use
FIELDS = ("python", "cpu", *LIBRARIES, *KERNELS, "device", "descent_engine")  # merge's order

_notes: dict[str, set[str]] = {}  # field -> the values this job noted


def note(field: str, value: str) -> None:
    """Record how this job computed, e.g. note("descent_engine", "fused"); values accumulate."""
    _notes.setdefault(field, set()).add(value)


def cpu_model() -> str:
    """The CPU's model name as the OS reports it, or the architecture where it reports none."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("model name", "Processor", "cpu model"):
                return " ".join(value.split())
    return platform.processor() or platform.machine()


def job_record() -> dict[str, str]:
    """This process's record: Python, CPU, the libraries it imported and the devices it used."""
    record = {"python": platform.python_version(), "cpu": cpu_model()}
    for distribution in LIBRARIES:
        if _MODULES.get(distribution, distribution) in sys.modules:
            record[distribution] = importlib.metadata.version(distribution)
    record.update(kernels.in_use())  # the vector instructions torch's and numpy's kernels use
    return record | {field: ", ".join(sorted(values)) for field, values in sorted(_notes.items())}


def merge(records: dict[str, dict[str, str]]) -> dict[str, str]:
    """One value per field over the jobs' records; where they disagree, each value with its job
    count, most common first: "AMD EPYC (30 jobs); Intel Xeon (12 jobs)". Devices always count."""
    merged = {}
    for field in FIELDS:
        counts = Counter(r[field] for r in records.values() if field in r)
        if len(counts) == 1 and field != "device":
            merged[field] = next(iter(counts))
        elif counts:
            ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
            merged[field] = "; ".join(f"{v} ({n} job{'s' * (n != 1)})" for v, n in ranked)
        elif field == "device":
            merged[field] = "none"
    return merged
