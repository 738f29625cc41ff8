"""The exact 2-D/3-D counter against the 2-D counter, a linear-programming brute force, and closed forms."""

import math

import numpy as np
import pytest
import torch
from scipy.optimize import linprog

from relulab import piece_counts as pc
from relulab import pwl
from relulab import regions as R
from relulab.nets import mlp
from relulab.regions_nd import count_regions_nd, regions_nd

torch.set_default_dtype(torch.float64)


def _lp_slack(rows, offs, eq_rows, eq_offs, lo, hi):
    """max t with row.x + off >= t |row| for every row, eq rows = 0, lo + t <= x <= hi - t (HiGHS)."""
    n = len(lo)
    A, b = [], []
    for r, o in zip(rows, offs):
        A.append(np.r_[-r, np.linalg.norm(r)])
        b.append(o)
    for i in range(n):
        e = np.eye(n)[i]
        A += [np.r_[-e, 1.0], np.r_[e, 1.0]]
        b += [-lo[i], hi[i]]
    res = linprog(
        np.r_[np.zeros(n), -1.0],
        A_ub=np.array(A),
        b_ub=np.array(b),
        A_eq=np.array([np.r_[r, 0.0] for r in eq_rows]) if eq_rows else None,
        b_eq=[-o for o in eq_offs] if eq_rows else None,
        bounds=[(None, None)] * n + [(None, 1.0)],
        method="highs",
    )
    return -res.fun if res.status == 0 else -1.0


def _brute_force(net, lo, hi, thr=1e-9):
    """(activation regions, pieces) by enumerating activation patterns with LPs (no cells, no clipping).

    A pattern counts if its region has an interior point in the box; two regions are neighbours if they differ in
    one unit and the facet {that unit = 0} has a relative-interior point; pieces = components of neighbours with
    equal affine maps.  Valid for generic nets (no two units share a zero set).
    """
    lins = [m for m in net if isinstance(m, torch.nn.Linear)]
    found = []

    def rec(layer, A, c, pat, rows, offs):
        W = lins[layer].weight.detach().numpy()
        b = lins[layer].bias.detach().numpy() if lins[layer].bias is not None else np.zeros(W.shape[0])
        Z, z = A @ W.T, c @ W.T + b
        if layer == len(lins) - 1:
            found.append((tuple(pat), rows, offs, np.r_[Z[:, 0], z[0]]))
            return

        def unit(u, on, rows, offs):
            if u == W.shape[0]:
                g = np.array(on, dtype=float)
                rec(layer + 1, Z * g, z * g, pat + on, rows, offs)
                return
            for s in (1, 0):
                r, o = (Z[:, u], z[u]) if s else (-Z[:, u], -z[u])
                if _lp_slack(rows + [r], offs + [o], [], [], lo, hi) > thr:
                    unit(u + 1, on + [s], rows + [r], offs + [o])

        unit(0, [], rows, offs)

    rec(0, np.eye(len(lo)), np.zeros(len(lo)), [], [], [])
    index = {p[0]: i for i, p in enumerate(found)}
    parent = list(range(len(found)))

    def find(x):
        while parent[x] != x:
            x = parent[x]
        return x

    for i, (pat, rows, offs, m) in enumerate(found):
        for k in range(len(pat)):
            j = index.get(pat[:k] + (1 - pat[k],) + pat[k + 1 :])
            if j is None or j < i or np.abs(found[j][3] - m).max() > 1e-9:
                continue
            rest = [t for t in range(len(rows)) if t != k]
            if _lp_slack([rows[t] for t in rest], [offs[t] for t in rest], [rows[k]], [offs[k]], lo, hi) > thr:
                parent[find(i)] = find(j)
    return len(found), len({find(i) for i in range(len(found))})


@pytest.mark.parametrize("seed", range(3))
def test_agrees_with_the_2d_counter(seed):
    net = mlp([2, 5, 5, 1], seed=seed)
    box = (-3.0, 3.0, -2.0, 2.5)
    mine, ref = regions_nd(net, box), R.regions_2d(net, box)
    assert mine.n_activation_regions == ref.n_activation_regions
    assert mine.n_pieces == ref.n_pieces


@pytest.mark.parametrize("widths,seed", [([3, 4, 1], 0), ([3, 3, 3, 1], 1), ([3, 4, 3, 1], 2), ([3, 2, 3, 2, 1], 3)])
def test_matches_linear_programming_brute_force_in_3d(widths, seed):
    net = mlp(widths, seed=seed)
    lo, hi = -2.0 * np.ones(3), np.array([2.0, 1.5, 2.5])
    r = regions_nd(net, (lo[0], hi[0], lo[1], hi[1], lo[2], hi[2]))
    assert (r.n_activation_regions, r.n_pieces) == _brute_force(net, lo, hi)


