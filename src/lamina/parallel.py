"""Thread counts: torch.set_num_threads / get_num_threads and the inter-op pair.

``set_num_threads(n)`` sizes lamina's worker pool (``lamina.ops._parallel``): the calling
thread and ``n - 1`` workers share the matrix products of convolutions, linear layers,
``matmul`` and the recurrent cells (split over the batch, or the rows or columns of one
product, each chunk one BLAS call), the data movement of convolution and pooling, and the
optimizer updates. The BLAS itself (OpenBLAS in NumPy's wheels, or MKL/BLIS) runs on one
thread per call, set through threadpoolctl (imported on first use only, so ``import
lamina`` stays quick): its static split of every product stalls whenever another process
holds a core, while lamina's chunks go to whichever thread is free
(``ops._parallel.pin_blas`` has the measurement).

The default, before any call, is the count a positive ``OPENBLAS_NUM_THREADS``,
``OMP_NUM_THREADS`` or ``MKL_NUM_THREADS`` names, else the CPUs this process may use
(``os.sched_getaffinity``), as torch.
"""

from __future__ import annotations

from . import _state
from .ops._parallel import num_threads, pin_blas, usable_cores

__all__ = [
    "get_num_interop_threads",
    "get_num_threads",
    "set_num_interop_threads",
    "set_num_threads",
]

_INT_MAX = 2**31 - 1  # torch stores the count in a C int


def _positive_int(n, name: str) -> int:
    """torch's argument rule: an int (not bool; NumPy ints pass), positive, fits a C int."""
    if isinstance(n, bool) or not hasattr(type(n), "__index__"):
        raise RuntimeError(f"{name} expects an int, but got {type(n).__name__}")
    n = n.__index__()
    if n > _INT_MAX or n < -_INT_MAX - 1:
        raise ValueError(f"{name}: {n} overflows a C int (Overflow when unpacking long)")
    if n <= 0:
        raise RuntimeError(f"{name} expects a positive integer, got {n}")
    return n


def set_num_threads(n: int) -> None:
    """Use ``n`` threads for intra-op work (torch.set_num_threads): lamina's pool, the BLAS
    pinned to one thread inside it.

    Raises:
        RuntimeError: if ``n`` is not an int (bool included) or is not positive.
        ValueError: if ``n`` does not fit a C int.
    """
    n = _positive_int(n, "set_num_threads")
    _state.threads["intra"] = n
    pin_blas()


def get_num_threads() -> int:
    """The number of threads used for intra-op parallelism (torch.get_num_threads)."""
    return num_threads()


def set_num_interop_threads(n: int) -> None:
    """Set the inter-op thread count once, before it is read (torch.set_num_interop_threads).

    lamina runs no inter-op parallel work (ops run one after another in the calling
    thread); the count is kept for scripts that set and read it, with torch's rules.

    Raises:
        RuntimeError: if ``n`` is not a positive int, or on a second call.
    """
    n = _positive_int(n, "set_num_interop_threads")
    if _state.threads["interop_locked"]:
        raise RuntimeError(
            "Error: cannot set number of interop threads after parallel work has started "
            "or set_num_interop_threads called"
        )
    _state.threads["interop"] = n
    _state.threads["interop_locked"] = True


def get_num_interop_threads() -> int:
    """The inter-op thread count (torch.get_num_interop_threads); default: usable cores."""
    if _state.threads["interop"] is None:
        return usable_cores()
    return _state.threads["interop"]
