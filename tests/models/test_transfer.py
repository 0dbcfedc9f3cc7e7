"""Transfer learning mechanics: replace the head, freeze the backbone, train; the example."""

from __future__ import annotations

import importlib.util
import os

import numpy as np
import pytest

import lamina
from lamina import models, nn, optim

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "transfer_learning.py")


def test_new_head_and_frozen_backbone_train_only_the_head():
    lamina.manual_seed(0)
    model = models.resnet18()
    model.requires_grad_(False)
    model.fc = nn.Linear(model.fc.in_features, 3)
    assert model.state_dict()["fc.weight"].shape == (3, 512)
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable == ["fc.weight", "fc.bias"]
    model.eval()
    x = lamina.tensor(np.random.default_rng(0).standard_normal((4, 3, 32, 32), np.float32))
    y = lamina.tensor(np.array([0, 1, 2, 1]))
    opt = optim.SGD([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    before = model.conv1.weight.detach().numpy().copy()
    losses = []
    for _ in range(3):
        loss = nn.CrossEntropyLoss()(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    assert model.conv1.weight.grad is None and model.fc.weight.grad is not None
    np.testing.assert_array_equal(model.conv1.weight.detach().numpy(), before)


def test_example_smoke(capsys):
    spec = importlib.util.spec_from_file_location("transfer_learning", EXAMPLE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    res = mod.main(["--smoke", "--batch-size", "8"])
    out = capsys.readouterr().out
    for key in ("frozen_acc", "scratch_acc"):  # a share of the 32 smoke test images, as printed
        assert res[key] * 32 == pytest.approx(round(res[key] * 32), abs=1e-9)
        assert f"test accuracy {res[key]:.3f}" in out
    assert "trained from scratch" in out
