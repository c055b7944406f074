"""Algorithm layer: each hand-written optimizer against torch.optim, step by step."""

import dataclasses

import pytest
import torch

from gdpipe.objectives import get_surface
from gdpipe.optimizers import OPTIMIZERS, Hyper, get_optimizer

STEPS = 200
N = 16

# name -> (torch.optim class, its keyword arguments from Hyper); all other arguments default.
TORCH = {
    "sgd": (torch.optim.SGD, lambda h: {}),
    "momentum": (torch.optim.SGD, lambda h: {"momentum": h.momentum}),
    "nesterov": (torch.optim.SGD, lambda h: {"momentum": h.momentum, "nesterov": True}),
    "adagrad": (torch.optim.Adagrad, lambda h: {"eps": h.eps}),
    "rmsprop": (torch.optim.RMSprop, lambda h: {"alpha": h.alpha, "eps": h.eps}),
    "adam": (torch.optim.Adam, lambda h: {"betas": (h.beta1, h.beta2), "eps": h.eps}),
}
# (surface, learning rates): rates at which every optimizer stays inside the domain.
SURFACES = [
    ("sincos", (0.01, 0.1, 0.3)),
    ("rosenbrock", (5e-5, 2e-4)),
    ("beale", (1e-4, 1e-3)),
    ("bowl", (1e-3, 5e-3)),
]
HYPERS = {
    "default": Hyper(),
    "tuned": Hyper(momentum=0.5, beta1=0.8, beta2=0.95, eps=1e-3, alpha=0.9),
}


def _starts(name: str) -> torch.Tensor:
    # The middle half of the domain, so that no start leaves it at these rates.
    low, high = get_surface(name).domain
    g = torch.Generator().manual_seed(3)
    return low / 2 + (high - low) / 2 * torch.rand(N, 2, generator=g, dtype=torch.float64)


def _torch_path(name, optimizer, surface, starts, lr, hyper):
    """(STEPS+1, N, 2) positions from torch.optim, the gradient set by the analytic one."""
    cls, kwargs = TORCH[optimizer]
    p = torch.nn.Parameter(starts.clone())
    opt = cls([p], lr=lr, foreach=False, **kwargs(hyper))
    path = [p.detach().clone()]
    for _ in range(STEPS):
        p.grad = surface.gradient(p.detach())
        opt.step()
        path.append(p.detach().clone())
    return torch.stack(path)


def _path(optimizer, surface, starts, lrs, hyper):
    """(STEPS+1, K, N, 2) positions from gdpipe's optimizer, all K rates in one batch."""
    opt = get_optimizer(optimizer)
    x = starts.expand(len(lrs), -1, -1).clone()
    state = opt.init(x)
    path = [x]
    for t in range(1, STEPS + 1):
        x = opt.step(x, surface.gradient(x), state, lrs, t, hyper)
        path.append(x)
    return torch.stack(path)


CASES = [(o, s, lrs, h) for o in OPTIMIZERS for s, lrs in SURFACES for h in HYPERS]


@pytest.mark.parametrize(
    ("optimizer", "name", "lrs", "hyper"), CASES, ids=[f"{o}-{s}-{h}" for o, s, _, h in CASES]
)
def test_matches_torch_optim_step_by_step(optimizer, name, lrs, hyper):
    surface, starts = get_surface(name), _starts(name)
    ours = _path(optimizer, surface, starts, torch.tensor(lrs, dtype=torch.float64), HYPERS[hyper])
    assert torch.isfinite(ours).all()
    for k, lr in enumerate(lrs):
        theirs = _torch_path(name, optimizer, surface, starts, lr, HYPERS[hyper])
        assert not torch.equal(theirs[-1], starts)  # it moved
        torch.testing.assert_close(ours[:, k], theirs, rtol=1e-12, atol=1e-12)


# A batch of rates against each rate alone: tests/test_descent.py, through the engine.


def test_unknown_optimizer_names_the_allowed_ones():
    allowed = "sgd, momentum, nesterov, adagrad, rmsprop, adam"
    with pytest.raises(ValueError, match=f"^unknown optimizer 'adamw'; allowed: {allowed}$"):
        get_optimizer("adamw")


BAD_HYPERS = [
    ("momentum", 1.0, r"Hyper\.momentum must be a number in \[0, 1\), got 1\.0"),
    ("momentum", -0.1, r"Hyper\.momentum must be a number in \[0, 1\), got -0\.1"),
    ("beta1", 1.5, r"Hyper\.beta1 must be a number in \[0, 1\), got 1\.5"),
    ("beta2", float("nan"), r"Hyper\.beta2 must be a number in \[0, 1\), got nan"),
    ("alpha", "0.9", r"Hyper\.alpha must be a number in \[0, 1\), got '0\.9'"),
    ("eps", -1e-8, r"Hyper\.eps must be a finite number >= 0, got -1e-08"),
    ("eps", float("inf"), r"Hyper\.eps must be a finite number >= 0, got inf"),
]


@pytest.mark.parametrize(
    ("field", "value", "message"), BAD_HYPERS, ids=[f"{f}={v}" for f, v, _ in BAD_HYPERS]
)
def test_bad_hyperparameters_are_refused(field, value, message):
    with pytest.raises(ValueError, match=f"^{message}$"):
        Hyper(**{field: value})
    with pytest.raises(ValueError, match=f"^{message}$"):
        dataclasses.replace(Hyper(), **{field: value})
