"""GANs: the models' shapes and init, and the trainer learning a simple distribution."""

import numpy as np
import pytest

import lamina as L
from lamina.models.gan import MLPDiscriminator, MLPGenerator, mlp_gan
from lamina.train.gan import GANTrainer
from lamina.viz.images import make_grid, save_image_grid


def test_mlp_gan_shapes():
    G, D = mlp_gan(latent_dim=64, image_shape=(1, 28, 28))
    z = L.randn(5, 64)
    img = G(z)
    assert img.shape == (5, 1, 28, 28)
    assert img.detach().numpy().min() >= -1 and img.detach().numpy().max() <= 1
    assert D(img).shape == (5, 1)
    sizes = [p.shape for p in G.parameters()]
    assert sizes[0] == (256, 64) and sizes[-1] == (784,)


def test_gan_trainer_learns_a_shifted_gaussian():
    L.manual_seed(0)
    rng = np.random.default_rng(0)
    target = np.array([0.6, -0.4], np.float32)
    data = (target + 0.05 * rng.standard_normal((2048, 2))).astype(np.float32)
    data = data.reshape(-1, 1, 1, 2)
    G = MLPGenerator(latent_dim=4, image_shape=(1, 1, 2), hidden=(32,))
    D = MLPDiscriminator(image_shape=(1, 1, 2), hidden=(32,))
    t = GANTrainer(
        G,
        D,
        g_optimizer=L.optim.Adam(G.parameters(), lr=2e-3, betas=(0.5, 0.999)),
        d_optimizer=L.optim.Adam(D.parameters(), lr=2e-3, betas=(0.5, 0.999)),
    )
    before = np.abs(t.sample(500).reshape(-1, 2).mean(0) - target).max()
    hist = t.fit(data, epochs=12, batch_size=64, verbose=0)
    after = np.abs(t.sample(500).reshape(-1, 2).mean(0) - target).max()
    assert hist is t.history and hist.epoch == list(range(12))  # the Trainer's History
    assert set(hist.history) == {"d_loss", "g_loss", "d_real", "d_fake", "d_lr", "g_lr", "seconds"}
    assert all(np.isfinite(hist.history["g_loss"]))
    assert after < 0.15 < before


