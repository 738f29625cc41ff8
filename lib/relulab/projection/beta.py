"""The per-sample beta-expansion of a student's gradient (Tian's 2019/2020 follow-ups, "recursive gradient rule").

For bias-free ReLU MLPs with linear tops of the same size and the loss 0.5 ||f*_L - f_L||^2:
g_l(x) = D_l(x) [A_l(x) f*_l(x) - B_l(x) f_l(x)], A_l = V_l^T V*_l, B_l = V_l^T V_l, where
V_l = W_L D_{L-1} W_{L-1} ... D_{l+1} W_{l+1} is the gated map from layer l to the output.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from typing import Sequence

import torch

from .. import check

__all__ = ["BetaExpansion", "beta_expansion"]


@dataclass(frozen=True)
class BetaExpansion(Mapping):
    """g, A, B, V, V_star, f, f_star, D at one input and one hidden layer (also a read-only mapping: ``out["A"]``)."""

    g: torch.Tensor
    A: torch.Tensor
    B: torch.Tensor
    V: torch.Tensor
    V_star: torch.Tensor
    f: torch.Tensor
    f_star: torch.Tensor
    D: torch.Tensor

    # older chapters read the result like the dict it used to be
    def __getitem__(self, key: str) -> torch.Tensor:
        if key not in {f.name for f in fields(self)}:
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(f.name for f in fields(self))

    def __len__(self) -> int:
        return len(fields(self))


def _forward(Ws: Sequence[torch.Tensor], x: torch.Tensor) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """Activations f_0..f_L (f_0 = x, linear top) and gate vectors D_1..D_{L-1} of a bias-free ReLU MLP."""
    fs, Ds = [x], []
    for W in Ws[:-1]:
        raw = W @ fs[-1]
        Ds.append((raw > 0).to(raw.dtype))
        fs.append(raw * Ds[-1])
    fs.append(Ws[-1] @ fs[-1])
    return fs, Ds


def _top_map(Ws: Sequence[torch.Tensor], Ds: list[torch.Tensor], layer: int) -> torch.Tensor:
    V = Ws[-1]
    for k in range(len(Ws) - 2, layer - 1, -1):  # V <- V D_k W_k, from the top down to layer + 1
        V = (V * Ds[k]) @ Ws[k]
    return V


def _weights(name: str, Ws: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    if len(check.instance(name, Ws, (list, tuple))) < 2:
        raise ValueError(f"{name} must be a list of at least 2 weight matrices (out, in), the last one linear")
    Ws = [check.tensor(f"{name}[{i}]", W, ndim=2) for i, W in enumerate(Ws)]
    for l in range(1, len(Ws)):
        if Ws[l].shape[1] != Ws[l - 1].shape[0]:
            raise ValueError(f"{name}[{l}] takes {Ws[l].shape[1]} inputs but {name}[{l - 1}] has {Ws[l - 1].shape[0]} outputs")
    return Ws


def beta_expansion(
    student: Sequence[torch.Tensor], teacher: Sequence[torch.Tensor], x: torch.Tensor, layer: int
) -> BetaExpansion:
    """g_l(x) = D_l(x) [A_l(x) f*_l(x) - B_l(x) f_l(x)] at one input x, for hidden layer `layer` in 1..L-1."""
    student, teacher = _weights("student", student), _weights("teacher", teacher)
    L = len(student)
    if len(teacher) != L:
        raise ValueError(f"student and teacher need the same number of layers, got {L} and {len(teacher)}")
    layer = check.integer("layer", layer, low=1, high=L - 1)
    if student[0].shape[1] != teacher[0].shape[1] or student[-1].shape[0] != teacher[-1].shape[0]:
        raise ValueError("student and teacher must have the same input and output sizes")
    x = check.tensor("x", x, shape=(student[0].shape[1],))
    fs, Ds = _forward(student, x)
    fts, Dts = _forward(teacher, x)
    V, Vt = _top_map(student, Ds, layer), _top_map(teacher, Dts, layer)
    A, B = V.T @ Vt, V.T @ V
    f, ft, D = fs[layer], fts[layer], Ds[layer - 1]
    return BetaExpansion(D * (A @ ft - B @ f), A, B, V, Vt, f, ft, D)
