"""One small training loop with a progress bar, used by every chapter that trains."""

from __future__ import annotations

import math
import numbers
import sys
from dataclasses import dataclass, field
from typing import Callable

import torch
from torch import nn
from tqdm import tqdm

from . import check


@dataclass
class History:
    """Per-epoch training loss, test accuracy / loss when a test set was given, validation accuracy when a
    validation set was given, and the epoch (0-based) whose weights early stopping kept."""

    loss: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    test_acc: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    best_epoch: int | None = None


def _check_model(model: object, name: str) -> None:
    if not isinstance(model, nn.Module):
        raise TypeError(f"{name}: model must be a torch.nn.Module, got {type(model).__name__}")


def _check_xy(X: torch.Tensor, y: torch.Tensor, name: str) -> None:
    if not isinstance(X, torch.Tensor) or not isinstance(y, torch.Tensor):
        raise TypeError(f"{name}: X and y must be torch tensors, got {type(X).__name__} and {type(y).__name__}")
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"{name}: X has {X.shape[0]} samples but y has {y.shape[0]}")
    if X.shape[0] == 0:
        raise ValueError(f"{name}: empty data set")
    if X.is_floating_point() and not torch.isfinite(X).all():
        raise ValueError(f"{name}: X contains NaN or infinite values")
    if y.is_floating_point() and not torch.isfinite(y).all():
        raise ValueError(f"{name}: y contains NaN or infinite values")


def accuracy(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> float:
    """Classification accuracy of argmax(model(X)) against integer labels y."""
    _check_model(model, "accuracy")
    _check_xy(X, y, "accuracy")
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
    Early stopping: with a validation set `val` = (X_val, y_val) and `patience`, training stops once the
    validation accuracy has not improved (strictly) for `patience` epochs, and the model gets back the weights of
    its best validation epoch (``History.best_epoch``); `epochs` is then the maximum.
    """
    _check_model(model, "train")
    _check_xy(X, y, "train")
    if test is not None:
        if not isinstance(test, (tuple, list)) or len(test) != 2:
            raise TypeError(f"test must be an (X_test, y_test) pair, got {type(test).__name__}")
        _check_xy(*test, "train(test=...)")
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"epochs must be a non-negative int, got {epochs!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral):
        raise TypeError(f"batch_size must be an int, got {type(batch_size).__name__}")
    if batch_size <= 0:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    if not 0 < lr < math.inf:
        raise ValueError(f"lr must be positive and finite, got {lr}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    if val is not None:
        if not isinstance(val, (tuple, list)) or len(val) != 2:
            raise TypeError(f"val must be an (X_val, y_val) pair, got {type(val).__name__}")
        _check_xy(*val, "train(val=...)")
        if loss != "cross_entropy":
            raise ValueError("val= (validation accuracy) needs loss='cross_entropy'")
    if patience is not None:
        check.integer("patience", patience, low=1)
        if val is None:
            raise ValueError("patience= (early stopping) needs a validation set: pass val=(X_val, y_val)")
    losses = {"cross_entropy": nn.functional.cross_entropy, "mse": lambda out, t: nn.functional.mse_loss(out.reshape(t.shape), t)}
    if loss not in losses:
        raise ValueError(f"loss must be one of {sorted(losses)}, got {loss!r}")
    loss_fn = losses[loss]
    ps = [p for p in (params if params is not None else model.parameters()) if p.requires_grad]
    if not ps:
        raise ValueError("train: no trainable parameters")
    opts = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD, "rmsprop": torch.optim.RMSprop}
    if optimizer not in opts:
        raise ValueError(f"optimizer must be one of {sorted(opts)}, got {optimizer!r}")
    opt = opts[optimizer](ps, lr=lr)
    gen = torch.Generator().manual_seed(seed)
    hist = History()
    best_state: dict[str, torch.Tensor] = {}
    n = X.shape[0]
    bar = tqdm(range(epochs), desc=desc, disable=not progress, file=sys.stderr, leave=False, mininterval=0.5)
    for epoch in bar:
        model.train()
        perm = torch.randperm(n, generator=gen)
        total = 0.0
        for i in range(0, n, batch_size):
            idx = perm[i : i + batch_size]
            opt.zero_grad()
            batch_loss = loss_fn(model(X[idx]), y[idx])
            batch_loss.backward()
            opt.step()
            total += batch_loss.item() * len(idx)
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
            hist.val_acc.append(accuracy(model, *val))
            if patience is not None and _early_stop(hist, model, epoch, patience, best_state):
                break
    if patience is not None and hist.best_epoch is not None:
        model.load_state_dict(best_state)
    model.eval()
    return hist


def _early_stop(hist: History, model: nn.Module, epoch: int, patience: int, best_state: dict) -> bool:
    """Keep the weights of a new best validation epoch; True once `patience` epochs passed without one."""
    if hist.best_epoch is None or hist.val_acc[-1] > hist.val_acc[hist.best_epoch]:
        hist.best_epoch = epoch
        best_state.update({k: v.detach().clone() for k, v in model.state_dict().items()})
    return epoch - hist.best_epoch >= patience
