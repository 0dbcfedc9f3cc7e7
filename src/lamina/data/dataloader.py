"""DataLoader: batches of a map-style dataset as lamina Tensors (torch: ``DataLoader``).

Batches are read in the calling process: ``num_workers`` is accepted for torch's scripts
and does not start worker processes (NumPy does the heavy lifting; see docs/pytorch.md). A
dataset that can hand over a whole batch of rows at once (``TensorDataset``, a ``Subset`` of
one, a plain ndarray) is indexed once per batch with the batch's index array; any other
dataset is read sample by sample and the samples are merged by :func:`default_collate`.
"""

from __future__ import annotations

import collections.abc
import sys
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ..functions import from_numpy
from ..tensor import Tensor
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler

_KEEP_DTYPES = (np.dtype(np.bool_), np.dtype(np.uint8))


def _convert_array(a: np.ndarray) -> Any:
    """ndarray -> lamina Tensor: float64 -> float32, integers -> int64 (uint8, bool kept)."""
    if a.dtype.kind == "f" and a.dtype != np.float32 and a.dtype.itemsize >= 8:
        a = a.astype(np.float32)
    elif a.dtype.kind in "iu" and a.dtype not in _KEEP_DTYPES and a.dtype != np.int64:
        a = a.astype(np.int64)
    elif a.dtype.kind not in "biuf":
        raise TypeError(f"default_collate: arrays of dtype {a.dtype} cannot become Tensors")
    return from_numpy(np.ascontiguousarray(a))


def _convert_sample(sample: Any) -> Any:
    """batch_size=None: arrays in a sample become Tensors (torch: ``default_convert``)."""
    if isinstance(sample, np.ndarray):
        return _convert_array(sample)
    if isinstance(sample, tuple) and not hasattr(sample, "_fields"):
        return tuple(_convert_sample(s) for s in sample)
    if isinstance(sample, list):
        return [_convert_sample(s) for s in sample]
    if isinstance(sample, dict):
        return {k: _convert_sample(v) for k, v in sample.items()}
    return sample


def _stack(items: list, where: str) -> np.ndarray:
    arrays = [x._data if isinstance(x, Tensor) else np.asarray(x) for x in items]
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        raise ValueError(
            f"default_collate: {where} samples have shapes {sorted(shapes)}, expected one "
            "shape (pad them in a collate_fn)"
        )
    return np.stack(arrays)


def default_collate(batch: list, _where: str = "the") -> Any:
    """Merge a list of samples into a batch (torch: ``default_collate``).

    Arrays, Tensors and NumPy scalars are stacked along a new first axis; Python ints become
    int64, floats float32 and bools bool Tensors; dicts, tuples and lists are merged field by
    field (a tuple becomes a list, as in torch; a namedtuple stays one). Strings and other
    objects are left as a list. Every array becomes a lamina Tensor with float64 turned to
    float32 and integers to int64 (uint8 and bool kept, so raw image bytes stay small).
    """
    elem = batch[0]
    if isinstance(elem, (np.ndarray, np.generic, Tensor)):
        return _convert_array(_stack(batch, _where))
    if isinstance(elem, bool):
        return from_numpy(np.array(batch, dtype=np.bool_))
    if isinstance(elem, int):
        return from_numpy(np.array(batch, dtype=np.int64))
    if isinstance(elem, float):
        return from_numpy(np.array(batch, dtype=np.float32))
    if isinstance(elem, (str, bytes)) or elem is None:
        return list(batch)
    if isinstance(elem, collections.abc.Mapping):
        return {k: default_collate([d[k] for d in batch], f"{_where} [{k!r}]") for k in elem}
    if isinstance(elem, collections.abc.Sequence):
        if any(len(s) != len(elem) for s in batch):
            lens = sorted({len(s) for s in batch})
            raise ValueError(f"default_collate: {_where} samples have lengths {lens}, expected one")
        fields = [default_collate(list(f), f"{_where} [{k}]") for k, f in enumerate(zip(*batch))]
        return type(elem)(*fields) if hasattr(elem, "_fields") else fields
    return list(batch)


def _add_note(exc: BaseException, note: str) -> None:
    """Attach ``note`` to ``exc`` (``add_note`` on 3.11+; on 3.10 extend a str message)."""
    if sys.version_info >= (3, 11):
        exc.add_note(note)
        return
    exc.__notes__ = [*getattr(exc, "__notes__", []), note]  # read by exceptiongroup/pytest
    if len(exc.args) == 1 and isinstance(exc.args[0], str):
        exc.args = (f"{exc.args[0]}\n{note}",)


def _check_worker_options(num_workers, prefetch_factor, persistent_workers, timeout) -> None:
    """torch's checks of the worker options (which lamina accepts but does not use)."""
    if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 0:
        raise ValueError(
            "num_workers option should be non-negative; use num_workers=0 to disable "
            f"multiprocessing, got {num_workers!r}"
        )
    if timeout < 0:
        raise ValueError(f"timeout option should be non-negative, got {timeout!r}")
    if num_workers == 0 and prefetch_factor is not None:
        raise ValueError(
            "prefetch_factor option could only be specified in multiprocessing. "
            "let num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None."
        )
    if num_workers == 0 and persistent_workers:
        raise ValueError("persistent_workers option needs num_workers > 0")


