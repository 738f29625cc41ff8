"""Kernels of a deep gated network (DGN): its NPK from the feature net's gates, and the value/feature NTKs.

For a DGN (see ``relulab.nets.gated``) the neural path features come from the gates of the feature net only, so
    H(x, x') = <x, x'> prod_l <G_l(x), G_l(x')>
is the NPK of the DGN whatever its value net.  The NTK splits into K = K^v + K^f: gradients with respect to the
value parameters (through the path values) and to the feature parameters (through the gates; zero for hard gates).
At random initialisation with value weights i.i.d. symmetric with scale sigma_l in layer l, independent of the
feature net, E[K^v] = (sum_l prod_{k != l} sigma_k^2) * H  (``ntk_npk_constant``; d sigma^{2(d-1)} for one sigma).
``value_ntk_from_gates`` evaluates K^v in closed form by back-propagation for many weight draws at once, which is
what a Monte-Carlo check of that expectation needs; ``value_ntk`` is the autograd reference.  ``ntk_split`` gives
both parts of a DGN in closed form (one forward and one backward pass per input): with soft gates the feature part
K^f is the price of gates that learn; it vanishes as the soft gates harden (beta -> infinity).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import torch

from .. import check
from ..nets.gated import DeepGatedNet
from .path_kernel import _npk
from .tangent_kernel import ntk

__all__ = [
    "NTKSplit", "bernoulli_weights", "dgn_npk", "feature_ntk", "ntk_npk_constant", "ntk_split", "value_ntk",
    "value_ntk_from_gates",
]


def dgn_npk(dgn: DeepGatedNet, X1: torch.Tensor, X2: torch.Tensor | None = None) -> torch.Tensor:
    """The NPK Gram (N1, N2) of a DGN: <x, x'> times the product of the feature net's per-layer gate overlaps."""
    check.model("dgn", dgn, DeepGatedNet)
    Xs, Gs = [X1] if X2 is None else [X1, X2], []
    for name, X in zip(("X1", "X2"), Xs):
        dgn._check_input(X, name)
        with torch.no_grad():
            Gs.append(dgn._gates(dgn._preactivations(X)))
        for l, g in enumerate(Gs[-1]):  # soft gates of NaN/inf feature weights are NaN: refuse, not a NaN kernel
            check.tensor(f"the gates G_{l + 1}({name}) of dgn's feature net", g)
    return _npk(Xs[0], Gs[0], Xs[-1], Gs[-1])


def value_ntk(dgn: DeepGatedNet, X1: torch.Tensor, X2: torch.Tensor | None = None, *, output: int | None = None) -> torch.Tensor:
    """K^v: the empirical NTK restricted to the value net's parameters, by autograd."""
    check.model("dgn", dgn, DeepGatedNet)
    return ntk(dgn, X1, X2, params=dgn.param_names("value"), output=output)


def feature_ntk(dgn: DeepGatedNet, X1: torch.Tensor, X2: torch.Tensor | None = None, *, output: int | None = None) -> torch.Tensor:
    """K^f: the empirical NTK restricted to the feature net's parameters, by autograd (zero for hard gates)."""
    check.model("dgn", dgn, DeepGatedNet)
    return ntk(dgn, X1, X2, params=dgn.param_names("feature"), output=output)


def ntk_npk_constant(sigmas: Sequence[float]) -> float:
    """sum_l prod_{k != l} sigma_k^2: the factor in E[K^v] = c * NPK (d sigma^{2(d-1)} when all sigma_l = sigma)."""
    sq = [x * x for x in _sigmas(sigmas)]
    return sum(math.prod(sq[:l] + sq[l + 1 :]) for l in range(len(sq)))


def _sigmas(sigmas: Sequence[float]) -> list[float]:
    if isinstance(sigmas, (str, bytes)) or not hasattr(sigmas, "__iter__"):
        raise TypeError(f"sigmas must be a sequence of numbers (one scale per layer), got {type(sigmas).__name__}")
    s = [check.real(f"sigmas[{i}]", x, low=0, open_low=True) for i, x in enumerate(sigmas)]
    if not s:
        raise ValueError("sigmas must list one scale per layer (at least one)")
    return s


