"""Locally connected layers: convolutions without weight sharing (Tian's receptive-field hierarchies)."""

from __future__ import annotations

import math

import torch
from torch import nn


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
        from .fc import check_parameter_budget

        n_out = (in_length - kernel_size) // stride + 1
        check_parameter_budget(n_out * out_channels * (in_channels * kernel_size + 1), "LocallyConnected1d")
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
        if isinstance(t, bool) or not isinstance(t, int) or not 0 <= t < self.out_length:
            raise ValueError(f"t must be an output position, an int in [0, {self.out_length}), got {t!r}")
        return range(t * self.stride, t * self.stride + self.kernel_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply each position's own weights to its window."""
        if not isinstance(x, torch.Tensor) or not x.is_floating_point():
            raise TypeError(f"x must be a floating-point torch.Tensor, got {getattr(x, 'dtype', type(x).__name__)}")
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
        """The sizes shown by print(module)."""
        return (
            f"{self.in_channels}, {self.out_channels}, in_length={self.in_length}, "
            f"kernel_size={self.kernel_size}, stride={self.stride}, bias={self.bias is not None}"
        )
