"""relulab.projection: the reformulation, the beta-expansion and bn_backward against independent references."""

import itertools

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from relulab import projection as pj
from relulab.data.ladder import all_inputs, ladder, random_distribution
from relulab.nets import mlp
from relulab.nets.teacher import NodeBatchNorm, TreeNet

# Float64 identities over sums of at most a few hundred terms: 1e-10 relative is far above rounding, far below any
# real discrepancy (the controls in the chapters miss by O(0.1)).
REL = 1e-10


def close(a, b):
    return (a - b).abs().max().item() <= REL * max(1.0, b.abs().max().item())


# ---------------------------------------------------------------- bn_backward


@given(st.integers(2, 40), st.integers(1, 4), st.sampled_from([0.0, 1e-5, 0.3]), st.integers(0, 10_000))
def test_bn_backward_matches_autograd(n, c, eps, seed):
    g = torch.Generator().manual_seed(seed)
    x = (torch.randn(n, c, generator=g) * 3 + 1).requires_grad_(True)
    up = torch.randn(n, c, generator=g)
    ref = torch.autograd.grad(NodeBatchNorm(eps)(x), x, up)[0]
    assert close(pj.bn_backward(x.detach(), up, eps=eps), ref)


@given(st.integers(2, 6), st.integers(1, 3), st.integers(1, 4), st.integers(0, 10_000))
def test_bn_backward_conv_layout_matches_torch_batch_norm(n, c, length, seed):
    # (N, C, L): per channel over batch and positions, against PyTorch's own training-mode batch_norm (eps > 0)
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, c, length, generator=g).requires_grad_(True)
    up = torch.randn(n, c, length, generator=g)
    out = torch.nn.functional.batch_norm(x, None, None, training=True, eps=1e-3)
    ref = torch.autograd.grad(out, x, up)[0]
    assert close(pj.bn_backward(x.detach(), up, eps=1e-3), ref)


@given(st.integers(2, 30), st.integers(0, 10_000))
def test_bn_backward_is_projection_at_eps_zero(n, seed):
    g = torch.Generator().manual_seed(seed)
    f, up = torch.randn(n, generator=g), torch.randn(n, generator=g)
    gf = pj.bn_backward(f, up)
    assert abs(gf.sum().item()) < 1e-10 and abs(torch.dot(gf, f).item()) < 1e-10 * f.abs().max().item()
    P = pj.bn_projector(f)
    assert close(P @ P, P) and close(P, P.T)
    assert close(P @ up / f.std(unbiased=False), gf)


def test_bn_projector_weighted_equals_repeated_batch():
    # weights = multiplicities / N: the weighted projector is BN's backward on the repeated batch, marginalised
    g = torch.Generator().manual_seed(0)
    f, up = torch.randn(5, generator=g), torch.randn(5, generator=g)
    counts = torch.tensor([1, 3, 2, 1, 4])
    rep_f, rep_up = f.repeat_interleave(counts), up.repeat_interleave(counts)
    full = pj.bn_backward(rep_f, rep_up)
    w = counts.double() / counts.sum()
    mu = (w * f).sum()
    sigma = torch.sqrt((w * (f - mu) ** 2).sum())
    mine = pj.bn_projector(f, w) @ up / sigma
    assert close(mine.repeat_interleave(counts), full)


@pytest.mark.parametrize(
    "x, up, msg",
    [
        (torch.randn(1, 3), torch.randn(1, 3), "batch of one"),
        (torch.ones(5, 2), torch.randn(5, 2), "constant"),
        (torch.tensor([1.0, float("nan"), 2.0]), torch.randn(3), "NaN or inf"),
        (torch.randn(4, 2), torch.tensor([[1.0, float("inf")]] * 4), "NaN or inf"),
        (torch.randn(4, 2), torch.randn(4, 3), "shape"),
    ],
)
def test_bn_backward_bad_input(x, up, msg):
    with pytest.raises(ValueError, match=msg):
        pj.bn_backward(x, up)


def test_bn_backward_type_and_eps():
    with pytest.raises(TypeError, match="x must be"):
        pj.bn_backward([1.0, 2.0], torch.randn(2))
    with pytest.raises(ValueError, match="eps"):
        pj.bn_backward(torch.randn(3), torch.randn(3), eps=-1.0)


# ---------------------------------------------------------------- the reformulation