@pytest.mark.parametrize("seed", range(3))
def test_affine_map_of_every_cell_matches_the_net(seed):
    net = mlp([3, 4, 4, 1], seed=seed)
    r = regions_nd(net, (-2, 2) * 3)
    C = np.array([c.centroid for c in r.cells])
    V = np.vstack([c.V for c in r.cells])
    owner = np.repeat(np.arange(len(r.cells)), [len(c.V) for c in r.cells])
    with torch.no_grad():
        fc, fv = (net(torch.from_numpy(P))[:, 0].numpy() for P in (C, V))
    assert np.abs((C * r.grads).sum(1) + r.offsets - fc).max() < 1e-10
    assert np.abs((V * r.grads[owner]).sum(1) + r.offsets[owner] - fv).max() < 1e-10  # continuity at vertices


@pytest.mark.parametrize("N,seed", [(4, 0), (6, 1), (8, 2)])
def test_one_hidden_layer_in_general_position_gives_the_arrangement_count(N, seed):
    rng = np.random.default_rng(seed)
    W, b = rng.normal(size=(N, 3)), rng.normal(size=N)
    verts = [np.linalg.solve(W[list(t)], -b[list(t)]) for t in __import__("itertools").combinations(range(N), 3)]
    L = 2 * np.abs(verts).max() + 1
    net = torch.nn.Sequential(torch.nn.Linear(3, N), torch.nn.ReLU(), torch.nn.Linear(N, 1))
    with torch.no_grad():
        net[0].weight.copy_(torch.from_numpy(W))
        net[0].bias.copy_(torch.from_numpy(b))
        net[2].weight.copy_(torch.from_numpy(rng.uniform(1, 2, size=(1, N))))
    assert count_regions_nd(net, (-L, L) * 3, mode="activation") == sum(math.comb(N, i) for i in range(4))
    assert count_regions_nd(net, (-L, L) * 3) == sum(math.comb(N, i) for i in range(4))


@pytest.mark.parametrize("m,w,k", [(3, 2, 1), (4, 2, 2), (4, 3, 1), (3, 3, 2), (5, 2, 1), (2, 4, 2), (1, 4, 2)])
def test_zonotope_family_in_3d_matches_the_closed_form(m, w, k):
    rng = np.random.default_rng(100 * m + 10 * w + k)
    B = rng.normal(size=(m, 3))
    a = [pwl.random_simplex_point(w - 1, 1.0, seed=int(rng.integers(2**31)), min_gap=0.2) for _ in range(k)]
    r = regions_nd(pwl.zonotope_net(B, a, 1.0), (-40, 40) * 3)
    counts = pc.count_zonotope_pieces(3, m, w, k)
    assert pc.count_zonotope_pieces_inside(r, B, 1.0) == counts.inside
    assert r.n_pieces == counts.total


def test_parallel_generators_lose_cones():
    rng = np.random.default_rng(7)
    B = rng.normal(size=(4, 3))
    B[1] = 2 * B[0]
    r = regions_nd(pwl.zonotope_net(B, [np.array([0.5])], 1.0), (-40, 40) * 3)
    assert pc.count_zonotope_pieces_inside(r, B, 1.0) < pc.count_zonotope_pieces(3, 4, 2, 1).inside


def test_polygons_in_2d_are_the_cells_in_counter_clockwise_order():
    r = regions_nd(mlp([2, 4, 1], seed=0), (-2, 2, -2, 2))
    for P, c in zip(r.polygons, r.cells):
        x, y = P[:, 0], P[:, 1]
        assert (x * np.roll(y, -1) - np.roll(x, -1) * y).sum() > 0 and len(P) == len(c.V)


@pytest.mark.parametrize("seed", range(20))
def test_faces_that_share_only_an_edge_are_not_neighbours(seed):
    # Two unit squares in a randomly rotated plane of R^3: side by side they meet in an edge (overlap area exactly 0,
    # computed as rounding noise); shifted by half a side they overlap in area 1/2.
    from relulab.cells import _faces_overlap

    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    square = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], dtype=float)
    origin = rng.uniform(-3, 3, 3)
    place = lambda S: (S @ Q.T + origin) * 7.3  # noqa: E731
    side_by_side = place(square + [1, 0, 0])
    overlapping = place(square + [0.5, 0, 0])
    corner = place(square + [1 - 1e-5, 1 - 1e-5, 0])  # a real overlap of area 1e-10 (5e-9 after scaling)
    assert not _faces_overlap(place(square), side_by_side, Q[:, 2], 1e-10)
    assert _faces_overlap(place(square), overlapping, Q[:, 2], 1e-10)
    assert _faces_overlap(place(square), corner, Q[:, 2], 1e-10)
