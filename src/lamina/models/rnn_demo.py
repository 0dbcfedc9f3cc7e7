"""``lamina demo rnn``: a word-level LSTM language model of Shakespeare in about two minutes.

Trains embedding -> LSTM -> linear on the bundled Shakespeare text with Adam and
truncated windows, then prints validation perplexity next to a unigram baseline,
autocomplete suggestions for a few prompts and a generated passage.
"""

from __future__ import annotations

import json
import math
import os
import time

import numpy as np

from ..autograd.grad_mode import no_grad
from ..data.text import LMWindowDataset, WordTokenizer, complete, generate, load_shakespeare
from ..nn.utils import clip_grad_norm_
from ..optim import Adam
from ..random import manual_seed
from ..tensor import Tensor
from .rnn import RNNLanguageModel, lm_loss

PROMPTS = ("to be or not to", "my lord, i", "what is your", "the king")


def perplexity(model, ds: LMWindowDataset, batch_size: int = 64) -> float:
    """exp(mean token cross-entropy) of model over every window of ds."""
    total, count = 0.0, 0
    with no_grad():
        for x, y in ds.batches(batch_size, shuffle=False):
            logits, _ = model(Tensor(x))
            total += float(lm_loss(logits, y).item()) * y.size
            count += y.size
    return math.exp(total / count)


def unigram_perplexity(train_ids, val_ids, vocab_size: int) -> float:
    """Perplexity of add-one-smoothed unigram frequencies from train, on val."""
    counts = np.bincount(train_ids, minlength=vocab_size) + 1.0
    logp = np.log(counts / counts.sum())
    return math.exp(-logp[val_ids].mean())


def train_lm(model, train: LMWindowDataset, steps: int, seconds=None, lr=3e-3, batch=32, log=print):
    """Adam for ``steps`` steps (or until ``seconds`` pass); returns the steps done."""
    opt = Adam(model.parameters(), lr=lr)
    t0, done, smooth = time.perf_counter(), 0, None
    while done < steps:
        for x, y in train.batches(batch):
            loss = lm_loss(model(Tensor(x))[0], y)
            opt.zero_grad()
            loss.backward()
            clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            done += 1
            smooth = loss.item() if smooth is None else 0.95 * smooth + 0.05 * loss.item()
            el = time.perf_counter() - t0
            if done % 50 == 0:
                log(f"  step {done:4d}  loss {smooth:.3f}  ppl {math.exp(smooth):7.1f}  {el:4.0f}s")
            if done >= steps or (seconds is not None and el >= seconds):
                return done
    return done


def run_rnn_demo(
    out_dir: str,
    steps: int = 300,
    seconds: float | None = None,
    seed: int = 0,
    vocab: int = 2000,
    hidden: int = 256,
    lr: float = 3e-3,
    chars: int | None = None,
    log=print,
) -> dict:
    """Train and show a word-level LSTM LM; writes tokenizer and results JSON to out_dir.

    Args:
        out_dir: folder for ``tokenizer.json`` and ``results.json``.
        steps: training steps (batches of 32 windows of 32 words); 300 take about two
            minutes on one free core, and fix the results for a given seed.
        seconds: optional time cap on training (results then depend on the machine).
        vocab, hidden, lr: vocabulary size (most frequent words), LSTM width, Adam rate.
        chars: use only the first ``chars`` characters of the corpus (smoke runs).

    Returns:
        dict with ``val_ppl``, ``unigram_ppl``, ``steps`` and ``vocab``.
    """
    manual_seed(seed)
    text = load_shakespeare()[:chars]
    cut = int(len(text) * 0.9)
    tok = WordTokenizer.fit(text[:cut], min_freq=3, max_size=vocab)
    train_ids, val_ids = tok.encode(text[:cut]), tok.encode(text[cut:])
    train, val = LMWindowDataset(train_ids, 32), LMWindowDataset(val_ids, 32)
    log(f"Shakespeare: {len(train_ids):,} train / {len(val_ids):,} val words, vocab {len(tok)}")
    model = RNNLanguageModel(len(tok), embed_dim=128, hidden_size=hidden)
    n_params = sum(p.numel() for p in model.parameters())
    log(f"word LSTM LM, {n_params:,} parameters, Adam, {steps} steps")
    t0 = time.perf_counter()
    steps = train_lm(model, train, steps, seconds, lr=lr, log=log)
    minutes = (time.perf_counter() - t0) / 60
    model.eval()
    ppl, uni = perplexity(model, val), unigram_perplexity(train_ids, val_ids, len(tok))
    log(f"validation perplexity {ppl:.1f}  (unigram baseline {uni:.1f})")
    for p in PROMPTS:
        sugg = ", ".join(f"{w!r} {pr:.2f}" for w, pr in complete(model, tok, p, k=5))
        log(f"  {p!r} -> {sugg}")
    passage = generate(model, tok, "first citizen :\n", 80, temperature=0.8, top_k=20)
    log("generated:\nfirst citizen:\n" + passage)
    result = {"val_ppl": ppl, "unigram_ppl": uni, "steps": steps, "train_minutes": minutes}
    os.makedirs(out_dir, exist_ok=True)
    tok.save(os.path.join(out_dir, "tokenizer.json"))
    with open(os.path.join(out_dir, "results.json"), "w") as f:
        json.dump({**result, "sample": passage}, f, indent=1)
    return result


main = run_rnn_demo
