"""Deep locally connected ReLU nets over receptive-field hierarchies (Tian's students), with per-node traces.

A :class:`TreeNet` stacks :class:`~relulab.nets.local.LocallyConnected1d` layers, a ReLU after each but the last
(the top is linear: its gate is 1), and optionally a per-node Batch Norm with ``eps = 0`` after each linear map.
:meth:`TreeNet.trace` returns, per layer, the pre-activations, gates, activations and the per-sample *negative*
gradient g of the squared loss with respect to the pre-activation (Tian's "gradient after the gate").
"""

from __future__ import annotations

import torch
from torch import nn

from .. import check
from .local import LocallyConnected1d

__all__ = ["Dense1d", "NodeBatchNorm", "TreeNet"]


class NodeBatchNorm(nn.Module):
    """Batch Norm without affine parameters, each node (channel, position) normalised over the batch.

    Biased variance and ``eps = 0`` by default: the setting in which Tian's Theorem 5 (backward = projection) is
    exact.  With sample ``weights`` (fixed, one per row of the batch) the mean and variance are weighted: the batch
    is then a whole population, each input counted with its probability.
    """

    def __init__(self, eps: float = 0.0, weights: torch.Tensor | None = None) -> None:
        super().__init__()
        self.eps = check.real("eps", eps, low=0.0)
        if weights is not None:
            weights = check.tensor("weights", weights, ndim=1)
            if (weights < 0).any() or weights.sum() <= 0:
                raise ValueError("weights must be non-negative and not all zero")
            weights = weights / weights.sum()
        self.weights = weights

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalise every node over dimension 0 (under the weights, if any)."""
        x = check.tensor("x", x, finite=False)
        if x.dim() == 0 or x.shape[0] < 2:
            raise ValueError(f"batch norm needs a batch of at least 2 samples, got shape {tuple(x.shape)}")
        if self.weights is None:
            mu = x.mean(0, keepdim=True)
            var = ((x - mu) ** 2).mean(0, keepdim=True)
        else:
            if self.weights.shape[0] != x.shape[0]:
                raise ValueError(f"x has {x.shape[0]} rows but the batch norm holds {self.weights.shape[0]} weights")
            w = self.weights.to(x.dtype).reshape((-1,) + (1,) * (x.dim() - 1))
            mu = (w * x).sum(0, keepdim=True)
            var = (w * (x - mu) ** 2).sum(0, keepdim=True)
        return (x - mu) / torch.sqrt(var + self.eps)


class Dense1d(nn.Module):
    """A fully connected layer with the interface of LocallyConnected1d: every output position sees every input.

    Used as the negative control of Theorem 1 (a node's gate then depends on inputs outside its nominal field).
    """

    def __init__(self, in_channels: int, out_channels: int, in_length: int, out_length: int, *, seed: int | None = None) -> None:
        super().__init__()
        sizes = dict(in_channels=in_channels, out_channels=out_channels, in_length=in_length, out_length=out_length)
        sizes = {k: check.integer(k, v, low=1) for k, v in sizes.items()}
        self.in_channels, self.out_channels = sizes["in_channels"], sizes["out_channels"]
        self.in_length, self.out_length = sizes["in_length"], sizes["out_length"]
        fan_in = self.in_channels * self.in_length
        check.parameter_count("Dense1d", self.out_length * self.out_channels * fan_in)
        self.kernel_size, self.stride = self.in_length, 0
        gen = torch.Generator().manual_seed(check.seed(seed)) if seed is not None else None
        self.weight = nn.Parameter(torch.randn(self.out_length, self.out_channels, fan_in, generator=gen) * (2.0 / fan_in) ** 0.5)
        self.bias = None

    def receptive_field(self, t: int) -> range:
        """All input positions."""
        check.integer("t (an output position)", t, low=0, high=self.out_length - 1)
        return range(self.in_length)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """out[n, o, t] = sum over (c, s) of weight[t, o, c*L+s] x[n, c, s]."""
        x = check.tensor("x", x, shape=(None, self.in_channels, self.in_length), finite=False)
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
        widths, kernel_sizes = check.integers("widths", widths), check.integers("kernel_sizes", kernel_sizes)
        strides = list(kernel_sizes) if strides is None else check.integers("strides", strides)
        if not (len(widths) == len(kernel_sizes) == len(strides)):
            raise ValueError(
                f"widths, kernel_sizes and strides must have the same non-zero length, got {len(widths)}, "
                f"{len(kernel_sizes)}, {len(strides)}"
            )
        seed = None if seed is None else check.seed(seed)
        self.layers = nn.ModuleList()
        c, length = in_channels, in_length
        for l, (w, k, s) in enumerate(zip(widths, kernel_sizes, strides)):
            layer = LocallyConnected1d(c, w, length, k, s, bias=bias, seed=None if seed is None else seed + 7919 * l)
            self.layers.append(layer)
            c, length = w, layer.out_length
        self.batch_norm = batch_norm
        norm = [batch_norm and (l < len(widths) - 1 or bn_top) for l in range(len(widths))]
        self.bns = nn.ModuleList([NodeBatchNorm(eps) if on else nn.Identity() for on in norm])

    def densify(self, index: int, *, seed: int | None = None) -> "TreeNet":
        """Replace layer `index` by a fully connected :class:`Dense1d` of the same shape (in place); returns self."""
        index = check.integer("index", index, low=0, high=len(self.layers) - 1)
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
        layer = check.integer("layer", layer, low=0, high=len(self.layers) - 1)
        lay = self.layers[layer]
        window = list(lay.receptive_field(t))
        if s not in window:
            raise ValueError(f"position {s} is not in the window of output {t} of layer {layer}")
        # the weights flatten a window channel-major: feature index = c * k + i
        return lay.weight[t][:, window.index(s) :: len(window)].T

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The output (N, widths[-1], L_top): ReLU after every layer but the last."""
        return self._run(x)[-1]["post"]

    def _run(self, x: torch.Tensor) -> list[dict[str, torch.Tensor]]:
        out: list[dict[str, torch.Tensor]] = []
        h = x
        for l, (layer, bn) in enumerate(zip(self.layers, self.bns)):
            lin = layer(h)
            raw = bn(lin)
            top = l == len(self.layers) - 1
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
        out = self._run(x)
        h = out[-1]["post"]
        if target is None:
            return [{k: v.detach() for k, v in d.items()} for d in out]
        target = check.tensor("target", target, shape=tuple(h.shape))
        w = torch.ones(h.shape[0]) if weights is None else check.tensor("weights", weights, shape=(h.shape[0],))
        loss = (w.reshape(-1, 1, 1) * 0.5 * (target - h) ** 2).sum()
        grads = torch.autograd.grad(loss, [d["raw"] for d in out] + [d["lin"] for d in out])
        n_layers = len(out)
        for l, d in enumerate(out):
            d["g"], d["g_lin"] = -grads[l], -grads[n_layers + l]
        return [{k: v.detach() for k, v in d.items()} for d in out]
