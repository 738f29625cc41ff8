"""Explicit ReLU DAGs of small torch nets and their paths: the exponential reference for the path-lifting.

A supported net (see :mod:`relulab.paths.lifting`) is unrolled into neurons (one per channel and position) with
weighted in-edges, an optional bias and a kind ('input', 'relu', 'id', 'max').  Paths ending at an output start at an
input or at a neuron with a bias; Phi_p is the product of the edge weights (times the bias for bias paths), and
a_p(theta, x) the product of the activation indicators along the path (:func:`enumerate_paths`).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

from relulab.nets.dag import Concat, Residual
from relulab.paths import lifting

MAX_NEURONS = 20_000
KINDS = ("input", "relu", "id", "max")


@dataclass
class DAG:
    """Neurons in topological order: kind, bias (None = no bias parameter), parents [(u, weight)]; outputs."""

    kind: list[str] = field(default_factory=list)
    bias: list[float | None] = field(default_factory=list)
    parents: list[list[tuple[int, float]]] = field(default_factory=list)
    inputs: list[int] = field(default_factory=list)
    outputs: list[int] = field(default_factory=list)

    def add(self, kind: str, bias: float | None, parents: list[tuple[int, float]]) -> int:
        """Append a neuron; return its index."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        if bias is not None and not math.isfinite(bias):
            raise ValueError(f"bias must be finite or None, got {bias}")
        if any(not 0 <= u < len(self.kind) for u, _ in parents):
            raise ValueError(f"parents must be earlier neurons (indices in [0, {len(self.kind)})), got {[u for u, _ in parents]}")
        if len(self.kind) >= MAX_NEURONS:
            raise ValueError(f"more than {MAX_NEURONS} neurons: explicit DAGs are for small nets only")
        self.kind.append(kind)
        self.bias.append(bias)
        self.parents.append(parents)
        return len(self.kind) - 1


def _edges(fn, in_shape: tuple[int, ...]) -> np.ndarray:
    """Dense edge matrix (out x in) of a linear map, from its Jacobian at 0."""
    n = math.prod(in_shape)
    eye = torch.eye(n, dtype=torch.float64).reshape((n,) + in_shape)
    out = fn(eye)  # column j = image of the j-th basis vector
    return out.reshape(n, -1).T.detach().numpy()


