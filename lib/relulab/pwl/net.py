"""A ReLU net as a list of affine maps, and the algebra of Arora et al.'s Appendix D: composition (Lemma D.1),
nets side by side and sums (Lemma D.2), identity layers and padding to a common depth."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import scipy.sparse as sp
import torch
from numpy.typing import ArrayLike
from torch import nn

from .. import check
from ..regions import affine_layers

__all__ = ["PWLNet", "affine", "compose", "from_sequential", "identity", "linear_combination", "pad", "parallel"]

Layer = tuple[np.ndarray, np.ndarray]
EPS = float(np.finfo(np.float64).eps)
# Block-diagonal layers (sums of many nets, Lemma D.2) above this many entries are kept sparse: a Wang-Sun net of
# 10^4 small max trees has a 10^4 x 10^4 second layer that is almost all zeros.
SPARSE_ABOVE = 4 * 10**6


@dataclass
class PWLNet:
    """A ReLU net as affine maps with a ReLU between consecutive ones; the last map's bias is the output bias."""

    layers: list[Layer]

    def __post_init__(self) -> None:
        if not check.instance("layers", self.layers, (list, tuple)):
            raise ValueError("layers is empty: a net needs at least one affine map")
        for i, layer in enumerate(self.layers):
            if not isinstance(layer, (list, tuple)) or len(layer) != 2:
                raise TypeError(f"layer {i} must be a pair (W, b), got {layer!r:.40}")
            W, b = layer
            if not isinstance(W, (np.ndarray, sp.csr_matrix)) or not isinstance(b, np.ndarray):
                raise TypeError(f"layer {i}: W and b must be numpy arrays, got {type(W).__name__} and {type(b).__name__}")
            if not (np.isfinite(W.data if sp.issparse(W) else W).all() and np.isfinite(b).all()):
                raise ValueError(f"layer {i}: W or b contains NaN or infinite values")
            if W.ndim != 2 or b.shape != (W.shape[0],):
                raise ValueError(f"layer {i}: W must be (out, in) and b (out,), got {W.shape} and {b.shape}")
            if i and W.shape[1] != self.layers[i - 1][0].shape[0]:
                raise ValueError(f"layer {i} expects {W.shape[1]} inputs but layer {i - 1} gives {self.layers[i - 1][0].shape[0]}")

    @property
    def hidden_layers(self) -> int:
        """Number of hidden (ReLU) layers k; the depth in the paper's sense is k + 1."""
        return len(self.layers) - 1

    @property
    def size(self) -> int:
        """Number of hidden units (the paper's size: input and output units not counted)."""
        return sum(W.shape[0] for W, _ in self.layers[:-1])

    @property
    def d_in(self) -> int:
        """Input dimension."""
        return self.layers[0][0].shape[1]

    @property
    def d_out(self) -> int:
        """Output dimension."""
        return self.layers[-1][0].shape[0]

    def __call__(self, X: ArrayLike) -> np.ndarray:
        """Evaluate at the rows of X (shape (N, d_in), or (N,) when d_in = 1); returns (N, d_out)."""
        h = check.array("X", X, 2, column=True, columns=self.d_in)
        # rows in chunks, so that a wide (sparse) net never holds an N x width dense block above ~2e7 entries
        chunk = max(1, 2 * 10**7 // max(W.shape[0] for W, _ in self.layers))
        return np.vstack([self._forward(h[i:i + chunk]) for i in range(0, len(h), chunk)]) if len(h) else h

    def _forward(self, h: np.ndarray) -> np.ndarray:
        for i, (W, b) in enumerate(self.layers):
            # sparse @ dense keeps W sparse; dense @ sparse would densify W
            h = (np.asarray((W @ h.T).T) if sp.issparse(W) else h @ W.T) + b
            if i < self.hidden_layers:
                h = np.maximum(h, 0.0)
        return h

    def to_torch(self) -> nn.Sequential:
        """The same net as ``nn.Sequential`` of ``Linear``/``ReLU`` in float64 (the output Linear keeps its bias)."""
        entries = sum(W.shape[0] * W.shape[1] for W, _ in self.layers)
        check.within_budget("to_torch", entries, check.MAX_ENTRIES, what="dense weight entries (call the net instead)")
        mods: list[nn.Module] = []
        for i, (W, b) in enumerate(self.layers):
            W = W.toarray() if sp.issparse(W) else W
            lin = nn.Linear(W.shape[1], W.shape[0]).double()
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(W))
                lin.bias.copy_(torch.from_numpy(b))
            mods.append(lin)
            if i < self.hidden_layers:
                mods.append(nn.ReLU())
        return nn.Sequential(*mods)


def from_sequential(model: nn.Sequential) -> PWLNet:
    """Read an ``nn.Sequential`` of alternating ``Linear``/``ReLU`` (starting and ending with Linear) as a PWLNet."""
    return PWLNet([(W, b) for W, b, _ in affine_layers(model, consecutive=False, what="from_sequential")])


