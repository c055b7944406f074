"""make_deterministic: deterministic kernels, the thread count asked for, and a cheap start-up."""

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def _after_make_deterministic(threads: str, omp: str) -> dict:
    code = (
        "import json, sys, torch\n"
        "from gdpipe.devices import make_deterministic\n"
        f"make_deterministic({threads})\n"
        "print(json.dumps({'deterministic': torch.are_deterministic_algorithms_enabled(),"
        " 'threads': torch.get_num_threads(), 'inductor': 'torch._inductor' in sys.modules}))"
    )
    env = {**os.environ, "OMP_NUM_THREADS": omp}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout)


def test_training_jobs_run_one_thread_and_deterministic_kernels():
    assert _after_make_deterministic("", omp="2") == {
        "deterministic": True,
        "threads": 1,
        "inductor": False,  # importing the compiler costs 1.5 s per job
    }


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs 2 cores (torch caps at the cores)")
def test_descent_jobs_take_the_threads_snakemake_gives():
    # Snakemake sets OMP_NUM_THREADS to the job's `threads:`; torch reads it.
    assert _after_make_deterministic("None", omp="2") == {
        "deterministic": True,
        "threads": 2,
        "inductor": False,
    }
