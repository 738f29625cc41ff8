"""Path-norms, path-metrics and path-magnitude scores of ReLU DAG nets by forward passes (Gonon et al. 2024/25).

The trick (toolkit paper, Thm A.1 there): replace every weight and bias by |.|^q, every max-pool by a sum over its
window, every average pool by a sum with weights (1/K)^q, frozen BN by its folded affine map with |.|^q, and feed an
all-ones input.  All pre-activations are then >= 0, ReLUs act as the identity and each output is the sum over the
paths ending there of the path products: sum of outputs = ||Phi(theta)||_q^q.
"""

from __future__ import annotations

import copy
import math
from typing import Sequence

import torch
from torch import nn
import torch.nn.functional as F

from relulab.nets.dag import Concat, Residual

_CONTAINERS = (nn.Sequential, nn.ModuleList, Residual, Concat)
_LINEAR = (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)
_POOLS = (nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d)
_INERT = (nn.Flatten, nn.Identity, nn.Dropout)
_BN = (nn.BatchNorm1d, nn.BatchNorm2d)
_WHY = {  # why a module is not a ReLU-DAG neuron (shown in the error)
    nn.GELU: "GELU is not positively homogeneous: it is not a ReLU-DAG neuron",
    nn.ReLU6: "ReLU6 clips at 6 (ReLU6(z) = ReLU(z) - ReLU(z - 6)); the |theta| network would clip the path sums",
    nn.LeakyReLU: "LeakyReLU has slopes other than 0/1: path activations would not be 0/1",
    nn.LayerNorm: "LayerNorm divides by statistics of its own input: not a fixed DAG",
    nn.MultiheadAttention: "attention multiplies inputs together: not a ReLU DAG",
    nn.Softmax: "softmax is not piecewise linear",
    nn.Tanh: "tanh is not positively homogeneous",
    nn.Sigmoid: "sigmoid is not positively homogeneous",
}


def _shape(input_shape: Sequence[int]) -> tuple[int, ...]:
    if isinstance(input_shape, (int, str, bytes)) or not hasattr(input_shape, "__len__"):
        raise TypeError(f"input_shape must be a tuple of positive ints (one input, no batch dim), got {input_shape!r}")
    shp = tuple(input_shape)
    if not shp:
        raise ValueError("input_shape is empty")
    for s in shp:
        if isinstance(s, bool) or not isinstance(s, int):
            raise TypeError(f"input_shape entries must be ints, got {shp}")
        if s <= 0:
            raise ValueError(f"input_shape entries must be positive, got {shp}")
    if math.prod(shp) > 10**8:
        raise ValueError(f"input_shape {shp} has {math.prod(shp)} entries (> 1e8): refusing an absurd size")
    return shp


