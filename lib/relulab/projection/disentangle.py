"""Tensor-product (disentangled) structure of event tables: Lemma 1 and Theorems 8-9 of Tian (2018).

Events of a field that factorise, z = (z[1], ..., z[K]), are indexed in mixed radix (left factor slowest), so a
function of factor i alone is the vector 1 x ... x f x ... x 1.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from .. import check

__all__ = ["disentanglement_residual", "kron"]


def kron(*mats: torch.Tensor) -> torch.Tensor:
    """The Kronecker product of matrices or vectors, left factor slowest."""
    if not mats:
        raise ValueError("kron needs at least one factor")
    mats = tuple(check.tensor(f"mats[{i}]", M) for i, M in enumerate(mats))
    out = mats[0]
    for M in mats[1:]:
        out = torch.kron(out, M)
    return out


def disentanglement_residual(v: torch.Tensor, shape: Sequence[int], factor: int) -> float:
    """max |v - (v averaged over every factor but `factor`)| for v laid out as a tensor of `shape`.

    Zero iff v = 1 x ... x f x ... x 1 is a function of factor `factor` alone.
    """
    shape = tuple(check.integers("shape", shape, low=1))
    v = check.tensor("v", v, ndim=1)
    if v.numel() != int(np.prod(shape)):
        raise ValueError(f"v must be a vector of {int(np.prod(shape))} entries (shape {shape}), got {tuple(v.shape)}")
    factor = check.integer("factor", factor, low=0, high=len(shape) - 1)
    T = v.reshape(shape)
    others = tuple(d for d in range(len(shape)) if d != factor)
    mean = T.mean(dim=others, keepdim=True) if others else T
    return float((T - mean).abs().max())
