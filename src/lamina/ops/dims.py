"""Dimension arguments as torch reads them: wrap negatives, range-check, 0-d tensors."""

from __future__ import annotations


def wrap_dim(dim: int, ndim: int) -> int:
    """``dim`` in ``[0, ndim)``; a 0-d tensor takes dim 0 or -1 as torch does.

    Raises IndexError with torch's wording when ``dim`` is out of range.
    """
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    return dim % n


def wrap_dims(dims, ndim: int) -> tuple[int, ...]:
    """A tuple of wrapped dims; a repeated dim raises as in torch."""
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    out = tuple(wrap_dim(d, ndim) for d in dims)
    if len(set(out)) != len(out):
        raise RuntimeError(f"dim {dims} appears multiple times in the list of dims")
    return out
