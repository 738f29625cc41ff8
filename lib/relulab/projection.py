"""Tian's projection of a student onto a teacher's graph: marginal statistics, the reformulated passes, Batch Norm.

- marginal statistics of a summarisation ladder: :func:`conditional_mean`, :func:`event_statistics` (P, P^b, Lambda);
- the reformulated forward/backward passes and weight update of Theorem 4: :func:`reformulated_forward`,
  :func:`reformulated_backward`, :func:`weight_update`;
- Batch Norm's backward pass as a projection: :func:`bn_backward`, :func:`bn_projector`;
- the per-sample beta-expansion of the student's gradient (Tian's 2019/2020 follow-ups): :func:`beta_expansion`;
- convex-hull vertices and the separating construction of Theorem 6 by linear programs: :func:`is_vertex`,
  :func:`vertices`, :func:`separating_weights`;
- tensor-product (disentangled) structure: :func:`kron`, :func:`disentanglement_residual`.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from scipy.optimize import linprog

Array = torch.Tensor
# Dense (N, N) projectors beyond 10^4 samples would hold 10^8 entries (0.8 GB); LPs over more than 5,000 rows one by one
# would take hours: both are refused with the count.
MAX_PROJECTOR = 10_000
MAX_LP_ROWS = 5_000


def _finite(name: str, t: Array) -> None:
    if not torch.isfinite(t).all():
        raise ValueError(f"{name} contains NaN or inf")


def _as_tensor(name: str, x: object) -> Array:
    if isinstance(x, np.ndarray):
        x = torch.from_numpy(x)
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor or numpy array, got {type(x).__name__}")
    return x


def _check_m(name: str, m: object) -> int:
    if isinstance(m, bool) or not isinstance(m, (int, np.integer)):
        raise TypeError(f"{name} must be an int (the number of events), got {type(m).__name__}")
    if m < 1:
        raise ValueError(f"{name} must be >= 1, got {m}")
    return int(m)


def _weights(name: str, w: object, n: int | None = None) -> Array:
    """Sample weights: a 1-D, finite, non-negative, non-empty tensor (of length n when given)."""
    w = _as_tensor(name, w)
    if w.dim() != 1 or (n is not None and w.shape[0] != n):
        raise ValueError(f"{name} must have shape ({n if n is not None else 'N'},), got {tuple(w.shape)}")
    if w.shape[0] == 0:
        raise ValueError(f"{name} is empty: no samples")
    _finite(name, w)
    if (w < 0).any():
        raise ValueError(f"{name} must be non-negative")
    return w


def _matrices(name: str, mats: object) -> list[Array]:
    """A non-empty sequence of finite 2-D tensors."""
    if isinstance(mats, torch.Tensor) or not isinstance(mats, (list, tuple)):
        raise TypeError(f"{name} must be a list of 2-D tensors, got {type(mats).__name__}")
    for i, M in enumerate(mats):
        if not isinstance(M, torch.Tensor):
            raise TypeError(f"{name}[{i}] must be a torch.Tensor, got {type(M).__name__}")
        if M.dim() != 2:
            raise ValueError(f"{name}[{i}] must be 2-D, got shape {tuple(M.shape)}")
        _finite(f"{name}[{i}]", M)
    return list(mats)


def _codes(name: str, z: object) -> np.ndarray:
    """Integer codes as an int64 array; floats are accepted only when they hold integers (no silent truncation)."""
    arr = np.asarray(z.detach().cpu() if isinstance(z, torch.Tensor) else z)
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        if not (np.issubdtype(arr.dtype, np.floating) and np.isfinite(arr).all() and (arr == np.round(arr)).all()):
            raise TypeError(f"{name} must hold integer event indices, got dtype {arr.dtype} with non-integer values")
    return arr.astype(np.int64)


def _events(name: str, z: object, m: int, n: int) -> torch.Tensor:
    z = torch.as_tensor(_codes(name, z), dtype=torch.long)
    if z.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},), got {tuple(z.shape)}")
    if n and (z.min() < 0 or z.max() >= m):
        raise ValueError(f"{name} must hold events in [0, {m})")
    return z


# ---------------------------------------------------------------- marginal statistics


def conditional_mean(values: Array, z: object, weights: Array, m: int) -> Array:
    """E[values | z = a] for a = 0..m-1 under the sample weights: an (m, ...) table.

    Every event must have positive mass (a conditional mean on an empty event is undefined).
    """
    values = _as_tensor("values", values)
    m = _check_m("m", m)
    if values.dim() == 0:
        raise ValueError("values must have a sample dimension, got a scalar")
    n = values.shape[0]
    if n == 0:
        raise ValueError("values is empty: no samples")
    weights = _weights("weights", weights, n)
    _finite("values", values)
    z = _events("z", z, m, n)
    onehot = torch.nn.functional.one_hot(z, m).to(values.dtype) * weights.to(values.dtype)[:, None]  # (n, m)
    mass = onehot.sum(0)
    if (mass <= 0).any():
        raise ValueError(f"events {torch.nonzero(mass <= 0).flatten().tolist()} have zero mass")
    return torch.einsum("na,n...->a...", onehot, values) / mass.reshape((m,) + (1,) * (values.dim() - 1))


def event_statistics(z_parent: object, z_child: object, weights: Array, m_parent: int, m_child: int) -> dict[str, Array]:
    """Tian's Table 3 for one edge: P[a,b] = P(z_child=b | z_parent=a), Pb[a,b] = P(z_parent=a | z_child=b), lambdas."""
    weights = _weights("weights", weights)
    m_parent, m_child = _check_m("m_parent", m_parent), _check_m("m_child", m_child)
    n = weights.shape[0]
    zp, zc = _events("z_parent", z_parent, m_parent, n), _events("z_child", z_child, m_child, n)
    joint = torch.zeros(m_parent, m_child, dtype=weights.dtype).index_put_((zp, zc), weights, accumulate=True)
    joint = joint / joint.sum()
    lam_p, lam_c = joint.sum(1), joint.sum(0)
    if (lam_p <= 0).any() or (lam_c <= 0).any():
        raise ValueError("every parent and child event must have positive probability")
    return {"P": joint / lam_p[:, None], "Pb": joint / lam_c[None, :], "lam_parent": lam_p, "lam_child": lam_c, "joint": joint}


