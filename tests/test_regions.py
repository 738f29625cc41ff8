"""Exact piece and region counting: against closed forms, exact rational arithmetic and brute force on tiny nets."""

import math
from fractions import Fraction

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from relulab import pwl
from relulab import regions as R
from relulab.nets import mlp

torch.set_default_dtype(torch.float64)


def _forward(net, X):
    with torch.no_grad():
        return net(torch.as_tensor(X, dtype=torch.float64)).numpy()[:, 0]


def _patterns(net, X):
    """Activation pattern of every hidden unit at each row of X (brute-force reference)."""
    h = torch.as_tensor(X, dtype=torch.float64)
    out = []
    with torch.no_grad():
        for m in net:
            h = m(h)
            if isinstance(m, nn.Linear):
                pre = h
            else:
                out.append((pre > 0).numpy())
    return np.concatenate(out, axis=1)


# ---------------------------------------------------------------- 1-D
@pytest.mark.parametrize("w,k", [(2, 1), (2, 5), (3, 4), (4, 3), (5, 2)])
def test_zigzag_composition_has_w_pow_k_pieces(w, k):
    rng = np.random.default_rng(w * 10 + k)
    a = [pwl.random_simplex_point(w - 1, seed=int(rng.integers(2**31))) for _ in range(k)]
    net = pwl.zigzag_composition_net(a)
    assert R.count_pieces_1d(net, 0.0, 1.0) == w**k
    assert w**k <= R.count_pieces_1d(net, -1.0, 2.0) <= w**k + 2  # Lemma B.1: at most 2 more on R
    x = rng.uniform(-0.5, 1.5, 500)
    ref = x
    for ai in a[::-1]:
        ref = pwl.zigzag(ai, ref)
    assert np.abs(_forward(net, x[:, None]) - ref).max() <= 1e-10 * max(1, np.abs(ref).max())


def test_tent_map_dyadic_exact():
    # a = 1/2 gives dyadic weights, so exact rational arithmetic sees the ideal tent map: 2^k pieces on [0,1]
    for k in range(1, 6):
        net = pwl.zigzag_composition_net([[0.5]] * k)
        assert R.count_pieces_1d(net, 0, 1, exact=True) == 2**k
        assert R.count_pieces_1d(net, 0, 1) == 2**k


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 4), st.integers(1, 3), st.integers(0, 10_000))
def test_float_counter_equals_exact_rational_counter(w, k, seed):
    net = mlp([1] + [w] * k + [1], seed=seed)
    assert R.count_pieces_1d(net, -4, 4) == R.count_pieces_1d(net, -4, 4, exact=True)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 5), st.integers(1, 3), st.integers(0, 10_000))
def test_pieces_are_affine_maximal_and_within_bounds(w, k, seed):
    net = mlp([1] + [w] * k + [1], seed=seed)
    p = R.pieces_1d(net, -5, 5)
    # affine on each piece: net at 3 interior points = slope * x + intercept
    for t in (0.2, 0.5, 0.8):
        x = p.edges[:-1] + t * np.diff(p.edges)
        assert np.allclose(_forward(net, x[:, None]), p.slopes * x + p.intercepts, rtol=1e-9, atol=1e-9)
    # maximal: neighbouring slopes differ (else they would be one piece)
    assert (np.abs(np.diff(p.slopes)) > 1e-12).all()
    # dense sampling can only see fewer slope changes (sanity lower bound)
    xs = np.linspace(-5, 5, 20001)
    ys = _forward(net, xs[:, None])
    sl = np.diff(ys) / np.diff(xs)
    changes = (np.abs(np.diff(sl)) > 1e-6 * max(1, np.abs(sl).max())).sum()
    assert p.count >= 1 + (changes + 1) // 2
    b = R.max_pieces_1d_bound([w] * k)
    assert R.count_pieces_1d(net, -1e6, 1e6) <= b.prod_w_plus_1 <= b.lemma_d5


def test_one_hidden_layer_breakpoints_closed_form():
    # one hidden layer: breakpoints are exactly -b_j / w_j of units with nonzero output weight
    net = mlp([1, 6, 1], seed=3)
    W, b = net[0].weight.detach().numpy()[:, 0], net[0].bias.detach().numpy()
    kinks = np.sort(-b / W)
    inside = kinks[(kinks > -10) & (kinks < 10)]
    assert np.allclose(R.pieces_1d(net, -10, 10).breakpoints, inside)


