"""lamina's own worker threads: ``parallel_for`` splits array work over the batch axis.

NumPy releases the GIL inside copies and ufunc loops, so a few Python threads each running
the same NumPy calls on a slice of the batch use several cores without any compiled code.
The pool is created on first parallel use with ``get_num_threads() - 1`` workers (the calling
thread takes a share too) and is rebuilt when the count changes or after a ``fork``.

Scheduling degrades gracefully on a shared machine: the chunks are claimed one at a time by
whichever thread is free, the calling thread included, and the caller waits only for chunks
a worker has actually started. A worker that the OS does not schedule (another process holds
the core) costs nothing: the caller does its chunks itself. Workers block on a queue, they
never spin.

Small work runs inline in the calling thread: below ``MIN_PARALLEL_BYTES`` of data touched
the hand-off (a queue put, a worker wake-up, an Event: ~20-40 us round trip when the worker
is idle) costs more than half the copy saves (see the constant for the measurement).
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable

import numpy as np

from .. import _state

__all__ = [
    "MIN_PARALLEL_BYTES",
    "MIN_PARALLEL_FLOPS",
    "default_threads",
    "matmul",
    "num_threads",
    "pin_blas",
    "parallel_copy",
    "parallel_for",
]

# Below this many bytes of data touched by a call, parallel_for runs inline. Measured on the
# 2-vCPU Xeon (idle machine): a float32 strided copy of 256 KiB takes ~25 us on one thread
# and the worker hand-off ~20-40 us, so the split pays from ~1 MiB; see docs/performance.md.
MIN_PARALLEL_BYTES = 1 << 20

_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
_local = threading.local()  # .inside: this thread is running a chunk (no nested splits)


def usable_cores() -> int:
    """CPUs this process may run on (its affinity mask), as torch counts them."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def default_threads() -> int:
    """The thread count before any ``set_num_threads``: a positive ``OPENBLAS_NUM_THREADS``,
    ``OMP_NUM_THREADS`` or ``MKL_NUM_THREADS`` (first set wins), else the usable cores."""
    for var in _THREAD_VARS:
        value = os.environ.get(var, "").strip()
        if value.isdigit() and int(value) > 0:
            return int(value)
    return usable_cores()


def num_threads() -> int:
    """The current intra-op thread count (``lamina.get_num_threads``)."""
    n = _state.threads["intra"]
    if n is None:
        n = _state.threads["intra"] = default_threads()
    return n


def _pool():
    """The worker pool for the current thread count, (re)created on demand."""
    from concurrent.futures import ThreadPoolExecutor

    st = _state.threads
    want, pid = num_threads() - 1, os.getpid()
    pool = st["pool"]
    if pool is None or st["pool_size"] != want or st["pool_pid"] != pid:
        if pool is not None and st["pool_pid"] == pid:
            pool.shutdown(wait=False)
        pool = ThreadPoolExecutor(max_workers=want, thread_name_prefix="lamina")
        st.update(pool=pool, pool_size=want, pool_pid=pid)
    return pool


class _Job:
    """Chunks of one parallel_for call, claimed one by one by any free thread."""

    __slots__ = ("fn", "bounds", "claim", "left", "lock", "done", "error")

    def __init__(self, fn, bounds):
        self.fn, self.bounds = fn, bounds
        self.claim = itertools.count()  # next() is atomic under the GIL
        self.left = len(bounds)
        self.lock, self.done, self.error = threading.Lock(), threading.Event(), None

    def work(self) -> None:
        _local.inside = True
        try:
            for i in self.claim:
                if i >= len(self.bounds):
                    return
                try:
                    self.fn(*self.bounds[i])
                except BaseException as e:  # re-raised in the calling thread
                    self.error = self.error or e
                with self.lock:
                    self.left -= 1
                    if self.left == 0:
                        self.done.set()
        finally:
            _local.inside = False


