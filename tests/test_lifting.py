"""Path-norms by one forward pass against explicit enumeration and against the authors' code, on models written the
way users write them; the tiled pass against the plain one; rescaling invariance; path-metrics; support reports."""

import copy
import functools
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
import torch.nn.functional as F

from relulab.nets import classic, mlp
from relulab.nets.dag import randomize_batchnorm, resnet18
from relulab.paths import abs_pass, enumeration, graph
from relulab.paths import dag as D
from relulab.paths import tiles
from relulab.paths.lifting import (
    check_supported,
    global_prune,
    lifted_output,
    magnitude_scores,
    path_magnitude_scores,
    path_metric,
    path_metric_bound,
    path_norm,
    random_rescaling,
    support_report,
)
from test_dag import NETS
from user_models import AUTHORS_OK, USER_NETS, Block, TinyResNet, _bn

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import authors  # noqa: E402  (bench/authors.py: loads the authors' pathnorm.py from outside the repository)

# Sums of <= 1e6 nonnegative products: float64 relative rounding < 1e-12; 1e-10 relative leaves margin.
REL = 1e-10


def _close(a: torch.Tensor, b: torch.Tensor) -> bool:
    return (a - b).abs().max().item() <= REL * max(1.0, b.abs().max().item())


@functools.lru_cache(maxsize=None)
def _net(name: str):
    """NETS[name](), built once (some builders draw unseeded weights): tests read it and never change it."""
    return NETS[name]()


@functools.lru_cache(maxsize=None)
def _phi(name: str) -> np.ndarray:
    model, shape = _net(name)
    return D.phi(model, shape, max_paths=400_000)


@pytest.mark.parametrize("name", sorted(NETS))
@pytest.mark.parametrize("q", [1, 2, 4])
def test_path_norm_equals_enumeration(name, q):
    model, shape = _net(name)
    ref = np.sum(np.abs(_phi(name)) ** q) ** (1 / q)
    assert abs(path_norm(model, shape, q) - ref) <= REL * ref


@pytest.mark.parametrize("name", ["mlp", "vgg", "custom-resnet", "inception", "grouped"])
def test_lifted_output_sums_paths_per_output(name):
    model, shape = NETS[name]()
    P = D.enumerate_paths(D.to_dag(model, shape), max_paths=400_000)
    ref = np.bincount(P.output, weights=np.abs(P.phi) ** 2)
    got = lifted_output(model, shape, 2).reshape(-1).numpy()
    assert np.abs(got - ref).max() <= REL * ref.max()


def test_max_pools_kept_as_max_miss_paths():
    model, shape = NETS["inception"]()
    exact, naive = lifted_output(model, shape).sum().item(), lifted_output(model, shape, max_pools="max").sum().item()
    assert naive < exact * (1 - 1e-3)  # a max keeps one path per window: the sum over paths is larger


def _big_nets():
    torch.manual_seed(0)
    return {
        "custom-resnet 40x37": (_bn(TinyResNet, 0), (1, 40, 37)),
        "resnet18 narrow": (randomize_batchnorm(classic.resnet(18, width=4, n_classes=5), seed=3), (3, 64, 48)),
        "resnet50 narrow": (randomize_batchnorm(classic.resnet(50, width=2, n_classes=5), seed=3), (3, 64, 64)),
        "conv1d long": (USER_NETS["conv1d"]()[0], (2, 57)),
        "relulab resnet18": (randomize_batchnorm(resnet18(5, 3, 4, seed=0), seed=1), (3, 40, 40)),
    }


@pytest.mark.parametrize("name", sorted(_big_nets()))
def test_tiled_pass_equals_plain_pass(name, monkeypatch):
    model, shape = _big_nets()[name]
    plan = graph._read(model)
    used = []
    real = tiles._windowed
    monkeypatch.setattr(tiles, "_windowed", lambda *a, **k: used.append(real(*a, **k)) or used[-1])
    for q in (1, 3):
        params = abs_pass._abs_params(plan, q)
        a = sum(o.sum() for o in abs_pass._run(plan, params, shape, q, tiled=True)).item()
        b = sum(o.sum() for o in abs_pass._run(plan, params, shape, q, tiled=False)).item()
        assert abs(a - b) <= REL * b
    assert any(u is not None for u in used)  # the tiles were really used


