"""Resampling weights for ``transforms.Resize``: torchvision's tensor path, on NumPy.

Each axis is resized by one (out, in) weight matrix. With ``antialias=True`` the weights are
Pillow's separable filters, which torch's ``interpolate(..., antialias=True)`` (what
torchvision's Resize runs on tensors) also uses: when shrinking by ``scale = in / out`` the
filter is stretched by ``scale``, so every input pixel contributes (no aliasing). Without
antialias they are torch's plain ``bilinear``/``bicubic`` (a = -0.75) with half-pixel
centres and ``nearest`` picks ``floor(i * scale)``.
"""

from __future__ import annotations

import enum

import numpy as np


class InterpolationMode(enum.Enum):
    """torchvision.transforms.InterpolationMode (the modes lamina's Resize implements)."""

    NEAREST = "nearest"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"


def _triangle(x: np.ndarray) -> np.ndarray:
    return np.maximum(1.0 - np.abs(x), 0.0)


def _cubic(x: np.ndarray, a: float) -> np.ndarray:
    x = np.abs(x)
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = (((x - 5) * x + 8) * x - 4) * a
    return np.where(x < 1, near, np.where(x < 2, far, 0.0))


def _antialias_weights(n: int, out: int, mode: str) -> np.ndarray:
    """Pillow's / torch's antialiased weights (UpSample.h ``_compute_weights_aa``)."""
    scale = n / out
    size = 2.0 if mode == "bilinear" else 4.0  # the kernel's width in input pixels at scale 1
    support = size * 0.5 * scale if scale >= 1.0 else size * 0.5
    invscale = 1.0 / scale if scale >= 1.0 else 1.0
    centre = scale * (np.arange(out) + 0.5)  # (out,)
    xmin = np.maximum((centre - support + 0.5).astype(np.int64), 0)
    xmax = np.minimum((centre + support + 0.5).astype(np.int64), n)
    j = np.arange(n)[None, :]  # (1, in)
    x = (j - centre[:, None] + 0.5) * invscale
    w = _triangle(x) if mode == "bilinear" else _cubic(x, -0.5)
    w = np.where((j >= xmin[:, None]) & (j < xmax[:, None]), w, 0.0)
    total = w.sum(axis=1, keepdims=True)
    return w / np.where(total != 0, total, 1.0)


def _plain_weights(n: int, out: int, mode: str) -> np.ndarray:
    """torch's non-antialiased bilinear / bicubic (align_corners=False) / nearest."""
    scale = n / out
    w = np.zeros((out, n))
    rows = np.arange(out)
    if mode == "nearest":
        w[rows, np.minimum(np.floor(rows * scale).astype(np.int64), n - 1)] = 1.0
        return w
    src = (rows + 0.5) * scale - 0.5
    if mode == "bilinear":
        src = np.maximum(src, 0.0)
        i0 = np.minimum(np.floor(src).astype(np.int64), n - 1)
        t = src - i0
        np.add.at(w, (rows, i0), 1 - t)
        np.add.at(w, (rows, np.minimum(i0 + 1, n - 1)), t)
        return w
    i0 = np.floor(src).astype(np.int64)
    t = src - i0
    for k in range(-1, 3):  # taps at i0-1 .. i0+2, clamped to the border as torch
        np.add.at(w, (rows, np.clip(i0 + k, 0, n - 1)), _cubic(t - k, -0.75))
    return w


def resize_weights(n: int, out: int, mode: str, antialias: bool) -> np.ndarray:
    """The (out, n) matrix that resamples one axis of length n to length out."""
    if antialias and mode != "nearest":
        return _antialias_weights(n, out, mode)
    return _plain_weights(n, out, mode)


def resize_array(img: np.ndarray, size: tuple[int, int], mode: str, antialias: bool) -> np.ndarray:
    """Resize the last two axes of ``img`` to ``size`` = (h, w); uint8 is rounded back."""
    x = img.astype(np.float32) if img.dtype.kind != "f" else img
    (h, w), (oh, ow) = img.shape[-2:], size
    if (oh, ow) != (h, w):
        wh = resize_weights(h, oh, mode, antialias).astype(x.dtype)  # (oh, h)
        ww = resize_weights(w, ow, mode, antialias).astype(x.dtype)  # (ow, w)
        x = np.matmul(np.matmul(wh, x), ww.T)  # (..., oh, ow)
    if img.dtype == np.uint8:
        return np.clip(np.rint(x), 0, 255).astype(np.uint8)
    return x.astype(img.dtype, copy=False)
