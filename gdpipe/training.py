"""The notebook's two model-training loops: tensors in, results out. Each stops at the first
non-finite loss or parameter with `status="diverged"` and the 1-based step, not writing NaNs."""

import copy
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import torch
from torch import nn, optim

Progress = Callable[[Iterable], Iterable]
XY = tuple[torch.Tensor, torch.Tensor]  # (inputs, targets)

TORCH_OPTIMIZERS = {"sgd": optim.SGD, "adam": optim.Adam, "rmsprop": optim.RMSprop}
LOSSES = {"l1": nn.functional.l1_loss, "mse": nn.functional.mse_loss}


@dataclass
class TrainResult:
    """Per-epoch history rows and how the loop ended."""

    history: list[dict] = field(default_factory=list)
    status: str = "ok"
    diverged_step: int | None = None
    optimizer_state: dict | None = None  # torch.optim's state_dict, to resume from a checkpoint

    def diverge(self, step: int) -> None:
        self.status, self.diverged_step = "diverged", step

    def record(self, row: dict, step: int) -> bool:
        """Append the row if all its numbers are finite (not only the weights'), else diverge."""
        if all(map(math.isfinite, row.values())):
            self.history.append(row)
            return True
        self.diverge(step)
        return False


def _finite(model: nn.Module, loss: torch.Tensor) -> bool:
    return all(torch.isfinite(t).all() for t in (loss, *model.parameters()))


def _loss(model: nn.Module, loss_fn, x: torch.Tensor, y: torch.Tensor) -> float:
    with torch.inference_mode():
        return loss_fn(model(x), y).item()


def train_quadratic(
    model: nn.Module, train: XY, test: XY, lr: float, epochs: int, progress: Progress = iter
) -> TrainResult:
    """Full-batch MSE descent with autograd and a hand-written update (no torch.optim). History row
    e: coefficients, train and test loss, all after e updates (the curves line up); 0: the start."""
    t, y = train
    loss_fn = nn.functional.mse_loss

    def row(epoch: int) -> dict:
        train_loss, test_loss = (_loss(model, loss_fn, *split) for split in (train, test))
        return {"epoch": epoch, "train_loss": train_loss, "test_loss": test_loss, **model.learned()}

    result = TrainResult()
    if not result.record(row(0), 0):
        return result
    for epoch in progress(range(1, epochs + 1)):
        loss_fn(model(t), y).backward()
        with torch.no_grad():  # the update itself must not be recorded by autograd
            for p in model.parameters():
                p -= lr * p.grad
                p.grad = None
        # The row checks the new coefficients; the loss before the update was the last row's.
        if not result.record(row(epoch), epoch):
            break
    return result


def train_linear(
    model: nn.Module,
    train: XY,
    test: XY,
    optimizer: str,
    loss: str,
    lr: float,
    epochs: int,
    batch_size: int,
    progress: Progress = iter,
) -> TrainResult:
    """Minibatch training with torch.optim in the split's order (batch_size 1: per sample). History
    row e: the mean batch loss during epoch e and the test loss after it; row 0 is the start."""
    x, y = train
    loss_fn = LOSSES[loss]
    opt = TORCH_OPTIMIZERS[optimizer](model.parameters(), lr=lr)

    def row(epoch: int, train_loss: float) -> dict:
        return {"epoch": epoch, "train_loss": train_loss, "test_loss": _loss(model, loss_fn, *test)}

    result, step = TrainResult(), 0
    try:
        if not result.record(row(0, _loss(model, loss_fn, x, y)), 0):
            return result
        for epoch in progress(range(1, epochs + 1)):
            # A check costs a step at batch size 1: an epoch is checked at its end, and only one
            # that went bad runs again from its start, checking each step.
            saved = copy.deepcopy((model.state_dict(), opt.state_dict()))
            batch_losses = torch.stack(_epoch(model, opt, loss_fn, x, y, batch_size))
            if not _finite(model, batch_losses):
                model.load_state_dict(saved[0])
                opt.load_state_dict(saved[1])
                bad = _epoch(model, opt, loss_fn, x, y, batch_size, until_non_finite=True)
                result.diverge(step + len(bad))
                return result
            step += len(batch_losses)
            if not result.record(row(epoch, batch_losses.mean().item()), step):
                break
        return result
    finally:  # however training ended, keep the optimizer's state beside the weights
        result.optimizer_state = opt.state_dict()


def _epoch(model, opt, loss_fn, x, y, batch_size, until_non_finite=False) -> list[torch.Tensor]:
    """One pass over the batches in order: their losses (up to a non-finite one if asked)."""
    batch_losses = []
    for i in range(0, len(x), batch_size):
        opt.zero_grad()
        batch_loss = loss_fn(model(x[i : i + batch_size]), y[i : i + batch_size])
        batch_loss.backward()
        opt.step()
        batch_losses.append(batch_loss.detach())
        if until_non_finite and not _finite(model, batch_loss):
            break
    return batch_losses
