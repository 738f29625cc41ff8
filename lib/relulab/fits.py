"""Fitting small ReLU nets to a known target, and measuring the fit exactly (Part I's depth experiments).

The trainer is for *approximation* experiments (no noise, the target is known everywhere): how close can a net of a
given shape get?  Gradient descent gives no certificate, so it is made as strong as is cheap:

- many restarts, trained together as one batched model (one tensor per layer with a leading restart axis);
- data-driven starts: every hidden unit's kink passes through a random training point, so no unit starts dead or
  outside the data (the usual failure of small ReLU nets on oscillating targets);
- variable projection (Golub & Pereyra): the output layer is linear in its weights, so it is solved exactly by least
  squares at every step and gradient descent only moves the hidden layers;
- early stopping on a validation set, then the best restart is polished by L-BFGS in float64 until it stops
  improving, so a target the net can represent is reached to rounding level, not to Adam's noise floor.

The errors are then measured exactly, not on a grid: in 1-D both functions are split into their affine pieces
(:func:`relulab.regions.pieces_1d`) and ``|f - g|`` is integrated piece by piece; in 2-D the sup of a difference that
is affine on every cell of a line arrangement is attained at a vertex of that arrangement.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import torch
from torch import nn

from . import check
from .regions import Pieces1D, pieces_1d

__all__ = ["Fit", "fit_relu", "l1_distance_1d", "tent_l1_floor", "arrangement_vertices"]

# Ridge of the output layer's normal equations during training, relative to their trace: keeps a dead or duplicated
# unit from making the solve singular.  The returned net's output layer is re-solved without it (least squares).
RIDGE = 1e-14


@dataclass(frozen=True)
class Fit:
    """The best of several restarts: its net, its training and validation mean squared errors, every restart's."""

    net: nn.Sequential
    train_mse: float
    val_mse: float
    restart_val_mse: torch.Tensor
    steps: int


def _init(X: torch.Tensor, widths: list[int], R: int, g: torch.Generator) -> list[list[torch.Tensor]]:
    """Data-driven start: unit directions at random, each kink through a random training point."""
    layers, h = [], X.expand(R, *X.shape)
    for w in widths:
        d_in = h.shape[-1]
        W = torch.randn(R, w, d_in, generator=g, dtype=X.dtype)
        W = W / W.norm(dim=-1, keepdim=True)
        pick = torch.randint(0, X.shape[0], (R, w), generator=g)
        at = torch.gather(h, 1, pick[..., None].expand(R, w, d_in))     # (R, w, d_in) points
        b = -(W * at).sum(-1)
        layers.append([W.requires_grad_(), b.requires_grad_()])
        h = torch.relu(torch.einsum("rnd,rwd->rnw", h, W) + b[:, None, :]).detach()
    return layers


def _features(layers: list[list[torch.Tensor]], X: torch.Tensor) -> torch.Tensor:
    h = X.expand(layers[0][0].shape[0], *X.shape)
    for W, b in layers:
        h = torch.relu(torch.einsum("rnd,rwd->rnw", h, W) + b[:, None, :])
    return torch.cat([h, torch.ones_like(h[..., :1])], -1)           # output bias as a last feature


