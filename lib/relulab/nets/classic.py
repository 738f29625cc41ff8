"""Classic image nets written the way users write them (custom ``forward``, functional calls), without torchvision.

ResNet (basic and bottleneck blocks whose ``forward`` adds the shortcut), VGG and AlexNet in the layout of He et al.
2016, Simonyan & Zisserman 2015 and Krizhevsky et al. 2012 (torchvision's module names, so that a state dict
carries over).  They exist to test :mod:`relulab.paths.lifting` on models that are *not* built from relulab's
containers: the path-lifting reads them through their ``forward`` with ``torch.fx``.
"""

from __future__ import annotations

import contextvars
from typing import Sequence

import torch
import torch.fx
import torch.nn.functional as F
from torch import nn

from relulab import check

from .dag import _seeded

__all__ = ["AlexNet", "BasicBlock", "Bottleneck", "ResNet", "VGG", "alexnet", "resnet", "vgg"]


_IN_RESNET = contextvars.ContextVar("_IN_RESNET", default=False)  # set while a ResNet runs its blocks on a checked x


def _check_x(x: torch.Tensor, channels: int) -> None:
    """An input batch (N, channels, H, W); skipped under torch.fx (a symbolic value has no shape) and in a ResNet."""
    if isinstance(x, torch.fx.Proxy) or _IN_RESNET.get():
        return
    check.tensor("x", x, ndim=4)
    if x.shape[1] != channels:
        raise ValueError(f"x must have {channels} channels (dim 1), got shape {tuple(x.shape)}")


def _sizes(**kw: int) -> list[int]:
    return [check.integer(k, v, low=1) for k, v in kw.items()]


def _widths(cfg: Sequence[int | str]) -> list[int]:
    """The conv widths of a VGG ``cfg`` (ints >= 1, with "M" for a max-pool)."""
    if isinstance(cfg, (str, bytes)) or not isinstance(cfg, Sequence) or not cfg:
        raise TypeError(f"cfg must be a non-empty sequence of widths and 'M', got {cfg!r}")
    return [check.integer(f"cfg[{i}]", v, low=1) for i, v in enumerate(cfg) if v != "M"]


