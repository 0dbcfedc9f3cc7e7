"""``lamina predict IMAGE...``: top classes with a saved model or a torchvision zoo model.

Two ways to name the model:

- ``--model-dir DIR_OR_FILE``: a model saved with ``save_pretrained`` (``lamina demo``
  writes ``lamina_out/cnn`` and ``lamina_out/ann``); its config gives the class names and
  how to prepare an image (size, channels, inversion, normalisation).
- ``--model resnet50 --weights FILE``: a zoo architecture with a torchvision weights file
  (``.pth`` or ``.safetensors``), ImageNet preprocessing and class names.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

import numpy as np

MODELS = (
    "alexnet", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19",
    "vgg19_bn", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
    "resnext50_32x4d", "wide_resnet50_2",
)  # fmt: skip
MAX_PIXELS = 40_000_000  # a 40-megapixel photo is fine; a decompression bomb is not
MAX_ASPECT = 50  # a 1x5000 strip is no photograph and would resize into a huge image


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {value}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The predict options, for a stand-alone parser or the ``lamina predict`` sub-command."""
    parser.add_argument("images", nargs="+", metavar="IMAGE", help="image files (PNG, JPEG ...)")
    parser.add_argument(
        "--model-dir", help="a model saved with save_pretrained: its folder or its .safetensors"
    )
    parser.add_argument("--model", choices=MODELS, help="a zoo architecture (with --weights)")
    parser.add_argument("--weights", help="torchvision weights for --model (.pth/.safetensors)")
    parser.add_argument("--top", type=positive_int, default=5, help="classes shown per image")
    return parser


def add_parsers(sub: argparse._SubParsersAction, parents: list) -> None:
    p = sub.add_parser(
        "predict",
        parents=parents,
        help="top classes of images, with your saved model or a zoo model",
        description=__doc__.split("\n", 2)[2],
        epilog="examples:\n  lamina predict lamina_out/cnn/digit_7.png --model-dir lamina_out/cnn"
        "\n  lamina predict cat.jpg --model resnet50 --weights resnet50-0676ba61.pth --top 3",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(p)
    p.set_defaults(func=run)


def _is_file(path: str, what: str) -> None:
    if os.path.isdir(path):
        raise IsADirectoryError(f"{what} {path!r} is a folder; expected a file")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no such {what} {path!r}")


def run(args: argparse.Namespace) -> int:
    """Classify ``args.images``; prints one block per image. Returns the exit status."""
    from . import UsageError

    if (args.model_dir is None) == (args.weights is None):
        raise UsageError("give either --model-dir DIR (a saved model) or --weights FILE")
    if args.model_dir is not None and args.model is not None:
        raise UsageError("--model goes with --weights; --model-dir already names the model")
    for path in args.images:
        _is_file(path, "image file")
    if args.model_dir is not None:
        results = _predict_saved(args.model_dir, args.images, args.top)
    else:
        _is_file(args.weights, "weights file")
        results = _predict_zoo(args.model or "resnet50", args.weights, args.images, args.top)
    for path, top in zip(args.images, results):
        print(path)
        for name, p in top:
            print(f"  {p:7.2%}  {name}")
    return 0


def _predict_zoo(name: str, weights: str, images: list[str], top: int) -> list:
    from .. import models
    from ..models.imagenet import predict

    for path in images:
        _open_checked(path).close()
    model = getattr(models, name)(weights=weights)
    n = model.state_dict(keep_vars=True)[_head(name)].shape[0]
    classes = None if n == 1000 else [f"class {i}" for i in range(n)]
    return predict(model, images, top=top, classes=classes)


def _head(model: str) -> str:
    return "fc.weight" if model.startswith(("resnet", "resnext", "wide")) else "classifier.6.weight"


def _predict_saved(path: str, images: list[str], top: int) -> list:
    from ..autograd.grad_mode import no_grad
    from ..nn import Module
    from ..tensor import Tensor

    model = Module.from_pretrained(path)
    config = model.pretrained_config
    if config["task"] != "image-classification":
        raise ValueError(
            f"{path}: holds a {config['task']} model, not an image classifier"
            + ("; try 'lamina complete'" if config["task"] == "language-model" else "")
        )
    pre = config.get("preprocessing") or {}
    batch = np.stack([prepare_image(p, pre) for p in images])
    with no_grad():
        logits = model(Tensor(batch)).numpy().astype(np.float64)
    names = config.get("class_names") or [str(i) for i in range(logits.shape[1])]
    if len(names) != logits.shape[1]:
        raise ValueError(f"{path}: {len(names)} class names for {logits.shape[1]} outputs")
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    return [[(names[j], float(row[j])) for j in np.argsort(-row, kind="stable")[:top]] for row in p]


def _open_checked(path: str) -> Any:
    """A PIL image whose size is checked before any pixel is decoded."""
    from PIL import Image

    try:
        img = Image.open(path)
    except (OSError, ValueError, Image.DecompressionBombError) as e:
        raise ValueError(f"cannot read image {path!r}: {e}") from None
    w, h = img.size
    if w * h > MAX_PIXELS or max(w, h) > MAX_ASPECT * min(w, h):
        img.close()
        raise ValueError(
            f"image {path!r} is {w}x{h}: expected at most {MAX_PIXELS:,} pixels and an aspect "
            f"ratio within {MAX_ASPECT}:1"
        )
    return img


def prepare_image(path: str, pre: dict[str, Any]) -> np.ndarray:
    """One image as the model's input, following a saved model's ``preprocessing``.

    Keys: ``size`` [H, W] (area resize), ``channels`` 1 or 3, ``invert`` ``"auto"`` (dark
    ink on a light background becomes light on dark, as the digits are stored), ``mean``
    and ``std`` (per channel, or per value after ``flatten``), ``flatten``. Pixels are
    scaled to [0, 1] first. ImageNet models use ``{"imagenet": true}``.
    """
    from PIL import Image

    if pre.get("imagenet"):
        from ..models.imagenet import preprocess

        _open_checked(path).close()
        return preprocess(path)
    img = _open_checked(path)
    try:
        img = img.convert("L" if pre.get("channels", 1) == 1 else "RGB")
        h, w = pre.get("size", img.size[::-1])
        x = np.asarray(img.resize((int(w), int(h)), Image.BOX), dtype=np.float32) / 255.0
    except (OSError, ValueError) as e:
        raise ValueError(f"cannot read image {path!r}: {e}") from None
    finally:
        img.close()
    x = x[None] if x.ndim == 2 else x.transpose(2, 0, 1)  # (C, H, W)
    if pre.get("invert") == "auto" and _border_mean(x) > 0.5:
        x = 1.0 - x
    if pre.get("flatten"):
        x = x.reshape(-1)
    mean, std = pre.get("mean"), pre.get("std")
    if mean is not None:
        shape = (-1,) if pre.get("flatten") else (-1, 1, 1)
        x = (x - np.asarray(mean, np.float32).reshape(shape)) / np.asarray(std, np.float32).reshape(
            shape
        )
    return x.astype(np.float32)


def _border_mean(x: np.ndarray) -> float:
    """Mean of the outermost pixels: the background's brightness."""
    edge = np.concatenate([x[:, 0], x[:, -1], x[:, :, 0], x[:, :, -1]], axis=None)
    return float(edge.mean())


def predict_main(argv: list[str] | None = None) -> int:
    """Same as ``lamina predict ARGS``; returns the exit status."""
    from . import main

    return main(["predict", *(sys.argv[1:] if argv is None else argv)])
