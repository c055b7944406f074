"""Streaming descent: K learning rates × N starts on one surface, in O(K·N) memory.

Each step folds the new positions into preallocated summaries (first hits of the targets, mean
and min value, the paths of the first few starts) and then forgets them. Nothing is read back to
the host inside the loop, so on a GPU the steps queue up without waiting for each other.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from gdpipe.objectives import Surface, get_surface
from gdpipe.optimizers import Hyper, Optimizer, get_optimizer

BOUND = 1e6  # a start with |x1| or |x2| beyond this has left every surface: it diverged

Progress = Callable[[Iterable], Iterable]


def _no_progress(iterable: Iterable) -> Iterable:
    return iterable


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


def descend(
    surface: Surface | str,
    optimizer: Optimizer | str,
    starts: Tensor,
    lrs: Tensor | Sequence[float],
    steps: int,
    hyper: Hyper = Hyper(),  # noqa: B008 (frozen, so one shared default is safe)
    targets: Tensor | Sequence[float] = (),
    n_paths: int = 0,
    progress: Progress = _no_progress,
) -> DescentResult:
    """Run the optimizer from every start (N, 2) at every learning rate (K,) for `steps` steps."""
    surface = surface if isinstance(surface, Surface) else get_surface(surface)
    opt = optimizer if isinstance(optimizer, Optimizer) else get_optimizer(optimizer)
    lr, delta = _validate(starts, lrs, steps, hyper, targets, n_paths)
    K, N = len(lr), len(starts)
    r = _allocate(starts, lr, delta, steps, min(n_paths, N))
    hits = _Hits(delta, K, N)
    x = starts.expand(K, N, 2).clone()  # (K, N, 2)
    f, g = surface.value_and_gradient(x)  # (K, N), (K, N, 2)
    state = opt.init(x)
    alive = _inside(x, f)  # (K, N)
    r.diverged_step.masked_fill_(~alive, 0)
    _record(r, hits, 0, x, f, alive, surface.f_star)
    for t in progress(range(1, steps + 1)):
        x_new = opt.step(x, g, state, lr, t, hyper)
        f, g = surface.value_and_gradient(x_new)
        left = alive & ~_inside(x_new, f)
        r.diverged_step.masked_fill_(left, t)
        alive = alive & ~left
        # A start that left stays where it was; the others never see it (all is elementwise).
        x = torch.where(alive[..., None], x_new, x)
        _record(r, hits, t, x, f, alive, surface.f_star)
    r.first_hit = hits.first_hit()
    r.final = torch.where(alive[..., None], x, math.nan)
    r.final_value = torch.where(alive, f, math.nan)
    return r


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
    """

    def __init__(self, delta: Tensor, K: int, N: int):
        self.ascending, self.order = torch.sort(delta)  # (T,)
        self.T = len(delta)
        self.met = torch.zeros(K, N, dtype=torch.int64, device=delta.device)
        self.slots = torch.full((K, N, self.T + 1), -1, dtype=torch.int64, device=delta.device)

    def update(self, t: int, gap: Tensor, alive: Tensor):
        """gap: (K, N) f − f* at step t; alive: (K, N) the starts that count."""
        c = self.T - torch.searchsorted(self.ascending, gap.contiguous())  # #{Δ >= gap}
        c = torch.where(alive, c, 0)
        slot = torch.where(c > self.met, c - 1, self.T)
        self.slots.scatter_(-1, slot[..., None], t)
        torch.maximum(self.met, c, out=self.met)

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
        first_hit=torch.empty(0, **index),  # _Hits fills it in at the end
        diverged_step=torch.full((K, N), -1, **index),
        final=torch.empty(K, N, 2, **like),
        final_value=torch.empty(K, N, **like),
        mean_value=torch.empty(S + 1, K, **like),
        min_value=torch.empty(S + 1, K, **like),
        path_positions=torch.empty(S + 1, K, P, 2, **like),
        path_values=torch.empty(S + 1, K, P, **like),
    )


def _record(r: DescentResult, hits: _Hits, t: int, x, f, alive, f_star: float):
    """Fold step t (positions x (K, N, 2), values f (K, N)) into the summaries, in place."""
    P = r.path_values.shape[-1]
    hits.update(t, f - f_star, alive)
    n = alive.sum(-1)  # (K,)
    # cumsum adds in index order and a left start adds an exact 0, so the others' mean is
    # bit-identical to a run without it (sum() would regroup the terms around the gap).
    total = torch.where(alive, f, 0.0).cumsum(-1)[:, -1]
    r.mean_value[t] = torch.where(n > 0, total / n, math.nan)
    r.min_value[t] = torch.where(n > 0, torch.where(alive, f, math.inf).amin(-1), math.nan)
    r.path_positions[t] = torch.where(alive[:, :P, None], x[:, :P], math.nan)
    r.path_values[t] = torch.where(alive[:, :P], f[:, :P], math.nan)


def _validate(starts, lrs, steps, hyper, targets, n_paths) -> tuple[Tensor, Tensor]:
    """The learning rates (K,) and target deltas (T,) as tensors beside the starts."""
    if not (
        isinstance(starts, Tensor)
        and starts.is_floating_point()
        and starts.ndim == 2
        and starts.shape[0] >= 1
        and starts.shape[1] == 2
    ):
        shape, dtype = tuple(getattr(starts, "shape", ())), getattr(starts, "dtype", type(starts))
        raise ValueError(
            f"starts must be a floating-point tensor shaped (N, 2) with N >= 1, "
            f"got shape {shape} and dtype {dtype}"
        )
    for name, value in (("steps", steps), ("n_paths", n_paths)):
        if not (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
            raise ValueError(f"{name} must be an integer >= 0, got {value!r}")
    if not isinstance(hyper, Hyper):
        raise ValueError(f"hyper must be a gdpipe.optimizers.Hyper, got {hyper!r}")
    like = {"dtype": starts.dtype, "device": starts.device}
    lr, delta = torch.as_tensor(lrs, **like), torch.as_tensor(targets, **like)
    if not (lr.ndim == 1 and len(lr) >= 1 and bool((torch.isfinite(lr) & (lr > 0)).all())):
        raise ValueError(f"lrs must be a 1-D sequence of finite numbers > 0, got {lr.tolist()}")
    if not (delta.ndim == 1 and bool((torch.isfinite(delta) & (delta >= 0)).all())):
        raise ValueError(
            f"targets must be a 1-D sequence of finite numbers >= 0, got {delta.tolist()}"
        )
    return lr, delta