# ---------------------------------------------------------------- 2-D
def test_l1_zonotope_example_has_17_pieces():
    net = pwl.zonotope_net([[0.0, 1.0], [1.0, 0.0]], [[0.5], [0.5]])
    assert R.count_regions_2d(net, (-2, 2, -2, 2)) == 17  # 4 quadrants x 4 rings + the flat outside
    assert R.count_regions_2d(net, (-2, 2, -2, 2), exact=True) == 17


@pytest.mark.parametrize("m,w,k", [(3, 2, 1), (4, 3, 1), (3, 2, 2), (5, 3, 2)])
def test_zonotope_family_count(m, w, k):
    rng = np.random.default_rng(m + 7 * w + 31 * k)
    B = rng.normal(size=(m, 2))
    a = [pwl.random_simplex_point(w - 1, seed=int(rng.integers(2**31))) for _ in range(k)]
    net = pwl.zonotope_net(B, a)
    # {gamma <= 1} lies in the box when gamma(r) >= |r|_inf * min over box-boundary directions: use R = 3/min gamma
    th = np.linspace(0, 2 * np.pi, 4001)
    rad = 2.0 / pwl.zonotope_support(B, np.c_[np.cos(th), np.sin(th)]).min()
    reg = R.regions_2d(net, (-rad, rad, -rad, rad))
    # every cell lies in one cone of the first layer, where gamma is linear: it meets {gamma < 1} iff a vertex does
    meets = {lab for P, lab in zip(reg.polygons, reg.piece) if pwl.zonotope_support(B, P).min() < 1 - 1e-9}
    inside = len(meets)
    cones = pwl.count_zonotope_vertices(2, m)
    assert cones == 2 * m
    assert inside == cones * w**k
    assert len(list(net.children())) == 2 * (k + 2) - 1


def test_one_hidden_layer_arrangement_closed_form():
    # w lines in general position, all crossings inside the box: 1 + w + C(w, 2) regions
    net = mlp([2, 5, 1], seed=11)
    W, b = net[0].weight.detach().numpy(), net[0].bias.detach().numpy()
    pts = [np.linalg.solve(W[[i, j]], -b[[i, j]]) for i in range(5) for j in range(i)]
    r = 2 * max(np.abs(pts).max(), 1)
    assert R.count_regions_2d(net, (-r, r, -r, r), mode="activation") == 1 + 5 + math.comb(5, 2)


@pytest.mark.parametrize("seed", [0, 1, 2, 5])
def test_2d_float_equals_exact_and_brute_force(seed):
    net = mlp([2, 5, 4, 1], seed=seed)
    box = (-3, 3, -3, 3)
    reg = R.regions_2d(net, box)
    ex = R.regions_2d(net, box, exact=True)
    assert (reg.n_pieces, reg.n_activation_regions) == (ex.n_pieces, ex.n_activation_regions)
    assert reg.n_pieces <= reg.n_activation_regions
    rng = np.random.default_rng(seed)
    for P, g, c in zip(reg.polygons, reg.grads, reg.offsets):
        lam = rng.dirichlet(np.ones(len(P)), size=4)
        X = lam @ P  # points inside the convex cell
        assert np.allclose(_forward(net, X), X @ g + c, rtol=1e-9, atol=1e-9)
    # dense sampling sees at most as many distinct activation patterns as there are cells
    g1 = np.linspace(-3, 3, 300)
    X = np.array(np.meshgrid(g1, g1)).reshape(2, -1).T
    assert len(np.unique(_patterns(net, X), axis=0)) <= reg.n_activation_regions


# ---------------------------------------------------------------- 2-D at scale: relulab.partition
def _area(P):
    x, y = P[:, 0], P[:, 1]
    return 0.5 * (x * np.roll(y, -1) - np.roll(x, -1) * y).sum()


@given(st.integers(0, 10_000), st.integers(2, 5), st.integers(1, 3))
@settings(max_examples=12, deadline=None)
def test_partition_equals_exact_rational_counter(seed, w, k):
    net = mlp([2] + [w] * k + [1], seed=seed)
    box = (-2.5, 2.0, -1.5, 3.0)
    fast, exact = R.regions_2d(net, box), R.regions_2d(net, box, exact=True)
    assert (fast.n_activation_regions, fast.n_pieces) == (exact.n_activation_regions, exact.n_pieces)


