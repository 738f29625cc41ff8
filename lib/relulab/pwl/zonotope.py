"""Zonotopes (Arora et al., Section 3.2): the support function gamma_Z of m generators is a one-hidden-layer net
(Lemma 3.7), and composing a zig-zag net after it gives ZONOTOPE[a, b], the family with many pieces in R^n."""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
from torch import nn

from .. import check
from .net import PWLNet
from .zigzags import _compose_zigzags

__all__ = ["count_zonotope_vertices", "zonotope_net", "zonotope_support", "zonotope_support_net", "zonotope_vertices"]


def zonotope_support(B: Any, r: Any) -> np.ndarray:
    """gamma_Z(r) = sum_i |<r, b^i>| for generators B (m x n) at points r (... x n)."""
    Bn = check.array("B", B, 2)
    rn = check.array("r", r, allow_empty=True)
    if rn.ndim < 1 or rn.shape[-1] != Bn.shape[1]:
        raise ValueError(f"r must have shape (..., {Bn.shape[1]}) to match B's {Bn.shape[1]} columns, got {rn.shape}")
    return np.abs(rn @ Bn.T).sum(-1)


def _support_net(Bn: np.ndarray) -> PWLNet:
    # |<b, r>| = ReLU(<b, r>) + ReLU(-<b, r>): 2m units, all output weights 1
    m = Bn.shape[0]
    return PWLNet([(np.vstack([Bn, -Bn]), np.zeros(2 * m)), (np.ones((1, 2 * m)), np.zeros(1))])


def zonotope_support_net(B: Any) -> nn.Sequential:
    """The 2-layer net with 2m ReLUs computing gamma_Z(r) = sum_i ReLU(<b^i,r>) + ReLU(-<b^i,r>) (Lemma 3.7)."""
    return _support_net(check.array("B", B, 2)).to_torch()


def zonotope_net(B: Any, a_list: Sequence[Any], M: float = 1.0) -> nn.Sequential:
    """ZONOTOPE[a, b] = H_{a^1..a^k} o gamma_Z(b): depth k+2, size 2m + w*k."""
    return _compose_zigzags(a_list, M, inner=_support_net(check.array("B", B, 2))).to_torch()


def zonotope_vertices(B: Any) -> np.ndarray:
    """Vertices of the zonotope {sum lambda_i b^i : lambda in [-1,1]^m} via the convex hull of the 2^m sign sums."""
    from scipy.spatial import ConvexHull

    Bn = check.array("B", B, 2)
    m, n = Bn.shape
    if m > 20:
        raise ValueError(f"zonotope_vertices enumerates 2^m = {2 ** m} sign vectors; m={m} > 20 is refused")
    if not np.any(Bn):
        return np.zeros((1, n))
    # a zonotope whose generators span fewer than n dimensions is flat: take its hull inside the span
    U, sv, Vt = np.linalg.svd(Bn, full_matrices=False)
    rank = int((sv > 1e-12 * sv[0]).sum())
    if rank < n:
        basis = Vt[:rank]  # (rank, n) orthonormal rows
        return zonotope_vertices(Bn @ basis.T) @ basis
    if n == 1:
        t = np.abs(Bn).sum()
        return np.array([[-t], [t]])
    signs = np.array(np.meshgrid(*[[-1.0, 1.0]] * m, indexing="ij")).reshape(m, -1).T
    P = signs @ Bn
    return P[ConvexHull(P).vertices]


def count_zonotope_vertices(n: int, m: int) -> int:
    """2 * sum_{i<n} C(m-1, i): the vertex count of a zonotope of m generators in general position in R^n."""
    n, m = check.integer("n", n, low=1), check.integer("m", m, low=1)
    return 2 * sum(math.comb(m - 1, i) for i in range(n))
