"""``lamina complete PROMPT --model-dir DIR``: continue text with a saved GPT.

DIR holds either a Hugging Face GPT-2 checkpoint (``config.json``, ``model.safetensors``,
``vocab.json``, ``merges.txt``) or the character GPT that ``lamina demo gpt`` saves
(``gpt.json`` + ``gpt.safetensors``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("prompt", help="the text to continue")
    parser.add_argument("--model-dir", required=True, help="a GPT-2 or `lamina demo gpt` folder")
    parser.add_argument("--tokens", type=int, default=40, help="new tokens to generate")
    parser.add_argument("--temperature", type=float, default=0.8)
    parser.add_argument("--top-k", type=int, default=40)
    parser.add_argument("--top-p", type=float, default=None)
    parser.add_argument("--seed", type=int, default=0)
    return parser


def complete_char_gpt(model_dir: str, prompt: str, tokens: int, **sampling) -> str:
    """Continue prompt with the character GPT saved by ``gpt_demo.save_model``."""
    from ..io import load
    from .gpt import GPT, GPTConfig

    with open(os.path.join(model_dir, "gpt.json"), encoding="utf-8") as f:
        meta = json.load(f)
    chars = list(meta["chars"])
    stoi = {c: i for i, c in enumerate(chars)}
    unknown = sorted({c for c in prompt if c not in stoi})
    if unknown:
        raise ValueError(f"characters {unknown} are not in the model's vocabulary")
    model = GPT(GPTConfig(**meta["config"]))
    model.load_state_dict(load(os.path.join(model_dir, "gpt.safetensors")))
    seed = sampling.pop("seed", 0)
    idx = np.array([[stoi[c] for c in prompt]], dtype=np.int64)
    out = model.eval().generate(idx, tokens, generator=np.random.default_rng(seed), **sampling)
    return "".join(chars[i] for i in out[0])


def run(args: argparse.Namespace) -> int:
    d = args.model_dir
    sampling = {"temperature": args.temperature, "top_k": args.top_k, "top_p": args.top_p}
    try:
        if os.path.exists(os.path.join(d, "gpt.json")):
            text = complete_char_gpt(d, args.prompt, args.tokens, seed=args.seed, **sampling)
        else:
            from .gpt2 import complete

            text = complete(d, args.prompt, args.tokens, seed=args.seed, **sampling)
    except (OSError, ValueError) as e:
        print(f"lamina complete: {e}", file=sys.stderr)
        return 2
    print(text)
    return 0
