"""Exact 2-D linear regions at scale: a planar partition, stored as half-edge arrays, cut one ReLU unit at a time.

Why relulab's own engine rather than regioncam (PyPI, compiled; the peer of ``bench/bench_regions.py`` and of the
tests), decided by measurement: regioncam takes float32 weights and computes in float32, so it partitions a rounded
copy of the net and resolves nothing thinner than float32 can.  On ZONOTOPE nets, where zero lines meet exactly, its
counts differ from the exact rational count of :mod:`relulab.regions_reference` on several of a handful of nets, while this
engine's agree on all of them (tests/test_regions.py); on random nets of 4e4 to 1e5 regions it misses one or two
regions of area ~1e-15 that this engine, an 80-bit extended-precision run of it and the independent cell-by-cell
counter all find.  And vectorised numpy over the whole partition is not slower: on those nets this engine takes about
half of regioncam's time on the book's machine (``make bench``, bench/latest.txt).  So relulab counts with this engine,
in float64, and keeps regioncam as an outside check on generic nets.

The algorithm.  The box is one convex face.  For each hidden layer, the pre-activations of its units are known at
every vertex (they are affine on every face, so a new vertex on an edge gets them by linear interpolation along the
edge).  For each unit in turn, vectorised over the whole partition: the edges whose two ends have strictly opposite
signs (beyond the tolerance) are split at the zero crossing; then each face that has a vertex on each side is cut
along the chord between its two zero vertices.  After the layer, the ReLU is applied at the vertices and the next
layer's pre-activations are computed there.  Each face records, per layer, which units are on, so its affine map is
exact (a product of masked weight matrices, :attr:`Regions2D.grads`), and adjacent faces whose maps agree merge into
pieces (Arora et al.'s Def. 3).

Tolerance: a vertex value counts as 0 when it is within 64 * n_ops * eps of the same sums taken in absolute values
(n_ops: multiply-adds so far on a path to the unit) -- the rounding bound of the float64 arithmetic, as in
:func:`relulab.regions.pieces_1d`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from . import check

__all__ = ["Regions2D"]

EPS = float(np.finfo(np.float64).eps)


@dataclass(frozen=True, eq=False)
class Regions2D:
    """Convex cells of an R^2 -> R net in a box (activation regions), with their exact affine maps and pieces.

    ``vertices`` (V, 2); face f is the counter-clockwise ring ``vertices[ring[starts[f]:starts[f + 1]]]``;
    ``patterns[l]`` (F, width_l) says which units of hidden layer l are on in each face; ``layers`` are the net's
    (W, b, relu_after) float64 arrays.  Gradients, offsets and pieces are computed on first use.
    """

    vertices: np.ndarray
    ring: np.ndarray
    starts: np.ndarray
    patterns: tuple[np.ndarray, ...]
    layers: tuple[tuple[np.ndarray, np.ndarray, bool], ...]
    neighbours: np.ndarray   # (E, 2) pairs of faces that share an edge of positive length
    given: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None   # (grads, offsets, piece) computed elsewhere

    @classmethod
    def _from_polygons(cls, polygons: list[np.ndarray], grads: np.ndarray, offsets: np.ndarray, piece: np.ndarray,
                      layers: list) -> "Regions2D":
        """Regions given as separate polygons with their maps and piece labels (the reference counter's output)."""
        sizes = [len(P) for P in polygons]
        verts = np.concatenate(polygons) if polygons else np.zeros((0, 2))
        return cls(verts, np.arange(len(verts)), np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64), (),
                   tuple(layers), np.zeros((0, 2), dtype=np.int64), (grads, offsets, piece))

    @property
    def n_activation_regions(self) -> int:
        """Connected regions of constant activation pattern (the faces)."""
        return len(self.starts) - 1

    @functools.cached_property
    def polygons(self) -> list[np.ndarray]:
        """Each face as a (k, 2) array of its vertices, counter-clockwise."""
        return np.split(self.vertices[self.ring], self.starts[1:-1])

    @functools.cached_property
    def _maps(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per face: gradient (F, 2), offset (F,) and the same sums in absolute values (rounding scale)."""
        (W, b, _), hidden = self.layers[-1], self.layers[:-1]
        F = self.n_activation_regions
        v, va = np.repeat(W[:1], F, 0), np.repeat(np.abs(W[:1]), F, 0)
        off, offa = np.full(F, b[0]), np.full(F, abs(b[0]))
        for (Wl, bl, _), mask in zip(reversed(hidden), reversed(self.patterns)):
            v, va = v * mask, va * mask
            off, offa = off + v @ bl, offa + va @ np.abs(bl)
            v, va = v @ Wl, va @ np.abs(Wl)
        return v, off, offa + va.sum(1)

    @property
    def grads(self) -> np.ndarray:
        """The gradient of the net on each face, (F, 2)."""
        return self.given[0] if self.given is not None else self._maps[0]

    @property
    def offsets(self) -> np.ndarray:
        """The value at the origin of each face's affine map, (F,)."""
        return self.given[1] if self.given is not None else self._maps[1]

    @functools.cached_property
    def piece(self) -> np.ndarray:
        """Label of the maximal affine piece of each face: adjacent faces with equal maps merged (Def. 3)."""
        if self.given is not None:
            return self.given[2]
        g, off, scale = self._maps
        n_ops = sum(W.shape[1] + 1 for W, _, _ in self.layers)
        a, c = self.neighbours[:, 0], self.neighbours[:, 1]
        tol = 16 * n_ops * EPS * np.maximum(scale[a], scale[c])
        same = (np.abs(g[a] - g[c]) <= tol[:, None]).all(1) & (np.abs(off[a] - off[c]) <= tol)
        F = self.n_activation_regions
        graph = coo_matrix((np.ones(int(same.sum())), (a[same], c[same])), shape=(F, F))
        return connected_components(graph, directed=False)[1]

    @property
    def n_pieces(self) -> int:
        """Maximal connected sets on which the function is affine (Arora's Def. 3)."""
        return int(self.piece.max()) + 1 if self.n_activation_regions else 0


class _Partition:
    """Half-edge arrays with room to grow.

    Vertices: X.  Half-edges: origin, dest, next, twin (-1 on the box boundary), face.  ``rep`` lists one half-edge
    per edge.  Faces: face_he (one half-edge of the ring) and ``on`` (which hidden units are on, every layer).
    """

    def __init__(self, box: tuple[float, float, float, float], n_units: int) -> None:
        x0, x1, y0, y1 = box
        self.X = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float64)  # counter-clockwise
        self.nv, self.nh, self.nf, self.ne = 4, 4, 1, 4
        self.origin = np.array([0, 1, 2, 3])
        self.dest = np.array([1, 2, 3, 0])
        self.next = np.array([1, 2, 3, 0])
        self.twin = np.full(4, -1)
        self.face = np.zeros(4, dtype=np.int64)
        self.rep = np.arange(4)
        self.face_he = np.array([0])
        self.on = np.zeros((n_units, 1), dtype=bool)   # unit x face (a unit's bits are contiguous)

    @staticmethod
    def grow(a: np.ndarray, n: int) -> np.ndarray:
        """`a` with at least n rows (doubling, so that appends cost O(1) amortised; new rows uninitialised)."""
        if n <= len(a):
            return a
        out = np.empty((max(n, 2 * len(a)),) + a.shape[1:], dtype=a.dtype)
        out[:len(a)] = a
        return out

    @staticmethod
    def grow_cols(a: np.ndarray, n: int) -> np.ndarray:
        """`a` with at least n columns (doubling)."""
        if n <= a.shape[1]:
            return a
        out = np.empty((a.shape[0], max(n, 2 * a.shape[1])), dtype=a.dtype)
        out[:, :a.shape[1]] = a
        return out

    def reserve(self, nh: int, nf: int, ne: int) -> None:
        """Room for nh more half-edges, nf more faces and ne more edges."""
        for name in ("origin", "dest", "next", "twin", "face"):
            setattr(self, name, self.grow(getattr(self, name), self.nh + nh))
        self.rep = self.grow(self.rep, self.ne + ne)
        self.face_he = self.grow(self.face_he, self.nf + nf)
        self.on = self.grow_cols(self.on, self.nf + nf)

    def split_edges(self, h: np.ndarray, t: np.ndarray, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Split the edges of half-edges h (one per edge) at parameters t: new vertex, halves, twins relinked.

        Z (units x vertices) holds the layer's pre-activations; the new vertices get them by interpolation."""
        k = len(h)
        tw = self.twin[h]
        inner = tw >= 0
        ki = int(inner.sum())
        self.X = self.grow(self.X, self.nv + k)
        Z = self.grow_cols(Z, self.nv + k)
        self.reserve(k + ki, 0, k)
        a, b = self.origin[h], self.dest[h]
        v = np.arange(self.nv, self.nv + k)
        self.X[v] = self.X[a] + t[:, None] * (self.X[b] - self.X[a])
        Z[:, v] = Z[:, a] + t * (Z[:, b] - Z[:, a])
        self.nv += k
        h2 = np.arange(self.nh, self.nh + k)                  # v -> b, after h
        t2i = np.arange(self.nh + k, self.nh + k + ki)        # v -> a, after the twin (interior edges only)
        self.nh += k + ki
        self.origin[h2], self.dest[h2], self.next[h2], self.face[h2], self.twin[h2] = v, b, self.next[h], \
            self.face[h], -1
        self.next[h], self.dest[h] = h2, v
        hi, ti, h2i = h[inner], tw[inner], h2[inner]
        self.origin[t2i], self.dest[t2i], self.next[t2i], self.face[t2i] = v[inner], a[inner], self.next[ti], \
            self.face[ti]
        self.next[ti], self.dest[ti] = t2i, v[inner]
        self.twin[hi], self.twin[t2i], self.twin[ti], self.twin[h2i] = t2i, hi, h2i, ti
        self.rep[self.ne:self.ne + k] = h2
        self.ne += k
        return Z, v

    def cut_faces(self, hp: np.ndarray, hq: np.ndarray, col: int) -> tuple[np.ndarray, np.ndarray]:
        """Cut each face along the chord p -> q (p = dest(hp) after the + side, q = dest(hq) after the - side).

        The + side keeps the face id f; the - side gets a new id g, whose bits of the units before `col` are copied
        from f (the later units set every face's bit themselves).  Returns (f, g).
        """
        k = len(hp)
        self.reserve(2 * k, k, k)
        p, q = self.dest[hp], self.dest[hq]
        op, oq = self.next[hp], self.next[hq]
        c1 = np.arange(self.nh, self.nh + k)                  # p -> q, closes the + side
        c2 = np.arange(self.nh + k, self.nh + 2 * k)          # q -> p, closes the - side
        self.nh += 2 * k
        f = self.face[hp]
        g = np.arange(self.nf, self.nf + k)
        self.nf += k
        self.origin[c1], self.dest[c1], self.origin[c2], self.dest[c2] = p, q, q, p
        self.twin[c1], self.twin[c2] = c2, c1
        self.next[hp], self.next[c1] = c1, oq
        self.next[hq], self.next[c2] = c2, op
        self.face[c1] = f
        self.face_he[f], self.face_he[g] = c1, c2
        self.on[:col, g] = self.on[:col, f]
        self.rep[self.ne:self.ne + k] = c1
        self.ne += k
        cur, live = c2.copy(), np.ones(k, dtype=bool)        # walk the new rings, naming their faces g
        while live.any():
            self.face[cur[live]] = g[live]
            cur[live] = self.next[cur[live]]
            live &= cur != c2
        return f, g

    def ring_half_edges(self, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every half-edge of the given faces, with the position of its face in `faces`."""
        first = self.face_he[faces]
        cur, idx = first.copy(), np.arange(len(faces))
        hs, fs = [cur], [idx]
        cur = self.next[cur]
        while len(cur):
            live = cur != first
            cur, first, idx = cur[live], first[live], idx[live]
            hs.append(cur)
            fs.append(idx)
            cur = self.next[cur]
        return np.concatenate(hs), np.concatenate(fs)

    def rings(self) -> tuple[np.ndarray, np.ndarray]:
        """(flat vertex indices of every face's ring, start offsets (F+1)), faces in id order."""
        F = self.nf
        first = self.face_he[:F]
        starts = np.concatenate([[0], np.cumsum(np.bincount(self.face[:self.nh], minlength=F))])
        ring = np.empty(starts[-1], dtype=np.int64)
        cur, pos = first.copy(), starts[:-1].copy()
        live = np.ones(F, dtype=bool)
        while live.any():
            ring[pos[live]] = self.origin[cur[live]]
            pos[live] += 1
            cur[live] = self.next[cur[live]]
            live &= cur != first
        return ring, starts


def _regions(layers: list[tuple[np.ndarray, np.ndarray, bool]], box: tuple[float, float, float, float],
             max_cells: int) -> Regions2D:
    """The activation regions of an R^2 -> R net (layers as float64 (W, b, relu_after)) inside the box."""
    widths = [W.shape[0] for W, _, relu in layers if relu]
    P = _Partition(box, sum(widths))
    H = P.X.copy()                       # the values entering the next layer, at every vertex (first: the input)
    n_ops, col = 0, 0
    for W, b, relu in layers:
        if not relu:
            break
        Z = W @ H[:P.nv].T + b[:, None]      # units x vertices
        n_ops += W.shape[1] + 1
        # rounding scale of each unit: its sums in absolute values, bounded over every vertex (values at later
        # vertices interpolate the present ones along edges, so the bound holds there too)
        tol = 64 * n_ops * EPS * (np.abs(W) @ np.abs(H[:P.nv]).max(0) + np.abs(b))
        for u in range(W.shape[0]):
            Z = _cut(P, Z, u, col + u, tol[u])
            check.within_budget("max_cells", P.nf, max_cells, what="cells")
        H = np.maximum(Z[:, :P.nv], 0.0).T
        col += W.shape[0]
    ring, starts = P.rings()
    on = P.on[:, :P.nf]
    bounds = np.cumsum([0] + widths)
    pats = tuple(np.ascontiguousarray(on[a:c].T) for a, c in zip(bounds[:-1], bounds[1:]))
    h = P.rep[:P.ne]
    inner = P.twin[h] >= 0
    nb = np.stack([P.face[h[inner]], P.face[P.twin[h[inner]]]], 1)
    return Regions2D(P.X[:P.nv].copy(), ring, starts, pats, tuple(layers), nb)


def _cut(P: _Partition, Z: np.ndarray, u: int, col: int, tol: float) -> np.ndarray:
    """Cut the partition by the zero line of unit u (values Z[:, u] at the vertices); set bit `col` of each face."""
    z = Z[u, :P.nv]
    s = (z > tol).view(np.int8) - (z < -tol).view(np.int8)
    old_zero = np.flatnonzero(s == 0)
    e = P.rep[:P.ne]
    cross = e[s[P.origin[e]] * s[P.dest[e]] < 0]
    faces = [P.face[cross], P.face[P.twin[cross][P.twin[cross] >= 0]]]
    if len(cross):
        za, zb = z[P.origin[cross]], z[P.dest[cross]]
        Z, v = P.split_edges(cross, za / (za - zb), Z)
        Z[u, v] = 0.0                                           # exactly on the line
        s = np.concatenate([s, np.zeros(len(v), dtype=np.int8)])
    if len(old_zero):  # vertices already on the line (kinks meeting): their faces may be cut too
        touch = np.isin(P.origin[:P.nh], old_zero)
        faces.append(P.face[:P.nh][touch])
    # the unit's sign on every face, read at one vertex of its ring (a zero there: read the whole ring)
    sf = s[P.origin[P.face_he[:P.nf]]]
    zero = np.flatnonzero(sf == 0)
    if len(zero):
        faces.append(zero)
    cand = np.unique(np.concatenate(faces))
    P.on[col, :P.nf] = sf > 0
    if not len(cand):
        return Z
    hh, fi = P.ring_half_edges(cand)
    so, sd = s[P.origin[hh]], s[P.dest[hh]]
    pos = np.bincount(fi, weights=so > 0, minlength=len(cand)) > 0
    neg = np.bincount(fi, weights=so < 0, minlength=len(cand)) > 0
    P.on[col, cand] = pos
    cut = (pos & neg)[fi]
    if cut.any():
        # in each cut face: the half-edge entering a zero vertex from the + side, and one entering from the - side
        enter_p, enter_q = hh[(so > 0) & (sd == 0) & cut], hh[(so < 0) & (sd == 0) & cut]
        _, ip = np.unique(P.face[enter_p], return_index=True)   # one per face (several only at rounding level)
        _, iq = np.unique(P.face[enter_q], return_index=True)
        _, g = P.cut_faces(enter_p[ip], enter_q[iq], col)
        P.on[col, g] = False
    return Z