# ---------------------------------------------------------------- the reformulated passes (Theorem 4)


def _gate(raw: Array, D: Array | str | None) -> Array:
    if D is None:
        return raw
    if isinstance(D, str):
        if D != "relu":
            raise ValueError(f"D must be a tensor, None (linear) or 'relu', got {D!r}")
        return raw * (raw > 0).to(raw.dtype)
    if D.shape != raw.shape:
        raise ValueError(f"D must have shape {tuple(raw.shape)}, got {tuple(D.shape)}")
    return D * raw


def reformulated_forward(Ps: Sequence[Array], Fs: Sequence[Array], Ws: Sequence[Array], D: Array | str | None = None, bias: Array | None = None) -> Array:
    """F_alpha = D_alpha o sum_beta P_ab F_beta W_ba (+ bias): one step of Theorem 4's forward pass.

    `D` is the measured gate table, ``"relu"`` for the pure reformulated dynamics (D = 1[F^raw > 0]), or None (linear).
    """
    Ps, Fs, Ws = _matrices("Ps", Ps), _matrices("Fs", Fs), _matrices("Ws", Ws)
    if not (len(Ps) == len(Fs) == len(Ws)) or not Ps:
        raise ValueError("Ps, Fs, Ws must be non-empty and of equal length (one entry per child)")
    raw = None
    for i, (P, F, W) in enumerate(zip(Ps, Fs, Ws)):
        if P.shape[1] != F.shape[0] or F.shape[1] != W.shape[0]:
            raise ValueError(f"child {i}: P {tuple(P.shape)}, F {tuple(F.shape)}, W {tuple(W.shape)} do not chain")
        term = P @ F @ W
        raw = term if raw is None else raw + term
    if bias is not None:
        raw = raw + bias
    return _gate(raw, D)


