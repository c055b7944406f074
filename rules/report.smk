# The report: every figure, the GIF and both summary tables with their captions on one page.
rule report:
    input:
        results=[path for items in contents(LAB).values() for path, _ in items],
        captions=sorted(glob.glob("report/*.md")),
        code=code("report"),
    output:
        "results/report.html",
    log:
        **logs("report"),
    conda:
        "../envs/gdpipe.yaml"
    params:
        settings=settings("report", "lab"),
    shell:
        command("report", "--out {output}")
