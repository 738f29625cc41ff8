"""Feature maps of the all-ones input, stored once per distinct row and column (why the path-norm pass is cheap).

The |theta| pass feeds a constant input.  A convolution or pooling of a map that is constant away from its borders
is again constant away from its borders: output positions whose windows read the same input rows (and the same
padding) hold the same value.  So a map is stored as a ``_Tiled``: a small ``data`` tensor and, for each spatial
dimension, an index ``map`` from full positions to rows of ``data``.  A windowed operation (convolution, window sum,
average pool) is computed only at one representative of each distinct window "signature" -- the tuple of input
rows under the window, with padding marked -- by gathering those windows side by side and running the operation
with stride = kernel.  The early layers of an image net, where most of a forward pass's time goes, then cost a few
dozen positions instead of thousands; the result is the same sum of the same products (up to summation order).

Whatever cannot keep the tiling (a Linear layer, a reshape, an adaptive pool, the output) works on the full map
(``_full``).  Gathers are ``index_select``, so autograd flows through (the path-magnitude scores).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

__all__: list[str] = []  # internal: used by the modules of this package, not a public API


@dataclass(frozen=True)
class _Tiled:
    """A (N, C, *spatial) map stored as ``data`` (N, C, *rows) and one full-length index map per spatial dim."""

    data: torch.Tensor
    maps: tuple[torch.Tensor, ...]

    @property
    def shape(self) -> torch.Size:
        """The full shape."""
        return torch.Size((*self.data.shape[:2], *(len(m) for m in self.maps)))

    @property
    def ndim(self) -> int:
        """Number of dims of the full map."""
        return self.data.dim()

    def dim(self) -> int:
        """Number of dims of the full map."""
        return self.data.dim()

    def size(self, d: int | None = None):
        """The full shape, or its entry d."""
        return self.shape if d is None else self.shape[d]

    def with_data(self, data: torch.Tensor) -> "_Tiled":
        """The same tiling over new values (an elementwise or per-channel operation)."""
        return _Tiled(data, self.maps)


def _ones(shape: tuple[int, ...], device: torch.device) -> _Tiled | torch.Tensor:
    """The all-ones input (batch of one): tiled when it has channels and 1 or 2 spatial dims."""
    if len(shape) not in (2, 3):
        return torch.ones((1, *shape), dtype=torch.float64, device=device)
    data = torch.ones((1, shape[0]) + (1,) * (len(shape) - 1), dtype=torch.float64, device=device)
    return _Tiled(data, tuple(torch.zeros(s, dtype=torch.long, device=device) for s in shape[1:]))


def _full(v):
    """The full tensor of a tiled map (anything else is returned as it is)."""
    if not isinstance(v, _Tiled):
        return v
    out = v.data
    for i, m in enumerate(v.maps):
        out = out.index_select(2 + i, m)
    return out


def _windows(m: torch.Tensor, n_out: int, k: int, s: int, p: int, d: int,
             weight: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Distinct windows along one dim: (taps (n, k) of data rows, -1 = padding) and the output map (n_out,)."""
    o = torch.arange(n_out, device=m.device)
    taps = o[:, None] * s - p + torch.arange(k, device=m.device)[None, :] * d
    inside = (taps >= 0) & (taps < len(m))
    rows = torch.where(inside, m[taps.clamp(0, len(m) - 1)], -1)
    key = rows.double() if weight is None else torch.cat([rows.double(), weight[:, None]], 1)
    uniq, inverse = torch.unique(key, dim=0, return_inverse=True)
    return uniq[:, :k].long(), inverse


def _gather(data: torch.Tensor, dim: int, taps: torch.Tensor) -> torch.Tensor:
    """Rows `taps` (n, k) of data along dim, laid side by side (n*k rows); -1 reads a zero row."""
    zero = torch.zeros_like(data.narrow(dim, 0, 1))
    padded = torch.cat([data, zero], dim)
    idx = torch.where(taps < 0, data.shape[dim], taps).reshape(-1)
    return padded.index_select(dim, idx)


