"""The infinite-width kernels against Monte Carlo over wide random nets, the NTK by autograd (float64)."""

import math

import pytest
import torch
from torch import nn

from relulab.infinite_width import relu_kernels


def inputs(n=4, d=3, seed=0):
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def monte_carlo(X, widths, sw, sb, draws, seed=0):
    """Mean and standard error over `draws` random nets of the autograd NTK and of the output covariance.

    The nets are in the NTK parameterisation, q = sqrt(sw / n_in) W h + sqrt(sb) b with N(0, 1) entries,
    stacked along a first axis: draws never interact, so one backward pass of the summed outputs at x_i
    gives every draw's own gradient at x_i.
    """
    g = torch.Generator().manual_seed(seed)
    shapes = list(zip(widths[:-1], widths[1:]))
    Ws = [torch.randn(draws, b, a, generator=g, dtype=torch.float64, requires_grad=True) for a, b in shapes]
    bs = [torch.randn(draws, 1, b, generator=g, dtype=torch.float64, requires_grad=True) for _, b in shapes]
    h = X.expand(draws, -1, -1)
    for i, (W, b) in enumerate(zip(Ws, bs)):
        h = math.sqrt(sw / W.shape[2]) * h @ W.transpose(1, 2) + math.sqrt(sb) * b
        h = torch.relu(h) if i < len(Ws) - 1 else h
    y = h[..., 0]  # (draws, N)
    J = []
    for i in range(X.shape[0]):
        grads = torch.autograd.grad(y[:, i].sum(), Ws + bs, retain_graph=True)
        J.append(torch.cat([gr.reshape(draws, -1) for gr in grads], dim=1))
    J = torch.stack(J, dim=1)  # (draws, N, parameters)
    K = (J @ J.transpose(1, 2)).detach()
    C = (y[:, :, None] * y[:, None, :]).detach()
    se = lambda A: A.std(0) / math.sqrt(draws) if draws > 1 else torch.zeros_like(A[0])  # noqa: E731
    return K.mean(0), se(K), C.mean(0), se(C)


def test_monte_carlo_ntk_of_one_draw_is_the_autograd_ntk():
    # The batched gradients above give, draw by draw, the NTK of one net by per-input autograd.
    X = inputs()
    K, _, _, _ = monte_carlo(X, [3, 5, 1], 2.0, 0.3, draws=1, seed=3)
    g = torch.Generator().manual_seed(3)
    Ws = [torch.randn(1, b, a, generator=g, dtype=torch.float64) for a, b in ((3, 5), (5, 1))]
    bs = [torch.randn(1, 1, b, generator=g, dtype=torch.float64) for b in (5, 1)]
    net = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 1)).double()
    with torch.no_grad():
        for lin, W, b in zip(net[::2], Ws, bs):
            lin.weight.copy_(math.sqrt(2.0 / W.shape[2]) * W[0])
            lin.bias.copy_(math.sqrt(0.3) * b[0, 0])
    # standard parameterisation: rescale the per-layer gradients back to the NTK parameterisation
    scale = {"0.weight": 2.0 / 3, "0.bias": 0.3, "2.weight": 2.0 / 5, "2.bias": 0.3}
    grads = []
    for x in X:
        g = torch.autograd.grad(net(x[None])[0, 0], list(net.parameters()))
        grads.append(dict(zip(dict(net.named_parameters()), g)))
    ref = torch.tensor(
        [[sum(scale[n] * (gi[n] * gj[n]).sum() for n in scale) for gj in grads] for gi in grads]
    )
    assert torch.allclose(K, ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("sw,sb", [(2.0, 0.0), (1.5, 0.3)])
def test_one_hidden_layer_kernels_are_exact_expectations_at_any_width(sw, sb):
    # With one hidden layer the expectation over the weights is the closed form at every width.
    X = inputs()
    K, K_se, C, C_se = monte_carlo(X, [3, 32, 1], sw, sb, draws=2000)
    k = relu_kernels(X, depth=2, sigma_w2=sw, sigma_b2=sb)
    assert ((K - k.ntk).abs() <= 4 * K_se + 1e-12).all()
    assert ((C - k.nngp).abs() <= 4 * C_se + 1e-12).all()


def test_one_hidden_layer_control_with_a_wrong_slope_kernel_fails():
    # Near miss: drop the gradient through the first layer (the Sigma-dot term) and the MC mean disagrees.
    X = inputs()
    K, K_se, _, _ = monte_carlo(X, [3, 32, 1], 2.0, 0.0, draws=2000)
    k = relu_kernels(X, depth=2)
    assert ((K - k.nngp).abs() > 4 * K_se).any()


def test_deep_ntk_is_the_wide_limit():
    # Depth 4, width 256: Monte-Carlo error (4 SE) plus the O(depth / width) bias of the finite-width mean
    # (Hanin & Nica 2019), 4 / 256 < 2 % of the largest entry.  Near miss: the kernel of one layer fewer.
    X = inputs(3, 5, seed=1)
    K, K_se, _, _ = monte_carlo(X, [5, 256, 256, 256, 1], 2.0, 0.1, draws=60)
    k = relu_kernels(X, depth=4, sigma_b2=0.1).ntk
    tol = 4 * K_se + 0.02 * k.abs().max()
    assert ((K - k).abs() <= tol).all()
    assert ((K - relu_kernels(X, depth=3, sigma_b2=0.1).ntk).abs() > tol).any()


def test_kernels_are_symmetric_psd_and_match_the_zero_input_convention():
    X = torch.cat([inputs(5, 4), torch.zeros(1, 4, dtype=torch.float64)])
    k = relu_kernels(X, depth=3, sigma_b2=0.2)
    for K in (k.nngp, k.ntk):
        assert torch.allclose(K, K.T, rtol=1e-13, atol=1e-15)
        assert torch.linalg.eigvalsh(K).min() > -1e-10 * K.abs().max()
    assert torch.allclose(relu_kernels(X[:2], X[2:], depth=3, sigma_b2=0.2).ntk, k.ntk[:2, 2:])