def _authors():
    mod = authors.load()
    if mod is None:
        pytest.skip(authors.WHY_MISSING)
    return mod


def _classic(name):
    return {
        "resnet18": lambda: (randomize_batchnorm(classic.resnet(18, width=8, n_classes=10), seed=3), (3, 32, 32)),
        "resnet50": lambda: (randomize_batchnorm(classic.resnet(50, width=4, n_classes=10), seed=4), (3, 64, 64)),
        "vgg11-bn": lambda: (
            randomize_batchnorm(
                classic.vgg(
                    (8, "M", 16, "M", 16, 16, "M", 16, 16, "M", 16, 16, "M"), batch_norm=True, hidden=32, n_classes=10
                ),
                seed=5,
            ),
            (3, 224, 224),
        ),
        "alexnet": lambda: (classic.alexnet(width=4, hidden=32, n_classes=10), (3, 224, 224)),
    }[name]()


@pytest.mark.parametrize("name", ["resnet18", "resnet50", "vgg11-bn", "alexnet", *AUTHORS_OK])
@pytest.mark.parametrize("q", [1, 2, 4])
def test_path_norm_equals_authors_compute_path_norm(name, q):
    pn = _authors()
    model, shape = USER_NETS[name]() if name in USER_NETS else _classic(name)
    ref = pn.compute_path_norm(model, shape, exponent=q)
    assert abs(path_norm(model, shape, q) - ref) <= REL * ref


def test_authors_rewrite_of_uneven_adaptive_pooling_is_not_the_path_norm():
    # 5 -> 3 adaptive average pooling: torch's windows have 2, 3, 2 rows; the authors' rewrite uses 3, 3, 3.
    # relulab follows torch (and the enumeration); the authors' value differs although their report says supported.
    pn = _authors()
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(3), nn.Flatten(), nn.Linear(18, 1)
    ).eval()
    ref = np.abs(D.phi(model, (1, 5, 5))).sum()
    assert abs(path_norm(model, (1, 5, 5)) - ref) <= REL * ref
    assert pn.validate_path_norm_support(model, (1, 5, 5)).supported
    assert abs(pn.compute_path_norm(model, (1, 5, 5)) - ref) > 1e-3 * ref


def _with_head(pool: nn.Module, shape: tuple[int, ...]) -> nn.Sequential:
    net = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), pool, nn.Flatten(), nn.LazyLinear(1))
    with torch.no_grad():
        net(torch.zeros(1, *shape))  # materialise the lazy head
    return nn.Sequential(*list(net)).eval()


POOLING_NETS = {
    # width 3 differs from the 2 channels: a wrong axis cannot pass by coincidence
    "adaptive-1": (lambda: _with_head(nn.AdaptiveAvgPool2d(1), (1, 4, 3)), (1, 4, 3)),
    "adaptive-1-none": (lambda: _with_head(nn.AdaptiveAvgPool2d((1, None)), (1, 4, 3)), (1, 4, 3)),
    # uneven adaptive windows, with torch's window lengths
    "adaptive-uneven": (
        lambda: nn.Sequential(
            nn.Conv2d(1, 1, 3, padding=1, bias=False),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d((2, 2)),
            nn.Flatten(),
            nn.Linear(4, 1),
        ),
        (1, 5, 7),
    ),
    # position-dependent divisors, read per window
    **{
        f"avgpool-excluded-pad{pad}": (
            lambda pad=pad: nn.Sequential(
                nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.AvgPool2d(2, padding=pad, count_include_pad=False)
            ),
            (1, 4, 4),
        )
        for pad in (0, 1)
    },
}


@pytest.mark.parametrize("name", sorted(POOLING_NETS))
def test_path_norm_equals_enumeration_on_pooling_modules(name):
    build, shape = POOLING_NETS[name]
    net = build()
    ref = np.abs(D.phi(net, shape)).sum()
    assert abs(path_norm(net, shape) - ref) <= 1e-12 * ref


@pytest.mark.parametrize("pool", [nn.MaxPool2d(2), nn.AvgPool2d(2), nn.AdaptiveAvgPool2d(2)])
def test_check_supported_keeps_scanning_after_a_pool(pool):
    with pytest.raises(TypeError, match="GELU"):
        check_supported(nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), pool, nn.GELU()))


