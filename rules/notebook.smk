# The notebook's three examples: data, split, descent or training, evaluation, figures, summary.


rule generate_data:
    input:
        code=code("generate_data"),
    output:
        out="data/{experiment}/dataset.csv",
    log:
        **logs("generate_data/{experiment}"),
    conda:
        "../envs/gdpipe.yaml"
    params:
        settings=settings("generate_data"),
    shell:
        command("generate_data", "--experiment {wildcards.experiment} --out {output.out}")


rule split_data:
    input:
        data="data/{experiment}/dataset.csv",
        code=code("split_data"),
    output:
        train="data/{experiment}/train.csv",
        test="data/{experiment}/test.csv",
    log:
        **logs("split_data/{experiment}"),
    conda:
        "../envs/gdpipe.yaml"
    params:
        settings=settings("split_data"),
    shell:
        command(
            "split_data",
            "--experiment {wildcards.experiment} --data {input.data} --train {output.train} --test"
            " {output.test}",
        )


rule descend:
    input:
        starts="data/surface/dataset.csv",
        code=code("descend"),
    output:
        trajectories="results/surface/trajectories.csv",
        history="results/surface/history.csv",
        metrics="results/metrics/surface.json",
    log:
        **logs("descend"),
    benchmark:
        "benchmarks/descend.tsv"
    conda:
        "../envs/gdpipe.yaml"
    threads: descent_threads(PARAMS.surface.n_starts)
    resources:
        gpu=GPU,
    params:
        settings=step_settings(PARAMS, "descend", "surface"),
    shell:
        command(
            "descend",
            "--starts {input.starts} --trajectories {output.trajectories} --history"
            " {output.history} --metrics {output.metrics}",
        )


rule train:
    input:
        train="data/{experiment}/train.csv",
        test="data/{experiment}/test.csv",
        code=code("train"),
    output:
        checkpoint="results/{experiment}/checkpoint.pt",
        history="results/{experiment}/history.csv",
    log:
        **logs("train/{experiment}"),
    benchmark:
        "benchmarks/train/{experiment}.tsv"
    conda:
        "../envs/gdpipe.yaml"
    resources:
        gpu=GPU,
    params:
        settings=settings("train"),
    shell:
        command(
            "train",
            "--experiment {wildcards.experiment} --train {input.train} --test {input.test} --checkpoint"
            " {output.checkpoint} --history {output.history}",
        )


rule evaluate:
    input:
        checkpoint="results/{experiment}/checkpoint.pt",
        train="data/{experiment}/train.csv",
        test="data/{experiment}/test.csv",
        code=code("evaluate"),
    output:
        metrics="results/metrics/{experiment}.json",
        predictions="results/{experiment}/predictions.csv",
    log:
        **logs("evaluate/{experiment}"),
    conda:
        "../envs/gdpipe.yaml"
    resources:
        gpu=GPU,
    params:
        settings=settings("evaluate"),
    shell:
        command(
            "evaluate",
            "--experiment {wildcards.experiment} --checkpoint {input.checkpoint} --train {input.train}"
            " --test {input.test} --metrics {output.metrics} --predictions {output.predictions}",
        )


# Each experiment's two figures, from its registry entry: one rule per experiment (plot_surface,
# plot_quadratic, plot_linear), since the figures' file names differ between experiments and
# Snakemake wants every output of a wildcard rule to carry the same wildcards.
for experiment in EXPERIMENTS.values():

    rule:
        name:
            f"plot_{experiment.name}"
        input:
            **experiment.plot_inputs,
            code=code("plot"),
        output:
            fit=experiment.figures[0].path,
            loss=experiment.figures[1].path,
        log:
            **logs(f"plot/{experiment.name}"),
        conda:
            "../envs/gdpipe.yaml"
        params:
            settings=step_settings(PARAMS, "plot", experiment.name),
            experiment=experiment.name,
            metrics=plot_metrics(experiment),
        # The command is a plain string: Snakemake evaluates `shell:` again when the job runs,
        # after the loop has moved on, so what differs between experiments comes in as params.
        shell:
            command(
                "plot",
                "--experiment {params.experiment} --table {input.table}{params.metrics} --history"
                " {input.history} --fit-plot {output.fit} --loss-plot {output.loss}",
            )


rule summarize:
    input:
        metrics=expand("results/metrics/{experiment}.json", experiment=list(EXPERIMENTS)),
        code=code("summarize"),
    output:
        csv="results/summary.csv",
        markdown="results/summary.md",
    log:
        **logs("summarize"),
    conda:
        "../envs/gdpipe.yaml"
    shell:
        command(
            "summarize",
            "--metrics {input.metrics} --csv {output.csv} --markdown {output.markdown}",
        )


NOTEBOOK_OUTPUTS = [
    *expand(rules.generate_data.output, experiment=list(EXPERIMENTS)),
    *expand(rules.split_data.output, experiment=TRAINED),
    *rules.descend.output,
    *expand([*rules.train.output, *rules.evaluate.output], experiment=TRAINED),
    *(figure.path for experiment in EXPERIMENTS.values() for figure in experiment.figures),
    *rules.summarize.output,
]
