"""Smoke runs of the recurrent examples with tiny settings."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(script, *args, cwd):
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    res = subprocess.run(
        [sys.executable, str(ROOT / "examples" / script), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr
    return res.stdout


def test_char_lstm_smoke(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("hello world, hello lamina.\n" * 40)
    out = _run(
        "char_lstm.py", str(path), "--minutes", "0", "--hidden", "8", "--seq", "16", cwd=tmp_path
    )
    assert "nats/char" in out and "sample:" in out


def test_airline_forecast_smoke(tmp_path):
    out = _run("airline_forecast.py", "--epochs", "2", "--hidden", "4", "--plot", "", cwd=tmp_path)
    assert "seasonal-naive" in out and "RMSE" in out