def check_supported(model: nn.Module) -> None:
    """Raise TypeError/ValueError naming the first module that is not a supported ReLU-DAG piece."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    for name, m in model.named_modules():
        where = f"module '{name or '<root>'}' ({type(m).__name__})"
        if isinstance(m, _CONTAINERS) or isinstance(m, _LINEAR) or isinstance(m, _INERT) or type(m) is nn.ReLU:
            if isinstance(m, _LINEAR) and m.weight is None:
                raise ValueError(f"{where}: no weight")
            if isinstance(m, nn.Dropout) and m.training:
                raise ValueError(f"{where}: Dropout in training mode is random; call model.eval()")
            continue
        if isinstance(m, _BN):
            if m.training or not m.track_running_stats or m.running_mean is None:
                raise ValueError(f"{where}: BatchNorm must be frozen (eval mode, running statistics); in training "
                                 "mode it depends on the batch and is not a ReLU-DAG neuron -- call model.eval()")
            continue
        if isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)):
            if m.ceil_mode:
                raise ValueError(f"{where}: ceil_mode=True has no fixed-window equivalent; not supported")
            if isinstance(m, nn.MaxPool2d) and m.return_indices:
                raise ValueError(f"{where}: return_indices=True is not supported")
            if isinstance(m, nn.AvgPool2d):
                if m.divisor_override is not None or (not m.count_include_pad and _pair(m.padding) != (0, 0)):
                    raise ValueError(f"{where}: position-dependent averaging weights (count_include_pad=False with "
                                     "padding, or divisor_override) are not supported")
            continue
        if isinstance(m, nn.AdaptiveAvgPool2d):
            continue  # divisibility is checked on the actual input size in the forward pass
        why = next((w for t, w in _WHY.items() if isinstance(m, t)), "not a module path_norm knows how to read as a ReLU DAG")
        raise TypeError(f"{where} is not supported: {why}")


def _pair(v) -> tuple[int, int]:
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def _bn_fold(m: nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
    """Frozen BN as y = a*x + c per channel: a = gamma/sqrt(var+eps), c = beta - mean*a."""
    a = 1.0 / torch.sqrt(m.running_var + m.eps)
    if m.weight is not None:
        a = a * m.weight
    c = -m.running_mean * a
    if m.bias is not None:
        c = c + m.bias
    return a, c


class _Affine(nn.Module):
    """Per-channel y = a*x + c (channel dim 1): frozen BN after folding."""

    def __init__(self, a: torch.Tensor, c: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("a", a)
        self.register_buffer("c", c)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        view = (1, -1) + (1,) * (x.dim() - 2)
        return x * self.a.view(view) + self.c.view(view)


class _WindowSum(nn.Module):
    """Depthwise sum over pooling windows with a fixed edge weight (max-pool: 1, avg-pool: (1/K)^q); zero padding."""

    def __init__(self, kernel, stride, padding, dilation, weight: float | None, q: float, adaptive_out=None) -> None:
        super().__init__()
        self.kernel, self.stride, self.padding, self.dilation = kernel, stride, padding, dilation
        self.weight, self.q, self.adaptive_out = weight, q, adaptive_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        kernel, stride, weight = self.kernel, self.stride, self.weight
        if self.adaptive_out is not None:  # adaptive average pooling = plain pooling when sizes divide
            out = _pair(self.adaptive_out)
            out = tuple(x.shape[-2 + i] if o is None else o for i, o in enumerate(out))
            for s, o in zip(x.shape[-2:], out):
                if s % o:
                    raise ValueError(f"AdaptiveAvgPool2d: input size {tuple(x.shape[-2:])} not divisible by output "
                                     f"size {out}: its windows overlap unevenly, not supported")
            kernel = stride = tuple(s // o for s, o in zip(x.shape[-2:], out))
            weight = (1.0 / (kernel[0] * kernel[1])) ** self.q
        c = x.shape[1]
        kh, kw = _pair(kernel)
        w = torch.full((c, 1, kh, kw), weight, dtype=x.dtype)
        return F.conv2d(x, w, stride=stride, padding=self.padding, dilation=self.dilation, groups=c)


def _abs_net(model: nn.Module, q: float) -> nn.Module:
    """A float64 copy of `model` with |theta|^q, pools as window sums and BN folded: its output on ones sums the path products."""
    check_supported(model)
    # Pre-fill deepcopy's memo with |W|^q so the big weight tensors are copied once, not copied then overwritten.
    memo: dict[int, object] = {}
    for mod in model.modules():
        if isinstance(mod, _LINEAR):
            for p in (mod.weight, mod.bias):
                if p is not None:
                    t = p.detach().double().abs()
                    memo[id(p)] = nn.Parameter(t if q == 1 else t**q, requires_grad=p.requires_grad)
    m = copy.deepcopy(model, memo).double().eval()

    def convert(mod: nn.Module) -> nn.Module:
        if isinstance(mod, _LINEAR):
            return mod  # weights already |.|^q through the memo
        if isinstance(mod, _BN):
            a, c = _bn_fold(mod)
            return _Affine(a.detach().abs() ** q, c.detach().abs() ** q)
        if isinstance(mod, nn.MaxPool2d):
            return _WindowSum(mod.kernel_size, mod.stride, mod.padding, mod.dilation, 1.0, q)
        if isinstance(mod, nn.AvgPool2d):
            kh, kw = _pair(mod.kernel_size)
            return _WindowSum(mod.kernel_size, mod.stride, mod.padding, 1, (1.0 / (kh * kw)) ** q, q)
        if isinstance(mod, nn.AdaptiveAvgPool2d):
            return _WindowSum(None, None, 0, 1, None, q, adaptive_out=mod.output_size)
        for name, child in list(mod.named_children()):
            setattr(mod, name, convert(child))
        return mod

    return convert(m)


def _check_q(q: float) -> float:
    if isinstance(q, bool) or not isinstance(q, (int, float)):
        raise TypeError(f"q must be a number, got {type(q).__name__}")
    if not (0 < q < math.inf):
        raise ValueError(f"q must be in (0, inf), got {q}")
    return float(q)


def _sum_on_ones(net: nn.Module, shape: tuple[int, ...]) -> torch.Tensor:
    try:
        out = net(torch.ones((1,) + shape, dtype=torch.float64))
    except RuntimeError as exc:  # a shape mismatch inside a layer: say which argument is wrong
        raise ValueError(f"input_shape {shape} does not fit the model: {exc}") from exc
    total = out.sum()
    if not torch.isfinite(total) or total.item() > 1e300:
        raise OverflowError(f"path-norm sum {total.item():.3g} overflows float64 (> 1e300)")
    return total


def path_norm(model: nn.Module, input_shape: Sequence[int], q: float = 1) -> float:
    """||Phi(theta)||_q of a supported ReLU DAG net, biases counted as paths, in one forward pass (model unchanged)."""
    q = _check_q(q)
    shape = _shape(input_shape)
    with torch.no_grad():
        return _sum_on_ones(_abs_net(model, q), shape).item() ** (1.0 / q)


def _dag_tensors(model: nn.Module) -> dict[str, torch.Tensor]:
    """The signed DAG parameters (weights, biases, folded BN a and c) by name, float64."""
    out: dict[str, torch.Tensor] = {}
    for name, m in model.named_modules():
        if isinstance(m, _LINEAR):
            out[name + ".weight"] = m.weight.detach().double()
            if m.bias is not None:
                out[name + ".bias"] = m.bias.detach().double()
        elif isinstance(m, _BN):
            a, c = _bn_fold(m)
            out[name + ".a"], out[name + ".c"] = a.detach().double(), c.detach().double()
    return out


def _pair_check(model: nn.Module, other: nn.Module) -> tuple[dict, dict]:
    check_supported(model)
    check_supported(other)
    ta, tb = _dag_tensors(model), _dag_tensors(other)
    if list(ta) != list(tb) or any(ta[k].shape != tb[k].shape for k in ta) or \
            [type(m) for m in model.modules()] != [type(m) for m in other.modules()]:
        raise ValueError("model and other must have the same architecture (same modules and parameter shapes)")
    for k in ta:
        bad = (ta[k] * tb[k] < 0)
        if bad.any():
            raise ValueError(f"parameters '{k}' have opposite signs at {int(bad.sum())} entries: no path-metric "
                             "formula by forward passes (and no Lipschitz bound) for pairs with different signs")
    return ta, tb


def path_metric(model: nn.Module, pruned_model: nn.Module, input_shape: Sequence[int]) -> float:
    """||Phi(theta) - Phi(theta')||_1 = ||Phi(theta)||_1 - ||Phi(theta')||_1 in two passes; exact when theta' shrinks theta.

    Requires same signs and |theta'_i| <= |theta_i| (pruning, shrinking towards 0); raises ValueError otherwise
    (use :func:`path_metric_bound` for other same-sign pairs).
    """
    ta, tb = _pair_check(model, pruned_model)
    for k in ta:
        if (tb[k].abs() > ta[k].abs()).any():
            raise ValueError(f"'{k}': pruned_model is not a shrink of model (|theta'_i| > |theta_i| somewhere); "
                             "the two-pass difference is then not the path-metric -- use path_metric_bound")
    return path_norm(model, input_shape) - path_norm(pruned_model, input_shape)


def path_metric_bound(model: nn.Module, other: nn.Module, input_shape: Sequence[int]) -> float:
    """Upper bound ||Phi(max|theta|,|theta'|)||_1 - ||Phi(min)||_1 >= ||Phi(theta) - Phi(theta')||_1 for same-sign pairs."""
    _pair_check(model, other)
    shape = _shape(input_shape)
    a, b = _abs_net(model, 1.0), _abs_net(other, 1.0)
    hi, lo = copy.deepcopy(a), copy.deepcopy(a)
    with torch.no_grad():
        sa, sb, sh, sl = a.state_dict(), b.state_dict(), hi.state_dict(), lo.state_dict()
        for k in sa:
            sh[k].copy_(torch.maximum(sa[k], sb[k]))
            sl[k].copy_(torch.minimum(sa[k], sb[k]))
        # state_dict tensors share storage with the modules: hi/lo are now the coordinate-wise max/min networks
        return (_sum_on_ones(hi, shape) - _sum_on_ones(lo, shape)).item()


def _prunable(model: nn.Module) -> dict[str, nn.Module]:
    return {n: m for n, m in model.named_modules() if isinstance(m, _LINEAR) and m.weight.requires_grad}


def path_magnitude_scores(model: nn.Module, input_shape: Sequence[int]) -> dict[str, torch.Tensor]:
    """score_i = |theta_i| d||Phi||_1/d|theta_i| = sum of |Phi_p| over paths through weight i, for every trainable
    Linear/Conv weight, in one forward and one backward pass (exact: ||Phi||_1 is affine in each |theta_i|)."""
    shape = _shape(input_shape)
    net = _abs_net(model, 1.0)
    mods = _prunable(net)
    for p in net.parameters():
        p.requires_grad_(False)
    for m in mods.values():
        m.weight.requires_grad_(True)
    total = _sum_on_ones(net, shape)
    total.backward()
    return {name + ".weight": (m.weight.detach() * m.weight.grad).to(_prunable(model)[name].weight.dtype)
            for name, m in mods.items()}


def magnitude_scores(model: nn.Module) -> dict[str, torch.Tensor]:
    """|theta_i| for every trainable Linear/Conv weight (the classical, rescaling-dependent score)."""
    check_supported(model)
    return {n + ".weight": m.weight.detach().abs().clone() for n, m in _prunable(model).items()}


def global_prune(model: nn.Module, scores: dict[str, torch.Tensor], fraction: float) -> tuple[nn.Module, dict[str, torch.Tensor]]:
    """A copy of `model` with the globally smallest `fraction` of scored weights set to 0, and the 0/1 masks."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not 0 <= fraction <= 1:
        raise ValueError(f"fraction must be in [0, 1], got {fraction}")
    if not isinstance(scores, dict) or not scores:
        raise ValueError("scores must be a non-empty dict {parameter name: score tensor}")
    named = dict(model.named_parameters())
    for name, sc in scores.items():
        if name not in named:
            raise ValueError(f"scores names '{name}', which is not a parameter of the model")
        if not isinstance(sc, torch.Tensor) or sc.shape != named[name].shape:
            raise ValueError(f"scores['{name}'] must be a tensor of the parameter's shape {tuple(named[name].shape)}")
        if not torch.isfinite(sc).all():
            raise ValueError(f"scores['{name}'] contains NaN or infinite values")
    flat = torch.cat([s.reshape(-1) for s in scores.values()])
    k = int(round(fraction * flat.numel()))
    keep = torch.ones_like(flat, dtype=torch.bool)
    if k > 0:
        keep[torch.argsort(flat, stable=True)[:k]] = False  # stable sort: ties broken by position, reproducibly
    out = copy.deepcopy(model)
    masks, i = {}, 0
    params = dict(out.named_parameters())
    with torch.no_grad():
        for name, s in scores.items():
            m = keep[i:i + s.numel()].reshape(s.shape)
            i += s.numel()
            params[name].mul_(m.to(params[name].dtype))
            masks[name] = m
    return out, masks


