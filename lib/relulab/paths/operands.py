"""Reading the operands of a classified step at run time, for the two executors of a :class:`~relulab.paths.graph.Plan`.

The |theta| pass (:mod:`relulab.paths.abs_pass`) and the explicit enumeration (:mod:`relulab.paths.dag`) run the
same steps with different arithmetic; both need a step's inputs and constants as the traced ``forward`` passed them
(positional or keyword), and both must refuse the same things at run time (a broadcast add, a reduction or a
concatenation over the batch, a constant that is a tensor of weights).  That shared reading lives here.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import fx, nn

from .. import check
from .graph import CAT_FUNCTIONS, Step
from .graph import _bind as bind

__all__: list[str] = []  # the executors' helpers, not a public API


def check_number(value: Any, where: str) -> float:
    """A constant shift/scale must be a finite real number at run time (not a tensor of weights)."""
    if isinstance(value, torch.Tensor):  # one entry that is no weight counts (check.real would take a 0-d weight)
        if value.numel() != 1 or value.requires_grad:
            raise TypeError(f"{where}: the constant must be a real number, got a tensor of shape {tuple(value.shape)}")
        value = value.item()
    return check.real(f"{where}: the constant", value)


def resolve(args: Any, env: dict) -> Any:
    """Replace fx nodes by their values in env."""
    return fx.node.map_arg(args, lambda n: env[n])


def run_meta(node: fx.Node, env: dict) -> Any:
    """Run a node as written (shape arithmetic, re-indexing) on the values in env."""
    args, kwargs = resolve(node.args, env), resolve(node.kwargs, env)
    if node.op == "call_method":
        self_, *rest = args
        return getattr(self_, node.target)(*rest, **kwargs)
    if node.op == "call_module":
        raise AssertionError("modules are never run as meta")
    return node.target(*args, **kwargs)


def pool_spec(step: Step, env: dict) -> tuple[torch.Tensor, dict]:
    """The input of a pooling step and its parameters by name (kernel_size, stride, padding, ...), module or call."""
    node = step.node
    if step.module is not None:
        m = step.module
        x = env[node.args[0]]
        names = ("kernel_size", "stride", "padding", "dilation", "ceil_mode", "count_include_pad",
                 "divisor_override", "output_size")
        spec = {k: getattr(m, k) for k in names if hasattr(m, k)}
        spec["dims"] = 1 if isinstance(m, (nn.MaxPool1d, nn.AvgPool1d, nn.AdaptiveAvgPool1d,
                                           nn.AdaptiveMaxPool1d)) else 2
        return x, spec
    b = bind(resolve(node.args, env), resolve(node.kwargs, env), step.info["names"])
    x = b.pop("input")
    b.pop("return_indices", None)
    b["dims"] = step.info["dims"]
    return x, b


def reduce_dims(step: Step, env: dict) -> tuple[torch.Tensor, tuple[int, ...], bool]:
    """Input, normalised dims and keepdim of a mean/sum step; refuses reductions over the batch dimension."""
    node = step.node
    names = ("input", "dim", "keepdim")
    b = bind(resolve(node.args, env), resolve(node.kwargs, env), names)
    if "dtype" in b and b["dtype"] is not None:
        raise TypeError(f"{step.where}: dtype= in a reduction is not supported")
    x = b["input"]
    dim = b.get("dim")
    if dim is None:
        raise ValueError(f"{step.where}: {step.info['op']} over every dimension mixes the batch; "
                         "give the dims (e.g. x.mean((2, 3)))")
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    dims = tuple(d % x.dim() for d in dims)
    if 0 in dims:
        raise ValueError(f"{step.where}: {step.info['op']} over the batch dimension (dim 0) mixes samples; "
                         "not a per-input ReLU DAG")
    return x, dims, bool(b.get("keepdim", False))


def check_cat(step: Step, env: dict) -> None:
    """A concatenation must not be along the batch dimension."""
    node = step.node
    if node.target not in CAT_FUNCTIONS:
        return
    b = bind(resolve(node.args, env), resolve(node.kwargs, env), ("tensors", "dim"))
    ts = b["tensors"]
    if b.get("dim", 0) % ts[0].dim() == 0:
        raise ValueError(f"{step.where}: concatenation along the batch dimension (dim 0) mixes samples")


def add_operands(step: Step, env: dict) -> tuple[torch.Tensor, torch.Tensor]:
    """The two signals of an add step, refusing broadcasting (a broadcast add would copy neurons silently)."""
    b = bind(resolve(step.node.args, env), resolve(step.node.kwargs, env), ("input", "other", "alpha"))
    a, c = b["input"], b["other"]
    if a.shape != c.shape:
        raise ValueError(f"{step.where}: adds signals of shapes {tuple(a.shape)} and {tuple(c.shape)} "
                         "(broadcasting); a residual add needs equal shapes")
    return a, c


def shift_operands(step: Step, env: dict) -> tuple[torch.Tensor, float, float]:
    """(x, w, c) of a shift step, which computes w * x + c with w = +-1 (x + c, x - c, c + x, c - x)."""
    b = bind(resolve(step.node.args, env), resolve(step.node.kwargs, env), ("input", "other", "alpha"))
    sign = step.info["sign"]
    if step.info["signal"] == "input":
        return b["input"], 1.0, sign * check_number(b["other"], step.where)
    return b["other"], float(sign), check_number(b["input"], step.where)


def scale_operands(step: Step, env: dict) -> tuple[torch.Tensor, float]:
    """The signal and the factor of a scale step (x * c, c * x, x / c, -x)."""
    if "factor" in step.info:
        return env[step.node.args[0]], step.info["factor"]
    b = bind(resolve(step.node.args, env), resolve(step.node.kwargs, env), ("input", "other"))
    const = check_number(b[step.info["const"]], step.where)
    x = b["other" if step.info["const"] == "input" else "input"]
    if step.info["divide"]:
        if const == 0:
            raise ValueError(f"{step.where}: division by zero")
        const = 1.0 / const
    return x, const


def output_tensors(step: Step, env: dict) -> list[torch.Tensor]:
    """The tensors the model returns (one tensor, or every tensor in a tuple/list/dict)."""
    out: list[torch.Tensor] = []

    def visit(v: Any) -> None:
        if isinstance(v, torch.Tensor):
            out.append(v)
        elif isinstance(v, (list, tuple)):
            for u in v:
                visit(u)
        elif isinstance(v, dict):
            for u in v.values():
                visit(u)

    visit(resolve(step.node.args[0], env))
    return out
