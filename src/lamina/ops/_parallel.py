"""lamina's own worker threads: ``parallel_for`` splits array work over the batch axis.

NumPy releases the GIL inside copies and ufunc loops, so a few Python threads each running
the same NumPy calls on a slice of the batch use several cores without any compiled code.
The pool is created on first parallel use with ``get_num_threads() - 1`` workers (the calling
thread takes a share too) and is rebuilt when the count changes or after a ``fork``.

Scheduling degrades gracefully on a shared machine: the chunks are claimed one at a time by
whichever thread is free, the calling thread included, and the caller waits only for chunks
a worker has actually started. A worker that the OS does not schedule (another process holds
the core) costs nothing: the caller does its chunks itself. With numba (the fast extra) a
worker busy-waits ``SPIN_SECONDS`` for its next job after each one, without the GIL, as
OpenBLAS's and OpenMP's workers do (a vCPU that halts takes ~150-250 us to wake); then, and
always without numba, it blocks on the queue.

Small work runs inline in the calling thread: below ``MIN_PARALLEL_BYTES`` of data touched
(or ``MIN_PARALLEL_FLOPS`` for a product) the hand-off (a queue put, a worker wake-up, an
Event: ~30 us when the worker sleeps) costs more than the split saves (see the constants).
"""

from __future__ import annotations

import itertools
import os
import threading
import time
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
# 2-vCPU Xeon (best of 60, load ~3.7): an im2col copy touching 1.1 MiB took 27 us inline and
# 51 us split in two (the sleeping worker's wake-up is ~30 us), 2.3 MiB 58 vs 66 us, 4.5 MiB
# 126 vs 95 us; cnn_cifar's 37 MiB im2col 3.6 vs 2.8 ms.
MIN_PARALLEL_BYTES = 4 << 20

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


# How long a worker busy-waits for its next job before it blocks (with numba, the fast
# extra): a GPT training step makes a split call every ~1 ms, a convolution layer's
# several calls come closer. Measured on the 2-vCPU Xeon (a VM): a worker woken from sleep
# started its half of a (768, 128) @ (128, 384) product 155-174 us late, a spinning one
# 13-33 us late; the split product took 487-656 us against 294-323 us.
SPIN_SECONDS = 0.002


class _Pool:
    """``n`` daemon workers taking jobs from one queue; each job put on it is worked on by
    the first worker free. After a job a worker busy-waits ``SPIN_SECONDS`` on a job
    counter in compiled code that holds no GIL (numba; without it the worker blocks at
    once), then blocks on the queue. Lighter than ``concurrent.futures``: no Future, and a
    worker is back waiting a few bytecodes after its last chunk."""

    def __init__(self, n: int) -> None:
        import queue

        from . import fast

        self.queue, self.size = queue.SimpleQueue(), n
        self.counter = np.zeros(1, np.int64)  # bumped after every put
        self.spin = None
        if fast.is_enabled():
            spin = fast.kernels().spin_until
            spin(self.counter, 0, 1)  # loaded (or compiled) before it is timed
            t0 = time.perf_counter()
            spin(self.counter, 0, 100_000)  # calibrates the reads per second
            per_second = 100_000 / max(time.perf_counter() - t0, 1e-6)
            self.spin = (spin, max(1, int(SPIN_SECONDS * per_second)))
        for i in range(n):
            threading.Thread(target=self._serve, name=f"lamina-{i}", daemon=True).start()

    def _serve(self) -> None:
        get, spin, seen = self.queue.get, self.spin, 0
        while True:
            if spin is not None:
                seen = spin[0](self.counter, seen, spin[1])
            job = get()
            if job is None:
                return
            job.work()

    def submit(self, job) -> None:
        self.queue.put(job)
        self.counter[0] += 1

    def shutdown(self) -> None:
        for _ in range(self.size):
            self.submit(None)