def reformulated_backward(Pbs: Sequence[Array], Gs: Sequence[Array], Ws: Sequence[Array], D: Array | None = None) -> Array:
    """G_beta = D_beta o sum_alpha (P^b_ab)^T G_alpha W_ba^T: one step of Theorem 4's backward pass."""
    Pbs, Gs, Ws = _matrices("Pbs", Pbs), _matrices("Gs", Gs), _matrices("Ws", Ws)
    if not (len(Pbs) == len(Gs) == len(Ws)) or not Pbs:
        raise ValueError("Pbs, Gs, Ws must be non-empty and of equal length (one entry per parent)")
    raw = None
    for i, (Pb, G, W) in enumerate(zip(Pbs, Gs, Ws)):
        if Pb.shape[0] != G.shape[0] or G.shape[1] != W.shape[1]:
            raise ValueError(f"parent {i}: Pb {tuple(Pb.shape)}, G {tuple(G.shape)}, W {tuple(W.shape)} do not chain")
        term = Pb.T @ G @ W.T
        raw = term if raw is None else raw + term
    return _gate(raw, D)


def weight_update(P: Array, F_child: Array, lam_parent: Array, G_parent: Array) -> Array:
    """Delta W_ba = (P_ab F_beta)^T Lambda_alpha G_alpha: the (n_child, n_parent) descent step of Theorem 4."""
    for name, t in (("P", P), ("F_child", F_child), ("lam_parent", lam_parent), ("G_parent", G_parent)):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
        _finite(name, t)
    if P.shape != (lam_parent.shape[0], F_child.shape[0]) or G_parent.shape[0] != lam_parent.shape[0]:
        raise ValueError(
            f"shapes do not chain: P {tuple(P.shape)}, F {tuple(F_child.shape)}, lambda {tuple(lam_parent.shape)}, "
            f"G {tuple(G_parent.shape)}"
        )
    return (P @ F_child).T @ (lam_parent[:, None] * G_parent)


# ---------------------------------------------------------------- Batch Norm (Theorem 5)


def _bn_check(x: Array, grad_out: Array | None, eps: float, name: str = "x") -> tuple[int, ...]:
    x = _as_tensor(name, x)
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {x.dtype}")
    if grad_out is not None:
        grad_out = _as_tensor("grad_out", grad_out)
        if grad_out.shape != x.shape:
            raise ValueError(f"grad_out must have the shape of {name} {tuple(x.shape)}, got {tuple(grad_out.shape)}")
        _finite("grad_out", grad_out)
    if x.dim() == 0:
        raise ValueError(f"{name} must have a batch dimension")
    if not eps >= 0:
        raise ValueError(f"eps must be >= 0, got {eps}")
    _finite(name, x)
    dims = (0,) if x.dim() <= 2 else (0,) + tuple(range(2, x.dim()))
    count = int(np.prod([x.shape[d] for d in dims]))
    if count < 2:
        raise ValueError(f"batch norm needs at least 2 samples per channel, got {count} (a batch of one)")
    if eps == 0:
        var = x.var(dim=dims, unbiased=False)
        scale = x.abs().amax(dim=dims).clamp_min(1e-300)
        if (var <= (1e-14 * scale) ** 2).any():
            raise ValueError(f"{name} is constant over the batch in some channel: sigma = 0 and batch norm is undefined at eps = 0")
    return dims


def bn_backward(x: Array, grad_out: Array, eps: float = 0.0) -> Array:
    """dL/dx for y = (x - mean) / sqrt(var + eps) (training mode, no affine, biased variance), by the projection formula.

    Normalisation runs over dimension 0 for (N,) or (N, C) inputs and over every dimension but 1 for (N, C, ...).
    With eps = 0 the result is (1/sigma) (I - 11^T/N - x_hat x_hat^T/N) grad_out, the projection of Theorem 5.
    """
    dims = _bn_check(x, grad_out, eps)
    mu = x.mean(dim=dims, keepdim=True)
    s = torch.sqrt(((x - mu) ** 2).mean(dim=dims, keepdim=True) + eps)
    xh = (x - mu) / s
    return (grad_out - grad_out.mean(dim=dims, keepdim=True) - xh * (xh * grad_out).mean(dim=dims, keepdim=True)) / s


