"""Read PyTorch ``.pth``/``.pt`` files without torch and without running pickle code.

``torch.save`` writes a zip (``<name>/data.pkl``, ``<name>/data/<key>`` raw storages,
``<name>/byteorder``) or, with ``_use_new_zipfile_serialization=False``, the legacy stream
(magic, version, sys_info, the object, the storage keys, then each storage's bytes). Both hold
a pickle that names the functions torch calls to rebuild tensors. Here a pure-Python
``pickle._Unpickler`` subclass admits only those names, mapped to this module's own NumPy
functions; any other global (``posix.system``, ``builtins.eval``, a model class ...) is
refused with ``LaminaFileError`` before it is looked up, let alone called. Every size read
from the file is checked against the bytes that back it, and all allocations are charged to
a budget proportional to the file size, so a hostile file cannot make this reader allocate
much more than the file itself.
"""

from __future__ import annotations

import io
import math
import os
import pickle
import zipfile
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .errors import LaminaFileError
from .safetensors_io import bfloat16_to_float32
from .state_dict import extract_state_dict  # re-exported: lamina.io.pth.extract_state_dict

__all__ = ["load_pth", "extract_state_dict", "LEGACY_MAGIC"]

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C  # torch.serialization.MAGIC_NUMBER
_LEGACY_PROTOCOL = 1001
_MAX_NDIM = 64


class _StorageType:
    """Stand-in for ``torch.FloatStorage`` & co: just the element dtype."""

    def __init__(self, name: str, dtype: str) -> None:
        self.name, self.bf16 = name, dtype == "bf16"
        self.dtype = np.dtype("<u2" if self.bf16 else dtype)  # little-endian on disk

    def __repr__(self) -> str:
        return f"torch.{self.name}"


_STORAGE_TYPES = {
    n: _StorageType(n, d)
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


def _short(v: Any) -> str:
    text = repr(v) if isinstance(v, (int, str, bytes, tuple, type(None))) else type(v).__name__
    return text if len(text) <= 80 else text[:77] + "..."


def _size(seq: Any = ()) -> tuple:
    """``torch.Size(seq)``: a tuple of non-negative ints."""
    out = tuple(seq) if isinstance(seq, (tuple, list)) else None
    if out is None or not all(_is_int(d) and d >= 0 for d in out):
        raise TypeError(f"torch.Size expects a sequence of non-negative ints, got {_short(seq)}")
    return out


def _codecs_encode(obj: Any, encoding: str = "utf-8") -> bytes:
    """``_codecs.encode`` as protocol-2 pickles use it to store bytes (latin-1 text only)."""
    if not isinstance(obj, str) or encoding not in ("latin1", "latin-1"):
        raise TypeError(f"_codecs.encode only decodes str with latin1, got {_short(encoding)}")
    return obj.encode("latin1")


class _Budget:
    """Bytes this load may still allocate: 4x the file plus 64 MiB (tied weights, widening)."""

    def __init__(self, path: str, file_size: int) -> None:
        self.path, self.file_size = path, file_size
        self.left = 4 * file_size + (64 << 20)

    def charge(self, nbytes: int, what: str) -> None:
        if nbytes > self.left:
            raise LaminaFileError(
                self.path,
                f"{what} needs {nbytes} bytes, more than the {self.left} bytes left to a load "
                f"of a {self.file_size}-byte file (corrupted or hostile sizes)",
            )
        self.left -= nbytes


class _Loader:
    """Holds what one load needs: the allow-list, storage source and budget.

    Args:
        path: the file, for messages.
        budget: allocation budget.
        read_storage: ``(key, storage_type, numel) -> 1-D ndarray`` in native byte order.
        dry: when True (first legacy pass) storages and tensors are not built, only recorded.
    """

    def __init__(self, path: str, budget: _Budget, read_storage: Callable, dry: bool = False):
        self.path, self.budget, self.read_storage, self.dry = path, budget, read_storage, dry
        self.storages: dict[str, np.ndarray] = {}  # cached: they stay alive, ids stay unique
        self.handed_out: set[int] = set()
        self.records: dict[str, tuple[_StorageType, int]] = {}
        self.globals: dict[tuple[str, str], Any] = {
            ("torch._utils", "_rebuild_tensor_v2"): self.rebuild_tensor,
            ("torch._utils", "_rebuild_tensor"): self.rebuild_tensor,
            ("torch._utils", "_rebuild_parameter"): self.rebuild_parameter,
            ("torch._utils", "_rebuild_parameter_with_state"): self.rebuild_parameter,
            ("collections", "OrderedDict"): OrderedDict,
            ("torch", "Size"): _size,
            ("_codecs", "encode"): _codecs_encode,
        }
        self.globals.update({("torch", n): t for n, t in _STORAGE_TYPES.items()})

    def persistent_load(self, pid: Any) -> np.ndarray | None:
        """Map ``('storage', type, key, location, numel[, view_metadata])`` to a 1-D array."""
        if not (
            isinstance(pid, tuple)
            and len(pid) in (5, 6)
            and isinstance(pid[0], str)
            and pid[0] == "storage"
        ):
            raise LaminaFileError(self.path, f"persistent id {_short(pid)} is not a storage record")
        stype, key, _, numel = pid[1:5]
        view = pid[5] if len(pid) == 6 else None
        if not (isinstance(stype, _StorageType) and isinstance(key, str) and _is_int(numel)):
            raise LaminaFileError(self.path, f"storage record {_short(pid)} is malformed")
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
                self.path, f"storage {key!r}: view {_short(view)} outside {storage.size} elements"
            )
        return storage[view[1] : view[1] + view[2]]

    def rebuild_parameter(self, data: Any, *_ignored: Any) -> np.ndarray | None:
        """``torch._utils._rebuild_parameter[_with_state]``: the tensor's array itself."""
        if not (self.dry or isinstance(data, np.ndarray)):
            raise LaminaFileError(self.path, f"Parameter data is {_short(data)}, not a tensor")
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
        where = f"tensor (offset={_short(offset)}, size={_short(size)}, stride={_short(stride)})"
        if not (isinstance(storage, np.ndarray) and storage.ndim == 1):
            raise LaminaFileError(
                self.path, f"{where}: storage is {_short(storage)}, not a storage"
            )
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


