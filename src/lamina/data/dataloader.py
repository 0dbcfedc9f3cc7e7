"""DataLoader: batches of a map-style dataset as lamina Tensors (torch: ``DataLoader``).

Single process, no workers: NumPy does the heavy lifting. A dataset that can hand over a
whole batch of rows at once (``TensorDataset``, a ``Subset`` of one, a plain ndarray) is
indexed once per batch with the batch's index array; any other dataset is read sample by
sample and the samples are merged by :func:`default_collate`.
"""

from __future__ import annotations

import collections.abc
import sys
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ..functions import from_numpy
from ..random import default_rng
from ..tensor import Tensor

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


class DataLoader:
    """Iterate a dataset in batches (torch: ``torch.utils.data.DataLoader``, no workers).

    Args:
        dataset: a map-style dataset (``__getitem__`` + ``__len__``) or an ndarray.
        batch_size: samples per batch.
        shuffle: draw a fresh permutation at the start of every pass.
        drop_last: drop the last batch when it is smaller than ``batch_size``.
        collate_fn: merges a list of samples into a batch; default :func:`default_collate`.
        generator: a ``numpy.random.Generator`` for shuffling; default lamina's global one,
            so ``lamina.manual_seed(s)`` makes the order reproducible.

    Example:
        >>> loader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True)
        >>> for xb, yb in loader: ...
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        collate_fn: Callable[[list], Any] | None = None,
        generator: np.random.Generator | None = None,
    ) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size={batch_size!r}, expected an int >= 1")
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.collate_fn = collate_fn
        self.generator = generator

    def __len__(self) -> int:
        n, b = len(self.dataset), self.batch_size
        return n // b if self.drop_last else -(-n // b)

    def __iter__(self) -> Iterator[Any]:
        n = len(self.dataset)
        if self.shuffle:
            rng = default_rng() if self.generator is None else self.generator
            order = rng.permutation(n)
        else:
            order = np.arange(n)
        for b in range(len(self)):
            yield self._fetch(order[b * self.batch_size : (b + 1) * self.batch_size], b)

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
