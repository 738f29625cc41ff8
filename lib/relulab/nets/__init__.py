"""ReLU networks used across the book, one file per kind.

- ``fc``: fully connected nets as plain ``nn.Sequential`` stacks (:func:`mlp`).
- ``local``: locally connected layers (:class:`LocallyConnected1d`).
"""

from .fc import mlp, mlp_widths
from .local import LocallyConnected1d

__all__ = ["LocallyConnected1d", "mlp", "mlp_widths"]