@given(st.integers(0, 10_000))
@settings(max_examples=8, deadline=None)
def test_partition_equals_exact_counter_where_kinks_meet(seed):
    # ZONOTOPE nets, where zero lines meet at common points.  Weights rounded to float32 values, so that the products
    # inside the builder are exact in float64 and the kinks meet exactly in the stored net too (with float64 weights
    # exact rationals see slivers of area ~1e-17 there, below what any float counter resolves).
    rng = np.random.default_rng(seed)
    B = rng.normal(size=(3, 2))
    net = pwl.zonotope_net(B, [pwl.random_simplex_point(2, seed=int(rng.integers(2**31)), min_gap=0.2) for _ in range(2)]).float().double()
    fast, exact = R.regions_2d(net, (-1, 1, -1, 1)), R.regions_2d(net, (-1, 1, -1, 1), exact=True)
    assert (fast.n_activation_regions, fast.n_pieces) == (exact.n_activation_regions, exact.n_pieces)


@pytest.mark.parametrize("seed", [0, 3])
def test_partition_equals_the_cell_by_cell_counter(seed):
    # relulab.regions_reference is a separate implementation (polygons cut one by one, adjacency by geometry)
    from relulab.regions_reference import _cells as cells

    net = mlp([2, 12, 12, 1], seed=seed)
    box = (-2.0, 2.0, -2.0, 2.0)
    fast, ref = R.regions_2d(net, box), cells(R.affine_layers(net), box)
    assert (fast.n_activation_regions, fast.n_pieces) == (ref.n_activation_regions, ref.n_pieces)


@pytest.mark.parametrize("seed", [0, 1])
def test_partition_faces_tile_the_box_with_their_own_maps_and_patterns(seed):
    net = mlp([2, 10, 10, 10, 1], seed=seed)
    box = (-2.0, 1.0, -1.0, 2.0)
    reg = R.regions_2d(net, box)
    areas = np.array([_area(P) for P in reg.polygons])
    assert (areas > 0).all() and abs(areas.sum() - 9.0) <= 1e-12 * 9.0  # counter-clockwise, no overlap, no gap
    rng = np.random.default_rng(seed)
    X = np.concatenate([rng.dirichlet(np.ones(len(P)), size=2) @ P for P in reg.polygons])
    idx = np.repeat(np.arange(reg.n_activation_regions), 2)
    Xt = torch.as_tensor(X).requires_grad_(True)
    y = net(Xt)[:, 0]
    (g,) = torch.autograd.grad(y.sum(), Xt)  # autograd: the independent reference for the maps
    assert np.abs(g.numpy() - reg.grads[idx]).max() <= 1e-10 * max(1, np.abs(g.numpy()).max())
    assert np.abs(y.detach().numpy() - (X * reg.grads[idx]).sum(1) - reg.offsets[idx]).max() <= 1e-10
    assert (_patterns(net, X) == np.concatenate(reg.patterns, 1)[idx]).all()


def test_partition_equals_regioncam_on_random_nets():
    regioncam = pytest.importorskip("regioncam")
    for seed in range(3):
        net = mlp([2, 20, 20, 20, 1], seed=seed)
        rc = regioncam.Regioncam(2.0)
        for m in net:
            if isinstance(m, nn.Linear):
                rc.linear(m.weight.detach().float().numpy().T.copy(), m.bias.detach().float().numpy())
            else:
                rc.relu()
        assert R.count_regions_2d(net, (-2, 2, -2, 2), mode="activation") == rc.num_faces


def test_regioncam_float32_miscounts_where_kinks_meet():
    # the reason relulab keeps its own engine: on this ZONOTOPE net regioncam's float32 count is off, ours is exact
    regioncam = pytest.importorskip("regioncam")
    rng = np.random.default_rng(0)
    nets = []
    for _ in range(6):
        B = rng.normal(size=(3, 2))
        nets.append(
            pwl.zonotope_net(B, [pwl.random_simplex_point(2, seed=int(rng.integers(2**31)), min_gap=0.2) for _ in range(2)]).float().double()
        )
    off = 0
    for net in nets:
        rc = regioncam.Regioncam(1.0)
        for m in net:
            if isinstance(m, nn.Linear):
                b = m.bias if m.bias is not None else torch.zeros(m.out_features)
                rc.linear(m.weight.detach().float().numpy().T.copy(), b.detach().float().numpy())
            else:
                rc.relu()
        exact = R.count_regions_2d(net, (-1, 1, -1, 1), mode="activation", exact=True)
        assert R.count_regions_2d(net, (-1, 1, -1, 1), mode="activation") == exact
        off += rc.num_faces != exact
    assert off >= 1


