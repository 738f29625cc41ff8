"""Fully connected ReLU nets.

Fully connected nets are plain ``nn.Sequential`` stacks of ``Linear`` and ``ReLU`` so that every tool of
the library (and of PyTorch) can read them without a wrapper class.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn

from .. import check

__all__ = ["linear_layers", "mlp", "mlp_widths"]


def mlp(
    widths: Sequence[int],
    *,
    bias: bool = True,
    seed: int | None = None,
    init: str = "kaiming",
    dtype: torch.dtype | None = None,
) -> nn.Sequential:
    """A fully connected ReLU net ``Linear, ReLU, ..., Linear`` with layer sizes `widths`.

    ``widths = [d_in, w_1, ..., w_{k}, d_out]`` gives k hidden layers.  `init` is ``"kaiming"``
    (N(0, 2/fan_in), the usual ReLU scaling) or ``"torch"`` (PyTorch's default uniform init).
    `seed` makes the weights reproducible without touching the global generator.
    """
    ws = check.integers("widths", widths, low=1, min_len=2)
    check.choice("init", init, ("kaiming", "torch"))
    if seed is not None:
        check.seed(seed)
    check.dtype("dtype", dtype)
    check.parameter_count(f"mlp(widths={ws})", sum(a * b + b for a, b in zip(ws[:-1], ws[1:])))
    gen = torch.Generator().manual_seed(seed) if seed is not None else None
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(ws[:-1], ws[1:])):
        lin = nn.Linear(a, b, bias=bias, dtype=dtype)
        if init == "kaiming" or gen is not None:
            with torch.no_grad():
                if init == "kaiming":
                    lin.weight.copy_(torch.randn(b, a, generator=gen, dtype=lin.weight.dtype) * math.sqrt(2.0 / a))
                    if bias:
                        lin.bias.copy_(0.1 * torch.randn(b, generator=gen, dtype=lin.bias.dtype))
                else:
                    bound = 1.0 / math.sqrt(a)
                    lin.weight.copy_((torch.rand(b, a, generator=gen, dtype=lin.weight.dtype) * 2 - 1) * bound)
                    if bias:
                        lin.bias.copy_((torch.rand(b, generator=gen, dtype=lin.bias.dtype) * 2 - 1) * bound)
        layers.append(lin)
        if i < len(ws) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def linear_layers(model: nn.Module, *, allow_bias: bool = True, consecutive: bool = False,
                  what: str = "this function") -> list[nn.Linear]:
    """The Linear layers of an ``nn.Sequential`` of alternating ``Linear`` and ``ReLU`` (``consecutive``: two
    Linear may also be adjacent, no ReLU between them), validated; read in ``forward``'s order, no module twice."""
    if not isinstance(model, nn.Sequential):
        raise TypeError(
            f"{what} needs an nn.Sequential of Linear and ReLU layers (see relulab.nets.mlp), "
            f"got {type(model).__name__}"
        )
    mods = list(model)
    if not mods:
        raise ValueError(f"{what}: the model has no layers")
    if len({id(m) for m in mods}) < len(mods):  # shared weights would be read as two layers' own parameters
        raise ValueError(f"{what}: a module appears twice in the Sequential; each layer must be its own module")
    lins: list[nn.Linear] = []
    for i, m in enumerate(mods):
        # the path formulas assume ReLU gates between Linear layers
        after_lin = i > 0 and isinstance(mods[i - 1], nn.Linear)
        want = [nn.Linear] * (consecutive or not after_lin) + [nn.ReLU] * after_lin
        if not isinstance(m, tuple(want)):
            raise TypeError(f"{what}: layer {i} is {type(m).__name__}; expected {' or '.join(t.__name__ for t in want)}"
                            f" (supported: Linear and ReLU{'' if consecutive else ' alternating'}, starting and ending "
                            "with Linear)")
        if isinstance(m, nn.Linear):
            if m.bias is not None and not allow_bias:
                raise ValueError(
                    f"{what}: layer {i} (Linear) has a bias, but the formula assumes a bias-free net "
                    "(build it with relulab.nets.mlp(..., bias=False); bias paths are Part III's path-lifting)"
                )
            lins.append(m)
    if not isinstance(mods[-1], nn.Linear):
        raise TypeError(f"{what}: the last layer must be Linear, got {type(mods[-1]).__name__}")
    for a, b in zip(lins[:-1], lins[1:]):
        if a.out_features != b.in_features:
            raise ValueError(f"{what}: a Linear with {a.out_features} outputs feeds one with {b.in_features} inputs")
    return lins


def mlp_widths(model: nn.Module) -> list[int]:
    """The layer sizes ``[d_in, w_1, ..., d_out]`` of a net built like :func:`mlp`."""
    lins = linear_layers(model)
    return [lins[0].in_features] + [lin.out_features for lin in lins]