def bernoulli_weights(
    widths: Sequence[int], sigmas: Sequence[float], draws: int, *, seed: int, dtype: torch.dtype | None = None
) -> list[torch.Tensor]:
    """`draws` independent value nets with i.i.d. symmetric Bernoulli weights +-sigma_l: list of (draws, out, in)."""
    ws = check.integers("widths", widths, low=1, min_len=2)
    if len(sigmas := _sigmas(sigmas)) != len(ws) - 1:
        raise ValueError(f"need one sigma per layer ({len(ws) - 1}), got {len(sigmas)}")
    check.integer("draws", draws, low=1)
    check.dtype("dtype", dtype)
    generator = torch.Generator().manual_seed(check.seed(seed))
    n = draws * sum(a * b for a, b in zip(ws[:-1], ws[1:]))
    check.within_budget("draws", n, 2 * 10**8, what=f"weights in {draws} draws of these widths")
    dtype = dtype or torch.get_default_dtype()
    out = []
    for (a, b), s in zip(zip(ws[:-1], ws[1:]), sigmas):
        signs = torch.randint(0, 2, (draws, b, a), generator=generator).to(dtype) * 2 - 1
        out.append(float(s) * signs)
    return out


def value_ntk_from_gates(
    weights: Sequence[torch.Tensor],
    X1: torch.Tensor,
    G1: Sequence[torch.Tensor],
    X2: torch.Tensor | None = None,
    G2: Sequence[torch.Tensor] | None = None,
) -> torch.Tensor:
    """K^v in closed form for a bias-free, one-output value net with fixed gates, for a batch of weight draws.

    weights: W_1..W_{k+1}, each (M, out, in) (or (out, in) for one draw); G: k gate matrices (N, w_l), shared by
    all draws, or (M, N, w_l), one per draw (e.g. a ReLU net's own gates, the "dependent" case).
    K^v(x, x') = sum_l <h_{l-1}(x), h_{l-1}(x')> <delta_l(x), delta_l(x')> with h the gated hidden outputs and
    delta_l = dy/d(W_l h_{l-1}) by back-propagation.  Returns (M, N1, N2), or (N1, N2) for one draw.
    """
    Ws = [check.tensor(f"weights[{l}]", W) for l, W in enumerate(check.instance("weights", weights, (list, tuple)))]
    if not Ws:
        raise ValueError("weights must be a non-empty list of floating-point weight tensors W_1..W_{k+1}")
    single = Ws[0].dim() == 2
    if single:
        Ws = [W.unsqueeze(0) for W in Ws]
    if any(W.dim() != 3 for W in Ws) or len({W.shape[0] for W in Ws}) != 1:
        raise ValueError("weights must all be (out, in) or all (M, out, in) with one M")
    for l in range(1, len(Ws)):
        if Ws[l].shape[2] != Ws[l - 1].shape[1]:
            raise ValueError(f"weights[{l}] takes {Ws[l].shape[2]} inputs but weights[{l - 1}] has {Ws[l - 1].shape[1]} outputs")
    if Ws[-1].shape[1] != 1:
        raise ValueError(f"the value net must have one output, its last layer has {Ws[-1].shape[1]}")
    if len(check.instance("G1", G1, (list, tuple))) != len(Ws) - 1:
        raise ValueError(f"need {len(Ws) - 1} gate matrices (one per hidden layer), got {len(G1)}")

    def forward_backward(X: torch.Tensor, G: Sequence[torch.Tensor], name: str) -> tuple[list, list]:
        check.batch(name, X, ndim=2)
        if X.shape[1] != Ws[0].shape[2]:
            raise ValueError(f"{name} has {X.shape[1]} features but the first layer takes {Ws[0].shape[2]}")
        hs = [X.unsqueeze(0).expand(Ws[0].shape[0], -1, -1)]  # h_0 = x for every draw: (M, N, d_in)
        for l, (W, g) in enumerate(zip(Ws[:-1], G)):
            gname, ok = f"G{name[1]}[{l}]", ((X.shape[0], W.shape[1]), (W.shape[0], X.shape[0], W.shape[1]))
            if check.tensor(gname, g, floating=False, finite=False).shape not in ok:
                raise ValueError(f"gate matrix {gname} has shape {tuple(g.shape)}, expected {ok[0]} or {ok[1]}")
            hs.append((hs[-1] @ W.transpose(1, 2)) * g)
        # delta_{k+1} = 1 (one output); delta_l = (W_{l+1}^T delta_{l+1}) * G_l, for every input
        deltas = [torch.ones(Ws[0].shape[0], X.shape[0], 1, dtype=X.dtype)]
        for W, g in zip(reversed(Ws[1:]), reversed(list(G))):
            deltas.append((deltas[-1] @ W) * g)
        return hs, deltas[::-1]

    h1, d1 = forward_backward(X1, G1, "X1")
    if X2 is None:
        h2, d2 = h1, d1
    else:
        if G2 is None or len(check.instance("G2", G2, (list, tuple))) != len(G1):
            raise ValueError("X2 needs its own gate list G2 of the same depth")
        h2, d2 = forward_backward(X2, G2, "X2")
    K = sum((a @ b.transpose(1, 2)) * (u @ v.transpose(1, 2)) for a, b, u, v in zip(h1, h2, d1, d2))
    return K[0] if single else K


