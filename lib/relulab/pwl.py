"""Compile piecewise-linear functions into ReLU nets (the constructive half of Arora et al., 2018, Section 2).

A net is kept as a list of affine maps ``[(W_1, b_1), ..., (W_{k+1}, b_{k+1})]`` with a ReLU between consecutive maps
(k hidden layers), so that composition (Lemma D.1), sums (Lemma D.2), the max of q numbers (Lemma D.4), the
Wang-Sun representation (Theorem 2.1) and the one-hidden-layer construction for R -> R (Theorem 2.2, Corollary A.1)
are a few lines of matrix algebra; :meth:`PWLNet.to_torch` turns the result into a plain ``nn.Sequential``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import scipy.sparse as sp
import torch
from numpy.typing import ArrayLike
from torch import nn

from . import check

Layer = tuple[np.ndarray, np.ndarray]
# Refuse constructions whose matrices would hold more than 1e8 entries (0.8 GB): the book's nets are far smaller.
MAX_ENTRIES = 10**8
EPS = float(np.finfo(np.float64).eps)
# Block-diagonal layers (sums of many nets, Lemma D.2) above this many entries are kept sparse: a Wang-Sun net of
# 10^4 small max trees has a 10^4 x 10^4 second layer that is almost all zeros.
SPARSE_ABOVE = 4 * 10**6


def _net(name: str, net: object) -> "PWLNet":
    if not isinstance(net, PWLNet):
        raise TypeError(f"{name} must be a PWLNet, got {type(net).__name__}")
    return net


def _array(x, name: str, ndim: int, allow_empty: bool = False) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    try:
        a = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of real numbers") from exc
    if a.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {a.shape}")
    if a.size == 0 and not allow_empty:
        raise ValueError(f"{name} is empty")
    if not np.isfinite(a).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return a


@dataclass
class PWLNet:
    """A ReLU net as affine maps with a ReLU between consecutive ones; the last map's bias is the output bias."""

    layers: list[Layer]

    def __post_init__(self) -> None:
        if not self.layers:
            raise ValueError("layers is empty: a net needs at least one affine map")
        for i, (W, b) in enumerate(self.layers):
            if not isinstance(W, (np.ndarray, sp.csr_matrix)) or not isinstance(b, np.ndarray):
                raise TypeError(f"layer {i}: W and b must be numpy arrays, got {type(W).__name__} and {type(b).__name__}")
            if not (np.isfinite(W.data if sp.issparse(W) else W).all() and np.isfinite(b).all()):
                raise ValueError(f"layer {i}: W or b contains NaN or infinite values")
            if W.ndim != 2 or b.shape != (W.shape[0],):
                raise ValueError(f"layer {i}: W must be (out, in) and b (out,), got {W.shape} and {b.shape}")
            if i and W.shape[1] != self.layers[i - 1][0].shape[0]:
                raise ValueError(f"layer {i} expects {W.shape[1]} inputs but layer {i - 1} gives {self.layers[i - 1][0].shape[0]}")

    @property
    def hidden_layers(self) -> int:
        """Number of hidden (ReLU) layers k; the depth in the paper's sense is k + 1."""
        return len(self.layers) - 1

    @property
    def size(self) -> int:
        """Number of hidden units (the paper's size: input and output units not counted)."""
        return sum(W.shape[0] for W, _ in self.layers[:-1])

    @property
    def d_in(self) -> int:
        """Input dimension."""
        return self.layers[0][0].shape[1]

    @property
    def d_out(self) -> int:
        """Output dimension."""
        return self.layers[-1][0].shape[0]

    def __call__(self, X: ArrayLike) -> np.ndarray:
        """Evaluate at the rows of X (shape (N, d_in), or (N,) when d_in = 1); returns (N, d_out)."""
        h = _array(X, "X", np.ndim(X))
        if h.ndim == 1:
            h = h[:, None]
        if h.shape[1] != self.d_in:
            raise ValueError(f"X must have {self.d_in} columns, got {h.shape[1]}")
        # rows in chunks, so that a wide (sparse) net never holds an N x width dense block above ~2e7 entries
        chunk = max(1, 2 * 10**7 // max(W.shape[0] for W, _ in self.layers))
        return np.vstack([self._forward(h[i:i + chunk]) for i in range(0, len(h), chunk)]) if len(h) else h

    def _forward(self, h: np.ndarray) -> np.ndarray:
        for i, (W, b) in enumerate(self.layers):
            # sparse @ dense keeps W sparse; dense @ sparse would densify W
            h = (np.asarray((W @ h.T).T) if sp.issparse(W) else h @ W.T) + b
            if i < self.hidden_layers:
                h = np.maximum(h, 0.0)
        return h

    def to_torch(self) -> nn.Sequential:
        """The same net as ``nn.Sequential`` of ``Linear``/``ReLU`` in float64 (the output Linear keeps its bias)."""
        entries = sum(W.shape[0] * W.shape[1] for W, _ in self.layers)
        if entries > MAX_ENTRIES:
            raise ValueError(f"to_torch: dense weights would hold {entries:,} entries (> {MAX_ENTRIES:,}); call the net")
        mods: list[nn.Module] = []
        for i, (W, b) in enumerate(self.layers):
            W = W.toarray() if sp.issparse(W) else W
            lin = nn.Linear(W.shape[1], W.shape[0]).double()
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(W))
                lin.bias.copy_(torch.from_numpy(b))
            mods.append(lin)
            if i < self.hidden_layers:
                mods.append(nn.ReLU())
        return nn.Sequential(*mods)


