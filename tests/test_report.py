"""The report a run makes: one self-contained page with every figure, the GIF and both summary
tables inline, each with its caption under it."""

import base64
import html
import re

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def _text(fragment: str) -> str:
    """The words of an HTML fragment: inline tags dropped, the others a space (table cells)."""
    inline = re.sub(r"</?(?:code|em|strong)>", "", fragment)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", inline)).split())


def test_the_report_shows_every_figure_and_table_with_its_caption(default_run):
    page = (default_run / "results/report.html").read_text()
    figures = sorted(
        path
        for path in (default_run / "results/plots").rglob("*")
        if path.suffix in (".png", ".gif")
    )
    assert len(figures) >= 10  # the small lab's too
    figure = r'<img src="data:[^"]+" alt="([^"]+)">\n<figcaption>(.*?)</figcaption>'
    shown = dict(re.findall(figure, page, re.S))
    # Every figure once, as its own bytes (embedded: the page opens offline), captioned.
    assert sorted(shown) == sorted(str(path.relative_to(default_run)) for path in figures)
    for path in figures:
        assert page.count(base64.b64encode(path.read_bytes()).decode()) == 1, path
    captions = {_text(caption) for caption in shown.values()}
    assert all(len(caption) >= 80 for caption in captions), "say what it shows, how to read it"
    # Both summary tables inline, every row of each.
    cells = _text(page)
    for table in ("results/summary.md", "results/lab/summary.md"):
        rows = [line for line in (default_run / table).read_text().splitlines() if line[:2] == "| "]
        assert len(rows) > 5
        for row in rows:
            assert " ".join(row.replace("|", " ").split()) in cells, (table, row)
    # Every caption file is shown; nothing loads from elsewhere.
    for caption in (ROOT / "report").glob("*.md"):
        assert _text(caption.read_text()).replace("`", "")[:60] in cells, caption.name
    assert re.findall(r'(?:src|href)="(?!data:|#)[^"]*"', page) == []
    # The figures come before the lab's table of every learning rate (hundreds of rows).
    assert page.rindex("<img ") < page.index("Every learning rate")
