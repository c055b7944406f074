"""gdpipe: the origin notebook's three gradient-descent experiments as one seeded pipeline.

Settings come from params.yaml (or the one file given with --configfile). Each rule receives the
exact params keys its script reads as `params:` and its code as `input:`, so Snakemake re-runs a
job exactly when something it depends on changes. The commands are the ones dvc.yaml runs.
"""

import dataclasses
import glob
import os

from gdpipe.errors import ParamsError
from gdpipe.experiments import EXPERIMENTS, TRAINED
from gdpipe.params import config_override_error, read_raw_params, validate_params
from gdpipe.objectives import SURFACES
from gdpipe.pipeline import (
    LAB_LR_OPTIMIZER,
    descent_threads,
    lab_figure_surfaces,
    run_jobs_with_this_python,
    step_settings,
)

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
GPU = 1 if PARAMS.device == "cuda" else 0
LAB = PARAMS.lab
LAB_FIGURES = lab_figure_surfaces(LAB)

run_jobs_with_this_python()

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


def figure(path, caption, category, subcategory):
    """An output shown in `snakemake --report results/report.html` with report/<caption>.rst."""
    shown = dict(
        caption=f"report/{caption}.rst", category=category, subcategory=subcategory
    )
    return update(report(path, **shown))


wildcard_constraints:
    experiment="|".join(EXPERIMENTS),
    model="|".join(TRAINED),
    surface="|".join(SURFACES),


# Every step's code: its script and the whole gdpipe package, as DVC's stages have it (a module
# edit re-runs every step; tooling lives outside the package, in bench/ and scripts/).
PACKAGE = sorted(glob.glob("gdpipe/**/*.py", recursive=True))


def code(script):
    return [f"scripts/{script}.py", *PACKAGE]


def settings(step):
    """Input function: the values of the params keys `step` reads for this job's experiment."""

    def of_job(wildcards):
        experiment = wildcards.get("experiment") or wildcards.get("model")
        return step_settings(PARAMS, step, experiment)

    return of_job


def lab_settings(step):
    """Input function: the values of the lab keys `step` reads for this job's surface."""

    def of_job(wildcards):
        return step_settings(PARAMS, step, "lab", wildcards.get("surface"))

    return of_job


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


rule generate_data:
    input:
        code=code("generate_data"),
    output:
        out=update("data/{experiment}/dataset.csv"),
        provenance=update("results/provenance/generate_data/{experiment}.json"),
    log:
        "logs/generate_data/{experiment}.log",
    conda:
        "envs/gdpipe.yaml"
    params:
        settings=settings("generate"),
        file=PARAMS_FILE,
    shell:
        "python -m scripts.generate_data --params {params.file} --experiment {wildcards.experiment}"
        " --out {output.out} --log {log}"
        " --provenance {output.provenance}"


rule split_data:
    input:
        data="data/{model}/dataset.csv",
        code=code("split_data"),
    output:
        train=update("data/{model}/train.csv"),
        test=update("data/{model}/test.csv"),
        provenance=update("results/provenance/split_data/{model}.json"),
    log:
        "logs/split_data/{model}.log",
    conda:
        "envs/gdpipe.yaml"
    params:
        settings=settings("split"),
        file=PARAMS_FILE,
    shell:
        "python -m scripts.split_data --params {params.file} --experiment {wildcards.model}"
        " --data {input.data} --train {output.train} --test {output.test} --log {log}"
        " --provenance {output.provenance}"


rule descend_surface:
    input:
        starts="data/surface/dataset.csv",
        code=code("descend"),
    output:
        trajectories=update("results/surface/trajectories.csv"),
        history=update("results/surface/history.csv"),
        metrics=update("results/metrics/surface.json"),
        provenance=update("results/provenance/descend_surface.json"),
    log:
        "logs/descend_surface.log",
    benchmark:
        "benchmarks/descend_surface.tsv"
    conda:
        "envs/gdpipe.yaml"
    threads: descent_threads(PARAMS.surface.n_starts)
    resources:
        gpu=GPU,
    params:
        settings=step_settings(PARAMS, "descend", "surface"),
        file=PARAMS_FILE,
    shell:
        "python -m scripts.descend --params {params.file} --starts {input.starts}"
        " --trajectories {output.trajectories} --history {output.history}"
        " --metrics {output.metrics} --log {log}"
        " --provenance {output.provenance}"


