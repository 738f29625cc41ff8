"""Exact affine pieces and linear regions of ReLU nets (Part I), plus zig-zag and zonotope builders.

Nothing here samples a grid.  In 1-D the breakpoints are propagated layer by layer: on each current interval every
pre-activation is affine, so a unit adds at most its one zero crossing.  In 2-D the input box is cut into convex
polygons by every unit's zero line (:mod:`relulab.partition`, vectorised over the whole partition, 10^5 regions in
seconds; :mod:`relulab.regions_reference`, cell by cell, is the reference).  Pieces in the sense of Arora et al.'s Def. 3
(maximal connected sets on which the function is affine) are obtained by merging *adjacent* cells whose affine maps
agree.

Two arithmetics: float64 with tolerances derived from a rounding bound (the default), and exact rationals
(``exact=True``, :class:`fractions.Fraction`; every float64 weight is a rational number, so the result is the exact
count for the net as stored) used as the reference in the tests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Sequence

import numpy as np
import torch
from torch import nn

from . import check, partition
from .partition import Regions2D

EPS = float(np.finfo(np.float64).eps)
MAX_CELLS = 2_000_000  # refuse enumerations beyond this many intervals / polygons (memory and time explode)


# ----------------------------------------------------------------------------------------------------------------
# reading a net
# ----------------------------------------------------------------------------------------------------------------
def affine_layers(model: nn.Module, *, what: str = "this function") -> list[tuple[np.ndarray, np.ndarray, bool]]:
    """The net as a list of ``(W, b, relu_after)`` float64 arrays; accepts nn.Sequential of Linear and ReLU only."""
    if not isinstance(model, nn.Sequential):
        raise TypeError(f"{what} needs an nn.Sequential of Linear and ReLU layers, got {type(model).__name__}")
    mods = list(model.children())
    if not mods:
        raise ValueError(f"{what}: the model has no layers")
    out: list[tuple[np.ndarray, np.ndarray, bool]] = []
    for i, m in enumerate(mods):
        if isinstance(m, nn.Linear):
            W = m.weight.detach().cpu().to(torch.float64).numpy().copy()
            b = (m.bias.detach().cpu().to(torch.float64).numpy().copy() if m.bias is not None
                 else np.zeros(m.out_features))
            if not (np.isfinite(W).all() and np.isfinite(b).all()):
                raise ValueError(f"{what}: layer {i} (Linear) has NaN or inf parameters")
            if out and out[-1][0].shape[0] != W.shape[1]:
                raise ValueError(f"{what}: layer {i} expects {W.shape[1]} inputs but receives {out[-1][0].shape[0]}")
            out.append((W, b, False))
        elif isinstance(m, nn.ReLU):
            if not out or out[-1][2]:
                raise TypeError(f"{what}: layer {i} is a ReLU that does not follow a Linear layer")
            out[-1] = (out[-1][0], out[-1][1], True)
        else:
            raise TypeError(f"{what}: layer {i} is {type(m).__name__}; only Linear and ReLU are supported")
    return out


def _as_exact(a: np.ndarray) -> np.ndarray:
    """The same numbers as exact rationals (a float64 is a dyadic rational, so this loses nothing)."""
    return np.array([Fraction(float(v)) for v in a.ravel()], dtype=object).reshape(a.shape)


def _check_model_io(layers: list, d_in: int, what: str) -> None:
    if layers[0][0].shape[1] != d_in:
        raise ValueError(f"{what} needs a net with {d_in} input(s), got {layers[0][0].shape[1]}")
    if layers[-1][0].shape[0] != 1:
        raise ValueError(f"{what} needs a net with one output, got {layers[-1][0].shape[0]}")


# ----------------------------------------------------------------------------------------------------------------
# 1-D: exact breakpoint propagation
# ----------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Pieces1D:
    """The maximal affine pieces of an R->R net on [lo, hi]: ``edges[j] <= x <= edges[j+1]`` has slope[j], intercept[j]."""

    edges: np.ndarray
    slopes: np.ndarray
    intercepts: np.ndarray

    @property
    def count(self) -> int:
        """Number of pieces."""
        return len(self.slopes)

    @property
    def breakpoints(self) -> np.ndarray:
        """The interior breakpoints (where the slope changes)."""
        return self.edges[1:-1]


def pieces_1d(model: nn.Module, lo: float, hi: float, *, exact: bool = False, max_pieces: int = MAX_CELLS) -> Pieces1D:
    """The maximal affine pieces of an R->R ReLU net on [lo, hi] by exact breakpoint propagation (no sampling)."""
    lo, hi = check.real("lo", lo), check.real("hi", hi)
    if not lo < hi:
        raise ValueError(f"need lo < hi, got lo={lo}, hi={hi}")
    layers = affine_layers(model, what="pieces_1d")
    _check_model_io(layers, 1, "pieces_1d")
    conv = _as_exact if exact else (lambda a: a)
    # Two breakpoints closer than this are the same point: crossings are computed as -c/s with a few ulps of error
    # relative to the window, and a genuine piece shorter than 1e-12 of the window is below float64 resolution anyway.
    tol_x = 0 if exact else 1e-12 * max(1.0, hi - lo, abs(lo), abs(hi))
    edges = conv(np.array([lo, hi]))
    S = conv(np.ones((1, 1)))       # per interval: slope of each current coordinate
    C = conv(np.zeros((1, 1)))      # per interval: intercept
    mag = np.ones((1, 1))           # float bound on |slope| + |intercept| terms, for the rounding tolerance
    n_ops = 0
    for W, b, relu in layers:
        Wc, bc = conv(W), conv(b)
        S, C = S @ Wc.T, C @ Wc.T + bc
        mag = mag @ np.abs(W).T + np.abs(b)
        n_ops += W.shape[1] + 1
        if not relu:
            continue
        left, right = edges[:-1, None], edges[1:, None]
        nz = S != 0
        with np.errstate(divide="ignore", invalid="ignore"):
            Sd = np.where(nz, S, 1)
            xs = -C / Sd
        inside = nz & (xs > left + tol_x) & (xs < right - tol_x)
        new = xs[inside]
        if len(new):
            pts = np.concatenate([edges, new])
            pts = np.array(sorted(pts), dtype=object) if exact else np.sort(pts)
            keep = np.ones(len(pts), dtype=bool)
            if exact:
                keep[1:] = pts[1:] != pts[:-1]
            else:
                # drop a crossing within tol_x of the previous kept point (two units crossing at the same x)
                # crossings are > tol_x from the old edges, so only two new crossings can coincide here
                last = pts[0]
                for i in range(1, len(pts)):
                    if pts[i] - last <= tol_x:
                        keep[i] = False
                    else:
                        last = pts[i]
            edges = pts[keep]
        if len(edges) - 1 > max_pieces:
            raise ValueError(f"pieces_1d: {len(edges) - 1} intervals exceed max_pieces={max_pieces}")
        mids = (edges[:-1] + edges[1:]) / 2
        old_edges = np.concatenate([left[:, 0], right[-1:, 0]])
        parent = np.searchsorted(old_edges, mids, side="right") - 1
        parent = np.clip(parent, 0, S.shape[0] - 1)
        S, C, mag = S[parent], C[parent], mag[parent]
        on = (S * mids[:, None] + C) > 0
        S = np.where(on, S, conv(np.zeros(1))[0] if exact else 0.0)
        C = np.where(on, C, conv(np.zeros(1))[0] if exact else 0.0)
        mag = np.where(on, mag, 0.0)
    s, c = S[:, 0], C[:, 0]
    # Merge neighbours with the same slope (continuity then makes the affine maps equal).  Float tolerance: every
    # slope is a sum of products of weights; its rounding error is at most ~n_ops * eps times the same sum taken in
    # absolute values (`mag`), and we allow 16x that.
    tol_s = np.zeros(len(s)) if exact else 16 * n_ops * EPS * mag[:, 0]
    keep = [0]
    for j in range(1, len(s)):
        i = keep[-1]
        if abs(s[j] - s[i]) <= max(tol_s[j], tol_s[i]):
            continue
        keep.append(j)
    starts = np.array(keep)
    new_edges = np.concatenate([edges[starts], edges[-1:]])
    to_float = (lambda a: np.array([float(v) for v in a])) if exact else (lambda a: np.asarray(a, dtype=float))
    return Pieces1D(to_float(new_edges), to_float(s[starts]), to_float(c[starts]))


def count_pieces_1d(model: nn.Module, lo: float, hi: float, *, exact: bool = False) -> int:
    """The exact number of maximal intervals of [lo, hi] on which an R->R ReLU net is affine (Arora's Def. 3)."""
    return pieces_1d(model, lo, hi, exact=exact).count


def max_pieces_1d_bound(widths: Sequence[int]) -> dict[str, int]:
    """Upper bounds on the pieces on R of an R->R net with hidden widths w_1..w_k: Arora's Lemma D.5 and prod(w_i+1)."""
    if isinstance(widths, (str, bytes)) or not hasattr(widths, "__iter__"):
        raise TypeError(f"widths must be a sequence of positive ints, got {type(widths).__name__}")
    ws = check.integers("widths", widths, low=1)
    lemma = 2 ** (len(ws) - 1) * (ws[0] + 1) * math.prod(ws[1:])
    return {"lemma_D5": lemma, "prod_w_plus_1": math.prod(w + 1 for w in ws)}


# ----------------------------------------------------------------------------------------------------------------
# 2-D: cell enumeration (relulab.partition at scale; relulab.regions_reference, exact rationals, as the reference)
# ----------------------------------------------------------------------------------------------------------------
def regions_2d(model: nn.Module, box: Sequence[float], *, exact: bool = False, max_cells: int = MAX_CELLS) -> Regions2D:
    """Exact cells, affine maps and pieces of an R^2->R ReLU net inside ``box = (x0, x1, y0, y1)`` (no sampling).

    float64 (default): :mod:`relulab.partition`, vectorised, 10^5 regions in seconds.  ``exact=True``: the reference
    counter of :mod:`relulab.regions_reference` in rational arithmetic (small nets).
    """
    if isinstance(box, (str, bytes)) or not hasattr(box, "__len__") or len(box) != 4:
        raise ValueError(f"box must be (x0, x1, y0, y1), got {box!r}")
    x0, x1, y0, y1 = (check.real(f"box[{i}]", v) for i, v in enumerate(box))
    if not (x0 < x1 and y0 < y1):
        raise ValueError(f"box must have x0 < x1 and y0 < y1, got {box!r}")
    max_cells = check.integer("max_cells", max_cells, low=1)
    layers = affine_layers(model, what="regions_2d")
    _check_model_io(layers, 2, "regions_2d")
    if exact:
        from .regions_reference import _cells

        return _cells(layers, (x0, x1, y0, y1), exact=True, max_cells=max_cells)
    return partition._regions(layers, (x0, x1, y0, y1), max_cells)


def count_regions_2d(model: nn.Module, box: Sequence[float], *, mode: str = "pieces", exact: bool = False) -> int:
    """Exact count inside `box` of an R^2->R net's ``"pieces"`` (Def. 3: adjacent equal maps merged) or ``"activation"`` regions."""
    if mode not in ("pieces", "activation"):
        raise ValueError(f"mode must be 'pieces' or 'activation', got {mode!r}")
    r = regions_2d(model, box, exact=exact)
    return r.n_pieces if mode == "pieces" else r.n_activation_regions


# ----------------------------------------------------------------------------------------------------------------
# builders: zig-zags, their compositions, zonotopes
# ----------------------------------------------------------------------------------------------------------------
def _check_a(a: Any) -> np.ndarray:
    arr = np.asarray(a, dtype=float).ravel()
    if arr.size == 0:
        raise ValueError("a must hold at least one breakpoint (a in Delta^p_M, p >= 1)")
    if not np.isfinite(arr).all():
        raise ValueError("a must be finite")
    return arr


def zigzag_coefficients(a: Any, M: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Knots t = (0, a_1..a_p) and output weights c with h_a(x) = sum_j c_j ReLU(x - t_j) (w = p + 1 units)."""
    M = check.real("M", M, low=0, open_low=True)
    arr = _check_a(a)
    t = np.concatenate([[0.0], arr])
    ends = np.concatenate([t, [M]])
    lengths = np.diff(ends)
    if (lengths == 0).any():
        raise ValueError("a must not repeat a breakpoint or touch 0 or M (zero-length piece)")
    sign = np.where(np.arange(len(t)) % 2 == 0, 1.0, -1.0)
    slopes = sign * M / lengths  # alternate 0 -> M -> 0 ...; outside Delta (unsorted) the pieces are no longer onto
    cw = np.diff(np.concatenate([[0.0], slopes]))
    return t, cw


def zigzag(a: Any, x: Any, M: float = 1.0) -> np.ndarray:
    """Reference values of the zig-zag h_a at points x (plain numpy, independent of any net)."""
    t, cw = zigzag_coefficients(a, M)
    xs = np.asarray(x, dtype=float)
    if not np.isfinite(xs).all():
        raise ValueError("x contains NaN or infinite values")
    return (np.maximum(xs[..., None] - t, 0.0) * cw).sum(-1)


def zigzag_composition_net(a_list: Sequence[Any], M: float = 1.0) -> nn.Sequential:
    """The (k+1)-layer net of width w computing H = h_{a^1} o ... o h_{a^k} (a^k applied first), size w*k."""
    if isinstance(a_list, (str, bytes)) or len(a_list) == 0:
        raise ValueError("a_list must be a non-empty list of breakpoint vectors")
    coefs = [zigzag_coefficients(a, M) for a in a_list][::-1]  # innermost first
    n_weights = sum(len(t1) * len(t0) for (t0, _), (t1, _) in zip(coefs[:-1], coefs[1:]))
    if n_weights > MAX_CELLS * 50:
        raise ValueError(f"a_list: the composition net would hold {n_weights:,} weights (> {MAX_CELLS * 50:,})")
    layers: list[nn.Module] = []
    prev_c: np.ndarray | None = None
    for t, cw in coefs:
        w = len(t)
        if prev_c is None:
            lin = nn.Linear(1, w, dtype=torch.float64)  # float64 before the copy, whatever the default dtype
            W = np.ones((w, 1))
        else:
            lin = nn.Linear(len(prev_c), w, dtype=torch.float64)
            W = np.ones((w, 1)) @ prev_c[None, :]   # next pre-activations = (previous h) - t_j
        with torch.no_grad():
            lin.weight.copy_(torch.as_tensor(W, dtype=torch.float64))
            lin.bias.copy_(torch.as_tensor(-t, dtype=torch.float64))
        layers += [lin.double(), nn.ReLU()]
        prev_c = cw
    out = nn.Linear(len(prev_c), 1, bias=False).double()  # Def. 1: the last map is linear
    with torch.no_grad():
        out.weight.copy_(torch.as_tensor(prev_c[None, :], dtype=torch.float64))
    return nn.Sequential(*layers, out)


def zigzag_parameters_from_breakpoints(breakpoints: Any, w: int, k: int, M: float = 1.0) -> list[np.ndarray]:
    """Invert Theorem 3.2's parametrisation: (a^1, ..., a^k) from the w^k - 1 sorted breakpoints of H in (0, M).

    On the first w^i pieces of H the inner k - i zig-zags are one increasing affine map onto [0, M], so those pieces
    are the outer composition h_{a^1} o ... o h_{a^i} rescaled by b_{w^i} / M; by induction its innermost zig-zag
    a^i sits at the breakpoints numbered j w^(i-1):  a^i_j = M b_{j w^(i-1)} / b_{w^i}  (1-based, b_{w^k} := M).
    So a^1 (outermost) is read off the first w - 1 breakpoints, a^k (innermost) is every w^(k-1)-th one.
    """
    w = check.integer("w", w, low=2)
    k = check.integer("k", k, low=1)
    M = check.real("M", M, low=0, open_low=True)
    check.within_budget("zigzag_parameters_from_breakpoints", float(w) ** k, MAX_CELLS, what="pieces")
    b = np.asarray(breakpoints, dtype=float).ravel()
    if b.size != w**k - 1:
        raise ValueError(f"breakpoints must hold w^k - 1 = {w**k - 1} values, got {b.size}")
    if not np.isfinite(b).all() or not (np.all(np.diff(b) > 0) and b[0] > 0 and b[-1] < M):
        raise ValueError("breakpoints must be finite, strictly increasing and inside (0, M)")
    ext = np.concatenate([[0.0], b, [M]])  # ext[n] = b_n (1-based), ext[w^k] = M
    j = np.arange(1, w)
    return [M * ext[j * w ** (i - 1)] / ext[w**i] for i in range(1, k + 1)]


def random_simplex_point(p: int, M: float = 1.0, *, seed: int, min_gap: float = 0.05) -> np.ndarray:
    """A random a in Delta^p_M (0 < a_1 < ... < a_p < M) with all p+1 gaps >= min_gap * M / (p+1)."""
    p = check.integer("p", p, low=1)
    if p > MAX_CELLS:
        raise ValueError(f"p = {p} breakpoints is above the limit {MAX_CELLS:,}")
    M = check.real("M", M, low=0, open_low=True)
    gen = np.random.default_rng(check.seed(seed))
    min_gap = check.real("min_gap", min_gap, low=0, high=1, open_high=True)
    g = gen.dirichlet(np.ones(p + 1))
    g = min_gap / (p + 1) + (1 - min_gap) * g  # floor each gap, keep the sum 1
    return M * np.cumsum(g)[:-1]


def zonotope_support(B: Any, r: Any) -> np.ndarray:
    """gamma_Z(r) = sum_i |<r, b^i>| for generators B (m x n) at points r (... x n)."""
    Bn = _check_B(B)
    rn = np.asarray(r, dtype=float)
    if rn.ndim < 1 or rn.shape[-1] != Bn.shape[1]:
        raise ValueError(f"r must have shape (..., {Bn.shape[1]}) to match B's {Bn.shape[1]} columns, got {rn.shape}")
    if not np.isfinite(rn).all():
        raise ValueError("r contains NaN or infinite values")
    return np.abs(rn @ Bn.T).sum(-1)


def _check_B(B: Any) -> np.ndarray:
    Bn = np.asarray(B, dtype=float)
    if Bn.ndim != 2 or Bn.shape[0] < 1 or Bn.shape[1] < 1:
        raise ValueError(f"B must be an (m, n) array of m >= 1 generators, got shape {Bn.shape}")
    if not np.isfinite(Bn).all():
        raise ValueError("B must be finite")
    return Bn


def zonotope_support_net(B: Any) -> nn.Sequential:
    """The 2-layer net with 2m ReLUs computing gamma_Z(r) = sum_i ReLU(<b^i,r>) + ReLU(-<b^i,r>) (Lemma 3.7)."""
    Bn = _check_B(B)
    m, n = Bn.shape
    l1 = nn.Linear(n, 2 * m, bias=False).double()
    l2 = nn.Linear(2 * m, 1, bias=False).double()
    with torch.no_grad():
        l1.weight.copy_(torch.as_tensor(np.vstack([Bn, -Bn])))
        l2.weight.fill_(1.0)
    return nn.Sequential(l1, nn.ReLU(), l2)


def zonotope_net(B: Any, a_list: Sequence[Any], M: float = 1.0) -> nn.Sequential:
    """ZONOTOPE[a, b] = H_{a^1..a^k} o gamma_Z(b): depth k+2, size 2m + w*k."""
    g = zonotope_support_net(B)
    H = zigzag_composition_net(a_list, M)
    mods = list(H.children())
    first = mods[0]
    m2 = g[0].out_features
    lin = nn.Linear(m2, first.out_features).double()
    with torch.no_grad():
        lin.weight.copy_(first.weight @ g[2].weight)  # feed gamma = sum of the 2m ReLUs into the first zig-zag layer
        lin.bias.copy_(first.bias)
    return nn.Sequential(g[0], nn.ReLU(), lin, *mods[1:])


def zonotope_vertices(B: Any) -> np.ndarray:
    """Vertices of the zonotope {sum lambda_i b^i : lambda in [-1,1]^m} via the convex hull of the 2^m sign sums."""
    from scipy.spatial import ConvexHull

    Bn = _check_B(B)
    m, n = Bn.shape
    if m > 20:
        raise ValueError(f"zonotope_vertices enumerates 2^m = {2 ** m} sign vectors; m={m} > 20 is refused")
    if not np.any(Bn):
        return np.zeros((1, n))
    # a zonotope whose generators span fewer than n dimensions is flat: take its hull inside the span
    U, sv, Vt = np.linalg.svd(Bn, full_matrices=False)
    rank = int((sv > 1e-12 * sv[0]).sum())
    if rank < n:
        basis = Vt[:rank]                               # (rank, n) orthonormal rows
        return zonotope_vertices(Bn @ basis.T) @ basis
    if n == 1:
        t = np.abs(Bn).sum()
        return np.array([[-t], [t]])
    signs = np.array(np.meshgrid(*[[-1.0, 1.0]] * m, indexing="ij")).reshape(m, -1).T
    P = signs @ Bn
    hull = ConvexHull(P)
    return P[hull.vertices]


def count_zonotope_vertices(n: int, m: int) -> int:
    """2 * sum_{i<n} C(m-1, i): the vertex count of a zonotope of m generators in general position in R^n."""
    n, m = check.integer("n", n, low=1), check.integer("m", m, low=1)
    return 2 * sum(math.comb(m - 1, i) for i in range(n))
