"""MNIST and Fashion-MNIST from their IDX files (torch: ``torchvision.datasets.MNIST``).

The IDX format (LeCun's): bytes 0-1 are zero, byte 2 the element type (0x08 uint8,
0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64), byte 3 the number of
dimensions d; then d big-endian uint32 sizes, then the elements, big-endian, row-major.
"""

from __future__ import annotations

import gzip
import math
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import numpy as np

from ..dataset import Dataset
from . import _download
from .errors import DatasetFileError

IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CHUNK = 1 << 24  # read gzip streams 16 MiB at a time


def _read_header(f: IO[bytes], path: Path) -> tuple[np.dtype, tuple[int, ...], int]:
    """Parse magic and sizes; returns (big-endian dtype, shape, header length in bytes)."""
    head = f.read(4)
    if len(head) < 4:
        raise DatasetFileError(f"{path}: {len(head)} bytes, expected a 4-byte IDX magic number")
    if head[0] != 0 or head[1] != 0:
        raise DatasetFileError(f"{path}: magic starts {head[:2].hex()}, expected 0000 (IDX)")
    code, ndim = head[2], head[3]
    if code not in IDX_DTYPES:
        codes = ", ".join(f"0x{c:02X}" for c in IDX_DTYPES)
        raise DatasetFileError(f"{path}: IDX type code 0x{code:02X}, expected one of {codes}")
    if ndim == 0:
        raise DatasetFileError(f"{path}: IDX header has 0 dimensions, expected at least 1")
    raw = f.read(4 * ndim)
    if len(raw) < 4 * ndim:
        raise DatasetFileError(
            f"{path}: header truncated: {len(raw)} bytes of sizes, expected {4 * ndim}"
        )
    return IDX_DTYPES[code], struct.unpack(f">{ndim}I", raw), 4 + 4 * ndim


