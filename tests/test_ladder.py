"""relulab.data.ladder and relulab.nets.teacher: the summarisation ladder, enumeration, the tree student."""

import numpy as np
import torch
from hypothesis import given
from hypothesis import strategies as st

from relulab.data.ladder import (
    all_inputs,
    factorised_events,
    ladder,
    one_hot,
    pattern_index,
    product_distribution,
    random_distribution,
)
from relulab.nets.teacher import Dense1d, NodeBatchNorm, TreeNet


def test_all_inputs_enumerates_every_string_once():
    X = all_inputs(3, values=3)
    assert X.shape == (27, 3) and len({tuple(r) for r in X}) == 27


@given(st.integers(0, 10_000))
def test_injective_ladder_identifies_patterns(seed):
    X = all_inputs(8)
    t = ladder(8, [None, None, None], seed=seed)
    z = t.events(X)
    for level in range(1, 4):
        for r, region in enumerate(t.regions(level)):
            # injective summaries: same event iff same pattern on the region
            code = pattern_index(X, region)
            pairs = set(zip(code.tolist(), z[level][:, r].tolist()))
            assert len(pairs) == len(set(code.tolist())) == len(set(z[level][:, r].tolist()))


def test_lossy_ladder_hits_every_event_and_matches_tables():
    X = all_inputs(4)
    t = ladder(4, [3, 2], seed=3)
    z = t.events(X)
    assert t.m == (2, 3, 2)
    assert set(z[1].ravel().tolist()) == {0, 1, 2} and set(z[2].ravel().tolist()) == {0, 1}
    for n in range(len(X)):  # brute force: apply the tables by hand
        e1 = [t.tables[0][r, X[n, 2 * r] * 2 + X[n, 2 * r + 1]] for r in range(2)]
        assert z[1][n].tolist() == e1 and z[2][n, 0] == t.tables[1][0, e1[0] * 3 + e1[1]]


def test_distributions_and_one_hot():
    X = all_inputs(3)
    p = product_distribution(X, np.array([0.2, 0.5, 0.9]))
    assert abs(p.sum() - 1) < 1e-12 and abs(p[X[:, 2] == 1].sum() - 0.9) < 1e-12
    q = random_distribution(8, seed=0)
    assert abs(q.sum() - 1) < 1e-12 and (q > 0).all()
    oh = one_hot(X)
    assert oh.shape == (8, 2, 3) and torch.equal(oh[:, 1, :], torch.tensor(X, dtype=oh.dtype))


def test_factorised_events_are_independent_under_a_product_law():
    X = all_inputs(6)
    Z = factorised_events(X, [[0, 1, 2], [3, 4, 5]], seed=1)
    p = product_distribution(X, np.full(6, 0.5))
    joint = np.array([[p[(Z[:, 0] == a) & (Z[:, 1] == b)].sum() for b in (0, 1)] for a in (0, 1)])
    assert np.allclose(joint, np.outer(joint.sum(1), joint.sum(0)), atol=1e-12)


def test_tree_net_fields_weights_and_trace():
    net = TreeNet(2, 8, [3, 3, 2], [3, 2, 2], [2, 1, 1], seed=0)
    fields = net.receptive_fields()
    assert [sorted(f) for f in fields[0]] == [[0, 1, 2], [2, 3, 4], [4, 5, 6]]
    assert sorted(fields[-1][0]) == list(range(7))
    x = torch.randn(5, 2, 8)
    tr = net.trace(x, None)
    # edge_weight against the forward pass: parent pre-activation = sum over window of W^T child
    l, t = 1, 0
    manual = sum(tr[0]["post"][:, :, s] @ net.edge_weight(l, t, s).detach() for s in net.layers[l].receptive_field(t))
    assert torch.allclose(manual, tr[1]["raw"][:, :, t], atol=1e-12)
    # per-sample gradient: the sum of per-sample losses gives each sample its own gradient
    y = torch.randn(5, 2, 1)
    g_all = net.trace(x, y)[0]["g"]
    g_one = net.trace(x[:1], y[:1])[0]["g"]
    assert torch.allclose(g_all[:1], g_one, atol=1e-12)


def test_dense_layer_sees_everything():
    net = TreeNet(2, 4, [2, 2], [2, 2], seed=0).densify(0, seed=1)
    assert isinstance(net.layers[0], Dense1d)
    assert all(len(f) == 4 for f in net.receptive_fields()[0])


def test_weighted_batch_norm_equals_the_repeated_batch():
    # integer weights = multiplicities: weighted statistics are those of the batch with repeated rows
    g = torch.Generator().manual_seed(0)
    x, counts = torch.randn(5, 3, generator=g), torch.tensor([1, 3, 2, 1, 4])
    out = NodeBatchNorm(weights=counts.double())(x)
    assert torch.allclose(
        out.repeat_interleave(counts, dim=0), NodeBatchNorm()(x.repeat_interleave(counts, dim=0)), atol=1e-12
    )
