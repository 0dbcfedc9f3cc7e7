"""Training checkpoints: everything ``fit`` needs to continue as if never stopped.

A checkpoint holds the model's state dict, the optimizer's and the scheduler's state
dicts, the number of finished epochs, lamina's global RNG state (so the next epoch
shuffles exactly as an uninterrupted run would) and the History so far. It is written by
:func:`lamina.io.save_checkpoint`: arrays as safetensors tensors, the rest as JSON in the
header, no pickle, atomically (temp file, fsync, ``os.replace``). Torch users write the
same dict with ``torch.save``; Keras has ``BackupAndRestore``.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

from ..io import LaminaFileError, is_checkpoint, load_checkpoint, save_checkpoint
from ..random import get_rng_state, set_rng_state

__all__ = ["FORMAT", "training_state", "save_training_checkpoint", "load_training_checkpoint"]

FORMAT = "lamina.train/1"
_KEYS = ("format", "epoch", "model", "optimizer", "scheduler", "rng", "history")


def training_state(trainer: Any, epoch: int) -> dict[str, Any]:
    """The checkpoint dict of ``trainer`` after ``epoch`` finished epochs."""
    scheduler = getattr(trainer, "scheduler", None)
    return {
        "format": FORMAT,
        "epoch": int(epoch),
        "model": dict(trainer.model.state_dict()),
        "optimizer": trainer.optimizer.state_dict() if trainer.optimizer is not None else None,
        "scheduler": scheduler.state_dict() if scheduler is not None else None,
        "rng": get_rng_state(),
        "history": trainer.history.state_dict(),
    }


def save_training_checkpoint(path: str | os.PathLike, trainer: Any, epoch: int) -> None:
    """Write ``training_state(trainer, epoch)`` to ``path`` atomically (safetensors + JSON)."""
    save_checkpoint(training_state(trainer, epoch), path)


def load_training_checkpoint(path: str | os.PathLike, trainer: Any) -> int:
    """Restore model, optimizer, scheduler, RNG and history from ``path``.

    Returns:
        The number of finished epochs, i.e. the ``initial_epoch`` to continue from.

    Raises:
        ValueError: the file is not a lamina training checkpoint, or a part of it does
            not fit the trainer (a missing optimizer or scheduler, a key mismatch).
        LaminaFileError: (a ValueError) a part is malformed: an epoch that is not an int,
            an optimizer/scheduler/RNG/history state of the wrong structure.
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
    epoch = state["epoch"]
    if not isinstance(epoch, int) or isinstance(epoch, bool) or epoch < 0:
        raise LaminaFileError(
            path, f"training checkpoint epoch {epoch!r:.40}, expected an int >= 0"
        )
    trainer.model.load_state_dict(state["model"])
    _load_part(path, "optimizer", trainer.optimizer, state["optimizer"])
    _load_part(path, "scheduler", getattr(trainer, "scheduler", None), state["scheduler"])
    with _malformed(path, "rng"):
        set_rng_state(state["rng"])
    with _malformed(path, "history"):
        trainer.history.load_state_dict(state["history"])
    return epoch


@contextlib.contextmanager
def _malformed(path: Any, name: str):
    """A well-formed file whose ``name`` part is not what lamina wrote: LaminaFileError."""
    try:
        yield
    except (TypeError, KeyError, IndexError, AttributeError, ValueError) as e:
        if isinstance(e, LaminaFileError):
            raise
        raise LaminaFileError(
            path, f"training checkpoint part {name!r} cannot be restored ({type(e).__name__}: {e})"
        ) from e


def _load_part(path: Any, name: str, obj: Any, saved: Any) -> None:
    if (obj is None) != (saved is None):
        has = "has" if saved is not None else "has no"
        raise ValueError(
            f"{os.fspath(path)}: the checkpoint {has} {name} state but the trainer's {name} "
            f"is {type(obj).__name__}"
        )
    if obj is not None:
        with _malformed(path, name):
            obj.load_state_dict(saved)
