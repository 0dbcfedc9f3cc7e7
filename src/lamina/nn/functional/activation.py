"""Activations and dropout (torch.nn.functional): thin wrappers over lamina.ops.activation.

``inplace=True`` is accepted for signature compatibility and computed out of place (the
result is the same tensor values; autograd needs the input intact).
"""

from __future__ import annotations

import warnings

from ... import dtypes as D
from ...ops import activation as A
from ...random import default_rng
from ...tensor import Tensor, apply


def _t(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def floating(x, kernel: str) -> Tensor:
    """``x`` as a Tensor; integer and bool inputs refused as torch's float-only kernels."""
    x = _t(x)
    if x.dtype.kind not in "fc":
        raise NotImplementedError(f'"{kernel}" not implemented for {D.type_name(x.dtype)!r}')
    return x


def sigmoid(input) -> Tensor:
    """1 / (1 + exp(-x)) (torch.nn.functional.sigmoid)."""
    return apply(A.Sigmoid, _t(input))


def tanh(input) -> Tensor:
    """tanh(x) (torch.nn.functional.tanh)."""
    return apply(A.Tanh, _t(input))


def relu(input, inplace: bool = False) -> Tensor:
    """max(x, 0) (torch.nn.functional.relu)."""
    return apply(A.ReLU, _t(input))


def leaky_relu(input, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x if x > 0 else negative_slope * x (torch.nn.functional.leaky_relu)."""
    return apply(A.LeakyReLU, floating(input, "leaky_relu_cpu"), negative_slope=negative_slope)


def elu(input, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x if x > 0 else alpha * (exp(x) - 1) (torch.nn.functional.elu)."""
    return apply(A.ELU, floating(input, "elu_cpu"), alpha=alpha)


def gelu(input, approximate: str = "none") -> Tensor:
    """x * Phi(x), exact or tanh-approximated (torch.nn.functional.gelu)."""
    return apply(A.GELU, floating(input, "GeluKernelImpl"), approximate=approximate)


def silu(input, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) (torch.nn.functional.silu)."""
    return apply(A.SiLU, floating(input, "silu_cpu"))


def softplus(input, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta, linear above threshold (torch.nn.functional.softplus)."""
    return apply(A.Softplus, floating(input, "softplus_cpu"), beta=beta, threshold=threshold)


def _softmax_dim(name: str, ndim: int, dim):
    if dim is not None:
        n = max(ndim, 1)
        if not hasattr(dim, "__index__") or not -n <= dim < n:  # torch raises IndexError
            raise IndexError(
                f"{name}: dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                f"but got {dim!r})"
            )
        return dim
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. "
        "Change the call to include dim=X as an argument.",
        UserWarning,
        stacklevel=3,
    )
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, dtype=None) -> Tensor:
    """exp(x) / sum(exp(x)) along dim (torch.nn.functional.softmax)."""
    x = _t(input) if dtype is None else _t(input).astype(dtype)
    return apply(A.Softmax, x, dim=_softmax_dim("softmax", x.ndim, dim))


def log_softmax(input, dim=None, dtype=None) -> Tensor:
    """x - logsumexp(x) along dim (torch.nn.functional.log_softmax)."""
    x = _t(input) if dtype is None else _t(input).astype(dtype)
    return apply(A.LogSoftmax, x, dim=_softmax_dim("log_softmax", x.ndim, dim))


def _check_p(p: float, where: str) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{where}: dropout probability has to be between 0 and 1, but got {p}")


def dropout(input, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero elements with probability p, scale the rest by 1/(1-p) (torch dropout).

    Draws from lamina's global generator (``lamina.manual_seed``). In eval mode or with
    ``p == 0`` it returns ``input`` itself, as torch does (no copy, no graph node).
    """
    _check_p(p, "dropout")
    x = _t(input)
    if not training or p == 0:
        return x
    return apply(A.Dropout, x, p=p, training=training, generator=default_rng())


def dropout2d(input, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels (axis 1) with probability p (torch.nn.functional.dropout2d).

    ``(N, C, H, W)`` drops ``x[n, c]``. As torch: a 3-D input is taken as ``(N, C, L)``
    (with torch's warning), and other ranks warn and drop ``x[n, c]`` over the trailing
    axes, which for a 2-D ``(N, C)`` input is elementwise dropout.
    """
    _check_p(p, "dropout2d")
    x = _t(input)
    if x.ndim < 2:
        raise RuntimeError(
            f"dropout2d: feature dropout requires at least 2 dimensions, got shape {tuple(x.shape)}"
        )
    if x.ndim not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {x.ndim}-D input to dropout2d, which is deprecated and will "
            "result in an error in a future release (torch); use dropout for elementwise dropout",
            UserWarning,
            stacklevel=2,
        )
    elif x.ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L) (as torch)",
            UserWarning,
            stacklevel=2,
        )
    if not training or p == 0.0:
        return apply(A.Dropout, x, p=p, training=False)
    shape = x.shape[:2] + (1,) * (x.ndim - 2)  # (N, C, 1, 1)
    mask = A.dropout_mask(shape, p, default_rng(), x.dtype.type)
    return apply(A.Dropout, x, p=p, training=True, mask=mask)


__all__ = [
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "elu",
    "gelu",
    "silu",
    "softplus",
    "softmax",
    "log_softmax",
    "dropout",
    "dropout2d",
]
