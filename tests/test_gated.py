"""Deep gated networks: each identity against an independent reference (the ReLU net, enumeration, closed form,
finite differences), in float64."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from relulab import paths
from relulab.nets import mlp
from relulab.nets.gated import DeepGatedNet, from_relu, gated_variant
from relulab.paths.gated import (
    bernoulli_weights,
    dgn_npk,
    feature_ntk,
    ntk_npk_constant,
    ntk_split,
    value_ntk,
    value_ntk_from_gates,
)

# Exact identities up to float64 rounding of short sums of products: 1e-10 relative (see tests/test_paths.py).
REL = 1e-10
shapes = st.tuples(st.integers(1, 4), st.integers(1, 4), st.integers(1, 3), st.integers(0, 10_000))


def close(a, b, rel=REL):
    return (a - b).abs().max().item() <= rel * max(1.0, b.abs().max().item())


def weights(net):
    return [m.weight.detach() for m in net if isinstance(m, nn.Linear)]


@given(shapes, st.booleans())
def test_hard_gates_copied_from_relu_net_give_that_net(shape, bias):
    d_in, w, k, seed = shape
    net = mlp([d_in] + [w] * k + [3], bias=bias, seed=seed)
    X = torch.randn(11, d_in, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        assert close(from_relu(net)(X), net(X))
        # FRNPF-DI at step 0 is the ReLU net with the value net's initial weights
        di = gated_variant("frnpf-di", [d_in] + [w] * k + [3], seed=seed, bias=bias)
        assert close(di(X), di.value(X))


@given(shapes)
def test_dgn_npk_equals_gram_of_enumerated_features(shape):
    d_in, w, k, seed = shape
    feature = mlp([d_in] + [w] * k + [1], bias=False, seed=seed)
    dgn = DeepGatedNet(feature, mlp([d_in] + [w] * k + [1], bias=False, seed=seed + 7))
    X = torch.randn(6, d_in, generator=torch.Generator().manual_seed(seed + 1))
    Phi = paths.npf(feature, X)  # the NPF of a DGN is that of its feature net, whatever the values
    assert close(dgn_npk(dgn, X), Phi @ Phi.T)
    # and the output is <phi, v> with v the value net's path values
    with torch.no_grad():
        assert close(dgn(X), Phi @ paths.npv(dgn.value))


@settings(max_examples=30, deadline=None)
@given(shapes, st.sampled_from(["hard", "soft"]))
def test_value_ntk_closed_form_equals_autograd(shape, gate):
    d_in, w, k, seed = shape
    dgn = DeepGatedNet(
        mlp([d_in] + [w] * k + [1], bias=False, seed=seed),
        mlp([d_in] + [w] * k + [1], bias=False, seed=seed + 3),
        gate=gate,
    )
    g = torch.Generator().manual_seed(seed)
    X1, X2 = torch.randn(5, d_in, generator=g), torch.randn(4, d_in, generator=g)
    with torch.no_grad():
        G1, G2 = dgn.gates(X1), dgn.gates(X2)
    K = value_ntk_from_gates(weights(dgn.value), X1, G1, X2, G2)
    assert close(K, value_ntk(dgn, X1, X2))


def test_value_ntk_closed_form_batches_draws():
    gen = torch.Generator().manual_seed(0)
    Ws = bernoulli_weights([3, 4, 4, 1], [0.5, 0.7, 0.9], 5, seed=0)
    feature = mlp([3, 4, 4, 1], bias=False, seed=1)
    X = torch.randn(6, 3, generator=gen)
    G = paths.gates(feature, X)
    K = value_ntk_from_gates(Ws, X, G)
    for m in range(5):
        assert close(K[m], value_ntk_from_gates([W[m] for W in Ws], X, G))
    assert set(Ws[1].abs().unique().tolist()) == {0.7}


def finite_difference_kernel(model, params, X, h=1e-6):
    """<df(x)/dtheta, df(x')/dtheta> over `params` by central differences (no autograd)."""
    cols = []
    for p in params:
        flat = p.data.view(-1)
        for i in range(flat.numel()):
            old = flat[i].item()
            with torch.no_grad():
                flat[i] = old + h
                up = model(X)[:, 0].clone()
                flat[i] = old - h
                down = model(X)[:, 0].clone()
                flat[i] = old
            cols.append((up - down) / (2 * h))
    J = torch.stack(cols, dim=1)
    return J @ J.T


def test_soft_gate_ntk_splits_into_value_and_feature_parts():
    dgn = DeepGatedNet(
        mlp([3, 4, 4, 1], bias=True, seed=0), mlp([3, 4, 4, 1], bias=True, seed=1), gate="soft", beta=2.0
    )
    X = torch.randn(5, 3, generator=torch.Generator().manual_seed(2))
    Kf = feature_ntk(dgn, X)
    Kv = value_ntk(dgn, X)
    ref_f = finite_difference_kernel(dgn, list(dgn.feature.parameters()), X)
    ref_v = finite_difference_kernel(dgn, list(dgn.value.parameters()), X)
    assert (Kf - ref_f).abs().max() < 1e-6 * max(1.0, ref_f.abs().max().item())
    assert (Kv - ref_v).abs().max() < 1e-6 * max(1.0, ref_v.abs().max().item())
    assert close(paths.ntk(dgn, X), Kv + Kf)
    assert Kf.abs().max() > 1e-3  # soft gates: the feature part is really there
    hard = DeepGatedNet(dgn.feature, dgn.value, gate="hard")
    assert feature_ntk(hard, X).abs().max() == 0


@settings(max_examples=30, deadline=None)
@given(shapes, st.sampled_from(["hard", "soft"]), st.booleans(), st.floats(0.25, 8.0))
def test_ntk_split_equals_autograd_on_each_part(shape, gate, bias, beta):
    # closed form (one forward and one backward pass per input) against autograd Jacobians, part by part
    d_in, w, k, seed = shape
    sizes = [d_in] + [w] * k + [2]
    dgn = DeepGatedNet(mlp(sizes, bias=bias, seed=seed), mlp(sizes, bias=bias, seed=seed + 3), gate=gate, beta=beta)
    g = torch.Generator().manual_seed(seed)
    X1, X2 = torch.randn(5, d_in, generator=g), torch.randn(4, d_in, generator=g)
    for o in (0, 1, -1):
        split = ntk_split(dgn, X1, X2, output=o)
        assert close(split.value, value_ntk(dgn, X1, X2, output=o))
        assert close(split.feature, feature_ntk(dgn, X1, X2, output=o))
        assert close(split.total, paths.ntk(dgn, X1, X2, output=o))
    if gate == "hard":
        assert ntk_split(dgn, X1, output=0).feature.abs().max() == 0


def test_ntk_split_feature_part_against_finite_differences():
    # independent of autograd: central differences along each feature parameter
    dgn = DeepGatedNet(
        mlp([3, 4, 4, 1], bias=True, seed=5), mlp([3, 4, 4, 1], bias=True, seed=6), gate="soft", beta=1.5
    )
    X = torch.randn(4, 3, generator=torch.Generator().manual_seed(3))
    split = ntk_split(dgn, X)
    ref = finite_difference_kernel(dgn, list(dgn.feature.parameters()), X)
    assert (split.feature - ref).abs().max() < 1e-6 * max(1.0, ref.abs().max().item())
    assert split.feature.abs().max() > 1e-3  # the part is really there


def test_ntk_split_feature_part_vanishes_as_gates_harden():
    f, v = mlp([3, 6, 6, 1], bias=False, seed=0), mlp([3, 6, 6, 1], bias=False, seed=1)
    X = torch.randn(8, 3, generator=torch.Generator().manual_seed(1))
    ratios = []
    for beta in (1e2, 1e3, 1e4):
        split = ntk_split(DeepGatedNet(f, v, gate="soft", beta=beta), X)
        ratios.append((split.feature.norm() / split.value.norm()).item())
    assert ratios[0] > ratios[1] > ratios[2] and ratios[2] < 1e-12


def test_soft_gates_tend_to_hard_gates_as_beta_grows():
    f, v = mlp([3, 5, 1], bias=False, seed=0), mlp([3, 5, 1], bias=False, seed=1)
    X = torch.randn(20, 3, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        hard = DeepGatedNet(f, v)(X)
        errs = [(DeepGatedNet(f, v, gate="soft", beta=b, eps=0.0)(X) - hard).abs().max().item() for b in (1, 100, 1e4)]
    assert errs[0] > errs[1] > errs[2]


def test_ntk_npk_constant():
    assert ntk_npk_constant([0.7] * 4) == pytest.approx(4 * 0.7**6, rel=1e-14)
    assert ntk_npk_constant([1.0, 2.0]) == pytest.approx(4.0 + 1.0, rel=1e-14)


def test_variants_freeze_the_right_parts():
    w = [4, 5, 5, 3]
    trained = mlp(w, seed=9)
    for kind in ("frnpf-ii", "frnpf-di", "flnpf"):
        dgn = gated_variant(kind, w, seed=0, trained=trained if kind == "flnpf" else None)
        assert dgn.gate == "hard"
        assert not any(p.requires_grad for p in dgn.feature.parameters())
        assert all(p.requires_grad for p in dgn.value.parameters())
    dl = gated_variant("dlnpf", w, seed=0)
    assert dl.gate == "soft" and all(p.requires_grad for p in dl.parameters())
    fl = gated_variant("flnpf", w, seed=0, trained=trained)
    assert fl.feature is not trained and torch.equal(fl.feature[0].weight, trained[0].weight)


# --- the batched stack used by the experiments --------------------------------------------------------------------


def test_stack_members_equal_their_modules_and_train_independently():
    from relulab.nets.gated_stack import GatedStack, train_stack
    from relulab.train import train

    w = [4, 5, 5, 3]
    g = torch.Generator().manual_seed(0)
    X, y = torch.randn(40, 4, generator=g), torch.randint(0, 3, (40,), generator=g)
    values = [mlp(w, seed=1), mlp(w, seed=2), mlp(w, seed=3)]
    features = [None, mlp(w, seed=4), mlp(w, seed=5)]
    stack = GatedStack(["relu", "hard", "soft"], values, features, [False, False, True])
    with torch.no_grad():
        out = stack(X)
        assert close(out[0], values[0](X))
        assert close(out[1], DeepGatedNet(features[1], values[1])(X))
        assert close(out[2], DeepGatedNet(features[2], values[2], gate="soft")(X))
    # full-batch Adam: the stack's members follow exactly the trajectories of separate training runs
    train_stack(stack, X, y.expand(3, -1).clone(), epochs=5, lr=1e-2, batch_size=40, seed=0)
    alone = [values[0], DeepGatedNet(features[1], values[1]), DeepGatedNet(features[2], values[2], gate="soft")]
    for m, net in enumerate(alone):
        ps = [p for n, p in net.named_parameters() if not (m == 1 and n.startswith("feature"))]
        train(net, X, y, epochs=5, lr=1e-2, batch_size=40, params=ps, progress=False)
        with torch.no_grad():
            assert (stack.member(m)(X) - net(X)).abs().max() < 1e-10
    # the frozen feature net of member 1 did not move
    assert torch.equal(stack.member(1).feature[0].weight, features[1][0].weight)


def test_feature_labels_train_the_gates_on_other_labels_than_the_values():
    from relulab.nets.gated_stack import GatedStack, train_stack

    w = [4, 5, 5, 3]
    g = torch.Generator().manual_seed(2)
    X, y = torch.randn(24, 4, generator=g), torch.randint(0, 3, (24,), generator=g)
    y_shuf = y[torch.randperm(24, generator=g)]
    make = lambda: GatedStack(["soft", "relu"], [mlp(w, seed=1), mlp(w, seed=2)], [mlp(w, seed=3), None], [True, False])
    # the reference, by autograd on a lone DLNPF: one full-batch SGD step, value grads from the true labels and
    # feature grads from the shuffled ones
    net = DeepGatedNet(mlp(w, seed=3), mlp(w, seed=1), gate="soft")
    ce = nn.functional.cross_entropy
    vp, fp = list(net.value.parameters()), [q for q in net.feature.parameters()]
    gv = torch.autograd.grad(ce(net(X), y), vp)
    gf = torch.autograd.grad(ce(net(X), y_shuf), fp, allow_unused=True)
    with torch.no_grad():
        for q, gq in zip(vp + fp, gv + gf):
            if gq is not None:
                q -= 0.1 * gq
    stack = make()
    Y, Yf = torch.stack([y, y]), torch.stack([y_shuf, y_shuf])
    train_stack(stack, X, Y, epochs=1, lr=0.1, batch_size=24, optimizer="sgd", feature_labels=Yf)
    # the ReLU member has no feature net: its labels stay Y
    alone = mlp(w, seed=2)
    ga = torch.autograd.grad(ce(alone(X), y), list(alone.parameters()))
    with torch.no_grad():
        for q, gq in zip(alone.parameters(), ga):
            q -= 0.1 * gq
        assert (stack.member(0)(X) - net(X)).abs().max() < 1e-12
        assert (stack.member(1)(X) - alone(X)).abs().max() < 1e-12
    # a near miss: the same step with the feature nets on the true labels moves the gates elsewhere
    same = make()
    train_stack(same, X, Y, epochs=1, lr=0.1, batch_size=24, optimizer="sgd")
    with torch.no_grad():
        assert (same.member(0)(X) - net(X)).abs().max() > 1e-6
    # feature_labels equal to Y: exactly the ordinary run (Adam, several batches)
    a, b = make(), make()
    train_stack(a, X, Y, epochs=3, lr=1e-2, batch_size=8)
    train_stack(b, X, Y, epochs=3, lr=1e-2, batch_size=8, feature_labels=Y.clone())
    with torch.no_grad():
        assert (a(X) - b(X)).abs().max() < 1e-12


def test_stack_frozen_gates_cache_and_step_callback():
    from relulab.nets.gated_stack import GatedStack, train_stack

    w = [4, 6, 5, 3]
    g = torch.Generator().manual_seed(1)
    X, y = torch.randn(30, 4, generator=g), torch.randint(0, 3, (30,), generator=g)
    values = [mlp(w, seed=s) for s in (1, 2, 3, 4)]
    features = [None, mlp(w, seed=5), mlp(w, seed=6), mlp(w, seed=7)]
    stack = GatedStack(["relu", "hard", "soft", "soft"], values, features, [False, False, False, True])
    # only the trained feature net is a parameter: frozen ones cost the optimiser nothing
    assert stack.frozen_idx == [1, 2] and stack.trained_idx == [3]
    assert sum(p.numel() for p in stack.parameters()) == sum(p.numel() for v in values for p in v.parameters()) + sum(
        m.weight.numel() + m.bias.numel() for m in list(features[3])[:-1] if isinstance(m, nn.Linear)
    )
    cache = stack.frozen_gates(X)
    # the cache holds each frozen member's own gates: 0/1 from its feature net, or (1+eps) sigmoid(beta q)
    hard_ref = paths.gates(features[1], X)
    soft_ref = [
        (1.1 * torch.sigmoid(4.0 * q))
        for q in DeepGatedNet(features[2], values[2], gate="soft").feature_preactivations(X)
    ]
    for l, c in enumerate(cache):
        assert close(c[0].to(X.dtype), hard_ref[l]) and close(c[1], soft_ref[l])
    with torch.no_grad():
        assert close(stack(X, frozen_gates=cache), stack(X))
    steps = []
    train_stack(stack, X, y.expand(4, -1).clone(), epochs=2, batch_size=8, on_step=lambda k, s: steps.append(k))
    assert steps == list(range(1, 9))  # 2 epochs x ceil(30 / 8) batches, counted from 1


def test_stack_all_relu_has_no_feature_nets():
    from relulab.nets.gated_stack import GatedStack

    v = [mlp([3, 4, 4, 2], seed=s, bias=False) for s in (0, 1)]
    stack = GatedStack(["relu", "relu"], v, [None, None], [False, False])
    assert len(stack.Wf) == 0 and stack.frozen_gates(torch.randn(5, 3)) == []
    X = torch.randn(7, 3)
    with torch.no_grad():
        assert close(stack(X)[1], v[1](X))
        assert isinstance(stack.member(0), nn.Sequential)


def _small_stack(seed=0):
    from relulab.nets.gated_stack import GatedStack

    w = [4, 6, 5, 3]
    values = [mlp(w, seed=seed + s) for s in (1, 2, 3)]
    features = [None, mlp(w, seed=seed + 4), mlp(w, seed=seed + 5)]
    return GatedStack(["relu", "hard", "soft"], values, features, [False, False, True])


def test_stack_training_moves_the_stack_there_and_back_even_when_a_callback_raises():
    from relulab.nets.gated_stack import train_stack

    g = torch.Generator().manual_seed(3)
    X, y = torch.randn(30, 4, generator=g), torch.randint(0, 3, (30,), generator=g)
    stack, moves = _small_stack(), []
    to = stack.to
    stack.to = lambda d: moves.append(torch.device(d)) or to(d)  # a spy on the moves

    def stop(epoch, s):
        raise KeyError("stop")

    with pytest.raises(KeyError):
        train_stack(stack, X, y.expand(3, -1).clone(), epochs=2, device="cpu", on_epoch=stop)
    assert moves == [torch.device("cpu"), torch.device("cpu")]  # to the device, then home


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_a_gated_stack_trained_on_cuda_follows_the_cpu_run():
    from relulab.nets.gated_stack import train_stack

    g = torch.Generator().manual_seed(3)
    X, y = torch.randn(30, 4, generator=g), torch.randint(0, 3, (30,), generator=g)
    kw = dict(epochs=3, batch_size=8, seed=1, lr=1e-2)
    a, b = _small_stack(), _small_stack()
    seen = []
    def where(epoch, stack):
        seen.append(stack.Wv[0].device.type)

    train_stack(a, X, y.expand(3, -1).clone(), device="cuda", on_epoch=where, **kw)
    train_stack(b, X, y.expand(3, -1).clone(), **kw)
    assert seen == ["cuda"] * 3 and a.Wv[0].device.type == "cpu"  # trained there, moved back
    for m in range(3):
        member = a.member(m)
        assert next(member.parameters()).device.type == "cpu"
        with torch.no_grad():
            assert (member(X) - b.member(m)(X)).abs().max() < 1e-8


def test_value_ntk_from_gates_keeps_float32_inputs_in_float32():
    # the test suite's default dtype is float64: float32 weights and inputs must not be mixed with it
    dgn = DeepGatedNet(mlp([3, 4, 4, 1], bias=False, seed=0), mlp([3, 4, 4, 1], bias=False, seed=1))
    X = torch.randn(5, 3, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        G = dgn.gates(X)
    K64 = value_ntk_from_gates(weights(dgn.value), X, G)
    K32 = value_ntk_from_gates([W.float() for W in weights(dgn.value)], X.float(), [g.float() for g in G])
    assert K32.dtype == torch.float32 and close(K32.double(), K64, rel=1e-5)


def test_ntk_split_takes_relu_slope_zero_at_a_zero_feature_preactivation():
    # a feature unit with zero weights and no bias sits exactly at q = 0: autograd (relu'(0) = 0) is the reference
    feature = mlp([3, 4, 4, 1], bias=False, seed=1)
    with torch.no_grad():
        feature[0].weight[0] = 0.0
    dgn = DeepGatedNet(feature, mlp([3, 4, 4, 1], bias=False, seed=0), gate="soft", beta=2.0)
    X = torch.randn(5, 3, generator=torch.Generator().manual_seed(2))
    split = ntk_split(dgn, X)
    assert close(split.feature, feature_ntk(dgn, X)) and close(split.value, value_ntk(dgn, X))


def test_train_stack_evals_record_each_members_accuracy_after_each_epoch():
    from relulab.nets.gated_stack import GatedStack, train_stack

    w = [4, 5, 3]
    g = torch.Generator().manual_seed(3)
    X, y = torch.randn(24, 4, generator=g), torch.randint(0, 3, (24,), generator=g)
    Xe, ye = torch.randn(10, 4, generator=g), torch.randint(0, 3, (10,), generator=g)
    stack = GatedStack(["relu", "hard"], [mlp(w, seed=1), mlp(w, seed=2)], [None, mlp(w, seed=3)], [False, True])
    seen = []

    def on_epoch(epoch, s):
        with torch.no_grad():
            seen.append((s(Xe).argmax(-1) == ye).double().mean(1))

    hist = train_stack(stack, X, torch.stack([y, y]), epochs=2, lr=1e-2, batch_size=8, evals={"val": (Xe, ye)},
                       on_epoch=on_epoch)
    assert hist["val"].shape == (2, 2)
    assert torch.allclose(hist["val"].double(), torch.stack(seen), atol=1e-6)
