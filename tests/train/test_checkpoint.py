"""Training checkpoints: resume reaches bit-identical weights; files are safetensors."""

import json

import numpy as np
import pytest

import lamina as L
from lamina import nn, optim
from lamina.io import LaminaFileError, read_header, save_file
from lamina.optim.lr_scheduler import StepLR
from lamina.train import ModelCheckpoint, Trainer

from .helpers import blobs


def build(init_seed):
    """Fresh model, optimizer and scheduler, as a new process would make them."""
    L.manual_seed(init_seed)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 3))
    opt = optim.Adam(model.parameters(), lr=0.01)
    return Trainer(
        model,
        nn.CrossEntropyLoss(),
        opt,
        metrics=["accuracy"],
        scheduler=StepLR(opt, step_size=1, gamma=0.7),
    )


def run(trainer, epochs, **kwargs):
    x, y = blobs(50)
    return trainer.fit(x, y, epochs=epochs, batch_size=8, validation_split=0.2, verbose=0, **kwargs)


def test_resume_is_bit_identical(tmp_path):
    straight = build(0)
    full = run(straight, 4)

    first = build(0)
    run(first, 2)
    path = tmp_path / "train.safetensors"
    first.save_checkpoint(path)
    L.manual_seed(123)  # the RNG moves on in between; the checkpoint brings it back
    resumed = build(7)  # different initial weights, overwritten by the checkpoint
    history = run(resumed, 4, resume_from=path)

    a, b = straight.model.state_dict(), resumed.model.state_dict()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
    for k in ("loss", "accuracy", "val_loss", "val_accuracy", "lr"):
        assert history.history[k] == full.history[k], k
    assert history.epoch == [0, 1, 2, 3]
    assert resumed.optimizer.param_groups[0]["lr"] == straight.optimizer.param_groups[0]["lr"]


def test_model_checkpoint_full_state_resumes(tmp_path):
    straight = build(0)
    run(straight, 3)
    first = build(0)
    ckpt = ModelCheckpoint(str(tmp_path / "ep{epoch}.safetensors"), save_weights_only=False)
    run(first, 2, callbacks=[ckpt])
    resumed = build(1)
    run(resumed, 3, resume_from=tmp_path / "ep2.safetensors")
    for k, v in straight.model.state_dict().items():
        np.testing.assert_array_equal(v, resumed.model.state_dict()[k])


def test_checkpoint_is_plain_safetensors_with_json_metadata(tmp_path):
    trainer = build(0)
    run(trainer, 1)
    path = tmp_path / "c.safetensors"
    trainer.save_checkpoint(path)
    tensors, meta = read_header(path)
    names = list(tensors)
    assert "model.0.weight" in names and "optimizer.state.0.exp_avg" in names
    skeleton = json.loads(meta["lamina.checkpoint"])
    assert skeleton  # structure (epoch, rng, history) lives as JSON, not pickle
    assert not list(tmp_path.glob(".*tmp"))  # the atomic write left no temp file


def test_load_rejects_other_files(tmp_path):
    path = tmp_path / "w.safetensors"
    save_file({"w": np.zeros(2, np.float32)}, path)
    with pytest.raises(ValueError, match="expected a training checkpoint"):
        build(0).load_checkpoint(path)
    (tmp_path / "bad.safetensors").write_bytes(b"not a file")
    with pytest.raises(LaminaFileError):
        build(0).load_checkpoint(tmp_path / "bad.safetensors")
    trainer = build(0)
    run(trainer, 1)
    trainer.save_checkpoint(tmp_path / "c.safetensors")
    plain = build(0)
    plain.scheduler = None
    with pytest.raises(ValueError, match="has scheduler state"):
        plain.load_checkpoint(tmp_path / "c.safetensors")