@given(st.integers(0, 10_000), st.integers(1, 3))
def test_reformulation_exact_for_injective_teacher(seed, width):
    # every summary injective (incl. the top): Theorem 2's equations and Theorem 4's Delta W are exact
    X = all_inputs(4)
    p = torch.tensor(random_distribution(len(X), seed=seed))
    teacher = ladder(4, [None, None], seed=seed)
    net = TreeNet(2, 4, [width, teacher.m[-1]], [2, 2], seed=seed)
    r = pj.ladder_report(net, teacher, X, p)
    for l in range(2):
        for t in range(len(r["F"][l])):
            assert close(r["F_local"][l][t], r["F"][l][t])
    for s in range(2):
        assert close(r["G_local"][0][s], r["G"][0][s])
    for k in r["dW_pipe"]:
        assert close(r["dW_pipe"][k], r["dW_autograd"][k])


def test_reformulation_conditions_zero_for_injective_and_positive_for_lossy():
    X = all_inputs(4)
    p = torch.tensor(random_distribution(len(X), seed=1))
    r = pj.ladder_report(TreeNet(2, 4, [2, 16], [2, 2], seed=1), ladder(4, [None, None], seed=1), X, p)
    assert max(r["focus"].values()) < 1e-12 and max(r["broadness"].values()) < 1e-12
    lossy = ladder(4, [None, 3], seed=1)
    r = pj.ladder_report(TreeNet(2, 4, [2, 3], [2, 2], seed=1), lossy, X, p)
    assert max(r["broadness"].values()) > 0.1


def test_conditional_mean_and_statistics_against_loops():
    rng = np.random.default_rng(0)
    zp, zc = rng.integers(0, 3, 50), rng.integers(0, 4, 50)
    zp[:3], zc[:4] = np.arange(3), np.arange(4)
    w = torch.tensor(rng.random(50))
    v = torch.tensor(rng.standard_normal((50, 2)))
    cm = pj.conditional_mean(v, zp, w, 3)
    for a in range(3):
        sel = zp == a
        assert close(cm[a], (w[sel, None] * v[sel]).sum(0) / w[sel].sum())
    st_ = pj.event_statistics(zp, zc, w, 3, 4)
    assert close(st_["P"].sum(1), torch.ones(3)) and close(st_["Pb"].sum(0), torch.ones(4))
    # Bayes: P^b = Lambda_a P Lambda_b^-1
    assert close(st_["Pb"], torch.diag(st_["lam_parent"]) @ st_["P"] @ torch.diag(1 / st_["lam_child"]))


def test_reformulation_bad_input():
    with pytest.raises(ValueError, match="zero mass"):
        pj.conditional_mean(torch.randn(3, 2), [0, 0, 2], torch.ones(3), 3)
    with pytest.raises(ValueError, match="do not chain"):
        pj.reformulated_forward([torch.ones(2, 3)], [torch.eye(2)], [torch.ones(2, 2)])
    with pytest.raises(ValueError, match="shape"):
        pj.conditional_mean(torch.randn(3, 2), [0, 1, 1], torch.ones(4), 2)
    with pytest.raises(ValueError, match="NaN"):
        pj.conditional_mean(torch.tensor([[float("nan")], [1.0]]), [0, 1], torch.ones(2), 2)
    with pytest.raises(ValueError, match="layers"):
        pj.ladder_report(TreeNet(2, 4, [2], [4], seed=0), ladder(4, [None, None]), all_inputs(4), torch.ones(16) / 16)


# ---------------------------------------------------------------- the beta-expansion


def _path_sum(Ws, Ds, layer, j, o):
    L, total = len(Ws), 0.0
    for route in itertools.product(*[range(W.shape[0]) for W in Ws[layer : L - 1]]):
        nodes, prod = [j, *route, o], 1.0
        for step in range(len(nodes) - 1):
            lay = layer + step
            prod *= Ws[lay][nodes[step + 1], nodes[step]].item()
            if lay + 1 < L:
                prod *= Ds[lay][nodes[step + 1]].item()
        total += prod
    return total


