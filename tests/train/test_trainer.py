"""Trainer.fit / evaluate / predict on tiny data."""

import numpy as np
import pytest

import lamina as L
from lamina import nn
from lamina.data import DataLoader, TensorDataset
from lamina.optim.lr_scheduler import StepLR
from lamina.train import LambdaCallback, LearningRateScheduler, ReduceLROnPlateau

from .helpers import blobs, make_trainer, scripted


def test_fit_reduces_loss_and_history_keys():
    x, y = blobs()
    trainer = make_trainer()
    history = trainer.fit(x, y, epochs=6, batch_size=16, validation_data=blobs(30, 1), verbose=0)
    assert history is trainer.history
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr", "seconds"}
    assert history.epoch == list(range(6))
    assert all(len(v) == 6 for v in history.history.values())
    assert history.history["loss"][-1] < 0.75 * history.history["loss"][0]
    assert history.history["accuracy"][-1] > 0.8


def test_validation_split_holds_out_a_seeded_stratified_share():
    from lamina.train.split import split_indices

    x, y = blobs(50)
    trainer = make_trainer()
    sizes = []
    count = LambdaCallback(on_train_batch_end=lambda b, logs: sizes.append(b))
    history = trainer.fit(
        x, y, epochs=1, batch_size=8, validation_split=0.2, callbacks=[count], verbose=0
    )
    keep, held = split_indices(50, 0.2, y)  # the split fit makes (tested on its own elsewhere)
    assert len(sizes) == -(-len(keep) // 8)
    held_out = trainer.evaluate(x[held], y[held])
    assert history.history["val_loss"][0] == pytest.approx(held_out["loss"], rel=1e-6)
    assert history.history["val_accuracy"][0] == held_out["accuracy"]


def test_evaluate_is_exact_over_uneven_batches():
    x, y = blobs(23)
    trainer = make_trainer()
    logits = trainer.model(L.tensor(x))
    whole = nn.CrossEntropyLoss()(logits, L.tensor(y)).item()
    result = trainer.evaluate(x, y, batch_size=5)  # 5, 5, 5, 5, 3
    assert result["loss"] == pytest.approx(whole, rel=1e-5)
    assert result["accuracy"] == np.mean(logits.detach().numpy().argmax(1) == y)


def test_predict_and_modes_restored_with_datasets_and_loaders():
    x, y = blobs(20)
    trainer = make_trainer()
    trainer.model.train()
    out = trainer.predict(x, batch_size=6)
    np.testing.assert_allclose(out, trainer.model(L.tensor(x)).detach().numpy(), rtol=1e-6)
    assert trainer.model.training and all(m.training for m in trainer.model.modules())
    np.testing.assert_allclose(trainer.predict(TensorDataset(x, y)), out, rtol=1e-6)
    loader = DataLoader(TensorDataset(x, y), batch_size=7)
    assert trainer.evaluate(loader)["loss"] == pytest.approx(trainer.evaluate(x, y)["loss"])
    history = trainer.fit(loader, epochs=2, verbose=0)
    assert len(history.epoch) == 2


def test_eval_runs_without_grad_and_in_eval_mode():
    x, y = blobs(10)
    trainer = make_trainer()
    seen = []

    class Probe(nn.Module):
        def forward(self, t):
            seen.append((self.training, L.is_grad_enabled()))
            return t

    trainer.model.append(Probe())
    trainer.fit(x, y, epochs=1, batch_size=10, validation_data=(x, y), verbose=0)
    assert seen == [(True, True), (False, False)]


def test_scheduler_steps_per_epoch_and_lr_logged():
    x, y = blobs(20)
    trainer = make_trainer(lr=0.1)
    trainer.scheduler = StepLR(trainer.optimizer, step_size=2, gamma=0.1)
    history = trainer.fit(x, y, epochs=5, batch_size=10, verbose=0)
    np.testing.assert_allclose(history.history["lr"], [0.1, 0.1, 0.01, 0.01, 0.001])


def test_learning_rate_scheduler_callback():
    x, y = blobs(20)
    trainer = make_trainer(lr=1.0)
    sched = LearningRateScheduler(lambda epoch, lr: 0.5**epoch)
    history = trainer.fit(x, y, epochs=3, batch_size=10, callbacks=[sched], verbose=0)
    assert history.history["lr"] == [1.0, 0.5, 0.25]


def test_reduce_lr_on_plateau_callback():
    x, y = blobs(20)
    trainer = make_trainer(lr=1.0)
    plateau = ReduceLROnPlateau(monitor="score", factor=0.5, patience=1)
    flat = scripted("score", [1.0] * 6)
    history = trainer.fit(x, y, epochs=6, batch_size=20, callbacks=[flat, plateau], verbose=0)
    # best at epoch 0; two bad epochs (> patience 1) cut the lr, counted again after a cut
    assert history.history["lr"] == [1.0, 1.0, 1.0, 0.5, 0.5, 0.25]


def test_verbose_two_prints_one_line_per_epoch(capsys):
    x, y = blobs(20)
    make_trainer().fit(x, y, epochs=2, batch_size=10, verbose=2)
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("Epoch")]
    assert len(lines) == 2 and "loss:" in lines[0] and "accuracy:" in lines[0]
    make_trainer().fit(x, y, epochs=2, batch_size=10, verbose=0)
    assert capsys.readouterr().out == ""


