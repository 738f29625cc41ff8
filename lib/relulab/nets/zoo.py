"""The small nets Part III uses in several chapters, built in one place.

- :func:`enumerable_nets`: one small net of every kind the path-lifting supports (MLP, VGG-, ResNet-, U-Net-like,
  overlapping pools), small enough that every path can be enumerated (the exponential reference).
- :func:`mnist_resnet`: a small ResNet-like classifier for 14x14 MNIST images, cheap enough to train many times
  on a CPU (the pruning-with-retraining experiment).
- :func:`digits_cnn`: a small CNN with max- and average-pooling for scikit-learn's 8x8 digits.
"""

from __future__ import annotations

from typing import NamedTuple

from torch import nn

from .. import check
from .dag import _seeded, basic_block, randomize_batchnorm, resnet_like, unet_like, vgg_like
from .fc import mlp

__all__ = ["digits_cnn", "enumerable_nets", "mnist_resnet"]


class EnumerableNet(NamedTuple):
    """A small net in eval mode and its input shape without batch (unpacks as ``model, shape = nets[name]``)."""

    model: nn.Module
    shape: tuple[int, ...]


def enumerable_nets(*, seed: int, width: int = 1, resnet_side: int = 3) -> dict[str, EnumerableNet]:
    """{name: EnumerableNet(model, input shape)} for five small ReLU DAGs with non-trivial frozen BN.

    `width` (1 or 2) is the channel count of the ResNet- and U-Net-like nets; their paths grow like width**depth,
    so width 2 with ``resnet_side=2`` is about the largest that explicit enumeration handles in seconds.
    """
    seed = check.seed(seed)
    width = check.integer("width", width, low=1, high=2)
    resnet_side = check.integer("resnet_side", resnet_side, low=1, high=4)

    def pools() -> nn.Sequential:
        return nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 1, padding=1),
                             nn.AvgPool2d(2), nn.Flatten(), nn.Linear(8, 2)).eval()

    return {
        "MLP 3-4-5-2": EnumerableNet(mlp([3, 4, 5, 2], seed=seed).eval(), (3,)),
        "VGG-like": EnumerableNet(randomize_batchnorm(vgg_like(1, (2, 2), 3, 4, seed=seed), seed=seed + 1), (1, 4, 4)),
        "ResNet-like": EnumerableNet(randomize_batchnorm(resnet_like(1, width, 2, seed=seed), seed=seed + 1),
                                     (1, resnet_side, resnet_side)),
        "U-Net-like": EnumerableNet(unet_like(1, width, 1, seed=seed), (1, 4, 4)),
        "overlapping pools": EnumerableNet(_seeded(pools, seed), (1, 4, 4)),
    }


def mnist_resnet(width: int = 8, hidden: int = 32, *, seed: int) -> nn.Sequential:
    """A ResNet-like classifier for 1x14x14 images: 2x2 stride-2 conv stem - BN - ReLU, one basic block
    (conv-BN-ReLU-conv-BN + identity, ReLU) at 7x7, then a ReLU MLP head 49*width -> hidden -> 10."""
    width = check.integer("width", width, low=1, high=256)
    hidden = check.integer("hidden", hidden, low=1, high=4096)
    seed = check.seed(seed)

    def build() -> nn.Sequential:
        return nn.Sequential(
            nn.Conv2d(1, width, 2, stride=2, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
            basic_block(width, width), nn.Flatten(),
            nn.Linear(49 * width, hidden), nn.ReLU(), nn.Linear(hidden, 10),
        )

    return _seeded(build, seed)


def digits_cnn(width: int = 8, *, seed: int, batch_norm: bool = False) -> nn.Sequential:
    """A CNN for 1x8x8 digits: conv-[BN]-ReLU-maxpool 2, conv-[BN]-ReLU, global average pool, linear to 10."""
    width = check.integer("width", width, low=1, high=256)
    seed = check.seed(seed)

    def block(cin: int, cout: int) -> list[nn.Module]:
        return [nn.Conv2d(cin, cout, 3, padding=1)] + ([nn.BatchNorm2d(cout)] if batch_norm else []) + [nn.ReLU()]

    def build() -> nn.Sequential:
        return nn.Sequential(*block(1, width), nn.MaxPool2d(2), *block(width, 2 * width),
                             nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2 * width, 10))

    return _seeded(build, seed)
