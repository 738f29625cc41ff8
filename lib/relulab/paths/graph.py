"""Reading any torch model as a ReLU DAG: trace its ``forward`` with ``torch.fx`` and classify every node.

The path-lifting (:mod:`relulab.paths.lifting`) and the explicit enumeration (:mod:`relulab.paths.dag`) both walk
the same list of classified nodes, a :class:`Plan`; each runs it with its own arithmetic (the |theta| forward pass,
or the unrolled neurons).  Reading the model through its ``forward`` rather than its module tree is what makes
custom blocks (a shortcut added in ``forward``), functional calls (``F.relu``, ``F.max_pool2d``, ``x.mean((2, 3))``,
``torch.flatten``, ``torch.cat``) and models with no container structure readable.

A node is one of: a *layer* (Linear, Conv1d/2d, ConvTranspose1d/2d), a frozen *BatchNorm*, a *ReLU*, a max-pool
(a max neuron), an average pool, adaptive pool, mean or sum (linear, weights 1/K or 1), a sum or difference of two
signals (a residual add), a constant shift or scale, a re-indexing (view, reshape, flatten, permute, cat, slicing,
identity, dropout in eval mode) or shape arithmetic.  Anything else -- GELU, LayerNorm, attention, leaky slopes,
BatchNorm in training mode, a product of two signals, data-dependent control flow -- is a *problem*, reported with
the module or graph node that holds it and why (``_read``).  Tracing calls ``forward`` once with symbolic values;
the model itself is never modified.  Reading a step's operands when a plan runs is :mod:`relulab.paths.operands`.
"""

from __future__ import annotations

import inspect
import numbers
import operator
import os
import sys
from dataclasses import dataclass, field
from typing import Any, Callable

import torch
from torch import fx, nn
import torch.nn.functional as F

__all__ = ["Plan", "Step"]

LAYERS = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.ConvTranspose1d, nn.ConvTranspose2d)
BATCHNORMS = (nn.BatchNorm1d, nn.BatchNorm2d)
MAXPOOLS = (nn.MaxPool1d, nn.MaxPool2d)
AVGPOOLS = (nn.AvgPool1d, nn.AvgPool2d)
ADAPTIVE_AVG = (nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d)
ADAPTIVE_MAX = (nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d)
DROPOUTS = (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.AlphaDropout)
REINDEX_MODULES = (nn.Flatten, nn.Unflatten, nn.Identity)

WHY_MODULE = {  # why a module is not a ReLU-DAG piece (shown in the report)
    nn.GELU: "GELU is not positively homogeneous: not a ReLU-DAG neuron",
    nn.ReLU6: "ReLU6 clips at 6 (ReLU6(z) = ReLU(z) - ReLU(z - 6)); the |theta| network would clip the path sums",
    nn.LeakyReLU: "LeakyReLU has slopes other than 0/1: path activations would not be 0/1",
    nn.PReLU: "PReLU has a learnt negative slope: path activations would not be 0/1",
    nn.ELU: "ELU is not piecewise linear",
    nn.SiLU: "SiLU is not piecewise linear",
    nn.Hardtanh: "Hardtanh clips: not a ReLU-DAG neuron",
    nn.LayerNorm: "LayerNorm divides by statistics of its own input: not a fixed DAG",
    nn.GroupNorm: "GroupNorm divides by statistics of its own input: not a fixed DAG",
    nn.MultiheadAttention: "attention multiplies inputs together: not a ReLU DAG",
    nn.Softmax: "softmax is not piecewise linear",
    nn.Tanh: "tanh is not positively homogeneous",
    nn.Sigmoid: "sigmoid is not positively homogeneous",
    nn.Embedding: "an embedding looks up rows by integer input: not a ReLU DAG on real inputs",
}

