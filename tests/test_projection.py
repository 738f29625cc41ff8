"""relulab.projection: the reformulation, the beta-expansion and bn_backward against independent references."""

import itertools

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from relulab import projection as pj
from relulab.data.ladder import all_inputs, ladder, one_hot, random_distribution
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


def test_bn_backward_accepts_tiny_but_varying_inputs():
    g = torch.Generator().manual_seed(0)
    x, up = torch.randn(6, 2, generator=g), torch.randn(6, 2, generator=g)
    # the constant-input check is relative to the input's own scale: 1e-16 x is as valid as x
    assert close(pj.bn_backward(1e-16 * x, up) * 1e-16, pj.bn_backward(x, up))


def test_bn_projector_allows_zero_weights():
    f = torch.tensor([0.0, 1.0, 3.0, 5.0])
    P = pj.bn_projector(f, torch.tensor([1.0, 1.0, 1.0, 0.0]))  # a sample of weight 0 is allowed
    w = torch.tensor([1.0, 1.0, 1.0, 0.0]) / 3
    assert close(P @ torch.ones(4), torch.zeros(4)) and abs(float((w * (P @ f)) @ f)) < 1e-10


# ---------------------------------------------------------------- the tables and the reformulation


def _tables(teacher, width, seed, p=None, events=None):
    X = all_inputs(teacher.length)
    p = torch.tensor(random_distribution(len(X), seed=seed)) if p is None else p
    z = teacher.events(X) if events is None else events
    top = int(z[-1].max()) + 1
    net = TreeNet(2, teacher.length, [width] * (teacher.levels - 1) + [top], [2] * teacher.levels, seed=seed)
    Y = torch.nn.functional.one_hot(torch.as_tensor(z[-1][:, 0]), top).double().unsqueeze(-1)
    return net, X, p, z, Y, pj.marginal_tables(net, one_hot(X), Y, z, p)


def _theorem4(tab, net):
    # Theorem 4 through the whole net: bottom F = I, top G = I - F, measured gates; returns Delta W per edge
    L = len(net.layers)
    F = []
    for l in range(L):
        kids = lambda t: list(net.layers[l].receptive_field(t))
        F.append(
            [
                pj.reformulated_forward(
                    [tab.edges[l, t, s].P for s in kids(t)],
                    [torch.eye(2) if l == 0 else F[l - 1][s] for s in kids(t)],
                    [tab.W[l, t, s] for s in kids(t)],
                    tab.D[l][t],
                )
                for t in range(net.layers[l].out_length)
            ]
        )
    G = [None] * L
    G[-1] = [torch.eye(F[-1][0].shape[0]) - F[-1][0]]
    for l in range(L - 2, -1, -1):
        G[l] = []
        for s in range(net.layers[l].out_length):
            ts = [t for t in range(net.layers[l + 1].out_length) if s in net.layers[l + 1].receptive_field(t)]
            G[l].append(
                pj.reformulated_backward(
                    [tab.edges[l + 1, t, s].Pb for t in ts],
                    [G[l + 1][t] for t in ts],
                    [tab.W[l + 1, t, s] for t in ts],
                    tab.D[l][s],
                )
            )
    return {
        (l, t, s): pj.weight_update(e.P, torch.eye(2) if l == 0 else F[l - 1][s], e.lam_parent, G[l][t])
        for (l, t, s), e in tab.edges.items()
    }


def _autograd_dW(net, X, Y, p):
    out = net(one_hot(X))
    loss = (p.reshape(-1, 1, 1) * 0.5 * (Y - out) ** 2).sum()
    grads = torch.autograd.grad(loss, [lay.weight for lay in net.layers])
    dW = {}
    for l, lay in enumerate(net.layers):
        for t in range(lay.out_length):
            for i, s in enumerate(lay.receptive_field(t)):
                dW[l, t, s] = -grads[l][t][:, i :: lay.kernel_size].T
    return dW


@given(st.integers(0, 10_000), st.integers(1, 3), st.sampled_from([4, 8]))
def test_theorem4_weight_update_equals_autograd_for_injective_teachers(seed, width, length):
    teacher = ladder(length, [None] * (2 if length == 4 else 3), seed=seed)
    net, X, p, z, Y, tab = _tables(teacher, width, seed)
    dW, ref = _theorem4(tab, net), _autograd_dW(net, X, Y, p)
    assert all(close(dW[k], ref[k]) for k in ref)


