"""The README's first code block prints torch's gradient (to the digits it prints)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
NUMBER = r"[-+]?\d+\.\d+(?:e[-+]\d+)?"


def _first_block() -> str:
    return re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)[0]


def _printed(code: str) -> np.ndarray:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.startswith("tensor([["), out.stdout
    rows = [re.findall(NUMBER, line) for line in out.stdout.strip().splitlines()]
    return np.array(rows, dtype=np.float64)


def test_readme_first_block_prints_torchs_gradient():
    """The same block run with ``import torch as L`` prints the oracle's gradient."""
    pytest.importorskip("torch")
    code = _first_block()
    assert code.startswith("import lamina as L\n") and "print(x.grad)" in code
    got = _printed(code)
    want = _printed(code.replace("import lamina as L", "import torch as L", 1))
    assert got.shape == want.shape == (2, 2) and want.max() > 0
    # both reprs print 5 significant digits: agree to a unit in the last one
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=0)
