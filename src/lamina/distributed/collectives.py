"""Collectives on Tensors over the default group (torch.distributed.all_reduce, ...).

Each works on the tensor's array in place, as torch's do, through MPI's buffer interface
(no pickling); ``async_op=True`` starts MPI's non-blocking form and returns a :class:`Work`
to ``wait()`` on. In a world of one process they are no-ops that keep torch's results
(``AVG`` of one value is the value).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

import numpy as np

from ..tensor import Tensor
from .group import check_group, world

__all__ = [
    "ReduceOp",
    "Work",
    "all_reduce",
    "reduce",
    "broadcast",
    "all_gather",
    "all_gather_into_tensor",
    "barrier",
]


class ReduceOp(enum.Enum):
    """How all_reduce combines the ranks' values (torch.distributed.ReduceOp)."""

    SUM = "sum"
    AVG = "avg"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"
    BAND = "band"
    BOR = "bor"
    BXOR = "bxor"


def mpi_op(op: ReduceOp) -> Any:
    """The MPI operation for ``op`` (AVG is a SUM divided afterwards)."""
    from mpi4py import MPI

    return {
        ReduceOp.SUM: MPI.SUM,
        ReduceOp.AVG: MPI.SUM,
        ReduceOp.PRODUCT: MPI.PROD,
        ReduceOp.MIN: MPI.MIN,
        ReduceOp.MAX: MPI.MAX,
        ReduceOp.BAND: MPI.BAND,
        ReduceOp.BOR: MPI.BOR,
        ReduceOp.BXOR: MPI.BXOR,
    }[op]


class Work:
    """A collective in flight (torch.distributed.Work): ``wait()`` finishes it.

    ``finish`` runs once the MPI request completes (AVG's division, copying a result back
    into a tensor whose array MPI could not use directly).
    """

    def __init__(self, request: Any = None, finish: Callable[[], None] | None = None) -> None:
        self._request, self._finish = request, finish
        self._done = request is None
        if self._done and finish is not None:
            finish()

    def is_completed(self) -> bool:
        if not self._done and self._request.Test():
            self._complete()
        return self._done

    def wait(self, timeout: Any = None) -> bool:
        if not self._done:
            self._request.Wait()
            self._complete()
        return True

    def _complete(self) -> None:
        self._done = True
        if self._finish is not None:
            self._finish()


def _tensor(t: Any, where: str) -> Tensor:
    if not isinstance(t, Tensor):
        raise TypeError(f"{where}: expected a lamina Tensor, got {type(t).__name__}")
    return t


def _buffer(t: Tensor) -> np.ndarray:
    """An array MPI can read and write: the tensor's own when contiguous, else a copy."""
    arr = t._data
    return arr if arr.flags.c_contiguous and arr.flags.writeable else np.ascontiguousarray(arr)


def _store(t: Tensor, buf: np.ndarray) -> None:
    """Write ``buf`` back when it is a copy, and bump the version as an in-place op does."""
    if buf is not t._data:
        np.copyto(t._data, buf)
    t._version[0] += 1


def _check_op(op: Any, t: Tensor, where: str) -> ReduceOp:
    if not isinstance(op, ReduceOp):
        raise TypeError(
            f"{where}: op must be a ReduceOp (SUM, AVG, PRODUCT, MIN, MAX, BAND, BOR, BXOR), "
            f"got {op!r}"
        )
    if op is ReduceOp.AVG and t._data.dtype.kind not in "fc":
        raise TypeError(f"{where}: ReduceOp.AVG needs a floating tensor, got {t._data.dtype}")
    if op in (ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR) and t._data.dtype.kind not in "iub":
        raise TypeError(f"{where}: ReduceOp.{op.name} needs an integer tensor, got {t._data.dtype}")
    return op


def all_reduce(
    tensor: Tensor, op: ReduceOp = ReduceOp.SUM, group: Any = None, async_op: bool = False
) -> Work | None:
    """Combine ``tensor`` over all ranks, in place, on every rank (torch.distributed.all_reduce)."""
    check_group(group, "all_reduce")
    t = _tensor(tensor, "all_reduce")
    op = _check_op(op, t, "all_reduce")
    g = world()
    if g.comm is None:
        return Work() if async_op else None
    from mpi4py import MPI

    buf = _buffer(t)

    def finish() -> None:
        if op is ReduceOp.AVG:
            np.divide(buf, g.size, out=buf)
        _store(t, buf)

    if async_op:
        return Work(g.comm.Iallreduce(MPI.IN_PLACE, buf, op=mpi_op(op)), finish)
    g.comm.Allreduce(MPI.IN_PLACE, buf, op=mpi_op(op))
    finish()
    return None


