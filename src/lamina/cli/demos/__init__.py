"""The demos behind ``lamina demo``: each trains something real on data lamina ships.

Each module's ``main(out_dir)`` trains with the Trainer (its progress bar, or one line per
epoch when the output is not a terminal), saves its model with ``save_pretrained`` and its
pictures under ``out_dir``, and returns a dict with ``figure`` (what it reached, one line)
and ``files`` (the paths written) beside its measured values.
"""

from __future__ import annotations

from typing import NamedTuple


class Demo(NamedTuple):
    module: str
    line: str
    minutes: str  # typical time on a busy 2-core machine with one BLAS thread
    in_all: bool = True  # run by a plain `lamina demo`


# a plain `lamina demo` runs those with in_all, in this order
DEMOS = {
    "ann": Demo("lamina.cli.demos.ann", "an MLP learns the 8x8 digits (softmax, Adam)", "20 s"),
    "cnn": Demo(
        "lamina.cli.demos.cnn", "a CNN on the digits; kernels and feature maps as PNG", "2-4 min"
    ),
    "rnn": Demo(
        "lamina.cli.demos.rnn", "a word-level LSTM language model of Shakespeare", "2-3 min"
    ),
    "gpt": Demo(
        "lamina.cli.demos.gpt",
        "a character GPT learns Shakespeare (nanoGPT's CPU recipe); not in a plain run",
        "30 min",
        in_all=False,
    ),
    "gan": Demo(
        "lamina.cli.demos.gan", "a DCGAN learns to draw the digits, quality scored", "1-2 min"
    ),
    "xor": Demo("lamina.cli.demos.xor", "a 2-2-1 sigmoid network learns XOR", "2 s"),
}


def run(name: str, out_dir: str) -> dict:
    """Run one demo by name; returns its result dict."""
    import importlib

    return importlib.import_module(DEMOS[name].module).main(out_dir)