def bn_projector(f: Array, weights: Array | None = None) -> Array:
    """The (N, N) matrix I - 1 1^T Lambda - f~ f~^T Lambda, f~ = f normalised under the sample weights Lambda.

    With uniform weights (1/N) this is Theorem 5's projector onto span{1, f}^perp; with weights it is the projector
    orthogonal in the inner product <u, v> = sum_n w_n u_n v_n (Batch Norm inside the reformulation).
    """
    f = _as_tensor("f", f)
    if f.dim() != 1:
        raise ValueError(f"f must be one node's values, shape (N,), got {tuple(f.shape)}")
    n = f.shape[0]
    if n > MAX_PROJECTOR:
        raise ValueError(f"f has {n} samples: the (N, N) projector would hold {n * n:,} entries (N > {MAX_PROJECTOR})")
    _bn_check(f, None, 0.0, name="f")
    w = torch.full((n,), 1.0 / max(n, 1), dtype=f.dtype) if weights is None else _as_tensor("weights", weights)
    if w.shape != (n,):
        raise ValueError(f"weights must have shape ({n},), got {tuple(w.shape)}")
    if (w < 0).any() or not torch.isfinite(w).all() or w.sum() <= 0:
        raise ValueError("weights must be finite, non-negative and not all zero")
    w = w / w.sum()
    mu = (w * f).sum()
    sigma = torch.sqrt((w * (f - mu) ** 2).sum())
    ft = (f - mu) / sigma
    one = torch.ones(n, dtype=f.dtype)
    return torch.eye(n, dtype=f.dtype) - torch.outer(one, w) - torch.outer(ft, w * ft)


# ---------------------------------------------------------------- the beta-expansion (follow-up papers)


def _relu_forward(Ws: Sequence[Array], x: Array) -> tuple[list[Array], list[Array]]:
    """Activations f_0..f_L (f_0 = x, top linear) and gate vectors D_1..D_{L-1} of a bias-free ReLU MLP."""
    fs, Ds = [x], []
    for l, W in enumerate(Ws):
        raw = fs[-1] @ W.T
        if l < len(Ws) - 1:
            D = (raw > 0).to(raw.dtype)
            Ds.append(D)
            fs.append(raw * D)
        else:
            fs.append(raw)
    return fs, Ds


def beta_expansion(student: Sequence[Array], teacher: Sequence[Array], x: Array, layer: int) -> dict[str, Array]:
    """g_l(x) = D_l(x) [A_l(x) f*_l(x) - B_l(x) f_l(x)] for one input x (bias-free ReLU MLPs, squared loss).

    `student`, `teacher`: weight matrices (out, in) of each layer, the last one linear; same input and output sizes.
    `layer` = l in 1..L-1 (hidden layer).  V_l = W_L D_{L-1} W_{L-1} ... D_{l+1} W_{l+1} (V*_l likewise),
    A_l = V_l^T V*_l, B_l = V_l^T V_l; returns g, A, B, V, V_star, f, f_star, D.
    """
    L = len(student)
    if len(teacher) != L or L < 2:
        raise ValueError(f"student and teacher need the same number (>= 2) of layers, got {len(student)} and {len(teacher)}")
    if not 1 <= layer <= L - 1:
        raise ValueError(f"layer must be a hidden layer in [1, {L - 1}], got {layer}")
    if student[0].shape[1] != teacher[0].shape[1] or student[-1].shape[0] != teacher[-1].shape[0]:
        raise ValueError("student and teacher must have the same input and output sizes")
    student, teacher = _matrices("student", student), _matrices("teacher", teacher)
    for name, Ws in (("student", student), ("teacher", teacher)):
        for l in range(1, L):
            if Ws[l].shape[1] != Ws[l - 1].shape[0]:
                raise ValueError(f"{name}[{l}] takes {Ws[l].shape[1]} inputs but {name}[{l - 1}] has {Ws[l - 1].shape[0]} outputs")
    x = _as_tensor("x", x)
    if x.shape != (student[0].shape[1],):
        raise ValueError(f"x must be one input of shape ({student[0].shape[1]},), got {tuple(x.shape)}")
    _finite("x", x)

    def top_map(Ws: Sequence[Array], Ds: list[Array]) -> Array:
        V = Ws[-1]
        for k in range(L - 2, layer - 1, -1):  # multiply W_{k+1}... downwards: V <- V D_k W_k (1-based k)
            V = (V * Ds[k]) @ Ws[k]
        return V

    fs, Ds = _relu_forward(student, x)
    fts, Dts = _relu_forward(teacher, x)
    V, Vt = top_map(student, Ds), top_map(teacher, Dts)
    A, B = V.T @ Vt, V.T @ V
    f, ft, D = fs[layer], fts[layer], Ds[layer - 1]
    return {"g": D * (A @ ft - B @ f), "A": A, "B": B, "V": V, "V_star": Vt, "f": f, "f_star": ft, "D": D}