def affine(A: ArrayLike, c: ArrayLike) -> PWLNet:
    """The affine map x -> A x + c as a net with no hidden layer."""
    A = check.array("A", A, 2)
    c = check.array("c", c, 1)
    if c.shape != (A.shape[0],):
        raise ValueError(f"c must have shape ({A.shape[0]},), got {c.shape}")
    return PWLNet([(A, c)])


def compose(outer: PWLNet, inner: PWLNet) -> PWLNet:
    """outer o inner with k_outer + k_inner hidden layers and sizes added (Lemma D.1): the two affine maps meet merged."""
    outer, inner = check.instance("outer", outer, PWLNet), check.instance("inner", inner, PWLNet)
    if outer.d_in != inner.d_out:
        raise ValueError(f"outer expects {outer.d_in} inputs but inner gives {inner.d_out}")
    (Wo, bo), (Wi, bi) = outer.layers[0], inner.layers[-1]
    W = Wo @ Wi
    if sp.issparse(W):
        W = W.tocsr() if W.shape[0] * W.shape[1] > SPARSE_ABOVE else W.toarray()
    merged = (np.asarray(W) if not sp.issparse(W) else W, np.asarray(Wo @ bi).ravel() + bo)
    return PWLNet(inner.layers[:-1] + [merged] + outer.layers[1:])


def identity(d: int, hidden_layers: int) -> PWLNet:
    """x -> x on R^d through `hidden_layers` layers of 2d units, using u = ReLU(u) - ReLU(-u)."""
    d, hidden_layers = check.integer("d", d, low=1), check.integer("hidden_layers", hidden_layers, low=0)
    check.within_budget("d", 4 * d * d, check.MAX_ENTRIES, what="weights in each layer of the identity net (4 d^2)")
    layers = check.MAX_ENTRIES // max(4 * d * d, 1)
    check.within_budget("hidden_layers", hidden_layers, layers, what=f"layers of {4 * d * d:,} weights")
    I = np.eye(d)
    if hidden_layers == 0:
        return affine(I, np.zeros(d))
    up, down = np.vstack([I, -I]), np.hstack([I, -I])
    layers = [(up, np.zeros(2 * d))] + [(up @ down, np.zeros(2 * d))] * (hidden_layers - 1) + [(down, np.zeros(d))]
    return PWLNet(layers)


def pad(net: PWLNet, hidden_layers: int) -> PWLNet:
    """The same function with exactly `hidden_layers` hidden layers (identity layers appended at the output)."""
    net, hidden_layers = check.instance("net", net, PWLNet), check.integer("hidden_layers", hidden_layers, low=0)
    extra = hidden_layers - net.hidden_layers
    if extra < 0:
        raise ValueError(f"net already has {net.hidden_layers} hidden layers > {hidden_layers}")
    return net if extra == 0 else compose(identity(net.d_out, extra), net)


def parallel(nets: Sequence[PWLNet]) -> PWLNet:
    """Nets of equal depth on the same input, side by side: outputs concatenated, widths added (Lemma D.2)."""
    nets = [check.instance(f"nets[{i}]", n, PWLNet) for i, n in enumerate(check.instance("nets", nets, (list, tuple)))]
    if not nets:
        raise ValueError("nets is empty")
    k, d = nets[0].hidden_layers, nets[0].d_in
    for i, n in enumerate(nets):
        if n.hidden_layers != k:
            raise ValueError(f"nets[{i}] has {n.hidden_layers} hidden layers, nets[0] has {k}: pad() them first")
        if n.d_in != d:
            raise ValueError(f"nets[{i}] has input dimension {n.d_in}, nets[0] has {d}")
    layers = [(np.vstack([n.layers[0][0] for n in nets]), np.concatenate([n.layers[0][1] for n in nets]))]
    for l in range(1, k + 1):
        W = _block_diag([n.layers[l][0] for n in nets])
        layers.append((W, np.concatenate([n.layers[l][1] for n in nets])))
    return PWLNet(layers)


def _block_diag(blocks: list[np.ndarray]) -> np.ndarray | sp.csr_matrix:
    if sum(b.shape[0] for b in blocks) * sum(b.shape[1] for b in blocks) > SPARSE_ABOVE:
        return sp.block_diag([sp.csr_matrix(b) for b in blocks], format="csr")
    blocks = [b.toarray() if sp.issparse(b) else b for b in blocks]
    out = np.zeros((sum(b.shape[0] for b in blocks), sum(b.shape[1] for b in blocks)))
    r = c = 0
    for b in blocks:
        out[r:r + b.shape[0], c:c + b.shape[1]] = b
        r, c = r + b.shape[0], c + b.shape[1]
    return out


def linear_combination(nets: Sequence[PWLNet], coeffs: Sequence[float]) -> PWLNet:
    """sum_i coeffs[i] * nets[i] for R^n -> R nets of equal depth: the same depth, widths added (Lemma D.2)."""
    nets = list(check.instance("nets", nets, (list, tuple)))
    coeffs = check.array("coeffs", coeffs, 1)
    if len(coeffs) != len(nets):
        raise ValueError(f"{len(nets)} nets but {len(coeffs)} coefficients")
    if any(n.d_out != 1 for n in nets):
        raise ValueError("every net must have one output")
    return compose(affine(coeffs[None, :], np.zeros(1)), parallel(nets))