# ---------------------------------------------------------------- 1-D pieces: kinks, limits, degenerate layouts
def _two_kinks(gap: float, n_in: int) -> nn.Sequential:
    """ReLU(x0 - 1/2) + ReLU(x0 - 1/2 - gap): two parallel kinks `gap` apart (constant in any second input)."""
    net = nn.Sequential(nn.Linear(n_in, 2), nn.ReLU(), nn.Linear(2, 1))
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[1.0] + [0.0] * (n_in - 1)] * 2))
        net[0].bias.copy_(torch.tensor([-0.5, -(0.5 + gap)]))
        net[2].weight.fill_(1.0)
        net[2].bias.zero_()
    return net


def test_exact_pieces_resolve_breakpoints_float_mode_merges():
    # two kinks 1e-14 apart: float mode merges them (below its 1e-12 resolution), exact rational mode keeps both
    net = _two_kinks(1e-14, 1)
    assert R.pieces_1d(net, 0.0, 1.0).count == 2
    p = R.pieces_1d(net, 0.0, 1.0, exact=True)
    assert p.count == 3 and p.slopes.tolist() == [0.0, 1.0, 2.0]


def test_pieces_drop_a_kink_two_units_share():
    net = _two_kinks(0.0, 1)
    for exact in (False, True):
        p = R.pieces_1d(net, 0.0, 1.0, exact=exact)
        assert p.count == 2 and [float(e) for e in p.edges] == [0.0, 0.5, 1.0]


def test_pieces_1d_with_consecutive_linear_layers_equals_the_collapsed_net():
    # Linear -> Linear -> ReLU -> Linear is the same function as the collapsed Linear -> ReLU -> Linear
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(1, 3), nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    W1, b1, W2, b2 = net[0].weight, net[0].bias, net[1].weight, net[1].bias
    flat = nn.Sequential(nn.Linear(1, 4), nn.ReLU(), nn.Linear(4, 1))
    with torch.no_grad():
        flat[0].weight.copy_(W2 @ W1)
        flat[0].bias.copy_(W2 @ b1 + b2)
        flat[2].load_state_dict(net[3].state_dict())
    a, b = R.pieces_1d(net, -5.0, 5.0), R.pieces_1d(flat, -5.0, 5.0)
    assert a.count == b.count >= 2
    assert np.allclose(a.edges, b.edges, rtol=0, atol=1e-12)


def test_max_pieces_is_an_inclusive_limit():
    net = mlp([1, 8, 8, 1], seed=0)
    n = R.pieces_1d(net, -5.0, 5.0).count
    assert R.pieces_1d(net, -5.0, 5.0, max_pieces=n).count == n
    with pytest.raises(ValueError, match="max_pieces"):
        R.pieces_1d(net, -5.0, 5.0, max_pieces=n - 1)


def test_piece_and_vertex_count_closed_forms():
    assert R.max_pieces_1d_bound([3, 2]) == R.PieceBounds(lemma_d5=2 * 4 * 2, prod_w_plus_1=4 * 3)
    assert pwl.count_zonotope_vertices(2, 1) == 2 and pwl.count_zonotope_vertices(3, 4) == 2 * (1 + 3 + 3)


# ---------------------------------------------------------------- 2-D: activation regions and pieces
def _two_layer(W1, b1, w2) -> nn.Sequential:
    l1, l2 = nn.Linear(2, len(W1), bias=b1 is not None), nn.Linear(len(W1), 1, bias=False)
    with torch.no_grad():
        l1.weight.copy_(torch.tensor(W1))
        if b1 is not None:
            l1.bias.copy_(torch.tensor(b1))
        l2.weight.copy_(torch.tensor([w2]))
    return nn.Sequential(l1, nn.ReLU(), l2).double()


def test_equal_maps_on_non_adjacent_cells_are_different_pieces():
    # the hat ReLU(x) - 2 ReLU(x - 1) + ReLU(x - 2), constant in y: 0 left of 0 and right of 2, two separate pieces
    net = _two_layer([[1.0, 0.0]] * 3, [0.0, -1.0, -2.0], [1.0, -2.0, 1.0])
    assert R.count_regions_2d(net, (-1.5, 3.5, -1, 1)) == 4
    assert R.count_regions_2d(net, (-1.5, 3.5, -1, 1), exact=True) == 4
    # |x| + |y| - |x + y|: 0 on the first and third quadrants, which touch only at a corner (not adjacent), and
    # -2x, 2y, 2x, -2y on the two halves of the other quadrants: 6 pieces
    net = _two_layer([[1.0, 0], [-1, 0], [0, 1], [0, -1], [1, 1], [-1, -1]], None, [1.0, 1, 1, 1, -1, -1])
    assert R.count_regions_2d(net, (-1, 1, -1, 1)) == R.count_regions_2d(net, (-1, 1, -1, 1), exact=True) == 6