# ---------------------------------------------------------------- vertices and separation by LP (Theorems 6, 7)


def _matrix(name: str, P: object) -> np.ndarray:
    P = np.asarray(P.detach() if isinstance(P, torch.Tensor) else P, dtype=float)
    if P.ndim != 2 or P.shape[0] < 1 or P.shape[1] < 1:
        raise ValueError(f"{name} must be a non-empty 2-D matrix, got shape {P.shape}")
    if not np.isfinite(P).all():
        raise ValueError(f"{name} contains NaN or inf")
    return P


def is_vertex(P: object, i: int) -> bool:
    """Whether row i of P is a vertex of the convex hull of the rows (an LP: is p_i a convex combination of the others?)."""
    P = _matrix("P", P)
    m = P.shape[0]
    if isinstance(i, bool) or not isinstance(i, (int, np.integer)):
        raise TypeError(f"i must be an int row index, got {type(i).__name__}")
    if not 0 <= i < m:
        raise ValueError(f"i = {i} is not a row index of P: outside [0, {m})")
    others = np.delete(P, i, axis=0)
    if others.shape[0] == 0:
        return True
    # feasibility: lambda >= 0, sum lambda = 1, others^T lambda = p_i
    A_eq = np.vstack([others.T, np.ones((1, others.shape[0]))])
    b_eq = np.concatenate([P[i], [1.0]])
    res = linprog(np.zeros(others.shape[0]), A_eq=A_eq, b_eq=b_eq, bounds=(0, None), method="highs")
    if res.status not in (0, 2):
        raise RuntimeError(f"linprog failed on the vertex test of row {i}: {res.message}")
    return res.status == 2  # infeasible: p_i is not in the hull of the others, so it is a vertex


def vertices(P: object) -> np.ndarray:
    """Boolean mask of the rows of P that are vertices of the convex hull of the rows; vert(P) = mask.sum()."""
    P = _matrix("P", P)
    if P.shape[0] > MAX_LP_ROWS:
        raise ValueError(f"P has {P.shape[0]} rows: one LP per row over > {MAX_LP_ROWS} rows is refused")
    return np.array([is_vertex(P, i) for i in range(P.shape[0])])


