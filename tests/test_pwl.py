"""The PWL -> ReLU-net compiler: every construction against direct evaluation of the function it should compute."""

import math

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from relulab import pwl
from relulab.nets import mlp

# Compiled nets reproduce their targets up to float64 rounding of a few dozen products: 1e-10 relative.
REL = 1e-10


def close(a, b):
    return np.abs(a - b).max() <= REL * max(1.0, np.abs(b).max())


@given(st.integers(1, 9), st.integers(0, 10_000))
def test_max_net_depth_and_value(q, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(200, q)) * 10
    X[:20, -1] = X[:20, 0]  # ties
    net = pwl.max_net(q)
    assert net.hidden_layers == (math.ceil(math.log2(q)) if q > 1 else 0)
    assert close(net(X)[:, 0], X.max(axis=1))


def test_truncated_max_tree_is_wrong():
    X = np.random.default_rng(0).normal(size=(500, 4))
    assert np.abs(pwl.max_net(4, levels=1)(X)[:, 0] - X.max(axis=1)).max() > 0.1


@settings(max_examples=30)
@given(st.integers(1, 5), st.integers(0, 10_000))
def test_wang_sun_compiles_with_log_depth(n, seed):
    rng = np.random.default_rng(seed)
    terms = []
    for _ in range(3):
        q = int(rng.integers(1, n + 2))
        terms.append((float(rng.choice([-1, 1])), rng.normal(size=(q, n)), rng.normal(size=q)))
    net = pwl.wang_sun(terms)
    X = rng.normal(size=(300, n))
    ref = sum(s * np.max(X @ A.T + c, axis=1) for s, A, c in terms)
    assert net.hidden_layers <= math.ceil(math.log2(n + 1))
    assert close(net(X)[:, 0], ref)
    with torch.no_grad():
        assert close(net.to_torch()(torch.from_numpy(X))[:, 0].numpy(), ref)


@given(st.integers(1, 10), st.sampled_from(["none", "left", "right"]), st.booleans(), st.integers(0, 10_000))
def test_pwl_1d_units_and_values(p, flat, output_bias, seed):
    rng = np.random.default_rng(seed)
    t = np.sort(rng.uniform(-3, 3, p - 1))
    if p > 2 and np.diff(t).min() < 1e-6:
        return
    s = rng.normal(size=p)
    if flat == "left":
        s[0] = 0.0
    if flat == "right":
        s[-1] = 0.0
    v = float(rng.normal())
    net = pwl.pwl_1d(t, s, v, output_bias=output_bias)
    x = np.concatenate([rng.uniform(-6, 6, 500), t, t - 1e-9, t + 1e-9])
    assert close(net(x)[:, 0], pwl.pwl_eval(t, s, v, x))
    # Theorem 2.2 / Corollary A.1 unit counts (p >= 2), one more without output bias
    expected = p if (flat == "none" or p == 1) else p - 1
    if p == 1:
        expected = 2 if s[0] != 0 else 1
    assert net.size <= expected + (0 if output_bias else 1)
    if not output_bias:
        assert net.layers[-1][1][0] == 0.0


def test_pwl_eval_against_interp():
    xs = np.array([-1.0, 0.0, 0.5, 2.0])
    ys = np.array([1.0, -1.0, 3.0, 0.0])
    t, s, v = pwl.pwl_from_points(xs, ys)
    x = np.linspace(-3, 4, 1001)
    assert close(pwl.pwl_eval(t, s, v, x), np.interp(x, xs, ys))
    assert close(pwl.pwl_1d(t, s, v)(x)[:, 0], np.interp(x, xs, ys))


@given(st.integers(1, 3), st.integers(1, 3), st.integers(0, 10_000))
def test_compose_and_sum_against_torch(k1, k2, seed):
    inner = mlp([2] + [3] * k1 + [2], seed=seed)
    outer = mlp([2] + [4] * k2 + [1], seed=seed + 1)
    other = mlp([2] + [2] * k1 + [1], seed=seed + 2)
    X = torch.randn(100, 2, generator=torch.Generator().manual_seed(seed))
    f, g, h = (pwl.from_sequential(m) for m in (inner, outer, other))
    comp = pwl.compose(g, f)
    assert comp.hidden_layers == k1 + k2 and comp.size == f.size + g.size
    with torch.no_grad():
        assert close(comp(X.numpy())[:, 0], outer(inner(X))[:, 0].numpy())
        f1 = pwl.compose(pwl.affine(np.array([[1.0, -2.0]]), np.zeros(1)), f)  # R^2 -> R, same depth as h
        tot = pwl.linear_combination([f1, h], [2.0, -0.5])
        assert tot.hidden_layers == k1 and tot.size == f1.size + h.size
        ref = 2 * (inner(X) @ torch.tensor([1.0, -2.0])) - 0.5 * other(X)[:, 0]
        assert close(tot(X.numpy())[:, 0], ref.numpy())
        assert close(pwl.pad(h, k1 + 2)(X.numpy()), other(X).numpy())


