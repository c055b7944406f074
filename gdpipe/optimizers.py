"""First-order optimizers written from their equations, batched over learning rates and starts.

An optimizer is a pair of functions (optax-style): `init(x) -> state` and
`step(x, g, state, lr, t, hyper) -> x_new`, with x and g shaped (K, N, 2) for K learning rates
× N starts, lr shaped (K,) and applied per row, t the 1-based step; state is updated in place.
Each mirrors the operation order of torch.optim's single-tensor code (every other argument at its
default), so the two agree to rounding; every operation is elementwise, so a start's result does
not depend on the rest of the batch.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only tensor methods run here: importing this module imports no torch, so
    from torch import Tensor  # params.py can validate names against OPTIMIZERS cheaply


@dataclass(frozen=True)
class Hyper:
    """Hyperparameters shared by the optimizers (torch.optim's names and defaults)."""

    momentum: float = 0.9  # μ of momentum and nesterov
    beta1: float = 0.9  # Adam's decay of the mean gradient
    beta2: float = 0.999  # Adam's decay of the mean squared gradient
    eps: float = 1e-8  # keeps Adagrad's, RMSprop's and Adam's denominators off zero
    alpha: float = 0.99  # RMSprop's decay of the mean squared gradient

    def __post_init__(self):
        for name in ("momentum", "beta1", "beta2", "alpha"):
            value = getattr(self, name)
            if not (_is_number(value) and 0 <= value < 1):
                raise ValueError(f"Hyper.{name} must be a number in [0, 1), got {value!r}")
        if not (_is_number(self.eps) and math.isfinite(self.eps) and self.eps >= 0):
            raise ValueError(f"Hyper.eps must be a finite number >= 0, got {self.eps!r}")


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True)
class Optimizer:
    """An optimizer as its two functions; see the module docstring."""

    name: str
    init: Callable[[Tensor], dict[str, Tensor]]
    step: Callable[[Tensor, Tensor, dict[str, Tensor], Tensor, int, Hyper], Tensor]


def _rows(lr: Tensor) -> Tensor:
    return lr[:, None, None]  # (K,) -> (K, 1, 1): one learning rate per row of starts


def _descend(x: Tensor, lr: Tensor, d: Tensor) -> Tensor:
    """x - lr·d, rounded as torch's param.add_(d, alpha=-lr) (one fused multiply-add)."""
    return x.addcmul(_rows(lr), d, value=-1)


def _zeros(*names: str) -> Callable[[Tensor], dict[str, Tensor]]:
    """An init that starts the named state tensors (torch.optim's names) at zero, laid out like x
    (clone keeps x's strides: the fused engine stores each coordinate contiguously)."""
    return lambda x: {name: x.clone().zero_() for name in names}


def _sgd(x, g, state, lr, t, hyper):
    # x ← x − lr·g
    return _descend(x, lr, g)


def _momentum_buffer(g: Tensor, state: dict[str, Tensor], t: int, mu: float) -> Tensor:
    # b₁ = g, then b ← μ·b + g
    b = state["momentum_buffer"]
    if t == 1:
        return b.copy_(g)
    return b.mul_(mu).add_(g)


def _momentum(x, g, state, lr, t, hyper):
    # x ← x − lr·b
    return _descend(x, lr, _momentum_buffer(g, state, t, hyper.momentum))


def _nesterov(x, g, state, lr, t, hyper):
    # x ← x − lr·(g + μ·b): the step looks ahead along the buffer
    b = _momentum_buffer(g, state, t, hyper.momentum)
    return _descend(x, lr, g.add(b, alpha=hyper.momentum))


def _adagrad(x, g, state, lr, t, hyper):
    # s ← s + g², x ← x − lr·g/(√s + eps)
    s = state["sum"].addcmul_(g, g, value=1)
    return x + (-_rows(lr) * g) / s.sqrt().add_(hyper.eps)


def _rmsprop(x, g, state, lr, t, hyper):
    # v ← α·v + (1−α)·g², x ← x − lr·g/(√v + eps)
    v = state["square_avg"].mul_(hyper.alpha).addcmul_(g, g, value=1 - hyper.alpha)
    return x + (-_rows(lr) * g) / v.sqrt().add_(hyper.eps)


def _adam(x, g, state, lr, t, hyper):
    # 1. m ← β1·m + (1−β1)·g and v ← β2·v + (1−β2)·g²
    m = state["exp_avg"].lerp_(g, 1 - hyper.beta1)
    v = state["exp_avg_sq"].mul_(hyper.beta2).addcmul_(g, g, value=1 - hyper.beta2)
    # 2. bias corrections of the zero start: m̂ = m/(1−β1^t), v̂ = v/(1−β2^t)
    step_size = _rows(lr) / (1 - hyper.beta1**t)  # (K, 1, 1)
    bias_correction2_sqrt = (1 - hyper.beta2**t) ** 0.5
    # 3. x ← x − lr·m̂/(√v̂ + eps), with eps added after the correction as torch does
    denom = (v.sqrt() / bias_correction2_sqrt).add_(hyper.eps)
    return x + (-step_size * m) / denom


OPTIMIZERS = {
    o.name: o
    for o in (
        Optimizer("sgd", _zeros(), _sgd),
        Optimizer("momentum", _zeros("momentum_buffer"), _momentum),
        Optimizer("nesterov", _zeros("momentum_buffer"), _nesterov),
        Optimizer("adagrad", _zeros("sum"), _adagrad),
        Optimizer("rmsprop", _zeros("square_avg"), _rmsprop),
        Optimizer("adam", _zeros("exp_avg", "exp_avg_sq"), _adam),
    )
}


def get_optimizer(name: str) -> Optimizer:
    """The optimizer registered under name."""
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; allowed: {', '.join(OPTIMIZERS)}")
    return OPTIMIZERS[name]
