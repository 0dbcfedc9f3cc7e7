"""Callbacks: early stopping, target stopping, checkpoints, NaN guard, CSV log, lambdas."""

import csv
import math
import os

import numpy as np
import pytest

import lamina as L
from lamina.io import load_file
from lamina.train import (
    Callback,
    CSVLogger,
    EarlyStopping,
    LambdaCallback,
    ModelCheckpoint,
    StopAtTarget,
    TargetStopping,
    TerminateOnNaN,
)

from .helpers import blobs, make_trainer, scripted, snapshots


def fit(trainer, callbacks, epochs, **kwargs):
    x, y = blobs(20)
    return trainer.fit(x, y, epochs=epochs, batch_size=10, callbacks=callbacks, verbose=0, **kwargs)


def assert_same_state(a, b):
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])


def test_early_stopping_stops_after_patience():
    trainer = make_trainer()
    stop = EarlyStopping(monitor="score", patience=2)
    history = fit(trainer, [scripted("score", [1, 2, 3, 4, 5, 6]), stop], epochs=6)
    assert history.epoch == [0, 1, 2] and stop.stopped_epoch == 2


def test_early_stopping_min_delta_mode_max_and_baseline():
    stop = EarlyStopping(monitor="val_accuracy", patience=1, min_delta=0.05)
    assert stop.mode == "max"
    scores = [0.5, 0.52, 0.53, 0.9]  # +0.02 is below min_delta: no improvement
    history = fit(make_trainer(), [scripted("val_accuracy", scores), stop], epochs=4)
    assert history.epoch == [0, 1]


def test_early_stopping_baseline_follows_keras3():
    """An improving epoch never stops training; until the baseline is beaten, improvements
    do not reset the patience count, so the first plateau after ``patience`` epochs stops."""
    improving = [0.5, 0.4, 0.3, 0.2, 0.05]  # mode min; beats the baseline 0.1 only at the end
    base = EarlyStopping(monitor="score", patience=2, baseline=0.1)
    history = fit(make_trainer(), [scripted("score", improving), base], 5)
    assert history.epoch == [0, 1, 2, 3, 4] and base.stopped_epoch == 0
    assert base.best == 0.05 and base.best_epoch == 4 and base.wait == 0
    plateau = [0.5, 0.4, 0.3, 0.3, 0.3, 0.3]  # improves for 3 epochs, never reaches 0.1
    base = EarlyStopping(monitor="score", patience=2, baseline=0.1)
    history = fit(make_trainer(), [scripted("score", plateau), base], 6)
    assert history.epoch == [0, 1, 2, 3] and base.stopped_epoch == 3
    free = EarlyStopping(monitor="score", patience=2)  # no baseline: patience from the best
    history = fit(make_trainer(), [scripted("score", plateau), free], 6)
    assert history.epoch == [0, 1, 2, 3, 4] and free.stopped_epoch == 4


def test_early_stopping_counts_nan_as_no_improvement():
    stop = EarlyStopping(monitor="score", patience=1)
    history = fit(make_trainer(), [scripted("score", [1.0, math.nan, math.nan]), stop], 3)
    assert history.epoch == [0, 1] and stop.stopped_epoch == 1 and stop.best == 1.0


def test_restore_best_weights_without_early_stop():
    trainer = make_trainer()
    snaps = snapshots()
    stop = EarlyStopping(monitor="score", patience=10, restore_best_weights=True)
    history = fit(trainer, [scripted("score", [3.0, 1.0, 2.0, 2.5]), snaps, stop], epochs=4)
    assert len(history.epoch) == 4 and stop.stopped_epoch == 0  # ran to the end
    assert stop.best_epoch == 1
    assert_same_state(trainer.model.state_dict(), snaps.states[1])


def test_restore_best_weights_with_early_stop():
    trainer = make_trainer()
    snaps = snapshots()
    stop = EarlyStopping(monitor="score", patience=2, restore_best_weights=True)
    history = fit(trainer, [scripted("score", [3.0, 1.0, 2.0, 2.5, 0.1]), snaps, stop], 5)
    assert history.epoch == [0, 1, 2, 3]
    assert_same_state(trainer.model.state_dict(), snaps.states[1])


def test_start_from_epoch_ignores_early_epochs():
    stop = EarlyStopping(monitor="score", patience=1, start_from_epoch=2)
    history = fit(make_trainer(), [scripted("score", [0.0, 5, 4, 3, 3, 3]), stop], epochs=6)
    assert history.epoch == [0, 1, 2, 3, 4]


def test_target_stopping_reaches_the_target_error():
    assert StopAtTarget is TargetStopping
    trainer = make_trainer(lr=0.5)
    target = TargetStopping(monitor="loss", target=0.3)
    history = fit(trainer, [target], epochs=200)
    losses = history.history["loss"]
    assert losses[-1] <= 0.3 and all(v > 0.3 for v in losses[:-1])
    assert len(losses) < 200 and target.stopped_epoch == len(losses) - 1


