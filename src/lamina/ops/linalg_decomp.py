"""Matrix decompositions with torch's backward formulas: Cholesky, QR, eigh, SVD, pinv.

The backward passes follow torch's FunctionsManual (cholesky_backward, linalg_qr_backward,
linalg_eig_backward for Hermitian input, svd_backward, pinv_backward), themselves from
Murray (2016, Cholesky), Walter & Lehmann / Liao et al. (QR), Seeger et al. (eigh) and
Townsend (2016, SVD). Repeated eigenvalues or singular values give inf/NaN gradients for
the vectors, as torch's do (their gradient is not defined there).
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Op
from .linalg_solve import LinAlgError, _batch, check_float, check_square, mT


def _sym(x: np.ndarray) -> np.ndarray:
    return 0.5 * (x + mT(x))


def _chol_order(m: np.ndarray, upper: bool) -> int:
    """1-based order of the first leading minor that is not positive-definite (potrf's
    info: the first pivot that is not > 0, NaN included), 0 when m is positive-definite."""
    a = np.array(mT(m) if upper else m, dtype=np.float64)
    n = a.shape[-1]
    low = np.zeros_like(a)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        for j in range(n):
            d = a[j, j] - low[j, :j] @ low[j, :j]
            if not d > 0:
                return j + 1
            low[j, j] = np.sqrt(d)
            low[j + 1 :, j] = (a[j + 1 :, j] - low[j + 1 :, :j] @ low[j, :j]) / low[j, j]
    return 0


def _chol_partial(m: np.ndarray, k: int) -> np.ndarray:
    """What LAPACK's unblocked potrf leaves when it stops at order k: columns before k
    factored, the failing pivot's value, the untouched lower triangle after it."""
    out = np.tril(m).astype(m.dtype)
    if k > 1:
        lk = np.linalg.cholesky(m[: k - 1, : k - 1])
        out[: k - 1, : k - 1] = lk
        out[k - 1 :, : k - 1] = np.linalg.solve(lk, m[: k - 1, k - 1 :]).T
    row = out[k - 1, : k - 1]
    out[k - 1, k - 1] = m[k - 1, k - 1] - row @ row
    return out


def cholesky_info(a: np.ndarray, upper: bool) -> np.ndarray:
    flat = a.reshape((int(np.prod(a.shape[:-2])),) + a.shape[-2:])
    return np.array([_chol_order(m, upper) for m in flat], np.int32).reshape(a.shape[:-2])


class Cholesky(Op):
    """L with A = L L^T (or U^T U with ``upper``) (torch.linalg.cholesky / cholesky_ex).

    With ``check_errors=False`` (cholesky_ex) a failing matrix gives LAPACK's partial
    factor and its info instead of raising. Backward: torch's symmetrised
    ``L^-T phi(L^T gL) L^-1``, phi taking the lower triangle with half the diagonal.
    """

    ctx_attrs = ("upper",)

    @staticmethod
    def forward(ctx, a, *, upper=False, check_errors=True, name="linalg.cholesky"):
        check_square(a, "linalg.cholesky", kernel="cholesky_cpu")
        ctx.upper = upper
        try:
            out = np.linalg.cholesky(a, upper=upper)
            info = np.zeros(a.shape[:-2], np.int32)
            if np.isnan(out).any():  # NumPy's potrf lets NaN through; LAPACK's check does not
                raise np.linalg.LinAlgError
        except np.linalg.LinAlgError:
            info = cholesky_info(a, upper)
            if check_errors:
                bad = int(np.flatnonzero(info.reshape(-1))[0])
                raise LinAlgError(
                    f"{name}: {_batch(bad, a)}The factorization could not be completed "
                    "because the input is not positive-definite (the leading minor of order "
                    f"{info.reshape(-1)[bad]} is not positive-definite)."
                ) from None
            out = _chol_any(a, info, upper)
        ctx.save_for_backward(out)
        return out if check_errors else (out, info)

    @staticmethod
    def backward(ctx, g, *_ginfo):
        (out,) = ctx.saved
        L, gL = (mT(out), mT(g)) if ctx.upper else (out, g)
        phi = np.tril(mT(L) @ gL)
        idx = np.arange(phi.shape[-1])
        phi[..., idx, idx] *= 0.5
        eye = np.broadcast_to(np.eye(L.shape[-1], dtype=L.dtype), L.shape)
        linv = np.linalg.solve(L, eye)
        return (_sym(mT(linv) @ phi @ linv),)