@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 3), st.integers(2, 3), st.integers(0, 10_000))
def test_beta_expansion_matches_autograd(w_s, w_t, d_out, depth, seed):
    d_in = 3
    stu = mlp([d_in] + [w_s] * (depth - 1) + [d_out], bias=False, seed=seed)
    tea = mlp([d_in] + [w_t] * (depth - 1) + [d_out], bias=False, seed=seed + 1)
    x = torch.randn(d_in, generator=torch.Generator().manual_seed(seed))
    Ws = [m.weight.detach() for m in stu if isinstance(m, torch.nn.Linear)]
    Wt = [m.weight.detach() for m in tea if isinstance(m, torch.nn.Linear)]
    for layer in range(1, depth):
        h, raw = x, None
        k = 0
        for mod in stu:
            h = mod(h)
            if isinstance(mod, torch.nn.Linear):
                k += 1
                if k == layer:
                    raw = h
        with torch.no_grad():
            y = tea(x)
        ref = -torch.autograd.grad(0.5 * ((y - h) ** 2).sum(), raw)[0]
        assert close(pj.beta_expansion(Ws, Wt, x, layer)["g"], ref)


def test_beta_coefficients_are_gated_path_sums():
    stu, tea = mlp([3, 2, 2, 2], bias=False, seed=5), mlp([3, 2, 2, 2], bias=False, seed=6)
    Ws = [m.weight.detach() for m in stu if isinstance(m, torch.nn.Linear)]
    Wt = [m.weight.detach() for m in tea if isinstance(m, torch.nn.Linear)]
    for x in torch.randn(5, 3, generator=torch.Generator().manual_seed(1)):
        Ds, Dt, hs, ht = [], [], x, x
        for a, b in zip(Ws[:-1], Wt[:-1]):
            hs, ht = torch.relu(a @ hs), torch.relu(b @ ht)
            Ds.append((hs > 0).double()); Dt.append((ht > 0).double())
        for layer in (1, 2):
            out = pj.beta_expansion(Ws, Wt, x, layer)
            for j, jp in itertools.product(range(2), range(2)):
                a = sum(_path_sum(Ws, Ds, layer, j, o) * _path_sum(Wt, Dt, layer, jp, o) for o in range(2))
                b = sum(_path_sum(Ws, Ds, layer, j, o) * _path_sum(Ws, Ds, layer, jp, o) for o in range(2))
                assert abs(a - out["A"][j, jp].item()) < 1e-12 and abs(b - out["B"][j, jp].item()) < 1e-12


def test_beta_expansion_bad_input():
    Ws = [torch.randn(3, 2), torch.randn(1, 3)]
    with pytest.raises(ValueError, match="layer"):
        pj.beta_expansion(Ws, Ws, torch.randn(2), 2)
    with pytest.raises(ValueError, match="x must be"):
        pj.beta_expansion(Ws, Ws, torch.randn(3), 1)
    with pytest.raises(ValueError, match="NaN"):
        pj.beta_expansion(Ws, Ws, torch.tensor([1.0, float("nan")]), 1)
    with pytest.raises(ValueError, match="same input and output"):
        pj.beta_expansion(Ws, [torch.randn(3, 2), torch.randn(2, 3)], torch.randn(2), 1)


# ---------------------------------------------------------------- vertices, separation, tensor products


def test_vertices_and_separation():
    square = np.array([[0, 0], [1, 0], [0, 1], [1, 1], [0.5, 0.5]])
    assert pj.vertices(square).tolist() == [True, True, True, True, False]
    W, b, ok = pj.separating_weights(square[:4])
    raw = square[:4] @ W + b
    assert ok.all() and np.allclose(np.diag(raw), 1, atol=1e-12) and (raw[~np.eye(4, dtype=bool)] <= -1 + 1e-7).all()
    _, _, ok = pj.separating_weights(square)
    assert ok.tolist() == [True, True, True, True, False]
    with pytest.raises(ValueError, match="NaN"):
        pj.vertices(np.array([[np.nan, 1.0]]))
    with pytest.raises(ValueError, match="2-D"):
        pj.is_vertex(np.ones(3), 0)


def test_disentanglement_residual():
    v = pj.kron(torch.ones(2), torch.tensor([1.0, 2.0, 3.0]))
    assert pj.disentanglement_residual(v, (2, 3), 1) == 0.0
    assert pj.disentanglement_residual(v, (2, 3), 0) > 0.5
    with pytest.raises(ValueError, match="entries"):
        pj.disentanglement_residual(v, (2, 2), 0)
