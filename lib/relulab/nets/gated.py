"""Deep gated networks (DGN): gates from a feature (gating) ReLU net, values from a value net of gated linear units.

Lakshminarayanan & Singh (2020) separate the two roles a ReLU plays.  The *feature network* is an ordinary ReLU
net whose pre-activations q^f_l(x) decide the gates G_l(x); the *value network* has the same layer sizes but
linear units multiplied by those gates:

    h_0 = x,   h_l = (W^v_l h_{l-1} + b^v_l) * G_l(x)   (l = 1..k),   y = W^v_{k+1} h_k + b^v_{k+1}.

Hard gates are G = 1[q^f > 0]; soft gates are (1 + eps) * sigmoid(beta * q^f) (the paper's DLNPF uses eps = 0.1,
beta = 4).  With hard gates and the feature net equal to the value net, the DGN *is* the ReLU net.
The variants of the paper's experiments are built by :func:`gated_variant`.
"""

from __future__ import annotations

import copy
from typing import Sequence

import torch
from torch import nn

from .. import check
from .fc import linear_layers, mlp

__all__ = ["DeepGatedNet", "from_relu", "gated_variant"]

GATES = ("hard", "soft")
VARIANTS = ("frnpf-ii", "frnpf-di", "flnpf", "dlnpf")
PARTS = ("feature", "value")


def _linears(net: nn.Module, name: str) -> list[nn.Linear]:
    return linear_layers(net, what=f"DeepGatedNet ({name})")


def _check_soft(beta: float, eps: float) -> None:
    """Soft gates (1 + eps) sigmoid(beta q) need a finite beta > 0 and a finite eps > -1 (positive amplitude)."""
    check.real("beta", beta, low=0, open_low=True)
    check.real("eps", eps, low=-1, open_low=True)


def _check_batch(X: object, d_in: int, dtype: torch.dtype, name: str = "X", ndim: tuple[int, ...] = (2,)) -> None:
    """A batch for a gated net: a non-empty, finite floating tensor of the nets' dtype, (N, d_in) (or `ndim` dims).

    NaN must be refused here: a hard gate 1[q > 0] turns a NaN pre-activation into a silent 0.  Under torch.func
    transforms (relulab.paths.ntk's vmap) a data-dependent branch is impossible; ntk has checked the whole batch
    for NaN/inf before the transform, so the finiteness check is only skipped for already-checked inputs.
    """
    check.tensor(name, X, finite=False)
    if X.dim() not in ndim or X.shape[-1] != d_in:
        raise ValueError(f"{name} must be of shape (N, {d_in}), got {tuple(X.shape)}")
    check.batch(name, X, dtype=dtype, finite=not _is_transformed(X))


def _is_transformed(X: torch.Tensor) -> bool:
    """True for a tensor wrapped by a torch.func transform (vmap / grad), where .item()-like checks cannot run."""
    probe = getattr(torch._C._functorch, "is_functorch_wrapped_tensor", None)
    return bool(probe(X)) if probe is not None else False