def _rescalable_triples(seq: nn.Sequential):
    """Yield (layer, bn or None, next_layer, group) for layer-[BN]-ReLU-[pool/flatten]*-next patterns in a Sequential."""
    kids = list(seq.children())
    for i, layer in enumerate(kids):
        if not isinstance(layer, (nn.Linear, nn.Conv2d)):
            continue
        j, bn = i + 1, None
        if j < len(kids) and isinstance(kids[j], _BN):
            bn, j = kids[j], j + 1
        if j >= len(kids) or type(kids[j]) is not nn.ReLU:
            continue
        j += 1
        flat = False
        while j < len(kids) and isinstance(kids[j], _POOLS + _INERT):  # positive per-channel scaling commutes with these
            flat = flat or isinstance(kids[j], nn.Flatten)
            j += 1
        if j >= len(kids) or not isinstance(kids[j], (nn.Linear, nn.Conv2d)):
            continue
        nxt = kids[j]
        c = layer.weight.shape[0]
        if isinstance(nxt, nn.Conv2d) and (nxt.groups != 1 or nxt.in_channels != c):
            continue
        if isinstance(nxt, nn.Linear) and nxt.in_features % c:
            continue
        yield layer, bn, nxt, (nxt.in_features // c if isinstance(nxt, nn.Linear) else 1)


def random_rescaling(model: nn.Module, seed: int, factors: Sequence[float] = (1.0, 2.0**7, 2.0**12)) -> nn.Module:
    """A copy of `model` where every hidden channel of each layer-[BN]-ReLU-next pattern is rescaled by a random
    lambda from `factors` (in-weights, bias, BN mean and beta times lambda; next layer's in-weights / lambda).

    The function is unchanged (exactly, for powers of two) and Phi(theta) is unchanged.
    """
    check_supported(model)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    fs = torch.as_tensor(list(factors), dtype=torch.float64)
    if fs.numel() == 0 or not torch.isfinite(fs).all() or (fs <= 0).any():
        raise ValueError(f"factors must be finite and > 0 (a negative factor changes the function), got {list(factors)}")
    out = copy.deepcopy(model)
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for seq in [m for m in out.modules() if isinstance(m, nn.Sequential)]:
            for layer, bn, nxt, group in list(_rescalable_triples(seq)):
                c = layer.weight.shape[0]
                lam = fs[torch.randint(len(fs), (c,), generator=gen)].to(layer.weight.dtype)
                layer.weight.mul_(lam.view(-1, *([1] * (layer.weight.dim() - 1))))
                if layer.bias is not None:
                    layer.bias.mul_(lam)
                if bn is not None:
                    bn.running_mean.mul_(lam)
                    if bn.bias is not None:  # without beta (affine=False) the BN output scales by lambda anyway
                        bn.bias.mul_(lam)
                cols = lam.repeat_interleave(group)
                nxt.weight.div_(cols.view(1, -1, *([1] * (nxt.weight.dim() - 2))))
    return out
