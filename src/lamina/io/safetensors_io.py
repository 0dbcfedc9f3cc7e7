"""Safetensors state dicts: validated reading and atomic writing of ``dict[str, ndarray]``.

The ``safetensors`` package does the encoding; this module checks the header itself first
(size, JSON, dtypes, shapes, offsets) so that a hostile header claiming 10**12 elements is
refused before anything is allocated, and turns every failure into ``LaminaFileError``.
``safetensors`` is imported inside the functions: importing lamina stays cheap.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from typing import Any

import numpy as np

from ._atomic import atomic_path
from ._budget import Budget, json_cost
from .errors import LaminaFileError

__all__ = ["save_file", "load_file", "load_metadata", "read_header", "MAX_HEADER_BYTES"]

MAX_HEADER_BYTES = 100 * 1024 * 1024  # the limit the safetensors format itself sets
_MAX_NDIM = 64  # numpy's limit

# safetensors dtype code -> numpy dtype (little-endian on disk). BF16 has no numpy dtype:
# it is read as uint16 and widened to float32 exactly.
_DTYPES = {
    "F64": np.dtype("<f8"),
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "BF16": np.dtype("<u2"),
    "I64": np.dtype("<i8"),
    "I32": np.dtype("<i4"),
    "I16": np.dtype("<i2"),
    "I8": np.dtype("i1"),
    "U64": np.dtype("<u8"),
    "U32": np.dtype("<u4"),
    "U16": np.dtype("<u2"),
    "U8": np.dtype("u1"),
    "BOOL": np.dtype("?"),
}
_SAVABLE = {np.dtype(d).newbyteorder("<") for c, d in _DTYPES.items() if c != "BF16"}


def bfloat16_to_float32(bits: np.ndarray) -> np.ndarray:
    """Widen raw bfloat16 bit patterns (uint16) to float32, exactly (as ``tensor.float()``)."""
    return (bits.astype(np.uint32) << 16).view(np.float32)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _check_entry(path: str, name: str, entry: Any, data_len: int) -> tuple[str, tuple, int, int]:
    """Validate one tensor's header entry against the data section's length."""
    if not isinstance(entry, dict):
        raise LaminaFileError(
            path, f"header entry {name!r} is {type(entry).__name__}, expected a dict"
        )
    dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
    if not isinstance(dtype, str) or dtype not in _DTYPES:
        raise LaminaFileError(
            path,
            f"tensor {name!r}: dtype {dtype!r} is not supported, expected one of {sorted(_DTYPES)}",
        )
    if (
        not isinstance(shape, list)
        or len(shape) > _MAX_NDIM
        or not all(_is_int(d) and d >= 0 for d in shape)
    ):
        raise LaminaFileError(
            path, f"tensor {name!r}: shape {shape!r} is not a list of <= 64 non-negative ints"
        )
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(_is_int(o) for o in offsets)):
        raise LaminaFileError(
            path, f"tensor {name!r}: data_offsets {offsets!r} is not [begin, end]"
        )
    begin, end = offsets
    if not 0 <= begin <= end <= data_len:
        raise LaminaFileError(
            path,
            f"tensor {name!r}: data_offsets {offsets} outside the data section of {data_len} bytes",
        )
    nbytes = math.prod(shape) * _DTYPES[dtype].itemsize  # Python int: no overflow
    if end - begin != nbytes:
        raise LaminaFileError(
            path,
            f"tensor {name!r}: {dtype} shape {shape} needs {nbytes} bytes, "
            f"data_offsets {offsets} give {end - begin}",
        )
    return dtype, tuple(shape), begin, end


def _read_raw_header(path: str) -> tuple[Any, int, int]:
    """Return (parsed JSON header, data start offset, data length) after size checks."""
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            head = f.read(8)
            if len(head) < 8:
                raise LaminaFileError(path, f"file is {size} bytes, expected >= 8 (header length)")
            n = int.from_bytes(head, "little")
            if n > size - 8 or n > MAX_HEADER_BYTES:
                raise LaminaFileError(
                    path,
                    f"offset 0: header length {n} exceeds the file ({size - 8} bytes after the "
                    f"length field) or the {MAX_HEADER_BYTES}-byte limit",
                )
            raw = f.read(n)
    except OSError as e:
        raise LaminaFileError(path, f"cannot read: {e}") from e
    if len(raw) != n:
        raise LaminaFileError(path, f"offset 8: header truncated ({len(raw)} of {n} bytes)")
    # parsed here, checked, and parsed again by the safetensors package: priced before any
    # of that (the estimate is 1.3 x what 200,000 empty tensors measure)
    Budget(path, size).charge(3 * json_cost(raw) // 2, "the safetensors header")
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise LaminaFileError(path, f"offset 8: header is not valid UTF-8 JSON ({e})") from e
    return header, 8 + n, size - 8 - n


def read_header(path: str | os.PathLike) -> tuple[dict[str, tuple[str, tuple, int, int]], dict]:
    """Read and validate a safetensors header without reading any tensor data.

    Args:
        path: a ``.safetensors`` file.

    Returns:
        ``(tensors, metadata)``: ``tensors`` maps each name to ``(dtype code, shape, begin,
        end)`` with offsets relative to the data section; ``metadata`` is the
        ``__metadata__`` dict of str -> str (empty when absent).

    Raises:
        LaminaFileError: the header is oversized, truncated, not JSON, or inconsistent with
            the file (unknown dtype, bad shape, offsets outside the data, gaps or overlaps).
    """
    tensors, metadata, _ = _parse_header(os.fspath(path))
    return tensors, metadata


def _parse_header(path: str) -> tuple[dict, dict, int]:
    """``read_header`` plus the absolute offset where the data section starts."""
    header, data_start, data_len = _read_raw_header(path)
    if not isinstance(header, dict):
        raise LaminaFileError(path, f"header is a JSON {type(header).__name__}, expected an object")
    metadata = header.get("__metadata__", {})
    if not isinstance(metadata, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
    ):
        raise LaminaFileError(path, "__metadata__ must be an object of string -> string")
    tensors = {
        k: _check_entry(path, k, v, data_len) for k, v in header.items() if k != "__metadata__"
    }
    _check_layout(path, tensors, data_len)
    return tensors, dict(metadata), data_start


def _check_layout(path: str, tensors: dict, data_len: int) -> None:
    """Tensors must tile the data section exactly: no gap, no overlap, nothing left over."""
    pos = 0
    for name, (_, _, begin, end) in sorted(tensors.items(), key=lambda kv: kv[1][2:]):
        if begin != pos:
            raise LaminaFileError(
                path, f"tensor {name!r}: data begins at {begin}, expected {pos} (gap or overlap)"
            )
        pos = end
    if pos != data_len:
        raise LaminaFileError(path, f"data section is {data_len} bytes but the tensors cover {pos}")


def load_metadata(path: str | os.PathLike) -> dict[str, str]:
    """Return a safetensors file's ``__metadata__`` (str -> str), validated, without data."""
    return read_header(path)[1]


