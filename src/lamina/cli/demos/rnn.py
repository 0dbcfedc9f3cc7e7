"""``lamina demo rnn``: a word-level LSTM language model of Shakespeare in about two minutes.

Trains embedding -> LSTM -> linear on the bundled Shakespeare text with Adam, gradient
clipping and truncated windows, through the Trainer (its progress bar shows the loss;
``val_loss`` is the mean cross-entropy on held-out text, so perplexity = exp(val_loss)).
Then prints the perplexity next to a unigram baseline, autocomplete suggestions for a few
prompts and a generated passage, and saves the model with its tokenizer
(``lamina complete "to be or" --model-dir lamina_out/rnn`` uses them).
"""

from __future__ import annotations

import json
import math
import os

import numpy as np

from ... import manual_seed, nn, no_grad
from ...data.text import LMWindowDataset, WordTokenizer, load_shakespeare
from ...models.generation import complete, generate
from ...models.rnn import RNNLanguageModel, lm_loss
from ...nn.utils import clip_grad_norm_
from ...optim import Adam
from ...tensor import Tensor
from ...train import Trainer

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


class LogitsOnly(nn.Module):
    """The language model's logits without its state: what the Trainer's loss needs."""

    def __init__(self, lm: RNNLanguageModel) -> None:
        super().__init__()
        self.lm = lm

    def forward(self, idx):
        return self.lm(idx)[0]


class ClippedTrainer(Trainer):
    """The Trainer with gradient-norm clipping between backward and step (Keras: clipnorm)."""

    def __init__(self, *args, max_norm: float = 1.0, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.max_norm = max_norm

    def train_step(self, batch):
        x, y = batch
        self.optimizer.zero_grad()
        loss = self.loss_fn(self.model(x), y)
        loss.backward()
        clip_grad_norm_(self.model.parameters(), self.max_norm)
        self.optimizer.step()
        return {"loss": float(loss.item())}


class RandomWindows:
    """``steps`` shuffled batches of windows per epoch (an epoch need not cover the text)."""

    def __init__(self, ds: LMWindowDataset, batch_size: int, steps: int) -> None:
        self.ds, self.batch_size, self.steps = ds, batch_size, steps

    def __len__(self) -> int:
        return self.steps

    def __iter__(self):
        done = 0
        while True:
            for x, y in self.ds.batches(self.batch_size):
                yield Tensor(x), y
                done += 1
                if done == self.steps:
                    return


def run_rnn_demo(
    out_dir: str,
    steps: int = 300,
    epochs: int = 3,
    seed: int = 0,
    vocab: int = 2000,
    hidden: int = 256,
    lr: float = 3e-3,
    chars: int | None = None,
    verbose: int = 1,
    log=print,
) -> dict:
    """Train and show a word-level LSTM LM; saves it with its tokenizer to ``out_dir``.

    Args:
        out_dir: folder for the saved model (``config.json``, ``model.safetensors``,
            ``tokenizer.json``) and ``results.json``.
        steps: training steps (batches of 32 windows of 32 words), split into ``epochs``
            epochs; 300 take about two minutes on one free core.
        epochs: how many epochs (each ends with the validation loss).
        vocab, hidden, lr: vocabulary size (most frequent words), LSTM width, Adam rate.
        chars: use only the first ``chars`` characters of the corpus (smoke runs).
        verbose: the Trainer's verbosity (0 silent, 1 bar, 2 one line per epoch).

    Returns:
        dict with ``figure``, ``files``, ``val_ppl``, ``unigram_ppl``, ``steps``.
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
    per_epoch = max(1, steps // epochs)
    log(f"word LSTM LM, {n_params:,} parameters, Adam, {epochs} epochs of {per_epoch} steps")
    trainer = ClippedTrainer(LogitsOnly(model), lm_loss, Adam(model.parameters(), lr=lr))
    history = trainer.fit(
        RandomWindows(train, 32, per_epoch), epochs=epochs, validation_data=val, verbose=verbose
    )
    model.eval()
    ppl = math.exp(history.history["val_loss"][-1])
    uni = unigram_perplexity(train_ids, val_ids, len(tok))
    log(f"validation perplexity {ppl:.1f}  (unigram baseline {uni:.1f})")
    for p in PROMPTS:
        sugg = ", ".join(f"{w!r} {pr:.2f}" for w, pr in complete(model, tok, p, k=5))
        log(f"  {p!r} -> {sugg}")
    passage = generate(model, tok, "first citizen :\n", 80, temperature=0.8, top_k=20)
    log("generated:\nfirst citizen:\n" + passage)
    model.save_pretrained(out_dir, task="language-model", tokenizer=tok)
    result = {"val_ppl": ppl, "unigram_ppl": uni, "steps": per_epoch * epochs}
    results = os.path.join(out_dir, "results.json")
    with open(results, "w") as f:
        json.dump({**result, "sample": passage}, f, indent=1)
    names = ("model.safetensors", "config.json", "tokenizer.json")
    return {
        "figure": f"perplexity {ppl:.0f} (unigram baseline {uni:.0f})",
        "files": [os.path.join(out_dir, n) for n in names] + [results],
        **result,
    }


def main(out_dir: str) -> dict:
    return run_rnn_demo(out_dir)