def _pool() -> _Pool:
    """The worker pool for the current thread count, (re)created on demand."""
    st = _state.threads
    want, pid = num_threads() - 1, os.getpid()
    pool = st["pool"]
    if pool is None or st["pool_size"] != want or st["pool_pid"] != pid:
        if pool is not None and st["pool_pid"] == pid:
            pool.shutdown()
        pool = _Pool(want)
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

    def work(self) -> int:
        """Run chunks until none is left; returns how many items this thread ran."""
        _local.inside = True
        ran = 0
        try:
            for i in self.claim:
                if i >= len(self.bounds):
                    return ran
                ran += self.bounds[i][1] - self.bounds[i][0]
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
    n_items: int, fn: Callable[[int, int], None], work: int, min_work: int | None = None
) -> None:
    """Call ``fn(start, stop)`` over ``range(n_items)`` split in contiguous chunks, one per
    thread, on lamina's pool; inline when one thread is set, ``n_items < 2``, ``work`` (by
    default the bytes the whole call touches) is under ``min_work`` (``MIN_PARALLEL_BYTES``)
    or the caller is itself a chunk, and while the pool backs off (see ``_observe``). ``fn``
    must write disjoint outputs per item range. Exceptions are re-raised in the caller once
    every started chunk has finished.
    """
    threads = num_threads()
    if (
        threads < 2
        or n_items < 2
        or work < (MIN_PARALLEL_BYTES if min_work is None else min_work)
        or getattr(_local, "inside", 0)
        or _backing_off(key := (min_work is None, work.bit_length()))
    ):
        fn(0, n_items)
        return
    k = min(threads, n_items)
    job = _Job(fn, [(i * n_items // k, (i + 1) * n_items // k) for i in range(k)])
    pool = _pool()
    t0 = time.perf_counter()
    for _ in range(k - 1):
        pool.submit(job)
    t1 = time.perf_counter()
    ran = job.work()
    t2 = time.perf_counter()
    job.done.wait()
    # the split paid if the call took well under what the caller's items say one thread
    # would have taken for all of them; a call where one thread ran everything cost only
    # the hand-off and says nothing (a sleeping vCPU can take longer to wake than a chunk)
    if 0 < ran < n_items:
        _observe(key, (time.perf_counter() - t0) / ((t2 - t1) * n_items / ran + 1e-9))
    if job.error is not None:
        raise job.error


# Back-off on a crowded machine. A worker descheduled mid-chunk (another process holds the
# core) makes the caller wait about a time slice: measured under load 6 on these 2 cores,
# split products took 1.2-2.7x their one-call time. Each split call is scored: its time over
# the caller's estimate of one thread's time for all the items (its own chunk time scaled).
# Calls are grouped by size (bytes or flops, in powers of two): in each group an exponential
# average of the scores (weight SMOOTH, each capped at 4) decides. Above PAYOFF, splitting
# that size does not pay now, and its next calls run inline, 8, then 16, ... up to
# MAX_BACKOFF calls before one probe call splits again and is scored; at or below it the
# pool is used. Judging an average per size, not each call, keeps a slow wake-up, or small
# copies near the threshold that a wake-up outlasts, from switching off the split of the
# large products (a per-call rule held cnn_cifar at 0.95-0.99x of its 1-thread step on the
# quiet 2-vCPU Xeon), while a competing process, which makes most calls late, backs it off.
# A call in which one thread ran every chunk (the other not woken in time) is not scored.
PAYOFF = 1.3  # average score above this: splitting costs more than it saves
SMOOTH = 0.25
MAX_BACKOFF = 1024


def _group(key: tuple) -> list:
    """[average score, back-off, calls left inline] of one size group."""
    groups = _state.threads["groups"]
    if key not in groups:
        groups[key] = [0.6, 0, 0]
    return groups[key]


def _backing_off(key: tuple) -> bool:
    g = _group(key)
    if g[2] > 0:
        g[2] -= 1
        return True
    return False


def _observe(key: tuple, score: float) -> None:
    """Fold one split call's score (its time / one thread's estimate) into its group."""
    g = _group(key)
    g[0] += SMOOTH * (min(score, 4.0) - g[0])
    if g[0] > PAYOFF and MAX_BACKOFF > 0:
        g[1] = min(max(8, 2 * g[1]), MAX_BACKOFF)
        g[2] = g[1]
    else:
        g[1] = 0


def parallel_copy(dst, src, axis: int = 0) -> None:
    """``dst[...] = src`` split along ``axis`` (the batch) over lamina's threads."""
    lead = (slice(None),) * axis

    def copy(a: int, b: int) -> None:
        np.copyto(dst[(*lead, slice(a, b))], src[(*lead, slice(a, b))])

    parallel_for(dst.shape[axis], copy, 2 * dst.nbytes)


# Below this many flops (2*M*N*K) a product runs as one BLAS call. Measured on the 2-vCPU
# Xeon (best of 40, benchmarks/bench_threads.py): (32, 256) @ (256, 1024), 17 MFLOP, took
# 121 us in one call and 139 us split in two; (128, 784) @ (784, 512), 103 MFLOP, 553 vs
# 428 us; conv's 32 x (32, 288) @ (288, 1024), 604 MFLOP, 5.6 vs 3.0 ms.
MIN_PARALLEL_FLOPS = 24_000_000
ALIGN = 64  # rows/columns: chunks of one product start at multiples of this


def pin_blas() -> None:
    """Run the BLAS on one thread: lamina splits products over its own threads instead.

    OpenBLAS splits each product statically over its threads and waits for all of them; on
    a machine where other processes hold cores one descheduled thread stalls the product
    (measured here under load 5 on 2 cores: a (64, 512) @ (512, 784) product 0.29 ms on one
    thread, 36-48 ms on two). lamina's chunks are claimed by whichever thread is free, so
    the calling thread finishes the work alone when the others do not get a core.
    """
    if _state.threads["blas_applied"] != 1:
        apply_blas(1)


def apply_blas(n: int) -> None:
    """Limit every BLAS library loaded in the process to ``n`` threads (threadpoolctl)."""
    if _state.threads["blas_applied"] == n:
        return
    _state.threads["blas_applied"] = n  # tried once per count, found or not
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # a declared dependency: only a broken install lands here
        import warnings

        warnings.warn(
            "lamina: threadpoolctl is not installed, so the BLAS keeps its own thread count "
            "(pip install threadpoolctl); products may slow down on a busy machine",
            RuntimeWarning,
            stacklevel=3,
        )
        return
    ThreadpoolController().limit(limits=n, user_api="blas")


def matmul(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``np.matmul(a, b)`` split over lamina's threads, each chunk one single-thread BLAS call.

    The output is split over its leading (batch) axis - each chunk the same per-sample
    products, bit for bit - or over the rows or the columns of one product, where the BLAS
    may round a chunk differently (within float32 rounding; tests/test_parallel.py).
    Products under ``MIN_PARALLEL_FLOPS``, vectors and one thread run as one ``np.matmul``.
    ``out``: as ``np.matmul``'s (the product's shape and dtype).
    """
    if a.ndim > 2 and b.ndim == 2 and type(a) is np.ndarray and type(b) is np.ndarray:
        return _folded(a, b, out)
    threads = num_threads()
    if (
        threads < 2
        or type(a) is not np.ndarray
        or type(b) is not np.ndarray
        or a.ndim < 2
        or b.ndim < 2
        or getattr(_local, "inside", 0)
        # an upper bound of the flops (count <= count_a * count_b), cheap: small products
        # (a decoding step's) skip the shape work below, ~3 us a call in Python
        or 2 * a.size * b.size < MIN_PARALLEL_FLOPS * max(a.shape[-1], 1)
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
    # one product: split the longer of its rows (m) and columns (n). Each chunk packs its
    # part of one operand and the whole other one again; splitting the rows of a
    # (32, 256) @ (256, 1024) product repacked b and cost 1.3x the one call, the columns 1.02x.
    # Chunks start at multiples of ALIGN, so each element keeps its place in the BLAS
    # kernel's register blocks (unaligned column chunks rounded differently in the tests).
    size = max(m, n)
    if size < 2 * ALIGN:
        return np.matmul(a, b, out=out)
    if n >= m:

        def split(s: int, e: int) -> None:
            s, e = s * ALIGN, min(e * ALIGN, n)
            np.matmul(a, b[..., s:e], out=out[..., s:e])

    else:

        def split(s: int, e: int) -> None:
            s, e = s * ALIGN, min(e * ALIGN, m)
            np.matmul(a[..., s:e, :], b, out=out[..., s:e, :])

    parallel_for(-(-size // ALIGN), split, flops, MIN_PARALLEL_FLOPS)
    return out


def _folded(a: np.ndarray, b: np.ndarray, out: np.ndarray | None) -> np.ndarray:
    """A stack of matrices times one matrix as one product: ``(..., m, k) @ (k, n)`` is
    ``(prod(...) * m, k) @ (k, n)``, as torch computes it.

    NumPy's matmul runs a stacked operand as one BLAS call per matrix: on the 2-vCPU Xeon,
    a GPT Linear's (12, 64, 128) @ (128, 384) took 1.22 ms that way and 0.80 ms as one
    (768, 128) @ (128, 384) call (one thread; the K = 512 layers 1.62 vs 1.12 ms).
    """
    m, k = a.shape[-2], a.shape[-1]
    shape = (*a.shape[:-2], m, b.shape[-1])
    a2 = a.reshape(-1, k)  # a view when the stack is contiguous, else one copy
    if out is None:
        return matmul(a2, b).reshape(shape)
    if out.flags.c_contiguous:
        matmul(a2, b, out=out.reshape(-1, shape[-1]))
    else:
        out[...] = matmul(a2, b).reshape(shape)
    return out