def test_model_left_unchanged():
    for name in ("vgg", "custom-resnet", "grouped"):
        model, shape = NETS[name]()
        before = copy.deepcopy(model.state_dict())
        modules_before = list(model.named_modules())
        path_norm(model, shape, 2)
        path_magnitude_scores(model, shape)
        path_metric_bound(model, model, shape)
        support_report(model)
        assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
        assert list(model.named_modules()) == modules_before
        assert not model.training
        assert all(p.grad is None for p in model.parameters())


def test_float32_model_is_read_in_float64():
    model, shape = NETS["custom-resnet"]()
    ref = path_norm(model, shape)
    m32 = copy.deepcopy(model).float()
    got = path_norm(m32, shape)
    assert abs(got - ref) <= 1e-6 * ref  # the weights were rounded to float32 once; the pass itself is float64
    assert next(m32.parameters()).dtype == torch.float32


def test_support_report_lists_every_problem_with_its_place():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)
            self.norm = nn.LayerNorm(4)

        def forward(self, x):
            return self.norm(F.gelu(self.fc(x)) * x)

    r = support_report(Net())
    assert not r.supported and len(r.problems) == 3
    text = str(r)
    assert "node 'gelu'" in text and "module 'norm' (LayerNorm)" in text and "node 'mul'" in text
    assert support_report(NETS["custom-resnet"]()[0]).supported


def test_control_flow_is_refused_at_its_line():
    class Gate(nn.Module):
        def forward(self, x):
            if x.sum() > 0:
                return F.relu(x)
            return x

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.gate = Gate()

        def forward(self, x):
            return self.gate(x)

    with pytest.raises(ValueError, match=r"module 'gate' \(Gate\) at test_lifting.py:\d+: data-dependent control flow"):
        check_supported(Net())


@given(st.integers(0, 10_000), st.sampled_from(["mlp", "vgg", "resnet", "unet"]))
@settings(max_examples=15)
def test_rescaling_invariance(seed, name):
    model, shape = NETS[name]()
    r = random_rescaling(model, seed=seed, factors=(2.0**-6, 2.0**7, 2.0**12))  # never all 1: something must change
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
    r = random_rescaling(model, seed=seed, factors=(0.25, 1.0, 8.0))
    assert np.allclose(D.phi(r, shape), D.phi(model, shape), rtol=1e-12, atol=1e-12)
    s0, s1 = path_magnitude_scores(model, shape), path_magnitude_scores(r, shape)
    assert all(torch.allclose(s0[k], s1[k], rtol=1e-10, atol=0) for k in s0)


def test_random_rescaling_skips_a_pair_whose_next_conv_is_grouped():
    # conv -> ReLU -> depthwise conv: per-channel rescaling cannot be undone by a grouped next layer's in-weights
    # in general, so random_rescaling must leave that pair alone (and the function unchanged)
    torch.manual_seed(0)
    net = (
        nn.Sequential(
            nn.Conv2d(1, 2, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(2, 2, 3, padding=1, groups=2),
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(32, 1),
        )
        .double()
        .eval()
    )
    r = random_rescaling(net, seed=0, factors=(2.0**-5, 2.0**6))
    X = torch.randn(4, 1, 4, 4)
    with torch.no_grad():
        assert _close(r(X), net(X))
    assert torch.equal(r[0].weight, net[0].weight)  # the first pair was skipped


def test_random_rescaling_reaches_every_pattern_past_skipped_ones_and_pools():
    # conv0 -> grouped conv2 is skipped (a grouped next conv mixes no channels); conv2 -> [pool] -> conv5 and
    # conv5 -> [flatten] -> linear8 must still be rescaled, and the function kept (powers of two: exactly)
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(1, 2, 3),
        nn.ReLU(),
        nn.Conv2d(2, 2, 1, groups=2),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(2, 3, 1),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(27, 1),
    )
    out = random_rescaling(net, seed=0, factors=(2.0**7,))
    assert torch.equal(out[0].weight, net[0].weight)
    assert torch.equal(out[2].weight, net[2].weight * 2.0**7)  # conv2's pattern (through the pool) applied
    assert torch.equal(out[5].bias, net[5].bias * 2.0**7)  # conv5's pattern (through the flatten) applied
    assert torch.equal(out[8].weight, net[8].weight / 2.0**7)
    x = torch.randn(3, 1, 8, 8, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        assert _close(out(x), net(x))


def test_random_rescaling_is_reproducible_and_handles_a_trailing_relu():
    net = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 3), nn.ReLU()).double()
    a = random_rescaling(net, seed=7)
    torch.manual_seed(123)  # the global generator must not matter
    b = random_rescaling(net, seed=7)
    assert all(torch.equal(a.state_dict()[k], b.state_dict()[k]) for k in a.state_dict())
    assert not torch.equal(a[0].weight, net[0].weight)


