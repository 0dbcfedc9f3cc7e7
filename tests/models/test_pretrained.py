"""save_pretrained / from_pretrained: every kind of model lamina ships round-trips; hostile
configs are refused without running anything."""

import json

import numpy as np
import pytest

import lamina as L
from lamina import nn
from lamina.io import LaminaFileError, load_metadata
from lamina.models import (
    RNNForecaster,
    RNNLanguageModel,
    dcgan,
    digits_cnn,
    digits_mlp,
    lenet5,
    mlp_gan,
    resnet18,
    sigmoid_mlp,
)
from lamina.models.pretrained import from_pretrained, load_config

MODELS = {
    "resnet18": (lambda: resnet18(num_classes=3), (1, 3, 32, 32), "float"),
    "lenet5": (lambda: lenet5(num_classes=4), (2, 1, 28, 28), "float"),
    "digits_cnn": (digits_cnn, (2, 1, 8, 8), "float"),
    "digits_mlp": (lambda: digits_mlp((16,)), (2, 64), "float"),
    "sigmoid_mlp": (sigmoid_mlp, (4, 2), "float"),
    "rnn_lm": (lambda: RNNLanguageModel(20, 8, 12, cell="gru"), (2, 5), "int"),
    "forecaster": (lambda: RNNForecaster(1, 8, horizon=2), (3, 6, 1), "float"),
    "dcgan_g": (lambda: dcgan(latent_dim=4, width=8)[0], (3, 4), "float"),
    "dcgan_d": (lambda: dcgan(latent_dim=4, width=8)[1], (3, 1, 8, 8), "float"),
    "mlp_gan_g": (lambda: mlp_gan(8, (1, 4, 4))[0], (2, 8), "float"),
    "sequential": (
        lambda: nn.Sequential(
            nn.Conv2d(3, 4, 3, padding=1),
            nn.BatchNorm2d(4),
            nn.LeakyReLU(0.2),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Sequential(nn.Linear(64, 5), nn.Dropout(0.1)),
        ),
        (2, 3, 8, 8),
        "float",
    ),
}


def _input(shape, kind):
    rng = np.random.default_rng(0)
    if kind == "int":
        return L.tensor(rng.integers(0, 20, shape))
    return L.tensor(rng.standard_normal(shape).astype(np.float32))


def _out(model, x):
    with L.no_grad():
        y = model.eval()(x)
    return (y[0] if isinstance(y, tuple) else y).numpy()


@pytest.mark.parametrize("name", list(MODELS))
def test_round_trip_rebuilds_the_same_model(name, tmp_path):
    L.manual_seed(0)
    make, shape, kind = MODELS[name]
    model = make()
    for p in model.parameters():  # weights unlike any fresh initialisation
        p.detach().numpy()[...] = np.random.default_rng(1).standard_normal(tuple(p.shape))
    model.save_pretrained(tmp_path / "m", task="other", class_names=["a", "b"])
    x = _input(shape, kind)
    for where in (tmp_path / "m", tmp_path / "m" / "model.safetensors"):
        L.manual_seed(5)  # a different init: every value must come from the file
        again = nn.Module.from_pretrained(where)
        assert type(again) is type(model)
        assert again.pretrained_config["class_names"] == ["a", "b"]
        np.testing.assert_array_equal(_out(again, x), _out(model, x))
    assert json.loads(load_metadata(tmp_path / "m" / "model.safetensors")["lamina.config"]) == (
        json.loads((tmp_path / "m" / "config.json").read_text())
    )


def test_single_file_and_class_check(tmp_path):
    model = digits_cnn(num_classes=3)
    path = model.save_pretrained(tmp_path / "cnn.safetensors", task="image-classification")
    assert load_config(path)["args"] == {"num_classes": 3}
    assert isinstance(nn.Sequential.from_pretrained(path), nn.Sequential)
    with pytest.raises(LaminaFileError, match="holds a Sequential, expected a RNNLanguageModel"):
        RNNLanguageModel.from_pretrained(path)


def test_models_without_a_recipe_say_what_to_do(tmp_path):
    class Mine(nn.Module):
        def forward(self, x):
            return x

    with pytest.raises(ValueError, match=r"model\.1 \(Mine\) carries no recipe"):
        nn.Sequential(nn.ReLU(), Mine()).save_pretrained(tmp_path / "x")
    with pytest.raises(ValueError, match="task="):
        digits_cnn().save_pretrained(tmp_path / "y", task="magic")


@pytest.fixture
def saved(tmp_path):
    digits_cnn().save_pretrained(tmp_path / "m", task="image-classification")
    return tmp_path / "m"


def _edit(folder, **changes):
    config = json.loads((folder / "config.json").read_text())
    config.update(changes)
    (folder / "config.json").write_text(json.dumps(config))


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"builder": "os.system"}, "builder 'os.system' is not one lamina knows"),
        ({"builder": "__import__"}, "is not one lamina knows"),
        ({"args": {"num_classes": 10**9}}, "modest values"),
        (
            {"builder": "Linear", "args": {"in_features": 2**20, "out_features": 2**20}},
            "larger than its weights file",
        ),
        (
            {"builder": "Linear", "args": {"in_features": 2**16, "out_features": 2**15}},
            "larger than its weights file",
        ),  # 8 GiB: np.empty would succeed, the limit refuses
        ({"builder": "digits_mlp", "args": {"hidden": [2**14] * 64}}, "larger than its"),
        ({"args": "num_classes=10"}, "modest values"),
        ({"args": {"num_classes": 10, "evil": 1}}, "refused its args"),
        ({"args": {"num_classes": 7}}, "weights do not fit digits_cnn"),
        ({"format": "pickle"}, "not a lamina model config"),
        ({"version": 99}, "config version 99"),
        ({"class_names": [1, 2]}, "'class_names' must be a list of strings"),
        ({"task": "x"}, "task 'x'"),
    ],
)
def test_hostile_or_broken_configs_are_refused(saved, changes, message):
    _edit(saved, **changes)
    with pytest.raises(LaminaFileError, match=message) as e:
        from_pretrained(saved)
    assert str(saved) in str(e.value)


def test_sequential_recipe_names_only_allowed_layers(saved):
    _edit(
        saved,
        builder="Sequential",
        args={"layers": [{"builder": "Linear", "args": {"in_features": 2, "out_features": 2}},
                         {"builder": "eval", "args": {}}]},
    )  # fmt: skip
    with pytest.raises(LaminaFileError, match="unknown model builder 'eval'"):
        from_pretrained(saved)


def test_plain_state_dicts_and_junk_are_explained(tmp_path):
    L.save(digits_cnn().state_dict(), tmp_path / "plain.safetensors")
    with pytest.raises(LaminaFileError, match="a plain state dict"):
        from_pretrained(tmp_path / "plain.safetensors")
    (tmp_path / "d").mkdir()
    with pytest.raises(LaminaFileError, match="no model.safetensors in this folder"):
        from_pretrained(tmp_path / "d")
    (tmp_path / "d" / "model.safetensors").write_bytes(b"\x00" * 20)
    with pytest.raises(LaminaFileError):
        from_pretrained(tmp_path / "d")
    with pytest.raises(FileNotFoundError):
        from_pretrained(tmp_path / "nothing")
