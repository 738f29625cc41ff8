"""Argument checks at the public boundary: one module, used by every public function.

The rule (see the package docstring): a public function checks its arguments once, on entry, with these
helpers; internal helpers trust their callers.  A value of the wrong *type* raises ``TypeError``; a value
of the right type that is not allowed raises ``ValueError``.  Every message names the argument.
Each helper returns the checked value (converted where that is its job), so a check reads as one line:

    width = check.integer("width", width, low=1)
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Iterable, Sequence

import numpy as np
import torch
from torch import nn

__all__ = [
    "array", "batch", "box", "choice", "codes", "device", "dtype", "instance", "integer", "integers", "model",
    "parameter_count", "real", "seed", "tensor", "text", "within_budget",
]


def integer(name: str, v: Any, *, low: int | None = None, high: int | None = None) -> int:
    """An int (bool refused) with optional inclusive bounds."""
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(v).__name__}")
    v = int(v)
    if low is not None and v < low:
        raise ValueError(f"{name} must be >= {low}, got {v}")
    if high is not None and v > high:
        raise ValueError(f"{name} must be <= {high}, got {v}")
    return v


def integers(name: str, vs: Any, *, low: int | None = None, min_len: int = 1, length: int | None = None) -> list[int]:
    """A non-empty sequence of ints (or a 1-D integer tensor), each checked by :func:`integer`; `length` ints if set."""
    if isinstance(vs, torch.Tensor):
        vs = tensor(name, vs, ndim=1, integer=True).tolist()
    if isinstance(vs, (str, bytes)) or not isinstance(vs, Iterable):
        raise TypeError(f"{name} must be a sequence of ints, got {type(vs).__name__}")
    out = [integer(f"{name}[{i}]", v, low=low) for i, v in enumerate(vs)]
    if len(out) < min_len or length is not None and len(out) != length:
        raise ValueError(f"{name} must have {length or f'at least {min_len}'} entries, got {len(out)}")
    return out


def seed(v: Any) -> int:
    """A seed: an int >= 0 (every random function takes ``seed: int`` as a keyword)."""
    return integer("seed", v, low=0)


def real(
    name: str,
    v: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    open_low: bool = False,
    open_high: bool = False,
) -> float:
    """A finite real number (bool refused; a 0-d array or tensor counts) with optional bounds, closed unless
    ``open_*`` is set."""
    if isinstance(v, (np.ndarray, torch.Tensor)) and v.ndim == 0 and v.dtype not in (np.bool_, torch.bool):
        v = v.item()
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(v).__name__}")
    v = float(v)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {v}")
    if low is not None and (v < low or (open_low and v == low)):
        raise ValueError(f"{name} must be {'>' if open_low else '>='} {low:g}, got {v:g}")
    if high is not None and (v > high or (open_high and v == high)):
        raise ValueError(f"{name} must be {'<' if open_high else '<='} {high:g}, got {v:g}")
    return v


def array(
    name: str, x: Any, ndim: int | None = None, *, allow_empty: bool = False, column: bool = False,
    columns: int | None = None,
) -> np.ndarray:
    """Real numbers (array-like or tensor) as a finite float64 numpy array of `ndim` dims, non-empty unless told.

    ``column``: a 1-D array is one column (N,) -> (N, 1); ``columns``: the number of columns (with ``ndim=2``).
    """
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    try:
        if x is None or np.iscomplexobj(x) or getattr(x, "dtype", None) == object and x.ndim == 0:
            raise TypeError("None or complex values")  # None reads as a 0-d NaN; float64 drops imaginary parts
        a = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of real numbers") from exc
    a = a[:, None] if column and a.ndim == 1 else a
    if ndim is not None and a.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {a.shape}")
    if columns is not None and a.shape[1] != columns:
        raise ValueError(f"{name} must have {columns} columns, got shape {a.shape}")
    if a.size == 0 and not allow_empty:
        raise ValueError(f"{name} is empty")
    if not np.isfinite(a).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return a


def _shape(name: str, got: tuple[int, ...], shape: Sequence[int | None]) -> None:
    if len(got) != len(shape) or any(s is not None and s != d for s, d in zip(shape, got)):
        want = "(" + ", ".join("*" if s is None else str(s) for s in shape) + ")"
        raise ValueError(f"{name} must have shape {want}, got {got}")


def codes(
    name: str, x: Any, shape: Sequence[int | None], *, high: int | None = None, what: str = "codes"
) -> np.ndarray:
    """Integer codes (array-like or tensor) as a non-empty int64 numpy array of `shape` (None entries free), in
    [0, high) when given.  bool counts as 0/1; floats only when they hold whole numbers (no silent truncation)."""
    a = np.asarray(x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else x)
    a = a.astype(np.int64) if a.dtype == bool else a
    if not (np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)):
        raise TypeError(f"{name} must hold integer {what}, got dtype {a.dtype}")
    if np.issubdtype(a.dtype, np.floating) and not (np.isfinite(a).all() and (a == np.round(a)).all()):
        raise TypeError(f"{name} must hold integer {what}; it has non-integer (or NaN/inf) values")
    _shape(name, a.shape, shape)
    if a.size == 0:
        raise ValueError(f"{name} is empty (shape {a.shape})")
    if high is not None and (a.min() < 0 or a.max() >= high):
        raise ValueError(f"{name} must hold {what} in [0, {high}), got values in [{a.min()}, {a.max()}]")
    return a.astype(np.int64)


def box(name: str, v: Any, n: int) -> tuple[float, ...]:
    """A box (lo_1, hi_1, ..., lo_n, hi_n) of R^n: 2n finite reals with lo_i < hi_i."""
    if isinstance(v, (str, bytes)) or not hasattr(v, "__len__"):
        raise TypeError(f"{name} must be a sequence (lo_1, hi_1, ..., lo_n, hi_n), got {type(v).__name__}")
    if len(v) != 2 * n:
        raise ValueError(f"{name} must hold 2n = {2 * n} numbers (lo_1, hi_1, ...), got {len(v)}")
    out = tuple(real(f"{name}[{i}]", x) for i, x in enumerate(v))
    if not all(lo < hi for lo, hi in zip(out[0::2], out[1::2])):
        raise ValueError(f"{name} must have lo_i < hi_i in every coordinate, got {list(v)}")
    return out


def choice(name: str, v: Any, options: Sequence[Any]) -> Any:
    """One of a fixed set of values."""
    if v not in options:
        raise ValueError(f"{name} must be one of {tuple(options)}, got {v!r}")
    return v


def text(name: str, v: Any) -> str:
    """A str."""
    if not isinstance(v, str):
        raise TypeError(f"{name} must be a str, got {type(v).__name__}")
    return v


def tensor(
    name: str,
    x: Any,
    *,
    ndim: int | Sequence[int] | None = None,
    shape: Sequence[int | None] | None = None,
    dtype: torch.dtype | None = None,
    finite: bool = True,
    floating: bool = True,
    integer: bool = False,
) -> torch.Tensor:
    """A torch.Tensor (numpy arrays are refused: say ``torch.as_tensor``) with the given rank, shape and dtype.

    ``shape`` entries that are ``None`` are free.  ``finite`` refuses NaN and inf; ``floating`` refuses
    integer and complex tensors; ``integer`` asks for an integer tensor instead (bool refused).
    """
    if not isinstance(x, torch.Tensor):
        hint = " (convert with torch.as_tensor)" if isinstance(x, np.ndarray) else ""
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}{hint}")
    if integer and (x.dtype.is_floating_point or x.dtype.is_complex or x.dtype == torch.bool):
        raise TypeError(f"{name} must be an integer tensor, got dtype {x.dtype}")
    if floating and not integer and (not x.dtype.is_floating_point or x.dtype.is_complex):
        raise TypeError(f"{name} must be a real floating tensor, got dtype {x.dtype}")
    if dtype is not None and x.dtype != dtype:
        raise TypeError(f"{name} must have dtype {dtype}, got {x.dtype}")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if x.dim() not in allowed:
            raise ValueError(f"{name} must have {' or '.join(map(str, allowed))} dimensions, got shape {tuple(x.shape)}")
    if shape is not None:
        _shape(name, tuple(x.shape), shape)
    if finite and x.numel() and not bool(torch.isfinite(x).all()):
        raise ValueError(f"{name} contains NaN or infinite values")
    return x


def batch(name: str, x: Any, *, dtype: torch.dtype | None = None, **kw: Any) -> torch.Tensor:
    """A non-empty batch of inputs (N, ...): a :func:`tensor` (`kw`: ndim, shape, finite); ``dtype``: the weights'."""
    x = tensor(name, x, **kw)
    if dtype is not None and x.dtype != dtype:
        raise TypeError(f"{name} has dtype {x.dtype} but the model's weights are {dtype}: convert one of them")
    if x.dim() == 0 or x.shape[0] == 0:
        raise ValueError(f"{name} is an empty batch (N = 0), shape {tuple(x.shape)}")
    return x


