# The notebook's three examples: data, split, descent or training, evaluation, figures, summary.


rule generate_data:
    input:
        code=code("generate_data"),
    output:
        out=update("data/{experiment}/dataset.csv"),
        provenance=update("results/provenance/generate_data/{experiment}.json"),
    log:
        "logs/generate_data/{experiment}.log",
    conda:
        "../envs/gdpipe.yaml"
    params:
        settings=settings("generate"),
        file=PARAMS_FILE,
    shell:
        command("generate_data", "--experiment {wildcards.experiment} --out {output.out}")


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
        "../envs/gdpipe.yaml"
    params:
        settings=settings("split"),
        file=PARAMS_FILE,
    shell:
        command(
            "split_data",
            "--experiment {wildcards.model} --data {input.data} --train {output.train} --test"
            " {output.test}",
        )


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
        "../envs/gdpipe.yaml"
    threads: descent_threads(PARAMS.surface.n_starts)
    resources:
        gpu=GPU,
    params:
        settings=step_settings(PARAMS, "descend", "surface"),
        file=PARAMS_FILE,
    shell:
        command(
            "descend",
            "--starts {input.starts} --trajectories {output.trajectories} --history"
            " {output.history} --metrics {output.metrics}",
        )


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
        "../envs/gdpipe.yaml"
    resources:
        gpu=GPU,
    params:
        settings=settings("train"),
        file=PARAMS_FILE,
    shell:
        command(
            "train",
            "--experiment {wildcards.model} --train {input.train} --test {input.test} --checkpoint"
            " {output.checkpoint} --history {output.history}",
        )


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
        "../envs/gdpipe.yaml"
    resources:
        gpu=GPU,
    params:
        settings=settings("evaluate"),
        file=PARAMS_FILE,
    shell:
        command(
            "evaluate",
            "--experiment {wildcards.model} --checkpoint {input.checkpoint} --train {input.train}"
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
            fit=plot_figure(experiment, 0),
            loss=plot_figure(experiment, 1),
            provenance=update(f"results/provenance/plot/{experiment.name}.json"),
        log:
            f"logs/plot/{experiment.name}.log",
        conda:
            "../envs/gdpipe.yaml"
        params:
            settings=step_settings(PARAMS, "plot", experiment.name),
            file=PARAMS_FILE,
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
        csv=figure("results/summary.csv", "summary", "Summary", "the three examples"),
        markdown=update("results/summary.md"),
        provenance=update("results/provenance/summarize.json"),
    log:
        "logs/summarize.log",
    conda:
        "../envs/gdpipe.yaml"
    params:
        file=PARAMS_FILE,
    shell:
        command(
            "summarize",
            "--metrics {input.metrics} --csv {output.csv} --markdown {output.markdown}",
        )
