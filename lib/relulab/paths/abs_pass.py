"""The |theta| forward pass: the sum of |Phi_p(theta)|^q over paths, by one forward pass of a modified net.

Gonon et al. (toolkit paper, Thm A.1 there): replace every weight and bias by |.|^q, every max-pool by a sum over
its window, every average (pool, adaptive pool, mean) of K inputs by a sum with weights (1/K)^q, frozen BatchNorm
by its folded affine map a*x + c with |a|^q, |c|^q, constant shifts and scales by |c|^q, and feed an all-ones input.
Every value is then >= 0, the ReLUs act as the identity and output o holds the sum over the paths ending at o of
|Phi_p|^q.  This module runs that pass over a :class:`relulab.paths.graph.Plan`; the model is only read.

Speed: the ReLUs are skipped (identity on non-negative values), a BatchNorm that only reads a convolution is folded
into it (|a||W|, |a||b| + |c|: the same path sums, one pass less), and max-pools are window sums computed by
``avg_pool`` with ``divisor_override=1`` (windows, padding and ceil mode exactly those of the max-pool).
"""

from __future__ import annotations

import math

import torch
from torch import fx, nn
import torch.nn.functional as F

from . import graph as G
from . import operands as O
from . import tiles as T

__all__: list[str] = []  # internal: used by the modules of this package, not a public API

Params = dict[str, tuple[torch.Tensor, torch.Tensor | None]]


