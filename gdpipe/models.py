"""The notebook's two models, rebuilt by name (the experiments' modules import no torch)."""

import torch
from torch import nn

from gdpipe.experiments import EXPERIMENTS


class QuadraticModel(nn.Module):
    """speed = a*t^2 + b*t + c; the coefficients start as randn(3), as in the notebook."""

    def __init__(self, generator: torch.Generator | None = None) -> None:
        super().__init__()
        self.coefficients = nn.Parameter(torch.randn(3, generator=generator, dtype=torch.float32))

    def forward(self, t: torch.Tensor) -> torch.Tensor:  # (N,) -> (N,)
        a, b, c = self.coefficients
        return a * t**2 + b * t + c

    def learned(self) -> dict[str, float]:
        return dict(zip("abc", self.coefficients.tolist(), strict=True))


class LinearModel(nn.Module):
    """y = weight*x + bias with scalar parameters starting as rand(1), as in the notebook."""

    def __init__(self, generator: torch.Generator | None = None) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.rand(1, generator=generator, dtype=torch.float32))
        self.bias = nn.Parameter(torch.rand(1, generator=generator, dtype=torch.float32))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (N,) -> (N,)
        return self.weight * x + self.bias

    def learned(self) -> dict[str, float]:
        return {"weight": self.weight.item(), "bias": self.bias.item()}


def build_model(name: str, seed: int | None = None, **model_args) -> nn.Module:
    """A fresh model of experiment `name` (its entry names the class), reproducible by `seed`."""
    generator = None if seed is None else torch.Generator().manual_seed(seed)
    return globals()[EXPERIMENTS[name].model](generator=generator, **model_args)
