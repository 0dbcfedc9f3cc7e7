"""The ann demo reaches >= 97% on the digits and writes its files; examples smoke-run.

Each runs in a fresh interpreter with one BLAS thread: small matrix products on a busy
2-core machine are many times slower when OpenBLAS spins up threads that compete.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_python(args, timeout=120):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    done = subprocess.run(
        [sys.executable, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_ann_demo_reaches_97_percent_and_writes_files(tmp_path):
    code = (
        "import json, sys; from lamina.cli.demos import ann; "
        "r = ann.main(sys.argv[1], verbose=0); r.pop('files'); print(json.dumps(r))"
    )
    result = json.loads(run_python(["-c", code, str(tmp_path)]).strip().splitlines()[-1])
    assert result["test_accuracy"] >= 0.97, result
    assert 1 <= result["best_epoch"] <= result["epochs"] <= 60
    assert (tmp_path / "model.safetensors").stat().st_size > 100_000
    assert json.loads((tmp_path / "config.json").read_text())["builder"] == "digits_mlp"
    rows = (tmp_path / "history.csv").read_text().splitlines()
    assert rows[0].startswith("epoch,loss,accuracy,val_loss,val_accuracy,lr")
    assert len(rows) == 1 + result["epochs"]
    pytest.importorskip("matplotlib")
    for name in ("curves.png", "confusion.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_demo_is_registered_before_xor():
    from lamina.cli.demos import DEMOS

    names = list(DEMOS)
    assert names.index("ann") < names.index("xor")


def test_xor_demo_reaches_target(tmp_path):
    code = "import sys; from lamina.cli.demos import xor; print(xor.main(sys.argv[1]))"
    out = run_python(["-c", code, str(tmp_path)])
    assert "Epoch 1/20 - " in out and "(reached 0.001)" in out and "'correct': 4" in out


def test_digits_mlp_example_smoke(tmp_path):
    out = run_python(["examples/digits_mlp.py", "--epochs", "2", "--out", str(tmp_path)])
    assert "Epoch 2/2" in out and "test accuracy" in out
    assert (tmp_path / "digits_mlp.safetensors").exists()


def test_docs_training_example_runs(tmp_path):
    import re

    text = (ROOT / "docs" / "training.md").read_text()
    code = re.findall(r"```python\n(.*?)```", text, re.S)[0]
    script = tmp_path / "example.py"
    script.write_text(f"import os\nos.chdir({str(tmp_path)!r})\n" + code)
    out = run_python([str(script)])
    assert "Epoch 1/20" in out and "'accuracy':" in out
    assert (tmp_path / "logs" / "history.csv").exists()
