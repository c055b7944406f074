"""Same bytes in another environment: pandas.

gdpipe writes floats in shortest round-trip form and reads them back with Python's exact
parser, not pandas' (`pd.to_numeric` in pandas 3.0.6 reads 0.9400000000000001 as 0.94). So an
environment that differs from the pinned one only in its pandas release, inside pyproject.toml's
range, must make the same files: the pipeline is run with pandas 3.0.6 shadowing the pinned one
and compared with the shared default run, byte for byte.
"""

import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SMALL_LAB, artifacts, copy_project, environment

OTHER_PANDAS = "3.0.6"
# The figures' jobs read only tables the other jobs made; what they would draw differently is
# matplotlib's business, not pandas' parsing. Every table, checkpoint and metric is compared.
FIGURE_RULES = (
    "plot_surface",
    "plot_quadratic",
    "plot_linear",
    "lab_plot",
)


@pytest.mark.slow
def test_another_pandas_release_makes_the_same_files(default_run, tmp_path):
    if importlib.metadata.version("pandas") == OTHER_PANDAS:
        pytest.skip(f"the pinned pandas is {OTHER_PANDAS} already")
    shadow = tmp_path / "pandas"
    fetched = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(shadow),
            f"pandas=={OTHER_PANDAS}",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if fetched.returncode != 0:
        pytest.skip(f"pip could not fetch pandas {OTHER_PANDAS}: {fetched.stderr[-500:]}")
    project = copy_project(tmp_path / "project", SMALL_LAB)
    env = {**environment(), "PYTHONPATH": str(shadow)}  # Snakemake and every job import it
    run = subprocess.run(
        [
            str(Path(sys.executable).parent / "snakemake"),
            "--cores",
            "all",
            "--omit-from",
            *FIGURE_RULES,
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    # The jobs did run on the other pandas: their own records say so.
    record = json.loads((project / "results/provenance/split_data/linear.json").read_text())
    assert record["pandas"] == OTHER_PANDAS

    made, pinned = artifacts(project), artifacts(default_run)
    # Every data set, table, checkpoint and metrics file of the default run; no figure (the lab
    # summary's job draws its heatmap too), nor the report that shows them.
    drawn = ("results/plots/", "results/report.html")
    compared = sorted(name for name in made if not name.startswith(drawn))
    assert compared == sorted(name for name in pinned if not name.startswith(drawn))
    assert [name for name in compared if made[name] != pinned[name]] == []
