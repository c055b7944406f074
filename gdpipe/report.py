"""The report: every figure and both summary tables with their captions (report/<name>.md) on one
HTML page that opens offline (images embedded) and holds no time (the same results, same bytes)."""

import base64
import html
from pathlib import Path

from markdown_it import MarkdownIt

from gdpipe.experiments import EXPERIMENTS
from gdpipe.pipeline import lab_figure_surfaces

CAPTIONS = "report"  # the folder of the captions, beside the Snakefile
MIME = {".png": "image/png", ".gif": "image/gif"}
# One lab surface's figures in order: file, caption, key in lab_figure_surfaces (None: always).
SURFACE_FIGURES = (
    ("paths.png", "lab_paths", None),
    ("paths.gif", "lab_paths_gif", "gif"),
    ("ecdf.png", "lab_ecdf", None),
    ("basins.png", "lab_basins", "basins"),
    ("learning_rate.png", "lab_learning_rate", "learning_rate"),
)
STYLE = """
body { font: 16px/1.5 system-ui, sans-serif; color: #222; max-width: 1200px; margin: auto;
       padding: 0 1em 3em; }
h2 { border-bottom: 1px solid #ccc; margin-top: 2em; }
nav a { margin-right: 1em; white-space: nowrap; }
figure { margin: 1.5em 0; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption, .caption { max-width: 60em; color: #333; }
.table { overflow-x: auto; }  /* every row shown; a table wider than the page scrolls */
table { border-collapse: collapse; font-size: 0.9em; margin: 0.5em 0; }
th, td { padding: 0.15em 0.7em; border-bottom: 1px solid #e4e4e4; white-space: nowrap; }
th { background: #f4f4f4; }
code { font-size: 0.95em; background: #f4f4f4; padding: 0 0.2em; }
"""

markdown = MarkdownIt("commonmark", {"html": False}).enable("table")


def contents(lab) -> dict[str, list[tuple[str, str]]]:
    """The page's sections in order: title -> its (figure or table, caption's name) pairs."""
    drawn = lab_figure_surfaces(lab)
    sections = {"Summary": [("results/summary.md", "summary")]}
    for e in EXPERIMENTS.values():
        sections[e.figures[0].category] = [(f.path, f.caption) for f in e.figures]
    sections["The lab"] = [("results/plots/lab/success.png", "lab_success")]
    for surface in lab.surfaces:
        sections[f"The lab: {surface}"] = [
            (f"results/plots/lab/{surface}/{name}", caption)
            for name, caption, only in SURFACE_FIGURES
            if only is None or surface in drawn[only]
        ]
    # Last: its every-learning-rate part runs to hundreds of rows (the nav jumps to it).
    sections["The lab: tables"] = [("results/lab/summary.md", "lab_summary")]
    return sections


def _markdown(text: str, shift: int = 0) -> str:
    """Markdown as HTML, its headings `shift` levels down (a table file's # under the page's h2)."""
    tokens = markdown.parse(text)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + shift, 6)}"
    return markdown.renderer.render(tokens, markdown.options, {})


def _item(name: str, caption_name: str, root: Path) -> str:
    path = root / name
    caption = _markdown((root / CAPTIONS / f"{caption_name}.md").read_text(encoding="utf-8"))
    if path.suffix == ".md":  # a table: its own headings under the section's
        table = _markdown(path.read_text(encoding="utf-8"), shift=2)
        return f'<div class="table">\n{table}<div class="caption">{caption}</div>\n</div>\n'
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    image = f'<img src="data:{MIME[path.suffix]};base64,{data}" alt="{html.escape(name)}">'
    return f"<figure>\n{image}\n<figcaption>{caption}</figcaption>\n</figure>\n"


def page(sections: dict[str, list[tuple[str, str]]], root: Path) -> str:
    """The whole page, with the files and captions read from under `root` (the project)."""
    anchors = {title: f"s{i}" for i, title in enumerate(sections)}
    nav = " ".join(f'<a href="#{anchors[t]}">{html.escape(t)}</a>' for t in sections)
    body = "".join(
        f'<h2 id="{anchors[title]}">{html.escape(title)}</h2>\n'
        + "".join(_item(*item, root) for item in items)
        for title, items in sections.items()
    )
    intro = _markdown((root / CAPTIONS / "intro.md").read_text(encoding="utf-8"))
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>gdpipe report</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        f"<h1>gdpipe report</h1>\n{intro}<nav>{nav}</nav>\n{body}</body>\n</html>\n"
    )
