"""Reading a fully connected ReLU net (``Linear, ReLU, ..., Linear``) and its gates.

The path formulas of Part IV (NPF, NPV, NPK) are stated for this architecture; everything here refuses
any other module with an error that names it, instead of returning a silently wrong number.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from .. import check
from ..nets.fc import linear_layers  # re-exported: paths.linear_layers reads the nets nets.mlp builds

__all__ = ["as_input", "gates", "preactivations"]


def as_input(model: nn.Module, X: Any, *, name: str = "X") -> torch.Tensor:
    """Validate a batch of inputs for a fully connected net: 2-D, floating, finite, non-empty, right width."""
    lins = linear_layers(model)
    if isinstance(X, np.ndarray):
        X = torch.from_numpy(X)
    X = check.batch(name, X, ndim=2, dtype=lins[0].weight.dtype)
    if X.shape[1] != lins[0].in_features:
        raise ValueError(
            f"{name} has {X.shape[1]} features per sample but the model's first layer takes {lins[0].in_features}"
        )
    return X


@torch.no_grad()
def preactivations(model: nn.Module, X: torch.Tensor) -> list[torch.Tensor]:
    """Pre-activations q_l(x) of every hidden layer, each of shape (N, w_l)."""
    lins = linear_layers(model, what="preactivations")
    h = as_input(model, X)
    qs = []
    for lin in lins[:-1]:
        q = lin(h)
        qs.append(q)
        h = torch.relu(q)
    return qs


def gates(model: nn.Module, X: torch.Tensor) -> list[torch.Tensor]:
    """Gates G_l(x) = 1[q_l(x) > 0] of every hidden layer, 0/1 tensors of shape (N, w_l) in the model's dtype."""
    return [(q > 0).to(q.dtype) for q in preactivations(model, X)]