def _pair(v, n: int) -> tuple[int, ...]:
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * n


def _windowed(x: _Tiled, kernel, stride, padding, dilation, out_sizes: tuple[int, ...], op, *,
             weights: tuple[torch.Tensor, ...] | None = None) -> _Tiled | None:
    """Run a windowed `op` (called on the gathered windows with stride = kernel, no padding) at one position per
    distinct window; None when that would not save work (the caller then runs the plain operation on full maps).

    `weights` (one vector per dim, one entry per output position) tell apart windows that read the same rows but
    weigh them differently (average pools near a ceil-mode border); they are not applied here.
    """
    nd = len(x.maps)
    k, s, p, d = (_pair(v, nd) for v in (kernel, stride, padding, dilation))
    found = [_windows(m, n, k[i], s[i], p[i], d[i], None if weights is None else weights[i])
             for i, (m, n) in enumerate(zip(x.maps, out_sizes))]
    n_rep = 1
    for taps, _ in found:
        n_rep *= len(taps)
    total = 1
    for n in out_sizes:
        total *= n
    if 2 * n_rep > total:
        return None
    g = x.data
    for i, (taps, _) in enumerate(found):
        g = _gather(g, 2 + i, taps)
    return _Tiled(op(g, k), tuple(inv for _, inv in found))