def test_gan_trainer_is_the_trainer_with_its_train_step():
    """Callbacks see 0-based epochs and the D/G logs; stop_training ends fit; the progress
    line shows both losses."""
    from lamina.train import Callback, Trainer

    G, D = MLPGenerator(4, (1, 1, 2), (8,)), MLPDiscriminator((1, 1, 2), (8,))
    t = GANTrainer(G, D)
    assert isinstance(t, Trainer) and type(t).train_step is not Trainer.train_step
    seen = []

    class Stop(Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append((epoch, sorted(logs)))
            if epoch == 1:
                self.trainer.stop_training = True

    data = np.random.default_rng(0).normal(size=(128, 1, 1, 2)).astype(np.float32)
    hist = t.fit(data, epochs=5, batch_size=64, callbacks=[Stop()], verbose=0)
    assert [e for e, _ in seen] == [0, 1] and hist.epoch == [0, 1]
    assert {"d_loss", "g_loss", "d_real", "d_fake"} <= set(seen[0][1])
    assert t.model.generator is G and t.model.discriminator is D
    assert all(k.startswith(("generator.", "discriminator.")) for k in t.model.state_dict())


def test_gan_progress_line_shows_both_losses(capsys):
    G, D = MLPGenerator(4, (1, 1, 2), (8,)), MLPDiscriminator((1, 1, 2), (8,))
    data = np.zeros((64, 1, 1, 2), np.float32)
    GANTrainer(G, D).fit(data, epochs=1, batch_size=32, verbose=2)
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith("Epoch 1/1") and "d_loss: " in line and "g_loss: " in line


def test_fewer_batches_than_d_steps():
    """2 batches per epoch with d_steps=3: no ZeroDivisionError; the generator steps every
    third discriminator step across epochs and an epoch without one logs g_loss NaN."""
    G, D = MLPGenerator(4, (1, 1, 2), (8,)), MLPDiscriminator((1, 1, 2), (8,))
    t = GANTrainer(G, D, d_steps=3)
    data = np.zeros((128, 1, 1, 2), np.float32)
    g = t.fit(data, epochs=3, batch_size=64, verbose=0).history["g_loss"]
    # discriminator steps 1..6: the generator steps after the 3rd (epoch 1) and 6th (epoch 2)
    assert np.isnan(g[0]) and np.isfinite(g[1]) and np.isfinite(g[2])


def test_d_steps_and_label_smoothing_options():
    G, D = MLPGenerator(4, (1, 1, 2), (8,)), MLPDiscriminator((1, 1, 2), (8,))
    t = GANTrainer(G, D, d_steps=3, label_smoothing=0.1)
    calls = {"g": 0}
    orig = t.g_step

    def counting(n):
        calls["g"] += 1
        return orig(n)

    t.g_step = counting
    t.fit(np.zeros((64 * 6, 1, 1, 2), np.float32), epochs=1, batch_size=64, verbose=0)
    assert calls["g"] == 2  # 6 discriminator steps, one generator step per 3
    t.fit(np.zeros((64 * 6, 1, 1, 2), np.float32), epochs=1, batch_size=64, verbose=0)
    assert calls["g"] == 4  # a new fit starts counting afresh
    with pytest.raises(ValueError, match="d_steps"):
        GANTrainer(G, D, d_steps=0)
    with pytest.raises(ValueError, match="label_smoothing"):
        GANTrainer(G, D, label_smoothing=1.5)


def test_image_grid_png(tmp_path):
    imgs = np.linspace(-1, 1, 6 * 64).reshape(6, 1, 8, 8)
    grid = make_grid(imgs, nrow=3, normalize=True, value_range=(-1, 1))
    assert grid.shape == (2 * 10 + 2, 3 * 10 + 2, 1) and grid.dtype == np.uint8
    assert grid[2, 2, 0] == 0 and grid[-3, -3, 0] == 255  # -1 -> black, +1 -> white
    kw = dict(normalize=True, value_range=(-1, 1))
    path = save_image_grid(imgs, str(tmp_path / "g.png"), nrow=3, scale=2, **kw)
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and b"IEND" in data
    PIL = pytest.importorskip("PIL.Image")
    im = PIL.open(path)
    assert im.size == (2 * 32, 2 * 22)
    with pytest.raises(ValueError, match="expected"):
        make_grid(np.zeros((2, 5, 4, 4)))


def _gan(seed=0):
    L.manual_seed(seed)
    G, D = MLPGenerator(4, (1, 1, 2), (8,)), MLPDiscriminator((1, 1, 2), (8,))
    return GANTrainer(G, D, d_steps=2)


def test_gan_checkpoint_into_a_mismatched_optimizer_changes_nothing(tmp_path):
    """Both optimizers are checked before anything is restored: a generator optimizer of
    another class is refused naming the part, and the weights stay as they were."""
    from lamina.io.errors import LaminaFileError

    data = np.random.default_rng(0).normal(size=(64, 1, 1, 2)).astype(np.float32)
    first = _gan()
    first.fit(data, epochs=1, batch_size=32, verbose=0)
    first.save_checkpoint(tmp_path / "gan.safetensors")
    L.manual_seed(1)
    G, D = MLPGenerator(4, (1, 1, 2), (8,)), MLPDiscriminator((1, 1, 2), (8,))
    other = GANTrainer(G, D, g_optimizer=L.optim.SGD(G.parameters(), lr=0.1))
    before = {k: np.array(v) for k, v in other.model.state_dict().items()}
    with pytest.raises(LaminaFileError, match="g.param_groups"):
        other.fit(
            data, epochs=2, batch_size=32, verbose=0, resume_from=tmp_path / "gan.safetensors"
        )
    for k, v in other.model.state_dict().items():
        assert np.array_equal(np.array(v), before[k]), k


def test_gan_checkpoint_resume_is_bit_identical(tmp_path):
    """The Trainer's checkpoints hold both networks and both optimizers: a run stopped
    after 2 of 3 epochs and resumed ends on the uninterrupted run's weights."""
    data = np.random.default_rng(0).normal(size=(128, 1, 1, 2)).astype(np.float32)
    whole = _gan()
    whole.fit(data, epochs=3, batch_size=32, verbose=0)
    first = _gan()
    first.fit(data, epochs=2, batch_size=32, verbose=0)
    first.save_checkpoint(tmp_path / "gan.safetensors")
    resumed = _gan(seed=1)  # a different init: everything comes from the checkpoint
    hist = resumed.fit(
        data, epochs=3, batch_size=32, verbose=0, resume_from=tmp_path / "gan.safetensors"
    )
    assert hist.epoch == [0, 1, 2]
    want, got = whole.model.state_dict(), resumed.model.state_dict()
    assert want.keys() == got.keys()
    for k in want:
        assert np.asarray(want[k]).tobytes() == np.asarray(got[k]).tobytes(), k


def test_terminate_on_nan_watches_the_gan_losses(capsys):
    """A NaN learning rate for D poisons D in batch 2's update, so that batch's g_loss is
    NaN (its d_loss, computed before the update, is finite): the guard sees g_loss, stops
    and puts back the weights from before batch 2."""
    from lamina.train import Callback, TerminateOnNaN

    G, D = MLPGenerator(4, (1, 1, 2), (8,)), MLPDiscriminator((1, 1, 2), (8,))
    t = GANTrainer(G, D)
    saved = {}

    class Poison(Callback):
        def on_train_batch_begin(self, batch, logs=None):
            if batch == 2:
                saved.update({k: v.numpy().copy() for k, v in t.model.state_dict().items()})
                t.opt_d.param_groups[0]["lr"] = float("nan")

    guard = TerminateOnNaN()
    data = np.random.default_rng(0).normal(size=(256, 1, 1, 2)).astype(np.float32)
    t.fit(data, epochs=2, batch_size=32, callbacks=[Poison(), guard], verbose=0)
    assert t.stop_training and "batch 2 gave g_loss nan" in guard.message
    state = t.model.state_dict()
    assert all(np.array_equal(state[k].numpy(), saved[k]) for k in saved)