def _chol_any(a: np.ndarray, info: np.ndarray, upper: bool) -> np.ndarray:
    """Per matrix: the factor, or the partial one where potrf stopped."""
    flat = a.reshape((int(np.prod(a.shape[:-2])),) + a.shape[-2:])
    out = []
    for m, k in zip(flat, info.reshape(-1)):
        mm = mT(m) if upper else m
        f = np.linalg.cholesky(mm) if k == 0 else _chol_partial(mm, int(k))
        out.append(mT(f) if upper else f)
    return np.array(out, a.dtype).reshape(a.shape)


def _copyltu(m: np.ndarray) -> np.ndarray:
    low = np.tril(m, -1)
    return low + mT(low) + np.tril(np.triu(m))


def _qr_tall_backward(q, r, gq, gr):
    """Gradient of A = QR for m >= n (reduced): (gQ + Q copyltu(M)) R^-T, M = R gR^T - gQ^T Q."""
    m = r @ mT(gr) - mT(gq) @ q
    b = gq + q @ _copyltu(m)
    return mT(np.linalg.solve(r, mT(b)))


class QR(Op):
    """(Q, R) of A = QR by Householder reflections (torch.linalg.qr); mode 'reduced',
    'complete' or 'r' (Q empty)."""

    ctx_attrs = ("mode",)

    @staticmethod
    def forward(ctx, a, *, mode="reduced"):
        check_float(a, "linalg.qr", kernel="geqrf_cpu")
        if a.ndim < 2:
            raise RuntimeError("linalg.qr: The input tensor A must have at least 2 dimensions.")
        if mode not in ("reduced", "complete", "r"):
            raise RuntimeError(
                f"qr received unrecognized mode '{mode}' but expected one of 'reduced' "
                "(default), 'r', or 'complete'"
            )
        ctx.mode = mode
        if mode == "r":
            r = np.linalg.qr(a, mode="r").astype(a.dtype)
            return np.zeros((0,), a.dtype), r
        q, r = np.linalg.qr(a, mode=mode)
        ctx.save_for_backward(q, r)
        return q.astype(a.dtype), r.astype(a.dtype)

    @staticmethod
    def backward(ctx, gq, gr):
        if ctx.mode == "r":
            raise RuntimeError(
                "The derivative of linalg.qr depends on Q, which is not computed when "
                "mode='r'. Please use linalg.qr(A, mode='reduced') if you are going to "
                "differentiate through linalg.qr."
            )
        q, r = ctx.saved
        m, n = q.shape[-2], r.shape[-1]
        if ctx.mode == "complete" and m > n:
            raise RuntimeError(
                "The QR decomposition is not differentiable when mode='complete' and nrows > ncols."
            )
        if m >= n:
            return (_qr_tall_backward(q, r, gq, gr),)
        # wide A = [X | Y] = Q [U | V]: X = QU is a square QR, Y = QV is linear in Q
        u, gu, gv = r[..., :m], gr[..., :m], gr[..., m:]
        y = q @ r[..., m:]
        gx = _qr_tall_backward(q, u, gq + y @ mT(gv), gu)
        return (np.concatenate([gx, q @ gv], axis=-1),)


def _check_uplo(uplo: str) -> None:
    if uplo not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {uplo}")


