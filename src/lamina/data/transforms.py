"""Image transforms on NumPy arrays and PIL images (torch: ``torchvision.transforms``).

Layout rule: :class:`ToTensor` takes an image as PIL gives it - a PIL image or an ndarray
(H, W) or (H, W, C) - and returns float32 (C, H, W). Every other transform takes what
torchvision's take: a PIL image (handled with Pillow) or an array laid out (..., H, W),
i.e. after ToTensor. Random draws come from lamina's global generator, so
``lamina.manual_seed`` makes augmentation reproducible. Pillow is optional.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..random import default_rng
from ._resize import InterpolationMode, resize_array

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
_PAD_MODES = ("constant", "edge", "reflect", "symmetric")


_MAX_RESIZE_PIXELS = 89_478_485  # Pillow's MAX_IMAGE_PIXELS, as lamina.data.images


def _is_pil(img: Any) -> bool:
    return hasattr(img, "getbands") and hasattr(img, "size") and hasattr(img, "mode")


def _check_array(img: Any, where: str) -> np.ndarray:
    if not isinstance(img, np.ndarray) or img.ndim < 2:
        got = img.shape if isinstance(img, np.ndarray) else type(img).__name__
        raise TypeError(f"{where}: got {got}, expected a PIL image or an array (..., H, W)")
    return img


def _size_hw(img: Any, where: str) -> tuple[int, int]:
    """(height, width) of a PIL image or an (..., H, W) array."""
    if _is_pil(img):
        return img.size[1], img.size[0]
    return _check_array(img, where).shape[-2:]


def _pair(size: int | Sequence[int], where: str) -> tuple[int, int]:
    if isinstance(size, int):
        return size, size
    if len(size) == 1:
        return int(size[0]), int(size[0])
    if len(size) != 2:
        raise ValueError(f"{where}: size={size!r}, expected an int or (height, width)")
    return int(size[0]), int(size[1])


def _crop(img: Any, top: int, left: int, h: int, w: int) -> Any:
    if _is_pil(img):
        return img.crop((left, top, left + w, top + h))
    return img[..., top : top + h, left : left + w]


def _pad(img: Any, ltrb: Sequence[int], fill: float = 0, mode: str = "constant") -> Any:
    """Pad left, top, right, bottom; PIL images go through an array and back."""
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: padding_mode={mode!r}, expected one of {_PAD_MODES}")
    left, top, right, bottom = ltrb
    if _is_pil(img):
        from PIL import Image

        arr = np.asarray(img)  # (H, W) or (H, W, C)
        spec = [(top, bottom), (left, right)] + [(0, 0)] * (arr.ndim - 2)
        kw = {"constant_values": fill} if mode == "constant" else {}
        return Image.fromarray(np.pad(arr, spec, mode=mode, **kw), mode=img.mode)
    spec = [(0, 0)] * (img.ndim - 2) + [(top, bottom), (left, right)]
    kw = {"constant_values": fill} if mode == "constant" else {}
    return np.pad(img, spec, mode=mode, **kw)


def _resize_axis(x: np.ndarray, out: int, axis: int) -> np.ndarray:
    """Bilinear, half-pixel centres, no antialias: torch ``interpolate(align_corners=False)``."""
    n = x.shape[axis]
    if n == out:
        return x
    src = np.maximum((np.arange(out) + 0.5) * (n / out) - 0.5, 0.0)  # (out,)
    i0 = np.minimum(src.astype(np.intp), n - 1)
    i1 = np.minimum(i0 + 1, n - 1)
    lam = (src - i0).astype(x.dtype).reshape([-1] + [1] * (x.ndim - 1 - axis % x.ndim))
    return np.take(x, i0, axis) * (1 - lam) + np.take(x, i1, axis) * lam


def resize_bilinear(img: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize the last two axes of ``img`` to ``size`` = (h, w); uint8 is rounded back."""
    x = img.astype(np.float32) if img.dtype.kind != "f" else img
    y = _resize_axis(_resize_axis(x, size[0], -2), size[1], -1)
    if img.dtype == np.uint8:
        return np.clip(np.rint(y), 0, 255).astype(np.uint8)
    return y.astype(img.dtype, copy=False)


