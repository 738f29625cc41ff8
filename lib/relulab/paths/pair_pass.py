"""The neural path kernel as one forward pass of a "pair network" -- the same kind of pass as the path-norm's.

Part III computes ||Phi(theta)||_q^q with one forward pass of a modified net: weights |W|^q, biases |b|^q, input 1;
every pre-activation is then >= 0, the ReLUs are inert, and each output sums the path products ending there.
Part IV's NPK is a path sum too, <phi_x, phi_x'> = sum_p x[i_0] x'[i_0] prod_l G_l(x)[i_l] G_l(x')[i_l], so it is one
forward pass of another modified net: every weight 1 (each edge counted once), no biases, input x * x', and every
hidden unit multiplied by the product of its two gates G(x) G(x').  Unlike the path-norm pass, the input x * x' can be
negative, so this pass must use the gates and never a ReLU (a ReLU would clip negative path sums).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from .. import check
from .sequential import _gates, _input, linear_layers

__all__ = ["npk_pair_gram", "npk_pair_pass", "pair_forward"]


def _pair_inputs(lins: list[nn.Linear], x1: Any, x2: Any) -> tuple[torch.Tensor, torch.Tensor, bool]:
    """Validate two inputs of equal shape, (d_in,) or (N, d_in); return them as (N, d_in) and whether they were 1-D."""
    for name, x in (("x1", x1), ("x2", x2)):
        check.tensor(name, x, floating=False, finite=False)  # as_input checks the rest, once the shapes agree
    if x1.shape != x2.shape:
        raise ValueError(f"x1 and x2 must have the same shape (one pair per row), got {tuple(x1.shape)} and {tuple(x2.shape)}")
    single = x1.dim() == 1
    if single:
        x1, x2 = x1.unsqueeze(0), x2.unsqueeze(0)
    return _input(lins, x1, "x1"), _input(lins, x2, "x2"), single


def pair_forward(model: nn.Module, h: torch.Tensor, G1: list[torch.Tensor], G2: list[torch.Tensor]) -> torch.Tensor:
    """The pair network's pass: h <- (1 h) * G1_l * G2_l through every hidden layer (weights all 1, no bias); (N, w_k)."""
    lins = linear_layers(model, allow_bias=False, what="pair_forward")
    h = _input(lins, h, "h")  # x * x' may be negative but must be finite, (N, d_in), the model's dtype
    for name, G in (("G1", G1), ("G2", G2)):
        if len(check.instance(name, G, (list, tuple))) != len(lins) - 1:
            raise ValueError(f"{name} needs one gate matrix per hidden layer ({len(lins) - 1}), got {len(G)}")
        for l, (lin, g) in enumerate(zip(lins[:-1], G)):
            check.tensor(f"{name}[{l}]", g, shape=(h.shape[0], lin.out_features), floating=False)
    return _pair_forward(lins, h, G1, G2)


def _pair_forward(lins: list[nn.Linear], h: torch.Tensor, G1: list, G2: list) -> torch.Tensor:
    for lin, g1, g2 in zip(lins[:-1], G1, G2):
        ones = torch.ones_like(lin.weight)  # edge multiplicities: each path through this layer is counted once
        h = (h @ ones.T) * g1 * g2
    return h


def npk_pair_pass(model: nn.Module, x1: torch.Tensor, x2: torch.Tensor) -> torch.Tensor:
    """NPK(x1[n], x2[n]) of a bias-free FC ReLU net for each row pair, by one all-ones gated forward pass: (N,) or a scalar."""
    lins = linear_layers(model, allow_bias=False, what="npk_pair_pass")
    X1, X2, single = _pair_inputs(lins, x1, x2)
    K = _pair_pass(lins, X1, X2)
    return K[0] if single else K


@torch.no_grad()
def _pair_pass(lins: list[nn.Linear], X1: torch.Tensor, X2: torch.Tensor) -> torch.Tensor:
    # sums over paths to the last hidden layer (the NPF's paths), not over outputs; an overflowing x * x' is refused
    return _pair_forward(lins, _input(lins, X1 * X2, "h"), _gates(lins, X1), _gates(lins, X2)).sum(1)


def npk_pair_gram(model: nn.Module, X1: torch.Tensor, X2: torch.Tensor | None = None) -> torch.Tensor:
    """The NPK Gram (N1, N2) by one pair pass per pair (all pairs at once): the reference-style route to relulab.paths.npk."""
    lins = linear_layers(model, allow_bias=False, what="npk_pair_gram")
    X1 = _input(lins, X1, "X1")
    X2 = X1 if X2 is None else _input(lins, X2, "X2")
    n1, n2 = X1.shape[0], X2.shape[0]
    check.within_budget("npk_pair_gram", n1 * n2, 10**7, what=f"pairs ({n1} x {n2}; relulab.paths.npk takes big Grams)")
    K = _pair_pass(lins, X1.repeat_interleave(n2, dim=0), X2.repeat(n1, 1))
    return K.reshape(n1, n2)