rule train_model:
    input:
        train="data/{model}/train.csv",
        test="data/{model}/test.csv",
        code=code("train"),
    output:
        checkpoint=update("results/{model}/checkpoint.pt"),
        history=update("results/{model}/history.csv"),
        provenance=update("results/provenance/train_model/{model}.json"),
    log:
        "logs/train_model/{model}.log",
    benchmark:
        "benchmarks/train_model/{model}.tsv"
    conda:
        "envs/gdpipe.yaml"
    resources:
        gpu=GPU,
    params:
        settings=settings("train"),
        file=PARAMS_FILE,
    shell:
        "python -m scripts.train --params {params.file} --experiment {wildcards.model}"
        " --train {input.train} --test {input.test} --checkpoint {output.checkpoint}"
        " --history {output.history} --log {log}"
        " --provenance {output.provenance}"


rule evaluate_model:
    input:
        checkpoint="results/{model}/checkpoint.pt",
        train="data/{model}/train.csv",
        test="data/{model}/test.csv",
        code=code("evaluate"),
    output:
        metrics=update("results/metrics/{model}.json"),
        predictions=update("results/{model}/predictions.csv"),
        provenance=update("results/provenance/evaluate_model/{model}.json"),
    log:
        "logs/evaluate_model/{model}.log",
    conda:
        "envs/gdpipe.yaml"
    resources:
        gpu=GPU,
    params:
        settings=settings("evaluate"),
        file=PARAMS_FILE,
    shell:
        "python -m scripts.evaluate --params {params.file} --experiment {wildcards.model}"
        " --checkpoint {input.checkpoint} --train {input.train} --test {input.test}"
        " --metrics {output.metrics} --predictions {output.predictions} --log {log}"
        " --provenance {output.provenance}"


# Each experiment's two figures, from its registry entry: one rule per experiment (plot_surface,
# plot_quadratic, plot_linear), since the figures' file names differ between experiments and
# Snakemake wants every output of a wildcard rule to carry the same wildcards.
def plot_metrics(experiment):
    """`--metrics <file>` for an experiment whose figures read its metrics, else nothing."""
    metrics = experiment.plot_inputs.get("metrics")
    return f" --metrics {metrics}" if metrics else ""


def plot_figure(experiment, index):
    """The experiment's fit (0) or loss (1) figure as a report output."""
    shown = experiment.figures[index]
    section = getattr(PARAMS, experiment.name)
    subcategory = shown.subcategory.format(**dataclasses.asdict(section))
    return figure(shown.path, shown.caption, shown.category, subcategory)


for experiment in EXPERIMENTS.values():

    rule:
        name:
            f"plot_{experiment.name}"
        input:
            **experiment.plot_inputs,
            code=code("plot"),
        output:
            fit=plot_figure(experiment, 0),
            loss=plot_figure(experiment, 1),
            provenance=update(f"results/provenance/plot/{experiment.name}.json"),
        log:
            f"logs/plot/{experiment.name}.log",
        conda:
            "envs/gdpipe.yaml"
        params:
            settings=step_settings(PARAMS, "plot", experiment.name),
            file=PARAMS_FILE,
            experiment=experiment.name,
            metrics=plot_metrics(experiment),
        # The command is a plain string: Snakemake evaluates `shell:` again when the job runs,
        # after the loop has moved on, so what differs between experiments comes in as params.
        shell:
            "python -m scripts.plot --params {params.file} --experiment {params.experiment}"
            " --table {input.table}{params.metrics} --history {input.history}"
            " --fit-plot {output.fit} --loss-plot {output.loss} --log {log}"
            " --provenance {output.provenance}"


rule summarize:
    input:
        metrics=expand(
            "results/metrics/{experiment}.json", experiment=list(EXPERIMENTS)
        ),
        code=code("summarize"),
    output:
        csv=figure("results/summary.csv", "summary", "Summary", "the three examples"),
        markdown=update("results/summary.md"),
        provenance=update("results/provenance/summarize.json"),
    log:
        "logs/summarize.log",
    conda:
        "envs/gdpipe.yaml"
    params:
        file=PARAMS_FILE,
    shell:
        "python -m scripts.summarize --params {params.file} --metrics {input.metrics}"
        " --csv {output.csv} --markdown {output.markdown} --log {log}"
        " --provenance {output.provenance}"


