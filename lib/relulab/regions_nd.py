"""Exact linear regions and affine pieces of ReLU nets on R^2 and R^3 (the 3-D counter of Part I).

The input box is cut layer by layer: inside a cell every pre-activation is affine, so a unit whose zero set crosses
the cell splits it in two (:mod:`relulab.cells`); after the layer each cell applies the gates it has at its
centroid.  The cells at the end are the activation regions.  Pieces in the sense of Arora et al.'s Def. 3 (maximal
connected sets on which the function is affine) are unions of cells: adjacent cells (sharing a facet) whose affine
maps agree are merged.  No grid is sampled, no linear program solved.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from torch import nn

from . import check
from .cells import Cell, _box_cell, _components, _face, _faces_overlap, _split
from .pwl import from_sequential

__all__ = ["RegionsND", "count_regions_nd", "regions_nd"]

EPS = float(np.finfo(np.float64).eps)
MAX_CELLS = 200_000  # pure Python cells: beyond this the enumeration takes minutes


@dataclass(frozen=True)
class RegionsND:
    """Cells of an R^n -> R net in a box, the affine map on each, and the piece (Def. 3) each cell belongs to."""

    cells: tuple[Cell, ...]
    grads: np.ndarray    # (n_cells, n)
    offsets: np.ndarray  # (n_cells,)
    piece: np.ndarray    # (n_cells,) label of the maximal affine piece
    planes: dict         # id -> normal of every interior cutting plane (ids below 2n are the box faces)
    scale: float         # the box's length scale L (geometric tolerances are 1e-10 L)

    @property
    def n_activation_regions(self) -> int:
        """Number of cells (regions of constant activation pattern)."""
        return len(self.cells)

    @property
    def n_pieces(self) -> int:
        """Number of maximal connected sets on which the function is affine (Arora et al.'s Def. 3)."""
        return int(len(np.unique(self.piece)))

    @property
    def polygons(self) -> list[np.ndarray]:
        """In 2-D, each cell's vertices in counter-clockwise order (for drawing); refused in 3-D."""
        if self.grads.shape[1] != 2:
            raise ValueError("polygons exist for R^2 -> R nets only; use cells[i].V in 3-D")
        out = []
        for c in self.cells:
            d = c.V - c.centroid
            out.append(c.V[np.argsort(np.arctan2(d[:, 1], d[:, 0]))])
        return out


def regions_nd(model: nn.Sequential, box: Sequence[float], *, max_cells: int = MAX_CELLS) -> RegionsND:
    """Exact cells and affine pieces of an R^n -> R ReLU net (n = 2 or 3) in ``box = (lo_1, hi_1, ..., lo_n, hi_n)``."""
    check.model("model", model, nn.Sequential)
    net = from_sequential(model)
    n = net.d_in
    if n not in (2, 3) or net.d_out != 1:
        raise ValueError(f"model must map R^2 or R^3 to R, got R^{n} -> R^{net.d_out}")
    v = np.array(check.box("box", box, n))
    lo, hi = v[0::2], v[1::2]
    max_cells = check.integer("max_cells", max_cells, low=1)
    L = max(1.0, float(np.abs(np.concatenate([lo, hi])).max()), float((hi - lo).max()))
    normals: dict[int, np.ndarray] = {}
    next_id = 2 * n  # ids 0 .. 2n-1 are the faces of the box
    state = [(_box_cell(lo, hi), np.eye(n), np.zeros(n), np.ones(n))]  # cell, A (n, u), c (u,), |.| bound
    n_ops = 0
    for depth, (W, b) in enumerate(net.layers):
        state = [(cell, A @ W.T, c @ W.T + b, mag @ np.abs(W).T + np.abs(b)) for cell, A, c, mag in state]
        n_ops += W.shape[1] + 1
        if depth == net.hidden_layers:
            break
        out = []
        for cell, A, c, mag in state:
            parts = [cell]
            for u in range(W.shape[0]):
                # rounding bound of the unit's value at a vertex, as in relulab.regions: 64 n_ops eps |.| L
                tol_v = 64 * n_ops * EPS * float(mag[u]) * L
                nxt = []
                for p in parts:
                    kids = _split(p, p.V @ A[:, u] + c[u], tol_v, next_id)
                    if kids is None:
                        nxt.append(p)
                        continue
                    normals[next_id] = A[:, u].copy()
                    next_id += 1
                    nxt.extend(kids)
                parts = nxt
            for p in parts:
                on = p.centroid @ A + c > 0
                out.append((p, A * on, c * on, mag * on))
            check.within_budget("max_cells", len(out), max_cells, what="cells")
        state = out
    grads = np.array([A[:, 0] for _, A, _, _ in state])
    offsets = np.array([c[0] for _, _, c, _ in state])
    tol_map = np.array([16 * n_ops * EPS * float(mag[0]) for *_, mag in state])
    cells = tuple(s[0] for s in state)
    pairs = _facet_pairs(cells, np.hstack([grads, offsets[:, None]]), tol_map, normals, 1e-10 * L, equal=True)
    return RegionsND(cells, grads, offsets, _components(len(cells), pairs), normals, L)


def count_regions_nd(model: nn.Sequential, box: Sequence[float], *, mode: str = "pieces") -> int:
    """Exact number of ``"pieces"`` (Def. 3) or ``"activation"`` regions of an R^2/R^3 -> R net inside `box`."""
    check.choice("mode", mode, ("pieces", "activation"))
    r = regions_nd(model, box)
    return r.n_pieces if mode == "pieces" else r.n_activation_regions


def _facet_pairs(cells: Sequence[Cell], maps: np.ndarray, tol_map: np.ndarray, normals: dict[int, np.ndarray],
                 tol_geo: float, *, equal: bool) -> list[tuple[int, int, int]]:
    """(i, j, plane) for cells i < j that share a facet on an interior plane and whose affine maps are equal
    (``equal=True``, within ``tol_map``) or differ (``equal=False``)."""
    n = cells[0].V.shape[1]
    on_plane: dict[int, list[int]] = {}
    for i, cell in enumerate(cells):
        counts: dict[int, int] = {}
        for t in cell.tags:
            for h in t:
                counts[h] = counts.get(h, 0) + 1
        for h, k in counts.items():
            if h in normals and k >= n:  # a face of dimension n-1 on an interior plane (box faces excluded)
                on_plane.setdefault(h, []).append(i)
    out = []
    for h, idx in on_plane.items():
        idx = np.array(idx)
        diff = np.abs(maps[idx][:, None, :] - maps[idx][None, :, :]).max(-1)
        same = diff <= np.maximum(tol_map[idx][:, None], tol_map[idx][None, :])
        for a, b in zip(*np.nonzero(np.triu(same if equal else ~same, 1))):
            i, j = int(idx[a]), int(idx[b])
            if _faces_overlap(_face(cells[i], h), _face(cells[j], h), normals[h], tol_geo):
                out.append((i, j, h))
    return out
