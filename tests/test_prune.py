"""Masks that survive retraining (relulab.prune), checked against plain weight * mask arithmetic."""

import torch
from torch import nn

from relulab.nets import mlp
from relulab.paths import global_prune, magnitude_scores
from relulab.prune import masked, random_scores, sparsity, unmasked


def _net():
    return mlp([4, 6, 3], seed=0, dtype=torch.float64)


def _mask(net, frac=0.5, seed=0):
    return global_prune(net, random_scores(net, seed=seed), frac)[1]


def test_masked_forward_equals_weight_times_mask():
    net = _net()
    masks = _mask(net)
    pruned = masked(net, masks)
    ref = _net()
    with torch.no_grad():
        for name, p in ref.named_parameters():
            if name in masks:
                p.mul_(masks[name].double())
    X = torch.randn(7, 4, dtype=torch.float64)
    assert torch.equal(pruned(X), ref(X))
    assert torch.equal(net(X), _net()(X))  # the original is untouched


def test_pruned_entries_stay_zero_through_training_and_others_move():
    net = masked(_net(), _mask(_net()))
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    X, y = torch.randn(32, 4, dtype=torch.float64), torch.randint(0, 3, (32,))
    before = unmasked(net)
    for _ in range(5):
        opt.zero_grad()
        nn.functional.cross_entropy(net(X), y).backward()
        opt.step()
    after = unmasked(net)
    for (name, b), a in zip(before.named_parameters(), after.parameters()):
        if name.endswith("weight"):
            assert torch.all(a[b == 0] == 0)  # pruned stay pruned
            assert not torch.equal(a[b != 0], b[b != 0])  # the rest trained


def test_unmasked_gives_plain_parameters_with_exact_zeros():
    net = _net()
    masks = _mask(net, 0.7)
    plain = unmasked(masked(net, masks))
    assert not any(hasattr(m, "weight_mask") for m in plain.modules())
    for name, p in plain.named_parameters():
        if name in masks:
            assert torch.equal(p.detach(), net.get_parameter(name).detach() * masks[name].double())


def test_random_scores_give_a_seeded_global_mask_of_the_asked_sparsity():
    net = _net()
    a, b, c = random_scores(net, seed=3), random_scores(net, seed=3), random_scores(net, seed=4)
    assert a.keys() == magnitude_scores(net).keys()
    assert all(torch.equal(a[k], b[k]) for k in a) and not all(torch.equal(a[k], c[k]) for k in a)
    total = sum(v.numel() for v in a.values())
    pruned, _ = global_prune(net, a, 0.4)
    assert sparsity(pruned) == round(0.4 * total) / total
    assert sparsity(masked(net, _mask(net, 0.4))) == round(0.4 * total) / total
