"""Atomic file replacement: write a temp file next to the target, fsync, os.replace."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator

__all__ = ["atomic_path", "atomic_write_bytes"]


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[str]:
    """Yield a temporary path in ``path``'s directory; on success it replaces ``path``.

    The caller writes the temp file (by any means) inside the ``with`` block. Afterwards the
    temp file is fsynced and moved over ``path`` with ``os.replace`` (atomic on POSIX and
    Windows), then the directory is fsynced where the OS allows it. On any exception the
    temp file is removed and ``path`` is left untouched. No PyTorch equivalent
    (``torch.save`` writes in place).
    """
    target = os.path.abspath(os.fspath(path))
    folder, name = os.path.split(target)
    fd, tmp = tempfile.mkstemp(prefix=f".{_short_name(name)}.", suffix=".tmp", dir=folder)
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, _new_file_mode(target))  # mkstemp makes 0600; match a normal open()
        with open(tmp, "rb+") as f:  # rb+ so fsync works on every platform
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(folder)


_NAME_BYTES = 200  # + "." + "." + 8 random + ".tmp" stays under NAME_MAX (255 bytes)


def _short_name(name: str) -> str:
    """``name`` cut to 200 bytes, so the temp name fits wherever ``name`` itself fits
    (a cut UTF-8 character stays a surrogate escape: the bytes are unchanged)."""
    raw = os.fsencode(name)
    return name if len(raw) <= _NAME_BYTES else os.fsdecode(raw[:_NAME_BYTES])


def _new_file_mode(target: str) -> int:
    """Mode the replaced file should get: the old file's, else 0666 minus the umask."""
    try:
        return os.stat(target).st_mode & 0o7777
    except OSError:
        umask = os.umask(0o022)
        os.umask(umask)
        return 0o666 & ~umask


def _fsync_dir(folder: str) -> None:
    """Persist the rename itself; a no-op where directories cannot be opened (Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: readers see the old file or the new one.

    Args:
        path: destination file; its directory must exist.
        data: the complete new contents.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"atomic_write_bytes: data must be bytes, got {type(data).__name__}")
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