@given(st.integers(0, 10_000))
def test_theorem2_local_equations_hold_for_an_injective_teacher(seed):
    # three levels: the backward pass of a middle layer reads the layer above (two levels cannot tell l+1 from l-1)
    net, X, p, z, Y, tab = _tables(ladder(8, [None, None, None], seed=seed), 2, seed)
    for l in range(3):
        for t in range(len(tab.F[l])):
            kids = list(net.layers[l].receptive_field(t))
            Fc = [torch.eye(2) if l == 0 else tab.F[l - 1][s] for s in kids]
            rhs = pj.reformulated_forward(
                [tab.edges[l, t, s].P for s in kids], Fc, [tab.W[l, t, s] for s in kids], tab.D[l][t]
            )
            assert close(rhs, tab.F[l][t])
    for s in range(len(tab.G[1])):
        t = s // 2
        rhs = pj.reformulated_backward([tab.edges[2, t, s].Pb], [tab.G[2][t]], [tab.W[2, t, s]], tab.D[1][s])
        assert close(rhs, tab.G[1][s])


def test_tables_are_group_means_and_allow_a_merged_region():
    # one region of level 2 with a pair of events merged: that position has one event fewer than its sibling
    teacher = ladder(8, [None, None, 3], seed=2)
    X = all_inputs(8)
    z = teacher.events(X)
    z[2] = z[2].copy()
    z[2][:, 0] = np.where(z[2][:, 0] == 15, 0, z[2][:, 0])
    net, X, p, z, Y, tab = _tables(teacher, 2, 2, events=z)
    assert tab.m[2] == [15, 16] and tab.F[1][0].shape == (15, 2)
    post = net.trace(one_hot(X), None)[1]["post"][:, :, 0]
    for a in (0, 7):
        sel = torch.as_tensor(z[2][:, 0] == a)
        assert close(tab.F[1][0][a], (p[sel, None] * post[sel]).sum(0) / p[sel].sum())


def test_conditions_hold_for_injective_and_broadness_fails_for_lossy():
    X = all_inputs(4)
    p = torch.tensor(random_distribution(len(X), seed=1))
    for events, broad in (([None, None], False), ([None, 3], True)):
        teacher = ladder(4, events, seed=1)
        net, X, p, z, Y, tab = _tables(teacher, 2, 1, p=p)
        c = pj.conditions(tab, X, z, p)
        assert max(c.focus.values()) < 1e-12 and (max(c.broadness.values()) > 0.1) == broad
        if not broad:
            assert max(c.decor_fwd.values()) < 1e-12 and max(c.decor_bwd.values()) < 1e-12


def test_reformulated_forward_with_the_relu_gate_is_the_relu():
    raw_P, F, W = torch.eye(2), torch.tensor([[0.5, -1.0], [2.0, 0.25]]), torch.eye(2)
    assert torch.equal(pj.reformulated_forward([raw_P], [F], [W], D="relu"), torch.relu(F))


def test_reformulated_forward_adds_the_bias():
    P, F, W, b = torch.eye(2), torch.tensor([[1.0, -2.0], [0.5, 3.0]]), torch.eye(2), torch.tensor([[0.25, -0.5]])
    assert torch.equal(pj.reformulated_forward([P], [F], [W], bias=b), F + b)


