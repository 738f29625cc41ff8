"""From the affine pieces of a PWL function back to formulas: max-min (lattice) and signed sums of small maxima.

The hard direction of Arora et al.'s Theorem 2.1 starts from a continuous PWL function given by its pieces.  This
module takes the exact cells of :func:`relulab.regions_nd.regions_nd` (a convex domain cut into convex cells, one
affine map on each) and writes the function on that domain in two ways.

*Lattice form* (Tarela & Martinez 1999; Ovchinnikov 2002): with l_1..l_K the distinct affine maps and
S(y) = {j : l_j(y) >= f(y)},  f = max_y min_{j in S(y)} l_j, where y runs over one point per cell of the cells cut
further by the planes l_j = l_{p(i)}, so that S(y) is constant on each.  The sets {j : l_j >= l_{p(i)} on the whole
cell i} are not enough: where some l_j - l_{p(i)} changes sign inside cell i, that set is smaller than every S(y),
and its min can exceed f elsewhere (the robustness sweep found such a net at seed 1014 of Part I ch1).

*Wang-Sun form* f = sum_j s_j max_{i in T_j} l_i with |T_j| <= n + 1, built in two steps.  (1) A difference of
convex functions: across every concave facet between cells P and Q (f = min(l_P, l_Q) there) add |l_Q - l_P| (twice
what removes the kink),
so g = f + c is convex on the domain with c = sum_h c_h |d_h|; g is then the max of its affine pieces.  (2) A max
of many affine maps is a signed sum of maxima of at most n + 1 of them: lift the maps to points (a_i, b_i),
triangulate the upper hull, and apply inclusion-exclusion over the interior faces of the triangulation (support
functions are valuations), max_i l_i = sum_tau (-1)^(n - dim tau) max_{v in tau} l_v.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import NamedTuple

import numpy as np
from scipy.spatial import ConvexHull

from . import check
from .cells import _split
from .regions_nd import RegionsND, _facet_pairs

__all__ = [
    "LatticeFormula", "SignedMax", "WangSunForm", "count_hinges", "lattice_formula", "signed_max_terms",
    "wang_sun_form",
]

EPS = float(np.finfo(np.float64).eps)


@dataclass(frozen=True)
class LatticeFormula:
    """f(x) = max_i min_{j in sets[i]} (grads[j] . x + offsets[j])."""

    grads: np.ndarray            # (K, n) distinct affine maps
    offsets: np.ndarray          # (K,)
    sets: tuple[tuple[int, ...], ...]

    def evaluate(self, X: np.ndarray) -> np.ndarray:
        """The formula at the rows of X (N, n)."""
        X = check.array("X", X, 2, columns=self.grads.shape[1], allow_empty=True)
        L = X @ self.grads.T + self.offsets
        return np.max([L[:, list(S)].min(axis=1) for S in self.sets], axis=0)


class SignedMax(NamedTuple):
    """One term ``sign * max_{rows of A} (A x + c)`` of a signed sum of maxima."""

    sign: float
    A: np.ndarray
    c: np.ndarray


@dataclass(frozen=True)
class WangSunForm:
    """f = sum_j s_j max_{rows of A_j} (A_j x + c_j), every A_j with at most n + 1 rows, on the cells' domain."""

    terms: tuple[SignedMax, ...]
    n_convex_pieces: int   # affine pieces of the convex part g = f + c
    n_hinges: int          # hinge terms |d_h| of the compensation c

    def evaluate(self, X: np.ndarray) -> np.ndarray:
        """The formula at the rows of X (N, n), directly (no net)."""
        X = check.array("X", X, 2, columns=self.terms[0].A.shape[1], allow_empty=True)
        return sum(s * (X @ A.T + c).max(axis=1) for s, A, c in self.terms)