def test_wang_sun_with_many_terms_keeps_the_wide_layer_sparse_and_exact():
    rng = np.random.default_rng(3)
    terms = []
    for _ in range(3000):
        q = int(rng.integers(1, 5))
        terms.append((float(rng.choice([-1, 1])), rng.normal(size=(q, 3)), rng.normal(size=q)))
    net = pwl.wang_sun(terms)
    assert net.hidden_layers == 2 and any(sp.issparse(W) for W, _ in net.layers)
    X = rng.normal(size=(700, 3))
    ref = sum(s * np.max(X @ A.T + c, axis=1) for s, A, c in terms)
    scale = sum(np.abs(np.max(X @ A.T + c, axis=1)) for _, A, c in terms)
    assert (np.abs(net(X)[:, 0] - ref) <= 1e-12 * scale).all()


def test_a_single_affine_term_compiles_without_hidden_layer():
    net = pwl.wang_sun(
        [(-1.0, np.array([[1.0, 2.0]]), np.array([0.5])), (2.0, np.array([[0.0, 1.0]]), np.array([1.0]))]
    )
    X = np.random.default_rng(0).normal(size=(10, 2))
    assert net.hidden_layers == 0 and close(net(X)[:, 0], -(X @ [1.0, 2.0] + 0.5) + 2 * (X[:, 1] + 1))


@pytest.mark.parametrize("p,seed", [(3, 0), (5, 1), (8, 2), (12, 3)])
def test_p_minus_1_units_whenever_some_jumps_sum_to_the_right_slope(p, seed):
    rng = np.random.default_rng(seed)
    t = np.sort(rng.uniform(-3, 3, p - 1))
    delta = rng.normal(size=p - 1) + np.sign(rng.normal(size=p - 1))
    right = rng.random(p - 1) < 0.5
    s = delta[right].sum() - delta.sum() + np.r_[0.0, np.cumsum(delta)]  # no flat end in general
    x = np.r_[rng.uniform(-6, 6, 2000), t, t + 1e-9, t - 1e-9]
    net = pwl.pwl_1d_fewest(t, s, 0.7)
    assert net.size == p - 1 and close(net(x)[:, 0], pwl.pwl_eval(t, s, 0.7, x))
    tilted = s + 0.25  # f + x/4: same jumps, condition broken
    assert pwl.pwl_1d_fewest(t, tilted, 0.7).size == p


def test_p_minus_1_units_need_an_output_bias_or_a_matching_constant():
    from relulab.erm import exact_erm

    x = np.linspace(-2, 2, 13)
    # 2 ReLU(x) + ReLU(1 - x): three pieces, no flat end, two units and no output bias
    net = pwl.pwl_1d_fewest([0.0, 1.0], [-1.0, 1.0, 2.0], 1.0, output_bias=False)
    y = 2 * np.maximum(x, 0) + np.maximum(1 - x, 0)
    assert net.size == 2 and close(net(x)[:, 0], y)
    assert exact_erm(x[:, None], y, 2, output_bias=False).loss < 1e-20
    # ReLU(-x) + 1: flat right end at 1, so one unit needs the output bias
    y = np.maximum(-x, 0) + 1
    assert pwl.pwl_1d_fewest([0.0], [-1.0, 0.0], 1.0, output_bias=False).size == 2
    assert pwl.pwl_1d_fewest([0.0], [-1.0, 0.0], 1.0).size == 1
    assert exact_erm(x[:, None], y, 1, output_bias=False).loss > 1e-3
    assert exact_erm(x[:, None], y, 1, output_bias=True).loss < 1e-20


def test_cut_trees_of_depth_zero_still_sum_the_terms():
    rng = np.random.default_rng(1)
    terms = [(1.0, rng.normal(size=(2, 1)), rng.normal(size=2)), (-1.0, rng.normal(size=(1, 1)), rng.normal(size=1))]
    net = pwl.wang_sun(terms, levels_cut=1)
    X = rng.normal(size=(50, 1))
    ref = terms[0][0] * (X @ terms[0][1][:1].T + terms[0][2][0])[:, 0] - (X @ terms[1][1].T + terms[1][2])[:, 0]
    assert net.hidden_layers == 0 and close(net(X)[:, 0], ref)


