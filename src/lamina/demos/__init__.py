"""The demos behind ``lamina demo``: each trains something real on data lamina ships."""

from __future__ import annotations

import importlib

# name -> (module, one-line description); `lamina demo` alone runs them all in this order
DEMOS = {
    "ann": ("lamina.demos.ann", "an MLP (ReLU, softmax, Adam) learns the 8x8 digits, >= 97% test"),
    "cnn": ("lamina.demos.cnn", "a CNN on the 8x8 digits, with kernels and feature maps as PNG"),
    "rnn": (
        "lamina.models.rnn_demo",
        "a word-level LSTM language model of Shakespeare: perplexity, autocomplete, generated text",
    ),
    "gpt": (
        "lamina.models.gpt_demo",
        "a character GPT learns Shakespeare with nanoGPT's CPU recipe (about 1.9 nats/char)",
    ),
    "gan": ("lamina.demos.gan", "a DCGAN learns to draw the 8x8 digits, quality measured"),
    "xor": ("lamina.demos.xor", "a 2-2-1 sigmoid network learns XOR by backpropagation"),
}


def run(name: str, out_dir: str) -> dict:
    module, _ = DEMOS[name]
    return importlib.import_module(module).main(out_dir)
