"""Math layer: analytic gradients against autograd and central differences; known minima."""

import numpy as np
import pytest
import torch

from gdpipe.objectives import SURFACES, get_surface

NAMES = sorted(SURFACES)


def _points(name: str, n: int = 64) -> torch.Tensor:
    low, high = SURFACES[name].domain
    g = torch.Generator().manual_seed(7)
    return low + (high - low) * torch.rand(n, 2, generator=g, dtype=torch.float64)


@pytest.mark.parametrize("name", NAMES)
def test_gradient_matches_autograd(name):
    surface = get_surface(name)
    x = _points(name).requires_grad_()
    (autograd,) = torch.autograd.grad(surface.value(x).sum(), x)
    torch.testing.assert_close(surface.gradient(x.detach()), autograd, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name", NAMES)
def test_gradient_matches_central_differences(name):
    surface = get_surface(name)
    x = _points(name).numpy()
    h = 1e-6
    numeric = np.stack(
        [(surface.value(x + h * e) - surface.value(x - h * e)) / (2 * h) for e in np.eye(2)],
        axis=-1,
    )
    scale = np.maximum(1.0, np.abs(numeric))
    assert np.max(np.abs(surface.gradient(x) - numeric) / scale) < 1e-5


@pytest.mark.parametrize("name", NAMES)
def test_numpy_and_torch_agree(name):
    surface = get_surface(name)
    x = _points(name)
    np.testing.assert_allclose(surface.value(x.numpy()), surface.value(x).numpy(), rtol=1e-12)
    np.testing.assert_allclose(
        surface.gradient(x.numpy()), surface.gradient(x).numpy(), rtol=1e-12, atol=1e-12
    )


@pytest.mark.parametrize("name", NAMES)
def test_known_minima_are_stationary_with_stated_value(name):
    surface = get_surface(name)
    minima = np.array(surface.minima)
    np.testing.assert_allclose(surface.value(minima[:, :2]), minima[:, 2], atol=1e-9)
    assert np.abs(surface.gradient(minima[:, :2])).max() < 1e-5


@pytest.mark.parametrize("name", NAMES)
def test_known_minima_are_minima(name):
    # Positive-definite Hessian (by autograd) at each listed point: a minimum, not a saddle.
    surface = get_surface(name)
    for x1, x2, _ in surface.minima:
        hessian = torch.autograd.functional.hessian(
            surface.value, torch.tensor([x1, x2], dtype=torch.float64)
        )
        assert torch.linalg.eigvalsh(hessian).min() > 0


def test_sincos_is_the_notebook_function():
    x = np.array([[1.0, 2.0], [3.5, 0.25]])
    expected = np.sin(x[:, 0]) * np.cos(x[:, 1]) + np.sin(0.5 * x[:, 0]) * np.cos(0.5 * x[:, 1])
    np.testing.assert_allclose(get_surface("sincos").value(x), expected)


def test_unknown_surface_names_the_known_ones():
    with pytest.raises(
        KeyError, match="unknown surface 'nope'; known: sincos, himmelblau, rosenbrock"
    ):
        get_surface("nope")