def from_sequential(model: nn.Sequential) -> PWLNet:
    """Read an ``nn.Sequential`` of alternating ``Linear``/``ReLU`` (starting and ending with Linear) as a PWLNet."""
    if not isinstance(model, nn.Sequential):
        raise TypeError(f"model must be nn.Sequential, got {type(model).__name__}")
    layers: list[Layer] = []
    for i, m in enumerate(model):
        want = nn.Linear if i % 2 == 0 else nn.ReLU
        if not isinstance(m, want):
            raise TypeError(f"model[{i}] must be {want.__name__}, got {type(m).__name__} (alternating Linear/ReLU)")
        if isinstance(m, nn.Linear):
            W = m.weight.detach().cpu().double().numpy().copy()
            b = m.bias.detach().cpu().double().numpy().copy() if m.bias is not None else np.zeros(W.shape[0])
            layers.append((W, b))
    if len(model) % 2 == 0:
        raise TypeError("model must end with a Linear layer")
    return PWLNet(layers)


def affine(A: ArrayLike, c: ArrayLike) -> PWLNet:
    """The affine map x -> A x + c as a net with no hidden layer."""
    A = _array(A, "A", 2)
    c = _array(c, "c", 1)
    if c.shape != (A.shape[0],):
        raise ValueError(f"c must have shape ({A.shape[0]},), got {c.shape}")
    return PWLNet([(A, c)])


def compose(outer: PWLNet, inner: PWLNet) -> PWLNet:
    """outer o inner with k_outer + k_inner hidden layers and sizes added (Lemma D.1): the two affine maps meet merged."""
    outer, inner = _net("outer", outer), _net("inner", inner)
    if outer.d_in != inner.d_out:
        raise ValueError(f"outer expects {outer.d_in} inputs but inner gives {inner.d_out}")
    (Wo, bo), (Wi, bi) = outer.layers[0], inner.layers[-1]
    W = Wo @ Wi
    if sp.issparse(W):
        W = W.tocsr() if W.shape[0] * W.shape[1] > SPARSE_ABOVE else W.toarray()
    merged = (np.asarray(W) if not sp.issparse(W) else W, np.asarray(Wo @ bi).ravel() + bo)
    return PWLNet(inner.layers[:-1] + [merged] + outer.layers[1:])


