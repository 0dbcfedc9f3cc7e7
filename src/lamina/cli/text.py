"""``lamina complete PROMPT --model-dir DIR`` and ``lamina generate --model-dir DIR -n N OUT``.

``complete`` asks a saved language model (``lamina_out/rnn``) for the most likely next
words; ``generate`` draws ``n`` images from a saved GAN generator (``lamina_out/gan``)
into one PNG grid, or continues a prompt with a language model.
"""

from __future__ import annotations

import argparse
import os

import numpy as np

from . import gpt
from .predict import positive_int


def add_parsers(sub: argparse._SubParsersAction, parents: list) -> None:
    p = sub.add_parser(
        "complete",
        parents=parents,
        help="the likeliest next words after a prompt, with a saved language model",
        description="Print the k likeliest next words after PROMPT and their probabilities "
        "(a saved lamina language model), or continue PROMPT (a GPT folder).",
        epilog='example:\n  lamina complete "to be or not to" --model-dir lamina_out/rnn',
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("prompt", help="the text to continue (quote it)")
    p.add_argument(
        "--model-dir",
        required=True,
        help="a language model saved by save_pretrained (next words), or a GPT folder "
        "('lamina demo gpt' or a Hugging Face GPT-2 checkpoint: continues the text)",
    )
    p.add_argument("-k", "--top", type=positive_int, default=5, help="how many words to show")
    gpt.add_arguments(p)
    p.set_defaults(func=complete)
    g = sub.add_parser(
        "generate",
        parents=parents,
        help="draw images with a saved GAN generator (or text with a language model)",
        description="Draw N samples from a saved generator into one PNG grid (OUT), or with "
        "a language model continue --prompt by N words.",
        epilog="examples:\n  lamina generate --model-dir lamina_out/gan -n 64 grid.png\n"
        '  lamina generate --model-dir lamina_out/rnn --prompt "my lord," -n 40',
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    g.add_argument("out", nargs="?", help="the PNG file to write (images)")
    g.add_argument("--model-dir", required=True, help="a model saved by save_pretrained")
    g.add_argument("-n", type=positive_int, default=64, help="images (or words) to draw")
    g.add_argument("--seed", type=int, default=0, help="random seed")
    g.add_argument("--prompt", help="the text to continue (language models)")
    g.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    g.set_defaults(func=generate)


def _load(path: str, task: str, command: str):
    from ..nn import Module

    if not os.path.exists(path):
        raise FileNotFoundError(f"no such model folder or file {path!r}")
    model = Module.from_pretrained(path)
    found = model.pretrained_config["task"]
    if found != task:
        raise ValueError(f"{path}: holds a {found} model; 'lamina {command}' needs task {task!r}")
    return model


def complete(args: argparse.Namespace) -> int:
    from ..models.generation import complete as next_words
    from ..models.pretrained import load_tokenizer

    if not os.path.exists(args.model_dir):
        raise FileNotFoundError(f"no such model folder or file {args.model_dir!r}")
    if os.path.isdir(args.model_dir) and gpt.is_gpt_folder(args.model_dir):
        return gpt.run(args)
    model = _load(args.model_dir, "language-model", "complete")
    tok = load_tokenizer(args.model_dir)
    for word, p in next_words(model, tok, args.prompt, k=args.top):
        print(f"  {p:6.1%}  {word!r}")
    return 0


def generate(args: argparse.Namespace) -> int:
    from .. import manual_seed
    from . import UsageError

    manual_seed(args.seed)
    if args.prompt is not None:
        from ..models.generation import generate as continue_text
        from ..models.pretrained import load_tokenizer

        model = _load(args.model_dir, "language-model", "generate --prompt")
        text = continue_text(model, load_tokenizer(args.model_dir), args.prompt, args.n, 0.8, 20)
        print(args.prompt + " " + text)
        return 0
    if args.out is None:
        raise UsageError("name the PNG file to write, e.g. 'lamina generate ... grid.png'")
    if os.path.isdir(args.out):
        raise IsADirectoryError(f"OUT {args.out!r} is a folder; expected a .png file name")
    if os.path.exists(args.out) and not args.force:
        raise FileExistsError(f"OUT {args.out!r} exists; pass --force to overwrite it")
    model = _load(args.model_dir, "image-generation", "generate")
    images = sample_images(model, args.n)
    from ..viz.images import save_image_grid

    nrow = int(np.ceil(np.sqrt(args.n)))
    save_image_grid(images, args.out, nrow, scale=8, normalize=True, value_range=(-1, 1))
    print(f"wrote {args.n} samples to {args.out}")
    return 0


def sample_images(generator, n: int) -> np.ndarray:
    """``n`` images (N, C, H, W) in [-1, 1] from a generator taking (N, latent_dim) noise."""
    from .. import randn
    from ..autograd.grad_mode import no_grad

    latent = int(generator.pretrained_config["extra"].get("latent_dim", 0))
    if latent < 1:
        raise ValueError("the generator's config has no 'latent_dim' in its 'extra' entry")
    generator.eval()
    with no_grad():
        return generator(randn(n, latent)).numpy()