def lattice_formula(regions: RegionsND, *, drop: int | None = None) -> LatticeFormula:
    """The max-min formula of the function whose cells are `regions`; ``drop=j`` leaves distinct map j out."""
    check.model("regions", regions, RegionsND)
    grads, offsets, label = _distinct_maps(regions)
    if drop is not None:
        drop = check.integer("drop", drop, low=0, high=len(grads) - 1)
    L = regions.scale
    tol = 1e-9 * (np.abs(grads).sum(1) * L + np.abs(offsets)).max()
    next_id = max(regions.planes, default=0) + 10**6
    sets = set()
    for cell, p in zip(regions.cells, label):
        if p == drop:
            continue
        # S(y) = {j : l_j(y) >= l_p(y)} is constant only where no l_j - l_p changes sign: cut the cell there first
        # (the set "l_j >= l_p on the whole cell" is too small where one does, and its term can exceed f elsewhere)
        parts, next_id = _cut_along(cell, grads - grads[p], offsets - offsets[p], tol, next_id)
        for part in parts:
            gap = part.V @ (grads - grads[p]).T + (offsets - offsets[p])  # (k, K): l_j - l_p at the vertices
            sets.add(tuple(int(j) for j in np.flatnonzero((gap >= -tol).all(axis=0)) if j != drop))
    return LatticeFormula(grads, offsets, tuple(sorted(sets)))


def signed_max_terms(A: np.ndarray, c: np.ndarray, *, seed: int = 0) -> list[SignedMax]:
    """Write max_i (A x + c)_i (any number of rows) as sum_j s_j max over at most n + 1 rows (n = A's columns).

    The maps are lifted to points (a_i, c_i); the upper hull is triangulated (the heights are perturbed by 1e-9 of
    their scale, with generator `seed`, so that the triangulation is regular and refines the hull's faces) and
    inclusion-exclusion runs over its interior faces.  The returned terms use the exact, unperturbed maps.
    """
    A, c = check.array("A", A, 2), check.array("c", c, 1)
    if c.shape != (A.shape[0],):
        raise ValueError(f"A must be (m, n) and c (m,) with m >= 1, got {A.shape} and {c.shape}")
    seed = check.seed(seed)
    m, n = A.shape
    if m <= n + 1:
        return [SignedMax(1.0, A, c)]
    # the gradients may span a lower-dimensional affine space: triangulate there
    U, sv, Vt = np.linalg.svd(A - A[0], full_matrices=False)
    d = int((sv > 1e-12 * max(1.0, sv.max(initial=0.0))).sum())
    if d == 0:
        return [SignedMax(1.0, A[[int(np.argmax(c))]], c[[int(np.argmax(c))]])]
    alpha = (A - A[0]) @ Vt[:d].T
    scale = max(1.0, float(np.abs(c).max()), float(np.abs(alpha).max()))
    h = c + 1e-9 * scale * np.random.default_rng(seed).uniform(-1, 1, m)
    floor = np.r_[alpha.mean(axis=0), h.min() - 10 * scale * (1 + np.ptp(alpha))]
    hull = ConvexHull(np.vstack([np.c_[alpha, h], floor]))
    upper = [tuple(sorted(s)) for s, eq in zip(hull.simplices, hull.equations) if eq[d] > 0 and m not in s]
    return [SignedMax(float(sign), A[list(tau)], c[list(tau)]) for tau, sign in _interior_faces(upper, d)]


def wang_sun_form(regions: RegionsND, *, drop: int | None = None, seed: int = 0) -> WangSunForm:
    """A signed sum of maxima of at most n + 1 affine maps equal to the function of `regions` on its box.

    ``drop=j`` leaves the cells of distinct map j out (the negative control: one piece missing).
    """
    check.model("regions", regions, RegionsND)
    grads, offsets, label = _distinct_maps(regions)
    if drop is not None:
        drop = check.integer("drop", drop, low=0, high=len(grads) - 1)
    hinges = _hinges(regions, grads, offsets, label)
    pieces = _convex_pieces(regions, grads, offsets, label, hinges, drop)
    terms = signed_max_terms(pieces[:, :-1], pieces[:, -1], seed=seed)
    for coef, g, o in hinges:  # - coef |g.x + o| = - max(coef (g.x + o), -coef (g.x + o))
        terms.append(SignedMax(-1.0, coef * np.vstack([g, -g]), coef * np.array([o, -o])))
    return WangSunForm(tuple(terms), len(pieces), len(hinges))


def count_hinges(regions: RegionsND) -> int:
    """Number of hinge planes |d_h| that :func:`wang_sun_form` adds (the form's size grows like its n-th power)."""
    check.model("regions", regions, RegionsND)
    grads, offsets, label = _distinct_maps(regions)
    return len(_hinges(regions, grads, offsets, label))


