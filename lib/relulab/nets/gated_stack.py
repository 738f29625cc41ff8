"""M fully connected nets (ReLU nets or deep gated nets) trained side by side in one batched pass.

A whole experiment of Part IV (seeds x variants: ReLU, FRNPF, FLNPF, DLNPF, shuffled-label controls) costs
about one training run on a 2-core CPU: weights are stacked as (M, out, in) and applied with batched matrix
products; members never interact (the loss is a sum of per-member losses and the optimisers act coordinate-wise).
:func:`relulab.train.train` trains one model; :func:`train_stack` is the same loop for a stack.
"""

from __future__ import annotations

import itertools
from typing import Callable, Sequence

import torch
from torch import nn

from .. import check
from ._batched import OPTIMIZERS, member_loss, moved_to, run_epoch, stacked
from .gated import DeepGatedNet, _check_batch, _check_soft, _linears

__all__ = ["GatedStack", "train_stack"]

MODES = ("relu", "hard", "soft")


class GatedStack(nn.Module):
    """M independent fully connected nets (ReLU nets or DGNs) trained in one batched pass.

    Weights are stacked as (M, out, in) and applied with batched matrix products, so a whole experiment (seeds x
    variants) costs about one training run on a 2-core CPU.  Member m is a plain ReLU net (``mode "relu"``: gates
    from its own pre-activations) or a DGN with ``"hard"`` / ``"soft"`` gates from its own feature net, which is
    trained only where ``train_feature[m]``.  Members never interact: the loss is a sum of per-member losses and
    Adam / SGD / RMSprop act coordinate-wise, so each member follows exactly the path it would follow alone.
    Only the feature nets that exist are computed: trainable ones are parameters (``Wf``, ``bf``; members listed in
    ``trained_idx``), frozen ones are buffers ``Wf_frozen<l>``, ``bf_frozen<l>`` evaluated without autograd (members
    in ``frozen_idx``), so a ReLU member or a frozen gate costs no optimiser work, and :func:`train_stack` computes
    frozen gates once per data set (:meth:`frozen_gates`).
    """

    def __init__(
        self,
        modes: Sequence[str],
        values: Sequence[nn.Sequential],
        features: Sequence[nn.Sequential | None],
        train_feature: Sequence[bool],
        *,
        beta: float = 4.0,
        eps: float = 0.1,
    ) -> None:
        super().__init__()
        names, args = ("modes", "values", "features", "train_feature"), (modes, values, features, train_feature)
        lens = [len(check.instance(n, v, (list, tuple))) for n, v in zip(names, args)]
        if lens[0] == 0 or len(set(lens)) != 1:
            raise ValueError(f"modes, values, features and train_feature need one entry per member (got {lens})")
        for i, mode in enumerate(modes):
            check.choice(f"modes[{i}]", mode, MODES)
        if not all(isinstance(t, bool) for t in train_feature):
            raise TypeError(f"train_feature must hold one bool per member, got {list(train_feature)}")
        _check_soft(beta, eps)
        vls = [_linears(v, f"values[{i}]") for i, v in enumerate(values)]
        sizes = [[ls[0].in_features] + [lin.out_features for lin in ls] for ls in vls]
        if any(s != sizes[0] for s in sizes):
            raise ValueError(f"all members need the same layer sizes, got {sizes}")
        dtypes = {ls[0].weight.dtype for ls in vls} | {lin.weight.dtype for f in features if f is not None for lin in _linears(f, "features")}
        if len(dtypes) != 1:
            raise TypeError(f"values and features must share one dtype, got {sorted(map(str, dtypes))}")
        biased = {all(lin.bias is not None for lin in ls) for ls in vls} | {any(lin.bias is not None for lin in ls) for ls in vls}
        if len(biased) != 1:
            raise ValueError("members must either all have biases in every layer or none")
        self.bias = biased.pop()
        fls: dict[int, list[nn.Linear]] = {}
        for i, (mode, f) in enumerate(zip(modes, features)):
            if mode == "relu":
                continue  # a ReLU member's gates come from its own value pre-activations
            if f is None:
                raise ValueError(f"member {i} has mode {mode!r} and needs a feature net")
            ls = _linears(f, f"features[{i}]")
            if [ls[0].in_features] + [lin.out_features for lin in ls[:-1]] != sizes[0][:-1]:
                raise ValueError(f"features[{i}] has other input/hidden sizes than the value nets {sizes[0][:-1]}")
            if any((lin.bias is not None) != self.bias for lin in ls[:-1]):
                raise ValueError(f"features[{i}] must have biases exactly when the value nets do")
            fls[i] = ls[:-1]  # the feature net's output layer is never used
        self.modes = list(modes)
        self.beta, self.eps = float(beta), float(eps)
        # members whose feature net is trained (gradient only through soft gates) / frozen
        self._relu_idx = [i for i, m in enumerate(modes) if m == "relu"]
        self.trained_idx = [i for i in fls if bool(train_feature[i])]
        self.frozen_idx = [i for i in fls if not bool(train_feature[i])]
        n_hidden = len(vls[0]) - 1
        trained = [fls[i] for i in self.trained_idx]

        def stacked_layers(nets: list[list[nn.Linear]], part: str, n: int) -> nn.ParameterList:
            """For each layer l < n: the `part` ("weight" or "bias") of layer l of every net in `nets`, stacked."""
            return nn.ParameterList([nn.Parameter(stacked([getattr(ls[l], part) for ls in nets])) for l in range(n)])

        self.Wv = stacked_layers(vls, "weight", n_hidden + 1)
        self.bv = stacked_layers(vls, "bias", n_hidden + 1 if self.bias else 0)
        self.Wf = stacked_layers(trained, "weight", n_hidden if trained else 0)
        self.bf = stacked_layers(trained, "bias", n_hidden if trained and self.bias else 0)
        for l in range(n_hidden if self.frozen_idx else 0):
            self.register_buffer(f"Wf_frozen{l}", stacked([fls[i][l].weight for i in self.frozen_idx]))
            if self.bias:
                self.register_buffer(f"bf_frozen{l}", stacked([fls[i][l].bias for i in self.frozen_idx]))
        self._n_hidden = n_hidden

    def __len__(self) -> int:
        return len(self.modes)

    def _affine(self, h: torch.Tensor, W: torch.Tensor, b: torch.Tensor | None) -> torch.Tensor:
        return torch.baddbmm(b.unsqueeze(1), h, W.transpose(1, 2)) if b is not None else h @ W.transpose(1, 2)

    def _gate(self, q: torch.Tensor, idx: list[int]) -> torch.Tensor:
        soft = [self.modes[i] == "soft" for i in idx]
        if all(soft):
            return (1.0 + self.eps) * torch.sigmoid(self.beta * q)
        hard = (q > 0).to(q.dtype)
        if not any(soft):
            return hard
        mask = torch.tensor(soft, device=q.device).view(-1, 1, 1)
        return torch.where(mask, (1.0 + self.eps) * torch.sigmoid(self.beta * q), hard)

    def _frozen(self, l: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        return getattr(self, f"Wf_frozen{l}"), getattr(self, f"bf_frozen{l}") if self.bias else None

    def frozen_gates(self, X: torch.Tensor) -> list[torch.Tensor]:
        """Gates of the frozen feature nets on shared inputs X (N, d_in): per hidden layer a (n_frozen, N, w_l) tensor.

        Frozen gates never change, so :func:`train_stack` computes them once per data set instead of once per step;
        hard gates are kept as bool (a quarter of the memory).
        """
        _check_batch(X, self.Wv[0].shape[2], self.Wv[0].dtype)
        return self._frozen_gates(X)

    def _frozen_gates(self, X: torch.Tensor) -> list[torch.Tensor]:
        Z, out = self.frozen_idx, []
        if not Z:
            return out
        hard = all(self.modes[i] == "hard" for i in Z)
        with torch.no_grad():
            h = X.unsqueeze(0).expand(len(Z), -1, -1)
            for l in range(self._n_hidden):
                q = self._affine(h, *self._frozen(l))
                out.append(q > 0 if hard else self._gate(q, Z))
                h = torch.relu(q)
        return out

    def forward(self, X: torch.Tensor, frozen_gates: Sequence[torch.Tensor] | None = None) -> torch.Tensor:
        """Outputs (M, B, d_out) for inputs X of shape (B, d_in) (shared) or (M, B, d_in) (one batch per member).

        `frozen_gates` (optional): the frozen members' gates on these inputs, per hidden layer (n_frozen, B, w_l), as
        returned by :meth:`frozen_gates` (rows gathered per member when the batches differ); they replace the
        frozen feature nets' forward pass.
        """
        M, d_in = len(self), self.Wv[0].shape[2]
        _check_batch(X, d_in, self.Wv[0].dtype, ndim=(2, 3))
        if X.dim() == 3 and X.shape[0] != M:
            raise ValueError(f"X must be (B, {d_in}) or ({M}, B, {d_in}), got {tuple(X.shape)}")
        if frozen_gates is not None:
            shapes = [(len(self.frozen_idx), X.shape[-2], W.shape[1]) for W in list(self.Wv)[:-1] if self.frozen_idx]
            if [tuple(g.shape) for g in frozen_gates] != shapes:
                raise ValueError(f"frozen_gates must have shapes {shapes}, got {[tuple(g.shape) for g in frozen_gates]}")
        return self._forward(X, frozen_gates)

    def _forward(self, X: torch.Tensor, frozen_gates: Sequence[torch.Tensor] | None) -> torch.Tensor:
        X = X.expand(len(self), -1, -1)  # shared inputs (B, d_in): the same batch for every member
        T, Z, R = self.trained_idx, self.frozen_idx, self._relu_idx
        h = X
        ht = X[T] if T else None
        hz = X[Z] if Z and frozen_gates is None else None
        for l in range(self._n_hidden):
            a = self._affine(h, self.Wv[l], self.bv[l] if self.bias else None)
            if not T and not Z:
                h = torch.relu(a)
                continue
            G = torch.empty_like(a, requires_grad=False)  # filled row block by row block (autograd tracks the writes)
            if R:
                G[R] = (a[R] > 0).to(a.dtype)
            if T:
                q = self._affine(ht, self.Wf[l], self.bf[l] if self.bias else None)
                G[T] = self._gate(q, T)
                ht = torch.relu(q)
            if Z:
                if frozen_gates is not None:
                    Gz = frozen_gates[l]
                else:
                    with torch.no_grad():  # frozen feature nets: no graph, exactly zero gradient
                        q = self._affine(hz, *self._frozen(l))
                        Gz = self._gate(q, Z)
                        hz = torch.relu(q)
                G[Z] = Gz.to(a.dtype)
            h = a * G
        return self._affine(h, self.Wv[-1], self.bv[-1] if self.bias else None)

    def member(self, m: int) -> nn.Module:
        """Member m as an ordinary CPU module: an ``nn.Sequential`` ReLU net or a :class:`DeepGatedNet` (copies)."""
        m = check.integer("member index m", m, low=0, high=len(self) - 1)

        def layers(Ws: list[torch.Tensor], bs: list[torch.Tensor] | None, k: int) -> list[nn.Module]:
            out: list[nn.Module] = []  # Linear (copy of row k of each stacked layer), ReLU, Linear, ReLU, ...
            for l, W in enumerate(Ws):
                lin = nn.Linear(W.shape[2], W.shape[1], bias=self.bias, dtype=W.dtype)
                with torch.no_grad():
                    lin.weight.copy_(W[k])
                    if bs is not None:
                        lin.bias.copy_(bs[l][k])
                out += [lin, nn.ReLU()]
            return out

        value = nn.Sequential(*layers(list(self.Wv), list(self.bv) if self.bias else None, m)[:-1])
        if self.modes[m] == "relu":
            return value
        if m in self.trained_idx:
            k, Ws, bs = self.trained_idx.index(m), list(self.Wf), list(self.bf) if self.bias else None
        else:
            k = self.frozen_idx.index(m)
            Ws = [self._frozen(l)[0] for l in range(self._n_hidden)]
            bs = [self._frozen(l)[1] for l in range(self._n_hidden)] if self.bias else None
        hidden = layers(Ws, bs, k)
        head = nn.Linear(Ws[-1].shape[1], 1, bias=self.bias, dtype=Ws[-1].dtype)  # a zero output layer, never used
        nn.init.zeros_(head.weight)
        if self.bias:
            nn.init.zeros_(head.bias)
        feature = nn.Sequential(*hidden, head)
        return DeepGatedNet(feature, value, gate=self.modes[m], beta=self.beta, eps=self.eps)


def _check_labels(Y: object, M: int, n: int, d_out: int, name: str, shared_ok: bool = False) -> None:
    """Integer class labels in [0, d_out): (M, n), one row per member, or (n,) shared where `shared_ok`."""
    shapes = [(M, n), (n,)] if shared_ok else [(M, n)]
    check.tensor(name, Y, integer=True, finite=False)
    if tuple(Y.shape) not in shapes:
        raise ValueError(f"{name} must be a {' or '.join(map(str, shapes))} label tensor (one row per member), got {tuple(Y.shape)}")
    if Y.numel() and (int(Y.min()) < 0 or int(Y.max()) >= d_out):
        raise ValueError(f"{name} holds labels outside [0, {d_out}) (the nets have {d_out} outputs)")


def train_stack(
    stack: GatedStack,
    X: torch.Tensor,
    Y: torch.Tensor,
    *,
    epochs: int,
    lr: float = 1e-3,
    batch_size: int = 32,
    optimizer: str = "adam",
    seed: int = 0,
    evals: dict[str, tuple[torch.Tensor, torch.Tensor]] | None = None,
    on_epoch: Callable[[int, GatedStack], None] | None = None,
    on_step: Callable[[int, GatedStack], None] | None = None,
    groups: Sequence[int] | None = None,
    device: str | torch.device | None = None,
    feature_labels: torch.Tensor | None = None,
) -> dict[str, torch.Tensor]:
    """Train every member of `stack` on cross-entropy, member m on labels Y[m] with its own batch order.

    X: (N, d_in) shared inputs; Y: (M, N) integer labels (e.g. a shuffled copy for a control member).
    `evals` maps a name to (X_e, Y_e) with Y_e of shape (N_e,) or (M, N_e); returns name -> (epochs, M) accuracies
    after each epoch.  `on_epoch(epoch, stack)` runs after each epoch (e.g. to keep checkpoints) and
    `on_step(step, stack)` after each optimiser step (steps counted from 1 over all epochs).
    Members with equal `groups[m]` (ints >= 0) see the same batch order (common random numbers for paired
    comparisons); by default every member has its own order.  `device` (default: where the stack is): the stack and
    the data move there for the training (callbacks see it there) and the stack moves back after it; members
    (:meth:`GatedStack.member`) are CPU modules.
    `feature_labels` (M, N), default Y: the labels whose loss trains the trained feature nets, while the value nets
    learn Y (e.g. a DLNPF control whose gates learn shuffled labels and whose values learn the true ones); both
    gradients come from the same forward pass.
    """
    check.model("stack", stack, GatedStack)
    M, d_in, d_out = len(stack), stack.Wv[0].shape[2], stack.Wv[-1].shape[1]
    _check_batch(X, d_in, stack.Wv[0].dtype)
    _check_labels(Y, M, X.shape[0], d_out, "Y")
    if feature_labels is not None:
        _check_labels(feature_labels, M, X.shape[0], d_out, "feature_labels")
    for k, XY in check.instance("evals", evals or {}, dict).items():
        if not (isinstance(XY, tuple) and len(XY) == 2):
            raise TypeError(f"evals[{k!r}] must be a pair (X_e, Y_e)")
        _check_batch(XY[0], d_in, stack.Wv[0].dtype, f"evals[{k!r}] X_e")
        _check_labels(XY[1], M, XY[0].shape[0], d_out, f"evals[{k!r}] Y_e", shared_ok=True)
    check.integer("epochs", epochs, low=0)
    check.integer("batch_size", batch_size, low=1)
    check.real("lr", lr, low=0, open_low=True)
    check.seed(seed)
    for name, fn in (("on_epoch", on_epoch), ("on_step", on_step)):
        if fn is not None and not callable(fn):
            raise TypeError(f"{name} must be callable or None, got {type(fn).__name__}")
    check.choice("optimizer", optimizer, sorted(OPTIMIZERS))
    g = torch.as_tensor(check.integers("groups", range(M) if groups is None else groups, low=0, length=M))
    _, g = torch.unique(g, return_inverse=True)
    dev = None if device is None else check.device("device", device)
    gen = torch.Generator().manual_seed(seed)
    hist = {k: torch.zeros(epochs, M) for k in (evals or {})}
    n = X.shape[0]
    Z = stack.frozen_idx
    with moved_to(stack, dev) as dev:
        X, Y = X.to(dev), Y.to(dev)
        Yf = None if feature_labels is None else feature_labels.to(dev)
        feats = [*stack.Wf, *stack.bf]  # only trained feature nets are parameters
        rest = [q for q in stack.parameters() if all(q is not f for f in feats)]
        evals = {k: (Xe.to(dev), Ye.to(dev)) for k, (Xe, Ye) in (evals or {}).items()}
        opt = OPTIMIZERS[optimizer](stack.parameters(), lr=lr, foreach=True)
        # frozen gates on the training and evaluation sets, once: a frozen feature net costs no work per step
        cache = stack._frozen_gates(X)
        eval_cache = {k: stack._frozen_gates(Xe) for k, (Xe, _) in evals.items()}
        rows = torch.arange(len(Z), device=dev).unsqueeze(1)

        def backward(idx: torch.Tensor) -> None:
            out = stack._forward(X[idx], [c[rows, idx[Z]] for c in cache] if Z else None)
            if Yf is None or not feats:
                member_loss(out, Y, idx).backward()
                return
            # two losses, one forward pass: values learn Y, trained feature nets learn Yf
            grads = torch.autograd.grad(member_loss(out, Y, idx), rest, retain_graph=True, allow_unused=True)
            grads += torch.autograd.grad(member_loss(out, Yf, idx), feats, allow_unused=True)
            for q, gq in zip(rest + feats, grads):
                q.grad = gq

        steps = itertools.count(1)  # optimiser steps, counted from 1 over all epochs
        after_step = None if on_step is None else lambda: on_step(next(steps), stack)
        for epoch in range(epochs):
            # one batch order per group, drawn on the CPU: the same orders on any device
            perm = torch.argsort(torch.rand(int(g.max()) + 1, n, generator=gen), dim=1)[g].to(dev)
            run_epoch(opt, perm, batch_size, backward, after_step)
            with torch.no_grad():
                for k, (Xe, Ye) in evals.items():
                    pred = stack._forward(Xe, eval_cache[k] if Z else None).argmax(-1)
                    hist[k][epoch] = (pred == (Ye if Ye.dim() == 2 else Ye.unsqueeze(0))).to(X.dtype).mean(1).cpu()
            if on_epoch is not None:
                on_epoch(epoch, stack)
    return hist
