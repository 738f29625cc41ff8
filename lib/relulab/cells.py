"""Convex cells in R^n cut by hyperplanes: the geometry under the exact region counters in 2-D and 3-D.

Internal: the functions are private (the public entry points are :mod:`relulab.regions_nd` and :mod:`relulab.lattice`).

A cell is a convex polytope kept as its vertices, each tagged with the ids of the hyperplanes it lies on.  Cutting a
cell by a hyperplane needs only those tags: two vertices on opposite sides span an edge exactly when they share
n - 1 tags (their common planes meet in a line, and the polytope meets that line in one edge), so the new vertices
are the crossings of those edges.  This is the vertex-incidence form of polytope clipping; it works in any
dimension and never solves a linear program.  Two cells touch along a facet when they carry the same plane id on
n or more vertices and their faces on that plane overlap by more than rounding noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Cell"]


@dataclass(frozen=True)
class Cell:
    """A convex polytope: vertices ``V`` (k, n) and, per vertex, the frozenset of plane ids it lies on."""

    V: np.ndarray
    tags: tuple[frozenset, ...]

    @property
    def centroid(self) -> np.ndarray:
        """The mean of the vertices (a point inside the cell)."""
        return self.V.mean(axis=0)


def _box_cell(lo: np.ndarray, hi: np.ndarray) -> Cell:
    """The box [lo, hi] as a cell; its faces are planes 2i (x_i = lo_i) and 2i + 1 (x_i = hi_i)."""
    n = len(lo)
    bits = (np.arange(2**n)[:, None] >> np.arange(n)) & 1
    V = np.where(bits == 1, hi, lo).astype(float)
    tags = tuple(frozenset(int(2 * i + b[i]) for i in range(n)) for b in bits)
    return Cell(V, tags)


def _split(cell: Cell, s: np.ndarray, tol: float, plane: int) -> tuple[Cell, Cell] | None:
    """Cut `cell` by the hyperplane {s = 0}, given the affine function's values `s` at its vertices.

    Values within `tol` of 0 count as on the plane.  Returns ``None`` unless both sides reach beyond `tol`;
    otherwise the parts with s >= 0 and s <= 0, the new vertices tagged with `plane`.
    """
    pos, neg = s > tol, s < -tol
    if not (pos.any() and neg.any()):
        return None
    n = cell.V.shape[1]
    on = ~(pos | neg)
    new_V, new_T = [], []
    for i in np.flatnonzero(pos):
        for j in np.flatnonzero(neg):
            common = cell.tags[i] & cell.tags[j]
            if len(common) >= n - 1:  # an edge of the polytope crosses the plane here
                t = s[i] / (s[i] - s[j])
                new_V.append(cell.V[i] + t * (cell.V[j] - cell.V[i]))
                new_T.append(common | {plane})
    tags = [t | {plane} if o else t for t, o in zip(cell.tags, on)]
    new_V = np.array(new_V).reshape(-1, n)
    kids = []
    for side in (pos, neg):
        keep = side | on
        kids.append(Cell(np.vstack([cell.V[keep], new_V]),
                         tuple(t for t, k in zip(tags, keep) if k) + tuple(new_T)))
    return kids[0], kids[1]


def _face(cell: Cell, plane: int) -> np.ndarray:
    """The vertices of `cell` that lie on `plane` (its face there, possibly lower-dimensional)."""
    return cell.V[[plane in t for t in cell.tags]]


def _faces_overlap(F1: np.ndarray, F2: np.ndarray, normal: np.ndarray, tol: float) -> bool:
    """Whether two convex faces lying in one hyperplane (normal `normal`) overlap in more than rounding noise.

    n = 2: two segments on a line, overlap longer than `tol` (a length); n = 3: two convex polygons in a plane, overlap
    area above tol^2 and above the rounding noise of the clipping, 100 eps diameter^2.
    """
    n = len(normal)
    if len(F1) < n or len(F2) < n:
        return False
    basis = _plane_basis(normal)
    P, Q = F1 @ basis.T, F2 @ basis.T
    if n == 2:
        lo, hi = max(P.min(), Q.min()), min(P.max(), Q.max())
        return hi - lo > tol
    if n == 3:
        P, Q = _ccw(P), _ccw(Q)
        # faces that share only an edge clip to a sliver whose area is rounding noise, a few eps * diameter^2
        # (1e-17 to 4e-15 seen, depending on the CPU): below this floor adjacency would depend on the machine
        diam = float(np.ptp(np.vstack([P, Q]), axis=0).max())
        return _polygon_overlap_area(P, Q) > max(tol * tol, 100 * np.finfo(float).eps * diam**2)
    raise ValueError(f"faces_overlap supports n = 2 or 3, got n = {n}")


def _plane_basis(normal: np.ndarray) -> np.ndarray:
    """An orthonormal basis (n-1, n) of the hyperplane orthogonal to `normal`."""
    _, _, Vt = np.linalg.svd(normal[None, :] / np.linalg.norm(normal))
    return Vt[1:]


def _ccw(P: np.ndarray) -> np.ndarray:
    """The points of a convex polygon ordered counter-clockwise around their mean."""
    c = P.mean(axis=0)
    return P[np.argsort(np.arctan2(P[:, 1] - c[1], P[:, 0] - c[0]))]


def _area(P: np.ndarray) -> float:
    x, y = P[:, 0], P[:, 1]
    return 0.5 * float((x * np.roll(y, -1) - np.roll(x, -1) * y).sum())


def _polygon_overlap_area(P: np.ndarray, Q: np.ndarray) -> float:
    """Area of the intersection of two counter-clockwise convex polygons (Sutherland-Hodgman clipping)."""
    out = P
    for i in range(len(Q)):
        a, b = Q[i], Q[(i + 1) % len(Q)]
        if len(out) == 0:
            return 0.0
        d = b - a
        side = d[0] * (out[:, 1] - a[1]) - d[1] * (out[:, 0] - a[0])  # >= 0: left of a->b (inside)
        pts = []
        for j in range(len(out)):
            k = (j + 1) % len(out)
            if side[j] >= 0:
                pts.append(out[j])
            if (side[j] >= 0) != (side[k] >= 0):
                t = side[j] / (side[j] - side[k])
                pts.append(out[j] + t * (out[k] - out[j]))
        out = np.array(pts).reshape(-1, 2)
    return abs(_area(out)) if len(out) >= 3 else 0.0


def _components(n_cells: int, pairs: list[tuple[int, ...]]) -> np.ndarray:
    """Labels of the connected components of the graph on cells whose edges are `pairs` (i, j, ...) (union-find)."""
    parent = list(range(n_cells))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j, *_ in pairs:
        parent[find(i)] = find(j)
    roots = np.array([find(i) for i in range(n_cells)])
    return np.unique(roots, return_inverse=True)[1]
