"""The reference counter of 2-D linear regions: convex cells cut one at a time, adjacency tested polygon by polygon.

This is relulab's first algorithm, kept as the independent reference of :mod:`relulab.partition` (which is what
:func:`relulab.regions.regions_2d` uses in float64): each cell is a polygon with its own affine maps; a unit's zero
line splits every cell it crosses; neighbours are found by testing shared boundary segments; cells whose maps agree
across a shared edge merge into pieces.  Two arithmetics: float64 with tolerances derived from a rounding bound, and
exact rationals (``exact=True``, :class:`fractions.Fraction`; every float64 weight is a rational number, so the
result is the exact count for the net as stored) -- the reference in the tests.  Pure Python: 10^3 cells in seconds.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from . import check
from .cells import _components
from .partition import Regions2D

__all__: list[str] = []  # internal: used by the modules of this package, not a public API

EPS = float(np.finfo(np.float64).eps)


def _as_exact(a: np.ndarray) -> np.ndarray:
    """The same numbers as exact rationals (a float64 is a dyadic rational, so this loses nothing)."""
    return np.array([Fraction(float(v)) for v in a.ravel()], dtype=object).reshape(a.shape)


def _area2(P: np.ndarray) -> Any:
    x, y = P[:, 0], P[:, 1]
    return (x * np.roll(y, -1) - np.roll(x, -1) * y).sum()


def _clip(P: np.ndarray, v: np.ndarray, sign: int, tol: float) -> np.ndarray:
    """The part of convex polygon P where sign*v >= 0 (v = the affine function's values at P's vertices)."""
    out = []
    k = len(P)
    sv = v * sign
    for i in range(k):
        j = (i + 1) % k
        if sv[i] >= -tol:
            out.append(P[i])
        if (sv[i] > tol and sv[j] < -tol) or (sv[i] < -tol and sv[j] > tol):
            t = v[i] / (v[i] - v[j])
            out.append(P[i] + (P[j] - P[i]) * t)
    if len(out) < 3:
        return np.zeros((0, 2), dtype=P.dtype)
    return np.array(out, dtype=P.dtype)


def _share_edge(P: np.ndarray, Q: np.ndarray, tol: float) -> bool:
    """Whether two convex polygons with disjoint interiors share a boundary segment of positive length."""
    if P.dtype != object:
        return _share_edge_float(P, Q, tol)
    for i in range(len(P)):
        a, b = P[i], P[(i + 1) % len(P)]
        d = b - a
        dd = d @ d
        # signed areas of Q's vertices against the line through a, b (squared test avoids sqrt, works for Fractions)
        cr = d[0] * (Q[:, 1] - a[1]) - d[1] * (Q[:, 0] - a[0])
        on = cr * cr <= (tol * tol) * dd
        if on.sum() < 2:
            continue
        t = ((Q[on] - a) @ d) / dd
        lo_t, hi_t = max(min(t), 0), min(max(t), 1)
        if hi_t > lo_t and (hi_t - lo_t) * (hi_t - lo_t) * dd > tol * tol:
            return True
    return False


def _share_edge_float(P: np.ndarray, Q: np.ndarray, tol: float) -> bool:
    """Vectorised float64 version of :func:`_share_edge` (same test, all edges of P at once)."""
    if (P.min(0) > Q.max(0) + tol).any() or (Q.min(0) > P.max(0) + tol).any():
        return False  # bounding boxes apart
    a = P
    d = np.roll(P, -1, axis=0) - P                                  # (k1, 2) edge vectors
    dd = (d * d).sum(1)                                             # (k1,)
    rel = Q[None, :, :] - a[:, None, :]                             # (k1, k2, 2)
    cr = d[:, None, 0] * rel[..., 1] - d[:, None, 1] * rel[..., 0]  # (k1, k2)
    on = cr * cr <= (tol * tol) * dd[:, None]
    ok = on.sum(1) >= 2
    if not ok.any():
        return False
    t = (rel * d[:, None, :]).sum(-1) / dd[:, None]
    lo_t = np.maximum(np.where(on, t, np.inf).min(1), 0.0)
    hi_t = np.minimum(np.where(on, t, -np.inf).max(1), 1.0)
    return bool((ok & ((hi_t - lo_t) ** 2 * dd > tol * tol) & (hi_t > lo_t)).any())


def _cells(layers: list[tuple[np.ndarray, np.ndarray, bool]], box: tuple[float, float, float, float], *,
          exact: bool = False, max_cells: int = 2_000_000) -> Regions2D:
    """Convex cells cut one by one, each with its own affine map (the reference; see the module docstring)."""
    x0, x1, y0, y1 = box
    conv = _as_exact if exact else (lambda a: a)
    L = max(x1 - x0, y1 - y0, abs(x0), abs(x1), abs(y0), abs(y1), 1.0)
    # Adjacency tolerance: clipped vertices carry a few ulps of L of error per cut; two cells share an edge when two
    # vertices of one lie within 1e-10 * L of an edge line of the other, over a length > 1e-10 * L.
    tol_geo = 0 if exact else 1e-10 * L
    boxP = conv(np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=float))
    # cell state: polygon, A (2 x u) gradients of current coordinates, c (u,) offsets, mag bound, neighbour ids
    polys = {0: boxP}
    A = {0: conv(np.eye(2))}
    c = {0: conv(np.zeros(2))}
    mag = {0: np.ones(2)}
    nbrs: dict[int, set[int]] = {0: set()}
    next_id = 1
    n_ops = 0
    for W, b, relu in layers:
        Wc, bc = conv(W), conv(b)
        for i in polys:
            A[i], c[i] = A[i] @ Wc.T, c[i] @ Wc.T + bc
            mag[i] = mag[i] @ np.abs(W).T + np.abs(b)
        n_ops += W.shape[1] + 1
        if not relu:
            continue
        for u in range(W.shape[0]):
            for i in list(polys):
                P = polys[i]
                v = P @ A[i][:, u] + c[i][u]
                # A vertex value within tol_v of 0 counts as 0 (a cut through a vertex).  Rounding bound: the unit's
                # affine map carries <= 16 * n_ops * eps * mag relative error (mag = the same sums in absolute values),
                # clipped vertices a few ulps of L; 64x covers both.  A split happens only if both sides reach beyond it.
                tol_v = 0 if exact else 64 * n_ops * EPS * float(mag[i][u]) * L
                if not ((v > tol_v).any() and (v < -tol_v).any()):
                    continue
                kids = []
                for sgn in (1, -1):
                    Q = _clip(P, v, sgn, tol_v)
                    if len(Q) >= 3 and _area2(Q) != 0:
                        kids.append(Q)
                if len(kids) < 2:
                    continue
                ids = []
                for Q in kids:
                    j = next_id
                    next_id += 1
                    polys[j], A[j], c[j], mag[j], nbrs[j] = Q, A[i], c[i], mag[i], set()
                    ids.append(j)
                nbrs[ids[0]].add(ids[1])
                nbrs[ids[1]].add(ids[0])
                for q in nbrs[i]:
                    nbrs[q].discard(i)
                    for j in ids:
                        if _share_edge(polys[j], polys[q], tol_geo):
                            nbrs[j].add(q)
                            nbrs[q].add(j)
                for d in (polys, A, c, mag, nbrs):
                    del d[i]
                check.within_budget("max_cells", len(polys), max_cells, what="cells")
        # gates: a unit is on in a cell iff its pre-activation is positive at the cell's centroid
        for i, P in polys.items():
            ctr = P.sum(axis=0) / len(P)
            on = (ctr @ A[i] + c[i]) > 0
            zero = conv(np.zeros(1))[0] if exact else 0.0
            A[i] = np.where(on[None, :], A[i], zero)
            c[i] = np.where(on, c[i], zero)
            mag[i] = np.where(on, mag[i], 0.0)
    ids = list(polys)
    index = {i: n for n, i in enumerate(ids)}
    g = [A[i][:, 0] for i in ids]
    off = [c[i][0] for i in ids]
    # adjacent cells with equal affine maps merge; float tolerance from the rounding bound, as in 1-D
    pairs = []
    for i in ids:
        for q in nbrs[i]:
            if q < i:
                continue
            a, bq = index[i], index[q]
            tol = 0 if exact else 16 * n_ops * EPS * float(max(mag[i][0], mag[q][0]))
            same = all(abs(g[a][t] - g[bq][t]) <= tol for t in range(2)) and abs(off[a] - off[bq]) <= tol
            if same:
                pairs.append((a, bq))
    labels = _components(len(ids), pairs)
    f = (lambda x: float(x))
    return Regions2D._from_polygons(
        [np.array([[f(p[0]), f(p[1])] for p in polys[i]]) for i in ids],
        np.array([[f(v) for v in gi] for gi in g]).reshape(-1, 2), np.array([f(v) for v in off]), labels, layers)
