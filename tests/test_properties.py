"""Property tests (hypothesis) that the parts' own tests do not already make.

Already covered elsewhere, so not repeated here: q=1 path-norm and Phi invariance under power-of-two rescalings
(test_lifting), the path-metric bound on MLP pairs (test_lifting), bn_backward against autograd on random shapes
(test_projection), exact ERM against exhaustive search over all subsets (test_erm), float vs exact-rational piece
counts (test_regions).  Added here:

- path-norms for every q in (0.5, 4] under neuron rescalings by arbitrary positive reals (not only powers of two);
- the NPK (gates, hence the kernel) under neuron rescalings;
- exact 1-D piece counts and 2-D region counts under neuron rescalings;
- Gonon's Lipschitz bound ||R_theta(x) - R_theta'(x)||_1 <= max(||x||_inf, 1) ||Phi(theta) - Phi(theta')||_1 on random
  same-sign pairs (the right side by explicit path enumeration) for an MLP, a VGG-, a ResNet- and a U-Net-like net;
- 1-D pieces and 2-D activation regions against an independent brute force: every activation pattern enumerated,
  its cell found by linear inequalities (an interval in 1-D, a linear program in 2-D).
"""

from __future__ import annotations

import copy
import itertools
import math

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog
from torch import nn

from relulab import regions as R
from relulab.nets import mlp
from relulab.paths import dag as D
from relulab.paths.lifting import path_norm, random_rescaling
from relulab.paths.path_kernel import npk
from test_dag import NETS

# Sums of <= 1e5 products and path-norms of rescaled nets: float64 rounding is < 1e-13 relative; 1e-10 leaves margin.
REL = 1e-10

seeds = st.integers(0, 10_000)
pow2 = st.lists(st.integers(-8, 8).map(lambda k: 2.0**k), min_size=1, max_size=3)


# ---------------------------------------------------------------- rescaling invariance


@given(
    seeds, st.lists(st.floats(1e-3, 1e3), min_size=1, max_size=3), st.floats(0.5, 4.0), st.sampled_from(["mlp", "vgg"])
)
@settings(max_examples=15)
def test_q_path_norms_invariant_under_real_rescalings(seed, factors, q, name):
    model, shape = NETS[name]()
    r = random_rescaling(model, seed=seed, factors=factors)
    ref = path_norm(model, shape, q)
    assert abs(path_norm(r, shape, q) - ref) <= REL * ref


@given(seeds, pow2, st.integers(1, 4), st.integers(1, 3))
def test_npk_invariant_under_rescaling(seed, factors, w, k):
    net = mlp([3] + [w] * k + [1], bias=False, seed=seed)
    r = random_rescaling(net, seed=seed + 1, factors=factors)
    X = torch.randn(6, 3, generator=torch.Generator().manual_seed(seed))
    assert torch.equal(npk(r, X), npk(net, X))  # powers of two: every gate, hence every overlap, is bitwise equal


@given(seeds, pow2, st.integers(1, 4), st.integers(1, 3))
def test_piece_count_1d_invariant_under_rescaling(seed, factors, w, k):
    net = mlp([1] + [w] * k + [1], seed=seed)
    r = random_rescaling(net, seed=seed + 1, factors=factors)
    assert R.count_pieces_1d(r, -4, 4) == R.count_pieces_1d(net, -4, 4)


@given(seeds, pow2)
@settings(max_examples=10)
def test_region_counts_2d_invariant_under_rescaling(seed, factors):
    net = mlp([2, 3, 3, 1], seed=seed)
    r = random_rescaling(net, seed=seed + 1, factors=factors)
    box = (-3, 3, -3, 3)
    a, b = R.regions_2d(net, box), R.regions_2d(r, box)
    assert (a.n_pieces, a.n_activation_regions) == (b.n_pieces, b.n_activation_regions)


# ---------------------------------------------------------------- the Lipschitz bound on same-sign pairs


def _same_sign_pair(model: nn.Module, seed: int, spread: float, keep: float) -> nn.Module:
    """theta' = theta * exp(spread * N(0, 1)) * Bernoulli(keep) on every Linear/Conv weight and bias (BN left alone,
    so its folded (a, c) keep their signs): coordinate-wise theta_i theta'_i >= 0."""
    other = copy.deepcopy(model)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in other.modules():
            if isinstance(m, (nn.Linear, nn.Conv2d)):
                for p in (m.weight, m.bias):
                    if p is not None:
                        mask = (torch.rand(p.shape, generator=g) < keep).to(p.dtype)
                        p.mul_(torch.exp(spread * torch.randn(p.shape, generator=g)) * mask)
    return other


