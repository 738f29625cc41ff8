"""The three conditions of Tian's Theorem 2, measured on every edge of a student on a teacher's events.

- focus (edge l, t, s):     P(x_child | z_parent, z_child) = P(x_child | z_child)   -> a total-variation gap;
- broadness (edge l, t, s): P(x_parent | z_parent, z_child) = P(x_parent | z_parent) -> a total-variation gap;
- decorrelation (node l, t): Cov(f', f_raw | z) = 0 (forward) and Cov(f', g_raw | z) = 0 (backward).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import torch

from .. import check
from ..data.ladder import _pattern_index
from .marginals import _conditional_covariance, _independence_gap, _sample_weights
from .student import Edge, StudentTables, _event_levels

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
    values, n = check.integer("values", values, low=2), tables.trace[0]["gate"].shape[0]
    weights = _sample_weights(weights, n)
    X = check.codes("X", X, (n, len(tables.m[0])), high=values, what="symbols")
    z = [zl.numpy() for zl in _event_levels(events, n, [len(ml) for ml in tables.m], tables.m)[0]]
    focus, broad = {}, {}
    for (l, t, s), st in tables.edges.items():
        fine = z[l + 1][:, t] * tables.m[l][s] + z[l][:, s]
        child = _pattern_index(X, tables.fields[l][s], values)
        parent = _pattern_index(X, tables.fields[l + 1][t], values)
        focus[l, t, s] = _independence_gap(child, fine, z[l][:, s], weights)
        broad[l, t, s] = _independence_gap(parent, fine, z[l + 1][:, t], weights)
    dec_f, dec_b = {}, {}
    tr, top = tables.trace, len(tables.trace) - 1
    for l in range(top + 1):
        for t in range(len(tables.m[l + 1])):
            m, zt, gate = tables.m[l + 1][t], torch.as_tensor(z[l + 1][:, t]), tr[l]["gate"][:, :, t]
            dec_f[l, t] = float(_conditional_covariance(gate, tr[l]["raw"][:, :, t], zt, weights, m).abs().max())
            if l < top:  # the gradient arriving at node (l, t) before its gate, from every parent
                parents = [(u, W) for (k, u, s), W in tables.W.items() if k == l + 1 and s == t]
                g_raw = sum(tr[l + 1]["g"][:, :, u] @ W.T for u, W in parents)
                dec_b[l, t] = float(_conditional_covariance(gate, g_raw, zt, weights, m).abs().max())
    return Conditions(focus, broad, dec_f, dec_b)
