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
        "../envs/gdpipe.yaml"
    params:
        settings=lab_settings("lab_starts"),
        file=PARAMS_FILE,
    shell:
        command("lab_starts", "--surface {wildcards.surface} --out {output.out}")


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
        "../envs/gdpipe.yaml"
    threads: descent_threads(len(LAB.lrs) * LAB.n_starts)
    resources:
        gpu=GPU,
    params:
        settings=lab_settings("lab_run"),
        file=PARAMS_FILE,
    shell:
        command(
            "lab_run",
            "--surface {wildcards.surface} --starts {input.starts} --runs {output.runs} --hits"
            " {output.hits} --paths {output.paths} --history {output.history}",
        )


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
        ecdf=figure("results/plots/lab/{surface}/ecdf.png", "lab_ecdf", "The lab", "{surface}"),
        provenance=update("results/provenance/plot_lab_surface/{surface}.json"),
    log:
        "logs/plot_lab_surface/{surface}.log",
    conda:
        "../envs/gdpipe.yaml"
    params:
        settings=lab_settings("lab_plot"),
        file=PARAMS_FILE,
    shell:
        command(
            "lab_plot",
            "--surface {wildcards.surface} --runs {input.runs} --hits {input.hits} --paths"
            " {input.paths} --paths-plot {output.paths} --ecdf-plot {output.ecdf}",
        )


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
        "../envs/gdpipe.yaml"
    params:
        settings=lab_settings("lab_plot"),
        file=PARAMS_FILE,
    shell:
        command(
            "lab_plot",
            "--surface {wildcards.surface} --runs {input.runs} --basins-plot {output.out}",
        )


rule animate_lab_paths:
    input:
        runs="results/lab/{surface}/runs.csv",
        paths="results/lab/{surface}/paths.csv",
        code=code("lab_plot"),
    output:
        out=figure("results/plots/lab/{surface}/paths.gif", "lab_gif", "The lab", "{surface}"),
        provenance=update("results/provenance/animate_lab_paths/{surface}.json"),
    log:
        "logs/animate_lab_paths/{surface}.log",
    conda:
        "../envs/gdpipe.yaml"
    params:
        settings=lab_settings("lab_plot"),
        file=PARAMS_FILE,
    shell:
        command(
            "lab_plot",
            "--surface {wildcards.surface} --runs {input.runs} --paths {input.paths} --gif"
            " {output.out}",
        )


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
        "../envs/gdpipe.yaml"
    params:
        settings=lab_settings("lab_plot"),
        file=PARAMS_FILE,
        optimizer=LAB_LR_OPTIMIZER,
    shell:
        command(
            "lab_plot",
            "--surface {wildcards.surface} --runs {input.runs} --history {input.history}"
            " --optimizer {params.optimizer} --lr-plot {output.out}",
        )


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
        "../envs/gdpipe.yaml"
    params:
        settings=lab_settings("lab_summary"),
        file=PARAMS_FILE,
    shell:
        command(
            "lab_summary",
            "--runs {input.runs} --csv {output.csv} --markdown {output.markdown} --metrics"
            " {output.metrics}",
        )


rule plot_lab_success:
    input:
        summary="results/lab/summary.csv",
        code=code("lab_plot"),
    output:
        out=figure("results/plots/lab/success.png", "lab_success", "The lab", "all surfaces"),
        provenance=update("results/provenance/plot_lab_success.json"),
    log:
        "logs/plot_lab_success.log",
    conda:
        "../envs/gdpipe.yaml"
    params:
        settings=lab_settings("lab_heatmap"),
        file=PARAMS_FILE,
    shell:
        command("lab_plot", "--summary {input.summary} --heatmap {output.out}")
