"""What a torch pickle may name: storage types, tensor rebuilders and a few containers.

Each allowed global maps to one of this module's NumPy functions (``_rebuild_tensor_v2``
makes a bounds-checked strided copy of a storage). The functions the pickle may call
repeatedly on one memoised object (``OrderedDict``, ``_codecs.encode``, ``torch.Size``)
charge what they build to the load's budget.
"""

from __future__ import annotations

import math
import sys
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ._budget import Budget
from .errors import LaminaFileError

__all__ = ["StorageType", "STORAGE_TYPES", "TorchObjects", "short"]

_MAX_NDIM = 64


class StorageType:
    """Stand-in for ``torch.FloatStorage`` & co: just the element dtype."""

    def __init__(self, name: str, dtype: str) -> None:
        self.name, self.bf16 = name, dtype == "bf16"
        self.dtype = np.dtype("<u2" if self.bf16 else dtype)  # little-endian on disk

    def __repr__(self) -> str:
        return f"torch.{self.name}"


STORAGE_TYPES = {
    n: StorageType(n, d)
    for n, d in [
        ("FloatStorage", "<f4"),
        ("DoubleStorage", "<f8"),
        ("HalfStorage", "<f2"),
        ("BFloat16Storage", "bf16"),
        ("LongStorage", "<i8"),
        ("IntStorage", "<i4"),
        ("ShortStorage", "<i2"),
        ("CharStorage", "i1"),
        ("ByteStorage", "u1"),
        ("BoolStorage", "?"),
        ("UntypedStorage", "u1"),
    ]
}


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def short(v: Any) -> str:
    text = repr(v) if isinstance(v, (int, str, bytes, tuple, type(None))) else type(v).__name__
    return text if len(text) <= 80 else text[:77] + "..."


def _size(seq: Any = ()) -> tuple:
    """``torch.Size(seq)``: a tuple of non-negative ints."""
    out = tuple(seq) if isinstance(seq, (tuple, list)) else None
    if out is None or not all(_is_int(d) and d >= 0 for d in out):
        raise TypeError(f"torch.Size expects a sequence of non-negative ints, got {short(seq)}")
    return out


def _codecs_encode(obj: Any, encoding: str = "utf-8") -> bytes:
    """``_codecs.encode`` as protocol-2 pickles use it to store bytes (latin-1 text only)."""
    if not isinstance(obj, str) or encoding not in ("latin1", "latin-1"):
        raise TypeError(f"_codecs.encode only decodes str with latin1, got {short(encoding)}")
    return obj.encode("latin1")


