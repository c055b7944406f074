"""Provenance: each job records what it ran on; the merge names every difference between jobs.

What a record holds depends on what the process imported, so records are taken in fresh
interpreters; the end-to-end case reads the shared default run's records.
"""

import importlib.metadata
import json
import platform
import subprocess
import sys
from pathlib import Path

import pytest

from gdpipe.provenance import merge
from tests.conftest import ROOT


def _record_of(code: str) -> dict:
    """The provenance record of a fresh interpreter that runs `code` first."""
    script = f"{code}\nimport json\nfrom gdpipe import provenance\n"
    script += "print(json.dumps(provenance.job_record()))"
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout)


def test_a_record_lists_the_libraries_the_job_imported_and_no_others():
    record = _record_of("import numpy")
    assert record["numpy"] == importlib.metadata.version("numpy")
    assert record["python"] == platform.python_version()
    assert record["cpu"]
    assert not {"torch", "matplotlib", "scikit-learn", "device"} & set(record)


def test_a_torch_job_records_the_device_it_computed_on():
    record = _record_of("from gdpipe.devices import resolve_device\nresolve_device('auto')")
    assert record["torch"] == importlib.metadata.version("torch")
    assert record["torch_cpu_kernels"]  # e.g. AVX2, AVX512: torch's kernels differ by it
    import torch

    expected = "cpu" if not torch.cuda.is_available() else f"cuda ({torch.cuda.get_device_name()})"
    assert record["device"] == expected


def test_merge_keeps_a_shared_value_and_counts_differing_ones():
    node = {"python": "3.11.7", "cpu": "Xeon", "numpy": "2.4.6", "device": "cpu"}
    records = {
        "a": node,
        "b": {**node, "cpu": "EPYC"},
        "c": node,
        "plot": {"python": "3.11.7", "cpu": "Xeon", "matplotlib": "3.11.2"},
    }
    assert merge(records) == {
        "python": "3.11.7",
        "cpu": "Xeon (3 jobs); EPYC (1 job)",
        "numpy": "2.4.6",
        "matplotlib": "3.11.2",
        "device": "cpu (3 jobs)",
    }
    assert merge({"plot": records["plot"]})["device"] == "none"


@pytest.mark.slow
def test_every_job_of_a_run_leaves_a_record_and_the_merge_covers_them(default_run):
    records = sorted((default_run / "results/provenance").rglob("*.json"))
    logs = sorted((default_run / "logs").rglob("*.log"))
    # One record per job: each job also has one log, at the same relative path.
    assert [r.relative_to(default_run / "results/provenance").with_suffix("") for r in records] == [
        log.relative_to(default_run / "logs").with_suffix("")
        for log in logs
        if log.name != "provenance.log"
    ]
    jobs = {str(r.relative_to(default_run)): json.loads(r.read_text()) for r in records}
    # Only the jobs that compute with torch import it; figures and tables never do.
    torch_jobs = {name for name, record in jobs.items() if "torch" in record}
    assert {Path(name).parts[2] for name in torch_jobs} == {
        "descend.json",
        "train",
        "evaluate",
        "lab_run",
    }
    assert all(jobs[name]["device"] == "cpu" for name in torch_jobs)  # params.yaml: device cpu
    merged = json.loads((default_run / "results/provenance.json").read_text())
    assert merged["device"] == f"cpu ({len(torch_jobs)} jobs)"
    for library in ("numpy", "pandas", "torch", "scikit-learn", "matplotlib"):
        assert merged[library] == importlib.metadata.version(library), library
    assert merged["cpu"] in Path("/proc/cpuinfo").read_text()