def test_errors_name_the_bad_value():
    x, y = blobs(20)
    trainer = make_trainer()
    with pytest.raises(ValueError, match="x has 20 samples but y has 19"):
        trainer.fit(x, y[:19], verbose=0)
    with pytest.raises(ValueError, match="validation_split=1.5"):
        trainer.fit(x, y, validation_split=1.5, verbose=0)
    with pytest.raises(ValueError, match="unknown loss 'msee'"):
        make_trainer().__class__(trainer.model, "msee")
    with pytest.raises(ValueError, match="verbose=3"):
        trainer.fit(x, y, verbose=3)


def test_loss_by_name_and_regression_metrics():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 4)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5], [0.0]], dtype=np.float32)).astype(np.float32)
    L.manual_seed(0)
    from lamina import optim
    from lamina.train import Trainer

    model = nn.Linear(4, 1)
    trainer = Trainer(model, "mse", optim.SGD(model.parameters(), lr=0.1), metrics=["mae", "rmse"])
    history = trainer.fit(x, y, epochs=20, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < 1e-2
    # the epoch's rmse is the root of the epoch's mean squared error: the loss itself (the
    # float32 batch means, weighted exactly) to float32 rounding
    assert history.history["rmse"][-1] == pytest.approx(
        np.sqrt(history.history["loss"][-1]), rel=1e-6
    )
    assert history.history["mae"][-1] <= history.history["rmse"][-1]


def test_reduce_lr_on_plateau_scheduler_is_stepped_with_the_monitored_loss():
    from lamina import optim
    from lamina.optim.lr_scheduler import ReduceLROnPlateau as Plateau
    from lamina.train import Trainer

    model = nn.Linear(4, 3, bias=False)
    opt = optim.SGD(model.parameters(), lr=1.0)
    trainer = Trainer(model, nn.CrossEntropyLoss(), opt, scheduler=Plateau(opt, patience=1))
    x, y = np.zeros((6, 4), np.float32), np.array([0, 1, 2, 0, 1, 2])  # loss stays log(3)
    history = trainer.fit(x, y, epochs=5, batch_size=6, verbose=0)
    np.testing.assert_allclose(history.history["lr"], [1.0, 1.0, 1.0, 0.1, 0.1])


def test_schedulers_are_picked_by_protocol_not_by_class_name():
    """A ``step(metric)`` scheduler of any name gets the monitored value; ``step()`` none."""
    from lamina import optim
    from lamina.train import Trainer

    class Halver:  # metric-driven, not named ReduceLROnPlateau
        def __init__(self, opt):
            self.opt, self.seen = opt, []

        def step(self, value):
            self.seen.append(value)
            self.opt.param_groups[0]["lr"] /= 2

    class Counter:  # epoch-indexed
        def __init__(self):
            self.calls = 0

        def step(self, epoch=None):
            self.calls += 1

    x, y = np.zeros((6, 4), np.float32), np.array([0, 1, 2, 0, 1, 2])  # loss stays log(3)
    model = nn.Linear(4, 3, bias=False)
    opt = optim.SGD(model.parameters(), lr=1.0)
    halver = Halver(opt)
    history = Trainer(model, nn.CrossEntropyLoss(), opt, scheduler=halver).fit(
        x, y, epochs=3, batch_size=6, verbose=0
    )
    np.testing.assert_allclose(halver.seen, [np.log(3)] * 3, rtol=1e-6)
    np.testing.assert_allclose(history.history["lr"], [1.0, 0.5, 0.25])
    counter = Counter()
    Trainer(model, nn.CrossEntropyLoss(), opt, scheduler=counter).fit(
        x, y, epochs=2, batch_size=6, verbose=0
    )
    assert counter.calls == 2


class FakeTerminal:
    """A stderr that says it is a terminal (of unknown size), collecting what is written."""

    def __init__(self):
        self.parts = []

    def write(self, s):
        self.parts.append(s)

    def flush(self):
        pass

    def isatty(self):
        return True


def test_verbose_one_draws_a_bar_on_a_terminal_then_one_line(monkeypatch, capsys):
    fake = FakeTerminal()
    monkeypatch.setattr("sys.stderr", fake)
    x, y = blobs(40)
    make_trainer().fit(x, y, epochs=2, batch_size=4, verbose=1)
    bar = "".join(fake.parts)
    assert "Epoch 1/2:" in bar and "/10 [" in bar and "batch/s" in bar
    lines = capsys.readouterr().out.splitlines()
    assert [ln.split(" - ")[0] for ln in lines] == ["Epoch 1/2", "Epoch 2/2"]


def test_initial_epoch_and_dataset_validation_split():
    from lamina.train.split import split_indices

    x, y = blobs(30)
    trainer = make_trainer()
    history = trainer.fit(x, y, epochs=3, initial_epoch=1, batch_size=10, verbose=0)
    assert history.epoch == [1, 2]
    sizes = []
    count = LambdaCallback(on_train_batch_end=lambda b, logs: sizes.append(b))
    history = trainer.fit(
        TensorDataset(x, y),
        epochs=1,
        batch_size=4,
        validation_split=0.2,
        callbacks=[count],
        verbose=0,
    )
    keep, held = split_indices(30, 0.2, y)
    assert len(sizes) == -(-len(keep) // 4)
    held_out = trainer.evaluate(x[held], y[held])
    assert history.history["val_loss"][0] == pytest.approx(held_out["loss"], rel=1e-6)


def test_same_seed_same_run():
    x, y = blobs(30)
    a = make_trainer(seed=3).fit(x, y, epochs=3, batch_size=8, verbose=0).history["loss"]
    b = make_trainer(seed=3).fit(x, y, epochs=3, batch_size=8, verbose=0).history["loss"]
    assert a == b