def test_adjacent_cells_with_equal_maps_merge_into_one_piece():
    # ReLU(x) + ReLU(y) + 0 * ReLU(x + y): the third unit cuts two quadrants in half without changing the function,
    # so 6 activation regions make 4 pieces; the exact-rational and float adjacency tests must both merge them
    net = _two_layer([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], None, [1.0, 1.0, 0.0])
    for exact in (False, True):
        r = R.regions_2d(net, (-1, 1, -1, 1), exact=exact)
        assert (r.n_activation_regions, r.n_pieces) == (6, 4)


def test_equal_maps_merge_into_pieces_in_a_box_away_from_the_origin():
    # a unit with output weight 0 splits activation regions, not pieces: 4 activation regions, 2 pieces
    net = _two_layer([[1.0, 0.0], [0.0, 1.0]], [-11.0, -21.0], [1.0, 0.0])
    box = (10.0, 12.0, 20.0, 22.0)
    assert R.count_regions_2d(net, box, mode="activation") == 4
    assert R.count_regions_2d(net, box, mode="pieces") == 2


def test_exact_regions_2d_resolve_a_sliver_float_mode_drops():
    # two parallel kinks 1e-14 apart: float mode (1e-10 geometric tolerance) sees 2 cells, exact mode 3
    net = _two_kinks(1e-14, 2)
    assert R.regions_2d(net, (0, 1, 0, 1)).n_activation_regions == 2
    assert R.regions_2d(net, (0, 1, 0, 1), exact=True).n_activation_regions == 3
    assert R.count_regions_2d(net, (0, 1, 0, 1), exact=True) == 3


# ---------------------------------------------------------------- 1-D pieces: crossing kinks, dead units, float slopes
def test_exact_pieces_keep_a_kink_where_two_units_cross_in_opposite_directions():
    # |x| = ReLU(x) + ReLU(-x): both crossings at 0, one edge there in exact mode (no zero-length piece)
    net = nn.Sequential(nn.Linear(1, 2), nn.ReLU(), nn.Linear(2, 1))
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[1.0], [-1.0]]))
        net[0].bias.zero_()
        net[2].weight.fill_(1.0)
        net[2].bias.zero_()
    p = R.pieces_1d(net, -1.0, 1.0, exact=True)
    assert p.edges.tolist() == [-1.0, 0.0, 1.0] and p.slopes.tolist() == [-1.0, 1.0]


def test_exact_pieces_sum_slopes_in_rationals_past_a_dead_unit():
    # a dead unit (ReLU(-x - 1) on [0, 1]) must not turn the rational slope 0.1 + 0.2 + 0.3 into a float sum
    net = nn.Sequential(nn.Linear(1, 4), nn.ReLU(), nn.Linear(4, 1))
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[-1.0], [0.1], [0.2], [0.3]]))
        net[0].bias.copy_(torch.tensor([-1.0, 0.0, 0.0, 0.0]))
        net[2].weight.fill_(1.0)
        net[2].bias.zero_()
    exact = float(Fraction(0.1) + Fraction(0.2) + Fraction(0.3))  # 0.6; the float sum is 0.6000000000000001
    assert R.pieces_1d(net, 0.0, 1.0, exact=True).slopes.tolist() == [exact]


def test_float_pieces_merge_slopes_within_the_rounding_tolerance():
    # ReLU(x + 10) + 1e-13 ReLU(x): the kink at 0 changes the slope by 1e-13, below float mode's rounding
    # tolerance there (16 n_ops eps sum|terms| = 16 * 5 * 2.2e-16 * 11 = 2e-13); exact mode keeps it
    net = nn.Sequential(nn.Linear(1, 2), nn.ReLU(), nn.Linear(2, 1))
    with torch.no_grad():
        net[0].weight.fill_(1.0)
        net[0].bias.copy_(torch.tensor([10.0, 0.0]))
        net[2].weight.copy_(torch.tensor([[1.0, 1e-13]]))
        net[2].bias.zero_()
    assert R.pieces_1d(net, -1.0, 1.0).count == 1 and R.pieces_1d(net, -1.0, 1.0, exact=True).count == 2


def test_affine_layers_reads_a_float32_net_as_float64():
    from relulab.nets import fc

    net = fc.mlp([2, 3, 1], seed=0, dtype=torch.float32)
    for layer, lin in zip(R.affine_layers(net), [net[0], net[2]]):
        W, b = layer[0], layer[1]
        assert W.dtype == np.float64 and b.dtype == np.float64
        assert np.array_equal(W, lin.weight.detach().double().numpy())
