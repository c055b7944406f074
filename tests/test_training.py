"""Algorithm layer: descent reaches known minima, the hand-written update equals torch.optim.SGD,
the notebook's linear regression is recovered, and divergence stops training cleanly."""

import dataclasses

import numpy as np
import pytest
import torch

from gdpipe import data
from gdpipe.experiments import run_training
from gdpipe.models import build_model
from gdpipe.objectives import SURFACES, get_surface
from gdpipe.params import validate_params
from gdpipe.training import descend, train_linear, train_quadratic

CPU = torch.device("cpu")


@pytest.fixture
def params(default_params):
    return validate_params(default_params)


def _split(experiment, p):
    return data.split(data.generate(experiment, p), p.test_size, p.split_seed)


# (surface, lr, steps): each start sits near a known minimum and must reach it.
DESCENTS = [("sincos", 0.1, 300), ("himmelblau", 0.01, 300), ("rosenbrock", 0.001, 20000)]


@pytest.mark.parametrize(("name", "lr", "steps"), DESCENTS, ids=[d[0] for d in DESCENTS])
def test_descent_from_near_each_minimum_reaches_it(name, lr, steps):
    surface = get_surface(name)
    minima = torch.tensor([m[:2] for m in surface.minima], dtype=torch.float64)
    starts = minima + 0.1
    result = descend(surface, starts, lr=lr, steps=steps)
    assert result.status == "ok"
    torch.testing.assert_close(result.positions[-1], minima, atol=1e-4, rtol=0)
    assert result.positions.shape == (steps + 1, len(minima), 2)


def test_descent_is_one_vectorised_update_per_step():
    # x_{k+1} = x_k - lr * grad f(x_k) for every start at once.
    surface = SURFACES["sincos"]
    starts = torch.tensor([[1.0, 2.0], [7.0, 3.0]], dtype=torch.float64)
    result = descend(surface, starts, lr=0.3, steps=2)
    step1 = starts - 0.3 * surface.gradient(starts)
    torch.testing.assert_close(result.positions[1], step1)
    torch.testing.assert_close(result.positions[2], step1 - 0.3 * surface.gradient(step1))
    torch.testing.assert_close(result.values, surface.value(result.positions))


def test_descent_value_never_rises_with_a_small_step():
    surface = SURFACES["sincos"]
    starts = 10 * torch.rand(50, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    result = descend(surface, starts, lr=0.05, steps=100)
    assert (result.values[1:] <= result.values[:-1] + 1e-12).all()


def test_hand_written_quadratic_step_equals_torch_sgd(params):
    p = params.quadratic
    train, test = _split("quadratic", p)
    train_t = tuple(torch.tensor(train[c].to_numpy(), dtype=torch.float32) for c in ("t", "speed"))
    test_t = tuple(torch.tensor(test[c].to_numpy(), dtype=torch.float32) for c in ("t", "speed"))
    ours = build_model("quadratic", seed=3)
    result = train_quadratic(ours, train_t, test_t, lr=p.lr, epochs=5)
    reference = build_model("quadratic", seed=3)
    sgd = torch.optim.SGD(reference.parameters(), lr=p.lr)
    for epoch in range(1, 6):
        sgd.zero_grad()
        torch.nn.functional.mse_loss(reference(train_t[0]), train_t[1]).backward()
        sgd.step()
        with torch.no_grad():  # the history holds the loss after each update
            loss = torch.nn.functional.mse_loss(reference(train_t[0]), train_t[1])
        assert result.history[epoch]["train_loss"] == pytest.approx(loss.item(), rel=1e-6)
        assert result.history[epoch]["a"] == pytest.approx(
            reference.coefficients[0].item(), rel=1e-6
        )
    torch.testing.assert_close(ours.coefficients, reference.coefficients)


def test_quadratic_loss_falls(params):
    p = params.quadratic
    train, test = _split("quadratic", p)
    _, result = run_training("quadratic", p, train, test, CPU, iter)
    losses = [row["train_loss"] for row in result.history]
    assert len(losses) == p.epochs + 1
    assert losses[-1] < losses[0] / 10


def test_linear_recovers_the_notebook_line(params):
    p = params.linear
    train, test = _split("linear", p)
    model, result = run_training("linear", p, train, test, CPU, iter)
    assert result.status == "ok"
    assert model.weight.item() == pytest.approx(0.7, abs=0.005)
    assert model.bias.item() == pytest.approx(0.3, abs=0.005)
    assert result.history[-1]["test_loss"] < 0.005
    assert len(result.history) == p.epochs + 1


def test_linear_batch_size_one_is_one_step_per_sample(params):
    # With batch_size 1 and SGD each sample moves the weights by lr * dL/dw of that sample.
    p = dataclasses.replace(params.linear, epochs=1)
    train, test = _split("linear", p)
    model, _ = run_training("linear", p, train, test, CPU, iter)
    reference = build_model("linear", seed=p.seed)
    with torch.no_grad():
        for x, y in zip(train["x"], train["y"], strict=True):
            x, y = torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)
            sign = torch.sign(reference.weight * x + reference.bias - y)
            reference.weight -= p.lr * sign * x
            reference.bias -= p.lr * sign
    torch.testing.assert_close(model.weight, reference.weight)
    torch.testing.assert_close(model.bias, reference.bias)


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "rmsprop"])
def test_every_optimizer_reduces_the_linear_loss(params, optimizer):
    p = dataclasses.replace(
        params.linear, optimizer=optimizer, loss="mse", lr=0.01, epochs=5, batch_size=5
    )
    train, test = _split("linear", p)
    _, result = run_training("linear", p, train, test, CPU, iter)
    assert result.history[-1]["test_loss"] < result.history[0]["test_loss"]


