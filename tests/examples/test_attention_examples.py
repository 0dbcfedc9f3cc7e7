"""Smoke runs of the attention examples with tiny settings."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(script, *args, cwd):
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    res = subprocess.run(
        [sys.executable, str(ROOT / "examples" / script), *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    return res.stdout


def test_attention_memory_smoke(tmp_path):
    out = _run("attention_memory.py", "--batch", "1", "--heads", "2", "--length", "64",
               "--dim", "8", "--variants", "lamina,lamina-composed", cwd=tmp_path)  # fmt: skip
    assert out.count("peak above inputs") == 2


def test_gpt_shakespeare_smoke(tmp_path):
    args = ["--iters", "2", "--eval-interval", "1", "--eval-iters", "1", "--n-layer", "1"]
    out = _run("gpt_shakespeare.py", *args, "--n-embd", "16", "--out", str(tmp_path), cwd=tmp_path)
    assert "validation loss" in out and (tmp_path / "model.safetensors").exists()