def _distinct_maps(regions: RegionsND) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct affine maps (within rounding) of the cells, and each cell's index among them."""
    maps = np.hstack([regions.grads, regions.offsets[:, None]])
    tol = 1e-9 * max(1.0, float(np.abs(maps).max()))
    reps: list[np.ndarray] = []
    label = np.empty(len(maps), dtype=int)
    for i, row in enumerate(maps):
        for j, r in enumerate(reps):
            if np.abs(r - row).max() <= tol:
                label[i] = j
                break
        else:
            label[i] = len(reps)
            reps.append(row)
    R = np.array(reps)
    return R[:, :-1], R[:, -1], label


def _hinges(regions: RegionsND, grads: np.ndarray, offsets: np.ndarray,
            label: np.ndarray) -> list[tuple[float, np.ndarray, float]]:
    """(coef, g, o) with |g| = 1: the hinges coef |g.x + o| that make f convex across every concave facet."""
    maps = np.hstack([grads, offsets[:, None]])[label]
    tol_map = 1e-9 * max(1.0, float(np.abs(maps).max())) * np.ones(len(maps))
    pairs = _facet_pairs(regions.cells, maps, tol_map, regions.planes, 1e-10 * regions.scale, equal=False)
    planes: dict[tuple, list] = {}
    for i, j, _ in pairs:
        dg, do = maps[j, :-1] - maps[i, :-1], maps[j, -1] - maps[i, -1]
        if regions.cells[j].centroid @ dg + do > 0:  # f = max(l_i, l_j) across this facet: already convex
            continue
        norm = float(np.linalg.norm(dg))
        g, o = dg / norm, do / norm
        k = int(np.flatnonzero(np.abs(g) > 1e-12)[0])
        if g[k] < 0:
            g, o = -g, -o
        key = tuple(np.round(np.r_[g, o / regions.scale], 9))
        entry = planes.setdefault(key, [g, o, 0.0])
        # coef = |dg| / 2 would remove the kink exactly; |dg| leaves it strictly convex, so that every piece of f
        # keeps affine pieces of g of its own (dropping a piece of f then really changes g)
        entry[2] = max(entry[2], norm)
    return [(coef, g, o) for g, o, coef in planes.values()]


def _cut_along(cell, A: np.ndarray, b: np.ndarray, tol: float, next_id: int) -> tuple[list, int]:
    """The pieces of `cell` cut by every plane a.x + c = 0 (rows of A, b), and the next free plane id."""
    parts = [cell]
    for a, c in zip(A, b):
        parts = [kid for part in parts for kid in (_split(part, part.V @ a + c, tol, next_id) or [part])]
        next_id += 1
    return parts, next_id


def _convex_pieces(regions: RegionsND, grads: np.ndarray, offsets: np.ndarray, label: np.ndarray,
                   hinges: list, drop: int | None) -> np.ndarray:
    """The distinct affine maps (rows (grad, offset)) of g = f + sum coef |g.x + o| on the cells of `regions`."""
    n = grads.shape[1]
    H = np.array([g for _, g, _ in hinges]).reshape(-1, n)
    h0 = np.array([o for _, _, o in hinges])
    coef = np.array([c for c, _, _ in hinges])
    tol = 64 * n * EPS * regions.scale * 4
    rows = []
    next_id = max(regions.planes, default=0) + 10**6
    for cell, p in zip(regions.cells, label):
        if p == drop:
            continue
        parts, next_id = _cut_along(cell, H, h0, tol, next_id)
        for part in parts:
            sgn = np.sign(part.centroid @ H.T + h0)
            rows.append(np.r_[grads[p] + (coef * sgn) @ H, offsets[p] + (coef * sgn) @ h0])
    R = np.array(rows)
    tol_row = 1e-9 * max(1.0, float(np.abs(R).max()))
    return R[np.unique(np.round(R / tol_row), axis=0, return_index=True)[1]]


def _interior_faces(simplices: list[tuple[int, ...]], d: int) -> list[tuple[tuple[int, ...], int]]:
    """(face, sign) over the faces of a triangulated d-ball not on its boundary, sign (-1)^(d - dim face)."""
    ridge_count: dict[tuple, int] = {}
    for s in simplices:
        for r in combinations(s, d):
            ridge_count[r] = ridge_count.get(r, 0) + 1
    # a face lies on the boundary iff it is a face of a boundary ridge (a ridge of exactly one simplex)
    on_boundary = {f for r, k in ridge_count.items() if k == 1 for size in range(1, d + 1) for f in combinations(r, size)}
    faces = {f for s in simplices for size in range(1, d + 2) for f in combinations(s, size)}
    return [(f, (-1) ** (d - (len(f) - 1))) for f in sorted(faces - on_boundary)]