class _SafeUnpickler(pickle._Unpickler):
    """Pure-Python unpickler (its memo is a dict: no index-sized allocations) that resolves
    globals only through the loader's allow-list and allows BUILD on dicts only."""

    dispatch = dict(pickle._Unpickler.dispatch)

    def __init__(self, file: Any, loader: _Loader) -> None:
        super().__init__(file)
        self._loader = loader

    def find_class(self, module: str, name: str) -> Any:
        found = self._loader.globals.get((module, name))
        if found is None and module == "torch._utils" and name.startswith("_rebuild_"):
            raise LaminaFileError(
                self._loader.path,
                f"pickle global {module}.{name} is not supported: only dense CPU tensors of "
                "float16/32/64, bfloat16, int8-64, uint8 and bool can be read",
            )
        if found is None:
            raise LaminaFileError(
                self._loader.path,
                f"pickle global {module}.{name} is not allowed: only tensor and container "
                "rebuilders are (the file may contain code; it was not run)",
            )
        return found

    def persistent_load(self, pid: Any) -> Any:
        return self._loader.persistent_load(pid)

    def load_build(self) -> None:
        state = self.stack.pop()
        inst = self.stack[-1]
        if not isinstance(inst, dict):  # e.g. ndarray.__setstate__ must never be reachable
            raise LaminaFileError(
                self._loader.path, f"pickle BUILD on {type(inst).__name__} is not allowed"
            )
        del state  # OrderedDict attributes such as torch's `_metadata`: not needed

    dispatch[pickle.BUILD[0]] = load_build


def _unpickle(file: Any, loader: _Loader) -> Any:
    return _SafeUnpickler(file, loader).load()


def _to_native(raw: np.ndarray, stype: _StorageType, big_endian: bool) -> np.ndarray:
    """Raw storage elements -> native-order array (bfloat16 widened to float32)."""
    if big_endian and raw.dtype.itemsize > 1:
        raw = raw.view(raw.dtype.newbyteorder(">")).astype(raw.dtype)
    return bfloat16_to_float32(raw) if stype.bf16 else raw


def _read_member(zf: zipfile.ZipFile, name: str, budget: _Budget, path: str) -> bytes:
    try:
        info = zf.getinfo(name)
    except KeyError:
        raise LaminaFileError(path, f"zip member {name!r} is missing") from None
    budget.charge(info.file_size, f"zip member {name!r}")
    return zf.read(info)


def _read_stored(path: str, info: zipfile.ZipInfo, dtype: np.dtype, numel: int) -> np.ndarray:
    """Read an uncompressed member's first ``numel`` elements straight into a writable array
    (skips zipfile's extra copy; the local header is checked as zipfile would)."""
    with open(path, "rb") as f:
        f.seek(info.header_offset)
        head = f.read(30)
        if len(head) != 30 or head[:4] != b"PK\x03\x04":
            raise LaminaFileError(path, f"offset {info.header_offset}: bad zip local header")
        f.seek(int.from_bytes(head[26:28], "little") + int.from_bytes(head[28:30], "little"), 1)
        arr = np.fromfile(f, dtype, numel)
    if arr.size != numel:
        raise LaminaFileError(
            path, f"member {info.filename!r}: {arr.size} of {numel} elements before end of file"
        )
    return arr


