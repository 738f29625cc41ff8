"""The max of q numbers as a tree of pairwise maxes (Lemma D.4) and the Wang-Sun representation compiled on it
(Theorem 2.1: any continuous PWL function of n inputs in ceil(log2(n+1)) hidden layers)."""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike

from .. import check

from .net import SPARSE_ABOVE, PWLNet, affine, compose, identity, pad

__all__ = ["max_affine", "max_net", "wang_sun"]

def _max_level(m: int) -> PWLNet:
    """One hidden layer mapping m numbers to ceil(m/2): pairwise max(a, b) = ReLU(a - b) + ReLU(b) - ReLU(-b)."""
    pairs, odd = divmod(m, 2)
    units = 3 * pairs + 2 * odd
    W1, W2 = np.zeros((units, m)), np.zeros((pairs + odd, units))
    for i in range(pairs):
        a, b, u = 2 * i, 2 * i + 1, 3 * i
        W1[u, a], W1[u, b] = 1.0, -1.0
        W1[u + 1, b], W1[u + 2, b] = 1.0, -1.0
        W2[i, u:u + 3] = (1.0, 1.0, -1.0)
    if odd:  # the last number is carried unchanged: u = ReLU(u) - ReLU(-u)
        u = 3 * pairs
        W1[u, m - 1], W1[u + 1, m - 1] = 1.0, -1.0
        W2[pairs, u:u + 2] = (1.0, -1.0)
    return PWLNet([(W1, np.zeros(units)), (W2, np.zeros(pairs + odd))])


def max_net(q: int, levels: int | None = None) -> PWLNet:
    """max of q numbers as a binary tree of pairwise maxes: ceil(log2 q) hidden layers (Lemma D.4).

    `levels` < ceil(log2 q) truncates the tree (the result then has several outputs, of which the first is kept):
    the deliberately wrong variant used as a negative control.
    """
    q = check.integer("q", q, low=1)
    check.within_budget("q", 3 * q * q // 2, check.MAX_ENTRIES, what="weights in the first level of the max tree")
    full = math.ceil(math.log2(q)) if q > 1 else 0
    levels = full if levels is None else check.integer("levels", levels, low=0, high=full)
    net, m = identity(q, 0), q
    for _ in range(levels):
        net = compose(_max_level(m), net)
        m = net.d_out
    if m > 1:  # truncated tree: keep the first partial max only
        net = compose(affine(np.eye(m)[:1], np.zeros(1)), net)
    return net


def max_affine(A: ArrayLike, c: ArrayLike, levels: int | None = None) -> PWLNet:
    """x -> max_i (A x + c)_i with ceil(log2 q) hidden layers, q = number of affine pieces."""
    inner = affine(A, c)
    return compose(max_net(inner.d_out, levels), inner)


def wang_sun(terms: Sequence[tuple[float, np.ndarray, np.ndarray]], levels_cut: int = 0) -> PWLNet:
    """Compile f(x) = sum_j s_j max_{i} (A_j x + c_j)_i into a net with max_j ceil(log2 q_j) hidden layers.

    With the Wang-Sun theorem (q_j <= n + 1) this is the ceil(log2(n+1)) bound of Theorem 2.1.  `levels_cut` > 0
    drops that many top levels of every max tree (negative control).  Each term is the max tree of
    :func:`max_net` after its affine map (Lemma D.1), padded to the common depth, and the terms sit side by side
    (Lemma D.2); the layers are assembled per tree size q at once, so 10^4 terms compile in a fraction of a second.
    """
    terms = list(check.instance("terms", terms, (list, tuple)))
    if not terms:
        raise ValueError("terms is empty")
    levels_cut = check.integer("levels_cut", levels_cut, low=0)
    checked = []
    for j, term in enumerate(terms):
        if not isinstance(term, (list, tuple)) or len(term) != 3:
            raise TypeError(f"terms[{j}] must be a triple (s, A, c), got {term!r:.40}")
        s = check.real(f"terms[{j}] sign s", term[0])
        A = check.array(f"terms[{j}] A", term[1], 2)
        c = check.array(f"terms[{j}] c", term[2], 1)
        if c.shape != (A.shape[0],):
            raise ValueError(f"terms[{j}] c must have shape ({A.shape[0]},), got {c.shape}")
        checked.append((s, A, c))
    if len({A.shape[1] for _, A, _ in checked}) != 1:
        raise ValueError("every term must have the same input dimension")
    depth = {q: max((math.ceil(math.log2(q)) if q > 1 else 0) - levels_cut, 0) for q in {A.shape[0] for _, A, _ in checked}}
    k = max(depth.values())
    groups: dict[int, list[int]] = {}
    for j, (_, A, _) in enumerate(checked):
        groups.setdefault(A.shape[0], []).append(j)
    firsts, biases, middles, outs, mids_b = [], [], [[] for _ in range(k)], [], [[] for _ in range(k)]
    for q, idx in sorted(groups.items()):
        # template: the padded max tree of q numbers; term j feeds it A_j x + c_j
        tpl = pad(max_net(q, depth[q]), k).layers
        M1, m1 = tpl[0]
        for j in idx:
            s, A, c = checked[j]
            firsts.append(M1 @ A)
            biases.append(M1 @ c + m1)
            outs.append(s * tpl[-1][0])
        for l in range(1, k):
            Ml, ml = tpl[l]
            middles[l].append(sp.kron(sp.identity(len(idx), format="csr"), sp.csr_matrix(Ml), format="csr"))
            mids_b[l].append(np.tile(ml, len(idx)))
    if k == 0:  # every tree is cut to one affine map: the template's only layer is also its output
        signs = np.array([checked[j][0] for _, idx in sorted(groups.items()) for j in idx])
        W = (signs[:, None] * np.vstack(firsts)).sum(0, keepdims=True)
        return PWLNet([(W, np.array([float(signs @ np.concatenate(biases))]))])
    layers = [(np.vstack(firsts), np.concatenate(biases))]
    for l in range(1, k):
        W = sp.block_diag(middles[l], format="csr")
        layers.append((W if W.shape[0] * W.shape[1] > SPARSE_ABOVE else W.toarray(), np.concatenate(mids_b[l])))
    layers.append((np.hstack(outs), np.zeros(1)))
    return PWLNet(layers)
