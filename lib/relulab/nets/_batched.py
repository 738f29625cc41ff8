"""What the minibatch trainers share: the epoch loop (train, train_stack, fit_stack), early stopping, device placement.

A stack trains M members at once: member m's batch at step i is rows perm[m, i:i+batch_size] of its own batch order,
and the loss is the sum over members of each member's mean loss, so that members' gradients stay separate.
:func:`relulab.train.train` is the case of one model (M = 1).
"""

from __future__ import annotations

import contextlib
from typing import Any, Callable, Iterator

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


def run_epoch(opt: torch.optim.Optimizer, perm: torch.Tensor, batch_size: int, backward: Callable[[torch.Tensor], None],
              on_step: Callable[[], None] | None = None) -> None:
    """One pass over the batch orders perm (M, n): per batch idx (M, B), `backward(idx)` sets the gradients."""
    for i in range(0, perm.shape[1], batch_size):
        opt.zero_grad()
        backward(perm[:, i : i + batch_size])
        opt.step()
        if on_step is not None:
            on_step()


class BestEpochs:
    """Early stopping per member: its best validation accuracy so far (the first best), that epoch, its state then."""

    def __init__(self, members: list[int], patience: int | None) -> None:
        self.acc = torch.full((len(members),), -1.0, dtype=torch.float64)  # below any accuracy: epoch 0 is a best
        self.epoch = torch.zeros(len(members), dtype=torch.long)
        self.members, self.kept, self.patience = members, {}, float("inf") if patience is None else patience

    def update(self, epoch: int, acc: torch.Tensor, keep: Callable[[int], Any]) -> bool:
        """Record the float64 accuracies of epoch 0, 1, ... in turn, kept[m] = keep(m) for each member m that improved
        while it had patience left (then its kept state is final); True once no member has any left."""
        better = (acc > self.acc) & (epoch - 1 - self.epoch < self.patience)  # not stopped after the last epoch
        self.acc[better], self.epoch[better] = acc[better], epoch
        self.kept |= {self.members[i]: keep(self.members[i]) for i in better.nonzero().flatten().tolist()}
        return bool((epoch - self.epoch >= self.patience).all())
