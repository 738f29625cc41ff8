"""Paths of fully connected nets: each fast or derived quantity against an independent reference, in float64."""

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from relulab import paths
from relulab.nets import mlp

# Identities are exact up to float64 rounding of sums of at most a few hundred products: 1e-10 relative is
# ~1e5 times the accumulated rounding error yet far below any real discrepancy (controls miss by O(1)).
REL = 1e-10

shapes = st.tuples(st.integers(1, 4), st.integers(1, 4), st.integers(1, 3), st.integers(0, 10_000))


def close(a, b):
    return (a - b).abs().max().item() <= REL * max(1.0, b.abs().max().item())


@given(shapes)
def test_output_is_npf_dot_npv(shape):
    d_in, w, k, seed = shape
    net = mlp([d_in] + [w] * k + [2], bias=False, seed=seed)
    X = torch.randn(20, d_in, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        assert close(paths.output_from_paths(net, X), net(X))


@given(shapes)
def test_npk_equals_gram_of_enumerated_features(shape):
    d_in, w, k, seed = shape
    net = mlp([d_in] + [w] * k + [1], bias=False, seed=seed)
    g = torch.Generator().manual_seed(seed + 1)
    X1, X2 = torch.randn(7, d_in, generator=g), torch.randn(5, d_in, generator=g)
    ref = paths.npf(net, X1) @ paths.npf(net, X2).T
    assert close(paths.npk(net, X1, X2), ref)


@given(shapes)
def test_npk_of_one_batch_is_exactly_symmetric(shape):
    # K(X) is a Gram matrix: symmetric bit for bit on any CPU (a blocked GEMM alone does not guarantee it),
    # and equal to the two-argument form up to one rounding
    d_in, w, k, seed = shape
    net = mlp([d_in] + [w] * k + [1], bias=False, seed=seed)
    X = torch.randn(33, d_in, generator=torch.Generator().manual_seed(seed + 2))
    K = paths.npk(net, X)
    assert torch.equal(K, K.T)
    assert torch.equal(paths.npk(net, X, X), K)  # the same batch passed twice is the same Gram
    ref = paths.npf(net, X) @ paths.npf(net, X).T
    assert close(K, ref)


def test_npk_counts_paths_open_for_both():
    # brute force on the path list: a path counts <x,x'>-weighted iff all its gates are open for both inputs
    net = mlp([2, 3, 3, 1], bias=False, seed=3)
    X = torch.randn(4, 2, generator=torch.Generator().manual_seed(0))
    p = paths.enumerate_paths(net)
    G = paths.gates(net, X)
    K = torch.zeros(4, 4)
    for a in range(4):
        for b in range(4):
            for path in p.tolist():
                on = all(G[l][a, path[l + 1]] * G[l][b, path[l + 1]] for l in range(len(G)))
                K[a, b] += X[a, path[0]] * X[b, path[0]] * on
    assert close(paths.npk(net, X), K)


@given(shapes)
def test_path_ntk_equals_autograd_ntk(shape):
    d_in, w, k, seed = shape
    net = mlp([d_in] + [w] * k + [1], bias=False, seed=seed)
    X = torch.randn(6, d_in, generator=torch.Generator().manual_seed(seed))
    assert close(paths.path_ntk(net, X), paths.ntk(net, X))


def test_ntk_matches_finite_differences():
    # independent of autograd: central differences of the output along each parameter
    net = mlp([2, 3, 1], bias=True, seed=1)
    X = torch.randn(3, 2, generator=torch.Generator().manual_seed(2))
    flat = torch.nn.utils.parameters_to_vector(net.parameters()).detach()
    h = 1e-6
    J = torch.zeros(3, flat.numel())
    for i in range(flat.numel()):
        for s in (1, -1):
            v = flat.clone()
            v[i] += s * h
            torch.nn.utils.vector_to_parameters(v, net.parameters())
            with torch.no_grad():
                J[:, i] += s * net(X)[:, 0] / (2 * h)
    torch.nn.utils.vector_to_parameters(flat, net.parameters())
    assert (paths.ntk(net, X) - J @ J.T).abs().max() < 1e-6


def test_enumeration_counts():
    net = mlp([3, 4, 5, 2], bias=False, seed=0)
    assert paths.count_paths(net) == 3 * 4 * 5
    assert paths.enumerate_paths(net).shape == (60, 3)
    assert paths.npv(net).shape == (60, 2)


def test_enumerate_paths_limit_is_inclusive():
    net = mlp([2, 3, 1], bias=False, seed=0)
    assert paths.enumerate_paths(net, max_paths=6).shape == (6, 2)
    with pytest.raises(ValueError, match="max_paths"):
        paths.enumerate_paths(net, max_paths=5)


def test_npv_dtype_follows_the_weights():
    net32 = mlp([2, 3, 1], bias=False, seed=0, dtype=torch.float32)
    assert paths.npv(net32).dtype == torch.float32


# --- kernel regression with the NPK ----------------------------------------------------------------------------------


@given(shapes)
def test_npk_regression_interpolant_equals_direct_solve(shape):
    d_in, w, k, seed = shape
    net = mlp([max(d_in, 2)] + [w + 2] * k + [1], bias=False, seed=seed)
    g = torch.Generator().manual_seed(seed)
    X, X_test = torch.randn(4, max(d_in, 2), generator=g), torch.randn(3, max(d_in, 2), generator=g)
    y = torch.randn(4, 2, generator=g)
    H = paths.npf(net, X) @ paths.npf(net, X).T  # enumerated features: independent of the factorisation
    if torch.linalg.eigvalsh(H)[0] < 1e-6 * torch.linalg.eigvalsh(H)[-1]:
        return  # singular Gram: the direct solve is not the reference (see the pseudo-inverse test)
    ref = (paths.npf(net, X_test) @ paths.npf(net, X).T) @ torch.linalg.solve(H, y)
    out = paths.npk_regression(net, X, y, X_test, constant=3.0)
    assert (out - ref).abs().max() <= 1e-8 * max(1.0, ref.abs().max().item())
    assert close(paths.npk_regression(net, X, y[:, 0], X_test), out[:, 0])


@given(shapes, st.integers(0, 60))
def test_npk_regression_follows_gradient_descent_on_the_kernel_model(shape, steps):
    # f <- f - lr K (f - y) on the training points, and the same update at the test points, iterated explicitly
    d_in, w, k, seed = shape
    net = mlp([d_in] + [w] * k + [1], bias=False, seed=seed)
    g = torch.Generator().manual_seed(seed + 1)
    X, X_test, y = torch.randn(6, d_in, generator=g), torch.randn(5, d_in, generator=g), torch.randn(6, generator=g)
    c = 0.7
    K, K_test = c * paths.npf(net, X) @ paths.npf(net, X).T, c * paths.npf(net, X_test) @ paths.npf(net, X).T
    lr = 1.5 / max(torch.linalg.eigvalsh(K)[-1].item(), 1e-3)
    f, f_test = torch.zeros(6), torch.zeros(5)
    for _ in range(steps):
        r = f - y
        f, f_test = f - lr * K @ r, f_test - lr * K_test @ r
    out = paths.npk_regression(net, X, y, X_test, constant=c, lr=lr, steps=steps)
    assert (out - f_test).abs().max() <= 1e-9 * max(1.0, f_test.abs().max().item())


def test_npk_regression_singular_gram_gives_minimum_norm_interpolant():
    # duplicated training inputs make the Gram singular: the pseudo-inverse solution (lstsq) is the reference
    net = mlp([3, 5, 5, 1], bias=False, seed=4)
    g = torch.Generator().manual_seed(4)
    X = torch.randn(3, 3, generator=g)
    X = torch.cat([X, X[:1]])
    y = torch.tensor([1.0, -2.0, 0.5, 1.0])
    X_test = torch.randn(4, 3, generator=g)
    Phi, Phi_t = paths.npf(net, X), paths.npf(net, X_test)
    ref = Phi_t @ torch.linalg.pinv(Phi) @ y  # minimum-norm weights on the features
    assert (paths.npk_regression(net, X, y, X_test) - ref).abs().max() <= 1e-8 * max(1.0, ref.abs().max().item())


def test_a_net_without_hidden_layers_has_its_inputs_as_paths():
    net = mlp([2, 1], bias=False, seed=0)
    X = torch.randn(3, 2, generator=torch.Generator().manual_seed(0))
    assert paths.preactivations(net, X) == [] and paths.gates(net, X) == []
    assert torch.equal(paths.npf(net, X), X)
    assert torch.allclose(paths.path_ntk(net, X), X @ X.T, rtol=1e-12, atol=0)
