"""Algorithm layer: each hand-written optimizer against torch.optim, step by step."""

import pytest
import torch

from gdpipe.objectives import get_surface
from gdpipe.optimizers import OPTIMIZERS, get_optimizer, hyperparameters
from gdpipe.schema import number

STEPS = 200
N = 16

# name -> (torch.optim class, its keyword arguments from ours, h); all other arguments default.
TORCH = {
    "sgd": (torch.optim.SGD, lambda h: {}),
    "momentum": (torch.optim.SGD, lambda h: {"momentum": h["momentum"]}),
    "nesterov": (torch.optim.SGD, lambda h: {"momentum": h["momentum"], "nesterov": True}),
    "adagrad": (torch.optim.Adagrad, lambda h: {"eps": h["eps"]}),
    "rmsprop": (torch.optim.RMSprop, lambda h: {"alpha": h["alpha"], "eps": h["eps"]}),
    "adam": (torch.optim.Adam, lambda h: {"betas": (h["beta1"], h["beta2"]), "eps": h["eps"]}),
}
# (surface, learning rates): rates at which every optimizer stays inside the domain.
SURFACES = [
    ("sincos", (0.01, 0.1, 0.3)),
    ("rosenbrock", (5e-5, 2e-4)),
    ("beale", (1e-4, 1e-3)),
    ("bowl", (1e-3, 5e-3)),
]
# Each optimizer bound to the keys of a set it reads ("default": none); torch gets the same values.
# "tuned" moves every hyperparameter off its default (checked below), so the comparison with
# torch.optim covers each: give a new one a value here.
HYPERS = {
    "default": {},
    "tuned": {"momentum": 0.5, "beta1": 0.8, "beta2": 0.95, "eps": 1e-3, "alpha": 0.9},
}


def _starts(name: str) -> torch.Tensor:
    # The middle half of the domain, so that no start leaves it at these rates.
    low, high = get_surface(name).domain
    g = torch.Generator().manual_seed(3)
    return low / 2 + (high - low) / 2 * torch.rand(N, 2, generator=g, dtype=torch.float64)


def _own(optimizer: str, hyper: dict) -> dict:
    return {key: value for key, value in hyper.items() if key in hyperparameters(optimizer)}


def _torch_path(name, optimizer, surface, starts, lr, hyper):
    """(STEPS+1, N, 2) positions from torch.optim, the gradient set by the analytic one."""
    cls, kwargs = TORCH[optimizer]
    p = torch.nn.Parameter(starts.clone())
    defaults = {key: default for key, (default, _) in hyperparameters(optimizer).items()}
    opt = cls([p], lr=lr, foreach=False, **kwargs(defaults | _own(optimizer, hyper)))
    path = [p.detach().clone()]
    for _ in range(STEPS):
        p.grad = surface.gradient(p.detach())
        opt.step()
        path.append(p.detach().clone())
    return torch.stack(path)


def _path(optimizer, surface, starts, lrs, hyper):
    """(STEPS+1, K, N, 2) positions from gdpipe's optimizer, all K rates in one batch."""
    opt = get_optimizer(optimizer, **_own(optimizer, hyper))
    x = starts.expand(len(lrs), -1, -1).clone()
    state = opt.init(x)
    path = [x]
    for t in range(1, STEPS + 1):
        x = opt.step(x, surface.gradient(x), state, lrs, t)
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


def test_each_optimizer_declares_its_hyperparameters_and_their_ranges():
    decay, eps = number(minimum=0, exclusiveMaximum=1), number(minimum=0)
    assert {name: hyperparameters(name) for name in OPTIMIZERS} == {
        "sgd": {},
        "momentum": {"momentum": (0.9, decay)},
        "nesterov": {"momentum": (0.9, decay)},
        "adagrad": {"eps": (1e-8, eps)},
        "rmsprop": {"alpha": (0.99, decay), "eps": (1e-8, eps)},
        "adam": {"beta1": (0.9, decay), "beta2": (0.999, decay), "eps": (1e-8, eps)},
    }
    # All of them, in the registry's order: the lab's keys (a shared key is one key, one range).
    assert [*hyperparameters()] == ["momentum", "eps", "alpha", "beta1", "beta2"]


def test_the_tuned_set_moves_every_hyperparameter_off_its_default():
    moved = {k for k, (default, _) in hyperparameters().items() if HYPERS["tuned"][k] != default}
    assert moved == set(hyperparameters())


def test_unknown_optimizer_names_the_allowed_ones():
    allowed = "sgd, momentum, nesterov, adagrad, rmsprop, adam"
    with pytest.raises(ValueError, match=f"^unknown optimizer 'adamw'; allowed: {allowed}$"):
        get_optimizer("adamw")


DECAY = "expected a number >= 0 and < 1"  # each message names the optimizer, key, value, range
BAD_HYPERS = [
    ("momentum", "momentum", 1.0, rf"momentum = 1\.0 is invalid \(out of range\): {DECAY}"),
    ("nesterov", "momentum", -0.1, rf"momentum = -0\.1 is invalid \(out of range\): {DECAY}"),
    ("adam", "beta1", 1.5, rf"beta1 = 1\.5 is invalid \(out of range\): {DECAY}"),
    ("adam", "beta2", float("nan"), rf"beta2 = nan is invalid \(not finite\): {DECAY}"),
    ("rmsprop", "alpha", "0.9", rf"alpha = '0\.9' is invalid \(got text, not a number\): {DECAY}"),
    ("adagrad", "eps", -1e-8, r"eps = -1e-08 is invalid \(out of range\): expected a number >= 0"),
    ("adam", "eps", float("inf"), r"eps = inf is invalid \(not finite\): expected a number >= 0"),
    ("adagrad", "momentum", 0.9, r"unknown key momentum \(allowed: eps\)"),
    (
        "adam",
        "beta_1",
        0.9,
        r"unknown key beta_1; did you mean beta1\? \(allowed: beta1, beta2, eps\)",
    ),
]


@pytest.mark.parametrize(
    ("optimizer", "key", "value", "message"),
    BAD_HYPERS,
    ids=[f"{o}-{k}={v}" for o, k, v, _ in BAD_HYPERS],
)
def test_bad_hyperparameters_are_refused(optimizer, key, value, message):
    with pytest.raises(ValueError, match=f"^optimizer '{optimizer}': {message}$"):
        get_optimizer(optimizer, **{key: value})
