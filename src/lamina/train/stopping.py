"""Callbacks that end training: EarlyStopping, TargetStopping, TerminateOnNaN (keras)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .base import Callback, copy_state, monitored, resolve_mode

__all__ = ["EarlyStopping", "TargetStopping", "StopAtTarget", "TerminateOnNaN"]


class EarlyStopping(Callback):
    """Stop when a monitored value stops improving (keras.callbacks.EarlyStopping, Keras 3).

    Every epoch counts one epoch of waiting; an epoch that improves on the best value seen
    (by more than ``min_delta``) resets the count, if it also beats ``baseline`` when one is
    given. Training stops at the first epoch that does not improve once the count has
    reached ``patience``. An improving epoch never stops training.

    Args:
        monitor: the logs key to watch, e.g. ``"val_loss"`` or ``"val_accuracy"``.
        min_delta: a change smaller than this is no improvement.
        patience: epochs without improvement after which training stops.
        mode: ``"min"``, ``"max"`` or ``"auto"`` (max for accuracy-like names).
        baseline: the value to beat: until an epoch beats it, improvements do not reset
            the count, so training stops at the first non-improving epoch after
            ``patience`` epochs that did not reach the baseline.
        restore_best_weights: at the end of training (stopped early or not) restore the
            weights of the best epoch, as Keras 3 does.
        start_from_epoch: epochs to let pass before watching (a warm-up).
        verbose: 1 prints the epoch it stopped at and the restore.

    A monitored value that is NaN is no improvement, as in Keras.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0.0,
        patience: int = 0,
        mode: str = "auto",
        baseline: float | None = None,
        restore_best_weights: bool = False,
        start_from_epoch: int = 0,
        verbose: int = 0,
    ) -> None:
        self.monitor, self.patience, self.baseline = monitor, patience, baseline
        self.mode = resolve_mode(mode, monitor, "EarlyStopping")
        self.min_delta = abs(min_delta)
        self.restore_best_weights, self.start_from_epoch = restore_best_weights, start_from_epoch
        self.verbose = verbose

    def _better(self, value: float, reference: float | None) -> bool:
        if reference is None:
            return True
        if self.mode == "min":
            return value + self.min_delta < reference
        return value - self.min_delta > reference

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.wait, self.stopped_epoch, self.best_epoch = 0, 0, 0
        self.best: float | None = None
        self.best_weights: dict[str, np.ndarray] | None = None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if epoch < self.start_from_epoch:
            return
        current = monitored(logs, self.monitor, "EarlyStopping")
        if current is None:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights, self.best_epoch = copy_state(self.model), epoch
        self.wait += 1
        if self._better(current, self.best):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = copy_state(self.model)
            if self.baseline is None or self._better(current, self.baseline):
                self.wait = 0  # a new best that also beats the baseline
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.trainer.stop_training = True

    def on_train_end(self, logs: dict | None = None) -> None:
        if self.stopped_epoch and self.verbose:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            self.model.load_state_dict(self.best_weights)
            if self.verbose:
                print(f"Restoring weights from the best epoch: {self.best_epoch + 1}")


class TargetStopping(Callback):
    """Stop once a monitored value reaches a target, e.g. the article's minimum error.

    Args:
        monitor: the logs key, ``"loss"`` by default.
        target: the value to reach (``<=`` in mode min, ``>=`` in mode max).
        mode: ``"min"``, ``"max"`` or ``"auto"``.

    No Keras equivalent (Keras users write it as a custom callback).
    """

    def __init__(self, monitor: str = "loss", target: float = 0.0, mode: str = "auto") -> None:
        self.monitor, self.target = monitor, target
        self.mode = resolve_mode(mode, monitor, "TargetStopping")
        self.stopped_epoch: int | None = None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        current = monitored(logs, self.monitor, "TargetStopping")
        if current is None:
            return
        reached = current <= self.target if self.mode == "min" else current >= self.target
        if reached:
            self.stopped_epoch = epoch
            self.trainer.stop_training = True


StopAtTarget = TargetStopping


class TerminateOnNaN(Callback):
    """Stop as soon as a batch's loss is NaN or infinite (keras.callbacks.TerminateOnNaN).

    Every logged value whose key ends in ``loss`` is watched (a GAN's ``d_loss`` and
    ``g_loss`` too).

    Unlike Keras it keeps the last good weights: each batch starts by copying the
    parameters into a buffer (one array copy per parameter, no allocation), and a
    non-finite loss puts them back, so the model holds the weights from before the
    update that produced it. ``self.message`` says what happened.
    """

    def __init__(self) -> None:
        self.message: str | None = None
        self._saved: list[np.ndarray] = []

    def _params(self) -> list[Any]:
        return [p for p in self.model.parameters()]

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._saved = [np.empty_like(p._data) for p in self._params()]
        self.message = None

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        for buf, p in zip(self._saved, self._params()):
            np.copyto(buf, p._data)

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        # every loss the loop logs: "loss", and a GAN's "d_loss"/"g_loss"
        bad = [
            (k, v)
            for k, v in (logs or {}).items()
            if k.endswith("loss") and isinstance(v, (int, float)) and not math.isfinite(v)
        ]
        if not bad:
            return
        for buf, p in zip(self._saved, self._params()):
            np.copyto(p._data, buf)
        key, loss = bad[0]
        self.message = (
            f"TerminateOnNaN: batch {batch} gave {key} {loss}; training stopped and the "
            "weights from before that batch's update were kept"
        )
        print(self.message)
        self.trainer.stop_training = True
