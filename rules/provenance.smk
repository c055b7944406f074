# What every job ran on (the libraries it imported, CPU, torch device), merged over the jobs.
rule provenance:
    input:
        records=[
            *expand(rules.generate_data.output.provenance, experiment=list(EXPERIMENTS)),
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
            *expand(rules.plot_lab_basins.output.provenance, surface=LAB_FIGURES["basins"]),
            *expand(rules.animate_lab_paths.output.provenance, surface=LAB_FIGURES["gif"]),
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
        "../envs/gdpipe.yaml"
    shell:
        "python -m scripts.provenance --records {input.records} --out {output.metrics}"
        " --log {log}"
