"""The state of each shipped callback, saved in training checkpoints and restored on resume.

Keras's ``BackupAndRestore`` loses the callbacks' state; here a resumed ``fit`` continues
them as if never stopped: ``ModelCheckpoint``'s best value, ``EarlyStopping``'s counters
and best weights, ``ReduceLROnPlateau``'s and ``LearningRateScheduler``'s schedulers,
``CSVLogger``'s file (cut back to the rows of the checkpointed epochs, then appended),
``TargetStopping``'s and ``TerminateOnNaN``'s outcome, ``TensorBoard``'s batch step
(its event files hold wall-clock times: a resumed run adds files beside the old ones, as
TensorBoard expects). A callback of its own may define
``state_dict()`` / ``load_state_dict(state)`` and is saved the same way.

Each entry: ``get(cb) -> state``; ``check(cb, state)`` raises PartError (nothing changed);
``put(cb, state)`` applies a checked state after ``on_train_begin``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np

from .callbacks import CSVLogger, LearningRateScheduler, ModelCheckpoint, ReduceLROnPlateau
from .conform import PartError, check_number, conform, is_number
from .stopping import EarlyStopping, TargetStopping, TerminateOnNaN
from .tensorboard import TensorBoard

__all__ = ["state_of", "check_state", "put_state", "has_state"]


def _attrs(*names: str) -> tuple[Callable, Callable]:
    def get(cb: Any) -> dict:
        return {n: getattr(cb, n, None) for n in names}

    def put(cb: Any, state: dict) -> None:
        for n in names:
            setattr(cb, n, state[n])

    return get, put


def _check_fields(state: Any, fields: dict[str, Callable]) -> None:
    if not isinstance(state, dict) or set(state) != set(fields):
        got = sorted(state) if isinstance(state, dict) else type(state).__name__
        raise PartError("state", f"{got}, expected keys {sorted(fields)}")
    for name, check in fields.items():
        check(state[name], name)


def _int(v: Any, key: str) -> None:
    if not isinstance(v, int) or isinstance(v, bool) or v < 0:
        raise PartError(key, f"{v!r:.60}, expected an int >= 0")


def _opt_int(v: Any, key: str) -> None:
    if v is not None:
        _int(v, key)


def _opt_str(v: Any, key: str) -> None:
    if v is not None and not isinstance(v, str):
        raise PartError(key, f"{type(v).__name__}, expected a string or null")


def _best(v: Any, key: str) -> None:
    check_number(v, key)  # +-inf before the first finite value; never NaN


def _early_best(v: Any, key: str) -> None:
    """EarlyStopping's best: None before the first value; a number (NaN when the first
    monitored value was NaN, which EarlyStopping keeps as it is)."""
    if v is not None and not is_number(v):
        raise PartError(key, f"{v!r:.60}, expected a number or null")


def _str_list(v: Any, key: str) -> None:
    if not isinstance(v, list) or not all(isinstance(s, str) for s in v):
        raise PartError(key, "expected a list of file names")


def _weights_of(cb: Any) -> Callable[[Any, str], None]:
    def check(v: Any, key: str) -> None:
        if v is not None:
            conform(v, {k: np.asarray(a) for k, a in cb.model.state_dict().items()}, key)

    return check


# ---- per class ----------------------------------------------------------------------------
def _early(cb: EarlyStopping) -> dict[str, Callable]:
    return dict(
        wait=_int,
        stopped_epoch=_int,
        best_epoch=_int,
        best=_early_best,
        best_weights=_weights_of(cb),
    )


def _csv_get(cb: CSVLogger) -> dict:
    size = os.path.getsize(cb.filename) if os.path.exists(cb.filename) else 0
    return {"size": size, "keys": None if cb.keys is None else list(cb.keys)}


def _csv_check(cb: CSVLogger, state: Any) -> None:
    _check_fields(state, {"size": _int, "keys": lambda v, k: v is None or _str_list(v, k)})


def _csv_put(cb: CSVLogger, state: dict) -> None:
    cb.resume_at(state["size"], state["keys"])


def _plateau(cb: ReduceLROnPlateau) -> Any:
    """The callback's scheduler; before ``on_train_begin`` a fresh one to compare with."""
    if cb.scheduler is not None:
        return cb.scheduler
    from ..optim.lr_scheduler import ReduceLROnPlateau as Plateau

    return Plateau(cb.trainer.optimizer, mode=cb.mode, **cb.options)  # no side effects


def _inner(cb: Any) -> Any:
    return _plateau(cb) if isinstance(cb, ReduceLROnPlateau) else cb.schedule


def _inner_get(cb: Any) -> dict:
    inner = _inner(cb)
    return {"inner": inner.state_dict() if hasattr(inner, "state_dict") else None}


def _inner_check(cb: Any, state: Any) -> None:
    live = _inner_get(cb)
    if live["inner"] is None:  # a plain function: the lr itself is in the optimizer's state
        _check_fields(state, {"inner": lambda v, k: None})
    else:
        conform(state, live)


def _inner_put(cb: Any, state: dict) -> None:
    if state["inner"] is not None:
        _inner(cb).load_state_dict(state["inner"])


def _fields(**checks: Callable) -> Callable:
    return lambda cb, state: _check_fields(state, checks)


_ES_GET, _ES_PUT = _attrs("wait", "stopped_epoch", "best_epoch", "best", "best_weights")
_MC_GET, _MC_PUT = _attrs("best", "saved")
_TS_GET, _TS_PUT = _attrs("stopped_epoch")
_TN_GET, _TN_PUT = _attrs("message")
_TB_GET, _TB_PUT = _attrs("_step")  # the batch counter: batch_ scalars continue their steps
_SPECS: list[tuple[type, Callable, Callable, Callable]] = [
    (EarlyStopping, _ES_GET, lambda cb, s: _check_fields(s, _early(cb)), _ES_PUT),
    (ModelCheckpoint, _MC_GET, _fields(best=_best, saved=_str_list), _MC_PUT),
    (TargetStopping, _TS_GET, _fields(stopped_epoch=_opt_int), _TS_PUT),
    (TerminateOnNaN, _TN_GET, _fields(message=_opt_str), _TN_PUT),
    (TensorBoard, _TB_GET, _fields(_step=_int), _TB_PUT),
    (CSVLogger, _csv_get, _csv_check, _csv_put),
    (ReduceLROnPlateau, _inner_get, _inner_check, _inner_put),
    (LearningRateScheduler, _inner_get, _inner_check, _inner_put),
]


def _spec(cb: Any) -> tuple[Callable, Callable, Callable] | None:
    for cls, get, check, put in _SPECS:
        if isinstance(cb, cls):
            return get, check, put
    if callable(getattr(cb, "state_dict", None)) and callable(getattr(cb, "load_state_dict", None)):
        return (
            lambda c: c.state_dict(),
            lambda c, s: conform(s, c.state_dict()),
            lambda c, s: c.load_state_dict(s),
        )
    return None


def has_state(cb: Any) -> bool:
    return _spec(cb) is not None


def state_of(cb: Any) -> Any:
    return _spec(cb)[0](cb)


def check_state(cb: Any, state: Any) -> None:
    """Raise PartError if ``state`` cannot be restored into ``cb``; changes nothing."""
    _spec(cb)[1](cb, state)


def put_state(cb: Any, state: Any) -> None:
    _spec(cb)[2](cb, state)
