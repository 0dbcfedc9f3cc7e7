"""Zoo models have torchvision's exact state-dict keys, order and shapes (golden files)."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from lamina import models, nn

from .conftest import needs_layers

GOLDEN = os.path.join(os.path.dirname(__file__), "golden")
NAMES = sorted(f[: -len(".json")] for f in os.listdir(GOLDEN) if f.endswith(".json"))

pytestmark = needs_layers


def test_golden_files_cover_the_zoo():
    expected = {"alexnet", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152"}
    expected |= {f"vgg{d}{bn}" for d in (11, 13, 16, 19) for bn in ("", "_bn")}
    assert expected <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_keys_and_shapes_match_torchvision(name, cheap_init):
    with open(os.path.join(GOLDEN, f"{name}.json")) as f:
        want = [(k, tuple(s)) for k, s in json.load(f).items()]
    model = getattr(models, name)()
    got = [(k, tuple(v.shape)) for k, v in model.state_dict(keep_vars=True).items()]
    assert got == want


def test_num_classes_and_module_tree(cheap_init):
    m = models.resnet50(num_classes=10)
    assert m.fc.weight.shape == (10, 2048)
    assert isinstance(m.layer1[0].downsample[0], nn.Conv2d)
    assert isinstance(m.layer1[0].downsample[1], nn.BatchNorm2d)
    assert m.layer2[0].conv2.stride in (2, (2, 2))  # V1.5: stride on the 3x3
    v = models.vgg11_bn(num_classes=7)
    kinds = [type(x).__name__ for x in v.classifier]
    assert kinds == ["Linear", "ReLU", "Dropout", "Linear", "ReLU", "Dropout", "Linear"]
    assert [type(x).__name__ for x in v.features][:4] == ["Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d"]
    a = models.alexnet(num_classes=3)
    assert [type(x).__name__ for x in a.classifier][:3] == ["Dropout", "Linear", "ReLU"]
    assert a.classifier[6].weight.shape == (3, 4096)


def test_resnet_init_follows_torchvision():
    m = models.resnet18(zero_init_residual=True)
    w = m.layer3[0].conv1.weight.data  # (256, 128, 3, 3): fan_out = 256 * 9
    assert abs(w.std() - np.sqrt(2.0 / (256 * 9))) < 0.05 * np.sqrt(2.0 / (256 * 9))
    assert np.all(m.bn1.weight.data == 1) and np.all(m.bn1.bias.data == 0)
    assert np.all(m.layer1[0].bn2.weight.data == 0)  # zero_init_residual
    assert np.all(m.layer1[0].bn1.weight.data == 1)
    b = models.resnet50(zero_init_residual=True)
    assert np.all(b.layer4[2].bn3.weight.data == 0) and np.all(b.layer4[2].bn2.weight.data == 1)


def test_vgg_init_follows_torchvision():
    m = models.vgg11_bn(num_classes=10)
    lin = m.classifier[6].weight.data
    assert abs(lin.std() - 0.01) < 0.002 and np.all(m.classifier[6].bias.data == 0)
    conv = m.features[0]  # Conv2d(3, 64, 3): fan_out = 64 * 9
    assert abs(conv.weight.data.std() - np.sqrt(2 / 576)) < 0.1 * np.sqrt(2 / 576)
    assert np.all(conv.bias.data == 0)
    assert np.all(m.features[1].weight.data == 1)


def test_basicblock_rejects_groups():
    with pytest.raises(ValueError, match="groups=1"):
        models.BasicBlock(64, 64, groups=2)
