"""Explicit ReLU DAGs of small torch nets and their paths: the exponential reference for the path-lifting.

A supported net (see :mod:`relulab.paths.lifting`; any ``forward``, read with torch.fx by
:mod:`relulab.paths.graph`) is unrolled into neurons (one per channel and position) with weighted in-edges, an
optional bias and a kind ('input', 'relu', 'id', 'max').  Independence from the |theta| pass it checks: every edge
weight is read off the Jacobian of the model's own (signed, float64) operation on basis vectors, and the windows
of a max-pool off the real max-pool of those basis vectors -- nothing of :mod:`relulab.paths.abs_pass`'s
arithmetic (|.|^q, window sums, folding) is used.  Paths ending at an output start at an
input or at a neuron with a bias; Phi_p is the product of the edge weights (times the bias for bias paths), and
a_p(theta, x) the product of the activation indicators along the path (:func:`enumerate_paths`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple, Sequence

import numpy as np
import torch
from torch import nn

from relulab.paths import abs_pass as A
from relulab.paths import graph as G
from relulab.paths import operands as O
from relulab.paths import lifting

from .. import check

__all__ = [
    "DAG", "NeuronValues", "Paths", "count_paths", "enumerate_paths", "evaluate", "output_from_paths", "phi",
    "to_dag",
]

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
        check.choice("kind", kind, KINDS)
        if bias is not None and not math.isfinite(bias):
            raise ValueError(f"bias must be finite or None, got {bias}")
        if any(not 0 <= u < len(self.kind) for u, _ in parents):
            raise ValueError(f"parents must be earlier neurons (indices in [0, {len(self.kind)})), got {[u for u, _ in parents]}")
        check.within_budget("DAG.add", len(self.kind) + 1, MAX_NEURONS, what="neurons (explicit DAGs: small nets only)")
        self.kind.append(kind)
        self.bias.append(bias)
        self.parents.append(parents)
        return len(self.kind) - 1


def _flat_ids(t: torch.Tensor) -> list[int]:
    return [int(v) for v in t.reshape(-1)]


def _double_call(m: nn.Module, x: torch.Tensor, replace: dict[str, torch.Tensor] | None = None) -> torch.Tensor:
    """The module's own forward in float64 (its parameters and buffers cast, or replaced by `replace`)."""
    state = {n: t.detach().double() for n, t in list(m.named_parameters()) + list(m.named_buffers())
             if t.is_floating_point()}
    state.update(replace or {})
    return torch.func.functional_call(m, state, (x,))


def _call(step: G.Step, env: dict, x: torch.Tensor, **replace: torch.Tensor) -> torch.Tensor:
    """Run one step as written on a float64 batch x in place of its signal (a module with `replace` parameters)."""
    if step.module is not None:
        return _double_call(step.module, x, replace)
    sig = step.node.args[0] if step.node.args else next(iter(step.node.kwargs.values()))
    return O.run_meta(step.node, {**env, sig: x})


def _linear_step(dag: DAG, step: G.Step, env: dict, x_ids: torch.Tensor, has_bias: bool,
                 structure: str = "values", ones: dict | None = None, unbiased: dict | None = None) -> torch.Tensor:
    """Neurons for a linear step: edges from the Jacobian of the real op on basis vectors, bias from its value at 0.

    The Jacobian is read with the `unbiased` parameters (bias and BN mean set to 0), so that an edge weight is the
    weight itself and not (w + b) - b.  ``structure`` says which edges exist: "values" (the non-zero Jacobian
    entries), "ones" (the Jacobian with the `ones` parameters, so that a zero weight is still an edge) or "diagonal"
    (one edge per neuron, for BN).
    """
    ones, unbiased = ones or {}, unbiased or {}
    in_shape = tuple(x_ids.shape[1:])
    n = math.prod(in_shape)
    with torch.no_grad():
        zero = torch.zeros((1, *in_shape), dtype=torch.float64)
        f0 = _call(step, env, zero)
        what = f"entries in a {n} x {f0.numel()} edge matrix (explicit DAGs are for small nets)"
        check.within_budget(step.where, n * f0.numel(), 5 * 10**7, what=what)
        E = torch.eye(n, dtype=torch.float64).reshape((n, *in_shape))
        vals = _call(step, env, E, **unbiased)
        if not unbiased:  # no bias (f0 = 0, subtracting it is exact) or a shift-free op (pools, means)
            vals = vals - f0
        vals = vals.reshape(n, -1).T                                    # (out, in)
        if structure == "ones":
            struct = _call(step, env, E, **ones).reshape(n, -1).T != 0
        elif structure == "diagonal":
            struct = torch.eye(n, dtype=torch.bool)
        else:
            struct = vals != 0
    src = _flat_ids(x_ids)
    bias = f0.reshape(-1)
    out = [dag.add("id", float(bias[r]) if has_bias else None,
                   [(src[j], float(vals[r, j])) for j in torch.nonzero(struct[r]).reshape(-1).tolist()])
           for r in range(vals.shape[0])]
    return torch.tensor(out, dtype=torch.long).reshape(f0.shape)