def separating_weights(P: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each row p_i, (w_i, b_i) with w_i.p_i + b_i = 1 and w_i.p_j + b_i <= -1 (j != i), by LP (Theorem 6's proof).

    Returns W (n, m) with columns w_i, b (m,), and a boolean mask of the rows where the LP was feasible.  Where it is
    not (p_i is not a vertex), the column minimises the total violation sum_j max(0, w.p_j + b + 1) instead.
    """
    P = _matrix("P", P)
    m, n = P.shape
    if m > MAX_LP_ROWS:
        raise ValueError(f"P has {m} rows: one LP per row over > {MAX_LP_ROWS} rows is refused")
    W, b, ok = np.zeros((n, m)), np.zeros(m), np.zeros(m, dtype=bool)
    for i in range(m):
        others = np.delete(np.arange(m), i)
        # variables: w (n), b (1), slack s (m-1) >= 0; minimise sum s subject to w.p_j + b - s_j <= -1, w.p_i + b = 1
        c = np.concatenate([np.zeros(n + 1), np.ones(len(others))])
        A_ub = np.hstack([P[others], np.ones((len(others), 1)), -np.eye(len(others))])
        A_eq = np.concatenate([P[i], [1.0], np.zeros(len(others))])[None]
        bounds = [(None, None)] * (n + 1) + [(0, None)] * len(others)
        res = linprog(c, A_ub=A_ub, b_ub=-np.ones(len(others)), A_eq=A_eq, b_eq=[1.0], bounds=bounds, method="highs")
        if res.status != 0:
            raise RuntimeError(f"linprog failed on row {i}: {res.message}")
        w_i, b_i = res.x[:n], res.x[n]
        top = float(P[i] @ w_i + b_i)
        # the LP meets w.p_i + b = 1 only to its feasibility tolerance (~1e-9): rescale so that it holds to rounding
        W[:, i], b[i] = w_i / top, b_i / top
        ok[i] = res.fun <= 1e-7  # zero total slack: the strict separation of Theorem 6 exists
    return W, b, ok


# ---------------------------------------------------------------- tensor products (Lemma 1, Theorems 8, 9)


def kron(*mats: Array) -> Array:
    """The Kronecker product of matrices or vectors, left factor slowest (event index = mixed radix of the factors)."""
    if not mats:
        raise ValueError("kron needs at least one factor")
    for i, M in enumerate(mats):
        if not isinstance(M, torch.Tensor):
            raise TypeError(f"mats[{i}] must be a torch.Tensor, got {type(M).__name__}")
    out = mats[0]
    for M in mats[1:]:
        out = torch.kron(out, M)
    return out


def disentanglement_residual(v: Array, shape: Sequence[int], factor: int) -> float:
    """max |v - (v averaged over every factor but `factor`)| for v laid out as a tensor of `shape` (0 iff v = 1 x f x 1)."""
    v = _as_tensor("v", v)
    shape = tuple(int(s) for s in shape)
    if not shape or any(s < 1 for s in shape):
        raise ValueError(f"shape must be a non-empty tuple of positive sizes, got {shape}")
    _finite("v", v)
    if v.dim() != 1 or v.numel() != int(np.prod(shape)):
        raise ValueError(f"v must be a vector of {int(np.prod(shape))} entries (shape {shape}), got {tuple(v.shape)}")
    if not 0 <= factor < len(shape):
        raise ValueError(f"factor must be in [0, {len(shape)}), got {factor}")
    T = v.reshape(shape)
    others = tuple(d for d in range(len(shape)) if d != factor)
    mean = T.mean(dim=others, keepdim=True) if others else T
    return float((T - mean).abs().max())


# ---------------------------------------------------------------- a student on a ladder: measured vs reformulated


def independence_gap(code: object, fine: object, coarse: object, weights: Array) -> float:
    """max over values of `fine` of TV( P(code | fine), P(code | coarse) ); `coarse` must be a function of `fine`.

    Zero iff code is conditionally independent of `fine` given `coarse`: Tian's focus and broadness conditions.
    """
    weights = _weights("weights", weights)
    code, fine, coarse = (_codes(name, a) for name, a in (("code", code), ("fine", fine), ("coarse", coarse)))
    n = weights.shape[0]
    if not (code.shape == fine.shape == coarse.shape == (n,)):
        raise ValueError(f"code, fine and coarse must all have shape ({n},)")
    w = weights.detach().numpy()
    gap = 0.0
    for c in np.unique(coarse):
        sel = coarse == c
        codes, inv = np.unique(code[sel], return_inverse=True)
        base = np.bincount(inv, weights=w[sel], minlength=len(codes))
        base = base / base.sum()
        for f in np.unique(fine[sel]):
            s2 = fine[sel] == f
            if np.unique(coarse[fine == f]).size != 1:
                raise ValueError("coarse must be a function of fine")
            cond = np.bincount(inv[s2], weights=w[sel][s2], minlength=len(codes))
            if cond.sum() > 0:
                gap = max(gap, 0.5 * float(np.abs(cond / cond.sum() - base).sum()))
    return gap


def conditional_covariance(a: Array, b: Array, z: object, weights: Array, m: int) -> Array:
    """Cov(a, b | z) per event and column: an (m, n) table (Tian's decorrelation condition asks for zeros)."""
    a, b = _as_tensor("a", a), _as_tensor("b", b)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {tuple(a.shape)} and b {tuple(b.shape)}")
    Ea, Eb = conditional_mean(a, z, weights, m), conditional_mean(b, z, weights, m)
    return conditional_mean(a * b, z, weights, m) - Ea * Eb


def ladder_report(net: torch.nn.Module, teacher: object, X: np.ndarray, weights: Array) -> dict[str, object]:
    """Measured marginal tables of a TreeNet student on a Ladder teacher, Theorem 4's tables, and the three conditions.

    The student must read ``one_hot(X)`` through windows equal to the teacher's tree (kernel = stride = fan-in) and
    have ``m_top`` linear outputs, trained against the one-hot top event.  Returned keys (lists indexed [layer][position]):
    ``F, D, G`` measured (E[f | z], E[f' | z], E[g | z]); ``F_local, G_local`` Theorem 2's right-hand sides from the
    *measured* neighbours (G_local is None at the top); ``F_pipe, G_pipe, dW_pipe`` Theorem 4 propagated through the whole
    net with measured gates; ``dW_autograd`` (-dL/dW for L = sum_x P(x) 0.5 ||y - f||^2); per-edge conditions
    ``focus, broadness`` (dicts keyed by (layer, t, s)) and ``decor_fwd, decor_bwd`` (max |conditional covariance|).
    """
    from .data.ladder import Ladder, one_hot, pattern_index
    from .nets.teacher import TreeNet

    if not isinstance(net, TreeNet):
        raise TypeError(f"net must be a relulab.nets.teacher.TreeNet, got {type(net).__name__}")
    if not isinstance(teacher, Ladder):
        raise TypeError(f"teacher must be a relulab.data.ladder.Ladder, got {type(teacher).__name__}")
    z = teacher.events(X)
    weights = _weights("weights", weights, len(z[0]))
    n_layers = len(net.layers)
    if n_layers != teacher.levels:
        raise ValueError(f"the student has {n_layers} layers but the teacher {teacher.levels} levels")
    for l, lay in enumerate(net.layers):
        if lay.kernel_size != teacher.fan_in or lay.stride != teacher.fan_in:
            raise ValueError(f"layer {l}: windows must equal the teacher's tree (kernel = stride = {teacher.fan_in})")
    m = teacher.m
    if net.layers[-1].out_channels != m[-1] or net.layers[0].in_channels != teacher.values:
        raise ValueError(f"need {teacher.values} one-hot input channels and {m[-1]} outputs (one per top event)")
    Y = torch.nn.functional.one_hot(torch.as_tensor(z[-1][:, 0]), m[-1]).to(weights.dtype).unsqueeze(-1)
    x = one_hot(X, teacher.values)
    tr = net.trace(x, Y)  # per-sample g (no BN)
    W = [[{s: net.edge_weight(l, t, s).detach() for s in net.layers[l].receptive_field(t)} for t in range(net.layers[l].out_length)] for l in range(n_layers)]
    F, D, G = [], [], []
    for l in range(n_layers):
        Fl, Dl, Gl = [], [], []
        for t in range(net.layers[l].out_length):
            Fl.append(conditional_mean(tr[l]["post"][:, :, t], z[l + 1][:, t], weights, m[l + 1]))
            Dl.append(conditional_mean(tr[l]["gate"][:, :, t], z[l + 1][:, t], weights, m[l + 1]))
            Gl.append(conditional_mean(tr[l]["g"][:, :, t], z[l + 1][:, t], weights, m[l + 1]))
        F.append(Fl); D.append(Dl); G.append(Gl)
    stats = {}
    for l in range(n_layers):
        for t in range(net.layers[l].out_length):
            for s in net.layers[l].receptive_field(t):
                stats[l, t, s] = event_statistics(z[l + 1][:, t], z[l][:, s], weights, m[l + 1], m[l])
    F_bottom = torch.eye(teacher.values)

    def child_F(Ftab, l, s):
        return F_bottom if l == 0 else Ftab[l - 1][s]

    F_local = [[reformulated_forward([stats[l, t, s]["P"] for s in W[l][t]], [child_F(F, l, s) for s in W[l][t]], list(W[l][t].values()), D[l][t]) for t in range(len(W[l]))] for l in range(n_layers)]
    G_local = []
    for l in range(n_layers):
        row = []
        for s in range(net.layers[l].out_length):
            if l == n_layers - 1:
                row.append(None)
                continue
            parents = [t for t in range(len(W[l + 1])) if s in W[l + 1][t]]
            row.append(reformulated_backward([stats[l + 1, t, s]["Pb"] for t in parents], [G[l + 1][t] for t in parents], [W[l + 1][t][s] for t in parents], D[l][s]))
        G_local.append(row)
    # Theorem 4 through the whole net: bottom F = I, top G = I - F, measured gates
    F_pipe = []
    for l in range(n_layers):
        F_pipe.append([reformulated_forward([stats[l, t, s]["P"] for s in W[l][t]], [child_F(F_pipe, l, s) for s in W[l][t]], list(W[l][t].values()), D[l][t]) for t in range(len(W[l]))])
    G_pipe = [None] * n_layers
    G_pipe[-1] = [torch.eye(m[-1]) - F_pipe[-1][0]]
    for l in range(n_layers - 2, -1, -1):
        row = []
        for s in range(net.layers[l].out_length):
            parents = [t for t in range(len(W[l + 1])) if s in W[l + 1][t]]
            row.append(reformulated_backward([stats[l + 1, t, s]["Pb"] for t in parents], [G_pipe[l + 1][t] for t in parents], [W[l + 1][t][s] for t in parents], D[l][s]))
        G_pipe[l] = row
    dW_pipe = {(l, t, s): weight_update(stats[l, t, s]["P"], child_F(F_pipe, l, s), stats[l, t, s]["lam_parent"], G_pipe[l][t]) for (l, t, s) in stats}
    # autograd: -dL/dW for the P-weighted loss
    out = net(x)
    loss = (weights.reshape(-1, 1, 1) * 0.5 * (Y - out) ** 2).sum()
    grads = torch.autograd.grad(loss, [lay.weight for lay in net.layers])
    dW_auto = {}
    for (l, t, s) in stats:
        k = net.layers[l].kernel_size
        i = list(net.layers[l].receptive_field(t)).index(s)
        dW_auto[l, t, s] = -grads[l][t][:, i::k].T
    # the three conditions, per edge
    focus, broad, dec_f, dec_b = {}, {}, {}, {}
    for (l, t, s) in stats:
        child_code = pattern_index(X, teacher.regions(l)[s], teacher.values)
        parent_code = pattern_index(X, teacher.regions(l + 1)[t], teacher.values)
        fine = z[l + 1][:, t] * m[l] + z[l][:, s]
        focus[l, t, s] = independence_gap(child_code, fine, z[l][:, s], weights)
        broad[l, t, s] = independence_gap(parent_code, fine, z[l + 1][:, t], weights)
    for l in range(n_layers):
        for t in range(net.layers[l].out_length):
            dec_f[l, t] = float(conditional_covariance(tr[l]["gate"][:, :, t], tr[l]["raw"][:, :, t], z[l + 1][:, t], weights, m[l + 1]).abs().max())
            if l < n_layers - 1:
                parents = [u for u in range(len(W[l + 1])) if t in W[l + 1][u]]
                g_raw = sum(tr[l + 1]["g"][:, :, u] @ W[l + 1][u][t].T for u in parents)
                dec_b[l, t] = float(conditional_covariance(tr[l]["gate"][:, :, t], g_raw, z[l + 1][:, t], weights, m[l + 1]).abs().max())
    return {"F": F, "D": D, "G": G, "F_local": F_local, "G_local": G_local, "F_pipe": F_pipe, "G_pipe": G_pipe,
            "dW_pipe": dW_pipe, "dW_autograd": dW_auto, "stats": stats, "focus": focus, "broadness": broad,
            "decor_fwd": dec_f, "decor_bwd": dec_b, "events": z}