def _read_exact(f: IO[bytes], nbytes: int, path: Path, shape: tuple, dtype: np.dtype) -> bytearray:
    """Read exactly ``nbytes``, chunk by chunk (memory follows the data actually present)."""
    buf, step = bytearray(), 1 << 16  # grow the read size: gzip's read(n) allocates n bytes
    while len(buf) < nbytes:
        chunk = f.read(min(step, nbytes - len(buf)))
        step = min(2 * step, _CHUNK)
        if not chunk:
            raise DatasetFileError(
                f"{path}: data truncated: {len(buf)} bytes, header shape {shape} of "
                f"{dtype.name} needs {nbytes}"
            )
        buf += chunk
    if f.read(1):
        raise DatasetFileError(f"{path}: data runs past the {nbytes} bytes the header promises")
    return buf


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (gzip-compressed or not) into a native-endian ndarray.

    The header is checked before any data is read: magic bytes, type code, at least one
    dimension, and (for an uncompressed file) the file size against the product of the
    sizes, so a lying header never makes a large allocation. A gzip file (found by its
    magic bytes, whatever its name) is read in chunks and must end exactly after the data.

    Args:
        path: the file, e.g. ``train-images-idx3-ubyte`` or ``...-ubyte.gz``.

    Returns:
        The array, shape from the header, dtype from the type code.

    Raises:
        DatasetFileError: (a ValueError) the file is not a well-formed IDX file.
        FileNotFoundError: the file does not exist.
    """
    path = Path(path)
    with open(path, "rb") as f:
        is_gzip = f.read(2) == b"\x1f\x8b"
    if is_gzip:
        try:
            with gzip.open(path, "rb") as f:
                dtype, shape, _ = _read_header(f, path)
                raw = _read_exact(f, math.prod(shape) * dtype.itemsize, path, shape, dtype)
        except (OSError, EOFError, zlib.error) as e:
            raise DatasetFileError(f"{path}: corrupt gzip stream ({e})") from e
    else:
        size = path.stat().st_size
        with open(path, "rb") as f:
            dtype, shape, header = _read_header(f, path)
            expected = header + math.prod(shape) * dtype.itemsize
            if size != expected:
                raise DatasetFileError(
                    f"{path}: file is {size} bytes, header shape {shape} of {dtype.name} "
                    f"needs {expected}"
                )
            raw = bytearray(expected - header)  # size already checked against the file
            f.readinto(raw)
    # a writable array; uint8/int8 need no byte swap and so no copy
    try:
        arr = np.frombuffer(raw, dtype=dtype).reshape(shape)
    except ValueError as e:  # e.g. an empty dim beside dims whose product overflows
        raise DatasetFileError(f"{path}: header shape {shape} is not a valid array ({e})") from e
    return arr.astype(dtype.newbyteorder("="), copy=False)


def _find(root: Path, folder: str, name: str) -> Path:
    """``name`` or ``name.gz`` under ``root/<folder>/raw``, ``root/<folder>`` or ``root``."""
    dirs = (root / folder / "raw", root / folder, root)
    for d in dirs:
        for candidate in (d / name, d / (name + ".gz")):
            if candidate.is_file():
                return candidate
    where = ", ".join(str(d) for d in dirs)
    raise FileNotFoundError(f"{name} (or {name}.gz) not found in {where}; pass download=True")


class MNIST(Dataset):
    """The MNIST digits from local IDX files (torch: ``torchvision.datasets.MNIST``).

    Looks for the standard names (``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
    ``t10k-...``; plain or ``.gz``) in ``root/MNIST/raw``, ``root/MNIST`` or ``root``.

    Args:
        root: the folder.
        train: the 60,000 training images, else the 10,000 test images.
        transform: applied to each image, a uint8 (28, 28) array (e.g. ``ToTensor()``).
        target_transform: applied to each int label.
        download: fetch missing files from the official mirrors into ``root/MNIST/raw``,
            md5-checked. Opt-in; nothing is fetched otherwise.

    Attributes:
        data: uint8 (N, 28, 28). targets: int64 (N,). classes: the class names.
    """

    mirrors = (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    )
    md5s = {
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    }
    classes = [
        f"{d} - {w}"
        for d, w in enumerate("zero one two three four five six seven eight nine".split())
    ]

    def __init__(
        self,
        root: str | Path,
        train: bool = True,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        download: bool = False,
    ) -> None:
        self.root, self.train = Path(root), train
        self.transform, self.target_transform = transform, target_transform
        prefix = "train" if train else "t10k"
        names = (f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte")
        folder = type(self).__name__
        if download:
            raw = self.root / folder / "raw"
            for name in names:
                if not any(p.is_file() for p in (raw / name, raw / f"{name}.gz")):
                    _download.download(f"{name}.gz", self.mirrors, raw, self.md5s[f"{name}.gz"])
        paths = [_find(self.root, folder, name) for name in names]
        self.data, self.targets = _load_pair(*paths, len(self.classes))

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        img, target = self.data[index], int(self.targets[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def _batch(self, indices: np.ndarray) -> tuple | None:
        if self.transform is not None or self.target_transform is not None:
            return None
        return self.data[indices], self.targets[indices]


def _load_pair(
    images_path: Path, labels_path: Path, num_classes: int
) -> tuple[np.ndarray, np.ndarray]:
    """Read and cross-check an images file (N, H, W) uint8 and a labels file (N,) uint8."""
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise DatasetFileError(
            f"{images_path}: {images.dtype} {images.shape}, expected uint8 (N, H, W)"
        )
    if labels.ndim != 1 or labels.dtype != np.uint8:
        raise DatasetFileError(f"{labels_path}: {labels.dtype} {labels.shape}, expected uint8 (N,)")
    if len(images) != len(labels):
        raise DatasetFileError(
            f"{images_path}: {len(images)} images but {labels_path}: {len(labels)} labels, "
            "expected equal counts"
        )
    if labels.size and labels.max() >= num_classes:
        raise DatasetFileError(
            f"{labels_path}: label {int(labels.max())}, expected 0..{num_classes - 1}"
        )
    return images, labels.astype(np.int64)


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST, same files and layout (torch: ``datasets.FashionMNIST``).

    Files are looked up in ``root/FashionMNIST/raw``, ``root/FashionMNIST`` or ``root``.
    """

    mirrors = ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",)
    md5s = {
        "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
    }
    classes = [
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ]