def _batch_sampler(dataset, batch_size, shuffle, sampler, batch_sampler, drop_last, generator):
    """torch's rules for combining ``shuffle``, ``sampler`` and ``batch_sampler``."""
    if sampler is not None and shuffle:
        raise ValueError("sampler option is mutually exclusive with shuffle")
    if batch_sampler is not None:
        if batch_size != 1 or shuffle or sampler is not None or drop_last:
            raise ValueError(
                "batch_sampler option is mutually exclusive with batch_size, shuffle, "
                "sampler, and drop_last"
            )
        return batch_sampler
    if batch_size is None:
        if drop_last:
            raise ValueError(
                "batch_size=None option disables auto-batching and is mutually exclusive with "
                "drop_last"
            )
        return None
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"DataLoader: batch_size={batch_size!r}, expected an int >= 1")
    if sampler is None:
        sampler = (
            RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        )
    return BatchSampler(sampler, batch_size, bool(drop_last))


class DataLoader:
    """Iterate a dataset in batches (torch: ``torch.utils.data.DataLoader``).

    Args (torch's, in torch's order):
        dataset: a map-style dataset (``__getitem__`` + ``__len__``), an IterableDataset, or
            an ndarray.
        batch_size: samples per batch; None yields single samples (no auto-batching).
        shuffle: draw a fresh permutation at the start of every pass.
        sampler, batch_sampler: which indices to read (see ``lamina.utils.data`` samplers).
        num_workers: accepted, checked and recorded; batches are read in this process.
        collate_fn: merges a list of samples into a batch; default :func:`default_collate`.
        pin_memory, timeout, worker_init_fn, multiprocessing_context, prefetch_factor,
            persistent_workers: accepted for torch's scripts; nothing to pin or spawn on a
            NumPy CPU framework.
        drop_last: drop the last batch when it is smaller than ``batch_size``.
        generator: a ``numpy.random.Generator`` for shuffling; default lamina's global one,
            so ``lamina.manual_seed(s)`` makes the order reproducible.

    Example:
        >>> loader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True)
        >>> for xb, yb in loader: ...
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Any = None,
        batch_sampler: Any = None,
        num_workers: int = 0,
        collate_fn: Callable[[list], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable[[int], Any] | None = None,
        multiprocessing_context: Any = None,
        generator: np.random.Generator | None = None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
    ) -> None:
        _check_worker_options(num_workers, prefetch_factor, persistent_workers, timeout)
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable and (shuffle or sampler is not None or batch_sampler is not None):
            raise ValueError(
                "DataLoader with IterableDataset: expected unspecified shuffle, sampler and "
                f"batch_sampler options, got shuffle={shuffle}"
            )
        self.batch_sampler = None
        if not self._iterable:
            self.batch_sampler = _batch_sampler(
                dataset, batch_size, shuffle, sampler, batch_sampler, drop_last, generator
            )
        self.dataset, self.batch_size, self.shuffle = dataset, batch_size, bool(shuffle)
        self.sampler = getattr(self.batch_sampler, "sampler", sampler)
        self.drop_last, self.collate_fn, self.generator = drop_last, collate_fn, generator
        self.num_workers, self.pin_memory, self.timeout = num_workers, pin_memory, timeout
        self.worker_init_fn, self.prefetch_factor = worker_init_fn, prefetch_factor
        self.persistent_workers = persistent_workers

    def __len__(self) -> int:
        if self._iterable:
            n = len(self.dataset)  # TypeError if the IterableDataset has no length, as torch
            b = self.batch_size or 1
            return n // b if self.drop_last else -(-n // b)
        if self.batch_sampler is None:
            return len(self.sampler) if self.sampler is not None else len(self.dataset)
        return len(self.batch_sampler)

    def __iter__(self) -> Iterator[Any]:
        if self._iterable:
            yield from self._iter_iterable()
        elif self.batch_sampler is None:  # batch_size=None: one sample at a time
            indices = self.sampler if self.sampler is not None else range(len(self.dataset))
            for i in indices:
                yield _convert_sample(self.dataset[i])
        else:
            for b, indices in enumerate(self.batch_sampler):
                yield self._fetch(np.asarray(indices, dtype=np.int64), b)

    def _iter_iterable(self) -> Iterator[Any]:
        collate = self.collate_fn or default_collate
        if self.batch_size is None:
            yield from (_convert_sample(s) for s in self.dataset)
            return
        batch = []
        for sample in self.dataset:
            batch.append(sample)
            if len(batch) == self.batch_size:
                yield collate(batch)
                batch = []
        if batch and not self.drop_last:
            yield collate(batch)

    def _fetch(self, indices: np.ndarray, b: int) -> Any:
        """One batch: by one fancy index when the dataset allows, else sample by sample."""
        if self.collate_fn is None:
            if isinstance(self.dataset, np.ndarray):
                return _convert_array(self.dataset[indices])
            fetch = getattr(self.dataset, "_batch", None)
            arrays = fetch(indices) if fetch is not None else None
            if arrays is not None:
                return [_convert_array(a) for a in arrays]
        samples = []
        for i in indices.tolist():
            try:
                samples.append(self.dataset[i])
            except Exception as e:
                name = type(self.dataset).__name__
                _add_note(e, f"DataLoader: raised by {name}[{i}] (index {i}, batch {b})")
                raise
        return (self.collate_fn or default_collate)(samples)