def load_file(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Load every tensor of a safetensors file as a NumPy array.

    Equivalent of ``safetensors.torch.load_file`` (and of ``torch.load`` for state dicts).
    BF16 tensors come back as float32 (exact widening); other dtypes are kept.

    Args:
        path: a ``.safetensors`` file.

    Returns:
        Dict of name -> writable ndarray, in the file's key order.

    Raises:
        LaminaFileError: the file is missing, truncated, corrupted or hostile.
    """
    path = os.fspath(path)
    tensors, _, data_start = _parse_header(path)
    try:
        from safetensors import safe_open

        out = {}
        with safe_open(path, framework="np") as f:
            for name, (dtype, shape, begin, end) in tensors.items():
                if dtype == "BF16":
                    bits = np.fromfile(
                        path, _DTYPES["BF16"], (end - begin) // 2, "", data_start + begin
                    )
                    out[name] = bfloat16_to_float32(bits).reshape(shape)
                else:
                    out[name] = f.get_tensor(name)
        return out
    except LaminaFileError:
        raise
    except Exception as e:  # the package's SafetensorError, OSError, ValueError ...
        raise LaminaFileError(path, f"cannot load: {type(e).__name__}: {e}") from e


def _as_savable(name: Any, value: Any) -> np.ndarray:
    """Check one entry of a state dict to save; return a C-contiguous little-endian array."""
    if not isinstance(name, str):
        raise TypeError(f"save_file: keys must be str, got {name!r} ({type(name).__name__})")
    if name == "__metadata__":  # the header's own entry: no reader could open the file
        raise ValueError(
            "save_file: '__metadata__' is reserved by the safetensors format and cannot name "
            "a tensor (nothing was written)"
        )
    if type(value).__module__.startswith("lamina") and hasattr(value, "detach"):
        value = np.asarray(value.detach())  # a lamina Tensor, as in a module's state_dict()
    if not isinstance(value, np.ndarray):
        raise TypeError(
            f"save_file: {name!r} is {type(value).__name__}, expected numpy.ndarray or a "
            "lamina Tensor"
        )
    dtype = value.dtype.newbyteorder("<") if value.dtype.byteorder == ">" else value.dtype
    if dtype not in _SAVABLE:
        raise TypeError(
            f"save_file: {name!r} has dtype {value.dtype}, expected bool, (u)int8-64 or float16-64"
        )
    if dtype != value.dtype or not value.flags.c_contiguous:
        value = value.astype(dtype, order="C")  # keeps 0-d arrays 0-d
    return value


def save_file(
    tensors: Mapping[str, np.ndarray],
    path: str | os.PathLike,
    metadata: Mapping[str, str] | None = None,
) -> None:
    """Write a dict of arrays to a safetensors file, atomically.

    Equivalent of ``safetensors.torch.save_file``. The file appears complete or not at all:
    a temp file in the same directory is written, fsynced and moved over ``path``.

    Args:
        tensors: name -> ndarray or lamina Tensor (bool, int8..int64, uint8..uint64,
            float16/32/64).
        path: destination file.
        metadata: optional str -> str stored in the header's ``__metadata__``.

    Raises:
        TypeError: a key is not str, a value is not an ndarray of a supported dtype, or
            metadata is not str -> str.
    """
    if not isinstance(tensors, Mapping):
        raise TypeError(f"save_file: tensors must be a dict, got {type(tensors).__name__}")
    arrays = {k: _as_savable(k, v) for k, v in tensors.items()}
    if metadata is not None:
        bad = [
            (k, v) for k, v in metadata.items() if not (isinstance(k, str) and isinstance(v, str))
        ]
        if bad:
            raise TypeError(f"save_file: metadata must be str -> str, got entry {bad[0]!r}")
        metadata = dict(metadata)
    from safetensors.numpy import save_file as _save

    with atomic_path(path) as tmp:
        _save(arrays, tmp, metadata=metadata)