class DeepGatedNet(nn.Module):
    """A feature (gating) ReLU net and a value net of gated linear units, same layer sizes."""

    def __init__(
        self,
        feature: nn.Sequential,
        value: nn.Sequential,
        *,
        gate: str = "hard",
        beta: float = 4.0,
        eps: float = 0.1,
    ) -> None:
        super().__init__()
        check.choice("gate", gate, GATES)
        _check_soft(beta, eps)
        fl, vl = _linears(feature, "feature"), _linears(value, "value")
        fs = [fl[0].in_features] + [lin.out_features for lin in fl]
        vs = [vl[0].in_features] + [lin.out_features for lin in vl]
        # The output layer of the feature net is never used (gates come from hidden layers), so only the
        # input and hidden sizes must agree.
        if fs[:-1] != vs[:-1]:
            raise ValueError(f"feature and value nets need the same input and hidden sizes, got {fs[:-1]} and {vs[:-1]}")
        if fl[0].weight.dtype != vl[0].weight.dtype:
            raise TypeError(f"feature net is {fl[0].weight.dtype} but value net is {vl[0].weight.dtype}")
        self.feature, self.value = feature, value
        self.gate, self.beta, self.eps = gate, float(beta), float(eps)

    def _layers(self, part: str) -> list[nn.Linear]:
        # Linear and ReLU alternate (checked once, in __init__): the Linear layers are every other module
        return list(getattr(self, part))[::2]

    @property
    def widths(self) -> list[int]:
        """Layer sizes ``[d_in, w_1, ..., w_k, d_out]`` of the value net."""
        vl = self._layers("value")
        return [vl[0].in_features] + [lin.out_features for lin in vl]

    def _check_input(self, X: object, name: str = "X") -> None:
        first = self._layers("value")[0]
        _check_batch(X, first.in_features, first.weight.dtype, name)

    def _preactivations(self, X: torch.Tensor) -> list[torch.Tensor]:
        qs, h = [], X
        for lin in self._layers("feature")[:-1]:
            q = lin(h)
            qs.append(q)
            h = torch.relu(q)
        return qs

    def _gates(self, qs: list[torch.Tensor]) -> list[torch.Tensor]:
        if self.gate == "hard":
            return [(q > 0).to(q.dtype) for q in qs]
        return [(1.0 + self.eps) * torch.sigmoid(self.beta * q) for q in qs]

    def feature_preactivations(self, X: torch.Tensor) -> list[torch.Tensor]:
        """Pre-activations q^f_l(x) of the feature net's hidden layers (differentiable), each (N, w_l)."""
        self._check_input(X)
        return self._preactivations(X)

    def gates(self, X: torch.Tensor) -> list[torch.Tensor]:
        """Gates G_l(x): 0/1 for hard gates, (1+eps) sigmoid(beta q) for soft gates; each (N, w_l)."""
        self._check_input(X)
        return self._gates(self._preactivations(X))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """Output of the value net with the feature net's gates: (N, d_out)."""
        self._check_input(X)
        vl, h = self._layers("value"), X
        for lin, g in zip(vl[:-1], self._gates(self._preactivations(X))):
            h = lin(h) * g
        return vl[-1](h)

    def freeze(self, part: str, frozen: bool = True) -> "DeepGatedNet":
        """Freeze (or unfreeze) the 'feature' or 'value' part; returns self."""
        check.choice("part", part, PARTS)
        for p in getattr(self, part).parameters():
            p.requires_grad_(not frozen)
        return self

    def param_names(self, part: str) -> list[str]:
        """Names of the 'feature' or 'value' parameters (for relulab.paths.ntk(params=...))."""
        check.choice("part", part, PARTS)
        return [n for n, _ in self.named_parameters() if n.startswith(part + ".")]


def from_relu(net: nn.Sequential, *, gate: str = "hard", beta: float = 4.0, eps: float = 0.1) -> DeepGatedNet:
    """A DGN whose feature and value nets are both copies of the ReLU net `net` (hard gates: the same function)."""
    _linears(net, "from_relu")
    return DeepGatedNet(copy.deepcopy(net), copy.deepcopy(net), gate=gate, beta=beta, eps=eps)


def gated_variant(
    kind: str,
    widths: Sequence[int],
    *,
    seed: int,
    trained: nn.Sequential | None = None,
    bias: bool = True,
    beta: float = 4.0,
    eps: float = 0.1,
) -> DeepGatedNet:
    """One of the paper's decoupled variants, ready to train (frozen parts already frozen).

    - ``"frnpf-ii"``: fixed random NPF, feature net drawn independently of the value net (seed+1), frozen, hard gates.
    - ``"frnpf-di"``: fixed random NPF, feature net = a copy of the value net's initial weights, frozen, hard gates
      (at step 0 the DGN equals a ReLU net).
    - ``"flnpf"``: fixed learnt NPF, feature net = a copy of the trained ReLU net `trained`, frozen, hard gates;
      fresh value net.
    - ``"dlnpf"``: decoupled learning, feature net (seed+1) and value net both trainable, soft gates
      (1+eps) sigmoid(beta q).
    The value net is ``mlp(widths, bias=bias, seed=seed)`` in every case.
    """
    check.choice("kind", kind, VARIANTS)
    check.seed(seed)  # the feature net of a random variant uses seed + 1
    if trained is not None:
        check.model("trained", trained)
    _check_soft(beta, eps)
    value = mlp(list(check.instance("widths", widths, (list, tuple))), bias=bias, seed=seed)
    if kind == "flnpf":
        if trained is None:
            raise ValueError("kind='flnpf' needs the trained ReLU net: pass trained=<nn.Sequential>")
        feature = copy.deepcopy(trained).to(value[0].weight.dtype)
    elif trained is not None:
        raise ValueError(f"trained= is only used by kind='flnpf', not {kind!r}")
    elif kind == "frnpf-di":
        feature = copy.deepcopy(value)
    else:
        feature = mlp(list(widths), bias=bias, seed=seed + 1)
    dgn = DeepGatedNet(feature, value, gate="soft" if kind == "dlnpf" else "hard", beta=beta, eps=eps)
    if kind != "dlnpf":
        dgn.freeze("feature")
    return dgn