WHY_FUNCTION = {  # why a function or tensor method is not a ReLU-DAG operation, by name
    "gelu": "GELU is not positively homogeneous",
    "leaky_relu": "leaky slopes: path activations would not be 0/1",
    "prelu": "learnt negative slopes: path activations would not be 0/1",
    "relu6": "ReLU6 clips the path sums",
    "hardtanh": "clips: not a ReLU-DAG neuron",
    "elu": "not piecewise linear",
    "selu": "not piecewise linear",
    "silu": "not piecewise linear",
    "sigmoid": "not positively homogeneous",
    "tanh": "not positively homogeneous",
    "softmax": "not piecewise linear",
    "log_softmax": "not piecewise linear",
    "layer_norm": "normalises by statistics of its own input: not a fixed DAG",
    "group_norm": "normalises by statistics of its own input: not a fixed DAG",
    "batch_norm": "functional batch norm: use an nn.BatchNorm module (frozen, eval mode) so its statistics are known",
    "scaled_dot_product_attention": "attention multiplies inputs together: not a ReLU DAG",
    "matmul": "multiplies two signals: not a ReLU DAG (use nn.Linear for a fixed weight)",
    "bmm": "multiplies two signals: not a ReLU DAG",
    "einsum": "a product of signals or of unregistered weights: not readable as a ReLU DAG",
    "linear": "a functional linear map reads its weight outside a module: use nn.Linear",
    "conv1d": "a functional convolution reads its weight outside a module: use nn.Conv1d",
    "conv2d": "a functional convolution reads its weight outside a module: use nn.Conv2d",
    "interpolate": "interpolation: not supported",
    "exp": "not positively homogeneous",
    "abs": "|z| = ReLU(z) + ReLU(-z) is two neurons, not one: write it with ReLUs",
    "max": "a max over a dimension or of two signals: only max-pooling is supported",
    "maximum": "a max of two signals: only max-pooling is supported",
}

# Functions and methods, by what they are.  Pools and reductions carry the names of their parameters in order
# (the rest of the signature is looked up by name when the step runs).
RELU_FUNCTIONS = {F.relu: ("input", "inplace"), torch.relu: ("input",), torch.relu_: ("input",),
                  F.relu_: ("input",)}
CLAMP_FUNCTIONS = {torch.clamp: ("input", "min", "max"), torch.clamp_min: ("input", "min")}
POOL_FUNCTIONS = {
    F.max_pool1d: ("max", 1, ("input", "kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices")),
    F.max_pool2d: ("max", 2, ("input", "kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices")),
    F.avg_pool1d: ("avg", 1, ("input", "kernel_size", "stride", "padding", "ceil_mode", "count_include_pad")),
    F.avg_pool2d: ("avg", 2, ("input", "kernel_size", "stride", "padding", "ceil_mode", "count_include_pad",
                              "divisor_override")),
    F.adaptive_avg_pool1d: ("adaptive_avg", 1, ("input", "output_size")),
    F.adaptive_avg_pool2d: ("adaptive_avg", 2, ("input", "output_size")),
    F.adaptive_max_pool1d: ("adaptive_max", 1, ("input", "output_size", "return_indices")),
    F.adaptive_max_pool2d: ("adaptive_max", 2, ("input", "output_size", "return_indices")),
}
REDUCE_FUNCTIONS = {torch.mean: "mean", torch.sum: "sum"}
CAT_FUNCTIONS = (torch.cat, torch.concat, torch.concatenate)
REINDEX_FUNCTIONS = (torch.flatten, torch.reshape, torch.squeeze, torch.unsqueeze, torch.permute, torch.transpose,
                     torch.t, torch.movedim, torch.narrow, torch.chunk, torch.split, torch.unbind)
DROPOUT_FUNCTIONS = (F.dropout, F.dropout1d, F.dropout2d, F.alpha_dropout)
ADD_FUNCTIONS = {operator.add: 1, operator.iadd: 1, torch.add: 1, operator.sub: -1, operator.isub: -1, torch.sub: -1}
MUL_FUNCTIONS = {operator.mul: False, operator.imul: False, torch.mul: False, operator.truediv: True,
                 operator.itruediv: True, torch.div: True}
REINDEX_METHODS = {"view", "reshape", "flatten", "contiguous", "permute", "transpose", "squeeze", "unsqueeze",
                   "view_as", "reshape_as", "t", "movedim", "narrow", "chunk", "split", "unbind", "clone", "detach"}
META_METHODS = {"size", "dim", "numel", "nelement"}
META_ATTRIBUTES = {"shape", "ndim", "dtype", "device"}
ADD_METHODS = {"add": 1, "add_": 1, "sub": -1, "sub_": -1}
MUL_METHODS = {"mul": False, "mul_": False, "div": True, "div_": True}


@dataclass(frozen=True)
class Step:
    """One node of the traced forward: its fx node, what it is (``kind``) and what the executors need to run it."""

    node: fx.Node
    kind: str                 # input, layer, bn, relu, maxpool, avgpool, adaptive_avg, adaptive_max, reduce, add,
    #                           shift, scale, reindex, meta, output
    where: str                # "module 'layer1.0.conv1' (Conv2d)" or "node 'add_1' (add) in forward of 'layer1.0'"
    module: nn.Module | None = None
    info: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    """The classified nodes of a traced model, in execution order, and the problems found (empty: supported)."""

    steps: tuple[Step, ...]
    problems: tuple[str, ...]
    type_problem: bool        # some problem is an unsupported operation (TypeError) rather than a bad setting
    layers: dict[str, nn.Module]


