"""``lamina complete PROMPT --model-dir DIR`` for GPT folders: continue text with a saved GPT.

DIR holds either a Hugging Face GPT-2 checkpoint (``config.json``, ``model.safetensors``,
``vocab.json``, ``merges.txt``) or the character GPT that ``lamina demo gpt`` saves
(``gpt.json`` + ``gpt.safetensors``).
"""

from __future__ import annotations

import argparse
import json
import os

import numpy as np


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The GPT sampling options of ``lamina complete``."""
    parser.add_argument("--tokens", type=int, default=40, help="GPT: new tokens to generate")
    parser.add_argument("--temperature", type=float, default=0.8, help="GPT: sampling temperature")
    parser.add_argument("--top-k", type=int, default=40, help="GPT: sample from the k likeliest")
    parser.add_argument("--top-p", type=float, default=None, help="GPT: nucleus sampling")
    parser.add_argument("--seed", type=int, default=0, help="GPT: random seed")
    return parser


def is_gpt_folder(model_dir: str) -> bool:
    """A ``lamina demo gpt`` folder or a Hugging Face GPT-2 checkpoint (not save_pretrained's)."""
    if os.path.isfile(os.path.join(model_dir, "gpt.json")):
        return True
    config = os.path.join(model_dir, "config.json")
    if not os.path.isfile(config) or os.path.getsize(config) > 1 << 20:
        return False
    try:
        with open(config, encoding="utf-8") as f:
            return json.load(f).get("format") != "lamina.pretrained"
    except (ValueError, AttributeError):
        return False


def complete_char_gpt(model_dir: str, prompt: str, tokens: int, **sampling) -> str:
    """Continue prompt with the character GPT saved by ``gpt_demo.save_model``."""
    from ..io import load
    from ..models.gpt import GPT, GPTConfig

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
    """Continue ``args.prompt`` with the GPT in ``args.model_dir``; errors propagate."""
    d = args.model_dir
    sampling = {"temperature": args.temperature, "top_k": args.top_k, "top_p": args.top_p}
    if os.path.exists(os.path.join(d, "gpt.json")):
        text = complete_char_gpt(d, args.prompt, args.tokens, seed=args.seed, **sampling)
    else:
        from ..models.gpt2 import complete

        text = complete(d, args.prompt, args.tokens, seed=args.seed, **sampling)
    print(text)
    return 0