class BasicBlock(nn.Module):
    """Two 3x3 conv-BN pairs; ``forward`` adds the shortcut (identity or 1x1 conv-BN) before the last ReLU."""

    expansion = 1

    def __init__(self, cin: int, width: int, stride: int = 1) -> None:
        super().__init__()
        cin, width, stride = _sizes(cin=cin, width=width, stride=stride)
        self.cin = cin
        cout = width * self.expansion
        self.conv1 = nn.Conv2d(cin, width, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(width, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """ReLU(BN(conv(ReLU(BN(conv(x))))) + shortcut(x))."""
        _check_x(x, self.cin)
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class Bottleneck(nn.Module):
    """1x1 - 3x3 (strided) - 1x1 convs with BN, channel expansion 4; ``forward`` adds the shortcut (functional ReLU)."""

    expansion = 4

    def __init__(self, cin: int, width: int, stride: int = 1) -> None:
        super().__init__()
        cin, width, stride = _sizes(cin=cin, width=width, stride=stride)
        self.cin = cin
        cout = width * self.expansion
        self.conv1 = nn.Conv2d(cin, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, cout, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """ReLU(bottleneck(x) + shortcut(x))."""
        _check_x(x, self.cin)
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        shortcut = x if self.downsample is None else self.downsample(x)
        return F.relu(out + shortcut)


class ResNet(nn.Module):
    """7x7 stem, max-pool, four stages of blocks, global average pool, linear head (He et al. 2016)."""

    def __init__(self, block: type, layers: Sequence[int], n_classes: int = 1000, in_channels: int = 3,
                 width: int = 64) -> None:
        super().__init__()
        if block not in (BasicBlock, Bottleneck):
            raise TypeError(f"block must be BasicBlock or Bottleneck, got {block!r}")
        layers = check.integers("layers", layers, low=1)
        n_classes, in_channels, width = _sizes(n_classes=n_classes, in_channels=in_channels, width=width)
        if len(layers) > 4:
            raise ValueError(f"layers must have at most 4 stages, got {len(layers)}")
        self.in_channels = in_channels
        self.conv1 = nn.Conv2d(in_channels, width, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        c = width
        stages = []
        for i, n in enumerate(layers):
            w = width * 2**i
            blocks = []
            for j in range(n):
                blocks.append(block(c, w, 2 if (j == 0 and i > 0) else 1))
                c = w * block.expansion
            stages.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3, self.layer4 = (stages + [nn.Identity()] * 4)[:4]
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(c, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Stem, stages, pooled features, logits."""
        _check_x(x, self.in_channels)
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        ctx = contextvars.copy_context()  # the blocks skip their own scan of x in this copy (nothing leaks out of it)
        ctx.run(_IN_RESNET.set, True)
        x = ctx.run(lambda: self.layer4(self.layer3(self.layer2(self.layer1(x)))))
        x = torch.flatten(self.avgpool(x), 1)
        return self.fc(x)


class VGG(nn.Module):
    """Conv-[BN]-ReLU stacks with max-pools (``cfg``: widths, "M" for a pool), adaptive pool 7x7, three linear layers."""

    def __init__(self, cfg: Sequence[int | str], n_classes: int = 1000, in_channels: int = 3, batch_norm: bool = False,
                 hidden: int = 4096, pool: int = 7) -> None:
        super().__init__()
        _widths(cfg)
        n_classes, in_channels, hidden, pool = _sizes(n_classes=n_classes, in_channels=in_channels, hidden=hidden,
                                                      pool=pool)
        self.in_channels = in_channels
        layers: list[nn.Module] = []
        c = in_channels
        for v in cfg:
            if v == "M":
                layers.append(nn.MaxPool2d(2, 2))
                continue
            layers.append(nn.Conv2d(c, int(v), 3, padding=1))
            if batch_norm:
                layers.append(nn.BatchNorm2d(int(v)))
            layers.append(nn.ReLU(inplace=True))
            c = int(v)
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d((pool, pool))
        self.classifier = nn.Sequential(
            nn.Linear(c * pool * pool, hidden), nn.ReLU(True), nn.Dropout(),
            nn.Linear(hidden, hidden), nn.ReLU(True), nn.Dropout(),
            nn.Linear(hidden, n_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Features, pooled and flattened, then the classifier."""
        _check_x(x, self.in_channels)
        x = self.avgpool(self.features(x))
        return self.classifier(x.view(x.size(0), -1))


class AlexNet(nn.Module):
    """Five convs (11x11 stride 4, 5x5, three 3x3) with ReLU and three max-pools, adaptive pool 6x6, three linear."""

    def __init__(self, n_classes: int = 1000, in_channels: int = 3, width: int = 64, hidden: int = 4096) -> None:
        super().__init__()
        n_classes, in_channels, w, hidden = _sizes(n_classes=n_classes, in_channels=in_channels, width=width,
                                                   hidden=hidden)
        self.in_channels = in_channels
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, w, 11, stride=4, padding=2), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2),
            nn.Conv2d(w, 3 * w, 5, padding=2), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2),
            nn.Conv2d(3 * w, 6 * w, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(6 * w, 4 * w, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(4 * w, 4 * w, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(), nn.Linear(4 * w * 36, hidden), nn.ReLU(inplace=True),
            nn.Dropout(), nn.Linear(hidden, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, n_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Features, pooled and flattened, then the classifier."""
        _check_x(x, self.in_channels)
        x = torch.flatten(self.avgpool(self.features(x)), 1)
        return self.classifier(x)


def _build(make, seed: int, n_params: int, what: str) -> nn.Module:
    check.parameter_count(what, n_params)
    return _seeded(make, seed).eval()


def resnet(depth: int = 18, *, n_classes: int = 1000, in_channels: int = 3, width: int = 64, seed: int = 0) -> ResNet:
    """A ResNet-18/34/50/101/152 (eval mode), or a narrower one with ``width`` < 64."""
    depth = check.choice("depth", depth, (18, 34, 50, 101, 152))
    n_classes, in_channels, width = _sizes(n_classes=n_classes, in_channels=in_channels, width=width)
    seed = check.seed(seed)
    block = BasicBlock if depth < 50 else Bottleneck
    layers = {18: (2, 2, 2, 2), 34: (3, 4, 6, 3), 50: (3, 4, 6, 3), 101: (3, 4, 23, 3), 152: (3, 8, 36, 3)}[depth]
    per_block = (18 if block is BasicBlock else 17 * block.expansion) * width * width * 16  # a generous upper bound
    n = 49 * in_channels * width + sum(layers) * per_block + 32 * width * n_classes
    return _build(lambda: ResNet(block, layers, n_classes, in_channels, width), seed, n, f"resnet({depth})")


def vgg(cfg: Sequence[int | str] = (64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"), *,
        n_classes: int = 1000, in_channels: int = 3, batch_norm: bool = False, hidden: int = 4096, pool: int = 7,
        seed: int = 0) -> VGG:
    """A VGG (VGG-11 layout by default; eval mode): ``cfg`` lists conv widths and "M" for 2x2 max-pools."""
    widths = _widths(cfg)
    n_classes, in_channels, hidden, pool = _sizes(n_classes=n_classes, in_channels=in_channels, hidden=hidden,
                                                  pool=pool)
    seed = check.seed(seed)
    chans = [in_channels, *widths]
    n = sum(9 * a * b for a, b in zip(chans, chans[1:])) + chans[-1] * pool * pool * hidden + hidden * (hidden + n_classes)
    return _build(lambda: VGG(cfg, n_classes, in_channels, batch_norm, hidden, pool), seed, n, "vgg")


def alexnet(*, n_classes: int = 1000, in_channels: int = 3, width: int = 64, hidden: int = 4096, seed: int = 0) -> AlexNet:
    """An AlexNet (eval mode), or a narrower one with ``width`` < 64 and ``hidden`` < 4096."""
    n_classes, in_channels, width, hidden = _sizes(n_classes=n_classes, in_channels=in_channels, width=width,
                                                   hidden=hidden)
    seed = check.seed(seed)
    w = width
    n = 121 * in_channels * w + 25 * 3 * w * w + 9 * (18 + 24 + 16) * w * w + 144 * w * hidden + hidden * (hidden + n_classes)
    return _build(lambda: AlexNet(n_classes, in_channels, width, hidden), seed, n, "alexnet")
