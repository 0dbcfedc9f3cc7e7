"""torch.linalg's factorizations and solvers on Tensors: inv, det, slogdet, solve, cholesky,
qr, eigh, svd, pinv, lstsq, matrix_rank (the array math is in lamina.ops.linalg_*)."""

from __future__ import annotations

import numpy as np

from ..ops import linalg_decomp as LD
from ..ops import linalg_lu as LU_
from ..ops import linalg_solve as LS
from ..return_types import linalg_cholesky_ex as CholeskyEx
from ..return_types import linalg_eigh as Eigh
from ..return_types import linalg_inv_ex as InvEx
from ..return_types import linalg_lstsq as Lstsq
from ..return_types import linalg_lu as LUPLU
from ..return_types import linalg_lu_factor as LUFactor
from ..return_types import linalg_lu_factor_ex as LUFactorEx
from ..return_types import linalg_qr as QR
from ..return_types import linalg_slogdet as SlogDet
from ..return_types import linalg_solve_ex as SolveEx
from ..return_types import linalg_svd as SVD
from ..tensor import Tensor, _make, apply


def tensor_arg(x, fname: str, arg: str = "A") -> Tensor:
    """torch.linalg takes Tensors only: anything else is torch's TypeError."""
    if not isinstance(x, Tensor):
        raise TypeError(
            f"{fname}(): argument '{arg}' (position 1) must be Tensor, not {type(x).__name__}"
        )
    return x


def inv(A: Tensor) -> Tensor:
    """The inverse of square matrices; LinAlgError for a singular one (torch.linalg.inv)."""
    return apply(LS.Inv, tensor_arg(A, "linalg_inv"))


def inv_ex(A: Tensor, *, check_errors: bool = False) -> InvEx:
    """(inverse, info): info > 0 names the zero pivot of a singular matrix
    (torch.linalg.inv_ex); NaN fills the inverse of a singular matrix (torch's holds inf)."""
    y, info = apply(LS.InvEx, tensor_arg(A, "linalg_inv_ex"))
    if check_errors and info._data.any():
        LS.raise_singular(A._data, "linalg.inv_ex")
    return InvEx(y, info)


def det(A: Tensor) -> Tensor:
    """Determinant of square matrices (torch.linalg.det)."""
    return apply(LS.Det, tensor_arg(A, "linalg_det"))


def slogdet(A: Tensor) -> SlogDet:
    """(sign, log|det|) of square matrices (torch.linalg.slogdet)."""
    sign, logabs = apply(LS.SlogDet, tensor_arg(A, "linalg_slogdet"))
    return SlogDet(sign.detach(), logabs)


def solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:
    """X with AX = B, or XA = B when ``left=False`` (torch.linalg.solve)."""
    return apply(
        LS.Solve, tensor_arg(A, "linalg_solve"), tensor_arg(B, "linalg_solve", "B"), left=left
    )


def solve_ex(A: Tensor, B: Tensor, *, left: bool = True, check_errors: bool = False) -> SolveEx:
    """(result, info) of solve (torch.linalg.solve_ex): a singular matrix gives info > 0 and
    LAPACK's inf/NaN result instead of raising, unless ``check_errors``."""
    a, b = tensor_arg(A, "linalg_solve_ex"), tensor_arg(B, "linalg_solve_ex", "B")
    vector = LS.solve_shapes(a._data, b._data, left)
    info = LS.singular_info(a._data)  # A's batch shape, as torch's
    if check_errors or not info.any():
        return SolveEx(solve(a, b, left=left), _make(info))
    lu_, piv, _ = lu_factor_ex(a)  # the substitutions run into the zero pivot, as getrs
    x = lu_solve(lu_, piv, b.unsqueeze(-1 if left else -2) if vector else b, left=left)
    return SolveEx(x.squeeze(-1 if left else -2) if vector else x, _make(info))


def cholesky(A: Tensor, *, upper: bool = False) -> Tensor:
    """Cholesky factor of symmetric positive-definite matrices (torch.linalg.cholesky)."""
    return apply(LD.Cholesky, tensor_arg(A, "linalg_cholesky"), upper=upper)


def cholesky_ex(A: Tensor, *, upper: bool = False, check_errors: bool = False) -> CholeskyEx:
    """(L, info) without raising unless ``check_errors`` (torch.linalg.cholesky_ex)."""
    a = tensor_arg(A, "linalg_cholesky_ex")
    if check_errors:
        L = apply(LD.Cholesky, a, upper=upper, name="linalg.cholesky_ex")
        return CholeskyEx(L, _make(np.zeros(a.shape[:-2], np.int32)))
    L, info = apply(LD.Cholesky, a, upper=upper, check_errors=False, name="linalg.cholesky_ex")
    return CholeskyEx(L, info)


def qr(A: Tensor, mode: str = "reduced") -> QR:
    """Q, R of A = QR (torch.linalg.qr); LAPACK's signs, as torch's."""
    q, r = apply(LD.QR, tensor_arg(A, "linalg_qr"), mode=mode)
    return QR(q, r)


