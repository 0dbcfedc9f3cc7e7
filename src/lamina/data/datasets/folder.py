"""ImageFolder: one class per sub-folder (torch: ``torchvision.datasets.ImageFolder``).

Needs Pillow (``pip install lamina[vision]``), imported only when an image is opened.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..dataset import Dataset
from .errors import DatasetFileError

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


def pil_loader(path: str | Path) -> Any:
    """Open and fully decode an image as RGB (torchvision's ``pil_loader``).

    The size in the header is checked before decoding (:func:`lamina.data.images.open_rgb`):
    a broken file, a decompression bomb or a degenerate aspect ratio raises
    DatasetFileError naming the path.
    """
    from ..images import open_rgb

    return open_rgb(path)


def find_classes(root: Path) -> tuple[list[str], dict[str, int]]:
    """Sorted sub-folder names of ``root`` and their indices (torch: ``find_classes``)."""
    if not root.is_dir():
        raise FileNotFoundError(f"ImageFolder: {root} is not a folder")
    classes = sorted(e.name for e in os.scandir(root) if e.is_dir())
    if not classes:
        raise FileNotFoundError(f"ImageFolder: no class sub-folders in {root}")
    return classes, {c: i for i, c in enumerate(classes)}


def _walk_files(top: Path) -> list[str]:
    """Files under ``top`` in sorted order, following symlinked folders but entering each
    real folder once (by resolved path): ``loop -> .`` links cannot repeat or hang the walk.
    Files come in torchvision's order (``sorted(os.walk(...))``: by folder path, then name).
    """
    seen: set[str] = set()
    found: list[tuple[str, list[str]]] = []
    stack = [str(top)]
    while stack:
        folder = stack.pop()
        real = os.path.realpath(folder)
        if real in seen:
            continue
        seen.add(real)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue  # unreadable or vanished: like os.walk, skip it
        subdirs, names = [], []
        for entry in entries:
            if entry.is_dir():  # follows symlinks, like os.walk(followlinks=True)
                subdirs.append(entry.path)
            else:
                names.append(entry.name)
        found.append((folder, names))
        stack.extend(reversed(subdirs))
    return [os.path.join(folder, n) for folder, names in sorted(found) for n in names]


class ImageFolder(Dataset):
    """Images in ``root/<class>/**/<file>`` labelled by their class folder.

    torch: ``torchvision.datasets.ImageFolder``. Classes are the sorted sub-folder names;
    files are kept when their extension (any case) is in ``extensions``, walked in sorted
    order. ``ds[i]`` is ``(image, class_index)`` with the image an RGB PIL image (before
    ``transform``).

    Args:
        root: the folder holding one sub-folder per class.
        transform: applied to each PIL image (e.g. ``ToTensor()``).
        target_transform: applied to each class index.
        skip_corrupt: decode every image once now, drop those that fail and warn with their
            paths. When False, a broken image raises DatasetFileError naming its path when
            it is read.
        extensions: file endings that count as images.
        loader: opens a path; default :func:`pil_loader`.

    Attributes:
        classes, class_to_idx, samples (list of (path, class_index)), targets.
    """

    def __init__(
        self,
        root: str | Path,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        skip_corrupt: bool = False,
        extensions: Sequence[str] = IMG_EXTENSIONS,
        loader: Callable[[str], Any] | None = None,
    ) -> None:
        self.root = Path(root)
        self.transform, self.target_transform = transform, target_transform
        self.loader = pil_loader if loader is None else loader
        self.classes, self.class_to_idx = find_classes(self.root)
        exts = tuple(e.lower() for e in extensions)
        samples = []
        for c in self.classes:
            for path in _walk_files(self.root / c):
                if os.path.basename(path).lower().endswith(exts):
                    samples.append((path, self.class_to_idx[c]))
        if skip_corrupt:
            samples = self._drop_corrupt(samples)
        if not samples:
            raise FileNotFoundError(f"ImageFolder: no images ending in {exts} under {self.root}")
        self.samples = samples
        self.targets = [t for _, t in samples]

    def _drop_corrupt(self, samples: list[tuple[str, int]]) -> list[tuple[str, int]]:
        kept, bad = [], []
        for path, target in samples:
            try:
                self.loader(path)
            except (DatasetFileError, OSError) as e:
                bad.append(f"{path} ({e})" if not str(e).startswith(path) else str(e))
                continue
            kept.append((path, target))
        if bad:
            shown = "; ".join(bad[:10]) + ("; ..." if len(bad) > 10 else "")
            warnings.warn(
                f"ImageFolder: skipped {len(bad)} unreadable image(s): {shown}", stacklevel=3
            )
        return kept

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        path, target = self.samples[index]
        img = self.loader(path)
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target
