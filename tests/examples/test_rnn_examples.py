"""Smoke runs of the recurrent examples with tiny settings."""

import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lamina.data.series import load_airline

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
    # one step from the init predicts near uniform: the loss in nats is log(vocab)
    m = re.search(r"validation ([\d.]+) nats/char \(([\d.]+) bits\), uniform ([\d.]+)", out)
    assert m, out
    nats, bits, uniform = map(float, m.groups())
    assert bits == pytest.approx(nats / math.log(2), abs=2e-3)
    assert uniform == pytest.approx(math.log(len(set(path.read_text()))), abs=5e-3)
    assert abs(nats - uniform) < 0.1
    sample = out.split("sample:", 1)[1]
    assert set(sample) - {"\n"} <= set(path.read_text())  # only the text's characters


def test_airline_forecast_smoke(tmp_path):
    out = _run("airline_forecast.py", "--epochs", "2", "--hidden", "4", "--plot", "", cwd=tmp_path)
    m = re.search(r"RMSE: LSTM ([\d.]+)  seasonal-naive ([\d.]+) .*; (\d+)% lower", out)
    assert m, out
    lstm, naive, lower = float(m[1]), float(m[2]), int(m[3])
    # the baseline, computed here: each test month (1959-1960) forecast by a year before
    y = load_airline().astype(np.float64)
    months = np.arange(len(y) - 24, len(y))
    assert naive == pytest.approx(np.sqrt(np.mean((y[months] - y[months - 12]) ** 2)), abs=0.05)
    assert lstm < naive and abs(lower - 100 * (1 - lstm / naive)) <= 1  # printed rounded
