"""Max-min and Wang-Sun forms recovered from exact pieces, against direct evaluation of the net."""

import math

import numpy as np
import pytest
import torch

from relulab import pwl
from relulab.lattice import lattice_formula, signed_max_terms, wang_sun_form
from relulab.nets import mlp
from relulab.regions_nd import regions_nd

torch.set_default_dtype(torch.float64)


def _points(r, n, rng, k=2000):
    """Every vertex and centroid of every cell, and random points of the box."""
    V = np.vstack([c.V for c in r.cells] + [c.centroid for c in r.cells])
    lo, hi = V.min(0), V.max(0)
    return np.vstack([V, rng.uniform(lo, hi, size=(k, n))])


def _net(net, X):
    with torch.no_grad():
        return net(torch.from_numpy(X))[:, 0].numpy()


@pytest.mark.parametrize("n,m,seed", [(1, 7, 0), (2, 3, 1), (2, 15, 2), (3, 4, 3), (3, 20, 4)])
def test_signed_max_terms_equal_the_max_with_at_most_n_plus_1_maps(n, m, seed):
    rng = np.random.default_rng(seed)
    A, c = rng.normal(size=(m, n)), rng.normal(size=m)
    terms = signed_max_terms(A, c)
    X = rng.uniform(-4, 4, size=(4000, n))
    got = sum(s * (X @ a.T + b).max(1) for s, a, b in terms)
    assert max(len(a) for _, a, _ in terms) <= n + 1
    assert np.abs(got - (X @ A.T + c).max(1)).max() < 1e-12 * max(1, np.abs(c).max())


def test_signed_max_terms_handle_degenerate_gradients():
    rng = np.random.default_rng(5)
    A = np.outer(rng.normal(size=9), [1.0, 2.0, -1.0])  # collinear gradients: a 1-D problem inside R^3
    A = np.vstack([A, A[:3]])  # and repeated maps
    c = np.r_[rng.normal(size=9), rng.normal(size=3)]
    X = rng.uniform(-3, 3, size=(3000, 3))
    got = sum(s * (X @ a.T + b).max(1) for s, a, b in signed_max_terms(A, c))
    assert np.abs(got - (X @ A.T + c).max(1)).max() < 1e-12


# seed 2514, [3, 3, 3, 1]: a cell inside which some l_j - l_p changes sign (the robustness sweep's seed 1014 of
# Part I ch1); taking "l_j >= l_p on the whole cell" as the set made the formula exceed the net by 0.15 there
@pytest.mark.parametrize(
    "widths,seed", [([2, 5, 5, 1], 0), ([2, 4, 4, 4, 1], 1), ([3, 3, 3, 1], 1), ([3, 4, 1], 2), ([3, 3, 3, 1], 2514)]
)
def test_lattice_formula_equals_the_net_and_a_dropped_piece_does_not(widths, seed):
    net, n = mlp(widths, seed=seed), widths[0]
    r = regions_nd(net, (-2, 2) * n)
    X = _points(r, n, np.random.default_rng(seed))
    ref = _net(net, X)
    assert np.abs(lattice_formula(r).evaluate(X) - ref).max() < 1e-10 * max(1, np.abs(ref).max())
    K = len(lattice_formula(r).grads)
    worst = min(np.abs(lattice_formula(r, drop=j).evaluate(X) - ref).max() for j in range(K))
    assert worst > 1e-6


@pytest.mark.parametrize("widths,seed", [([2, 5, 5, 1], 0), ([2, 3, 3, 3, 1], 2), ([3, 3, 3, 1], 1), ([3, 3, 2, 1], 0)])
def test_wang_sun_form_compiles_to_log_depth_and_equals_the_net(widths, seed):
    net, n = mlp(widths, seed=seed), widths[0]
    r = regions_nd(net, (-2, 2) * n)
    form = wang_sun_form(r)
    assert max(len(A) for _, A, _ in form.terms) <= n + 1
    compiled = pwl.wang_sun(form.terms)
    assert compiled.hidden_layers == math.ceil(math.log2(n + 1))
    X = _points(r, n, np.random.default_rng(seed), k=500)
    ref = _net(net, X)
    scale = sum(np.abs((X @ A.T + c).max(1)) for _, A, c in form.terms)  # what the rounding acts on
    assert (np.abs(form.evaluate(X) - ref) <= 1e-12 * np.maximum(1, scale)).all()
    assert (np.abs(compiled(X)[:, 0] - ref) <= 1e-12 * np.maximum(1, scale)).all()


@pytest.mark.parametrize("widths,seed", [([2, 5, 5, 1], 0), ([3, 3, 2, 1], 0)])
def test_wang_sun_form_without_any_one_piece_is_wrong_there(widths, seed):
    net, n = mlp(widths, seed=seed), widths[0]
    r = regions_nd(net, (-2, 2) * n)
    X = _points(r, n, np.random.default_rng(0), k=0)
    ref = _net(net, X)
    K = len(lattice_formula(r).grads)
    assert min(np.abs(wang_sun_form(r, drop=j).evaluate(X) - ref).max() for j in range(K)) > 1e-6
