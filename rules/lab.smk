# The optimizer lab: per surface, its starts, one job running every optimizer × lr × start, and
# its figures; then the summary and heatmap over every surface of lab.surfaces.


rule lab_starts:
    input:
        code=code("lab_starts"),
    output:
        out="data/lab/{surface}/starts.csv",
    log:
        **logs("lab_starts/{surface}"),
    conda:
        "../envs/gdpipe.yaml"
    params:
        settings=lab_settings("lab_starts"),
    shell:
        command("lab_starts", "--surface {wildcards.surface} --out {output.out}")


rule lab_run:
    input:
        starts="data/lab/{surface}/starts.csv",
        code=code("lab_run"),
    output:
        runs="results/lab/{surface}/runs.csv",
        hits="results/lab/{surface}/hits.csv",
        paths="results/lab/{surface}/paths.csv",
        history="results/lab/{surface}/history.csv",
    log:
        **logs("lab_run/{surface}"),
    benchmark:
        "benchmarks/lab_run/{surface}.tsv"
    conda:
        "../envs/gdpipe.yaml"
    threads: descent_threads(len(LAB.lrs) * LAB.n_starts)
    resources:
        gpu=GPU,
    params:
        settings=lab_settings("lab_run"),
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
    log:
        **logs("plot_lab_surface/{surface}"),
    conda:
        "../envs/gdpipe.yaml"
    params:
        settings=lab_settings("lab_plot"),
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
    log:
        **logs("plot_lab_basins/{surface}"),
    conda:
        "../envs/gdpipe.yaml"
    params:
        settings=lab_settings("lab_plot"),
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
    log:
        **logs("animate_lab_paths/{surface}"),
    conda:
        "../envs/gdpipe.yaml"
    params:
        settings=lab_settings("lab_plot"),
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
    log:
        **logs("plot_lab_learning_rate/{surface}"),
    conda:
        "../envs/gdpipe.yaml"
    params:
        settings=lab_settings("lab_plot"),
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
        markdown="results/lab/summary.md",
        metrics="results/metrics/lab.json",
    log:
        **logs("summarize_lab"),
    conda:
        "../envs/gdpipe.yaml"
    params:
        settings=lab_settings("lab_summary"),
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
    log:
        **logs("plot_lab_success"),
    conda:
        "../envs/gdpipe.yaml"
    params:
        settings=lab_settings("lab_heatmap"),
    shell:
        command("lab_plot", "--summary {input.summary} --heatmap {output.out}")
