"""Library behaviour of the streaming engine: batches, divergence, targets, summaries, errors."""

import dataclasses
import math
import os
import subprocess
import sys

import pytest
import torch

from gdpipe import descent, provenance
from gdpipe.descent import descend
from gdpipe.objectives import get_surface
from gdpipe.optimizers import OPTIMIZERS, get_optimizer, hyperparameters
from tests.test_optimizers import HYPERS

F64 = torch.float64
PER_START = ("first_hit", "diverged_step", "final", "final_value")  # (K, N, ...)
PER_ROW = ("mean_value", "min_value", "path_positions", "path_values")  # (S+1, K, ...)


def _starts(n: int, low: float, high: float, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return low + (high - low) * torch.rand(n, 2, generator=g, dtype=F64)


def _row(result, k: int) -> dict:
    """Every output of learning rate k, as a run with that rate alone would shape it."""
    out = {name: getattr(result, name)[k : k + 1] for name in PER_START}
    return out | {name: getattr(result, name)[:, k : k + 1] for name in PER_ROW}


def _assert_identical(a: dict, b: dict):
    for name in a:
        assert torch.equal(a[name].nan_to_num(7.0), b[name].nan_to_num(7.0)), name


TUNED = HYPERS["tuned"]  # every hyperparameter off its default


def _bound(optimizer: str, hyper: dict):
    """The optimizer bound to the keys of hyper it reads."""
    return get_optimizer(
        optimizer, **{k: v for k, v in hyper.items() if k in hyperparameters(optimizer)}
    )


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("name", ["sincos", "himmelblau"])
def test_a_batch_of_rates_is_the_rates_one_at_a_time(name, optimizer):
    starts = _starts(37, *get_surface(name).domain)  # odd N: rows do not align with vector lanes
    lrs = torch.tensor([1e-3, 1e-2, 0.05], dtype=F64)
    run = {"targets": [10.0, 1e-2, 1e-6], "n_paths": 5}
    batch = descend(name, _bound(optimizer, TUNED), starts, lrs, 120, **run)
    for k in range(len(lrs)):
        alone = descend(name, _bound(optimizer, TUNED), starts, lrs[k : k + 1], 120, **run)
        _assert_identical(_row(batch, k), _row(alone, 0))


@pytest.mark.parametrize("n", [37, 3])
def test_tiles_of_rates_and_blocks_of_starts_change_no_bit(n, monkeypatch):
    # Past BLOCK points a CPU runs tiles of rates × starts on its threads, and the mean adds up
    # blocks of BLOCK starts: BLOCK shrunk to 8 makes them many and uneven (5 × 5 tiles of one
    # rate at n = 37, tiles of two rates at n = 3), every start tracked across the blocks.
    starts, lrs = _starts(n, -5.0, 5.0), torch.tensor([1e-3, 1e-2, 2e-2, 3e-2, 0.05], dtype=F64)
    run = {"targets": [10.0, 1.0, 0.1], "n_paths": n}
    whole = descend("himmelblau", "momentum", starts, lrs, 40, **run)  # one tile, one block
    monkeypatch.setattr(descent, "BLOCK", 8)
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        tiled = descend("himmelblau", "momentum", starts, lrs, 40, **run)
        alone = [
            descend("himmelblau", "momentum", starts, lrs[k : k + 1], 40, **run) for k in range(5)
        ]
    finally:
        torch.set_num_threads(before)
    # some starts leave mid-run and drop out of the sums, the others stay
    assert (tiled.diverged_step > 0).any()
    assert (tiled.diverged_step == -1).any()
    for k in range(5):
        _assert_identical(_row(tiled, k), _row(alone[k], 0))
    same = {name: getattr(whole, name) for name in (*PER_START, *PER_ROW) if name != "mean_value"}
    _assert_identical(same, {name: getattr(tiled, name) for name in same})
    values = tiled.path_values.nan_to_num(0.0)  # every start's value at every step
    counts = tiled.path_values.isfinite().sum(-1)
    mean = values.sum(-1) / counts  # NaN where no start is left
    torch.testing.assert_close(tiled.mean_value, mean, rtol=1e-14, atol=1e-15, equal_nan=True)


def _others(result, j: int, step: int) -> dict:
    """The outputs with start j taken out; the means and minima from its divergence on."""
    keep = [i for i in range(result.first_hit.shape[1]) if i != j]
    out = {name: getattr(result, name)[:, keep] for name in PER_START}
    out |= {name: getattr(result, name)[step:] for name in ("mean_value", "min_value")}
    return out | {name: getattr(result, name)[:, :, keep] for name in PER_ROW[2:]}


@pytest.mark.parametrize(
    ("optimizer", "bad", "step"),
    [("sgd", (3.0, -3.0), 3), ("sgd", (2e6, 0.0), 0), ("adam", (math.nan, 0.0), 0)],
    ids=["blows-up-at-step-3", "starts-beyond-bound", "starts-at-nan"],
)
def test_a_diverging_start_leaves_the_others_bit_identical(optimizer, bad, step):
    starts, j = _starts(200, -1.0, 1.0), 101
    with_bad = torch.cat([starts[:j], torch.tensor([bad], dtype=F64), starts[j:]])
    run = {"lrs": [1e-3], "steps": 60, "targets": [1.0, 1e-3]}
    result = descend("rosenbrock", optimizer, with_bad, n_paths=201, **run)
    clean = descend("rosenbrock", optimizer, starts, n_paths=200, **run)
    assert result.diverged_step[0, j] == step
    assert (clean.diverged_step == -1).all()
    assert result.final[0, j].isnan().all()
    assert result.final_value[0, j].isnan()
    assert result.path_values[step:, 0, j].isnan().all()
    assert result.path_values[:step, 0, j].isfinite().all()
    assert result.first_hit[0, j].tolist() == [-1, -1]
    _assert_identical(_others(result, j, step), _others(clean, 200, step))


def test_a_row_that_diverges_leaves_the_other_rows_alone():
    starts = _starts(20, -5.0, 5.0)
    both = descend("himmelblau", "sgd", starts, [0.01, 1.0], 50, targets=[1e-3], n_paths=3)
    alone = descend("himmelblau", "sgd", starts, [0.01], 50, targets=[1e-3], n_paths=3)
    assert (both.diverged_step[1] > 0).all()
    assert both.mean_value[-1, 1].isnan()
    assert both.min_value[-1, 1].isnan()
    _assert_identical(_row(both, 0), _row(alone, 0))


def test_summaries_are_those_of_the_full_history():
    # With every start tracked, the streamed summaries can be recomputed from the paths.
    # The targets in no order and one of them twice: each keeps its place.
    surface = get_surface("styblinski_tang")
    deltas = torch.tensor([1.0, 50.0, 0.0, 1e-4, 1.0, 20.0], dtype=F64)
    starts = torch.cat([_starts(15, -5.0, 5.0), torch.tensor([surface.minima[0][:2]], dtype=F64)])
    result = descend(surface, "adam", starts, [0.05, 0.2], 80, targets=deltas, n_paths=16)
    values = result.path_values  # (S+1, K, N)
    torch.testing.assert_close(result.mean_value, values.mean(-1), rtol=1e-14, atol=0)
    torch.testing.assert_close(result.min_value, values.amin(-1), rtol=0, atol=0)
    met = values[..., None] - surface.f_star <= deltas  # (S+1, K, N, T)
    steps = torch.arange(81)[:, None, None, None].expand_as(met)
    first = torch.where(met, steps, 10**6).amin(0)
    assert torch.equal(result.first_hit, torch.where(first == 10**6, -1, first))
    assert torch.equal(result.final, result.path_positions[-1])
    assert torch.equal(result.final_value, values[-1])


def test_first_hit_counts_the_start_and_is_minus_one_when_never():
    bowl = get_surface("bowl", condition=10.0)
    starts = torch.tensor([[0.0, 0.0], [1.0, 1.0]], dtype=F64)  # f = 0 and 5.5
    result = descend(bowl, "sgd", starts, [0.01], 20, targets=[6.0, 1.0, 0.0])
    assert result.first_hit[0, 0].tolist() == [0, 0, 0]  # at the minimum from t = 0
    assert result.first_hit[0, 1, 0] == 0  # 5.5 <= 6 at t = 0
    assert result.first_hit[0, 1, 2] == -1  # f > 0 at every step
    # x_t = ((1 - lr)^t, (1 - 10 lr)^t): f_t <= 1 first when this is <= 1.
    f = 0.5 * (0.99 ** (2 * torch.arange(21.0)) + 10 * 0.9 ** (2 * torch.arange(21.0)))
    assert result.first_hit[0, 1, 1] == int((f <= 1).nonzero()[0])


def test_sgd_on_a_bowl_follows_the_closed_form():
    # x_t = ((1 - lr)^t x1, (1 - lr κ)^t x2) for every lr and start.
    starts, lrs, kappa = _starts(6, -5.0, 5.0), torch.tensor([0.01, 0.05], dtype=F64), 10.0
    result = descend(get_surface("bowl", condition=kappa), "sgd", starts, lrs, 40, n_paths=6)
    t = torch.arange(41, dtype=F64)[:, None, None, None]  # (S+1, 1, 1, 1)
    rate = torch.stack([1 - lrs, 1 - kappa * lrs], dim=-1)[None, :, None, :]  # (1, K, 1, 2)
    torch.testing.assert_close(result.path_positions, rate**t * starts, rtol=1e-12, atol=1e-300)


def test_memory_is_per_start_not_per_step():
    result = descend("sincos", "adam", _starts(300, 0.0, 10.0), [0.1, 0.2], 500, targets=[1, 0.1])
    shapes = {name: tuple(v.shape) for name, v in vars(result).items()}
    assert shapes == {
        "lrs": (2,),
        "targets": (2,),
        "first_hit": (2, 300, 2),
        "diverged_step": (2, 300),
        "final": (2, 300, 2),
        "final_value": (2, 300),
        "mean_value": (501, 2),
        "min_value": (501, 2),
        "path_positions": (501, 2, 0, 2),
        "path_values": (501, 2, 0),
    }
    assert result.first_hit.dtype == result.diverged_step.dtype == torch.int64


def test_one_value_and_gradient_per_step_and_the_progress_wrapper_sees_every_step():
    sincos, calls, seen = get_surface("sincos"), [], []

    def counted(p, kappa):
        calls.append(p.shape)
        return sincos.terms(p, kappa)

    def progress(steps):
        for t in steps:
            seen.append(t)
            yield t

    surface = dataclasses.replace(sincos, terms=counted)
    descend(surface, "rmsprop", _starts(5, 0.0, 10.0), [0.1, 0.2], 30, progress=progress)
    assert calls == [(2, 5, 2)] * 31
    assert seen == list(range(1, 31))


def test_deterministic_and_stays_in_the_starts_dtype():
    starts = _starts(50, -5.12, 5.12).float()
    a = descend("rastrigin", "nesterov", starts, [1e-3, 1e-2], 100, targets=[1.0], n_paths=2)
    b = descend("rastrigin", "nesterov", starts, [1e-3, 1e-2], 100, targets=[1.0], n_paths=2)
    for name, value in vars(a).items():
        assert torch.equal(value.nan_to_num(7.0), getattr(b, name).nan_to_num(7.0)), name
        if value.is_floating_point():
            assert value.dtype == torch.float32, name


@pytest.mark.parametrize(
    ("dtype", "engine"),
    [
        (torch.float64, "eager"),
        (torch.float32, "eager"),
        pytest.param(torch.float64, "fused", marks=pytest.mark.slow),  # compiles 3 times
    ],
)
def test_the_thread_count_does_not_change_a_bit(dtype, engine):
    # Past torch's grain size (32,768 elements) every op is split over the threads; a descent
    # job takes the threads Snakemake gives it, so its bytes must not depend on them.
    starts = _starts(100_000, -5.12, 5.12).to(dtype)
    lrs, targets = [3e-2], [10.0, 1.0, 0.1]  # one row: each reduction is split over threads
    before = torch.get_num_threads()
    results = []
    try:
        for threads in (1, 2, 3):
            torch.set_num_threads(threads)
            results.append(
                descend(
                    "rastrigin", "adam", starts, lrs, 30, targets=targets, n_paths=4, engine=engine
                )
            )
    finally:
        torch.set_num_threads(before)
    assert bool((results[0].diverged_step == -1).all())  # every start counts in the reductions
    for other in results[1:]:
        for name, value in vars(results[0]).items():
            assert torch.equal(value.nan_to_num(7.0), getattr(other, name).nan_to_num(7.0)), name


@pytest.mark.slow  # each case compiles the step (10-30 s on 2 cores)
@pytest.mark.parametrize(
    ("name", "optimizer"), [("sincos", "sgd"), ("rosenbrock", "momentum"), ("beale", "adam")]
)
def test_the_fused_engine_agrees_with_the_eager_one_and_auto_is_one_of_them(
    name, optimizer, monkeypatch
):
    surface = get_surface(name)
    starts = _starts(301, *surface.domain)  # odd N: the compiled loop's vector tail runs too
    starts[7] = torch.tensor([2e6, 0.0])  # beyond BOUND: diverged from step 0
    lrs = [surface.lr, 3 * surface.lr]
    run = {"targets": [1.0, 1e-2, 1e-5], "n_paths": 4}
    opt = _bound(optimizer, {"momentum": 0.8})
    eager = descend(name, opt, starts, lrs, 80, engine="eager", **run)
    fused = descend(name, opt, starts, lrs, 80, engine="fused", **run)
    # `auto` is the eager engine below FUSE_FROM and the fused one from it, to the bit.
    _assert_identical(vars(descend(name, opt, starts, lrs, 80, **run)), vars(eager))
    monkeypatch.setitem(descent.FUSE_FROM, "cpu", 2 * 301 * 80)
    _assert_identical(vars(descend(name, opt, starts, lrs, 80, **run)), vars(fused))
    assert bool((eager.diverged_step >= 0).any())
    assert bool((eager.first_hit >= 0).any())
    for field, value in vars(eager).items():
        other = getattr(fused, field)
        if value.is_floating_point():
            # The compiler may contract a multiply and an add; near a saddle 80 steps amplify
            # that last-bit difference (1.5e-10 measured on sincos).
            torch.testing.assert_close(other, value, rtol=1e-7, atol=1e-9, equal_nan=True)
        else:
            assert torch.equal(other, value), field


FUSED_AT_ALPHA = """
import sys, torch
from gdpipe.descent import descend
from gdpipe.optimizers import get_optimizer
rmsprop = get_optimizer("rmsprop", alpha=float(sys.argv[1]))
starts = torch.rand(64, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
run = {"starts": 10 * starts, "lrs": [0.1, 0.2], "steps": 2}
eager, fused = (descend("sincos", rmsprop, engine=e, **run) for e in ("eager", "fused"))
torch.testing.assert_close(fused.final, eager.final, rtol=1e-9, atol=1e-12)
"""


@pytest.mark.slow  # compiles the step twice, each in a process of its own (~25 s on 2 cores)
def test_a_compiled_step_is_not_reused_for_other_hyperparameters(tmp_path):
    # Two jobs share the compiler's on-disk cache: with symbolic floats, torch handed the second
    # (alpha = 0.5) the graph the first traced at alpha = 0.9 (first met with Adam's beta1;
    # RMSprop's step is one graph, Adam's two). Without specialize_float it fails here.
    env = {**os.environ, "TORCHINDUCTOR_CACHE_DIR": str(tmp_path)}
    for alpha in ("0.9", "0.5"):
        job = [sys.executable, "-c", FUSED_AT_ALPHA, alpha]
        done = subprocess.run(job, env=env, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr[-2000:]


def test_auto_runs_eagerly_where_the_step_cannot_be_compiled(monkeypatch):
    def no_compiler():
        def fail(*args):
            raise RuntimeError("no C++ compiler")

        return fail

    starts = _starts(40, -5.0, 5.0)
    run = {"targets": [1.0, 1e-3], "n_paths": 3}
    eager = descend("himmelblau", "adam", starts, [0.01, 0.1], 50, engine="eager", **run)
    monkeypatch.setattr(descent, "_fused_advance", no_compiler)
    monkeypatch.setitem(descent.FUSE_FROM, "cpu", 0)  # `auto` would fuse this small run
    monkeypatch.setattr(provenance, "_notes", {})
    auto = descend("himmelblau", "adam", starts, [0.01, 0.1], 50, **run)
    _assert_identical(vars(auto), vars(eager))
    assert provenance.job_record()["descent_engine"] == "eager"
    with pytest.raises(RuntimeError, match=r"no C\+\+ compiler"):  # asked for by name: no fallback
        descend("himmelblau", "adam", starts, [0.01], 5, engine="fused")


def test_the_gpu_way_of_finding_first_hits_gives_the_cpu_way_s_steps(monkeypatch):
    # On a GPU every start is bisected each step (no read-back); on a CPU only those that met
    # a new target. Both ways run here on the CPU.
    starts = _starts(500, 0.0, 10.0)
    run = {"targets": [2.0, 1.0, 0.1, 0.1, 1e-4, 0.0], "n_paths": 0}
    cpu = descend("sincos", "nesterov", starts, [0.05, 0.3], 150, **run)
    dense = descent._Hits
    monkeypatch.setattr(descent, "_Hits", lambda *args, sparse: dense(*args, sparse=False))
    gpu = descend("sincos", "nesterov", starts, [0.05, 0.3], 150, **run)
    assert len(set(cpu.first_hit.unique().tolist())) > 10  # many different first steps
    _assert_identical(vars(cpu), vars(gpu))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_no_host_sync_inside_the_loop_on_cuda():
    # Checking the arguments syncs once, before the loop; inside it any sync is an error.
    def strict(steps):
        torch.cuda.set_sync_debug_mode("error")
        try:
            yield from steps
        finally:
            torch.cuda.set_sync_debug_mode("default")

    starts = _starts(1000, 0.0, 10.0).cuda()
    result = descend(
        "sincos", "adam", starts, [0.1, 1e9], 50, targets=[0.1], n_paths=3, progress=strict
    )
    cpu = descend("sincos", "adam", starts.cpu(), [0.1, 1e9], 50, targets=[0.1], n_paths=3)
    assert result.final.device == starts.device
    # Same run on both devices, up to the ulps in which CUDA's sin and cos differ from the CPU's.
    torch.testing.assert_close(result.final.cpu(), cpu.final, rtol=1e-6, atol=1e-6, equal_nan=True)


BAD_CALLS = [
    ("surface", {"surface": "nope"}, "unknown surface 'nope'; allowed: sincos, "),
    ("optimizer", {"optimizer": "lbfgs"}, "unknown optimizer 'lbfgs'; allowed: sgd, "),
    (
        "starts-shape",
        {"starts": torch.zeros(4, 3, dtype=F64)},
        r"starts must be a floating-point tensor shaped \(N, 2\) with N >= 1, "
        r"got shape \(4, 3\) and dtype torch.float64$",
    ),
    (
        "starts-dtype",
        {"starts": torch.zeros(4, 2, dtype=torch.int64)},
        r"starts must be .* got shape \(4, 2\) and dtype torch.int64$",
    ),
    (
        "lr-zero",
        {"lrs": [0.1, 0.0]},
        r"lrs must be a 1-D sequence of finite numbers > 0, got \[0.1, 0.0\]$",
    ),
    ("lr-nan", {"lrs": [math.nan]}, r"lrs must be .* got \[nan\]$"),
    ("lr-empty", {"lrs": []}, r"lrs must be .* got \[\]$"),
    ("steps", {"steps": -1}, r"steps must be an integer >= 0, got -1$"),
    ("steps-float", {"steps": 10.0}, r"steps must be an integer >= 0, got 10.0$"),
    ("n_paths", {"n_paths": -2}, r"n_paths must be an integer >= 0, got -2$"),
    (
        "targets",
        {"targets": [1.0, -1e-3]},
        r"targets must be a 1-D sequence of finite numbers >= 0, got \[1.0, -0.001\]$",
    ),
]


@pytest.mark.parametrize(
    ("change", "message"), [c[1:] for c in BAD_CALLS], ids=[c[0] for c in BAD_CALLS]
)
def test_bad_arguments_are_refused_with_their_name(change, message):
    args = {
        "surface": "sincos",
        "optimizer": "sgd",
        "starts": _starts(3, 0.0, 1.0),
        "lrs": [0.1],
        "steps": 5,
    }
    with pytest.raises(ValueError, match=message):
        descend(**(args | change))