def test_training_is_deterministic(params):
    p = dataclasses.replace(params.linear, epochs=3)
    train, test = _split("linear", p)
    first, _ = run_training("linear", p, train, test, CPU, iter)
    second, _ = run_training("linear", p, train, test, CPU, iter)
    assert first.learned() == second.learned()


def test_quadratic_divergence_stops_at_the_first_bad_step(params):
    p = dataclasses.replace(params.quadratic, lr=1.0, epochs=50)
    train, test = _split("quadratic", p)
    _, result = run_training("quadratic", p, train, test, CPU, iter)
    assert result.status == "diverged"
    assert 1 <= result.diverged_step <= 50
    assert len(result.history) == result.diverged_step  # rows 0..step-1, all finite
    assert all(np.isfinite(row["train_loss"]) for row in result.history)


def test_linear_divergence_is_reported(params):
    p = dataclasses.replace(params.linear, loss="mse", lr=1e6, epochs=5)
    train, test = _split("linear", p)
    _, result = run_training("linear", p, train, test, CPU, iter)
    assert result.status == "diverged"
    assert result.diverged_step >= 1


def test_surface_divergence_is_reported():
    surface = SURFACES["rosenbrock"]
    starts = torch.tensor([[1.5, 1.5]], dtype=torch.float64)
    result = descend(surface, starts, lr=1.0, steps=100)
    assert result.status == "diverged"
    assert torch.isfinite(result.positions).all()
    assert result.positions.shape[0] == result.diverged_step


def test_train_linear_uses_the_named_loss():
    model = build_model("linear", seed=0)
    x = torch.tensor([0.0, 1.0])
    y = torch.tensor([1.0, 3.0])
    result = train_linear(model, (x, y), (x, y), "sgd", "mse", lr=1e-9, epochs=1, batch_size=2)
    with torch.no_grad():
        expected = torch.nn.functional.mse_loss(model(x), y).item()
    assert result.history[-1]["test_loss"] == pytest.approx(expected, rel=1e-5)


def test_an_overflowing_test_loss_is_divergence_too(params):
    # Coefficients still finite in float32 while the test MSE overflows to inf.
    p = dataclasses.replace(params.quadratic, lr=1.0, epochs=50)
    train, test = _split("quadratic", p)
    _, result = run_training("quadratic", p, train, test, CPU, iter)
    assert result.status == "diverged"
    assert all(np.isfinite(list(row.values())).all() for row in result.history)
