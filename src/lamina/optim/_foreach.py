"""Run an elementwise optimizer update over every parameter on lamina's threads.

torch's ``foreach`` updates batch the per-parameter kernels; here the per-parameter NumPy
updates (``adam_update``, ``sgd_update``, ``rmsprop_update``) are elementwise, so they can
run on flat pieces of each parameter and its state: large parameters are cut into pieces
of about ``total / (4 * threads)`` elements (at least ``MIN_PIECE``), so a model whose size
sits in one layer (cnn_cifar's 4096x256 linear) still spreads over the threads. Results are
bit-identical to one call per parameter: every element sees the same operations.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..ops._parallel import num_threads, parallel_for

__all__ = ["foreach"]

# Pieces smaller than this cost more in per-call overhead (a dozen ufunc calls, ~1.5 us
# each) than the split saves.
MIN_PIECE = 1 << 16


def _splittable(arrays) -> bool:
    first = arrays[0]
    return all(
        a is None or (type(a) is np.ndarray and a.shape == first.shape and a.flags.c_contiguous)
        for a in arrays
    )


def foreach(update: Callable[..., None], work: Sequence[tuple], opts: dict) -> None:
    """``update(*arrays, *extra, **opts)`` for every ``(arrays, extra)`` in ``work``, in
    parallel. ``arrays`` are a parameter's arrays (param, grad, state...; None allowed),
    updated in place; ``extra`` the per-parameter positional arguments (the step count).
    """
    threads = num_threads()
    total = sum(arrays[0].size for arrays, _ in work)
    nbytes = sum(a.nbytes for arrays, _ in work for a in arrays if a is not None)
    if threads < 2 or len(work) == 0:
        for arrays, extra in work:
            update(*arrays, *extra, **opts)
        return
    piece = max(MIN_PIECE, -(-total // (4 * threads)))
    pieces = []
    for arrays, extra in work:
        n = arrays[0].size
        if n < 2 * piece or not _splittable(arrays):
            pieces.append((arrays, extra))
            continue
        flat = [None if a is None else a.reshape(-1) for a in arrays]
        for s in range(0, n, piece):
            pieces.append(([None if f is None else f[s : s + piece] for f in flat], extra))

    def run(a: int, b: int) -> None:
        for arrays, extra in pieces[a:b]:
            update(*arrays, *extra, **opts)

    parallel_for(len(pieces), run, nbytes)
