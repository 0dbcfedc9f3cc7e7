"""Callbacks: hooks into the training loop with Keras's names (keras.callbacks).

A callback sees ``self.trainer`` (the :class:`~lamina.train.Trainer`) and ``self.model``
(its module). To stop training it sets ``self.trainer.stop_training = True`` (setting
``self.model.stop_training = True``, as in Keras, works too). Epochs are 0-based in hooks
and 1-based in file names and printed lines, as in Keras.
"""

from __future__ import annotations

import csv
import math
import os
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = [
    "Callback",
    "CallbackList",
    "History",
    "EarlyStopping",
    "TargetStopping",
    "StopAtTarget",
    "ModelCheckpoint",
    "LearningRateScheduler",
    "ReduceLROnPlateau",
    "TerminateOnNaN",
    "CSVLogger",
    "LambdaCallback",
]

_HOOKS = (
    "on_train_begin",
    "on_train_end",
    "on_epoch_begin",
    "on_epoch_end",
    "on_train_batch_begin",
    "on_train_batch_end",
)
_MAX_WORDS = ("acc", "precision", "recall", "f1", "auc")


class Callback:
    """Base class; override any hook (keras.callbacks.Callback)."""

    trainer: Any = None
    model: Any = None

    def set_trainer(self, trainer: Any) -> None:
        self.trainer, self.model = trainer, trainer.model

    def on_train_begin(self, logs: dict | None = None) -> None: ...
    def on_train_end(self, logs: dict | None = None) -> None: ...
    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None: ...
    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None: ...
    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None: ...
    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None: ...


class CallbackList:
    """Calls each hook on every callback in order."""

    def __init__(self, callbacks: list[Callback], trainer: Any) -> None:
        for cb in callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"callbacks: {cb!r} is not a lamina.train.Callback")
            cb.set_trainer(trainer)
        self.callbacks = list(callbacks)

    def call(self, hook: str, *args: Any) -> None:
        for cb in self.callbacks:
            getattr(cb, hook)(*args)


def _resolve_mode(mode: str, monitor: str, where: str) -> str:
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"{where}: mode={mode!r}, expected 'auto', 'min' or 'max'")
    if mode == "auto":
        return "max" if any(w in monitor for w in _MAX_WORDS) else "min"
    return mode


def _monitored(logs: dict | None, monitor: str, where: str) -> float | None:
    value = (logs or {}).get(monitor)
    if value is None:
        warnings.warn(
            f"{where}: monitor {monitor!r} is not in the logs (available: "
            f"{sorted(logs or {})}); skipping",
            stacklevel=3,
        )
    return value


def _copy_state(model: Any) -> dict[str, np.ndarray]:
    return {k: np.array(v, copy=True) for k, v in model.state_dict().items()}


