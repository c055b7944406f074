"""First-order optimizers from their equations, batched over learning rates and starts (optax-
style): `adam(beta1=0.9, ...)` returns `init(x) -> state` and `step(x, g, state, lr, t) -> x_new`
with x, g (K lrs, N starts, 2), lr (K,), t from 1; state updates in place. The keyword arguments
are the lab's keys, annotated with their JSON Schema. Each step follows torch.optim's operation
order (so the two agree to rounding), elementwise (a start's result is the batch's no matter)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, NamedTuple

from gdpipe.schema import DECAY, number, problems

if TYPE_CHECKING:  # only tensor methods run here: importing this module imports no torch, so
    from torch import Tensor  # params.py can take the lab's keys from OPTIMIZERS cheaply

Decay = Annotated[float, DECAY]  # a hyperparameter's type carries its range (JSON Schema)
Eps = Annotated[float, number(minimum=0)]  # keeps a denominator off zero


class Optimizer(NamedTuple):
    """An optimizer bound to its hyperparameters; see the module docstring."""

    init: Callable[[Tensor], dict[str, Tensor]]
    step: Callable[[Tensor, Tensor, dict[str, Tensor], Tensor, int], Tensor]


def _rows(lr: Tensor) -> Tensor:
    return lr[:, None, None]  # (K,) -> (K, 1, 1): one learning rate per row of starts


def _descend(x: Tensor, lr: Tensor, d: Tensor) -> Tensor:
    """x - lr·d, rounded as torch's param.add_(d, alpha=-lr) (one fused multiply-add)."""
    return x.addcmul(_rows(lr), d, value=-1)


def _zeros(*names: str) -> Callable[[Tensor], dict[str, Tensor]]:
    """An init of the named state tensors at zero, laid out like x (clone keeps x's strides: the
    fused engine stores each coordinate contiguously)."""
    return lambda x: {name: x.clone().zero_() for name in names}


def sgd() -> Optimizer:
    # x ← x − lr·g
    return Optimizer(_zeros(), lambda x, g, state, lr, t: _descend(x, lr, g))


def _momentum_buffer(g: Tensor, state: dict[str, Tensor], t: int, mu: float) -> Tensor:
    # b₁ = g, then b ← μ·b + g
    b = state["momentum_buffer"]
    return b.copy_(g) if t == 1 else b.mul_(mu).add_(g)


def momentum(momentum: Decay = 0.9) -> Optimizer:
    # x ← x − lr·b
    def step(x, g, state, lr, t):
        return _descend(x, lr, _momentum_buffer(g, state, t, momentum))

    return Optimizer(_zeros("momentum_buffer"), step)


def nesterov(momentum: Decay = 0.9) -> Optimizer:
    # x ← x − lr·(g + μ·b): the step looks ahead along the buffer
    def step(x, g, state, lr, t):
        b = _momentum_buffer(g, state, t, momentum)
        return _descend(x, lr, g.add(b, alpha=momentum))

    return Optimizer(_zeros("momentum_buffer"), step)


def adagrad(eps: Eps = 1e-8) -> Optimizer:
    # s ← s + g², x ← x − lr·g/(√s + eps)
    def step(x, g, state, lr, t):
        s = state["sum"].addcmul_(g, g, value=1)
        return x + (-_rows(lr) * g) / s.sqrt().add_(eps)

    return Optimizer(_zeros("sum"), step)


def rmsprop(alpha: Decay = 0.99, eps: Eps = 1e-8) -> Optimizer:
    # v ← α·v + (1−α)·g², x ← x − lr·g/(√v + eps)
    def step(x, g, state, lr, t):
        v = state["square_avg"].mul_(alpha).addcmul_(g, g, value=1 - alpha)
        return x + (-_rows(lr) * g) / v.sqrt().add_(eps)

    return Optimizer(_zeros("square_avg"), step)


def adam(beta1: Decay = 0.9, beta2: Decay = 0.999, eps: Eps = 1e-8) -> Optimizer:
    def step(x, g, state, lr, t):
        # 1. m ← β1·m + (1−β1)·g and v ← β2·v + (1−β2)·g²
        m = state["exp_avg"].lerp_(g, 1 - beta1)
        v = state["exp_avg_sq"].mul_(beta2).addcmul_(g, g, value=1 - beta2)
        # 2. bias corrections of the zero start: m̂ = m/(1−β1^t), v̂ = v/(1−β2^t)
        step_size = _rows(lr) / (1 - beta1**t)  # (K, 1, 1)
        bias_correction2_sqrt = (1 - beta2**t) ** 0.5
        # 3. x ← x − lr·m̂/(√v̂ + eps), with eps added after the correction as torch does
        denom = (v.sqrt() / bias_correction2_sqrt).add_(eps)
        return x + (-step_size * m) / denom

    return Optimizer(_zeros("exp_avg", "exp_avg_sq"), step)


OPTIMIZERS = {make.__name__: make for make in (sgd, momentum, nesterov, adagrad, rmsprop, adam)}


def hyperparameters(name: str | None = None) -> dict[str, tuple[float, dict]]:
    """key -> (default, JSON Schema) of `name`'s keyword arguments, or every optimizer's (lab.*)."""
    found = {}
    for make in [OPTIMIZERS[name]] if name else OPTIMIZERS.values():
        for p in inspect.signature(make, eval_str=True).parameters.values():
            found.setdefault(p.name, (p.default, p.annotation.__metadata__[0]))
    return found


def get_optimizer(name: str, **hyper: float) -> Optimizer:
    """The named optimizer bound to `hyper`, its other hyperparameters at their defaults."""
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; allowed: {', '.join(OPTIMIZERS)}")
    keys = {key: schema for key, (_, schema) in hyperparameters(name).items()}
    found = problems(hyper, {"type": "object", "properties": keys, "additionalProperties": False})
    if found:
        raise ValueError(f"optimizer {name!r}: " + "; ".join(found))
    return OPTIMIZERS[name](**hyper)
