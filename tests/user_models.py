"""Models written the way users write them (own ``forward``, functional calls), tiny enough for path enumeration.

Each entry of USER_NETS builds ``(model, input_shape)`` in eval mode with non-trivial frozen BatchNorm statistics.
``AUTHORS_OK`` lists those the authors' ``compute_path_norm`` also reads (Conv2d, not Conv1d; BN with affine
parameters; mean as a tensor method; pooling windows that their rewrite reproduces).
"""

from __future__ import annotations

import torch
from torch import nn
import torch.nn.functional as F

from relulab.nets.dag import randomize_batchnorm


class Block(nn.Module):
    """A torchvision-style basic block: functional ReLU, `out += identity`, an optional 1x1 downsample."""

    def __init__(self, cin: int, cout: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        identity = x
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.down is not None:
            identity = self.down(x)
        out += identity
        return F.relu(out)


class TinyResNet(nn.Module):
    """Stem, two blocks (the second with a 1x1 downsample), functional max-pool, spatial mean, linear head."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(1, 1, 3, padding=1)
        self.b1 = Block(1, 1)
        self.b2 = Block(1, 2)
        self.fc = nn.Linear(2, 2)

    def forward(self, x):
        x = F.max_pool2d(torch.relu(self.stem(x)), 2, stride=1)
        x = self.b2(self.b1(x))
        return self.fc(x.mean((2, 3)))


class Inception(nn.Module):
    """Branches concatenated along channels in forward, functional avg-pool with padding, torch.flatten."""

    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Conv2d(1, 2, 1)
        self.b = nn.Sequential(nn.Conv2d(1, 2, 1), nn.ReLU(), nn.Conv2d(2, 2, 3, padding=1))
        self.c = nn.Conv2d(1, 1, 1)
        self.head = nn.Linear(5 * 2 * 2, 3)

    def forward(self, x):
        pooled = F.avg_pool2d(x, 3, stride=1, padding=1)
        y = torch.cat([F.relu(self.a(x)), self.b(x).relu(), F.relu(self.c(pooled))], dim=1)
        y = F.max_pool2d(y, 2)
        return self.head(torch.flatten(y, 1))


class Conv1dNet(nn.Module):
    """Conv1d (stride, padding, groups), BatchNorm1d, MaxPool1d with dilation, AvgPool1d, adaptive 1-D pooling."""

    def __init__(self) -> None:
        super().__init__()
        self.c1 = nn.Conv1d(2, 4, 3, stride=2, padding=1)
        self.bn = nn.BatchNorm1d(4)
        self.c2 = nn.Conv1d(4, 4, 3, padding=2, dilation=2, groups=2)
        self.pool = nn.MaxPool1d(2, stride=1, dilation=2)
        self.fc = nn.Linear(4 * 2, 2)

    def forward(self, x):
        x = F.relu(self.bn(self.c1(x)))
        x = self.pool(F.relu(self.c2(x)))
        x = F.avg_pool1d(x, 2, 1)
        x = F.adaptive_max_pool1d(x, 2)
        return self.fc(x.view(x.size(0), -1))


class Grouped(nn.Module):
    """Grouped and depthwise 2-D convs with stride, ceil-mode pools, adaptive pools with uneven windows, constants."""

    def __init__(self) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(2, 4, 3, stride=2, padding=1, groups=2)
        self.dw = nn.Conv2d(4, 4, 2, padding=1, groups=4)
        self.bn = nn.BatchNorm2d(4)
        self.fc = nn.Linear(4 * 3 * 3 + 4, 2)

    def forward(self, x):
        x = self.c1(x).clamp(min=0)  # 6x6 -> 3x3
        x = F.max_pool2d(x, 2, stride=2, ceil_mode=True)  # 3x3 -> 2x2, partial windows
        x = F.relu(self.bn(self.dw(x)))  # 2x2 -> 3x3
        x = F.avg_pool2d(x * 0.5 - 1.0, 2, 1, padding=1, count_include_pad=False)  # 4x4, uneven divisors
        a = F.adaptive_avg_pool2d(x, 3)  # 4 -> 3: overlapping windows
        b = nn.functional.adaptive_max_pool2d(2.0 - x, 1)
        return self.fc(torch.cat([a.flatten(1), b.flatten(1)], 1))


class DivisorPool(nn.Module):
    """AvgPool2d with divisor_override and ceil_mode, AdaptiveAvgPool2d module with a None size, ConvTranspose2d."""

    def __init__(self) -> None:
        super().__init__()
        self.c = nn.Conv2d(1, 2, 2)
        self.pool = nn.AvgPool2d(2, stride=2, ceil_mode=True, divisor_override=3)
        self.up = nn.ConvTranspose2d(2, 2, 2, stride=2)
        self.ada = nn.AdaptiveAvgPool2d((None, 1))
        self.fc = nn.Linear(2 * 4, 1)

    def forward(self, x):
        x = self.pool(F.relu(self.c(x)))  # 4x4 -> 3x3 -> 2x2
        x = F.relu(self.up(x))  # 4x4
        x = self.ada(x)  # 4x1
        return self.fc(x.flatten(1)) - x.sum((1, 2, 3)).unsqueeze(1) / 4


def _bn(make, seed: int):
    torch.manual_seed(seed)
    return randomize_batchnorm(make(), seed=seed + 1)


USER_NETS = {
    "custom-resnet": lambda: (_bn(TinyResNet, 0), (1, 3, 3)),
    "inception": lambda: (_bn(Inception, 1), (1, 4, 4)),
    "conv1d": lambda: (_bn(Conv1dNet, 2), (2, 12)),
    "grouped": lambda: (_bn(Grouped, 3), (2, 6, 6)),
    "divisor": lambda: (_bn(DivisorPool, 4), (1, 5, 5)),
}
AUTHORS_OK = ("custom-resnet", "inception")
