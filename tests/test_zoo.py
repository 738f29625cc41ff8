"""The shared small nets of Part III: each is supported by the path tools and matches path enumeration."""

import numpy as np
import pytest
import torch

from relulab.nets.zoo import digits_cnn, enumerable_nets, mnist_resnet
from relulab.paths import dag as D
from relulab.paths import magnitude_scores, path_norm, random_rescaling


@pytest.mark.parametrize("width", [1, 2])
def test_enumerable_nets_path_norm_matches_enumeration(width):
    for name, (m, shp) in enumerable_nets(seed=0, width=width, resnet_side=2).items():
        assert not m.training, name
        ref = np.abs(D.phi(m, shp)).sum()
        assert abs(path_norm(m, shp) - ref) <= 1e-10 * ref, name


def test_enumerable_nets_are_seeded():
    a, b = enumerable_nets(seed=1), enumerable_nets(seed=1)
    c = enumerable_nets(seed=2)
    for k in a:
        X = torch.randn(3, *a[k].shape, dtype=torch.float64)
        assert torch.equal(a[k].model(X), b[k].model(X))
        assert not torch.equal(a[k].model(X), c[k].model(X))


def test_mnist_resnet_shapes_and_rescaling_of_its_block():
    m = mnist_resnet(4, 8, seed=0).double().eval()
    X = torch.randn(5, 1, 14, 14, dtype=torch.float64)
    assert m(X).shape == (5, 10)
    r = random_rescaling(m, seed=1)
    assert torch.allclose(r(X), m(X), rtol=1e-12, atol=1e-12)  # same function
    moved = [k for k, v in magnitude_scores(m).items() if not torch.equal(v, magnitude_scores(r)[k])]
    assert any("body" in k for k in moved)  # the block's conv1-BN-conv2 triple is rescaled
    assert path_norm(r, (1, 14, 14)) == pytest.approx(path_norm(m, (1, 14, 14)), rel=1e-12)


@pytest.mark.parametrize("bn", [False, True])
def test_digits_cnn_shapes(bn):
    m = digits_cnn(4, seed=0, batch_norm=bn).double().eval()
    assert m(torch.randn(2, 1, 8, 8, dtype=torch.float64)).shape == (2, 10)
    assert path_norm(m, (1, 8, 8)) > 0


def test_mnist_resnet_stem_is_conv_bn_relu():
    model = mnist_resnet(2, 3, seed=0)
    assert [type(m) for m in model[:3]] == [torch.nn.Conv2d, torch.nn.BatchNorm2d, torch.nn.ReLU]