def _max_step(dag: DAG, step: G.Step, env: dict, x_ids: torch.Tensor) -> torch.Tensor:
    """Max neurons: output o reads input j iff the real max-pool of the basis vector e_j is 1 at o (j in window o)."""
    in_shape = tuple(x_ids.shape[1:])
    n = math.prod(in_shape)
    with torch.no_grad():
        E = torch.eye(n, dtype=torch.float64).reshape((n, *in_shape))
        hit = _call(step, env, E)
        out_shape = hit.shape[1:]
        hit = hit.reshape(n, -1).T > 0
    src = _flat_ids(x_ids)
    out = [dag.add("max", None, [(src[j], 1.0) for j in torch.nonzero(hit[r]).reshape(-1).tolist()])
           for r in range(hit.shape[0])]
    return torch.tensor(out, dtype=torch.long).reshape((1, *out_shape))


def _elementwise(dag: DAG, kind: str, parents: list[list[tuple[int, float]]], bias: float | None,
                 shape: torch.Size) -> torch.Tensor:
    return torch.tensor([dag.add(kind, bias, p) for p in parents], dtype=torch.long).reshape(shape)


def _build(dag: DAG, plan: G.Plan, shape: tuple[int, ...]) -> list[torch.Tensor]:
    """Unroll the plan into neurons; env holds neuron-id tensors (batch of one) for signals, values for the rest."""
    env: dict = {}
    for s in plan.steps:
        node, kind = s.node, s.kind
        if kind == "input":
            ids = [dag.add("input", None, []) for _ in range(math.prod(shape))]
            dag.inputs = ids
            env[node] = torch.tensor(ids, dtype=torch.long).reshape((1, *shape))
        elif kind == "layer":
            m = s.module
            ones = {"weight": torch.ones_like(m.weight, dtype=torch.float64)}
            unbiased = {}
            if m.bias is not None:
                ones["bias"] = unbiased["bias"] = torch.zeros_like(m.bias, dtype=torch.float64)
            env[node] = _linear_step(dag, s, env, A._first_input(s, env), m.bias is not None, "ones", ones, unbiased)
        elif kind == "bn":
            m = s.module
            unbiased = {"running_mean": torch.zeros_like(m.running_mean, dtype=torch.float64)}
            if m.bias is not None:
                unbiased["bias"] = torch.zeros_like(m.bias, dtype=torch.float64)
            env[node] = _linear_step(dag, s, env, A._first_input(s, env), True, "diagonal", unbiased=unbiased)
        elif kind in ("avgpool", "adaptive_avg", "reduce"):
            if kind == "reduce":
                O.reduce_dims(s, env)  # refuses reductions over the batch dimension
            env[node] = _linear_step(dag, s, env, A._first_input(s, env), False)
        elif kind in ("maxpool", "adaptive_max"):
            env[node] = _max_step(dag, s, env, A._first_input(s, env))
        elif kind == "relu":
            x = A._first_input(s, env)
            env[node] = _elementwise(dag, "relu", [[(u, 1.0)] for u in _flat_ids(x)], None, x.shape)
        elif kind == "add":
            a, b = O.add_operands(s, env)
            sign = float(s.info["sign"])
            pairs = [[(u, 1.0), (v, sign)] for u, v in zip(_flat_ids(a), _flat_ids(b))]
            env[node] = _elementwise(dag, "id", pairs, None, a.shape)
        elif kind == "shift":
            x, w, c = O.shift_operands(s, env)
            env[node] = torch.tensor([dag.add("id", c, [(u, w)]) for u in _flat_ids(x)]).reshape(x.shape)
        elif kind == "scale":
            x, c = O.scale_operands(s, env)
            env[node] = _elementwise(dag, "id", [[(u, c)] for u in _flat_ids(x)], None, x.shape)
        elif kind == "reindex":
            O.check_cat(s, env)
            x = A._first_input(s, env)
            env[node] = x if s.info.get("identity") else (s.module(x) if s.module is not None else O.run_meta(node, env))
        elif kind == "meta":
            env[node] = O.run_meta(node, env)
        elif kind == "output":
            return O.output_tensors(s, env)
    raise AssertionError("a traced graph ends with its output node")