def test_independence_gap_against_its_definition():
    rng = np.random.default_rng(0)
    fine = rng.integers(0, 6, 200)
    coarse, code = fine // 2, rng.integers(0, 3, 200)
    w = torch.tensor(rng.random(200))
    ref = 0.0
    for f in range(6):

        def law(sel):
            h = np.array([w.numpy()[sel & (code == c)].sum() for c in range(3)])
            return h / h.sum()

        ref = max(ref, 0.5 * np.abs(law(fine == f) - law(coarse == f // 2)).sum())
    assert abs(pj.independence_gap(code, fine, coarse, w) - ref) < 1e-12
    assert pj.independence_gap(code, fine, fine, w) == 0.0  # coarse = fine: nothing to learn


def test_independence_gap_uses_the_sample_weights():
    # code independent of fine given coarse only under the weights: brute-force total variation
    code, fine, coarse = [0, 1, 0, 1], [0, 0, 1, 1], [0, 0, 0, 0]
    w = torch.tensor([0.1, 0.3, 0.2, 0.4])
    # P(code | coarse) = (0.3, 0.7); P(code | fine=0) = (0.25, 0.75); P(code | fine=1) = (1/3, 2/3)
    ref = max(0.5 * (abs(0.25 - 0.3) + abs(0.75 - 0.7)), 0.5 * (abs(1 / 3 - 0.3) + abs(2 / 3 - 0.7)))
    assert abs(pj.independence_gap(code, fine, coarse, w) - ref) <= 1e-12


def test_conditional_covariance_against_brute_force():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(12, 3, generator=g), torch.randn(12, 3, generator=g)
    z = [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2]
    w = torch.rand(12, generator=g) + 0.1
    C = pj.conditional_covariance(a, b, z, w, 3)
    for e in range(3):
        idx = [i for i in range(12) if z[i] == e]
        we = w[idx] / w[idx].sum()
        ea, eb = (we[:, None] * a[idx]).sum(0), (we[:, None] * b[idx]).sum(0)
        ref = (we[:, None] * (a[idx] - ea) * (b[idx] - eb)).sum(0)
        assert close(C[e], ref)


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
    e = pj.event_statistics(zp, zc, w, 3, 4)
    assert close(e.P.sum(1), torch.ones(3)) and close(e.Pb.sum(0), torch.ones(4))
    # Bayes: P^b = Lambda_a P Lambda_b^-1
    assert close(e.Pb, torch.diag(e.lam_parent) @ e.P @ torch.diag(1 / e.lam_child))


def test_conditional_mean_of_one_sample_is_that_sample():
    assert torch.equal(
        pj.conditional_mean(torch.tensor([[2.0, 3.0]]), [0], torch.ones(1), 1), torch.tensor([[2.0, 3.0]])
    )


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


@pytest.mark.parametrize("widths", [[3, 2, 2, 2], [3, 2, 2, 2, 2]])  # 4 layers: the top map multiplies 2 layers down
def test_beta_coefficients_are_gated_path_sums(widths):
    stu, tea = mlp(widths, bias=False, seed=5), mlp(widths, bias=False, seed=6)
    Ws = [m.weight.detach() for m in stu if isinstance(m, torch.nn.Linear)]
    Wt = [m.weight.detach() for m in tea if isinstance(m, torch.nn.Linear)]
    for x in torch.randn(5, 3, generator=torch.Generator().manual_seed(1)):
        Ds, Dt, hs, ht = [], [], x, x
        for a, b in zip(Ws[:-1], Wt[:-1]):
            hs, ht = torch.relu(a @ hs), torch.relu(b @ ht)
            Ds.append((hs > 0).double())
            Dt.append((ht > 0).double())
        for layer in range(1, len(Ws)):
            out = pj.beta_expansion(Ws, Wt, x, layer)
            for j, jp in itertools.product(range(2), range(2)):
                a = sum(_path_sum(Ws, Ds, layer, j, o) * _path_sum(Wt, Dt, layer, jp, o) for o in range(2))
                b = sum(_path_sum(Ws, Ds, layer, j, o) * _path_sum(Ws, Ds, layer, jp, o) for o in range(2))
                assert abs(a - out["A"][j, jp].item()) < 1e-12 and abs(b - out["B"][j, jp].item()) < 1e-12


def test_beta_expansion_gate_is_closed_at_zero_preactivation():
    # integer weights and input: the first hidden unit's pre-activation is exactly 0, and ReLU'(0) = 0 here
    W1 = torch.tensor([[1.0, -1.0], [1.0, 1.0]])
    W2 = torch.tensor([[1.0, 2.0]])
    x = torch.tensor([1.0, 1.0])
    out = pj.beta_expansion([W1, W2], [W1, W2], x, 1)
    assert out["D"].tolist() == [0.0, 1.0]


def test_beta_expansion_returns_every_named_quantity():
    Ws = [torch.randn(3, 2, generator=torch.Generator().manual_seed(0)), torch.ones(1, 3)]
    out = pj.beta_expansion(Ws, Ws, torch.ones(2), 1)
    assert set(out) == {"g", "A", "B", "V", "V_star", "f", "f_star", "D"}


# ---------------------------------------------------------------- vertices, separation, tensor products


def test_vertices_and_separation():
    square = np.array([[0, 0], [1, 0], [0, 1], [1, 1], [0.5, 0.5]])
    assert pj.vertices(square).tolist() == [True, True, True, True, False]
    W, b, ok = pj.separating_weights(square[:4])
    raw = square[:4] @ W + b
    assert ok.all() and np.allclose(np.diag(raw), 1, atol=1e-12) and (raw[~np.eye(4, dtype=bool)] <= -1 + 1e-7).all()
    _, _, ok = pj.separating_weights(square)
    assert ok.tolist() == [True, True, True, True, False]


def test_vertices_of_points_on_a_line_and_of_a_tensor_with_grad():
    assert pj.vertices(np.array([[0.0], [2.0], [1.0], [-1.0]])).tolist() == [False, True, False, True]
    P = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.25, 0.25]], requires_grad=True)
    assert pj.vertices(P).tolist() == [True, True, True, False]


