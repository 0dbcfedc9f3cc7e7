"""``lamina demo gpt``: a character GPT learns Shakespeare with nanoGPT's CPU recipe.

The training code is :mod:`lamina.models.gpt_demo` (2,000 AdamW iterations; about 34
minutes on a busy 2-core machine), so this demo is not part of a plain ``lamina demo``.
It saves ``gpt.json`` and ``gpt.safetensors``, which ``lamina complete PROMPT --model-dir
lamina_out/gpt`` continues.
"""

from __future__ import annotations

import os


def main(out_dir: str) -> dict:
    from lamina.models import gpt_demo

    result = gpt_demo.main(out_dir)
    names = ("gpt.safetensors", "gpt.json", "gpt_history.json")
    return {
        "figure": f"validation loss {result['val_loss']:.3f} nats/char (nanoGPT: 1.88)",
        "files": [os.path.join(out_dir, n) for n in names],
        **result,
    }