class Eigh(Op):
    """Eigenvalues (ascending) and eigenvectors of a symmetric matrix read from its
    ``UPLO`` triangle (torch.linalg.eigh)."""

    @staticmethod
    def forward(ctx, a, *, UPLO="L"):
        check_square(a, "linalg.eigh", kernel="linalg_eigh_cpu", ints=True)
        _check_uplo(UPLO)
        w, v = np.linalg.eigh(a, UPLO=UPLO)
        ctx.save_for_backward(w, v)
        return w.astype(a.dtype), v.astype(a.dtype)

    @staticmethod
    def backward(ctx, gw, gv):
        w, v = ctx.saved
        if not np.any(gv):  # vectors unused (as torch's undefined gV): V diag(gw) V^T
            return ((v * gw[..., None, :]) @ mT(v),)
        vgv = mT(v) @ gv
        vgv = 0.5 * (vgv - mT(vgv))  # tangent space of the orthogonal group
        e = w[..., None, :] - w[..., :, None]  # E_ij = w_j - w_i
        idx = np.arange(w.shape[-1])
        e[..., idx, idx] = 1.0
        with np.errstate(divide="ignore", invalid="ignore"):
            inner = vgv / e
        inner[..., idx, idx] = gw
        return (v @ inner @ mT(v),)


class EigvalsH(Op):
    """Eigenvalues of a symmetric matrix (torch.linalg.eigvalsh); gradient V diag(g) V^T."""

    @staticmethod
    def forward(ctx, a, *, UPLO="L"):
        check_square(a, "linalg.eigh", kernel="linalg_eigh_cpu", ints=True)
        _check_uplo(UPLO)
        w, v = np.linalg.eigh(a, UPLO=UPLO)
        ctx.save_for_backward(v)
        return w.astype(a.dtype)

    @staticmethod
    def backward(ctx, g):
        (v,) = ctx.saved
        return ((v * g[..., None, :]) @ mT(v),)


def svd_array(a: np.ndarray, full: bool = False, compute_uv: bool = True):
    """np.linalg.svd as torch's LAPACK answers non-finite input: a NaN raises torch's
    LinAlgError naming the batch element; an inf (without NaN) gives NaN factors."""
    flat = a.reshape((int(np.prod(a.shape[:-2])),) + a.shape[-2:])
    nan = np.isnan(flat).any(axis=(-2, -1))
    if nan.any():
        bad = int(np.flatnonzero(nan)[0])
        raise LinAlgError(
            f"linalg.svd: {_batch(bad, a)}The algorithm failed to converge because the input "
            "matrix contained non-finite values."
        )
    inf = ~np.isfinite(flat).all(axis=(-2, -1))
    if not inf.any():
        return np.linalg.svd(a, full_matrices=full, compute_uv=compute_uv)
    outs = np.linalg.svd(np.where(inf[:, None, None], 0.0, flat), full, compute_uv)
    outs = outs if compute_uv else (outs,)
    res = []
    for o in outs:
        o = np.array(o)
        o[inf] = np.nan
        res.append(o.reshape(a.shape[:-2] + o.shape[1:]))
    return tuple(res) if compute_uv else res[0]


def _svd(a: np.ndarray, full: bool):
    check_float(a, "linalg.svd", kernel="linalg_svd_cpu")
    if a.ndim < 2:
        raise RuntimeError("linalg.svd: The input tensor A must have at least 2 dimensions.")
    u, s, vh = svd_array(a, full)
    return u.astype(a.dtype), s.astype(a.dtype), vh.astype(a.dtype)


class SVD(Op):
    """A = U diag(S) Vh, singular values descending (torch.linalg.svd)."""

    @staticmethod
    def forward(ctx, a, *, full_matrices=True):
        u, s, vh = _svd(a, full_matrices)
        ctx.save_for_backward(u, s, vh)
        return u, s, vh

    @staticmethod
    def backward(ctx, gu, gs, gvh):
        u, s, vh = ctx.saved
        k = s.shape[-1]
        u, vh, gu, gvh = u[..., :k], vh[..., :k, :], gu[..., :k], gvh[..., :k, :]
        return (svd_backward(u, s, vh, gu, gs, gvh),)


