"""Marginal statistics of a teacher's events (Tian's Table 3) and the conditions of Theorem 2.

A table indexed by events is a conditional mean over the data law: ``E[values | z = a]``.  An edge between a
parent field (events ``a``) and a child field (events ``b``) carries ``P[a, b] = P(b | a)``,
``Pb[a, b] = P(a | b)`` and the two marginals.  Focus and broadness are conditional independences, measured by
:func:`independence_gap`; decorrelation is a conditional covariance, :func:`conditional_covariance`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from .. import check

__all__ = ["EdgeStatistics", "conditional_covariance", "conditional_mean", "event_statistics", "independence_gap"]


def _sample_weights(w: Any, n: int | None = None) -> torch.Tensor:
    """Sample weights: a finite, non-negative, non-empty 1-D tensor (of length n when given)."""
    w = check.tensor("weights", w, shape=(n,))
    if w.shape[0] == 0:
        raise ValueError("weights is empty: no samples")
    if (w < 0).any():
        raise ValueError("weights must be non-negative")
    return w


def _events(name: str, z: Any, m: int, n: int) -> torch.Tensor:
    return torch.as_tensor(check.codes(name, z, (n,), high=m, what="events"))


def _table_args(name: str, values: torch.Tensor, z: Any, w: Any, m: Any) -> tuple[torch.Tensor, torch.Tensor, int]:
    """The events (a tensor), weights and m of a table over the samples of `values` (named `name`), checked."""
    m = check.integer("m", m, low=1)
    if values.dim() == 0 or values.shape[0] == 0:
        raise ValueError(f"{name} must have a non-empty sample dimension, got shape {tuple(values.shape)}")
    w = _sample_weights(w, values.shape[0])
    return _events("z", z, m, values.shape[0]), w, m


def conditional_mean(values: torch.Tensor, z: Any, weights: torch.Tensor, m: int) -> torch.Tensor:
    """E[values | z = a] for a = 0..m-1 under the sample weights: an (m, ...) table; every event needs mass."""
    values = check.tensor("values", values)
    return _conditional_mean(values, *_table_args("values", values, z, weights, m))


def _conditional_mean(values: torch.Tensor, z: torch.Tensor, weights: torch.Tensor, m: int) -> torch.Tensor:
    onehot = torch.nn.functional.one_hot(z, m).to(values.dtype) * weights.to(values.dtype)[:, None]
    mass = onehot.sum(0)
    if (mass <= 0).any():
        raise ValueError(f"events {torch.nonzero(mass <= 0).flatten().tolist()} have zero mass")
    return torch.einsum("na,n...->a...", onehot, values) / mass.reshape((m,) + (1,) * (values.dim() - 1))


@dataclass(frozen=True)
class EdgeStatistics:
    """One edge of the teacher's graph: ``P[a,b] = P(b|a)``, ``Pb[a,b] = P(a|b)``, marginals and the joint law."""

    P: torch.Tensor
    Pb: torch.Tensor
    lam_parent: torch.Tensor
    lam_child: torch.Tensor
    joint: torch.Tensor


def event_statistics(z_parent: Any, z_child: Any, weights: torch.Tensor, m_parent: int, m_child: int) -> EdgeStatistics:
    """Tian's Table 3 for one edge, counted from the samples' events under the sample weights."""
    weights = _sample_weights(weights)
    m_parent, m_child = check.integer("m_parent", m_parent, low=1), check.integer("m_child", m_child, low=1)
    n = weights.shape[0]
    zp, zc = _events("z_parent", z_parent, m_parent, n), _events("z_child", z_child, m_child, n)
    return _event_statistics(zp, zc, weights, m_parent, m_child)


def _event_statistics(zp: torch.Tensor, zc: torch.Tensor, w: torch.Tensor, mp: int, mc: int) -> EdgeStatistics:
    joint = torch.zeros(mp, mc, dtype=w.dtype).index_put_((zp, zc), w, accumulate=True)
    joint = joint / joint.sum()
    lam_p, lam_c = joint.sum(1), joint.sum(0)
    if (lam_p <= 0).any() or (lam_c <= 0).any():
        raise ValueError("every parent and child event must have positive probability")
    return EdgeStatistics(joint / lam_p[:, None], joint / lam_c[None, :], lam_p, lam_c, joint)


def conditional_covariance(a: torch.Tensor, b: torch.Tensor, z: Any, weights: torch.Tensor, m: int) -> torch.Tensor:
    """Cov(a, b | z) per event and column: an (m, ...) table (Tian's decorrelation condition asks for zeros)."""
    a, b = check.tensor("a", a), check.tensor("b", b)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {tuple(a.shape)} and b {tuple(b.shape)}")
    return _conditional_covariance(a, b, *_table_args("a", a, z, weights, m))


def _conditional_covariance(a: torch.Tensor, b: torch.Tensor, z: torch.Tensor, w: torch.Tensor, m: int) -> torch.Tensor:
    Ea, Eb = _conditional_mean(a, z, w, m), _conditional_mean(b, z, w, m)
    return _conditional_mean(a * b, z, w, m) - Ea * Eb


def independence_gap(code: Any, fine: Any, coarse: Any, weights: torch.Tensor) -> float:
    """max over values of `fine` of TV(P(code | fine), P(code | coarse)); `coarse` must be a function of `fine`.

    Zero iff `code` is conditionally independent of `fine` given `coarse`: Tian's focus and broadness conditions.
    """
    weights = _sample_weights(weights)
    n = weights.shape[0]
    named = {"code": code, "fine": fine, "coarse": coarse}
    code, fine, coarse = (check.codes(k, v, (n,), what="events") for k, v in named.items())
    pairs = np.unique(np.stack([fine, coarse]), axis=1)
    if np.unique(pairs[0]).size != pairs.shape[1]:
        raise ValueError("coarse must be a function of fine")
    return _independence_gap(code, fine, coarse, weights)


def _independence_gap(code: np.ndarray, fine: np.ndarray, coarse: np.ndarray, weights: torch.Tensor) -> float:
    w = weights.detach().cpu().numpy()
    _, c_idx = np.unique(code, return_inverse=True)
    _, f_idx = np.unique(fine, return_inverse=True)
    _, k_idx = np.unique(coarse, return_inverse=True)
    # joint tables of (fine, code) and (coarse, code); TV between each row and the row of its coarse value
    by_fine = np.zeros((f_idx.max() + 1, c_idx.max() + 1))
    by_coarse = np.zeros((k_idx.max() + 1, c_idx.max() + 1))
    np.add.at(by_fine, (f_idx, c_idx), w)
    np.add.at(by_coarse, (k_idx, c_idx), w)
    parent = np.zeros(by_fine.shape[0], dtype=np.int64)
    parent[f_idx] = k_idx
    keep = by_fine.sum(1) > 0
    rows = by_fine[keep] / by_fine[keep].sum(1, keepdims=True)
    base = by_coarse / np.maximum(by_coarse.sum(1, keepdims=True), 1e-300)
    return float(0.5 * np.abs(rows - base[parent[keep]]).sum(1).max())
