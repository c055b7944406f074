"""Streaming descent: K learning rates × N starts on one surface, in O(K·N) memory.

Each step folds the new positions into preallocated summaries (first hits of the targets, mean
and min value, the paths of the first few starts) and then forgets them. Nothing is read back to
the host inside the loop on a GPU, so the steps queue up without waiting for each other.

Two engines run the same step (`_advance`) on positions stored one coordinate after the other:
eager torch, one kernel per operation, and a fused one, `torch.compile` of the step, which
computes the update, the surface and the divergence checks in one pass. They agree to rounding
(the compiler may contract a multiply and an add), each is bit-identical whatever the thread
count, and `engine="auto"` fuses only runs large enough to repay the compile (FUSE_FROM).
On a CPU the eager engine cuts a large batch into tiles (rates × starts) that run on torch's
threads, one tile a thread; the mean adds blocks of BLOCK starts in their order whatever the
tiling, so neither the tiles nor the threads change a bit.
"""

import functools
import logging
import math
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import torch
from torch import Tensor

from gdpipe import provenance
from gdpipe.objectives import Surface, get_surface
from gdpipe.optimizers import Optimizer, get_optimizer

BOUND = 1e6  # a start with |x1| or |x2| beyond this has left every surface: it diverged
ENGINES = ("auto", "eager", "fused")
# Point-steps (learning rates × starts × steps) from which `auto` fuses, by device. On a 2-core
# CPU the eager engine's tiles outran the fused step at 10⁶ starts (3.5e7 against 3.2e7 float64
# point-steps/s) and compiling costs ~4 s a process (~25 s the first time on a machine): `auto`
# never fuses there (docs/performance.md). A GPU's eager steps are already ~100× faster.
FUSE_FROM = {"cpu": math.inf, "cuda": 10**11}
BLOCK = 32768  # starts: the mean sums blocks of them in order, and a CPU thread takes one
COMPILED = "fused step compiled, its first steps run, in"  # a log line the benchmark reads

log = logging.getLogger(__name__)

Progress = Callable[[Iterable], Iterable]


@dataclass
class DescentResult:
    """What K × N descents left behind (S steps, T targets, P tracked starts)."""

    lrs: Tensor  # (K,)
    targets: Tensor  # (T,) the deltas Δf of the targets f − f* <= Δf
    first_hit: Tensor  # (K, N, T) int64: first step t >= 0 that met target j; -1 if none did
    diverged_step: Tensor  # (K, N) int64: step at which x or f went non-finite or |xi| > BOUND
    final: Tensor  # (K, N, 2) position after the last step; NaN if diverged
    final_value: Tensor  # (K, N) f there; NaN if diverged
    mean_value: Tensor  # (S+1, K) mean f over the starts not diverged by step t; NaN if none
    min_value: Tensor  # (S+1, K) min f over the same starts; NaN if none
    path_positions: Tensor  # (S+1, K, P, 2) the first P starts; NaN from their divergence on
    path_values: Tensor  # (S+1, K, P)


@torch.inference_mode()  # no autograd bookkeeping: a fifth of a small batch's step
def descend(
    surface: Surface | str,
    optimizer: Optimizer | str,
    starts: Tensor,
    lrs: Tensor | Sequence[float],
    steps: int,
    targets: Tensor | Sequence[float] = (),
    n_paths: int = 0,
    progress: Progress = iter,
    engine: str = "auto",
) -> DescentResult:
    """Run the optimizer from every start (N, 2) at every learning rate (K,) for `steps` steps.

    optimizer: bound to its hyperparameters (gdpipe.optimizers.get_optimizer) or a name (at its
    defaults). engine: "eager", "fused" or "auto" (fused from FUSE_FROM point-steps, eager below
    that or where torch cannot compile); the one used is recorded in the job's provenance.
    """
    surface = surface if isinstance(surface, Surface) else get_surface(surface)
    opt = optimizer if isinstance(optimizer, Optimizer) else get_optimizer(optimizer)
    lr, delta = _validate(starts, lrs, steps, targets, n_paths)
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    K, N = len(lr), len(starts)
    large = K * N * steps >= FUSE_FROM.get(starts.device.type, FUSE_FROM["cuda"])
    fused = engine == "fused" or (engine == "auto" and large)
    r = _allocate(starts, lr, delta, steps, min(n_paths, N))
    # per step, rate and block of BLOCK starts: the sum, count and min of the values still going
    blocks = [
        torch.empty(steps + 1, K, math.ceil(N / BLOCK), dtype=dtype, device=starts.device)
        for dtype in (starts.dtype, torch.int64, starts.dtype)
    ]
    run = functools.partial(_descend_tile, r, blocks, surface, opt, starts, steps)
    everything = (slice(0, K), slice(0, N))
    if fused:
        began = time.perf_counter()  # the compiler's import counts as compile time
        try:
            run(everything, _fused_advance(), progress, began)
        except Exception as error:  # e.g. no C++ compiler: compiling failed before any update
            if engine != "auto":
                raise
            log.warning("cannot fuse the descent step (%s): running it eagerly", error)
            fused = False
    if not fused and starts.device.type == "cpu" and K * N > BLOCK:
        _in_parallel(run, K, N, progress)
    elif not fused:
        run(everything, _advance, progress)
    provenance.note("descent_engine", "fused" if fused else "eager")
    # the blocks' sums added in their order, in float64 (exact for float32's sums)
    sums, counts, minima = blocks
    total, n = sums.double().cumsum(-1)[..., -1].to(starts.dtype), counts.sum(-1)
    r.mean_value = torch.where(n > 0, total / n, math.nan)
    r.min_value = torch.where(n > 0, minima.amin(-1), math.nan)
    return r