def eigh(A: Tensor, UPLO: str = "L") -> Eigh:
    """Ascending eigenvalues and orthonormal eigenvectors of symmetric matrices
    (torch.linalg.eigh)."""
    w, v = apply(LD.Eigh, tensor_arg(A, "linalg_eigh"), UPLO=UPLO)
    return Eigh(w, v)


def eigvalsh(A: Tensor, UPLO: str = "L") -> Tensor:
    """Ascending eigenvalues of symmetric matrices (torch.linalg.eigvalsh)."""
    return apply(LD.EigvalsH, tensor_arg(A, "linalg_eigvalsh"), UPLO=UPLO)


def svd(A: Tensor, full_matrices: bool = True) -> SVD:
    """U, S, Vh with A = U diag(S) Vh (torch.linalg.svd)."""
    u, s, vh = apply(LD.SVD, tensor_arg(A, "linalg_svd"), full_matrices=full_matrices)
    return SVD(u, s, vh)


def svdvals(A: Tensor) -> Tensor:
    """Singular values, descending (torch.linalg.svdvals)."""
    return apply(LD.SVDVals, tensor_arg(A, "linalg_svdvals"))


def check_pinv_input(a) -> None:
    """torch.linalg.pinv's one message for every input it refuses."""
    if a.ndim < 2 or a._data.dtype.kind != "f" or a._data.dtype.itemsize < 4:
        raise RuntimeError(
            f"linalg.pinv({LS.torch_type(a._data.dtype)}{{{list(a.shape)}}}): expected a "
            "tensor with 2 or more dimensions of float, double, cfloat or cdouble types"
        )


def _float_only(a) -> None:
    if a._data.dtype.kind != "f" or a._data.dtype.itemsize < 4:
        raise RuntimeError("This function doesn't handle types other than float and double")


def _tols(A: Tensor, atol, rtol, fname: str):
    """torch's (atol, rtol): rtol defaults to eps * max(m, n), or to 0 where atol > 0."""
    if fname == "linalg.pinv":
        check_pinv_input(A)
    else:
        _float_only(A)
        if A.ndim < 2:
            raise RuntimeError(
                "torch.linalg.matrix_rank: The input tensor input must have at least 2 dimensions."
            )
    eps = float(np.finfo(A._data.dtype).eps) * max(A.shape[-2], A.shape[-1])
    a = 0.0 if atol is None else np.asarray(getattr(atol, "_data", atol), np.float64)
    if rtol is not None:
        return a, np.asarray(getattr(rtol, "_data", rtol), np.float64)
    return a, (np.where(np.asarray(a) > 0, 0.0, eps) if atol is not None else eps)


def pinv(A: Tensor, *, atol=None, rtol=None, hermitian: bool = False, rcond=None) -> Tensor:
    """Moore-Penrose pseudo-inverse (torch.linalg.pinv); ``rcond`` is the old name of rtol."""
    a = tensor_arg(A, "linalg_pinv")
    atol_, rtol_ = _tols(a, atol, rtol if rcond is None else rcond, "linalg.pinv")
    return apply(LD.Pinv, a, atol=atol_, rtol=rtol_, hermitian=hermitian)


def matrix_rank(A: Tensor, *, atol=None, rtol=None, hermitian: bool = False, tol=None) -> Tensor:
    """How many singular values exceed max(atol, rtol * largest) (torch.linalg.matrix_rank);
    ``tol`` is the old name of atol (with rtol 0)."""
    a = tensor_arg(A, "linalg_matrix_rank")
    if tol is not None:
        atol, rtol = tol, 0.0
    atol_, rtol_ = _tols(a, atol, rtol, "linalg.matrix_rank")
    data = a._data
    vals = np.abs(np.linalg.eigvalsh(data)) if hermitian else LD.svd_array(data, compute_uv=False)
    rank = (vals > LD.tolerance(vals, atol_, rtol_)).sum(axis=-1)
    return _make(np.asarray(rank, np.int64))