def parallel_for(
    n_items: int, fn: Callable[[int, int], None], work: int, min_work: int = MIN_PARALLEL_BYTES
) -> None:
    """Call ``fn(start, stop)`` over ``range(n_items)`` split in contiguous chunks, one per
    thread, on lamina's pool; inline when one thread is set, ``n_items < 2``, ``work`` (by
    default the bytes the whole call touches) is under ``min_work`` or the caller is itself
    a chunk. ``fn`` must write disjoint outputs per item range. Exceptions are re-raised in
    the caller once every started chunk has finished.
    """
    threads = num_threads()
    if threads < 2 or n_items < 2 or work < min_work or getattr(_local, "inside", 0):
        fn(0, n_items)
        return
    k = min(threads, n_items)
    job = _Job(fn, [(i * n_items // k, (i + 1) * n_items // k) for i in range(k)])
    pool = _pool()
    for _ in range(k - 1):
        pool.submit(job.work)
    job.work()
    job.done.wait()
    if job.error is not None:
        raise job.error


def parallel_copy(dst, src, axis: int = 0) -> None:
    """``dst[...] = src`` split along ``axis`` (the batch) over lamina's threads."""
    lead = (slice(None),) * axis

    def copy(a: int, b: int) -> None:
        np.copyto(dst[(*lead, slice(a, b))], src[(*lead, slice(a, b))])

    parallel_for(dst.shape[axis], copy, 2 * dst.nbytes)


# Below this many flops (2*M*N*K) a matrix product runs as one BLAS call: ~80 us of work at
# the ~50 GFLOP/s one core reaches here, against the ~20-40 us hand-off to a worker.
MIN_PARALLEL_FLOPS = 4_000_000


def pin_blas() -> None:
    """Run the BLAS on one thread: lamina splits products over its own threads instead.

    OpenBLAS splits each product statically over its threads and waits for all of them; on
    a machine where other processes hold cores one descheduled thread stalls the product
    (measured here under load 5 on 2 cores: a (64, 512) @ (512, 784) product 0.29 ms on one
    thread, 36-48 ms on two). lamina's chunks are claimed by whichever thread is free, so
    the calling thread finishes the work alone when the others do not get a core.
    """
    if _state.threads["blas_applied"] != 1:
        from ..parallel import apply_blas

        apply_blas(1)


def matmul(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``np.matmul(a, b)`` split over lamina's threads, each chunk one single-thread BLAS call.

    The output is split over its leading (batch) axis, or over the rows of a 2-D product,
    so every element is computed by the same BLAS kernel over the same ``K`` as in one call.
    Products under ``MIN_PARALLEL_FLOPS``, vectors and one thread run as one ``np.matmul``.
    ``out``: as ``np.matmul``'s (the product's shape and dtype).
    """
    threads = num_threads()
    if (
        threads < 2
        or type(a) is not np.ndarray
        or type(b) is not np.ndarray
        or a.ndim < 2
        or b.ndim < 2
        or getattr(_local, "inside", 0)
    ):
        return np.matmul(a, b, out=out)
    m, k, n = a.shape[-2], a.shape[-1], b.shape[-1]
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    count = int(np.prod(batch)) if batch else 1
    flops = 2 * count * m * n * k
    pin_blas()
    if flops < MIN_PARALLEL_FLOPS:
        return np.matmul(a, b, out=out)
    if out is None:
        out = np.empty((*batch, m, n), np.result_type(a, b))
    if batch and batch[0] >= 2:
        aa = a if a.ndim < out.ndim or a.shape[0] == 1 else None
        bb = b if b.ndim < out.ndim or b.shape[0] == 1 else None

        def rows(s: int, e: int) -> None:
            np.matmul(a[s:e] if aa is None else aa, b[s:e] if bb is None else bb, out=out[s:e])

        parallel_for(batch[0], rows, flops, MIN_PARALLEL_FLOPS)
        return out
    if m < 2 * threads:
        return np.matmul(a, b, out=out)

    def split_m(s: int, e: int) -> None:
        np.matmul(a[..., s:e, :], b, out=out[..., s:e, :])

    parallel_for(m, split_m, flops, MIN_PARALLEL_FLOPS)
    return out
