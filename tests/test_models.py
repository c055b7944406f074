"""Each model's forward pass and seeded construction."""

import pytest
import torch

from gdpipe.models import LinearModel, QuadraticModel, build_model


def test_quadratic_forward_is_a_t2_plus_b_t_plus_c():
    model = QuadraticModel()
    with torch.no_grad():
        model.coefficients.copy_(torch.tensor([2.0, -3.0, 0.5]))
    t = torch.tensor([0.0, 1.0, 2.0, 10.0])
    torch.testing.assert_close(model(t), 2 * t**2 - 3 * t + 0.5)
    assert model.learned() == {"a": 2.0, "b": -3.0, "c": 0.5}


def test_linear_forward_keeps_the_batch_shape():
    model = LinearModel()
    with torch.no_grad():
        model.weight.fill_(0.7)
        model.bias.fill_(0.3)
    x = torch.tensor([0.0, 0.5, 1.0])
    out = model(x)
    assert out.shape == x.shape  # (N,) in, (N,) out: no broadcast against a (N,) target
    torch.testing.assert_close(out, 0.7 * x + 0.3)
    assert model(x[:1]).shape == (1,)


@pytest.mark.parametrize("name", ["quadratic", "linear"])
def test_build_model_is_seeded(name):
    a, b, c = build_model(name, seed=1), build_model(name, seed=1), build_model(name, seed=2)
    for pa, pb, pc in zip(a.parameters(), b.parameters(), c.parameters(), strict=True):
        torch.testing.assert_close(pa, pb)
        assert not torch.equal(pa, pc)


def test_linear_starts_like_the_notebook():
    # The notebook's init: weight = rand(1), then bias = rand(1), from the seeded generator.
    model = build_model("linear", seed=0)
    g = torch.Generator().manual_seed(0)
    weight, bias = torch.rand(1, generator=g), torch.rand(1, generator=g)
    assert (model.weight.item(), model.bias.item()) == (weight.item(), bias.item())
