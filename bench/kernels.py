"""What the pinned CPU kernels cost: the same descents with the pin and without it.

Run: python -m bench.kernels. Sincos, plain GD at lr 0.1, 100 steps; the eager engine
at 10^5 starts and the fused one at 10^6 (compiled first), float64 and float32, best of 3, each
in a child process whose only difference is GDPIPE_CPU_KERNELS (portable: the AVX2 pin; native:
each library's own choice). The two kinds run twice in alternating order and the better of each
is kept; the table prints point-steps/s and native / pinned."""

import json
import os
import subprocess
import sys

CHILD = r"""
import json, time
import torch
from gdpipe import kernels
from gdpipe.descent import descend
out = {"torch": torch.backends.cpu.get_cpu_capability(), **kernels.in_use()}
g = torch.Generator().manual_seed(0)
for engine, n in (("eager", 10**5), ("fused", 10**6)):
    for dtype in (torch.float64, torch.float32):
        x = (torch.rand(n, 2, generator=g, dtype=torch.float64) * 10).to(dtype)
        if engine == "fused":
            descend("sincos", "sgd", x, [0.1], 2, engine="fused")
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            descend("sincos", "sgd", x, [0.1], 100, engine=engine)
            best = min(best, time.perf_counter() - start)
        out[f"{engine}, {str(dtype)[6:]} ({n:.0e} starts)"] = n * 100 / best
print(json.dumps(out))
"""


def main() -> None:
    rates: dict[str, dict[str, list[float]]] = {}
    for order in (("portable", "native"), ("native", "portable")):
        for mode in order:
            env = dict(os.environ, GDPIPE_CPU_KERNELS=mode)
            run = subprocess.run(
                [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=True
            )
            record = json.loads(run.stdout)
            kinds = f"torch {record['torch_cpu_kernels']}, numpy {record['numpy_cpu_kernels']}"
            print(f"{mode}: {kinds}", file=sys.stderr)
            for case, rate in record.items():
                if isinstance(rate, float):
                    rates.setdefault(case, {}).setdefault(mode, []).append(rate)
    print("| engine, dtype (starts) | pinned, point-steps/s | native, point-steps/s | ratio |")
    print("|---|---|---|---|")
    for case, by_mode in rates.items():
        pinned, native = max(by_mode["portable"]), max(by_mode["native"])
        print(f"| {case} | {pinned:.3g} | {native:.3g} | {native / pinned:.2f} |")


if __name__ == "__main__":
    main()
