"""One hidden layer for any R -> R piecewise-linear function (Theorem 2.2, Corollary A.1), and its direct
evaluation segment by segment (the independent reference)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from .. import check
from .net import EPS, PWLNet

__all__ = ["PiecewiseLinear1D", "pwl_1d", "pwl_1d_fewest", "pwl_eval", "pwl_from_points"]


def _function(breakpoints: ArrayLike, slopes: ArrayLike, value: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Check an R -> R PWL function given as p - 1 increasing breakpoints, p slopes and f(breakpoints[0])."""
    t = check.array("breakpoints", breakpoints, 1, allow_empty=True)
    s = check.array("slopes", slopes, 1)
    if len(s) != len(t) + 1:
        raise ValueError(f"p pieces need p - 1 breakpoints and p slopes, got {len(t)} and {len(s)}")
    if np.any(np.diff(t) <= 0):
        raise ValueError("breakpoints must be strictly increasing")
    return t, s, check.real("value", value)


def pwl_1d(breakpoints: ArrayLike, slopes: ArrayLike, value: float, *, output_bias: bool = True) -> PWLNet:
    """One hidden layer computing the R -> R PWL function with these breakpoints and slopes and f(breakpoints[0]) = value.

    Follows the proof of Theorem 2.2: one unit s_R ReLU(x - t_{p-1}) plus a left-facing unit ReLU(t_i - x) at every
    breakpoint, p units for p >= 2 pieces and the constant put in the output bias.  A flat end piece saves a unit
    (Corollary A.1: p - 1 units).  ``output_bias=False`` (the paper's Def. 1) pays the constant with one more unit
    ReLU(0 x + |v|) instead.
    """
    t, s, value = _function(breakpoints, slopes, value)
    w, b, a = [], [], []
    if len(t) == 0:
        # p = 1 (f(0) = value): a non-constant affine map on all of R needs two units, s ReLU(x) - s ReLU(-x).
        t = np.zeros(1)
        if s[0] != 0:
            w, b, a = [1.0, -1.0], [0.0, 0.0], [s[0], -s[0]]
    elif s[0] == 0 and s[-1] != 0:
        # Mirror image (Corollary A.1 with the flat piece on the left): right-facing units only.
        jumps = np.diff(s)
        for ti, d in zip(t, jumps):
            w.append(1.0), b.append(-ti), a.append(d)
    else:
        if s[-1] != 0:
            w.append(1.0), b.append(-t[-1]), a.append(s[-1])
        tau = np.diff(s)
        tau[-1] = -s[-2]  # the last left-facing unit also cancels the slope left of t_{p-1}
        for ti, d in zip(t, tau):
            w.append(-1.0), b.append(ti), a.append(d)
    # f(t_1) must equal value: evaluate the units there to find the constant.
    w, b, a = np.array(w), np.array(b), np.array(a)
    units_at_t1 = a * np.maximum(w * t[0] + b, 0.0)
    const = value - float(units_at_t1.sum())
    if abs(const) <= 64 * EPS * (abs(value) + np.abs(units_at_t1).sum()):
        const = 0.0  # a flat end at value 0 needs no constant: do not pay a unit for rounding
    if not output_bias and const != 0:
        w, b, a = np.append(w, 0.0), np.append(b, abs(const)), np.append(a, np.sign(const))
        const = 0.0
    if len(w) == 0:  # constant function: one zero unit keeps the shape (1 hidden layer)
        w, b, a = np.zeros(1), np.zeros(1), np.zeros(1)
    return PWLNet([(w[:, None], b), (a[None, :], np.array([const]))])