def identity(d: int, hidden_layers: int) -> PWLNet:
    """x -> x on R^d through `hidden_layers` layers of 2d units, using u = ReLU(u) - ReLU(-u)."""
    d, hidden_layers = check.integer("d", d, low=1), check.integer("hidden_layers", hidden_layers, low=0)
    if 4 * d * d > MAX_ENTRIES:
        raise ValueError(f"d = {d}: each layer of the identity net would hold 4 d^2 = {4 * d * d:,} weights (> {MAX_ENTRIES:,})")
    if hidden_layers > MAX_ENTRIES // max(4 * d * d, 1):
        raise ValueError(f"hidden_layers = {hidden_layers} layers of {4 * d * d} weights each exceed {MAX_ENTRIES:,} weights")
    I = np.eye(d)
    if hidden_layers == 0:
        return affine(I, np.zeros(d))
    up, down = np.vstack([I, -I]), np.hstack([I, -I])
    layers = [(up, np.zeros(2 * d))] + [(up @ down, np.zeros(2 * d))] * (hidden_layers - 1) + [(down, np.zeros(d))]
    return PWLNet(layers)


def pad(net: PWLNet, hidden_layers: int) -> PWLNet:
    """The same function with exactly `hidden_layers` hidden layers (identity layers appended at the output)."""
    net, hidden_layers = _net("net", net), check.integer("hidden_layers", hidden_layers, low=0)
    extra = hidden_layers - net.hidden_layers
    if extra < 0:
        raise ValueError(f"net already has {net.hidden_layers} hidden layers > {hidden_layers}")
    return net if extra == 0 else compose(identity(net.d_out, extra), net)


def parallel(nets: Sequence[PWLNet]) -> PWLNet:
    """Nets of equal depth on the same input, side by side: outputs concatenated, widths added (Lemma D.2)."""
    nets = list(nets)
    if not nets:
        raise ValueError("nets is empty")
    for i, n in enumerate(nets):
        _net(f"nets[{i}]", n)
    k, d = nets[0].hidden_layers, nets[0].d_in
    for i, n in enumerate(nets):
        if n.hidden_layers != k:
            raise ValueError(f"nets[{i}] has {n.hidden_layers} hidden layers, nets[0] has {k}: pad() them first")
        if n.d_in != d:
            raise ValueError(f"nets[{i}] has input dimension {n.d_in}, nets[0] has {d}")
    layers = [(np.vstack([n.layers[0][0] for n in nets]), np.concatenate([n.layers[0][1] for n in nets]))]
    for l in range(1, k + 1):
        W = _block_diag([n.layers[l][0] for n in nets])
        layers.append((W, np.concatenate([n.layers[l][1] for n in nets])))
    return PWLNet(layers)


def _block_diag(blocks: list[np.ndarray]) -> np.ndarray | sp.csr_matrix:
    if sum(b.shape[0] for b in blocks) * sum(b.shape[1] for b in blocks) > SPARSE_ABOVE:
        return sp.block_diag([sp.csr_matrix(b) for b in blocks], format="csr")
    blocks = [b.toarray() if sp.issparse(b) else b for b in blocks]
    out = np.zeros((sum(b.shape[0] for b in blocks), sum(b.shape[1] for b in blocks)))
    r = c = 0
    for b in blocks:
        out[r:r + b.shape[0], c:c + b.shape[1]] = b
        r, c = r + b.shape[0], c + b.shape[1]
    return out


def linear_combination(nets: Sequence[PWLNet], coeffs: Sequence[float]) -> PWLNet:
    """sum_i coeffs[i] * nets[i] for R^n -> R nets of equal depth: the same depth, widths added (Lemma D.2)."""
    nets = list(nets)
    coeffs = _array(coeffs, "coeffs", 1)
    if len(coeffs) != len(nets):
        raise ValueError(f"{len(nets)} nets but {len(coeffs)} coefficients")
    if any(n.d_out != 1 for n in nets):
        raise ValueError("every net must have one output")
    return compose(affine(coeffs[None, :], np.zeros(1)), parallel(nets))


def _max_level(m: int) -> PWLNet:
    """One hidden layer mapping m numbers to ceil(m/2): pairwise max(a, b) = ReLU(a - b) + ReLU(b) - ReLU(-b)."""
    pairs, odd = divmod(m, 2)
    units = 3 * pairs + 2 * odd
    W1, W2 = np.zeros((units, m)), np.zeros((pairs + odd, units))
    for i in range(pairs):
        a, b, u = 2 * i, 2 * i + 1, 3 * i
        W1[u, a], W1[u, b] = 1.0, -1.0
        W1[u + 1, b], W1[u + 2, b] = 1.0, -1.0
        W2[i, u:u + 3] = (1.0, 1.0, -1.0)
    if odd:  # the last number is carried unchanged: u = ReLU(u) - ReLU(-u)
        u = 3 * pairs
        W1[u, m - 1], W1[u + 1, m - 1] = 1.0, -1.0
        W2[pairs, u:u + 2] = (1.0, -1.0)
    return PWLNet([(W1, np.zeros(units)), (W2, np.zeros(pairs + odd))])


