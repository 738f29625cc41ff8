"""The one timer every benchmark uses."""

from __future__ import annotations

import time
from typing import Callable


def best_time(fn: Callable[[], object], repeat: int = 3) -> float:
    """Best wall time of `repeat` calls, in seconds (the minimum is the least noisy estimate)."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)
