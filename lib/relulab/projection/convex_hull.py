"""Convex-hull vertices and the separating construction of Theorem 6, by linear programs (scipy's HiGHS).

A row p_i of P is a vertex of the hull of the rows iff it is not a convex combination of the others (an LP
feasibility problem); it is a vertex iff some affine function is 1 on p_i and <= -1 on every other row.
These functions work in numpy float64 (exact geometry, like ``regions``) and accept tensors.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from scipy.optimize import linprog

from .. import check

__all__ = ["is_vertex", "separating_weights", "vertices"]

# One LP per row: beyond 5,000 rows the loop would take hours.
MAX_LP_ROWS = 5_000


def _matrix(name: str, P: Any) -> np.ndarray:
    P = check.array(name, P, 2)
    check.within_budget(name, P.shape[0], MAX_LP_ROWS, what="rows (one LP per row)")
    return P


def _in_hull_of_others(P: np.ndarray, i: int) -> bool:
    others = np.delete(P, i, axis=0)
    if others.shape[0] == 0:
        return False
    # feasibility of lambda >= 0, sum lambda = 1, others^T lambda = p_i
    A_eq = np.vstack([others.T, np.ones((1, others.shape[0]))])
    res = linprog(np.zeros(others.shape[0]), A_eq=A_eq, b_eq=np.append(P[i], 1.0), bounds=(0, None), method="highs")
    if res.status not in (0, 2):
        raise RuntimeError(f"linprog failed on the vertex test of row {i}: {res.message}")
    return res.status == 0


def is_vertex(P: Any, i: int) -> bool:
    """Whether row i of P is a vertex of the convex hull of the rows."""
    P = _matrix("P", P)
    i = check.integer("i", i, low=0, high=P.shape[0] - 1)
    return not _in_hull_of_others(P, i)


def vertices(P: Any) -> np.ndarray:
    """Boolean mask of the rows of P that are vertices of the hull of the rows; vert(P) = mask.sum()."""
    P = _matrix("P", P)
    return np.array([not _in_hull_of_others(P, i) for i in range(P.shape[0])])


class Separation(NamedTuple):
    """Columns w_i of W and offsets b_i separating each row p_i from the others, and where that exists."""

    W: np.ndarray
    b: np.ndarray
    separable: np.ndarray


def separating_weights(P: Any) -> Separation:
    """For each row p_i, (w_i, b_i) with w_i.p_i + b_i = 1 and w_i.p_j + b_i <= -1 (j != i), by LP.

    Returns W (n, m) with columns w_i, b (m,) and a mask of the rows where that separation exists.  Where it does
    not (p_i is not a vertex), the column minimises the total violation sum_j max(0, w.p_j + b + 1) instead.
    """
    P = _matrix("P", P)
    m, n = P.shape
    W, b, ok = np.zeros((n, m)), np.zeros(m), np.zeros(m, dtype=bool)
    for i in range(m):
        others = np.delete(np.arange(m), i)
        # variables: w (n), b (1), slacks s (m-1) >= 0; minimise sum s s.t. w.p_j + b - s_j <= -1, w.p_i + b = 1
        c = np.concatenate([np.zeros(n + 1), np.ones(len(others))])
        A_ub = np.hstack([P[others], np.ones((len(others), 1)), -np.eye(len(others))])
        A_eq = np.concatenate([P[i], [1.0], np.zeros(len(others))])[None]
        bounds = [(None, None)] * (n + 1) + [(0, None)] * len(others)
        res = linprog(c, A_ub=A_ub, b_ub=-np.ones(len(others)), A_eq=A_eq, b_eq=[1.0], bounds=bounds, method="highs")
        if res.status != 0:
            raise RuntimeError(f"linprog failed on row {i}: {res.message}")
        w_i, b_i = res.x[:n], res.x[n]
        top = float(P[i] @ w_i + b_i)
        # the LP meets w.p_i + b = 1 only to its feasibility tolerance (~1e-9): rescale so it holds to rounding
        W[:, i], b[i] = w_i / top, b_i / top
        ok[i] = res.fun <= 1e-7  # zero total slack: the strict separation of Theorem 6 exists
    return Separation(W, b, ok)
