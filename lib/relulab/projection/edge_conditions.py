"""The three conditions of Tian's Theorem 2, measured on every edge of a student on a teacher's events.

- focus (edge l, t, s):     P(x_child | z_parent, z_child) = P(x_child | z_child)   -> a total-variation gap;
- broadness (edge l, t, s): P(x_parent | z_parent, z_child) = P(x_parent | z_parent) -> a total-variation gap;
- decorrelation (node l, t): Cov(f', f_raw | z) = 0 (forward) and Cov(f', g_raw | z) = 0 (backward).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import torch

from .. import check
from ..data.ladder import pattern_index
from .marginals import conditional_covariance, independence_gap
from .student import Edge, StudentTables

__all__ = ["Conditions", "conditions"]


@dataclass(frozen=True)
class Conditions:
    """Measured violations: ``focus``/``broadness`` per edge (l, t, s); ``decor_fwd``/``decor_bwd`` per node (l, t)."""

    focus: dict[Edge, float]
    broadness: dict[Edge, float]
    decor_fwd: dict[tuple[int, int], float]
    decor_bwd: dict[tuple[int, int], float]


def conditions(tables: StudentTables, X: Any, events: Sequence[Any], weights: torch.Tensor, values: int = 2) -> Conditions:
    """Focus, broadness and decorrelation of every edge/node; `X` (N, L) holds the input symbols (0..values-1)."""
    tables = check.model("tables", tables, StudentTables)
    z = [np.asarray(e) for e in events]
    focus, broad = {}, {}
    for (l, t, s), st in tables.edges.items():
        fine = z[l + 1][:, t] * tables.m[l][s] + z[l][:, s]
        child = pattern_index(X, tables.fields[l][s], values)
        parent = pattern_index(X, tables.fields[l + 1][t], values)
        focus[l, t, s] = independence_gap(child, fine, z[l][:, s], weights)
        broad[l, t, s] = independence_gap(parent, fine, z[l + 1][:, t], weights)
    dec_f, dec_b = {}, {}
    tr, top = tables.trace, len(tables.trace) - 1
    for l in range(top + 1):
        for t in range(len(tables.m[l + 1])):
            m, zt, gate = tables.m[l + 1][t], z[l + 1][:, t], tr[l]["gate"][:, :, t]
            dec_f[l, t] = float(conditional_covariance(gate, tr[l]["raw"][:, :, t], zt, weights, m).abs().max())
            if l < top:  # the gradient arriving at node (l, t) before its gate, from every parent
                parents = [(u, W) for (k, u, s), W in tables.W.items() if k == l + 1 and s == t]
                g_raw = sum(tr[l + 1]["g"][:, :, u] @ W.T for u, W in parents)
                dec_b[l, t] = float(conditional_covariance(gate, g_raw, zt, weights, m).abs().max())
    return Conditions(focus, broad, dec_f, dec_b)
