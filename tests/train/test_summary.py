"""summary(): rows, output shapes, parameter totals, and the model left as it was."""

import numpy as np
import pytest

import lamina as L
from lamina import nn
from lamina.train import summary


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(10, 4)
        self.body = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.BatchNorm1d(6))
        self.head = nn.Linear(6, 2)
        self.head.bias.requires_grad_(False)  # one frozen parameter

    def forward(self, ids):
        return self.head(self.body(self.embed(ids).mean(1)))


def test_summary_counts_and_shapes():
    L.manual_seed(0)
    model = Net()
    text = summary(model, (3, 5), dtypes=[np.int64], print_fn=None)
    total = sum(p.detach().numpy().size for p in model.parameters())
    assert f"Total params: {total:,}" in text
    assert "Trainable params: 94" in text and "Non-trainable params: 2" in text  # 96 - bias
    lines = text.splitlines()
    row = next(ln for ln in lines if ln.strip().startswith("body.0 (Linear)"))
    assert "(3, 6)" in row and row.rstrip().endswith("30")
    body = next(ln for ln in lines if ln.startswith("body (Sequential)"))
    assert body.rstrip().endswith(f"{30 + 12:,}")  # Linear 4*6+6, BatchNorm 6+6
    assert "embed (Embedding)" in text and "(3, 5, 4)" in text
    assert "Output shape: (3, 2)" in text
    assert "Buffers:" in text  # BatchNorm running stats


def test_summary_restores_model_and_prints(capsys):
    model = nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.5))
    model.train()
    text = summary(model, (2, 3))
    assert capsys.readouterr().out.strip() == text.strip()
    assert all("forward" not in m.__dict__ for m in model.modules())
    assert all(m.training for m in model.modules())
    with pytest.raises(ValueError):
        summary(model, (2, 5), print_fn=None)  # the layer's own error passes through
    assert all("forward" not in m.__dict__ for m in model.modules())
