"""The infinite-width kernels of a fully connected ReLU net: the arc-cosine NNGP kernel and the NTK.

In the NTK parameterisation a layer computes q_l = (sigma_w / sqrt(n_{l-1})) W_l h_{l-1} + sigma_b b_l with
W_l, b_l i.i.d. N(0, 1) and h_l = relu(q_l).  As every hidden width grows, the covariance of q_l across two
inputs tends to Sigma_l and the NTK to Theta_l, given by the recursion of Jacot et al. (2018) with the
arc-cosine expectations of Cho & Saul (2009): for a centred Gaussian pair (u, v) of variances s, s' and
correlation cos(t),

    E[relu(u) relu(v)] = sqrt(s s') (sin t + (pi - t) cos t) / (2 pi),    E[1[u > 0] 1[v > 0]] = (pi - t) / (2 pi),

    Sigma_1 = sigma_w^2 <x, x'> / d + sigma_b^2,   Theta_1 = Sigma_1,
    Sigma_{l+1} = sigma_w^2 E[relu relu] + sigma_b^2,   Theta_{l+1} = Theta_l sigma_w^2 E[1 1] + Sigma_{l+1}.

A net with `depth` weight layers has the NTK Theta_depth and the NNGP kernel Sigma_depth.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from . import check

__all__ = ["InfiniteWidthKernels", "relu_kernels"]


@dataclass(frozen=True)
class InfiniteWidthKernels:
    """The NNGP kernel (covariance of the output at initialisation) and the NTK, each (N1, N2)."""

    nngp: torch.Tensor
    ntk: torch.Tensor


def relu_kernels(
    X1: torch.Tensor,
    X2: torch.Tensor | None = None,
    *,
    depth: int,
    sigma_w2: float = 2.0,
    sigma_b2: float = 0.0,
) -> InfiniteWidthKernels:
    """Infinite-width NNGP kernel and NTK of a ReLU net with `depth` weight layers (NTK parameterisation)."""
    X1 = check.tensor("X1", X1, ndim=2)
    X2 = X1 if X2 is None else check.tensor("X2", X2, shape=(None, X1.shape[1]))
    depth = check.integer("depth", depth, low=1)
    sw = check.real("sigma_w2", sigma_w2, low=0, open_low=True)
    sb = check.real("sigma_b2", sigma_b2, low=0)
    if X1.shape[0] == 0 or X2.shape[0] == 0 or X1.shape[1] == 0:
        raise ValueError(f"X1 and X2 must be non-empty, got {tuple(X1.shape)} and {tuple(X2.shape)}")
    d = X1.shape[1]
    s12 = sw * (X1 @ X2.T) / d + sb
    s1 = sw * (X1 * X1).sum(1) / d + sb  # variances of the first pre-activation at x and at x'
    s2 = sw * (X2 * X2).sum(1) / d + sb
    theta = s12.clone()
    c = sw / (2 * math.pi)
    for _ in range(depth - 1):
        # correlation cos t of the pair; a zero variance (x = 0 without bias) gets cos t = 0, t = pi / 2
        r1 = torch.where(s1 > 0, s1.rsqrt(), 0.0)
        r2 = torch.where(s2 > 0, s2.rsqrt(), 0.0)
        cos = (s12 * r1[:, None] * r2[None, :]).clamp_(-1.0, 1.0)
        t = torch.arccos(cos)
        kappa = torch.sin(t)
        pi_t = t.neg_().add_(math.pi)  # pi - t, in place: these are the large (N1, N2) arrays
        kappa.addcmul_(pi_t, cos)  # sin t + (pi - t) cos t
        s12 = kappa.mul_(s1.sqrt()[:, None]).mul_(s2.sqrt()[None, :]).mul_(c).add_(sb)
        theta.mul_(pi_t.mul_(c)).add_(s12)
        s1, s2 = sw * s1 / 2 + sb, sw * s2 / 2 + sb  # E[relu(u)^2] = s / 2
    return InfiniteWidthKernels(nngp=s12, ntk=theta)
