"""Read PyTorch ``.pth``/``.pt`` files without torch and without running pickle code.

``torch.save`` writes a zip (``<name>/data.pkl``, ``<name>/data/<key>`` raw storages,
``<name>/byteorder``) or, with ``_use_new_zipfile_serialization=False``, the legacy stream
(magic, version, sys_info, the object, the storage keys, then each storage's bytes). Both hold
a pickle that names the functions torch calls to rebuild tensors. The pickle is read by
:class:`~._pickle.SafeUnpickler`, which admits only those names (mapped to
:mod:`._torch_objects`' NumPy functions) and charges everything it builds to the load's
budget (4 x the file size + 64 MiB); zip members are inflated in bounded steps with their
CRC-32 checked (:mod:`._zip`). The result is refused if a container holds itself.
"""

from __future__ import annotations

import io
import os
from typing import Any

import numpy as np

from ._budget import Budget
from ._pickle import BoundedReader, SafeUnpickler
from ._torch_objects import StorageType, TorchObjects
from ._zip import open_zip, read_member
from .errors import LaminaFileError
from .safetensors_io import bfloat16_to_float32
from .state_dict import check_acyclic, extract_state_dict  # extract_state_dict re-exported

__all__ = ["load_pth", "extract_state_dict", "LEGACY_MAGIC"]

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C  # torch.serialization.MAGIC_NUMBER
_LEGACY_PROTOCOL = 1001


def _unpickle(reader: BoundedReader, objects: TorchObjects) -> Any:
    return SafeUnpickler(
        reader, objects.path, objects.budget, objects.find, objects.persistent_load
    ).load()


def _to_native(raw: np.ndarray, stype: StorageType, big_endian: bool) -> np.ndarray:
    """Raw storage elements -> native-order array (bfloat16 widened to float32)."""
    if big_endian and raw.dtype.itemsize > 1:
        raw = raw.view(raw.dtype.newbyteorder(">")).astype(raw.dtype)
    return bfloat16_to_float32(raw) if stype.bf16 else raw


def _load_zip(path: str, budget: Budget) -> Any:
    with open_zip(path, budget) as zf:
        pkls = [n for n in zf.namelist() if n.endswith("/data.pkl") and n.count("/") == 1]
        if len(pkls) != 1:
            raise LaminaFileError(path, f"expected one '<name>/data.pkl' in the zip, found {pkls}")
        prefix = pkls[0][: -len("data.pkl")]
        big = False
        if prefix + "byteorder" in zf.NameToInfo:
            order = read_member(path, zf, prefix + "byteorder", budget).tobytes()
            if order not in (b"little", b"big"):
                raise LaminaFileError(path, f"byteorder is {order[:16]!r}, expected little/big")
            big = order == b"big"

        def read_storage(key: str, stype: StorageType, numel: int) -> np.ndarray:
            name = f"{prefix}data/{key}"
            info = zf.NameToInfo.get(name)
            need = numel * stype.dtype.itemsize
            if info is None or info.file_size < need:
                have = "missing" if info is None else f"{info.file_size} bytes"
                raise LaminaFileError(path, f"storage {name!r}: needs {need} bytes, member {have}")
            budget.charge(need * (4 if stype.bf16 else 0), f"storage {name!r} (bfloat16)")
            if info.file_size % stype.dtype.itemsize:
                raw = read_member(path, zf, name, budget)[:need].view(stype.dtype)
            else:
                raw = read_member(path, zf, name, budget, stype.dtype)[:numel]
            return _to_native(raw, stype, big)

        pkl = read_member(path, zf, pkls[0], budget)
        objects = TorchObjects(path, budget, read_storage)
        budget.charge(len(pkl), "a copy of data.pkl")
        stream = io.BytesIO(pkl.data)
        return _unpickle(BoundedReader(stream, path, len(pkl), budget), objects)


def _load_legacy(path: str, budget: Budget) -> Any:
    def no_storage(*_: Any) -> None:
        raise LaminaFileError(path, "storage record in the legacy header")

    size = os.path.getsize(path)
    with open(path, "rb") as f:
        reader = BoundedReader(f, path, size, budget)
        header = TorchObjects(path, budget, no_storage)
        if _unpickle(reader, header) != LEGACY_MAGIC:
            raise LaminaFileError(path, "offset 0: not a torch file (magic number mismatch)")
        if _unpickle(reader, header) != _LEGACY_PROTOCOL:
            raise LaminaFileError(path, f"expected legacy protocol {_LEGACY_PROTOCOL}")
        sys_info = _unpickle(reader, header)
        big = isinstance(sys_info, dict) and sys_info.get("little_endian") is False
        obj_start = f.tell()
        dry = TorchObjects(path, budget, no_storage, dry=True)
        _unpickle(reader, dry)  # pass 1: find the object's end and its storage records
        keys = _unpickle(reader, header)
        if not (isinstance(keys, list) and all(isinstance(k, str) for k in keys)):
            raise LaminaFileError(path, f"offset {f.tell()}: storage key list is malformed")
        storages = _read_legacy_storages(path, f, keys, dry.records, budget, big)
        f.seek(obj_start)
        return _unpickle(reader, TorchObjects(path, budget, lambda key, *_: storages[key]))


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
        budget.charge(need * (5 if stype.bf16 else 1), f"storage {key!r}")
        arr = np.empty(numel, stype.dtype)
        if f.readinto(arr.data) != need:  # the size was checked: only a race could cut it
            raise LaminaFileError(path, f"offset {pos + 8}: storage {key!r} is truncated")
        out[key] = _to_native(arr, stype, big)
    return out


def load_pth(path: str | os.PathLike) -> Any:
    """Load a file written by ``torch.save`` into NumPy, with no torch and no code execution.

    Equivalent of ``torch.load(path, map_location="cpu", weights_only=True)``. Tensors and
    Parameters become ndarrays (bfloat16 widened to float32; other dtypes kept);
    dicts, OrderedDicts, lists, tuples, numbers and strings come back as themselves.
    Memory stays within 4 x the file size + 64 MiB, whatever the file claims.

    Args:
        path: a ``.pth``/``.pt`` file (zip format, or legacy with
            ``_use_new_zipfile_serialization=False``).

    Returns:
        The saved object, usually an ``OrderedDict`` of name -> ndarray (see
        ``extract_state_dict`` for checkpoints that wrap it).

    Raises:
        LaminaFileError: the file is truncated, corrupted, not a torch file, names any
            global outside the allow-list (message: ``pickle global posix.system is not
            allowed ...``), claims more memory than the budget, or holds a container that
            contains itself (torch's own loader accepts that; nothing can use it).
    """
    path = os.fspath(path)
    try:
        budget = Budget(path, os.path.getsize(path))
        with open(path, "rb") as f:
            magic = f.read(4)
        obj = _load_zip(path, budget) if magic == b"PK\x03\x04" else _load_legacy(path, budget)
    except LaminaFileError:
        raise
    except Exception as e:  # BadZipFile, UnpicklingError, EOFError, struct.error, ...
        text = f"{type(e).__name__}: {e}"
        text = text if len(text) <= 200 else text[:197] + "..."
        raise LaminaFileError(path, f"not a readable torch file ({text})") from e
    check_acyclic(obj, path, budget)
    return obj
