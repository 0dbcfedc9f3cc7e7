"""The CNN demo and LeNet-5: they train, and the pictures are real PNGs."""

import os

import numpy as np
import pytest

import lamina as L
from lamina.cli.demos import cnn
from lamina.models.lenet import lenet5


def test_cnn_demo_short_run_learns_and_writes_pictures(tmp_path):
    model, (xt, yt), history = cnn.train(epochs=3, verbose=0)
    assert cnn.accuracy(model, xt, yt) > 0.8
    assert history.epoch == [0, 1, 2] and "val_accuracy" in history.history
    paths = cnn.save_pictures(model, xt, yt, str(tmp_path))
    names = {os.path.basename(p) for p in paths}
    assert names == {"kernels.png", "feature_maps.png", "misclassified.png"}
    for p in paths:
        assert open(p, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    maps = cnn.feature_maps(model, xt[0])
    assert [m.shape for m in maps] == [(32, 8, 8), (32, 8, 8), (64, 4, 4)]
    assert all((m >= 0).all() for m in maps)  # after ReLU


def test_lenet5_shapes_and_parameter_count(tmp_path):
    m = lenet5()
    assert m(L.zeros(2, 1, 28, 28)).shape == (2, 10)
    n = sum(p.numel() for p in m.parameters())
    # conv1 6*25+6, conv2 16*6*25+16, fc 400*120+120, 120*84+84, 84*10+10
    assert n == 156 + 2416 + 48120 + 10164 + 850
    path = str(tmp_path / "lenet.safetensors")
    L.save(m.state_dict(), path)
    m2 = lenet5(weights=path)
    x = L.randn(1, 1, 28, 28)
    np.testing.assert_allclose(m.eval()(x).detach().numpy(), m2.eval()(x).detach().numpy())


@pytest.mark.slow
def test_cnn_demo_reaches_the_readme_figure():
    """The full 30-epoch run (README: 98.9% test accuracy; at least 98%)."""
    model, (xt, yt), _ = cnn.train(verbose=0)
    assert cnn.accuracy(model, xt, yt) >= 0.98
