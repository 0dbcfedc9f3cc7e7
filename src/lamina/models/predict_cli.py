"""``lamina predict IMAGE... --model resnet50 --weights FILE --top 5``."""

from __future__ import annotations

import argparse
import os
import sys

MODELS = (
    "alexnet", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19",
    "vgg19_bn", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
    "resnext50_32x4d", "wide_resnet50_2",
)  # fmt: skip


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The predict options, for a stand-alone parser or a ``lamina`` sub-command."""
    parser.add_argument("images", nargs="+", help="image files (JPEG, PNG, ...)")
    parser.add_argument("--model", default="resnet50", choices=MODELS, help="architecture")
    parser.add_argument(
        "--weights", required=True, help="torchvision weights (.pth or .safetensors)"
    )
    parser.add_argument("--top", type=int, default=5, help="classes shown per image")
    return parser


def run(args: argparse.Namespace) -> int:
    """Classify ``args.images``; prints one block per image. Returns the exit status."""
    from .. import models
    from .imagenet import predict

    missing = [p for p in args.images if not os.path.isfile(p)]
    if missing:
        print(f"lamina predict: no such image file {missing[0]!r}", file=sys.stderr)
        return 2
    if not os.path.isfile(args.weights):
        print(f"lamina predict: no such weights file {args.weights!r}", file=sys.stderr)
        return 2
    model = getattr(models, args.model)(weights=args.weights)
    classes = None
    if model.state_dict(keep_vars=True)[_head(args.model)].shape[0] != 1000:
        n = model.state_dict(keep_vars=True)[_head(args.model)].shape[0]
        classes = [f"class {i}" for i in range(n)]
    for path, top in zip(args.images, predict(model, args.images, top=args.top, classes=classes)):
        print(path)
        for name, p in top:
            print(f"  {p:7.2%}  {name}")
    return 0


def _head(model: str) -> str:
    return "fc.weight" if model.startswith(("resnet", "resnext", "wide")) else "classifier.6.weight"


def predict_main(argv: list[str] | None = None) -> int:
    """Entry point: parse ``argv`` (default ``sys.argv[1:]``) and classify the images."""
    parser = argparse.ArgumentParser(
        prog="lamina predict", description="ImageNet top-k with a zoo model"
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(predict_main())