def max_net(q: int, levels: int | None = None) -> PWLNet:
    """max of q numbers as a binary tree of pairwise maxes: ceil(log2 q) hidden layers (Lemma D.4).

    `levels` < ceil(log2 q) truncates the tree (the result then has several outputs, of which the first is kept):
    the deliberately wrong variant used as a negative control.
    """
    q = check.integer("q", q, low=1)
    if 3 * q * q // 2 > MAX_ENTRIES:
        raise ValueError(f"q = {q}: the first level of the max tree would hold {3 * q * q // 2:,} weights (> {MAX_ENTRIES:,})")
    full = math.ceil(math.log2(q)) if q > 1 else 0
    levels = full if levels is None else levels
    if not 0 <= levels <= full:
        raise ValueError(f"levels must be in [0, {full}], got {levels}")
    net, m = identity(q, 0), q
    for _ in range(levels):
        net = compose(_max_level(m), net)
        m = net.d_out
    if m > 1:  # truncated tree: keep the first partial max only
        net = compose(affine(np.eye(m)[:1], np.zeros(1)), net)
    return net


def max_affine(A: ArrayLike, c: ArrayLike, levels: int | None = None) -> PWLNet:
    """x -> max_i (A x + c)_i with ceil(log2 q) hidden layers, q = number of affine pieces."""
    inner = affine(A, c)
    return compose(max_net(inner.d_out, levels), inner)


def wang_sun(terms: Sequence[tuple[float, np.ndarray, np.ndarray]], levels_cut: int = 0) -> PWLNet:
    """Compile f(x) = sum_j s_j max_{i} (A_j x + c_j)_i into a net with max_j ceil(log2 q_j) hidden layers.

    With the Wang-Sun theorem (q_j <= n + 1) this is the ceil(log2(n+1)) bound of Theorem 2.1.  `levels_cut` > 0
    drops that many top levels of every max tree (negative control).  Each term is the max tree of
    :func:`max_net` after its affine map (Lemma D.1), padded to the common depth, and the terms sit side by side
    (Lemma D.2); the layers are assembled per tree size q at once, so 10^4 terms compile in a fraction of a second.
    """
    terms = list(terms)
    if not terms:
        raise ValueError("terms is empty")
    levels_cut = check.integer("levels_cut", levels_cut, low=0)
    checked = []
    for j, (s, A, c) in enumerate(terms):
        s = check.real(f"terms[{j}] sign s", s)
        A = _array(A, f"terms[{j}] A", 2)
        c = _array(c, f"terms[{j}] c", 1)
        if c.shape != (A.shape[0],):
            raise ValueError(f"terms[{j}] c must have shape ({A.shape[0]},), got {c.shape}")
        checked.append((s, A, c))
    if len({A.shape[1] for _, A, _ in checked}) != 1:
        raise ValueError("every term must have the same input dimension")
    depth = {q: max((math.ceil(math.log2(q)) if q > 1 else 0) - levels_cut, 0) for q in {A.shape[0] for _, A, _ in checked}}
    k = max(depth.values())
    groups: dict[int, list[int]] = {}
    for j, (_, A, _) in enumerate(checked):
        groups.setdefault(A.shape[0], []).append(j)
    firsts, biases, middles, outs, mids_b = [], [], [[] for _ in range(k)], [], [[] for _ in range(k)]
    for q, idx in sorted(groups.items()):
        # template: the padded max tree of q numbers; term j feeds it A_j x + c_j
        tpl = pad(max_net(q, depth[q]), k).layers
        M1, m1 = tpl[0]
        for j in idx:
            s, A, c = checked[j]
            firsts.append(M1 @ A)
            biases.append(M1 @ c + m1)
            outs.append(s * tpl[-1][0])
        for l in range(1, k):
            Ml, ml = tpl[l]
            middles[l].append(sp.kron(sp.identity(len(idx), format="csr"), sp.csr_matrix(Ml), format="csr"))
            mids_b[l].append(np.tile(ml, len(idx)))
    if k == 0:  # every tree is cut to one affine map: the template's only layer is also its output
        signs = np.array([checked[j][0] for _, idx in sorted(groups.items()) for j in idx])
        W = (signs[:, None] * np.vstack(firsts)).sum(0, keepdims=True)
        return PWLNet([(W, np.array([float(signs @ np.concatenate(biases))]))])
    layers = [(np.vstack(firsts), np.concatenate(biases))]
    for l in range(1, k):
        W = sp.block_diag(middles[l], format="csr")
        layers.append((W if W.shape[0] * W.shape[1] > SPARSE_ABOVE else W.toarray(), np.concatenate(mids_b[l])))
    layers.append((np.hstack(outs), np.zeros(1)))
    return PWLNet(layers)


