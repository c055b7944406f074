# Shared by the rules files: code, params values and the command of a job.

import glob
import subprocess

import yaml

from gdpipe.experiments import EXPERIMENTS, TRAINED
from gdpipe.objectives import SURFACES
from gdpipe.pipeline import descent_threads, lab_figure_surfaces, run_jobs_with_this_python
from gdpipe.pipeline import step_settings
from gdpipe.report import contents

RESTORE_HINT = (
    "gdpipe: Snakemake removed the outputs of the failed jobs; once the cause is fixed, the next"
    " `snakemake --cores all` re-runs them (`dvc repro` restores the ones DVC has stored)."
)
GPU = 1 if PARAMS.device == "cuda" else 0
LAB = PARAMS.lab
LAB_FIGURES = lab_figure_surfaces(LAB)

run_jobs_with_this_python()


wildcard_constraints:
    experiment="|".join(EXPERIMENTS),
    surface="|".join(SURFACES),
    figure="paths|ecdf|basins|learning_rate",
    ext="png|gif",


# Every step's code: its script and the whole gdpipe package, as DVC's stages have it (a module
# edit re-runs every step; tooling lives outside the package, in bench/ and scripts/).
PACKAGE = sorted(glob.glob("gdpipe/**/*.py", recursive=True))


def code(script):
    return [f"scripts/{script}.py", *PACKAGE]


def settings(step, section=None):
    """The values of the keys `step` reads in the job's experiment (or `section`) and surface."""
    return lambda w: step_settings(PARAMS, step, section or w.experiment, w.get("surface"))


def logs(job):
    """A job's log and provenance record: Snakemake logs, which DVC does not track (a record
    names the machine: as an output it would make every stage look changed on another one)."""
    return dict(log=f"logs/{job}.log", provenance=f"results/provenance/{job}.json")


# The lab tables each lab figure reads besides the runs (which give each optimizer's best lr).
LAB_FIGURE_TABLES = dict(ecdf=["hits"], basins=[], learning_rate=["history"], paths=["paths"])


def lab_figure_inputs(wildcards):
    """The input function of the lab_plot rule: the tables its figure reads, by name."""
    tables = ["runs", *LAB_FIGURE_TABLES[wildcards.figure]]
    return {table: f"results/lab/{wildcards.surface}/{table}.csv" for table in tables}


def command(script, arguments):
    """A job's shell command, the same string as its DVC stage's `cmd`."""
    return (
        f"python -m scripts.{script} --params {PARAMS_FILE} {arguments}"
        " --log {log.log} --provenance {log.provenance}"
    )


def plot_metrics(experiment):
    """`--metrics <file>` for an experiment whose figures read its metrics, else nothing."""
    metrics = experiment.plot_inputs.get("metrics")
    return f" --metrics {metrics}" if metrics else ""


def hand_over(params_file, targets):
    """After a successful run: merge the jobs' provenance records into results/provenance.json,
    then `dvc commit` the outputs, so DVC's cache holds a copy of each and dvc.lock their
    hashes (unchanged when the bytes are). The commit is for params.yaml only (the file
    dvc.yaml's stages read) and for the targets built (all of them by default)."""
    records = sorted(glob.glob("results/provenance/**/*.json", recursive=True))
    merged = ["-m", "scripts.provenance", "--records", *records, "--out", "results/provenance.json"]
    subprocess.run([sys.executable, *merged, "--log", "logs/provenance.log"], check=True)
    if not os.path.isdir(".dvc") or params_file != "params.yaml":
        return
    if targets:  # dvc commit takes stages: the one writing each file Snakemake was asked for
        with open("dvc.yaml") as dvc_yaml:
            stages = yaml.safe_load(dvc_yaml)["stages"]
        writer = {out: name for name, stage in stages.items() for out in stage.get("outs", [])}
        targets = ["--with-deps", *sorted({writer.get(target, target) for target in targets})]
    stored = subprocess.run(
        [sys.executable, "-m", "dvc", "commit", "--force", "--quiet", *targets],
        capture_output=True,
        text=True,
    )
    if stored.returncode:
        print(
            f"gdpipe: the outputs are not stored in DVC ({stored.stderr.strip()}); after"
            " `python tools/make_dvc_yaml.py`, `dvc commit --force` stores them",
            file=sys.stderr,
        )
