"""ReLU networks used across the book, one file per kind.

- ``fc``: fully connected nets as plain ``nn.Sequential`` stacks (:func:`mlp`).
- ``local``: locally connected layers (:class:`LocallyConnected1d`).
- ``teacher``: Tian's locally connected teacher/student trees (:class:`TreeNet`).
- ``dag``: small DAG nets with skips and pooling (VGG-, ResNet-, U-Net-like, a torch.nn ResNet-18).
- ``classic``: ResNet, VGG and AlexNet written like torchvision's (own ``forward``), without torchvision.
- ``gated``: deep gated networks, a gating net feeding a value net (Part IV).
- ``gated_stack``: many such nets (or ReLU nets) trained side by side in one batched pass (Part IV).

- ``gated_conv``: the paper's convolutional nets (VCONV, GCONV) as ReLU nets and deep gated networks (Part IV).
"""

from .fc import mlp, mlp_widths
from .local import LocallyConnected1d

__all__ = ["LocallyConnected1d", "mlp", "mlp_widths"]
