"""Image grids as PNG files and GIFs, with torchvision's value convention.

Pixel values are taken in [0, 1] as ``torchvision.utils.save_image`` takes them; pass
``normalize=True, value_range=(-1, 1)`` for a Tanh generator's output, or ``normalize=True,
scale_each=True`` to stretch each image (kernels, feature maps) to its own range.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ..utils.grid import make_grid as _make_grid
from ..utils.grid import png_bytes, to_uint8


def make_grid(images: Any, nrow: int = 8, padding: int = 2, **kwargs: Any) -> np.ndarray:
    """(N, C, H, W) images -> one (H', W', C) uint8 grid.

    The layout and values of ``torchvision.utils.make_grid`` (``normalize``,
    ``value_range``, ``scale_each``, ``pad_value``) rounded as ``save_image`` rounds them;
    one-channel images give a one-channel grid.
    """
    x = np.asarray(images)
    if x.ndim == 3:
        x = x[:, None]
    if x.ndim != 4 or x.shape[1] not in (1, 3):
        raise ValueError(f"make_grid: expected (N, 1 or 3, H, W) images, got shape {x.shape}")
    pixels = to_uint8(_make_grid(x, nrow, padding, **kwargs))
    return pixels[:, :, :1] if x.shape[1] == 1 else pixels


def write_png(path: str, pixels: np.ndarray, scale: int = 1) -> str:
    """Write an (H, W) or (H, W, 1|3) uint8 array as a PNG file; ``scale`` repeats pixels."""
    a = np.asarray(pixels, dtype=np.uint8)
    if scale > 1:
        a = a.repeat(scale, 0).repeat(scale, 1)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "wb") as f:
        f.write(png_bytes(a))
    return path


def save_image_grid(images: Any, path: str, nrow: int = 8, scale: int = 4, **kwargs: Any) -> str:
    """Save a batch of images as one PNG grid, ``scale`` times enlarged.

    ``torchvision.utils.save_image`` with a pixel-repeat zoom; ``kwargs`` as :func:`make_grid`.
    """
    return write_png(path, make_grid(images, nrow, **kwargs), scale)


def save_gif(frames, path: str, duration_ms: int = 300):
    """Save uint8 grids as an animated GIF when Pillow is installed; returns the path or None."""
    try:
        from PIL import Image
    except ImportError:
        return None
    imgs = [Image.fromarray(f if f.ndim == 2 or f.shape[2] == 3 else f[:, :, 0]) for f in frames]
    imgs[0].save(path, save_all=True, append_images=imgs[1:], duration=duration_ms, loop=0)
    return path
