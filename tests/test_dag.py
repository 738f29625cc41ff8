"""Explicit DAG unrolling and path enumeration (the reference): representation R = A(theta, x) Phi(theta)."""

import numpy as np
import pytest
import torch
from torch import nn

from relulab.nets import mlp
from relulab.nets.dag import randomize_batchnorm, resnet_like, unet_like, vgg_like
from relulab.paths import dag as D
from user_models import USER_NETS

# R(x) is a sum of at most ~1e5 path terms of size O(10): float64 rounding stays < 1e-12; 1e-10 leaves margin.
REL = 1e-10

NETS = {
    "mlp": lambda: (mlp([3, 4, 5, 2], seed=0), (3,)),
    "vgg": lambda: (randomize_batchnorm(vgg_like(1, (2, 2), 3, 4, seed=1), seed=2), (1, 4, 4)),
    "resnet": lambda: (randomize_batchnorm(resnet_like(1, 1, 2, seed=1), seed=2), (1, 3, 3)),
    "unet": lambda: (unet_like(1, 1, 1, seed=1), (1, 4, 4)),
    "avgpool-overlap": lambda: (
        nn.Sequential(
            nn.Conv2d(1, 2, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(3, 1, padding=1),
            nn.AvgPool2d(2),
            nn.Flatten(),
            nn.Linear(8, 2),
        ),
        (1, 4, 4),
    ),
    **USER_NETS,  # own forward: functional ReLU/pools/mean/flatten/cat, Conv1d, groups, ceil mode, constants
}


def forward(model, X, shape):
    with torch.no_grad():
        return model(torch.as_tensor(X).reshape(-1, *shape)).reshape(len(X), -1).numpy()


@pytest.mark.parametrize("name", sorted(NETS))
def test_representation_matches_forward(name):
    model, shape = NETS[name]()
    g = D.to_dag(model, shape)
    X = np.random.default_rng(0).normal(size=(30, int(np.prod(shape))))
    P = D.enumerate_paths(g, X)
    y = forward(model, X, shape)
    assert np.abs(D.output_from_paths(P, len(g.outputs)) - y).max() <= REL * max(1, np.abs(y).max())
    assert len(P.phi) == D.count_paths(g)


def test_wrong_gates_break_representation():
    model, shape = NETS["vgg"]()
    g = D.to_dag(model, shape)
    rng = np.random.default_rng(1)
    X, X2 = rng.normal(size=(20, 16)), rng.normal(size=(20, 16))
    P = D.enumerate_paths(g, X, gates_from=X2)
    assert np.abs(D.output_from_paths(P, len(g.outputs)) - forward(model, X, shape)).max() > 1e-3


def test_sequences_are_paths():
    model = mlp([2, 2, 1], seed=0)
    g = D.to_dag(model, (2,))
    P = D.enumerate_paths(g, keep_sequences=True)
    # 2 inputs x 2 hidden + 2 hidden biases (through the ReLU neurons) + output bias
    assert D.count_paths(g) == len(P.seqs) == 7
    for s in P.seqs:
        assert s[-1] in g.outputs
        for u, v in zip(s[:-1], s[1:]):
            assert u in [p for p, _ in g.parents[v]]


def test_residual_add_is_an_identity_neuron_with_two_in_edges():
    model, shape = USER_NETS["custom-resnet"]()
    g = D.to_dag(model, shape)
    adds = [
        v
        for v in range(len(g.kind))
        if g.kind[v] == "id" and g.bias[v] is None and len(g.parents[v]) == 2 and all(w == 1.0 for _, w in g.parents[v])
    ]
    assert len(adds) == 2 * 2 * 2 + 1 * 2 * 2  # block 2 (2 channels, 2x2) + block 1 (1 channel, 2x2)


def test_uneven_adaptive_pooling_reads_torch_windows():
    # 5 -> 3 positions: torch's windows are [0, 2), [1, 4), [3, 5), so the 3x3 outputs read 4, 6, 4, 6, 9, ... inputs
    g = D.to_dag(nn.Sequential(nn.AdaptiveAvgPool2d(3)), (1, 5, 5))
    fan_in = [len(g.parents[o]) for o in g.outputs]
    assert fan_in == [4, 6, 4, 6, 9, 6, 4, 6, 4]
    assert all(w == pytest.approx(1 / n) for o, n in zip(g.outputs, fan_in) for _, w in g.parents[o])
