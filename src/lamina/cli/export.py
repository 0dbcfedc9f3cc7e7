"""``lamina export --model-dir DIR --out FILE.onnx``: a saved model as an ONNX file.

The model is rebuilt with ``from_pretrained`` (a folder or its ``.safetensors`` file) and
traced once on an example input made from its saved config: an image of the saved size and
channels for a classifier, a short token sequence for a language model, ``latent_dim``
noise for a generator. ``--input-shape`` overrides it (and is needed for other models).
The file's first axis (the batch) is dynamic: it runs on any batch size.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

import numpy as np

from .predict import positive_int

TOKENS = 8  # example sequence length for a language model (positions beyond are dynamic)


def add_parsers(sub: argparse._SubParsersAction, parents: list) -> None:
    p = sub.add_parser(
        "export",
        parents=parents,
        help="write a saved model as an ONNX file (dynamic batch axis)",
        description=__doc__.split("\n", 2)[2],
        epilog="examples:\n  lamina export --model-dir lamina_out/cnn --out cnn.onnx\n"
        "  lamina export --model-dir lamina_out/ann --out ann.onnx --opset 18\n"
        "  lamina export --model-dir my_model --out m.onnx --input-shape 1 3 32 32",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--model-dir", required=True, help="a model saved by save_pretrained: folder or file"
    )
    p.add_argument("--out", required=True, help="the .onnx file to write")
    p.add_argument("--opset", type=int, default=None, help="ONNX opset, 17..21 (default 17)")
    p.add_argument(
        "--input-shape",
        type=positive_int,
        nargs="+",
        metavar="N",
        help="the example input's shape, batch first (e.g. 1 1 8 8); default from the config",
    )
    p.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    p.set_defaults(func=run)


def example_input(config: dict[str, Any], shape: list[int] | None) -> np.ndarray:
    """A batch-1 example input for the model a saved ``config`` describes (see module doc)."""
    from . import UsageError

    task, pre, extra = config["task"], config.get("preprocessing") or {}, config["extra"]
    if task == "language-model":
        args = config["args"]
        block = args.get("block_size", TOKENS) if isinstance(args, dict) else TOKENS
        return np.zeros(shape or (1, min(TOKENS, int(block))), np.int64)
    if shape is None:
        if task == "image-classification" and pre.get("imagenet"):
            shape = [1, 3, 224, 224]
        elif task == "image-classification" and "size" in pre:
            c, (h, w) = int(pre.get("channels", 1)), pre["size"]
            shape = [1, c * h * w] if pre.get("flatten") else [1, c, int(h), int(w)]
        elif task == "image-generation" and extra.get("latent_dim"):
            shape = [1, int(extra["latent_dim"])]
        else:
            raise UsageError(
                f"cannot tell this {task} model's input from its config; pass --input-shape "
                "(e.g. --input-shape 1 64)"
            )
    return np.random.default_rng(0).standard_normal(shape).astype(np.float32)


def run(args: argparse.Namespace) -> int:
    """Export ``args.model_dir`` to ``args.out``; errors propagate (one line in main)."""
    from ..models.pretrained import from_pretrained
    from ..onnx import DEFAULT_OPSET, export

    if not os.path.exists(args.model_dir):
        raise FileNotFoundError(f"no such model folder or file {args.model_dir!r}")
    if os.path.isdir(args.out):
        raise IsADirectoryError(f"--out {args.out!r} is a folder; expected a .onnx file name")
    if os.path.exists(args.out) and not args.force:
        raise FileExistsError(f"--out {args.out!r} exists; pass --force to overwrite it")
    model = from_pretrained(args.model_dir)
    x = example_input(model.pretrained_config, args.input_shape)
    opset = DEFAULT_OPSET if args.opset is None else args.opset
    axes = {"input": {0: "batch"}, "output": {0: "batch"}}
    export(model, x, args.out, ["input"], ["output"], axes, opset_version=opset)
    shape = ", ".join(["batch", *map(str, x.shape[1:])])
    size = os.path.getsize(args.out)
    name = model.pretrained_config["builder"]
    print(f"wrote {args.out} ({name}, input ({shape}) {x.dtype}, opset {opset}, {size:,} bytes)")
    return 0
