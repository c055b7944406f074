# The optimizer lab: per surface, its starts, one job running every optimizer × lr × start, and
# one job per figure; then the summary and heatmap over every surface of lab.surfaces.


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
        settings=settings("lab_starts", "lab"),
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
        settings=settings("lab_run", "lab"),
    shell:
        command(
            "lab_run",
            "--surface {wildcards.surface} --starts {input.starts} --runs {output.runs} --hits"
            " {output.hits} --paths {output.paths} --history {output.history}",
        )


# One figure of one surface a job: paths, ecdf, basins or learning_rate .png, or paths.gif.
rule lab_plot:
    input:
        unpack(lab_figure_inputs),
        code=code("lab_plot"),
    output:
        out="results/plots/lab/{surface}/{figure}.{ext}",
    log:
        **logs("lab_plot/{surface}/{figure}_{ext}"),
    conda:
        "../envs/gdpipe.yaml"
    params:
        settings=settings("lab_plot", "lab"),
        tables=lambda wildcards, input: " ".join(
            f"--{table} {input[table]}" for table in lab_figure_inputs(wildcards)
        ),
    shell:
        command(
            "lab_plot",
            "--surface {wildcards.surface} --figure {wildcards.figure}.{wildcards.ext}"
            " {params.tables} --out {output.out}",
        )


rule lab_summary:
    input:
        runs=expand("results/lab/{surface}/runs.csv", surface=LAB.surfaces),
        code=code("lab_summary"),
    output:
        csv="results/lab/summary.csv",
        markdown="results/lab/summary.md",
        metrics="results/metrics/lab.json",
        heatmap="results/plots/lab/success.png",
    log:
        **logs("lab_summary"),
    conda:
        "../envs/gdpipe.yaml"
    params:
        settings=settings("lab_summary", "lab"),
    shell:
        command(
            "lab_summary",
            "--runs {input.runs} --csv {output.csv} --markdown {output.markdown} --metrics"
            " {output.metrics} --heatmap {output.heatmap}",
        )


LAB_OUTPUTS = [
    *expand([*rules.lab_starts.output, *rules.lab_run.output], surface=LAB.surfaces),
    *expand(rules.lab_plot.output, surface=LAB.surfaces, figure=["paths", "ecdf"], ext="png"),
    *expand(rules.lab_plot.output, surface=LAB_FIGURES["basins"], figure="basins", ext="png"),
    *expand(rules.lab_plot.output, surface=LAB_FIGURES["gif"], figure="paths", ext="gif"),
    *expand(
        rules.lab_plot.output,
        surface=LAB_FIGURES["learning_rate"],
        figure="learning_rate",
        ext="png",
    ),
    *rules.lab_summary.output,
]
