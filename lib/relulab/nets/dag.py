"""Small ReLU DAG nets built from torch.nn: residual blocks, concatenation, VGG/ResNet/U-Net-like nets, a ResNet-18.

Every net here is a tree of ``nn.Sequential``, :class:`Residual` and :class:`Concat` around standard leaves
(Linear, Conv2d, BatchNorm, ReLU, pooling, Flatten).  :mod:`relulab.paths.lifting` reads them, like any model,
through their ``forward`` with torch.fx; the input checks of the two containers step aside while tracing (a
symbolic value has no shape to check).
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.fx
from torch import nn

from .. import check

__all__ = [
    "Concat", "Residual", "basic_block", "randomize_batchnorm", "resnet18", "resnet_like", "unet_like",
    "upsample2x", "vgg_like",
]


class Residual(nn.Module):
    """``body(x) + shortcut(x)`` (identity shortcut when `shortcut` is None): an identity neuron with in-weights 1."""

    def __init__(self, body: nn.Module, shortcut: nn.Module | None = None) -> None:
        super().__init__()
        if not isinstance(body, nn.Module) or (shortcut is not None and not isinstance(shortcut, nn.Module)):
            raise TypeError("Residual: body and shortcut must be torch.nn.Module instances")
        self.body = body
        self.shortcut = shortcut if shortcut is not None else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """body(x) + shortcut(x)."""
        if not isinstance(x, torch.fx.Proxy):  # torch.fx traces with a symbolic value: nothing to check
            check.batch("x", x, ndim=(2, 3, 4, 5), finite=False)  # (N, C, ...); NaN propagates as in any layer
        a, b = self.body(x), self.shortcut(x)
        if not isinstance(a, torch.fx.Proxy) and a.shape != b.shape:  # broadcasting would add them silently
            raise ValueError(f"Residual: body and shortcut outputs differ in shape, {tuple(a.shape)} vs {tuple(b.shape)}")
        return a + b


class Concat(nn.Module):
    """Concatenate the outputs of the branches along the channel dimension (dim 1): plain edges in the DAG."""

    def __init__(self, *branches: nn.Module) -> None:
        super().__init__()
        if len(branches) < 1 or not all(isinstance(b, nn.Module) for b in branches):
            raise TypeError("Concat needs at least one torch.nn.Module branch")
        self.branches = nn.ModuleList(branches)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The branches' outputs concatenated along dim 1."""
        if not isinstance(x, torch.fx.Proxy):  # torch.fx traces with a symbolic value: nothing to check
            check.batch("x", x, ndim=(2, 3, 4, 5), finite=False)  # (N, C, ...); NaN propagates as in any layer
        outs = [b(x) for b in self.branches]
        if not isinstance(x, torch.fx.Proxy) and any(o.dim() < 2 or o.shape[0] != outs[0].shape[0] or o.shape[2:] != outs[0].shape[2:] for o in outs):
            raise ValueError(f"Concat: the branches' outputs must agree except in dim 1, got {[tuple(o.shape) for o in outs]}")
        return torch.cat(outs, dim=1)


def upsample2x(channels: int) -> nn.ConvTranspose2d:
    """Nearest-neighbour 2x upsampling as a frozen depthwise transposed conv with weights 1 (fixed DAG edges)."""
    _positive(channels=channels)
    up = nn.ConvTranspose2d(channels, channels, 2, stride=2, groups=channels, bias=False)
    with torch.no_grad():
        up.weight.fill_(1.0)
    up.weight.requires_grad_(False)  # fixed in-weights: not a parameter to train, prune or perturb
    return up


def _positive(**sizes: int) -> None:
    for name, v in sizes.items():
        check.integer(name, v, low=1)


def _seeded(build, seed: int | None) -> nn.Module:
    if seed is None:
        return build()
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return build()


def randomize_batchnorm(model: nn.Module, *, seed: int, spread: float = 0.5) -> nn.Module:
    """Give every BatchNorm random gamma, beta, running mean and variance (in place) so frozen BN is non-trivial."""
    check.model("model", model)
    check.seed(seed)
    check.real("spread", spread, low=0)
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                c = m.num_features
                dt = m.running_mean.dtype
                m.running_mean.copy_(spread * torch.randn(c, generator=gen, dtype=dt))
                m.running_var.copy_(torch.exp(spread * torch.randn(c, generator=gen, dtype=dt)))
                if m.affine:
                    m.weight.copy_(1 + spread * torch.randn(c, generator=gen, dtype=dt))
                    m.bias.copy_(spread * torch.randn(c, generator=gen, dtype=dt))
    return model.eval()


def _cbr(cin: int, cout: int, k: int = 3, stride: int = 1, bn: bool = True) -> list[nn.Module]:
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, bias=not bn)]
    if bn:
        layers.append(nn.BatchNorm2d(cout))
    layers.append(nn.ReLU())
    return layers


