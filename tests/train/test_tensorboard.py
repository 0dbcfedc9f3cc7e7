"""TensorBoard callback: event files read back by tensorboard's own EventAccumulator."""

import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import numpy as np
import pytest
from PIL import Image
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins.hparams import plugin_data_pb2

import lamina as L
from lamina import nn
from lamina.train import LambdaCallback, TensorBoard, feature_map_grid

from .helpers import blobs, make_trainer


def read(log_dir, run):
    acc = EventAccumulator(os.path.join(log_dir, run), size_guidance={"histograms": 0})
    acc.Reload()
    return acc


def values(acc, tag):
    return [e.step for e in acc.Scalars(tag)], [e.value for e in acc.Scalars(tag)]


def test_epoch_scalars_match_history(tmp_path):
    trainer = make_trainer()
    x, y = blobs(40)
    history = trainer.fit(
        x, y, epochs=3, batch_size=10, validation_split=0.25, verbose=0,
        callbacks=[TensorBoard(tmp_path)],
    )  # fmt: skip
    train, val = read(tmp_path, "train"), read(tmp_path, "validation")
    for tag, key in [("epoch_loss", "loss"), ("epoch_accuracy", "accuracy")]:
        steps, got = values(train, tag)
        assert steps == [0, 1, 2]
        np.testing.assert_allclose(got, history.history[key], rtol=1e-6)
        steps, got = values(val, tag)
        assert steps == [0, 1, 2]
        np.testing.assert_allclose(got, history.history[f"val_{key}"], rtol=1e-6)
    np.testing.assert_allclose(values(train, "epoch_learning_rate")[1], [0.1] * 3, rtol=1e-6)
    assert "epoch_lr" not in train.Tags()["scalars"]
    assert not any(t.startswith("batch_") for t in train.Tags()["scalars"])


def test_batch_scalars_every_update_freq_batches(tmp_path):
    trainer = make_trainer()
    x, y = blobs(40)
    seen = []
    record = LambdaCallback(on_train_batch_end=lambda b, logs: seen.append(logs["loss"]))
    trainer.fit(
        x, y, epochs=2, batch_size=10, verbose=0, shuffle=False,
        callbacks=[record, TensorBoard(tmp_path, update_freq=3)],
    )  # fmt: skip
    steps, got = values(read(tmp_path, "train"), "batch_loss")
    assert steps == [3, 6]  # 8 batches over the fit, the global step counts across epochs
    np.testing.assert_allclose(got, [seen[2], seen[5]], rtol=1e-6)


def test_histograms_of_weights_and_gradients(tmp_path):
    trainer = make_trainer()
    x, y = blobs(20)
    snaps = []

    def snap(epoch, logs):
        p = dict(trainer.model.named_parameters())["2.weight"]
        snaps.append((p.detach().numpy().copy(), p.grad.numpy().copy()))

    trainer.fit(
        x, y, epochs=2, batch_size=10, verbose=0,
        callbacks=[LambdaCallback(on_epoch_end=snap), TensorBoard(tmp_path, histogram_freq=1)],
    )  # fmt: skip
    acc = read(tmp_path, "train")
    names = {n for n, _ in trainer.model.named_parameters()}
    assert {f"weights/{n}" for n in names} <= set(acc.Tags()["histograms"])
    assert {f"gradients/{n}" for n in names} <= set(acc.Tags()["histograms"])
    for tag, which in [("weights/2.weight", 0), ("gradients/2.weight", 1)]:
        events = acc.Histograms(tag)
        assert [e.step for e in events] == [0, 1]
        for e, snap_ in zip(events, snaps):
            a = snap_[which].astype(np.float64)
            h = e.histogram_value
            assert h.num == a.size
            np.testing.assert_allclose([h.min, h.max], [a.min(), a.max()], rtol=1e-6)
            np.testing.assert_allclose([h.sum, h.sum_squares], [a.sum(), (a * a).sum()], rtol=1e-5)


def test_no_histograms_by_default_and_freq_skips_epochs(tmp_path):
    trainer = make_trainer()
    x, y = blobs(20)
    trainer.fit(x, y, epochs=3, batch_size=10, verbose=0, callbacks=[TensorBoard(tmp_path / "a")])
    assert read(tmp_path / "a", "train").Tags()["histograms"] == []
    cb = TensorBoard(tmp_path / "b", histogram_freq=2, write_grads=False)
    trainer.fit(x, y, epochs=3, batch_size=10, verbose=0, callbacks=[cb])
    acc = read(tmp_path / "b", "train")
    assert [e.step for e in acc.Histograms("weights/0.bias")] == [0, 2]
    assert not any(t.startswith("gradients/") for t in acc.Tags()["histograms"])


def decoded(acc, tag):
    return [np.asarray(Image.open(io.BytesIO(e.encoded_image_string))) for e in acc.Images(tag)]


