"""A character-level GPT on Shakespeare with nanoGPT's CPU recipe (``main(out_dir)``).

nanoGPT's ``shakespeare_char`` CPU run: 4 layers, 4 heads, 128-wide embeddings, block 64,
batch 12, 2,000 iterations of AdamW (lr 1e-3, beta2 0.99, weight decay 0.1 on matrices)
with 100 warm-up iterations and cosine decay to 1e-4, gradient clipping at 1, dropout 0.
nanoGPT reports a validation loss of about 1.88 nats/char. Prints the losses, the time
and samples; saves ``gpt.safetensors`` and ``gpt.json`` (config + vocabulary) to out_dir.
"""

from __future__ import annotations

import json
import math
import os
import time

import numpy as np

from ..autograd.grad_mode import no_grad
from ..data.text import load_shakespeare
from ..io import save
from ..nn.utils import clip_grad_norm_
from ..optim import AdamW
from ..random import manual_seed
from .gpt import GPT, GPTConfig

RECIPE = {
    "n_layer": 4, "n_head": 4, "n_embd": 128, "block_size": 64, "batch_size": 12,
    "max_iters": 2000, "lr": 1e-3, "min_lr": 1e-4, "warmup_iters": 100, "beta2": 0.99,
    "weight_decay": 0.1, "grad_clip": 1.0, "dropout": 0.0, "eval_interval": 250,
    "eval_iters": 20,
}  # fmt: skip


def char_data(text: str):
    """nanoGPT's prepare.py: sorted characters as the vocabulary, 90 % train / 10 % val."""
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    ids = np.array([stoi[c] for c in text], dtype=np.int64)
    cut = int(0.9 * len(ids))
    return chars, ids[:cut], ids[cut:]


def get_batch(data: np.ndarray, block: int, batch: int, rng: np.random.Generator):
    if len(data) <= block:
        raise ValueError(f"gpt demo: {len(data)} characters cannot fill a block of {block} + 1")
    starts = rng.integers(0, len(data) - block, batch)
    x = np.stack([data[s : s + block] for s in starts])
    y = np.stack([data[s + 1 : s + 1 + block] for s in starts])
    return x, y


def lr_at(it: int, r: dict) -> float:
    """Linear warm-up, then cosine decay to min_lr at max_iters (nanoGPT's get_lr)."""
    if it < r["warmup_iters"]:
        return r["lr"] * (it + 1) / (r["warmup_iters"] + 1)
    ratio = min(1.0, (it - r["warmup_iters"]) / max(1, r["max_iters"] - r["warmup_iters"]))
    return r["min_lr"] + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (r["lr"] - r["min_lr"])


def estimate_loss(model, splits: dict, r: dict, rng) -> dict:
    out = {}
    model.eval()
    with no_grad():
        for name, data in splits.items():
            losses = [
                model(*get_batch(data, r["block_size"], r["batch_size"], rng))[1].item()
                for _ in range(r["eval_iters"])
            ]
            out[name] = float(np.mean(losses))
    model.train()
    return out


def make_optimizer(model, r: dict) -> AdamW:
    """Weight decay on matrices only (nanoGPT's configure_optimizers)."""
    params = list(model.parameters())
    groups = [
        {"params": [p for p in params if p.ndim >= 2], "weight_decay": r["weight_decay"]},
        {"params": [p for p in params if p.ndim < 2], "weight_decay": 0.0},
    ]
    return AdamW(groups, lr=r["lr"], betas=(0.9, r["beta2"]))


def train(recipe: dict | None = None, text: str | None = None, seed: int = 1337, log=print):
    """Train a char GPT; returns (model, chars, history) with history's losses and times."""
    r = {**RECIPE, **(recipe or {})}
    manual_seed(seed)
    rng = np.random.default_rng(seed)
    chars, train_ids, val_ids = char_data(text if text is not None else load_shakespeare())
    keys = ("n_layer", "n_head", "n_embd", "block_size", "dropout")
    model = GPT(GPTConfig(vocab_size=len(chars), **{k: r[k] for k in keys}))
    opt = make_optimizer(model, r)
    hist = {"iter": [], "train": [], "val": [], "seconds": []}
    t0 = time.perf_counter()
    for it in range(r["max_iters"] + 1):
        if it % r["eval_interval"] == 0 or it == r["max_iters"]:
            losses = estimate_loss(model, {"train": train_ids, "val": val_ids}, r, rng)
            elapsed = time.perf_counter() - t0
            for k, v in (("iter", it), ("train", losses["train"]), ("val", losses["val"])):
                hist[k].append(v)
            hist["seconds"].append(elapsed)
            log(f"iter {it:5d}  train {losses['train']:.4f}  val {losses['val']:.4f}  "
                f"({elapsed:.0f} s)")  # fmt: skip
        if it == r["max_iters"]:
            break
        for g in opt.param_groups:
            g["lr"] = lr_at(it, r)
        _, loss = model(*get_batch(train_ids, r["block_size"], r["batch_size"], rng))
        opt.zero_grad()
        loss.backward()
        clip_grad_norm_(model.parameters(), r["grad_clip"])
        opt.step()
    return model, chars, hist


def sample(model, chars, prompt: str = "\n", tokens: int = 300, seed: int = 0, **kw) -> str:
    stoi = {c: i for i, c in enumerate(chars)}
    idx = np.array([[stoi.get(c, 0) for c in prompt]])
    out = model.generate(idx, tokens, generator=np.random.default_rng(seed), **kw)
    return "".join(chars[i] for i in out[0])


def save_model(model, chars, out_dir: str) -> str:
    """``gpt.safetensors`` (state dict) and ``gpt.json`` (config and vocabulary)."""
    os.makedirs(out_dir, exist_ok=True)
    save(model, os.path.join(out_dir, "gpt.safetensors"))
    meta = {"model": "lamina.models.gpt.GPT", "config": model.config.to_dict(), "chars": chars}
    with open(os.path.join(out_dir, "gpt.json"), "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=1)
    return os.path.join(out_dir, "gpt.safetensors")


def main(out_dir: str = "lamina_out", recipe: dict | None = None) -> dict:
    t0 = time.perf_counter()
    model, chars, hist = train(recipe)
    seconds = time.perf_counter() - t0
    print(f"validation loss {hist['val'][-1]:.4f} nats/char after {hist['iter'][-1]} "
          f"iterations in {seconds:.0f} s (nanoGPT's CPU run: 1.88)")  # fmt: skip
    print("--- sample (temperature 0.8, top-k 40):")
    print(sample(model, chars, temperature=0.8, top_k=40))
    path = save_model(model, chars, out_dir)
    with open(os.path.join(out_dir, "gpt_history.json"), "w", encoding="utf-8") as f:
        json.dump(hist, f)
    print(f"saved {path}")
    return {"val_loss": hist["val"][-1], "iterations": hist["iter"][-1], "seconds": seconds}
