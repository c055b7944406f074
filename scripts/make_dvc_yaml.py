"""Write dvc.yaml from the Snakefile (one DVC stage per Snakemake job); --check only compares.

Then refresh dvc.lock with `dvc repro`. --list snakemake|dvc prints either side's job list as
JSON (what tests/test_dvc.py compares).
"""

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from gdpipe import dvcfile

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--project", type=Path, default=ROOT, help="project root (default: %(default)s)")
    p.add_argument("--snakefile", default="Snakefile", help="relative to the project root")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="exit 1 if dvc.yaml is out of date")
    mode.add_argument("--list", choices=["snakemake", "dvc"], help="print a job list as JSON")
    args = p.parse_args()
    target = args.project / dvcfile.DVC_YAML

    if args.list:
        jobs = (
            dvcfile.snakemake_jobs(args.project, args.snakefile)
            if args.list == "snakemake"
            else dvcfile.dvc_stages(args.project)
        )
        json.dump([dataclasses.asdict(job) for job in jobs], sys.stdout, indent=1)
        print()
        return 0

    text = dvcfile.generate(args.project, args.snakefile)
    if args.check:
        if not target.exists() or target.read_text() != text:
            print(f"{target} is out of date: run python scripts/make_dvc_yaml.py", file=sys.stderr)
            return 1
        return 0
    if not target.exists() or target.read_text() != text:
        target.write_text(text)
        print(f"wrote {target}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