def test_path_magnitude_scores_keep_the_model_dtype():
    net = mlp([2, 3, 1], seed=0, dtype=torch.float32)
    assert all(s.dtype == torch.float32 for s in path_magnitude_scores(net, (2,)).values())


@pytest.mark.parametrize("name", ["vgg", "custom-resnet", "conv1d"])
def test_path_magnitude_is_single_weight_path_metric(name):
    model, shape = NETS[name]()
    scores = path_magnitude_scores(model, shape)
    base = path_norm(model, shape)
    for key, s in scores.items():
        for flat in [0, s.numel() - 1]:
            m2 = copy.deepcopy(model)
            with torch.no_grad():
                dict(m2.named_parameters())[key].view(-1)[flat] = 0
            assert abs((base - path_norm(m2, shape)) - s.view(-1)[flat].item()) <= REL * base


def test_path_magnitude_scores_cover_unused_layers_with_zero():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.used, self.spare = nn.Linear(3, 2), nn.Linear(3, 2)

        def forward(self, x):
            return self.used(x)

    s = path_magnitude_scores(Net(), (3,))
    assert set(s) == {"used.weight", "spare.weight"} and not s["spare.weight"].any() and s["used.weight"].all()


@given(st.integers(0, 10_000), st.floats(0.1, 0.9), st.sampled_from(["unet", "custom-resnet", "grouped"]))
@settings(max_examples=10)  # each example enumerates paths twice
def test_two_pass_metric_equals_enumeration(seed, frac, name):
    model, shape = _net(name)
    scores = {
        k: torch.rand(v.shape, generator=torch.Generator().manual_seed(seed))
        for k, v in magnitude_scores(model).items()
    }
    pruned, _ = global_prune(model, scores, frac)
    ref = np.abs(_phi(name) - D.phi(pruned, shape, max_paths=400_000)).sum()
    assert abs(path_metric(model, pruned, shape) - ref) <= REL * max(1, ref)


@given(st.integers(0, 10_000), st.sampled_from(["mlp", "inception"]))
@settings(max_examples=15)
def test_same_sign_bound_dominates(seed, name):
    model, shape = _net(name)
    other = copy.deepcopy(model)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in other.parameters():
            p.mul_(torch.exp(0.5 * torch.randn(p.shape, generator=g)))
    ref = np.abs(_phi(name) - D.phi(other, shape)).sum()
    assert path_metric_bound(model, other, shape) >= ref * (1 - REL)


def test_path_metric_bound_against_enumerated_paths():
    net = mlp([3, 4, 4, 1], bias=False, seed=0)
    g = torch.Generator().manual_seed(1)
    other = mlp([3, 4, 4, 1], bias=False, seed=0)
    with torch.no_grad():
        for m in other:
            if isinstance(m, nn.Linear):
                m.weight.mul_(2 * torch.rand(m.weight.shape, generator=g))  # same signs, some larger, some smaller
    Wa = [m.weight.detach().abs() for m in net if isinstance(m, nn.Linear)]
    Wb = [m.weight.detach().abs() for m in other if isinstance(m, nn.Linear)]
    p = enumeration.enumerate_paths(net)
    hi = enumeration.npv_from_weights([torch.maximum(a, b) for a, b in zip(Wa, Wb)], p)[:, 0].sum()
    lo = enumeration.npv_from_weights([torch.minimum(a, b) for a, b in zip(Wa, Wb)], p)[:, 0].sum()
    assert abs(path_metric_bound(net, other, (3,)) - (hi - lo).item()) <= REL * hi.item()


# ---------------------------------------------------------------- global_prune


