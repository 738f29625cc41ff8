"""Path-norms, path-metrics and path-magnitude scores of any supported torch model by forward passes (Gonon et al.).

The model is read through its ``forward`` with ``torch.fx`` (:mod:`relulab.paths.graph`), so custom blocks,
functional ReLU/pooling/mean/flatten, residual additions and concatenations written in ``forward`` are all
readable; anything that is not a ReLU DAG is refused with a report naming the module or graph node and why
(:func:`support_report`).  The quantities come from the |theta| forward pass of :mod:`relulab.paths.abs_pass`: one
pass for ||Phi(theta)||_q, two for a path-metric, one forward and one backward pass for the path-magnitude scores.
The model is never modified (no copy is made either: only |theta| tensors are allocated).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import NamedTuple, Sequence

import torch
from torch import nn

from relulab import check

from . import abs_pass as A
from . import graph as G

__all__ = ["SupportReport", "check_supported", "global_prune", "lifted_output", "magnitude_scores",
           "path_magnitude_scores", "path_metric", "path_metric_bound", "path_norm", "random_rescaling",
           "support_report"]


@dataclass(frozen=True)
class SupportReport:
    """Whether a model is a ReLU DAG that the path-lifting can read, and every problem found (where and why)."""

    supported: bool
    problems: tuple[str, ...]
    n_nodes: int

    def __str__(self) -> str:
        if self.supported:
            return f"supported: a ReLU DAG of {self.n_nodes} traced nodes"
        return "not a supported ReLU DAG:\n" + "\n".join(f"- {p}" for p in self.problems)


def support_report(model: nn.Module) -> SupportReport:
    """Trace ``model.forward`` with torch.fx and list every module or graph node that is not a ReLU-DAG piece."""
    check.model("model", model)
    plan = G._read(model)
    return SupportReport(not plan.problems, plan.problems, len(plan.steps))


def _plan(model: nn.Module, name: str = "model") -> G.Plan:
    """The classified graph of a supported model; raises TypeError/ValueError with the support report otherwise."""
    check.model(name, model)
    plan = G._read(model)
    if plan.problems:
        msg = plan.problems[0] if len(plan.problems) == 1 else \
            f"{name} is not a supported ReLU DAG ({len(plan.problems)} problems):\n- " + "\n- ".join(plan.problems)
        raise (TypeError if plan.type_problem else ValueError)(msg)
    return plan


def check_supported(model: nn.Module) -> None:
    """Raise TypeError (an unsupported operation) or ValueError (a bad setting) naming every module or node at fault."""
    _plan(model)


def _shape(input_shape: Sequence[int]) -> tuple[int, ...]:
    shp = tuple(check.integers("input_shape", input_shape, low=1))
    check.within_budget("input_shape", math.prod(shp), check.MAX_ENTRIES, what=f"entries in an input of shape {shp}")
    return shp


def _total(outs: list[torch.Tensor]) -> torch.Tensor:
    total = sum(o.sum() for o in outs)
    if not torch.isfinite(total) or total.item() > 1e300:
        raise OverflowError(f"path-norm sum {total.item():.3g} overflows float64 (> 1e300)")
    return total


def _run(plan: G.Plan, params: A.Params, shape: tuple[int, ...], q: float, max_pool: str = "sum") -> list:
    try:
        return A._run(plan, params, shape, q, max_pool=max_pool)
    except RuntimeError as exc:  # a shape mismatch inside a layer: say which argument is wrong
        raise ValueError(f"input_shape {shape} does not fit the model: {exc}") from exc


def lifted_output(model: nn.Module, input_shape: Sequence[int], q: float = 1, *, max_pools: str = "sum") -> torch.Tensor:
    """Output of the |theta|^q net on an all-ones input (batch of one): entry o sums |Phi_p|^q over paths ending at o.

    Several returned tensors are flattened and concatenated.  ``max_pools="max"`` keeps max-pools as maxima -- a
    wrong transform, for negative controls: the sum over paths needs every path through a window.
    """
    q = check.real("q", q, low=0, open_low=True)
    shape = _shape(input_shape)
    check.choice("max_pools", max_pools, ("sum", "max"))
    plan = _plan(model)
    with torch.no_grad():
        outs = _run(plan, A._abs_params(plan, q), shape, q, max_pool=max_pools)
    return outs[0][0] if len(outs) == 1 else torch.cat([o[0].reshape(-1) for o in outs])


def path_norm(model: nn.Module, input_shape: Sequence[int], q: float = 1) -> float:
    """||Phi(theta)||_q of a supported ReLU DAG net, biases counted as paths, in one forward pass (model unchanged)."""
    q = check.real("q", q, low=0, open_low=True)
    shape = _shape(input_shape)
    plan = _plan(model)
    with torch.no_grad():
        return _total(_run(plan, A._abs_params(plan, q), shape, q)).item() ** (1.0 / q)


def _signature(plan: G.Plan) -> list:
    return [(s.kind, str(s.node.target) if s.node.op != "call_function" else s.node.target) for s in plan.steps]


def _pair(model: nn.Module, other: nn.Module, other_name: str,
          shrink: bool = False) -> tuple[G.Plan, G.Plan, A.Params, A.Params]:
    """Plans and signed parameters of two nets of one architecture and equal signs (|other| <= |model| if `shrink`)."""
    pa, pb = _plan(model), _plan(other, other_name)
    ta, tb = A._signed_params(pa), A._signed_params(pb)
    shapes = lambda t: {k: tuple(x.shape for x in v if x is not None) for k, v in t.items()}  # noqa: E731
    if _signature(pa) != _signature(pb) or shapes(ta) != shapes(tb) or \
            [type(m) for m in pa.layers.values()] != [type(m) for m in pb.layers.values()]:
        raise ValueError(f"model and {other_name} must have the same architecture (same graph and parameter shapes)")
    for k in ta:
        for part, x, y in zip(("weight", "bias"), ta[k], tb[k]):
            if x is None:
                continue
            label = f"{k}.{part}" if not isinstance(pa.layers[k], G.BATCHNORMS) else f"{k} (folded BN {part})"
            bad = x * y < 0
            if bad.any():
                raise ValueError(f"parameters '{label}' have opposite signs at {int(bad.sum())} entries: no "
                                 "path-metric formula by forward passes (and no Lipschitz bound) for pairs with "
                                 "different signs")
            if shrink and (y.abs() > x.abs()).any():
                raise ValueError(f"'{label}': {other_name} is not a shrink of model (|theta'_i| > |theta_i| "
                                 "somewhere); the two-pass difference is then not the path-metric -- use "
                                 "path_metric_bound")
    return pa, pb, ta, tb


def path_metric(model: nn.Module, pruned_model: nn.Module, input_shape: Sequence[int]) -> float:
    """||Phi(theta) - Phi(theta')||_1 = ||Phi(theta)||_1 - ||Phi(theta')||_1 in two passes; exact when theta' shrinks theta.

    Requires same signs and |theta'_i| <= |theta_i| (pruning, shrinking towards 0); raises ValueError otherwise
    (use :func:`path_metric_bound` for other same-sign pairs).
    """
    shape = _shape(input_shape)
    pa, pb, _, _ = _pair(model, pruned_model, "pruned_model", shrink=True)
    with torch.no_grad():
        return (_total(_run(pa, A._abs_params(pa, 1.0), shape, 1.0))
                - _total(_run(pb, A._abs_params(pb, 1.0), shape, 1.0))).item()


def path_metric_bound(model: nn.Module, other: nn.Module, input_shape: Sequence[int]) -> float:
    """Upper bound ||Phi(max|theta|,|theta'|)||_1 - ||Phi(min)||_1 >= ||Phi(theta) - Phi(theta')||_1 for same-sign pairs."""
    shape = _shape(input_shape)
    pa, pb, _, _ = _pair(model, other, "other")
    a, b = A._abs_params(pa, 1.0), A._abs_params(pb, 1.0)
    pick = lambda f: {k: tuple(None if x is None else f(x, y) for x, y in zip(a[k], b[k])) for k in a}  # noqa: E731
    with torch.no_grad():
        return (_total(_run(pa, pick(torch.maximum), shape, 1.0))
                - _total(_run(pa, pick(torch.minimum), shape, 1.0))).item()


_LINEAR = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.ConvTranspose1d, nn.ConvTranspose2d)


def _prunable(model: nn.Module) -> dict[str, nn.Module]:
    return {n: m for n, m in model.named_modules() if isinstance(m, _LINEAR) and m.weight is not None
            and m.weight.requires_grad}


def path_magnitude_scores(model: nn.Module, input_shape: Sequence[int]) -> dict[str, torch.Tensor]:
    """score_i = |theta_i| d||Phi||_1/d|theta_i| = sum of |Phi_p| over paths through weight i, for every trainable
    Linear/Conv weight, in one forward and one backward pass (exact: ||Phi||_1 is affine in each |theta_i|)."""
    shape = _shape(input_shape)
    plan = _plan(model)
    params = A._abs_params(plan, 1.0, grad_weights=True)
    with torch.enable_grad():
        _total(_run(plan, params, shape, 1.0)).backward()
    out = {}
    for name, m in _prunable(model).items():
        w = params.get(name, (None,))[0]
        if w is None or w.grad is None:  # a layer that forward never calls carries no path
            out[name + ".weight"] = torch.zeros_like(m.weight, dtype=m.weight.dtype).detach()
        else:
            out[name + ".weight"] = (w.detach() * w.grad).to(m.weight.dtype)
    return out


def magnitude_scores(model: nn.Module) -> dict[str, torch.Tensor]:
    """|theta_i| for every trainable Linear/Conv weight (the classical, rescaling-dependent score)."""
    check_supported(model)
    return {n + ".weight": m.weight.detach().abs().clone() for n, m in _prunable(model).items()}


class Pruned(NamedTuple):
    """A pruned copy of a model and its 0/1 masks by parameter name (unpacks as ``net, masks``)."""

    model: nn.Module
    masks: dict[str, torch.Tensor]


def global_prune(model: nn.Module, scores: dict[str, torch.Tensor], fraction: float) -> Pruned:
    """A copy of `model` with the globally smallest `fraction` of scored weights set to 0, and the 0/1 masks."""
    check.model("model", model)
    fraction = check.real("fraction", fraction, low=0, high=1)
    if not check.instance("scores", scores, dict):
        raise ValueError("scores must be a non-empty dict {parameter name: score tensor}")
    named = dict(model.named_parameters())
    for name, sc in scores.items():
        if name not in named:
            raise ValueError(f"scores names '{name}', which is not a parameter of the model")
        check.tensor(f"scores['{name}']", sc, shape=named[name].shape, floating=False)
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
    return Pruned(out, masks)


_BN = (nn.BatchNorm1d, nn.BatchNorm2d)
_POOLS = (nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d)
_INERT = (nn.Flatten, nn.Identity, nn.Dropout)


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
        while j < len(kids) and isinstance(kids[j], _POOLS + _INERT):  # positive per-channel scaling commutes with these
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


def random_rescaling(model: nn.Module, *, seed: int, factors: Sequence[float] = (1.0, 2.0**7, 2.0**12)) -> nn.Module:
    """A copy of `model` where every hidden channel of each layer-[BN]-ReLU-next pattern of an ``nn.Sequential`` is
    rescaled by a random lambda from `factors` (in-weights, bias, BN mean and beta times lambda; next layer's
    in-weights / lambda).  The function is unchanged (exactly, for powers of two) and Phi(theta) is unchanged.
    """
    check_supported(model)
    seed = check.seed(seed)
    fs = torch.as_tensor(check.array("factors", factors, 1, allow_empty=True))
    if fs.numel() == 0 or (fs <= 0).any():
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
