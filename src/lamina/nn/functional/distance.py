"""normalize, cosine_similarity, pairwise_distance (torch.nn.functional), composed from
differentiable primitives so their gradients come from the ops'."""

from __future__ import annotations

from ...tensor import Tensor


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """``input / max(||input||_p, eps)`` along ``dim`` (torch.nn.functional.normalize)."""
    denom = input.norm(p=p, dim=dim, keepdim=True).clamp(min=eps)
    return input / denom


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Cosine of the angle between x1 and x2 along ``dim``, after broadcasting them; each
    norm is clamped to at least ``eps`` (torch.nn.functional.cosine_similarity)."""
    # torch accepts an integer input beside a floating one, not two integer inputs
    if not (x1.is_floating_point() or x2.is_floating_point()):
        raise RuntimeError(
            f"expected common dtype to be floating point, yet common dtype is {x1.dtype}"
        )
    # the integer one computes in the other's floating dtype, as torch's promotion
    if not x1.is_floating_point():
        x1 = x1.to(x2.dtype)
    if not x2.is_floating_point():
        x2 = x2.to(x1.dtype)
    shape = _broadcast_shape(x1.shape, x2.shape)
    x1, x2 = x1.expand(*shape), x2.expand(*shape)
    n1 = x1.norm(p=2, dim=dim, keepdim=True).clamp(min=eps)
    n2 = x2.norm(p=2, dim=dim, keepdim=True).clamp(min=eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(
    x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    """p-norm of ``x1 - x2 + eps`` over the last dim (torch.nn.functional.pairwise_distance)."""
    last = max(x1.ndim, x2.ndim) - 1
    return (x1 - x2 + eps).norm(p=p, dim=max(last, 0) if last >= 0 else None, keepdim=keepdim)


def _broadcast_shape(a: tuple, b: tuple) -> tuple:
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    out = []
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y and 1 not in (x, y):
            raise RuntimeError(
                f"The size of tensor a ({x}) must match the size of tensor b ({y}) "
                f"at non-singleton dimension {i}"
            )
        out.append(y if x == 1 else x)
    return tuple(out)


__all__ = ["normalize", "cosine_similarity", "pairwise_distance"]
