"""Image grids as PNG with no extra dependency (zlib + struct), GIFs when Pillow is present."""

from __future__ import annotations

import os
import struct
import zlib

import numpy as np


def make_grid(images, nrow: int = 8, padding: int = 1, value_range=(-1.0, 1.0)) -> np.ndarray:
    """(N, C, H, W) images -> one (H', W', C) uint8 grid (torchvision.utils.make_grid)."""
    x = np.asarray(getattr(images, "data", images), dtype=np.float32)
    if x.ndim == 3:
        x = x[:, None]
    if x.ndim != 4 or x.shape[1] not in (1, 3):
        raise ValueError(f"make_grid: expected (N, 1 or 3, H, W) images, got shape {x.shape}")
    lo, hi = value_range
    x = np.clip((x - lo) / (hi - lo), 0, 1)
    n, c, h, w = x.shape
    ncol = min(nrow, n)
    rows = -(-n // ncol)
    grid = np.zeros((rows * (h + padding) + padding, ncol * (w + padding) + padding, c), np.float32)
    for i in range(n):
        r, q = divmod(i, ncol)
        y0, x0 = padding + r * (h + padding), padding + q * (w + padding)
        grid[y0 : y0 + h, x0 : x0 + w] = x[i].transpose(1, 2, 0)
    return (grid * 255 + 0.5).astype(np.uint8)


def write_png(path: str, pixels: np.ndarray, scale: int = 1) -> str:
    """Write an (H, W) or (H, W, 1|3) uint8 array as a PNG file; ``scale`` repeats pixels."""
    a = np.asarray(pixels, dtype=np.uint8)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if scale > 1:
        a = a.repeat(scale, 0).repeat(scale, 1)
    h, w = a.shape[:2]
    color = 0 if a.ndim == 2 else 2
    raw = b"".join(b"\x00" + a[y].tobytes() for y in range(h))

    def chunk(tag, data):
        return (
            struct.pack(">I", len(data))
            + tag
            + data
            + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
        )

    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, color, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "wb") as f:
        f.write(png)
    return path


def save_image_grid(
    images, path: str, nrow: int = 8, scale: int = 4, value_range=(-1.0, 1.0)
) -> str:
    """Save a batch of images as one PNG grid (torchvision.utils.save_image)."""
    return write_png(path, make_grid(images, nrow, 1, value_range), scale)


def save_gif(frames, path: str, duration_ms: int = 300):
    """Save uint8 grids as an animated GIF when Pillow is installed; returns the path or None."""
    try:
        from PIL import Image
    except ImportError:
        return None
    imgs = [Image.fromarray(f if f.ndim == 2 or f.shape[2] == 3 else f[:, :, 0]) for f in frames]
    imgs[0].save(path, save_all=True, append_images=imgs[1:], duration=duration_ms, loop=0)
    return path
