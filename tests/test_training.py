"""Algorithm layer: Example 1 is plain gradient descent with per-start divergence, the
hand-written update equals torch.optim.SGD, the notebook's linear regression is recovered, and
divergence stops training cleanly."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
import torch

from gdpipe import data
from gdpipe.experiments import EXPERIMENTS
from gdpipe.experiments.surface import SurfaceParams, run_surface
from gdpipe.models import build_model
from gdpipe.objectives import get_surface
from gdpipe.params import validate_params
from gdpipe.training import TORCH_OPTIMIZERS, train_linear, train_quadratic

CPU = torch.device("cpu")


@pytest.fixture
def params(unit_params):
    return validate_params(unit_params)


def _split(experiment, p):
    return data.split(EXPERIMENTS[experiment].generate(p), p.test_size, p.split_seed)


# Example 1 runs on the lab's engine (tests/test_descent.py tests the engine itself).
def _surface_params(**changes):
    base = {"name": "sincos", "seed": 0, "n_starts": 6, "steps": 50, "lr": 0.1, "low": 0.0}
    return SurfaceParams(**{**base, "high": 10.0, "paths": 100, **changes})


def test_example_1_is_plain_gradient_descent_from_every_start():
    p = _surface_params(steps=2, lr=0.3)
    starts = pd.DataFrame({"x1": [1.0, 7.0], "x2": [2.0, 3.0]})
    trajectories, history, metrics = run_surface(p, starts, CPU, iter)
    surface = get_surface("sincos")
    x = starts.to_numpy()
    for step in range(3):
        rows = trajectories[trajectories["step"] == step]
        np.testing.assert_allclose(rows[["x1", "x2"]].to_numpy(), x, rtol=1e-15)
        np.testing.assert_allclose(rows["value"], surface.value(x), rtol=1e-15)
        np.testing.assert_allclose(history["mean_value"].iloc[step], surface.value(x).mean())
        x = x - 0.3 * surface.gradient(x)
    assert metrics["status"] == "ok"


def test_only_the_first_paths_are_kept_and_every_start_is_measured():
    g = np.random.default_rng(0)
    starts = pd.DataFrame(g.random((50, 2)) * 10, columns=["x1", "x2"])
    every, every_history, every_metrics = run_surface(_surface_params(), starts, CPU, iter)
    few, few_history, few_metrics = run_surface(_surface_params(paths=3), starts, CPU, iter)
    assert sorted(few["start"].unique()) == [0, 1, 2]
    pd.testing.assert_frame_equal(few, every[every["start"] < 3].reset_index(drop=True))
    pd.testing.assert_frame_equal(few_history, every_history)  # over all 50 starts
    assert few_metrics == every_metrics


def test_one_diverging_start_leaves_the_others_and_is_reported():
    p = _surface_params(name="rosenbrock", lr=1e-3, steps=200)
    good = pd.DataFrame({"x1": [0.5, -0.5], "x2": [0.5, 1.0]})
    bad = pd.concat([good, pd.DataFrame({"x1": [60.0], "x2": [0.0]})], ignore_index=True)
    alone, alone_history, _ = run_surface(p, good, CPU, iter)
    mixed, _, metrics = run_surface(p, bad, CPU, iter)
    pd.testing.assert_frame_equal(mixed[mixed["start"] < 2].reset_index(drop=True), alone)
    assert mixed[mixed["start"] == 2]["step"].max() < p.steps  # its path stops where it blew up
    assert metrics["status"] == "diverged"
    assert metrics["diverged_starts"] == 1
    assert metrics["diverged_step"] >= 1
    surface = get_surface("rosenbrock")
    finals = alone[alone["step"] == p.steps]
    assert metrics["mean_final_value"] == surface.value(finals[["x1", "x2"]].to_numpy()).mean()
    assert len(alone_history) == p.steps + 1


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
    _, result = EXPERIMENTS["quadratic"].train(p, train, test, CPU, iter)
    losses = [row["train_loss"] for row in result.history]
    assert len(losses) == p.epochs + 1
    assert losses[-1] < losses[0] / 10


def test_linear_recovers_the_notebook_line(params):
    p = params.linear
    train, test = _split("linear", p)
    model, result = EXPERIMENTS["linear"].train(p, train, test, CPU, iter)
    assert result.status == "ok"
    assert model.weight.item() == pytest.approx(0.7, abs=0.005)
    assert model.bias.item() == pytest.approx(0.3, abs=0.005)
    assert result.history[-1]["test_loss"] < 0.005
    assert len(result.history) == p.epochs + 1


def test_linear_batch_size_one_is_one_step_per_sample(params):
    # With batch_size 1 and SGD each sample moves the weights by lr * dL/dw of that sample.
    p = dataclasses.replace(params.linear, epochs=1)
    train, test = _split("linear", p)
    model, _ = EXPERIMENTS["linear"].train(p, train, test, CPU, iter)
    reference = build_model("linear", seed=p.seed)
    with torch.no_grad():
        for x, y in zip(train["x"], train["y"], strict=True):
            x, y = torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)
            sign = torch.sign(reference.weight * x + reference.bias - y)
            reference.weight -= p.lr * sign * x
            reference.bias -= p.lr * sign
    torch.testing.assert_close(model.weight, reference.weight)
    torch.testing.assert_close(model.bias, reference.bias)


class _Line(torch.nn.Module):
    """The reference's own y = w·x + b."""

    def __init__(self, w: torch.Tensor, b: torch.Tensor):
        super().__init__()
        self.w = torch.nn.Parameter(w.detach().clone())
        self.b = torch.nn.Parameter(b.detach().clone())

    def forward(self, x):
        return self.w * x + self.b


