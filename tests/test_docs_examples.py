"""The Python examples in README.md and docs/gan.md run as written."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _blocks(path):
    return re.findall(r"```python\n(.*?)```", (ROOT / path).read_text(), re.S)


CASES = [("README.md", i, b) for i, b in enumerate(_blocks("README.md"))]
CASES += [("docs/gan.md", i, b) for i, b in enumerate(_blocks("docs/gan.md"))]


@pytest.mark.parametrize("path,i,code", CASES, ids=[f"{p}#{i}" for p, i, _ in CASES])
def test_example_runs(path, i, code, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), OPENBLAS_NUM_THREADS="1")
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, f"{path} example {i} failed:\n{out.stderr[-2000:]}"
