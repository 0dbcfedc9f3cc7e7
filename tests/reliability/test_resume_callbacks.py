"""Resume loses nothing: every shipped callback, interrupted at every epoch, then resumed.

For each callback a straight run trains 5 epochs. Then, for every epoch k, a run is cut
short (an exception, as a kill would: no ``on_train_end``) either right after epoch k's
checkpoint (at the start of epoch k + 1) or in the middle of epoch k + 1 (its second
batch), and a fresh trainer with fresh callbacks (different initial weights, the global RNG
moved on, as a new process) resumes from the checkpoint. The final weights, the lr, the
history and every file the callbacks wrote must equal the straight run's, bit for bit
(the CSV's ``seconds`` column, a wall-clock time, is left out of the comparison).

The full checkpoint is written by ``ModelCheckpoint(save_weights_only=False)`` placed
*before* the callback under test, so its state must be taken after every callback has
seen the epoch.
"""

import csv
import math
from pathlib import Path

import numpy as np
import pytest

import lamina as L
from lamina import nn, optim
from lamina.optim.lr_scheduler import StepLR
from lamina.train import (
    Callback,
    CSVLogger,
    EarlyStopping,
    LambdaCallback,
    LearningRateScheduler,
    ModelCheckpoint,
    ReduceLROnPlateau,
    TargetStopping,
    TensorBoard,
    TerminateOnNaN,
    Trainer,
)
from tests.train.helpers import blobs

EPOCHS = 5


class Interrupted(Exception):
    pass


class Interrupt(Callback):
    """Raise at the start of epoch ``epoch`` (or at its ``batch``-th batch)."""

    def __init__(self, epoch: int, batch: int | None) -> None:
        self.epoch, self.batch, self.now = epoch, batch, -1

    def on_epoch_begin(self, epoch, logs=None):
        self.now = epoch
        if epoch == self.epoch and self.batch is None:
            raise Interrupted

    def on_train_batch_begin(self, batch, logs=None):
        if self.now == self.epoch and batch == self.batch:
            raise Interrupted


def _trainer(seed: int) -> Trainer:
    L.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 3))
    opt = optim.Adam(model.parameters(), lr=0.03)
    return Trainer(model, nn.CrossEntropyLoss(), opt, metrics=["accuracy"])


# name -> factory(folder, trainer) -> callbacks under test
CALLBACKS = {
    "EarlyStopping": lambda d, t: [
        EarlyStopping(monitor="loss", min_delta=0.08, patience=1, restore_best_weights=True)
    ],
    "EarlyStopping-baseline": lambda d, t: [
        EarlyStopping(monitor="val_accuracy", baseline=0.99, patience=3)
    ],
    "ModelCheckpoint-best": lambda d, t: [
        ModelCheckpoint(d / "best.safetensors", monitor="val_loss", mode="max", save_best_only=True)
    ],
    "ModelCheckpoint-every": lambda d, t: [ModelCheckpoint(d / "w-{epoch:02d}.safetensors")],
    "ReduceLROnPlateau": lambda d, t: [
        ReduceLROnPlateau(monitor="loss", factor=0.5, patience=0, min_delta=0.05)
    ],
    "LearningRateScheduler-fn": lambda d, t: [LearningRateScheduler(lambda e, lr: lr * 0.8)],
    "LearningRateScheduler-obj": lambda d, t: [
        LearningRateScheduler(StepLR(t.optimizer, step_size=2, gamma=0.5))
    ],
    "CSVLogger": lambda d, t: [CSVLogger(d / "log.csv")],
    "TargetStopping": lambda d, t: [TargetStopping(monitor="accuracy", target=0.88)],
    "TerminateOnNaN": lambda d, t: [TerminateOnNaN()],
    "TensorBoard": lambda d, t: [TensorBoard(d / "tb", update_freq=3)],
    "LambdaCallback": lambda d, t: [LambdaCallback(on_epoch_end=lambda e, logs: None)],
}


def _fit(folder: Path, seed: int, name: str, extra=(), resume=False) -> tuple[Trainer, list]:
    trainer = _trainer(seed)
    cbs = [ModelCheckpoint(folder / "last.safetensors", save_weights_only=False)]
    cbs += CALLBACKS[name](folder, trainer)
    x, y = blobs(60)
    kwargs = {"resume_from": folder / "last.safetensors"} if resume else {}
    try:
        trainer.fit(
            x,
            y,
            epochs=EPOCHS,
            batch_size=8,
            validation_split=0.25,
            verbose=0,
            callbacks=cbs + list(extra),
            **kwargs,
        )
    except Interrupted:
        for cb in cbs:  # the process dies: its open files are closed by the OS
            if getattr(cb, "_file", None) is not None:
                cb._file.close()
        return trainer, cbs
    return trainer, cbs


def _files(folder: Path) -> dict[str, object]:
    out = {}
    for path in sorted(folder.iterdir()):
        if path.name == "last.safetensors" or path.is_dir():  # wall-clock times inside
            continue
        if path.suffix == ".csv":
            with open(path, newline="") as f:
                rows = list(csv.reader(f))
            drop = rows[0].index("seconds") if rows and "seconds" in rows[0] else None
            out[path.name] = [[c for i, c in enumerate(r) if i != drop] for r in rows]
        else:
            out[path.name] = path.read_bytes()
    return out


def _steps(cbs: list) -> list:
    return [cb._step for cb in cbs if isinstance(cb, TensorBoard)]


def _assert_same(straight: Trainer, resumed: Trainer, a: Path, b: Path, where: str) -> None:
    sa, sb = straight.model.state_dict(), resumed.model.state_dict()
    for k in sa:
        np.testing.assert_array_equal(np.asarray(sa[k]), np.asarray(sb[k]), err_msg=f"{where} {k}")
    assert straight.optimizer.param_groups[0]["lr"] == resumed.optimizer.param_groups[0]["lr"], (
        where
    )
    ha, hb = straight.history.history, resumed.history.history
    for key in ha:
        if key != "seconds":
            assert np.array_equal(ha[key], hb[key], equal_nan=True), f"{where} history {key}"
    assert straight.history.epoch == resumed.history.epoch, where
    assert _files(a) == _files(b), f"{where}: files differ"


@pytest.mark.parametrize("name", sorted(CALLBACKS))
def test_resume_at_every_epoch_is_bit_identical(name, tmp_path):
    straight_dir = tmp_path / "straight"
    straight_dir.mkdir()
    straight, straight_cbs = _fit(straight_dir, 0, name)
    done = len(straight.history.epoch)
    cases = 0
    for k in range(1, done + (done < EPOCHS)):
        for batch in (None, 1):
            if k >= EPOCHS:
                continue
            folder = tmp_path / f"cut{k}-{batch}"
            folder.mkdir()
            cut, _ = _fit(folder, 0, name, extra=[Interrupt(k, batch)])
            assert len(cut.history.epoch) == k  # really cut short
            L.manual_seed(12345)  # a new process: the RNG is elsewhere
            resumed, resumed_cbs = _fit(folder, 7, name, resume=True)
            assert _steps(resumed_cbs) == _steps(straight_cbs)  # TensorBoard's batch step
            _assert_same(
                straight, resumed, straight_dir, folder, f"{name} cut at epoch {k}/{batch}"
            )
            cases += 1
    assert cases >= 2 * min(done, EPOCHS - 1) - 2, cases
    assert math.isfinite(straight.history.history["loss"][-1])
