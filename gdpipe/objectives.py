"""2-D test surfaces: `terms(p, kappa) -> (f, (∂f/∂x1, ∂f/∂x2))` on points (..., 2) in one pass,
with only what numpy and torch share (one formula for a numpy grid and torch descent) and powers
as products (torch's pow rounds by where a start sits in the batch); known minima; a domain."""

import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np


def _xp(points):  # the array library of a value: torch (loaded: it made the tensor) or numpy
    return sys.modules["torch"] if type(points).__module__.startswith("torch") else np


@dataclass(frozen=True)
class Surface:
    """An objective f(x1, x2) with its gradient, known local minima and a natural domain."""

    name: str
    formula: str
    terms: Callable  # (p (..., 2), kappa) -> (f, (∂f/∂x1, ∂f/∂x2)), each (...)
    minima: tuple[tuple[float, float, float], ...]  # (x1, x2, f) of local minima in the domain
    domain: tuple[float, float]
    lr: float  # a plain gradient-descent step that converges from the domain (`lr: auto`)
    condition: float | None = None  # κ of a surface that has one (bowl); None: it has none
    periods: tuple[tuple[float, float], ...] = ()  # two shifts that leave f unchanged (sincos)

    @property
    def f_star(self) -> float:  # the global minimum value
        return min(m[2] for m in self.minima)

    def at_minima(self, points, value_tol: float = 1e-4, gradient_tol: float = 1e-2):
        """(N, M) numpy bools: point n is still (|∇f| ≤ gradient_tol) at known minimum m's value
        (not at its position: a periodic surface's copies of a minimum count)."""
        value, gradient = self.value_and_gradient(np.asarray(points, dtype=np.float64))
        still = np.linalg.norm(gradient, axis=-1) <= gradient_tol
        levels = np.array([m[2] for m in self.minima])
        return still[:, None] & (np.abs(value[:, None] - levels[None, :]) <= value_tol)

    def minima_in(self, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
        """The known minima and their periodic copies in [lo, hi]²: index in `minima` (K,) and
        position (K, 2), every point once (listed ones first)."""
        minima, shifts = np.array([m[:2] for m in self.minima]), np.zeros((1, 2))
        if self.periods:
            P = np.array(self.periods)  # a copy is at m + c @ P, c integer: |c| ≤ |shift|·‖P⁻¹‖
            far = math.sqrt(2) * (max(hi, self.domain[1]) - min(lo, self.domain[0]))
            n = math.ceil(far * np.linalg.norm(np.linalg.inv(P), 2))
            c = np.stack(np.meshgrid(range(-n, n + 1), range(-n, n + 1)), axis=-1).reshape(-1, 2)
            shifts = c @ P
            shifts = shifts[np.argsort(np.linalg.norm(shifts, axis=1), kind="stable")]
        points = minima[None] + shifts[:, None]  # (S, M, 2), the unshifted first
        index = np.broadcast_to(np.arange(len(minima)), points.shape[:2])
        inside = ((points >= lo) & (points <= hi)).all(axis=-1)
        points, index = points[inside], index[inside]
        # A listed minimum may be a copy of another (sincos's): each point once, as listed.
        seen = np.linalg.norm(points[:, None] - points[None], axis=-1) < 1e-4
        first = ~np.tril(seen, -1).any(axis=1)
        return index[first], points[first]

    def value_and_gradient(self, p):  # in one pass
        f, gradient = self.terms(p, self.condition)
        xp = _xp(p)  # stacked first, then viewed last: each coordinate is contiguous
        return f, xp.moveaxis(xp.stack(gradient), 0, -1)

    def value(self, p):
        return self.terms(p, self.condition)[0]

    def gradient(self, p):
        return self.value_and_gradient(p)[1]


def _sincos(p, kappa=None):
    xp, x1, x2 = _xp(p), p[..., 0], p[..., 1]
    s1, c1, s2, c2 = xp.sin(x1), xp.cos(x1), xp.sin(x2), xp.cos(x2)
    half1, half2 = x1 / 2, x2 / 2  # each halved once: the descent's step pays per op
    h1, k1, h2, k2 = xp.sin(half1), xp.cos(half1), xp.sin(half2), xp.cos(half2)
    f = s1 * c2 + h1 * k2
    return f, (c1 * c2 + 0.5 * k1 * k2, -s1 * s2 - 0.5 * h1 * h2)


def _himmelblau(p, kappa=None):
    x1, x2 = p[..., 0], p[..., 1]
    u, v = x1 * x1 + x2 - 11, x1 + x2 * x2 - 7
    f = u * u + v * v
    return f, (4 * x1 * u + 2 * v, 2 * u + 4 * x2 * v)


def _rosenbrock(p, kappa=None):
    x1, x2 = p[..., 0], p[..., 1]
    a, b = 1 - x1, x2 - x1 * x1
    f = a * a + 100 * b * b
    return f, (-2 * a - 400 * x1 * b, 200 * b)


def _rastrigin(p, kappa=None):
    xp, x1, x2 = _xp(p), p[..., 0], p[..., 1]
    w1, w2 = 2 * math.pi * x1, 2 * math.pi * x2
    f = 20 + x1 * x1 + x2 * x2 - 10 * (xp.cos(w1) + xp.cos(w2))
    return f, (2 * x1 + 20 * math.pi * xp.sin(w1), 2 * x2 + 20 * math.pi * xp.sin(w2))


def _beale(p, kappa=None):
    x1, x2 = p[..., 0], p[..., 1]
    y2 = x2 * x2
    y3 = y2 * x2
    a, b, c = 1.5 - x1 + x1 * x2, 2.25 - x1 + x1 * y2, 2.625 - x1 + x1 * y3
    f = a * a + b * b + c * c
    d1 = 2 * (a * (x2 - 1) + b * (y2 - 1) + c * (y3 - 1))
    d2 = 2 * x1 * (a + 2 * b * x2 + 3 * c * y2)
    return f, (d1, d2)


def _bowl(p, kappa):
    x1, x2 = p[..., 0], p[..., 1]
    f = 0.5 * (x1 * x1 + kappa * x2 * x2)
    return f, (x1, kappa * x2)


def _styblinski_tang(p, kappa=None):
    x1, x2 = p[..., 0], p[..., 1]
    q1, q2 = x1 * x1, x2 * x2
    f = 0.5 * ((q1 * q1 - 16 * q1 + 5 * x1) + (q2 * q2 - 16 * q2 + 5 * x2))
    return f, (2 * q1 * x1 - 16 * x1 + 2.5, 2 * q2 * x2 - 16 * x2 + 2.5)


# Listed, not searched for at import (seconds); find_minima checks the list. sincos is sin x1 ∓
# sin(x1/2) on x2 = 2π and on its edge x2 = 0: closed forms from 2c² ∓ c/2 − 1 = 0, c = cos(x1/2).
# The other four come from Newton's method.
_SINCOS_EDGE_X1 = 2 * math.acos((-1 - math.sqrt(33)) / 8)
_SINCOS_MINIMA = (
    (2 * math.acos((1 - math.sqrt(33)) / 8), 2 * math.pi, -1.7601725930460868),
    (1.637834, 3.509693, -1.0645906614371388),
    (1.637834, 9.056678, -1.0645906614371388),
    (7.921019, 2.773493, -1.0645906614371388),
    (7.921019, 9.792878, -1.0645906614371388),
    (_SINCOS_EDGE_X1, 0.0, math.sin(_SINCOS_EDGE_X1) + math.sin(_SINCOS_EDGE_X1 / 2)),
)


def _newton_root(derivative, second, x: float, steps: int = 8) -> float:
    """A root of a 1-D derivative by Newton's method from x (these converge in < 8 steps)."""
    for _ in range(steps):
        x -= derivative(x) / second(x)
    return x


# Sums of one function per coordinate: every combination of the 1-D minima. Styblinski-Tang: two
# per coordinate (the middle root is a maximum).
_ST_1D = tuple(
    _newton_root(lambda x: 2 * x**3 - 16 * x + 2.5, lambda x: 6 * x**2 - 16, x) for x in (-2.9, 2.7)
)
# Rastrigin: one beside each integer, the cosine's wells, tilted by x^2 (exactly 0 at 0).
_RASTRIGIN_1D = tuple(
    _newton_root(
        lambda x: 2 * x + 20 * math.pi * math.sin(2 * math.pi * x),
        lambda x: 2 + 40 * math.pi**2 * math.cos(2 * math.pi * x),
        float(k),
    )
    for k in range(-5, 6)
)


def _grid_minima(terms, roots) -> tuple[tuple[float, float, float], ...]:
    return tuple((a, b, float(terms(np.array([a, b]))[0])) for a in roots for b in roots)


_ALL = (
    Surface(
        "sincos",
        "sin(x1)cos(x2) + sin(x1/2)cos(x2/2)",
        _sincos,
        _SINCOS_MINIMA,
        (0.0, 10.0),
        0.1,
        # sin x1 cos x2 has period 2π in each coordinate; sin(x1/2)cos(x2/2) 4π, and changes
        # sign twice under a shift of 2π in both.
        periods=((4 * math.pi, 0.0), (2 * math.pi, 2 * math.pi)),
    ),
    Surface(
        "rosenbrock",
        "(1 - x1)^2 + 100(x2 - x1^2)^2",
        _rosenbrock,
        ((1.0, 1.0, 0.0),),
        (-2.0, 2.0),
        # 1e-3 diverges from 1% of the lab's starts; at a safe lr, descent along the valley (2500×
        # flatter than across it) needs 10⁴ steps or more.
        3e-4,
    ),
    Surface(
        "himmelblau",
        "(x1^2 + x2 - 11)^2 + (x1 + x2^2 - 7)^2",
        _himmelblau,
        (
            (3.0, 2.0, 0.0),
            (-2.805118086952745, 3.131312518250573, 0.0),
            (-3.779310253377747, -3.2831859912861696, 0.0),
            (3.5844283403304917, -1.8481265269644034, 0.0),
        ),
        (-5.0, 5.0),
        0.01,
    ),
    Surface(
        "rastrigin",
        "20 + x1^2 + x2^2 - 10(cos 2πx1 + cos 2πx2)",
        _rastrigin,
        _grid_minima(_rastrigin, _RASTRIGIN_1D),
        (-5.12, 5.12),
        0.001,
    ),
    Surface(
        "beale",
        "(1.5 - x1 + x1x2)^2 + (2.25 - x1 + x1x2^2)^2 + (2.625 - x1 + x1x2^3)^2",
        _beale,
        ((3.0, 0.5, 0.0),),
        (-4.5, 4.5),
        3e-5,  # its gradient reaches ~1e5 in the corners (1e-4 diverges from 3% of starts)
    ),
    Surface("bowl", "(x1^2 + κ x2^2)/2", _bowl, ((0.0, 0.0, 0.0),), (-5.0, 5.0), 0.01, 100.0),
    Surface(
        "styblinski_tang",
        "Σ (xi^4 - 16xi^2 + 5xi)/2",
        _styblinski_tang,
        _grid_minima(_styblinski_tang, _ST_1D),
        (-5.0, 5.0),
        0.01,
    ),
)
SURFACES = {s.name: s for s in _ALL}


def get_surface(name: str, condition: float = 100.0) -> Surface:
    """The surface registered under name; condition is the bowl's κ (the others have none)."""
    if name not in SURFACES:
        raise ValueError(f"unknown surface {name!r}; allowed: {', '.join(SURFACES)}")
    if not (isinstance(condition, int | float) and math.isfinite(condition) and condition > 0):
        raise ValueError(f"condition must be a finite number > 0, got {condition!r}")
    surface = SURFACES[name]
    return surface if surface.condition is None else replace(surface, condition=float(condition))


def find_minima(surface: Surface, starts_per_side: int = 101, steps: int = 60) -> list[tuple]:
    """Every local minimum (x1, x2, f) in the closed domain, sorted: Newton's method from a grid
    finer than the narrowest basin (Rastrigin's wells are 1 wide on 10.24), kept where ∇f = 0 and
    the Hessian is positive definite. Checks a surface's list, and makes a new surface's."""
    lo, hi = surface.domain
    side = np.linspace(lo, hi, starts_per_side)
    x = np.stack(np.meshgrid(side, side, indexing="ij"), axis=-1).reshape(-1, 2)

    def hessian(x, h=1e-5):
        g = surface.gradient
        columns = [(g(x + h * e) - g(x - h * e)) / (2 * h) for e in np.eye(2)]
        H = np.stack(columns, axis=-1)
        return (H + np.swapaxes(H, -1, -2)) / 2

    with np.errstate(all="ignore"):  # starts that meet a singular Hessian become NaN: dropped
        for _ in range(steps):
            H, g = hessian(x), surface.gradient(x)
            a, b, d = H[:, 0, 0], H[:, 0, 1], H[:, 1, 1]  # x -= H⁻¹ g, H symmetric 2×2
            step = np.stack([d * g[:, 0] - b * g[:, 1], a * g[:, 1] - b * g[:, 0]], -1)
            x = x - step / (a * d - b * b)[:, None]
        margin = 1e-9 * (hi - lo)
        kept = np.isfinite(x).all(axis=1) & (np.linalg.norm(surface.gradient(x), axis=1) < 1e-9)
        kept &= ((x >= lo - margin) & (x <= hi + margin)).all(axis=1)
        x = x[kept]
        x = x[np.linalg.eigvalsh(hessian(x)).min(axis=1) > 0]
    found: list[np.ndarray] = []
    for point in x[np.lexsort((x[:, 1], x[:, 0]))]:
        if not any(np.abs(point - other).max() < 1e-6 for other in found):
            found.append(point)
    return [(float(a), float(b), float(surface.value(np.array([a, b])))) for a, b in found]