def test_global_prune_breaks_ties_by_position():
    net = mlp([2, 3, 1], bias=False, seed=0)
    scores = {"0.weight": torch.ones(3, 2), "2.weight": torch.ones(1, 3)}
    _, masks = global_prune(net, scores, 0.5)
    flat = torch.cat([masks["0.weight"].reshape(-1), masks["2.weight"].reshape(-1)])
    assert flat.tolist() == [False] * 4 + [True] * 5  # round(0.5 * 9) = 4 smallest: the first four by position


def test_global_prune_copies_the_model_and_fraction_zero_keeps_everything():
    net = mlp([2, 3, 1], bias=False, seed=0)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    pruned, masks = global_prune(net, {"0.weight": torch.rand(3, 2)}, 0.5)
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())  # the model itself is untouched
    assert (pruned[0].weight == 0).sum() == 3
    _, masks = global_prune(net, {"0.weight": torch.rand(3, 2)}, 0.0)
    assert masks["0.weight"].all()


def test_global_prune_can_prune_a_single_weight():
    net = mlp([2, 3, 1], bias=False, seed=0)
    s = torch.arange(6, dtype=torch.float64).reshape(3, 2)
    pruned, masks = global_prune(net, {"0.weight": s}, 1 / 6)
    assert (~masks["0.weight"]).sum() == 1 and pruned[0].weight[0, 0] == 0


def test_global_prune_fraction_one_prunes_every_weight():
    net = mlp([2, 3, 1], bias=False, seed=0)
    scores = {n: p.detach().abs() for n, p in net.named_parameters()}
    pruned, masks = global_prune(net, scores, 1.0)
    assert all(not m.any() for m in masks.values())
    assert all((p == 0).all() for p in pruned.parameters())


def test_custom_block_end_to_end():
    # the README example: a user's block, its own forward, no relulab container anywhere
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(1, 2, 3, padding=1),
        Block(2, 2),
        Block(2, 3, stride=2),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(3, 2),
    ).eval()
    randomize_batchnorm(net, seed=0)
    assert support_report(net).supported
    ref = np.abs(D.phi(net, (1, 2, 2), max_paths=2_000_000)).sum()
    assert abs(path_norm(net, (1, 2, 2)) - ref) <= REL * ref


def test_path_norm_beyond_float64_raises_overflow_error():
    huge = nn.Sequential(*[nn.Linear(4, 4) for _ in range(200)])
    with torch.no_grad():
        for p in huge.parameters():
            p.fill_(100.0)  # ||Phi||_1 ~ 400^200: beyond float64
    with pytest.raises(OverflowError):
        path_norm(huge, (4,))


class _Swap(nn.Module):
    """Linear(4, 4) -> ReLU -> a (2, 2) reshape of the hidden units, transposed or not -> Linear(4, 1)."""

    def __init__(self, transpose: bool):
        super().__init__()
        self.fc1, self.fc2, self.transpose = nn.Linear(4, 4, bias=False), nn.Linear(4, 1, bias=False), transpose
        with torch.no_grad():
            self.fc1.weight.copy_(torch.eye(4))
            self.fc2.weight.fill_(1.0)

    def forward(self, x):
        h = torch.relu(self.fc1(x)).view(-1, 2, 2)
        return self.fc2((h.transpose(1, 2) if self.transpose else h.contiguous()).reshape(-1, 4))


def test_path_metric_bound_refuses_nets_wired_differently_with_the_same_parameters():
    # same layers and parameter shapes, but one routes hidden unit 1 to input 2 of fc2: not the same DAG
    with pytest.raises(ValueError, match="model and other must have the same architecture"):
        path_metric_bound(_Swap(True), _Swap(False), (4,))
    assert path_metric_bound(_Swap(True), _Swap(True), (4,)) == 0.0


class _TwoBranches(nn.Module):
    """Two ReLU branches summed, written with tensor methods (`x.shape`, `.add`) or with operators."""

    def __init__(self, methods: bool) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.methods, self.a, self.b, self.c = methods, nn.Linear(6, 4), nn.Linear(6, 4), nn.Linear(4, 1)

    def forward(self, x):
        x = x.reshape(x.shape[0], -1) if self.methods else torch.flatten(x, 1)
        u, v = F.relu(self.a(x)), F.relu(self.b(x))
        return self.c(u.add(v) if self.methods else u + v)


