"""Vector and matrix norms on Tensors with torch's dispatch rules (torch.linalg.vector_norm,
matrix_norm, norm, and the older torch.norm / Tensor.norm).

Matrix norms are composed as torch composes them (svdvals then amax/sum, a 1-norm then
amax/amin), so their gradients at ties are torch's: tied extremes share the gradient.
Works on Tensor objects through their methods; imported by Tensor (tensor_reduce) and by
``lamina.linalg``.
"""

from __future__ import annotations

import math

import numpy as np

from .ops import linalg_decomp as LD
from .ops import linalg_norms as LN
from .ops.dims import wrap_dim

_TNAMES = {"float16": "Half", "float32": "Float", "float64": "Double", "int64": "Long"}


def _tname(dt) -> str:
    dt = np.dtype(dt)
    return _TNAMES.get(dt.name, {"i": "Int", "u": "Byte", "b": "Bool"}.get(dt.kind, dt.name))


def _cast(x, dtype, name: str):
    """The input in ``dtype`` (torch's ``dtype=`` of the norms): float only, no narrowing."""
    if x.dtype.kind != "f":
        raise RuntimeError(
            f"{name}: Expected a floating point or complex tensor as input. Got {_tname(x.dtype)}"
        )
    if dtype is None:
        return x
    dtype = np.dtype(dtype)
    if dtype.kind != "f" or dtype.itemsize < x.dtype.itemsize:
        raise RuntimeError(
            f"{name}: the dtype of the input ({_tname(x.dtype)}) should be convertible "
            f"without narrowing to the specified dtype ({_tname(dtype)})"
        )
    return x if dtype == x.dtype else x.to(dtype)


def _ord(ord, fname: str) -> float:
    if isinstance(ord, str) or not isinstance(ord, (int, float, np.integer, np.floating)):
        raise TypeError(
            f"{fname}(): argument 'ord' (position 2) must be Number, not {type(ord).__name__}"
        )
    return float(ord)


def _fmt(p: float) -> str:
    return "inf" if p == math.inf else ("-inf" if p == -math.inf else f"{p:g}")


def _check_identity(x, p: float, dim) -> None:
    """Negative and inf orders have no identity: reducing an empty dim raises, naming the
    dim as the caller gave it (torch's wording, missing space included)."""
    if not (p < 0 or p == math.inf) or x.numel() != 0:
        return
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        raise RuntimeError(
            f"linalg.vector_norm cannot compute the {_fmt(p)} norm on an empty tensor because "
            "the operation does not have an identity"
        )
    for d in [dim] if isinstance(dim, (int, np.integer)) else dim:
        if x.shape[wrap_dim(d, x.ndim)] == 0:
            raise RuntimeError(
                f"linalg.vector_norm cannot compute the {_fmt(p)} norm on the dimension {d}"
                "because this dimension is empty and the operation does not have an identity"
            )


def vector_norm(x, ord=2, dim=None, keepdim=False, dtype=None):
    """torch.linalg.vector_norm: ``ord`` any real number or ±inf, over ``dim`` (None: all)."""
    p = _ord(ord, "linalg_vector_norm")
    x = _cast(x, dtype, "linalg.vector_norm")
    _check_identity(x, p, dim)
    return x._apply(LN.VectorNorm, x, p=p, axis=x._dims(dim), keepdim=keepdim)


_MATRIX_ORDS = ("fro", "nuc", 1.0, -1.0, 2.0, -2.0, math.inf, -math.inf)


def _matrix_dims(x, ord, dim) -> tuple[int, int]:
    if x.ndim < 2:
        raise RuntimeError(
            "linalg.matrix_norm: The input tensor A must have at least 2 dimensions."
        )
    dims = [dim] if isinstance(dim, (int, np.integer)) else list(dim)
    if len(dims) != 2:
        raise RuntimeError(
            f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(map(str, dims))}"
        )
    d0, d1 = wrap_dim(dims[0], x.ndim), wrap_dim(dims[1], x.ndim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({d0}, {d1})")
    key = ord if isinstance(ord, str) else float(ord)
    if key not in _MATRIX_ORDS:
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    return d0, d1


def matrix_norm(x, ord="fro", dim=(-2, -1), keepdim=False, dtype=None):
    """torch.linalg.matrix_norm: 'fro', 'nuc', ±1, ±2, ±inf over the two dims ``dim``."""
    d0, d1 = _matrix_dims(x, ord, dim)
    x = _cast(x, dtype, "linalg.matrix_norm")
    if ord == "fro":
        return vector_norm(x, 2, (d0, d1), keepdim)
    if ord != "nuc" and (x.shape[d0] == 0 or x.shape[d1] == 0) and float(ord) > 0:
        return vector_norm(x, 2, (d0, d1), keepdim)  # torch: 0 for positive orders
    if ord != "nuc" and float(ord) == -2 and (x.shape[d0] == 0 or x.shape[d1] == 0):
        raise IndexError("amin(): Expected reduction dim -1 to have non-zero size.")
    if ord == "nuc" or abs(float(ord)) == 2:
        if x.dtype.itemsize < 4:
            raise RuntimeError("linalg.matrix_norm: Low precision dtypes not supported. Got Half")
        rest = [d for d in range(x.ndim) if d not in (d0, d1)]
        s = x.permute(*rest, d0, d1)._apply(LD.SVDVals, x.permute(*rest, d0, d1))
        out = s.sum(-1) if ord == "nuc" else (s.amax(-1) if float(ord) > 0 else s.amin(-1))
        if keepdim:
            for d in sorted((d0, d1)):
                out = out.unsqueeze(d)
        return out
    p = float(ord)
    if math.isinf(p):
        d0, d1 = d1, d0
    if not keepdim and d0 < d1:
        d1 -= 1
    ones = vector_norm(x, 1, d0, keepdim)
    return ones.amax(d1, keepdim) if p > 0 else ones.amin(d1, keepdim)


def linalg_norm(x, ord=None, dim=None, keepdim=False, dtype=None):
    """torch.linalg.norm: a vector norm, or a matrix norm for 2 dims (or 2-D input) with
    an ``ord``; without ``ord`` the 2-norm of everything in ``dim``."""
    dims = None if dim is None else ([dim] if isinstance(dim, (int, np.integer)) else list(dim))
    if dims is not None and len(dims) not in (1, 2):
        raise RuntimeError(
            f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got {dims}"
        )
    if dims is None and ord is not None and x.ndim not in (1, 2):
        raise RuntimeError(
            "linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
            f"Got {x.ndim}D."
        )
    if isinstance(ord, str):
        return matrix_norm(x, ord, dims if dims is not None else (0, 1), keepdim, dtype)
    if ord is not None and (
        (dims is not None and len(dims) == 2) or (dims is None and x.ndim == 2)
    ):
        return matrix_norm(x, ord, dims if dims is not None else (0, 1), keepdim, dtype)
    return vector_norm(x, 2 if ord is None else ord, dims, keepdim, dtype)


def torch_norm(x, p="fro", dim=None, keepdim=False, dtype=None):
    """torch.norm / Tensor.norm (torch.functional.norm's dispatch to the linalg norms)."""
    dims = None if dim is None else ([dim] if isinstance(dim, (int, np.integer)) else list(dim))
    if isinstance(p, str):
        if p == "fro" and (dims is None or len(dims) <= 2):
            return vector_norm(x, 2, dims, keepdim, dtype)
        dims = list(range(x.ndim)) if dims is None else dims
        return matrix_norm(x, p, dims, keepdim, dtype)
    return vector_norm(x, 2.0 if p is None else p, dims, keepdim, dtype)
