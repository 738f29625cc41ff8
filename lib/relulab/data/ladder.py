"""Tian's summarisation-ladder teacher: events z_alpha computed bottom-up from the children's events.

Inputs are short discrete strings (pixels with `values` levels).  Level 0 holds the pixels themselves (z = pixel
value); level l merges `fan_in` consecutive regions of level l-1 through a table that is either injective (the
summary keeps all information) or a random many-to-one map onto fewer events (lossy).  The top level is one region;
its event is the label.  Small input spaces are enumerated exactly, so every conditional expectation is a finite sum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .. import check

__all__ = [
    "Ladder", "all_inputs", "factorised_events", "ladder", "one_hot", "pattern_index", "product_distribution",
    "random_distribution",
]

# Exact enumeration beyond ~1M inputs would make every conditional mean in the book a multi-GB table.
MAX_ENUMERATION = 2**20


def all_inputs(length: int, values: int = 2) -> np.ndarray:
    """Every string of `length` symbols in {0..values-1}, one per row, in lexicographic order."""
    length, values = check.integer("length", length, low=1), check.integer("values", values, low=2)
    count = values**length
    check.within_budget("values ** length", count, MAX_ENUMERATION, what=f"inputs ({values}^{length})")
    grids = np.indices((values,) * length).reshape(length, -1).T
    return grids.astype(np.int64)


def product_distribution(X: np.ndarray, p_one: np.ndarray) -> np.ndarray:
    """Probabilities of binary rows of X when pixel i is 1 with probability p_one[i], independently."""
    X, p_one = np.asarray(X), check.array("p_one", p_one, allow_empty=True)
    if X.ndim != 2 or p_one.shape != (X.shape[1],):
        raise ValueError(f"X must be (N, L) and p_one (L,), got {X.shape} and {p_one.shape}")
    if X.size == 0:
        raise ValueError(f"X is empty (shape {X.shape})")
    if not np.isin(X, (0, 1)).all():
        raise ValueError("product_distribution needs binary inputs")
    if not ((p_one > 0) & (p_one < 1)).all():
        raise ValueError("p_one must lie strictly inside (0, 1) so that every input has positive probability")
    return np.prod(np.where(X == 1, p_one, 1 - p_one), axis=1)


def random_distribution(n: int, *, seed: int, concentration: float = 1.0) -> np.ndarray:
    """A random probability vector over n items (Dirichlet), every entry positive: a correlated input law."""
    n = check.integer("n", n, low=1)
    check.within_budget("n", n, MAX_ENUMERATION, what="items")
    concentration = check.real("concentration", concentration, low=0.0, open_low=True)
    p = np.random.default_rng(check.seed(seed)).dirichlet(np.full(n, concentration))
    p = np.maximum(p, 1e-12)  # keep every input in the support so that every event has positive mass
    return p / p.sum()


@dataclass(frozen=True)
class Ladder:
    """A tree of regions over `length` pixels with one summary table per region.

    ``tables[l]`` (level l+1) has shape ``(regions at level l+1, m_l ** fan_in)``: row t maps the flattened events of
    its children (regions ``fan_in*t .. fan_in*t+fan_in-1`` of level l) to an event in ``{0..m_{l+1}-1}``.
    """

    length: int
    fan_in: int
    values: int
    m: tuple[int, ...]  # events per region, level 0 (pixels) to the top
    tables: tuple[np.ndarray, ...]

    @property
    def levels(self) -> int:
        """Number of levels above the pixels."""
        return len(self.tables)

    def regions(self, level: int) -> list[range]:
        """The pixel positions of each region of `level` (0 = pixels)."""
        level = check.integer("level", level, low=0, high=self.levels)
        size = self.fan_in**level
        return [range(t * size, (t + 1) * size) for t in range(self.length // size)]

    def events(self, X: np.ndarray) -> list[np.ndarray]:
        """Events of every region: a list over levels of (N, regions) integer arrays, level 0 = X."""
        X = check.codes("X", X, (None, self.length), high=self.values, what="symbols")
        z = [X]
        for l, table in enumerate(self.tables):
            child = z[-1].reshape(X.shape[0], -1, self.fan_in)
            flat = np.zeros(child.shape[:2], dtype=np.int64)
            for i in range(self.fan_in):  # mixed-radix index of the children's events
                flat = flat * self.m[l] + child[:, :, i]
            z.append(table[np.arange(table.shape[0]), flat])
        return z

    def labels(self, X: np.ndarray) -> np.ndarray:
        """The top event of each input: the teacher's class label."""
        return self.events(X)[-1][:, 0]