def pwl_1d(breakpoints: ArrayLike, slopes: ArrayLike, value: float, *, output_bias: bool = True) -> PWLNet:
    """One hidden layer computing the R -> R PWL function with these breakpoints and slopes and f(breakpoints[0]) = value.

    Follows the proof of Theorem 2.2: one unit s_R ReLU(x - t_{p-1}) plus a left-facing unit ReLU(t_i - x) at every
    breakpoint, p units for p >= 2 pieces and the constant put in the output bias.  A flat end piece saves a unit
    (Corollary A.1: p - 1 units).  ``output_bias=False`` (the paper's Def. 1) pays the constant with one more unit
    ReLU(0 x + |v|) instead.
    """
    t = _array(breakpoints, "breakpoints", 1, allow_empty=True)
    s = _array(slopes, "slopes", 1)
    if len(s) != len(t) + 1:
        raise ValueError(f"p pieces need p - 1 breakpoints and p slopes, got {len(t)} and {len(s)}")
    if np.any(np.diff(t) <= 0):
        raise ValueError("breakpoints must be strictly increasing")
    check.real("value", value)
    w, b, a = [], [], []
    if len(t) == 0:
        # p = 1 (f(0) = value): a non-constant affine map on all of R needs two units, s ReLU(x) - s ReLU(-x).
        t = np.zeros(1)
        if s[0] != 0:
            w, b, a = [1.0, -1.0], [0.0, 0.0], [s[0], -s[0]]
    elif s[0] == 0 and s[-1] != 0:
        # Mirror image (Corollary A.1 with the flat piece on the left): right-facing units only.
        jumps = np.diff(s)
        for ti, d in zip(t, jumps):
            w.append(1.0), b.append(-ti), a.append(d)
    else:
        if s[-1] != 0:
            w.append(1.0), b.append(-t[-1]), a.append(s[-1])
        tau = np.diff(s)
        tau[-1] = -s[-2]  # the last left-facing unit also cancels the slope left of t_{p-1}
        for ti, d in zip(t, tau):
            w.append(-1.0), b.append(ti), a.append(d)
    # f(t_1) must equal value: evaluate the units there to find the constant.
    w, b, a = np.array(w), np.array(b), np.array(a)
    units_at_t1 = a * np.maximum(w * t[0] + b, 0.0)
    const = value - float(units_at_t1.sum())
    if abs(const) <= 64 * EPS * (abs(value) + np.abs(units_at_t1).sum()):
        const = 0.0  # a flat end at value 0 needs no constant: do not pay a unit for rounding
    if not output_bias and const != 0:
        w, b, a = np.append(w, 0.0), np.append(b, abs(const)), np.append(a, np.sign(const))
        const = 0.0
    if len(w) == 0:  # constant function: one zero unit keeps the shape (1 hidden layer)
        w, b, a = np.zeros(1), np.zeros(1), np.zeros(1)
    return PWLNet([(w[:, None], b), (a[None, :], np.array([const]))])


