"""Sorting and selection along one dim: sort, argsort, topk (torch.sort, torch.topk).

The order is stable and NaN counts as larger than every number, as torch's on the CPU.
Gradients flow to the positions the values were taken from.
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Op


def sort_indices(x: np.ndarray, axis: int, descending: bool = False) -> np.ndarray:
    """Stable argsort along ``axis`` (of an array with ndim >= 1), NaN largest."""
    keys = x.astype(np.int64) if x.dtype == np.bool_ else x
    if not descending:
        return np.argsort(keys, axis=axis, kind="stable").astype(np.int64)
    moved = np.moveaxis(keys, axis, -1)
    nan = np.isnan(moved) if moved.dtype.kind == "f" else np.zeros(moved.shape, bool)
    # lexsort's last key is the primary one: NaN first, then by decreasing value
    idx = np.lexsort((-np.where(nan, 0, moved), ~nan), axis=-1)
    return np.moveaxis(idx, -1, axis).astype(np.int64)


class Take(Op):
    """Values of ``x`` at ``index`` along ``axis`` (the values half of sort/topk)."""

    ctx_attrs = ("shape", "axis", "index")

    @staticmethod
    def forward(ctx, x, *, index, axis):
        ctx.shape, ctx.axis, ctx.index = x.shape, axis, index
        return np.take_along_axis(x, index, axis=axis)

    @staticmethod
    def backward(ctx, g):
        gx = np.zeros(ctx.shape, dtype=g.dtype)
        # topk's indices are distinct along the axis, so assignment is enough
        np.put_along_axis(gx, ctx.index, g, axis=ctx.axis)
        return (gx,)


def topk_indices(x: np.ndarray, k: int, axis: int, largest: bool, sorted_: bool) -> np.ndarray:
    """Indices of the k largest (or smallest) along ``axis``, in torch's order."""
    n = x.shape[axis]
    if not 0 <= k <= n:
        raise RuntimeError(f"selected index k out of range: k={k} for a dim of size {n}")
    idx = sort_indices(x, axis, descending=largest)
    return np.take(idx, np.arange(k), axis=axis)


def multinomial(p: np.ndarray, n: int, replacement: bool, rng) -> np.ndarray:
    """Draw ``n`` category indices per row of the weights ``p`` (1-D or 2-D)."""
    if p.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: prob_dist must be 1 or 2 dim, got {p.ndim} dims")
    rows = p.reshape(1, -1) if p.ndim == 1 else p
    if rows.dtype.kind != "f":
        raise RuntimeError(f"multinomial only supports floating-point dtypes, got {p.dtype}")
    if not np.all(np.isfinite(rows)) or np.any(rows < 0):
        raise RuntimeError("multinomial: probability tensor contains inf, nan or element < 0")
    if not replacement and n > rows.shape[1]:
        raise RuntimeError(
            "cannot sample n_sample > prob_dist.size(-1) samples without replacement"
        )
    out = np.empty((rows.shape[0], n), np.int64)
    for i, w in enumerate(rows.astype(np.float64)):
        if w.sum() <= 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        if replacement:
            out[i] = rng.choice(len(w), size=n, replace=True, p=w / w.sum())
        else:
            # torch's draw without replacement: the n largest w / Exp(1) keys; categories of
            # weight 0 come last, in index order, once the others are used up
            keys = w / rng.exponential(size=len(w))
            out[i] = np.argsort(-keys, kind="stable")[:n]
    return out.reshape(n) if p.ndim == 1 else out


def check_matmul_dims(name: str, a: tuple, b: tuple, nd: int) -> None:
    """torch.mm / torch.bmm accept exactly ``nd``-dim operands with matching inner sizes."""
    if len(a) != nd or len(b) != nd:
        raise RuntimeError(f"{name}: expected {nd}-D tensors, got {len(a)}-D and {len(b)}-D")
    if nd == 3 and a[0] != b[0]:
        raise RuntimeError(f"{name}: batch sizes differ: {a[0]} and {b[0]}")
    if a[-1] != b[-2]:
        raise RuntimeError(
            f"{name}: mat1 and mat2 shapes cannot be multiplied "
            f"({a[-2]}x{a[-1]} and {b[-2]}x{b[-1]})"
        )
