"""Exact one-hidden-layer ERM: wall time against the number of samples D, as a fitted exponent (not a timed test).

    python bench/bench_erm.py
"""

from __future__ import annotations

import math

import numpy as np

from relulab.erm import exact_erm, count_programs

from timing import best_time  # bench/timing.py (bench/ is on sys.path when a bench runs)




def sweep(n: int, w: int, Ds: list[int], seed: int = 0) -> None:
    """Time exact_erm on teacher data of growing D; print times, the ratio between the last two and the exponent."""
    rng = np.random.default_rng(seed)
    ts = []
    for D in Ds:
        X = rng.uniform(-2, 2, size=(D, n))
        y = np.maximum(X @ rng.normal(size=(w, n)).T + rng.normal(size=w), 0) @ rng.normal(size=w)
        y += 0.1 * rng.normal(size=D)
        ts.append(best_time(lambda: exact_erm(X, y, w)))
    slope = np.polyfit(np.log(Ds[-3:]), np.log(ts[-3:]), 1)[0]
    cnt = math.log(count_programs(Ds[-1], n, w) / count_programs(Ds[-2], n, w)) / math.log(Ds[-1] / Ds[-2])
    print(f"n={n}, w={w}: D={Ds} -> " + ", ".join(f"{t * 1e3:.1f} ms" for t in ts)
          + f"; time ratio last/previous {ts[-1] / ts[-2]:.2f}x for D x{Ds[-1] / Ds[-2]:.2f}; "
          f"fitted time exponent {slope:.2f}, program-count exponent {cnt:.2f}, n*w = {n * w}")


def main() -> None:
    """Run the D sweeps for (n, w) in {(1, 1), (1, 2), (2, 1)}."""
    print("exact_erm (squared loss, scipy nnls per cell), 1 process")
    sweep(1, 1, [16, 32, 64, 128, 256])
    sweep(1, 2, [8, 12, 16, 24, 32])
    sweep(2, 1, [8, 12, 16, 24, 32])


if __name__ == "__main__":
    main()
