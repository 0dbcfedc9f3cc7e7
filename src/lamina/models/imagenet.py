"""ImageNet inference helpers: class names, torchvision's eval preprocessing, top-k.

The preprocessing is torchvision's ``ImageClassification`` preset for the IMAGENET1K_V1
weights: resize the shorter side to 256 (bilinear), center-crop 224, scale to [0, 1],
normalise with the ImageNet mean and std. Pillow is imported only when an image is read.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from .. import nn
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor

__all__ = ["IMAGENET_MEAN", "IMAGENET_STD", "imagenet_classes", "preprocess", "predict"]

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], np.float32)
_CLASSES = os.path.join(os.path.dirname(__file__), "imagenet_classes.json")


@lru_cache(maxsize=1)
def imagenet_classes() -> tuple[str, ...]:
    """The 1,000 ImageNet-1k class names in torchvision's order (its weights' categories)."""
    with open(_CLASSES, encoding="utf-8") as f:
        return tuple(json.load(f))


def _open_rgb(image):
    """RGB image with its size checked before decoding (a bomb or a 1 x 5000 strip is refused:
    resized to 256 it would be 256 x 1,280,000)."""
    from ..data.images import open_rgb

    return open_rgb(image)


def preprocess(image, resize: int = 256, crop: int = 224) -> np.ndarray:
    """One image (path or PIL image) as a normalised (3, crop, crop) float32 array.

    Same steps as torchvision's ``transforms.Compose([Resize(256), CenterCrop(224),
    ToTensor(), Normalize(IMAGENET_MEAN, IMAGENET_STD)])`` on a PIL image.
    """
    from PIL import Image

    img = _open_rgb(image)
    w, h = img.size
    if w <= h:  # shorter side -> resize, the other keeps the aspect ratio (truncated)
        size = (resize, int(resize * h / w))
    else:
        size = (int(resize * w / h), resize)
    img = img.resize(size, Image.BILINEAR)
    w, h = img.size
    if w < crop or h < crop:
        raise ValueError(f"preprocess: image {img.size} smaller than the crop {crop}")
    top, left = int(round((h - crop) / 2.0)), int(round((w - crop) / 2.0))
    img = img.crop((left, top, left + crop, top + crop))
    x = np.asarray(img, dtype=np.float32) / np.float32(255)  # (crop, crop, 3)
    x = (x - IMAGENET_MEAN) / IMAGENET_STD
    return np.ascontiguousarray(x.transpose(2, 0, 1))  # (3, crop, crop)


def predict(
    model: nn.Module,
    images: Sequence,
    top: int = 5,
    classes: Sequence[str] | None = None,
    batch_size: int = 8,
) -> list[list[tuple[str, float]]]:
    """Top-``top`` (class name, probability) per image, best first.

    Like running a torchvision classifier in eval mode under ``torch.no_grad()`` and taking
    ``softmax(logits).topk(top)``. The model is put in eval mode.

    Args:
        model: a classifier taking (N, 3, 224, 224) batches.
        images: paths (or PIL images).
        top: how many classes per image.
        classes: names for the model's outputs (default: the ImageNet-1k names).
        batch_size: images per forward pass.
    """
    if top < 1:
        raise ValueError(f"predict: top must be >= 1, got {top}")
    model.eval()
    out: list[list[tuple[str, float]]] = []
    for i in range(0, len(images), batch_size):
        batch = np.stack([preprocess(p) for p in images[i : i + batch_size]])
        with no_grad():
            logits = model(Tensor(batch)).numpy().astype(np.float64)  # (n, num_classes)
        names = imagenet_classes() if classes is None else classes
        if len(names) != logits.shape[1]:
            raise ValueError(
                f"predict: the model gives {logits.shape[1]} outputs but {len(names)} class "
                "names were given (pass classes=...)"
            )
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        for row in p:
            idx = np.argsort(-row, kind="stable")[:top]
            out.append([(names[j], float(row[j])) for j in idx])
    return out