def test_a_zigzag_net_is_the_zigzag_and_its_compositions_compose_it():
    # reference: plain numpy evaluation of h_a (pwl.zigzag), composed by hand; the nets are built by Lemma D.1
    a1, a2 = np.array([0.3, 0.55, 0.8]), np.array([0.25, 0.6, 0.7])
    x = np.linspace(-0.5, 1.5, 2001)
    np.testing.assert_allclose(pwl.zigzag_net(a1, 1.0)(x)[:, 0], pwl.zigzag(a1, x), rtol=0, atol=1e-12)
    H = pwl.zigzag_composition_net([a1, a2], 1.0)
    with torch.no_grad():
        got = H(torch.as_tensor(x[:, None], dtype=torch.float64))[:, 0].numpy()
    np.testing.assert_allclose(got, pwl.zigzag(a1, pwl.zigzag(a2, x)), rtol=0, atol=1e-12)
    B = np.array([[1.0, 0.5], [-0.2, 1.0], [0.7, -0.4]])
    r = np.random.default_rng(0).normal(size=(500, 2))
    Z = pwl.zonotope_net(B, [a1, a2], 1.0)
    with torch.no_grad():
        z = Z(torch.as_tensor(r))[:, 0].numpy()
    np.testing.assert_allclose(z, pwl.zigzag(a1, pwl.zigzag(a2, pwl.zonotope_support(B, r))), rtol=0, atol=1e-11)


# ---------------------------------------------------------------- builders: zig-zags, simplex points, zonotopes
@pytest.mark.parametrize("M", [1.0, 2.5, 0.25])
def test_zigzag_alternates_between_zero_and_M(M):
    a = [0.3 * M, 0.5 * M, 0.9 * M]
    h = pwl.zigzag(a, [0.0] + a + [M], M)
    assert np.allclose(h, [0.0, M, 0.0, M, 0.0], rtol=0, atol=1e-12 * M)


def test_zigzag_composition_net_accepts_a_moderate_size():
    a1, a2 = np.linspace(0.001, 0.999, 300), np.linspace(0.002, 0.998, 300)  # 301 x 301 = 90,601 weights
    net = pwl.zigzag_composition_net([a1, a2])
    x = np.array([0.1, 0.37, 0.8])
    with torch.no_grad():
        y = net(torch.from_numpy(x)[:, None])[:, 0].numpy()
    assert np.allclose(y, pwl.zigzag(a1, pwl.zigzag(a2, x)), rtol=0, atol=1e-9)


def test_random_simplex_point_allows_min_gap_zero():
    a = pwl.random_simplex_point(3, 2.0, seed=0, min_gap=0.0)
    assert a.shape == (3,) and (np.diff(a) > 0).all() and 0 < a[0] and a[-1] < 2.0


def test_zonotope_vertices_of_degenerate_generators():
    assert pwl.zonotope_vertices(np.zeros((3, 2))).shape == (1, 2)
    assert sorted(pwl.zonotope_vertices(np.array([[1.0], [-2.0]]))[:, 0]) == [-3.0, 3.0]


def test_zonotope_vertices_and_support():
    rng = np.random.default_rng(0)
    for n, m in [(2, 5), (3, 6)]:
        B = rng.normal(size=(m, n))
        V = pwl.zonotope_vertices(B)
        assert len(V) == pwl.count_zonotope_vertices(n, m)
        r = rng.normal(size=(50, n))
        assert np.allclose((r @ V.T).max(1), pwl.zonotope_support(B, r))
        with torch.no_grad():
            y = pwl.zonotope_support_net(B)(torch.as_tensor(r))[:, 0].numpy()
        assert np.allclose(y, pwl.zonotope_support(B, r))


def test_max_affine_is_the_max_of_its_affine_pieces():
    rng = np.random.default_rng(4)
    A, c = rng.normal(size=(5, 3)), rng.normal(size=5)
    X = rng.normal(size=(200, 3))
    net = pwl.max_affine(A, c)
    assert net.d_in == 3 and net.hidden_layers == 3 and close(net(X)[:, 0], (X @ A.T + c).max(axis=1))


