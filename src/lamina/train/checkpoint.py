"""Training checkpoints: everything ``fit`` needs to continue as if never stopped.

A checkpoint holds the model's state dict, the optimizer's and the scheduler's state
dicts, the number of finished epochs, lamina's global RNG state (so the next epoch
shuffles exactly as an uninterrupted run would), the History so far, every callback's
state and whether a callback had stopped training. It is written by
:func:`lamina.io.save_checkpoint`: arrays as safetensors tensors, the rest as JSON in the
header, no pickle, atomically (temp file, fsync, ``os.replace``). Torch users write the
same dict with ``torch.save``; Keras has ``BackupAndRestore``.

Restoring is all-or-nothing: :func:`read_training_checkpoint` checks every part against
the live trainer (keys, shapes, value kinds, finite learning rates, the optimizer's class,
the RNG state) and only then is anything changed.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

import numpy as np

from ..io import LaminaFileError, is_checkpoint, load_checkpoint, save_checkpoint
from ..io.checkpoint import as_array
from ..random import get_rng_state, set_rng_state
from . import callback_state as cbstate
from .conform import PartError, check_number, conform, fail, is_number

__all__ = [
    "FORMAT",
    "training_state",
    "save_training_checkpoint",
    "load_training_checkpoint",
    "read_training_checkpoint",
]

FORMAT = "lamina.train/1"
_KEYS = ("format", "epoch", "model", "optimizer", "scheduler", "rng", "history")


def _callbacks(trainer: Any) -> list[Any]:
    return [cb for cb in getattr(trainer, "_callbacks", ()) if cbstate.has_state(cb)]


def training_state(trainer: Any, epoch: int) -> dict[str, Any]:
    """The checkpoint dict of ``trainer`` after ``epoch`` finished epochs."""
    scheduler, optimizer = getattr(trainer, "scheduler", None), trainer.optimizer
    stopping = getattr(trainer, "_stopping", None)
    return {
        "format": FORMAT,
        "epoch": int(epoch),
        "model": dict(trainer.model.state_dict()),
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "optimizer_class": type(optimizer).__name__,
        "scheduler": scheduler.state_dict() if scheduler is not None else None,
        "rng": get_rng_state(),
        "history": trainer.history.state_dict(),
        "callbacks": [
            {"class": type(cb).__name__, "state": cbstate.state_of(cb)}
            for cb in _callbacks(trainer)
        ],
        "stopped": bool(stopping()) if callable(stopping) else False,
        "world_size": _world_size(),
    }


def _world_size() -> int:
    """The number of MPI ranks that trained (resume warns when it differs)."""
    from ..distributed.group import _world

    return 1 if _world[0] is None else _world[0].size


def save_training_checkpoint(path: str | os.PathLike, trainer: Any, epoch: int) -> None:
    """Write ``training_state(trainer, epoch)`` to ``path`` atomically (safetensors + JSON)."""
    save_checkpoint(training_state(trainer, epoch), path)


class Restore:
    """A checked checkpoint, ready to apply (see :func:`read_training_checkpoint`)."""

    def __init__(self, trainer: Any, state: dict, pairs: list[tuple[Any, Any]]) -> None:
        self.trainer, self.state, self.pairs = trainer, state, pairs
        self.epoch: int = state["epoch"]
        self.stopped: bool = bool(state.get("stopped", False))

    def apply_core(self) -> None:
        """Model, optimizer, scheduler, RNG and History (before ``on_train_begin``)."""
        t, s = self.trainer, self.state
        t.model.load_state_dict(s["model"])
        if t.optimizer is not None:
            t.optimizer.load_state_dict(s["optimizer"])
        if getattr(t, "scheduler", None) is not None:
            t.scheduler.load_state_dict(s["scheduler"])
        set_rng_state(s["rng"])
        t.history.load_state_dict(s["history"])

    def apply_callbacks(self) -> None:
        """Each callback's state (after ``on_train_begin``, which resets them)."""
        for cb, saved in self.pairs:
            cbstate.put_state(cb, saved)


