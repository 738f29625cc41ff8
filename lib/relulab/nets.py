"""ReLU networks used across the book: fully connected nets and locally connected layers.

Fully connected nets are plain ``nn.Sequential`` stacks of ``Linear`` and ``ReLU`` so that every tool of
the library (and of PyTorch) can read them without a wrapper class.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn


def _check_widths(widths: Sequence[int]) -> list[int]:
    if isinstance(widths, (str, bytes)) or not hasattr(widths, "__len__"):
        raise TypeError(f"widths must be a sequence of positive ints, got {type(widths).__name__}")
    ws = list(widths)
    if len(ws) < 2:
        raise ValueError(f"widths needs at least an input and an output size, got {ws}")
    for i, w in enumerate(ws):
        if isinstance(w, bool) or not isinstance(w, int):
            raise TypeError(f"widths[{i}] must be an int, got {type(w).__name__}")
        if w <= 0:
            raise ValueError(f"widths[{i}] must be positive, got {w}")
    return ws


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
    ws = _check_widths(widths)
    if init not in ("kaiming", "torch"):
        raise ValueError(f"init must be 'kaiming' or 'torch', got {init!r}")
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


def mlp_widths(model: nn.Module) -> list[int]:
    """The layer sizes ``[d_in, w_1, ..., d_out]`` of a net built like :func:`mlp`."""
    from .paths.sequential import linear_layers

    lins = linear_layers(model)
    return [lins[0].in_features] + [lin.out_features for lin in lins]


class LocallyConnected1d(nn.Module):
    """A locally connected layer on 1-D inputs: a convolution without weight sharing.

    Input ``(N, C_in, L_in)``; output position ``t`` sees the window ``[t*stride, t*stride + kernel_size)``
    of every input channel through its own weights ``weight[t]`` of shape ``(C_out, C_in * kernel_size)``.
    With ``stride == kernel_size`` the receptive fields are disjoint, with ``stride < kernel_size`` they overlap.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        in_length: int,
        kernel_size: int,
        stride: int | None = None,
        *,
        bias: bool = True,
        seed: int | None = None,
    ) -> None:
        super().__init__()
        stride = kernel_size if stride is None else stride
        for name, v in dict(
            in_channels=in_channels, out_channels=out_channels, in_length=in_length, kernel_size=kernel_size, stride=stride
        ).items():
            if isinstance(v, bool) or not isinstance(v, int):
                raise TypeError(f"{name} must be an int, got {type(v).__name__}")
            if v <= 0:
                raise ValueError(f"{name} must be positive, got {v}")
        if kernel_size > in_length:
            raise ValueError(f"kernel_size ({kernel_size}) is larger than in_length ({in_length})")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.in_length, self.kernel_size, self.stride = in_length, kernel_size, stride
        self.out_length = (in_length - kernel_size) // stride + 1
        gen = torch.Generator().manual_seed(seed) if seed is not None else None
        fan_in = in_channels * kernel_size
        w = torch.randn(self.out_length, out_channels, fan_in, generator=gen) * math.sqrt(2.0 / fan_in)
        self.weight = nn.Parameter(w)
        self.bias = nn.Parameter(0.1 * torch.randn(self.out_length, out_channels, generator=gen)) if bias else None

    def receptive_field(self, t: int) -> range:
        """The input positions that output position `t` sees."""
        if not 0 <= t < self.out_length:
            raise ValueError(f"output position {t} outside [0, {self.out_length})")
        return range(t * self.stride, t * self.stride + self.kernel_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply each position's own weights to its window."""
        if x.dim() != 3 or x.shape[1] != self.in_channels or x.shape[2] != self.in_length:
            raise ValueError(
                f"expected input of shape (N, {self.in_channels}, {self.in_length}), got {tuple(x.shape)}"
            )
        # windows: (N, C_in, L_out, k) -> (N, L_out, C_in * k), matching the weight layout
        win = x.unfold(2, self.kernel_size, self.stride).permute(0, 2, 1, 3).reshape(x.shape[0], self.out_length, -1)
        out = torch.einsum("ntf,tof->not", win, self.weight.to(win.dtype))
        if self.bias is not None:
            out = out + self.bias.to(out.dtype).T.unsqueeze(0)
        return out

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, in_length={self.in_length}, "
            f"kernel_size={self.kernel_size}, stride={self.stride}, bias={self.bias is not None}"
        )