def vgg_like(in_channels: int = 1, widths: Sequence[int] = (3, 4), n_classes: int = 3, image: int = 8,
             *, seed: int | None = None) -> nn.Sequential:
    """(conv 3x3 - BN(eval) - ReLU - maxpool 2) per width, then flatten and a linear head."""
    _positive(in_channels=in_channels, n_classes=n_classes, image=image)
    check.integers("widths", widths, low=1)
    if image % (2 ** len(widths)):
        raise ValueError(f"image={image} must be divisible by 2**len(widths)={2 ** len(widths)}")
    chans = [in_channels, *widths]
    side = image // 2 ** len(widths)
    check.parameter_count("vgg_like", sum(9 * a * b + 2 * b for a, b in zip(chans[:-1], chans[1:]))
                          + (chans[-1] * side * side + 1) * n_classes)

    def build() -> nn.Sequential:
        layers: list[nn.Module] = []
        c = in_channels
        for w in widths:
            layers += _cbr(c, w) + [nn.MaxPool2d(2)]
            c = w
        side = image // 2 ** len(widths)
        return nn.Sequential(*layers, nn.Flatten(), nn.Linear(c * side * side, n_classes))

    return _seeded(build, seed).eval()


def basic_block(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    """A ResNet basic block ``ReLU(conv-BN-ReLU-conv-BN + shortcut)``; 1x1 conv + BN shortcut when the shape changes."""
    _positive(cin=cin, cout=cout, stride=stride)
    check.parameter_count("basic_block", 9 * cin * cout + 9 * cout * cout + cin * cout)
    body = nn.Sequential(*_cbr(cin, cout, 3, stride), nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout))
    short = None
    if stride != 1 or cin != cout:
        short = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))
    return nn.Sequential(Residual(body, short), nn.ReLU())


def resnet_like(in_channels: int = 1, width: int = 2, n_classes: int = 3, *, seed: int | None = None) -> nn.Sequential:
    """Stem conv-BN-ReLU, a block with identity shortcut, a strided block with a 1x1-conv shortcut, global avg-pool, linear."""
    _positive(in_channels=in_channels, width=width, n_classes=n_classes)
    check.parameter_count("resnet_like", 9 * in_channels * width + 18 * width * width + 54 * width * width
                          + 2 * width * width + (2 * width + 1) * n_classes)

    def build() -> nn.Sequential:
        return nn.Sequential(*_cbr(in_channels, width), basic_block(width, width), basic_block(width, 2 * width, 2),
                             nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2 * width, n_classes))

    return _seeded(build, seed).eval()


def unet_like(in_channels: int = 1, width: int = 2, out_channels: int = 1, *, seed: int | None = None) -> nn.Sequential:
    """conv-ReLU, then [identity ‖ maxpool-conv-ReLU-upsample2x] concatenated, conv-ReLU, 1x1 conv: a map-to-map net."""
    _positive(in_channels=in_channels, width=width, out_channels=out_channels)
    check.parameter_count("unet_like", 9 * in_channels * width + 18 * width * width + 27 * width * width
                          + (width + 1) * out_channels)

    def build() -> nn.Sequential:
        down_up = nn.Sequential(nn.MaxPool2d(2), *_cbr(width, 2 * width, bn=False), upsample2x(2 * width))
        return nn.Sequential(*_cbr(in_channels, width, bn=False), Concat(nn.Identity(), down_up),
                             *_cbr(3 * width, width, bn=False), nn.Conv2d(width, out_channels, 1))

    return _seeded(build, seed).eval()


def resnet18(n_classes: int = 1000, in_channels: int = 3, width: int = 64, *, seed: int | None = None) -> nn.Sequential:
    """A ResNet-18-sized net (He et al. layout: 7x7 stem, maxpool, 4 stages of 2 basic blocks) from torch.nn only."""
    _positive(n_classes=n_classes, in_channels=in_channels, width=width)
    # 7x7 stem, then per stage two blocks of two 3x3 convs (the first block of stages 2-4 also a 1x1 shortcut), the head
    check.parameter_count("resnet18", 49 * in_channels * width + 36 * width * width * (1 + 4 + 16 + 64)
                          + (8 * width + 1) * n_classes)

    def build() -> nn.Sequential:
        layers: list[nn.Module] = [nn.Conv2d(in_channels, width, 7, stride=2, padding=3, bias=False),
                                   nn.BatchNorm2d(width), nn.ReLU(), nn.MaxPool2d(3, stride=2, padding=1)]
        c = width
        for stage, w in enumerate([width, 2 * width, 4 * width, 8 * width]):
            layers += [basic_block(c, w, 1 if stage == 0 else 2), basic_block(w, w)]
            c = w
        return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, n_classes))

    return _seeded(build, seed).eval()