class _Tracer(fx.Tracer):
    """fx tracer that keeps supported and known-unsupported modules as leaves and reports control flow precisely."""

    def __init__(self, root: nn.Module) -> None:
        super().__init__()
        self.stack: list[tuple[str, str]] = [("", type(root).__name__)]

    def is_leaf_module(self, m: nn.Module, qualname: str) -> bool:
        if isinstance(m, (nn.Sequential, nn.ModuleList, nn.ModuleDict)):
            return False
        known = LAYERS + BATCHNORMS + MAXPOOLS + AVGPOOLS + ADAPTIVE_AVG + ADAPTIVE_MAX + DROPOUTS + REINDEX_MODULES
        return isinstance(m, known + tuple(WHY_MODULE)) or type(m) is nn.ReLU or super().is_leaf_module(m, qualname)

    def call_module(self, m: nn.Module, forward: Callable, args: tuple, kwargs: dict) -> Any:
        self.stack.append((self.path_of_module(m), type(m).__name__))
        try:
            return super().call_module(m, forward, args, kwargs)
        finally:
            self.stack.pop()

    def _where(self) -> str:
        name, typ = self.stack[-1]
        line = _user_line()
        return f"forward of module '{name or '<root>'}' ({typ})" + (f" at {line}" if line else "")

    def to_bool(self, obj: fx.Proxy) -> bool:
        raise _TraceProblem(f"{self._where()}: data-dependent control flow (an `if`/`while` on a tensor value): "
                            "the DAG would change with the input; not a fixed ReLU DAG")

    def iter(self, obj: fx.Proxy):
        raise _TraceProblem(f"{self._where()}: iterates over a tensor (a loop whose length depends on the input)")


class _TraceProblem(Exception):
    pass


def _user_line() -> str:
    """file:line of the innermost frame outside torch and this file (the user's ``forward``)."""
    torch_dir = os.path.dirname(torch.__file__)
    f = sys._getframe(1)
    while f is not None:
        fn = f.f_code.co_filename
        if not fn.startswith(torch_dir) and fn != __file__:
            return f"{os.path.basename(fn)}:{f.f_lineno}"
        f = f.f_back
    return ""