def test_disentanglement_residual():
    v = pj.kron(torch.ones(2), torch.tensor([1.0, 2.0, 3.0]))
    assert pj.disentanglement_residual(v, (2, 3), 1) == 0.0
    assert pj.disentanglement_residual(v, (2, 3), 0) > 0.5


def test_disentanglement_residual_accepts_a_factor_of_size_one():
    v = torch.tensor([1.0, 2.0, 3.0])
    assert pj.disentanglement_residual(v, (1, 3), 1) == 0.0
    assert pj.disentanglement_residual(v, (1, 3), 0) == 1.0


# ---------------------------------------------------------------- edge cases: the top layer, near-constant batches,
# a single factor, ternary inputs, the backward gradient, float event codes


def test_beta_expansion_top_maps_carry_the_layer_to_the_output():
    # bias-free ReLU nets: V_l(x) f_l(x) = f_L(x) for the student and V*_l(x) f*_l(x) = f*_L(x) for the teacher
    g = torch.Generator().manual_seed(0)
    Ws = [torch.randn(4, 3, generator=g), torch.randn(4, 4, generator=g), torch.randn(2, 4, generator=g)]
    Wt = [torch.randn(5, 3, generator=g), torch.randn(4, 5, generator=g), torch.randn(2, 4, generator=g)]
    x = torch.randn(3, generator=g)

    def forward(W):
        return W[2] @ torch.relu(W[1] @ torch.relu(W[0] @ x))

    for layer in (1, 2):
        out = pj.beta_expansion(Ws, Wt, x, layer)
        assert close(out.V @ out.f, forward(Ws)) and close(out.V_star @ out.f_star, forward(Wt))


def test_bn_at_eps_zero_treats_a_relative_spread_below_1e_14_as_constant():
    # biased std of [1, 1 + 1.5e-14] is 0.75e-14 of the scale (undefined BN); the unbiased one would be 1.06e-14
    with pytest.raises(ValueError, match="constant"):
        pj.bn_backward(torch.tensor([1.0, 1.0 + 1.5e-14]), torch.ones(2))
    pj.bn_backward(torch.tensor([1.0, 1.0 + 3e-14]), torch.ones(2))  # 1.5e-14: accepted


def test_disentanglement_residual_of_a_single_factor_is_zero():
    assert pj.disentanglement_residual(torch.tensor([1.0, 5.0, -2.0]), (3,), 0) == 0.0


def test_conditions_on_a_ternary_ladder():
    # values = 3: inputs in {0, 1, 2}; injective level 1, lossy top: focus holds, broadness fails only at the top
    t = ladder(4, [None, 2], values=3, seed=0)
    X = all_inputs(4, values=3)
    z, p = t.events(X), torch.tensor(random_distribution(len(X), seed=0))
    net = TreeNet(3, 4, [2, 2], [2, 2], seed=0)
    Y = torch.nn.functional.one_hot(torch.as_tensor(z[-1][:, 0]), 2).double().unsqueeze(-1)
    c = pj.conditions(pj.marginal_tables(net, one_hot(X, 3), Y, z, p), X, z, p, values=3)
    assert max(c.focus.values()) < 1e-12 and max(v for (l, _, _), v in c.broadness.items() if l == 0) < 1e-12
    assert min(v for (l, _, _), v in c.broadness.items() if l == 1) > 0.5


@pytest.mark.parametrize("length, events", [(4, [2, 2]), (8, [2, 2, 2])])  # 8: a middle layer has a parent too
def test_backward_decorrelation_uses_the_gradient_at_each_node_by_autograd(length, events):
    # Cov(f', g_raw | z) with g_raw = -d loss / d post-activation of the node, from autograd
    net, X, p, z, Y, tab = _tables(ladder(length, events, seed=1), 2, 1)
    c = pj.conditions(tab, X, z, p)
    out = net._run(one_hot(X))
    hidden = [d["post"] for d in out[:-1]]
    g_posts = torch.autograd.grad(0.5 * ((Y - out[-1]["post"]) ** 2).sum(), hidden)
    for l, g_post in enumerate(g_posts):
        for t in range(g_post.shape[2]):
            gate = out[l]["gate"][:, :, t].detach()
            ref = pj.conditional_covariance(gate, -g_post[:, :, t], z[l + 1][:, t], p, tab.m[l + 1][t])
            assert abs(c.decor_bwd[l, t] - float(ref.abs().max())) <= 1e-12
    assert max(c.decor_bwd.values()) > 1e-2


def test_event_codes_may_be_a_float_tensor_that_requires_grad():
    code = torch.tensor([0.0, 1.0, 0.0, 1.0], requires_grad=True)
    assert pj.independence_gap(code, [0, 0, 1, 1], [0, 0, 0, 0], torch.ones(4)) == 0.0
