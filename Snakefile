"""gdpipe: the origin notebook's three gradient-descent experiments and the optimizer lab.

Settings come from params.yaml (or the one file given with --configfile). Each rule receives the
exact params keys its script reads as `params:` and its code (its script and the gdpipe package)
as `input:`, so Snakemake re-runs a job exactly when something it depends on changes. The rules
live in rules/*.smk by concern; their commands are the ones dvc.yaml runs.
"""

import os
import sys

from snakemake.logging import logger

from gdpipe.errors import ParamsError
from gdpipe.params import config_override_error, read_raw_params, validate_params
from gdpipe.pipeline import OneLineAJob

logger.addFilter(OneLineAJob())  # a line a finished job; profiles/default hides job blocks

# One file holds every setting: the scripts read it themselves, so a `--config` override (which
# the scripts would never see) is refused rather than silently ignored. Validated before
# `configfile:` so that even a YAML syntax error gets gdpipe's message naming the file.
PARAMS_FILE = os.path.relpath((workflow.overwrite_configfiles or ["params.yaml"])[-1])
try:
    RAW_PARAMS = read_raw_params(PARAMS_FILE)
    PARAMS = validate_params(RAW_PARAMS, source=PARAMS_FILE)
except ParamsError as err:  # the message alone: no Snakemake error block around it
    sys.exit(str(err))


configfile: PARAMS_FILE


if config != RAW_PARAMS:
    sys.exit(config_override_error(config, RAW_PARAMS, PARAMS_FILE))


# A successful run merges its jobs' provenance records and hands its outputs to DVC (`dvc
# commit`, see hand_over): DVC's cache then holds a copy of every file, so neither a failed
# Snakemake job (which removes its outputs, as any Snakemake job does) nor a failed `dvc repro`
# stage can lose the only one. A killed run leaves its jobs' outputs marked incomplete;
# profiles/default re-runs them.
onsuccess:
    hand_over(PARAMS_FILE, workflow.dag_settings.targets)


onerror:
    print(RESTORE_HINT, file=sys.stderr)


include: "rules/common.smk"
include: "rules/notebook.smk"
include: "rules/lab.smk"
include: "rules/report.smk"


# Every output of every job, not only the figures and tables at the end: a file that is gone
# (removed with its failed job, or by hand) is always made again, and what follows re-runs
# whenever its new bytes differ.
rule all:
    default_target: True
    input:
        NOTEBOOK_OUTPUTS,
        LAB_OUTPUTS,
        rules.report.output,