def _linear_layer(dag: DAG, idx: np.ndarray, m: nn.Module) -> np.ndarray:
    in_shape = idx.shape
    with torch.no_grad():
        if isinstance(m, nn.Linear):
            vals = _edges(lambda t: F.linear(t, m.weight.double()), in_shape)
            struct = np.ones_like(vals)
            out_shape = (m.out_features,)
        else:
            ones = torch.ones_like(m.weight, dtype=torch.float64)
            conv = F.conv2d if isinstance(m, nn.Conv2d) else F.conv_transpose2d
            kw = dict(stride=m.stride, padding=m.padding, dilation=m.dilation, groups=m.groups)
            if isinstance(m, nn.ConvTranspose2d):
                kw["output_padding"] = m.output_padding
            vals = _edges(lambda t: conv(t, m.weight.double(), **kw), in_shape)
            struct = _edges(lambda t: conv(t, ones, **kw), in_shape)  # which edges exist (zero padding = no edge)
            out_shape = conv(torch.zeros((1,) + in_shape), ones, **kw).shape[1:]
    flat_in = idx.reshape(-1)
    bias = None if m.bias is None else m.bias.detach().double().numpy()
    per_pos = math.prod(out_shape[1:]) if len(out_shape) > 1 else 1
    out = []
    for r in range(vals.shape[0]):
        cols = np.nonzero(struct[r])[0]
        b = None if bias is None else float(bias[r // per_pos])
        out.append(dag.add("id", b, [(int(flat_in[j]), float(vals[r, j])) for j in cols]))
    return np.array(out).reshape(out_shape)


def _pool(dag: DAG, idx: np.ndarray, m: nn.Module) -> np.ndarray:
    in_shape = idx.shape
    if isinstance(m, nn.AdaptiveAvgPool2d):
        o = lifting._pair(m.output_size)
        o = tuple(in_shape[1 + i] if v is None else v for i, v in enumerate(o))
        if in_shape[1] % o[0] or in_shape[2] % o[1]:
            raise ValueError(f"AdaptiveAvgPool2d: input {in_shape[1:]} not divisible by output {o}")
        k = (in_shape[1] // o[0], in_shape[2] // o[1])
        m = nn.AvgPool2d(k, k)
    kh, kw = lifting._pair(m.kernel_size)
    dil = 1 if isinstance(m, nn.AvgPool2d) else m.dilation
    w = 1.0 if isinstance(m, nn.MaxPool2d) else 1.0 / (kh * kw)
    ws = lifting._WindowSum(m.kernel_size, m.stride, m.padding, dil, 1.0, 1.0)
    struct = _edges(lambda t: ws(t), in_shape)
    out_shape = ws(torch.zeros((1,) + in_shape)).shape[1:]
    flat_in = idx.reshape(-1)
    kind = "max" if isinstance(m, nn.MaxPool2d) else "id"
    out = [dag.add(kind, None, [(int(flat_in[j]), w) for j in np.nonzero(struct[r])[0]]) for r in range(struct.shape[0])]
    return np.array(out).reshape(out_shape)


def _build(dag: DAG, idx: np.ndarray, m: nn.Module) -> np.ndarray:
    if isinstance(m, nn.Sequential):
        for child in m:
            idx = _build(dag, idx, child)
        return idx
    if isinstance(m, Residual):
        a, b = _build(dag, idx, m.body), _build(dag, idx, m.shortcut)
        if a.shape != b.shape:
            raise ValueError(f"Residual: body output {a.shape} != shortcut output {b.shape}")
        return np.array([dag.add("id", None, [(int(u), 1.0), (int(v), 1.0)])
                         for u, v in zip(a.reshape(-1), b.reshape(-1))]).reshape(a.shape)
    if isinstance(m, Concat):
        return np.concatenate([_build(dag, idx, br) for br in m.branches], axis=0)
    if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
        return _linear_layer(dag, idx, m)
    if isinstance(m, (nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d)):
        return _pool(dag, idx, m)
    if type(m) is nn.ReLU:  # a ReLU neuron fed by one edge of weight 1 (same paths, same products)
        return np.array([dag.add("relu", None, [(int(u), 1.0)]) for u in idx.reshape(-1)]).reshape(idx.shape)
    if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
        a, c = (t.detach().double().numpy() for t in lifting._bn_fold(m))
        return np.array([dag.add("id", float(c[i[0]]), [(int(u), float(a[i[0]]))])
                         for i, u in np.ndenumerate(idx)]).reshape(idx.shape)
    if isinstance(m, nn.Flatten):
        return idx.reshape(-1)
    if isinstance(m, (nn.Identity, nn.Dropout)):
        return idx
    raise TypeError(f"{type(m).__name__} is not supported")  # unreachable after check_supported


def to_dag(model: nn.Module, input_shape: Sequence[int]) -> DAG:
    """Unroll a supported net (eval mode) into an explicit DAG of neurons, for one input of shape `input_shape`."""
    lifting.check_supported(model)
    shape = lifting._shape(input_shape)
    if math.prod(shape) > 4096:
        raise ValueError(f"input of {math.prod(shape)} entries: explicit DAGs are for small inputs (<= 4096)")
    dag = DAG()
    idx = np.array([dag.add("input", None, []) for _ in range(math.prod(shape))]).reshape(shape)
    dag.inputs = list(idx.reshape(-1))
    with torch.no_grad():
        try:
            out = _build(dag, idx, model)
        except RuntimeError as exc:  # a layer that cannot take this shape: name the argument
            raise ValueError(f"input_shape {shape} does not fit the model: {exc}") from exc
    dag.outputs = [int(v) for v in out.reshape(-1)]
    return dag


def evaluate(dag: DAG, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict]:
    """Neuron values (B x N), pre-activations (B x N) and the selected parent of each max neuron, at inputs X (B x n_in)."""
    X = _check_X(dag, X, "X")
    B, N = X.shape[0], len(dag.kind)
    val, pre, sel = np.zeros((B, N)), np.zeros((B, N)), {}
    val[:, dag.inputs] = X
    for v in range(N):
        k = dag.kind[v]
        if k == "input":
            continue
        us = [u for u, _ in dag.parents[v]]
        ws = np.array([w for _, w in dag.parents[v]])
        contrib = val[:, us] * ws
        b = dag.bias[v] or 0.0
        if k == "max":
            j = np.argmax(contrib, axis=1)  # ties: first parent in order
            sel[v] = np.array(us)[j]
            pre[:, v] = contrib[np.arange(B), j] + b
            val[:, v] = pre[:, v]
        else:
            pre[:, v] = contrib.sum(1) + b
            val[:, v] = np.maximum(pre[:, v], 0) if k == "relu" else pre[:, v]
    return val, pre, sel


def _check_dag(dag: object) -> None:
    if not isinstance(dag, DAG):
        raise TypeError(f"dag must be a relulab.paths.dag.DAG (see to_dag), got {type(dag).__name__}")


def _check_X(dag: DAG, X: object, name: str) -> np.ndarray:
    """A non-empty, finite (B, n_in) float64 batch of inputs for `dag`."""
    _check_dag(dag)
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != len(dag.inputs):
        raise ValueError(f"{name} must have shape (B, {len(dag.inputs)}), got {X.shape}")
    if X.shape[0] == 0:
        raise ValueError(f"{name} is an empty batch (B = 0)")
    if not np.isfinite(X).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return X


def count_paths(dag: DAG) -> int:
    """Number of paths ending at an output (input paths plus bias paths, including zero biases)."""
    _check_dag(dag)
    cnt = [0] * len(dag.kind)
    for v in range(len(dag.kind)):
        cnt[v] = (1 if dag.kind[v] == "input" else 0) + (1 if dag.bias[v] is not None else 0) + \
            sum(cnt[u] for u, _ in dag.parents[v])
    return sum(cnt[o] for o in dag.outputs)


@dataclass
class Paths:
    """All paths ending at outputs: Phi_p, start neuron, output, and (for inputs X) a_p(theta, x) and x-bar_p."""

    phi: np.ndarray
    start: np.ndarray
    output: np.ndarray
    is_bias: np.ndarray
    act: np.ndarray | None = None
    xbar: np.ndarray | None = None
    seqs: list[tuple[int, ...]] | None = None


def enumerate_paths(dag: DAG, X: np.ndarray | None = None, *, gates_from: np.ndarray | None = None,
                    max_paths: int = 300_000, keep_sequences: bool = False) -> Paths:
    """Enumerate every path (exponential): Phi_p; with inputs X also a_p and x-bar (activations taken at `gates_from`
    if given -- a negative control); `keep_sequences` stores each path's neuron sequence."""
    n = count_paths(dag)
    if n > max_paths:
        raise ValueError(f"{n} paths > max_paths={max_paths}: explicit enumeration is for small nets")
    act_on = X if gates_from is None else gates_from
    if X is not None:
        X = _check_X(dag, X, "X")
        _, pre, sel = evaluate(dag, np.asarray(act_on, dtype=np.float64))
        if X.shape != np.asarray(act_on).shape:
            raise ValueError("gates_from must have the same shape as X")
        B = X.shape[0]
    store: dict[int, tuple] = {}
    remaining = [0] * len(dag.kind)  # children still to read each neuron's paths (free memory after)
    for v in range(len(dag.kind)):
        for u, _ in dag.parents[v]:
            remaining[u] += 1
    outs = set(dag.outputs)
    result = {}
    for v in range(len(dag.kind)):
        k = dag.kind[v]
        coef, start, isb, acts, xbs, seqs = [], [], [], [], [], []
        gate = None
        if X is not None:
            gate = (pre[:, v] > 0).astype(float) if k == "relu" else np.ones(B)
        if k == "input":
            coef.append(np.ones(1)); start.append(np.array([v])); isb.append(np.zeros(1, bool))
            if X is not None:
                acts.append(np.ones((1, B))); xbs.append(X[:, dag.inputs.index(v)][None, :])
            seqs.append([(v,)])
        if dag.bias[v] is not None:
            coef.append(np.array([dag.bias[v]])); start.append(np.array([v])); isb.append(np.ones(1, bool))
            if X is not None:
                acts.append(gate[None, :]); xbs.append(np.ones((1, B)))
            seqs.append([(v,)])
        for u, w in dag.parents[v]:
            cu, su, bu, au, xu, qu = store[u]
            coef.append(cu * w); start.append(su); isb.append(bu)
            if X is not None:
                e = (sel[v] == u).astype(float) if k == "max" else gate
                acts.append(au * e[None, :]); xbs.append(xu)
            if keep_sequences:
                seqs.append([s + (v,) for s in qu])
            remaining[u] -= 1
            if remaining[u] == 0 and u not in outs:
                del store[u]
        cat = lambda L, d=None: np.concatenate(L) if L else np.zeros((0,) if d is None else (0, d))  # noqa: E731
        item = (cat(coef), cat(start).astype(int), cat(isb).astype(bool),
                cat(acts, B) if X is not None else None, cat(xbs, B) if X is not None else None,
                [s for L in seqs for s in L] if keep_sequences else None)
        store[v] = item
        if v in outs:
            result[v] = item
    parts = [result[o] for o in dag.outputs]
    return Paths(
        phi=np.concatenate([p[0] for p in parts]),
        start=np.concatenate([p[1] for p in parts]),
        output=np.concatenate([np.full(len(p[0]), i) for i, p in enumerate(parts)]),
        is_bias=np.concatenate([p[2] for p in parts]),
        act=None if X is None else np.concatenate([p[3] for p in parts]),
        xbar=None if X is None else np.concatenate([p[4] for p in parts]),
        seqs=[s for p in parts for s in p[5]] if keep_sequences else None,
    )


def phi(model: nn.Module, input_shape: Sequence[int], max_paths: int = 300_000) -> np.ndarray:
    """The path-lifting Phi(theta) by explicit enumeration (coordinates in a fixed order given the architecture)."""
    return enumerate_paths(to_dag(model, input_shape), max_paths=max_paths).phi


def output_from_paths(paths: Paths, n_outputs: int) -> np.ndarray:
    """R(x)_o = sum over paths ending at o of Phi_p a_p x-bar_p, for every input (B x n_outputs)."""
    if paths.act is None:
        raise ValueError("paths were enumerated without inputs X")
    if isinstance(n_outputs, bool) or not isinstance(n_outputs, numbers.Integral) or n_outputs < 1:
        raise ValueError(f"n_outputs must be a positive int, got {n_outputs!r}")
    if len(paths.output) and paths.output.max() >= n_outputs:
        raise ValueError(f"n_outputs={n_outputs} but the paths end at output {int(paths.output.max())}")
    contrib = paths.phi[:, None] * paths.act * paths.xbar  # P x B
    out = np.zeros((contrib.shape[1], n_outputs))
    np.add.at(out.T, paths.output, contrib)
    return out