class TorchObjects:
    """Holds what one load needs: the allow-list, storage source and budget.

    Args:
        path: the file, for messages.
        budget: allocation budget.
        read_storage: ``(key, storage_type, numel) -> 1-D ndarray`` in native byte order.
        dry: when True (first legacy pass) storages and tensors are not built, only recorded.
    """

    def __init__(self, path: str, budget: Budget, read_storage: Callable, dry: bool = False):
        self.path, self.budget, self.read_storage, self.dry = path, budget, read_storage, dry
        self.storages: dict[str, np.ndarray] = {}  # cached: they stay alive, ids stay unique
        self.handed_out: set[int] = set()
        self.records: dict[str, tuple[StorageType, int]] = {}
        self.globals: dict[tuple[str, str], Any] = {
            ("torch._utils", "_rebuild_tensor_v2"): self.rebuild_tensor,
            ("torch._utils", "_rebuild_tensor"): self.rebuild_tensor,
            ("torch._utils", "_rebuild_parameter"): self.rebuild_parameter,
            ("torch._utils", "_rebuild_parameter_with_state"): self.rebuild_parameter,
            ("collections", "OrderedDict"): self.ordered_dict,
            ("torch", "Size"): self.size,
            ("_codecs", "encode"): self.codecs_encode,
        }
        self.globals.update({("torch", n): t for n, t in STORAGE_TYPES.items()})

    def find(self, module: str, name: str) -> Any:
        """The object an allowed global stands for, None for any other."""
        return self.globals.get((module, name))

    def _charged(self, obj: Any, what: str) -> Any:
        self.budget.charge(sys.getsizeof(obj), what)
        return obj

    def ordered_dict(self, *args: Any) -> OrderedDict:
        """``collections.OrderedDict(...)``: each call is a new dict, charged to the budget."""
        if len(args) > 1:
            raise TypeError(f"OrderedDict expected at most 1 argument, got {len(args)}")
        if args:
            self.budget.charge(len(args[0]) * 104 + 128, "pickle OrderedDict copies")
        return self._charged(OrderedDict(*args), "pickle OrderedDict copies")

    def size(self, seq: Any = ()) -> tuple:
        return self._charged(_size(seq), "pickle torch.Size")

    def codecs_encode(self, obj: Any, encoding: str = "utf-8") -> bytes:
        if isinstance(obj, str):
            self.budget.charge(len(obj) + 33, "pickle _codecs.encode copies")
        return _codecs_encode(obj, encoding)

    def persistent_load(self, pid: Any) -> np.ndarray | None:
        """Map ``('storage', type, key, location, numel[, view_metadata])`` to a 1-D array."""
        if not (
            isinstance(pid, tuple)
            and len(pid) in (5, 6)
            and isinstance(pid[0], str)
            and pid[0] == "storage"
        ):
            raise LaminaFileError(self.path, f"persistent id {short(pid)} is not a storage record")
        stype, key, _, numel = pid[1:5]
        view = pid[5] if len(pid) == 6 else None
        if not (isinstance(stype, StorageType) and isinstance(key, str) and _is_int(numel)):
            raise LaminaFileError(self.path, f"storage record {short(pid)} is malformed")
        if numel < 0 or len(key) > 64:
            raise LaminaFileError(self.path, f"storage {key[:64]!r}: bad numel {numel}")
        if self.dry:
            self.records.setdefault(key, (stype, numel))
            return None
        if key not in self.storages:
            self.storages[key] = self.read_storage(key, stype, numel)
        storage = self.storages[key]
        return storage if view is None else self._view(key, storage, view)

    def _view(self, key: str, storage: np.ndarray, view: Any) -> np.ndarray:
        """Legacy storage views: ``(view_key, offset, size)`` into the root storage."""
        ok = isinstance(view, tuple) and len(view) == 3 and all(_is_int(v) for v in view[1:])
        if not ok or view[1] < 0 or view[2] < 0 or view[1] + view[2] > storage.size:
            raise LaminaFileError(
                self.path, f"storage {key!r}: view {short(view)} outside {storage.size} elements"
            )
        return storage[view[1] : view[1] + view[2]]

    def rebuild_parameter(self, data: Any, *_ignored: Any) -> np.ndarray | None:
        """``torch._utils._rebuild_parameter[_with_state]``: the tensor's array itself."""
        if not (self.dry or isinstance(data, np.ndarray)):
            raise LaminaFileError(self.path, f"Parameter data is {short(data)}, not a tensor")
        return data

    def _take_whole(self, storage: np.ndarray, offset: int, size: tuple, stride: tuple) -> bool:
        """True once per storage for a C-contiguous tensor covering all of it (the usual
        case): that tensor may reuse the storage's memory; later ones copy."""
        expect, step = [], 1
        for n in reversed(size):
            expect.append(step)
            step *= n
        whole = offset == 0 and step == storage.size and tuple(reversed(expect)) == stride
        if not (whole and storage.flags.owndata and storage.flags.writeable):
            return False
        if id(storage) in self.handed_out:
            return False
        self.handed_out.add(id(storage))
        return True

    def rebuild_tensor(self, storage, offset, size, stride, *_ignored) -> np.ndarray | None:
        """``torch._utils._rebuild_tensor_v2``: a bounds-checked strided copy of the storage."""
        if self.dry:
            return None
        where = f"tensor (offset={short(offset)}, size={short(size)}, stride={short(stride)})"
        if not (isinstance(storage, np.ndarray) and storage.ndim == 1):
            raise LaminaFileError(self.path, f"{where}: storage is {short(storage)}, not a storage")
        if not (isinstance(size, tuple) and isinstance(stride, tuple) and _is_int(offset)):
            raise LaminaFileError(self.path, f"{where}: expected int offset, tuple size and stride")
        dims_ok = len(size) == len(stride) <= _MAX_NDIM and offset >= 0
        if not dims_ok or not all(_is_int(v) and v >= 0 for v in size + stride):
            raise LaminaFileError(self.path, f"{where}: expected matching non-negative ints")
        numel = math.prod(size)
        if numel == 0:
            return np.empty(size, storage.dtype)
        last = offset + sum((n - 1) * s for n, s in zip(size, stride))
        if last >= storage.size:
            raise LaminaFileError(
                self.path, f"{where}: reaches element {last}, storage has {storage.size}"
            )
        if self._take_whole(storage, offset, size, stride):
            return storage.reshape(size)  # no copy: this tensor is the storage's only owner
        self.budget.charge(numel * storage.itemsize, where)
        item = storage.itemsize
        view = as_strided(storage[offset:], size, [s * item for s in stride], writeable=False)
        return np.array(view, order="C")  # (size) owned, contiguous, writable