@dataclass(frozen=True)
class NTKSplit:
    """The two parts of a DGN's tangent kernel: value parameters (K^v) and feature parameters (K^f)."""

    value: torch.Tensor
    feature: torch.Tensor

    @property
    def total(self) -> torch.Tensor:
        """K = K^v + K^f, the tangent kernel with respect to every parameter."""
        return self.value + self.feature


def ntk_split(dgn: DeepGatedNet, X1: torch.Tensor, X2: torch.Tensor | None = None, *, output: int | None = None) -> NTKSplit:
    """K^v and K^f of a DGN in closed form by back-propagation (hard gates: K^f = 0), each (N1, N2).

    Nets with several outputs need `output` (which output's kernel).  With a = W^v_l h_{l-1} + b^v_l, h_l = a_l G_l,
    gates G_l = g(q_l) of the feature pre-activations q_l = W^f_l r_{l-1} + b^f_l, r_l = relu(q_l):
    K^v = sum_l (<h_{l-1}, h'_{l-1}> + [bias]) <dy/da_l, dy/da'_l> and K^f = sum_l (<r_{l-1}, r'_{l-1}> + [bias])
    <dy/dq_l, dy/dq'_l>, where dy/dq_l = (dy/dh_l * a_l) g'(q_l) + (W^f_{l+1}^T dy/dq_{l+1}) 1[q_l > 0].
    """
    check.model("dgn", dgn, DeepGatedNet)
    d_out = dgn.widths[-1]
    if output is None and d_out > 1:
        raise ValueError(f"the DGN has {d_out} outputs: pass output=<index> to choose one")
    o = 0 if output is None else check.integer("output", output, low=-d_out, high=d_out - 1) % d_out
    with torch.no_grad():
        s1 = _split_pass(dgn, X1, o, "X1")
        s2 = s1 if X2 is None else _split_pass(dgn, X2, o, "X2")
    Kv = sum((a @ b.T + c) * (u @ v.T) for (a, u, c), (b, v, _) in zip(s1[0], s2[0]))
    Kf = sum((a @ b.T + c) * (u @ v.T) for (a, u, c), (b, v, _) in zip(s1[1], s2[1]))
    return NTKSplit(value=Kv, feature=Kf)


def _split_pass(dgn: DeepGatedNet, X: torch.Tensor, o: int, name: str) -> tuple[list, list]:
    """Per layer (input to the layer, gradient at its pre-activation, 1 if it has a bias) for both nets."""
    dgn._check_input(X, name)
    vl, qs = dgn._layers("value"), dgn._preactivations(X)
    G, fl = dgn._gates(qs), dgn._layers("feature")[: len(qs)]
    hs, acts = [X], []
    for lin, g in zip(vl[:-1], G):
        acts.append(lin(hs[-1]))
        hs.append(acts[-1] * g)
    if dgn.gate == "soft":
        sig = [torch.sigmoid(dgn.beta * q) for q in qs]
        dG = [(1 + dgn.eps) * dgn.beta * si * (1 - si) for si in sig]
    else:
        dG = [torch.zeros_like(q) for q in qs]  # a step function: zero derivative wherever q != 0
    dh = vl[-1].weight[o].expand(X.shape[0], -1)  # dy/dh_k
    d_val = [torch.ones(X.shape[0], 1, dtype=X.dtype)]  # dy/d(output pre-activation) of the chosen output
    d_feat: list[torch.Tensor] = []
    up = torch.zeros_like(qs[-1]) if qs else None  # dy/dr_l from the feature layer above (none above the last)
    for l in range(len(G) - 1, -1, -1):
        d_val.append(dh * G[l])
        dq = dh * acts[l] * dG[l] + up * (qs[l] > 0)
        d_feat.append(dq)
        dh = d_val[-1] @ vl[l].weight
        up = dq @ fl[l].weight
    d_val, d_feat = d_val[::-1], d_feat[::-1]
    rs = [X] + [torch.relu(q) for q in qs[:-1]]
    bias_v = [float(lin.bias is not None) for lin in vl]
    bias_f = [float(lin.bias is not None) for lin in fl]
    # the output layer's weight gradient is only the chosen row: <h_k, h'_k> times dy/dy = 1
    value = [(h, d, c) for h, d, c in zip(hs, d_val, bias_v)]
    feature = [(r, d, c) for r, d, c in zip(rs, d_feat, bias_f)]
    return value, feature
