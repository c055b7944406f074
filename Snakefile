"""gdpipe: the origin notebook's three gradient-descent experiments and the optimizer lab.

Settings come from params.yaml (or the one file given with --configfile). Each rule receives the
exact params keys its script reads as `params:` and its code (its script and the gdpipe package)
as `input:`, so Snakemake re-runs a job exactly when something it depends on changes. The rules
live in rules/*.smk by concern; their commands are the ones dvc.yaml runs.
"""

import os

from gdpipe.errors import ParamsError
from gdpipe.params import config_override_error, read_raw_params, validate_params

# One file holds every setting: the scripts read it themselves, so a `--config` override (which
# the scripts would never see) is refused rather than silently ignored. Validated before
# `configfile:` so that even a YAML syntax error gets gdpipe's message naming the file.
PARAMS_FILE = os.path.relpath((workflow.overwrite_configfiles or ["params.yaml"])[-1])
try:
    RAW_PARAMS = read_raw_params(PARAMS_FILE)
    PARAMS = validate_params(RAW_PARAMS, source=PARAMS_FILE)
except ParamsError as err:
    raise WorkflowError(str(err)) from None


configfile: PARAMS_FILE


if config != RAW_PARAMS:
    raise WorkflowError(config_override_error(config, RAW_PARAMS, PARAMS_FILE))


# Every output is flagged update(): Snakemake then keeps the previous file while a job runs and
# puts it back if the job fails (bad data, a kill), instead of deleting it up front. The scripts
# write each file atomically, so what survives is always a complete file from an earlier run.
#
# But Snakemake then records the failed job's params and code for the restored file (its issue
# #3808), so the next run would call the old file current. Marking the outputs of failed jobs
# incomplete undoes that: profiles/default sets rerun-incomplete, so the next `snakemake` re-runs
# them (and one run without that profile refuses until told --rerun-incomplete).


onerror:
    for job in workflow.scheduler.failed:
        workflow.persistence.started(job)


report: "report/workflow.rst"


include: "rules/common.smk"
include: "rules/notebook.smk"
include: "rules/lab.smk"
include: "rules/provenance.smk"


rule all:
    default_target: True
    input:
        "results/summary.md",
        "results/summary.csv",
        [figure.path for e in EXPERIMENTS.values() for figure in e.figures],
        "results/lab/summary.md",
        "results/lab/summary.csv",
        "results/metrics/lab.json",
        "results/plots/lab/success.png",
        "results/provenance.json",
        expand(
            "results/plots/lab/{surface}/{figure}.png",
            surface=LAB.surfaces,
            figure=("paths", "ecdf"),
        ),
        expand("results/plots/lab/{surface}/basins.png", surface=LAB_FIGURES["basins"]),
        expand("results/plots/lab/{surface}/paths.gif", surface=LAB_FIGURES["gif"]),
        expand(
            "results/plots/lab/{surface}/learning_rate.png",
            surface=LAB_FIGURES["learning_rate"],
        ),
