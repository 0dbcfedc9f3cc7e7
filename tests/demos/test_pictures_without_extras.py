"""Without matplotlib or Pillow the demos still save, and say in one line what they skipped."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CODE = """
import sys
sys.modules["matplotlib"] = None  # as if not installed: importing it fails
sys.modules["PIL"] = None
import numpy as np
from lamina.cli.demos import cnn, gan
from lamina.data.datasets import load_digits
from lamina.models import digits_cnn
xt, yt = load_digits("test")
out = sys.argv[1]
print(cnn.save_pictures(digits_cnn(), xt[:50], yt[:50], out))
frames = [(1, xt[:64] * 2 - 1)]
history = {"epoch": [1], "d_loss": [1.0], "g_loss": [1.0], "d_real": [0.5], "d_fake": [0.5]}
print(gan.save_pictures(frames, history, out))
"""


def test_missing_extras_are_named_with_the_install_command(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), OPENBLAS_NUM_THREADS="1")
    done = subprocess.run(
        [sys.executable, "-c", CODE, str(tmp_path)], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    install = "pip install 'lamina[plot]'"
    assert lines[0] == (
        "  kernels.png, feature_maps.png and misclassified.png (labelled) not written: "
        f"it needs matplotlib ({install})"
    )
    assert lines[2] == f"  samples.png and losses.png not written: it needs matplotlib ({install})"
    assert lines[3] == f"  progress.gif not written: it needs Pillow ({install})"
    assert sorted(os.listdir(tmp_path)) == ["kernels.png", "samples_epoch001.png"]  # plain PNGs
