"""Reading a fully connected ReLU net (``Linear, ReLU, ..., Linear``) and its gates.

The path formulas of Part IV (NPF, NPV, NPK) are stated for this architecture; everything here refuses
any other module with an error that names it, instead of returning a silently wrong number.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from .. import check
from ..nets.fc import linear_layers  # re-exported: paths.linear_layers reads the nets nets.mlp builds

__all__ = ["as_input", "gates", "preactivations"]


def as_input(model: nn.Module, X: Any, *, name: str = "X") -> torch.Tensor:
    """Validate a batch of inputs for a fully connected net: 2-D, floating, finite, non-empty, right width."""
    return _input(linear_layers(model), X, name)


def _input(lins: list[nn.Linear], X: Any, name: str) -> torch.Tensor:
    X = check.batch(name, X, ndim=2, dtype=lins[0].weight.dtype)
    if X.shape[1] != lins[0].in_features:
        raise ValueError(f"{name} has {X.shape[1]} features per sample but the model's first layer takes "
                         f"{lins[0].in_features}")
    return X


def preactivations(model: nn.Module, X: torch.Tensor) -> list[torch.Tensor]:
    """Pre-activations q_l(x) of every hidden layer, each of shape (N, w_l)."""
    lins = linear_layers(model, what="preactivations")
    return _preactivations(lins, _input(lins, X, "X"))


def gates(model: nn.Module, X: torch.Tensor) -> list[torch.Tensor]:
    """Gates G_l(x) = 1[q_l(x) > 0] of every hidden layer, 0/1 tensors of shape (N, w_l) in the model's dtype."""
    lins = linear_layers(model, what="gates")
    return _gates(lins, _input(lins, X, "X"))


@torch.no_grad()
def _preactivations(lins: list[nn.Linear], X: torch.Tensor) -> list[torch.Tensor]:
    qs: list[torch.Tensor] = []
    for lin in lins[:-1]:  # q_1 = W_1 x, then q_l = W_l relu(q_{l-1})
        qs.append(lin(torch.relu(qs[-1]) if qs else X))
    return qs


def _gates(lins: list[nn.Linear], X: torch.Tensor) -> list[torch.Tensor]:
    return [(q > 0).to(q.dtype) for q in _preactivations(lins, X)]
