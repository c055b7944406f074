"""Benchmark gdpipe against the notebook's own code, side by side in one run.

    python -m bench --out bench.csv [--device cpu|cuda] [--cases descent sweep ...]

Run it in the project folder. It prints a table and writes it as CSV with the columns
case,size,dtype,device,baseline_per_s,per_s,ratio,compile_s,engine,peak_mib,note. Each row is
measured in a fresh Python process (the descent rows share one, smallest first, so torch and
the compiler start once): the row's code first (peak_mib is that process's peak resident
memory then, interpreter and torch included), then the baseline, and the row fails unless both
gave the same numbers. Timings are medians of 3 runs where one run takes under 5 s, else one.

The descent rows all run sincos, plain GD at the notebook's rate, 100 steps, from the notebook's
float64 starts, against the notebook's numpy loop (`X = X - lr * gradiente(X)`, keeping every
position as it did); units: point-steps/s; each must end where the notebook's loop does (float64
to 1e-12):
- descent / descent_eager: gdpipe's `descend` with the fused / eager engine and the lab's
  summaries (11 targets, 8 paths), at its steady pace; compile_s: the fused engine's first call
  (2 steps), its compile included, after the earlier rows of the process.
- descent_auto: the pipeline's own job, `python -m scripts.descend`, on these starts: process
  start, imports, reading the starts, whichever engine `auto` picks (engine; its compile in
  compile_s, from the job's log) and the tables written, timed whole. float64, as the pipeline.
- torch_compile, jax: what a user might write instead, the bare update (no summaries) as
  `torch.compile` of one step per call, and JAX's `jit` of a `lax.fori_loop` over the steps
  (jax_enable_x64 for float64; `pip install -e '.[bench]'`, else the row says "not installed");
  compile_s: the first call's compile.
- sweep: 64 learning rates in one `descend` against 64 separate calls; identical per-lr results.
- sweep_auto: the lab's own job, `python -m scripts.lab_run`, on sincos with plain GD at those
  64 rates, timed whole as descent_auto is, against the same 64 separate calls; its runs table
  must hold their final positions, bit for bit.
- per_sample: Example 3 with batch_size 1, the notebook's loop against `train_linear`, same data
  and initial weights; identical final weights; units: samples/s (1/s = time per epoch × size).
- data_scale: Example 3's linear regression on 10 million samples, batches of 1,000, one epoch;
  no baseline; units: samples/s.
- pipeline (case) gives the rows pipeline_cold / pipeline_noop / pipeline_change:
  `snakemake --cores all` on a copy of the project with the default params, from nothing,
  again, and after `linear.lr` changes; the baseline is `python -c "import torch"`; units:
  runs/s. pipeline_dvc, asked for by name (2 to 3 minutes), gives the same rows for `dvc repro`
  (dtype column).

With pipeline_dvc it also prints the start-up of each job (the interpreter and its
script's imports, from the job's log, median over a rule's jobs in the cold `dvc repro`, which
runs one job at a time) against `import torch`, and which of torch, scikit-learn, matplotlib and
pandas the jobs imported; `--out bench.csv` writes that table to bench-startup.csv.

Modules: `cases` (the in-process rows and the notebook's code they compare with), `pipeline`
(whole pipeline runs and each job's start-up), `run` (the driver and its table); `kernels` and
`lab_memory` are benchmarks of their own (`python -m bench.kernels`,
`python -m bench.lab_memory`).
Tooling, not the pipeline: nothing here is a pipeline step's code, so editing it re-runs nothing.
"""