def read_training_checkpoint(path: str | os.PathLike, trainer: Any, callbacks: Any = ()) -> Restore:
    """Read and check a training checkpoint against ``trainer`` and ``callbacks``.

    Nothing is changed: the returned :class:`Restore` applies it.

    Raises:
        ValueError: not a lamina training checkpoint, or a part that does not fit the
            trainer (an optimizer or scheduler on one side only).
        LaminaFileError: (a ValueError) a malformed part, naming the file, the part and
            the key: an epoch that is not an int >= 0, model arrays of the wrong keys,
            shapes or dtypes, an optimizer of another class or with a non-finite lr,
            an RNG state out of range, a malformed history or callback state.
    """
    state = load_checkpoint(path) if is_checkpoint(path) else None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        found = state.get("format") if isinstance(state, dict) else "a plain state dict"
        raise ValueError(
            f"{os.fspath(path)}: format {found!r}, expected a training checkpoint {FORMAT!r} "
            "(written by Trainer.save_checkpoint or ModelCheckpoint(save_weights_only=False))"
        )
    missing = [k for k in _KEYS if k not in state]
    if missing:
        raise ValueError(f"{os.fspath(path)}: training checkpoint lacks {missing}")
    for part, check in [
        ("epoch", _check_epoch),
        ("model", lambda s: _check_model(s, trainer)),
        ("optimizer", lambda s: _check_optimizer(path, s, state, trainer)),
        ("scheduler", lambda s: _check_scheduler(path, s, trainer)),
        ("rng", _check_rng),
        ("history", _check_history),
        ("stopped", _check_stopped),
    ]:
        try:
            check(state.get(part))
        except PartError as e:
            raise fail(path, part, e) from None
    pairs = _match_callbacks(path, state.get("callbacks", []), callbacks)
    return Restore(trainer, state, pairs)


def load_training_checkpoint(path: str | os.PathLike, trainer: Any) -> int:
    """Restore model, optimizer, scheduler, RNG and history from ``path``, all or nothing.

    Returns:
        The number of finished epochs, i.e. the ``initial_epoch`` to continue from.

    Raises:
        ValueError, LaminaFileError: as :func:`read_training_checkpoint`; nothing changed.
    """
    restore = read_training_checkpoint(path, trainer)
    restore.apply_core()
    return restore.epoch


# ---- checks (raise PartError; change nothing) ------------------------------------------------
def _check_epoch(epoch: Any) -> None:
    if not isinstance(epoch, int) or isinstance(epoch, bool) or epoch < 0:
        raise PartError("epoch", f"{epoch!r:.40}, expected an int >= 0")


def _check_stopped(stopped: Any) -> None:
    if stopped is not None and not isinstance(stopped, bool):
        raise PartError("stopped", f"{stopped!r:.40}, expected true or false")


def _check_model(saved: Any, trainer: Any) -> None:
    live = {k: as_array(v) for k, v in trainer.model.state_dict().items()}
    conform(saved, live)


def _check_optimizer(path: Any, saved: Any, state: dict, trainer: Any) -> None:
    opt = trainer.optimizer
    if (opt is None) != (saved is None):
        raise ValueError(
            f"{os.fspath(path)}: the checkpoint {'has' if saved is not None else 'has no'} "
            f"optimizer state but the trainer's optimizer is {type(opt).__name__}"
        )
    if opt is None:
        return
    cls = state.get("optimizer_class", type(opt).__name__)
    if cls != type(opt).__name__:
        raise PartError("optimizer_class", f"{cls!r:.40}, the trainer's is {type(opt).__name__!r}")
    _check_one_optimizer(saved, opt, "")


def _check_one_optimizer(saved: Any, opt: Any, prefix: str) -> None:
    parts = getattr(opt, "parts", None)
    if parts is not None:  # several optimizers saved as one dict (GANTrainer's D and G)
        if not isinstance(saved, dict) or set(saved) != set(parts):
            raise PartError(prefix + "(top)", f"expected a dict with keys {sorted(parts)}")
        for name, sub in parts.items():
            _check_one_optimizer(saved[name], sub, f"{prefix}{name}.")
        return
    live = opt.state_dict()
    if not isinstance(saved, dict) or set(saved) != {"state", "param_groups"}:
        raise PartError(prefix + "(top)", "expected a dict with keys ['param_groups', 'state']")
    conform(saved["param_groups"], live["param_groups"], prefix + "param_groups")
    params = [p for g in opt.param_groups for p in g["params"]]
    _check_optimizer_state(saved["state"], [as_array(p) for p in params], prefix + "state")