class Compose:
    """Apply transforms in order (torch: ``torchvision.transforms.Compose``)."""

    def __init__(self, transforms: Sequence[Callable]) -> None:
        self.transforms = list(transforms)

    def __call__(self, img: Any) -> Any:
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        inner = "".join(f"\n    {t!r}" for t in self.transforms)
        return f"{type(self).__name__}({inner}\n)"


class ToTensor:
    """Image (PIL, or ndarray (H, W) / (H, W, C)) -> float32 array (C, H, W).

    torch: ``torchvision.transforms.ToTensor``. uint8 values are divided by 255 (so they
    land in [0, 1]) and PIL mode "1" counts as 0/255; other dtypes become float32 unscaled.
    Returns a NumPy array: the DataLoader turns the batch into a lamina Tensor.
    """

    def __call__(self, pic: Any) -> np.ndarray:
        if _is_pil(pic):
            arr = np.asarray(pic)
            if pic.mode == "1":
                arr = arr.astype(np.uint8) * np.uint8(255)
        elif isinstance(pic, np.ndarray) and pic.ndim in (2, 3):
            arr = pic
        else:
            got = pic.shape if isinstance(pic, np.ndarray) else type(pic).__name__
            raise TypeError(f"ToTensor: got {got}, expected a PIL image or (H, W[, C]) array")
        arr = arr[:, :, None] if arr.ndim == 2 else arr  # (H, W, C)
        chw = np.ascontiguousarray(arr.transpose(2, 0, 1))  # (C, H, W)
        if chw.dtype == np.uint8:
            return chw.astype(np.float32) / np.float32(255.0)
        return chw.astype(np.float32)

    def __repr__(self) -> str:
        return "ToTensor()"


class Normalize:
    """``(x - mean[c]) / std[c]`` per channel of a (..., C, H, W) float array.

    torch: ``torchvision.transforms.Normalize``. The dtype of ``x`` is kept.
    """

    def __init__(self, mean: Sequence[float], std: Sequence[float]) -> None:
        self.mean = np.asarray(mean, dtype=np.float64).reshape(-1)
        self.std = np.asarray(std, dtype=np.float64).reshape(-1)
        if np.any(self.std == 0):
            raise ValueError(f"Normalize: std={list(std)}, expected no zero entries")

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = _check_array(x, "Normalize")
        if (
            x.ndim < 3
            or len(self.mean) not in (1, x.shape[-3])
            or len(self.std)
            not in (
                1,
                x.shape[-3],
            )
        ):
            raise ValueError(
                f"Normalize: input shape {x.shape} with {len(self.mean)} means and "
                f"{len(self.std)} stds, expected (..., C, H, W) with C matching (or 1)"
            )
        dtype = x.dtype if x.dtype.kind == "f" else np.float32
        mean = self.mean.astype(dtype).reshape(-1, 1, 1)
        std = self.std.astype(dtype).reshape(-1, 1, 1)
        return (x.astype(dtype, copy=False) - mean) / std

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean.tolist()}, std={self.std.tolist()})"


