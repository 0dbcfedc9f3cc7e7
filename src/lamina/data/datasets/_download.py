"""Opt-in downloads with a checksum check (never run by the tests against the network)."""

from __future__ import annotations

import hashlib
import os
import tarfile
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from .errors import DatasetFileError


def file_digest(path: Path, algorithm: str) -> str:
    """Hex digest of a file read in 1 MiB blocks (``algorithm``: "md5" or "sha256")."""
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def download(
    filename: str, mirrors: Sequence[str], folder: Path, md5: str, quiet: bool = False
) -> Path:
    """Fetch ``filename`` from the first mirror that answers into ``folder``, md5-checked.

    An existing file with the right checksum is kept. The download goes to a ``.part``
    file that is renamed only after its checksum matched.

    Raises:
        DatasetFileError: every mirror failed or sent a file with the wrong checksum.
    """
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / filename
    if target.exists() and file_digest(target, "md5") == md5:
        return target
    errors = []
    for mirror in mirrors:
        url = mirror.rstrip("/") + "/" + filename
        part = target.with_name(target.name + ".part")
        try:
            if not quiet:
                print(f"Downloading {url}")
            with urllib.request.urlopen(url, timeout=60) as r, open(part, "wb") as out:
                for block in iter(lambda r=r: r.read(1 << 20), b""):
                    out.write(block)
        except OSError as e:
            errors.append(f"{url}: {e}")
            continue
        got = file_digest(part, "md5")
        if got == md5:
            os.replace(part, target)
            return target
        part.unlink()
        errors.append(f"{url}: md5 {got}, expected {md5}")
    raise DatasetFileError(f"could not download {filename}: " + "; ".join(errors))


def extract_members(archive: Path, names: Sequence[str], folder: Path) -> None:
    """Extract only the regular files ``names`` (paths inside the tar) into ``folder``."""
    with tarfile.open(archive, "r:*") as tar:
        for name in names:
            member = tar.getmember(name)
            if not member.isfile():
                raise DatasetFileError(f"{archive}: member {name!r} is not a regular file")
            src = tar.extractfile(member)
            dest = folder / Path(name).name
            with src, open(dest, "wb") as out:
                for block in iter(lambda s=src: s.read(1 << 20), b""):
                    out.write(block)