# The optimizer lab: per surface, its starts, one job running every optimizer × lr × start, and
# its figures; then the summary and heatmap over every surface of lab.surfaces.


rule lab_starts:
    input:
        code=code("lab_starts"),
    output:
        out=update("data/lab/{surface}/starts.csv"),
        provenance=update("results/provenance/lab_starts/{surface}.json"),
    log:
        "logs/lab_starts/{surface}.log",
    conda:
        "envs/gdpipe.yaml"
    params:
        settings=lab_settings("lab_starts"),
        file=PARAMS_FILE,
    shell:
        "python -m scripts.lab_starts --params {params.file} --surface {wildcards.surface}"
        " --out {output.out} --log {log}"
        " --provenance {output.provenance}"


rule lab_run:
    input:
        starts="data/lab/{surface}/starts.csv",
        code=code("lab_run"),
    output:
        runs=update("results/lab/{surface}/runs.csv"),
        hits=update("results/lab/{surface}/hits.csv"),
        paths=update("results/lab/{surface}/paths.csv"),
        history=update("results/lab/{surface}/history.csv"),
        provenance=update("results/provenance/lab_run/{surface}.json"),
    log:
        "logs/lab_run/{surface}.log",
    benchmark:
        "benchmarks/lab_run/{surface}.tsv"
    conda:
        "envs/gdpipe.yaml"
    threads: descent_threads(len(LAB.lrs) * LAB.n_starts)
    resources:
        gpu=GPU,
    params:
        settings=lab_settings("lab_run"),
        file=PARAMS_FILE,
    shell:
        "python -m scripts.lab_run --params {params.file} --surface {wildcards.surface}"
        " --starts {input.starts} --runs {output.runs} --hits {output.hits}"
        " --paths {output.paths} --history {output.history} --log {log}"
        " --provenance {output.provenance}"


rule plot_lab_surface:
    input:
        runs="results/lab/{surface}/runs.csv",
        hits="results/lab/{surface}/hits.csv",
        paths="results/lab/{surface}/paths.csv",
        code=code("lab_plot"),
    output:
        paths=figure(
            "results/plots/lab/{surface}/paths.png",
            "lab_paths",
            "The lab",
            "{surface}",
        ),
        ecdf=figure(
            "results/plots/lab/{surface}/ecdf.png", "lab_ecdf", "The lab", "{surface}"
        ),
        provenance=update("results/provenance/plot_lab_surface/{surface}.json"),
    log:
        "logs/plot_lab_surface/{surface}.log",
    conda:
        "envs/gdpipe.yaml"
    params:
        settings=lab_settings("lab_plot"),
        file=PARAMS_FILE,
    shell:
        "python -m scripts.lab_plot --params {params.file} --surface {wildcards.surface}"
        " --runs {input.runs} --hits {input.hits} --paths {input.paths}"
        " --paths-plot {output.paths} --ecdf-plot {output.ecdf} --log {log}"
        " --provenance {output.provenance}"


rule plot_lab_basins:
    input:
        runs="results/lab/{surface}/runs.csv",
        code=code("lab_plot"),
    output:
        out=figure(
            "results/plots/lab/{surface}/basins.png",
            "lab_basins",
            "The lab",
            "{surface}",
        ),
        provenance=update("results/provenance/plot_lab_basins/{surface}.json"),
    log:
        "logs/plot_lab_basins/{surface}.log",
    conda:
        "envs/gdpipe.yaml"
    params:
        settings=lab_settings("lab_plot"),
        file=PARAMS_FILE,
    shell:
        "python -m scripts.lab_plot --params {params.file} --surface {wildcards.surface}"
        " --runs {input.runs} --basins-plot {output.out} --log {log}"
        " --provenance {output.provenance}"


rule animate_lab_paths:
    input:
        runs="results/lab/{surface}/runs.csv",
        paths="results/lab/{surface}/paths.csv",
        code=code("lab_plot"),
    output:
        out=figure(
            "results/plots/lab/{surface}/paths.gif", "lab_gif", "The lab", "{surface}"
        ),
        provenance=update("results/provenance/animate_lab_paths/{surface}.json"),
    log:
        "logs/animate_lab_paths/{surface}.log",
    conda:
        "envs/gdpipe.yaml"
    params:
        settings=lab_settings("lab_plot"),
        file=PARAMS_FILE,
    shell:
        "python -m scripts.lab_plot --params {params.file} --surface {wildcards.surface}"
        " --runs {input.runs} --paths {input.paths} --gif {output.out} --log {log}"
        " --provenance {output.provenance}"