@pytest.mark.parametrize(
    ("optimizer", "torch_optimizer"),
    [("sgd", torch.optim.SGD), ("adam", torch.optim.Adam), ("rmsprop", torch.optim.RMSprop)],
)
def test_linear_training_is_a_plain_torch_loop(params, optimizer, torch_optimizer):
    # Example 3 is the textbook loop: torch.optim at its defaults but lr, MSE averaged over
    # each mini-batch, the batches in the split's order (35 rows by 4: a short last batch).
    # The model's seed differs from the split's, so that mixing the two up shows.
    p = dataclasses.replace(
        params.linear,
        seed=params.linear.split_seed + 1,
        optimizer=optimizer,
        loss="mse",
        lr=0.01,
        epochs=5,
        batch_size=4,
    )
    train, test = _split("linear", p)
    model, result = EXPERIMENTS["linear"].train(p, train, test, CPU, iter)

    start = build_model("linear", seed=p.seed)  # the starting weights, nothing else
    reference = _Line(start.weight, start.bias)
    opt = torch_optimizer(reference.parameters(), lr=p.lr)
    x, y = (torch.tensor(train[c].to_numpy(), dtype=torch.float32) for c in ("x", "y"))
    x_test, y_test = (torch.tensor(test[c].to_numpy(), dtype=torch.float32) for c in ("x", "y"))
    assert len(x) % p.batch_size != 0

    def mse(inputs, targets):
        with torch.no_grad():
            return torch.nn.functional.mse_loss(reference(inputs), targets).item()

    expected = [{"epoch": 0, "train_loss": mse(x, y), "test_loss": mse(x_test, y_test)}]
    for epoch in range(1, p.epochs + 1):
        batch_losses = []
        for i in range(0, len(x), p.batch_size):
            opt.zero_grad()
            loss = torch.nn.functional.mse_loss(
                reference(x[i : i + p.batch_size]), y[i : i + p.batch_size]
            )
            loss.backward()
            opt.step()
            batch_losses.append(loss.item())
        train_loss = sum(batch_losses) / len(batch_losses)  # each batch counts once
        expected.append(
            {"epoch": epoch, "train_loss": train_loss, "test_loss": mse(x_test, y_test)}
        )

    assert not torch.equal(reference.w, start.weight)  # it trained
    assert torch.equal(model.weight, reference.w)
    assert torch.equal(model.bias, reference.b)
    # The mean of an epoch's batch losses: float32 there, float64 here.
    assert len(result.history) == len(expected)
    for row, reference_row in zip(result.history, expected, strict=True):
        assert row == pytest.approx(reference_row, rel=1e-6, abs=0)


