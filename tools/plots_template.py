"""Make this clone's `dvc plots show` / `diff` work offline (DVC's page loads Vega from a CDN):
`python tools/plots_template.py` once; the template carries Snakemake's copies of Vega inline."""

import subprocess
import sys
from pathlib import Path

import snakemake

ASSETS = Path(snakemake.__file__).parent / "assets" / "data"
LIBRARIES = ("vega/vega.js", "vega-lite/vega-lite.js", "vega-embed/vega-embed.js")
TEMPLATE = Path(".dvc/tmp/plots_offline.html")  # .dvc/tmp is DVC's own, never in Git


def page() -> str:
    scripts = "\n".join(f"<script>{(ASSETS / name).read_text()}</script>" for name in LIBRARIES)
    # {plot_divs} is DVC's placeholder; without {scripts}, DVC adds no CDN links.
    return (
        "<!DOCTYPE html>\n<html>\n<head>\n<meta charset='utf-8'>\n<title>DVC Plot</title>\n"
        f"{scripts}\n<style>table {{ border-spacing: 15px; }}</style>\n</head>\n"
        "<body>\n{plot_divs}\n</body>\n</html>\n"
    )


def main() -> None:
    TEMPLATE.parent.mkdir(parents=True, exist_ok=True)
    TEMPLATE.write_text(page())
    config = ["dvc", "config", "--local", "plots.html_template", str(TEMPLATE.resolve())]
    subprocess.run([sys.executable, "-m", *config], check=True)
    print(f"wrote {TEMPLATE}; dvc plots show and dvc plots diff now use it", file=sys.stderr)


if __name__ == "__main__":
    main()
