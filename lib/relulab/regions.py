"""Exact affine pieces and linear regions of ReLU nets (Part I); the nets with many pieces are built in :mod:`relulab.pwl`.

Nothing here samples a grid.  In 1-D the breakpoints are propagated layer by layer: on each current interval every
pre-activation is affine, so a unit adds at most its one zero crossing.  In 2-D the input box is cut into convex
polygons by every unit's zero line (:mod:`relulab.partition`, vectorised over the whole partition, 10^5 regions in
seconds; :mod:`relulab.regions_reference`, cell by cell, is the reference).  Pieces in the sense of Arora et al.'s Def. 3
(maximal connected sets on which the function is affine) are obtained by merging *adjacent* cells whose affine maps
agree.

Two arithmetics: float64 with tolerances derived from a rounding bound (the default), and exact rationals
(``exact=True``, :class:`fractions.Fraction`; every float64 weight is a rational number, so the result is the exact
count for the net as stored) used as the reference in the tests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple, Sequence

import numpy as np
import torch
from torch import nn

from . import check, partition
from .nets.fc import linear_layers
from .partition import Regions2D
from .regions_reference import _as_exact, _cells

__all__ = [
    "AffineLayer", "PieceBounds", "Pieces1D", "affine_layers", "count_pieces_1d", "count_regions_2d",
    "max_pieces_1d_bound", "pieces_1d", "regions_2d",
]

EPS = float(np.finfo(np.float64).eps)
MAX_CELLS = 2_000_000  # refuse enumerations beyond this many intervals / polygons (memory and time explode)


# ----------------------------------------------------------------------------------------------------------------
# reading a net
# ----------------------------------------------------------------------------------------------------------------
class AffineLayer(NamedTuple):
    """One Linear layer in float64 and whether a ReLU follows it."""

    W: np.ndarray
    b: np.ndarray
    relu_after: bool


def affine_layers(model: nn.Module, *, consecutive: bool = True, what: str = "this function") -> list[AffineLayer]:
    """The Linear layers :func:`relulab.nets.fc.linear_layers` reads (here two may be adjacent unless `consecutive` is
    False) as float64 ``(W, b, relu_after)``; NaN or inf parameters are refused."""
    linear_layers(model, consecutive=consecutive, what=what)
    mods, out = list(model), []
    for i, m in enumerate(mods):
        if isinstance(m, nn.Linear):
            W = m.weight.detach().cpu().to(torch.float64).numpy().copy()
            b = (m.bias.detach().cpu().to(torch.float64).numpy().copy() if m.bias is not None
                 else np.zeros(m.out_features))
            if not (np.isfinite(W).all() and np.isfinite(b).all()):
                raise ValueError(f"{what}: layer {i} (Linear) has NaN or inf parameters")
            out.append(AffineLayer(W, b, i + 1 < len(mods) and isinstance(mods[i + 1], nn.ReLU)))
    return out


def _check_model_io(layers: list, d_in: int, what: str) -> None:
    if layers[0][0].shape[1] != d_in:
        raise ValueError(f"{what} needs a net with {d_in} input(s), got {layers[0][0].shape[1]}")
    if layers[-1][0].shape[0] != 1:
        raise ValueError(f"{what} needs a net with one output, got {layers[-1][0].shape[0]}")


# ----------------------------------------------------------------------------------------------------------------
# 1-D: exact breakpoint propagation
# ----------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Pieces1D:
    """The maximal affine pieces of an R->R net on [lo, hi]: ``edges[j] <= x <= edges[j+1]`` has slope[j], intercept[j]."""

    edges: np.ndarray
    slopes: np.ndarray
    intercepts: np.ndarray

    @property
    def count(self) -> int:
        """Number of pieces."""
        return len(self.slopes)

    @property
    def breakpoints(self) -> np.ndarray:
        """The interior breakpoints (where the slope changes)."""
        return self.edges[1:-1]


def pieces_1d(model: nn.Module, lo: float, hi: float, *, exact: bool = False, max_pieces: int = MAX_CELLS) -> Pieces1D:
    """The maximal affine pieces of an R->R ReLU net on [lo, hi] by exact breakpoint propagation (no sampling)."""
    lo, hi = check.real("lo", lo), check.real("hi", hi)
    max_pieces = check.integer("max_pieces", max_pieces, low=1)
    if not lo < hi:
        raise ValueError(f"need lo < hi, got lo={lo}, hi={hi}")
    layers = affine_layers(model, what="pieces_1d")
    _check_model_io(layers, 1, "pieces_1d")
    conv = _as_exact if exact else (lambda a: a)
    # Two breakpoints closer than this are the same point: crossings are computed as -c/s with a few ulps of error
    # relative to the window, and a genuine piece shorter than 1e-12 of the window is below float64 resolution anyway.
    tol_x = 0 if exact else 1e-12 * max(1.0, hi - lo, abs(lo), abs(hi))
    edges = conv(np.array([lo, hi]))
    S = conv(np.ones((1, 1)))       # per interval: slope of each current coordinate
    C = conv(np.zeros((1, 1)))      # per interval: intercept
    mag = np.ones((1, 1))           # float bound on |slope| + |intercept| terms, for the rounding tolerance
    n_ops = 0
    for W, b, relu in layers:
        Wc, bc = conv(W), conv(b)
        S, C = S @ Wc.T, C @ Wc.T + bc
        mag = mag @ np.abs(W).T + np.abs(b)
        n_ops += W.shape[1] + 1
        if not relu:
            continue
        left, right = edges[:-1, None], edges[1:, None]
        nz = S != 0
        with np.errstate(divide="ignore", invalid="ignore"):
            xs = -C / np.where(nz, S, 1)  # 1 where the slope is 0: no crossing there (masked out by nz below)
        inside = nz & (xs > left + tol_x) & (xs < right - tol_x)
        new = xs[inside]
        if len(new):
            pts = np.concatenate([edges, new])
            pts = np.array(sorted(pts), dtype=object) if exact else np.sort(pts)
            keep = np.ones(len(pts), dtype=bool)
            if exact:
                keep[1:] = pts[1:] != pts[:-1]
            else:
                # drop a crossing within tol_x of the previous kept point (two units crossing at the same x)
                # crossings are > tol_x from the old edges, so only two new crossings can coincide here
                last = pts[0]
                for i in range(1, len(pts)):
                    if pts[i] - last <= tol_x:
                        keep[i] = False
                    else:
                        last = pts[i]
            edges = pts[keep]
        check.within_budget("max_pieces", len(edges) - 1, max_pieces, what="intervals")
        mids = (edges[:-1] + edges[1:]) / 2
        old_edges = np.concatenate([left[:, 0], right[-1:, 0]])
        parent = np.searchsorted(old_edges, mids, side="right") - 1
        parent = np.clip(parent, 0, S.shape[0] - 1)
        S, C, mag = S[parent], C[parent], mag[parent]
        on = (S * mids[:, None] + C) > 0
        S = np.where(on, S, conv(np.zeros(1))[0] if exact else 0.0)
        C = np.where(on, C, conv(np.zeros(1))[0] if exact else 0.0)
        mag = np.where(on, mag, 0.0)
    s, c = S[:, 0], C[:, 0]
    # Merge neighbours with the same slope (continuity then makes the affine maps equal).  Float tolerance: every
    # slope is a sum of products of weights; its rounding error is at most ~n_ops * eps times the same sum taken in
    # absolute values (`mag`), and we allow 16x that.
    tol_s = np.zeros(len(s)) if exact else 16 * n_ops * EPS * mag[:, 0]
    keep = [0]
    for j in range(1, len(s)):
        i = keep[-1]
        if abs(s[j] - s[i]) <= max(tol_s[j], tol_s[i]):
            continue
        keep.append(j)
    starts = np.array(keep)
    new_edges = np.concatenate([edges[starts], edges[-1:]])
    to_float = (lambda a: np.array([float(v) for v in a])) if exact else (lambda a: np.asarray(a, dtype=float))
    return Pieces1D(to_float(new_edges), to_float(s[starts]), to_float(c[starts]))


def count_pieces_1d(model: nn.Module, lo: float, hi: float, *, exact: bool = False) -> int:
    """The exact number of maximal intervals of [lo, hi] on which an R->R ReLU net is affine (Arora's Def. 3)."""
    return pieces_1d(model, lo, hi, exact=exact).count


@dataclass(frozen=True)
class PieceBounds:
    """Two upper bounds on the pieces on R of an R -> R net: Arora et al.'s Lemma D.5 and prod(w_i + 1)."""

    lemma_d5: int
    prod_w_plus_1: int


def max_pieces_1d_bound(widths: Sequence[int]) -> PieceBounds:
    """Upper bounds on the pieces on R of an R->R net with hidden widths w_1..w_k: Arora's Lemma D.5 and prod(w_i+1)."""
    ws = check.integers("widths", widths, low=1)
    lemma = 2 ** (len(ws) - 1) * (ws[0] + 1) * math.prod(ws[1:])
    return PieceBounds(lemma_d5=lemma, prod_w_plus_1=math.prod(w + 1 for w in ws))


# ----------------------------------------------------------------------------------------------------------------
# 2-D: cell enumeration (relulab.partition at scale; relulab.regions_reference, exact rationals, as the reference)
# ----------------------------------------------------------------------------------------------------------------
def regions_2d(model: nn.Module, box: Sequence[float], *, exact: bool = False, max_cells: int = MAX_CELLS) -> Regions2D:
    """Exact cells, affine maps and pieces of an R^2->R ReLU net inside ``box = (x0, x1, y0, y1)`` (no sampling).

    float64 (default): :mod:`relulab.partition`, vectorised, 10^5 regions in seconds.  ``exact=True``: the reference
    counter of :mod:`relulab.regions_reference` in rational arithmetic (small nets).
    """
    x0, x1, y0, y1 = check.box("box", box, 2)
    max_cells = check.integer("max_cells", max_cells, low=1)
    layers = affine_layers(model, what="regions_2d")
    _check_model_io(layers, 2, "regions_2d")
    if exact:
        return _cells(layers, (x0, x1, y0, y1), exact=True, max_cells=max_cells)
    return partition._regions(layers, (x0, x1, y0, y1), max_cells)


def count_regions_2d(model: nn.Module, box: Sequence[float], *, mode: str = "pieces", exact: bool = False) -> int:
    """Exact count inside `box` of an R^2->R net's ``"pieces"`` (Def. 3: adjacent equal maps merged) or ``"activation"`` regions."""
    check.choice("mode", mode, ("pieces", "activation"))
    r = regions_2d(model, box, exact=exact)
    return r.n_pieces if mode == "pieces" else r.n_activation_regions
