"""examples/truncated_bptt.py learns while carrying a detached state across chunks."""

import importlib.util
from pathlib import Path

import lamina as L
from lamina.models.rnn import detach_state

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "truncated_bptt.py"


def test_truncated_bptt_example_learns():
    spec = importlib.util.spec_from_file_location("truncated_bptt", EXAMPLE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.main(["--length", "2000", "--epochs", "2", "--chunk", "40"]) < 0.1


def test_detached_state_keeps_values_and_drops_the_graph():
    lstm = L.nn.LSTM(2, 3)
    _, state = lstm(L.randn(5, 1, 2))
    cut = detach_state(state)
    assert all(c.grad_fn is None and not c.requires_grad for c in cut)
    assert all((c.detach().numpy() == s.detach().numpy()).all() for c, s in zip(cut, state))
