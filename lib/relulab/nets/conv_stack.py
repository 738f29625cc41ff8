"""Many small conv nets trained side by side: grouped convolutions, one optimiser, early stopping per member.

A 2-core CPU spends most of the time of a tiny conv net on per-call overhead, not arithmetic.  `ConvStack`
holds M nets of one architecture (``ConvNet`` ReLU nets and ``GatedConvNet`` gated nets) as one module:
member m's conv layers are group m of grouped convolutions and its dense layers slice m of batched matrix
products.  The loss is a sum of per-member losses and Adam acts coordinate-wise, so each member follows
exactly the path it would follow alone (tested).  `fit_stack` trains every member until its validation
accuracy has stopped improving and returns each member as it was at its best validation epoch.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .. import check
from ._batched import BestEpochs, member_loss, moved_to, run_epoch, stacked
from .gated_conv import ConvNet, GatedConvNet

__all__ = ["ConvStack", "StackFit", "fit_stack"]


class _Nets(nn.Module):
    """The conv and dense parameters of k nets of one architecture, stacked (grouped conv, batched matmul)."""

    def __init__(self, nets: list[ConvNet], trainable: bool, output: bool = True) -> None:
        super().__init__()
        self.k = len(nets)
        n_dense = len(nets[0].dense) - (0 if output else 1)  # a feature net's output layer is never used
        conv_w = [stacked([n.convs[i].weight for n in nets]).flatten(0, 1) for i in range(len(nets[0].convs))]
        conv_b = [stacked([n.convs[i].bias for n in nets]).flatten() for i in range(len(nets[0].convs))]
        dense_w = [stacked([n.dense[i].weight for n in nets]) for i in range(n_dense)]
        dense_b = [stacked([n.dense[i].bias for n in nets]) for i in range(n_dense)]
        for name, ts in (("conv_w", conv_w), ("conv_b", conv_b), ("dense_w", dense_w), ("dense_b", dense_b)):
            if trainable:
                setattr(self, name, nn.ParameterList(nn.Parameter(t) for t in ts))
            else:  # frozen feature nets: buffers, never seen by the optimiser
                for i, t in enumerate(ts):
                    self.register_buffer(f"{name}{i}", t)
                setattr(self, name, None)
        self.trainable, self.n_conv, self.n_dense = trainable, len(conv_w), len(dense_w)

    def weights(self, name: str) -> list[torch.Tensor]:
        if self.trainable:
            return list(getattr(self, name))
        count = self.n_conv if name.startswith("conv") else self.n_dense
        return [getattr(self, f"{name}{i}") for i in range(count)]


class ConvStack(nn.Module):
    """M conv nets of one architecture, ReLU nets or gated nets, as one module (see the module docstring)."""

    def __init__(self, nets: Sequence[ConvNet | GatedConvNet]) -> None:
        super().__init__()
        if not (nets := list(check.instance("nets", nets, (list, tuple)))):
            raise ValueError("nets must hold at least one ConvNet or GatedConvNet")
        for i, n in enumerate(nets):
            check.model(f"nets[{i}]", n, (ConvNet, GatedConvNet))
        values = [n.value if isinstance(n, GatedConvNet) else n for n in nets]
        if any(v.spec() != values[0].spec() for v in values):
            raise ValueError("nets must share one architecture (image, head, channels, dense sizes)")
        if len({v.convs[0].weight.dtype for v in values}) != 1:
            raise TypeError("nets must share one dtype")
        gated = [isinstance(n, GatedConvNet) for n in nets]
        soft = {(n.beta, n.eps) for n in nets if isinstance(n, GatedConvNet) and n.gate == "soft"}
        if len(soft) > 1:
            raise ValueError(f"soft-gated nets must share beta and eps, got {sorted(soft)}")
        self.beta, self.eps = soft.pop() if soft else (4.0, 0.1)
        self.template = copy.deepcopy(values[0])  # rebuilds members (member()); never trained
        self.template.requires_grad_(False)
        self.modes = ["relu" if not g else n.gate for g, n in zip(gated, nets)]
        trains = [g and any(p.requires_grad for p in n.feature.parameters()) for g, n in zip(gated, nets)]
        self.relu_idx = [i for i, g in enumerate(gated) if not g]
        self.trained_idx = [i for i, t in enumerate(trains) if t]
        self.frozen_idx = [i for i, (g, t) in enumerate(zip(gated, trains)) if g and not t]
        self.value = _Nets(values, trainable=True)
        features = {"trained": self.trained_idx, "frozen": self.frozen_idx}
        self.features = nn.ModuleDict({k: _Nets([nets[i].feature for i in idx], trainable=k == "trained", output=False)
                                       for k, idx in features.items() if idx})

    def __len__(self) -> int:
        return len(self.modes)

    def _gate(self, q: torch.Tensor, idx: list[int]) -> torch.Tensor:
        soft = torch.tensor([self.modes[i] == "soft" for i in idx], device=q.device).view(1, -1, *([1] * (q.dim() - 2)))
        return torch.where(soft, (1 + self.eps) * torch.sigmoid(self.beta * q), (q > 0).to(q.dtype))

    def _pool(self, h: torch.Tensor) -> torch.Tensor:
        # (B, k, C, H, W) -> (B, k, features): flatten (VCONV) or average over the pixels (GCONV)
        return h.flatten(2) if self.template.head == "flatten" else h.mean(dim=(3, 4))

    def _preacts(self, nets: _Nets, X: torch.Tensor) -> list[torch.Tensor]:
        # hidden pre-activations of the k stacked ReLU nets on X (B, k, c, H, W); conv maps as (B, k, C, H, W)
        qs, h = [], X
        for W, b in zip(nets.weights("conv_w"), nets.weights("conv_b")):
            q = F.conv2d(h.flatten(1, 2), W, b, padding=1, groups=nets.k)
            qs.append(q.unflatten(1, (nets.k, -1)))
            h = torch.relu(qs[-1])
        h = self._pool(h).transpose(0, 1)  # (k, B, features)
        hidden = len(self.template.dense) - 1
        for W, b in list(zip(nets.weights("dense_w"), nets.weights("dense_b")))[:hidden]:
            qs.append(torch.baddbmm(b.unsqueeze(1), h, W.transpose(1, 2)).transpose(0, 1))
            h = torch.relu(qs[-1].transpose(0, 1))
        return qs

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """Outputs (M, B, n_out) for images X (B, c, H, W), shared, or (M, B, c, H, W), one batch per member."""
        M = len(self)
        X = check.tensor("X", X, ndim=(4, 5), dtype=self.template.convs[0].weight.dtype)
        X = X.unsqueeze(0).expand(M, *X.shape) if X.dim() == 4 else X
        if X.shape[0] != M or tuple(X.shape[2:]) != self.template.image:
            raise ValueError(f"X must be (B, *{self.template.image}) or ({M}, B, *{self.template.image})")
        X = X.transpose(0, 1)  # (B, M, c, H, W)
        feats = {}
        for name, idx in (("trained", self.trained_idx), ("frozen", self.frozen_idx)):
            if idx:
                with torch.set_grad_enabled(torch.is_grad_enabled() and name == "trained"):
                    feats[name] = [self._gate(q, idx) for q in self._preacts(self.features[name], X[:, idx])]
        v, h = self.value, X
        layers = [*zip(v.weights("conv_w"), v.weights("conv_b")),
                  *zip(v.weights("dense_w")[:-1], v.weights("dense_b")[:-1])]
        for i, (W, b) in enumerate(layers):
            if i < v.n_conv:
                q = F.conv2d(h.flatten(1, 2), W, b, padding=1, groups=M).unflatten(1, (M, -1))
            else:
                if i == v.n_conv:
                    h = self._pool(h)
                q = torch.baddbmm(b.unsqueeze(1), h.transpose(0, 1), W.transpose(1, 2)).transpose(0, 1)
            G = torch.empty_like(q)
            if self.relu_idx:
                G[:, self.relu_idx] = (q[:, self.relu_idx] > 0).to(q.dtype)
            for name, idx in (("trained", self.trained_idx), ("frozen", self.frozen_idx)):
                if idx:
                    G[:, idx] = feats[name][i]
            h = q * G
        if v.n_dense == 1:
            h = self._pool(h)
        W, b = v.weights("dense_w")[-1], v.weights("dense_b")[-1]
        return torch.baddbmm(b.unsqueeze(1), h.transpose(0, 1), W.transpose(1, 2))

    def member(self, m: int) -> ConvNet | GatedConvNet:
        """Member m as an ordinary ``ConvNet`` or ``GatedConvNet`` on the CPU (copies of its current weights)."""
        m = check.integer("m", m, low=0, high=len(self) - 1)
        value = self._unstack(self.value, m)
        if self.modes[m] == "relu":
            return value
        name = "trained" if m in self.trained_idx else "frozen"
        feature = self._unstack(self.features[name], getattr(self, f"{name}_idx").index(m))
        net = GatedConvNet(feature, value, gate=self.modes[m], beta=self.beta, eps=self.eps)
        return net.freeze("feature", name == "frozen")

    def _unstack(self, nets: _Nets, k: int) -> ConvNet:
        net = copy.deepcopy(self.template).to("cpu")  # the stack may train on a GPU; members live on the CPU
        with torch.no_grad():
            for layer, W, b in zip(net.convs, nets.weights("conv_w"), nets.weights("conv_b")):
                layer.weight.copy_(W.unflatten(0, (nets.k, -1))[k])
                layer.bias.copy_(b.unflatten(0, (nets.k, -1))[k])
            for layer, W, b in zip(net.dense, nets.weights("dense_w"), nets.weights("dense_b")):
                layer.weight.copy_(W[k])
                layer.bias.copy_(b[k])
        return net.requires_grad_(True)


@dataclass(frozen=True)
class StackFit:
    """Each watched member at its best validation epoch (0-based), the validation accuracies (epochs, M)."""

    best: dict[int, ConvNet | GatedConvNet]
    best_epoch: dict[int, int]
    val_acc: torch.Tensor


def fit_stack(
    stack: ConvStack,
    X: torch.Tensor,
    Y: torch.Tensor,
    *,
    val: tuple[torch.Tensor, torch.Tensor],
    patience: int,
    max_epochs: int,
    lr: float = 1e-3,
    batch_size: int = 32,
    seed: int = 0,
    groups: Sequence[int] | None = None,
    watch: Sequence[int] | None = None,
    on_epoch: Callable[[int, ConvStack], None] | None = None,
    device: str | torch.device | None = None,
) -> StackFit:
    """Train member m on (X, Y[m]) with Adam, each watched member early-stopped on its own.

    A watched member stops once it has gone `patience` epochs without a better validation accuracy (val = (X_val,
    y_val), shared labels or (M, N_val)): its kept copy is then final, the copy that training it alone with early
    stopping gives; it trains on, unread, until every watched member has stopped.  Raises if `max_epochs` runs out.

    Members with equal `groups[m]` (ints >= 0; default: all different) see the same batch order, drawn from
    `seed` and the group alone (paired comparisons; a member trains as it would in a stack of its own).  `on_epoch(epoch, stack)` runs
    after each epoch, before the validation check.  `device` (default: where the stack is): the stack and the
    data move there for the training and the stack moves back after it; members (``best``) are CPU modules.
    """
    check.model("stack", stack, ConvStack)
    M = len(stack)
    X = check.tensor("X", X, ndim=4, dtype=stack.template.convs[0].weight.dtype)
    Y = check.tensor("Y", Y, shape=(M, X.shape[0]), floating=False)
    if not (isinstance(val, (tuple, list)) and len(val) == 2):
        raise TypeError(f"val must be a pair (X_val, y_val), got {type(val).__name__}")
    Xv, Yv = val
    Xv = check.tensor("val[0]", Xv, ndim=4, dtype=X.dtype)
    Yv = check.tensor("val[1]", Yv, ndim=(1, 2), floating=False)
    patience = check.integer("patience", patience, low=1)
    max_epochs = check.integer("max_epochs", max_epochs, low=1)
    lr = check.real("lr", lr, low=0, open_low=True)
    batch_size = check.integer("batch_size", batch_size, low=1)
    seed = check.seed(seed)
    labels = check.integers("groups", range(M) if groups is None else groups, low=0, length=M)
    # one batch-order generator per group label, so that a member's batches depend on (seed, its group)
    # only: the same member trains identically in any stack
    gens = {k: torch.Generator().manual_seed(seed * 1_000_003 + k) for k in set(labels)}
    watch = list(range(M)) if watch is None else check.integers("watch", watch, low=0, min_len=0)
    if any(w >= M for w in watch):
        raise ValueError(f"watch must list members in [0, {M}), got {watch}")
    if on_epoch is not None and not callable(on_epoch):
        raise TypeError(f"on_epoch must be callable, got {type(on_epoch).__name__}")
    if len(set(watch)) < len(watch):
        raise ValueError(f"watch lists a member more than once: {watch}")
    with moved_to(stack, None if device is None else check.device("device", device)) as dev:
        X, Y, Xv, Yv = (t.to(dev) for t in (X, Y, Xv, Yv))
        opt = torch.optim.Adam([p for p in stack.parameters() if p.requires_grad], lr=lr)
        best, n, history = BestEpochs(watch, patience), X.shape[0], []
        for epoch in range(max_epochs):
            stack.train()
            orders = {k: torch.randperm(n, generator=gen) for k, gen in gens.items()}  # on the CPU: same on any device
            perm = torch.stack([orders[k] for k in labels]).to(X.device)
            run_epoch(opt, perm, batch_size, lambda idx: member_loss(stack(X[idx]), Y, idx).backward())
            stack.eval()
            if on_epoch is not None:
                on_epoch(epoch, stack)
            with torch.no_grad():
                acc = (stack(Xv).argmax(-1) == Yv).to(torch.float64).mean(1).cpu()
            history.append(acc)
            if best.update(epoch, acc[watch], stack.member):
                at = dict(zip(watch, best.epoch.tolist()))
                return StackFit(best=best.kept, best_epoch=at, val_acc=torch.stack(history))
    raise RuntimeError(f"fit_stack: a member still improved within the last {patience} of max_epochs = {max_epochs}")
