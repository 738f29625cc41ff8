"""Locally connected layers: convolutions without weight sharing (Tian's receptive-field hierarchies)."""

from __future__ import annotations

import math

import torch
from torch import nn

from .. import check

__all__ = ["LocallyConnected1d"]


class LocallyConnected1d(nn.Module):
    """A locally connected layer on 1-D inputs: a convolution without weight sharing.

    Input ``(N, C_in, L_in)``; output position ``t`` sees the window ``[t*stride, t*stride + kernel_size)``
    of every input channel through its own weights ``weight[t]`` of shape ``(C_out, C_in * kernel_size)``
    (channel-major: feature ``c * kernel_size + i`` is channel c at window offset i).
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
        in_channels = check.integer("in_channels", in_channels, low=1)
        out_channels = check.integer("out_channels", out_channels, low=1)
        in_length = check.integer("in_length", in_length, low=1)
        kernel_size = check.integer("kernel_size", kernel_size, low=1, high=in_length)
        stride = kernel_size if stride is None else check.integer("stride", stride, low=1)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.in_length, self.kernel_size, self.stride = in_length, kernel_size, stride
        self.out_length = (in_length - kernel_size) // stride + 1
        fan_in = in_channels * kernel_size
        count = self.out_length * out_channels * (fan_in + 1)
        check.parameter_count("LocallyConnected1d", count)
        gen = torch.Generator().manual_seed(check.seed(seed)) if seed is not None else None
        w = torch.randn(self.out_length, out_channels, fan_in, generator=gen) * math.sqrt(2.0 / fan_in)
        self.weight = nn.Parameter(w)
        self.bias = nn.Parameter(0.1 * torch.randn(self.out_length, out_channels, generator=gen)) if bias else None

    def receptive_field(self, t: int) -> range:
        """The input positions that output position `t` sees."""
        t = check.integer("t (an output position)", t, low=0, high=self.out_length - 1)
        return range(t * self.stride, t * self.stride + self.kernel_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply each position's own weights to its window."""
        x = check.tensor("x", x, shape=(None, self.in_channels, self.in_length), finite=False)
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
