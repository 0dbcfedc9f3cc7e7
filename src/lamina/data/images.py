"""Opening images safely: size and aspect ratio are checked before any pixel is decoded.

An image file's header states its size, and a small file can state a huge one: a PNG of a
few hundred bytes inflates to gigabytes (a decompression bomb), and a 103-byte 1 x 5000 PNG
resized to 256 on its shorter side becomes 256 x 1,280,000. Every loader in lamina
(``ImageFolder``'s ``pil_loader``, ``lamina.models.imagenet.preprocess``, ``lamina predict``)
opens images through :func:`open_rgb`, which refuses both before decoding. No torchvision
equivalent (Pillow's own check only warns below 2 x ``MAX_IMAGE_PIXELS``).
"""

from __future__ import annotations

import os
from typing import Any

from .datasets.errors import DatasetFileError

__all__ = ["MAX_PIXELS", "MAX_ASPECT_RATIO", "check_image_size", "open_rgb"]

MAX_PIXELS = 89_478_485  # Pillow's MAX_IMAGE_PIXELS: about 256 MiB as 8-bit RGB
MAX_ASPECT_RATIO = 100  # a 100:1 strip is already a degenerate photo


def check_image_size(width: int, height: int, where: str) -> None:
    """Raise ``DatasetFileError`` for an empty, oversized or degenerate image size.

    Args:
        width, height: the size the image's header states.
        where: the file (or "image"), first in the message.
    """
    if width < 1 or height < 1:
        raise DatasetFileError(f"{where}: image is {width} x {height} pixels (empty)")
    if width * height > MAX_PIXELS:
        raise DatasetFileError(
            f"{where}: image is {width} x {height} = {width * height} pixels, more than the "
            f"{MAX_PIXELS} allowed (a decompression bomb or an image to downscale first)"
        )
    ratio = max(width, height) / min(width, height)
    if ratio > MAX_ASPECT_RATIO:
        raise DatasetFileError(
            f"{where}: image is {width} x {height} pixels, aspect ratio {ratio:.0f}:1 is beyond "
            f"{MAX_ASPECT_RATIO}:1 (resizing its shorter side would make it "
            f"{ratio:.0f} times longer than wide)"
        )


def _pil() -> Any:
    try:
        from PIL import Image
    except ImportError as e:
        raise ImportError("reading images needs Pillow: pip install 'lamina[vision]'") from e
    return Image


def open_rgb(image: Any) -> Any:
    """Open a path (or take a PIL image), check its size, and return it decoded as RGB.

    Raises:
        DatasetFileError: unreadable, truncated, not an image, or a size that
            :func:`check_image_size` refuses (checked from the header, before decoding).
    """
    pil = _pil()
    if isinstance(image, pil.Image):
        check_image_size(*image.size, "image")
        return image.convert("RGB")
    where = os.fspath(image)
    try:
        with pil.open(image) as img:
            check_image_size(*img.size, where)
            return img.convert("RGB")  # convert() decodes the whole image
    # UnidentifiedImageError is an OSError; DecompressionBombError is raised by open()
    except (OSError, SyntaxError, ValueError, pil.DecompressionBombError) as e:
        if isinstance(e, DatasetFileError):
            raise
        raise DatasetFileError(f"{where}: cannot read image ({type(e).__name__}: {e})") from e