@given(
    seeds,
    st.sampled_from([0.01, 0.3, 1.0]),
    st.floats(0.5, 1.0),
    st.integers(-1, 1),
    st.sampled_from(["mlp", "vgg", "resnet", "unet"]),
)
@settings(max_examples=20)
def test_lipschitz_bound_on_same_sign_pairs(seed, spread, keep, log_scale, name):
    model, shape = NETS[name]()
    other = _same_sign_pair(model, seed, spread, keep)
    rhs_metric = np.abs(D.phi(model, shape) - D.phi(other, shape)).sum()  # ||Phi(theta) - Phi(theta')||_1, enumerated
    X = torch.randn(8, *shape, generator=torch.Generator().manual_seed(seed + 1)) * 10.0**log_scale
    with torch.no_grad():
        lhs = (model(X) - other(X)).reshape(len(X), -1).abs().sum(1)
    scale = torch.clamp(X.reshape(len(X), -1).abs().amax(1), min=1.0)
    assert (lhs <= scale * rhs_metric * (1 + REL) + 1e-12).all()


# ---------------------------------------------------------------- pieces and regions against pattern enumeration


def _layers(net: nn.Sequential) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(m.weight.detach().numpy(), m.bias.detach().numpy()) for m in net if isinstance(m, nn.Linear)]


def _masked_affine(layers, pattern):
    """Per hidden unit, its pre-activation as an affine map of x under a fixed activation pattern; the output map."""
    d = layers[0][0].shape[1]
    A, c = np.eye(d), np.zeros(d)  # current coordinates = x @ A + c
    units = []
    for (W, b), s in zip(layers[:-1], pattern):
        A, c = A @ W.T, c @ W.T + b
        units += [(A[:, u].copy(), c[u], s[u]) for u in range(W.shape[0])]
        A, c = A * s, c * s
    W, b = layers[-1]
    return units, (A @ W.T)[:, 0], (c @ W.T + b)[0]


def _patterns(layers):
    widths = [W.shape[0] for W, _ in layers[:-1]]
    for bits in itertools.product((0, 1), repeat=sum(widths)):
        splits = np.cumsum([0] + widths)
        yield [np.array(bits[a:b], dtype=float) for a, b in zip(splits[:-1], splits[1:])]


def _brute_pieces_1d(net, lo, hi):
    """Enumerate every activation pattern; its cell is an interval cut out by one half-line per unit; merge neighbours
    with equal affine maps.  Independent of the breakpoint propagation of relulab.regions."""
    cells = []
    for pat in _patterns(_layers(net)):
        a, b = lo, hi
        units, slope, icpt = _masked_affine(_layers(net), pat)
        for alpha, beta, s in units:
            sign = 1 if s else -1  # on: alpha x + beta >= 0; off: <= 0
            al, be = sign * alpha[0], sign * beta
            if al > 0:
                a = max(a, -be / al)
            elif al < 0:
                b = min(b, -be / al)
            elif be < 0:
                a, b = 1, 0  # empty
        if b - a > 1e-9 * (hi - lo):
            cells.append((a, b, float(slope[0]), float(icpt)))
    cells.sort()
    merged = 1
    for (_, _, s0, i0), (_, _, s1, i1) in zip(cells[:-1], cells[1:]):
        if not (
            math.isclose(s0, s1, rel_tol=1e-9, abs_tol=1e-12) and math.isclose(i0, i1, rel_tol=1e-9, abs_tol=1e-12)
        ):
            merged += 1
    return merged, len(cells)


@given(seeds, st.integers(1, 3), st.integers(1, 2))
def test_pieces_1d_equal_pattern_enumeration(seed, w, k):
    net = mlp([1] + [w] * k + [1], seed=seed)
    pieces, _ = _brute_pieces_1d(net, -4.0, 4.0)
    assert R.count_pieces_1d(net, -4.0, 4.0) == pieces


def _brute_regions_2d(net, box):
    """Count the activation patterns whose cell has an interior point in the box: an LP maximising the slack t of
    s_u (a_u . x + c_u) >= t |a_u| over the box (cells of a fixed pattern are convex, so each pattern is one region)."""
    x0, x1, y0, y1 = box
    scale = max(x1 - x0, y1 - y0)
    count = 0
    for pat in _patterns(_layers(net)):
        units, _, _ = _masked_affine(_layers(net), pat)
        rows, rhs = [], []
        for alpha, beta, s in units:
            sign = 1.0 if s else -1.0
            # -sign (alpha . x + beta) + t |alpha| <= 0
            rows.append([-sign * alpha[0], -sign * alpha[1], np.linalg.norm(alpha)])
            rhs.append(sign * beta)
        res = linprog(
            [0, 0, -1],
            A_ub=np.array(rows),
            b_ub=np.array(rhs),
            bounds=[(x0, x1), (y0, y1), (None, scale)],
            method="highs",
        )
        if res.status == 0 and -res.fun > 1e-9 * scale:
            count += 1
    return count


@given(seeds, st.integers(1, 3), st.integers(1, 2))
@settings(max_examples=15)
def test_activation_regions_2d_equal_pattern_enumeration(seed, w, k):
    net = mlp([2] + [w] * k + [1], seed=seed)
    box = (-3.0, 3.0, -3.0, 3.0)
    assert R.count_regions_2d(net, box, mode="activation") == _brute_regions_2d(net, box)