def test_images_generator_grid_and_feature_maps(tmp_path):
    trainer = make_trainer()
    x, y = blobs(20)
    rng = np.random.default_rng(1)
    samples = np.tanh(rng.normal(size=(6, 1, 5, 4))).astype(np.float32)  # a generator's output
    L.manual_seed(0)
    conv = nn.Conv2d(1, 3, 3, padding=1)
    img = L.tensor(rng.normal(size=(1, 1, 6, 6)).astype(np.float32))
    cb = TensorBoard(
        tmp_path,
        images={"samples": lambda: L.tensor(samples), "maps": lambda: feature_map_grid(conv(img))},
    )
    trainer.fit(x, y, epochs=2, batch_size=10, verbose=0, callbacks=[cb])
    acc = read(tmp_path, "train")
    grids = decoded(acc, "samples")
    assert len(grids) == 2
    # independent reference: a 6-image row, 1-pixel border, [-1, 1] -> [0, 255]
    ref = np.zeros((7, 6 * 5 + 1), np.uint8)
    for i in range(6):
        ref[1:6, 1 + 5 * i : 5 + 5 * i] = ((samples[i, 0] + 1) / 2 * 255 + 0.5).astype(np.uint8)
    got = grids[0] if grids[0].ndim == 2 else grids[0][..., 0]
    np.testing.assert_array_equal(got, ref)
    maps = conv(img).detach().numpy()[0]
    got = decoded(acc, "maps")[0]
    got = got if got.ndim == 2 else got[..., 0]
    assert got.shape == (8, 3 * 7 + 1)
    for c in range(3):
        m = maps[c]
        expect = ((m - m.min()) / (m.max() - m.min()) * 255 + 0.5).astype(np.uint8)
        np.testing.assert_array_equal(got[1:7, 1 + 7 * c : 7 + 7 * c], expect)


def test_hparams_with_final_metrics(tmp_path):
    trainer = make_trainer()
    x, y = blobs(20)
    cb = TensorBoard(tmp_path, hparams={"lr": 0.1, "optimizer": "sgd", "hidden": 8})
    history = trainer.fit(x, y, epochs=2, batch_size=10, verbose=0, callbacks=[cb])
    acc = read(tmp_path, "train")
    content = acc.PluginTagToContent("hparams")
    start = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/session_start_info"])
    hp = start.session_start_info.hparams
    assert hp["lr"].number_value == pytest.approx(0.1)
    assert hp["optimizer"].string_value == "sgd"
    assert hp["hidden"].number_value == 8
    np.testing.assert_allclose(values(acc, "hparam/loss")[1], [history.history["loss"][-1]], 1e-6)


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="update_freq"):
        TensorBoard("x", update_freq="often")
    with pytest.raises(ValueError, match="histogram_freq"):
        TensorBoard("x", histogram_freq=-1)
    with pytest.raises(TypeError, match="hparams\\['opt'\\]"):
        TensorBoard("x", hparams={"opt": object()})
    with pytest.raises(TypeError, match="images\\['a'\\]"):
        TensorBoard("x", images={"a": 3})


def test_bad_image_names_it(tmp_path):
    trainer = make_trainer()
    x, y = blobs(20)
    cb = TensorBoard(tmp_path, images={"weird": lambda: np.zeros((2, 3, 4, 5, 6))})
    with pytest.raises(ValueError, match="image 'weird'.*\\(2, 3, 4, 5, 6\\)"):
        trainer.fit(x, y, epochs=1, batch_size=10, verbose=0, callbacks=[cb])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_real_tensorboard_server_serves_the_scalars(tmp_path):
    trainer = make_trainer()
    x, y = blobs(20)
    history = trainer.fit(
        x, y, epochs=3, batch_size=10, verbose=0, callbacks=[TensorBoard(tmp_path)]
    )
    port = free_port()
    cmd = [sys.executable, "-m", "tensorboard.main", "--logdir", str(tmp_path)]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--reload_interval", "1"]
    log = open(tmp_path / "server.log", "wb")  # noqa: SIM115 - read after the server ends
    server = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/data/plugin/scalars/scalars?run=train&tag=epoch_loss"
    try:
        rows, deadline = None, time.monotonic() + 150  # a loaded 2-core CI box is slow
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=5) as r:
                    rows = json.loads(r.read())
                if len(rows) == 3:
                    break
            except OSError:
                pass
            time.sleep(0.5)
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    said = (tmp_path / "server.log").read_text(errors="replace")[-2000:]
    assert rows is not None, f"tensorboard server never answered; it said:\n{said}"
    assert [r[1] for r in rows] == [0, 1, 2], f"got {rows}; the server said:\n{said}"
    np.testing.assert_allclose([r[2] for r in rows], history.history["loss"], rtol=1e-6)


def test_gan_trainer_losses_and_sample_grid(tmp_path):
    from lamina.models import mlp_gan
    from lamina.train import GANTrainer

    L.manual_seed(0)
    G, D = mlp_gan(latent_dim=4, image_shape=(1, 4, 4))
    t = GANTrainer(G, D, n_fixed=3)
    data = np.tanh(np.random.default_rng(3).normal(size=(32, 1, 4, 4))).astype(np.float32)
    cb = TensorBoard(
        tmp_path, histogram_freq=1, images={"samples": lambda: t.sample(3, t.fixed_noise)}
    )
    history = t.fit(data, epochs=2, batch_size=16, verbose=0, callbacks=[cb])
    acc = read(tmp_path, "train")
    for key in ("d_loss", "g_loss"):
        np.testing.assert_allclose(values(acc, f"epoch_{key}")[1], history.history[key], rtol=1e-6)
    hists = set(acc.Tags()["histograms"])
    assert {"weights/generator.net.0.weight", "gradients/discriminator.net.1.weight"} <= hists
    samples = t.sample(3, t.fixed_noise)  # weights unchanged since the last epoch's image
    ref = np.zeros((6, 3 * 5 + 1), np.uint8)
    for i in range(3):
        ref[1:5, 1 + 5 * i : 5 + 5 * i] = (
            (np.clip(samples[i, 0], -1, 1) + 1) / 2 * 255 + 0.5
        ).astype(np.uint8)
    got = decoded(acc, "samples")[-1]
    np.testing.assert_array_equal(got if got.ndim == 2 else got[..., 0], ref)
