"""Batch Norm's backward pass is a projection (Theorem 5 of Tian, 2018).

For one node over a batch, y = (x - mean) / sqrt(var + eps) (biased variance).  Its backward pass is
dL/dx = (1/s) (I - 1 1^T/N - x_hat x_hat^T/N) dL/dy: at eps = 0 the orthogonal projector onto span{1, x}^perp.
"""

from __future__ import annotations

import numpy as np
import torch

from .. import check
from .marginals import _sample_weights

__all__ = ["bn_backward", "bn_projector"]

# A dense (N, N) projector beyond 10^4 samples would hold 10^8 entries (0.8 GB).
MAX_PROJECTOR = 10_000


def _batch_dims(name: str, x: torch.Tensor, eps: float) -> tuple[int, ...]:
    """The dimensions normalised over: 0 for (N,) or (N, C), every one but 1 for (N, C, ...)."""
    if x.dim() == 0:
        raise ValueError(f"{name} must have a batch dimension")
    dims = (0,) if x.dim() <= 2 else (0,) + tuple(range(2, x.dim()))
    count = int(np.prod([x.shape[d] for d in dims]))
    if count < 2:
        raise ValueError(f"batch norm needs at least 2 samples per channel, got {count} (a batch of one)")
    if eps == 0:
        var = x.var(dim=dims, unbiased=False)
        scale = x.abs().amax(dim=dims).clamp_min(1e-300)
        if (var <= (1e-14 * scale) ** 2).any():
            raise ValueError(f"{name} is constant over the batch in some channel: sigma = 0 and BN is undefined at eps = 0")
    return dims


def bn_backward(x: torch.Tensor, grad_out: torch.Tensor, eps: float = 0.0) -> torch.Tensor:
    """dL/dx of training-mode batch norm (no affine, biased variance) by the projection formula, not autograd."""
    x = check.tensor("x", x)
    grad_out = check.tensor("grad_out", grad_out, shape=tuple(x.shape))
    eps = check.real("eps", eps, low=0.0)
    dims = _batch_dims("x", x, eps)
    mu = x.mean(dim=dims, keepdim=True)
    s = torch.sqrt(((x - mu) ** 2).mean(dim=dims, keepdim=True) + eps)
    xh = (x - mu) / s
    return (grad_out - grad_out.mean(dim=dims, keepdim=True) - xh * (xh * grad_out).mean(dim=dims, keepdim=True)) / s


def bn_projector(f: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
    """The (N, N) matrix I - 1 w^T - f~ (w f~)^T, f~ = f standardised under the sample weights w (default 1/N).

    Uniform weights give Theorem 5's projector onto span{1, f}^perp; other weights the projector that is orthogonal
    in <u, v> = sum_n w_n u_n v_n (Batch Norm inside the reformulation).
    """
    f = check.tensor("f", f, ndim=1)
    n = f.shape[0]
    check.within_budget("bn_projector", n * n, MAX_PROJECTOR**2, what="matrix entries (f has too many samples)")
    _batch_dims("f", f, 0.0)
    w = torch.full((n,), 1.0 / n, dtype=f.dtype) if weights is None else _sample_weights(weights, n)
    if w.sum() <= 0:
        raise ValueError("weights must not all be zero")
    w = w / w.sum()
    mu = (w * f).sum()
    ft = (f - mu) / torch.sqrt((w * (f - mu) ** 2).sum())
    return torch.eye(n, dtype=f.dtype) - torch.outer(torch.ones(n, dtype=f.dtype), w) - torch.outer(ft, w * ft)