def _conv_out(size: int, k: int, s: int, p: int, d: int, ceil: bool = False) -> int:
    """Output length of a convolution or pooling (torch's formula, ceil mode's last-window rule included)."""
    span = size + 2 * p - d * (k - 1) - 1
    n = (-(-span // s) if ceil else span // s) + 1
    if ceil and (n - 1) * s >= size + p:
        n -= 1
    return n


def _conv(x: _Tiled, w: torch.Tensor, b: torch.Tensor | None, stride, padding, dilation, groups: int) -> _Tiled | None:
    """A Conv1d/Conv2d with weight w and bias b on a tiled map (None: run it on the full map)."""
    if isinstance(padding, str):
        return None
    nd = len(x.maps)
    k = tuple(w.shape[2:])
    s, p, d = (_pair(v, nd) for v in (stride, padding, dilation))
    out = tuple(_conv_out(len(m), k[i], s[i], p[i], d[i]) for i, m in enumerate(x.maps))
    f = F.conv1d if nd == 1 else F.conv2d
    return _windowed(x, k, s, p, d, out, lambda g, kk: f(g, w, b, kk, 0, 1, groups))


def _window_sum(x: _Tiled, kernel, stride, padding, dilation, ceil: bool) -> _Tiled | None:
    """Sum over each pooling window (max-pool as a window sum) on a tiled map."""
    nd = len(x.maps)
    k = _pair(kernel, nd)
    s = _pair(stride if stride is not None and stride != [] else kernel, nd)
    p, d = _pair(padding, nd), _pair(dilation, nd)
    out = tuple(_conv_out(len(m), k[i], s[i], p[i], d[i], ceil) for i, m in enumerate(x.maps))
    return _windowed(x, k, s, p, d, out, _sum_op(nd))


def _sum_op(nd: int):
    """Sum over gathered windows laid side by side (kernel = stride)."""
    def op(g: torch.Tensor, kk: tuple[int, ...]) -> torch.Tensor:
        g4 = g.unsqueeze(-2) if nd == 1 else g
        kk4 = (1, kk[0]) if nd == 1 else kk
        r = F.avg_pool2d(g4, kk4, kk4, 0, False, True, 1)
        return r.squeeze(-2) if nd == 1 else r
    return op


def _add(a, b):
    """a + b for tiled or full maps of equal shape (tilings refined to a common one)."""
    if isinstance(a, _Tiled) and isinstance(b, _Tiled):
        if all(ma is mb or torch.equal(ma, mb) for ma, mb in zip(a.maps, b.maps)):
            return a.with_data(a.data + b.data)
        da, db, maps = a.data, b.data, []
        for i, (ma, mb) in enumerate(zip(a.maps, b.maps)):
            uniq, inv = torch.unique(torch.stack([ma, mb], 1), dim=0, return_inverse=True)
            da, db = da.index_select(2 + i, uniq[:, 0]), db.index_select(2 + i, uniq[:, 1])
            maps.append(inv)
        return _Tiled(da + db, tuple(maps))
    return _full(a) + _full(b)


def _cat_channels(vs: list) -> _Tiled | torch.Tensor:
    """Concatenation along channels (dim 1) of tiled maps with a common refinement of their tilings."""
    if not all(isinstance(v, _Tiled) for v in vs) or len({len(v.maps) for v in vs}) != 1:
        return torch.cat([_full(v) for v in vs], 1)
    datas, maps = [v.data for v in vs], []
    for i in range(len(vs[0].maps)):
        uniq, inv = torch.unique(torch.stack([v.maps[i] for v in vs], 1), dim=0, return_inverse=True)
        datas = [dt.index_select(2 + i, uniq[:, j]) for j, dt in enumerate(datas)]
        maps.append(inv)
    return _Tiled(torch.cat(datas, 1), tuple(maps))


def _spatial_sum(x: _Tiled, dims: tuple[int, ...], keepdim: bool):
    """Sum over some dims (channels and/or spatial ones) of a tiled map, counting each stored row's multiplicity."""
    data = x.data
    for i, m in enumerate(x.maps):
        if 2 + i in dims:
            counts = torch.bincount(m, minlength=data.shape[2 + i]).to(data.dtype)
            view = [1] * data.dim()
            view[2 + i] = -1
            data = (data * counts.view(view)).sum(2 + i, keepdim=True)
    if 1 in dims:
        data = data.sum(1, keepdim=True)
    maps = tuple(torch.zeros(1, dtype=torch.long, device=m.device) if 2 + i in dims else m
                 for i, m in enumerate(x.maps))
    t = _Tiled(data, maps)
    return t if keepdim else _full(t).squeeze(dims)


def _average(x: _Tiled, spec: dict, q: float) -> _Tiled | None:
    """An average pool whose weights 1/d are raised to q, on a tiled map (None: run it on the full map)."""
    nd = len(x.maps)
    k = _pair(spec["kernel_size"], nd)
    stride = spec.get("stride")
    s = _pair(stride if stride is not None and stride != [] else spec["kernel_size"], nd)
    p = _pair(spec.get("padding", 0), nd)
    ceil, cip, div = bool(spec.get("ceil_mode")), spec.get("count_include_pad", True), spec.get("divisor_override")
    weights = []
    for i, m in enumerate(x.maps):  # torch's divisor is a product of one factor per dim (or the override)
        ones = torch.ones((1, 1, 1, len(m)), dtype=torch.float64, device=m.device)
        n_in = F.avg_pool2d(ones, (1, k[i]), (1, s[i]), (0, p[i]), ceil, True, 1)[0, 0, 0]
        mean = F.avg_pool2d(ones, (1, k[i]), (1, s[i]), (0, p[i]), ceil, cip)[0, 0, 0]
        weights.append(torch.ones_like(n_in) if div else (n_in / mean) ** -q)
    out = tuple(len(w) for w in weights)
    r = _windowed(x, k, s, p, 1, out, _sum_op(nd), weights=tuple(weights))
    if r is None:
        return None
    if div:
        return r.with_data(r.data * (1.0 / div) ** q)
    data = r.data
    for i, (w, inv) in enumerate(zip(weights, r.maps)):
        rep = torch.zeros(data.shape[2 + i], dtype=w.dtype, device=w.device).scatter_(0, inv, w)
        view = [1] * data.dim()
        view[2 + i] = -1
        data = data * rep.view(view)
    return r.with_data(data)