def test_model_checkpoint_best_only(tmp_path):
    trainer = make_trainer()
    snaps = snapshots()
    path = str(tmp_path / "ckpt" / "model-{epoch:02d}-{score:.1f}.safetensors")
    ckpt = ModelCheckpoint(path, monitor="score", save_best_only=True)
    fit(trainer, [scripted("score", [3.0, 1.0, 2.0, 0.5]), snaps, ckpt], epochs=4)
    names = sorted(os.listdir(tmp_path / "ckpt"))
    assert names == [
        "model-01-3.0.safetensors",
        "model-02-1.0.safetensors",
        "model-04-0.5.safetensors",
    ]
    assert_same_state(load_file(tmp_path / "ckpt" / names[-1]), snaps.states[3])
    assert_same_state(load_file(tmp_path / "ckpt" / names[1]), snaps.states[1])


def test_model_checkpoint_every_epoch_and_bad_pattern(tmp_path):
    ckpt = ModelCheckpoint(str(tmp_path / "w{epoch}.safetensors"))
    fit(make_trainer(), [ckpt], epochs=3)
    assert sorted(os.listdir(tmp_path)) == [f"w{i}.safetensors" for i in (1, 2, 3)]
    bad = ModelCheckpoint(str(tmp_path / "w{nope}.safetensors"))
    with pytest.raises(ValueError, match="nope"):
        fit(make_trainer(), [bad], epochs=1)


def test_terminate_on_nan_keeps_last_good_weights(capsys):
    x, y = blobs(40)
    x[25] = np.nan  # in the third batch of 10 (no shuffling)
    trainer = make_trainer()
    weights, batches = [], []

    def record(batch, logs):
        batches.append(batch)
        weights.append({k: np.asarray(v).copy() for k, v in trainer.model.state_dict().items()})

    guard = TerminateOnNaN()
    trace = LambdaCallback(on_train_batch_end=record)
    history = trainer.fit(
        x, y, epochs=3, batch_size=10, shuffle=False, callbacks=[trace, guard], verbose=0
    )
    assert batches == [0, 1, 2] and history.epoch == [0]
    assert math.isnan(history.history["loss"][0])
    assert "batch 2 gave loss nan" in guard.message and guard.message in capsys.readouterr().out
    state = trainer.model.state_dict()
    assert all(np.isfinite(np.asarray(v)).all() for v in state.values())
    assert_same_state(state, weights[1])  # as after batch 1, before batch 2's update


def test_csv_logger_content_and_append(tmp_path):
    path = tmp_path / "logs" / "history.csv"
    trainer = make_trainer()
    history = fit(trainer, [CSVLogger(path)], epochs=3)
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["epoch", "loss", "accuracy", "lr", "seconds"]
    assert [r[0] for r in rows[1:]] == ["0", "1", "2"]
    assert [float(r[1]) for r in rows[1:]] == history.history["loss"]  # repr round-trips
    fit(make_trainer(), [CSVLogger(path, append=True)], epochs=2)
    with open(path, newline="") as f:
        assert len(list(csv.reader(f))) == 1 + 3 + 2


def test_hooks_order_and_model_stop_training_flag():
    calls = []

    class Recorder(Callback):
        def on_train_begin(self, logs=None):
            calls.append("train_begin")

        def on_epoch_begin(self, epoch, logs=None):
            calls.append(f"epoch_begin {epoch}")

        def on_train_batch_begin(self, batch, logs=None):
            calls.append(f"batch_begin {batch}")

        def on_train_batch_end(self, batch, logs=None):
            calls.append(f"batch_end {batch} {sorted(logs)}")

        def on_epoch_end(self, epoch, logs=None):
            calls.append(f"epoch_end {epoch}")
            self.model.stop_training = True  # the Keras idiom

        def on_train_end(self, logs=None):
            calls.append("train_end")

    fit(make_trainer(), [Recorder()], epochs=5)
    assert calls == [
        "train_begin",
        "epoch_begin 0",
        "batch_begin 0",
        "batch_end 0 ['accuracy', 'loss']",
        "batch_begin 1",
        "batch_end 1 ['accuracy', 'loss']",
        "epoch_end 0",
        "train_end",
    ]


def test_lambda_callback_rejects_unknown_hooks():
    with pytest.raises(ValueError, match="on_epoch_ending"):
        LambdaCallback(on_epoch_ending=print)
    with pytest.raises(TypeError, match="is not a lamina.train.Callback"):
        fit(make_trainer(), [print], epochs=1)
    L.manual_seed(0)
