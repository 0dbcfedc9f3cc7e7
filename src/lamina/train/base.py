"""Callback base class, the hook dispatcher, History and shared monitor helpers."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

__all__ = ["Callback", "CallbackList", "History"]

HOOKS = (
    "on_train_begin",
    "on_train_end",
    "on_epoch_begin",
    "on_epoch_end",
    "on_train_batch_begin",
    "on_train_batch_end",
)
_MAX_WORDS = ("acc", "precision", "recall", "f1", "auc")


class Callback:
    """Base class; override any hook (keras.callbacks.Callback).

    Under MPI (``lamina.distributed``) every rank runs ``fit`` and its callbacks, with the
    same epoch logs; a callback with ``rank_zero_only = True`` (the shipped ones that write
    files: ModelCheckpoint, CSVLogger, TensorBoard) runs on rank 0 only.
    """

    trainer: Any = None
    model: Any = None
    rank_zero_only: bool = False

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
        from ..distributed.group import _world

        here = 0 if _world[0] is None else _world[0].rank
        self.callbacks = [cb for cb in callbacks if here == 0 or not cb.rank_zero_only]

    def call(self, hook: str, *args: Any) -> None:
        for cb in self.callbacks:
            getattr(cb, hook)(*args)
        if hook == "on_epoch_end":  # e.g. ModelCheckpoint's full checkpoint: after every
            for cb in self.callbacks:  # callback has updated its state for this epoch
                after = getattr(cb, "_after_epoch_end", None)
                if after is not None:
                    after()


def resolve_mode(mode: str, monitor: str, where: str) -> str:
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"{where}: mode={mode!r}, expected 'auto', 'min' or 'max'")
    if mode == "auto":
        return "max" if any(w in monitor for w in _MAX_WORDS) else "min"
    return mode


def monitored(logs: dict | None, monitor: str, where: str) -> float | None:
    value = (logs or {}).get(monitor)
    if value is None:
        warnings.warn(
            f"{where}: monitor {monitor!r} is not in the logs (available: "
            f"{sorted(logs or {})}); skipping",
            stacklevel=3,
        )
    return value


def copy_state(model: Any) -> dict[str, np.ndarray]:
    return {k: np.asarray(v).copy() for k, v in model.state_dict().items()}


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
