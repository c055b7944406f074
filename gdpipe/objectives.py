"""2-D test surfaces with analytic gradients, known minima and a plotting domain.

Value and gradient take an array of points shaped (..., 2) and use only functions that numpy and
torch share (sin, cos, stack with axis=), so the same formula runs on a numpy grid for a contour
plot and on a torch tensor on the GPU for descent.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass


def _xp(points):
    """The array library a value belongs to: torch for tensors, numpy otherwise."""
    if type(points).__module__.startswith("torch"):
        import torch

        return torch
    import numpy

    return numpy


@dataclass(frozen=True)
class Surface:
    """An objective f(x1, x2) with its gradient, known local minima and a natural domain."""

    name: str
    formula: str
    value: Callable
    gradient: Callable
    minima: tuple[tuple[float, float, float], ...]  # (x1, x2, f) of local minima in the domain
    domain: tuple[float, float]

    @property
    def f_star(self) -> float:
        """The global minimum value (the lowest of the known minima)."""
        return min(m[2] for m in self.minima)


def _sincos_value(p):
    xp, x1, x2 = _xp(p), p[..., 0], p[..., 1]
    return xp.sin(x1) * xp.cos(x2) + xp.sin(x1 / 2) * xp.cos(x2 / 2)


def _sincos_gradient(p):
    xp, x1, x2 = _xp(p), p[..., 0], p[..., 1]
    d1 = xp.cos(x1) * xp.cos(x2) + 0.5 * xp.cos(x1 / 2) * xp.cos(x2 / 2)
    d2 = -xp.sin(x1) * xp.sin(x2) - 0.5 * xp.sin(x1 / 2) * xp.sin(x2 / 2)
    return xp.stack([d1, d2], axis=-1)


# On x2 = 2*pi the surface is sin x1 - sin(x1/2), whose minimum solves 2c^2 - c/2 - 1 = 0 with
# c = cos(x1/2): hence the closed form. The other four come from Newton's method (see tests).
_SINCOS_X1 = 2 * math.acos((1 - math.sqrt(33)) / 8)
_SINCOS_MINIMA = (
    (_SINCOS_X1, 2 * math.pi, -1.7601725930460868),
    (1.637834, 3.509693, -1.0645906614371388),
    (1.637834, 9.056678, -1.0645906614371388),
    (7.921019, 2.773493, -1.0645906614371388),
    (7.921019, 9.792878, -1.0645906614371388),
)


def _himmelblau_value(p):
    x1, x2 = p[..., 0], p[..., 1]
    return (x1**2 + x2 - 11) ** 2 + (x1 + x2**2 - 7) ** 2


def _himmelblau_gradient(p):
    xp, x1, x2 = _xp(p), p[..., 0], p[..., 1]
    u, v = x1**2 + x2 - 11, x1 + x2**2 - 7
    return xp.stack([4 * x1 * u + 2 * v, 2 * u + 4 * x2 * v], axis=-1)


def _rosenbrock_value(p):
    x1, x2 = p[..., 0], p[..., 1]
    return (1 - x1) ** 2 + 100 * (x2 - x1**2) ** 2


def _rosenbrock_gradient(p):
    xp, x1, x2 = _xp(p), p[..., 0], p[..., 1]
    return xp.stack([-2 * (1 - x1) - 400 * x1 * (x2 - x1**2), 200 * (x2 - x1**2)], axis=-1)


SURFACES = {
    "sincos": Surface(
        "sincos",
        "sin(x1)cos(x2) + sin(x1/2)cos(x2/2)",
        _sincos_value,
        _sincos_gradient,
        _SINCOS_MINIMA,
        (0.0, 10.0),
    ),
    "himmelblau": Surface(
        "himmelblau",
        "(x1^2 + x2 - 11)^2 + (x1 + x2^2 - 7)^2",
        _himmelblau_value,
        _himmelblau_gradient,
        (
            (3.0, 2.0, 0.0),
            (-2.805118086952745, 3.131312518250573, 0.0),
            (-3.779310253377747, -3.2831859912861696, 0.0),
            (3.5844283403304917, -1.8481265269644034, 0.0),
        ),
        (-5.0, 5.0),
    ),
    "rosenbrock": Surface(
        "rosenbrock",
        "(1 - x1)^2 + 100(x2 - x1^2)^2",
        _rosenbrock_value,
        _rosenbrock_gradient,
        ((1.0, 1.0, 0.0),),
        (-2.0, 2.0),
    ),
}


def get_surface(name: str) -> Surface:
    """The surface registered under name."""
    try:
        return SURFACES[name]
    except KeyError:
        raise KeyError(f"unknown surface {name!r}; known: {', '.join(SURFACES)}") from None
