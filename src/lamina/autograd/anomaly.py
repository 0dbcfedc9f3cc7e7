"""Anomaly detection (torch.autograd.detect_anomaly): name the op whose backward made NaN/inf."""

from __future__ import annotations

import numpy as np

_state = {"on": False}


def is_enabled() -> bool:
    return _state["on"]


def check(ctx, g) -> None:
    if g.dtype.kind in "fc" and not np.all(np.isfinite(g)):
        bad = "nan" if np.isnan(g).any() else "inf"
        raise FloatingPointError(
            f"Function '{ctx.name()}' returned {bad} values in its gradient "
            f"(shape {tuple(g.shape)}); detected by lamina.autograd.detect_anomaly()"
        )


class detect_anomaly:
    """Context manager: check every gradient the engine computes for NaN or inf."""

    def __init__(self, check_nan: bool = True) -> None:
        self.on = check_nan

    def __enter__(self):
        self.prev = _state["on"]
        _state["on"] = self.on
        return self

    def __exit__(self, *exc) -> None:
        _state["on"] = self.prev


class set_detect_anomaly(detect_anomaly):
    pass