def _check_optimizer_state(saved: Any, params: list[np.ndarray], where: str) -> None:
    if not isinstance(saved, dict):
        raise PartError(where, f"{type(saved).__name__}, expected a dict")
    for index, entry in saved.items():
        key = f"{where}.{index}"
        if not isinstance(index, int) or not 0 <= index < len(params):
            raise PartError(key, f"names no parameter (0..{len(params) - 1})")
        if not isinstance(entry, dict):
            raise PartError(key, f"{type(entry).__name__}, expected a dict")
        for name, value in entry.items():
            where = f"{key}.{name}"
            if isinstance(value, np.ndarray) and value.ndim:
                conform(value, params[index], where)
            elif isinstance(value, np.ndarray) or is_number(value):
                check_number(value.item() if isinstance(value, np.ndarray) else value, where)
            elif value is not None:
                raise PartError(where, f"{type(value).__name__}, expected an array or number")


def _check_scheduler(path: Any, saved: Any, trainer: Any) -> None:
    scheduler = getattr(trainer, "scheduler", None)
    if (scheduler is None) != (saved is None):
        raise ValueError(
            f"{os.fspath(path)}: the checkpoint {'has' if saved is not None else 'has no'} "
            f"scheduler state but the trainer's scheduler is {type(scheduler).__name__}"
        )
    if scheduler is not None:
        conform(saved, scheduler.state_dict())


def _check_rng(saved: Any) -> None:
    conform(saved, get_rng_state())
    for name in ("state", "inc"):
        value = saved["state"][name]
        if not 0 <= value < 1 << 128:
            raise PartError(f"state.{name}", f"{value} is outside [0, 2**128)")
    try:  # a scratch generator: the global one is untouched
        type(np.random.default_rng().bit_generator)().state = saved
    except (TypeError, ValueError, OverflowError, KeyError) as e:
        raise PartError("state", f"cannot be restored ({type(e).__name__}: {e})") from None


def _check_history(saved: Any) -> None:
    if not isinstance(saved, dict) or set(saved) != {"history", "epoch"}:
        raise PartError("(top)", "expected keys ['epoch', 'history']")
    if not isinstance(saved["history"], dict):
        raise PartError("history", f"{type(saved['history']).__name__}, expected a dict")
    for name, values in saved["history"].items():
        if not isinstance(name, str) or not isinstance(values, list):
            raise PartError(f"history.{name}", "expected a list of numbers")
        for i, v in enumerate(values):
            if not is_number(v):  # NaN is a real outcome (a diverged epoch): kept
                raise PartError(f"history.{name}.{i}", f"{v!r:.40}, expected a number")
    epochs = saved["epoch"]
    if not isinstance(epochs, list) or not all(
        isinstance(e, int) and not isinstance(e, bool) and e >= 0 for e in epochs
    ):
        raise PartError("epoch", "expected a list of ints >= 0")


def _match_callbacks(path: Any, saved: Any, callbacks: Any) -> list[tuple[Any, Any]]:
    """Pair each stateful callback with the saved state of the same class, in order."""
    if not isinstance(saved, list) or not all(
        isinstance(e, dict) and set(e) == {"class", "state"} and isinstance(e["class"], str)
        for e in saved
    ):
        raise LaminaFileError(path, "training checkpoint part 'callbacks' is malformed")
    pending = list(enumerate(saved))
    pairs = []
    for cb in (c for c in callbacks if cbstate.has_state(c)):
        found = next((p for p in pending if p[1]["class"] == type(cb).__name__), None)
        if found is None:
            warnings.warn(
                f"resume: no saved state for {type(cb).__name__}; it starts fresh", stacklevel=3
            )
            continue
        pending.remove(found)
        index, entry = found
        try:
            cbstate.check_state(cb, entry["state"])
        except PartError as e:
            raise fail(path, f"callbacks.{index} ({entry['class']})", e) from None
        pairs.append((cb, entry["state"]))
    for _, entry in pending:
        warnings.warn(
            f"resume: the checkpoint's {entry['class']} state has no callback", stacklevel=3
        )
    return pairs
