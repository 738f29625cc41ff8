"""Empirical neural tangent kernels by autograd, the reference the path formulas are compared with."""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn
from torch.func import functional_call, jacrev, vmap

from .. import check
from .enumeration import _enumerate, _npf, _npv
from .sequential import _input, linear_layers

__all__ = ["ntk", "path_ntk"]


def ntk(
    model: nn.Module,
    X1: torch.Tensor,
    X2: torch.Tensor | None = None,
    *,
    params: Sequence[str] | None = None,
    output: int | None = None,
) -> torch.Tensor:
    """The empirical NTK Gram <d f(x)/d theta, d f(x')/d theta> (N1, N2), by per-sample Jacobians.

    `params` restricts theta to the named parameters (default: all that require grad).  Nets with several
    outputs need `output` (which output's kernel); nothing is summed silently.
    """
    check.model("model", model)
    if output is not None:
        check.integer("output", output)
    for name, X in (("X1", X1), ("X2", X2)):
        if X is not None and check.batch(name, X).dim() < 2:
            raise ValueError(f"{name} must be a batch (N, ...) of inputs with at least one feature dimension, "
                             f"got shape {tuple(X.shape)}")
    all_params = {k: v for k, v in model.named_parameters() if v.requires_grad}
    names = list(all_params) if params is None else list(check.instance("params", params, (list, tuple)))
    names = [check.text(f"params[{i}]", n) for i, n in enumerate(names)]
    unknown = [n for n in names if n not in all_params]
    if unknown:
        raise ValueError(f"unknown or frozen parameter names {unknown}; available: {list(all_params)}")
    if not names:
        raise ValueError("no parameters to differentiate")
    chosen = {n: all_params[n].detach() for n in names}
    fixed = {k: v.detach() for k, v in model.named_parameters() if k not in chosen}
    fixed.update(dict(model.named_buffers()))

    def f(p: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        y = functional_call(model, {**fixed, **p}, (x.unsqueeze(0),)).reshape(-1)
        if y.numel() > 1 and output is None:
            raise ValueError(f"the model has {y.numel()} outputs: pass output=<index> to choose one")
        if output is not None and not -y.numel() <= output < y.numel():
            raise ValueError(f"output={output} but the model has {y.numel()} output(s)")
        return y[0 if output is None else output]

    def jac(X: torch.Tensor) -> torch.Tensor:
        J = vmap(jacrev(f), in_dims=(None, 0))(chosen, X)
        return torch.cat([J[n].reshape(X.shape[0], -1) for n in names], dim=1)

    J1 = jac(X1)
    J2 = J1 if X2 is None else jac(X2)
    return J1 @ J2.T


def path_ntk(model: nn.Module, X1: torch.Tensor, X2: torch.Tensor | None = None) -> torch.Tensor:
    """The NTK through paths: sum_{p,p'} phi_x(p) phi_x'(p') <grad v(p), grad v(p')> (exponential reference, tiny nets).

    For hard ReLU gates the gradient of the NPF vanishes almost everywhere, so this equals the full NTK.
    The gradient of each path value is taken by autograd of the *path values*, not of the network output.
    """
    lins = linear_layers(model, allow_bias=False, what="path_ntk")
    if lins[-1].out_features != 1:
        raise ValueError(f"path_ntk needs one output, the model has {lins[-1].out_features}")
    # validate the inputs before the (exponential) path Jacobian is built
    X1 = _input(lins, X1, "X1")
    X2 = None if X2 is None else _input(lins, X2, "X2")
    paths = _enumerate(lins)
    weights = tuple(check.tensor(f"weights[{l}]", lin.weight.detach()) for l, lin in enumerate(lins))
    J = jacrev(lambda *ws: _npv(list(ws), paths)[:, 0], argnums=tuple(range(len(weights))))(*weights)
    Jv = torch.cat([j.reshape(paths.shape[0], -1) for j in J], dim=1)  # (P, n_params)
    G = Jv @ Jv.T  # <grad v(p), grad v(p')>
    phi1 = _npf(lins, X1, paths)
    phi2 = phi1 if X2 is None else _npf(lins, X2, paths)
    return phi1 @ G @ phi2.T