def _load_zip(path: str, budget: _Budget) -> Any:
    with zipfile.ZipFile(path) as zf:
        pkls = [n for n in zf.namelist() if n.endswith("/data.pkl") and n.count("/") == 1]
        if len(pkls) != 1:
            raise LaminaFileError(path, f"expected one '<name>/data.pkl' in the zip, found {pkls}")
        prefix = pkls[0][: -len("data.pkl")]
        big = False
        if prefix + "byteorder" in zf.NameToInfo:
            order = _read_member(zf, prefix + "byteorder", budget, path)
            if order not in (b"little", b"big"):
                raise LaminaFileError(path, f"byteorder is {order[:16]!r}, expected little/big")
            big = order == b"big"

        def read_storage(key: str, stype: _StorageType, numel: int) -> np.ndarray:
            name = f"{prefix}data/{key}"
            info = zf.NameToInfo.get(name)
            need = numel * stype.dtype.itemsize
            if info is None or info.file_size < need:
                have = "missing" if info is None else f"{info.file_size} bytes"
                raise LaminaFileError(path, f"storage {name!r}: needs {need} bytes, member {have}")
            budget.charge(need * (3 if stype.bf16 else 1), f"storage {name!r}")
            if info.compress_type == zipfile.ZIP_STORED:  # torch's case: one read, no copy
                raw = _read_stored(path, info, stype.dtype, numel)
            else:
                raw = np.frombuffer(_read_member(zf, name, budget, path), stype.dtype, numel)
            return _to_native(raw, stype, big)

        loader = _Loader(path, budget, read_storage)
        pkl = _read_member(zf, pkls[0], budget, path)
        return _unpickle(io.BytesIO(pkl), loader)


def _load_legacy(path: str, budget: _Budget) -> Any:
    def no_storage(*_: Any) -> None:
        raise LaminaFileError(path, "storage record in the legacy header")

    with open(path, "rb") as f:
        header = _Loader(path, budget, no_storage)
        if _unpickle(f, header) != LEGACY_MAGIC:
            raise LaminaFileError(path, "offset 0: not a torch file (magic number mismatch)")
        if _unpickle(f, header) != _LEGACY_PROTOCOL:
            raise LaminaFileError(path, f"expected legacy protocol {_LEGACY_PROTOCOL}")
        sys_info = _unpickle(f, header)
        big = isinstance(sys_info, dict) and sys_info.get("little_endian") is False
        obj_start = f.tell()
        dry = _Loader(path, budget, no_storage, dry=True)
        _unpickle(f, dry)  # pass 1: find the object's end and its storage records
        keys = _unpickle(f, header)
        if not (isinstance(keys, list) and all(isinstance(k, str) for k in keys)):
            raise LaminaFileError(path, f"offset {f.tell()}: storage key list is malformed")
        storages = _read_legacy_storages(path, f, keys, dry.records, budget, big)
        f.seek(obj_start)
        return _unpickle(f, _Loader(path, budget, lambda key, *_: storages[key]))


def _read_legacy_storages(path, f, keys, records, budget, big) -> dict[str, np.ndarray]:
    """After the key list: per key an int64 element count, then the raw elements."""
    size, out = os.fstat(f.fileno()).st_size, {}
    if set(keys) != set(records) or len(keys) != len(records):
        raise LaminaFileError(path, f"storage keys {keys[:8]} do not match the records")
    for key in keys:
        stype, numel = records[key]
        pos = f.tell()
        count = int.from_bytes(f.read(8), "big" if big else "little", signed=True)
        need = numel * stype.dtype.itemsize
        if count != numel or pos + 8 + need > size:
            raise LaminaFileError(
                path,
                f"offset {pos}: storage {key!r} claims {count} elements ({numel} recorded, "
                f"{need} bytes), file has {size - pos - 8} bytes left",
            )
        budget.charge(need * (3 if stype.bf16 else 1), f"storage {key!r}")
        out[key] = _to_native(np.fromfile(f, stype.dtype, numel), stype, big)
        f.seek(pos + 8 + need)  # fromfile's position after reading is not guaranteed
    return out


def load_pth(path: str | os.PathLike) -> Any:
    """Load a file written by ``torch.save`` into NumPy, with no torch and no code execution.

    Equivalent of ``torch.load(path, map_location="cpu", weights_only=True)``. Tensors and
    Parameters become ndarrays (bfloat16 widened to float32; other dtypes kept);
    dicts, OrderedDicts, lists, tuples, numbers and strings come back as themselves.

    Args:
        path: a ``.pth``/``.pt`` file (zip format, or legacy with
            ``_use_new_zipfile_serialization=False``).

    Returns:
        The saved object, usually an ``OrderedDict`` of name -> ndarray (see
        ``extract_state_dict`` for checkpoints that wrap it).

    Raises:
        LaminaFileError: the file is truncated, corrupted, not a torch file, or names any
            global outside the allow-list (message: ``pickle global posix.system is not
            allowed ...``).
    """
    path = os.fspath(path)
    try:
        budget = _Budget(path, os.path.getsize(path))
        with open(path, "rb") as f:
            magic = f.read(4)
        if magic == b"PK\x03\x04":
            return _load_zip(path, budget)
        return _load_legacy(path, budget)
    except LaminaFileError:
        raise
    except Exception as e:  # BadZipFile, UnpicklingError, EOFError, struct.error, ...
        text = f"{type(e).__name__}: {e}"
        text = text if len(text) <= 200 else text[:197] + "..."
        raise LaminaFileError(path, f"not a readable torch file ({text})") from e