def _solve_output(F: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Least-squares output weights per restart, through ridge-regularised normal equations."""
    A = F.transpose(1, 2) @ F
    lam = RIDGE * A.diagonal(dim1=1, dim2=2).sum(-1).clamp_min(1.0)
    A = A + lam[:, None, None] * torch.eye(A.shape[-1], dtype=A.dtype)
    return torch.linalg.solve(A, F.transpose(1, 2) @ y.expand(F.shape[0], -1)[..., None])[..., 0]


def _mse(layers, X, y, c=None, exact=False):
    F = _features(layers, X)
    if c is None:
        # The output weights minimise the loss, so its gradient with respect to them vanishes: the gradient of the
        # projected loss is the gradient at fixed c (envelope theorem), and the solve stays out of autograd.
        # `exact` solves without the ridge (the polish, which must reach a representable target to rounding).
        with torch.no_grad():
            if exact:
                c = torch.linalg.lstsq(F, y.expand(F.shape[0], -1)[..., None], driver="gelsd").solution[..., 0]
            else:
                c = _solve_output(F, y)
    return ((F @ c[..., None])[..., 0] - y).pow(2).mean(-1), c


def _to_net(layers: list[list[torch.Tensor]], c: torch.Tensor, r: int) -> nn.Sequential:
    mods: list[nn.Module] = []
    for W, b in layers:
        lin = nn.Linear(W.shape[2], W.shape[1], dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(W[r])
            lin.bias.copy_(b[r])
        mods += [lin, nn.ReLU()]
    out = nn.Linear(layers[-1][0].shape[1], 1, dtype=torch.float64)
    with torch.no_grad():
        out.weight.copy_(c[r, :-1][None])
        out.bias.copy_(c[r, -1:])
    return nn.Sequential(*mods, out)


def _polish(layers, X, y, max_iter: int) -> list[list[torch.Tensor]]:
    """L-BFGS on the projected training loss of one restart, in float64, until it stops improving."""
    params = [p.detach().clone().requires_grad_() for pair in layers for p in pair]
    opt = torch.optim.LBFGS(params, lr=1, max_iter=max_iter, tolerance_grad=1e-15, tolerance_change=1e-30,
                            history_size=50, line_search_fn="strong_wolfe")
    pairs = [params[i:i + 2] for i in range(0, len(params), 2)]

    def closure():
        opt.zero_grad()
        loss = _mse(pairs, X, y, exact=True)[0].sum()
        loss.backward()
        return loss

    opt.step(closure)
    return pairs


def fit_relu(
    X: torch.Tensor,
    y: torch.Tensor,
    widths: Sequence[int],
    *,
    X_val: torch.Tensor,
    y_val: torch.Tensor,
    seed: int,
    restarts: int = 8,
    steps: int = 2000,
    lr: float = 0.01,
    check_every: int = 50,
    patience: int = 4,
    polish_iter: int = 500,
) -> Fit:
    """Least-squares fit of ``R^n -> R`` ReLU nets with hidden `widths` (and an output bias) to ``y``, best of `restarts`.

    Adam moves the hidden layers of all restarts at once (the output layer is solved exactly at every step); every
    `check_every` steps each restart's validation error is recorded and its best parameters kept; training stops when
    no restart improved for `patience` checks, or after `steps`.  The restart with the lowest validation error is then
    polished by L-BFGS (at most `polish_iter` iterations) and kept if that lowers its validation error.
    """
    X = check.tensor("X", X, ndim=2)
    y = check.tensor("y", y, shape=(X.shape[0],))
    X_val = check.tensor("X_val", X_val, shape=(None, X.shape[1]))
    y_val = check.tensor("y_val", y_val, shape=(X_val.shape[0],))
    ws = check.integers("widths", widths, low=1)
    seed = check.seed(seed)
    restarts = check.integer("restarts", restarts, low=1)
    steps = check.integer("steps", steps, low=0)
    lr = check.real("lr", lr, low=0, open_low=True)
    check_every = check.integer("check_every", check_every, low=1)
    patience = check.integer("patience", patience, low=1)
    polish_iter = check.integer("polish_iter", polish_iter, low=0)
    check.within_budget("fit_relu", restarts * X.shape[0] * sum(ws), 5e8, what="activations per step")
    X, y, X_val, y_val = (t.to(torch.float64) for t in (X, y, X_val, y_val))

    g = torch.Generator().manual_seed(seed)
    layers = _init(X, ws, restarts, g)
    opt = torch.optim.Adam([p for pair in layers for p in pair], lr=lr)
    with torch.no_grad():
        best_val = _mse(layers, X_val, y_val, _mse(layers, X, y)[1])[0]
    best = [[p.detach().clone() for p in pair] for pair in layers]
    stale, step = 0, 0
    while step < steps and stale < patience:
        for _ in range(min(check_every, steps - step)):
            opt.zero_grad()
            _mse(layers, X, y)[0].sum().backward()
            opt.step()
            step += 1
        with torch.no_grad():
            val = _mse(layers, X_val, y_val, _mse(layers, X, y)[1])[0]
            better = val < best_val
            for pair, keep in zip(layers, best):
                for p, k in zip(pair, keep):
                    k[better] = p[better]
            best_val = torch.where(better, val, best_val)
        stale = 0 if bool(better.any()) else stale + 1

    r = int(best_val.argmin())
    one = [[p[r:r + 1].clone() for p in pair] for pair in best]
    if polish_iter:
        cand = _polish(one, X, y, polish_iter)
        with torch.no_grad():
            v_old = _mse(one, X_val, y_val, _mse(one, X, y)[1])[0]
            v_new = _mse(cand, X_val, y_val, _mse(cand, X, y)[1])[0]
        if bool(torch.isfinite(v_new).all()) and float(v_new) <= float(v_old):
            one = [[p.detach() for p in pair] for pair in cand]
    with torch.no_grad():
        F = _features(one, X)[0]
        c = torch.linalg.lstsq(F, y[:, None], driver="gelsd").solution.T
        train, val = _mse(one, X, y, c)[0], _mse(one, X_val, y_val, c)[0]
    return Fit(_to_net(one, c, 0), float(train), float(val), best_val.detach(), step)


def _pieces(f: Any, lo: float, hi: float) -> Pieces1D:
    return f if isinstance(f, Pieces1D) else pieces_1d(f, lo, hi)


def l1_distance_1d(f: nn.Module | Pieces1D, g: nn.Module | Pieces1D, lo: float, hi: float) -> float:
    """The exact integral of ``|f - g|`` over ``[lo, hi]`` for two R->R ReLU nets (or their pieces), no sampling."""
    lo, hi = check.real("lo", lo), check.real("hi", hi)
    if not lo < hi:
        raise ValueError(f"need lo < hi, got lo={lo}, hi={hi}")
    pf, pg = _pieces(f, lo, hi), _pieces(g, lo, hi)
    e = np.unique(np.concatenate([pf.edges, pg.edges, [lo, hi]]))
    e = e[(e >= lo) & (e <= hi)]
    mid = (e[:-1] + e[1:]) / 2
    i_f = np.clip(np.searchsorted(pf.edges, mid) - 1, 0, pf.count - 1)
    i_g = np.clip(np.searchsorted(pg.edges, mid) - 1, 0, pg.count - 1)
    s = pf.slopes[i_f] - pg.slopes[i_g]
    c = pf.intercepts[i_f] - pg.intercepts[i_g]
    d0, d1, length = s * e[:-1] + c, s * e[1:] + c, np.diff(e)
    # on each interval f - g is affine: a trapezoid, or two triangles when it changes sign inside
    same = d0 * d1 >= 0
    cross = (d0**2 + d1**2) / np.where(same, 1.0, np.abs(d0 - d1))
    return float((np.where(same, np.abs(d0 + d1), cross) / 2 * length).sum())


def tent_l1_floor(x0: float, x1: float, x2: float, top: float) -> float:
    """Smallest ``int |tent - line|`` over lines, for the tent (x0, 0)-(x1, top)-(x2, 0): the line through its values
    at a quarter and three quarters of the base (closed form; see the Part I chapter for the proof)."""
    x0, x1, x2 = check.real("x0", x0), check.real("x1", x1), check.real("x2", x2)
    top = check.real("top", top)
    if not x0 < x1 < x2:
        raise ValueError(f"need x0 < x1 < x2, got {x0}, {x1}, {x2}")
    up, down = top / (x1 - x0), -top / (x2 - x1)
    tent = Pieces1D(np.array([x0, x1, x2]), np.array([up, down]), np.array([-up * x0, -down * x2]))
    u, v = x0 + (x2 - x0) / 4, x0 + 3 * (x2 - x0) / 4
    fu, fv = (np.interp([u, v], [x0, x1, x2], [0.0, top, 0.0]))
    slope = (fv - fu) / (v - u)
    line = Pieces1D(np.array([x0, x2]), np.array([slope]), np.array([fu - slope * u]))
    return l1_distance_1d(tent, line, x0, x2)


def arrangement_vertices(A: torch.Tensor, c: torch.Tensor, box: Sequence[float]) -> torch.Tensor:
    """Vertices of the lines ``A[i] . x + c[i] = 0`` cut to ``box = (x0, x1, y0, y1)``, with the box's corners.

    A function affine on every cell of the arrangement has its max and min over the box at these points (each cell is
    a convex polygon whose corners are crossings of two lines, of a line and the box, or corners of the box).
    """
    A = check.tensor("A", A, shape=(None, 2))
    c = check.tensor("c", c, shape=(A.shape[0],))
    x0, x1, y0, y1 = check.box("box", box, 2)
    check.within_budget("arrangement_vertices", A.shape[0] ** 2, 1e8, what="line pairs")
    A, c = A.to(torch.float64), c.to(torch.float64)
    keep = A.norm(dim=1) > 0
    A, c = A[keep], c[keep]
    edges = torch.tensor([[1.0, 0.0, -x0], [1.0, 0.0, -x1], [0.0, 1.0, -y0], [0.0, 1.0, -y1]], dtype=torch.float64)
    L = torch.cat([torch.cat([A, c[:, None]], 1), edges])           # every line and the box's four sides
    i, j = torch.triu_indices(len(L), len(L), 1)
    det = L[i, 0] * L[j, 1] - L[i, 1] * L[j, 0]
    ok = det.abs() > 1e-14 * L[i, :2].norm(dim=1) * L[j, :2].norm(dim=1)
    i, j, det = i[ok], j[ok], det[ok]
    px = (L[i, 1] * L[j, 2] - L[j, 1] * L[i, 2]) / det
    py = (L[j, 0] * L[i, 2] - L[i, 0] * L[j, 2]) / det
    P = torch.stack([px, py], 1)
    slack = 1e-12 * max(1.0, abs(x0), abs(x1), abs(y0), abs(y1))
    inside = (px >= x0 - slack) & (px <= x1 + slack) & (py >= y0 - slack) & (py <= y1 + slack)
    P = P[inside]
    return torch.stack([P[:, 0].clamp(x0, x1), P[:, 1].clamp(y0, y1)], 1)
