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


def _pil_image():
    try:
        from PIL import Image
    except ImportError as e:
        raise ImportError(
            "ImageFolder needs Pillow to read images: pip install 'lamina[vision]'"
        ) from e
    return Image


def pil_loader(path: str | Path) -> Any:
    """Open and fully decode an image as RGB; a broken file raises DatasetFileError."""
    image_mod = _pil_image()
    try:
        with image_mod.open(path) as img:
            return img.convert("RGB")  # convert() decodes the whole image
    # UnidentifiedImageError is an OSError; a header claiming > 2 * MAX_IMAGE_PIXELS pixels
    # raises DecompressionBombError before any pixel is decoded
    except (OSError, SyntaxError, ValueError, image_mod.DecompressionBombError) as e:
        raise DatasetFileError(f"{path}: cannot read image ({type(e).__name__}: {e})") from e


def find_classes(root: Path) -> tuple[list[str], dict[str, int]]:
    """Sorted sub-folder names of ``root`` and their indices (torch: ``find_classes``)."""
    if not root.is_dir():
        raise FileNotFoundError(f"ImageFolder: {root} is not a folder")
    classes = sorted(e.name for e in os.scandir(root) if e.is_dir())
    if not classes:
        raise FileNotFoundError(f"ImageFolder: no class sub-folders in {root}")
    return classes, {c: i for i, c in enumerate(classes)}


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
            for dirpath, _, filenames in sorted(os.walk(self.root / c, followlinks=True)):
                for name in sorted(filenames):
                    if name.lower().endswith(exts):
                        samples.append((os.path.join(dirpath, name), self.class_to_idx[c]))
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
