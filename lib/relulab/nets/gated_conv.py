"""Convolutional deep gated networks: the paper's VCONV and GCONV, as ReLU nets and with decoupled gates.

The convolutional rows of Lakshminarayanan & Singh (2020) use four 3x3 'same' convolutions, then either a
flatten (VCONV) or a global average pooling over the pixels (GCONV), then two dense layers and a linear
output; every hidden unit is a ReLU, biases included.  In the gated version a *feature* net of that shape
decides the gates and a *value* net of the same shape, with linear units, is multiplied by them at every
hidden unit, conv maps included:

    h_l = conv_l(h_{l-1}) * G_l(x)  (conv layers),   h = head(h),   h_l = (W_l h_{l-1} + b_l) * G_l(x),
    y = W_out h + b_out,

with hard gates G = 1[q^f > 0] or soft gates (1 + eps) sigmoid(beta q^f) of the feature net's
pre-activations q^f.  With hard gates and equal feature and value nets, the gated net *is* the ReLU net.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import torch
from torch import nn

from .. import check

__all__ = ["ConvNet", "ConvSpec", "GatedConvNet"]

HEADS = ("flatten", "gap")
GATES = ("hard", "soft")
PARTS = ("feature", "value")


@dataclass(frozen=True)
class ConvSpec:
    """A ConvNet's architecture: what the feature and value nets of one gated net must share."""

    image: tuple[int, int, int]  # (C, H, W)
    head: str
    channels: tuple[int, ...]
    dense: tuple[int, ...]  # the dense layers' widths, the output layer's included


class ConvNet(nn.Module):
    """Conv 3x3 'same' layers with ReLU, a flatten or global-average-pooling head, dense ReLU layers, linear output."""

    def __init__(
        self,
        channels: Sequence[int],
        dense: Sequence[int],
        *,
        image: Sequence[int],
        n_out: int = 10,
        head: str = "gap",
        seed: int,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        channels = check.integers("channels", channels, low=1)
        dense = check.integers("dense", dense, low=1, min_len=0)
        c_in, height, width = check.integers("image", image, low=1, min_len=3)[:3]
        check.integer("n_out", n_out, low=1)
        self.head = check.choice("head", head, HEADS)
        check.seed(seed)
        self.image = (c_in, height, width)
        flat = channels[-1] * (height * width if head == "flatten" else 1)
        self.convs = nn.ModuleList(
            nn.Conv2d(a, b, 3, padding=1, dtype=dtype)
            for a, b in zip([c_in] + channels[:-1], channels)
        )
        sizes = [flat] + dense + [n_out]
        self.dense = nn.ModuleList(
            nn.Linear(a, b, dtype=dtype) for a, b in zip(sizes[:-1], sizes[1:])
        )
        gen = torch.Generator().manual_seed(seed)
        with torch.no_grad():  # He-normal weights (fan-in), zero biases, from one seeded generator
            for layer in [*self.convs, *self.dense]:
                fan_in = math.prod(layer.weight.shape[1:])
                w = torch.randn(layer.weight.shape, generator=gen, dtype=layer.weight.dtype)
                layer.weight.copy_(w * math.sqrt(2.0 / fan_in))
                layer.bias.zero_()

    def _pool(self, h: torch.Tensor) -> torch.Tensor:
        """The head: flatten the last conv maps (VCONV) or average them over the pixels (GCONV)."""
        return h.flatten(1) if self.head == "flatten" else h.mean(dim=(2, 3))

    def check_images(self, X: torch.Tensor) -> torch.Tensor:
        """X itself if it is a finite (N, c, height, width) batch of this net's images and dtype.

        NaN must be refused: a hard gate 1[q > 0] would silently read a NaN pre-activation as 0.
        """
        dtype = self.convs[0].weight.dtype
        return check.batch("X", X, shape=(None, *self.image), dtype=dtype)

    def preactivations(self, X: torch.Tensor) -> list[torch.Tensor]:
        """Pre-activations of every hidden layer (conv maps, then dense), each (N, ...)."""
        return self._preactivations(self.check_images(X))

    def _preactivations(self, X: torch.Tensor) -> list[torch.Tensor]:
        qs, h = [], X
        for i, layer in enumerate([*self.convs, *self.dense[:-1]]):
            if i == len(self.convs):
                h = self._pool(h)
            qs.append(layer(h))
            h = torch.relu(qs[-1])
        return qs

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """The ReLU net's output (N, n_out)."""
        q_last = self._preactivations(self.check_images(X))[-1]
        h = torch.relu(q_last) if len(self.dense) > 1 else self._pool(torch.relu(q_last))
        return self.dense[-1](h)

    def spec(self) -> ConvSpec:
        """What two nets must share to be the feature and value nets of one gated net."""
        channels, dense = tuple(c.out_channels for c in self.convs), tuple(d.out_features for d in self.dense)
        return ConvSpec(self.image, self.head, channels, dense)


class GatedConvNet(nn.Module):
    """A feature ConvNet's gates multiplied into a value ConvNet's linear units (same architecture)."""

    def __init__(
        self,
        feature: ConvNet,
        value: ConvNet,
        *,
        gate: str = "hard",
        beta: float = 4.0,
        eps: float = 0.1,
    ) -> None:
        super().__init__()
        check.model("feature", feature, ConvNet)
        check.model("value", value, ConvNet)
        if feature.convs[0].weight.dtype != value.convs[0].weight.dtype:
            raise TypeError("feature and value nets must share one dtype")
        if feature.spec() != value.spec():
            raise ValueError(
                f"feature and value nets need the same architecture, got {feature.spec()} "
                f"and {value.spec()}"
            )
        self.gate = check.choice("gate", gate, GATES)
        self.beta = check.real("beta", beta, low=0, open_low=True)
        self.eps = check.real("eps", eps, low=-1, open_low=True)
        self.feature, self.value = feature, value

    def gates(self, X: torch.Tensor) -> list[torch.Tensor]:
        """Gates of every hidden unit: 0/1 (hard) or (1 + eps) sigmoid(beta q) (soft)."""
        return self._gates(self.value.check_images(X))

    def _gates(self, X: torch.Tensor) -> list[torch.Tensor]:
        trainable = any(p.requires_grad for p in self.feature.parameters())
        # a frozen feature net gets no autograd graph: its gates are constants, exactly as when detached
        with torch.set_grad_enabled(torch.is_grad_enabled() and trainable):
            qs = self.feature._preactivations(X)
        if self.gate == "hard":
            return [(q > 0).to(q.dtype) for q in qs]
        return [(1.0 + self.eps) * torch.sigmoid(self.beta * q) for q in qs]

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """The value net's output with the feature net's gates (N, n_out)."""
        G = self._gates(self.value.check_images(X))
        v, h = self.value, X
        layers = [*v.convs, *v.dense[:-1]]
        for i, (layer, g) in enumerate(zip(layers, G)):
            if i == len(v.convs):
                h = v._pool(h)
            h = layer(h) * g
        if len(v.dense) == 1:
            h = v._pool(h)
        return v.dense[-1](h)

    def freeze(self, part: str, frozen: bool = True) -> "GatedConvNet":
        """Freeze (or unfreeze) the 'feature' or 'value' net; returns self."""
        check.choice("part", part, PARTS)
        for p in getattr(self, part).parameters():
            p.requires_grad_(not frozen)
        return self
