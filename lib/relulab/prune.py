"""Pruning with masks that survive retraining: random masks, rewinding, masks kept through training (Part III).

The scores and the one-shot global prune live in :mod:`relulab.paths.lifting` (``magnitude_scores``,
``path_magnitude_scores``, ``global_prune``).  Retraining a pruned net (lottery-ticket rewinding, Frankle et al.
2020, as in Gonon et al.'s ICML 2025 experiment) needs the pruned weights to *stay* zero while the others train:
:func:`masked` attaches the masks with ``torch.nn.utils.prune`` (a forward pre-hook computes
``weight = weight_orig * mask``, so pruned entries get no gradient), and :func:`unmasked` folds them back into
plain weights, e.g. before a path-norm is computed.
"""

from __future__ import annotations

import copy

import torch
from torch import nn
from torch.nn.utils import prune as tprune

from . import check
from .paths.lifting import magnitude_scores

__all__ = ["masked", "random_scores", "sparsity", "unmasked"]


def random_scores(model: nn.Module, *, seed: int) -> dict[str, torch.Tensor]:
    """i.i.d. uniform scores for every prunable weight (the keys of ``magnitude_scores``): a random global mask."""
    gen = torch.Generator().manual_seed(check.seed(seed))
    return {k: torch.rand(v.shape, generator=gen, dtype=torch.float64) for k, v in magnitude_scores(model).items()}


def masked(model: nn.Module, masks: dict[str, torch.Tensor]) -> nn.Module:
    """A copy of `model` whose weights named in `masks` (0/1 or bool, the parameter's shape) are pruned for good.

    The entries where the mask is 0 are zero in every forward pass and receive no gradient, so training keeps
    them pruned; the other entries keep their values (rewinding = call this on an early checkpoint).
    """
    check.model("model", model)
    if not check.instance("masks", masks, dict):
        raise ValueError("masks must be a non-empty dict {parameter name: 0/1 mask}")
    named = dict(model.named_parameters())
    for name, m in masks.items():
        if name not in named or not name.endswith(".weight"):
            raise ValueError(f"masks names '{name}', which is not a weight of the model")
        check.tensor(f"masks['{name}']", m, shape=tuple(named[name].shape), floating=False)
    out = _copy(model)
    modules = dict(out.named_modules())
    for name, m in masks.items():
        mod = modules[name[: -len(".weight")]]
        tprune.custom_from_mask(mod, "weight", m.to(dtype=mod.weight.dtype, device=mod.weight.device))
    return out


def unmasked(model: nn.Module) -> nn.Module:
    """A copy of `model` with every pruning mask folded into a plain weight (pruned entries exactly 0)."""
    check.model("model", model)
    out = _copy(model)
    for mod in out.modules():
        if tprune.is_pruned(mod) and hasattr(mod, "weight_mask"):
            tprune.remove(mod, "weight")
    return out


def _copy(model: nn.Module) -> nn.Module:
    """deepcopy that also works after a forward pass with gradients through a masked module."""
    # The pre-hook leaves `weight = weight_orig * mask` as a non-leaf tensor, which deepcopy refuses; recompute it
    # without gradient (the same value, and the hook recomputes it at the next forward pass anyway).
    with torch.no_grad():
        for mod in model.modules():
            if tprune.is_pruned(mod) and hasattr(mod, "weight_mask"):
                mod.weight = mod.weight_orig * mod.weight_mask
    return copy.deepcopy(model)


def sparsity(model: nn.Module) -> float:
    """The fraction of exactly-zero entries among the weights that ``magnitude_scores`` would score."""
    scores = magnitude_scores(unmasked(model))
    total = sum(v.numel() for v in scores.values())
    return sum(int((v == 0).sum()) for v in scores.values()) / total
