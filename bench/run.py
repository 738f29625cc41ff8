"""Print each fast kernel's cost against its naive reference, as a ratio (not a timed test).

    python bench/run.py
"""

from __future__ import annotations

import time

import torch

from relulab import paths
from relulab.nets import mlp


def best_time(fn, repeat: int = 5) -> float:
    """Best wall time of `repeat` calls, in seconds (the minimum is the least noisy estimate)."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def bench_npk_vs_ntk() -> None:
    torch.manual_seed(0)
    n, d_in, width, depth = 200, 64, 128, 4
    net = mlp([d_in] + [width] * (depth - 1) + [1], bias=False, seed=0)
    X = torch.randn(n, d_in)
    t_npk = best_time(lambda: paths.npk(net, X))
    t_ntk = best_time(lambda: paths.ntk(net, X), repeat=2)
    print(f"NPK Gram (gate overlaps) vs empirical NTK Gram (autograd), N={n}, width {width}, depth {depth}: "
          f"{t_npk * 1e3:.1f} ms vs {t_ntk * 1e3:.0f} ms -> NTK/NPK = {t_ntk / t_npk:.0f}x")
    small = mlp([4, 6, 6, 6, 1], bias=False, seed=0)
    Xs = torch.randn(50, 4)
    t_fast = best_time(lambda: paths.npk(small, Xs))
    t_enum = best_time(lambda: paths.npf(small, Xs) @ paths.npf(small, Xs).T)
    print(f"NPK Gram vs explicit path enumeration ({paths.count_paths(small)} paths), N=50: "
          f"{t_fast * 1e6:.0f} us vs {t_enum * 1e6:.0f} us -> enumeration/NPK = {t_enum / t_fast:.1f}x")


def main() -> None:
    torch.set_default_dtype(torch.float64)
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, float64, 1 thread")
    bench_npk_vs_ntk()


if __name__ == "__main__":
    main()