def pwl_1d_fewest(breakpoints: ArrayLike, slopes: ArrayLike, value: float, *, output_bias: bool = True) -> PWLNet:
    """One hidden layer with p - 1 units for this p-piece R -> R function when p - 1 suffice, else :func:`pwl_1d`.

    p - 1 units must sit one per breakpoint t_i, each right-facing (delta_i ReLU(x - t_i), slope delta_i to its
    right) or left-facing (delta_i ReLU(t_i - x)), delta_i the slope jump at t_i.  The right-facing set R then
    carries the whole right-end slope, so p - 1 units suffice iff some R has sum_{i in R} delta_i = s_{p-1}
    (a flat right end is R empty, a flat left end R = all).  Without an output bias the constant must also vanish:
    the rightmost piece is the line sum_{i in R} delta_i (x - t_i).
    """
    t = _array(breakpoints, "breakpoints", 1, allow_empty=True)
    s = _array(slopes, "slopes", 1)
    if len(s) != len(t) + 1:
        raise ValueError(f"p pieces need p - 1 breakpoints and p slopes, got {len(t)} and {len(s)}")
    if len(t) > 16:
        raise ValueError(f"pwl_1d_fewest searches the 2^(p-1) sets of breakpoints; p - 1 = {len(t)} > 16 is refused")
    value = check.real("value", value)
    if len(t) == 0:
        return pwl_1d(t, s, value, output_bias=output_bias)
    delta = np.diff(s)
    R = ((np.arange(2 ** len(t))[:, None] >> np.arange(len(t))) & 1).astype(bool)  # every subset, one per row
    tol = 64 * EPS * (np.abs(delta).sum() + abs(s[-1]))
    ok = np.abs(R @ delta - s[-1]) <= tol
    # value of the units at t_1 for each subset: only left-facing units (i not in R) are non-zero there
    at_t1 = np.where(R, 0.0, delta * (t - t[0])).sum(1)
    const = value - at_t1
    if not output_bias:
        ok &= np.abs(const) <= 64 * EPS * (np.abs(delta * (t - t[0])).sum() + abs(value) + 1)
    if not ok.any():
        return pwl_1d(t, s, value, output_bias=output_bias)
    r = R[int(np.flatnonzero(ok)[np.argmin(np.abs(const[ok]))])]
    w = np.where(r, 1.0, -1.0)
    b = np.where(r, -t, t)
    c = float(value - (delta * np.maximum(w * t[0] + b, 0.0)).sum())
    return PWLNet([(w[:, None], b), (delta[None, :], np.array([c if output_bias else 0.0]))])


def pwl_eval(breakpoints: ArrayLike, slopes: ArrayLike, value: float, x: ArrayLike) -> np.ndarray:
    """Direct evaluation of the PWL function of :func:`pwl_1d` (the independent reference): segment by segment."""
    t = _array(breakpoints, "breakpoints", 1, allow_empty=True)
    s = _array(slopes, "slopes", 1)
    x = _array(x, "x", 1)
    if len(s) != len(t) + 1:
        raise ValueError(f"p pieces need p - 1 breakpoints and p slopes, got {len(t)} and {len(s)}")
    if np.any(np.diff(t) <= 0):
        raise ValueError("breakpoints must be strictly increasing")
    check.real("value", value)
    if len(t) == 0:
        return value + s[0] * x
    # values at the breakpoints by walking from t_1 with the segment slopes
    vals = value + np.concatenate([[0.0], np.cumsum(s[1:-1] * np.diff(t))])
    i = np.searchsorted(t, x, side="right")  # segment index 0..p-1
    anchor = np.where(i == 0, 0, i - 1)
    return vals[anchor] + s[i] * (x - t[anchor])


def pwl_from_points(xs: ArrayLike, ys: ArrayLike, left_slope: float = 0.0, right_slope: float = 0.0) -> tuple[np.ndarray, np.ndarray, float]:
    """(breakpoints, slopes, value) of the continuous interpolant through (xs, ys), extended with the given end slopes."""
    xs, ys = _array(xs, "xs", 1), _array(ys, "ys", 1)
    if xs.shape != ys.shape or len(xs) < 2:
        raise ValueError("xs and ys need the same length >= 2")
    if np.any(np.diff(xs) <= 0):
        raise ValueError("xs must be strictly increasing")
    check.real("left_slope", left_slope)
    check.real("right_slope", right_slope)
    inner = np.diff(ys) / np.diff(xs)
    return xs, np.concatenate([[left_slope], inner, [right_slope]]), float(ys[0])
