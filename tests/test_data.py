"""Each experiment's data generator is deterministic per seed and differs across seeds; splits are
exact."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from gdpipe import data
from gdpipe.experiments import EXPERIMENTS, linear, quadratic, surface
from gdpipe.params import validate_params


@pytest.fixture
def params(unit_params):
    return validate_params(unit_params)


@pytest.mark.parametrize("experiment", list(EXPERIMENTS))
def test_same_seed_same_data(params, experiment):
    p = getattr(params, experiment)
    generate = EXPERIMENTS[experiment].generate
    pd.testing.assert_frame_equal(generate(p), generate(p))


@pytest.mark.parametrize("experiment", ["surface", "quadratic"])
def test_other_seed_other_data(params, experiment):
    p = getattr(params, experiment)
    other = dataclasses.replace(p, seed=p.seed + 1)
    generate = EXPERIMENTS[experiment].generate
    first, second = generate(p), generate(other)
    assert not np.allclose(first.to_numpy(), second.to_numpy())


def test_starts_lie_in_the_square(params):
    p = dataclasses.replace(params.surface, n_starts=500, low=-3.0, high=2.0)
    starts = surface.generate(p).to_numpy()
    assert starts.shape == (500, 2)
    assert starts.min() >= -3.0
    assert starts.max() < 2.0


def test_linear_data_is_the_notebook_line(params):
    frame = linear.generate(params.linear)
    np.testing.assert_array_equal(frame["x"], np.arange(0, 1, 0.02))
    np.testing.assert_allclose(frame["y"], 0.7 * frame["x"] + 0.3)


def test_quadratic_data_follows_the_parabola_up_to_noise(params):
    noiseless = quadratic.generate(dataclasses.replace(params.quadratic, noise=0.0))
    np.testing.assert_allclose(noiseless["speed"], 0.75 * (noiseless["t"] - 9.5) ** 2 + 1)
    noisy = quadratic.generate(params.quadratic)
    residual = noisy["speed"] - noiseless["speed"]
    assert 1.0 < residual.std() < 6.0  # noise 3 over 20 points


@pytest.mark.parametrize(("n", "test_size", "n_test"), [(50, 0.3, 15), (20, 0.25, 5), (7, 0.5, 4)])
def test_split_sizes_and_disjointness(n, test_size, n_test):
    frame = pd.DataFrame({"x": np.arange(n, dtype=float), "y": np.arange(n, dtype=float) * 2})
    train, test = data.split(frame, test_size=test_size, seed=42)
    assert (len(train), len(test)) == (n - n_test, n_test)
    assert set(train["x"]).isdisjoint(test["x"])
    assert sorted([*train["x"], *test["x"]]) == list(frame["x"])
    assert (train["y"] == 2 * train["x"]).all()  # rows stay whole


def test_split_is_seeded():
    frame = pd.DataFrame({"x": np.arange(30.0), "y": np.arange(30.0)})
    a, _ = data.split(frame, 0.3, seed=1)
    b, _ = data.split(frame, 0.3, seed=1)
    c, _ = data.split(frame, 0.3, seed=2)
    pd.testing.assert_frame_equal(a, b)
    assert list(a["x"]) != list(c["x"])


def test_split_matches_the_notebook_call(params):
    from sklearn.model_selection import train_test_split

    x = np.arange(0, 1, 0.02)
    x_train, x_test = train_test_split(x, test_size=0.3, random_state=42)
    train, test = data.split(linear.generate(params.linear), 0.3, 42)
    np.testing.assert_array_equal(train["x"], x_train)
    np.testing.assert_array_equal(test["x"], x_test)
