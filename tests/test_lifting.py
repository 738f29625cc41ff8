"""Path-norms by one forward pass against explicit enumeration; rescaling invariance; path-metrics; bad input."""

import copy

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from relulab.nets import mlp
from relulab.nets.dag import randomize_batchnorm, resnet_like, unet_like, vgg_like
from relulab.paths import dag as D
from relulab.paths.lifting import (global_prune, magnitude_scores, path_magnitude_scores, path_metric,
                                   path_metric_bound, path_norm, random_rescaling)
from test_dag import NETS

# Sums of <= 1e5 nonnegative products: float64 relative rounding < 1e-13; 1e-10 relative leaves margin.
REL = 1e-10


@pytest.mark.parametrize("name", sorted(NETS))
@pytest.mark.parametrize("q", [1, 2, 4])
def test_path_norm_equals_enumeration(name, q):
    model, shape = NETS[name]()
    ref = np.sum(np.abs(D.phi(model, shape)) ** q) ** (1 / q)
    assert abs(path_norm(model, shape, q) - ref) <= REL * ref


def test_model_left_unchanged():
    model, shape = NETS["vgg"]()
    before = copy.deepcopy(model.state_dict())
    path_norm(model, shape)
    path_magnitude_scores(model, shape)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert not model.training


def test_maxpool_kept_as_max_underestimates():
    model, shape = NETS["vgg"]()
    ref = np.abs(D.phi(model, shape)).sum()
    absm = copy.deepcopy(model)
    for m in absm.modules():  # naive: |theta| but the max-pool left as max, BN left unfolded
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            m.weight.data.abs_(); m.bias is not None and m.bias.data.abs_()
    with torch.no_grad():
        naive = absm(torch.ones(1, *shape)).sum().item()
    assert abs(naive - ref) > 1e-3 * ref


@given(st.integers(0, 10_000), st.sampled_from(["mlp", "vgg", "resnet", "unet"]))
@settings(max_examples=15)
def test_rescaling_invariance(seed, name):
    model, shape = NETS[name]()
    r = random_rescaling(model, seed, factors=(2.0**-6, 2.0**7, 2.0**12))  # never all 1: something must change
    assert abs(path_norm(r, shape) - path_norm(model, shape)) <= REL * path_norm(model, shape)
    X = torch.randn(5, *shape, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        assert (r(X) - model(X)).abs().max().item() <= REL * max(1, model(X).abs().max().item())
    changed = [k for k, v in r.state_dict().items() if not torch.equal(v, model.state_dict()[k])]
    assert changed or name == "unet"  # the U-Net has no conv-ReLU-conv triple inside a Sequential


@given(st.integers(0, 10_000))
@settings(max_examples=6)  # each example enumerates ~1e5 paths twice
def test_rescaling_keeps_phi_and_scores(seed):
    model, shape = NETS["resnet"]()
    r = random_rescaling(model, seed, factors=(0.25, 1.0, 8.0))
    assert np.allclose(D.phi(r, shape), D.phi(model, shape), rtol=1e-12, atol=1e-12)
    s0, s1 = path_magnitude_scores(model, shape), path_magnitude_scores(r, shape)
    assert all(torch.allclose(s0[k], s1[k], rtol=1e-10, atol=0) for k in s0)


def test_path_magnitude_is_single_weight_path_metric():
    model, shape = NETS["vgg"]()
    scores = path_magnitude_scores(model, shape)
    base = path_norm(model, shape)
    for name, s in scores.items():
        for flat in [0, s.numel() - 1]:
            m2 = copy.deepcopy(model)
            with torch.no_grad():
                dict(m2.named_parameters())[name].view(-1)[flat] = 0
            assert abs((base - path_norm(m2, shape)) - s.view(-1)[flat].item()) <= REL * base


@given(st.integers(0, 10_000), st.floats(0.1, 0.9))
@settings(max_examples=10)  # each example enumerates paths twice
def test_two_pass_metric_equals_enumeration(seed, frac):
    model, shape = NETS["unet"]()
    scores = {k: torch.rand(v.shape, generator=torch.Generator().manual_seed(seed)) for k, v in magnitude_scores(model).items()}
    pruned, _ = global_prune(model, scores, frac)
    ref = np.abs(D.phi(model, shape) - D.phi(pruned, shape)).sum()
    assert abs(path_metric(model, pruned, shape) - ref) <= REL * max(1, ref)


@given(st.integers(0, 10_000))
@settings(max_examples=15)
def test_same_sign_bound_dominates(seed):
    model, shape = NETS["mlp"]()
    other = copy.deepcopy(model)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in other.parameters():
            p.mul_(torch.exp(0.5 * torch.randn(p.shape, generator=g)))
    ref = np.abs(D.phi(model, shape) - D.phi(other, shape)).sum()
    assert path_metric_bound(model, other, shape) >= ref * (1 - REL)
    with pytest.raises(ValueError, match="not a shrink"):
        path_metric(model, other, shape)


def test_bad_inputs():
    model, shape = NETS["vgg"]()
    with pytest.raises(TypeError, match="GELU"):
        path_norm(nn.Sequential(nn.Linear(2, 2), nn.GELU()), (2,))
    with pytest.raises(TypeError, match="ReLU6"):
        path_norm(nn.Sequential(nn.Linear(2, 2), nn.ReLU6()), (2,))
    with pytest.raises(TypeError, match="LayerNorm"):
        path_norm(nn.Sequential(nn.Linear(2, 2), nn.LayerNorm(2)), (2,))
    with pytest.raises(ValueError, match="training mode"):
        path_norm(copy.deepcopy(model).train(), shape)
    with pytest.raises(ValueError, match="ceil_mode"):
        path_norm(nn.Sequential(nn.MaxPool2d(2, ceil_mode=True)), (1, 4, 4))
    with pytest.raises(ValueError, match="not divisible"):
        path_norm(nn.Sequential(nn.AdaptiveAvgPool2d(2)), (1, 5, 5))
    with pytest.raises(ValueError, match="q must be"):
        path_norm(model, shape, q=0)
    with pytest.raises(ValueError, match="positive"):
        path_norm(model, (1, 0, 4))
    with pytest.raises(TypeError, match="input_shape"):
        path_norm(model, 16)
    with pytest.raises(TypeError, match="torch.nn.Module"):
        path_norm("model", shape)
    with pytest.raises(ValueError, match="factors"):
        random_rescaling(model, 0, factors=(-1.0, 2.0))
    flipped = copy.deepcopy(model)
    with torch.no_grad():
        flipped[0].weight[0].neg_()
    with pytest.raises(ValueError, match="opposite signs"):
        path_metric(model, flipped, shape)
    with pytest.raises(ValueError, match="same architecture"):
        path_metric(model, mlp([3, 2], seed=0), shape)
    with pytest.raises(OverflowError):
        huge = nn.Sequential(*[nn.Linear(4, 4) for _ in range(200)])
        with torch.no_grad():
            for p in huge.parameters():
                p.fill_(100.0)  # ||Phi||_1 ~ 400^200: beyond float64
        path_norm(huge, (4,))
