"""CIFAR-10 from its BINARY version (torch: ``torchvision.datasets.CIFAR10``).

Each ``*.bin`` file of ``cifar-10-batches-bin`` is a run of 3,073-byte records: one label
byte (0-9), then 3,072 pixel bytes - the 1,024 red values of the 32x32 image row by row,
then 1,024 green, then 1,024 blue. Training: ``data_batch_1.bin`` .. ``data_batch_5.bin``
(10,000 records each); test: ``test_batch.bin``. No pickle is involved.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..dataset import Dataset
from . import _download
from .errors import DatasetFileError

RECORD_BYTES = 1 + 3 * 32 * 32
FOLDER = "cifar-10-batches-bin"
TRAIN_FILES = tuple(f"data_batch_{i}.bin" for i in range(1, 6))
TEST_FILES = ("test_batch.bin",)
CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
ARCHIVE = "cifar-10-binary.tar.gz"
ARCHIVE_MD5 = "c32a1d4ab5d03f1284b67883e8d87530"
MIRRORS = ("https://www.cs.toronto.edu/~kriz/",)


def read_cifar_binary(path: str | Path, num_classes: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Read one CIFAR-10 binary batch file.

    The size is checked before anything is read: it must be a positive multiple of 3,073
    bytes. Every label byte must be below ``num_classes``.

    Args:
        path: e.g. ``cifar-10-batches-bin/data_batch_1.bin``.
        num_classes: labels must lie in ``0..num_classes-1``.

    Returns:
        ``(images, labels)``: images uint8 (N, 32, 32, 3) (HWC, as torchvision's
        ``CIFAR10.data``), labels int64 (N,).

    Raises:
        DatasetFileError: (a ValueError) wrong size or a label out of range.
        FileNotFoundError: the file does not exist.
    """
    path = Path(path)
    size = path.stat().st_size
    if size == 0 or size % RECORD_BYTES:
        raise DatasetFileError(
            f"{path}: {size} bytes, expected a positive multiple of {RECORD_BYTES} "
            "(1 label byte + 3072 pixel bytes per record)"
        )
    records = np.fromfile(path, dtype=np.uint8).reshape(-1, RECORD_BYTES)  # (N, 3073)
    labels = records[:, 0]
    bad = np.flatnonzero(labels >= num_classes)
    if bad.size:
        k = int(bad[0])
        raise DatasetFileError(
            f"{path}: record {k} (byte {k * RECORD_BYTES}) has label {int(labels[k])}, "
            f"expected 0..{num_classes - 1}"
        )
    images = records[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)  # (N, 32, 32, 3)
    return np.ascontiguousarray(images), labels.astype(np.int64)


class CIFAR10(Dataset):
    """CIFAR-10 from the binary batch files (torch: ``torchvision.datasets.CIFAR10``).

    Looks for the ``.bin`` files in ``root/cifar-10-batches-bin`` or ``root``.

    Args:
        root: the folder.
        train: the 50,000 training images (5 files), else the 10,000 test images.
        transform: applied to each image, a uint8 (32, 32, 3) array (e.g. ``ToTensor()``).
        target_transform: applied to each int label.
        download: fetch ``cifar-10-binary.tar.gz`` from the authors' site (md5-checked)
            and extract the batch files into ``root/cifar-10-batches-bin``. Opt-in.

    Attributes:
        data: uint8 (N, 32, 32, 3). targets: int64 (N,). classes: the 10 class names.
    """

    classes = CLASSES

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
        names = TRAIN_FILES if train else TEST_FILES
        if download and not all((self.root / FOLDER / n).is_file() for n in names):
            archive = _download.download(ARCHIVE, MIRRORS, self.root, ARCHIVE_MD5)
            members = [f"{FOLDER}/{n}" for n in (*TRAIN_FILES, *TEST_FILES, "batches.meta.txt")]
            (self.root / FOLDER).mkdir(parents=True, exist_ok=True)
            _download.extract_members(archive, members, self.root / FOLDER)
        parts = [read_cifar_binary(self._find(n)) for n in names]
        self.data = np.concatenate([p[0] for p in parts])  # (N, 32, 32, 3)
        self.targets = np.concatenate([p[1] for p in parts])  # (N,)

    def _find(self, name: str) -> Path:
        for folder in (self.root / FOLDER, self.root):
            if (folder / name).is_file():
                return folder / name
        raise FileNotFoundError(
            f"{name} not found in {self.root / FOLDER} or {self.root}; "
            "pass download=True or extract cifar-10-binary.tar.gz there"
        )

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
