"""Reading a fully connected ReLU net (``Linear, ReLU, ..., Linear``) and its gates.

The path formulas of Part IV (NPF, NPV, NPK) are stated for this architecture; everything here refuses
any other module with an error that names it, instead of returning a silently wrong number.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn


def linear_layers(model: nn.Module, *, allow_bias: bool = True, what: str = "this function") -> list[nn.Linear]:
    """The Linear layers of an ``nn.Sequential`` of alternating ``Linear`` and ``ReLU``, validated."""
    if not isinstance(model, nn.Sequential):
        raise TypeError(
            f"{what} needs an nn.Sequential of Linear and ReLU layers (see relulab.nets.mlp), "
            f"got {type(model).__name__}"
        )
    mods = list(model.children())
    if not mods:
        raise ValueError(f"{what}: the model has no layers")
    lins: list[nn.Linear] = []
    for i, m in enumerate(mods):
        expect_linear = i % 2 == 0
        if expect_linear and not isinstance(m, nn.Linear):
            raise TypeError(
                f"{what}: layer {i} is {type(m).__name__}; expected Linear (supported: Linear and ReLU alternating, "
                "starting and ending with Linear)"
            )
        if not expect_linear and not isinstance(m, nn.ReLU):
            raise TypeError(
                f"{what}: layer {i} is {type(m).__name__}, which is not supported: the path formulas assume ReLU gates "
                "between Linear layers"
            )
        if isinstance(m, nn.Linear):
            if m.bias is not None and not allow_bias:
                raise ValueError(
                    f"{what}: layer {i} (Linear) has a bias, but the formula assumes a bias-free net "
                    "(build it with relulab.nets.mlp(..., bias=False); bias paths are Part III's path-lifting)"
                )
            lins.append(m)
    if not isinstance(mods[-1], nn.Linear):
        raise TypeError(f"{what}: the last layer must be Linear, got {type(mods[-1]).__name__}")
    for a, b in zip(lins[:-1], lins[1:]):
        if a.out_features != b.in_features:
            raise ValueError(f"{what}: a Linear with {a.out_features} outputs feeds one with {b.in_features} inputs")
    return lins


def as_input(X: Any, model: nn.Module, *, name: str = "X") -> torch.Tensor:
    """Validate a batch of inputs for a fully connected net: 2-D, floating, finite, non-empty, right width."""
    lins = linear_layers(model)
    if isinstance(X, np.ndarray):
        X = torch.from_numpy(X)
    if not isinstance(X, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor or numpy array, got {type(X).__name__}")
    if not X.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {X.dtype}")
    dtype = lins[0].weight.dtype
    if X.dtype != dtype:
        raise TypeError(f"{name} has dtype {X.dtype} but the model's weights are {dtype}: convert one of them")
    if X.dim() != 2:
        raise ValueError(f"{name} must have shape (N, {lins[0].in_features}), got {tuple(X.shape)}")
    if X.shape[0] == 0:
        raise ValueError(f"{name} is an empty batch (N = 0)")
    if X.shape[1] != lins[0].in_features:
        raise ValueError(
            f"{name} has {X.shape[1]} features per sample but the model's first layer takes {lins[0].in_features}"
        )
    if not torch.isfinite(X).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return X


@torch.no_grad()
def preactivations(model: nn.Module, X: torch.Tensor) -> list[torch.Tensor]:
    """Pre-activations q_l(x) of every hidden layer, each of shape (N, w_l)."""
    lins = linear_layers(model, what="preactivations")
    h = as_input(X, model)
    qs = []
    for lin in lins[:-1]:
        q = lin(h)
        qs.append(q)
        h = torch.relu(q)
    return qs


def gates(model: nn.Module, X: torch.Tensor) -> list[torch.Tensor]:
    """Gates G_l(x) = 1[q_l(x) > 0] of every hidden layer, 0/1 tensors of shape (N, w_l) in the model's dtype."""
    return [(q > 0).to(q.dtype) for q in preactivations(model, X)]
