"""Theorem 4 of Tian (2018): the student's passes as products of event tables.

    F_alpha = D_alpha o sum_beta P_ab F_beta W_ba          (forward, one step up)
    G_beta  = D_beta  o sum_alpha Pb_ab^T G_alpha W_ba^T    (backward, one step down)
    dW_ba   = (P_ab F_beta)^T Lambda_alpha G_alpha          (the descent step)
"""

from __future__ import annotations

from typing import Any, Sequence

import torch

from .. import check

__all__ = ["reformulated_backward", "reformulated_forward", "weight_update"]


def _matrices(name: str, mats: Any) -> list[torch.Tensor]:
    if isinstance(mats, torch.Tensor) or not isinstance(mats, (list, tuple)):
        raise TypeError(f"{name} must be a list of 2-D tensors, got {type(mats).__name__}")
    return [check.tensor(f"{name}[{i}]", M, ndim=2) for i, M in enumerate(mats)]


def _gate(raw: torch.Tensor, D: torch.Tensor | str | None) -> torch.Tensor:
    if D is None:
        return raw
    if isinstance(D, str):
        check.choice("D", D, ("relu",))
        return raw * (raw > 0).to(raw.dtype)
    D = check.tensor("D", D, shape=tuple(raw.shape))
    return D * raw


def reformulated_forward(
    Ps: Sequence[torch.Tensor],
    Fs: Sequence[torch.Tensor],
    Ws: Sequence[torch.Tensor],
    D: torch.Tensor | str | None = None,
    bias: torch.Tensor | None = None,
) -> torch.Tensor:
    """F_alpha = D o (sum over children of P F W + bias): one step of Theorem 4's forward pass.

    `D` is a measured gate table, ``"relu"`` for the pure reformulated dynamics (D = 1[F_raw > 0]), or None (linear).
    """
    Ps, Fs, Ws = _matrices("Ps", Ps), _matrices("Fs", Fs), _matrices("Ws", Ws)
    if not (len(Ps) == len(Fs) == len(Ws)) or not Ps:
        raise ValueError("Ps, Fs, Ws must be non-empty and of equal length (one entry per child)")
    for i, (P, F, W) in enumerate(zip(Ps, Fs, Ws)):
        if P.shape[1] != F.shape[0] or F.shape[1] != W.shape[0]:
            raise ValueError(f"child {i}: P {tuple(P.shape)}, F {tuple(F.shape)}, W {tuple(W.shape)} do not chain")
    raw = sum(P @ F @ W for P, F, W in zip(Ps, Fs, Ws))
    if bias is not None:
        raw = raw + check.tensor("bias", bias)
    return _gate(raw, D)


def reformulated_backward(
    Pbs: Sequence[torch.Tensor], Gs: Sequence[torch.Tensor], Ws: Sequence[torch.Tensor], D: torch.Tensor | None = None
) -> torch.Tensor:
    """G_beta = D o sum over parents of Pb^T G W^T: one step of Theorem 4's backward pass."""
    Pbs, Gs, Ws = _matrices("Pbs", Pbs), _matrices("Gs", Gs), _matrices("Ws", Ws)
    if not (len(Pbs) == len(Gs) == len(Ws)) or not Pbs:
        raise ValueError("Pbs, Gs, Ws must be non-empty and of equal length (one entry per parent)")
    for i, (Pb, G, W) in enumerate(zip(Pbs, Gs, Ws)):
        if Pb.shape[0] != G.shape[0] or G.shape[1] != W.shape[1]:
            raise ValueError(f"parent {i}: Pb {tuple(Pb.shape)}, G {tuple(G.shape)}, W {tuple(W.shape)} do not chain")
    return _gate(sum(Pb.T @ G @ W.T for Pb, G, W in zip(Pbs, Gs, Ws)), D)


def weight_update(P: torch.Tensor, F_child: torch.Tensor, lam_parent: torch.Tensor, G_parent: torch.Tensor) -> torch.Tensor:
    """Delta W_ba = (P_ab F_beta)^T Lambda_alpha G_alpha: the (n_child, n_parent) descent step of Theorem 4."""
    P, F_child = check.tensor("P", P, ndim=2), check.tensor("F_child", F_child, ndim=2)
    lam_parent, G_parent = check.tensor("lam_parent", lam_parent, ndim=1), check.tensor("G_parent", G_parent, ndim=2)
    if P.shape != (lam_parent.shape[0], F_child.shape[0]) or G_parent.shape[0] != lam_parent.shape[0]:
        raise ValueError(
            f"shapes do not chain: P {tuple(P.shape)}, F {tuple(F_child.shape)}, lambda {tuple(lam_parent.shape)}, "
            f"G {tuple(G_parent.shape)}"
        )
    return (P @ F_child).T @ (lam_parent[:, None] * G_parent)
