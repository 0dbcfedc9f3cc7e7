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
from collections.abc import Callable
from typing import Any

import numpy as np

from .base import HOOKS, Callback, CallbackList, History, monitored, resolve_mode
from .stopping import EarlyStopping, StopAtTarget, TargetStopping, TerminateOnNaN

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

    rank_zero_only = True  # under MPI only rank 0 writes

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
        self.mode = resolve_mode(mode, monitor, "ModelCheckpoint")
        self.best = math.inf if self.mode == "min" else -math.inf
        self.verbose = verbose
        self.saved: list[str] = []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        if self.save_best_only:
            current = monitored(logs, self.monitor, "ModelCheckpoint")
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
            self.saved.append(path)
            if self.verbose:
                print(f"Epoch {epoch + 1}: saved {path}")
        else:  # written once every callback has seen this epoch: their state is complete
            self._pending = (path, epoch + 1)

    def _after_epoch_end(self) -> None:
        pending, self._pending = getattr(self, "_pending", None), None
        if pending is not None:
            self.saved.append(pending[0])  # part of the state the checkpoint records
            try:
                self.trainer.save_checkpoint(*pending)
            except BaseException:
                self.saved.pop()
                raise
            if self.verbose:
                print(f"Epoch {pending[1]}: saved {pending[0]}")


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
        self.mode = resolve_mode(mode, monitor, "ReduceLROnPlateau")
        self.options = dict(
            factor=factor, patience=patience, threshold=min_delta, cooldown=cooldown
        )
        self.options.update(threshold_mode="abs", min_lr=min_lr)
        self.scheduler: Any = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        from ..optim.lr_scheduler import ReduceLROnPlateau as _Plateau

        self.scheduler = _Plateau(self.trainer.optimizer, mode=self.mode, **self.options)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        current = monitored(logs, self.monitor, "ReduceLROnPlateau")
        if current is not None:
            self.scheduler.step(current)


class CSVLogger(Callback):
    """Write each epoch's logs as a row of a CSV file (keras.callbacks.CSVLogger).

    Args:
        filename: the CSV file; its folder is created.
        separator: the field separator.
        append: add to an existing file (header written only if it is empty).

    Columns: ``epoch`` (0-based, as Keras) then the logs keys in order; each row is
    flushed at once so the file can be followed while training runs.
    """

    rank_zero_only = True  # under MPI only rank 0 writes

    def __init__(self, filename: str | os.PathLike, separator: str = ",", append: bool = False):
        self.filename, self.sep, self.append = os.fspath(filename), separator, append
        self._file: Any = None
        self.keys: list[str] | None = None
        self._resume_size: int | None = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        folder = os.path.dirname(os.path.abspath(self.filename))
        os.makedirs(folder, exist_ok=True)
        has_rows = self.append and os.path.exists(self.filename)
        has_rows = has_rows and os.path.getsize(self.filename) > 0
        self.keys, self._resume_size = None, None
        if has_rows:
            with open(self.filename, newline="") as f:
                self.keys = next(csv.reader(f, delimiter=self.sep))[1:]
        # opened at the first row: a resumed fit first says where the file continues
        self._file = None

    def resume_at(self, size: int, keys: list[str] | None) -> None:
        """Continue the file of an interrupted run: rows after ``size`` bytes are dropped
        (epochs the checkpoint does not hold), then rows are appended."""
        self._resume_size, self.keys = size, None if keys is None else list(keys)

    def _open(self) -> None:
        resume = self._resume_size
        mode = "a" if self.append or resume is not None else "w"
        self._file = open(self.filename, mode, newline="")  # noqa: SIM115
        if resume is not None and os.path.getsize(self.filename) > resume:
            self._file.truncate(resume)
        self._writer = csv.writer(self._file, delimiter=self.sep, lineterminator="\n")

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        if self._file is None:
            self._open()
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
            if name not in HOOKS:
                raise ValueError(f"LambdaCallback: unknown hook {name!r}; expected one of {HOOKS}")
            setattr(self, name, fn)
