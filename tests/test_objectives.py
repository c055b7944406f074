"""Math layer: analytic gradients against autograd and central differences; known minima."""

import dataclasses
import math

import numpy as np
import pytest
import torch

from gdpipe.objectives import SURFACES, find_minima, get_surface

# The lab's table of surfaces: name -> (f*, domain).
# sincos: on x2 = 2π the surface is sin x1 − sin(x1/2), lowest where c = cos(x1/2) solves
# 2c² − c/2 − 1 = 0. styblinski_tang: each coordinate at the lowest root of x³ − 8x + 1.25 = 0
# (half its derivative), from the cubic's trigonometric roots.
_X1 = 2 * math.acos((1 - math.sqrt(33)) / 8)
_THETA = math.acos(3 * 1.25 / (2 * -8) * math.sqrt(3 / 8))
_LOW = min(2 * math.sqrt(8 / 3) * math.cos(_THETA / 3 - 2 * math.pi * k / 3) for k in range(3))
TABLE = {
    "sincos": (math.sin(_X1) - math.sin(_X1 / 2), (0.0, 10.0)),
    "rosenbrock": (0.0, (-2.0, 2.0)),
    "himmelblau": (0.0, (-5.0, 5.0)),
    "rastrigin": (0.0, (-5.12, 5.12)),
    "beale": (0.0, (-4.5, 4.5)),
    "bowl": (0.0, (-5.0, 5.0)),
    "styblinski_tang": (_LOW**4 - 16 * _LOW**2 + 5 * _LOW, (-5.0, 5.0)),
}
# Every registered surface, and the bowl once more with a condition number other than the default.
CASES = [(name, 100.0) for name in SURFACES] + [("bowl", 7.5)]
IDS = [name if kappa == 100.0 else f"{name}-kappa{kappa:g}" for name, kappa in CASES]


def _points(name: str, n: int = 64) -> torch.Tensor:
    low, high = SURFACES[name].domain
    g = torch.Generator().manual_seed(7)
    return low + (high - low) * torch.rand(n, 2, generator=g, dtype=torch.float64)


def test_registry_lists_the_surfaces_in_order():
    # TABLE is the independent record of each surface: a surface registered without an entry
    # there would escape the f* and domain checks.
    assert list(SURFACES) == list(TABLE)


@pytest.mark.parametrize("name", TABLE)
def test_f_star_and_domain_are_the_tables(name):
    f_star, domain = TABLE[name]
    assert get_surface(name).f_star == pytest.approx(f_star, rel=1e-14, abs=0)
    assert get_surface(name).domain == domain


