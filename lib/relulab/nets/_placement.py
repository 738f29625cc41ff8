"""Where a batched trainer runs: the stack moves to the training device and back, whatever happens in between."""

from __future__ import annotations

import contextlib
from typing import Iterator

import torch
from torch import nn

__all__: list[str] = []  # internal: the trainers' device placement


@contextlib.contextmanager
def moved_to(module: nn.Module, device: torch.device | None) -> Iterator[torch.device]:
    """Move `module` to `device` (None: stay) for the with-block, and back where it was after it, error or not."""
    home = next(module.parameters()).device
    try:
        module.to(home if device is None else device)
        yield home if device is None else device
    finally:
        module.to(home)
