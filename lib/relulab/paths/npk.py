"""The neural path kernel of a fully connected net, from per-layer gate overlaps.

NPK(x, x') = <phi_x, phi_x'> = <x, x'> * prod_l <G_l(x), G_l(x')>:
two paths contribute only if they start at the same input coordinate and every gate on them is open for
both inputs, and the number of such paths factorises layer by layer.  This costs O(N N' sum_l w_l), never a
sum over the d_in * prod_l w_l paths.
"""

from __future__ import annotations

import torch
from torch import nn

from .sequential import as_input, gates, linear_layers


def npk_from_gates(X1: torch.Tensor, X2: torch.Tensor, G1: list[torch.Tensor], G2: list[torch.Tensor]) -> torch.Tensor:
    """<x, x'> times the product of per-layer gate overlaps, for gate matrices already computed (hard or soft)."""
    for name, X in (("X1", X1), ("X2", X2)):
        if not isinstance(X, torch.Tensor) or not X.is_floating_point():
            raise TypeError(f"{name} must be a floating-point torch.Tensor, got {getattr(X, 'dtype', type(X).__name__)}")
        if X.dim() != 2 or X.shape[0] == 0:
            raise ValueError(f"{name} must be a non-empty (N, d_in) batch, got shape {tuple(X.shape)}")
        if not torch.isfinite(X).all():
            raise ValueError(f"{name} contains NaN or infinite values")
    if X1.shape[1] != X2.shape[1]:
        raise ValueError(f"X1 and X2 must have the same number of features, got {X1.shape[1]} and {X2.shape[1]}")
    if len(G1) != len(G2):
        raise ValueError(f"gate lists have different depths: {len(G1)} and {len(G2)}")
    for name, G, X in (("G1", G1, X1), ("G2", G2, X2)):
        for l, g in enumerate(G):
            if not isinstance(g, torch.Tensor) or g.dim() != 2 or g.shape[0] != X.shape[0]:
                raise ValueError(f"{name}[{l}] must be an ({X.shape[0]}, w) gate matrix (one row per input), got "
                                 f"{tuple(g.shape) if isinstance(g, torch.Tensor) else type(g).__name__}")
            if not torch.isfinite(g).all():
                raise ValueError(f"{name}[{l}] contains NaN or infinite values")
    K = X1 @ X2.T
    for l, (g1, g2) in enumerate(zip(G1, G2)):
        if g1.shape[1] != g2.shape[1]:
            raise ValueError(f"layer {l}: gate widths differ ({g1.shape[1]} vs {g2.shape[1]})")
        K = K * (g1 @ g2.T)
    return K


def npk(model: nn.Module, X1: torch.Tensor, X2: torch.Tensor | None = None) -> torch.Tensor:
    """The NPK Gram matrix (N1, N2) of a bias-free fully connected ReLU net."""
    linear_layers(model, allow_bias=False, what="npk")
    X1 = as_input(X1, model, name="X1")
    if X2 is None or X2 is X1:
        G = gates(model, X1)
        K = npk_from_gates(X1, X1, G, G)
        # A Gram of one batch is symmetric; X X^T from a blocked GEMM need not be, bit for bit (the blocking depends
        # on the CPU).  (K + K^T) / 2 is exactly symmetric and differs from K by at most one rounding.
        return (K + K.T) / 2
    X2 = as_input(X2, model, name="X2")
    return npk_from_gates(X1, X2, gates(model, X1), gates(model, X2))