def ladder(length: int, events: list[int | None], *, fan_in: int = 2, values: int = 2, seed: int = 0) -> Ladder:
    """Build a ladder over `length` pixels; ``events[l]`` is the number of events of level l+1, None = injective.

    An injective level has ``m_l ** fan_in`` events (a random bijection of the children's joint events); a lossy one
    is a random map onto ``events[l]`` values that hits every value (so that every event has positive probability).
    """
    length, fan_in = check.integer("length", length, low=1), check.integer("fan_in", fan_in, low=2)
    values, seed = check.integer("values", values, low=2), check.seed(seed)
    if not isinstance(events, (list, tuple)) or len(events) == 0:
        raise ValueError("events must be a non-empty list (one entry per level above the pixels)")
    if fan_in ** len(events) != length:
        raise ValueError(f"length ({length}) must equal fan_in ** levels = {fan_in}**{len(events)}")
    rng = np.random.default_rng(seed)
    m, tables = [values], []
    for l, e in enumerate(events):
        joint = m[-1] ** fan_in
        check.within_budget("events", joint, MAX_ENUMERATION, what=f"joint child events at level {l + 1}")
        n_regions = length // fan_in ** (l + 1)
        if e is None:
            mk = joint
            rows = [rng.permutation(joint) for _ in range(n_regions)]
        else:
            mk = check.integer(f"events[{l}]", e, low=1)
            if mk > joint:
                raise ValueError(f"events[{l}] = {mk} exceeds the {joint} joint events of the children")
            # surjective: a permutation of (0..mk-1 once each, then random values), so no event is empty
            rows = [rng.permutation(np.concatenate([np.arange(mk), rng.integers(0, mk, joint - mk)])) for _ in range(n_regions)]
        tables.append(np.stack(rows).astype(np.int64))
        m.append(mk)
    return Ladder(length, fan_in, values, tuple(m), tuple(tables))


def one_hot(X: np.ndarray | torch.Tensor, values: int = 2) -> torch.Tensor:
    """(N, L) symbols -> (N, values, L) one-hot float tensor: the student's input, so that bottom F = I."""
    values = check.integer("values", values, low=2)
    X = torch.as_tensor(check.codes("X", X, (None, None), high=values, what="symbols"), dtype=torch.long)
    return torch.nn.functional.one_hot(X, values).permute(0, 2, 1).to(torch.get_default_dtype())


def factorised_events(X: np.ndarray, groups: list[list[int]], *, seed: int = 0) -> np.ndarray:
    """Binary factors z[i] = a random balanced-as-possible binary function of the pixels in groups[i]: (N, K) array.

    Disjoint groups of independent pixels give independent factors, so P(z) is a tensor product (Thm 8's setting).
    """
    X = check.codes("X", X, (None, None), high=2, what="symbols")
    flat = [i for j, g in enumerate(check.instance("groups", groups, (list, tuple)))
            for i in check.integers(f"groups[{j}]", g, min_len=0)]
    if len(flat) != len(set(flat)) or not flat or min(flat) < 0 or max(flat) >= X.shape[1]:
        raise ValueError("groups must be disjoint, non-empty lists of pixel positions inside X")
    if max(len(g) for g in groups) > 20:
        raise ValueError(f"groups of more than 20 pixels would need tables of 2^{max(len(g) for g in groups)} entries")
    rng = np.random.default_rng(check.seed(seed))
    out = []
    for g in groups:
        n = 2 ** len(g)
        table = rng.permutation(np.arange(n) % 2)  # half the patterns map to 1: a non-constant factor
        idx = np.zeros(X.shape[0], dtype=np.int64)
        for i in g:
            idx = idx * 2 + X[:, i]
        out.append(table[idx])
    return np.stack(out, axis=1)


def pattern_index(X: np.ndarray, positions: object, values: int = 2) -> np.ndarray:
    """An integer code of each row's pattern on `positions` (mixed radix): group samples by the exact x_alpha."""
    values = check.integer("values", values, low=2)
    X = check.codes("X", X, (None, None), high=values, what="symbols")
    pos = check.integers("positions", positions, min_len=0)
    if not pos or min(pos) < 0 or max(pos) >= X.shape[1]:
        raise ValueError(f"positions must be a non-empty subset of [0, {X.shape[1]}), got {pos}")
    return _pattern_index(X, pos, values)


def _pattern_index(X: np.ndarray, pos: list[int] | frozenset[int], values: int) -> np.ndarray:
    if values ** len(set(pos)) > 2**62:
        raise ValueError(f"{values}^{len(set(pos))} patterns on these positions overflow an int64 code")
    idx = np.zeros(X.shape[0], dtype=np.int64)
    for i in sorted(pos):
        idx = idx * values + X[:, i]
    return idx