def to_dag(model: nn.Module, input_shape: Sequence[int]) -> DAG:
    """Unroll a supported net (eval mode) into an explicit DAG of neurons, for one input of shape `input_shape`."""
    plan = lifting._plan(model)
    shape = lifting._shape(input_shape)
    if math.prod(shape) > 4096:
        raise ValueError(f"input of {math.prod(shape)} entries: explicit DAGs are for small inputs (<= 4096)")
    dag = DAG()
    try:
        outs = _build(dag, plan, shape)
    except RuntimeError as exc:  # a layer that cannot take this shape: name the argument
        raise ValueError(f"input_shape {shape} does not fit the model: {exc}") from exc
    dag.outputs = [int(v) for o in outs for v in o.reshape(-1)]
    return dag


class NeuronValues(NamedTuple):
    """Neuron values and pre-activations (B x N) and the selected parent of each max neuron (by neuron)."""

    values: np.ndarray
    preactivations: np.ndarray
    selected: dict


def evaluate(dag: DAG, X: np.ndarray) -> NeuronValues:
    """Neuron values (B x N), pre-activations (B x N) and the selected parent of each max neuron, at inputs X (B x n_in)."""
    return _evaluate(dag, _check_X(dag, X, "X"))


def _evaluate(dag: DAG, X: np.ndarray) -> NeuronValues:
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
    return NeuronValues(val, pre, sel)


def _check_X(dag: DAG, X: object, name: str) -> np.ndarray:
    """A non-empty, finite (B, n_in) float64 batch of inputs for `dag`."""
    check.instance("dag", dag, DAG)
    return check.array(name, X, 2, columns=len(dag.inputs))


def count_paths(dag: DAG) -> int:
    """Number of paths ending at an output (input paths plus bias paths, including zero biases)."""
    check.instance("dag", dag, DAG)
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
    max_paths = check.integer("max_paths", max_paths, low=1)
    check.within_budget("max_paths", count_paths(dag), max_paths, what="paths (explicit enumeration is for small nets)")
    if X is not None:
        X = _check_X(dag, X, "X")
        act_on = X if gates_from is None else _check_X(dag, gates_from, "gates_from")
        _, pre, sel = _evaluate(dag, act_on)
        if X.shape != act_on.shape:
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
    if check.instance("paths", paths, Paths).act is None:
        raise ValueError("paths were enumerated without inputs X")
    check.integer("n_outputs", n_outputs, low=1)
    if len(paths.output) and paths.output.max() >= n_outputs:
        raise ValueError(f"n_outputs={n_outputs} but the paths end at output {int(paths.output.max())}")
    contrib = paths.phi[:, None] * paths.act * paths.xbar  # P x B
    out = np.zeros((contrib.shape[1], n_outputs))
    np.add.at(out.T, paths.output, contrib)
    return out
