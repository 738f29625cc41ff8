"""Fits and exact fit errors: against brute-force quadrature, dense grids, a numerical L1 fit and exact ERM."""

import numpy as np
import pytest
import torch
from scipy.integrate import quad
from scipy.optimize import minimize

from relulab import erm, fits
from relulab import pwl
from relulab import regions as R
from relulab.nets import mlp

torch.set_default_dtype(torch.float64)


def _f(net, x):
    with torch.no_grad():
        return net(torch.as_tensor(np.atleast_1d(x), dtype=torch.float64)[:, None]).numpy()[:, 0]


# ---------------------------------------------------------------- exact L1 distance in 1-D
@pytest.mark.parametrize("seed", range(4))
def test_l1_distance_matches_adaptive_quadrature(seed):
    f, g = mlp([1, 5, 4, 1], seed=seed), mlp([1, 6, 1], seed=seed + 10)
    lo, hi = -2.0, 3.0
    exact = fits.l1_distance_1d(f, g, lo, hi)
    # quad is told where every kink of |f - g| may be, so it integrates each affine piece to rounding
    pts = np.concatenate([R.pieces_1d(f, lo, hi).edges, R.pieces_1d(g, lo, hi).edges])
    ref, err = quad(lambda x: abs(_f(f, x)[0] - _f(g, x)[0]), lo, hi, points=pts[1:-1], limit=500)
    assert abs(exact - ref) <= 1e-8 * max(1.0, ref) + err


def test_l1_distance_of_a_net_to_itself_is_zero_and_symmetric():
    f, g = mlp([1, 4, 1], seed=1), mlp([1, 3, 3, 1], seed=2)
    assert fits.l1_distance_1d(f, f, -1.0, 1.0) == 0.0
    assert fits.l1_distance_1d(f, g, -1.0, 1.0) == pytest.approx(fits.l1_distance_1d(g, f, -1.0, 1.0), rel=1e-12)


def test_l1_distance_sign_change_inside_a_piece():
    # f(x) = x, g = 0 on [-1, 2]: two triangles, area 1/2 + 2 = 2.5
    f = torch.nn.Sequential(torch.nn.Linear(1, 1))
    with torch.no_grad():
        f[0].weight.fill_(1.0)
        f[0].bias.fill_(0.0)
    g = torch.nn.Sequential(torch.nn.Linear(1, 1))
    with torch.no_grad():
        g[0].weight.fill_(0.0)
        g[0].bias.fill_(0.0)
    assert fits.l1_distance_1d(f, g, -1.0, 2.0) == pytest.approx(2.5, rel=1e-14)


# ---------------------------------------------------------------- best L1 line for a tent
@pytest.mark.parametrize("apex", [0.5, 0.3, 0.85])
def test_tent_l1_floor_matches_a_numerical_l1_fit(apex):
    xs = np.linspace(0, 2, 40001)
    tent = np.where(xs <= 2 * apex, 1.5 * xs / (2 * apex), 1.5 * (2 - xs) / (2 - 2 * apex))
    num = minimize(
        lambda q: np.trapezoid(np.abs(tent - q[0] * xs - q[1]), xs),
        [0.0, 0.7],
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-13, "maxiter": 4000},
    ).fun
    closed = fits.tent_l1_floor(0.0, 2 * apex, 2.0, 1.5)
    assert closed <= num + 1e-6  # no line does better than the closed form (up to the grid's error)
    assert closed == pytest.approx(num, abs=1e-5)


def test_symmetric_tent_floor_is_half_its_area():
    # the horizontal line at half height: error = area / 2 (the constant of Arora et al.'s Theorem 3.5)
    assert fits.tent_l1_floor(0.0, 1.0, 2.0, 1.0) == pytest.approx(0.5, rel=1e-14)


# ---------------------------------------------------------------- sup over a line arrangement in 2-D
def test_arrangement_vertices_give_the_sup_of_a_one_hidden_layer_net():
    g = mlp([2, 7, 1], seed=3)
    target = lambda X: torch.clamp(torch.maximum(X[:, 0], X[:, 1]), min=0)  # noqa: E731
    A = torch.cat([g[0].weight.detach(), torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, -1.0]])])
    c = torch.cat([g[0].bias.detach(), torch.zeros(3)])
    box = (-1.0, 2.0, -1.5, 1.0)
    P = fits.arrangement_vertices(A, c, box)
    with torch.no_grad():
        sup = (g(P)[:, 0] - target(P)).abs().max().item()
        u = torch.linspace(0, 1, 601)
        G = torch.cartesian_prod(box[0] + 3.0 * u, box[2] + 2.5 * u)
        dense = (g(G)[:, 0] - target(G)).abs().max().item()
    lip = (g[0].weight.abs().sum(1) @ g[2].weight.abs()[0]).item() + 2  # Lipschitz bound of g - target in the sup norm
    assert dense <= sup + 1e-12  # no grid point beats the vertices
    assert sup <= dense + lip * 3.0 / 600 / 2 + 1e-12  # and the vertices are not far above the grid