def _composition_breakpoints(a_outer, a_inner, M):
    # breakpoints of h_outer o h_inner: a_inner's, plus a_outer's preimages on each monotone piece of h_inner
    t = np.r_[0.0, a_inner, M]
    pts = list(a_inner)
    for j in range(len(t) - 1):
        u = np.asarray(a_outer) / M * (t[j + 1] - t[j])
        pts += list(t[j] + u if j % 2 == 0 else t[j + 1] - u)
    return np.sort(pts)


@pytest.mark.parametrize("M", [1.0, 2.0])
def test_zigzag_parameters_are_recovered_from_the_composition_breakpoints(M):
    a1, a2 = M * np.array([0.2, 0.7]), M * np.array([0.4, 0.55])
    b = _composition_breakpoints(a1, a2, M)
    assert b.size == 8
    got = pwl.zigzag_parameters_from_breakpoints(b, 3, 2, M)
    assert len(got) == 2
    np.testing.assert_allclose(got[0], a1, rtol=0, atol=1e-12 * M)
    np.testing.assert_allclose(got[1], a2, rtol=0, atol=1e-12 * M)
    (only,) = pwl.zigzag_parameters_from_breakpoints(a1, 3, 1, M)
    np.testing.assert_allclose(only, a1, rtol=0, atol=1e-12 * M)


def test_zonotope_support_takes_a_single_point():
    B = np.array([[1.0, 2.0], [-3.0, 0.5]])
    assert pwl.zonotope_support(B, np.array([1.0, -1.0])) == pytest.approx(1.0 + 3.5)


def test_zonotope_vertices_accepts_twenty_generators():
    assert sorted(pwl.zonotope_vertices(np.full((20, 1), 0.5))[:, 0]) == [-10.0, 10.0]


def test_zonotope_vertices_of_a_flat_zonotope_lie_in_its_plane():
    rng = np.random.default_rng(2)
    plane = np.linalg.qr(rng.normal(size=(3, 2)))[0].T  # (2, 3) orthonormal rows
    C = rng.normal(size=(5, 2))
    V = pwl.zonotope_vertices(C @ plane)
    assert len(V) == pwl.count_zonotope_vertices(2, 5)
    # same vertex set as the 2-D zonotope, lifted into the plane
    ref = pwl.zonotope_vertices(C) @ plane
    d = np.abs(V[:, None, :] - ref[None, :, :]).max(-1)
    assert d.min(1).max() < 1e-10 and d.min(0).max() < 1e-10


@pytest.mark.parametrize("scale", [1e-8, 1e6])
def test_zonotope_vertices_scale_with_the_generators(scale):
    rng = np.random.default_rng(5)
    B = rng.normal(size=(4, 2))
    V, ref = pwl.zonotope_vertices(scale * B), scale * pwl.zonotope_vertices(B)
    assert len(V) == len(ref) == pwl.count_zonotope_vertices(2, 4)
    d = np.abs(V[:, None, :] - ref[None, :, :]).max(-1)
    assert d.min(1).max() <= 1e-10 * scale
    # generators on one line, whatever their scale: a segment of 2 vertices
    line = scale * np.outer(rng.normal(size=4), [0.6, 0.8])
    assert len(pwl.zonotope_vertices(line)) == 2


def test_pwl_1d_of_a_constant_keeps_one_hidden_layer():
    net = pwl.pwl_1d([], [0.0], 2.5)
    x = np.linspace(-3, 3, 7)
    assert net.hidden_layers == 1 and np.array_equal(net(x)[:, 0], np.full(7, 2.5))


def test_pwl_1d_fewest_of_one_affine_piece():
    x = np.linspace(-3, 3, 13)
    for bias in (True, False):
        net = pwl.pwl_1d_fewest([], [2.0], 1.0, output_bias=bias)
        assert net.hidden_layers == 1 and close(net(x)[:, 0], pwl.pwl_eval([], [2.0], 1.0, x))


def test_to_torch_densifies_sparse_layers():
    rng = np.random.default_rng(6)
    W1, b1, W2 = rng.normal(size=(4, 3)), rng.normal(size=4), rng.normal(size=(1, 4))
    net = pwl.PWLNet([(sp.csr_matrix(W1), b1), (sp.csr_matrix(W2), np.zeros(1))])
    X = rng.normal(size=(20, 3))
    with torch.no_grad():
        got = net.to_torch()(torch.from_numpy(X))[:, 0].numpy()
    assert close(got, np.maximum(X @ W1.T + b1, 0) @ W2[0])
