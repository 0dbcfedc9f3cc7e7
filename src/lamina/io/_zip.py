"""Reading zip members with bounded memory: declared sizes enforced, CRC-32 checked.

``zipfile.ZipFile.read`` inflates a member in one call whose output is limited only by
2 GiB (deflate) or not at all (bzip2): a 547-byte member can grow memory by a gigabyte
before its declared size is compared. Here the declared size is charged to the budget,
the member is inflated in 1 MiB steps into a buffer of exactly that size, a member that
inflates beyond it is refused, and the CRC-32 is compared at the end.
"""

from __future__ import annotations

import bz2
import zipfile
import zlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from ._budget import Budget
from .errors import LaminaFileError

__all__ = ["open_zip", "read_member"]

_STEP = 1 << 20
_ENTRY_COST = 1024  # a ZipInfo, its name and its NameToInfo slot


def open_zip(path: str, budget: Budget) -> zipfile.ZipFile:
    """Open ``path`` as a zip after charging its central directory's entry count."""
    with open(path, "rb") as f:
        end = zipfile._EndRecData(f)  # the end record zipfile itself reads first
    if not end:
        raise LaminaFileError(path, "not a zip file (no end-of-central-directory record)")
    budget.charge(end[zipfile._ECD_ENTRIES_TOTAL] * _ENTRY_COST, "zip central directory")
    return zipfile.ZipFile(path)


def _data_offset(f: Any, path: str, info: zipfile.ZipInfo) -> int:
    f.seek(info.header_offset)
    head = f.read(30)
    if len(head) != 30 or head[:4] != b"PK\x03\x04":
        raise LaminaFileError(path, f"offset {info.header_offset}: bad zip local header")
    skip = int.from_bytes(head[26:28], "little") + int.from_bytes(head[28:30], "little")
    return info.header_offset + 30 + skip


def _compressed(f: Any, path: str, info: zipfile.ZipInfo) -> Iterator[bytes]:
    left = info.compress_size
    while left:
        chunk = f.read(min(_STEP, left))
        if not chunk:
            raise LaminaFileError(path, f"member {info.filename!r} is truncated")
        left -= len(chunk)
        yield chunk


def _inflated(f: Any, path: str, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """The member's bytes in pieces of at most 1 MiB, whatever its compression ratio."""
    kind = info.compress_type
    if kind == zipfile.ZIP_DEFLATED:
        inflate = zlib.decompressobj(-15)
        for chunk in _compressed(f, path, info):
            while chunk and not inflate.eof:
                yield inflate.decompress(chunk, _STEP)
                chunk = inflate.unconsumed_tail
        while not inflate.eof:  # output zlib held back when a step's limit was reached
            piece = inflate.decompress(b"", _STEP)
            if not piece:
                break
            yield piece
    elif kind == zipfile.ZIP_BZIP2:
        unbzip = bz2.BZ2Decompressor()
        for chunk in _compressed(f, path, info):
            while not unbzip.eof:
                yield unbzip.decompress(chunk, _STEP)
                chunk = b""
                if unbzip.needs_input:
                    break
    else:
        raise LaminaFileError(
            path,
            f"member {info.filename!r}: compression {kind} is not supported (stored, "
            "deflate and bzip2 are)",
        )


def _inflate_into(f: Any, path: str, info: zipfile.ZipInfo, raw: np.ndarray) -> tuple[int, int]:
    pos, crc = 0, 0
    for piece in _inflated(f, path, info):
        if pos + len(piece) > raw.size:
            raise LaminaFileError(
                path, f"zip member {info.filename!r} inflates beyond its declared {raw.size} bytes"
            )
        raw[pos : pos + len(piece)] = np.frombuffer(piece, np.uint8)
        crc = zlib.crc32(piece, crc)
        pos += len(piece)
    return pos, crc


def read_member(
    path: str, zf: zipfile.ZipFile, name: str, budget: Budget, dtype: Any = np.uint8
) -> np.ndarray:
    """One member's bytes as a writable 1-D array of ``dtype`` (its declared size, checked).

    Raises:
        LaminaFileError: missing, encrypted, truncated, inflating beyond or short of its
            declared size, a CRC-32 mismatch, or a size beyond the budget.
    """
    info = zf.NameToInfo.get(name)
    if info is None:
        raise LaminaFileError(path, f"zip member {name!r} is missing")
    if info.flag_bits & 1:
        raise LaminaFileError(path, f"zip member {name!r} is encrypted")
    size, dtype = info.file_size, np.dtype(dtype)
    if size % dtype.itemsize:
        raise LaminaFileError(path, f"zip member {name!r}: {size} bytes is not a whole {dtype}")
    budget.charge(size, f"zip member {name!r}")
    out = np.empty(size // dtype.itemsize, dtype)
    raw = out.view(np.uint8)
    if size == 0:
        return out
    with open(path, "rb") as f:
        f.seek(_data_offset(f, path, info))
        if info.compress_type == zipfile.ZIP_STORED:  # torch's case: straight into the array
            if info.compress_size != size:
                raise LaminaFileError(path, f"stored member {name!r}: sizes differ")
            pos = f.readinto(raw.data)
            crc = zlib.crc32(raw[:pos])
        else:
            pos, crc = _inflate_into(f, path, info, raw)
    if pos != size:
        raise LaminaFileError(path, f"zip member {name!r}: {pos} of {size} declared bytes")
    if crc != info.CRC:
        raise LaminaFileError(
            path, f"zip member {name!r}: CRC-32 {crc:08x}, expected {info.CRC:08x} (corrupted)"
        )
    return out
