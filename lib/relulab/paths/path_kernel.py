"""The neural path kernel of a fully connected net, from per-layer gate overlaps.

NPK(x, x') = <phi_x, phi_x'> = <x, x'> * prod_l <G_l(x), G_l(x')>:
two paths contribute only if they start at the same input coordinate and every gate on them is open for
both inputs, and the number of such paths factorises layer by layer.  This costs O(N N' sum_l w_l), never a
sum over the d_in * prod_l w_l paths.

``npk_regression`` is what the NPK is for (Lakshminarayanan & Singh's main theorem): with the gates frozen and a wide
value network trained by gradient descent on the squared loss, predictions follow kernel regression with a constant
times the NPK.
"""

from __future__ import annotations

import torch
from torch import nn

from .. import check
from .sequential import _gates, _input, linear_layers

__all__ = ["npk", "npk_from_gates", "npk_regression"]


def npk_from_gates(X1: torch.Tensor, G1: list[torch.Tensor], X2: torch.Tensor, G2: list[torch.Tensor]) -> torch.Tensor:
    """<x, x'> times the product of per-layer gate overlaps, for gate matrices already computed (hard or soft)."""
    X1, X2 = check.batch("X1", X1, ndim=2), check.batch("X2", X2, ndim=2)
    if X1.shape[1] != X2.shape[1]:
        raise ValueError(f"X1 and X2 must have the same number of features, got {X1.shape[1]} and {X2.shape[1]}")
    if len(check.instance("G1", G1, (list, tuple))) != len(check.instance("G2", G2, (list, tuple))):
        raise ValueError(f"gate lists have different depths: {len(G1)} and {len(G2)}")
    for l, (g1, g2) in enumerate(zip(G1, G2)):  # one row per input, the same width for both
        w1 = check.tensor(f"G1[{l}]", g1, shape=(X1.shape[0], None)).shape[1]
        w2 = check.tensor(f"G2[{l}]", g2, shape=(X2.shape[0], None)).shape[1]
        if w1 != w2:
            raise ValueError(f"layer {l}: gate widths differ ({w1} vs {w2})")
    return _npk(X1, G1, X2, G2)


def _npk(X1: torch.Tensor, G1: list, X2: torch.Tensor, G2: list, same: bool = False) -> torch.Tensor:
    K = X1 @ X2.T
    for g1, g2 in zip(G1, G2):
        K = K * (g1 @ g2.T)
    # one batch (`same`): a blocked GEMM's X X^T need not be bit-symmetric; (K + K^T) / 2 is, to one rounding of K
    return (K + K.T) / 2 if same else K


def npk(model: nn.Module, X1: torch.Tensor, X2: torch.Tensor | None = None) -> torch.Tensor:
    """The NPK Gram matrix (N1, N2) of a bias-free fully connected ReLU net."""
    lins = linear_layers(model, allow_bias=False, what="npk")
    X1 = _input(lins, X1, "X1")
    if X2 is None or X2 is X1:
        G = _gates(lins, X1)
        return _npk(X1, G, X1, G, same=True)
    X2 = _input(lins, X2, "X2")
    return _npk(X1, _gates(lins, X1), X2, _gates(lins, X2))


def npk_regression(
    model: nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    X_test: torch.Tensor,
    *,
    constant: float = 1.0,
    lr: float | None = None,
    steps: int | None = None,
) -> torch.Tensor:
    """Kernel regression with ``constant`` times the NPK of `model`'s gates: predictions at `X_test`.

    With ``steps=None`` the interpolant K(X_test, X) K(X, X)^+ y (minimum norm); with `lr` and `steps` the
    prediction after `steps` steps of gradient descent on 1/2 sum_i (f(x_i) - y_i)^2 started at f = 0 with kernel
    K = constant * NPK (the linearised training of a net whose tangent kernel is K).  y: (N,) or (N, k).
    """
    lins = linear_layers(model, allow_bias=False, what="npk_regression")
    X, X_test = _input(lins, X, "X"), _input(lins, X_test, "X_test")
    check.tensor("y", y, ndim=(1, 2), dtype=X.dtype)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"y has {y.shape[0]} rows but X has {X.shape[0]}")
    constant = check.real("constant", constant, low=0.0, open_low=True)
    if (lr is None) != (steps is None):
        raise ValueError("give both lr and steps (gradient descent) or neither (the interpolant)")
    if steps is not None:
        lr = check.real("lr", lr, low=0.0, open_low=True)
        steps = check.integer("steps", steps, low=0)
    G = _gates(lins, X)
    K = _npk(X, G, X, G, same=True)  # as npk(model, X) and npk(model, X_test, X), with the gates of X computed once
    K_test = K if X_test is X else _npk(X_test, _gates(lins, X_test), X, G)
    return _kernel_flow(constant * K, constant * K_test, y, lr, steps)


def _kernel_flow(
    K: torch.Tensor, K_test: torch.Tensor, y: torch.Tensor, lr: float | None, steps: int | None
) -> torch.Tensor:
    """K_test g(K) y with g(lam) = 1/lam (interpolant) or (1 - (1 - lr lam)^steps) / lam (gradient descent)."""
    lam, U = torch.linalg.eigh(K)
    if steps is None:
        # pseudo-inverse: eigenvalues at rounding level of the largest are treated as zero (minimum-norm solution)
        keep = lam > lam[-1].clamp_min(0) * K.shape[0] * torch.finfo(K.dtype).eps
        g = torch.where(keep, 1 / torch.where(keep, lam, torch.ones_like(lam)), torch.zeros_like(lam))
    else:
        # f_t(X) = (I - (I - lr K)^t) y on the training set; 1 - (1 - x)^t by expm1/log1p keeps its digits for
        # small x = lr * lam, and a null eigenvalue contributes its limit lr * t
        x = lr * lam
        tame = x.abs() < 0.5
        decay = torch.where(tame, -torch.expm1(steps * torch.log1p(-torch.where(tame, x, 0 * x))), 1 - (1 - x) ** steps)
        g = torch.where(lam != 0, decay / torch.where(lam != 0, lam, torch.ones_like(lam)), torch.full_like(lam, lr * steps))
    coef = U @ (g.unsqueeze(-1) * (U.T @ (y if y.dim() == 2 else y.unsqueeze(1))))
    out = K_test @ coef
    return out if y.dim() == 2 else out[:, 0]
