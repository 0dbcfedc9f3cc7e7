"""Anomaly detection (torch.autograd.detect_anomaly): name the op whose backward made NaN/inf."""

from __future__ import annotations

import numpy as np

from .. import _state


def is_enabled() -> bool:
    """Whether the engine checks every gradient (torch.is_anomaly_enabled)."""
    return _state.anomaly["enabled"]


def check(ctx, g) -> None:
    """Raise FloatingPointError naming ``ctx``'s op if gradient ``g`` holds NaN or inf."""
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
        self.prev = _state.anomaly["enabled"]
        _state.anomaly["enabled"] = self.on
        return self

    def __exit__(self, *exc) -> None:
        _state.anomaly["enabled"] = self.prev


class set_detect_anomaly(detect_anomaly):
    """torch.autograd.set_detect_anomaly: on at once, and restored by a ``with`` block."""

    def __init__(self, mode: bool) -> None:
        super().__init__(mode)
        self.prev = _state.anomaly["enabled"]
        _state.anomaly["enabled"] = self.on

    def __enter__(self):
        return self
