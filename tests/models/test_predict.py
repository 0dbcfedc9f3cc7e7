"""ImageNet preprocessing (vs torchvision's transforms), predict() and the predict CLI."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from lamina import io as lio
from lamina import models
from lamina.cli.predict import predict_main
from lamina.models.imagenet import imagenet_classes, predict, preprocess

from . import _recipe as R

Image = pytest.importorskip("PIL.Image")
HERE = os.path.dirname(__file__)


def test_imagenet_classes():
    names = imagenet_classes()
    assert len(names) == 1000 and len(set(names)) == 1000
    assert names[0] == "tench" and names[281] == "tabby"


def test_preprocess_matches_torchvision_transforms():
    want = np.load(os.path.join(HERE, "fixtures", "preprocess_sub16.npy"))  # (3, 14, 14)
    got = preprocess(Image.fromarray(R.image_array()))
    assert got.shape == (3, 224, 224) and got.dtype == np.float32
    np.testing.assert_allclose(got[:, ::16, ::16], want, atol=1e-5)


def test_preprocess_errors(tmp_path):
    bad = tmp_path / "not_an_image.png"
    bad.write_bytes(b"hello")
    with pytest.raises(ValueError, match="not_an_image.png"):
        preprocess(str(bad))


@pytest.fixture(scope="module")
def tiny_resnet18(tmp_path_factory):
    """resnet18 recipe weights with a 3-class head, saved as .pth (torch) or .safetensors."""
    with open(os.path.join(HERE, "golden", "resnet18.json")) as f:
        shapes = json.load(f)
    shapes["fc.weight"], shapes["fc.bias"] = [3, 512], [3]
    sd = R.state_dict_for(shapes)
    path = tmp_path_factory.mktemp("w") / "resnet18.safetensors"
    lio.save(sd, path)
    return str(path)


def test_predict_and_cli(tmp_path, tiny_resnet18, capsys, cheap_init):
    img = tmp_path / "cat.jpg"
    Image.fromarray(R.image_array(120, 160)).save(img, quality=90)
    png = tmp_path / "dog.png"
    Image.fromarray(R.image_array(240, 200)[:, :, ::-1]).save(png)
    model = models.resnet18(weights=tiny_resnet18)
    out = predict(model, [str(img), str(png)], top=2, classes=["a", "b", "c"])
    assert len(out) == 2 and all(len(r) == 2 for r in out)
    for row in out:
        assert row[0][1] >= row[1][1] and 0 < row[0][1] <= 1
    rc = predict_main([str(img), "--model", "resnet18", "--weights", tiny_resnet18, "--top", "3"])
    text = capsys.readouterr().out
    assert rc == 0 and text.splitlines()[0] == str(img)
    assert len(text.splitlines()) == 4 and "%" in text
    assert predict_main([str(tmp_path / "missing.jpg"), "--weights", tiny_resnet18]) == 1
