"""Zoo models have torchvision's exact state-dict keys, order and shapes (golden files)."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from lamina import models, nn

GOLDEN = os.path.join(os.path.dirname(__file__), "golden")
NAMES = sorted(f[: -len(".json")] for f in os.listdir(GOLDEN) if f.endswith(".json"))


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
    head = [type(x).__name__ for x in v.features][:4]
    assert head == ["Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d"]
    a = models.alexnet(num_classes=3)
    assert [type(x).__name__ for x in a.classifier][:3] == ["Dropout", "Linear", "ReLU"]
    assert a.classifier[6].weight.shape == (3, 4096)


def test_resnet_init_follows_torchvision():
    m = models.resnet18(zero_init_residual=True)
    w = m.layer3[0].conv1.weight.detach().numpy()  # (256, 128, 3, 3): fan_out = 256 * 9
    assert abs(w.std() - np.sqrt(2.0 / (256 * 9))) < 0.05 * np.sqrt(2.0 / (256 * 9))
    assert np.all(m.bn1.weight.detach().numpy() == 1) and np.all(m.bn1.bias.detach().numpy() == 0)
    assert np.all(m.layer1[0].bn2.weight.detach().numpy() == 0)  # zero_init_residual
    assert np.all(m.layer1[0].bn1.weight.detach().numpy() == 1)
    b = models.resnet50(zero_init_residual=True)
    assert np.all(b.layer4[2].bn3.weight.detach().numpy() == 0) and np.all(
        b.layer4[2].bn2.weight.detach().numpy() == 1
    )


def test_vgg_init_follows_torchvision(cheap_init, monkeypatch):
    # spy on the init calls instead of drawing VGG's 130M numbers
    from lamina.nn import init

    calls = []
    for fn in ("kaiming_normal_", "normal_", "constant_"):
        real = getattr(init, fn)

        def spy(t, *a, _fn=fn, _real=real, **k):
            calls.append((_fn, tuple(t.shape), a, k))
            return _real(t, *a, **k)

        monkeypatch.setattr(init, fn, spy)
    models.vgg11_bn(num_classes=10)
    convs = [c for c in calls if c[0] == "kaiming_normal_"]
    assert len(convs) == 8 and convs[0][1] == (64, 3, 3, 3)
    assert all(c[3] == {"mode": "fan_out", "nonlinearity": "relu"} for c in convs)
    linears = [c for c in calls if c[0] == "normal_" and len(c[1]) == 2]  # not kaiming's
    assert [c[1] for c in linears] == [(4096, 25088), (4096, 4096), (10, 4096)]
    assert all(c[2] == (0, 0.01) for c in linears)
    consts = [(c[1], c[2]) for c in calls if c[0] == "constant_"]
    assert ((64,), (1,)) in consts and ((10,), (0,)) in consts  # BN weight 1, Linear bias 0
    assert len(consts) == 8 + 2 * 8 + 3  # conv biases, BN weight+bias, Linear biases


def test_basicblock_rejects_groups():
    with pytest.raises(ValueError, match="groups=1"):
        models.BasicBlock(64, 64, groups=2)
