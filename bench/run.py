"""The driver: each row in a fresh process, then the table and its CSV (`python -m bench`)."""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import bench
from bench.cases import CASES, SCRATCH, reset_peak
from bench.pipeline import STARTUP_COLUMNS, pipeline_rows

PIPELINE = {"pipeline": "snakemake", "pipeline_dvc": "dvc"}  # case: the tool it runs
# The descent-like rows share one process (torch and its compiler start once); the pipeline's
# job (descent_auto) starts its own.
DESCENT = ("descent", "descent_eager", "torch_compile", "jax")
COLUMNS = (
    "case",
    "size",
    "dtype",
    "device",
    "baseline_per_s",
    "per_s",
    "ratio",
    "compile_s",
    "engine",
    "peak_mib",
    "note",
)


def plan(device: str, cases: list[str]) -> list[tuple[str, int, str]]:
    """(case, size, dtype) of every in-process row."""
    descent_sizes = [1_000, 100_000, 1_000_000] + ([10_000_000] if device == "cuda" else [])
    sizes = {
        "descent_auto": descent_sizes[1:],  # a job of its own: its process start is in the time
        "sweep": [1_000],
        "sweep_auto": [1_000],
        "per_sample": [1_000],
        "data_scale": [10_000_000],
    }
    both = ["float64", "float32"]
    dtypes = {
        "descent_auto": ["float64"],
        "sweep": ["float64"],
        "sweep_auto": ["float64"],
    }  # the pipeline's runs float64
    for case in DESCENT:
        sizes[case], dtypes[case] = descent_sizes, both
    return [
        (case, size, dtype)
        for case in cases
        if case in sizes
        for size in sizes[case]
        for dtype in dtypes.get(case, ["float32"])
    ]


def _children(rows: list[tuple[str, int, str]], device: str) -> list[dict]:
    """Run rows in fresh interpreters, one each, except that the descent rows share one, so that
    torch loads and the fused engine's compiler starts once; each row's peak memory is its own
    (reset_peak), and the smallest size runs first, where the peak could not be reset."""
    groups = {}
    for case, size, dtype in rows:  # plan's order: sizes ascending
        key = "descent" if case in DESCENT else (case, size, dtype)
        groups.setdefault(key, []).append([case, size, dtype, device])
    done_rows = []
    for specs in groups.values():
        done = subprocess.run(
            [sys.executable, "-m", "bench", "--child", json.dumps(specs)],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise SystemExit(f"{specs}: failed\n{done.stderr[-3000:]}")
        numbers = json.loads(done.stdout.splitlines()[-1])
        for (case, size, dtype, _), row in zip(specs, numbers, strict=True):
            done_rows.append({"case": case, "size": size, "dtype": dtype, "device": device, **row})
    return done_rows


def _cell(value) -> str:
    """Text of a table cell: strings and counts as they are, floats to 4 digits, NaN empty."""
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.4g}"
    return str(value)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=bench.__doc__.split("\n\n")[0])
    parser.add_argument("--out", help="CSV file to write")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    cases = [*CASES, *PIPELINE]
    parser.add_argument(
        "--cases",
        nargs="+",
        default=cases[:-1],
        choices=cases,
        help="default: all but pipeline_dvc (`dvc repro`'s rows and each job's start-up: 2 to "
        "3 minutes more, one stage at a time)",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        specs = json.loads(args.child)
        done = []
        for case, size, dtype, device in specs:
            reset_peak()
            done.append(CASES[case](size, dtype, device))
        print(json.dumps(done))
        return
    with tempfile.TemporaryDirectory() as scratch:
        os.environ[SCRATCH] = scratch
        rows = _children(plan(args.device, args.cases), args.device)
        del os.environ[SCRATCH]
    startups = []
    tools = [tool for case, tool in PIPELINE.items() if case in args.cases]
    if tools:
        timed, startups = pipeline_rows(args.device, tools)
        rows += timed
    for row in rows:
        row["ratio"] = row["per_s"] / row["baseline_per_s"]
    _report(rows, COLUMNS, args.out)
    if startups:
        print("\nstart-up of each job, median over a rule's jobs in the cold `dvc repro`:")
        _report(startups, STARTUP_COLUMNS, args.out and startup_path(args.out))


def startup_path(out: str) -> Path:
    """Where the job start-up table goes beside the main one: bench.csv -> bench-startup.csv."""
    out = Path(out)
    return out.with_name(f"{out.stem}-startup{out.suffix}")


def _report(rows: list[dict], columns: tuple[str, ...], out: str | Path | None) -> None:
    """Print rows as a table and write them as CSV to `out` (if given)."""
    widths = [max(len(c), 12) for c in columns]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    for row in rows:
        cells = [_cell(row.get(c, math.nan)) for c in columns]
        print("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)))
    if out:
        with Path(out).open("w", newline="") as file:
            writer = csv.DictWriter(file, columns, extrasaction="ignore", lineterminator="\n")
            writer.writeheader()
            writer.writerows({c: _cell(row.get(c, math.nan)) for c in columns} for row in rows)
