"""Closed-form piece counts of two constructions of Arora et al. (2018, Section 3.2), and Montufar's net.

*ZONOTOPE^n_{k,w,m}* = H_{a^1..a^k} o gamma_Z (depth k + 2, size 2m + wk).  gamma_Z is linear on each of the
V = 2 sum_{i<n} C(m-1, i) cones of the central arrangement {<b^i, r> = 0} (one per vertex of Z), and H has w^k
pieces on [0, M], each onto [0, M]; so {gamma_Z <= M} holds exactly V w^k pieces.  Outside, H is affine beyond M
and continues its last piece (w odd, or k = 1: nothing new), except when w is even and k >= 2: then h_{a^1} is
negative beyond M, the next zig-zag is flat there, and f = 0 on all of {gamma_Z > M}: one more piece (two when
m = 1, where that set is two half-spaces).  The paper prints sum_{i<n} C(m-1, i) w^k.

*Montufar et al. (2014)*: with p_l = floor(w_l / n) units per input coordinate, each of the first L - 1 hidden
layers folds every coordinate of [0, 1] onto itself p_l times (a zig-zag), and the last hidden layer places w_L
hyperplanes in general position in the folded cube: at least prod_{l<L} p_l^n * sum_{j<=n} C(w_L, j) regions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import torch
from torch import nn

from . import check, partition, regions_nd
from .pwl.net import PWLNet
from .pwl.zigzags import zigzag_coefficients

__all__ = [
    "ZonotopeCounts", "count_montufar_regions", "count_zonotope_pieces", "count_zonotope_pieces_inside", "montufar_net",
]


@dataclass(frozen=True)
class ZonotopeCounts:
    """Pieces of ZONOTOPE^n_{k,w,m}: as printed, inside {gamma_Z <= M}, and on all of R^n."""

    printed: int
    inside: int
    total: int


def count_zonotope_pieces(n: int, m: int, w: int, k: int) -> ZonotopeCounts:
    """The printed count sum_{i<n} C(m-1, i) w^k, the true count inside the level set (twice that), and the total."""
    n = check.integer("n", n, low=2)
    m = check.integer("m", m, low=1)
    w = check.integer("w", w, low=2)
    k = check.integer("k", k, low=0)
    half = sum(math.comb(m - 1, i) for i in range(n))
    inside = 2 * half * w**k
    outside = 1 if m >= 2 else 2  # {gamma_Z > M} is connected unless Z is a segment (two half-spaces)
    return ZonotopeCounts(half * w**k, inside, inside + outside * int(w % 2 == 0 and k >= 2))


def count_montufar_regions(n: int, widths: Sequence[int]) -> int:
    """Montufar et al.'s lower bound prod_{l<L} floor(w_l/n)^n * sum_{j<=n} C(w_L, j) for hidden widths w_1..w_L."""
    n = check.integer("n", n, low=1)
    ws = check.integers("widths", widths, low=n)
    folds = math.prod((w // n) ** n for w in ws[:-1])
    return folds * sum(math.comb(ws[-1], j) for j in range(n + 1))


def montufar_net(n: int, widths: Sequence[int], *, seed: int = 0) -> nn.Sequential:
    """Montufar et al.'s construction: L - 1 folding layers and one layer of w_L hyperplanes (float64, Def. 1 output).

    Folding layer l uses p_l = floor(w_l / n) units per coordinate (the zig-zag with equally spaced breakpoints;
    p = 1 is ReLU itself) and leaves the other w_l - n p_l units dead (zero weights).  The last hidden layer's
    hyperplanes pass within 0.05 of the cube's centre with random normals, so every region of their arrangement
    meets the cube; the output adds the units with random weights in [1, 2].
    """
    n = check.integer("n", n, low=1)
    ws = check.integers("widths", widths, low=n)
    seed = check.seed(seed)
    check.within_budget("widths", sum(a * b for a, b in zip([n] + ws, ws + [1])), check.MAX_ENTRIES, what="weights")
    rng = np.random.default_rng(seed)
    layers: list[tuple[np.ndarray, np.ndarray]] = []
    out_map = np.eye(n)  # maps the previous layer's units to the current (folded) coordinates
    out_bias = np.zeros(n)
    for w in ws[:-1]:
        p = w // n
        t, cw = (np.zeros(1), np.ones(1)) if p == 1 else zigzag_coefficients(np.arange(1, p) / p, 1.0)
        W, b = np.zeros((w, n)), np.zeros(w)
        for i in range(n):
            W[i * p:(i + 1) * p, i] = 1.0
            b[i * p:(i + 1) * p] = -t
        layers.append((W @ out_map, W @ out_bias + b))
        out_map = np.zeros((n, w))
        for i in range(n):
            out_map[i, i * p:(i + 1) * p] = cw
        out_bias = np.zeros(n)
    v = rng.normal(size=(ws[-1], n))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    centre = 0.5 + 0.05 * rng.uniform(-1, 1, size=(ws[-1], n))
    layers.append((v @ out_map, -(v * centre).sum(1) + v @ out_bias))
    head = rng.uniform(1.0, 2.0, size=(1, ws[-1]))
    hidden = PWLNet(layers).to_torch()
    out = nn.Linear(ws[-1], 1, bias=False).double()  # Def. 1 output: no bias (PWLNet.to_torch would keep one)
    with torch.no_grad():
        out.weight.copy_(torch.from_numpy(head))
    return nn.Sequential(*hidden, nn.ReLU(), out)


def count_zonotope_pieces_inside(regions: Any, B: np.ndarray, M: float) -> int:
    """Pieces of a ZONOTOPE net's `regions` (2-D or n-D) that meet the open level set {gamma_Z < M}.

    Every cell lies in one cone of the first layer, where gamma_Z is linear, so a cell meets the open set iff one of
    its vertices does (the 1e-9 M margin absorbs the ~1e-15 relative error of the vertex coordinates).
    """
    check.instance("regions", regions, (partition.Regions2D, regions_nd.RegionsND))
    B, M = check.array("B", B, 2), check.real("M", M, low=0.0, open_low=True)
    polys = [c.V for c in regions.cells] if hasattr(regions, "cells") else regions.polygons
    gamma = [np.abs(P @ B.T).sum(-1).min() for P in polys]
    return len({lab for g, lab in zip(gamma, regions.piece) if g < M * (1 - 1e-9)})