def _in_parallel(run, K: int, N: int, progress: Progress) -> None:
    """Eager descent on a CPU in tiles of about BLOCK points (rates × starts) on torch's threads,
    one a thread: ~1.3× faster than all threads on each op of the whole batch (a tile's arrays
    stay in cache), to the same bits. torch's own threads are held at one meanwhile."""
    rows = max(1, BLOCK // min(N, BLOCK))  # the rates a tile takes
    tiles = [
        (slice(k, min(k + rows, K)), slice(lo, min(lo + BLOCK, N)))
        for k in range(0, K, rows)
        for lo in range(0, N, BLOCK)
    ]
    threads = torch.get_num_threads()

    def one(tile):
        with torch.inference_mode():  # thread-local, like grad mode
            run(tile, _advance)

    torch.set_num_threads(1)
    try:
        with ThreadPoolExecutor(min(threads, len(tiles))) as pool:
            done = [pool.submit(one, tile) for tile in tiles]
            for i in progress(range(len(tiles))):
                done[i].result()
    finally:
        torch.set_num_threads(threads)


def _descend_tile(r, blocks, surface, opt, starts, steps, tile, advance, progress=iter, began=None):
    """Descend from starts[span] at the rates r.lrs[rows] (tile = rows, span), writing their
    part of r and of the blocks' sums, counts and minima."""
    rows, span = tile
    lr = r.lrs[rows]
    K, C = len(lr), span.stop - span.start
    hits = _Hits(r.targets, K, C, sparse=starts.device.type == "cpu")
    # (K, C, 2) with each coordinate contiguous (a view of a (2, K, C) tensor): the compiled
    # kernels load whole vectors, and eager torch's kernels run ~8% faster on it, to the same bits.
    x = starts[span].expand(K, C, 2).movedim(-1, 0).contiguous().movedim(0, -1)
    f, g = surface.value_and_gradient(x)  # (K, C), (K, C, 2) in the layout of x
    state = opt.init(x)
    alive = _inside(x, f)  # (K, C)
    diverged = r.diverged_step[rows, span]  # views: what is written lands in r
    own = slice(span.start // BLOCK, math.ceil(span.stop / BLOCK))
    sums, counts, minima = (b[:, rows, own] for b in blocks)
    paths = slice(span.start, max(span.start, min(span.stop, r.path_values.shape[-1])))
    P = paths.stop - paths.start  # the tracked starts among these
    diverged.masked_fill_(~alive, 0)

    def record(t, x, f, alive, folded):
        summands, candidates, gap, met_more = folded
        hits.update(t, gap, met_more)
        # cumsum adds in index order, so a left start's exact 0 leaves the others' sum
        # bit-identical to a run without it (sum() would regroup the terms around the gap)
        sums[t] = _per_block(summands, lambda v: v.cumsum(-1)[..., -1])
        counts[t] = _per_block(alive, lambda v: v.sum(-1))
        minima[t] = _per_block(candidates, lambda v: v.amin(-1))
        r.path_positions[t, rows, paths] = torch.where(alive[:, :P, None], x[:, :P], math.nan)
        r.path_values[t, rows, paths] = torch.where(alive[:, :P], f[:, :P], math.nan)

    record(0, x, f, alive, _fold(f, alive, surface.f_star, hits.next))
    for t in progress(range(1, steps + 1)):
        x, f, g, alive, left, folded = advance(x, g, state, alive, hits.next, lr, t, opt, surface)
        diverged.masked_fill_(left, t)
        record(t, x, f, alive, folded)
        if began is not None and t == min(2, steps):  # an optimizer's first step may differ
            log.info("%s %.2f s", COMPILED, time.perf_counter() - began)
    r.first_hit[rows, span] = hits.first_hit()
    r.final[rows, span] = torch.where(alive[..., None], x, math.nan)
    r.final_value[rows, span] = torch.where(alive, f, math.nan)


def _per_block(values: Tensor, reduce) -> Tensor:
    """(K, C) -> (K, ceil(C / BLOCK)): reduce(·) over the last dim of each block of BLOCK."""
    whole = values.shape[-1] // BLOCK * BLOCK
    parts = [reduce(values[:, :whole].unflatten(-1, (-1, BLOCK)))] if whole else []
    if whole < values.shape[-1]:
        parts.append(reduce(values[:, whole:])[:, None])
    return parts[0] if len(parts) == 1 else torch.cat(parts, -1)


def _advance(x, g, state, alive, next_target, lr, t, opt, surface):
    """One step of every start: new positions, values, gradients, who is still going, who left,
    and the elementwise part of the summaries (_fold)."""
    x_new = opt.step(x, g, state, lr, t)
    f, g = surface.value_and_gradient(x_new)  # g in the layout of x
    inside = _inside(x_new, f)
    left, alive = alive & ~inside, alive & inside
    # A start that left goes on moving (to inf or NaN, elementwise: the others never see it),
    # and every summary masks it out from the step it left.
    return x_new, f, g, alive, left, _fold(f, alive, surface.f_star, next_target)


def _fold(f, alive, f_star: float, next_target):
    """The elementwise terms of the summaries (their reductions run after, eagerly): the mean's
    summands, the min's candidates, the gaps f − f* and who met a new target."""
    summands = torch.where(alive, f, 0.0)  # a left start adds an exact 0 to the mean's sum
    gap = f - f_star
    return summands, torch.where(alive, f, math.inf), gap, alive & (gap <= next_target)


@functools.cache
def _fused_advance():
    """_advance compiled: one graph per optimizer × surface × dtype × float setting, for any
    batch shape and step number (two where an optimizer's first step differs).

    The compiler would leave the loops of a graph compiled for a few starts on one thread, and
    its on-disk cache would hand that graph to a run of a million: `dynamic_threads` makes every
    loop parallel and lets OpenMP run a short one on one thread.
    """
    import torch._dynamo.config  # the compiler: imported only where a step is fused
    import torch._inductor.config

    torch._inductor.config.deterministic = True  # the compiler's flag; torch's is the caller's
    # Each optimizer × surface × dtype is its own graph; past this many torch would silently
    # run the rest eagerly (the default, 8, is less than the lab's six optimizers need).
    torch._dynamo.config.recompile_limit = 64
    # Floats (hyperparameters, the bowl's κ) are constants of their graph: left symbolic, torch
    # 2.13's on-disk cache handed a graph traced at one Adam beta1 to a job at another.
    torch._dynamo.config.specialize_float = True
    torch._inductor.config.cpp.dynamic_threads = True
    return torch.compile(_advance, dynamic=True)


def _inside(x: Tensor, f: Tensor) -> Tensor:
    """(K, N): f is finite and both coordinates within ±BOUND (False for NaN and ±inf too)."""
    return torch.isfinite(f) & (x[..., 0].abs() <= BOUND) & (x[..., 1].abs() <= BOUND)


class _Hits:
    """First step at which each start met each target f − f* <= Δ, in O(K·N) work per step.

    Comparing every start with every target each step costs K·N·T; instead:
    1. sort the deltas; the targets a gap meets are then the c largest, c found by bisection;
    2. keep m, the most targets met so far: when c > m, step t is the first to meet c targets,
       so write t into slot c − 1 (slot T is a sink for the starts that met nothing new);
    3. at the end, the first step to meet the j largest targets is the least step written into
       slots j − 1 and above (a jump from 1 to 4 targets met writes slot 3 alone).

    Step 2 needs m only through the (m + 1)-th largest delta, which each start keeps as `next`:
    c > m exactly when gap <= next. On a CPU the few starts that met a new target are picked
    out and only they are bisected; on a GPU picking them out would read a count back every
    step, so every start is bisected and the others write into the sink.
    """

    def __init__(self, delta: Tensor, K: int, N: int, sparse: bool):
        self.ascending, self.order = torch.sort(delta)  # (T,)
        self.T, self.sparse = len(delta), sparse
        self.slots = torch.full((K, N, self.T + 1), -1, dtype=torch.int64, device=delta.device)
        # thresholds[m]: the (m + 1)-th largest delta; -inf once all T are met (or T = 0)
        self.thresholds = torch.cat([self.ascending.flip(0), delta.new_full((1,), -math.inf)])
        self.next = self.thresholds[0].expand(K, N).clone()

    def update(self, t: int, gap: Tensor, met_more: Tensor):
        """gap: (K, N) f − f* at step t; met_more: (K, N) gap <= next for the starts that count."""
        if self.T == 0:
            return
        if self.sparse:
            # Flat indices and index_fill_/index_copy_: under torch's deterministic flag,
            # indexing with (k, n, c) sorts its indices first, at twice the cost.
            i = met_more.reshape(-1).nonzero().squeeze(1)  # k·N + n
            c = self.T - torch.searchsorted(self.ascending, gap.reshape(-1)[i])  # #{Δ >= gap}
            self.slots.view(-1).index_fill_(0, i * (self.T + 1) + c - 1, t)
            self.next.view(-1).index_copy_(0, i, self.thresholds[c])
            return
        c = self.T - torch.searchsorted(self.ascending, gap.contiguous())
        self.slots.scatter_(-1, torch.where(met_more, c - 1, self.T)[..., None], t)
        self.next = torch.where(met_more, self.thresholds[c], self.next)

    def first_hit(self) -> Tensor:
        """(K, N, T) in the targets' own order; -1 where never met."""
        never = torch.iinfo(torch.int64).max
        written = torch.where(self.slots[..., : self.T] < 0, never, self.slots[..., : self.T])
        # Slot j counts the j + 1 largest deltas; flipped, position i is the i-th smallest.
        ascending = written.flip(-1).cummin(-1).values  # (K, N, T)
        first = ascending[..., torch.argsort(self.order)]
        return torch.where(first == never, -1, first)


def _allocate(starts: Tensor, lr: Tensor, delta: Tensor, S: int, P: int) -> DescentResult:
    K, N = len(lr), len(starts)
    like = {"dtype": starts.dtype, "device": starts.device}
    index = {"dtype": torch.int64, "device": starts.device}
    return DescentResult(
        lrs=lr,
        targets=delta,
        first_hit=torch.empty(K, N, len(delta), **index),
        diverged_step=torch.full((K, N), -1, **index),
        final=torch.empty(K, N, 2, **like),
        final_value=torch.empty(K, N, **like),
        mean_value=torch.empty(S + 1, K, **like),
        min_value=torch.empty(S + 1, K, **like),
        path_positions=torch.empty(S + 1, K, P, 2, **like),
        path_values=torch.empty(S + 1, K, P, **like),
    )


def _validate(starts, lrs, steps, targets, n_paths) -> tuple[Tensor, Tensor]:
    """The learning rates (K,) and target deltas (T,) as tensors beside the starts."""
    shape, dtype = tuple(getattr(starts, "shape", ())), getattr(starts, "dtype", type(starts))
    floating = isinstance(starts, Tensor) and starts.is_floating_point()
    if not (floating and shape[1:] == (2,) and shape[0] >= 1):
        raise ValueError(
            f"starts must be a floating-point tensor shaped (N, 2) with N >= 1, "
            f"got shape {shape} and dtype {dtype}"
        )
    for name, value in (("steps", steps), ("n_paths", n_paths)):
        if not (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
            raise ValueError(f"{name} must be an integer >= 0, got {value!r}")
    like = {"dtype": starts.dtype, "device": starts.device}
    lr, delta = torch.as_tensor(lrs, **like), torch.as_tensor(targets, **like)
    if not (lr.ndim == 1 and len(lr) >= 1 and bool((torch.isfinite(lr) & (lr > 0)).all())):
        raise ValueError(f"lrs must be a 1-D sequence of finite numbers > 0, got {lr.tolist()}")
    if not (delta.ndim == 1 and bool((torch.isfinite(delta) & (delta >= 0)).all())):
        raise ValueError(
            f"targets must be a 1-D sequence of finite numbers >= 0, got {delta.tolist()}"
        )
    return lr, delta