def test_training_is_deterministic(params):
    p = dataclasses.replace(params.linear, epochs=3)
    train, test = _split("linear", p)
    first, _ = EXPERIMENTS["linear"].train(p, train, test, CPU, iter)
    second, _ = EXPERIMENTS["linear"].train(p, train, test, CPU, iter)
    assert first.learned() == second.learned()


def test_quadratic_divergence_stops_at_the_first_bad_step(params):
    p = dataclasses.replace(params.quadratic, lr=1.0, epochs=50)
    train, test = _split("quadratic", p)
    _, result = EXPERIMENTS["quadratic"].train(p, train, test, CPU, iter)
    assert result.status == "diverged"
    assert 1 <= result.diverged_step <= 50
    assert len(result.history) == result.diverged_step  # rows 0..step-1, all finite
    assert all(np.isfinite(row["train_loss"]) for row in result.history)


def test_linear_divergence_is_reported(params):
    p = dataclasses.replace(params.linear, loss="mse", lr=1e6, epochs=5)
    train, test = _split("linear", p)
    _, result = EXPERIMENTS["linear"].train(p, train, test, CPU, iter)
    assert result.status == "diverged"
    assert result.diverged_step >= 1


@pytest.mark.parametrize(
    ("loss", "reference"),
    [("mse", torch.nn.functional.mse_loss), ("l1", torch.nn.functional.l1_loss)],
)
def test_train_linear_uses_the_named_loss(loss, reference):
    model = build_model("linear", seed=0)
    x = torch.tensor([0.0, 1.0])
    y = torch.tensor([1.0, 3.0])
    result = train_linear(model, (x, y), (x, y), "sgd", loss, lr=1e-9, epochs=1, batch_size=2)
    with torch.no_grad():
        expected = reference(model(x), y).item()
    assert result.history[-1]["test_loss"] == pytest.approx(expected, rel=1e-5)


def test_an_overflowing_test_loss_is_divergence_too(params):
    # Coefficients still finite in float32 while the test MSE overflows to inf.
    p = dataclasses.replace(params.quadratic, lr=1.0, epochs=50)
    train, test = _split("quadratic", p)
    model, result = EXPERIMENTS["quadratic"].train(p, train, test, CPU, iter)
    assert result.status == "diverged"
    assert all(np.isfinite(list(model.learned().values())))  # only the loss said so
    assert all(np.isfinite(list(row.values())).all() for row in result.history)


@pytest.mark.parametrize(("optimizer", "lr", "bad_epoch"), [("sgd", 1.5, 2), ("adam", 1e20, 1)])
def test_an_epoch_checked_at_its_end_stops_where_checking_every_step_would(
    optimizer, lr, bad_epoch
):
    x = torch.linspace(0.0, 1.0, 40)
    y = 0.7 * x + 0.3
    model = build_model("linear", seed=0)
    stepwise = build_model("linear", seed=0)
    result = train_linear(model, (x, y), (x, y), optimizer, "mse", lr, 10, 1)
    # The plain loop, checking every step.
    opt, step = TORCH_OPTIMIZERS[optimizer](stepwise.parameters(), lr=lr), 0
    finite = True
    while finite:
        for i in range(len(x)):
            step += 1
            opt.zero_grad()
            loss = torch.nn.functional.mse_loss(stepwise(x[i : i + 1]), y[i : i + 1])
            loss.backward()
            opt.step()
            finite = bool(torch.isfinite(loss)) and all(
                bool(torch.isfinite(p).all()) for p in stepwise.parameters()
            )
            if not finite:
                break
    assert (step - 1) // len(x) + 1 == bad_epoch  # sgd: epoch 2 reruns from its saved start
    assert (result.status, result.diverged_step) == ("diverged", step)
    for ours, theirs in zip(model.parameters(), stepwise.parameters(), strict=True):
        assert torch.equal(ours.nan_to_num(7.0), theirs.nan_to_num(7.0))