def _trace(model: nn.Module) -> tuple[fx.Graph | None, str | None]:
    """The fx graph of ``model.forward`` with one tensor input (other arguments at their defaults), or the problem."""
    try:
        params = list(inspect.signature(model.forward).parameters.values())
    except (TypeError, ValueError):
        params = []
    required = [p for p in params if p.default is inspect.Parameter.empty
                and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(required) != 1:
        return None, (f"forward of module '<root>' ({type(model).__name__}) takes {len(required)} required inputs; "
                      "a ReLU DAG here takes exactly one tensor")
    concrete = {p.name: p.default for p in params[1:] if p.default is not inspect.Parameter.empty}
    tracer = _Tracer(model)
    try:
        return tracer.trace(model, concrete_args=concrete or None), None
    except _TraceProblem as exc:
        return None, str(exc)
    except Exception as exc:  # noqa: BLE001 -- any failure of the user's forward under tracing is reported, not raised
        return None, f"{tracer._where()} cannot be traced with torch.fx: {type(exc).__name__}: {exc}"


def _fn_name(target: Any) -> str:
    if isinstance(target, str):
        return target
    return getattr(target, "__name__", repr(target)).lstrip("_")


def _is_number(v: Any) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def _read(model: nn.Module) -> Plan:
    """Trace ``model`` and classify each node; problems are collected (with where and why), never raised here."""
    graph, problem = _trace(model)
    if graph is None:
        return Plan((), (problem,), False, {})
    modules = dict(model.named_modules())
    steps: list[Step] = []
    problems: list[str] = []
    type_problem = False
    tensor: set[fx.Node] = set()          # nodes whose value is a signal (a tensor that depends on the input)
    layers: dict[str, nn.Module] = {}

    def in_tensors(node: fx.Node) -> list[fx.Node]:
        found: list[fx.Node] = []
        fx.node.map_arg((node.args, node.kwargs), lambda a: found.append(a) if a in tensor else None)
        return found

    for node in graph.nodes:
        ins = in_tensors(node)
        stack = node.meta.get("nn_module_stack") or {}
        owner = next(reversed(stack.values()))[0] if stack else ""
        if node.op == "call_module":
            where = f"module '{node.target}' ({type(modules[node.target]).__name__})"
        else:
            where = f"node '{node.name}' ({_fn_name(node.target)})" + (f" in forward of '{owner}'" if owner else "")
        kind, info, why, is_type = _classify(node, modules, ins, tensor)
        if why:
            problems.append(f"{where}: {why}")
            type_problem = type_problem or is_type
            if ins or node.op == "call_module":
                kind = "unsupported"  # its value is still a signal for the nodes downstream
        mod = modules.get(node.target) if node.op == "call_module" else None
        if kind in ("layer", "bn"):
            layers[str(node.target)] = mod
        if kind not in ("meta", "output"):
            tensor.add(node)
        steps.append(Step(node, kind, where, mod, info))
    return Plan(tuple(steps), tuple(problems), type_problem, layers)


def _classify(node: fx.Node, modules: dict, ins: list, tensor: set) -> tuple[str, dict, str | None, bool]:
    """(kind, info, problem or None, whether the problem is an unsupported operation) for one fx node."""
    op, target = node.op, node.target
    if op == "placeholder":
        return "input", {}, None, False
    if op == "output":
        return "output", {}, (None if ins else "the model's output does not depend on its input"), False
    if op == "get_attr":
        if str(target).startswith("_tensor_constant"):
            return "meta", {}, ("a tensor built in forward (a constant outside any module) enters the computation; "
                                "only the parameters of Linear/Conv/BatchNorm modules are read as DAG weights"), True
        return "meta", {}, (f"reads parameter or buffer '{target}' directly in forward; only the parameters of "
                            "Linear/Conv/BatchNorm modules are read as DAG weights"), True
    if not ins:
        return "meta", {}, None, False  # shape arithmetic, constants: run as written
    if op == "call_module":
        return _classify_module(modules[target])
    if op == "call_method":
        return _classify_method(node, ins, tensor)
    return _classify_function(node, ins, tensor)


def _classify_module(m: nn.Module) -> tuple[str, dict, str | None, bool]:
    if isinstance(m, LAYERS):
        if m.weight is None:
            return "layer", {}, "no weight", False
        if getattr(m, "padding_mode", "zeros") != "zeros":
            return "layer", {}, (f"padding_mode={m.padding_mode!r} feeds one input to an output through several "
                                 "kernel taps (a sum of weights on one edge); only zero padding is supported"), False
        return "layer", {}, None, False
    if isinstance(m, BATCHNORMS):
        if m.training or not m.track_running_stats or m.running_mean is None:
            return "bn", {}, ("BatchNorm must be frozen (eval mode, running statistics); in training mode it "
                              "depends on the batch and is not a ReLU-DAG neuron -- call model.eval()"), False
        return "bn", {}, None, False
    if type(m) is nn.ReLU:
        return "relu", {}, None, False
    if isinstance(m, MAXPOOLS + AVGPOOLS):
        kind = "maxpool" if isinstance(m, MAXPOOLS) else "avgpool"
        if isinstance(m, MAXPOOLS) and m.return_indices:
            return kind, {}, "return_indices=True is not supported", False
        return kind, {"module": True}, None, False
    if isinstance(m, ADAPTIVE_AVG + ADAPTIVE_MAX):
        if isinstance(m, ADAPTIVE_MAX) and m.return_indices:
            return "adaptive_max", {}, "return_indices=True is not supported", False
        return ("adaptive_avg" if isinstance(m, ADAPTIVE_AVG) else "adaptive_max"), {"module": True}, None, False
    if isinstance(m, DROPOUTS):
        if m.training:
            return "reindex", {}, "Dropout in training mode is random; call model.eval()", False
        return "reindex", {"identity": True}, None, False
    if isinstance(m, REINDEX_MODULES):
        return "reindex", {}, None, False
    why = next((w for t, w in WHY_MODULE.items() if isinstance(m, t)),
               "not a module path_norm knows how to read as a ReLU DAG")
    return "meta", {}, why, True


def _classify_method(node: fx.Node, ins: list, tensor: set) -> tuple[str, dict, str | None, bool]:
    name = node.target
    self_is_signal = node.args and node.args[0] in tensor
    if name in META_METHODS:
        return "meta", {}, None, False
    if name in REINDEX_METHODS:
        return "reindex", {}, None, False
    if name in ("relu", "relu_"):
        return "relu", {}, None, False
    if name in ("clamp", "clamp_", "clamp_min", "clamp_min_"):
        return _clamp(node, ("self", "min", "max"))
    if name in ("mean", "sum"):
        return "reduce", {"op": name}, None, False
    if name in ADD_METHODS:
        return _add(node, ins, ADD_METHODS[name])
    if name in MUL_METHODS:
        return _scale(node, ins, MUL_METHODS[name])
    if name in ("neg", "neg_"):
        return "scale", {"factor": -1.0}, None, False
    if not self_is_signal:
        return "meta", {}, None, False
    return "meta", {}, WHY_FUNCTION.get(name.rstrip("_"), f"tensor method '{name}' is not a ReLU-DAG operation"), True


def _classify_function(node: fx.Node, ins: list, tensor: set) -> tuple[str, dict, str | None, bool]:
    t = node.target
    if t in RELU_FUNCTIONS:
        return "relu", {}, None, False
    if t in CLAMP_FUNCTIONS:
        return _clamp(node, CLAMP_FUNCTIONS[t])
    if t in POOL_FUNCTIONS:
        kind, dims, names = POOL_FUNCTIONS[t]
        kind = {"max": "maxpool", "avg": "avgpool"}.get(kind, kind)
        bound = _bind(node.args, node.kwargs, names)
        if bound.get("return_indices"):
            return kind, {}, "return_indices=True is not supported", False
        return kind, {"names": names, "dims": dims}, None, False
    if t in REDUCE_FUNCTIONS:
        return "reduce", {"op": REDUCE_FUNCTIONS[t]}, None, False
    if t in CAT_FUNCTIONS or t in REINDEX_FUNCTIONS:
        return "reindex", {}, None, False
    if t in DROPOUT_FUNCTIONS:
        bound = _bind(node.args, node.kwargs, ("input", "p", "training", "inplace"))
        if bound.get("training", True):
            return "reindex", {}, ("dropout in training mode is random (pass training=self.training and call "
                                   "model.eval())"), False
        return "reindex", {"identity": True}, None, False
    if t is operator.getitem:
        return ("reindex", {}, None, False) if node.args[0] in tensor else ("meta", {}, None, False)
    if t is getattr:
        if node.args[1] in META_ATTRIBUTES:
            return "meta", {}, None, False
        return "meta", {}, f"reads attribute '{node.args[1]}' of a signal", True
    if t in ADD_FUNCTIONS:
        return _add(node, ins, ADD_FUNCTIONS[t])
    if t in MUL_FUNCTIONS:
        return _scale(node, ins, MUL_FUNCTIONS[t])
    if t in (operator.neg, torch.neg):
        return "scale", {"factor": -1.0}, None, False
    name = _fn_name(t)
    return "meta", {}, WHY_FUNCTION.get(name.rstrip("_"), f"'{name}' is not a ReLU-DAG operation"), True


def _bind(args: tuple, kwargs: dict, names: tuple[str, ...]) -> dict:
    """Positional and keyword arguments of a call as one dict by parameter name (defaults left out)."""
    out = dict(zip(names, args))
    out.update(kwargs)
    return out


def _clamp(node: fx.Node, names: tuple[str, ...]) -> tuple[str, dict, str | None, bool]:
    b = _bind(node.args, node.kwargs, names)
    lo, hi = b.get("min"), b.get("max")
    if hi is None and _is_number(lo) and lo == 0:
        return "relu", {}, None, False  # clamp(min=0) is ReLU
    return "meta", {}, "clamp other than clamp(min=0) clips the signal: not a ReLU-DAG neuron", True


def _add(node: fx.Node, ins: list, sign: int) -> tuple[str, dict, str | None, bool]:
    b = _bind(node.args, node.kwargs, ("input", "other", "alpha"))
    if b.get("alpha", 1) != 1:
        return "add", {}, "add/sub with alpha != 1 is not supported (scale one operand instead)", True
    if len(ins) == 2:
        return "add", {"sign": sign}, None, False
    if len(ins) == 1 and b.get("input") is ins[0] and "other" in b:
        return "shift", {"sign": sign, "signal": "input"}, None, False   # x + c, x - c
    if len(ins) == 1 and b.get("other") is ins[0]:
        return "shift", {"sign": sign, "signal": "other"}, None, False   # c + x, c - x
    return "add", {}, "adds signals in a way that cannot be read (nested in a container argument)", True


def _scale(node: fx.Node, ins: list, divide: bool) -> tuple[str, dict, str | None, bool]:
    if len(ins) != 1:
        return "scale", {}, "multiplies or divides two signals (gating, attention): not a ReLU DAG", True
    b = _bind(node.args, node.kwargs, ("input", "other"))
    if divide and b.get("other") is ins[0]:
        return "scale", {}, "divides by a signal: not a ReLU DAG", True
    const = "other" if b.get("input") is ins[0] else "input"
    return "scale", {"const": const, "divide": divide}, None, False
