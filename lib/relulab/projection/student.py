"""A locally connected student measured on a teacher's events: the tables F, D, G of Tian's Table 3.

:func:`marginal_tables` runs the student once on every sample (forward and the per-sample negative gradient of
the squared loss), then averages each node's activation f, gate f' and gradient g over the samples of each
event of the node's field.  The events are any integer labels per field (a teacher's summaries, or anything
else: a random partition, a merged teacher), so the same measurement serves exact and lossy summaries alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import torch

from .. import check
from ..nets.teacher import TreeNet
from .marginals import EdgeStatistics, _conditional_mean, _event_statistics, _sample_weights

__all__ = ["StudentTables", "marginal_tables"]

Edge = tuple[int, int, int]  # (layer l, parent position t, child position s at level l)


@dataclass(frozen=True)
class StudentTables:
    """Per layer and position: ``F, D, G`` (m, n) tables; per edge (l, t, s): ``edges`` (P, Pb, lambdas), ``W``.

    ``m[level][position]`` counts the events (level 0 = the input positions); ``fields[level][position]`` lists
    the input positions a field covers; ``trace`` keeps the per-sample ``raw``, ``gate``, ``post`` and ``g``.
    """

    F: list[list[torch.Tensor]]
    D: list[list[torch.Tensor]]
    G: list[list[torch.Tensor]]
    edges: dict[Edge, EdgeStatistics]
    W: dict[Edge, torch.Tensor]
    m: list[list[int]]
    fields: list[list[frozenset[int]]]
    trace: list[dict[str, torch.Tensor]]


def _event_levels(events: Any, n: int, lengths: list[int], m: list[list[int]] | None = None) -> tuple[list, list]:
    """Each level's (n, length) events as int64 tensors, in [0, m[level][position]) (m: from the events if None)."""
    if len(check.instance("events", events, (list, tuple))) != len(lengths):
        raise ValueError(f"events must be a list of {len(lengths)} arrays (the inputs, then one per layer)")
    z = [check.codes(f"events[{l}]", e, (n, size), what="events") for l, (e, size) in enumerate(zip(events, lengths))]
    m = m if m is not None else [[int(zl[:, t].max()) + 1 for t in range(zl.shape[1])] for zl in z]
    for level, (zl, ml) in enumerate(zip(z, m)):
        if zl.min() < 0 or (zl >= np.asarray(ml)).any():
            raise ValueError(f"events[{level}] must hold events in [0, m) at every position (m: the tables' counts)")
    return [torch.as_tensor(zl) for zl in z], m


def marginal_tables(
    net: TreeNet, x: torch.Tensor, target: torch.Tensor, events: Sequence[Any], weights: torch.Tensor
) -> StudentTables:
    """Measure E[f | z], E[f' | z], E[g | z] of every node and P, Pb, Lambda of every edge, under `weights`.

    `x` is the student's input (N, C, L); `target` its squared-loss target (N, n_top, L_top); ``events[0]`` labels
    the input positions (N, L) and ``events[l + 1]`` the output positions of layer l; every event of every
    position needs positive mass.  g is the per-sample negative gradient with respect to the pre-activation.
    """
    net = check.model("net", net, TreeNet)
    x = check.tensor("x", x, ndim=3)
    target = check.tensor("target", target, ndim=3)
    weights = _sample_weights(weights, x.shape[0])
    z, m = _event_levels(events, x.shape[0], [net.layers[0].in_length] + [layer.out_length for layer in net.layers])
    trace = net.trace(x, target)
    tables = {key: [] for key in ("F", "D", "G")}
    for l, tr in enumerate(trace):
        for key, name in (("F", "post"), ("D", "gate"), ("G", "g")):
            tables[key].append(
                [_conditional_mean(tr[name][:, :, t], z[l + 1][:, t], weights, mt) for t, mt in enumerate(m[l + 1])]
            )
    edges, W = {}, {}
    for l, layer in enumerate(net.layers):
        for t in range(layer.out_length):
            for s in layer.receptive_field(t):
                edges[l, t, s] = _event_statistics(z[l + 1][:, t], z[l][:, s], weights, m[l + 1][t], m[l][s])
                W[l, t, s] = net.edge_weight(l, t, s).detach()
    fields = [[frozenset([s]) for s in range(net.layers[0].in_length)]] + net.receptive_fields()
    return StudentTables(tables["F"], tables["D"], tables["G"], edges, W, m, fields, trace)
