"""Convolutional gated nets against independent references: the ReLU net, explicit loops, finite differences."""

import copy
import itertools

import pytest
import torch

from relulab.nets.gated_conv import ConvNet, GatedConvNet

F64 = torch.float64


def net(head="gap", dense=(5, 4), seed=0, channels=(2, 3), image=(2, 4, 5)):
    m = ConvNet(channels, dense, image=image, n_out=3, head=head, seed=seed, dtype=F64)
    with torch.no_grad():  # nonzero biases, so that they are exercised too
        for p in m.parameters():
            if p.dim() == 1:
                p.copy_(0.3 * torch.randn(p.shape, generator=torch.Generator().manual_seed(seed), dtype=F64))
    return m


def images(n=6, image=(2, 4, 5), seed=1):
    return torch.randn(n, *image, generator=torch.Generator().manual_seed(seed), dtype=F64)


def close(a, b):
    return (a - b).abs().max().item() <= 1e-12 * max(1.0, b.abs().max().item())


@pytest.mark.parametrize("head,dense", list(itertools.product(["gap", "flatten"], [(5, 4), (6,), ()])))
def test_hard_gates_of_the_net_itself_give_the_relu_net(head, dense):
    relu = net(head, dense)
    dgn = GatedConvNet(copy.deepcopy(relu), copy.deepcopy(relu))
    X = images()
    assert close(dgn(X), relu(X))


def test_first_layer_preactivation_is_the_explicit_3x3_same_convolution():
    m = net()
    X = images(2)
    q = m.preactivations(X)[0]
    W, b = m.convs[0].weight, m.convs[0].bias
    ref = torch.zeros_like(q)
    for n, o, i, j in itertools.product(range(2), range(W.shape[0]), range(4), range(5)):
        s = b[o].item()
        for c, di, dj in itertools.product(range(W.shape[1]), range(3), range(3)):
            ii, jj = i + di - 1, j + dj - 1
            if 0 <= ii < 4 and 0 <= jj < 5:  # 'same' padding: zeros outside the image
                s += W[o, c, di, dj].item() * X[n, c, ii, jj].item()
        ref[n, o, i, j] = s
    assert close(q, ref)


@pytest.mark.parametrize("head", ["gap", "flatten"])
def test_head_feeds_the_pixel_mean_or_the_flattened_maps(head):
    m = net(head)
    X = images(3)
    h = torch.relu(m.preactivations(X)[1])
    pooled = h.mean(dim=(2, 3)) if head == "gap" else h.reshape(3, -1)
    assert close(m.preactivations(X)[2], pooled @ m.dense[0].weight.T + m.dense[0].bias)


def test_frozen_feature_net_gets_no_gradient_and_hard_gates_none_either():
    X = images()
    for gate, frozen in (("hard", False), ("soft", True)):
        dgn = GatedConvNet(net(seed=2), net(seed=3), gate=gate)
        dgn.freeze("feature", frozen)
        dgn(X).sum().backward()
        grads = [p.grad for p in dgn.feature.parameters()]
        assert all(g is None or g.abs().max() == 0 for g in grads)
        assert all(p.grad is not None for p in dgn.value.parameters())


def test_soft_gate_gradient_reaches_the_feature_net_as_finite_differences_say():
    dgn = GatedConvNet(net(seed=2), net(seed=3), gate="soft", beta=2.0, eps=0.1)
    X = images(2)
    w = dgn.feature.convs[0].weight
    dgn(X).sum().backward()
    h = 1e-6
    for idx in [(0, 0, 1, 1), (1, 1, 0, 2)]:
        with torch.no_grad():
            w[idx] += h
            up = dgn(X).sum()
            w[idx] -= 2 * h
            down = dgn(X).sum()
            w[idx] += h
        fd = (up - down) / (2 * h)
        assert abs(w.grad[idx].item() - fd.item()) <= 1e-7 * max(1.0, abs(fd.item()))


def test_soft_gates_tend_to_hard_gates_as_beta_grows():
    X = images()
    f, v = net(seed=2), net(seed=3)
    hard = GatedConvNet(f, v)(X)
    errs = [(GatedConvNet(f, v, gate="soft", beta=b, eps=0.0)(X) - hard).abs().max().item() for b in (1e1, 1e4)]
    assert errs[1] < 1e-2 * errs[0]


def test_seeded_init_is_reproducible_and_he_scaled():
    a, b = ConvNet((64,), (), image=(8, 6, 6), seed=5, dtype=F64), ConvNet((64,), (), image=(8, 6, 6), seed=5, dtype=F64)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    w = a.convs[0].weight
    # variance 2 / fan_in with fan_in = 8 * 9: the sample variance of 4,608 draws is within 10 % (about 5 SE)
    assert abs(w.var().item() * 72 / 2 - 1) < 0.1