def reduce(
    tensor: Tensor,
    dst: int = 0,
    op: ReduceOp = ReduceOp.SUM,
    group: Any = None,
    async_op: bool = False,
) -> Work | None:
    """Combine ``tensor`` over all ranks into rank ``dst``'s (torch.distributed.reduce)."""
    check_group(group, "reduce")
    t = _tensor(tensor, "reduce")
    op = _check_op(op, t, "reduce")
    g = world()
    _check_rank(dst, g.size, "reduce", "dst")
    if g.comm is not None:
        from mpi4py import MPI

        buf = _buffer(t)
        send = MPI.IN_PLACE if g.rank == dst else buf
        g.comm.Reduce(send, buf if g.rank == dst else None, op=mpi_op(op), root=dst)
        if g.rank == dst:
            if op is ReduceOp.AVG:
                np.divide(buf, g.size, out=buf)
            _store(t, buf)
    return Work() if async_op else None


def _check_rank(r: Any, size: int, where: str, name: str) -> None:
    if isinstance(r, bool) or not isinstance(r, (int, np.integer)) or not 0 <= r < size:
        raise ValueError(f"{where}: {name}={r!r} is not a rank of this world of size {size}")


def broadcast(
    tensor: Tensor, src: int = 0, group: Any = None, async_op: bool = False
) -> Work | None:
    """Copy rank ``src``'s tensor into every rank's, in place (torch.distributed.broadcast)."""
    check_group(group, "broadcast")
    t = _tensor(tensor, "broadcast")
    g = world()
    _check_rank(src, g.size, "broadcast", "src")
    if g.comm is None:
        return Work() if async_op else None
    buf = _buffer(t)
    if async_op:
        return Work(g.comm.Ibcast(buf, root=src), lambda: _store(t, buf))
    g.comm.Bcast(buf, root=src)
    _store(t, buf)
    return None


def all_gather(
    tensor_list: list[Tensor], tensor: Tensor, group: Any = None, async_op: bool = False
) -> Work | None:
    """Fill ``tensor_list[r]`` with rank r's ``tensor`` (torch.distributed.all_gather)."""
    check_group(group, "all_gather")
    t = _tensor(tensor, "all_gather")
    g = world()
    if not isinstance(tensor_list, list) or len(tensor_list) != g.size:
        raise ValueError(
            f"all_gather: tensor_list must be a list of world_size={g.size} tensors, got "
            f"{type(tensor_list).__name__} of length {len(tensor_list)}"
        )
    for i, out in enumerate(tensor_list):
        _tensor(out, f"all_gather: tensor_list[{i}]")
        if out.shape != t.shape or out.dtype != t.dtype:
            raise ValueError(
                f"all_gather: tensor_list[{i}] is {out.dtype} {tuple(out.shape)}, expected "
                f"{t.dtype} {tuple(t.shape)} like the input"
            )
    gathered = np.empty((g.size, *t.shape), t._data.dtype)
    if g.comm is None:
        gathered[0] = t._data
    else:
        g.comm.Allgather(np.ascontiguousarray(t._data), gathered)
    for out, part in zip(tensor_list, gathered):
        _store(out, part)
    return Work() if async_op else None


def all_gather_into_tensor(
    output_tensor: Tensor, input_tensor: Tensor, group: Any = None, async_op: bool = False
) -> Work | None:
    """Ranks' inputs concatenated along dim 0 (torch.distributed.all_gather_into_tensor)."""
    check_group(group, "all_gather_into_tensor")
    out, t = _tensor(output_tensor, "all_gather_into_tensor"), _tensor(input_tensor, "all_gather")
    g = world()
    want = (g.size * t.shape[0], *t.shape[1:]) if t.ndim else (g.size,)
    if tuple(out.shape) != want or out.dtype != t.dtype:
        raise ValueError(
            f"all_gather_into_tensor: output is {out.dtype} {tuple(out.shape)}, expected "
            f"{t.dtype} {want}"
        )
    buf = _buffer(out)
    if g.comm is None:
        buf.reshape(t._data.shape)[...] = t._data
    else:
        g.comm.Allgather(np.ascontiguousarray(t._data), buf)
    _store(out, buf)
    return Work() if async_op else None


def barrier(group: Any = None, async_op: bool = False, device_ids: Any = None) -> Work | None:
    """Wait until every rank reaches this call (torch.distributed.barrier)."""
    check_group(group, "barrier")
    g = world()
    if g.comm is not None:
        if async_op:
            return Work(g.comm.Ibarrier())
        g.comm.Barrier()
    return Work() if async_op else None
