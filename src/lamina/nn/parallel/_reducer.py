"""The gradient reducer behind DistributedDataParallel: buckets and overlapped allreduce.

Parameters are packed, in reverse registration order (about the order backward finishes
them), into buckets of at most ``bucket_cap_mb`` (the first bucket 1 MiB, as torch's).
A post-accumulate-grad hook on every parameter copies its gradient into its bucket's flat
buffer; when a bucket is full its non-blocking ``Iallreduce`` starts, while backward goes
on computing the earlier layers' gradients. Buckets start in index order on every rank,
which MPI needs (collectives on a communicator must be issued in the same order
everywhere). At the end of backward (the engine's queued callback) the reducer waits for
all, divides by the world size and copies the means back into ``.grad``.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ...autograd import engine
from ...tensor import Tensor

FIRST_BUCKET_BYTES = 1024 * 1024  # torch's _DEFAULT_FIRST_BUCKET_BYTES


def assign_buckets(params: list, cap_bytes: int, first_bytes: int) -> list[list[int]]:
    """Indices of ``params`` per bucket: reverse order, one dtype per bucket, size-capped."""
    buckets: list[list[int]] = []
    open_: dict[Any, tuple[list[int], int]] = {}  # dtype -> (indices, bytes) being filled
    for i in reversed(range(len(params))):
        arr = params[i]._data
        members, size = open_.get(arr.dtype, ([], 0))
        members.append(i)
        size += arr.nbytes
        limit = first_bytes if not buckets else cap_bytes
        if size >= limit:
            buckets.append(members)
            open_.pop(arr.dtype, None)
        else:
            open_[arr.dtype] = (members, size)
    buckets += [m for m, _ in open_.values()]
    return buckets


class _Bucket:
    def __init__(self, params: list, index: list[int]) -> None:
        self.params = [params[i] for i in index]
        sizes = [p._data.size for p in self.params]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
        self.flat = np.zeros(int(self.offsets[-1]), self.params[0]._data.dtype)
        self.ready = 0
        self.request = None

    def put(self, j: int, grad: np.ndarray | None) -> None:
        part = self.flat[self.offsets[j] : self.offsets[j + 1]]
        if grad is None:
            part[...] = 0
        else:
            np.copyto(part, grad.reshape(-1))
        self.ready += 1


class Reducer:
    """Average gradients over the ranks of ``comm`` while backward runs."""

    def __init__(self, named_params: list, comm: Any, cap_bytes: int, find_unused: bool) -> None:
        self.name_of = {id(p): n for n, p in named_params}
        params = [p for _, p in named_params]
        self.comm, self.size, self.find_unused = comm, comm.Get_size(), find_unused
        index = assign_buckets(params, cap_bytes, min(FIRST_BUCKET_BYTES, cap_bytes))
        self.buckets = [_Bucket(params, ix) for ix in index]
        self.where = {}  # id(param) -> (bucket, position)
        for b, bucket in enumerate(self.buckets):
            for j, p in enumerate(bucket.params):
                self.where[id(p)] = (b, j)
        self.seen: set[int] = set()
        self.next_launch, self.armed, self.expect = 0, False, False
        self.wait_seconds = 0.0  # time blocked at the end of backward, summed (for benchmarks)
        self.handles = [p.register_post_accumulate_grad_hook(self._ready) for p in params]

    def prepare(self) -> None:
        """Arm for the backward of the forward that just ran (torch's prepare_for_backward)."""
        self.expect = True

    def _ready(self, p: Tensor) -> None:
        if not self.expect:
            return
        if not self.armed:
            engine.queue_callback(self._finish)
            self.armed = True
        b, j = self.where[id(p)]
        if id(p) in self.seen:  # a second backward through the same forward (retain_graph)
            return
        self.seen.add(id(p))
        self.buckets[b].put(j, p.grad._data)
        self._launch_ready()
        self._progress()

    def _launch_ready(self) -> None:
        from mpi4py import MPI

        while self.next_launch < len(self.buckets):
            bucket = self.buckets[self.next_launch]
            if bucket.ready < len(bucket.params):
                return
            bucket.request = self.comm.Iallreduce(MPI.IN_PLACE, bucket.flat, op=MPI.SUM)
            self.next_launch += 1

    def _progress(self) -> None:
        """Let MPI advance the reductions in flight (MPICH progresses inside MPI calls)."""
        for bucket in self.buckets[: self.next_launch]:
            if bucket.request is not None:
                bucket.request.Test()

    def _finish(self) -> None:
        try:
            self._fill_unused()
            start = time.perf_counter()
            for bucket in self.buckets:
                bucket.request.Wait()
            self.wait_seconds += time.perf_counter() - start
            for bucket in self.buckets:
                self._write_back(bucket)
        finally:
            self.armed = self.expect = False
            self.seen.clear()
            self.next_launch = 0
            for bucket in self.buckets:
                bucket.ready, bucket.request = 0, None

    def _fill_unused(self) -> None:
        missing = [
            (b, j, p)
            for b, bucket in enumerate(self.buckets)
            for j, p in enumerate(bucket.params)
            if id(p) not in self.seen
        ]
        if missing and not self.find_unused:
            for bucket in self.buckets[: self.next_launch]:  # leave no request in flight
                bucket.request.Wait()
            names = [self.name_of[id(p)] for _, _, p in missing]
            raise RuntimeError(
                "DistributedDataParallel: parameters that did not receive a gradient in this "
                f"backward: {names}. Every rank must reduce every parameter; pass "
                "find_unused_parameters=True to DistributedDataParallel if some parameters are "
                "not used in producing the loss"
            )
        for b, j, _ in missing:
            self.buckets[b].put(j, None)
        self._launch_ready()

    def _write_back(self, bucket: _Bucket) -> None:
        np.divide(bucket.flat, self.size, out=bucket.flat)
        for j, p in enumerate(bucket.params):
            mean = bucket.flat[bucket.offsets[j] : bucket.offsets[j + 1]].reshape(p._data.shape)
            if p.grad is None:  # unused here, used elsewhere (find_unused_parameters)
                p.grad = Tensor(mean.copy())
            else:
                np.copyto(p.grad._data, mean)

    def remove(self) -> None:
        for h in self.handles:
            h.remove()