class History(Callback):
    """Records every epoch's logs (keras.callbacks.History); ``fit`` returns one.

    Attributes:
        history: metric name -> list of per-epoch values (``loss``, ``val_loss``, ``lr`` ...).
        epoch: the 0-based indices of the recorded epochs.
    """

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)

    def state_dict(self) -> dict[str, Any]:
        return {"history": {k: list(v) for k, v in self.history.items()}, "epoch": list(self.epoch)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.history = {k: [float(x) for x in v] for k, v in state["history"].items()}
        self.epoch = [int(e) for e in state["epoch"]]

    def __repr__(self) -> str:
        return f"History(epochs={len(self.epoch)}, keys={list(self.history)})"


class EarlyStopping(Callback):
    """Stop when a monitored value stops improving (keras.callbacks.EarlyStopping).

    Args:
        monitor: the logs key to watch, e.g. ``"val_loss"`` or ``"val_accuracy"``.
        min_delta: a change smaller than this is no improvement.
        patience: epochs without improvement before stopping.
        mode: ``"min"``, ``"max"`` or ``"auto"`` (max for accuracy-like names).
        baseline: stop unless the value beats this within ``patience`` epochs.
        restore_best_weights: at the end of training restore the weights of the best epoch,
            whether training stopped early or ran all its epochs (Keras restores only on an
            early stop, which returns a worse model than the one it reported as best).
        start_from_epoch: epochs to let pass before watching.
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
        self.mode = _resolve_mode(mode, monitor, "EarlyStopping")
        self.min_delta = abs(min_delta)
        self.restore_best_weights, self.start_from_epoch = restore_best_weights, start_from_epoch
        self.verbose = verbose

    def _better(self, value: float, reference: float) -> bool:
        if self.mode == "min":
            return value + self.min_delta < reference
        return value - self.min_delta > reference

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.wait, self.stopped_epoch, self.best_epoch = 0, 0, 0
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_weights: dict[str, np.ndarray] | None = None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if epoch < self.start_from_epoch:
            return
        current = _monitored(logs, self.monitor, "EarlyStopping")
        if current is None or math.isnan(current):
            return
        self.wait += 1
        if self._better(current, self.best):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = _copy_state(self.model)
            if self.baseline is None or self._better(current, self.baseline):
                self.wait = 0
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
        self.mode = _resolve_mode(mode, monitor, "TargetStopping")
        self.stopped_epoch: int | None = None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        current = _monitored(logs, self.monitor, "TargetStopping")
        if current is None:
            return
        reached = current <= self.target if self.mode == "min" else current >= self.target
        if reached:
            self.stopped_epoch = epoch
            self.trainer.stop_training = True


StopAtTarget = TargetStopping


class ModelCheckpoint(Callback):
    """Save the model after every epoch, or only when it improves (keras ModelCheckpoint).

    Args:
        filepath: a path that may hold ``{epoch}`` (1-based) and any logs key with a
            format, e.g. ``"ckpt/model-{epoch:02d}-{val_loss:.3f}.safetensors"``.
        monitor: the logs key that decides what "best" is.
        save_best_only: save only when ``monitor`` improves on the best seen.
        mode: ``"min"``, ``"max"`` or ``"auto"``.
        save_weights_only: True writes the model's state dict as plain safetensors;
            False writes a full training checkpoint (model, optimizer, scheduler, epoch,
            RNG state, history) that ``fit(resume_from=...)`` continues from.

    Files are written atomically (temp file, fsync, ``os.replace``).
    """

    def __init__(
        self,
        filepath: str | os.PathLike,
        monitor: str = "val_loss",
        save_best_only: bool = False,
        mode: str = "auto",
        save_weights_only: bool = True,
        verbose: int = 0,
    ) -> None:
        self.filepath, self.monitor = os.fspath(filepath), monitor
        self.save_best_only, self.save_weights_only = save_best_only, save_weights_only
        self.mode = _resolve_mode(mode, monitor, "ModelCheckpoint")
        self.best = math.inf if self.mode == "min" else -math.inf
        self.verbose = verbose
        self.saved: list[str] = []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        if self.save_best_only:
            current = _monitored(logs, self.monitor, "ModelCheckpoint")
            if current is None or not math.isfinite(current):
                return
            better = current < self.best if self.mode == "min" else current > self.best
            if not better:
                return
            self.best = current
        try:
            path = self.filepath.format(epoch=epoch + 1, **logs)
        except (KeyError, IndexError, ValueError) as e:
            raise ValueError(
                f"ModelCheckpoint: cannot fill filepath {self.filepath!r} from epoch and "
                f"logs keys {sorted(logs)}: {e!r}"
            ) from None
        folder = os.path.dirname(os.path.abspath(path))
        os.makedirs(folder, exist_ok=True)
        if self.save_weights_only:
            from ..io import save_file

            save_file(self.model.state_dict(), path)
        else:
            self.trainer.save_checkpoint(path, epoch + 1)
        self.saved.append(path)
        if self.verbose:
            print(f"Epoch {epoch + 1}: saved {path}")


class LearningRateScheduler(Callback):
    """Set the lr at each epoch's start to ``schedule(epoch, lr)`` (keras LearningRateScheduler).

    Args:
        schedule: ``(epoch: int (0-based), lr: float) -> float``, or a lamina
            ``lr_scheduler`` object, which is then stepped at each epoch's end.
    """

    def __init__(self, schedule: Any, verbose: int = 0) -> None:
        self.schedule, self.verbose = schedule, verbose

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        if hasattr(self.schedule, "step"):
            return
        groups = self.trainer.optimizer.param_groups
        lr = float(self.schedule(epoch, float(groups[0]["lr"])))
        if not math.isfinite(lr):
            raise ValueError(f"LearningRateScheduler: schedule({epoch}) gave lr={lr!r}")
        for group in groups:
            group["lr"] = lr
        if self.verbose:
            print(f"Epoch {epoch + 1}: learning rate {lr:.6g}")

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if hasattr(self.schedule, "step"):
            self.schedule.step()


class ReduceLROnPlateau(Callback):
    """Cut the lr when a monitored value plateaus (keras.callbacks.ReduceLROnPlateau).

    Wraps :class:`lamina.optim.lr_scheduler.ReduceLROnPlateau` with Keras's argument
    names: ``min_delta`` is an absolute threshold, ``min_lr`` the floor.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        mode: str = "auto",
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
    ) -> None:
        self.monitor = monitor
        self.mode = _resolve_mode(mode, monitor, "ReduceLROnPlateau")
        self.options = dict(
            factor=factor, patience=patience, threshold=min_delta, cooldown=cooldown
        )
        self.options.update(threshold_mode="abs", min_lr=min_lr)
        self.scheduler: Any = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        from ..optim.lr_scheduler import ReduceLROnPlateau as _Plateau

        self.scheduler = _Plateau(self.trainer.optimizer, mode=self.mode, **self.options)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        current = _monitored(logs, self.monitor, "ReduceLROnPlateau")
        if current is not None:
            self.scheduler.step(current)


