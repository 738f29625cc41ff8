"""One place that fixes seeds, threads and the default dtype, so chapters are reproducible bit for bit."""

from __future__ import annotations

import os
import random

import numpy as np
import torch

from . import check

__all__ = ["setup"]

SCALES = ("book", "paper")


def _paper_threads() -> int:
    env = os.environ.get("RELULAB_THREADS", "")
    if env.strip():
        if not env.strip().isdigit() or int(env) < 1:
            raise ValueError(f"RELULAB_THREADS must be a positive integer, got {env!r}")
        return int(env)
    return os.cpu_count() or 1


def setup(seed: int, *, scale: str = "book", dtype: torch.dtype = torch.float64, threads: int | None = None) -> torch.Generator:
    """Seed every generator, fix the float dtype and the thread count; return a torch.Generator seeded with `seed`.

    One thread by default at ``scale="book"``: results are then bitwise identical on any CPU core count
    (a different thread count changes reductions in the last bits), and ``make test`` runs two chapters
    side by side on the two cores instead.  ``scale="paper"`` uses every core (and a GPU where a chapter asks),
    or ``$RELULAB_THREADS`` when set: a runner that executes several chapters at once gives each its share.
    """
    check.seed(seed)
    check.choice("scale", scale, SCALES)
    check.dtype("dtype", dtype, none=False)
    if threads is None:
        threads = 1 if scale == "book" else _paper_threads()
    torch.set_num_threads(check.integer("threads", threads, low=1))
    torch.set_default_dtype(dtype)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    # Deterministic mode also fills every new tensor with NaN to expose reads of uninitialised memory: a debugging
    # aid that changes no result and costs about a tenth of a stack's training time (train_stack, fit_stack).
    torch.utils.deterministic.fill_uninitialized_memory = False
    return torch.Generator().manual_seed(seed)