def test_tensor_methods_read_like_their_operators():
    plain, methods = _TwoBranches(False), _TwoBranches(True)
    X = torch.randn(5, 2, 3)
    assert torch.equal(plain(X), methods(X))
    for q in (1, 2):
        assert path_norm(methods, (2, 3), q) == pytest.approx(path_norm(plain, (2, 3), q), rel=REL)


def test_global_prune_accepts_integer_scores():
    net = mlp([2, 3, 1], bias=False, seed=0)
    s = torch.tensor([[5, 0], [3, 4], [1, 2]])
    _, masks = global_prune(net, {"0.weight": s}, 0.5)
    assert masks["0.weight"].tolist() == [[True, False], [True, True], [False, False]]


class _TwoHeads(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(1)
        self.body, self.h1, self.h2 = nn.Linear(3, 4), nn.Linear(4, 2), nn.Linear(4, 1)

    def forward(self, x):
        z = F.relu(self.body(x))
        return self.h1(z), self.h2(z)


def test_lifted_output_concatenates_several_returned_tensors():
    two = _TwoHeads()
    one = nn.Sequential(two.body, nn.ReLU(), nn.Linear(4, 3))
    with torch.no_grad():
        one[2].weight.copy_(torch.cat([two.h1.weight, two.h2.weight]))
        one[2].bias.copy_(torch.cat([two.h1.bias, two.h2.bias]))
    got, ref = lifted_output(two, (3,), 2), lifted_output(one, (3,), 2).reshape(-1)
    assert got.shape == (3,) and _close(got, ref)


class _RowSum(nn.Module):
    """(N, 3, 2) -> a 4-unit ReLU layer per row -> their sum kept as a last dim of 1 -> Linear(1, 2) per row."""

    def __init__(self, reduce: bool) -> None:
        super().__init__()
        torch.manual_seed(2)
        self.reduce, self.a, self.b = reduce, nn.Linear(2, 4), nn.Linear(1, 2)
        self.ones = nn.Linear(4, 1, bias=False)
        with torch.no_grad():
            self.ones.weight.fill_(1.0)

    def forward(self, x):
        z = F.relu(self.a(x))
        return self.b(z.sum(2, keepdim=True) if self.reduce else self.ones(z))


def test_a_sum_with_keepdim_is_a_linear_map_of_ones():
    for q in (1, 2):
        assert path_norm(_RowSum(True), (3, 2), q) == pytest.approx(path_norm(_RowSum(False), (3, 2), q), rel=REL)


class _Pooled(nn.Module):
    def __init__(self, functional: bool, kind: str) -> None:
        super().__init__()
        torch.manual_seed(3)
        self.functional, self.kind = functional, kind
        self.conv, self.head = nn.Conv2d(1, 2, 3, padding=1), nn.Linear(8, 1)
        self.pool = nn.MaxPool2d(2) if kind == "max" else nn.AvgPool2d(2)

    def forward(self, x):
        z = F.relu(self.conv(x))
        if self.functional:
            z = F.max_pool2d(z, 2) if self.kind == "max" else F.avg_pool2d(z, 2)
        else:
            z = self.pool(z)
        return self.head(torch.flatten(z, 1))


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_functional_pools_without_padding_read_like_pool_modules(kind):
    for q in (1, 2):
        got, ref = path_norm(_Pooled(True, kind), (1, 4, 4), q), path_norm(_Pooled(False, kind), (1, 4, 4), q)
        assert got == pytest.approx(ref, rel=REL)


def _pool_net(pool: nn.Module, first: bool) -> nn.Sequential:
    torch.manual_seed(4)
    conv = [nn.Conv2d(1, 2, 3, padding=1), nn.ReLU()]
    return nn.Sequential(*([pool] + conv if first else conv + [pool]), nn.Flatten(), nn.LazyLinear(1))


@pytest.mark.parametrize("first", [False, True])
@pytest.mark.parametrize(
    "pool", [nn.MaxPool2d(2, dilation=2), nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False)]
)
def test_path_norm_of_pools_ignores_the_default_dtype(pool, first):
    # the pass runs in float64 whatever torch's default dtype (float32 outside this test suite)
    model = _pool_net(pool, first)
    model(torch.ones(1, 1, 6, 6))  # materialise the lazy head
    ref = path_norm(model, (1, 6, 6), 2)
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float32)
    try:
        got = path_norm(model, (1, 6, 6), 2)
    finally:
        torch.set_default_dtype(old)
    assert got == ref