class TerminateOnNaN(Callback):
    """Stop as soon as a batch's loss is NaN or infinite (keras.callbacks.TerminateOnNaN).

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
        self._saved = [np.empty_like(p.data) for p in self._params()]
        self.message = None

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        for buf, p in zip(self._saved, self._params()):
            np.copyto(buf, p.data)

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is None or math.isfinite(loss):
            return
        for buf, p in zip(self._saved, self._params()):
            np.copyto(p.data, buf)
        self.message = (
            f"TerminateOnNaN: batch {batch} gave loss {loss}; training stopped and the "
            "weights from before that batch's update were kept"
        )
        print(self.message)
        self.trainer.stop_training = True


class CSVLogger(Callback):
    """Write each epoch's logs as a row of a CSV file (keras.callbacks.CSVLogger).

    Args:
        filename: the CSV file; its folder is created.
        separator: the field separator.
        append: add to an existing file (header written only if it is empty).

    Columns: ``epoch`` (0-based, as Keras) then the logs keys in order; each row is
    flushed at once so the file can be followed while training runs.
    """

    def __init__(self, filename: str | os.PathLike, separator: str = ",", append: bool = False):
        self.filename, self.sep, self.append = os.fspath(filename), separator, append
        self._file: Any = None
        self.keys: list[str] | None = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        folder = os.path.dirname(os.path.abspath(self.filename))
        os.makedirs(folder, exist_ok=True)
        has_rows = self.append and os.path.exists(self.filename)
        has_rows = has_rows and os.path.getsize(self.filename) > 0
        self._file = open(self.filename, "a" if self.append else "w", newline="")  # noqa: SIM115
        self.keys = None
        if has_rows:
            with open(self.filename, newline="") as f:
                self.keys = next(csv.reader(f, delimiter=self.sep))[1:]
        self._writer = csv.writer(self._file, delimiter=self.sep, lineterminator="\n")

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        if self.keys is None:
            self.keys = list(logs)
            self._writer.writerow(["epoch", *self.keys])
        self._writer.writerow([epoch, *(_fmt(logs.get(k, "")) for k in self.keys)])
        self._file.flush()

    def on_train_end(self, logs: dict | None = None) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def _fmt(value: Any) -> Any:
    return repr(float(value)) if isinstance(value, (float, np.floating)) else value


class LambdaCallback(Callback):
    """A callback from plain functions (keras.callbacks.LambdaCallback).

    Example:
        >>> LambdaCallback(on_epoch_end=lambda epoch, logs: print(epoch, logs["loss"]))
    """

    def __init__(self, **hooks: Callable[..., Any]) -> None:
        for name, fn in hooks.items():
            if name not in _HOOKS:
                raise ValueError(f"LambdaCallback: unknown hook {name!r}; expected one of {_HOOKS}")
            setattr(self, name, fn)
