"""Explicit input-to-output paths of a small fully connected net: the exponential reference.

A path p = (i_0, i_1, ..., i_{k}) picks an input coordinate i_0 and one unit in each of the k hidden layers;
it continues to every output unit.  The neural path feature (NPF) of input x is
    phi_x(p) = x[i_0] * prod_l G_l(x)[i_l],
and the neural path value (NPV) to output o is the product of the weights along p then into o:
    v(p, o) = prod_l W_l[i_l, i_{l-1}] * W_out[o, i_k].
For one output (the paper's setting) v is a vector over paths; here it is a (P, d_out) matrix.
Everything here enumerates all P = d_in * prod_l w_l paths on purpose: it is the slow, obvious reference
that the fast routines (``npk``, Part III's forward-pass path-norms) are tested against.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .. import check
from .sequential import _gates, _input, linear_layers

__all__ = ["count_paths", "enumerate_paths", "npf", "npv", "npv_from_weights", "output_from_paths"]

MAX_PATHS = 2**22


def count_paths(model: nn.Module) -> int:
    """Number of input-to-last-hidden-layer paths, d_in * prod_l w_l (each continues to every output)."""
    return math.prod(_sizes(linear_layers(model, what="count_paths")))


def _sizes(lins: list[nn.Linear]) -> list[int]:
    return [lins[0].in_features] + [lin.out_features for lin in lins[:-1]]


def enumerate_paths(model: nn.Module, *, max_paths: int = MAX_PATHS) -> torch.Tensor:
    """All paths as a (P, k+1) integer tensor of unit indices (input coordinate, then one unit per hidden layer)."""
    lins = linear_layers(model, allow_bias=False, what="enumerate_paths")
    return _enumerate(lins, check.integer("max_paths", max_paths, low=1))


def _enumerate(lins: list[nn.Linear], max_paths: int = MAX_PATHS) -> torch.Tensor:
    sizes = _sizes(lins)
    n = math.prod(sizes)
    what = "paths (explicit enumeration is the exponential reference for tiny nets: see relulab.paths.npk)"
    check.within_budget("max_paths", n, max_paths, what=what)
    grids = torch.meshgrid(*[torch.arange(s) for s in sizes], indexing="ij")
    return torch.stack([g.reshape(-1) for g in grids], dim=1)


def _check_paths(paths: object, sizes: list[int]) -> torch.Tensor:
    """`paths` must be a (P, k+1) integer tensor whose column l indexes a unit of layer l (sizes[l] units)."""
    check.tensor("paths", paths, integer=True, finite=False)
    if paths.dim() != 2 or paths.shape[1] != len(sizes):
        raise ValueError(f"paths must have shape (P, {len(sizes)}) (input coordinate, then one unit per hidden layer), "
                         f"got {tuple(paths.shape)}")
    if paths.shape[0] and ((paths < 0).any() or (paths >= torch.tensor(sizes)).any()):
        raise ValueError(f"paths holds unit indices outside the layer sizes {sizes}")
    return paths


def npv_from_weights(weights: list[torch.Tensor], paths: torch.Tensor) -> torch.Tensor:
    """Path values (P, d_out) from the weight matrices W_1..W_{k+1} (shape (out, in) each) and a path list."""
    if not check.instance("weights", weights, (list, tuple)):
        raise ValueError("weights must be a non-empty list of weight matrices W_1..W_{k+1}, each (out, in)")
    for l, W in enumerate(weights):
        check.tensor(f"weights[{l}]", W, ndim=2, finite=False)  # (out, in); finiteness is checked after the chain
        if l and W.shape[1] != weights[l - 1].shape[0]:
            raise ValueError(f"weights[{l}] takes {W.shape[1]} inputs but weights[{l - 1}] has {weights[l - 1].shape[0]} outputs")
        if not torch.isfinite(W).all():
            raise ValueError(f"weights[{l}] contains NaN or infinite values")
    return _npv(weights, _check_paths(paths, [weights[0].shape[1]] + [W.shape[0] for W in weights[:-1]]))


def _npv(weights: list[torch.Tensor], paths: torch.Tensor) -> torch.Tensor:
    v = torch.ones(paths.shape[0], dtype=weights[0].dtype)
    for l, W in enumerate(weights[:-1]):
        v = v * W[paths[:, l + 1], paths[:, l]]
    return v.unsqueeze(1) * weights[-1][:, paths[:, -1]].T


def npv(model: nn.Module, paths: torch.Tensor | None = None) -> torch.Tensor:
    """Neural path values: a (P, d_out) matrix, v(p, o) = product of the weights along p and into output o."""
    lins = linear_layers(model, allow_bias=False, what="npv")
    return npv_from_weights([lin.weight for lin in lins], _enumerate(lins) if paths is None else paths)


def npf(model: nn.Module, X: torch.Tensor, paths: torch.Tensor | None = None) -> torch.Tensor:
    """Neural path features: an (N, P) matrix, phi_x(p) = x[i_0] * prod_l G_l(x)[i_l]."""
    lins = linear_layers(model, allow_bias=False, what="npf")
    return _npf(lins, _input(lins, X, "X"), _enumerate(lins) if paths is None else _check_paths(paths, _sizes(lins)))


def _npf(lins: list[nn.Linear], X: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
    phi = X[:, p[:, 0]]
    for l, g in enumerate(_gates(lins, X)):
        phi = phi * g[:, p[:, l + 1]]
    return phi


def output_from_paths(model: nn.Module, X: torch.Tensor) -> torch.Tensor:
    """The network's output computed as <NPF, NPV> by explicit enumeration: (N, d_out)."""
    lins = linear_layers(model, allow_bias=False, what="output_from_paths")
    p = _enumerate(lins)
    # npv_from_weights refuses non-finite weights, which no other check reads
    return _npf(lins, _input(lins, X, "X"), p) @ npv_from_weights([lin.weight for lin in lins], p)