def lstsq(A: Tensor, B: Tensor, rcond=None, *, driver=None) -> Lstsq:
    """Least-squares solution of AX = B (torch.linalg.lstsq), differentiable as torch's
    (through pinv(A) @ B). ``driver`` picks which extras are filled, as on torch's CPU:
    gelsy (default) the rank; gelsd/gelss the rank, singular values and residuals; gels
    the residuals."""
    a, b = tensor_arg(A, "linalg_lstsq", "self"), tensor_arg(B, "linalg_lstsq", "b")
    _float_only(a)
    _float_only(b)
    if a.ndim < 2:
        raise RuntimeError("torch.linalg.lstsq: input must have at least 2 dimensions.")
    driver = driver or "gelsy"
    if driver not in ("gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError(
            "torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)"
        )
    diff = a.ndim - b.ndim
    if not 0 <= diff <= 1:
        raise RuntimeError(
            "torch.linalg.lstsq: input.dim() must be greater or equal to other.dim() and "
            "(input.dim() - other.dim()) <= 1"
        )
    vector = diff == 1  # torch: one dim fewer means a (batch of) vector(s)
    bm = b.unsqueeze(-1) if vector else b
    if a.shape[-2] != bm.shape[-2]:
        which = "other.size(-1)" if vector else "other.size(-2)"
        raise RuntimeError(f"torch.linalg.lstsq: input.size(-2) should match {which}")
    x = pinv(a, rtol=rcond).matmul(bm)
    m, n = a.shape[-2], a.shape[-1]
    rank = matrix_rank(a, rtol=rcond)
    empty = _make(np.zeros((0,), a._data.dtype))
    res = empty
    if driver != "gelsy" and m > n and bool((rank._data == n).all()):
        r = (a.detach().matmul(x.detach()) - bm.detach())._data
        res = _make((r * r).sum(axis=-2))
    sv = empty
    if driver in ("gelsd", "gelss"):
        sv = _make(LD.svd_array(a._data, compute_uv=False))
    if driver == "gels":
        rank = _make(np.zeros((0,), np.int64))
    return Lstsq(x.squeeze(-1) if vector else x, res, rank, sv)


def _no_pivot(pivot: bool, name: str) -> None:
    if not pivot:
        raise RuntimeError(f"{name}: LU without pivoting is not implemented on the CPU")


def lu_factor_ex(A: Tensor, *, pivot: bool = True, check_errors: bool = False) -> LUFactorEx:
    """(LU, pivots, info): L and U packed, 1-based int32 row swaps (torch.linalg.lu_factor_ex)."""
    a = tensor_arg(A, "linalg_lu_factor_ex")
    _no_pivot(pivot, "linalg.lu_factor")
    lu, piv, info = apply(LU_.LUFactor, a)
    return LUFactorEx(lu, piv, info)


def lu_factor(A: Tensor, *, pivot: bool = True) -> LUFactor:
    """(LU, pivots) (torch.linalg.lu_factor); a zero pivot raises, as it would divide by
    zero in lu_solve."""
    a = tensor_arg(A, "linalg_lu_factor")
    _no_pivot(pivot, "linalg.lu_factor")
    lu, piv, info = apply(LU_.LUFactor, a)
    flat = info._data.reshape(-1)
    if flat.any():
        bad = int(np.flatnonzero(flat)[0])
        k = int(flat[bad])
        raise RuntimeError(
            f"torch.linalg.lu_factor: {LS._batch(bad, a._data)}U[{k},{k}] is zero and using it "
            "on lu_solve would result in a division by zero. If you still want to perform the "
            "factorization, consider calling linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)"
        )
    return LUFactor(lu, piv)


def lu(A: Tensor, *, pivot: bool = True) -> LUPLU:
    """(P, L, U) with A = P L U (torch.linalg.lu)."""
    a = tensor_arg(A, "linalg_lu")
    _no_pivot(pivot, "linalg.lu_factor")
    p, low, up = apply(LU_.LU, a)
    return LUPLU(p.detach(), low, up)


def lu_solve(LU: Tensor, pivots: Tensor, B: Tensor, *, left: bool = True, adjoint: bool = False):
    """X with AX = B (XA = B when ``left=False``; A^T instead of A with ``adjoint``) from
    lu_factor's output (torch.linalg.lu_solve); differentiable in LU and B."""
    lu_, b = tensor_arg(LU, "linalg_lu_solve", "LU"), tensor_arg(B, "linalg_lu_solve", "B")
    if b.ndim < 2:
        raise RuntimeError("linalg.lu_solve: The input tensor B must have at least 2 dimensions.")
    if lu_.shape[-1] != lu_.shape[-2]:
        raise RuntimeError(
            "torch.linalg.lu_solve: A must be batches of square matrices, but they are "
            f"{lu_.shape[-2]} by {lu_.shape[-1]} matrices"
        )
    p = _make(LU_.permutation(pivots._data, lu_.shape[-1], lu_._data.dtype))
    from ..ops.linalg_tri import SolveTriangular as ST

    def tri(x, lower: bool, transposed: bool, side_left: bool):
        m = lu_.mT if transposed else lu_
        upper = lower == transposed  # L^T is upper, U^T is lower
        return apply(ST, m, x, upper=upper, left=side_left, unitriangular=lower)

    if left and not adjoint:  # U^-1 L^-1 P^T B
        return tri(tri(p.mT.matmul(b), True, False, True), False, False, True)
    if left:  # P L^-T U^-T B
        return p.matmul(tri(tri(b, False, True, True), True, True, True))
    if not adjoint:  # B U^-1 L^-1 P^T
        return tri(tri(b, False, False, False), True, False, False).matmul(p.mT)
    return tri(tri(b.matmul(p), True, True, False), False, True, False)  # B P L^-T U^-T
