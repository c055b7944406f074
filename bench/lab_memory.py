"""Peak memory of one large lab run: 100,000 starts × 1,000 steps, one surface, one optimizer.

Run: python -m bench.lab_memory [--starts 100000] [--steps 1000]. Two cases, each in a
fresh process: the descent engine alone (one lr), and the pipeline's `lab_run` step on one
surface and one optimizer with every default lr, tables written. Each peak resident memory
(ru_maxrss) is printed beside a baseline measured the same way in this run: a process that only
imports torch. It asserts nothing. The issue's bound is 2 GiB; keeping every position instead (what
Example 1 did before the streaming engine) would need starts × (steps + 1) × 2 × 8 bytes.
"""

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]

RUN = """
import sys, torch
from gdpipe.descent import descend
torch.set_num_threads(1)
starts, steps = int(sys.argv[1]), int(sys.argv[2])
g = torch.Generator().manual_seed(0)
x = 10 * torch.rand(starts, 2, generator=g, dtype=torch.float64)
targets = [10.0**k for k in range(2, -9, -1)]
descend("sincos", "adam", x, [0.1], steps, targets=targets, n_paths=8)
"""


def _peak_mib(*argv: str) -> tuple[float, float]:
    """Peak RSS (MiB) and wall time (s) of `python argv...` in a fresh process."""
    start = time.perf_counter()
    subprocess.run([sys.executable, *argv], cwd=ROOT, check=True)
    seconds = time.perf_counter() - start
    # RUSAGE_CHILDREN's ru_maxrss is the largest of any child so far: run the smallest first.
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, seconds


def _lab_run(scratch: Path, starts: int, steps: int) -> tuple[float, float]:
    """The pipeline's own lab steps on one surface and one optimizer, every default lr."""
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["lab"].update(surfaces=["sincos"], optimizers=["adam"], n_starts=starts, steps=steps)
    params["device"] = "cpu"
    (scratch / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    common = ["--params", str(scratch / "params.yaml"), "--surface", "sincos"]
    data = str(scratch / "starts.csv")
    subprocess.run([sys.executable, "-m", "scripts.lab_starts", *common, "--out", data], cwd=ROOT)
    outputs = [
        a
        for name in ("runs", "hits", "paths", "history")
        for a in (f"--{name}", str(scratch / f"{name}.csv"))
    ]
    return _peak_mib("-m", "scripts.lab_run", *common, "--starts", data, *outputs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--starts", type=int, default=100_000)
    parser.add_argument("--steps", type=int, default=1_000)
    args = parser.parse_args()
    base, _ = _peak_mib("-c", "import torch")
    engine, engine_s = _peak_mib("-c", RUN, str(args.starts), str(args.steps))
    with tempfile.TemporaryDirectory() as scratch:
        job, job_s = _lab_run(Path(scratch), args.starts, args.steps)
    every_position = args.starts * (args.steps + 1) * 2 * 8 / 2**20
    print(f"{args.starts} starts x {args.steps} steps on sincos with adam, float64, CPU")
    print(f"baseline (import torch)            {base:7.0f} MiB")
    for name, peak, seconds in (
        ("engine alone, 1 lr, 1 thread", engine, engine_s),
        ("lab_run job, 9 lrs, tables written", job, job_s),
    ):
        print(f"{name:34s} {peak:7.0f} MiB  {peak / base:5.2f}x baseline  {seconds:6.1f} s")
    print(f"keeping every position (1 lr) would need {every_position:,.0f} MiB for them alone")


if __name__ == "__main__":
    main()