def pwl_1d_fewest(breakpoints: ArrayLike, slopes: ArrayLike, value: float, *, output_bias: bool = True) -> PWLNet:
    """One hidden layer with p - 1 units for this p-piece R -> R function when p - 1 suffice, else :func:`pwl_1d`.

    p - 1 units must sit one per breakpoint t_i, each right-facing (delta_i ReLU(x - t_i), slope delta_i to its
    right) or left-facing (delta_i ReLU(t_i - x)), delta_i the slope jump at t_i.  The right-facing set R then
    carries the whole right-end slope, so p - 1 units suffice iff some R has sum_{i in R} delta_i = s_{p-1}
    (a flat right end is R empty, a flat left end R = all).  Without an output bias the constant must also vanish:
    the rightmost piece is the line sum_{i in R} delta_i (x - t_i).
    """
    t, s, value = _function(breakpoints, slopes, value)
    if len(t) > 16:
        raise ValueError(f"pwl_1d_fewest searches the 2^(p-1) sets of breakpoints; p - 1 = {len(t)} > 16 is refused")
    if len(t) == 0:
        return pwl_1d(t, s, value, output_bias=output_bias)
    delta = np.diff(s)
    R = ((np.arange(2 ** len(t))[:, None] >> np.arange(len(t))) & 1).astype(bool)  # every subset, one per row
    tol = 64 * EPS * (np.abs(delta).sum() + abs(s[-1]))
    ok = np.abs(R @ delta - s[-1]) <= tol
    # value of the units at t_1 for each subset: only left-facing units (i not in R) are non-zero there
    at_t1 = np.where(R, 0.0, delta * (t - t[0])).sum(1)
    const = value - at_t1
    if not output_bias:
        ok &= np.abs(const) <= 64 * EPS * (np.abs(delta * (t - t[0])).sum() + abs(value) + 1)
    if not ok.any():
        return pwl_1d(t, s, value, output_bias=output_bias)
    r = R[int(np.flatnonzero(ok)[np.argmin(np.abs(const[ok]))])]
    w = np.where(r, 1.0, -1.0)
    b = np.where(r, -t, t)
    c = float(value - (delta * np.maximum(w * t[0] + b, 0.0)).sum())
    return PWLNet([(w[:, None], b), (delta[None, :], np.array([c if output_bias else 0.0]))])


def pwl_eval(breakpoints: ArrayLike, slopes: ArrayLike, value: float, x: ArrayLike) -> np.ndarray:
    """Direct evaluation of the PWL function of :func:`pwl_1d` (the independent reference): segment by segment."""
    t, s, value = _function(breakpoints, slopes, value)
    x = check.array("x", x, 1)
    if len(t) == 0:
        return value + s[0] * x
    # values at the breakpoints by walking from t_1 with the segment slopes
    vals = value + np.concatenate([[0.0], np.cumsum(s[1:-1] * np.diff(t))])
    i = np.searchsorted(t, x, side="right")  # segment index 0..p-1
    anchor = np.where(i == 0, 0, i - 1)
    return vals[anchor] + s[i] * (x - t[anchor])


class PiecewiseLinear1D(NamedTuple):
    """An R -> R PWL function as :func:`pwl_1d` takes it: breakpoints, slopes (one more) and f(breakpoints[0])."""

    breakpoints: np.ndarray
    slopes: np.ndarray
    value: float


def pwl_from_points(
    xs: ArrayLike, ys: ArrayLike, left_slope: float = 0.0, right_slope: float = 0.0
) -> PiecewiseLinear1D:
    """(breakpoints, slopes, value) of the continuous interpolant through (xs, ys), extended with the given end slopes."""
    xs, ys = check.array("xs", xs, 1), check.array("ys", ys, 1)
    if xs.shape != ys.shape or len(xs) < 2:
        raise ValueError("xs and ys need the same length >= 2")
    if np.any(np.diff(xs) <= 0):
        raise ValueError("xs must be strictly increasing")
    check.real("left_slope", left_slope)
    check.real("right_slope", right_slope)
    inner = np.diff(ys) / np.diff(xs)
    return PiecewiseLinear1D(xs, np.concatenate([[left_slope], inner, [right_slope]]), float(ys[0]))