def _bn_fold(m: nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
    """Frozen BN as y = a*x + c per channel: a = gamma/sqrt(var+eps), c = beta - mean*a (float64, detached)."""
    a = 1.0 / torch.sqrt(m.running_var.detach().double() + m.eps)
    if m.weight is not None:
        a = a * m.weight.detach().double()
    c = -m.running_mean.detach().double() * a
    if m.bias is not None:
        c = c + m.bias.detach().double()
    return a, c


def _powq(t: torch.Tensor, q: float) -> torch.Tensor:
    t = t.detach().abs().to(torch.float64)  # abs allocates: the model's tensors are never written
    return t if q == 1 else t.pow_(q)


def _abs_params(plan: G.Plan, q: float, *, grad_weights: bool = False) -> Params:
    """|weight|^q and |bias|^q of every layer, |a|^q and |c|^q of every frozen BN, by module name (float64)."""
    out: Params = {}
    for name, m in plan.layers.items():
        if isinstance(m, G.BATCHNORMS):
            a, c = _bn_fold(m)
            out[name] = (_powq(a, q), _powq(c, q))
        else:
            w = _powq(m.weight, q)
            if grad_weights and m.weight.requires_grad:
                w.requires_grad_(True)
            out[name] = (w, None if m.bias is None else _powq(m.bias, q))
    return out


def _signed_params(plan: G.Plan) -> Params:
    """The signed DAG parameters (weight, bias; BN's folded a, c) by module name, float64."""
    out: Params = {}
    for name, m in plan.layers.items():
        if isinstance(m, G.BATCHNORMS):
            out[name] = _bn_fold(m)
        else:
            out[name] = (m.weight.detach().double(), None if m.bias is None else m.bias.detach().double())
    return out


def _fusable(plan: G.Plan) -> dict[fx.Node, fx.Node]:
    """BN node -> the convolution node it alone reads (so folding |a| into the conv changes no other path)."""
    fused = {}
    for s in plan.steps:
        if s.kind != "bn" or not s.node.args:
            continue
        src = s.node.args[0]
        if isinstance(src, fx.Node) and src.op == "call_module" and len(src.users) == 1 and \
                isinstance(plan.layers.get(str(src.target)), (nn.Conv1d, nn.Conv2d)):
            fused[s.node] = src
    return fused


def _apply_layer(m: nn.Module, x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None) -> torch.Tensor:
    """The layer's own linear map (its stride, padding, groups, ...) with weight w and bias b."""
    if isinstance(m, nn.Linear):
        return F.linear(x, w, b)
    if isinstance(m, nn.Conv1d):
        return F.conv1d(x, w, b, m.stride, m.padding, m.dilation, m.groups)
    if isinstance(m, nn.Conv2d):
        return F.conv2d(x, w, b, m.stride, m.padding, m.dilation, m.groups)
    conv = F.conv_transpose1d if isinstance(m, nn.ConvTranspose1d) else F.conv_transpose2d
    return conv(x, w, b, m.stride, m.padding, m.output_padding, m.groups, m.dilation)


def _as2d(x: torch.Tensor, spec: dict, keys: tuple[str, ...]) -> tuple[torch.Tensor, dict]:
    """A 1-D pooling input (N, C, L) and its spec as 2-D ones (N, C, 1, L) with (1, k) windows."""
    out = {}
    for k in keys:
        v = spec.get(k, 0 if k == "padding" else None)
        if v is None:
            out[k] = None
        else:
            v = v[0] if isinstance(v, (tuple, list)) else v
            out[k] = (0 if k == "padding" else 1, v)
    return x.unsqueeze(-2), out


def _pool_args(x: torch.Tensor, spec: dict, keys: tuple[str, ...]) -> tuple[torch.Tensor, dict, bool]:
    if spec["dims"] == 1:
        x4, kw = _as2d(x, spec, keys)
        return x4, kw, True
    return x, {k: spec.get(k, 0 if k == "padding" else None) for k in keys}, False


def _window_sum(x: torch.Tensor, spec: dict, where: str) -> torch.Tensor:
    """Sum over each max-pool window (zero padding: padded positions are not neurons)."""
    dil = spec.get("dilation", 1)
    dil = tuple(dil) if isinstance(dil, (tuple, list)) else (dil,)
    x4, kw, one_d = _pool_args(x, spec, ("kernel_size", "stride", "padding"))
    if any(d != 1 for d in dil):
        if spec.get("ceil_mode"):
            raise ValueError(f"{where}: a dilated max-pool with ceil_mode=True is not supported")
        c = x4.shape[1]
        k = kw["kernel_size"]
        k = (k, k) if isinstance(k, int) else tuple(k)
        d = (1, dil[0]) if one_d else (dil * 2 if len(dil) == 1 else dil)
        ones = torch.ones((c, 1, *k), dtype=x4.dtype, device=x4.device)
        out = F.conv2d(x4, ones, None, kw["stride"] or k, kw["padding"], d, c)
    else:
        out = F.avg_pool2d(x4, kw["kernel_size"], kw["stride"], kw["padding"], bool(spec.get("ceil_mode")), True, 1)
    return out.squeeze(-2) if one_d else out


def _average(x: torch.Tensor, spec: dict, q: float) -> torch.Tensor:
    """An average pool with each weight 1/d raised to q: avg_pool(x) * d^(1-q), d the divisor of each output."""
    keys = ("kernel_size", "stride", "padding")
    x4, kw, one_d = _pool_args(x, spec, keys)
    ceil, cip, div = bool(spec.get("ceil_mode")), spec.get("count_include_pad", True), spec.get("divisor_override")
    out = F.avg_pool2d(x4, kw["kernel_size"], kw["stride"], kw["padding"], ceil, cip, div)
    if q != 1:
        ones = torch.ones_like(x4[:1, :1])
        n = F.avg_pool2d(ones, kw["kernel_size"], kw["stride"], kw["padding"], ceil, cip, 1)  # inputs per window
        d = n / F.avg_pool2d(ones, kw["kernel_size"], kw["stride"], kw["padding"], ceil, cip, div)
        out = out * d ** (1 - q)
    return out.squeeze(-2) if one_d else out


def _adaptive_lengths(size: int, out: int) -> list[int]:
    """Window lengths of adaptive pooling from `size` to `out` positions (torch: [floor(iL/o), ceil((i+1)L/o)))."""
    return [-((-(i + 1) * size) // out) - (i * size) // out for i in range(out)]


def _adaptive(x: torch.Tensor, spec: dict, q: float, as_sum: bool) -> torch.Tensor:
    """Adaptive average pool with weights (1/len)^q, or with weights 1 (adaptive max-pool as a window sum)."""
    dims = spec["dims"]
    size = spec["output_size"]
    size = (size,) * dims if isinstance(size, int) or size is None else tuple(size)
    size = tuple(x.shape[-dims + i] if o is None else o for i, o in enumerate(size))
    pool = F.adaptive_avg_pool1d if dims == 1 else F.adaptive_avg_pool2d
    out = pool(x, size)
    power = 1.0 if as_sum else 1 - q
    if power != 0:
        lens = [torch.tensor(_adaptive_lengths(x.shape[-dims + i], o), dtype=x.dtype, device=x.device)
                for i, o in enumerate(size)]
        d = lens[0] if dims == 1 else lens[0][:, None] * lens[1][None, :]
        out = out * d**power
    return out


def _first_input(step: G.Step, env: dict):
    """The value of the first argument of a step (its signal)."""
    node = step.node
    if node.args:
        return O.resolve(node.args[0], env)
    return O.resolve(next(iter(node.kwargs.values())), env)


def _full_env(node: fx.Node, env: dict) -> dict:
    """env with the node's tiled inputs replaced by full tensors (for operations that need the whole map)."""
    local = dict(env)
    for n in node.all_input_nodes:
        if isinstance(env.get(n), T._Tiled):
            local[n] = T._full(env[n])
    return local


def _per_channel(x, a: torch.Tensor, c: torch.Tensor | None):
    """a*x (+ c) per channel (dim 1), on a tiled or full map."""
    data = x.data if isinstance(x, T._Tiled) else x
    view = (1, -1) + (1,) * (data.dim() - 2)
    out = data * a.view(view) if c is None else data * a.view(view) + c.view(view)
    return x.with_data(out) if isinstance(x, T._Tiled) else out


def _times(x, f: float):
    return x.with_data(x.data * f) if isinstance(x, T._Tiled) else x * f


def _layer(s: G.Step, x, w: torch.Tensor, b: torch.Tensor | None):
    m = s.module
    if isinstance(x, T._Tiled) and isinstance(m, (nn.Conv1d, nn.Conv2d)) and len(x.maps) == w.dim() - 2:
        r = T._conv(x, w, b, m.stride, m.padding, m.dilation, m.groups)
        if r is not None:
            return r
    return _apply_layer(m, T._full(x), w, b)


def _run(plan: G.Plan, params: Params, input_shape: tuple[int, ...], q: float, *,
        max_pool: str = "sum", tiled: bool = True) -> list[torch.Tensor]:
    """The outputs of the |theta|^q net on one all-ones input (batch of one), given abs parameters by module name.

    ``tiled`` stores maps once per distinct row (:mod:`relulab.paths.tiles`; same values, less work).
    ``max_pool="max"`` keeps max-pools as maxima: the wrong transform, kept as a negative control.
    """
    tiled = tiled and max_pool == "sum"
    fused = _fusable(plan) if max_pool == "sum" else {}
    fused_into = {v: k for k, v in fused.items()}
    device = next((w.device for w, _ in params.values()), torch.device("cpu"))
    env: dict = {}
    for s in plan.steps:
        node, kind = s.node, s.kind
        if kind == "input":
            env[node] = T._ones(input_shape, device) if tiled else \
                torch.ones((1, *input_shape), dtype=torch.float64, device=device)
        elif kind == "layer":
            w, b = params[str(node.target)]
            if node in fused_into:  # fold the BN that alone reads this conv: |a||W|, |a||b| + |c|
                a, c = params[str(fused_into[node].target)]
                w = w * a.view(-1, *([1] * (w.dim() - 1)))
                b = c if b is None else a * b + c
            if node.kwargs or len(node.args) != 1:
                raise ValueError(f"{s.where}: called with extra arguments; not supported")
            env[node] = _layer(s, _first_input(s, env), w, b)
        elif kind == "bn":
            x = _first_input(s, env)
            env[node] = x if node in fused else _per_channel(x, *params[str(node.target)])
        elif kind == "relu":
            env[node] = _first_input(s, env)  # every value is >= 0: ReLU is the identity
        elif kind == "maxpool":
            x, spec = O.pool_spec(s, env)
            r = None
            if isinstance(x, T._Tiled) and len(x.maps) == spec["dims"]:
                r = T._window_sum(x, spec["kernel_size"], spec.get("stride"), spec.get("padding", 0),
                                 spec.get("dilation", 1), bool(spec.get("ceil_mode")))
            if r is None:
                x = T._full(x)
                r = _max_as_max(x, spec) if max_pool == "max" else _window_sum(x, spec, s.where)
            env[node] = r
        elif kind == "avgpool":
            x, spec = O.pool_spec(s, env)
            r = T._average(x, spec, q) if isinstance(x, T._Tiled) and len(x.maps) == spec["dims"] else None
            env[node] = r if r is not None else _average(T._full(x), spec, q)
        elif kind in ("adaptive_avg", "adaptive_max"):
            x, spec = O.pool_spec(s, _full_env(node, env))
            if kind == "adaptive_max" and max_pool == "max":
                pool = F.adaptive_max_pool1d if spec["dims"] == 1 else F.adaptive_max_pool2d
                env[node] = pool(x, spec["output_size"])
            else:
                env[node] = _adaptive(x, spec, q, as_sum=kind == "adaptive_max")
        elif kind == "reduce":
            x, dims, keep = O.reduce_dims(s, env)
            n = math.prod(x.shape[d] for d in dims)
            y = T._spatial_sum(x, dims, keep) if isinstance(x, T._Tiled) else x.sum(dims, keepdim=keep)
            env[node] = y if s.info["op"] == "sum" else _times(y, (1.0 / n) ** q)
        elif kind == "add":
            a, c = O.add_operands(s, env)
            env[node] = T._add(a, c)
        elif kind == "shift":
            x, _, c = O.shift_operands(s, env)
            env[node] = x.with_data(x.data + abs(c) ** q) if isinstance(x, T._Tiled) else x + abs(c) ** q
        elif kind == "scale":
            x, c = O.scale_operands(s, env)
            env[node] = _times(x, abs(c) ** q)
        elif kind == "reindex":
            O.check_cat(s, env)
            x = _first_input(s, env)
            if s.info.get("identity"):
                env[node] = x
            elif node.target in G.CAT_FUNCTIONS and _cat_dim(s, env) == 1:
                env[node] = T._cat_channels(O.resolve(node.args[0], env))
            else:
                local = _full_env(node, env)
                env[node] = s.module(local[node.args[0]]) if s.module is not None else O.run_meta(node, local)
        elif kind == "meta":
            env[node] = O.run_meta(node, env if node.op == "call_method" and node.target in G.META_METHODS
                                   else _full_env(node, env))
        elif kind == "output":
            return [T._full(t) for t in O.output_tensors(s, _full_env(node, env))]
    raise AssertionError("a traced graph ends with its output node")


def _cat_dim(step: G.Step, env: dict) -> int:
    b = O.bind(O.resolve(step.node.args, env), O.resolve(step.node.kwargs, env), ("tensors", "dim"))
    return b.get("dim", 0) % b["tensors"][0].dim()


def _max_as_max(x: torch.Tensor, spec: dict) -> torch.Tensor:
    kw = {k: spec[k] for k in ("kernel_size", "stride", "padding", "dilation", "ceil_mode") if k in spec}
    return (F.max_pool1d if spec["dims"] == 1 else F.max_pool2d)(x, **kw)
