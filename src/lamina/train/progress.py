"""Progress display for ``fit``: a tqdm bar per epoch on a terminal, one line per epoch in logs.

``verbose=0`` prints nothing; ``verbose=2`` prints one line per epoch
(``Epoch 3/20 - 0.4s - loss: 0.1234 - accuracy: 0.9800 - val_loss: ...``); ``verbose=1``
prints the same lines and, while an epoch runs on a terminal, a tqdm bar with the running
loss and metrics, which the epoch's line then replaces. Without a terminal (files, CI
logs) no bar is drawn, so logs hold one clean line per epoch. tqdm is imported only when
a bar is shown.
"""

from __future__ import annotations

import math
import os
import sys
from typing import Any

_HIDDEN = ("seconds",)


def format_logs(logs: dict[str, Any]) -> str:
    """``"loss: 0.1234 - accuracy: 0.9800 - lr: 0.001"`` (Keras's layout)."""
    parts = []
    for k, v in logs.items():
        if k in _HIDDEN or not isinstance(v, (int, float)):
            continue
        if k == "lr" or (v != 0 and math.isfinite(v) and abs(v) < 1e-3):
            parts.append(f"{k}: {v:.3g}")
        else:
            parts.append(f"{k}: {v:.4f}")
    return " - ".join(parts)


def _is_terminal(stream: Any) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # closed stream
        return False


def _width_known(stream: Any) -> bool:
    """Whether the terminal reports a width (a bare pty says 0x0; tqdm then draws nothing)."""
    try:
        return os.get_terminal_size(stream.fileno()).columns > 0
    except (AttributeError, OSError, ValueError):
        return False


def _size_options(stream: Any) -> dict[str, Any]:
    if _width_known(stream):
        return {"dynamic_ncols": True}
    return {"ncols": 100, "nrows": 24}


class EpochProgress:
    """One epoch's display: ``update(logs)`` per batch, ``close(logs)`` at the end."""

    def __init__(self, verbose: int, epoch: int, epochs: int, total: int | None) -> None:
        if verbose not in (0, 1, 2):
            raise ValueError(f"fit: verbose={verbose!r}, expected 0, 1 or 2")
        self.verbose, self.title, self.bar = verbose, f"Epoch {epoch + 1}/{epochs}", None
        if verbose == 1 and _is_terminal(sys.stderr):
            from tqdm.auto import tqdm

            self.bar = tqdm(
                total=total,
                desc=self.title,
                unit="batch",
                mininterval=0.2,
                **(
                    {"dynamic_ncols": True}
                    if _width_known(sys.stderr)
                    else {"ncols": 100, "nrows": 24}
                ),
                leave=False,  # replaced by the full epoch line at close
            )

    def update(self, logs: dict[str, Any]) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(format_logs(logs), refresh=False)
            self.bar.update(1)

    def close(self, logs: dict[str, Any]) -> None:
        if self.bar is not None:
            self.bar.close()
        if self.verbose:
            seconds = logs.get("seconds", 0.0)
            print(f"{self.title} - {seconds:.1f}s - {format_logs(logs)}", flush=True)
