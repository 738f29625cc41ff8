"""NPK Gram of a deep gated network (gate overlaps) vs its empirical value-NTK Gram (autograd), same N and width.

    python bench/bench_npk.py
Prints the time ratio; not a timed test (machines differ), the ratio is what the book quotes.
"""

from __future__ import annotations


import torch

from relulab.nets import mlp
from relulab.nets.gated import DeepGatedNet
from relulab.paths.gated import dgn_npk, value_ntk

from timing import best_time  # bench/timing.py (bench/ is on sys.path when a bench runs)




def main(n: int = 200, d_in: int = 64, width: int = 128, depth: int = 4) -> None:
    """Print the NPK-vs-NTK Gram time ratio for a hard-gated DGN with `depth` weight layers."""
    torch.set_default_dtype(torch.float64)
    torch.set_num_threads(1)
    sizes = [d_in] + [width] * (depth - 1) + [1]
    dgn = DeepGatedNet(mlp(sizes, bias=False, seed=0), mlp(sizes, bias=False, seed=1))
    X = torch.randn(n, d_in, generator=torch.Generator().manual_seed(0))
    t_npk = best_time(lambda: dgn_npk(dgn, X))
    t_ntk = best_time(lambda: value_ntk(dgn, X), repeat=2)
    print(f"torch {torch.__version__}, float64, 1 thread; DGN {sizes}, N = {n}")
    print(f"NPK Gram (gate overlaps) {t_npk * 1e3:.1f} ms vs value-NTK Gram (autograd) {t_ntk * 1e3:.0f} ms "
          f"-> NTK/NPK = {t_ntk / t_npk:.0f}x")


if __name__ == "__main__":
    main()
