"""Time the pipeline: cold `snakemake --cores all` and the no-op re-run, median of N each.

Run: python -m tests.benchmark_pipeline [--repeats 3]. Prints seconds and each figure as a ratio
to a baseline measured in the same process (a bare `python -c "import torch"`, the floor every
torch job pays), so figures from different machines can be compared. Not a test: it asserts
nothing and pytest does not collect it.
"""

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.conftest import copy_project, environment

BIN = Path(sys.executable).parent


def _timed(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=environment(), check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    repeats = parser.parse_args().repeats
    snakemake = [str(BIN / "snakemake"), "--cores", "all"]
    baseline, cold, noop = [], [], []
    with tempfile.TemporaryDirectory() as scratch:
        for i in range(repeats):
            baseline.append(_timed([sys.executable, "-c", "import torch"], Path(scratch)))
            project = copy_project(Path(scratch) / f"run{i}")
            cold.append(_timed(snakemake, project))
            noop.append(_timed(snakemake, project))
            shutil.rmtree(project)
    base = statistics.median(baseline)
    print(f"median of {repeats}, {sys.platform}, python {sys.version.split()[0]}")
    print(f"baseline `import torch`        {base:6.2f} s")
    for name, times in (("cold snakemake --cores all", cold), ("no-op re-run", noop)):
        median = statistics.median(times)
        runs = ", ".join(f"{t:.2f}" for t in times)
        print(f"{name:30s} {median:6.2f} s  ({median / base:5.1f}x baseline; runs: {runs})")


if __name__ == "__main__":
    main()
