"""Zoo logits equal torchvision's for the same (recipe) weights; .pth files load.

The fixtures hold torchvision's eval-mode logits for weights that ``_recipe.py`` rebuilds
here in NumPy (see make_fixtures.py), so no weights are checked in and no torchvision is
needed.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

import lamina
from lamina import io as lio
from lamina import models

from . import _recipe as R

HERE = os.path.dirname(__file__)
with open(os.path.join(HERE, "fixtures", "recipe.json")) as _f:
    META = json.load(_f)["models"]
FAST = {"alexnet", "vgg11_bn", "resnet18", "resnet50", "resnet152"}  # resnet152: ~6 s


def _golden(name):
    with open(os.path.join(HERE, "golden", f"{name}.json")) as f:
        return json.load(f)


def _check(name):
    sd = R.state_dict_for(_golden(name))
    assert R.checksum(sd) == pytest.approx(META[name]["checksum"], rel=1e-9)
    model = getattr(models, name)(weights=sd).eval()
    x = lamina.tensor(R.input_for(META[name]["input_shape"]))
    with lamina.no_grad():
        got = model(x)
    want = np.load(os.path.join(HERE, "fixtures", f"{name}_logits.npy"))
    assert got.shape == want.shape and got.dtype == np.float32
    assert R.rel_err(got.numpy(), want) <= 1e-4


@pytest.mark.parametrize("name", sorted(n for n in META if n in FAST))
def test_logits_match_torchvision(name, cheap_init):
    _check(name)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(n for n in META if n not in FAST))
def test_logits_match_torchvision_big(name, cheap_init):
    _check(name)


def test_weights_from_torch_save_pth(tmp_path, cheap_init):
    torch = pytest.importorskip("torch")
    sd = R.state_dict_for(_golden("resnet18"))
    sd["fc.weight"], sd["fc.bias"] = sd["fc.weight"][:10], sd["fc.bias"][:10]
    path = tmp_path / "resnet18.pth"
    torch.save({k: torch.from_numpy(v) for k, v in sd.items()}, path)
    m = models.resnet18(weights=str(path))  # num_classes read from fc.weight
    assert m.fc.out_features == 10
    got = m.state_dict()
    for k in ("conv1.weight", "layer4.1.bn2.running_var", "fc.bias"):
        np.testing.assert_array_equal(got[k], sd[k])
    torch.save({"state_dict": {k: torch.from_numpy(v) for k, v in sd.items()}, "epoch": 3},
               tmp_path / "ckpt.pth")  # fmt: skip
    m2 = models.resnet18(weights=str(tmp_path / "ckpt.pth"), num_classes=10)
    np.testing.assert_array_equal(m2.state_dict()["layer2.0.downsample.0.weight"],
                                  sd["layer2.0.downsample.0.weight"])  # fmt: skip


def test_weights_from_safetensors_and_errors(tmp_path, cheap_init):
    sd = R.state_dict_for(_golden("resnet18"))
    lio.save(sd, tmp_path / "r18.safetensors")
    m = models.resnet18(weights=tmp_path / "r18.safetensors")
    key = "layer1.0.conv1.weight"
    np.testing.assert_array_equal(m.state_dict()[key], sd[key])
    with pytest.raises(RuntimeError, match="Missing key"):
        models.resnet34(weights=sd)
    with pytest.raises(RuntimeError, match="size mismatch"):
        models.resnet18(weights=sd, num_classes=10)
    with pytest.raises(ValueError, match="IMAGENET1K_V1.*not found"):
        models.resnet18(weights="IMAGENET1K_V1")
    with pytest.raises(TypeError, match="weights must be"):
        models.resnet18(weights=3)
    dp = {"module." + k: v for k, v in sd.items()}  # DataParallel checkpoints load too
    assert models.resnet18(weights=dp).fc.out_features == 1000
