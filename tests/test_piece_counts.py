"""Closed-form piece counts of the ZONOTOPE family and of Montufar et al.'s construction, against exact counts."""

import math

import numpy as np
import pytest
import torch

from relulab import piece_counts as pc
from relulab import pwl
from relulab import regions as R
from relulab.regions_nd import regions_nd

torch.set_default_dtype(torch.float64)


def test_zonotope_counts_printed_inside_total():
    c = pc.count_zonotope_pieces(2, 2, 2, 2)  # the l1 example of the paper's Figure 1
    assert (c.printed, c.inside, c.total) == (8, 16, 17)
    assert pc.count_zonotope_pieces(3, 4, 3, 1) == pc.ZonotopeCounts(7 * 3, 14 * 3, 14 * 3)
    assert pc.count_zonotope_pieces(3, 1, 2, 3).total == 2 * 8 + 2  # m = 1: the flat outside is two half-spaces


@pytest.mark.parametrize("m,w,k", [(4, 2, 2), (3, 3, 2), (5, 2, 1)])
def test_zonotope_counts_in_2d_agree_with_exact_cells(m, w, k):
    rng = np.random.default_rng(m + w + k)
    B = rng.normal(size=(m, 2))
    a = [pwl.random_simplex_point(w - 1, 1.0, seed=int(rng.integers(2**31)), min_gap=0.2) for _ in range(k)]
    reg = R.regions_2d(pwl.zonotope_net(B, a, 1.0), (-30, 30, -30, 30))
    counts = pc.count_zonotope_pieces(2, m, w, k)
    assert pc.count_zonotope_pieces_inside(reg, B, 1.0) == counts.inside and reg.n_pieces == counts.total


def test_montufar_count_formula():
    assert pc.count_montufar_regions(3, [4]) == 1 + 4 + 6 + 4
    assert pc.count_montufar_regions(3, [6, 6, 5]) == 2**3 * 2**3 * (1 + 5 + 10 + 10)
    assert pc.count_montufar_regions(2, [5, 3]) == 2**2 * (1 + 3 + 3)


@pytest.mark.parametrize("n,widths", [(2, [4, 3]), (2, [6, 4]), (3, [4]), (3, [6, 4]), (3, [3, 3])])
def test_montufar_net_reaches_its_bound_and_its_last_layer_cuts_the_cube_fully(n, widths):
    net = pc.montufar_net(n, widths, seed=1)
    r = regions_nd(net, (-100, 100) * n)
    assert r.n_pieces >= pc.count_montufar_regions(n, widths)
    # the last layer alone, inside the unit cube: every region of the arrangement of w_L hyperplanes
    last = torch.nn.Sequential(torch.nn.Linear(n, widths[-1]), torch.nn.ReLU(), net[-1])
    fold_free = pc.montufar_net(n, [widths[-1]], seed=1)
    cube = regions_nd(fold_free, (0, 1) * n)
    assert cube.n_activation_regions == sum(math.comb(widths[-1], j) for j in range(n + 1))
    del last


@pytest.mark.parametrize("widths", [[3, 3], [4, 4, 4], [5, 5]])
def test_montufar_net_count_does_not_grow_beyond_a_box_of_half_width_100(widths):
    net = pc.montufar_net(3, widths, seed=2)
    assert regions_nd(net, (-100, 100) * 3).n_pieces == regions_nd(net, (-1e4, 1e4) * 3).n_pieces
