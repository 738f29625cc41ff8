"""Small helpers every chapter uses (d2l's ``#@save`` idea): glued numbers, rounding-level prints, tolerances."""

from __future__ import annotations

import numbers
from typing import Any, NamedTuple

import numpy as np
import torch

from . import check

__all__ = ["glue_num", "glue_values", "small", "exact_tol", "mean_se"]

# Exact identities are checked in float64 to a relative 1e-10 of the largest magnitude involved
# (papers.md, 0.3): float64 rounding is ~1e-16 per operation, so 1e-10 leaves room for ~1e6 operations.
EXACT_RTOL = 1e-10


def glue_num(name: str, value: Any, digits: int = 4) -> None:
    """Glue a number for the prose, rounded to `digits` significant digits (stable across CPUs)."""
    from myst_nb import glue

    digits = check.integer("digits", digits, low=1)
    glue(check.text("name", name), float(f"{float(value):.{digits}g}"), display=False)


def glue_values(prefix: str, values: dict[str, Any]) -> None:
    """Glue parameters quoted in the prose as ``{prefix}_{name}`` (ints stay ints, floats get 4 digits)."""
    from myst_nb import glue

    for k, v in check.instance("values", values, dict).items():
        if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
            glue(f"{prefix}_{k}", int(v), display=False)
        else:
            glue_num(f"{prefix}_{k}", v)


def small(x: float, bound: float = 1e-12) -> str:
    """Print a rounding-level value as a bound (its digits differ between CPUs), others to 3 digits."""
    check.instance("x", x, (numbers.Real, np.ndarray, torch.Tensor))  # not check.real: a NaN prints as nan
    if np.ndim(x) != 0:
        raise ValueError(f"x must be one number (a 0-d array or tensor at most), got shape {tuple(np.shape(x))}")
    return f"< {bound:g}" if abs(x) < check.real("bound", bound) else f"{x:.3g}"


def exact_tol(*references: Any) -> float:
    """Tolerance of an exact float64 identity: ``EXACT_RTOL`` times the largest magnitude involved (at least 1)."""
    biggest = 1.0
    for i, r in enumerate(references):
        check.instance(f"references[{i}]", r, (numbers.Real, np.ndarray, torch.Tensor, list, tuple))
        a = float(np.abs(check.array(f"references[{i}]", r)).max())
        biggest = max(biggest, a)
    return EXACT_RTOL * biggest


class MeanSE(NamedTuple):
    """A sample mean and its standard error (unpacks as ``m, se = mean_se(v)``)."""

    mean: float
    se: float


def mean_se(values: Any) -> MeanSE:
    """Mean and standard error (sample std / sqrt(n), ddof=1) of a 1-D sample of at least two values."""
    try:  # not check.array: pandas Series count, and a NaN gives a NaN mean as before
        v = np.asarray(values, dtype=float).ravel()
    except (TypeError, ValueError) as exc:
        raise TypeError(f"values must be real numbers, got {type(values).__name__}") from exc
    if v.size < 2:
        raise ValueError(f"values needs at least 2 entries for a standard error, got {v.size}")
    return MeanSE(float(v.mean()), float(v.std(ddof=1) / np.sqrt(v.size)))
