"""The core that the minibatch trainers share: the epoch loop (train, train_stack, fit_stack) and device placement.

A stack trains M members at once: member m's batch at step i is rows perm[m, i:i+batch_size] of its own batch order,
and the loss is the sum over members of each member's mean loss, so that members' gradients stay separate.
:func:`relulab.train.train` is the case of one model (M = 1).
"""

from __future__ import annotations

import contextlib
from typing import Callable, Iterator

import torch
import torch.nn.functional as F
from torch import nn

__all__: list[str] = []  # internal: the trainers' shared core

OPTIMIZERS = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD, "rmsprop": torch.optim.RMSprop}


@contextlib.contextmanager
def moved_to(module: nn.Module, device: torch.device | None) -> Iterator[torch.device]:
    """Move `module` to `device` (None: stay) for the with-block, and back where it was after it, error or not."""
    home = next(module.parameters()).device
    try:
        module.to(home if device is None else device)
        yield home if device is None else device
    finally:
        module.to(home)


def stacked(tensors: list[torch.Tensor]) -> torch.Tensor:
    """Copies of the members' tensors stacked along a new first dimension (the stack's own storage)."""
    return torch.stack([t.detach().clone() for t in tensors])


def member_loss(out: torch.Tensor, Y: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """Sum over members of each member's mean cross-entropy: outputs (M, B, classes), labels (M, N), rows idx (M, B)."""
    return F.cross_entropy(out.flatten(0, 1), Y.gather(1, idx).flatten(), reduction="sum") / idx.shape[1]


def run_epoch(
    opt: torch.optim.Optimizer,
    perm: torch.Tensor,
    batch_size: int,
    backward: Callable[[torch.Tensor], None],
    on_step: Callable[[], None] | None = None,
) -> None:
    """One pass over the batch orders perm (M, n): per batch idx (M, B), `backward(idx)` sets the gradients."""
    for i in range(0, perm.shape[1], batch_size):
        opt.zero_grad()
        backward(perm[:, i : i + batch_size])
        opt.step()
        if on_step is not None:
            on_step()
