"""Deep locally connected ReLU nets over receptive-field hierarchies (Tian's students), with per-node traces.

A :class:`TreeNet` stacks :class:`~relulab.nets.local.LocallyConnected1d` layers, a ReLU after each but the last
(the top is linear: its gate is 1), and optionally a per-node Batch Norm with ``eps = 0`` after each linear map.
:meth:`TreeNet.trace` returns, per layer, the pre-activations, gates, activations and the per-sample *negative*
gradient g of the squared loss with respect to the pre-activation (Tian's "gradient after the gate").
"""

from __future__ import annotations

import numbers

import torch
from torch import nn

from .local import LocallyConnected1d


class NodeBatchNorm(nn.Module):
    """Batch Norm without affine parameters, each node (channel, position) normalised over the batch, biased variance.

    ``eps = 0`` by default: the setting in which Tian's Theorem 5 (backward = projection) is exact.
    """

    def __init__(self, eps: float = 0.0) -> None:
        super().__init__()
        if not eps >= 0:
            raise ValueError(f"eps must be >= 0, got {eps}")
        self.eps = float(eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalise every node over dimension 0."""
        if x.shape[0] < 2:
            raise ValueError(f"batch norm needs a batch of at least 2 samples, got {x.shape[0]}")
        mu = x.mean(0, keepdim=True)
        var = ((x - mu) ** 2).mean(0, keepdim=True)
        return (x - mu) / torch.sqrt(var + self.eps)


class Dense1d(nn.Module):
    """A fully connected layer with the interface of LocallyConnected1d: every output position sees every input.

    Used as the negative control of Theorem 1 (a node's gate then depends on inputs outside its nominal field).
    """

    def __init__(self, in_channels: int, out_channels: int, in_length: int, out_length: int, *, seed: int | None = None) -> None:
        super().__init__()
        for name, v in dict(in_channels=in_channels, out_channels=out_channels, in_length=in_length, out_length=out_length).items():
            if isinstance(v, bool) or not isinstance(v, int):
                raise TypeError(f"{name} must be an int, got {type(v).__name__}")
            if v <= 0:
                raise ValueError(f"{name} must be positive, got {v}")
        from .fc import check_parameter_budget

        check_parameter_budget(out_length * out_channels * in_channels * in_length, "Dense1d")
        self.in_channels, self.out_channels, self.in_length, self.out_length = in_channels, out_channels, in_length, out_length
        self.kernel_size, self.stride = in_length, 0
        gen = torch.Generator().manual_seed(seed) if seed is not None else None
        fan_in = in_channels * in_length
        self.weight = nn.Parameter(torch.randn(out_length, out_channels, fan_in, generator=gen) * (2.0 / fan_in) ** 0.5)
        self.bias = None

    def receptive_field(self, t: int) -> range:
        """All input positions."""
        if isinstance(t, bool) or not isinstance(t, int) or not 0 <= t < self.out_length:
            raise ValueError(f"t must be an output position, an int in [0, {self.out_length}), got {t!r}")
        return range(self.in_length)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """out[n, o, t] = sum over (c, s) of weight[t, o, c*L+s] x[n, c, s]."""
        if not isinstance(x, torch.Tensor) or not x.is_floating_point():
            raise TypeError(f"x must be a floating-point torch.Tensor, got {type(x).__name__}")
        if x.dim() != 3 or x.shape[1] != self.in_channels or x.shape[2] != self.in_length:
            raise ValueError(f"x must have shape (N, {self.in_channels}, {self.in_length}), got {tuple(x.shape)}")
        return torch.einsum("nf,tof->not", x.reshape(x.shape[0], -1), self.weight)


class TreeNet(nn.Module):
    """A deep locally connected ReLU net: layer l maps (N, widths[l-1], L_{l-1}) to (N, widths[l], L_l).

    ``kernel_sizes[l]`` and ``strides[l]`` set the windows (stride = kernel size: disjoint fields, smaller: overlap).
    No biases by default (Tian's setting).  ``batch_norm=True`` puts a :class:`NodeBatchNorm` after every hidden linear
    map (and after the top one if ``bn_top``).
    """

    def __init__(
        self,
        in_channels: int,
        in_length: int,
        widths: list[int],
        kernel_sizes: list[int],
        strides: list[int] | None = None,
        *,
        bias: bool = False,
        batch_norm: bool = False,
        bn_top: bool = False,
        eps: float = 0.0,
        seed: int | None = None,
    ) -> None:
        super().__init__()
        strides = list(kernel_sizes) if strides is None else list(strides)
        if not (len(widths) == len(kernel_sizes) == len(strides)) or len(widths) == 0:
            raise ValueError(
                f"widths, kernel_sizes and strides must have the same non-zero length, got {len(widths)}, "
                f"{len(kernel_sizes)}, {len(strides)}"
            )
        self.layers = nn.ModuleList()
        c, length = in_channels, in_length
        for l, (w, k, s) in enumerate(zip(widths, kernel_sizes, strides)):
            layer = LocallyConnected1d(c, w, length, k, s, bias=bias, seed=None if seed is None else seed + 7919 * l)
            self.layers.append(layer)
            c, length = w, layer.out_length
        self.batch_norm = batch_norm
        self.bns = nn.ModuleList(
            [NodeBatchNorm(eps) if (batch_norm and (l < len(widths) - 1 or bn_top)) else nn.Identity() for l in range(len(widths))]
        )

    def densify(self, index: int, *, seed: int | None = None) -> "TreeNet":
        """Replace layer `index` by a fully connected :class:`Dense1d` of the same shape (in place); returns self."""
        if not 0 <= index < len(self.layers):
            raise ValueError(f"index must be in [0, {len(self.layers)}), got {index}")
        old = self.layers[index]
        self.layers[index] = Dense1d(old.in_channels, old.out_channels, old.in_length, old.out_length, seed=seed)
        return self

    def receptive_fields(self) -> list[list[frozenset[int]]]:
        """For each layer, the set of input positions each output position depends on."""
        fields: list[list[frozenset[int]]] = []
        below = [frozenset([i]) for i in range(self.layers[0].in_length)]
        for layer in self.layers:
            cur = [frozenset().union(*(below[s] for s in layer.receptive_field(t))) for t in range(layer.out_length)]
            fields.append(cur)
            below = cur
        return fields

    def edge_weight(self, layer: int, t: int, s: int) -> torch.Tensor:
        """W_{beta alpha}: (n_child, n_parent) weights from child position s of layer-1 into parent position t."""
        if isinstance(layer, bool) or not isinstance(layer, numbers.Integral) or not 0 <= layer < len(self.layers):
            raise ValueError(f"layer must be an int in [0, {len(self.layers)}), got {layer!r}")
        lay = self.layers[layer]
        window = list(lay.receptive_field(t))
        if s not in window:
            raise ValueError(f"position {s} is not in the window of output {t} of layer {layer}")
        i = window.index(s)
        k = len(window)
        # LocallyConnected1d flattens a window as channel-major: feature index = c * k + i
        return lay.weight[t][:, i::k].T

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The output (N, widths[-1], L_top): ReLU after every layer but the last."""
        return self._run(x)[-1]["post"]

    def _run(self, x: torch.Tensor) -> list[dict[str, torch.Tensor]]:
        n_layers = len(self.layers)
        out: list[dict[str, torch.Tensor]] = []
        h = x
        for l, (layer, bn) in enumerate(zip(self.layers, self.bns)):
            lin = layer(h)
            raw = bn(lin)
            top = l == n_layers - 1
            gate = torch.ones_like(raw) if top else (raw > 0).to(raw.dtype)
            h = raw if top else raw * gate
            out.append({"lin": lin, "raw": raw, "gate": gate.detach(), "post": h})
        return out

    def trace(self, x: torch.Tensor, target: torch.Tensor | None, weights: torch.Tensor | None = None) -> list[dict[str, torch.Tensor]]:
        """Per layer: ``raw`` (pre-activation after BN), ``gate``, ``post``; with a target also ``g``.

        ``g = -d loss / d raw`` for ``loss = sum_n w_n * 0.5 * ||target_n - out_n||^2`` (w_n = 1 when `weights` is None,
        which gives the per-sample gradient when there is no Batch Norm).  ``lin`` is the linear map's output (before BN)
        and ``g_lin`` its negative gradient.
        """
        n_layers = len(self.layers)
        out = self._run(x)
        h = out[-1]["post"]
        if target is None:
            return [{k: v.detach() for k, v in d.items()} for d in out]
        if target.shape != h.shape:
            raise ValueError(f"target must have the output's shape {tuple(h.shape)}, got {tuple(target.shape)}")
        if weights is not None and (not isinstance(weights, torch.Tensor) or weights.shape != (h.shape[0],)):
            raise ValueError(f"weights must be a tensor of shape ({h.shape[0]},), one per sample, got "
                             f"{tuple(weights.shape) if isinstance(weights, torch.Tensor) else type(weights).__name__}")
        w = torch.ones(h.shape[0]) if weights is None else weights
        loss = (w.reshape(-1, 1, 1) * 0.5 * (target - h) ** 2).sum()
        grads = torch.autograd.grad(loss, [d["raw"] for d in out] + [d["lin"] for d in out])
        for l, d in enumerate(out):
            d["g"], d["g_lin"] = -grads[l], -grads[n_layers + l]
        return [{k: v.detach() for k, v in d.items()} for d in out]
