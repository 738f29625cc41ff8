"""One small training loop with a progress bar, used by every chapter that trains."""

from __future__ import annotations

import copy
import sys
from dataclasses import dataclass, field
from typing import Callable

import torch
from torch import nn
from tqdm import tqdm

from . import check
from .nets._batched import OPTIMIZERS, BestEpochs, run_epoch

__all__ = ["History", "accuracy", "train"]


@dataclass
class History:
    """Per-epoch training loss, test accuracy / loss when a test set was given, validation accuracy and the
    best validation epoch (0-based) when a validation set was given."""

    loss: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    test_acc: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    best_epoch: int | None = None


def _check_data(X: torch.Tensor, y: torch.Tensor, what: str = "") -> None:
    """X a non-empty finite batch, y finite targets with one row per sample (`what` names the pair)."""
    check.batch(f"{what}X", X)
    check.tensor(f"{what}y", y, floating=False)
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"{what}X has {X.shape[0]} samples but {what}y has {y.shape[0]}")


def accuracy(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> float:
    """Classification accuracy of argmax(model(X)) against integer labels y."""
    check.model("model", model)
    _check_data(X, y)
    with torch.no_grad():
        return (model(X).argmax(dim=1) == y).double().mean().item()


def train(
    model: nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    *,
    epochs: int,
    lr: float = 1e-3,
    batch_size: int = 32,
    optimizer: str = "adam",
    loss: str = "cross_entropy",
    seed: int = 0,
    test: tuple[torch.Tensor, torch.Tensor] | None = None,
    params: list[nn.Parameter] | None = None,
    on_epoch: Callable[[int, nn.Module], None] | None = None,
    progress: bool = True,
    desc: str = "training",
    val: tuple[torch.Tensor, torch.Tensor] | None = None,
    patience: int | None = None,
) -> History:
    """Train `model` in place with mini-batch `optimizer` ("adam", "sgd", "rmsprop") on `loss` ("cross_entropy", "mse").

    Batches are drawn from a generator seeded with `seed`, so a run is reproducible.  `params` restricts the
    trained parameters (e.g. only the value network of a gated net).  `on_epoch(epoch, model)` runs after each epoch.

    Early stopping: with a validation set `val` = (X_val, y_val) (classification), the validation accuracy is
    recorded after every epoch and the model ends in the state of its best validation epoch (the first best);
    with `patience` as well, training stops once `patience` epochs in a row have not improved on it.
    """
    check.model("model", model)
    _check_data(X, y)
    for name, pair in [(name, pair) for name, pair in (("test", test), ("val", val)) if pair is not None]:
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise TypeError(f"{name} must be an (X, y) pair, got {type(pair).__name__}")
        _check_data(*pair, what=f"{name} ")
    epochs, batch_size, seed = check.integer("epochs", epochs, low=0), check.integer("batch_size", batch_size, low=1), check.seed(seed)
    lr = check.real("lr", lr, low=0, open_low=True)
    losses = {"cross_entropy": nn.functional.cross_entropy, "mse": lambda out, t: nn.functional.mse_loss(out.reshape(t.shape), t)}
    check.choice("loss", loss, sorted(losses))
    check.choice("optimizer", optimizer, sorted(OPTIMIZERS))
    if val is not None and loss != "cross_entropy":
        raise ValueError("val (early stopping on validation accuracy) needs loss='cross_entropy'")
    if patience is not None:
        check.integer("patience", patience, low=1)
        if val is None:
            raise ValueError("patience needs a validation set val (early stopping)")
    if on_epoch is not None and not callable(on_epoch):
        raise TypeError(f"on_epoch must be callable, got {type(on_epoch).__name__}")
    if loss == "cross_entropy" and y.dim() == 1 and y.dtype.is_floating_point:  # (N, C) floats: class probabilities
        raise TypeError(f"y must hold integer class labels (or (N, C) probabilities) for cross_entropy, got {y.dtype}")
    loss_fn = losses[loss]
    ps = [p for p in (model.parameters() if params is None else check.instance("params", params, (list, tuple)))
          if p.requires_grad]
    if not ps:
        raise ValueError("train: no trainable parameters")
    opt = OPTIMIZERS[optimizer](ps, lr=lr)
    gen = torch.Generator().manual_seed(seed)
    hist, best = History(), BestEpochs([0], patience)
    n = X.shape[0]

    def backward(idx: torch.Tensor) -> None:  # idx (1, B): one batch of the single batch order
        nonlocal total
        batch_loss = loss_fn(model(X[idx[0]]), y[idx[0]])
        batch_loss.backward()
        total += batch_loss.item() * idx.shape[1]

    bar = tqdm(range(epochs), desc=desc, disable=not progress, file=sys.stderr, leave=False, mininterval=0.5)
    for epoch in bar:
        model.train()
        total = 0.0
        run_epoch(opt, torch.randperm(n, generator=gen).unsqueeze(0), batch_size, backward)
        hist.loss.append(total / n)
        model.eval()
        if test is not None:
            with torch.no_grad():
                out = model(test[0])
                hist.test_loss.append(loss_fn(out, test[1]).item())
                if loss == "cross_entropy":
                    hist.test_acc.append((out.argmax(1) == test[1]).double().mean().item())
        if on_epoch is not None:
            on_epoch(epoch, model)
        bar.set_postfix(loss=f"{hist.loss[-1]:.4f}")
        if val is not None:
            with torch.no_grad():
                acc = (model(val[0]).argmax(1) == val[1]).double().mean().cpu()  # bookkeeping on the CPU
            hist.val_acc.append(acc.item())
            if best.update(epoch, acc[None], lambda _: copy.deepcopy(model.state_dict())):
                break
    if best.kept:  # a validation set and at least one epoch: the state of the best one, as the papers report
        hist.best_epoch = int(best.epoch[0])
        model.load_state_dict(best.kept[0])
    model.eval()
    return hist
