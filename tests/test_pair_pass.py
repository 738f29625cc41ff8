"""The NPK by a pair forward pass, against the per-layer factorisation, path enumeration and a brute-force sum."""

import torch
from hypothesis import given
from hypothesis import strategies as st

from relulab import paths
from relulab.nets import mlp
from relulab.paths.pair_pass import npk_pair_gram, npk_pair_pass, pair_forward

# Sums of at most a few hundred products in float64: 1e-10 relative is far above rounding, far below a real error.
REL = 1e-10

shapes = st.tuples(st.integers(1, 4), st.integers(1, 4), st.integers(1, 3), st.integers(0, 10_000))


def close(a, b):
    return (a - b).abs().max().item() <= REL * max(1.0, b.abs().max().item())


@given(shapes)
def test_pair_pass_equals_enumerated_features(shape):
    d_in, w, k, seed = shape
    net = mlp([d_in] + [w] * k + [1], bias=False, seed=seed)
    g = torch.Generator().manual_seed(seed + 1)
    X1, X2 = torch.randn(9, d_in, generator=g), torch.randn(9, d_in, generator=g)
    ref = (paths.npf(net, X1) * paths.npf(net, X2)).sum(1)
    assert close(npk_pair_pass(net, X1, X2), ref)


@given(shapes)
def test_pair_gram_equals_npk(shape):
    d_in, w, k, seed = shape
    net = mlp([d_in] + [w] * k + [3], bias=False, seed=seed)  # several outputs: the NPK ignores the output layer
    g = torch.Generator().manual_seed(seed + 2)
    X1, X2 = torch.randn(6, d_in, generator=g), torch.randn(4, d_in, generator=g)
    assert close(npk_pair_gram(net, X1, X2), paths.npk(net, X1, X2))
    assert close(npk_pair_gram(net, X1), paths.npk(net, X1))


@given(shapes, st.floats(0.01, 100.0))
def test_symmetric_nonnegative_diagonal_and_homogeneous(shape, c):
    d_in, w, k, seed = shape
    net = mlp([d_in] + [w] * k + [1], bias=False, seed=seed)
    g = torch.Generator().manual_seed(seed + 3)
    X1, X2 = torch.randn(5, d_in, generator=g), torch.randn(5, d_in, generator=g)
    K = npk_pair_pass(net, X1, X2)
    assert close(npk_pair_pass(net, X2, X1), K)
    assert (npk_pair_pass(net, X1, X1) >= 0).all()
    # bias-free nets: gates are invariant under x -> c x (c > 0), so K(c x, x') = c K(x, x')
    assert close(npk_pair_pass(net, c * X1, X2), c * K)


def test_single_pair_brute_force():
    # brute force over the path list: x_i x'_i times 1 iff every gate on the path is open for both inputs
    net = mlp([2, 3, 3, 1], bias=False, seed=5)
    g = torch.Generator().manual_seed(0)
    x1, x2 = torch.randn(2, generator=g), torch.randn(2, generator=g)
    G1, G2 = paths.gates(net, x1[None]), paths.gates(net, x2[None])
    ref = 0.0
    for p in paths.enumerate_paths(net).tolist():
        on = all(G1[l][0, p[l + 1]] * G2[l][0, p[l + 1]] for l in range(len(G1)))
        ref += float(x1[p[0]] * x2[p[0]]) * on
    K = npk_pair_pass(net, x1, x2)
    assert K.dim() == 0
    assert abs(K.item() - ref) <= REL * max(1.0, abs(ref))


def test_open_gates_closed_form_and_negative_sums():
    # all gates open: every path counted once, so the pass returns sum(h0) * prod_l w_l -- negative when sum(h0) < 0,
    # which is why the pass uses the gates and no ReLU (a ReLU would return 0 here)
    net = mlp([3, 4, 5, 1], bias=False, seed=1)
    h0 = torch.tensor([[0.5, -2.0, 0.25]])
    G = [torch.ones(1, 4), torch.ones(1, 5)]
    out = pair_forward(net, h0, G, G)
    assert out.shape == (1, 5)
    assert abs(out.sum().item() - (-1.25 * 4 * 5)) <= REL * 25