class Resize:
    """Resize to ``size`` (torch: ``torchvision.transforms.Resize``).

    ``size`` an int matches the shorter side (the longer becomes ``int(size * long /
    short)``, capped at ``max_size``); ``(h, w)`` is exact. ``interpolation`` is
    ``"bilinear"`` (default), ``"bicubic"`` or ``"nearest"`` (or an ``InterpolationMode``).
    Arrays ``(..., H, W)`` are resampled as torchvision resamples tensors: with
    ``antialias=True`` (the default) by Pillow's antialiasing filters, equal to torch's
    ``interpolate(..., antialias=True)``, so shrinking averages every input pixel; with
    ``antialias=False`` by torch's plain kernels. PIL images use Pillow's own filters.
    """

    def __init__(
        self,
        size: int | Sequence[int],
        interpolation: Any = "bilinear",
        max_size: int | None = None,
        antialias: bool = True,
    ) -> None:
        mode = getattr(interpolation, "value", interpolation)
        if mode not in ("bilinear", "bicubic", "nearest"):
            raise ValueError(
                f"Resize: interpolation={interpolation!r}, expected 'bilinear', 'bicubic' or "
                "'nearest'"
            )
        if max_size is not None and not (isinstance(size, int) or len(size) == 1):
            raise ValueError(
                "Resize: max_size should only be passed if size specifies the length of the "
                f"smaller edge, i.e. size should be an int or a sequence of length 1; got {size!r}"
            )
        self.size, self.max_size, self.antialias = size, max_size, antialias
        self.interpolation = InterpolationMode(mode)

    def output_size(self, h: int, w: int) -> tuple[int, int]:
        if not (isinstance(self.size, int) or len(self.size) == 1):
            return self._bounded(h, w, _pair(self.size, "Resize"))
        s = self.size if isinstance(self.size, int) else int(self.size[0])
        short, long = (h, w) if h <= w else (w, h)
        new_short, new_long = s, int(s * long / short)
        if self.max_size is not None:
            if self.max_size <= s:
                raise ValueError(
                    f"Resize: max_size = {self.max_size} must be strictly greater than the "
                    f"requested size for the smaller edge size = {s}"
                )
            if new_long > self.max_size:
                new_short, new_long = int(self.max_size * new_short / new_long), self.max_size
        out = (new_short, new_long) if h <= w else (new_long, new_short)
        return self._bounded(h, w, out)

    @staticmethod
    def _bounded(h: int, w: int, out: tuple[int, int]) -> tuple[int, int]:
        if out[0] * out[1] > _MAX_RESIZE_PIXELS:  # a 1 x 5000 strip would become 256 x 1.28M
            raise ValueError(
                f"Resize: input {h} x {w} would become {out[0]} x {out[1]}, more than "
                f"{_MAX_RESIZE_PIXELS} pixels (degenerate aspect ratio?)"
            )
        return out

    def __call__(self, img: Any) -> Any:
        h, w = _size_hw(img, "Resize")
        oh, ow = self.output_size(h, w)
        mode = self.interpolation.value
        if _is_pil(img):
            from PIL import Image

            filters = {"bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC}
            return img.resize((ow, oh), filters.get(mode, Image.NEAREST))
        return resize_array(img, (oh, ow), mode, self.antialias)

    def __repr__(self) -> str:
        return (
            f"Resize(size={self.size}, interpolation={self.interpolation.value}, "
            f"max_size={self.max_size}, antialias={self.antialias})"
        )


class CenterCrop:
    """Crop the centre ``size`` (torch: ``torchvision.transforms.CenterCrop``).

    The offsets are ``round((h - th) / 2)``, ``round((w - tw) / 2)``; an image smaller than
    ``size`` is first padded with zeros, as torchvision does.
    """

    def __init__(self, size: int | Sequence[int]) -> None:
        self.size = _pair(size, "CenterCrop")

    def __call__(self, img: Any) -> Any:
        th, tw = self.size
        h, w = _size_hw(img, "CenterCrop")
        if th > h or tw > w:
            pw, ph = max(tw - w, 0), max(th - h, 0)
            img = _pad(img, (pw // 2, ph // 2, (pw + 1) // 2, (ph + 1) // 2))
            h, w = _size_hw(img, "CenterCrop")
        return _crop(img, int(round((h - th) / 2.0)), int(round((w - tw) / 2.0)), th, tw)

    def __repr__(self) -> str:
        return f"CenterCrop(size={self.size})"


def _padding_ltrb(padding: int | Sequence[int]) -> tuple[int, int, int, int]:
    if isinstance(padding, int):
        return padding, padding, padding, padding
    if len(padding) == 2:
        return padding[0], padding[1], padding[0], padding[1]
    if len(padding) == 4:
        return tuple(padding)
    raise ValueError(f"RandomCrop: padding={padding!r}, expected an int, 2 or 4 ints")


class RandomCrop:
    """Crop a random ``size`` window after optional padding.

    torch: ``torchvision.transforms.RandomCrop(size, padding, pad_if_needed, fill,
    padding_mode)``; ``padding`` is an int (all sides), (left/right, top/bottom) or
    (left, top, right, bottom). The top row is drawn before the left column.
    """

    def __init__(
        self,
        size: int | Sequence[int],
        padding: int | Sequence[int] | None = None,
        pad_if_needed: bool = False,
        fill: float = 0,
        padding_mode: str = "constant",
    ) -> None:
        self.size = _pair(size, "RandomCrop")
        self.padding = None if padding is None else _padding_ltrb(padding)
        self.pad_if_needed, self.fill, self.padding_mode = pad_if_needed, fill, padding_mode
        if padding_mode not in _PAD_MODES:
            raise ValueError(f"RandomCrop: padding_mode={padding_mode!r}, expected {_PAD_MODES}")

    def __call__(self, img: Any) -> Any:
        if self.padding is not None:
            img = _pad(img, self.padding, self.fill, self.padding_mode)
        th, tw = self.size
        h, w = _size_hw(img, "RandomCrop")
        if self.pad_if_needed and (h < th or w < tw):
            pw, ph = max(tw - w, 0), max(th - h, 0)
            img = _pad(img, (pw, ph, pw, ph), self.fill, self.padding_mode)
            h, w = _size_hw(img, "RandomCrop")
        if h < th or w < tw:
            raise ValueError(f"RandomCrop: image {h}x{w} is smaller than the crop {th}x{tw}")
        rng = default_rng()
        top = int(rng.integers(0, h - th + 1))
        left = int(rng.integers(0, w - tw + 1))
        return _crop(img, top, left, th, tw)

    def __repr__(self) -> str:
        return f"RandomCrop(size={self.size}, padding={self.padding})"


class RandomHorizontalFlip:
    """Mirror left-right with probability ``p`` (torch: ``RandomHorizontalFlip``)."""

    def __init__(self, p: float = 0.5) -> None:
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"RandomHorizontalFlip: p={p!r}, expected 0 <= p <= 1")
        self.p = p

    def __call__(self, img: Any) -> Any:
        if default_rng().random() >= self.p:
            return img
        if _is_pil(img):
            from PIL import Image

            return img.transpose(Image.FLIP_LEFT_RIGHT)
        return np.ascontiguousarray(_check_array(img, "RandomHorizontalFlip")[..., ::-1])

    def __repr__(self) -> str:
        return f"RandomHorizontalFlip(p={self.p})"


class Lambda:
    """Wrap a function as a transform (torch: ``torchvision.transforms.Lambda``)."""

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        if not callable(fn):
            raise TypeError(f"Lambda: got {type(fn).__name__}, expected a callable")
        self.fn = fn

    def __call__(self, img: Any) -> Any:
        return self.fn(img)

    def __repr__(self) -> str:
        return f"Lambda({getattr(self.fn, '__name__', self.fn)!r})"


def imagenet_transform(size: int = 224, resize: int = 256) -> Compose:
    """The torchvision ImageNet evaluation preset.

    ``Resize(256) -> CenterCrop(224) -> ToTensor() -> Normalize(IMAGENET_MEAN,
    IMAGENET_STD)``. Give it a PIL image (as torchvision's weights expect); an array must
    already be (C, H, W) uint8 or float, since Resize and CenterCrop act on its last axes.
    """
    return Compose(
        [Resize(resize), CenterCrop(size), _ToTensorCHW(), Normalize(IMAGENET_MEAN, IMAGENET_STD)]
    )


class _ToTensorCHW(ToTensor):
    """ToTensor that lets a (C, H, W) array through (only scaling uint8)."""

    def __call__(self, pic: Any) -> np.ndarray:
        if isinstance(pic, np.ndarray) and pic.ndim == 3:
            scale = np.float32(255.0) if pic.dtype == np.uint8 else np.float32(1.0)
            return pic.astype(np.float32) / scale
        return super().__call__(pic)

    def __repr__(self) -> str:
        return "ToTensor()"
