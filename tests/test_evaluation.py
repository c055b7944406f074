"""Descent metrics: a start counts as at a minimum by its value and gradient, wherever it is;
switching Example 1's surface with every other setting at its default runs cleanly."""

import math

import numpy as np
import pytest
import torch

from gdpipe.evaluation import at_minimum
from gdpipe.experiments.surface import generate, run_surface
from gdpipe.objectives import SURFACES, get_surface
from gdpipe.params import read_raw_params, validate_params
from tests.conftest import ROOT


def test_periodic_copies_of_the_global_minimum_count_outside_the_domain():
    sincos = get_surface("sincos")
    x1, x2, _ = min(sincos.minima, key=lambda m: m[2])
    # sincos is unchanged by a shift of (2π, 2π): these are global minima outside [0, 10]².
    copies = np.array([[x1 - 2 * math.pi, x2 - 2 * math.pi], [x1 + 2 * math.pi, x2 + 2 * math.pi]])
    local = np.array([m[:2] for m in sincos.minima if m[2] > sincos.f_star])
    away = np.array([[x1 + 0.3, x2], [1.0, 1.0]])
    known, best = at_minimum(sincos, np.concatenate([copies, local, away]))
    n_copies, n_local = len(copies), len(local)
    assert known.tolist() == [True] * (n_copies + n_local) + [False, False]
    assert best.tolist() == [True] * n_copies + [False] * (n_local + 2)


def test_a_point_at_a_minimum_value_that_is_not_still_does_not_count():
    # On the bowl, f = 0 only at the origin; a point whose value is near a minimum's value but
    # whose gradient is large is passing through, not arrived.
    bowl = get_surface("bowl", condition=1e6)
    known, _ = at_minimum(bowl, np.array([[0.0, 1e-5], [0.0, 0.0]]))
    assert known.tolist() == [False, True]


@pytest.mark.parametrize("name", list(SURFACES))
def test_switching_the_surface_with_default_settings_works(name):
    raw = read_raw_params(ROOT / "params.yaml")
    raw["surface"].update(name=name, low="auto", high="auto", lr="auto")
    p = validate_params(raw).surface
    surface = get_surface(name)
    assert (p.low, p.high) == surface.domain
    starts = generate(p)
    assert starts.to_numpy().min() >= p.low
    assert starts.to_numpy().max() < p.high
    _, history, metrics = run_surface(p, starts, torch.device("cpu"), progress=iter)
    assert metrics["status"] == "ok", metrics
    assert metrics["mean_final_value"] < metrics["mean_start_value"]
    assert len(history) == p.steps + 1