@pytest.mark.parametrize(("name", "kappa"), CASES, ids=IDS)
def test_gradient_matches_autograd(name, kappa):
    surface = get_surface(name, condition=kappa)
    x = _points(name).requires_grad_()
    (autograd,) = torch.autograd.grad(surface.value(x).sum(), x)
    torch.testing.assert_close(surface.gradient(x.detach()), autograd, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize(("name", "kappa"), CASES, ids=IDS)
def test_gradient_matches_central_differences(name, kappa):
    surface = get_surface(name, condition=kappa)
    x = _points(name).numpy()
    h = 1e-6
    numeric = np.stack(
        [(surface.value(x + h * e) - surface.value(x - h * e)) / (2 * h) for e in np.eye(2)],
        axis=-1,
    )
    scale = np.maximum(1.0, np.abs(numeric))
    assert np.max(np.abs(surface.gradient(x) - numeric) / scale) < 1e-5


@pytest.mark.parametrize(("name", "kappa"), CASES, ids=IDS)
def test_value_and_gradient_is_one_pass_of_both(name, kappa):
    surface = get_surface(name, condition=kappa)
    calls = []

    def counted(p, k):
        calls.append(p.shape)
        return surface.terms(p, k)

    x = _points(name).reshape(4, 16, 2)  # any leading shape
    f, g = dataclasses.replace(surface, terms=counted).value_and_gradient(x)
    assert calls == [(4, 16, 2)]  # value and gradient from one evaluation of the terms
    assert f.shape == (4, 16)
    assert g.shape == (4, 16, 2)


@pytest.mark.parametrize(("name", "kappa"), CASES, ids=IDS)
def test_numpy_and_torch_agree(name, kappa):
    surface = get_surface(name, condition=kappa)
    x = _points(name)
    np.testing.assert_allclose(
        surface.value(x.numpy()), surface.value(x).numpy(), rtol=1e-12, atol=1e-12
    )
    np.testing.assert_allclose(
        surface.gradient(x.numpy()), surface.gradient(x).numpy(), rtol=1e-12, atol=1e-12
    )


@pytest.mark.parametrize(("name", "kappa"), CASES, ids=IDS)
def test_known_minima_are_stationary_with_stated_value(name, kappa):
    surface = get_surface(name, condition=kappa)
    minima = np.array(surface.minima)
    np.testing.assert_allclose(surface.value(minima[:, :2]), minima[:, 2], atol=1e-9)
    assert np.abs(surface.gradient(minima[:, :2])).max() < 1e-5


@pytest.mark.parametrize(("name", "kappa"), CASES, ids=IDS)
def test_known_minima_are_minima(name, kappa):
    # Positive-definite Hessian (by autograd) at each listed point: a minimum, not a saddle.
    surface = get_surface(name, condition=kappa)
    for x1, x2, _ in surface.minima:
        hessian = torch.autograd.functional.hessian(
            surface.value, torch.tensor([x1, x2], dtype=torch.float64)
        )
        assert torch.linalg.eigvalsh(hessian).min() > 0


@pytest.mark.parametrize(("name", "kappa"), CASES, ids=IDS)
def test_the_listed_minima_are_every_minimum_in_the_domain(name, kappa):
    # Searched for by a method (Newton from a grid, positive-definite Hessian), not by hand: a
    # minimum missing from the list, or one listed that is not there, fails.
    surface = get_surface(name, condition=kappa)
    found, listed = np.array(find_minima(surface)), np.array(surface.minima)
    assert len(found) == len(listed)
    order = np.lexsort((listed[:, 1], listed[:, 0]))
    np.testing.assert_allclose(found[:, :2], listed[order, :2], rtol=0, atol=2e-6)
    np.testing.assert_allclose(found[:, 2], listed[order, 2], rtol=0, atol=1e-10)


@pytest.mark.parametrize("name", ["sincos", "himmelblau"])
def test_minima_in_a_square_are_every_minimum_there_periodic_copies_included(name):
    # A square wider than the domain (a figure's view): sincos repeats itself there, so the
    # listed minima and their copies must be every minimum the search finds in it.
    surface = get_surface(name)
    low, high = surface.domain
    square = (low - 0.3 * (high - low), high + 0.6 * (high - low))
    index, points = surface.minima_in(*square)
    found = np.array(find_minima(dataclasses.replace(surface, domain=square)))
    assert len(points) == len(found) > len(surface.minima) * (name == "sincos")
    gaps = np.abs(found[:, None, :2] - points[None]).max(axis=-1)  # (found, ours)
    match = gaps.argmin(axis=1)
    assert sorted(match) == list(range(len(points)))
    assert gaps.min(axis=1).max() < 2e-6
    values = np.array([surface.minima[i][2] for i in index[match]])
    np.testing.assert_allclose(values, found[:, 2], rtol=0, atol=1e-10)


def test_minima_found_include_those_on_the_domains_edge_and_every_rastrigin_well():
    # sincos on its edge x2 = 0 is sin x1 + sin(x1/2): lowest at x1 = 5.1475 (f = -0.369), the
    # minimum a hand-made list missed; Rastrigin has one well beside each integer, 11 x 11.
    sincos = find_minima(get_surface("sincos"))
    edge = [m for m in sincos if abs(m[1]) < 1e-9]
    assert len(edge) == 1
    assert edge[0][0] == pytest.approx(5.147527, abs=1e-6)
    assert edge[0][2] == pytest.approx(-0.369009, abs=1e-6)
    wells = np.array(find_minima(get_surface("rastrigin")))[:, :2]
    assert len(wells) == 121
    assert np.abs(wells - np.round(wells)).max() < 0.03


def test_styblinski_tang_minima_are_the_cubics_roots():
    # df/dxi = 2xi^3 - 16xi + 2.5 = 0, i.e. x^3 - 8x + 5/4 = 0: Viète's trigonometric roots.
    # The outer two are minima, the middle one a maximum.
    r, phi = 2 * math.sqrt(8 / 3), math.acos(-(3 * 1.25) / (2 * 8) * math.sqrt(3 / 8)) / 3
    roots = sorted(r * math.cos(phi - 2 * math.pi * k / 3) for k in range(3))
    low, high = roots[0], roots[2]
    expected = {(a, b) for a in (low, high) for b in (low, high)}
    minima = get_surface("styblinski_tang").minima
    assert len(minima) == 4
    for x1, x2, f in minima:
        assert min(math.dist((x1, x2), e) for e in expected) < 1e-14
        assert f == pytest.approx(0.5 * sum(x**4 - 16 * x**2 + 5 * x for x in (x1, x2)), 1e-15)
    assert low == pytest.approx(-2.903534, abs=1e-6)
    assert high == pytest.approx(2.746803, abs=1e-6)


def test_sincos_is_the_notebook_function():
    x = np.array([[1.0, 2.0], [3.5, 0.25]])
    expected = np.sin(x[:, 0]) * np.cos(x[:, 1]) + np.sin(0.5 * x[:, 0]) * np.cos(0.5 * x[:, 1])
    np.testing.assert_allclose(get_surface("sincos").value(x), expected)


def test_bowl_uses_its_condition_number():
    x = np.array([[1.0, 2.0]])
    bowl = get_surface("bowl", condition=3.0)
    np.testing.assert_allclose(bowl.value(x), [0.5 * (1 + 3 * 4)])
    np.testing.assert_allclose(bowl.gradient(x), [[1.0, 6.0]])
    assert get_surface("bowl").condition == 100.0


def test_other_surfaces_ignore_the_condition_number():
    assert get_surface("rosenbrock", condition=3.0) is SURFACES["rosenbrock"]


def test_unknown_surface_names_the_allowed_ones():
    allowed = "sincos, rosenbrock, himmelblau, rastrigin, beale, bowl, styblinski_tang"
    with pytest.raises(ValueError, match=f"unknown surface 'nope'; allowed: {allowed}$"):
        get_surface("nope")


@pytest.mark.parametrize("kappa", [0.0, -1.0, math.inf, math.nan, "10"])
def test_bad_condition_number_is_refused(kappa):
    with pytest.raises(ValueError, match=r"condition must be a finite number > 0, got "):
        get_surface("bowl", condition=kappa)
