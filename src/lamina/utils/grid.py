"""``make_grid`` and ``save_image`` with torchvision.utils' conventions.

Values are taken in [0, 1] (torchvision's convention): ``save_image`` writes
``clamp(x * 255 + 0.5, 0, 255)`` as uint8. ``normalize=True`` first maps ``value_range``
(default: the batch's min and max; per image with ``scale_each``) onto [0, 1], so a Tanh
generator's output is written with ``normalize=True, value_range=(-1, 1)``.
"""

from __future__ import annotations

import math
import os
import struct
import zlib
from typing import Any

import numpy as np

from ..tensor import Tensor

__all__ = ["make_grid", "save_image"]


def _as_batch(tensor: Any) -> np.ndarray:
    """(N, C, H, W) float array from a Tensor, an ndarray or a list of (C, H, W) images."""
    if isinstance(tensor, (list, tuple)):
        tensor = np.stack([np.asarray(t) for t in tensor])
    elif not isinstance(tensor, (Tensor, np.ndarray)):
        raise TypeError(
            f"make_grid: tensor or list of tensors expected, got {type(tensor).__name__}"
        )
    x = np.array(tensor, copy=True)
    if x.dtype.kind not in "fiub":
        raise TypeError(f"make_grid: numeric images expected, got dtype {x.dtype}")
    if x.ndim == 2:  # a single (H, W) image
        x = x[None]
    if x.ndim == 3:  # a single (C, H, W) image
        x = np.concatenate([x] * 3, 0) if x.shape[0] == 1 else x
        x = x[None]
    if x.ndim != 4:
        raise ValueError(f"make_grid: expected (N, C, H, W) images, got shape {x.shape}")
    if x.shape[1] == 1:  # grey -> RGB, as torchvision
        x = np.concatenate([x] * 3, 1)
    return x


def _normalize(x: np.ndarray, value_range, scale_each: bool) -> np.ndarray:
    if value_range is not None and not isinstance(value_range, tuple):
        raise TypeError(
            "value_range has to be a tuple (min, max) if specified. min and max are numbers"
        )

    def norm(img: np.ndarray) -> None:
        low, high = value_range if value_range is not None else (float(img.min()), float(img.max()))
        np.clip(img, low, high, out=img)
        img -= np.asarray(low, img.dtype)
        img /= np.asarray(max(high - low, 1e-5), img.dtype)

    x = x if x.dtype.kind == "f" else x.astype(np.float32)
    for img in x if scale_each else [x]:
        norm(img)
    return x


def make_grid(
    tensor: Any,
    nrow: int = 8,
    padding: int = 2,
    normalize: bool = False,
    value_range: tuple[float, float] | None = None,
    scale_each: bool = False,
    pad_value: float = 0.0,
) -> Tensor:
    """Tile a batch of images into one ``(C, H', W')`` image (torchvision.utils.make_grid).

    Args:
        tensor: ``(N, C, H, W)``, a single ``(C, H, W)`` or ``(H, W)`` image, or a list of
            ``(C, H, W)`` images; one-channel images become three-channel, as torchvision.
        nrow: images per row.
        padding: pixels between and around images, filled with ``pad_value``.
        normalize: map ``value_range`` (default: min and max) onto [0, 1].
        value_range: ``(min, max)`` for ``normalize``; values outside are clamped.
        scale_each: normalize each image by its own min and max.
    """
    x = _as_batch(tensor)
    if normalize:
        x = _normalize(x, value_range, scale_each)
    if x.shape[0] == 1:
        return Tensor(x[0])
    n, c, h, w = x.shape
    xmaps = min(nrow, n)
    ymaps = int(math.ceil(n / xmaps))
    height, width = h + padding, w + padding
    grid = np.full((c, height * ymaps + padding, width * xmaps + padding), pad_value, x.dtype)
    for k in range(n):
        y0, x0 = (k // xmaps) * height + padding, (k % xmaps) * width + padding
        grid[:, y0 : y0 + h, x0 : x0 + w] = x[k]
    return Tensor(grid)


def to_uint8(grid: Any) -> np.ndarray:
    """(C, H, W) values in [0, 1] -> (H, W, C) uint8, rounded as torchvision's save_image."""
    a = np.asarray(grid, dtype=np.float32) * 255 + 0.5
    return np.clip(a, 0, 255).astype(np.uint8).transpose(1, 2, 0)


def png_bytes(pixels: np.ndarray) -> bytes:
    """An (H, W) or (H, W, 1|3|4) uint8 array as PNG file bytes (zlib; no Pillow needed)."""
    a = np.ascontiguousarray(pixels, dtype=np.uint8)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.ndim == 3 and a.shape[2] not in (3, 4):
        raise ValueError(f"png: expected 1, 3 or 4 channels, got shape {a.shape}")
    h, w = a.shape[:2]
    color = {2: 0, 3: 2}[a.ndim] if a.ndim == 2 or a.shape[2] == 3 else 6
    raw = b"".join(b"\x00" + a[y].tobytes() for y in range(h))

    def chunk(tag: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
        return struct.pack(">I", len(data)) + tag + data + crc

    header = struct.pack(">IIBBBBB", w, h, 8, color, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def save_image(tensor: Any, fp: Any, format: str | None = None, **kwargs: Any) -> None:
    """Write ``make_grid(tensor, **kwargs)`` as an image file (torchvision.utils.save_image).

    ``fp`` is a path or a binary file object. PNG is written without Pillow; other formats
    (chosen by ``format`` or the file's extension) need the ``image`` extra (Pillow).
    """
    pixels = to_uint8(make_grid(tensor, **kwargs))
    path = os.fspath(fp) if isinstance(fp, (str, os.PathLike)) else None
    fmt = (format or (os.path.splitext(path)[1][1:] if path else "png")).lower()
    try:
        from PIL import Image
    except ImportError:
        if fmt != "png":
            raise ImportError(
                f"save_image: writing {fmt!r} needs Pillow (pip install lamina[vision])"
            ) from None
        data = png_bytes(pixels)
        if path is None:
            fp.write(data)
        else:
            with open(path, "wb") as f:
                f.write(data)
        return
    Image.fromarray(pixels[:, :, 0] if pixels.shape[2] == 1 else pixels).save(fp, format=format)
