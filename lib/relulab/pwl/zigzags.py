"""Zig-zags and their compositions: the hard functions of Arora et al.'s Theorem 3.2 (Section 3.1).

A zig-zag h_a with breakpoints a in Delta^p_M goes 0 -> M -> 0 -> ... on the pieces [0, a_1], [a_1, a_2], ...,
so one hidden layer of w = p + 1 units computes it (``zigzag_net``) and a composition of k of them is a net of
depth k + 1 and size w k with w^k pieces (``zigzag_composition_net``, Lemma D.1 applied k - 1 times).
"""

from __future__ import annotations

from typing import Any, NamedTuple, Sequence

import numpy as np
from torch import nn

from .. import check
from .net import PWLNet, compose

__all__ = [
    "ZigzagCoefficients", "random_simplex_point", "zigzag", "zigzag_coefficients", "zigzag_composition_net",
    "zigzag_net", "zigzag_parameters_from_breakpoints",
]

MAX_PIECES = 2_000_000  # refuse inversions of compositions with more pieces (memory and time explode)


def _breakpoints(a: Any) -> np.ndarray:
    arr = check.array("a", a, allow_empty=True).ravel()
    if arr.size == 0:
        raise ValueError("a must hold at least one breakpoint (a in Delta^p_M, p >= 1)")
    return arr


class ZigzagCoefficients(NamedTuple):
    """Knots t and output weights c of h_a(x) = sum_j c_j ReLU(x - t_j) (unpacks as ``t, c``)."""

    knots: np.ndarray
    weights: np.ndarray


def zigzag_coefficients(a: Any, M: float = 1.0) -> ZigzagCoefficients:
    """Knots t = (0, a_1..a_p) and output weights c with h_a(x) = sum_j c_j ReLU(x - t_j) (w = p + 1 units)."""
    M = check.real("M", M, low=0, open_low=True)
    t = np.concatenate([[0.0], _breakpoints(a)])
    lengths = np.diff(np.concatenate([t, [M]]))
    if (lengths == 0).any():
        raise ValueError("a must not repeat a breakpoint or touch 0 or M (zero-length piece)")
    sign = np.where(np.arange(len(t)) % 2 == 0, 1.0, -1.0)
    slopes = sign * M / lengths  # alternate 0 -> M -> 0 ...; outside Delta (unsorted) the pieces are no longer onto
    return ZigzagCoefficients(t, np.diff(np.concatenate([[0.0], slopes])))


def zigzag(a: Any, x: Any, M: float = 1.0) -> np.ndarray:
    """Reference values of the zig-zag h_a at points x (plain numpy, independent of any net)."""
    t, c = zigzag_coefficients(a, M)
    xs = check.array("x", x, allow_empty=True)
    return (np.maximum(xs[..., None] - t, 0.0) * c).sum(-1)


def zigzag_net(a: Any, M: float = 1.0) -> PWLNet:
    """h_a as one hidden layer: units ReLU(x - t_j), output sum_j c_j ReLU(x - t_j) (a linear last map, Def. 1)."""
    t, c = zigzag_coefficients(a, M)
    return PWLNet([(np.ones((len(t), 1)), -t), (c[None, :], np.zeros(1))])


def _compose_zigzags(a_list: Sequence[Any], M: float = 1.0, inner: PWLNet | None = None) -> PWLNet:
    """h_{a^1} o ... o h_{a^k} (o inner, when given) as a PWLNet: Lemma D.1 applied once per zig-zag."""
    if len(check.instance("a_list", a_list, (list, tuple, np.ndarray))) == 0:
        raise ValueError("a_list must be a non-empty list of breakpoint vectors")
    nets = [zigzag_net(a, M) for a in a_list] + ([inner] if inner is not None else [])
    n_weights = sum(outer.size * inner.size for outer, inner in zip(nets[:-1], nets[1:]))
    check.within_budget("a_list", n_weights, check.MAX_ENTRIES, what="weights in the composition net")
    H = nets[-1]
    for outer in reversed(nets[:-1]):
        H = compose(outer, H)  # the output map of the inner net merges into the outer zig-zag's first layer
    return H


def zigzag_composition_net(a_list: Sequence[Any], M: float = 1.0) -> nn.Sequential:
    """The (k+1)-layer net of width w computing H = h_{a^1} o ... o h_{a^k} (a^k applied first), size w*k."""
    return _compose_zigzags(a_list, M).to_torch()


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
    check.within_budget("zigzag_parameters_from_breakpoints", float(w) ** k, MAX_PIECES, what="pieces")
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
    check.within_budget("p", p, MAX_PIECES, what="breakpoints")
    M = check.real("M", M, low=0, open_low=True)
    gen = np.random.default_rng(check.seed(seed))
    min_gap = check.real("min_gap", min_gap, low=0, high=1, open_high=True)
    g = gen.dirichlet(np.ones(p + 1))
    g = min_gap / (p + 1) + (1 - min_gap) * g  # floor each gap, keep the sum 1
    return M * np.cumsum(g)[:-1]
