"""Exact 2-D linear regions: relulab's partition against regioncam (time and counts), and against a pixel grid.

    python bench/bench_regions.py

regioncam (PyPI, compiled, an independent exact implementation) computes in float32 on a float32 copy of the
weights; relulab keeps float64.  On generic nets the counts agree; where regions are thinner than float32 can
resolve, or where kinks meet exactly (the zonotope nets of Part I), they can differ, and relulab's count is the
one that equals the exact rational count (tests/test_regions.py).  Times are the best of interleaved rounds.

The grid counter evaluates the net on an N x N grid, labels each pixel by its local affine map and counts connected
components of equal maps: the usual way regions are "counted" from pictures.  It misses pieces thinner than a pixel
and splits thin pieces into several components, so its error has no fixed sign; the exact counters do not sample.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from scipy import ndimage

from relulab import pwl
from relulab import regions as R
from relulab.nets import mlp

TARGET = 3.0  # relulab's time / regioncam's time on nets with ~1e5 regions


def regioncam_count(net: torch.nn.Sequential, half: float) -> int:
    """Faces of regioncam's partition of [-half, half]^2 (weights cast to float32, as regioncam requires)."""
    import regioncam

    rc = regioncam.Regioncam(half)
    for m in net:
        if isinstance(m, torch.nn.Linear):
            b = m.bias if m.bias is not None else torch.zeros(m.out_features)
            rc.linear(m.weight.detach().float().numpy().T.copy(), b.detach().float().numpy())
        else:
            rc.relu()
    return rc.num_faces


def grid_count(net: torch.nn.Sequential, box: tuple[float, float, float, float], n: int) -> int:
    """Pieces seen on an n x n pixel grid: connected components of pixels with equal local affine maps."""
    xs, ys = np.linspace(box[0], box[1], n), np.linspace(box[2], box[3], n)
    X = torch.as_tensor(np.array(np.meshgrid(xs, ys)).reshape(2, -1).T).requires_grad_(True)
    (g,) = torch.autograd.grad(net(X)[:, 0].sum(), X)
    gn = g.numpy() / max(1e-300, float(np.abs(g.numpy()).max()))
    _, lab = np.unique(np.round(gn, 9), axis=0, return_inverse=True)
    lab = lab.reshape(n, n)
    return sum(ndimage.label(lab == v)[1] for v in np.unique(lab))


def _best(fns: dict, rounds: int) -> tuple[dict, dict]:
    best, out = {k: float("inf") for k in fns}, {}
    for _ in range(rounds):
        for k, f in fns.items():
            t = time.perf_counter()
            out[k] = f()
            best[k] = min(best[k], time.perf_counter() - t)
    return best, out


def against_regioncam() -> None:
    """relulab's activation regions vs regioncam's faces on random nets of ~4e4 and ~1e5 regions, in [-2, 2]^2."""
    for widths, rounds in (([2, 100, 100, 100, 1], 2), ([2] + [64] * 6 + [1], 1)):
        net = mlp(widths, seed=0)
        box = (-2.0, 2.0, -2.0, 2.0)
        t, n = _best({"relulab": lambda: R.regions_2d(net, box).n_activation_regions,
                      "regioncam": lambda: regioncam_count(net, 2.0)}, rounds)
        same = "equal" if n["relulab"] == n["regioncam"] else f"differ by {n['relulab'] - n['regioncam']:+d}"
        print(f"random {'-'.join(map(str, widths))}: relulab {n['relulab']} regions in {t['relulab']:.2f} s, "
              f"regioncam {n['regioncam']} in {t['regioncam']:.2f} s (counts {same}) -> "
              f"regions time / regioncam's time = {t['relulab'] / t['regioncam']:.2f}x (target <= {TARGET})")


def degenerate(n_nets: int = 6) -> None:
    """ZONOTOPE nets (zero lines meeting at common points): relulab float64 and regioncam against exact rationals."""
    rng = np.random.default_rng(0)
    box = (-1.0, 1.0, -1.0, 1.0)
    off_relulab, off_rc, counts = 0, 0, []
    for _ in range(n_nets):
        B = rng.normal(size=(3, 2))
        a = [pwl.random_simplex_point(2, seed=int(rng.integers(2**31)), min_gap=0.2) for _ in range(2)]
        net = pwl.zonotope_net(B, a).float().double()  # float32-valued weights: the kinks meet exactly in the net
        exact = R.count_regions_2d(net, box, mode="activation", exact=True)
        fast, rc = R.count_regions_2d(net, box, mode="activation"), regioncam_count(net, 1.0)
        off_relulab += fast != exact
        off_rc += rc != exact
        counts.append(f"{exact}/{fast}/{rc}")
    print(f"ZONOTOPE m=3, w=3, k=2, {n_nets} nets (exact/relulab/regioncam: {' '.join(counts)}): relulab differs from "
          f"the exact rational count on {off_relulab}, regioncam on {off_rc}")


def against_grid() -> None:
    """Exact pieces against pixel-grid components for a random net."""
    net, box = mlp([2, 16, 16, 1], seed=1), (-3.0, 3.0, -3.0, 3.0)
    exact = R.count_regions_2d(net, box)
    t_exact = _best({"e": lambda: R.count_regions_2d(net, box)}, 2)[0]["e"]
    for n in (128, 512):
        with torch.enable_grad():
            t_grid, got = _best({"g": lambda: grid_count(net, box, n)}, 1)
        print(f"random 2-16-16-1: exact {exact} pieces in {t_exact:.3f} s; {n}x{n} grid sees {got['g']} "
              f"({got['g'] / exact:.2f} of exact) in {t_grid['g']:.2f} s")


def main() -> None:
    """Print relulab's regions time / regioncam's time and the counts, then exact vs grid counts."""
    torch.set_default_dtype(torch.float64)
    torch.set_num_threads(1)
    try:
        import regioncam  # noqa: F401
    except ImportError:
        print("regioncam is not installed: the comparison is skipped (pip install regioncam)")
    else:
        against_regioncam()
        degenerate()
    against_grid()


if __name__ == "__main__":
    main()
