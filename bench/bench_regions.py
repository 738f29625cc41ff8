"""Exact 2-D region counting against a fine sampling grid: accuracy and time (printed as ratios, not a timed test).

    python bench/bench_regions.py

The grid counter evaluates the net on an N x N grid, labels each pixel by its exact local affine map (gradient and offset
from the activation pattern) and counts connected components of equal maps (scipy.ndimage.label): the usual way regions
are "counted" from pictures.  It misses pieces thinner than a pixel (undercount) and splits thin pieces into several pixel components
(overcount), so its error has no fixed sign; the exact counter does not sample.
"""

from __future__ import annotations


import numpy as np
import torch
from scipy import ndimage

from relulab import regions as R
from relulab.nets import mlp

from timing import best_time  # bench/timing.py (bench/ is on sys.path when a bench runs)


def grid_count(net: torch.nn.Sequential, box: tuple[float, float, float, float], n: int) -> int:
    """Pieces seen on an n x n pixel grid: connected components of pixels with equal local affine maps."""
    xs, ys = np.linspace(box[0], box[1], n), np.linspace(box[2], box[3], n)
    X = torch.as_tensor(np.array(np.meshgrid(xs, ys)).reshape(2, -1).T).requires_grad_(True)
    out = net(X)[:, 0]
    (g,) = torch.autograd.grad(out.sum(), X)
    # equal gradients on touching pixels mean one affine piece (continuity fixes the offset); compare relative to the
    # largest slope, as float64 autograd gradients of one pattern agree to ~1e-13 relative
    gn = g.numpy() / max(1e-300, float(np.abs(g.numpy()).max()))
    key = np.round(gn, 9)
    _, lab = np.unique(key, axis=0, return_inverse=True)
    lab = lab.reshape(n, n)
    total = 0
    for v in np.unique(lab):
        total += ndimage.label(lab == v)[1]
    return total




def main() -> None:
    """Print exact vs grid counts and times for a random net and a ZONOTOPE net with thin bands."""
    torch.set_default_dtype(torch.float64)
    rng = np.random.default_rng(0)
    B = rng.normal(size=(4, 2))
    a = [R.random_simplex_point(2, gen=rng, min_gap=0.2) for _ in range(3)]
    rad = 1.05 / R.zonotope_support(B, np.c_[np.cos(t := np.linspace(0, 2 * np.pi, 20001)), np.sin(t)]).min()
    cases = {
        "random 2-16-16-1": (mlp([2, 16, 16, 1], seed=1), (-3.0, 3.0, -3.0, 3.0)),
        "ZONOTOPE m=4, w=3, k=3": (R.zonotope_net(B, a), (-rad, rad, -rad, rad)),
    }
    for name, (net, box) in cases.items():
        exact = R.count_regions_2d(net, box)
        t_exact = best_time(lambda: R.count_regions_2d(net, box), repeat=1)
        for n in (128, 512):
            with torch.enable_grad():
                got = grid_count(net, box, n)
                t_grid = best_time(lambda: grid_count(net, box, n), repeat=1)
            print(f"{name}: exact {exact} pieces in {t_exact:.2f} s; {n}x{n} grid sees {got} "
                  f"({got / exact:.2f} of exact) in {t_grid:.2f} s -> grid/exact time = {t_grid / t_exact:.2f}x")


if __name__ == "__main__":
    main()