rule plot_lab_learning_rate:
    input:
        runs="results/lab/{surface}/runs.csv",
        history="results/lab/{surface}/history.csv",
        code=code("lab_plot"),
    output:
        out=figure(
            "results/plots/lab/{surface}/learning_rate.png",
            "lab_learning_rate",
            "The lab",
            "{surface}",
        ),
        provenance=update("results/provenance/plot_lab_learning_rate/{surface}.json"),
    log:
        "logs/plot_lab_learning_rate/{surface}.log",
    conda:
        "envs/gdpipe.yaml"
    params:
        settings=lab_settings("lab_plot"),
        file=PARAMS_FILE,
        optimizer=LAB_LR_OPTIMIZER,
    shell:
        "python -m scripts.lab_plot --params {params.file} --surface {wildcards.surface}"
        " --runs {input.runs} --history {input.history} --optimizer {params.optimizer}"
        " --lr-plot {output.out} --log {log}"
        " --provenance {output.provenance}"


rule summarize_lab:
    input:
        runs=expand("results/lab/{surface}/runs.csv", surface=LAB.surfaces),
        code=code("lab_summary"),
    output:
        csv=figure("results/lab/summary.csv", "lab_summary", "Summary", "the lab"),
        markdown=update("results/lab/summary.md"),
        metrics=update("results/metrics/lab.json"),
        provenance=update("results/provenance/summarize_lab.json"),
    log:
        "logs/summarize_lab.log",
    conda:
        "envs/gdpipe.yaml"
    params:
        settings=lab_settings("lab_summary"),
        file=PARAMS_FILE,
    shell:
        "python -m scripts.lab_summary --params {params.file} --runs {input.runs}"
        " --csv {output.csv} --markdown {output.markdown} --metrics {output.metrics} --log {log}"
        " --provenance {output.provenance}"


rule plot_lab_success:
    input:
        summary="results/lab/summary.csv",
        code=code("lab_plot"),
    output:
        out=figure(
            "results/plots/lab/success.png", "lab_success", "The lab", "all surfaces"
        ),
        provenance=update("results/provenance/plot_lab_success.json"),
    log:
        "logs/plot_lab_success.log",
    conda:
        "envs/gdpipe.yaml"
    params:
        settings=lab_settings("lab_heatmap"),
        file=PARAMS_FILE,
    shell:
        "python -m scripts.lab_plot --params {params.file} --summary {input.summary}"
        " --heatmap {output.out} --log {log}"
        " --provenance {output.provenance}"


# What every job ran on (the libraries it imported, CPU, torch device), merged over the jobs.
rule provenance:
    input:
        records=[
            *expand(
                rules.generate_data.output.provenance, experiment=list(EXPERIMENTS)
            ),
            *expand(rules.split_data.output.provenance, model=TRAINED),
            rules.descend_surface.output.provenance,
            *expand(rules.train_model.output.provenance, model=TRAINED),
            *expand(rules.evaluate_model.output.provenance, model=TRAINED),
            *expand(
                "results/provenance/plot/{experiment}.json",
                experiment=list(EXPERIMENTS),
            ),
            rules.summarize.output.provenance,
            *expand(rules.lab_starts.output.provenance, surface=LAB.surfaces),
            *expand(rules.lab_run.output.provenance, surface=LAB.surfaces),
            *expand(rules.plot_lab_surface.output.provenance, surface=LAB.surfaces),
            *expand(
                rules.plot_lab_basins.output.provenance, surface=LAB_FIGURES["basins"]
            ),
            *expand(
                rules.animate_lab_paths.output.provenance, surface=LAB_FIGURES["gif"]
            ),
            *expand(
                rules.plot_lab_learning_rate.output.provenance,
                surface=LAB_FIGURES["learning_rate"],
            ),
            rules.summarize_lab.output.provenance,
            rules.plot_lab_success.output.provenance,
        ],
        code=code("provenance"),
    output:
        metrics=update("results/provenance.json"),
    log:
        "logs/provenance.log",
    conda:
        "envs/gdpipe.yaml"
    shell:
        "python -m scripts.provenance --records {input.records} --out {output.metrics}"
        " --log {log}"
