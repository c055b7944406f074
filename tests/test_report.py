"""`snakemake --report` after a run: every figure and summary table, each with its caption."""

import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import snakemake

pytestmark = pytest.mark.slow

# The report's index of results: "path": {"name": ..., ..., "caption": "<rendered RST>", ...}
RESULT = re.compile(
    r'"(results/[^"]+)": \{"name": "[^"]*", "filename": "[^"]*", "labels": [^,]*, '
    r'"size": "[^"]*", "caption": "((?:[^"\\]|\\.)*)"'
)


def test_the_report_shows_every_figure_and_summary_with_a_caption(default_run, tmp_path):
    run = shutil.copytree(default_run, tmp_path / "project")  # the shared run stays untouched
    report = tmp_path / "report.html"
    snakemake(run, "--report", str(report))
    shown = dict(RESULT.findall(report.read_text()))
    figures = {
        str(path.relative_to(default_run))
        for path in (default_run / "results/plots").rglob("*")
        if path.suffix in (".png", ".gif")
    }
    assert len(figures) >= 10  # the small lab's too
    assert set(shown) == figures | {"results/summary.csv", "results/lab/summary.csv"}
    empty = [path for path, caption in shown.items() if len(caption) < 80]
    assert empty == [], "captions say what a figure shows and how to read it"
    # Captions are read from report/<name>.rst: each file there, and each branch of one that
    # picks its text by the job's wildcards (Jinja tags), is some result's caption.
    captions = " ".join(shown.values()).replace("\\n", " ")
    for rst in Path("report").glob("*.rst"):
        if rst.stem != "workflow":
            for text in re.split(r"\{[%#].*?[%#]\}", rst.read_text()):
                if text.strip():
                    assert " ".join(text.split()[:4]) in captions, rst.name