def svd_backward(u, s, vh, gu, gs, gvh):
    """torch's svd_backward (reduced factors); an all-zero gU/gVh counts as unused."""
    m, n = u.shape[-2], vh.shape[-1]
    use_u, use_v = bool(np.any(gu)), bool(np.any(gvh))
    if not (use_u or use_v):
        return u @ (gs[..., None] * vh) if m >= n else (u * gs[..., None, :]) @ vh
    s2 = s * s
    e = s2[..., None, :] - s2[..., :, None]
    idx = np.arange(s.shape[-1])
    e[..., idx, idx] = 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        inner = np.zeros_like(e)
        if use_u:
            uhgu = mT(u) @ gu
            inner = inner + (uhgu - mT(uhgu)) * s[..., None, :]
        if use_v:
            vhgv = vh @ mT(gvh)
            inner = inner + s[..., :, None] * (vhgv - mT(vhgv))
        inner = inner / e
        inner[..., idx, idx] += gs
        if m > n and use_u:
            gus = gu / s[..., None, :]
            ga = u @ inner + gus - u @ (mT(u) @ gus)
            return ga @ vh
        if m < n and use_v:
            sgv = gvh / s[..., :, None]
            ga = inner @ vh + sgv - (sgv @ mT(vh)) @ vh
            return u @ ga
    return u @ inner @ vh


class SVDVals(Op):
    """Singular values, descending (torch.linalg.svdvals); gradient U diag(g) Vh."""

    @staticmethod
    def forward(ctx, a):
        u, s, vh = _svd(a, False)
        ctx.save_for_backward(u, vh)
        return s

    @staticmethod
    def backward(ctx, g):
        u, vh = ctx.saved
        return ((u * g[..., None, :]) @ vh,)


def tolerance(vals: np.ndarray, atol, rtol) -> np.ndarray:
    """torch's cutoff max(atol, rtol * largest) per matrix, shape (..., 1); ``vals`` are
    singular values or |eigenvalues|; atol/rtol are numbers or arrays of batch shape."""
    top = vals.max(axis=-1, initial=0.0) if vals.shape[-1] else np.zeros(vals.shape[:-1])
    return np.maximum(np.asarray(atol), np.asarray(rtol) * top)[..., None]


class Pinv(Op):
    """Moore-Penrose pseudo-inverse keeping singular values above torch's cutoff (see
    ``tolerance``) (torch.linalg.pinv); backward torch's pinv_backward."""

    @staticmethod
    def forward(ctx, a, *, atol, rtol, hermitian=False):
        if hermitian:
            w, v = np.linalg.eigh(a)
            keep = np.abs(w) > tolerance(np.abs(w), atol, rtol)
            inv = np.where(keep, 1.0 / np.where(keep, w, 1.0), 0.0)
            p = (v * inv[..., None, :]) @ mT(v)
        else:
            u, s, vh = svd_array(a)
            keep = s > tolerance(s, atol, rtol)
            inv = np.where(keep, 1.0 / np.where(keep, s, 1.0), 0.0)
            p = mT(vh) @ (inv[..., :, None] * mT(u))
        p = p.astype(a.dtype)
        ctx.save_for_backward(a, p)
        return p

    @staticmethod
    def backward(ctx, g):
        # gA = -P^T G P^T + (I - AP) G^T P P^T + P^T P G^T (I - PA)
        a, p = ctx.saved
        pt, gt = mT(p), mT(g)
        ga = -(pt @ g @ pt)
        ga = ga + (gt - a @ (p @ gt)) @ (p @ pt)
        ga = ga + (pt @ p) @ (gt - gt @ p @ a)
        return (ga,)