def instance(name: str, v: Any, types: type | tuple[type, ...]) -> Any:
    """An instance of ``types``."""
    if not isinstance(v, types):
        want = " or ".join(t.__name__ for t in (types if isinstance(types, tuple) else (types,)))
        raise TypeError(f"{name} must be a {want}, got {type(v).__name__}")
    return v


def model(name: str, m: Any, types: type | tuple[type, ...] = nn.Module) -> Any:
    """An ``nn.Module`` (or an instance of the module classes ``types``)."""
    return instance(name, m, types)


def dtype(name: str, v: Any, *, none: bool = True) -> torch.dtype | None:
    """A real floating ``torch.dtype`` (or None where `none`)."""
    if (v is not None or not none) and (not isinstance(v, torch.dtype) or not v.is_floating_point or v.is_complex):
        raise TypeError(f"{name} must be a real floating torch.dtype{' or None' if none else ''}, got {v!r}")
    return v


def device(name: str, v: Any) -> torch.device:
    """A ``torch.device`` or a device name ("cpu", "cuda", "cuda:1") of a device this machine has."""
    if not isinstance(v, (str, torch.device)):
        raise TypeError(f"{name} must be a torch.device or a device name ('cpu', 'cuda'), got {type(v).__name__}")
    try:
        d = torch.device(v)
    except RuntimeError as exc:
        raise ValueError(f"{name} is not a device name: {v!r}") from exc
    if d.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"{name} is {v!r}, but torch sees no CUDA device on this machine")
    if d.type == "cuda" and d.index is not None and d.index >= torch.cuda.device_count():
        raise ValueError(f"{name} is {v!r}, but this machine has {torch.cuda.device_count()} CUDA device(s)")
    if d.type not in ("cpu", "cuda"):
        raise ValueError(f"{name} must be a CPU or CUDA device, got {v!r}")
    return d


def within_budget(name: str, cost: float, budget: float, *, what: str = "operations") -> None:
    """Refuse work whose `cost` exceeds `budget` (exponential references on too large an instance)."""
    if cost > budget:  # integers in full (5,001 > 5,000 reads right; 5e+03 > 5e+03 would not)
        c, b = (f"{v:,}" if isinstance(v, numbers.Integral) else f"{v:.3g}" for v in (cost, budget))
        raise ValueError(f"{name}: {c} {what} exceed the budget of {b}; use a smaller instance")


# Nets beyond 1e9 parameters (8 GB in float64, a third of this machine) are a typo, never a book experiment.
MAX_PARAMETERS = 10**9
# Refuse matrices and tensors beyond 1e8 entries (0.8 GB in float64): the book's are far smaller, a typo would swap.
MAX_ENTRIES = 10**8


def parameter_count(name: str, count: int) -> None:
    """Refuse to build a net `name` of more than MAX_PARAMETERS parameters (every builder of relulab.nets asks)."""
    within_budget(name, count, MAX_PARAMETERS, what="parameters")