def test_arrangement_vertices_of_two_crossing_lines():
    P = fits.arrangement_vertices(torch.tensor([[1.0, 0.0], [0.0, 1.0]]), torch.tensor([-0.5, 0.0]), (0, 1, -1, 1))
    pts = {tuple(np.round(p, 12)) for p in P.numpy().tolist()}
    assert (0.5, 0.0) in pts and (0.0, -1.0) in pts and (1.0, 1.0) in pts and (0.5, 1.0) in pts
    assert all(0 <= x <= 1 and -1 <= y <= 1 for x, y in pts)


# ---------------------------------------------------------------- the trainer
def test_fit_relu_reaches_rounding_on_a_representable_target():
    g = torch.Generator().manual_seed(0)
    X, Xv = torch.rand(150, 2, generator=g) * 2 - 1, torch.rand(80, 2, generator=g) * 2 - 1
    t = lambda X: torch.relu(X[:, 0]) + torch.relu(X[:, 1] - X[:, 0])  # noqa: E731
    fit = fits.fit_relu(X, t(X), [2], X_val=Xv, y_val=t(Xv), seed=1, restarts=6, steps=300)
    assert fit.val_mse < 1e-24
    with torch.no_grad():
        assert torch.mean((fit.net(X)[:, 0] - t(X)) ** 2).item() == pytest.approx(fit.train_mse, abs=1e-28)


@pytest.mark.parametrize("width", [1, 2])
def test_fit_relu_never_beats_and_reaches_the_exact_erm_optimum(width):
    rng = np.random.default_rng(width)
    x = np.sort(rng.uniform(0, 1, 14))
    y = pwl.zigzag([0.3, 0.55, 0.8], x)
    ref = erm.exact_erm(x, y, width, output_bias=True).loss
    X = torch.as_tensor(x)[:, None]
    fit = fits.fit_relu(
        X, torch.as_tensor(y), [width], X_val=X, y_val=torch.as_tensor(y), seed=0, restarts=16, steps=400
    )
    assert fit.train_mse >= ref - 1e-12
    assert fit.train_mse <= ref * (1 + 1e-3) + 1e-12  # gradient descent: within 0.1 % of the global optimum


def test_fit_relu_is_deterministic_and_keeps_the_shape():
    x = torch.linspace(0, 1, 40)[:, None]
    y = torch.as_tensor(pwl.zigzag([0.4], x.numpy()[:, 0]))
    a = fits.fit_relu(x, y, [3, 2], X_val=x, y_val=y, seed=5, restarts=3, steps=60)
    b = fits.fit_relu(x, y, [3, 2], X_val=x, y_val=y, seed=5, restarts=3, steps=60)
    assert a.train_mse == b.train_mse and a.restart_val_mse.shape == (3,)
    assert [m.out_features for m in a.net if isinstance(m, torch.nn.Linear)] == [3, 2, 1]


# ---------------------------------------------------------------- the zig-zag parametrisation is invertible
@pytest.mark.parametrize("w,k", [(2, 5), (3, 3), (4, 2), (5, 1)])
def test_zigzag_parameters_are_recovered_from_the_breakpoints(w, k):
    a = [pwl.random_simplex_point(w - 1, 1.5, seed=10 * w + i, min_gap=0.2) for i in range(k)]
    b = R.pieces_1d(pwl.zigzag_composition_net(a, 1.5), 0.0, 1.5).breakpoints
    rec = pwl.zigzag_parameters_from_breakpoints(b, w, k, 1.5)
    assert max(np.abs(r - ai).max() for r, ai in zip(rec, a)) <= 1e-12
    if k > 1:  # the outermost a^1 is read first: reading the list the other way round is wrong
        assert max(np.abs(r - ai).max() for r, ai in zip(rec[::-1], a)) > 1e-3


def test_random_simplex_point_seed_and_gen_agree():
    a = pwl.random_simplex_point(3, 2.0, seed=7)
    b = pwl.random_simplex_point(3, 2.0, seed=7)
    assert np.array_equal(a, b) and np.all(np.diff(np.concatenate([[0], a, [2.0]])) > 0)
